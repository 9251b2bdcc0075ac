"""Credit policy: the weights, bands, classes, limits, terms and thresholds of issue 5.

The default policy ships as ``workbench/data/credit/policy.toml``. A policy
file of your own may set any subset of its keys: it is merged over the
default (tables key by key, lists replaced whole), every key is checked
against the declared shape, unknown keys are refused with the closest known
name, and the merged result is validated as a whole. Numbers are read as
exact decimals (``tomllib`` with ``parse_float=Decimal``).

Reading, merging and checking are the shared policy loader's
(:mod:`workbench.policy`); this module declares the shape (:data:`SHAPE`), the
rules across keys, and builds the typed :class:`Policy`. All problems of a file
are reported at once in one :class:`PolicyError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..policy import PolicyError, PolicyKind, Table, boolean, currency_code, number, text, texts

__all__ = [
    "CLASSES",
    "COMPANY_TYPES",
    "FACTORS",
    "Policy",
    "PolicyError",
    "Terms",
    "default_policy",
    "load_policy",
]

#: Risk classes, best first; "unrated" is used when too few factors are present.
CLASSES: tuple[str, ...] = ("A", "B", "C", "D", "E")
UNRATED = "unrated"
#: The four scorecard factors.
FACTORS: tuple[str, ...] = ("financial", "behaviour", "external", "country")
#: Company types and the Altman model each one uses (CONVENTIONS §7).
COMPANY_TYPES: dict[str, str] = {
    "public_manufacturer": "Z",
    "private_manufacturer": "Z'",
    "non_manufacturing": "Z''",
    "emerging_market": "Z''",
}
OUTCOMES: tuple[str, ...] = ("release", "refer", "hold")
_STATUSES = ("active", "hold", "suspended", "litigation", "closed")


Points = tuple[tuple[Decimal, Decimal], ...]


@dataclass(frozen=True)
class Terms:
    """Recommended terms of one risk class: at most ``max_days`` (0 = no open account) and a text."""

    max_days: int
    text: str


@dataclass(frozen=True)
class Policy:
    """A validated credit policy. Build it with :func:`load_policy`; ``raw`` keeps the merged TOML."""

    source: str
    name: str
    version: str
    currency: str
    # scorecard
    neutral: Decimal
    min_weight_share: Decimal
    weights: dict[str, Decimal]
    classes: tuple[tuple[str, Decimal], ...]
    # financial
    default_company_type: str
    company_type_by_segment: dict[str, str]
    max_statement_age_days: int
    trend_threshold: Decimal
    financial_weights: dict[str, Decimal]
    altman_distress_points: Decimal
    altman_safe_points: Decimal
    profitability_points: Points
    leverage_points: Points
    liquidity_points: Points
    # behaviour
    behaviour_window_days: int
    behaviour_min_documents: int
    overdue_days: int
    payment_weight: Decimal
    overdue_weight: Decimal
    overdue_points: Points
    trend_points_per_day: Decimal
    trend_max_points: Decimal
    trend_min_documents: int
    # country
    country_class_points: tuple[Decimal, ...]
    # limits
    tnw_pct: Decimal
    working_capital_pct: Decimal
    grace_days: int
    purchase_months: int
    max_pct_of_tnw: Decimal
    max_multiple_of_needs: Decimal
    rounding: str
    rounding_steps: tuple[tuple[Decimal, Decimal], ...]
    class_factor: dict[str, Decimal]
    class_cap: dict[str, Decimal]
    terms: dict[str, Terms]
    # exposure and holds
    exposure_include: dict[str, bool]
    delivered_column: str
    hold_statuses: tuple[str, ...]
    max_days_past_due: int
    min_overdue_amount: Decimal
    max_overdue_amount: Decimal
    hold_over_limit: bool
    max_dunning_level: int
    # release
    release_outcomes: dict[str, str]
    over_limit_tolerance_pct: Decimal
    # approval
    approval_levels: tuple[tuple[Decimal, str], ...]
    # onboarding
    onboarding_required: tuple[str, ...]
    name_similarity: Decimal
    legal_forms: tuple[str, ...]
    raw: Mapping[str, Any]

    def risk_class(self, shown_score: Decimal | None) -> str:
        """Class A-E of a score (already rounded for display); ``unrated`` for ``None``."""
        if shown_score is None:
            return UNRATED
        for letter, lowest in self.classes:
            if shown_score >= lowest:
                return letter
        return CLASSES[-1]

    def approval_role(self, amount_in_policy_currency: Decimal) -> str | None:
        """The approver role a limit of this amount needs (highest level exceeded), or ``None``."""
        role = None
        for above, name in self.approval_levels:
            if amount_in_policy_currency > above:
                role = name
        return role

    def company_model(self, company_type: str) -> str:
        """The Altman model ("Z", "Z'", "Z''") of a company type."""
        return COMPANY_TYPES[company_type]


# --------------------------------------------------------------------------- shape


def _points(v: Any) -> str | None:
    if not isinstance(v, list) or len(v) < 2:
        return "must be a list of at least two [value, points] pairs"
    for pair in v:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or any(isinstance(x, bool) or not isinstance(x, (int, Decimal)) for x in pair)
        ):
            return f"each entry must be a [value, points] pair of numbers (bad entry {pair!r})"
        if not 0 <= pair[1] <= 100:
            return f"points must lie in 0..100 (bad entry {pair!r})"
    xs = [p[0] for p in v]
    if any(b <= a for a, b in zip(xs, xs[1:])):
        return "values must be strictly increasing"
    return None


def _class_points(v: Any) -> str | None:
    if not isinstance(v, list) or len(v) != 8:
        return "must list the points of OECD classes 0..7 (8 numbers)"
    if any(isinstance(x, bool) or not isinstance(x, (int, Decimal)) or not 0 <= x <= 100 for x in v):
        return "each entry must be a number in 0..100"
    return None


def _steps(v: Any) -> str | None:
    if not isinstance(v, list) or not v:
        return "must be a list of [from amount, step] pairs"
    for pair in v:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or any(isinstance(x, bool) or not isinstance(x, (int, Decimal)) for x in pair)
            or pair[1] <= 0
        ):
            return f"each entry must be [from amount, positive step] (bad entry {pair!r})"
    if v[0][0] != 0:
        return "the first entry must start from 0"
    if any(b[0] <= a[0] for a, b in zip(v, v[1:])):
        return "from amounts must be strictly increasing"
    return None


def _levels(v: Any) -> str | None:
    if not isinstance(v, list):
        return "must be a list of {above = amount, role = text} tables"
    for level in v:
        if not isinstance(level, dict) or set(level) != {"above", "role"}:
            return f"each level needs exactly the keys 'above' and 'role' (bad level {level!r})"
        if isinstance(level["above"], bool) or not isinstance(level["above"], (int, Decimal)) or level["above"] < 0:
            return f"'above' must be a non-negative amount (bad level {level!r})"
        if not isinstance(level["role"], str) or not level["role"].strip():
            return f"'role' must be a non-empty text (bad level {level!r})"
    aboves = [lv["above"] for lv in v]
    if any(b <= a for a, b in zip(aboves, aboves[1:])):
        return "levels must be in increasing order of 'above'"
    return None


def _segment_map(v: Any) -> str | None:
    if not isinstance(v, dict):
        return "must be a table of segment = company type"
    bad = {k: t for k, t in v.items() if t not in COMPANY_TYPES}
    if bad:
        return f"unknown company type(s) {bad}; allowed: {', '.join(COMPANY_TYPES)}"
    return None


_CLASS_KEYS = {c: number(0, 100) for c in CLASSES}
_TERMS = {"max_days": number(0, 366, whole=True), "text": text()}
_OUTCOME = text(OUTCOMES)

#: The keys of a credit policy: nested tables of checks (a dict is a table whose keys
#: are all required; a callable checks a value, see :mod:`workbench.policy`).
_KEYS: dict[str, Any] = {
    "policy": {"name": text(), "version": text(), "currency": currency_code},
    "scorecard": {
        "neutral": number(0, 100),
        "min_weight_share": number(0, 1),
        "weights": {f: number(0) for f in FACTORS},
        "classes": _CLASS_KEYS,
    },
    "financial": {
        "default_company_type": text(tuple(COMPANY_TYPES)),
        "max_statement_age_days": number(1, whole=True),
        "trend_threshold": number(0),
        "company_type_by_segment": _segment_map,
        "weights": {k: number(0) for k in ("altman", "profitability", "leverage", "liquidity")},
        "points": {
            "altman_distress": number(0, 100),
            "altman_safe": number(0, 100),
            "profitability": _points,
            "leverage": _points,
            "liquidity": _points,
        },
    },
    "behaviour": {
        "window_days": number(1, whole=True),
        "min_documents": number(1, whole=True),
        "overdue_days": number(0, whole=True),
        "payment_weight": number(0),
        "overdue_weight": number(0),
        "overdue_points": _points,
        "trend_points_per_day": number(0),
        "trend_max_points": number(0, 100),
        "trend_min_documents": number(1, whole=True),
    },
    "country": {"class_points": _class_points},
    "limits": {
        "tnw_pct": number(0, 100),
        "working_capital_pct": number(0, 100),
        "grace_days": number(0, whole=True),
        "purchase_months": number(1, 36, whole=True),
        "max_pct_of_tnw": number(0, 100),
        "max_multiple_of_needs": number(0),
        "rounding": text(("down", "nearest")),
        "rounding_steps": _steps,
        "class_factor": {**{c: number(0, 1) for c in CLASSES}, UNRATED: number(0, 1)},
        "class_cap": {**{c: number(0) for c in CLASSES}, UNRATED: number(0)},
    },
    "terms": {**{c: dict(_TERMS) for c in CLASSES}, UNRATED: dict(_TERMS)},
    "exposure": {
        "include_open_ar": boolean,
        "include_unapplied_credit": boolean,
        "include_open_orders": boolean,
        "include_delivered_not_invoiced": boolean,
        "delivered_column": text(),
    },
    "holds": {
        "statuses": texts(_STATUSES),
        "max_days_past_due": number(0, whole=True),
        "min_overdue_amount": number(0),
        "max_overdue_amount": number(0),
        "over_limit": boolean,
        "max_dunning_level": number(1, whole=True),
    },
    "release": {
        "status": _OUTCOME,
        "overdue": _OUTCOME,
        "class_e": _OUTCOME,
        "over_limit": _OUTCOME,
        "over_insured_limit": _OUTCOME,
        "missing_data": _OUTCOME,
        "over_limit_tolerance_pct": number(0, 100),
    },
    "approval": {"levels": _levels},
    "onboarding": {
        "required": texts(),
        "name_similarity": number(Decimal("0.5"), 1),
        "legal_forms": texts(),
    },
}


def _consistency(raw: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Rules across keys (run by the loader only once every key is right)."""
    if sum(raw["scorecard"]["weights"].values()) <= 0:
        yield "scorecard.weights", "at least one weight must be positive"
    if sum(raw["financial"]["weights"].values()) <= 0:
        yield "financial.weights", "at least one weight must be positive"
    classes = [raw["scorecard"]["classes"][c] for c in CLASSES]
    if any(b >= a for a, b in zip(classes, classes[1:])):
        yield (
            "scorecard.classes",
            "thresholds must decrease strictly from A to E "
            f"(are {', '.join(f'{c}={v}' for c, v in zip(CLASSES, classes))})",
        )
    pts = raw["financial"]["points"]
    if pts["altman_distress"] >= pts["altman_safe"]:
        yield "financial.points", "altman_distress must be below altman_safe"
    beh = raw["behaviour"]
    if beh["payment_weight"] + beh["overdue_weight"] <= 0:
        yield "behaviour", "payment_weight + overdue_weight must be positive"
    days = [raw["terms"][c]["max_days"] for c in CLASSES]
    if any(b > a for a, b in zip(days, days[1:])):
        yield "terms", "max_days must not increase from class A to E"


