"""Credit policy: the weights, bands, classes, limits, terms and thresholds of issue 5.

The default policy ships as ``workbench/data/credit/policy.toml``. A policy
file of your own may set any subset of its keys: it is merged over the
default (tables key by key, lists replaced whole), every key is checked
against the declared shape, unknown keys are refused with the closest known
name, and the merged result is validated as a whole. Numbers are read as
exact decimals (``tomllib`` with ``parse_float=Decimal``).

All problems of a file are reported at once in one :class:`PolicyError`.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError

__all__ = [
    "CLASSES", "COMPANY_TYPES", "FACTORS", "Policy", "PolicyError", "Terms", "default_policy", "load_policy",
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


class PolicyError(WorkbenchError):
    """A policy file is missing, unreadable, or breaks the declared shape (all problems listed)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid credit policy {source}:\n{lines}")


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

Check = Callable[[Any], str | None]


def _num(lo: Decimal | int | None = None, hi: Decimal | int | None = None, integer: bool = False) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            return f"must be a number, not {_kind(v)}"
        if integer and int(v) != v:
            return "must be a whole number"
        if lo is not None and v < lo:
            return f"must be >= {lo} (is {v})"
        if hi is not None and v > hi:
            return f"must be <= {hi} (is {v})"
        return None
    return check


def _str(choices: tuple[str, ...] | None = None) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return f"must be text, not {_kind(v)}"
        if choices is not None and v not in choices:
            return f"must be one of {', '.join(repr(c) for c in choices)} (is {v!r})"
        return None
    return check


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else f"must be true or false, not {_kind(v)}"


def _currency(v: Any) -> str | None:
    if not isinstance(v, str) or len(v) != 3 or not v.isalpha() or not v.isupper():
        return f"must be an ISO 4217 code such as \"EUR\" (is {v!r})"
    return None


def _str_list(choices: tuple[str, ...] | None = None) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return "must be a list of texts"
        bad = [x for x in v if choices is not None and x not in choices]
        return f"unknown value(s) {', '.join(map(repr, bad))}; allowed: {', '.join(choices or ())}" if bad else None
    return check


def _points(v: Any) -> str | None:
    if not isinstance(v, list) or len(v) < 2:
        return "must be a list of at least two [value, points] pairs"
    for pair in v:
        if (not isinstance(pair, list) or len(pair) != 2
                or any(isinstance(x, bool) or not isinstance(x, (int, Decimal)) for x in pair)):
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
        if (not isinstance(pair, list) or len(pair) != 2
                or any(isinstance(x, bool) or not isinstance(x, (int, Decimal)) for x in pair) or pair[1] <= 0):
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


def _kind(v: Any) -> str:
    return {bool: "a boolean", str: "text", list: "a list", dict: "a table"}.get(type(v), type(v).__name__)


_CLASS_KEYS = {c: _num(0, 100) for c in CLASSES}
_TERMS = {"max_days": _num(0, 366, integer=True), "text": _str()}
_OUTCOME = _str(OUTCOMES)

