"""Credit risk (issue 5): financial analysis, scorecard, limits, exposure, order release, onboarding.

Every function takes frames or a :class:`~workbench.ledger.Ledger` plus an
explicit ``as_of`` date and returns frames (or small records); nothing reads
the clock. Figures follow CONVENTIONS §6-§7; the tunable parts (weights,
bands, classes, caps, terms, thresholds) come from a policy file, by default
``workbench/data/credit/policy.toml`` (see :func:`load_policy`).

Public API:

- :func:`financial_analysis`: ratios, Altman Z / Z' / Z'' with zones, the
  financial score and the trend per customer and statement;
- :func:`altman_z`, :func:`altman_z_prime`, :func:`altman_z_double_prime`,
  :func:`altman_zone`;
- :func:`behaviour_score`: payment behaviour score from the ledger;
- :func:`country_risk`, :func:`load_country_table`: OECD classes (dated table);
- :func:`score_customers`: 0-100 score, class A-E, points per factor, explanation;
- :func:`recommend_limits`, :func:`three_method_limit`: §7 limits, recommended limit and terms;
- :func:`exposure`, :func:`over_limit`, :func:`hold_recommendations`;
- :func:`check_order` -> :class:`Decision`: release / hold / refer with reasons;
- :class:`DecisionLog`: decisions, overrides and limit changes recorded in the journal;
- :func:`onboarding_check`: VAT, IBAN, duplicates, missing data;
- :func:`roc_auc`, :func:`bankruptcy_validation`: validation on outcomes;
- :func:`load_policy`, :class:`Policy`, :class:`PolicyError`.
"""

from .behaviour import behaviour_score
from .country import country_risk, load_country_table
from .decisions import ApprovalRequiredError, DecisionLog, DecisionLogError
from .export import flat_frame, json_records
from .exposure import exposure, highest_dunning_level, hold_recommendations, over_limit
from .financials import (
    altman_z,
    altman_z_double_prime,
    altman_z_prime,
    altman_zone,
    financial_analysis,
    financial_score,
    latest_financials,
)
from .limits import recommend_limits, round_limit, three_method_limit
from .onboarding import check_iban, check_vat, normalise_name, onboarding_check
from .policy import Policy, PolicyError, load_policy
from .release import Decision, Finding, check_order
from .scorecard import score_customers
from .validation import bankruptcy_validation, roc_auc

__all__ = [
    "ApprovalRequiredError",
    "Decision",
    "DecisionLog",
    "DecisionLogError",
    "Finding",
    "Policy",
    "PolicyError",
    "altman_z",
    "altman_z_double_prime",
    "altman_z_prime",
    "altman_zone",
    "bankruptcy_validation",
    "behaviour_score",
    "check_iban",
    "check_order",
    "check_vat",
    "country_risk",
    "exposure",
    "financial_analysis",
    "financial_score",
    "flat_frame",
    "highest_dunning_level",
    "hold_recommendations",
    "json_records",
    "latest_financials",
    "load_country_table",
    "load_policy",
    "normalise_name",
    "onboarding_check",
    "over_limit",
    "recommend_limits",
    "roc_auc",
    "round_limit",
    "score_customers",
    "three_method_limit",
]