#: The declared shape of a credit policy.
SHAPE = Table(_KEYS, rule=_consistency)
#: The credit policy kind: its shape and its default, ``workbench/data/credit/policy.toml``.
KIND = PolicyKind("credit", SHAPE, "data/credit/policy.toml")


def _points_of(pairs: list[list[Any]]) -> Points:
    return tuple((Decimal(x), Decimal(y)) for x, y in pairs)


def _build(raw: dict[str, Any], source: str) -> Policy:
    sc, fin, beh, lim, hol, rel = (
        raw[k] for k in ("scorecard", "financial", "behaviour", "limits", "holds", "release")
    )
    dec = Decimal
    return Policy(
        source=source,
        name=raw["policy"]["name"],
        version=raw["policy"]["version"],
        currency=raw["policy"]["currency"],
        neutral=dec(sc["neutral"]),
        min_weight_share=dec(sc["min_weight_share"]),
        weights={f: dec(sc["weights"][f]) for f in FACTORS},
        classes=tuple((c, dec(sc["classes"][c])) for c in CLASSES),
        default_company_type=fin["default_company_type"],
        company_type_by_segment=dict(fin["company_type_by_segment"]),
        max_statement_age_days=int(fin["max_statement_age_days"]),
        trend_threshold=dec(fin["trend_threshold"]),
        financial_weights={k: dec(v) for k, v in fin["weights"].items()},
        altman_distress_points=dec(fin["points"]["altman_distress"]),
        altman_safe_points=dec(fin["points"]["altman_safe"]),
        profitability_points=_points_of(fin["points"]["profitability"]),
        leverage_points=_points_of(fin["points"]["leverage"]),
        liquidity_points=_points_of(fin["points"]["liquidity"]),
        behaviour_window_days=int(beh["window_days"]),
        behaviour_min_documents=int(beh["min_documents"]),
        overdue_days=int(beh["overdue_days"]),
        payment_weight=dec(beh["payment_weight"]),
        overdue_weight=dec(beh["overdue_weight"]),
        overdue_points=_points_of(beh["overdue_points"]),
        trend_points_per_day=dec(beh["trend_points_per_day"]),
        trend_max_points=dec(beh["trend_max_points"]),
        trend_min_documents=int(beh["trend_min_documents"]),
        country_class_points=tuple(dec(x) for x in raw["country"]["class_points"]),
        tnw_pct=dec(lim["tnw_pct"]),
        working_capital_pct=dec(lim["working_capital_pct"]),
        grace_days=int(lim["grace_days"]),
        purchase_months=int(lim["purchase_months"]),
        max_pct_of_tnw=dec(lim["max_pct_of_tnw"]),
        max_multiple_of_needs=dec(lim["max_multiple_of_needs"]),
        rounding=lim["rounding"],
        rounding_steps=tuple((dec(a), dec(s)) for a, s in lim["rounding_steps"]),
        class_factor={k: dec(v) for k, v in lim["class_factor"].items()},
        class_cap={k: dec(v) for k, v in lim["class_cap"].items()},
        terms={k: Terms(int(v["max_days"]), v["text"]) for k, v in raw["terms"].items()},
        exposure_include={
            "open_ar": raw["exposure"]["include_open_ar"],
            "unapplied_credit": raw["exposure"]["include_unapplied_credit"],
            "open_orders": raw["exposure"]["include_open_orders"],
            "delivered_not_invoiced": raw["exposure"]["include_delivered_not_invoiced"],
        },
        delivered_column=raw["exposure"]["delivered_column"],
        hold_statuses=tuple(hol["statuses"]),
        max_days_past_due=int(hol["max_days_past_due"]),
        min_overdue_amount=dec(hol["min_overdue_amount"]),
        max_overdue_amount=dec(hol["max_overdue_amount"]),
        hold_over_limit=hol["over_limit"],
        max_dunning_level=int(hol["max_dunning_level"]),
        release_outcomes={k: v for k, v in rel.items() if k != "over_limit_tolerance_pct"},
        over_limit_tolerance_pct=dec(rel["over_limit_tolerance_pct"]),
        approval_levels=tuple((dec(lv["above"]), lv["role"]) for lv in raw["approval"]["levels"]),
        onboarding_required=tuple(raw["onboarding"]["required"]),
        name_similarity=dec(raw["onboarding"]["name_similarity"]),
        legal_forms=tuple(f.casefold() for f in raw["onboarding"]["legal_forms"]),
        raw=raw,
    )


def policy_from_mapping(overrides: Mapping[str, Any], source: str = "<mapping>") -> Policy:
    """A policy from the default with ``overrides`` merged over it (same rules as a file).

    Python floats are read through their shortest text (``0.1`` is exactly ``Decimal("0.1")``).
    """
    return _build(KIND.from_mapping(overrides, source).values, source)


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a credit policy.

    ``None`` gives the default policy shipped with the package. A file may set
    any subset of the default's keys (it is merged over the default); unknown
    keys, missing or mistyped values and inconsistent settings (for example
    class thresholds that do not decrease) raise :class:`PolicyError` listing
    every problem with its dotted key path.

    >>> load_policy().weights["behaviour"]
    Decimal('35')
    """
    if path is None:
        return default_policy()
    return _build(KIND.load(path).values, str(path))


_DEFAULT: Policy | None = None


def default_policy() -> Policy:
    """The default policy (loaded and validated once per process)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = policy_from_mapping({}, KIND.default_label)
    return _DEFAULT
