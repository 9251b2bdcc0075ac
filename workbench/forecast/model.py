"""The payment-date model: credibility-weighted, censored, age-conditioned delay curves per customer.

What the model learns as of D (end of day D), from what was known at D only:

* **Axis.** Time is the *delay past due in business days of the customer's
  country* (``count(payment) − count(due)``, :class:`~workbench.calendar.BusinessDayCounter`):
  "paid 3 business days after due". A due or document date that is not a
  business day counts as the next business day (due on Saturday, met on
  Monday); an allocation dated on a non-business day counts as the business
  day before it (the money had arrived by then). Payments therefore land on business
  days by construction, a weekend or a French holiday is never a payment
  date, and a Friday as-of date has no payment in the rest of its week.
* **Observations.** Each invoice or debit note with ``doc_date <= D`` is
  at risk from its document date. Each allocation dated <= D settles its
  share of the item's amount, in cash (a payment) or not (a credit note):
  an event of that kind at its delay. What is still open at D is censored
  at D's delay. Allocations after D are not seen, so a document settled
  after D is an open (censored) observation. Items are weighted by the
  recency of their due date (half-life ``half_life_days``), rescaled so that
  each customer's weights add up to its number of items (recency shapes the
  curve, the item count sets the credibility).
* **Curves.** Per group, the product-limit (Kaplan–Meier) estimator with
  delayed entry, censoring and two competing ends (cash, credit) on a grid
  of delay bins: S(t) = share of money still open, cash(t) = share paid in
  cash by t (cumulative incidence).
* **Shrinkage.** Down the hierarchy ledger → entity → entity/country →
  entity/country/segment → customer, each group's curves are the
  credibility mixture ``Z · own + (1 − Z) · parent`` with
  ``Z = n / (n + k)``, n the (weighted) number of settled items of the
  group and k = ``prior_strength`` (Bühlmann-style empirical-Bayes
  weighting by the number of settled items). A customer with no history
  gets its segment's curve; one with many settled items, its own.
* **Age.** An item open at D with business-day delay ``a`` is paid in
  cash between a and t with probability ``(cash(t) − cash(a)) / S(a)``. The
  curves need not reach 0: what is left is "not paid within the horizon"
  (never paid, or credited).
* **Recent behaviour.** Each customer gets a hazard ratio (frailty) from its
  settlements of the last ``recent_window_days``: ``(observed + m) /
  (expected + m)``, expected under its own curve, m = ``recent_strength``;
  a customer who stopped paying or slows down is forecast slower.
* **Flags.** Disputed items and customers on hold, suspended or in
  litigation get a further proportional-hazards factor ρ, the same
  observed/expected ratio over the flagged items (expected under their
  customers' curves and frailties), shrunk towards a prior ratio with the
  weight of ``flag_prior_strength`` expected settlements. Both flags are
  undated snapshots in the ledger (as of the file, not as of D), so a
  backtest leaves them out: they would leak the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import cast

import numpy as np
import polars as pl

from ..calendar import BusinessDayCounter
from ..ledger.model import Ledger
from .survival import DelayGrid, grouped_counts

__all__ = ["FLAG_STATUSES", "Fitted", "History", "ModelParams", "day_number", "fit", "prepare"]

_EPOCH = date(1970, 1, 1)
NEVER = np.int64(2**40)  # day number standing for "not settled"
FLAG_STATUSES: tuple[str, ...] = ("hold", "suspended", "litigation")
"""Customer statuses that get a hazard factor in a live forecast."""
NONE = "(none)"


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - _EPOCH).days


@dataclass(frozen=True)
class ModelParams:
    """Tuning of the model (defaults chosen by backtests on the demo company, see the module doc).

    ``half_life_days``: recency weighting of history by due date (None: none).
    ``prior_strength``: k, settled items' worth of the parent curve in a group's curve.
    ``levels``: customer attributes of the shrinkage hierarchy, outermost first.
    ``recent_window_days`` / ``recent_strength``: window and prior weight of the
    per-customer recent-behaviour ratio (0 days: off).
    ``flag_priors``: prior hazard ratio of each flag (``disputed`` and statuses).
    ``band_correlation``: correlation assumed between the amounts of one customer
    in a week when computing the P10–P90 band.
    """

    half_life_days: float | None = 60.0
    prior_strength: float = 1.0
    count_credibility: bool = True
    levels: tuple[str, ...] = ("entity", "country", "segment")
    grid: DelayGrid = field(default_factory=DelayGrid)
    recent_window_days: int = 45
    recent_strength: float = 10.0
    flag_window_days: int = 180
    flag_prior_strength: float = 10.0
    flag_priors: tuple[tuple[str, float], ...] = (
        ("disputed", 0.3),
        ("hold", 0.5),
        ("suspended", 0.5),
        ("litigation", 0.1),
    )
    band_correlation: float = 0.3
    band_z: float = 1.2815515655446004  # standard normal quantile of 0.9


@dataclass(frozen=True)
class History:
    """A ledger's receivables as arrays, prepared once and replayed at any as-of date.

    ``customers`` is in code order (row i has code i) with ``customer_id,
    name, country, entity, segment, status``; ``country_of[code]`` indexes
    ``counter.countries``. Item arrays hold day numbers and, with ``_bd``,
    business-day counts of the customer's country; allocation arrays point
    into the items with the share of the item's amount each settled and
    whether it was cash (a payment) or a credit note.
    """

    customers: pl.DataFrame
    country_of: np.ndarray
    counter: BusinessDayCounter
    document_id: pl.Series
    doc: np.ndarray
    due: np.ndarray
    settled: np.ndarray
    doc_bd: np.ndarray
    due_bd: np.ndarray
    settled_bd: np.ndarray
    cust: np.ndarray
    disputed: np.ndarray
    alloc_item: np.ndarray
    alloc_day: np.ndarray
    alloc_bd: np.ndarray
    alloc_share: np.ndarray
    alloc_cash: np.ndarray
    level_codes: tuple[np.ndarray, ...]
    level_parents: tuple[np.ndarray, ...]
    level_sizes: tuple[int, ...]

    @property
    def status_codes(self) -> dict[str, np.ndarray]:
        """Per flagged status, a boolean array over customer codes."""
        status = self.customers["status"].fill_null("active").to_numpy()
        return {s: status == s for s in FLAG_STATUSES}

    def codes_of(self, customer_ids: pl.Series) -> np.ndarray:
        """Customer codes of ``customer_ids`` (-1 for unknown ones)."""
        table = self.customers.select("customer_id").with_row_index("_code")
        frame = pl.DataFrame({"customer_id": customer_ids.cast(pl.String)})
        joined = frame.join(table, on="customer_id", how="left", maintain_order="left")
        return joined["_code"].fill_null(-1).cast(pl.Int64).to_numpy()

    def business_count(self, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Business-day counts of day numbers ``days`` in the countries of customers ``codes``."""
        return self.counter.count(self.country_of[codes], days)

    def count_at(self, day: date) -> np.ndarray:
        """Business-day count of ``day`` in each country of ``counter.countries``."""
        n = len(self.counter.countries)
        return self.counter.count(np.arange(n), np.full(n, day_number(day)))


