#!/usr/bin/env python3
"""Makes till_export.csv: a synthetic export in the style of a high-street
till system, for testing ckm's import of money that is not quantity x unit
price. Deterministic (fixed seed); standard library only.

Usage:  python3 make_till_export.py > till_export.csv

What the file has, on purpose:
  - line totals instead of unit prices (no unit price column at all);
  - multibuy deals whose line total is not a multiple of the quantity
    ("3 for 10.00", "2 for 7.00");
  - line discounts (a staff discount, a damaged-item markdown), given as a
    positive amount taken off the line total;
  - basket discounts (a voucher), repeated on every line of the receipt;
  - returns: negative quantity and line total, sometimes refunded less a
    restocking discount;
  - dates only, day first (dd/mm/yyyy), no times;
  - receipts of several stores, and customers who shop in several.
"""
import random
import sys
from decimal import Decimal

random.seed(20261204)
PENNY = Decimal("0.01")

PRODUCTS = [  # sku, category, price, multibuy (quantity, deal price) or None
    ("MUG-01", "kitchen", Decimal("3.50"), (3, Decimal("10.00"))),
    ("TEA-40", "food", Decimal("2.29"), (2, Decimal("4.00"))),
    ("CHOC-7", "food", Decimal("1.15"), (3, Decimal("3.00"))),
    ("SOCK-3", "clothing", Decimal("4.99"), (2, Decimal("7.00"))),
    ("LAMP-2", "home", Decimal("24.99"), None),
    ("BOOK-9", "books", Decimal("8.99"), (2, Decimal("15.00"))),
    ("CARD-1", "stationery", Decimal("2.75"), None),
    ("TOWL-5", "home", Decimal("12.50"), None),
]
STORES = ["leeds", "york", "hull"]


def line_total(price, deal, quantity):
    """What `quantity` units cost, deals applied to as many as they cover."""
    if deal is None:
        return price * quantity
    deal_qty, deal_price = deal
    return deal_price * (quantity // deal_qty) + price * (quantity % deal_qty)


def main():
    out = sys.stdout
    out.write("Receipt,Customer,Date,SKU,Category,Qty,LineTotal,LineDiscount,"
              "BasketDiscount,Store\n")
    for receipt in range(1, 1201):
        customer = "T%03d" % random.randrange(150)
        day = 1 + random.randrange(28)
        month = 1 + random.randrange(12)
        date = "%02d/%02d/2025" % (day, month)
        store = random.choice(STORES)
        is_return = random.random() < 0.12
        lines = []
        for sku, category, price, deal in random.sample(
                PRODUCTS, 1 + random.randrange(4)):
            quantity = 1 + random.randrange(5)
            total = line_total(price, deal, quantity)
            discount = Decimal(0)
            if random.random() < 0.15:  # staff discount: 10%, to the penny
                discount = (total * Decimal("0.10")).quantize(PENNY)
            if is_return:
                quantity, total = -quantity, -total
                discount = Decimal("0.50") if random.random() < 0.3 else 0
                discount = min(Decimal(discount), -total)
            lines.append((sku, category, quantity, total, discount))
        basket = Decimal(0)
        if not is_return and random.random() < 0.2:
            paid = sum(t - d for _, _, _, t, d in lines)
            basket = min(Decimal("5.00"), (paid / 2).quantize(PENNY))
        for sku, category, quantity, total, discount in lines:
            out.write("R%05d,%s,%s,%s,%s,%d,%s,%s,%s,%s\n" % (
                receipt, customer, date, sku, category, quantity, total,
                discount if discount else "", basket if basket else "",
                store))


if __name__ == "__main__":
    main()