#: The declared shape of a policy: nested tables of checks. A dict value is a table
#: whose keys are all required; a callable validates a value.
SHAPE: dict[str, Any] = {
    "policy": {"name": _str(), "version": _str(), "currency": _currency},
    "scorecard": {
        "neutral": _num(0, 100),
        "min_weight_share": _num(0, 1),
        "weights": {f: _num(0) for f in FACTORS},
        "classes": _CLASS_KEYS,
    },
    "financial": {
        "default_company_type": _str(tuple(COMPANY_TYPES)),
        "max_statement_age_days": _num(1, integer=True),
        "trend_threshold": _num(0),
        "company_type_by_segment": _segment_map,
        "weights": {k: _num(0) for k in ("altman", "profitability", "leverage", "liquidity")},
        "points": {
            "altman_distress": _num(0, 100), "altman_safe": _num(0, 100),
            "profitability": _points, "leverage": _points, "liquidity": _points,
        },
    },
    "behaviour": {
        "window_days": _num(1, integer=True),
        "min_documents": _num(1, integer=True),
        "overdue_days": _num(0, integer=True),
        "payment_weight": _num(0),
        "overdue_weight": _num(0),
        "overdue_points": _points,
        "trend_points_per_day": _num(0),
        "trend_max_points": _num(0, 100),
        "trend_min_documents": _num(1, integer=True),
    },
    "country": {"class_points": _class_points},
    "limits": {
        "tnw_pct": _num(0, 100),
        "working_capital_pct": _num(0, 100),
        "grace_days": _num(0, integer=True),
        "purchase_months": _num(1, 36, integer=True),
        "max_pct_of_tnw": _num(0, 100),
        "max_multiple_of_needs": _num(0),
        "rounding": _str(("down", "nearest")),
        "rounding_steps": _steps,
        "class_factor": {**{c: _num(0, 1) for c in CLASSES}, UNRATED: _num(0, 1)},
        "class_cap": {**{c: _num(0) for c in CLASSES}, UNRATED: _num(0)},
    },
    "terms": {**{c: dict(_TERMS) for c in CLASSES}, UNRATED: dict(_TERMS)},
    "exposure": {
        "include_open_ar": _bool, "include_unapplied_credit": _bool, "include_open_orders": _bool,
        "include_delivered_not_invoiced": _bool, "delivered_column": _str(),
    },
    "holds": {
        "statuses": _str_list(_STATUSES),
        "max_days_past_due": _num(0, integer=True),
        "min_overdue_amount": _num(0),
        "max_overdue_amount": _num(0),
        "over_limit": _bool,
        "max_dunning_level": _num(1, integer=True),
    },
    "release": {
        "status": _OUTCOME, "overdue": _OUTCOME, "class_e": _OUTCOME, "over_limit": _OUTCOME,
        "over_insured_limit": _OUTCOME, "missing_data": _OUTCOME, "over_limit_tolerance_pct": _num(0, 100),
    },
    "approval": {"levels": _levels},
    "onboarding": {
        "required": _str_list(),
        "name_similarity": _num(Decimal("0.5"), 1),
        "legal_forms": _str_list(),
    },
}


def _walk(value: Any, shape: Any, path: str, problems: list[str]) -> None:
    if callable(shape):
        problem = shape(value)
        if problem:
            problems.append(f"{path}: {problem}")
        return
    if not isinstance(value, dict):
        problems.append(f"{path}: must be a table, not {_kind(value)}")
        return
    for key in value:
        if key not in shape:
            close = difflib.get_close_matches(key, list(shape), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(shape)})"
            problems.append(f"{_join(path, key)}: unknown key{hint}")
    for key, sub in shape.items():
        if key not in value:
            problems.append(f"{_join(path, key)}: missing")
        else:
            _walk(value[key], sub, _join(path, key), problems)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "company_type_by_segment":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _semantic(raw: dict[str, Any], problems: list[str]) -> None:
    """Rules across keys (run only when the shape is right)."""
    weights = raw["scorecard"]["weights"]
    if sum(weights.values()) <= 0:
        problems.append("scorecard.weights: at least one weight must be positive")
    if sum(raw["financial"]["weights"].values()) <= 0:
        problems.append("financial.weights: at least one weight must be positive")
    classes = [raw["scorecard"]["classes"][c] for c in CLASSES]
    if any(b >= a for a, b in zip(classes, classes[1:])):
        problems.append("scorecard.classes: thresholds must decrease strictly from A to E "
                        f"(are {', '.join(f'{c}={v}' for c, v in zip(CLASSES, classes))})")
    pts = raw["financial"]["points"]
    if pts["altman_distress"] >= pts["altman_safe"]:
        problems.append("financial.points: altman_distress must be below altman_safe")
    beh = raw["behaviour"]
    if beh["payment_weight"] + beh["overdue_weight"] <= 0:
        problems.append("behaviour: payment_weight + overdue_weight must be positive")
    terms = raw["terms"]
    days = [terms[c]["max_days"] for c in CLASSES]
    if any(b > a for a, b in zip(days, days[1:])):
        problems.append("terms: max_days must not increase from class A to E")


