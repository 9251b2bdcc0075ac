"""One loader for every policy file: a declared shape, shipped defaults, one error.

A policy *kind* (credit, collections, and the ones to come) declares the shape
of its TOML file once, as a tree of nodes:

- a :class:`Table` (or a plain ``dict`` of key -> node, which is a table whose
  keys are all required) holds named keys;
- a :class:`ListOf` holds items of one node (TOML arrays, ``[[arrays of tables]]``);
- a :class:`MapOf` is a table whose keys are data (currencies, segments, bounds);
- any other node is a *check*: a function of the value returning ``None`` when
  it is right, else a short sentence such as ``"must be a number, not text ('abc')"``.
  :func:`number`, :func:`integer`, :func:`text`, :func:`texts`, :func:`boolean`,
  :func:`currency_code` and :func:`anything` cover the common cases.

:class:`PolicyKind` ties a shape to the default file shipped under
``workbench/data/``. Loading a file reads it (exact decimals, ``parse_float=Decimal``),
merges it over the default (tables key by key, lists replaced whole), checks the
merged result against the shape and raises one :class:`PolicyError` listing every
problem with the dotted path of its key (``dunning.levels[1].dayz: unknown key
(did you mean 'days'?)``). The caller turns the checked mapping into its own
typed policy object.

This is an edge module: it imports only the standard library and
:mod:`workbench.errors`.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Union

from .errors import WorkbenchError

__all__ = [
    "Check",
    "ListOf",
    "LoadedPolicy",
    "MapOf",
    "Node",
    "PolicyError",
    "PolicyKind",
    "Rule",
    "Table",
    "anything",
    "boolean",
    "currency_code",
    "describe",
    "exact",
    "integer",
    "merge",
    "number",
    "read_toml",
    "text",
    "texts",
    "validate",
]


class PolicyError(WorkbenchError):
    """A policy file is missing, unreadable, or breaks its declared shape (every problem listed).

    ``source`` names the file (or ``"<mapping>"``, or the shipped default),
    ``problems`` holds one ``"dotted.key: what is wrong"`` line per problem and
    ``kind`` the policy kind (``"credit"``, ``"collections"``...).
    """

    def __init__(self, source: str, problems: list[str], kind: str = "") -> None:
        self.source = source
        self.problems = problems
        self.kind = kind
        lines = "\n".join(f"  - {p}" for p in problems)
        what = f"{kind} policy" if kind else "policy"
        super().__init__(f"invalid {what} {source}:\n{lines}")


#: A check of one value: ``None`` when it is right, else what is wrong (without the key).
Check = Callable[[Any], Union[str, None]]
#: A rule across the keys of a table or the items of a list, run once each of them is right.
#: It yields ``(relative key, problem)``; the key may be ``""`` (the table itself),
#: ``"weights"``, ``"points.leverage"`` or ``"[2].level"``.
Rule = Callable[[Any], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Table:
    """A TOML table with named keys.

    Every key of ``keys`` is required, except those in ``defaults`` (filled in
    with a copy of the default when absent) and those in ``optional`` (may be
    absent). Unknown keys are refused with the closest known name unless the
    table is ``open`` (then they are kept unchecked). ``rule`` runs once every key
    is right. A file's table is merged over the default's key by key, or
    replaces it whole when ``merge`` is false.
    """

    keys: Mapping[str, Node]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    open: bool = False
    rule: Rule | None = None
    merge: bool = True


@dataclass(frozen=True)
class ListOf:
    """A TOML array whose items all have the shape ``item``; a file's list replaces the default's whole.

    ``what`` names the expected value in messages (``"must be a non-empty list of levels"``).
    """

    item: Node
    min_items: int = 0
    what: str = "a list"
    rule: Rule | None = None


@dataclass(frozen=True)
class MapOf:
    """A TOML table whose keys are data: every value has the shape ``value``, every key passes ``key``."""

    value: Node
    key: Check | None = None
    what: str = "a table"
    merge: bool = True


#: A node of a declared shape: a table (or a plain dict of key -> node), a list, a map, or a check.
Node = Union[Table, ListOf, MapOf, Mapping[str, Any], Check]


# --------------------------------------------------------------------------- checks


def describe(value: Any) -> str:
    """A value as a message shows it: its TOML kind and, for short values, the value itself."""
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, str):
        return f"text ({_short(repr(value))})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, Decimal):
        return f"a decimal number ({value})"
    if isinstance(value, (datetime, date, time)):
        return f"a date or time ({value.isoformat()})"
    if isinstance(value, list):
        return f"a list ({_short(repr(value))})" if value else "an empty list"
    if isinstance(value, dict):
        return "a table"
    if value is None:
        return "nothing"
    return type(value).__name__


def _short(shown: str, width: int = 40) -> str:
    return shown if len(shown) <= width else shown[: width - 3] + "..."


def number(
    lo: Decimal | int | None = None, hi: Decimal | int | None = None, *, whole: bool = False, text: bool = False
) -> Check:
    """A number within ``lo``..``hi`` (inclusive); ``whole``: without a fraction (``5`` or ``5.0``).

    ``text`` also accepts an exact decimal written as text (``"25.00"``), as amounts often are.
    """

    def check(value: Any) -> str | None:
        shown = value
        if text and isinstance(value, str):
            try:
                value = Decimal(value)
            except InvalidOperation:
                return f"must be a number, not {describe(shown)}"
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            return f"must be a number, not {describe(shown)}"
        if isinstance(value, Decimal) and not value.is_finite():
            return f"must be a finite number (is {shown})"
        if whole and int(value) != value:
            return f"must be a whole number (is {shown})"
        if lo is not None and value < lo:
            return f"must be >= {lo} (is {shown})"
        if hi is not None and value > hi:
            return f"must be <= {hi} (is {shown})"
        return None

    return check


def integer(lo: int | None = None, hi: int | None = None) -> Check:
    """A TOML integer (``5``, not ``5.0``) within ``lo``..``hi`` (inclusive)."""

    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {describe(value)}"
        if lo is not None and value < lo:
            return f"must be >= {lo} (is {value})"
        if hi is not None and value > hi:
            return f"must be <= {hi} (is {value})"
        return None

    return check


def text(choices: Iterable[str] | None = None) -> Check:
    """A text, one of ``choices`` when given."""
    allowed = tuple(choices) if choices is not None else None

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be text, not {describe(value)}"
        if allowed is not None and value not in allowed:
            return f"must be one of {', '.join(repr(c) for c in allowed)} (is {value!r})"
        return None

    return check


def texts(choices: Iterable[str] | None = None) -> Check:
    """A list of texts, each one of ``choices`` when given."""
    allowed = tuple(choices) if choices is not None else None

    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            return f"must be a list of texts, not {describe(value)}"
        bad = [x for x in value if allowed is not None and x not in allowed]
        if bad:
            return f"unknown value(s) {', '.join(map(repr, bad))}; allowed: {', '.join(allowed or ())}"
        return None

    return check


def boolean(value: Any) -> str | None:
    """``true`` or ``false``."""
    return None if isinstance(value, bool) else f"must be true or false, not {describe(value)}"


def currency_code(value: Any) -> str | None:
    """A three-letter ISO 4217 code in capitals."""
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isupper():
        return f'must be an ISO 4217 code such as "EUR" (is {value!r})'
    return None


def anything(value: Any) -> str | None:
    """Any value (the caller decides what to make of it)."""
    return None


# --------------------------------------------------------------------------- merge and validate


def _node(node: Any) -> Any:
    """A plain dict of key -> node is a table whose keys are all required."""
    return Table(node) if isinstance(node, Mapping) and not isinstance(node, (Table, ListOf, MapOf)) else node


def _join(path: str, key: str) -> str:
    if not path:
        return key
    if not key:
        return path
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def merge(base: Any, over: Any, node: Node | None = None) -> Any:
    """``over`` merged over ``base`` as ``node`` says.

    Tables and maps merge key by key (unless declared with ``merge=False``);
    lists and plain values are replaced whole. Keys the shape does not know
    merge like tables when both sides are tables (their check comes later).
    """
    shape = _node(node)
    if not (isinstance(base, dict) and isinstance(over, Mapping)):
        return over
    if isinstance(shape, Table) and shape.merge:
        subs: Callable[[str], Any] = lambda key: shape.keys.get(key)  # noqa: E731
    elif isinstance(shape, MapOf) and shape.merge:
        subs = lambda key: shape.value  # noqa: E731
    elif shape is None:
        subs = lambda key: None  # noqa: E731
    else:
        return over
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value, subs(key)) if key in out else value
    return out


def validate(value: Any, node: Node, path: str = "") -> tuple[Any, list[str]]:
    """``value`` checked against ``node``: the value with declared defaults filled in, and every problem."""
    problems: list[str] = []
    checked = _check(value, node, path, problems)
    return checked, problems


def _check(value: Any, node: Node, path: str, problems: list[str]) -> Any:
    shape = _node(node)
    if isinstance(shape, Table):
        return _check_table(value, shape, path, problems)
    if isinstance(shape, ListOf):
        return _check_list(value, shape, path, problems)
    if isinstance(shape, MapOf):
        return _check_map(value, shape, path, problems)
    problem = shape(value)
    if problem:
        problems.append(f"{path or 'policy'}: {problem}")
    return value


def _check_table(value: Any, table: Table, path: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{path or 'policy'}: must be a table, not {describe(value)}")
        return value
    before = len(problems)
    if not table.open:
        for key in value:
            if key not in table.keys:
                close = difflib.get_close_matches(key, list(table.keys), n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(table.keys)}"
                problems.append(f"{_join(path, key)}: unknown key ({hint})")
    out = dict(value)
    for key, sub in table.keys.items():
        if key in value:
            out[key] = _check(value[key], sub, _join(path, key), problems)
        elif key in table.defaults:
            out[key] = copy.deepcopy(table.defaults[key])
        elif key not in table.optional:
            problems.append(f"{_join(path, key)}: missing")
    _apply(table.rule, out, path, before, problems)
    return out


def _check_list(value: Any, shape: ListOf, path: str, problems: list[str]) -> Any:
    if not isinstance(value, list) or len(value) < shape.min_items:
        problems.append(f"{path}: must be {shape.what}, not {describe(value)}")
        return value
    before = len(problems)
    out = [_check(item, shape.item, f"{path}[{i}]", problems) for i, item in enumerate(value)]
    _apply(shape.rule, out, path, before, problems)
    return out


def _check_map(value: Any, shape: MapOf, path: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{path}: must be {shape.what}, not {describe(value)}")
        return value
    out = {}
    for key, item in value.items():
        problem = shape.key(key) if shape.key is not None else None
        if problem:
            problems.append(f"{_join(path, key)}: key {problem}")
        out[key] = _check(item, shape.value, _join(path, key), problems)
    return out


def _apply(rule: Rule | None, value: Any, path: str, before: int, problems: list[str]) -> None:
    """Run a cross-key rule only when nothing below ``path`` was wrong."""
    if rule is not None and len(problems) == before:
        problems.extend(f"{_join(path, key) or 'policy'}: {problem}" for key, problem in rule(value))


def exact(value: Any) -> Any:
    """Python floats of a mapping as exact decimals of their shortest text (0.1 -> Decimal('0.1'))."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact(v) for v in value]
    return value


