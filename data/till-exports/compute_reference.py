#!/usr/bin/env python3
"""Independent per-customer reference aggregates for till_export.csv.

Standard library only (csv, decimal). Reads only the CSV; knows nothing of
ckm.

Usage:  python3 compute_reference.py [till_export.csv] [reference_aggregates.csv]

Definitions (one row per customer, sorted by customer):
  orders          receipts with at least one line with Qty > 0
  returns         receipts with at least one line with Qty < 0
  units           sum of Qty over lines with Qty > 0
  returned_units  sum of |Qty| over lines with Qty < 0
  gross           sum of LineTotal over lines with Qty > 0
  discount        sum of LineDiscount over lines with Qty > 0, plus each
                  receipt's BasketDiscount once (it is repeated on each line)
  returned        sum of (|LineTotal| - LineDiscount) over lines with Qty < 0
  net             gross - discount - returned
  distinct_products  distinct SKU over lines with Qty > 0
  first_purchase, last_purchase  earliest and latest Date (dd/mm/yyyy) of a
                  receipt with a positive line, as YYYY-MM-DD
Amounts are exact decimals printed as written by Decimal (2 decimals here).
"""
import csv
import sys
from collections import defaultdict
from decimal import Decimal


def iso(date):
    day, month, year = date.split("/")
    return "%s-%s-%s" % (year, month, day)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "till_export.csv"
    dst = sys.argv[2] if len(sys.argv) > 2 else "reference_aggregates.csv"
    agg = defaultdict(lambda: {
        "orders": set(), "returns": set(), "units": 0, "returned_units": 0,
        "gross": Decimal(0), "discount": Decimal(0), "returned": Decimal(0),
        "products": set(), "dates": [], "baskets": {}})
    with open(src, newline="") as f:
        for row in csv.DictReader(f):
            a = agg[row["Customer"]]
            qty = int(row["Qty"])
            total = Decimal(row["LineTotal"])
            discount = Decimal(row["LineDiscount"] or 0)
            receipt = row["Receipt"]
            if qty > 0:
                a["orders"].add(receipt)
                a["units"] += qty
                a["gross"] += total
                a["discount"] += discount
                a["products"].add(row["SKU"])
                a["dates"].append(iso(row["Date"]))
            else:
                a["returns"].add(receipt)
                a["returned_units"] += -qty
                a["returned"] += -total - discount
            if row["BasketDiscount"]:
                a["baskets"][receipt] = Decimal(row["BasketDiscount"])
    with open(dst, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer", "orders", "returns", "units", "returned_units",
                    "gross", "discount", "returned", "net",
                    "distinct_products", "first_purchase", "last_purchase"])
        for customer in sorted(agg):
            a = agg[customer]
            discount = a["discount"] + sum(a["baskets"].values())
            net = a["gross"] - discount - a["returned"]
            w.writerow([customer, len(a["orders"]), len(a["returns"]),
                        a["units"], a["returned_units"], a["gross"], discount,
                        a["returned"], net, len(a["products"]),
                        min(a["dates"]) if a["dates"] else "",
                        max(a["dates"]) if a["dates"] else ""])


if __name__ == "__main__":
    main()