def _exact(value: Any) -> Any:
    """Python floats of a mapping as exact decimals of their shortest text (0.1 -> Decimal('0.1'))."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def _points_of(pairs: list[list[Any]]) -> Points:
    return tuple((Decimal(x), Decimal(y)) for x, y in pairs)


def _build(raw: dict[str, Any], source: str) -> Policy:
    sc, fin, beh, lim, hol, rel = (raw[k] for k in ("scorecard", "financial", "behaviour", "limits", "holds", "release"))
    dec = Decimal
    return Policy(
        source=source,
        name=raw["policy"]["name"], version=raw["policy"]["version"], currency=raw["policy"]["currency"],
        neutral=dec(sc["neutral"]), min_weight_share=dec(sc["min_weight_share"]),
        weights={f: dec(sc["weights"][f]) for f in FACTORS},
        classes=tuple((c, dec(sc["classes"][c])) for c in CLASSES),
        default_company_type=fin["default_company_type"],
        company_type_by_segment=dict(fin["company_type_by_segment"]),
        max_statement_age_days=int(fin["max_statement_age_days"]), trend_threshold=dec(fin["trend_threshold"]),
        financial_weights={k: dec(v) for k, v in fin["weights"].items()},
        altman_distress_points=dec(fin["points"]["altman_distress"]),
        altman_safe_points=dec(fin["points"]["altman_safe"]),
        profitability_points=_points_of(fin["points"]["profitability"]),
        leverage_points=_points_of(fin["points"]["leverage"]),
        liquidity_points=_points_of(fin["points"]["liquidity"]),
        behaviour_window_days=int(beh["window_days"]), behaviour_min_documents=int(beh["min_documents"]),
        overdue_days=int(beh["overdue_days"]), payment_weight=dec(beh["payment_weight"]),
        overdue_weight=dec(beh["overdue_weight"]), overdue_points=_points_of(beh["overdue_points"]),
        trend_points_per_day=dec(beh["trend_points_per_day"]), trend_max_points=dec(beh["trend_max_points"]),
        trend_min_documents=int(beh["trend_min_documents"]),
        country_class_points=tuple(dec(x) for x in raw["country"]["class_points"]),
        tnw_pct=dec(lim["tnw_pct"]), working_capital_pct=dec(lim["working_capital_pct"]),
        grace_days=int(lim["grace_days"]), purchase_months=int(lim["purchase_months"]),
        max_pct_of_tnw=dec(lim["max_pct_of_tnw"]), max_multiple_of_needs=dec(lim["max_multiple_of_needs"]),
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
        hold_statuses=tuple(hol["statuses"]), max_days_past_due=int(hol["max_days_past_due"]),
        min_overdue_amount=dec(hol["min_overdue_amount"]), max_overdue_amount=dec(hol["max_overdue_amount"]),
        hold_over_limit=hol["over_limit"], max_dunning_level=int(hol["max_dunning_level"]),
        release_outcomes={k: v for k, v in rel.items() if k != "over_limit_tolerance_pct"},
        over_limit_tolerance_pct=dec(rel["over_limit_tolerance_pct"]),
        approval_levels=tuple((dec(lv["above"]), lv["role"]) for lv in raw["approval"]["levels"]),
        onboarding_required=tuple(raw["onboarding"]["required"]),
        name_similarity=dec(raw["onboarding"]["name_similarity"]),
        legal_forms=tuple(f.casefold() for f in raw["onboarding"]["legal_forms"]),
        raw=raw,
    )


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"not valid TOML: {exc}"]) from exc


def _default_raw() -> dict[str, Any]:
    text = resources.files("workbench.data.credit").joinpath("policy.toml").read_text(encoding="utf-8")
    return _read_toml(text, "default policy (workbench/data/credit/policy.toml)")


def policy_from_mapping(overrides: Mapping[str, Any], source: str = "<mapping>") -> Policy:
    """A policy from the default with ``overrides`` merged over it (same rules as a file).

    Python floats are read through their shortest text (``0.1`` is exactly ``Decimal("0.1")``).
    """
    raw = _merge(_default_raw(), _exact(dict(overrides)))
    problems: list[str] = []
    _walk(raw, SHAPE, "", problems)
    if not problems:
        _semantic(raw, problems)
    if problems:
        raise PolicyError(source, problems)
    return _build(raw, source)


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
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(str(file), [f"cannot read the file: {exc.strerror or exc}"]) from exc
    return policy_from_mapping(_read_toml(text, str(file)), str(file))


_DEFAULT: Policy | None = None


def default_policy() -> Policy:
    """The default policy (loaded and validated once per process)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = policy_from_mapping({}, "default policy (workbench/data/credit/policy.toml)")
    return _DEFAULT
