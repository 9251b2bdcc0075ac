"""Optional tables and stray cash: open orders, financial statements, unidentified payments."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from . import _world as w
from ._customers import CustomerPlan
from ._util import business_day_within, cents, next_business_day, padded_ids, to_date

ORDER_CUSTOMERS = 0.2
UNIDENTIFIED_PER_1500 = 20


def orders(seed: int, plan: CustomerPlan, as_of: int) -> pl.DataFrame:
    """Open sales orders (not yet invoiced) for ~20 % of the live customers."""
    rng = np.random.default_rng([seed, 3])
    live = ~np.isin(plan.status, ["closed", "litigation"])
    chosen = np.flatnonzero(live & (rng.random(plan.size) < ORDER_CUSTOMERS))
    count = rng.integers(1, 4, chosen.size)
    owner = np.repeat(chosen, count)
    n = owner.size
    order_day = business_day_within(as_of - rng.integers(0, 30, n), as_of)
    by_date = np.lexsort((np.arange(n), order_day))  # number orders in date order
    owner, order_day = owner[by_date], order_day[by_date]
    expected = next_business_day(as_of + rng.integers(3, 45, n))
    amount = np.maximum(cents(np.exp(plan.log_median[owner] + np.log(1.5) + rng.normal(0.0, 0.7, n))), 10_000)
    frame = pl.DataFrame(
        {
            "order_id": padded_ids("SO-", np.arange(1, n + 1), 7),
            "customer_id": plan.ids.gather(owner),
            "currency": pl.Series(plan.currency).gather(owner),
            "amount": amount,
            "order_date": to_date(order_day),
            "expected_invoice_date": to_date(expected),
        }
    )
    unknown = pl.Series(rng.random(n) < 0.1)
    return frame.with_columns(
        expected_invoice_date=pl.when(unknown).then(None).otherwise(pl.col("expected_invoice_date"))
    )


def financials(seed: int, plan: CustomerPlan, as_of: date) -> pl.DataFrame:
    """Two or three annual statements (Dec 31) for ~40 % of customers, consistent by construction.

    equity = total_assets - total_liabilities exactly; current assets below
    total assets; weak payers are more leveraged and often loss-making;
    market value of equity only for listed companies.
    """
    rng = np.random.default_rng([seed, 4])
    share = np.asarray([0.9, 0.5, 0.25])[plan.segment]
    chosen = np.flatnonzero(rng.random(plan.size) < share)
    years = np.where(rng.random(chosen.size) < 0.6, 3, 2)
    owner = np.repeat(chosen, years)
    back = np.concatenate([np.arange(k) for k in years]) if years.size else np.zeros(0, dtype=np.int64)
    latest = as_of.year - 1 if as_of.month >= 5 else as_of.year - 2
    n, m = owner.size, chosen.size
    pick = np.repeat(np.arange(m), years)

    profile = plan.profile[owner]
    fx = np.asarray([w.EUR_PER_UNIT[str(c)] for c in plan.currency[owner]])
    revenue_now = (np.asarray(w.SEGMENT_REVENUE_EUR)[plan.segment[chosen]] * rng.lognormal(0.0, 0.6, m))[pick]
    growth = rng.normal(0.04, 0.08, n)
    revenue = revenue_now / (1.0 + growth) ** back / fx
    assets = revenue * rng.uniform(0.6, 1.4, m)[pick] * rng.uniform(0.95, 1.05, n)
    leverage = np.clip(rng.normal(np.asarray([0.55, 0.65, 0.7, 0.75, 0.92])[profile], 0.1), 0.2, 1.3)
    margin_mean = np.asarray([0.08, 0.05, 0.04, 0.03, -0.04])[profile]
    margin_mean = np.where(profile == w.DETERIORATING, 0.06 - 0.04 * (2 - back), margin_mean)
    margin = rng.normal(margin_mean, 0.03)

    def units(values: np.ndarray) -> np.ndarray:  # whole currency units, in cents
        return np.rint(values).astype(np.int64) * 100

    total_assets = units(assets)
    total_liabilities = units(assets * leverage)
    equity = total_assets - total_liabilities
    ebit = units(revenue * margin)
    net_income = np.where(ebit > 0, units(ebit / 100 * 0.72), units(ebit / 100 * 1.15))
    listed = (rng.random(m) < 0.35)[pick]
    market = np.where(equity > 0, equity / 100 * rng.uniform(0.8, 3.0, n), assets * 0.05)
    frame = pl.DataFrame(
        {
            "customer_id": plan.ids.gather(owner),
            "period_end": pl.select(pl.date(pl.Series(latest - back), 12, 31)).to_series(),  # type: ignore[arg-type]
            "currency": pl.Series(plan.currency).gather(owner),
            "revenue": units(revenue),
            "ebit": ebit,
            "net_income": net_income,
            "total_assets": total_assets,
            "current_assets": units(assets * rng.uniform(0.3, 0.75, n)),
            "current_liabilities": units(assets * leverage * rng.uniform(0.35, 0.75, n)),
            "total_liabilities": total_liabilities,
            "equity": equity,
            "retained_earnings": units(equity / 100 * rng.uniform(0.3, 0.8, n)),
            "intangible_assets": units(assets * rng.uniform(0.0, 0.25, n)),
            "market_value_equity": units(market),
        }
    )
    return frame.with_columns(
        market_value_equity=pl.when(pl.Series(listed)).then(pl.col("market_value_equity")).otherwise(None)
    )


def unidentified_payments(seed: int, n_customers: int, as_of: int, first_number: int) -> pl.DataFrame:
    """Cash received from payers not yet identified: no customer, never allocated."""
    rng = np.random.default_rng([seed, 5])
    n = max(5, round(UNIDENTIFIED_PER_1500 * n_customers / 1500))
    currency = rng.choice(np.asarray(w.CURRENCIES), size=n, p=[0.7, 0.15, 0.1, 0.03, 0.02])
    fx = np.asarray([w.EUR_PER_UNIT[str(c)] for c in currency])
    entity = np.where(np.isin(currency, ["USD", "BRL", "MXN"]), "US01", np.where(rng.random(n) < 0.6, "FR01", "DE01"))
    day = np.sort(business_day_within(as_of - rng.integers(0, 120, n), as_of))
    wire_no = pl.Series(rng.integers(10**9, 10**10, n)).cast(pl.String)
    style = pl.Series(rng.integers(0, 3, n))
    reference = pl.select(
        pl.when(style == 0)
        .then(pl.lit("TRF ") + wire_no)
        .when(style == 1)
        .then(pl.lit("DEPOSIT ") + wire_no.str.slice(0, 6))
        .otherwise(None)
    ).to_series()
    return pl.DataFrame(
        {
            "payment_id": padded_ids("PAY-", first_number + np.arange(n), 8),
            "customer_id": pl.Series([None] * n, dtype=pl.String),
            "value_date": to_date(day),
            "currency": currency,
            "amount": np.maximum(cents(rng.lognormal(np.log(3_000.0), 0.9, n) / fx), 100),
            "entity": entity,
            "reference": reference,
            "method": np.where(entity == "US01", "wire", "SEPA transfer"),
        }
    )