def read_toml(path: str | Path, source: str | None = None, kind: str = "") -> dict[str, Any]:
    """A TOML file with exact decimals; a missing, unreadable or invalid file raises :class:`PolicyError`.

    The message of invalid TOML gives the line and column (``at line 3, column 7``).
    """
    file = Path(path)
    where = source or str(file)
    try:
        content = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(where, [f"cannot read the file: {exc.strerror or exc}"], kind) from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(where, [f"not valid TOML: {exc}"], kind) from exc
    return _parse(content, where, kind)


def _parse(content: str, source: str, kind: str) -> dict[str, Any]:
    try:
        return tomllib.loads(content, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"not valid TOML: {exc}"], kind) from exc


# --------------------------------------------------------------------------- policy kinds


@dataclass(frozen=True)
class LoadedPolicy:
    """A checked policy: where it came from and the merged values (declared defaults filled in)."""

    source: str
    values: dict[str, Any]


@dataclass(frozen=True)
class PolicyKind:
    """A kind of policy: its name, its declared shape and its default file shipped with the package.

    ``default`` is the default file's path inside the ``workbench`` package
    (``"data/credit/policy.toml"``); ``default_source`` names it as the source of
    the default policy (``"default policy (workbench/data/credit/policy.toml)"``
    when not given).
    """

    kind: str
    shape: Node
    default: str
    default_source: str | None = None

    @property
    def default_label(self) -> str:
        """The source recorded for the default policy."""
        return self.default_source or f"default policy (workbench/{self.default})"

    def default_path(self) -> Path:
        """The shipped default file."""
        node = resources.files("workbench")
        for part in self.default.split("/"):
            node = node / part
        return Path(str(node))

    def defaults(self) -> dict[str, Any]:
        """The shipped default, as read (not yet checked)."""
        return read_toml(self.default_path(), f"default policy (workbench/{self.default})", self.kind)

    def from_mapping(self, overrides: Mapping[str, Any], source: str = "<mapping>") -> LoadedPolicy:
        """The default with ``overrides`` merged over it, checked (Python floats read exactly)."""
        return self._checked(merge(self.defaults(), exact(overrides), self.shape), source)

    def load(self, path: str | Path | None = None) -> LoadedPolicy:
        """The default policy (``None``), or the file at ``path`` merged over it, checked."""
        if path is None:
            return self.from_mapping({}, self.default_label)
        source = str(path)
        own = read_toml(path, source, self.kind)
        return self._checked(merge(self.defaults(), own, self.shape), source)

    def _checked(self, merged: dict[str, Any], source: str) -> LoadedPolicy:
        values, problems = validate(merged, self.shape)
        if problems:
            raise PolicyError(source, problems, self.kind)
        return LoadedPolicy(source, values)
