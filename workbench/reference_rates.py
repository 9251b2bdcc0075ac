"""Reference-rate tables (ECB, Bank of England, Bundesbank): read from files into typed objects.

The edge of the statutory-interest calculation
(:mod:`workbench.collections.interest`): this module reads the dated tables
shipped in ``workbench/data/rates`` (see the README there), or the same files
from another folder, and hands them over as :class:`ReferenceRates`, a
read-only mapping of table key to :class:`RateTable`. Callers load the tables
once and pass them to the calculation; nothing else reads these files.

A table file is a comment line ``# source: ...; checked_through: YYYY-MM-DD``,
the header ``effective_date,rate_percent``, then one row per change of rate.
Rates are ``Decimal`` percent; a rate asked for after ``checked_through`` is
taken as unchanged and comes with a warning.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.money import parse_decimal

__all__ = [
    "TABLE_KEYS",
    "RateTable",
    "RateTableError",
    "ReferenceRates",
    "load_rate_tables",
    "load_reference_rates",
    "packaged_rates",
]

#: Keys of the rate tables, each stored as ``<key>.csv`` in the rates folder.
TABLE_KEYS: tuple[str, ...] = ("ecb_mro", "boe_base", "de_basiszins")

_CHECKED_RE = re.compile(r"checked_through:\s*(\d{4}-\d{2}-\d{2})")
_SOURCE_RE = re.compile(r"source:\s*([^;]*)")


class RateTableError(WorkbenchError):
    """A rate table cannot be read, or has no rate for the day asked."""


@dataclass(frozen=True)
class RateTable:
    """One dated reference-rate series (rates in percent, one row per change).

    ``rows`` are ``(effective_date, rate_percent)`` pairs, strictly ascending by
    date; the rate in force on a day is that of the latest row dated on or
    before it. ``checked_through`` is the last day for which the table is known
    to be complete.
    """

    name: str
    rows: tuple[tuple[date, Decimal], ...]
    checked_through: date
    source: str = ""

    def __post_init__(self) -> None:
        if not self.rows:
            raise RateTableError(f"rate table {self.name!r} has no rows")
        for (before, _), (after, _) in zip(self.rows, self.rows[1:]):
            if after <= before:
                raise RateTableError(
                    f"rate table {self.name!r}: rows must be in ascending date order "
                    f"without repeats ({after.isoformat()} follows {before.isoformat()})"
                )
        last = self.rows[-1][0]
        if self.checked_through < last:
            raise RateTableError(
                f"rate table {self.name!r}: checked_through {self.checked_through.isoformat()} "
                f"is before its last row ({last.isoformat()})"
            )

    def rate_on(self, d: date) -> Decimal:
        """The rate in percent in force on ``d``.

        Raises :class:`RateTableError` (naming the table and the day) when
        ``d`` is before the first row. After ``checked_through`` the last rate
        is returned as if unchanged; use :meth:`lookup` to get the warning too.
        """
        return self.lookup(d)[0]

    def lookup(self, d: date) -> tuple[Decimal, str | None]:
        """The rate in force on ``d`` and a warning when ``d`` is past ``checked_through``."""
        first = self.rows[0][0]
        if d < first:
            raise RateTableError(
                f"rate table {self.name!r} has no rate for {d.isoformat()}: it starts on {first.isoformat()}"
            )
        rate = self.rows[0][1]
        for effective, value in self.rows:
            if effective > d:
                break
            rate = value
        warning = None
        if d > self.checked_through:
            warning = (
                f"rate table {self.name!r} is checked through "
                f"{self.checked_through.isoformat()} only; the rate for {d.isoformat()} "
                f"is assumed unchanged at {rate} % (refresh {self.name}.csv from its publisher)"
            )
        return rate, warning

    @classmethod
    def load(cls, path: Path | Traversable, name: str | None = None) -> RateTable:
        """Read a table file: a ``# source: ...; checked_through: YYYY-MM-DD`` line,
        the header ``effective_date,rate_percent``, then one row per change.

        ``name`` defaults to the file name without ``.csv``. Raises
        :class:`RateTableError` naming the file and line of any problem.
        """
        label = name if name is not None else path.name.removesuffix(".csv")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RateTableError(f"cannot read rate table {label!r} ({path}): {exc}") from exc
        return cls.parse(text, label, where=str(path))

    @classmethod
    def parse(cls, text: str, name: str, where: str | None = None) -> RateTable:
        """Parse the text of a table file (see :meth:`load`); ``where`` names it in errors."""
        where = where or name
        checked: date | None = None
        source = ""
        header_seen = False
        rows: list[tuple[date, Decimal]] = []
        for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
            cells = [cell.strip() for cell in record]
            if not cells or cells == [""]:
                continue
            if cells[0].startswith("#"):
                comment = ",".join(record)
                found = _CHECKED_RE.search(comment)
                if found:
                    checked = _parse_date(found.group(1), where, number)
                src = _SOURCE_RE.search(comment)
                if src and not source:
                    source = src.group(1).strip()
                continue
            if not header_seen:
                if cells != ["effective_date", "rate_percent"]:
                    raise RateTableError(
                        f"{where}:{number}: expected the header 'effective_date,rate_percent', got {','.join(cells)!r}"
                    )
                header_seen = True
                continue
            if len(cells) != 2:
                raise RateTableError(f"{where}:{number}: expected 2 columns, got {len(cells)}")
            effective = _parse_date(cells[0], where, number)
            try:
                rate = parse_decimal(cells[1])
            except ValueError as exc:
                raise RateTableError(f"{where}:{number}: rate_percent {exc}") from exc
            rows.append((effective, rate))
        if checked is None:
            raise RateTableError(f"{where}: no 'checked_through: YYYY-MM-DD' in a comment line")
        if not header_seen:
            raise RateTableError(f"{where}: no header 'effective_date,rate_percent'")
        return cls(name=name, rows=tuple(rows), checked_through=checked, source=source)


def _parse_date(text: str, where: str, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise RateTableError(f"{where}:{line}: not a date (YYYY-MM-DD): {text!r}") from exc


@dataclass(frozen=True, eq=False)
class ReferenceRates(Mapping[str, RateTable]):
    """The reference-rate tables of one calculation, by table key (``ecb_mro``, ``boe_base``, ``de_basiszins``).

    A read-only mapping (equal to any mapping with the same tables), so it
    goes wherever the interest functions take ``tables``.
    """

    tables: Mapping[str, RateTable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", dict(self.tables))

    def __getitem__(self, key: str) -> RateTable:
        return self.tables[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


@lru_cache(maxsize=1)
def packaged_rates() -> ReferenceRates:
    """The tables shipped in the package (``workbench/data/rates``), read once and cached."""
    folder = resources.files("workbench.data").joinpath("rates")
    return ReferenceRates({key: RateTable.load(folder.joinpath(f"{key}.csv"), key) for key in TABLE_KEYS})


def load_reference_rates(folder: Path | None = None) -> ReferenceRates:
    """The tables of :data:`TABLE_KEYS` from ``folder`` (``<key>.csv`` files); by default the packaged ones."""
    if folder is None:
        return packaged_rates()
    return ReferenceRates({key: RateTable.load(Path(folder) / f"{key}.csv", key) for key in TABLE_KEYS})


def load_rate_tables(folder: Path | None = None) -> dict[str, RateTable]:
    """Load the tables ``ecb_mro``, ``boe_base`` and ``de_basiszins`` as a new dict keyed by table key.

    ``folder`` holds ``<key>.csv`` files; by default the tables shipped in the
    package (``workbench/data/rates``), read once and cached. See
    :func:`load_reference_rates` for the typed, read-only form.
    """
    return dict(load_reference_rates(folder))
