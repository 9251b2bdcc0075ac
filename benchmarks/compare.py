"""Cross-checks between engines: per-customer aging and KPI sets.

Aging tables have one row per customer and the money columns of
:data:`~benchmarks.engines.kpi_math.AGING_COLUMNS`. Exact engines give
``Decimal(38, 2)`` and are compared exactly; a float engine (pandas) is
compared in float and may differ by rounding noise (up to a cent).
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from benchmarks.engines.kpi_math import AGING_COLUMNS, MONEY_KPIS, RATIO_KPIS


def _is_exact(frame: pl.DataFrame) -> bool:
    return all(isinstance(frame.schema[c], pl.Decimal) for c in AGING_COLUMNS)


def aging_difference(left: pl.DataFrame, right: pl.DataFrame) -> dict[str, object]:
    """How two per-customer agings differ.

    Returns customers only on one side, the largest absolute difference per
    column and overall (in reporting-currency units, as text), the number of
    customers whose rows differ by more than half a cent, and up to five
    examples of them.
    """
    exact = _is_exact(left) and _is_exact(right)
    kind = pl.Decimal(38, 2) if exact else pl.Float64
    lhs = left.select("customer_id", *(pl.col(c).cast(kind) for c in AGING_COLUMNS))
    rhs = right.select("customer_id", *(pl.col(c).cast(kind) for c in AGING_COLUMNS))
    joined = lhs.join(rhs, on="customer_id", how="full", suffix="_r", coalesce=True)
    only_left = joined.filter(pl.col("total_r").is_null() & pl.col("total").is_not_null())["customer_id"].to_list()
    only_right = joined.filter(pl.col("total").is_null() & pl.col("total_r").is_not_null())["customer_id"].to_list()
    both = joined.filter(pl.col("total").is_not_null() & pl.col("total_r").is_not_null())
    diffs = both.select("customer_id", *((pl.col(c) - pl.col(f"{c}_r")).abs().alias(c) for c in AGING_COLUMNS))
    per_column = {c: diffs[c].max() if diffs.height else 0 for c in AGING_COLUMNS}
    row_max = diffs.select("customer_id", pl.max_horizontal(AGING_COLUMNS).alias("max_diff"))
    bad = row_max.filter(pl.col("max_diff") > (Decimal("0.005") if exact else 0.005)).sort("max_diff", descending=True)
    worst = max((v for v in per_column.values() if v is not None), default=0)
    return {
        "exact": exact,
        "customers_left": left.height,
        "customers_right": right.height,
        "only_left": only_left[:5],
        "only_left_count": len(only_left),
        "only_right": only_right[:5],
        "only_right_count": len(only_right),
        "max_abs_diff": _text(worst, exact),
        "max_abs_diff_by_column": {c: _text(v or 0, exact) for c, v in per_column.items()},
        "customers_off_by_a_cent_or_more": bad.height,
        "examples": [
            {"customer_id": cid, "max_diff": _text(v, exact)} for cid, v in bad.head(5).iter_rows()
        ],
    }


def _text(value: object, exact: bool) -> str:
    if exact:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    return f"{float(value):.6f}"  # type: ignore[arg-type]


def kpi_difference(left: list[dict[str, object]], right: list[dict[str, object]]) -> dict[str, object]:
    """Largest differences between two KPI lists (same dates, in order).

    Money fields are compared as decimals, ratio fields as numbers (both are
    rounded to 2 decimals already); ``mismatches`` lists every field that
    differs, with both values.
    """
    max_money = Decimal(0)
    max_ratio = 0.0
    mismatches: list[dict[str, object]] = []
    left_by_date = {k["as_of"]: k for k in left}
    right_by_date = {k["as_of"]: k for k in right}
    dates = sorted(set(left_by_date) | set(right_by_date))
    for d in dates:
        a, b = left_by_date.get(d), right_by_date.get(d)
        if a is None or b is None:
            mismatches.append({"as_of": d, "field": "(date)", "left": a is not None, "right": b is not None})
            continue
        for key in MONEY_KPIS:
            diff = abs(Decimal(str(a[key])) - Decimal(str(b[key])))
            max_money = max(max_money, diff)
            if diff:
                mismatches.append({"as_of": d, "field": key, "left": a[key], "right": b[key]})
        for key in (*RATIO_KPIS, "dso_countback_capped"):
            x, y = a[key], b[key]
            if x is None or y is None or isinstance(x, bool):
                if x != y:
                    mismatches.append({"as_of": d, "field": key, "left": x, "right": y})
                continue
            diff = abs(float(x) - float(y))  # type: ignore[arg-type]
            max_ratio = max(max_ratio, diff)
            if diff > 1e-9:
                mismatches.append({"as_of": d, "field": key, "left": x, "right": y})
    return {
        "dates": len(dates),
        "max_money_diff": str(max_money),
        "max_ratio_diff": round(max_ratio, 6),
        "mismatches": mismatches[:20],
        "mismatch_count": len(mismatches),
    }
