"""Load a canonical ledger folder: read, validate, quarantine, type.

``load_ledger(folder)`` never stops at the first bad row: every row of every
file is checked, bad rows go to quarantine with their file, line and reason,
and the load report gives per-file control totals that tie out
(read = loaded + quarantined). Only a ledger that cannot be read at all (a
missing required file or column, an unreadable ``ledger.toml``) raises
:class:`LedgerReadError`.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import polars as pl

from ..policy import Table, currency_code, text, validate
from ..errors import Issue, LedgerReadError
from ..fx import FxTable
from ..money import mills_to_decimal
from .model import FileReport, Ledger, LoadReport
from .reader import LINE, RawTable, encoding_label, find_table, read_table
from .schema import KEYS, LOAD_ORDER, REQUIRED_TABLES, TABLES
from .validate import REASON, WARN, Check, add_reasons, check_table, country_warning, minor_unit_check

DEFAULT_ENTITY = "MAIN"
_LANG_BY_COUNTRY = {
    "FR": "fr",
    "BE": "fr",
    "LU": "fr",
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "ES": "es",
    "MX": "es",
    "AR": "es",
    "CO": "es",
    "CL": "es",
    "PE": "es",
    "PT": "pt",
    "BR": "pt",
}


LEDGER_SETTINGS = Table(
    {"company": text(), "reporting_currency": currency_code, "encoding": text()},
    optional=frozenset({"company", "reporting_currency", "encoding"}),
)
"""The declared shape of ``ledger.toml``: every key optional, unknown keys refused with a did-you-mean."""


def read_settings(folder: Path) -> dict[str, str]:
    """``ledger.toml`` settings with defaults (company, reporting_currency, encoding), checked against their shape.

    A wrong type (``reporting_currency = 5``, ``company = ["a", "b"]``) or an
    unknown key raises :class:`LedgerReadError` naming every problem, instead
    of a misleading error later or a silently ignored value.
    """
    settings = {"company": folder.resolve().name, "reporting_currency": "EUR"}
    path = folder / "ledger.toml"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise LedgerReadError(f"ledger.toml: cannot be read: {exc}") from exc
        checked, problems = validate(data, LEDGER_SETTINGS)
        if problems:
            raise LedgerReadError("ledger.toml: " + "; ".join(problems))
        settings.update({k: str(v) for k, v in checked.items()})
    return settings


def _empty_text(stem: str) -> pl.DataFrame:
    cols = {c.name: pl.String for c in TABLES[stem]}
    return pl.DataFrame(schema={**cols, LINE: pl.Int64})


#: Up to this many bad rows, the good rows are zero-copy slices between them rather than a filtered copy.
_SLICE_LIMIT = 1000


def _without(frame: pl.DataFrame, drop: pl.Series) -> pl.DataFrame:
    """``frame`` without the rows where ``drop`` is true, without copying it when they are few."""
    positions = drop.arg_true().to_list()
    if len(positions) > _SLICE_LIMIT:
        return frame.filter(~drop)
    pieces, start = [], 0
    for pos in positions:
        if pos > start:
            pieces.append(frame.slice(start, pos - start))
        start = pos + 1
    pieces.append(frame.slice(start))
    return pl.concat(pieces, rechunk=False)


def _duplicates(frame: pl.DataFrame, keys: tuple[str, ...], seen: pl.DataFrame | None = None) -> pl.DataFrame:
    """Quarantine every later row repeating a key (the first occurrence stays).

    ``seen`` (keys and ``_first``, the line of their first row) holds the keys
    of earlier chunks of the same file, so that a file checked chunk by chunk
    gets exactly the reasons of a file checked whole.
    """
    all_present = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    dup = pl.col(keys[0]).is_duplicated() if len(keys) == 1 else pl.struct(keys).is_duplicated()
    first = pl.col(LINE).min().over(keys)
    if seen is not None and seen.height:
        frame = frame.join(seen.rename({"_first": "_seen"}), on=list(keys), how="left", maintain_order="left")
        dup = dup | pl.col("_seen").is_not_null()
        first = pl.coalesce("_seen", first)
    repeated = frame.select(all_present & dup)[:, 0]
    if not repeated.any():
        return frame.drop("_seen", strict=False)
    label = " + ".join(keys)
    value = pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=" / ")
    return add_reasons(
        frame.with_columns(_first=first),
        [
            Check(
                all_present & (pl.col(LINE) != pl.col("_first")),
                pl.concat_str(
                    [
                        pl.lit(f"duplicate {label} '"),
                        value,
                        pl.lit("' (first at line "),
                        pl.col("_first").cast(pl.String),
                        pl.lit(")"),
                    ]
                ),
            )
        ],
    ).drop("_first", "_seen", strict=False)


def first_lines(frame: pl.DataFrame, keys: tuple[str, ...], seen: pl.DataFrame | None = None) -> pl.DataFrame:
    """``seen`` grown by the keys of ``frame`` (a checked chunk) not met before, with their first line."""
    present = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    new = present.group_by(list(keys)).agg(pl.col(LINE).min().alias("_first"))
    if seen is None:
        return new
    return pl.concat([seen, new.join(seen, on=list(keys), how="anti")])


def _reference(
    frame: pl.DataFrame,
    column: str,
    target: pl.DataFrame,
    target_col: str,
    target_file: str,
    quarantined: pl.DataFrame | None,
    optional: bool = False,
) -> pl.DataFrame:
    """Flag values of ``column`` that are not keys of ``target`` (naming quarantined targets)."""
    known = target[target_col].implode()
    frame = frame.with_columns(pl.col(column).is_in(known).alias("_found"))
    note = pl.lit("")
    if quarantined is not None and quarantined.height:
        q = quarantined.select(pl.col(target_col).alias(column), pl.col(LINE).alias("_qline")).unique(
            column, keep="first"
        )
        frame = frame.join(q, on=column, how="left")
        note = (
            pl.when(pl.col("_qline").is_not_null())
            .then(
                pl.concat_str(
                    [pl.lit(f" (quarantined at {target_file}:"), pl.col("_qline").cast(pl.String), pl.lit(")")]
                )
            )
            .otherwise(pl.lit(""))
        )
    present = pl.col(column).is_not_null()
    reason = Check(
        present & ~pl.col("_found"),
        pl.concat_str([pl.lit(f"{column} '"), pl.col(column), pl.lit(f"' is not in {target_file}"), note]),
    )
    frame = add_reasons(frame, [reason])
    return frame.drop([c for c in ("_found", "_qline") if c in frame.columns])


#: Where each table uses a currency that must be converted: (currency column, date column or None, column that
#: must be set for the currency to count). Credit limits have no date: any rate of their currency will do.
FX_USES: dict[str, tuple[str, str | None, str | None]] = {
    "customers": ("credit_limit_currency", None, "credit_limit"),
    "documents": ("currency", "doc_date", None),
    "payments": ("currency", "value_date", None),
    "orders": ("currency", "order_date", None),
}


@dataclass
class FxNeeds:
    """The rule "every currency used has a rate": first uses of each currency, and each currency's first rate.

    Fed with the good rows of each table, whole or chunk by chunk
    (:meth:`add`), so that ``load_ledger`` and the streaming ``validate``
    apply the same rule; :meth:`issues` names, per file and currency other
    than the reporting currency, the first row (earliest date, then line)
    that no rate on or before its date covers. The rows stay loaded: the
    issues are warnings, and a conversion that needs the rate later refuses
    with :class:`~workbench.errors.MissingRateError`.
    """

    reporting: str
    uses: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    rates: list[pl.DataFrame] = field(default_factory=list)

    def add(self, stem: str, good: pl.DataFrame) -> None:
        """Record the currencies of checked good rows of ``stem`` (a whole table or one chunk)."""
        if stem == "fx_rates":
            self.rates.append(
                good.filter(pl.col("currency") != self.reporting)
                .group_by("currency")
                .agg(pl.col("date").min().alias("first"))
            )
            return
        if stem not in FX_USES:
            return
        currency, day, needed = FX_USES[stem]
        rows = good.filter(pl.col(currency).is_not_null() & (pl.col(currency) != self.reporting))
        if needed is not None:
            rows = rows.filter(pl.col(needed).is_not_null())
        date_expr = pl.col(day) if day is not None else pl.lit(None, pl.Date)
        part = rows.select(pl.col(currency).alias("currency"), date_expr.alias("date"), pl.col(LINE).alias("line"))
        self.uses.setdefault(stem, []).append(_first_uses(part, dated=day is not None))

    def issues(self, names: dict[str, str]) -> list[Issue]:
        """One warning per file and currency whose first use has no rate on or before its date."""
        rates = (
            pl.concat(self.rates).group_by("currency").agg(pl.col("first").min())
            if self.rates
            else pl.DataFrame(schema={"currency": pl.String, "first": pl.Date})
        )
        fx_file = names.get("fx_rates", "fx_rates.csv")
        found: list[Issue] = []
        for stem in LOAD_ORDER:
            if stem not in self.uses:
                continue
            dated = FX_USES[stem][1] is not None
            firsts = _first_uses(pl.concat(self.uses[stem]), dated).join(rates, on="currency", how="left")
            lacking = firsts.filter(
                pl.col("first").is_null() | (pl.col("date").is_not_null() & (pl.col("first") > pl.col("date")))
            )
            for cur, day, line, first in lacking.sort("currency").iter_rows():
                found.append(Issue(names[stem], line, _missing_rate(cur, day, first, fx_file), quarantined=False))
        return found


#: Lines are below this, so ``days * _LINES + line`` orders rows by date, then line (dates are checked to lie
#: between 1970 and 2100: at most 48,000 days, and the product stays far below 2**63).
_LINES = 10**11


def _first_uses(part: pl.DataFrame, dated: bool) -> pl.DataFrame:
    """Per currency, the earliest date and the first line with that date (``dated=False``: the first line).

    One integer minimum per currency, not a sort: a sort of ten million
    documents would add seconds to every load.
    """
    day = pl.col("date").cast(pl.Int64) if dated else pl.lit(0, pl.Int64)
    first = part.group_by("currency").agg((day * _LINES + pl.col("line")).min().alias("_k"))
    return first.select(
        pl.col("currency").cast(pl.String),
        (pl.col("_k") // _LINES).cast(pl.Int32).cast(pl.Date).alias("date")
        if dated
        else pl.lit(None, pl.Date).alias("date"),
        (pl.col("_k") % _LINES).alias("line"),
    )


def _missing_rate(currency: str, day: date | None, first: date | None, fx_file: str) -> str:
    """Why a currency's first use lacks a rate, and what fails because of it."""
    if day is None:
        return (
            f"credit_limit_currency {currency} has no exchange rate in {fx_file}: "
            f"credit limits in {currency} cannot be converted (add a row for {currency} to {fx_file})"
        )
    what = f"no exchange rate for {currency} on or before {day.isoformat()}, the earliest date of a {currency} row here"
    since = f"its first row in {fx_file} is dated {first.isoformat()}" if first else f"{fx_file} has none for it"
    return (
        f"{what} ({since}): figures converting these {currency} amounts will refuse to run "
        f"(add a row to {fx_file} dated on or before {day.isoformat()})"
    )