def customer_table(ledger: Ledger) -> pl.DataFrame:
    """One row per customer (also those only seen on documents) with the model's attributes."""
    cust = ledger.customers
    cols = {"name": pl.String, "country": pl.String, "entity": pl.String, "segment": pl.String, "status": pl.String}
    for name, dtype in cols.items():
        if name not in cust.columns:
            cust = cust.with_columns(pl.lit(None, dtype).alias(name))
    cust = cust.select("customer_id", *cols)
    seen = ledger.receivables.select("customer_id").unique()
    extra = seen.join(cust, on="customer_id", how="anti")
    if extra.height:
        cust = pl.concat(
            [cust, extra.with_columns(pl.lit(None, t).alias(c) for c, t in cols.items())], how="vertical_relaxed"
        )
    return cust.with_columns(
        pl.col("country").fill_null("").str.strip_chars().str.to_uppercase(),
        pl.col("status").fill_null("active"),
    ).sort("customer_id")


def prepare(ledger: Ledger, levels: Sequence[str] = ModelParams().levels) -> History:
    """Arrays of the ledger's receivables, their allocations and the shrinkage hierarchy of customers."""
    cust = customer_table(ledger).with_row_index("_code")
    disputed = pl.col("disputed").fill_null(False) if "disputed" in ledger.receivables.columns else pl.lit(False)
    rec = (
        ledger.receivables.select(
            "document_id",
            "customer_id",
            "doc_date",
            pl.col("due_date").fill_null(pl.col("doc_date")),
            "consumed",
            "amount",
            disputed.alias("disputed"),
        )
        .join(cust.select("customer_id", "_code"), on="customer_id", how="left")
        .with_row_index("_item")
    )
    epoch = pl.lit(_EPOCH, pl.Date)
    arrays = rec.select(
        (pl.col("doc_date") - epoch).dt.total_days().alias("doc"),
        (pl.col("due_date") - epoch).dt.total_days().alias("due"),
        (pl.col("consumed") - epoch).dt.total_days().fill_null(int(NEVER)).alias("settled"),
        pl.col("_code").cast(pl.Int64).alias("cust"),
    )
    allocs = ledger.allocations.select(
        "document_id", "allocation_date", pl.col("amount").alias("_part"), "source_kind"
    ).join(rec.select("document_id", "_item", "amount"), on="document_id", how="inner")
    countries = sorted(set(cust["country"].to_list()))
    country_of = np.asarray([countries.index(c) for c in cust["country"].to_list()], dtype=np.int64)
    first = cast("date | None", rec["doc_date"].min()) or date(2000, 1, 1)
    last = max(
        d
        for d in (cast("date | None", rec["due_date"].max()), cast("date | None", rec["consumed"].max()), first)
        if d is not None
    )
    counter = BusinessDayCounter(countries, first - timedelta(days=400), last)
    doc = arrays["doc"].to_numpy().astype(np.int64)
    due = arrays["due"].to_numpy().astype(np.int64)
    settled = arrays["settled"].to_numpy().astype(np.int64)
    code = arrays["cust"].to_numpy().astype(np.int64)
    item_country = country_of[code]
    alloc_item = allocs["_item"].to_numpy().astype(np.int64)
    alloc_day = (
        allocs.select((pl.col("allocation_date") - epoch).dt.total_days()).to_series().to_numpy().astype(np.int64)
    )
    return History(
        customers=cust.drop("_code"),
        country_of=country_of,
        counter=counter,
        document_id=rec["document_id"],
        doc=doc,
        due=due,
        settled=settled,
        doc_bd=counter.count(item_country, doc, forward=True),
        due_bd=counter.count(item_country, due, forward=True),
        settled_bd=np.where(
            settled < NEVER, counter.count(item_country, np.where(settled < NEVER, settled, due)), NEVER
        ),
        cust=code,
        disputed=rec["disputed"].to_numpy().astype(bool),
        alloc_item=alloc_item,
        alloc_day=alloc_day,
        alloc_bd=counter.count(item_country[alloc_item], alloc_day),
        alloc_share=(allocs["_part"].cast(pl.Float64) / allocs["amount"].cast(pl.Float64)).to_numpy(),
        alloc_cash=(allocs["source_kind"] == "payment").to_numpy(),
        **_hierarchy(cust, levels),
    )


