"""The customer base: the written customers table plus hidden per-customer plans.

The plan holds what drives document generation (behaviour profile, activity
window, invoice counts, amount level, payment habits). It is built from its
own random stream, so it depends only on (seed, as_of, customers, documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from . import _names as names
from . import _world as w
from ._util import cents, day_number, padded_ids

DOCS_PER_CUSTOMER = 66.7  # default density: 1,500 customers -> ~100k documents
MIN_DOCS_PER_CUSTOMER = 12.0
MAX_DOCS_PER_CUSTOMER = 200.0
MAX_CUSTOMERS = 50_000
DEBIT_NOTE_SHARE = 0.008  # of all documents
CREDIT_NOTE_RATE = 0.049  # credit notes kept per invoice (5 % drawn, a few fall after as_of)
HISTORY_YEARS = 3


def history_start(as_of: date) -> date:
    """First day of the generated history: as_of minus three years."""
    year = as_of.year - HISTORY_YEARS
    day = min(as_of.day, 28) if as_of.month == 2 else as_of.day
    return date(year, as_of.month, day)


def scale(customers: int, documents: int | None) -> tuple[int, int]:
    """(number of customers, target number of documents) for the requested size."""
    if documents is None:
        return customers, round(customers * DOCS_PER_CUSTOMER)
    per = min(max(documents / customers, MIN_DOCS_PER_CUSTOMER), MAX_DOCS_PER_CUSTOMER)
    n = min(MAX_CUSTOMERS, max(10, round(documents / per)))
    return n, documents


@dataclass(frozen=True)
class CustomerPlan:
    """Customers table and the per-customer arrays that drive the generators."""

    frame: pl.DataFrame
    ids: pl.Series
    currency: np.ndarray  # str
    entity: np.ndarray  # str
    segment: np.ndarray  # index into SEGMENTS
    profile: np.ndarray  # index into PROFILES
    terms: np.ndarray
    start: np.ndarray  # day numbers of the activity window
    end: np.ndarray
    stop: np.ndarray  # defaulting customers pay nothing after this day
    n_invoices: np.ndarray
    n_debit_notes: np.ndarray
    log_median: np.ndarray  # log of the median invoice amount, billing currency
    batch: np.ndarray  # pays in weekly payment runs (grouped payments)
    run_weekday: np.ndarray
    direct_debit: np.ndarray
    service: np.ndarray  # invoices carry a service period
    method: np.ndarray  # str
    status: np.ndarray  # str

    @property
    def size(self) -> int:
        return int(self.ids.len())


def _shuffled_labels(rng: np.random.Generator, shares: tuple[float, ...], n: int) -> np.ndarray:
    """Exactly proportional labels (at least one of each when n allows), shuffled."""
    counts = np.maximum(np.floor(np.asarray(shares) * n).astype(np.int64), 1 if n >= len(shares) else 0)
    counts[0] += n - counts.sum()
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def _status(rng: np.random.Generator, profile: np.ndarray) -> np.ndarray:
    """Account status, correlated with the behaviour profile."""
    u = rng.random(profile.size)
    status = np.full(profile.size, "active", dtype=object)
    bad = profile == w.DEFAULTING
    status[bad & (u < 0.14)] = "litigation"
    status[bad & (u >= 0.14) & (u < 0.44)] = "hold"
    status[bad & (u >= 0.44) & (u < 0.50)] = "suspended"
    worse = profile == w.DETERIORATING
    status[worse & (u < 0.08)] = "hold"
    status[worse & (u >= 0.08) & (u < 0.11)] = "suspended"
    others = ~bad & ~worse
    status[others & (u < 0.015)] = "closed"
    status[others & (u >= 0.015) & (u < 0.019)] = "hold"
    return status.astype(str)


def _round_limit(values: np.ndarray) -> np.ndarray:
    """Round credit limits to 1,000 (5,000 above 100,000), at least 5,000."""
    step = np.where(values > 100_000, 5_000, 1_000)
    return np.maximum(np.round(values / step) * step, 5_000)


def build_plan(seed: int, as_of: date, n: int, target_documents: int) -> CustomerPlan:
    """Draw the customer base and its plan (vectorised over customers)."""
    rng = np.random.default_rng([seed, 1])
    countries = w.COUNTRIES
    c_idx = rng.choice(len(countries), size=n, p=np.asarray([c.weight for c in countries]))
    country = np.asarray([c.code for c in countries])[c_idx]
    currency = np.asarray([c.currency for c in countries])[c_idx]
    # some Latin American customers are billed in USD, some UK ones in EUR
    u = rng.random(n)
    currency = np.where(np.isin(country, ["BR", "MX"]) & (u < 0.15), "USD", currency)
    currency = np.where((country == "GB") & (u < 0.10), "EUR", currency)
    entity = np.asarray([c.entity for c in countries])[c_idx]
    entity = np.where(rng.random(n) < 0.04, np.asarray(w.ENTITIES)[rng.integers(0, 3, n)], entity)
    language = np.asarray([c.language for c in countries])[c_idx]

    segment = rng.choice(3, size=n, p=np.asarray(w.SEGMENT_SHARE))
    profile = _shuffled_labels(rng, w.PROFILE_SHARE, n)
    status = _status(rng, profile)
    profile = np.where(status == "closed", w.PROMPT, profile)
    terms = rng.choice(np.asarray(w.TERMS_DAYS), size=n, p=np.asarray(w.TERMS_SHARE))
    method_choice = np.empty(n, dtype=object)
    for cur in w.CURRENCIES:
        mask = currency == cur
        opts = w.METHODS[cur]
        p = np.asarray([o[1] for o in opts])
        method_choice[mask] = np.asarray([o[0] for o in opts])[rng.choice(len(opts), size=int(mask.sum()), p=p / p.sum())]
    method_arr = method_choice.astype(str)
    direct_debit = (method_arr == w.DIRECT_DEBIT) & (profile == w.PROMPT)
    method_arr = np.where((method_arr == w.DIRECT_DEBIT) & ~direct_debit, "SEPA transfer", method_arr)

    # activity window
    first, last = day_number(history_start(as_of)), day_number(as_of)
    late_start = rng.random(n) < 0.28
    start = np.where(late_start, rng.integers(first, last - 60, n), first)
    end = np.full(n, last, dtype=np.int64)
    closed = status == "closed"
    start = np.where(closed, first + rng.integers(0, 200, n), start)
    end = np.where(closed, np.minimum(start + 180 + rng.integers(0, 500, n), last - 150), end)
    defaulting = profile == w.DEFAULTING
    stop = np.where(defaulting, last - rng.integers(100, 300, n), np.int64(10**7))
    start = np.where(defaulting & (start > stop - 240), first, start)
    end = np.where(defaulting, np.minimum(last, stop + rng.integers(20, 80, n)), end)

    # invoice counts: exact totals, shared out by activity x frequency
    weight = np.asarray(w.SEGMENT_FREQUENCY)[segment] * rng.lognormal(0.0, 0.35, n) * (end - start + 1)
    p = weight / weight.sum()
    n_dn_total = round(target_documents * DEBIT_NOTE_SHARE)
    n_inv_total = round((target_documents - n_dn_total) / (1.0 + CREDIT_NOTE_RATE))
    n_invoices = rng.multinomial(n_inv_total, p).astype(np.int64)
    n_debit_notes = rng.multinomial(n_dn_total, p).astype(np.int64)

    fx = np.asarray([w.EUR_PER_UNIT[str(c)] for c in currency])
    median_eur = np.asarray(w.SEGMENT_MEDIAN_EUR)[segment] * rng.lognormal(0.0, 0.5, n)
    log_median = np.log(median_eur / fx)

    # credit limit ~ expected exposure over terms + a month
    months = np.maximum((end - start + 1) / 30.4, 1.0)
    monthly = n_invoices / months * median_eur * np.exp(0.8**2 / 2) / fx
    limit_ccy = currency.copy()
    eur_limit = (currency != "EUR") & (rng.random(n) < 0.2)
    limit_ccy[eur_limit] = "EUR"
    limit = monthly * (terms + 30) / 30 * rng.uniform(0.8, 1.5, n) * np.where(eur_limit, fx, 1.0)
    limit = _round_limit(limit)
    insured = np.where(rng.random(n) < 0.45, _round_limit(limit * rng.choice([0.5, 0.75, 1.0], n)), np.nan)
    insured = np.minimum(insured, limit)

    score = np.clip(np.rint(rng.normal(np.asarray(w.SCORE_MEAN)[profile], 11.0)), 1, 99).astype(np.int64)

    ids = padded_ids("C", np.arange(1, n + 1), 6).alias("customer_id")
    frame_names, parent_id = _names_and_groups(rng, c_idx, segment)
    domains = names.slugs(frame_names.str.split(" ").list.head(2).list.join(""))
    tld = pl.Series(np.asarray([c.tld for c in countries])[c_idx])
    phone = np.empty(n, dtype=object)
    vat = np.empty(n, dtype=object)
    for ci, c in enumerate(countries):
        mask = c_idx == ci
        phone[mask] = names.pattern_fill(rng, c.phone, int(mask.sum()))
        vat[mask] = names.pattern_fill(rng, c.vat, int(mask.sum()))
    collector = np.empty(n, dtype=object)
    sales_rep = np.empty(n, dtype=object)
    for e in w.ENTITIES:
        mask = entity == e
        collector[mask] = np.asarray(w.COLLECTORS[e])[rng.integers(0, len(w.COLLECTORS[e]), int(mask.sum()))]
        sales_rep[mask] = np.asarray(w.SALES_REPS[e])[rng.integers(0, len(w.SALES_REPS[e]), int(mask.sum()))]

    frame = pl.DataFrame(
        {
            "customer_id": ids,
            "name": frame_names,
            "country": country,
            "currency": currency,
            "entity": entity,
            "payment_terms_days": terms.astype(np.int64),
            "credit_limit": cents(limit),
            "credit_limit_currency": limit_ccy,
            "insured_limit": cents(np.nan_to_num(insured)),
            "collector": collector.astype(str),
            "sales_rep": sales_rep.astype(str),
            "segment": np.asarray(w.SEGMENTS)[segment],
            "language": language,
            "email": names.emails(rng, pl.select(pl.concat_str([domains, pl.lit("."), tld])).to_series()),
            "phone": phone.astype(str),
            "vat_id": vat.astype(str),
            "external_score": score,
            "status": status,
            "parent_id": parent_id,
        }
    ).with_columns(
        insured_limit=pl.when(pl.Series(np.isnan(insured))).then(None).otherwise(pl.col("insured_limit"))
    )
    batch_p = np.asarray([0.6, 0.3, 0.1])[segment]
    return CustomerPlan(
        frame=frame,
        ids=ids,
        currency=currency,
        entity=entity,
        segment=segment,
        profile=profile,
        terms=terms.astype(np.int64),
        start=start.astype(np.int64),
        end=end.astype(np.int64),
        stop=stop.astype(np.int64),
        n_invoices=n_invoices,
        n_debit_notes=n_debit_notes,
        log_median=log_median,
        batch=(rng.random(n) < batch_p) & ~direct_debit,
        run_weekday=rng.integers(0, 5, n),
        direct_debit=direct_debit,
        service=rng.random(n) < 0.3,
        method=method_arr,
        status=status,
    )


def _names_and_groups(rng: np.random.Generator, c_idx: np.ndarray, segment: np.ndarray) -> tuple[pl.Series, pl.Series]:
    """Legal names and parent ids: a few key accounts head groups of subsidiaries."""
    n = c_idx.size
    country = np.asarray([c.code for c in w.COUNTRIES])[c_idx]
    base = names.base_names(rng, n).to_numpy().astype(object)
    script_at, formula_at = min(7, n - 1), min(13, n - 2)
    parent = np.full(n, None, dtype=object)
    reserved = np.zeros(n, dtype=bool)
    reserved[[script_at, formula_at]] = True
    heads = np.flatnonzero((segment == 0) & ~reserved)
    heads = heads[rng.random(heads.size) < 0.3]
    pool = np.flatnonzero(~reserved & ~np.isin(np.arange(n), heads))
    members = rng.permutation(pool)[: min(pool.size, int(heads.size * 3))]
    if heads.size:
        owner = heads[rng.integers(0, heads.size, members.size)]
        label = np.asarray([c.label for c in w.COUNTRIES], dtype=object)[c_idx[members]]
        base[members] = base[owner] + " " + label
        parent[members] = padded_ids("C", owner + 1, 6).to_numpy()
        base[heads] = base[heads] + " Holding"
    unique = names.make_unique(pl.Series(base.astype(str)), pl.Series(country))
    # legal form: one of the country's forms, from a flat table with offsets
    forms = [f for c in w.COUNTRIES for f in c.forms]
    counts = np.asarray([len(c.forms) for c in w.COUNTRIES])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = offsets[c_idx] + rng.integers(0, 1 << 30, n) % counts[c_idx]
    full = pl.select(pl.format("{} {}", unique, pl.Series(forms).gather(pick))).to_series().to_numpy().astype(object)
    full[script_at] = names.SCRIPT_NAME
    full[formula_at] = names.FORMULA_NAME
    return pl.Series("name", full.astype(str)), pl.Series("parent_id", parent.tolist(), dtype=pl.String)