@dataclass
class RuleContext:
    """What the cross-table rules of a table look at: the tables loaded before it.

    ``names`` maps each table to its file name; ``bad`` holds the quarantined
    rows of earlier tables (at least their key and ``_line``); ``customers``,
    ``documents`` and ``payments`` their good rows (at least the columns the
    rules read; ``documents`` and ``payments`` with their dense ``key``).
    """

    reporting: str
    names: dict[str, str] = field(default_factory=dict)
    bad: dict[str, pl.DataFrame] = field(default_factory=dict)
    customers: pl.DataFrame | None = None
    documents: pl.DataFrame | None = None
    payments: pl.DataFrame | None = None
    fx_needs: FxNeeds | None = None

    def __post_init__(self) -> None:
        if self.fx_needs is None:
            self.fx_needs = FxNeeds(self.reporting)

    def rate_issues(self) -> list[Issue]:
        """The missing-rate warnings once every table is checked (see :class:`FxNeeds`)."""
        assert self.fx_needs is not None
        return self.fx_needs.issues(self.names)

    def frame(self, stem: str) -> pl.DataFrame:
        """The good rows of an earlier table (an error to ask before it is loaded)."""
        found = getattr(self, stem)
        assert isinstance(found, pl.DataFrame), f"{stem} is not loaded yet"
        return found


