"""The collections policy: dunning levels and variants, the sender, and worklist rules.

The default ships as ``workbench/data/collections/policy.toml``. A file of
your own is merged over it (tables key by key, lists replaced whole); every
problem of the merged result is reported at once in one :class:`PolicyError`
whose lines name the dotted path of the bad key.

Reading, merging and checking are the shared policy loader's
(:mod:`workbench.policy`); this module declares the shape (:data:`SHAPE`) and
builds the typed :class:`CollectionsPolicy`. The ``[sender]``, ``[dunning]``,
``[worklist]`` tables and the variants are *open*: keys they do not know are
kept and ignored, as they always were; unknown keys at the top and in a level
are refused with the closest known name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..policy import (
    ListOf,
    MapOf,
    PolicyError,
    PolicyKind,
    Table,
    anything,
    boolean,
    currency_code,
    integer,
    merge,
    number,
    text,
    texts,
)
from .model import CHANNELS, Sender

__all__ = [
    "CollectionsPolicy",
    "DunningRules",
    "Level",
    "PolicyError",
    "WorklistRules",
    "default_policy_path",
    "load_policy",
]

MODES = ("days_after_due", "end_of_month", "days_after_previous")
ACTIONS = ("suspend", "agency")
JURISDICTION_CHOICES = ("auto", "none", "EU", "FR", "DE", "UK")
TEMPLATES = ("reminder", "second_reminder", "formal_notice", "final_demand")
_STATUSES = ("active", "hold", "suspended", "litigation", "closed")
FIRST_RUN = ("by_age", "level_one")
"""How the first dunning run (a journal with no run yet) places items: see :func:`workbench.collections.dunning.plan_run`."""


@dataclass(frozen=True)
class Level:
    """One dunning level: when an item reaches it and what is sent."""

    level: int
    name: str
    mode: str
    days: int
    channel: str
    template: str
    interest: bool = False
    compensation: bool = False
    fee: Mapping[str, Decimal] = field(default_factory=dict)
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DunningRules:
    """The dunning rules that apply to one group of customers."""

    name: str
    levels: tuple[Level, ...]
    skip_statuses: tuple[str, ...]
    interest: str
    minimum_amount: Mapping[str, Decimal]
    promise_grace_days: int
    agency: str
    segments: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    first_run: str = "by_age"
    """``by_age``: a first run places each item at the level its age has reached; ``level_one``: every item at 1."""

    def level(self, number: int) -> Level:
        """The level numbered ``number`` (1-based)."""
        return self.levels[number - 1]

    def matches(self, segment: str | None, country: str | None) -> bool:
        """Whether a customer of this segment and country falls under these rules."""
        return (not self.segments or (segment or "") in self.segments) and (
            not self.countries or (country or "") in self.countries
        )


@dataclass(frozen=True)
class WorklistRules:
    """Weights of the worklist's additive scores (see :mod:`workbench.collections.worklist`)."""

    overdue_points_per: Decimal
    overdue_points_cap: int
    age_points: tuple[tuple[int, int], ...]
    risk_points: tuple[tuple[int, int], ...]
    status_points: Mapping[str, int]
    broken_promise_points: int
    broken_promise_days: int
    promise_due_points: int
    promise_due_window_days: int
    follow_up_points: int
    dispute_points: int
    recent_contact_points: int
    recent_contact_days: int
    courtesy_points: int
    courtesy_window_days: int
    courtesy_min_amount: Decimal


@dataclass(frozen=True)
class CollectionsPolicy:
    """A validated collections policy; build it with :func:`load_policy`."""

    source: str
    name: str
    version: str
    sender: Mapping[str, Any]
    default: DunningRules
    variants: tuple[DunningRules, ...]
    worklist: WorklistRules

    def rules_for(self, segment: str | None, country: str | None) -> DunningRules:
        """The first variant matching the customer, else the default rules."""
        for variant in self.variants:
            if variant.matches(segment, country):
                return variant
        return self.default

    def all_rules(self) -> tuple[DunningRules, ...]:
        """Variants first (in order), then the default."""
        return (*self.variants, self.default)

    def make_sender(self, company: str) -> Sender:
        """A sender from an old policy file's ``[sender]`` (previews and tests; runs sign with the workspace)."""
        s = self.sender
        return Sender(
            name=company or "Credit Control",
            department=str(s.get("department", "")),
            email=str(s.get("email", "")),
            phone=str(s.get("phone", "")),
            address=tuple(str(a) for a in s.get("address", ())),
            iban=str(s.get("iban", "")),
            bic=str(s.get("bic", "")),
        )


# --------------------------------------------------------------------------- shape


def _bound(key: str) -> str | None:
    return None if key.lstrip("-").isascii() and key.lstrip("-").isdigit() else f"must be a whole number (is {key!r})"


