"""The mapping file of the generic import: how a flat invoice history maps to the ledger.

A mapping is TOML with four sections (see docs/ledger-format.md, "Flat invoice
histories", and docs/importers.md for open-item lists)::

    [source]    delimiter, encoding, date_format, decimal, thousands, reporting_currency
    [defaults]  canonical column = value, for columns the source lacks (or leaves empty)
    [columns]   canonical column = source column name
    [values.X]  source value = canonical value, for the mapped canonical column X

``load_mapping`` validates everything it can before a row is read and raises
``ImportMappingError`` naming the offending section and key. The same file
shape serves two kinds of import: ``history`` (one row per invoice, settled or
not) and ``open_items`` (an open-item list: each row's open amount, signed,
and optionally its original amount, credit limits and customer status).
"""

from __future__ import annotations

import codecs
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from workbench.errors import ImportMappingError

__all__ = ["Mapping", "load_mapping", "parse_mapping"]

REQUIRED_COLUMNS = ("document_id", "customer_id", "doc_date", "amount")
DATE_COLUMNS = ("doc_date", "due_date", "settled_date", "service_start", "service_end")
DOCUMENT_TEXT_COLUMNS = (
    "doc_type",
    "currency",
    "entity",
    "reference",
    "po_number",
    "disputed",
    "dispute_reason",
    "payment_terms_days",
)
CUSTOMER_TEXT_COLUMNS = (
    "customer_name",
    "country",
    "collector",
    "sales_rep",
    "segment",
    "language",
    "email",
    "phone",
    "vat_id",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "region",
)
CANONICAL_COLUMNS = REQUIRED_COLUMNS + DATE_COLUMNS[1:] + DOCUMENT_TEXT_COLUMNS + CUSTOMER_TEXT_COLUMNS
ALIASES = {"name": "customer_name"}
# Columns that may take a [defaults] value or a [values.X] table: plain text columns.
DEFAULTABLE = DOCUMENT_TEXT_COLUMNS + CUSTOMER_TEXT_COLUMNS
DOC_TYPES = ("invoice", "debit_note", "credit_note")

KINDS = ("history", "open_items")
#: Required source columns of an open-item list (``amount``, the original amount, is optional there).
OPEN_ITEM_REQUIRED = ("document_id", "customer_id", "doc_date", "open_amount")
#: Text columns only an open-item list has: which side an unsigned amount is on, and the customer's status.
OPEN_ITEM_TEXT_COLUMNS = ("debit_credit", "status")
#: Columns only an open-item list has: the open amount, the export's date, the credit limit, and the text ones.
OPEN_ITEM_COLUMNS = ("open_amount", "as_of", "credit_limit", *OPEN_ITEM_TEXT_COLUMNS)
#: An open-item row may also be money received but not applied yet (``payment``); ``by_sign`` makes a row
#: an invoice when its open amount is positive and a credit note when it is negative.
OPEN_ITEM_DOC_TYPES = (*DOC_TYPES, "payment", "by_sign")
SIDES = ("debit", "credit")
STATUSES = ("active", "hold", "suspended", "litigation", "closed")
#: How a negative amount is written: ``-1.00`` always; ``1.00-`` or ``(1.00)`` when declared.
NEGATIVE_STYLES = ("leading", "trailing", "parentheses")

_SECTIONS = ("source", "defaults", "columns", "values")
_SOURCE_KEYS = ("delimiter", "encoding", "date_format", "decimal", "thousands", "reporting_currency", "negative")
_CURRENCY = re.compile(r"[A-Z]{3}")
_FORBIDDEN_SEPARATORS = set('0123456789+-\r\n"')


@dataclass(frozen=True)
class Mapping:
    """A validated mapping (build it with ``load_mapping`` or ``parse_mapping``).

    ``columns`` maps canonical column -> source column name; ``defaults`` and
    ``values`` hold canonical text (booleans as ``"true"``/``"false"``,
    integers as digits). ``kind`` says which import the mapping was checked
    for (``history`` or ``open_items``); ``negative`` how negative amounts
    are written besides a leading minus (see ``NEGATIVE_STYLES``).
    """

    date_format: str
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    thousands: str = ""
    reporting_currency: str | None = None
    negative: str = "leading"
    kind: str = "history"
    columns: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def has(self, column: str) -> bool:
        """True when the column is mapped or has a default."""
        return column in self.columns or column in self.defaults

    def to_dict(self) -> dict[str, Any]:
        """The mapping shaped like its TOML file (``parse_mapping(m.to_dict())`` re-validates it)."""
        source = {
            "delimiter": self.delimiter,
            "encoding": self.encoding,
            "date_format": self.date_format,
            "decimal": self.decimal,
            "thousands": self.thousands,
        }
        if self.reporting_currency is not None:
            source["reporting_currency"] = self.reporting_currency
        if self.negative != "leading":
            source["negative"] = self.negative
        return {
            "source": source,
            "defaults": dict(self.defaults),
            "columns": dict(self.columns),
            "values": {k: dict(v) for k, v in self.values.items()},
        }


