"""Promises to pay, marked kept, broken or pending from the ledger's payments.

A promise (customer, amount, currency, pay-by date, day it was made) is
*kept* once the customer's payments in that currency, value-dated from the
day the promise was made up to the pay-by date plus the grace days, reach the
promised amount; *broken* when that window has closed at the as-of date
without reaching it; otherwise *pending* (a live promise). A customer's
payments are spent on their promises in pay-by order, so one payment never
keeps two promises. Payments after the as-of date are not seen.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

PROMISE_STATUS_COLUMNS = {
    "id": pl.Int64,
    "customer_id": pl.String,
    "currency": pl.String,
    "amount": pl.Int64,
    "pay_by": pl.Date,
    "promised_on": pl.Date,
    "deadline": pl.Date,
    "paid": pl.Int64,
    "kept_on": pl.Date,
    "status": pl.String,
}


def promise_status(promises: pl.DataFrame, payments: pl.DataFrame, as_of: date, grace_days: int = 2) -> pl.DataFrame:
    """Each promise with ``paid`` (mills counted toward it), ``kept_on`` and ``status``.

    ``promises`` needs ``id, customer_id, currency, amount`` (mills), ``pay_by``
    and ``promised_on``; ``payments`` the ledger's payments (``customer_id,
    currency, value_date, amount``). Promises made after ``as_of`` are left out.
    """
    if promises.height == 0:
        return pl.DataFrame(schema=PROMISE_STATUS_COLUMNS)
    grace = timedelta(days=grace_days)
    wanted = promises.filter(pl.col("promised_on") <= as_of).sort("customer_id", "pay_by", "id")
    customers = wanted["customer_id"].unique().to_list()
    pays = (
        payments.filter(pl.col("customer_id").is_in(customers) & (pl.col("value_date") <= as_of))
        .select("customer_id", "currency", "value_date", "amount")
        .sort("value_date")
    )
    by_customer: dict[tuple[str, str], list[list]] = {}
    for cust, cur, day, amount in pays.iter_rows():
        by_customer.setdefault((cust, cur), []).append([day, amount])
    rows = []
    for pid, cust, cur, amount, pay_by, promised_on in wanted.select(
        "id", "customer_id", "currency", "amount", "pay_by", "promised_on"
    ).iter_rows():
        deadline = pay_by + grace
        paid, kept_on = 0, None
        for entry in by_customer.get((cust, cur), []):
            day, left = entry
            if left <= 0 or day < promised_on or day > deadline:
                continue
            take = min(left, amount - paid)
            entry[1] -= take
            paid += take
            if paid >= amount:
                kept_on = day
                break
        if kept_on is not None:
            status = "kept"
        elif as_of > deadline:
            status = "broken"
        else:
            status = "pending"
        rows.append((pid, cust, cur, amount, pay_by, promised_on, deadline, paid, kept_on, status))
    return pl.DataFrame(rows, schema=PROMISE_STATUS_COLUMNS, orient="row")
