"""DuckDB SQL reference: the same aging and KPIs, written as plain SQL on exact DECIMALs.

Money stays DECIMAL from the Parquet file to the shown figure: amounts are
summed in their own currency, converted as ``DECIMAL(38, 3) × DECIMAL(38, 12)``
(an exact ``DECIMAL(38, 15)``, the scale the workbench uses) and rounded
half-even to cents by the ``round_half_even`` macro. DuckDB turns a DECIMAL
division into DOUBLE, so the few KPI ratios are divided in Python
``Decimal`` from the exact sums (:mod:`.kpi_math`); everything row-sized runs
in SQL.

One set of queries serves one as-of date and a history alike: a table
``dates`` lists every date needed (each as-of date and the month end before
it, for CEI). The day each item was fully allocated is found once; at each
date only the items not yet settled are candidates, and their allocations
dated up to that date are summed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl

from .kpi_math import (
    BEHAVIOUR_WINDOW_DAYS,
    BUCKETS,
    SIMPLE_WINDOW_DAYS,
    KpiSums,
    countback_windows,
    kpi_values,
    previous_month_end,
)
from .ledger_files import TABLES, Exclusions, reporting_currency, table_path

_MACROS = r"""
CREATE OR REPLACE MACRO round_half_even(x) AS (
    CASE WHEN abs(x * 100 - trunc(x * 100)) = 0.5 AND trunc(x * 100) % 2 = 0
         THEN round(x, 2) - sign(x) * 0.01::DECIMAL(38, 2)
         ELSE round(x, 2) END);
CREATE OR REPLACE MACRO to_reporting(amount, rate, currency, on_day) AS (
    CASE WHEN rate IS NULL
         THEN error('no FX rate for ' || currency || ' on ' || CAST(on_day AS VARCHAR))
         ELSE CAST(amount AS DECIMAL(38, 3)) * rate END);
