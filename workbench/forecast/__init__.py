"""Cash-in forecast: when open receivables will be paid, how much per week, and how sure we are.

Public API (frames in, frames out; ``as_of`` always passed, no clock reads)::

    fc = forecast(ledger, date(2026, 11, 20), weeks=13)   # Forecast: .weekly .total .cumulative .items .customers
    backtest(ledger, date(2025, 8, 22), date(2026, 8, 21))  # horizon, method, wape, bias, weeks
    wape(actual, forecast); bias(actual, forecast)
    kaplan_meier(durations, observed); conditional_paid(curve, age, t)

The model (``workbench.forecast.model``) learns per-customer payment-delay
curves in business days with censoring, credibility shrinkage towards
segment / country / entity / ledger, conditioning on the age already
reached, recent-behaviour and flag hazard ratios; the baselines of
CONVENTIONS §10 live in ``workbench.forecast.baselines``.
"""

from .backtest import METHODS, backtest, backtest_weeks
from .baselines import actuals, average_delay_forecast, customer_average_delay, due_date_forecast
from .core import Forecast, forecast
from .metrics import bias, wape
from .model import ModelParams
from .survival import conditional_paid, kaplan_meier, survival_at
from .weeks import HORIZON_GROUPS, horizon_weeks

__all__ = [
    "HORIZON_GROUPS",
    "METHODS",
    "Forecast",
    "ModelParams",
    "actuals",
    "average_delay_forecast",
    "backtest",
    "backtest_weeks",
    "bias",
    "conditional_paid",
    "customer_average_delay",
    "due_date_forecast",
    "forecast",
    "horizon_weeks",
    "kaplan_meier",
    "survival_at",
    "wape",
]