def load_mapping(path: Path | str, kind: str = "history") -> Mapping:
    """Read and validate a mapping TOML file for an import of ``kind`` (see ``KINDS``).

    >>> load_mapping("mapping.toml")  # doctest: +SKIP
    Mapping(date_format='%m/%d/%Y', delimiter=',', ...)
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportMappingError(f"{path.name}: cannot read the mapping file ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportMappingError(f"{path.name}: the mapping file is not UTF-8 ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ImportMappingError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse_mapping(data, origin=path.name, kind=kind)


def parse_mapping(data: dict[str, Any], origin: str = "mapping", kind: str = "history") -> Mapping:
    """Validate an already parsed mapping (a dict shaped like the TOML file) for an import of ``kind``."""

    def fail(message: str) -> ImportMappingError:
        return ImportMappingError(f"{origin}: {message}")

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    columns_allowed: tuple[str, ...] = CANONICAL_COLUMNS
    text_allowed: tuple[str, ...] = DEFAULTABLE
    required: tuple[str, ...] = REQUIRED_COLUMNS
    if kind == "open_items":
        # an open-item list has no settlement dates: what is not listed any more is settled
        columns_allowed = tuple(c for c in CANONICAL_COLUMNS if c != "settled_date") + OPEN_ITEM_COLUMNS
        text_allowed, required = DEFAULTABLE + OPEN_ITEM_TEXT_COLUMNS, OPEN_ITEM_REQUIRED

    if not isinstance(data, dict):
        raise fail("a mapping must be a table of sections")
    for section in data:
        if section not in _SECTIONS:
            raise fail(f"unknown section [{section}] (allowed: {', '.join(_SECTIONS)})")
        if not isinstance(data[section], dict):
            raise fail(f"[{section}] must be a table")
    source = _parse_source(data.get("source", {}), fail)
    columns = _parse_columns(data.get("columns", {}), fail, columns_allowed, required)
    defaults = _parse_defaults(data.get("defaults", {}), fail, columns_allowed, text_allowed, kind)
    values = _parse_values(data.get("values", {}), columns, fail, columns_allowed, text_allowed, kind)
    for needed in ("currency", "country"):  # required in the ledger, no safe guess
        if needed not in columns and needed not in defaults:
            raise fail(f"{needed}: map a source column in [columns] or set it in [defaults]")
    return Mapping(columns=columns, defaults=defaults, values=values, kind=kind, **source)


def _parse_source(section: dict[str, Any], fail) -> dict[str, Any]:
    for key in section:
        if key not in _SOURCE_KEYS:
            raise fail(f"unknown key [source] {key} (allowed: {', '.join(_SOURCE_KEYS)})")
        if not isinstance(section[key], str):
            raise fail(f"[source] {key} must be a string, got {section[key]!r}")
    out: dict[str, Any] = {}
    delimiter = section.get("delimiter", ",")
    if len(delimiter) != 1 or delimiter in _FORBIDDEN_SEPARATORS:
        raise fail(
            f"[source] delimiter must be exactly one character other than a quote, "
            f"digit, sign or line break, got {delimiter!r}"
        )
    out["delimiter"] = delimiter
    encoding = section.get("encoding", "utf-8")
    try:
        codecs.lookup(encoding)
        b"aaaa".decode(encoding)  # LookupError for bytes-to-bytes codecs such as base64
    except UnicodeDecodeError:
        pass
    except LookupError as exc:
        raise fail(f"[source] encoding {encoding!r} is not a known text encoding ({exc})") from None
    out["encoding"] = encoding
    if "date_format" not in section:
        raise fail('[source] date_format is required (dates are never guessed), e.g. "%Y-%m-%d"')
    out["date_format"] = _check_date_format(section["date_format"], fail)
    decimal = section.get("decimal", ".")
    if len(decimal) != 1 or decimal in _FORBIDDEN_SEPARATORS or decimal.isspace() or decimal.isalnum():
        raise fail(f'[source] decimal must be one character such as "." or ",", got {decimal!r}')
    thousands = section.get("thousands", "")
    if len(thousands) > 1 or thousands in _FORBIDDEN_SEPARATORS or thousands.isalnum():
        raise fail(f'[source] thousands must be empty or one character such as ".", "," or " ", got {thousands!r}')
    if thousands == decimal:
        raise fail(f"[source] decimal and thousands are the same character {decimal!r}")
    out["decimal"], out["thousands"] = decimal, thousands
    if "reporting_currency" in section:
        out["reporting_currency"] = _check_currency(section["reporting_currency"], "[source] reporting_currency", fail)
    negative = section.get("negative", "leading")
    if negative not in NEGATIVE_STYLES:
        raise fail(f"[source] negative must be one of {', '.join(NEGATIVE_STYLES)}, got {negative!r}")
    out["negative"] = negative
    return out


def _check_date_format(fmt: str, fail) -> str:
    """A usable format names year, month and day: it must round-trip two dates."""
    if "%" not in fmt:
        raise fail(f"[source] date_format {fmt!r} has no % directives")
    for probe in (date(2024, 12, 31), date(2003, 1, 2)):
        try:
            text = probe.strftime(fmt)
            back = datetime.strptime(text, fmt).date()
        except ValueError as exc:
            raise fail(f"[source] date_format {fmt!r} is not a valid strptime pattern ({exc})") from None
        if back != probe:
            raise fail(
                f"[source] date_format {fmt!r} does not identify a day "
                f"({probe.isoformat()} is written {text!r} and read back as {back.isoformat()})"
            )
    return fmt


def _check_currency(value: Any, where: str, fail) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise fail(f"{where} must be a 3-letter ISO 4217 code in capitals, got {value!r}")
    return value


def _canonical_key(key: str, where: str, allowed: tuple[str, ...], fail) -> str:
    name = ALIASES.get(key, key)
    if name not in allowed:
        raise fail(f"unknown key {where} {key} (allowed: {', '.join(allowed)})")
    return name


def _parse_columns(
    section: dict[str, Any], fail, allowed: tuple[str, ...] = CANONICAL_COLUMNS, required=REQUIRED_COLUMNS
) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, source_column in section.items():
        name = _canonical_key(key, "[columns]", allowed, fail)
        if name in out:
            raise fail(f"[columns] {key}: {name} is mapped twice")
        if not isinstance(source_column, str) or not source_column.strip():
            raise fail(f"[columns] {key} must be a non-empty source column name, got {source_column!r}")
        out[name] = source_column.strip()
    missing = [c for c in required if c not in out]
    if missing:
        raise fail(f"[columns] is missing required column(s): {', '.join(missing)}")
    return out


def _canonical_value(column: str, value: Any, where: str, fail, kind: str = "history") -> str:
    """Validate one canonical value for a column and return its text."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise fail(f"{where} must be a string, integer or boolean, got {value!r}")
    if column == "disputed" and text not in ("true", "false"):
        raise fail(f"{where} must be true or false, got {value!r}")
    if column == "payment_terms_days" and (isinstance(value, bool) or not re.fullmatch(r"[0-9]{1,4}", text)):
        raise fail(f"{where} must be a whole number of days (0-9999), got {value!r}")
    doc_types = OPEN_ITEM_DOC_TYPES if kind == "open_items" else DOC_TYPES
    if column == "doc_type" and text not in doc_types:
        raise fail(f"{where} must be one of {', '.join(doc_types)}, got {value!r}")
    for name, allowed in (("debit_credit", SIDES), ("status", STATUSES)):
        if column == name and text not in allowed:
            raise fail(f"{where} must be one of {', '.join(allowed)}, got {value!r}")
    if column == "currency":
        _check_currency(text, where, fail)
    return text