def _known_customer(frame: pl.DataFrame, ctx: RuleContext) -> pl.DataFrame:
    return _reference(
        frame, "customer_id", ctx.frame("customers"), "customer_id", ctx.names["customers"], ctx.bad.get("customers")
    )


def _document_rules(frame: pl.DataFrame, ctx: RuleContext) -> pl.DataFrame:
    frame = _known_customer(frame, ctx)
    needs_due = pl.col("doc_type").is_in(["invoice", "debit_note"])
    return add_reasons(
        frame,
        [
            Check(
                needs_due & pl.col("due_date").is_null() & ~pl.col(REASON).fill_null("").str.contains("due_date '"),
                pl.lit("due_date is missing (required for invoices and debit notes)"),
            ),
            Check(pl.col("due_date") < pl.col("doc_date"), pl.lit("due_date is before doc_date")),
            Check(pl.col("service_end") < pl.col("service_start"), pl.lit("service_end is before service_start")),
            minor_unit_check("amount", "currency"),
        ],
    )


def _payment_rules(frame: pl.DataFrame, ctx: RuleContext) -> pl.DataFrame:
    frame = _known_customer(frame, ctx)
    clash = pl.col("payment_id").is_in(ctx.frame("documents")["document_id"].implode())
    doc_names = ctx.names["documents"]
    return add_reasons(
        frame,
        [
            Check(
                clash,
                pl.concat_str(
                    [pl.lit("payment_id '"), pl.col("payment_id"), pl.lit(f"' is also a document_id in {doc_names}")]
                ),
            ),
            minor_unit_check("amount", "currency"),
        ],
    )


def _order_rules(frame: pl.DataFrame, ctx: RuleContext) -> pl.DataFrame:
    return add_reasons(_known_customer(frame, ctx), [minor_unit_check("amount", "currency")])