"""

_BUCKET_SQL = """CASE WHEN dpd <= 0 THEN 'current' WHEN dpd <= 30 THEN '1-30' WHEN dpd <= 60 THEN '31-60'
         WHEN dpd <= 90 THEN '61-90' WHEN dpd <= 120 THEN '91-120' ELSE '120+' END"""


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the reference macros (default threads = cores)."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(_MACROS)
    return con


def load(con: duckdb.DuckDBPyConnection, folder: Path, exclude: Exclusions | None = None) -> str:
    """Read the ledger's Parquet tables into DuckDB tables; return the reporting currency.

    Rows listed in ``exclude`` (1-based row numbers per table: the rows the
    workbench quarantines) are left out. ``fx`` holds the rates as
    ``DECIMAL(38, 12)`` without rows of the reporting currency, plus one row
    giving it the rate 1 from the year 1 on, so that every lookup is a join.
    """
    rep = reporting_currency(folder)
    exclude = exclude or {}
    for table in TABLES:
        path = str(table_path(folder, table)).replace("'", "''")
        rows = exclude.get(table)
        if rows:
            con.execute(
                f"CREATE OR REPLACE TABLE {table} AS SELECT * EXCLUDE (file_row_number) "
                f"FROM read_parquet('{path}', file_row_number = true) "
                "WHERE file_row_number + 1 NOT IN (SELECT unnest($rows::BIGINT[]))",
                {"rows": rows},
            )
        else:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_parquet('{path}')")
    con.execute(
        """CREATE OR REPLACE TABLE fx AS
           SELECT date, currency, CAST(rate AS DECIMAL(38, 12)) AS rate FROM fx_rates WHERE currency <> $rep
           UNION ALL SELECT DATE '0001-01-01', $rep, 1::DECIMAL(38, 12)""",
        {"rep": rep},
    )
    return rep


def _settlement(con: duckdb.DuckDBPyConnection) -> None:
    """Temp tables ``receivables`` and ``sources`` with the day each item was fully allocated.

    ``receivables``: invoices and debit notes with ``settled_on``; ``sources``:
    payments and credit notes with ``consumed_on`` (null while anything is
    left). Allocations are positive and never exceed their document or
    source (the loader quarantines rows that would), so the allocation that
    completes an item is its last one: the date is ``max(allocation_date)``
    when the allocations add up to the amount, with no running sum needed.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE receivables AS
        WITH allocated AS (
            SELECT document_id, sum(amount) AS allocated, max(allocation_date) AS last_day
            FROM allocations GROUP BY document_id)
        SELECT d.document_id, d.customer_id, d.currency, d.doc_date, d.due_date, d.amount,
               CASE WHEN a.allocated >= d.amount THEN a.last_day END AS settled_on
        FROM documents d LEFT JOIN allocated a USING (document_id)
        WHERE d.doc_type IN ('invoice', 'debit_note')"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sources AS
        WITH items AS (
            SELECT payment_id AS source_id, customer_id, currency, value_date AS day, amount FROM payments
            UNION ALL
            SELECT document_id, customer_id, currency, doc_date, amount FROM documents
            WHERE doc_type = 'credit_note'),
        applied AS (
            SELECT source_id, sum(amount) AS applied, max(allocation_date) AS last_day
            FROM allocations GROUP BY source_id)
        SELECT i.*, CASE WHEN a.applied >= i.amount THEN a.last_day END AS consumed_on
        FROM items i LEFT JOIN applied a USING (source_id)"""
    )


def _open_items(con: duckdb.DuckDBPyConnection, dates: Sequence[date]) -> None:
    """Temp tables of open receivables and unapplied credit per date, customer, currency.

    ``open_docs``: invoices and debit notes dated <= as_of, amount minus
    allocations dated <= as_of, by bucket of days past due (and > 90 days).
    ``open_credit``: payments and credit notes dated <= as_of minus what of
    them was allocated by as_of (customer null for unidentified payments).
    Only items not yet settled at a date are candidates, so the allocations
    are summed for the (few) open items rather than for the whole ledger.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE dates AS SELECT unnest($d::DATE[]) AS as_of", {"d": sorted(set(dates))})
    con.execute(
        """CREATE OR REPLACE TEMP TABLE closing AS
           SELECT d.as_of, f.currency, arg_max(f.rate, f.date) AS rate
           FROM dates d JOIN fx f ON f.date <= d.as_of GROUP BY ALL"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE open_docs AS
        WITH candidates AS (
            SELECT d.as_of, r.document_id, r.customer_id, r.currency, d.as_of - r.due_date AS dpd, r.amount
            FROM receivables r JOIN dates d
              ON r.doc_date <= d.as_of AND (r.settled_on IS NULL OR r.settled_on > d.as_of)),
        paid AS (
            SELECT c.as_of, c.document_id, sum(a.amount) AS paid
            FROM candidates c JOIN allocations a
              ON a.document_id = c.document_id AND a.allocation_date <= c.as_of
            GROUP BY ALL),
        open_rows AS (
            SELECT c.as_of, c.customer_id, c.currency, c.dpd, c.amount - coalesce(p.paid, 0) AS open
            FROM candidates c LEFT JOIN paid p USING (as_of, document_id))
        SELECT as_of, customer_id, currency, {_BUCKET_SQL} AS bucket, dpd > 90 AS over_90, sum(open) AS open
        FROM open_rows WHERE open > 0
        GROUP BY ALL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE open_credit AS
        WITH candidates AS (
            SELECT d.as_of, s.source_id, s.customer_id, s.currency, s.amount
            FROM sources s JOIN dates d
              ON s.day <= d.as_of AND (s.consumed_on IS NULL OR s.consumed_on > d.as_of)),
        applied AS (
            SELECT c.as_of, c.source_id, sum(a.amount) AS applied
            FROM candidates c JOIN allocations a
              ON a.source_id = c.source_id AND a.allocation_date <= c.as_of
            GROUP BY ALL),
        open_rows AS (
            SELECT c.as_of, c.customer_id, c.currency, c.amount - coalesce(ap.applied, 0) AS open
            FROM candidates c LEFT JOIN applied ap USING (as_of, source_id))
        SELECT as_of, customer_id, currency, sum(open) AS open FROM open_rows WHERE open > 0 GROUP BY ALL"""
    )