def _hierarchy(cust: pl.DataFrame, levels: Sequence[str]) -> dict[str, tuple]:
    """Group codes of each customer at each level and each group's parent at the level above."""
    codes, parents, sizes = [], [], []
    previous = np.zeros(cust.height, dtype=np.int64)
    for depth in range(1, len(levels) + 1):
        key = cust.select(
            pl.concat_str([pl.col(c).cast(pl.String).fill_null(NONE) for c in levels[:depth]], separator="\x1f")
        ).to_series()
        code = key.rank("dense").cast(pl.Int64).to_numpy() - 1 if cust.height else np.zeros(0, dtype=np.int64)
        size = int(code.max()) + 1 if code.size else 0
        parent = np.zeros(size, dtype=np.int64)
        parent[code] = previous
        codes.append(code)
        parents.append(parent)
        sizes.append(size)
        previous = code
    return {"level_codes": tuple(codes), "level_parents": tuple(parents), "level_sizes": tuple(sizes)}


@dataclass(frozen=True)
class Fitted:
    """Curves fitted as of one date for the customers in ``rows``.

    ``log_s[r, b]``: log of the share of money still open at the end of
    delay bin b (paid or credited: both end the item); ``cash[r, b]``: share
    of money paid in cash by the end of bin b (cumulative incidence). A
    customer's row is ``row_of[code]`` (-1 when not fitted).
    ``settled_items``/``observed_items``: each fitted customer's settled and
    observed items at D; ``credibility``: its weight Z against its parent;
    ``frailty``: its recent-behaviour hazard ratio; ``factors``: each flag's
    hazard ratio (empty when flags are not used).
    """

    as_of: date
    params: ModelParams
    rows: np.ndarray
    row_of: np.ndarray
    log_s: np.ndarray
    cash: np.ndarray
    settled_items: np.ndarray
    observed_items: np.ndarray
    credibility: np.ndarray
    frailty: np.ndarray
    factors: dict[str, float]
    flag_stats: pl.DataFrame

    def log_survival(self, codes: np.ndarray, delay: np.ndarray) -> np.ndarray:
        """log S(delay) of each item from its customer's curve."""
        return self.params.grid.value_at(self.log_s, self.row_of[codes], delay)

    def curves_at(self, codes: np.ndarray, delay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log S, cash incidence) of each item at ``delay`` on its customer's curve."""
        log_s, cash = self.params.grid.values_at([self.log_s, self.cash], self.row_of[codes], delay)
        return log_s, cash

    def cash_incidence(self, codes: np.ndarray, delay: np.ndarray) -> np.ndarray:
        """Share of money paid in cash by ``delay`` (from the item's start) on its customer's curve."""
        return self.params.grid.value_at(self.cash, self.row_of[codes], delay)