def _warnings(stem: str, ctx: RuleContext) -> list[Check]:
    """Checks that flag a row without quarantining it."""
    if stem == "customers":
        return [country_warning()]
    if stem == "fx_rates":
        rep = ctx.reporting
        return [
            Check(
                pl.col("currency") == rep,
                pl.lit(f"{rep} is the reporting currency: its rate is always 1 (row ignored)"),
            )
        ]
    return []


#: The cross-table rules of each table, applied to its checked rows (allocations: all but over-allocation).
RULES = {
    "documents": _document_rules,
    "payments": _payment_rules,
    "allocations": lambda frame, ctx: _allocation_rules(frame, ctx),
    "orders": _order_rules,
    "financials": _known_customer,
    "contacts": _known_customer,
}


def check_rows(
    stem: str, raw_text: pl.DataFrame, raw: RawTable | None, ctx: RuleContext, seen: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Every rule of one table on rows as read (the whole file or a chunk): typed rows with reasons.

    The row checks of :func:`check_table`, duplicate keys (``seen``: the keys
    of earlier chunks, see :func:`first_lines`), warnings and the table's
    cross-table rules (``RULES``, given ``ctx``). Over-allocation, which
    depends on every allocation, is left to :func:`over_allocation`.
    """
    if raw is None:
        typed = check_table(raw_text, TABLES[stem])
    else:
        typed = check_table(raw_text, TABLES[stem], plain=raw.plain, marker=raw.marker, encoding=_label(raw.encoding))
    if stem in KEYS:
        typed = _duplicates(typed, KEYS[stem], seen)
    warn = _warnings(stem, ctx)
    if warn:
        typed = add_reasons(typed, warn, WARN)
    rules = RULES.get(stem)
    return typed if rules is None else rules(typed, ctx)


def _label(encoding: str) -> str:
    """The encoding named in messages: Parquet and Excel text is UTF-8."""
    return "UTF-8" if encoding in ("parquet", "xlsx") else encoding_label(encoding)


def amount_total(mills: int | None) -> Decimal:
    """A control total of mills as shown in the load report (at least two decimals)."""
    return mills_to_decimal(mills or 0).quantize(Decimal("0.001")).normalize() + Decimal("0.00")


class _Loader:
    """Holds the state of one load: quarantined rows, issues and per-file reports."""

    def __init__(self, folder: Path, settings: dict[str, str]) -> None:
        self.folder = folder
        self.settings = settings
        self.reporting = settings["reporting_currency"]
        self.files: dict[str, FileReport] = {}
        self.issues: list[Issue] = []
        self.quarantine: dict[str, pl.DataFrame] = {}
        self.ctx = RuleContext(self.reporting)
        self.bad = self.ctx.bad
        self.names = self.ctx.names

    def read(self, stem: str) -> tuple[pl.DataFrame, RawTable | None]:
        path = table_path(self.folder, stem, self.names)
        if path is None:
            return _empty_text(stem), None
        raw = read_table(path, self.settings.get("encoding"))
        require_columns(stem, raw)
        self.issues.extend(raw.notes)
        return raw.frame, raw

    def finish(self, stem: str, text_bad: pl.DataFrame, typed: pl.DataFrame, raw: RawTable | None) -> pl.DataFrame:
        """Split good/bad rows, record issues, quarantine and control totals.

        ``text_bad`` holds the bad rows as read (text), with their reasons.
        """
        file = self.names[stem]
        if WARN in typed.columns:
            for line, reason in typed.filter(pl.col(WARN).is_not_null()).select(LINE, WARN).iter_rows():
                self.issues.append(Issue(file, line, reason, quarantined=False))
            typed = typed.drop(WARN)
        is_bad = typed[REASON].is_not_null()
        if is_bad.any():
            bad, good = typed.filter(is_bad), _without(typed, is_bad).drop(REASON)
        else:  # the usual case: no copy of a clean table
            bad, good = typed.clear().with_columns(pl.col(REASON).cast(pl.String)), typed.drop(REASON)
        broken = raw.broken if raw else []
        for line, reason, _ in broken:
            self.issues.append(Issue(file, line, reason))
        for line, reason in bad.select(LINE, REASON).iter_rows():
            self.issues.append(Issue(file, line, reason))
        text_bad = text_bad.with_columns(pl.exclude(LINE).cast(pl.String))
        if broken:
            text_bad = pl.concat(
                [
                    text_bad,
                    pl.DataFrame(
                        {LINE: [b[0] for b in broken], REASON: [b[1] for b in broken], "raw": [b[2] for b in broken]}
                    ),
                ],
                how="diagonal_relaxed",
            )
        if text_bad.height:
            self.quarantine[file] = text_bad.sort(LINE)
        has_amount = "amount" in typed.columns

        def total(frame: pl.DataFrame) -> Decimal | None:
            if not has_amount:
                return None
            return amount_total(cast(int, frame["amount"].cast(pl.Int128).sum()))

        loaded, quarantined = total(good), total(bad)
        self.files[file] = FileReport(
            file,
            good.height + bad.height + len(broken),
            good.height,
            bad.height + len(broken),
            None if loaded is None or quarantined is None else loaded + quarantined,
            loaded,
            quarantined,
        )
        assert self.ctx.fx_needs is not None
        self.ctx.fx_needs.add(stem, good)
        self.bad[stem] = bad  # good rows are returned, not kept: the caller's frame is the only copy
        return good

    def table(self, stem: str) -> pl.DataFrame:
        raw_text, raw = self.read(stem)
        typed = check_rows(stem, raw_text, raw, self.ctx)
        if stem == "allocations":
            typed = over_allocation(typed, self.ctx)
        bad_lines = typed.filter(pl.col(REASON).is_not_null()).select(LINE, REASON)
        text_bad = (
            raw_text.join(bad_lines, on=LINE, how="inner")
            if bad_lines.height
            else raw_text.clear().with_columns(pl.lit(None, pl.String).alias(REASON))
        )
        # the text as read is no longer needed: let it go before the good rows are split off
        del raw_text
        if raw is not None:
            raw.frame = text_bad.clear()
        return self.finish(stem, text_bad, typed, raw)


def table_path(folder: Path, stem: str, names: dict[str, str]) -> Path | None:
    """The file of table ``stem`` (recording its name in ``names``); ``None`` for an absent optional table."""
    path = find_table(folder, stem)
    if path is None:
        if stem in REQUIRED_TABLES:
            raise LedgerReadError(f"{stem}.csv: required file is missing from {folder}")
        names[stem] = f"{stem}.csv"
        return None
    names[stem] = path.name
    return path


def require_columns(stem: str, raw: RawTable) -> None:
    """Raise :class:`LedgerReadError` when the table as read lacks a required column."""
    missing = [c.name for c in TABLES[stem] if c.required and c.name not in raw.frame.columns]
    if missing:
        raise LedgerReadError(
            f"{raw.file}: missing required column(s) {', '.join(missing)} "
            f"(header has: {', '.join(c for c in raw.frame.columns if c != LINE)})"
        )


def load_ledger(folder: str | Path, cache_dir: str | Path | None = None) -> Ledger:
    """Load and validate a canonical ledger folder (see docs/ledger-format.md).

    Returns a :class:`Ledger` whose ``report`` lists every issue with file,
    line and reason; bad rows are in ``report.quarantine``, never dropped
    silently. Raises :class:`LedgerReadError` when the ledger cannot be read.

    With ``cache_dir``, a ledger stored there by an earlier load of exactly
    the same files (same folder, sizes, times and contents, same workbench)
    is returned instead of loading again, and a fresh load is stored there
    (:mod:`workbench.ledger.cache`). The result is the same either way.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LedgerReadError(f"{folder}: no such ledger folder")
    if cache_dir is None:
        return _load(folder)
    from .cache import read_cached, write_cached

    cached, print_ = read_cached(folder, Path(cache_dir))
    if cached is not None:
        return cached
    ledger = _load(folder)
    if print_ is not None:
        write_cached(folder, Path(cache_dir), ledger, print_)
    return ledger


def _load(folder: Path) -> Ledger:
    """The load itself (no cache)."""
    settings = read_settings(folder)
    ld = _Loader(folder, settings)
    rep = ld.reporting
    ctx = ld.ctx

    customers = ld.table("customers")
    customers = customers.with_columns(
        pl.col("entity").fill_null(DEFAULT_ENTITY),
        pl.col("payment_terms_days").fill_null(30),
        pl.col("credit_limit_currency").fill_null(rep),
        pl.col("status").fill_null("active"),
        pl.col("language").fill_null(pl.col("country").replace_strict(_LANG_BY_COUNTRY, default="en")),
    )
    ctx.customers = customers

    documents = ld.table("documents")
    cust_entity = customers.select("customer_id", pl.col("entity").alias("_cust_entity"))
    documents = documents.with_columns(
        pl.coalesce(pl.col("entity"), _customer_entity(documents, cust_entity), pl.lit(DEFAULT_ENTITY)).alias("entity"),
        pl.col("due_date").fill_null(pl.col("doc_date")),
        pl.col("disputed").fill_null(False),
    )
    # Invoices and debit notes first, credit notes after (each in file order): the receivables the
    # as-of engine works on are then a zero-copy slice of this frame, not a filtered copy of it.
    is_note = documents["doc_type"] == "credit_note"
    if not is_note.is_sorted():
        documents = documents.sort(is_note, maintain_order=True)
    documents = documents.with_row_index("key")
    ctx.documents = documents

    payments = ld.table("payments")
    payments = payments.with_columns(
        pl.coalesce(pl.col("entity"), _customer_entity(payments, cust_entity), pl.lit(DEFAULT_ENTITY)).alias("entity"),
    ).with_row_index("key", offset=documents.height)
    ctx.payments = payments

    allocations = finish_allocations(ld.table("allocations"))
    fx_rows = ld.table("fx_rates").filter(pl.col("currency") != rep)
    fx = FxTable(rep, fx_rows.select("date", "currency", "rate").sort("currency", "date"))
    orders = ld.table("orders")
    financials = ld.table("financials")

    contacts = ld.table("contacts")

    # the missing-rate warnings come last: they need every table, and the streaming validate finds them last too
    issues = sorted(ld.issues, key=lambda i: (file_rank(i.file), i.line)) + ctx.rate_issues()
    report = LoadReport(ld.files, issues, ld.quarantine)
    return Ledger(
        company=settings["company"],
        reporting_currency=rep,
        customers=customers.drop(LINE),
        documents=documents.drop(LINE),
        payments=payments.drop(LINE),
        allocations=allocations.drop(LINE),
        fx=fx,
        orders=orders.drop(LINE),
        financials=financials.drop(LINE),
        report=report,
        contacts=contacts.drop(LINE),
    )


def file_rank(file: str) -> int:
    """Where a file's issues come in the report: the load order of its table."""
    stem = _stem(file)
    return LOAD_ORDER.index(stem) if stem in LOAD_ORDER else 99


def _customer_entity(frame: pl.DataFrame, cust_entity: pl.DataFrame) -> pl.Series:
    """The entity of each row's customer, joined on the key column alone (no copy of the wide frame)."""
    return frame.select("customer_id").join(cust_entity, on="customer_id", how="left", maintain_order="left")[
        "_cust_entity"
    ]


def _stem(file: str) -> str:
    return file.rsplit(".", 1)[0]


def _allocation_rules(frame: pl.DataFrame, ctx: RuleContext) -> pl.DataFrame:
    """Cross-table rules of allocations (docs/ledger-format.md integrity rules) except over-allocation.

    Leaves the looked-up columns (``document_key``, ``source_key``, ``_d_amount``,
    ...) for :func:`over_allocation` and :func:`finish_allocations`.
    """
    documents, payments = ctx.frame("documents"), ctx.frame("payments")
    doc_file, pay_file = ctx.names["documents"], ctx.names["payments"]
    # Joined attributes are kept narrow: text that is only compared becomes a categorical (4 bytes a
    # row instead of a 16-byte string view), a document's type becomes one boolean. At 10M rows this
    # keeps the widest temporary of the load about a gigabyte smaller.
    cat = pl.Categorical
    docs = documents.select(
        "document_id",
        pl.col("key").alias("document_key"),
        (pl.col("doc_type") == "credit_note").alias("_d_cn"),
        pl.col("customer_id").cast(cat).alias("_d_cust"),
        pl.col("currency").cast(cat).alias("_d_cur"),
        pl.col("doc_date").alias("_d_date"),
        pl.col("amount").alias("_d_amount"),
    )
    credit_sources = documents.filter(pl.col("doc_type") == "credit_note").select(
        pl.col("document_id").alias("source_id"),
        pl.col("key").alias("source_key"),
        pl.lit(False).alias("_s_pay"),
        pl.col("customer_id").cast(cat).alias("_s_cust"),
        pl.col("currency").cast(cat).alias("_s_cur"),
        pl.col("doc_date").alias("_s_date"),
        pl.col("amount").alias("_s_amount"),
    )
    pay_sources = payments.select(
        pl.col("payment_id").alias("source_id"),
        pl.col("key").alias("source_key"),
        pl.lit(True).alias("_s_pay"),
        pl.col("customer_id").cast(cat).alias("_s_cust"),
        pl.col("currency").cast(cat).alias("_s_cur"),
        pl.col("value_date").alias("_s_date"),
        pl.col("amount").alias("_s_amount"),
    )
    sources = pl.concat([pay_sources, credit_sources])
    frame = _lookup(frame, docs, "document_id")
    frame = _lookup(frame, sources, "source_id")
    del docs, sources, pay_sources, credit_sources
    # whether an unresolved source_id names an invoice or debit note (looked up for those rows only)
    unresolved = frame.filter(pl.col("source_key").is_null() & pl.col("source_id").is_not_null())["source_id"]
    invoice_ids = documents.filter(
        pl.col("document_id").is_in(unresolved.implode()) & (pl.col("doc_type") != "credit_note")
    )["document_id"]
    frame = frame.with_columns(pl.col("source_id").is_in(invoice_ids.implode()).alias("_src_doc"))
    # lines of quarantined documents/payments, to say why a reference does not resolve (usually none)
    quarantined_docs = ctx.bad["documents"].select("document_id", pl.col(LINE).alias("_qd")).unique("document_id")
    quarantined_pays = (
        ctx.bad["payments"]
        .select(pl.col("payment_id").alias("source_id"), pl.col(LINE).alias("_qp"))
        .unique("source_id")
    )
    frame = (
        frame.join(quarantined_docs, on="document_id", how="left", maintain_order="left")
        if quarantined_docs.height
        else frame.with_columns(pl.lit(None, pl.Int64).alias("_qd"))
    )
    frame = (
        frame.join(quarantined_pays, on="source_id", how="left", maintain_order="left")
        if quarantined_pays.height
        else frame.with_columns(pl.lit(None, pl.Int64).alias("_qp"))
    )

    def q_note(col: str, file: str) -> pl.Expr:
        return (
            pl.when(pl.col(col).is_not_null())
            .then(pl.concat_str([pl.lit(f" (quarantined at {file}:"), pl.col(col).cast(pl.String), pl.lit(")")]))
            .otherwise(pl.lit(""))
        )

    have_both = pl.col("document_key").is_not_null() & pl.col("source_key").is_not_null()
    text = lambda *parts: pl.concat_str([p if isinstance(p, pl.Expr) else pl.lit(p) for p in parts])  # noqa: E731
    doc_id, src_id = pl.col("document_id"), pl.col("source_id")
    rules = [
        Check(
            doc_id.is_not_null() & pl.col("document_key").is_null(),
            text("document_id '", doc_id, f"' is not in {doc_file}", q_note("_qd", doc_file)),
        ),
        Check(
            pl.col("_d_cn"), text("document_id '", doc_id, "' is a credit note (allocate credit notes as source_id)")
        ),
        Check(
            src_id.is_not_null() & pl.col("source_key").is_null() & pl.col("_src_doc"),
            text("source_id '", src_id, "' is an invoice or debit note, not a payment or credit note"),
        ),
        Check(
            src_id.is_not_null() & pl.col("source_key").is_null() & ~pl.col("_src_doc"),
            text(
                "source_id '",
                src_id,
                f"' is neither in {pay_file} nor a credit note in {doc_file}",
                q_note("_qp", pay_file),
            ),
        ),
        Check(
            have_both & (pl.col("_s_cur") != pl.col("_d_cur")),
            text(
                "currency of source (",
                pl.col("_s_cur").cast(pl.String),
                ") differs from the document's (",
                pl.col("_d_cur").cast(pl.String),
                ")",
            ),
        ),
        Check(
            have_both & pl.col("_s_cust").is_null(),
            text("payment '", src_id, "' is unidentified (no customer_id): identify it before allocating"),
        ),
        Check(
            have_both & pl.col("_s_cust").is_not_null() & (pl.col("_s_cust") != pl.col("_d_cust")),
            text(
                "source customer (",
                pl.col("_s_cust").cast(pl.String),
                ") differs from the document's (",
                pl.col("_d_cust").cast(pl.String),
                ")",
            ),
        ),
        Check(
            have_both & (pl.col("allocation_date") < pl.max_horizontal("_s_date", "_d_date")),
            pl.lit("allocation_date is before the date of its source or document"),
        ),
        minor_unit_check("amount", "_d_cur_text"),
    ]
    return add_reasons(frame.with_columns(pl.col("_d_cur").cast(pl.String).alias("_d_cur_text")), rules)


#: The columns of checked allocations that the over-allocation rule reads.
OVER_COLUMNS = (
    LINE,
    "allocation_date",
    "document_id",
    "source_id",
    "document_key",
    "source_key",
    "amount",
    "_d_amount",
    "_s_amount",
)


def allocation_limits(ctx: RuleContext) -> np.ndarray:
    """The amount of every document and payment, indexed by their dense ``key``."""
    return np.concatenate([ctx.frame("documents")["amount"].to_numpy(), ctx.frame("payments")["amount"].to_numpy()])


def allocated_sums(frame: pl.DataFrame, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums per document key and per source key of the allocations that pass every other rule (float64).

    They only decide whether any side exceeds its amount, and that decision is
    exact: every amount is a whole number of mills of at most ``MAX_AMOUNT``
    (10**15 mills), so a sum stays exact in float64 while it is below 2**53
    (about 9 * 10**15), and a sum beyond that exceeds any document or payment.
    Int64 totals could wrap around past 9.2 * 10**18 and hide an over-allocation.
    """
    counted = frame.select(
        pl.when(pl.col(REASON).is_null()).then(pl.col("amount")).otherwise(0).fill_null(0).cast(pl.Int64)
    )[:, 0].to_numpy()
    sums = []
    for key in ("document_key", "source_key"):
        total = np.zeros(size, dtype=np.float64)
        np.add.at(total, frame[key].fill_null(0).cast(pl.Int64).to_numpy(), counted.astype(np.float64))
        sums.append(total)
    return sums[0], sums[1]


def over_allocated(ok: pl.DataFrame) -> pl.DataFrame:
    """``(_line, _over)``: the reason of each allocation that would exceed its document or source.

    ``ok`` holds :data:`OVER_COLUMNS` of every allocation passing the other
    rules; they are judged in (allocation_date, line) order.
    """
    ordered = ok.sort("allocation_date", LINE).with_columns(
        over=(pl.col("amount").cast(pl.Int128).cum_sum().over("document_key") > pl.col("_d_amount"))
        | (pl.col("amount").cast(pl.Int128).cum_sum().over("source_key") > pl.col("_s_amount"))
    )
    return _greedy_over_allocation(ordered)


def over_allocation(frame: pl.DataFrame, ctx: RuleContext) -> pl.DataFrame:
    """Over-allocation, judged in date order among rows that pass every other rule.

    Totals per document and per source tell cheaply whether any side is
    exceeded at all. Keys are dense row numbers (documents, then payments):
    exact integer sums per key in one array, with no hash table of ten million
    groups.
    """
    limits = allocation_limits(ctx)
    by_doc, by_source = allocated_sums(frame, limits.shape[0])
    if (by_doc > limits).any() or (by_source > limits).any():
        ok = frame.filter(pl.col(REASON).is_null()).select(OVER_COLUMNS)
        frame = frame.join(over_allocated(ok), on=LINE, how="left", maintain_order="left")
        frame = add_reasons(frame, [Check(pl.col("_over").is_not_null(), pl.col("_over"))])
    return frame


def finish_allocations(frame: pl.DataFrame) -> pl.DataFrame:
    """The loaded allocations' columns: ``source_kind``, the document's currency, helpers dropped."""
    frame = frame.with_columns(
        pl.when(pl.col("_s_pay"))
        .then(pl.lit("payment"))
        .when(pl.col("_s_pay").not_())
        .then(pl.lit("credit_note"))
        .otherwise(None)
        .alias("source_kind"),
        pl.col("_d_cur_text").alias("currency"),
    )
    return frame.drop([c for c in frame.columns if c.startswith("_") and c not in (LINE, REASON)])


_HASH_SEED = 20261123


def _lookup(frame: pl.DataFrame, table: pl.DataFrame, on: str) -> pl.DataFrame:
    """Left-join ``table`` (unique text column ``on``) onto ``frame``, exactly, with less memory.

    Joining 10M rows on text keys holds the keys' hash table and a gathered copy
    of the text; joining on a 64-bit hash of the text halves that. The result is
    checked: when two of the table's keys share a hash, or a matched row's text
    differs from the row it matched, the plain text join is used instead (the
    answer is always that of the text join).
    """
    hashed = table[on].hash(_HASH_SEED)
    if table.height == 0 or hashed.is_duplicated().any():
        return frame.join(table, on=on, how="left", maintain_order="left")
    right = table.drop(on).with_columns(hashed.alias("_h"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("_pos"))
    out = (
        frame.with_columns(pl.col(on).hash(_HASH_SEED).alias("_h"))
        .join(right, on="_h", how="left", maintain_order="left")
        .drop("_h")
    )
    position = out["_pos"]
    texts = table[on].gather(position.fill_null(0))
    wrong = (position.is_not_null() & (texts != out[on]).fill_null(True)).any()
    del texts
    if wrong:
        return frame.join(table, on=on, how="left", maintain_order="left")
    return out.drop("_pos")


def _greedy_over_allocation(ok: pl.DataFrame) -> pl.DataFrame:
    """Exact rule for the rare over-allocated documents/sources, row by row.

    Rows are taken in (allocation_date, line) order; a row is accepted while it
    fits both what remains of its document and of its source. Only rows
    connected to a flagged document or source are walked (rows elsewhere fit,
    since refusing a row only frees room). Returns ``(_line, _over)``.
    """
    flagged = ok.filter(pl.col("over"))
    docs = set(flagged["document_id"].to_list())
    srcs = set(flagged["source_id"].to_list())
    while True:  # widen to the connected rows
        involved = ok.filter(pl.col("document_id").is_in(list(docs)) | pl.col("source_id").is_in(list(srcs)))
        more_docs, more_srcs = set(involved["document_id"].to_list()), set(involved["source_id"].to_list())
        if more_docs <= docs and more_srcs <= srcs:
            break
        docs |= more_docs
        srcs |= more_srcs
    left_doc: dict[str, int] = {}
    left_src: dict[str, int] = {}
    lines: list[int] = []
    reasons: list[str | None] = []
    for line, doc, src, amount, d_amount, s_amount in involved.select(
        LINE, "document_id", "source_id", "amount", "_d_amount", "_s_amount"
    ).iter_rows():
        d_left = left_doc.setdefault(doc, d_amount)
        s_left = left_src.setdefault(src, s_amount)
        lines.append(line)
        if amount > d_left:
            reasons.append(f"allocations to document '{doc}' would exceed its amount")
        elif amount > s_left:
            reasons.append(f"allocations from source '{src}' would exceed its amount")
        else:
            left_doc[doc] = d_left - amount
            left_src[src] = s_left - amount
            reasons.append(None)
    return pl.DataFrame({LINE: lines, "_over": reasons}, schema={LINE: pl.Int64, "_over": pl.String})
