"""``forecast``: expected cash-in per horizon week, with an 80 % band, per item and per customer.

Money stays exact where it can: an item's expected cash by the end of week
k is ``round(open × P(paid by week k))`` in integer mills (cumulative, so an
item's weekly amounts never add up to more than its open amount), weekly
figures are exact integer sums of those, and conversion to the reporting
currency happens once per (entity, currency, week) at the as-of rate.

**The band** (P10–P90) comes from the distribution: the cash of a week is a
sum of items' amounts each paid in that week with its probability p, so its
variance is Σ a² p (1 − p) if items were independent. Items of one customer
are not (they are often paid in one run), so within a customer the
variance is ``(1 − r) · Σ a² p (1 − p) + r · (Σ a √(p (1 − p)))²`` with
r = ``ModelParams.band_correlation``; customers are independent. P10 and
P90 are the normal approximation ``expected ∓ 1.2816 σ``, kept within
[0, open amount]. Deterministic: no random draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from ..fx import reporting_value, to_reporting
from ..ledger.asof import open_items
from ..ledger.model import Ledger
from ..money import (
    AMOUNT_DECIMALS,
    CONVERTED_DECIMALS,
    INT64_MAX,
    RATE_SCALE,
    SumOverflowError,
    cents_to_decimal,
    mills_to_decimal,
    minor_units,
    scaled_money_column,
)
from .model import FLAG_STATUSES, History, ModelParams, day_number, fit, prepare
from .score import Scores, cutoffs, score_items
from .weeks import horizon_weeks

__all__ = ["Forecast", "forecast"]

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Forecast:
    """A cash-in forecast as of ``as_of`` (end of that day) over ``weeks`` horizon weeks.

    * ``weekly``: ``week_start, entity, currency, expected, p10, p90,
      expected_reporting``: document-currency amounts (Decimal, 2 places)
      and the expected amount in the reporting currency at the as-of rate.
    * ``total``: ``week, week_start, expected, p10, p90`` per week in the
      reporting currency (all entities and currencies).
    * ``cumulative``: the same for "paid by the end of week n" (n = 1..weeks),
      e.g. the next 4 weeks' cash with its own band.
    * ``items``: one row per open item with its expected date (the business
      day by which it is paid with probability ½), expected week, probability
      of payment within the horizon and per week (``p_week_1`` ...).
    * ``customers``: per customer open and expected amounts, amount-weighted
      probability, history size, credibility and recent-behaviour factor.
    * ``adjustments``: the hazard ratio learned for each flag.
    """

    as_of: date
    weeks: int
    entity: str | None
    reporting_currency: str
    weekly: pl.DataFrame
    total: pl.DataFrame
    cumulative: pl.DataFrame
    items: pl.DataFrame
    customers: pl.DataFrame
    adjustments: pl.DataFrame

    def expected_within(self, weeks: int) -> Decimal:
        """Expected cash (reporting currency) by the end of horizon week ``weeks``."""
        row = self.cumulative.filter(pl.col("week") == weeks)
        return row["expected"].item() if row.height else Decimal("0.00")


def _group_codes(frame: pl.DataFrame, keys: list[str]) -> tuple[np.ndarray, pl.DataFrame]:
    """Dense code of each row's ``keys`` and the table of distinct keys in code order."""
    table = frame.select(keys).unique().sort(keys).with_row_index("_g")
    codes = frame.select(keys).join(table, on=keys, how="left", maintain_order="left")["_g"].to_numpy()
    return codes.astype(np.int64), table.drop("_g")