def _level_template(level: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """An e-mail or a letter needs a template to write it from."""
    if level["channel"] in ("email", "letter") and level["template"] not in TEMPLATES:
        yield "template", f"an {level['channel']} level needs one of {', '.join(TEMPLATES)}"


def _numbered(levels: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """Levels are numbered 1, 2, 3... in their order."""
    for i, level in enumerate(levels):
        if level["level"] != i + 1:
            yield f"[{i}].level", f"levels must be numbered 1, 2, 3... in order; expected {i + 1}"


def _positive_per(worklist: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if Decimal(str(worklist["overdue_points_per"])) <= 0:
        yield "overdue_points_per", "must be positive"


_AMOUNTS = MapOf(number(0, text=True), key=currency_code, what="a table of currency = amount")
_BOUNDS = MapOf(integer(), key=_bound, what="a table of bound = points")
_LEVEL = Table(
    {
        "level": integer(1),
        "name": text(),
        "mode": text(MODES),
        "days": integer(0),
        "channel": text(CHANNELS),
        "template": text(),
        "interest": boolean,
        "compensation": boolean,
        "fee": _AMOUNTS,
        "actions": texts(ACTIONS),
    },
    defaults={"template": "", "interest": False, "compensation": False, "fee": {}, "actions": []},
    rule=_level_template,
)
#: The keys a variant may replace in the default dunning rules.
_RULES: dict[str, Any] = {
    "levels": ListOf(_LEVEL, min_items=1, what="a non-empty list of levels", rule=_numbered),
    "skip_statuses": texts(_STATUSES),
    "interest": text(JURISDICTION_CHOICES),
    "minimum_amount": _AMOUNTS,
    "promise_grace_days": integer(0),
    "agency": text(),
    "first_run": text(FIRST_RUN),
}
_RULES_TABLE = Table(_RULES, open=True)
_VARIANT = Table(
    {"name": text(), "segments": texts(), "countries": texts(), **_RULES},
    defaults={"segments": [], "countries": []},
    optional=frozenset(_RULES),
    open=True,
)
_WORKLIST_INTEGERS = (
    "overdue_points_cap",
    "broken_promise_points",
    "broken_promise_days",
    "promise_due_points",
    "promise_due_window_days",
    "follow_up_points",
    "dispute_points",
    "recent_contact_points",
    "recent_contact_days",
    "courtesy_points",
    "courtesy_window_days",
)

#: The declared shape of a collections policy.
SHAPE = Table(
    {
        "name": text(),
        "version": anything,
        "sender": Table({}, open=True),  # kept readable for old files; a run refuses it (letterheads: workspace)
        "dunning": Table({**_RULES, "variants": ListOf(_VARIANT)}, defaults={"variants": []}, open=True),
        "worklist": Table(
            {
                "overdue_points_per": number(text=True),
                **{k: integer() for k in _WORKLIST_INTEGERS},
                "age_points": _BOUNDS,
                "risk_points": _BOUNDS,
                "status_points": MapOf(integer(), what="a table of status = points"),
                "courtesy_min_amount": number(text=True),
            },
            open=True,
            rule=_positive_per,
        ),
    },
    defaults={"sender": {}},
)
#: The collections policy kind: its shape and its default, ``workbench/data/collections/policy.toml``.
KIND = PolicyKind("collections", SHAPE, "data/collections/policy.toml", default_source="default")


# --------------------------------------------------------------------------- build


def _amounts(raw: Mapping[str, Any]) -> dict[str, Decimal]:
    return {currency: Decimal(str(value)) for currency, value in raw.items()}


def _level(raw: Mapping[str, Any]) -> Level:
    return Level(
        level=raw["level"],
        name=raw["name"],
        mode=raw["mode"],
        days=raw["days"],
        channel=raw["channel"],
        template=raw["template"],
        interest=bool(raw["interest"]),
        compensation=bool(raw["compensation"]),
        fee=_amounts(raw["fee"]),
        actions=tuple(raw["actions"]),
    )


def _rules(
    raw: Mapping[str, Any], name: str, segments: tuple[str, ...] = (), countries: tuple[str, ...] = ()
) -> DunningRules:
    return DunningRules(
        name=name,
        levels=tuple(_level(item) for item in raw["levels"]),
        skip_statuses=tuple(raw["skip_statuses"]),
        interest=raw["interest"],
        minimum_amount=_amounts(raw["minimum_amount"]),
        promise_grace_days=raw["promise_grace_days"],
        agency=raw["agency"],
        first_run=raw["first_run"],
        segments=segments,
        countries=countries,
    )


def _variant(dunning: Mapping[str, Any], variant: Mapping[str, Any]) -> DunningRules:
    """A variant: the default dunning rules with the keys the variant sets replaced (tables merged)."""
    base = {k: v for k, v in dunning.items() if k != "variants"}
    own = {k: v for k, v in variant.items() if k not in ("name", "segments", "countries")}
    return _rules(
        merge(base, own, _RULES_TABLE), variant["name"], tuple(variant["segments"]), tuple(variant["countries"])
    )


def _worklist(raw: Mapping[str, Any]) -> WorklistRules:
    def bounds(table: Mapping[str, int]) -> tuple[tuple[int, int], ...]:
        return tuple(sorted((int(bound), points) for bound, points in table.items()))

    return WorklistRules(
        overdue_points_per=Decimal(str(raw["overdue_points_per"])),
        age_points=bounds(raw["age_points"]),
        risk_points=bounds(raw["risk_points"]),
        status_points=dict(raw["status_points"]),
        courtesy_min_amount=Decimal(str(raw["courtesy_min_amount"])),
        **{k: raw[k] for k in _WORKLIST_INTEGERS},
    )


def default_policy_path() -> Path:
    """The shipped default policy file."""
    return KIND.default_path()


def load_policy(path: str | Path | None = None) -> CollectionsPolicy:
    """The default policy, or ``path`` merged over it, validated as a whole.

    Every problem raises one :class:`PolicyError` (the same class as the credit
    policy's) listing each bad key by its dotted path.
    """
    loaded = KIND.load(path)
    raw = loaded.values
    dunning = raw["dunning"]
    return CollectionsPolicy(
        source=loaded.source,
        name=raw["name"],
        version=str(raw["version"]),
        sender=raw["sender"],
        default=_rules(dunning, "default"),
        variants=tuple(_variant(dunning, variant) for variant in dunning["variants"]),
        worklist=_worklist(raw["worklist"]),
    )
