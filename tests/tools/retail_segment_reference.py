#!/usr/bin/env python3
# Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
"""Independent reference for `ckm segment` over the bundled retail data.

Usage: retail_segment_reference.py EXPORT.csv

EXPORT.csv is the output of `ckm export profiles --format csv` (a single
currency, GBP, so its amounts are the GBP figures). For each query below this
prints a block

    ### <the ckm segment flags, shell-quoted>
    <the CSV `ckm segment` must print for them>

computed here from the export alone, with Python's decimal and datetime and
the definitions of docs/segments.md, not with ckm's code. Standard library
only.
"""

import csv
import datetime
import shlex
import sys
from decimal import ROUND_HALF_UP, Decimal

NOW = "2011-12-10T00:00:00"
MS_PER_DAY = 86_400_000


def ms(ts):
    t = datetime.datetime.fromisoformat(ts).replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000


NOW_MS = ms(NOW)


def money(d):
    """Exact decimal with 2 to 6 decimals, as ckm prints amounts."""
    text = f"{d.quantize(Decimal('0.000001')):f}"
    whole, frac = text.split(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{whole}.{frac}"


def days(milliseconds):
    """Days with six decimals, rounded half away from zero."""
    d = (Decimal(abs(milliseconds)) / MS_PER_DAY).quantize(
        Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return ("-" if milliseconds < 0 and d != 0 else "") + f"{d:f}"


class Customer:
    def __init__(self, row):
        self.id = row["customer_id"]
        self.orders = int(row["purchase_count"])
        self.net = Decimal(row["total_spend"] or "0")
        self.returns = int(row["cancel_invoice_count"])
        self.returned_lines = int(row["negative_line_count"])
        self.distinct_products = int(row["distinct_products"])
        self.first = ms(row["first_purchase_ts"]) if row["first_purchase_ts"] else None
        self.last = ms(row["last_purchase_ts"]) if row["last_purchase_ts"] else None

    # Figures; None where undefined.
    def recency_ms(self):
        return None if self.orders == 0 else max(0, NOW_MS - self.last)

    def interval_ms(self):
        if self.orders < 2:
            return None
        return (self.last - self.first) // (self.orders - 1)

    def aov_micros(self):
        if self.orders == 0:
            return None
        micros = int(self.net * 1_000_000)
        q = abs(micros) // self.orders  # truncated towards zero
        return q if micros >= 0 else -q


def block(flags, header, rows):
    print("### " + " ".join(shlex.quote(f) for f in flags))
    print(",".join(header))
    for r in rows:
        print(",".join(r))


def main():
    with open(sys.argv[1], newline="") as f:
        customers = [Customer(r) for r in csv.DictReader(f)]
    assert len(customers) == 4372, len(customers)

    # 1. Lapsed big spenders, largest first: every one of them.
    rows = [c for c in customers
            if c.net > 1000 and c.recency_ms() is not None
            and c.recency_ms() > 90 * MS_PER_DAY]
    rows.sort(key=lambda c: (-c.net, c.id))
    block(["--where", "net_spend(GBP) > 1000 and recency_days > 90",
           "--sort", "net_spend(GBP)", "--limit", "0"],
          ["customer_id", "net_spend(GBP)", "recency_days"],
          [[c.id, money(c.net), days(c.recency_ms())] for c in rows])

    # 2. Loyal customers who never returned anything: top 25 by AOV.
    rows = [c for c in customers if c.orders >= 10 and c.returns == 0]
    rows.sort(key=lambda c: (-c.aov_micros(), c.id))
    block(["--where", "orders >= 10 and returns = 0", "--sort", "aov(GBP)",
           "--limit", "25"],
          ["customer_id", "aov(GBP)", "orders", "returns"],
          [[c.id, money(Decimal(c.aov_micros()) / 1_000_000), str(c.orders),
            str(c.returns)] for c in rows[:25]])

    # 3. Broad buyers or heavy returners, by customer id.
    rows = [c for c in customers
            if c.distinct_products > 100 or c.returned_lines > 20]
    rows.sort(key=lambda c: c.id)
    block(["--where", "distinct_products > 100 or returned_lines > 20",
           "--limit", "0"],
          ["customer_id", "distinct_products", "returned_lines"],
          [[c.id, str(c.distinct_products), str(c.returned_lines)]
           for c in rows])

    # 4. Frequent buyers not seen for a month, most recent first. `not` of a
    # comparison holds for customers without orders too; the interval rules
    # them out.
    rows = [c for c in customers
            if not (c.recency_ms() is not None
                    and c.recency_ms() <= 30 * MS_PER_DAY)
            and c.interval_ms() is not None
            and c.interval_ms() < 14 * MS_PER_DAY]
    rows.sort(key=lambda c: (c.recency_ms(), c.id))
    block(["--where", "not (recency_days <= 30) and interval_days < 14",
           "--sort", "recency_days asc", "--limit", "40"],
          ["customer_id", "recency_days", "interval_days"],
          [[c.id, days(c.recency_ms()), days(c.interval_ms())]
           for c in rows[:40]])

    # 5. One order, large spend; and those whose net is not positive, sorted
    # by the undefined-last interval.
    rows = [c for c in customers
            if c.interval_ms() is None and c.net > 5000]
    rows.sort(key=lambda c: c.id)
    block(["--where", "not exists(interval_days) and net_spend(GBP) > 5000",
           "--limit", "0"],
          ["customer_id", "interval_days", "net_spend(GBP)"],
          [[c.id, "", money(c.net)] for c in rows])
    rows = [c for c in customers if not c.net > 0]
    rows.sort(key=lambda c: (c.interval_ms() is None, -(c.interval_ms() or 0),
                             c.id))
    block(["--where", "not (net_spend(GBP) > 0)", "--sort", "interval_days",
           "--limit", "0"],
          ["customer_id", "interval_days", "net_spend(GBP)"],
          [[c.id, "" if c.interval_ms() is None else days(c.interval_ms()),
            money(c.net)] for c in rows])


if __name__ == "__main__":
    main()
