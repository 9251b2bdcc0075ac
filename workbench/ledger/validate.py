"""Row validation of ledger tables: every problem of every row, collected at once.

``check_table`` turns a text frame into a typed frame plus a ``_reason``
column (null when the row is good). Cross-table rules (references, allocation
limits) live in :mod:`workbench.ledger.load`, which adds their reasons the same
way. Reasons name the column and quote the bad value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import polars as pl

from ..calendar import FIRST_DAY, LAST_DAY

from ..money import _MINOR_UNITS, AMOUNT_DECIMALS, MAX_AMOUNT, RATE_DECIMALS, parse_scaled
from .schema import Column

REASON = "_reason"
WARN = "_warn"
_TRUE = ("true", "1", "yes", "y", "t")


@dataclass(frozen=True)
class Check:
    """A rule: ``bad`` is true on rows that break it; ``message`` explains why.

    Messages are only computed for the rows some check flags, so the cost of a
    clean file is one boolean pass per rule.
    """

    bad: pl.Expr
    message: pl.Expr

    def reason(self) -> pl.Expr:
        """The message where the rule is broken, else null."""
        return pl.when(self.bad).then(self.message)


_FALSE = ("false", "0", "no", "n", "f")


@lru_cache(maxsize=1)
def iso_countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes shipped with the package."""
    text = files("workbench.data").joinpath("iso3166_alpha2.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


#: Code points the reader may use to mark undecodable bytes (shown as U+FFFD when a message quotes a value).
_MARKER_RANGE = "[\U0010f000-\U0010ffff]"


def _quoted(col: str) -> pl.Expr:
    value = pl.col(col).cast(pl.String).str.slice(0, 40).str.replace_all(_MARKER_RANGE, "\ufffd")
    return pl.concat_str([pl.lit("'"), value, pl.lit("'")])


def _msg(col: str, text: str) -> pl.Expr:
    """``"<col> '<value>' <text>"``."""
    return pl.concat_str([pl.lit(f"{col} "), _quoted(col), pl.lit(f" {text}")])


def _date(col: str) -> pl.Expr:
    text = pl.col(col)
    return pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(text.str.to_date("%Y-%m-%d", strict=False))


_ABOVE_MAX = f"is above the largest amount accepted per row ({MAX_AMOUNT:,})"


def _date_range_check(name: str, typed: pl.Expr) -> Check:
    """A date outside FIRST_DAY..LAST_DAY (a typo such as 0202 or 9999 would age an item by centuries)."""
    outside = typed.is_not_null() & ((typed < pl.lit(FIRST_DAY)) | (typed > pl.lit(LAST_DAY)))
    return Check(outside, _msg(name, f"is outside the supported range {FIRST_DAY} to {LAST_DAY}"))


def _amount_message(name: str, decimals: int, bounded: bool = False) -> pl.Expr:
    """Why a decimal text is refused (evaluated on flagged rows only).

    ``bounded``: an amount, whose "too large" (more than 15 integer digits) is
    said as the row bound it breaks, as for every other amount above it.
    """
    _, why = parse_scaled(pl.col(name), decimals)
    too_big = (why == "is too large") if bounded else pl.lit(False)
    return (
        pl.when(pl.col(name).str.strip_chars().str.starts_with("-"))
        .then(_msg(name, "is negative (amounts are positive; a credit note has its own doc_type)"))
        .when(too_big)
        .then(_msg(name, _ABOVE_MAX))
        .when(why.is_not_null())
        .then(pl.concat_str([_msg(name, ""), why]))
        .otherwise(_msg(name, "is zero (it must be positive)"))
    )


def _checks(
    column: Column, dtype: pl.DataType | None = None, plain: bool = False
) -> tuple[list[Check], pl.Expr | None]:
    """Reason expressions for one column and the typed value expression.

    ``dtype`` is the column's type as read: text for CSV, possibly ``Date`` or
    ``Decimal`` for Parquet, which need no parsing. ``plain``: the text is
    known to hold no NUL byte (the check is left out).
    """
    name = column.name
    col = pl.col(name)
    present = col.is_not_null()
    reasons: list[Check] = []
    if column.required:
        reasons.append(Check(~present, pl.lit(f"{name} is missing")))
    kind = column.kind
    typed: pl.Expr | None = None
    if kind in ("id", "text", "country"):
        typed = col
        # a NUL byte passes most tools unseen and breaks PostgreSQL and C libraries later
        if not plain:
            reasons.append(
                Check(
                    present & col.cast(pl.String).str.contains("\x00", literal=True),
                    pl.lit(f"{name} contains a NUL byte (\\x00)"),
                )
            )
    elif kind == "date" and dtype == pl.Date:
        typed = col
        reasons.append(_date_range_check(name, typed))
    elif kind == "date":
        typed = _date(name)
        reasons.append(Check(present & typed.is_null(), _msg(name, "is not a valid date (YYYY-MM-DD)")))
        reasons.append(_date_range_check(name, typed))
    elif kind == "amount" and isinstance(dtype, pl.Decimal) and dtype.scale <= AMOUNT_DECIMALS:
        # typed input (Parquet Decimal): exact; the sign and the bound need checking
        exact = col.cast(pl.Decimal(38, AMOUNT_DECIMALS))
        too_big = present & (exact.abs() > pl.lit(MAX_AMOUNT, pl.Decimal(38, AMOUNT_DECIMALS)))
        typed = pl.when(~too_big).then((exact * 10**AMOUNT_DECIMALS).cast(pl.Int64))
        reasons.append(Check(too_big, _msg(name, _ABOVE_MAX)))
        reasons.append(
            Check(
                present & (typed <= 0),
                pl.when(typed < 0)
                .then(_msg(name, "is negative (amounts are positive; a credit note has its own doc_type)"))
                .otherwise(_msg(name, "is zero (it must be positive)")),
            )
        )
    elif kind == "amount":
        # one strict pattern decides validity; the detailed reason is built only for flagged rows
        text = col.str.strip_chars()
        ok = text.str.contains(r"^[0-9]{1,15}(\.[0-9]{1,3})?$")
        typed = pl.when(ok).then(
            (
                text.str.to_decimal(scale=AMOUNT_DECIMALS).cast(pl.Decimal(38, AMOUNT_DECIMALS)) * 10**AMOUNT_DECIMALS
            ).cast(pl.Int64)
        )
        reasons.append(Check(present & (~ok | (typed == 0)), _amount_message(name, AMOUNT_DECIMALS, bounded=True)))
        reasons.append(Check(present & ok & (typed > MAX_AMOUNT * 10**AMOUNT_DECIMALS), _msg(name, _ABOVE_MAX)))
    elif kind == "rate":
        typed, why = parse_scaled(col, RATE_DECIMALS)
        reasons.append(Check(present & (why.is_not_null() | (typed == 0)), _amount_message(name, RATE_DECIMALS)))
    elif kind in ("int", "score"):
        ok = col.str.contains(r"^\s*\d{1,9}\s*$")
        typed = pl.when(ok).then(col.str.strip_chars().cast(pl.Int64, strict=False))
        reasons.append(Check(present & ~ok, _msg(name, "is not a whole number")))
        if kind == "score":
            reasons.append(Check(present & ok & (typed > 100), _msg(name, "is outside 0-100")))
    elif kind == "bool":
        low = col.str.strip_chars().str.to_lowercase()
        typed = pl.when(~present).then(False).when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
        reasons.append(Check(present & typed.is_null(), _msg(name, "is not true/false")))
    elif kind == "currency":
        typed = col.str.strip_chars()
        reasons.append(Check(present & ~typed.str.contains(r"^[A-Z]{3}$"), _msg(name, "is not an ISO 4217 code")))
    elif kind == "enum":
        typed = col.str.strip_chars().str.to_lowercase()
        allowed = ", ".join(column.values)
        reasons.append(Check(present & ~typed.is_in(column.values), _msg(name, f"is not one of {allowed}")))
    return reasons, typed


#: C0 controls except tab, line feed and carriage return (which quoted CSV fields may hold), DEL and the C1 controls.
_CONTROL = "\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"


def describe_invalid_text(value: str, marker: int | None = None, encoding: str = "UTF-8") -> str | None:
    """Why ``value`` is not clean text, naming the first offending character and its position (1 = first).

    Finds, in this order of appearance: a byte the reader could not decode
    (a marker character of block ``marker``: "invalid UTF-8 (byte 0xff at
    position 12)", an encoded UTF-16 surrogate named as such), U+FFFD (left by
    an earlier lossy decoding), the non-characters U+FFFE and U+FFFF, and
    control characters other than tab, line feed and carriage return (NUL has
    its own rule). Returns ``None`` for clean text.
    """
    for pos, char in enumerate(value, 1):
        code = ord(char)
        if marker is not None and marker <= code < marker + 0x100:
            byte = code - marker
            follow = [ord(c) - marker for c in value[pos : pos + 2]]
            if byte == 0xED and len(follow) == 2 and 0xA0 <= follow[0] <= 0xBF and 0x80 <= follow[1] <= 0xBF:
                surrogate = 0xD000 | ((follow[0] & 0x3F) << 6) | (follow[1] & 0x3F)
                return (
                    f"contains invalid {encoding} (bytes 0xed 0x{follow[0]:02x} 0x{follow[1]:02x} at position "
                    f"{pos}: the lone surrogate U+{surrogate:04X})"
                )
            return f"contains invalid {encoding} (byte 0x{byte:02x} at position {pos})"
        if code == 0xFFFD:
            return f"contains U+FFFD, the replacement character of a lossy decoding (at position {pos})"
        if code in (0xFFFE, 0xFFFF):
            return f"contains U+{code:04X}, which is not a character (at position {pos})"
        if code and (code < 0x20 and char not in "\t\n\r" or 0x7F <= code <= 0x9F):
            return f"contains the control character U+{code:04X} (at position {pos})"
    return None


def invalid_text_check(name: str, marker: int | None = None, encoding: str = "UTF-8") -> Check:
    """Rule: text holds no undecodable byte, U+FFFD, non-character or control character (see :func:`describe_invalid_text`)."""
    chars = _CONTROL + "\ufffd\ufffe\uffff"
    if marker is not None:
        chars += f"{chr(marker)}-{chr(marker + 0xFF)}"
    col = pl.col(name).cast(pl.String)

    def why(value: str) -> str | None:
        found = describe_invalid_text(value, marker, encoding)
        return None if found is None else f"{name} {found}"

    return Check(col.str.contains(f"[{chars}]"), col.map_elements(why, return_dtype=pl.String))


def minor_unit_check(amount_col: str, currency_col: str) -> Check:
    """Rule: an amount has no more decimals than its currency allows."""
    step = pl.col(currency_col).replace_strict(
        {k: 10 ** (AMOUNT_DECIMALS - v) for k, v in _MINOR_UNITS.items()}, default=10, return_dtype=pl.Int64
    )
    return Check(
        pl.col(amount_col).is_not_null() & (pl.col(amount_col) % step != 0),
        pl.concat_str([pl.lit(f"{amount_col} has more decimals than "), pl.col(currency_col), pl.lit(" allows")]),
    )


def combine_reasons(reasons: list[pl.Expr]) -> pl.Expr:
    """One text of all reasons of a row (null when none)."""
    if not reasons:
        return pl.lit(None, pl.String)
    joined = pl.concat_str(reasons, separator="; ", ignore_nulls=True)
    return pl.when(joined != "").then(joined)


def add_reasons(frame: pl.DataFrame, reasons: list[Check], column: str = REASON) -> pl.DataFrame:
    """Append reasons to a frame's reason column (creating it when absent).

    Each reason is a :class:`Check`. Messages are
    built only for rows where some reason applies: a cheap pass finds those
    rows (usually none), then the texts are made for that subset and joined
    back by line, so a clean million-row file costs one boolean pass.
    """
    if column not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias(column))
    if not reasons:
        return frame
    flags = frame.select(pl.any_horizontal([r.bad.fill_null(False) for r in reasons]).alias("_any"))["_any"]
    if not flags.any():
        return frame
    subset = frame.filter(flags)
    texts = subset.select(
        pl.col("_line"), combine_reasons([pl.col(column), *(r.reason() for r in reasons)]).alias("_new")
    )
    return (
        frame.join(texts, on="_line", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_new", column).alias(column))
        .drop("_new")
    )


def check_table(
    frame: pl.DataFrame,
    columns: tuple[Column, ...],
    *,
    plain: bool = False,
    marker: int | None = None,
    encoding: str = "UTF-8",
) -> pl.DataFrame:
    """Type a text frame by its declared columns and record each row's reasons.

    Returns the frame with declared columns typed (text stays text, dates as
    ``Date``, amounts as Int64 mills, rates as Int64 scaled 10**12, ints as
    Int64, bools as Boolean), absent optional columns added as nulls, extra
    columns kept as text, and a ``_reason`` column.

    Every text field of the row, declared or extra, is checked for invalid
    characters (:func:`invalid_text_check`): ``marker`` is the reader's block
    for undecodable bytes (``None`` when there were none) and ``encoding`` the
    name of the file's encoding in messages. ``plain=True`` (the reader saw no
    byte that could start a NUL, a control or an invalid character) skips the
    character checks, which then cannot find anything.
    """
    text_cols = [c for c, t in frame.schema.items() if t == pl.String]
    if text_cols:
        # trim only the columns that need it, so clean columns keep sharing memory with the raw frame
        needs = frame.select(
            (pl.col(c).str.contains(r"^\s|\s$") | (pl.col(c) == "")).any().alias(c) for c in text_cols
        ).row(0, named=True)
        frame = frame.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in text_cols if needs[c])
    missing = [c.name for c in columns if c.name not in frame.columns]
    frame = frame.with_columns(pl.lit(None, pl.String).alias(m) for m in missing)
    reasons: list[Check] = []
    typed: list[pl.Expr] = []
    for column in columns:
        col_reasons, value = _checks(column, frame.schema.get(column.name), plain)
        reasons.extend(col_reasons)
        if value is not None:
            typed.append(value.alias(column.name))
    if not plain:
        declared = {c.name for c in columns}
        text_now = [c for c, t in frame.schema.items() if t == pl.String and c != "_line"]
        order = [c.name for c in columns if c.name in text_now] + [c for c in text_now if c not in declared]
        reasons.extend(invalid_text_check(c, marker, encoding) for c in order)
    frame = add_reasons(frame, reasons)
    frame = frame.with_columns(typed)
    return frame


def country_warning() -> Check:
    """Warning for country codes that are not ISO 3166-1 alpha-2 (kept, flagged)."""
    return Check(
        pl.col("country").is_not_null() & ~pl.col("country").is_in(sorted(iso_countries())),
        pl.concat_str([pl.lit("country '"), pl.col("country"), pl.lit("' is not an ISO 3166-1 alpha-2 code (kept)")]),
    )