def _aging_by_customer(con: duckdb.DuckDBPyConnection, as_of: date) -> pl.DataFrame:
    """Per-customer aging at ``as_of`` from the temp tables, rounded half-even to cents."""
    pivots = ",\n".join(
        f"coalesce(sum(v) FILTER (WHERE bucket = '{b}'), 0) AS \"{b}\"" for b in (*BUCKETS, "unapplied_credit")
    )
    gross = " + ".join(f'"{b}"' for b in BUCKETS)
    shown = ", ".join(f'round_half_even("{b}") AS "{b}"' for b in BUCKETS)
    nonzero = " OR ".join(f'"{b}" <> 0' for b in (*BUCKETS, "unapplied_credit"))
    return con.sql(
        f"""WITH items AS (
            SELECT customer_id, currency, bucket, open FROM open_docs WHERE as_of = $d
            UNION ALL
            SELECT customer_id, currency, 'unapplied_credit', open FROM open_credit WHERE as_of = $d),
        per_currency AS (
            SELECT customer_id, currency, bucket, sum(open) AS open FROM items
            WHERE customer_id IS NOT NULL GROUP BY ALL),
        converted AS (
            SELECT p.customer_id, p.bucket, to_reporting(p.open, c.rate, p.currency, $d) AS v
            FROM per_currency p LEFT JOIN closing c ON c.as_of = $d AND c.currency = p.currency),
        wide AS (SELECT customer_id, {pivots} FROM converted GROUP BY customer_id),
        totals AS (SELECT *, {gross} AS gross_open FROM wide WHERE {nonzero})
        SELECT customer_id, {shown}, round_half_even(gross_open) AS gross_open,
               round_half_even(unapplied_credit) AS unapplied_credit,
               round_half_even(gross_open - unapplied_credit) AS total
        FROM totals ORDER BY customer_id""",
        params={"d": as_of},
    ).pl()


def _balances(con: duckdb.DuckDBPyConnection) -> dict[date, dict[str, Decimal]]:
    """Ledger-level exact balances per date: gross open, current, over 90 days, unapplied credit."""
    rows = con.execute(
        """WITH docs AS (
            SELECT o.as_of, o.bucket, o.over_90, to_reporting(sum(o.open), c.rate, o.currency, o.as_of) AS v
            FROM open_docs o LEFT JOIN closing c USING (as_of, currency)
            GROUP BY o.as_of, o.bucket, o.over_90, o.currency, c.rate),
        credit AS (
            SELECT o.as_of, to_reporting(sum(o.open), c.rate, o.currency, o.as_of) AS v
            FROM open_credit o LEFT JOIN closing c USING (as_of, currency)
            GROUP BY o.as_of, o.currency, c.rate),
        doc_totals AS (
            SELECT as_of, sum(v) AS gross_open,
                   coalesce(sum(v) FILTER (WHERE bucket = 'current'), 0) AS current,
                   coalesce(sum(v) FILTER (WHERE over_90), 0) AS over_90
            FROM docs GROUP BY as_of),
        credit_totals AS (SELECT as_of, sum(v) AS unapplied FROM credit GROUP BY as_of)
        SELECT d.as_of, coalesce(t.gross_open, 0), coalesce(t.current, 0), coalesce(t.over_90, 0),
               coalesce(c.unapplied, 0)
        FROM dates d LEFT JOIN doc_totals t USING (as_of) LEFT JOIN credit_totals c USING (as_of)"""
    ).fetchall()
    return {
        r[0]: {"gross_open": Decimal(r[1]), "current": Decimal(r[2]), "over_90": Decimal(r[3]),
               "unapplied": Decimal(r[4])}
        for r in rows
    }


def _billing_windows(con: duckdb.DuckDBPyConnection, as_ofs: Sequence[date]) -> dict[tuple[date, int], Decimal]:
    """Billings at doc-date rates per window: ``k >= 0`` countback month k, ``k = -1`` the 90-day window."""
    windows = []
    for d in as_ofs:
        windows.append((d, -1, d - timedelta(days=SIMPLE_WINDOW_DAYS - 1), d))
        windows += [(d, k, first, last) for k, (first, last) in enumerate(countback_windows(d))]
    con.execute(
        """CREATE OR REPLACE TEMP TABLE windows AS
           SELECT unnest($a::DATE[]) AS as_of, unnest($k::INTEGER[]) AS k,
                  unnest($f::DATE[]) AS first_day, unnest($l::DATE[]) AS last_day""",
        {"a": [w[0] for w in windows], "k": [w[1] for w in windows], "f": [w[2] for w in windows],
         "l": [w[3] for w in windows]},
    )
    rows = con.execute(
        """WITH per_day AS (
            SELECT doc_date, currency,
                   sum(CASE WHEN doc_type = 'credit_note' THEN -amount ELSE amount END) AS amount
            FROM documents GROUP BY ALL),
        daily AS (
            SELECT p.doc_date, sum(to_reporting(p.amount, f.rate, p.currency, p.doc_date)) AS v
            FROM per_day p ASOF LEFT JOIN fx f ON p.currency = f.currency AND p.doc_date >= f.date
            GROUP BY p.doc_date)
        SELECT w.as_of, w.k, coalesce(sum(b.v), 0)
        FROM windows w LEFT JOIN daily b ON b.doc_date BETWEEN w.first_day AND w.last_day
        GROUP BY ALL"""
    ).fetchall()
    return {(r[0], r[1]): Decimal(r[2]) for r in rows}