def _band_variance(
    amount: np.ndarray,
    prob: np.ndarray,
    group: np.ndarray,
    customer: np.ndarray,
    groups: int,
    correlation: float,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """``(groups, weeks)`` variance of the cash per group and week (see the module doc)."""
    if amount.size == 0:
        return np.zeros((groups, prob.shape[1]))
    sd = amount[:, None] * np.sqrt(np.clip(prob * (1.0 - prob), 0.0, None))
    if weight is not None:
        sd = sd * weight[:, None]
    order = np.lexsort((customer, group))
    g, c = group[order], customer[order]
    starts = np.flatnonzero(np.concatenate([[True], (g[1:] != g[:-1]) | (c[1:] != c[:-1])]))
    own = np.add.reduceat(sd[order] ** 2, starts, axis=0)
    joint = np.add.reduceat(sd[order], starts, axis=0) ** 2
    per_customer = (1.0 - correlation) * own + correlation * joint
    out = np.zeros((groups, prob.shape[1]))
    np.add.at(out, g[starts], per_customer)
    return out


class _Spread:
    """Per (group, customer) variance of the weekly and cumulative cash (one sort for all bands)."""

    def __init__(
        self, amount: np.ndarray, scores: Scores, group: np.ndarray, customer: np.ndarray, correlation: float
    ) -> None:
        order = np.lexsort((customer, group))
        g, c = group[order], customer[order]
        self.starts = (
            np.flatnonzero(np.concatenate([[True], (g[1:] != g[:-1]) | (c[1:] != c[:-1])]))
            if order.size
            else np.zeros(0, dtype=np.int64)
        )
        self.group = g[self.starts]
        a = amount[order].astype(np.float64)[:, None]
        self.parts = {}
        for name, prob in (("weekly", scores.weekly), ("cumulative", scores.cum)):
            if order.size == 0:
                self.parts[name] = np.zeros((0, prob.shape[1]))
                continue
            p = prob[order]
            sd = a * np.sqrt(np.clip(p * (1.0 - p), 0.0, None))
            own = np.add.reduceat(sd * sd, self.starts, axis=0)
            joint = np.add.reduceat(sd, self.starts, axis=0) ** 2
            self.parts[name] = (1.0 - correlation) * own + correlation * joint

    def by_group(self, name: str, groups: int, weight: np.ndarray | None = None) -> np.ndarray:
        """``(groups, weeks)`` variance, each (group, customer) part times ``weight[group] ** 2`` when given."""
        part = self.parts[name]
        if weight is not None:
            part = part * (weight[self.group] ** 2)[:, None]
        if groups == 1:
            return part.sum(axis=0, keepdims=True)
        out = np.zeros((groups, part.shape[1]))
        np.add.at(out, self.group, part)
        return out


def _exact_sums(values: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Exact int64 sums of ``values`` rows per group: ``(groups, columns)``.

    numpy's int64 sums wrap silently, so when the rows could reach the int64
    range (row count times the largest magnitude) the sums are taken on Python
    integers and any that does not fit raises :class:`SumOverflowError`.
    """
    out = np.zeros((groups, values.shape[1]), dtype=np.int64)
    if values.shape[0]:
        order = np.argsort(group, kind="stable")
        g = group[order]
        starts = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]]))
        largest = max(int(values.max()), -int(values.min())) if values.size else 0
        if values.shape[0] * largest <= INT64_MAX:
            out[g[starts]] = np.add.reduceat(values[order], starts, axis=0)
            return out
        exact = np.add.reduceat(values[order].astype(object), starts, axis=0)
        worst = max((abs(int(v)) for v in exact.reshape(-1)), default=0)
        if worst > INT64_MAX:
            raise SumOverflowError(
                f"the forecast's open amount of one entity and currency reaches {mills_to_decimal(worst):,} units, "
                f"more than a 64-bit total of mills can hold ({mills_to_decimal(INT64_MAX):,}): "
                "the forecast is refused rather than shown wrong"
            )
        out[g[starts]] = exact.astype(np.int64)
    return out


def _item_factors(fitted_factors: dict[str, float], disputed: np.ndarray, status: np.ndarray) -> np.ndarray:
    factor = np.ones(disputed.size)
    if "disputed" in fitted_factors:
        factor = np.where(disputed, factor * fitted_factors["disputed"], factor)
    for name in FLAG_STATUSES:
        if name in fitted_factors:
            factor = np.where(status == name, factor * fitted_factors[name], factor)
    return factor


def forecast(
    ledger: Ledger,
    as_of: date,
    weeks: int = 13,
    *,
    entity: str | None = None,
    params: ModelParams | None = None,
    flags: bool = True,
    history: History | None = None,
) -> Forecast:
    """Cash-in forecast of the items open at the end of ``as_of``, for ``weeks`` ISO weeks.

    Learns only from what was known at ``as_of`` (documents dated on or
    before it, allocations dated on or before it). ``entity`` restricts
    everything to one selling entity; ``flags`` applies the disputed flag and
    customer statuses (undated snapshots: leave them out when replaying the
    past). ``history`` (from :func:`~workbench.forecast.model.prepare` on the
    same, entity-filtered ledger) saves preparing it again.

    >>> # fc = forecast(load_ledger("demo/ledger"), date(2026, 11, 20)); fc.total  # doctest: +SKIP
    """
    params = params or ModelParams()
    led = ledger.filter_entity(entity)
    history = history or prepare(led, params.levels)
    items = (
        open_items(led, as_of)
        .select(
            "document_id",
            "customer_id",
            "entity",
            "currency",
            "doc_date",
            "due_date",
            pl.col("due_date").fill_null(pl.col("doc_date")).alias("_due"),
            "open",
            pl.col("disputed").fill_null(False),
        )
        .sort("document_id")
    )
    codes = history.codes_of(items["customer_id"])
    status_all = history.customers["status"].to_numpy()
    wanted = [codes]
    if flags:
        flagged = np.flatnonzero(np.isin(status_all, FLAG_STATUSES))
        wanted += [flagged, np.unique(history.cust[history.disputed & (history.doc <= day_number(as_of))])]
    fitted = fit(history, as_of, params, np.concatenate(wanted) if wanted else codes, flags=flags)
    due = (
        items.select((pl.col("_due") - pl.lit(_EPOCH, pl.Date)).dt.total_days()).to_series().to_numpy().astype(np.int64)
    )
    disputed = items["disputed"].to_numpy().astype(bool)
    status = status_all[codes] if codes.size else np.zeros(0, dtype=object)
    factor = _item_factors(fitted.factors, disputed, status) if flags else None
    scores = score_items(history, fitted, codes, due, cutoffs(history, as_of, weeks), factor)
    return _assemble(led, history, fitted, items, codes, scores, as_of, weeks, entity, params)


def _assemble(
    led: Ledger,
    history: History,
    fitted,
    items: pl.DataFrame,
    codes: np.ndarray,
    scores: Scores,
    as_of: date,
    weeks: int,
    entity: str | None,
    params: ModelParams,
) -> Forecast:
    cur = led.reporting_currency
    places = minor_units(cur)
    hw = horizon_weeks(as_of, weeks)
    starts = hw["week_start"].to_list()
    amount = items["open"].to_numpy().astype(np.int64)
    cum_mills = np.rint(amount[:, None].astype(np.float64) * scores.cum).astype(np.int64)
    cum_mills = np.minimum(np.maximum.accumulate(cum_mills, axis=1), amount[:, None]) if weeks else cum_mills
    week_mills = np.diff(cum_mills, axis=1, prepend=0)

    currencies = sorted(set(items["currency"].to_list())) if items.height else []
    rates = (
        led.fx.rates_on(currencies, as_of)
        if currencies
        else pl.DataFrame(schema={"currency": pl.String, "rate": pl.Int64})
    )
    rate_of = dict(rates.iter_rows())
    item_rate = np.asarray([rate_of[c] for c in items["currency"].to_list()], dtype=np.float64) / RATE_SCALE

    group, keys = _group_codes(items, ["entity", "currency"])
    n_groups = keys.height
    expected = _exact_sums(week_mills, group, n_groups)
    total_open = _exact_sums(amount[:, None], group, n_groups)[:, 0] if n_groups else np.zeros(0, dtype=np.int64)
    spread = _Spread(amount, scores, group, codes, params.band_correlation)
    var = spread.by_group("weekly", n_groups)
    z = params.band_z
    sd = np.sqrt(var)
    low = np.clip(np.rint(expected - z * sd), 0, None).astype(np.int64)
    high = np.minimum(np.rint(expected + z * sd), total_open[:, None]).astype(np.int64)
    high = np.maximum(high, expected)
    low = np.minimum(low, expected)
    weekly = pl.DataFrame(
        {
            "week_start": np.repeat(np.asarray(starts, dtype="datetime64[D]"), n_groups) if n_groups else [],
            "entity": np.tile(keys["entity"].to_numpy(), weeks) if n_groups else [],
            "currency": np.tile(keys["currency"].to_numpy(), weeks) if n_groups else [],
            "_e": expected.T.reshape(-1),
            "_lo": low.T.reshape(-1),
            "_hi": high.T.reshape(-1),
        },
        schema={
            "week_start": pl.Date,
            "entity": pl.String,
            "currency": pl.String,
            "_e": pl.Int64,
            "_lo": pl.Int64,
            "_hi": pl.Int64,
        },
    )
    weekly = (
        weekly.join(rates, on="currency", how="left")
        .with_columns(
            scaled_money_column(pl.col("_e"), AMOUNT_DECIMALS).alias("expected"),
            scaled_money_column(pl.col("_lo"), AMOUNT_DECIMALS).alias("p10"),
            scaled_money_column(pl.col("_hi"), AMOUNT_DECIMALS).alias("p90"),
            scaled_money_column(to_reporting("_e"), CONVERTED_DECIMALS, places).alias("expected_reporting"),
        )
        .sort("week_start", "entity", "currency")
        .select("week_start", "entity", "currency", "expected", "p10", "p90", "expected_reporting")
    )

    total, cumulative = _totals(
        amount, item_rate, spread, week_mills, cum_mills, group, keys, rate_of, starts, params, places
    )
    items = items.join(rates, on="currency", how="left", maintain_order="left")
    return Forecast(
        as_of=as_of,
        weeks=weeks,
        entity=entity,
        reporting_currency=cur,
        weekly=weekly,
        total=total,
        cumulative=cumulative,
        items=_items_frame(history, items, codes, scores, cum_mills, starts, as_of, places),
        customers=_customers_frame(history, fitted, items, codes, amount, cum_mills, item_rate, places),
        adjustments=fitted.flag_stats,
    )


def _totals(amount, item_rate, spread, week_mills, cum_mills, group, keys, rate_of, starts, params, places):
    """Reporting-currency totals per week and cumulatively, each with its band."""
    weeks = len(starts)
    n_groups = keys.height
    group_rate = np.asarray([rate_of[c] for c in keys["currency"].to_list()], dtype=object)
    rate_float = np.asarray([int(r) for r in group_rate], dtype=np.float64) / RATE_SCALE
    out = []
    for name, mills in (("weekly", week_mills), ("cumulative", cum_mills)):
        per_group = _exact_sums(mills, group, n_groups)
        exact = [sum(reporting_value(per_group[g, k], group_rate[g]) for g in range(n_groups)) for k in range(weeks)]
        var = spread.by_group(name, 1, rate_float)[0] if amount.size else np.zeros(weeks)
        cap = float((amount * item_rate).sum()) * RATE_SCALE  # all open money, at scale 10**15
        sd = np.sqrt(var) * RATE_SCALE  # reporting mills → scale 10**15
        mean = np.asarray([float(v) for v in exact])
        low = np.clip(mean - params.band_z * sd, 0.0, None)
        high = np.minimum(mean + params.band_z * sd, cap)
        frame = pl.DataFrame(
            {
                "week": list(range(1, weeks + 1)),
                "week_start": starts,
                "_e": exact,
                "_lo": [min(int(v), e) for v, e in zip(np.rint(low), exact)],
                "_hi": [max(int(v), e) for v, e in zip(np.rint(high), exact)],
            },
            schema={"week": pl.Int64, "week_start": pl.Date, "_e": pl.Int128, "_lo": pl.Int128, "_hi": pl.Int128},
        )
        out.append(
            frame.select(
                "week",
                "week_start",
                *[
                    scaled_money_column(pl.col(c), CONVERTED_DECIMALS, places).alias(n)
                    for c, n in (("_e", "expected"), ("_lo", "p10"), ("_hi", "p90"))
                ],
            )
        )
    return out[0], out[1]


def _items_frame(
    history: History,
    items: pl.DataFrame,
    codes: np.ndarray,
    scores: Scores,
    cum_mills: np.ndarray,
    starts: list[date],
    as_of: date,
    places: int,
) -> pl.DataFrame:
    """One row per open item (``items`` carries the as-of ``rate`` of its currency)."""
    weeks = len(starts)
    median = scores.median_day
    expected_date = pl.Series(np.where(median >= 0, median, 0).astype("datetime64[D]")).cast(pl.Date)
    horizon_last = starts[-1] + timedelta(days=6) if starts else as_of
    frame = items.with_columns(
        (pl.lit(as_of, pl.Date) - pl.col("due_date")).dt.total_days().alias("days_past_due"),
        pl.Series("status", history.customers["status"].to_numpy()[codes] if codes.size else [], dtype=pl.String),
        pl.Series("factor", scores.factor, dtype=pl.Float64),
        pl.Series("prob_in_horizon", scores.in_horizon, dtype=pl.Float64),
        pl.Series("_exp", cum_mills[:, -1] if weeks else np.zeros(items.height, dtype=np.int64), dtype=pl.Int64),
        pl.when(pl.Series(median >= 0)).then(expected_date).alias("expected_date"),
    )
    week_of = pl.col("expected_date") - pl.duration(days=pl.col("expected_date").dt.weekday().cast(pl.Int64) - 1)
    frame = frame.with_columns(
        pl.when(pl.col("expected_date") <= pl.lit(horizon_last, pl.Date)).then(week_of).alias("expected_week"),
        scaled_money_column(pl.col("open"), AMOUNT_DECIMALS).alias("open_document"),
        scaled_money_column(pl.col("_exp"), AMOUNT_DECIMALS).alias("expected_in_horizon"),
        scaled_money_column(to_reporting("open"), CONVERTED_DECIMALS, places).alias("open_reporting"),
        scaled_money_column(to_reporting("_exp"), CONVERTED_DECIMALS, places).alias("expected_reporting"),
    ).join(history.customers.select("customer_id", "name"), on="customer_id", how="left", maintain_order="left")
    frame = frame.with_columns(
        pl.Series(f"p_week_{k + 1}", scores.weekly[:, k], dtype=pl.Float64) for k in range(weeks)
    )
    return frame.select(
        "document_id",
        "customer_id",
        "name",
        "entity",
        "currency",
        "due_date",
        "days_past_due",
        "disputed",
        "status",
        "open_document",
        "open_reporting",
        "prob_in_horizon",
        "expected_in_horizon",
        "expected_reporting",
        "expected_date",
        "expected_week",
        "factor",
        *[f"p_week_{k + 1}" for k in range(weeks)],
    )


def _customers_frame(history, fitted, items, codes, amount, cum_mills, item_rate, places):
    weeks = cum_mills.shape[1]
    four = min(4, weeks)
    rep_open = amount * item_rate
    rep_4 = (cum_mills[:, four - 1] if weeks else np.zeros(amount.size)) * item_rate
    rep_h = (cum_mills[:, -1] if weeks else np.zeros(amount.size)) * item_rate
    row = fitted.row_of[codes] if codes.size else np.zeros(0, dtype=np.int64)
    per = pl.DataFrame(
        {
            "customer_id": items["customer_id"],
            "_open": rep_open,
            "_e4": rep_4,
            "_eh": rep_h,
            "_settled": fitted.settled_items[row] if codes.size else np.zeros(0, dtype=np.int64),
            "_cred": fitted.credibility[row] if codes.size else np.zeros(0),
            "_frail": fitted.frailty[row] if codes.size else np.zeros(0),
        },
        schema={
            "customer_id": pl.String,
            "_open": pl.Float64,
            "_e4": pl.Float64,
            "_eh": pl.Float64,
            "_settled": pl.Int64,
            "_cred": pl.Float64,
            "_frail": pl.Float64,
        },
    )
    scale = 10 ** (3 - places) if places <= 3 else 1
    cents = lambda c: (pl.col(c).sum() / scale).round(0).cast(pl.Int64)  # noqa: E731
    out = per.group_by("customer_id").agg(
        pl.len().alias("items"),
        cents("_open").alias("_o"),
        cents("_e4").alias("_4"),
        cents("_eh").alias("_h"),
        (pl.col("_eh").sum() / pl.col("_open").sum()).alias("prob_in_horizon"),
        pl.col("_settled").first().alias("settled_items"),
        pl.col("_cred").first().alias("credibility"),
        pl.col("_frail").first().alias("recent_factor"),
    )
    attrs = history.customers.select("customer_id", "name", "country", "segment", "status")
    return (
        out.join(attrs, on="customer_id", how="left")
        .with_columns(
            cents_to_decimal(pl.col("_o"), places).alias("open_reporting"),
            cents_to_decimal(pl.col("_4"), places).alias("expected_4_weeks"),
            cents_to_decimal(pl.col("_h"), places).alias("expected_in_horizon"),
        )
        .sort(["expected_in_horizon", "customer_id"], descending=[True, False])
        .select(
            "customer_id",
            "name",
            "country",
            "segment",
            "status",
            "items",
            "open_reporting",
            "expected_4_weeks",
            "expected_in_horizon",
            "prob_in_horizon",
            "settled_items",
            "credibility",
            "recent_factor",
        )
    )
