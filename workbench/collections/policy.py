"""The collections policy: dunning levels and variants, the sender, and worklist rules.

The default ships as ``workbench/data/collections/policy.toml``. A file of
your own is merged over it (tables key by key, lists replaced whole); every
problem of the merged result is reported at once in one :class:`PolicyError`
whose lines name the dotted path of the bad key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError
from .model import CHANNELS, Sender

MODES = ("days_after_due", "end_of_month", "days_after_previous")
ACTIONS = ("suspend", "agency")
JURISDICTION_CHOICES = ("auto", "none", "EU", "FR", "DE", "UK")
TEMPLATES = ("reminder", "second_reminder", "formal_notice", "final_demand")


class PolicyError(WorkbenchError):
    """A collections policy file is unreadable or invalid (all problems listed)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"invalid collections policy {source}:\n" + "\n".join(f"  - {p}" for p in problems))


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

    def level(self, number: int) -> Level:
        """The level numbered ``number`` (1-based)."""
        return self.levels[number - 1]

    def matches(self, segment: str | None, country: str | None) -> bool:
        """Whether a customer of this segment and country falls under these rules."""
        return ((not self.segments or (segment or "") in self.segments)
                and (not self.countries or (country or "") in self.countries))


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
        """The letters' sender for the ledger's company."""
        s = self.sender
        return Sender(name=company or "Credit Control", department=str(s.get("department", "")),
                      email=str(s.get("email", "")), phone=str(s.get("phone", "")),
                      address=tuple(str(a) for a in s.get("address", ())),
                      iban=str(s.get("iban", "")), bic=str(s.get("bic", "")))


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise PolicyError(str(path), ["file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), [f"not valid TOML: {exc}"]) from None


class _Checker:
    """Reads typed values out of the raw TOML, collecting problems with their dotted paths."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def integer(self, raw: Mapping[str, Any], key: str, path: str, lo: int | None = None) -> int:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{path}.{key}", f"must be a whole number, got {value!r}")
            return 0
        if lo is not None and value < lo:
            self.fail(f"{path}.{key}", f"must be at least {lo}, got {value}")
        return value

    def decimal(self, value: Any, path: str) -> Decimal:
        try:
            number = Decimal(str(value)) if not isinstance(value, bool) else None
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite():
            self.fail(path, f"must be a number, got {value!r}")
            return Decimal(0)
        return number

    def text(self, raw: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...] | None = None,
             default: str | None = None) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str):
            self.fail(f"{path}.{key}", f"must be text, got {value!r}")
            return ""
        if choices is not None and value not in choices:
            self.fail(f"{path}.{key}", f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def texts(self, raw: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{path}.{key}", f"must be a list of text, got {value!r}")
            return ()
        for v in value:
            if choices is not None and v not in choices:
                self.fail(f"{path}.{key}", f"unknown value {v!r} (known: {', '.join(choices)})")
        return tuple(value)

    def amounts(self, raw: Any, path: str) -> dict[str, Decimal]:
        if not isinstance(raw, Mapping):
            self.fail(path, "must be a table of currency = amount")
            return {}
        out = {}
        for currency, value in raw.items():
            if len(currency) != 3 or not currency.isupper():
                self.fail(f"{path}.{currency}", "key must be an ISO 4217 currency code")
            amount = self.decimal(value, f"{path}.{currency}")
            if amount < 0:
                self.fail(f"{path}.{currency}", "must not be negative")
            out[currency] = amount
        return out

    def bounds(self, raw: Any, path: str) -> tuple[tuple[int, int], ...]:
        if not isinstance(raw, Mapping):
            self.fail(path, "must be a table of bound = points")
            return ()
        pairs = []
        for bound, points in raw.items():
            if not bound.lstrip("-").isdigit() or isinstance(points, bool) or not isinstance(points, int):
                self.fail(f"{path}.{bound}", "bounds and points must be whole numbers")
                continue
            pairs.append((int(bound), points))
        return tuple(sorted(pairs))

    def levels(self, raw: Any, path: str) -> tuple[Level, ...]:
        if not isinstance(raw, list) or not raw:
            self.fail(path, "must be a non-empty list of levels")
            return ()
        levels = []
        for i, item in enumerate(raw):
            where = f"{path}[{i}]"
            if not isinstance(item, Mapping):
                self.fail(where, "must be a table")
                continue
            known = {"level", "name", "mode", "days", "channel", "template", "interest", "compensation", "fee", "actions"}
            for key in sorted(set(item) - known):
                self.fail(f"{where}.{key}", "unknown key")
            number = self.integer(item, "level", where, lo=1)
            if number != i + 1:
                self.fail(f"{where}.level", f"levels must be numbered 1, 2, 3... in order; expected {i + 1}")
            channel = self.text(item, "channel", where, CHANNELS)
            template = self.text(item, "template", where, default="")
            if channel in ("email", "letter") and template not in TEMPLATES:
                self.fail(f"{where}.template", f"an {channel} level needs one of {', '.join(TEMPLATES)}")
            flags = {}
            for flag in ("interest", "compensation"):
                flags[flag] = item.get(flag, False)
                if not isinstance(flags[flag], bool):
                    self.fail(f"{where}.{flag}", "must be true or false")
            levels.append(Level(
                level=number, name=self.text(item, "name", where), mode=self.text(item, "mode", where, MODES),
                days=self.integer(item, "days", where, lo=0), channel=channel, template=template,
                interest=bool(flags["interest"]), compensation=bool(flags["compensation"]),
                fee=self.amounts(item.get("fee", {}), f"{where}.fee"),
                actions=self.texts(item, "actions", where, ACTIONS),
            ))
        return tuple(levels)


def _rules(check: _Checker, raw: Mapping[str, Any], path: str, name: str,
           segments: tuple[str, ...] = (), countries: tuple[str, ...] = ()) -> DunningRules:
    return DunningRules(
        name=name,
        levels=check.levels(raw.get("levels"), f"{path}.levels"),
        skip_statuses=check.texts(raw, "skip_statuses", path,
                                  ("active", "hold", "suspended", "litigation", "closed")),
        interest=check.text(raw, "interest", path, JURISDICTION_CHOICES),
        minimum_amount=check.amounts(raw.get("minimum_amount", {}), f"{path}.minimum_amount"),
        promise_grace_days=check.integer(raw, "promise_grace_days", path, lo=0),
        agency=check.text(raw, "agency", path, default=""),
        segments=segments, countries=countries,
    )


def _worklist(check: _Checker, raw: Mapping[str, Any]) -> WorklistRules:
    p = "worklist"
    ints = {k: check.integer(raw, k, p) for k in (
        "overdue_points_cap", "broken_promise_points", "broken_promise_days", "promise_due_points",
        "promise_due_window_days", "follow_up_points", "dispute_points", "recent_contact_points",
        "recent_contact_days", "courtesy_points", "courtesy_window_days")}
    per = check.decimal(raw.get("overdue_points_per"), f"{p}.overdue_points_per")
    if per <= 0:
        check.fail(f"{p}.overdue_points_per", "must be positive")
        per = Decimal(1)
    status = raw.get("status_points", {})
    if not isinstance(status, Mapping) or not all(isinstance(v, int) for v in status.values()):
        check.fail(f"{p}.status_points", "must be a table of status = points")
        status = {}
    return WorklistRules(
        overdue_points_per=per, age_points=check.bounds(raw.get("age_points", {}), f"{p}.age_points"),
        risk_points=check.bounds(raw.get("risk_points", {}), f"{p}.risk_points"), status_points=dict(status),
        courtesy_min_amount=check.decimal(raw.get("courtesy_min_amount"), f"{p}.courtesy_min_amount"),
        **ints,
    )


def default_policy_path() -> Path:
    """The shipped default policy file."""
    return Path(str(resources.files("workbench") / "data" / "collections" / "policy.toml"))


def load_policy(path: str | Path | None = None) -> CollectionsPolicy:
    """The default policy, or ``path`` merged over it, validated as a whole."""
    raw = _read(default_policy_path())
    source = "default"
    if path is not None:
        source = str(path)
        raw = _merge(raw, _read(Path(path)))
    check = _Checker()
    known_top = {"name", "version", "sender", "dunning", "worklist"}
    for key in sorted(set(raw) - known_top):
        check.fail(key, "unknown key")
    dunning = raw.get("dunning", {})
    default = _rules(check, dunning, "dunning", "default")
    variants = []
    for i, var in enumerate(dunning.get("variants", [])):
        where = f"dunning.variants[{i}]"
        merged = _merge({k: v for k, v in dunning.items() if k != "variants"},
                        {k: v for k, v in var.items() if k not in ("name", "segments", "countries")})
        variants.append(_rules(check, merged, where, check.text(var, "name", where),
                               check.texts(var, "segments", where), check.texts(var, "countries", where)))
    policy = CollectionsPolicy(
        source=source, name=check.text(raw, "name", "policy"), version=str(raw.get("version", "")),
        sender=raw.get("sender", {}), default=default, variants=tuple(variants),
        worklist=_worklist(check, raw.get("worklist", {})),
    )
    if check.problems:
        raise PolicyError(source, check.problems)
    return policy