def _weights(age_of_due: np.ndarray, half_life: float | None) -> np.ndarray:
    if not half_life:
        return np.ones(age_of_due.size)
    return np.exp2(-np.clip(age_of_due, 0, None) / half_life)


def _curves(at_risk: np.ndarray, events: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Empirical (survival, cash incidence) at bin ends from at-risk and (cash, credit) event weights.

    Product-limit estimator with two competing ends: S(b) = Π(1 − h_cash − h_credit) and
    cash(b) = Σ S(j−1) · h_cash(j). Where nothing is at risk the hazards are 0.
    """
    cash_ev, credit_ev = events
    safe = np.where(at_risk > 1e-9, at_risk, 1.0)
    h_cash = np.where(at_risk > 1e-9, cash_ev / safe, 0.0)
    h_all = np.clip(h_cash + np.where(at_risk > 1e-9, credit_ev / safe, 0.0), 0.0, 1.0)
    surv = np.cumprod(1.0 - h_all, axis=1)
    before = np.concatenate([np.ones((surv.shape[0], 1)), surv[:, :-1]], axis=1)
    return surv, np.cumsum(before * h_cash, axis=1)


def _blend(
    surv: np.ndarray, cash: np.ndarray, parent_surv: np.ndarray, parent_cash: np.ndarray, credibility: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Credibility mixture Z · own + (1 − Z) · parent of survival and cash incidence curves."""
    z = credibility[:, None]
    return z * surv + (1.0 - z) * parent_surv, z * cash + (1.0 - z) * parent_cash


def fit(history: History, as_of: date, params: ModelParams, customers: np.ndarray, *, flags: bool = False) -> Fitted:
    """Fit the curves of ``customers`` (codes) from what was known at the end of ``as_of``."""
    grid = params.grid
    bins = grid.size
    d_num = day_number(as_of)
    n_cust = history.customers.height
    seen = np.flatnonzero(history.doc <= d_num)
    cust = history.cust[seen]
    due_bd = history.due_bd[seen]
    weight = _weights(d_num - history.due[seen], params.half_life_days)
    if params.count_credibility:
        total = np.bincount(cust, weights=weight, minlength=n_cust)
        count = np.bincount(cust, minlength=n_cust)
        weight = weight * (count / np.where(total > 0, total, 1.0))[cust]
    entry = grid.bin(history.doc_bd[seen] - due_bd)
    d_bd = history.count_at(as_of)[history.country_of[cust]]

    # pieces: each allocation dated <= D settles its share of the item (cash or credit); the rest is censored at D
    known = history.alloc_day <= d_num
    position = np.full(history.doc.size, -1, dtype=np.int64)
    position[seen] = np.arange(seen.size)
    a_pos = position[history.alloc_item[known]]
    share = history.alloc_share[known]
    still = np.clip(1.0 - np.bincount(a_pos, weights=share, minlength=seen.size), 0.0, 1.0)
    open_pos = np.flatnonzero(still > 1e-9)
    p_pos = np.concatenate([a_pos, open_pos])
    p_exit = np.concatenate([history.alloc_bd[known], d_bd[open_pos]]) - due_bd[p_pos]
    p_weight = weight[p_pos] * np.concatenate([share, still[open_pos]])
    p_cash = np.concatenate([history.alloc_cash[known], np.zeros(open_pos.size, dtype=bool)])
    p_event = np.concatenate([np.ones(a_pos.size, dtype=bool), np.zeros(open_pos.size, dtype=bool)])
    p_entry = entry[p_pos]
    p_exit = np.maximum(grid.bin(p_exit), p_entry)
    p_cust = cust[p_pos]
    kinds = [np.where(p_cash, p_weight, 0.0), np.where(p_event & ~p_cash, p_weight, 0.0)]
    ended = kinds[0] + kinds[1]
    k = params.prior_strength

    surv, cash = _curves(
        *grouped_counts(np.zeros(p_pos.size, dtype=np.int64), 1, p_entry, p_exit, p_weight, kinds, bins)
    )
    for codes, parent, size in zip(history.level_codes, history.level_parents, history.level_sizes):
        group = codes[p_cust]
        own = _curves(*grouped_counts(group, size, p_entry, p_exit, p_weight, kinds, bins))
        n_settled = np.bincount(group, weights=ended, minlength=size)
        surv, cash = _blend(*own, surv[parent], cash[parent], n_settled / (n_settled + k))

    wanted = np.unique(np.asarray(customers, dtype=np.int64))
    row_of = np.full(n_cust, -1, dtype=np.int64)
    row_of[wanted] = np.arange(wanted.size)
    rows = row_of[p_cust]
    mine = rows >= 0
    own = _curves(
        *grouped_counts(
            rows[mine], wanted.size, p_entry[mine], p_exit[mine], p_weight[mine], [kinds[0][mine], kinds[1][mine]], bins
        )
    )
    n_settled = np.bincount(rows[mine], weights=ended[mine], minlength=wanted.size)
    top = history.level_codes[-1][wanted] if history.level_codes else np.zeros(wanted.size, dtype=np.int64)
    credibility = n_settled / (n_settled + k)
    surv, cash = _blend(*own, surv[top], cash[top], credibility)
    del own
    log_s = np.log(np.maximum(surv, 1e-300))
    del surv

    item_rows = row_of[cust]
    fitted_items = item_rows >= 0
    settled_now = history.settled[seen] <= d_num
    settled_items = np.bincount(
        item_rows[fitted_items], weights=settled_now[fitted_items], minlength=wanted.size
    ).astype(np.int64)
    observed_items = np.bincount(item_rows[fitted_items], minlength=wanted.size).astype(np.int64)

    fitted = Fitted(
        as_of,
        params,
        wanted,
        row_of,
        log_s,
        cash,
        settled_items,
        observed_items,
        credibility,
        np.ones(wanted.size),
        {},
        _empty_flag_stats(),
    )
    if params.recent_window_days:
        fitted = Fitted(
            as_of,
            params,
            wanted,
            row_of,
            log_s,
            cash,
            settled_items,
            observed_items,
            credibility,
            _frailty(history, fitted, seen, d_num),
            {},
            _empty_flag_stats(),
        )
    if not flags:
        return fitted
    factors, stats = _flag_factors(history, fitted, seen, d_num)
    return Fitted(
        as_of,
        params,
        wanted,
        row_of,
        log_s,
        cash,
        settled_items,
        observed_items,
        credibility,
        fitted.frailty,
        factors,
        stats,
    )


def _exposure(
    history: History, fitted: Fitted, items: np.ndarray, d_num: int, window_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """(expected, observed) settlements of ``items`` (indices into the history) on days (D − window, D]."""
    codes = history.cust[items]
    start = d_num - window_days
    country = history.country_of[codes]
    n = len(history.counter.countries)
    start_bd = history.counter.count(np.arange(n), np.full(n, start))[country]
    d_bd = history.count_at(fitted.as_of)[country]
    exit_bd = np.where(history.settled[items] <= d_num, history.settled_bd[items], d_bd)
    first_bd = np.maximum(history.doc_bd[items], start_bd)
    exposed = (exit_bd > first_bd) & (history.settled[items] > start)
    due_bd = history.due_bd[items]
    drop = fitted.log_survival(codes, first_bd - due_bd) - fitted.log_survival(codes, exit_bd - due_bd)
    expected = np.where(exposed, np.clip(drop, 0.0, None), 0.0)
    observed = (history.settled[items] <= d_num) & (history.settled[items] > start)
    return expected, observed.astype(np.float64)


def _frailty(history: History, fitted: Fitted, seen: np.ndarray, d_num: int) -> np.ndarray:
    """Per fitted customer: (observed + m) / (expected + m) settlements over the recent window."""
    params = fitted.params
    rows = fitted.row_of[history.cust[seen]]
    items = seen[rows >= 0]
    expected, observed = _exposure(history, fitted, items, d_num, params.recent_window_days)
    e = np.bincount(rows[rows >= 0], weights=expected, minlength=fitted.rows.size)
    o = np.bincount(rows[rows >= 0], weights=observed, minlength=fitted.rows.size)
    m = params.recent_strength
    return (o + m) / (e + m)


def _empty_flag_stats() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "flag": pl.String,
            "items": pl.Int64,
            "observed": pl.Float64,
            "expected": pl.Float64,
            "prior": pl.Float64,
            "factor": pl.Float64,
        }
    )


def _flag_factors(
    history: History, fitted: Fitted, seen: np.ndarray, d_num: int
) -> tuple[dict[str, float], pl.DataFrame]:
    """Hazard ratio of each flag: (observed + m · prior) / (expected + m) over the recent window."""
    params = fitted.params
    cust = history.cust[seen]
    masks = {"disputed": history.disputed[seen]}
    for status, by_customer in history.status_codes.items():
        masks[status] = by_customer[cust]
    factors: dict[str, float] = {}
    rows = []
    m = params.flag_prior_strength
    for flag, prior in params.flag_priors:
        mask = masks.get(flag)
        if mask is None:
            continue
        items = seen[mask & (fitted.row_of[cust] >= 0)]
        expected, observed = _exposure(history, fitted, items, d_num, params.flag_window_days)
        rho = fitted.frailty[fitted.row_of[history.cust[items]]]
        e, o = float((expected * rho).sum()), float(observed.sum())
        factor = (o + m * prior) / (e + m)
        factors[flag] = factor
        rows.append(
            {"flag": flag, "items": int(items.size), "observed": o, "expected": e, "prior": prior, "factor": factor}
        )
    return factors, pl.DataFrame(rows, schema=_empty_flag_stats().schema)
