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

from . import _identity as identity
from ._addresses import addresses
from . import _world as w
from ._util import NEVER, cents, day_number

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


def _methods(rng: np.random.Generator, currency: np.ndarray, profile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Payment method per customer and whether it is collected by direct debit (prompt payers only)."""
    method = np.empty(currency.size, dtype=object)
    for cur in w.CURRENCIES:
        mask = currency == cur
        labels = np.asarray([m for m, _ in w.METHODS[cur]])
        weights = np.asarray([p for _, p in w.METHODS[cur]])
        method[mask] = labels[rng.choice(labels.size, size=int(mask.sum()), p=weights / weights.sum())]
    method = method.astype(str)
    direct_debit = (method == w.DIRECT_DEBIT) & (profile == w.PROMPT)
    method = np.where((method == w.DIRECT_DEBIT) & ~direct_debit, "SEPA transfer", method)
    return method, direct_debit


def _activity(
    rng: np.random.Generator, as_of: date, status: np.ndarray, profile: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, stop) day numbers: when a customer is invoiced, and when a defaulter stops paying.

    Most customers span the whole history, some start later; closed accounts
    ended long ago; defaulting customers stop paying 100-300 days before
    as_of and are invoiced for a few more weeks.
    """
    n = status.size
    first, last = day_number(history_start(as_of)), day_number(as_of)
    start = np.where(rng.random(n) < 0.28, rng.integers(first, last - 60, n), first)
    end = np.full(n, last, dtype=np.int64)
    closed = status == "closed"
    start = np.where(closed, first + rng.integers(0, 200, n), start)
    end = np.where(closed, np.minimum(start + 180 + rng.integers(0, 500, n), last - 150), end)
    defaulting = profile == w.DEFAULTING
    stop = np.where(defaulting, last - rng.integers(100, 300, n), NEVER)
    start = np.where(defaulting & (start > stop - 240), first, start)
    end = np.where(defaulting, np.minimum(last, stop + rng.integers(20, 80, n)), end)
    return start.astype(np.int64), end.astype(np.int64), stop.astype(np.int64)


def _document_counts(
    rng: np.random.Generator, segment: np.ndarray, start: np.ndarray, end: np.ndarray, target_documents: int
) -> tuple[np.ndarray, np.ndarray]:
    """Invoices and debit notes per customer: exact totals shared out by activity x frequency."""
    weight = np.asarray(w.SEGMENT_FREQUENCY)[segment] * rng.lognormal(0.0, 0.35, segment.size) * (end - start + 1)
    p = weight / weight.sum()
    n_dn_total = round(target_documents * DEBIT_NOTE_SHARE)
    n_inv_total = round((target_documents - n_dn_total) / (1.0 + CREDIT_NOTE_RATE))
    return rng.multinomial(n_inv_total, p).astype(np.int64), rng.multinomial(n_dn_total, p).astype(np.int64)


def _round_limit(values: np.ndarray) -> np.ndarray:
    """Round credit limits to 1,000 (5,000 above 100,000), at least 5,000."""
    step = np.where(values > 100_000, 5_000, 1_000)
    return np.maximum(np.round(values / step) * step, 5_000)


def _limits(
    rng: np.random.Generator, currency: np.ndarray, monthly: np.ndarray, terms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(credit limit, its currency, insured limit or NaN): about a month beyond terms of billings."""
    n = currency.size
    fx = np.asarray([w.EUR_PER_UNIT[str(c)] for c in currency])
    limit_ccy = currency.copy()
    eur_limit = (currency != "EUR") & (rng.random(n) < 0.2)
    limit_ccy[eur_limit] = "EUR"
    limit = _round_limit(monthly * (terms + 30) / 30 * rng.uniform(0.8, 1.5, n) * np.where(eur_limit, fx, 1.0))
    insured = np.where(rng.random(n) < 0.45, _round_limit(limit * rng.choice([0.5, 0.75, 1.0], n)), np.nan)
    return limit, limit_ccy, np.minimum(insured, limit)


def build_plan(seed: int, as_of: date, n: int, target_documents: int) -> CustomerPlan:
    """Draw the customer base and its plan (vectorised over customers)."""
    rng = np.random.default_rng([seed, 1])
    countries = w.COUNTRIES
    c_idx = rng.choice(len(countries), size=n, p=np.asarray([c.weight for c in countries]))
    country = np.asarray([c.code for c in countries])[c_idx]
    currency = np.asarray([c.currency for c in countries])[c_idx]
    u = rng.random(n)  # some Latin American customers are billed in USD, some UK ones in EUR
    currency = np.where(np.isin(country, ["BR", "MX"]) & (u < 0.15), "USD", currency)
    currency = np.where((country == "GB") & (u < 0.10), "EUR", currency)
    entity = np.asarray([c.entity for c in countries])[c_idx]
    entity = np.where(rng.random(n) < 0.04, np.asarray(w.ENTITIES)[rng.integers(0, 3, n)], entity)

    segment = rng.choice(3, size=n, p=np.asarray(w.SEGMENT_SHARE))
    profile = _shuffled_labels(rng, w.PROFILE_SHARE, n)
    status = _status(rng, profile)
    profile = np.where(status == "closed", w.PROMPT, profile)
    terms = rng.choice(np.asarray(w.TERMS_DAYS), size=n, p=np.asarray(w.TERMS_SHARE)).astype(np.int64)
    method, direct_debit = _methods(rng, currency, profile)
    start, end, stop = _activity(rng, as_of, status, profile)
    n_invoices, n_debit_notes = _document_counts(rng, segment, start, end, target_documents)

    fx = np.asarray([w.EUR_PER_UNIT[str(c)] for c in currency])
    median_eur = np.asarray(w.SEGMENT_MEDIAN_EUR)[segment] * rng.lognormal(0.0, 0.5, n)
    months = np.maximum((end - start + 1) / 30.4, 1.0)
    monthly = n_invoices / months * median_eur * np.exp(0.8**2 / 2) / fx
    limit, limit_ccy, insured = _limits(rng, currency, monthly, terms)
    score = np.clip(np.rint(rng.normal(np.asarray(w.SCORE_MEAN)[profile], 11.0)), 1, 99).astype(np.int64)

    ident = identity.identities(rng, c_idx, segment, entity)
    frame = pl.DataFrame(
        {
            "customer_id": ident["customer_id"],
            "name": ident["name"],
            "country": country,
            "currency": currency,
            "entity": entity,
            "payment_terms_days": terms,
            "credit_limit": cents(limit),
            "credit_limit_currency": limit_ccy,
            "insured_limit": pl.Series(cents(np.nan_to_num(insured))),
            "collector": ident["collector"],
            "sales_rep": ident["sales_rep"],
            "segment": np.asarray(w.SEGMENTS)[segment],
            "language": np.asarray([c.language for c in countries])[c_idx],
            "email": ident["email"],
            "phone": ident["phone"],
            "vat_id": ident["vat_id"],
            "external_score": score,
            "status": status,
            "parent_id": ident["parent_id"],
            **addresses(seed, c_idx),
        }
    ).with_columns(insured_limit=pl.when(pl.Series(np.isnan(insured))).then(None).otherwise(pl.col("insured_limit")))
    return CustomerPlan(
        frame=frame,
        ids=frame["customer_id"],
        currency=currency,
        entity=entity,
        segment=segment,
        profile=profile,
        terms=terms,
        start=start,
        end=end,
        stop=stop,
        n_invoices=n_invoices,
        n_debit_notes=n_debit_notes,
        log_median=np.log(median_eur / fx),
        batch=(rng.random(n) < np.asarray([0.6, 0.3, 0.1])[segment]) & ~direct_debit,
        run_weekday=rng.integers(0, 5, n),
        direct_debit=direct_debit,
        service=rng.random(n) < 0.3,
        method=method,
        status=status,
    )