def _behaviour(con: duckdb.DuckDBPyConnection, as_ofs: Sequence[date]) -> dict[date, tuple[Decimal, ...]]:
    """Weighted behaviour sums over documents settled in the 365 days up to each date.

    Weights are full document amounts at doc-date rates; days to pay and
    delay run to the settlement day (see :func:`_settlement`).
    """
    con.execute("CREATE OR REPLACE TEMP TABLE main_dates AS SELECT unnest($d::DATE[]) AS as_of",
                {"d": sorted(set(as_ofs))})
    rows = con.execute(
        f"""WITH weighted AS (
            SELECT r.settled_on, to_reporting(r.amount, f.rate, r.currency, r.doc_date) AS w,
                   r.settled_on - r.doc_date AS days_to_pay, r.settled_on - r.due_date AS delay
            FROM receivables r ASOF LEFT JOIN fx f ON r.currency = f.currency AND r.doc_date >= f.date
            WHERE r.settled_on > (SELECT min(as_of) FROM main_dates) - {BEHAVIOUR_WINDOW_DAYS})
        SELECT m.as_of, coalesce(sum(w), 0), coalesce(sum(w * days_to_pay), 0),
               coalesce(sum(w * greatest(delay, 0)), 0), coalesce(sum(w * delay), 0)
        FROM main_dates m LEFT JOIN weighted
          ON weighted.settled_on > m.as_of - {BEHAVIOUR_WINDOW_DAYS} AND weighted.settled_on <= m.as_of
        GROUP BY m.as_of"""
    ).fetchall()
    return {r[0]: tuple(Decimal(x) for x in r[1:]) for r in rows}


Steps = dict[str, float]


@contextmanager
def _step(steps: Steps | None, name: str) -> Iterator[None]:
    """Add the wall time of a block to ``steps[name]`` (when a dict is given)."""
    started = time.perf_counter()
    yield
    if steps is not None:
        steps[name] = steps.get(name, 0.0) + time.perf_counter() - started


def kpi_history(con: duckdb.DuckDBPyConnection, as_ofs: Sequence[date], *, aging_at: date | None = None,
                steps: Steps | None = None) -> tuple[list[dict[str, object]], pl.DataFrame | None]:
    """KPIs at each date (and the per-customer aging at ``aging_at`` if given).

    Needs :func:`load` first. Returns ``(kpis per date, aging or None)``;
    ``steps`` (optional) receives the seconds spent in each query group.
    """
    as_ofs = sorted(set(as_ofs))
    with _step(steps, "settlement"):
        _settlement(con)
    with _step(steps, "open_items"):
        _open_items(con, [*as_ofs, *(previous_month_end(d) for d in as_ofs)])
    with _step(steps, "aging_by_customer"):
        aging = _aging_by_customer(con, aging_at) if aging_at is not None else None
    with _step(steps, "balances"):
        balances = _balances(con)
    with _step(steps, "billings"):
        billings = _billing_windows(con, as_ofs)
    with _step(steps, "behaviour"):
        behaviour = _behaviour(con, as_ofs)
    out = []
    for d in as_ofs:
        b, prev = balances[d], balances[previous_month_end(d)]
        weight, w_days, w_dbt, w_delay = behaviour[d]
        monthly = [(billings[(d, k)], (last - first).days + 1) for k, (first, last) in enumerate(countback_windows(d))]
        out.append(kpi_values(KpiSums(
            as_of=d, gross_open=b["gross_open"], current=b["current"], over_90=b["over_90"],
            unapplied_credit=b["unapplied"], prev_total_ar=prev["gross_open"] - prev["unapplied"],
            billings_90=billings[(d, -1)], billings_month=billings[(d, 0)], monthly=monthly,
            weight=weight, w_days=w_days, w_dbt=w_dbt, w_delay=w_delay,
        )))
    return out, aging


def aging_and_kpis(con: duckdb.DuckDBPyConnection, as_of: date,
                   steps: Steps | None = None) -> tuple[pl.DataFrame, dict[str, object]]:
    """Per-customer aging and the KPI set at one date (after :func:`load`)."""
    kpis, aging = kpi_history(con, [as_of], aging_at=as_of, steps=steps)
    assert aging is not None
    return aging, kpis[0]