def _parse_defaults(
    section: dict[str, Any],
    fail,
    columns: tuple[str, ...] = CANONICAL_COLUMNS,
    texts: tuple[str, ...] = DEFAULTABLE,
    kind: str = "history",
) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in section.items():
        name = ALIASES.get(key, key)
        if name in columns and name not in texts:
            raise fail(f"[defaults] {key}: {name} cannot have a default (it must come from the source)")
        name = _canonical_key(key, "[defaults]", texts, fail)
        out[name] = _canonical_value(name, value, f"[defaults] {key}", fail, kind)
    return out


def _parse_values(
    section: dict[str, Any],
    columns: dict[str, str],
    fail,
    allowed: tuple[str, ...] = CANONICAL_COLUMNS,
    texts: tuple[str, ...] = DEFAULTABLE,
    kind: str = "history",
) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, table in section.items():
        name = ALIASES.get(key, key)
        if name in allowed and name not in texts:
            raise fail(f"[values.{key}]: {name} values cannot be mapped (ids, dates and amounts are read as written)")
        name = _canonical_key(key, "[values]", texts, fail)
        if name not in columns:
            raise fail(f"[values.{key}]: {name} is not mapped in [columns]")
        if not isinstance(table, dict) or not table:
            raise fail(f"[values.{key}] must be a non-empty table of source value = canonical value")
        table_out: dict[str, str] = {}
        for src, value in table.items():
            if src.strip() in table_out:
                raise fail(
                    f"[values.{key}] {src!r} is listed twice (source values are compared without surrounding spaces)"
                )
            table_out[src.strip()] = _canonical_value(name, value, f"[values.{key}] {src!r}", fail, kind)
        out[name] = table_out
    return out
