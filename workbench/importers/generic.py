"""Import a flat invoice history (one row per invoice) into a canonical ledger folder.

The mapping (see ``generic_mapping``) says how the source is written and which
source column feeds which canonical column. Every cell is read as text and
parsed exactly: dates only with ``date_format``, amounts only with the stated
separators, into ``Decimal``. A row with any problem goes to
``quarantine.csv`` with all its reasons; everything else becomes customers,
documents and, for settled invoices, one payment and one allocation each.

>>> result = import_generic(Path("ar.csv"), Path("ar_mapping.toml"), Path("ledger/ar"))  # doctest: +SKIP
>>> result.rows_read == result.rows_imported + result.rows_quarantined  # doctest: +SKIP
True
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

import polars as pl

from workbench.errors import ImportMappingError, Issue, WorkbenchError
from workbench.importers.generic_mapping import (
    CUSTOMER_TEXT_COLUMNS,
    DATE_COLUMNS,
    DEFAULTABLE,
    DOC_TYPES,
    Mapping,
    load_mapping,
    parse_mapping,
)
from workbench.importers.ledger_folder import OUTPUT_FILES, write_csv, write_json, write_ledger_toml
from workbench.importers.parse_text import AMOUNT_DTYPE, exact_total, parse_amounts, parse_dates
from workbench.importers.source_csv import SourceTable, read_source

__all__ = ["ImportResult", "import_generic"]

DEFAULT_DOC_TYPE = "invoice"
DEFAULT_TERMS_DAYS = "30"  # the ledger's default payment terms
PAYMENT_ID_PREFIX = "P-"

CUSTOMER_BASE = ("customer_id", "name", "country", "currency", "entity", "payment_terms_days")
CUSTOMER_EXTRA = tuple(c for c in CUSTOMER_TEXT_COLUMNS if c not in ("customer_name", "country"))
DOCUMENT_BASE = ("document_id", "customer_id", "doc_type", "doc_date", "due_date", "currency",
                 "amount", "entity", "disputed")
DOCUMENT_EXTRA = ("reference", "po_number", "dispute_reason", "service_start", "service_end")
PAYMENT_COLUMNS = ("payment_id", "customer_id", "value_date", "currency", "amount", "entity",
                   "reference", "method")
ALLOCATION_COLUMNS = ("source_id", "document_id", "amount", "allocation_date")


@dataclass(frozen=True)
class ImportResult:
    """What an import read, wrote and refused.

    Amount totals tie out: ``amount_read == amount_imported + amount_quarantined``.
    They cover every row whose amount *parsed* as a number in the stated
    format, at its exact written value, including negative, zero, too-large
    and over-2-decimal amounts (those rows are quarantined). A row whose amount
    is empty or not a number in the stated format, or whose record could not
    be split into fields (malformed quoting, wrong field count, undecodable
    bytes), counts in ``rows_read`` and ``rows_quarantined`` but adds nothing
    to the amount totals.
    """

    out_dir: Path
    rows_read: int
    rows_imported: int
    rows_quarantined: int
    amount_read: Decimal
    amount_imported: Decimal
    amount_quarantined: Decimal
    issues: list[Issue]
    customers_written: int
    documents_written: int
    payments_written: int
    allocations_written: int

    def to_dict(self) -> dict[str, Any]:
        """The import report (amounts as exact text), as written to import_report.json."""
        return {
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "rows_quarantined": self.rows_quarantined,
            "amount_read": str(self.amount_read),
            "amount_imported": str(self.amount_imported),
            "amount_quarantined": str(self.amount_quarantined),
            "customers_written": self.customers_written,
            "documents_written": self.documents_written,
            "payments_written": self.payments_written,
            "allocations_written": self.allocations_written,
            "issues": [{"file": i.file, "line": i.line, "reason": i.reason} for i in self.issues],
        }


def import_generic(source: Path | str, mapping: Path | str | Mapping | dict[str, Any],
                   out_dir: Path | str) -> ImportResult:
    """Turn a flat invoice history into the ledger folder ``out_dir``.

    ``mapping`` is a mapping TOML path, a ``Mapping`` or a dict shaped like the
    TOML. Raises ``ImportMappingError`` when the mapping is invalid or names a
    column the source lacks; bad rows never raise, they are quarantined.
    """
    source, out_dir = Path(source), Path(out_dir)
    mapping = _resolve_mapping(mapping)
    _check_paths(source, out_dir)
    table = read_source(source, mapping.encoding, mapping.delimiter)
    frame = _build_frame(table, mapping, source.name)
    frame, amounts = _validate(frame, mapping)
    issues = _row_issues(frame, table, source.name)

    good = frame.filter(~pl.col("_quarantined"))
    bad_mask = frame["_quarantined"] & ~frame["_struct_bad"]
    ok_mask = ~frame["_quarantined"]
    amount_read = exact_total(amounts.filter(~frame["_struct_bad"]))
    amount_imported = exact_total(amounts.filter(ok_mask))
    amount_quarantined = exact_total(amounts.filter(bad_mask))
    assert amount_read == amount_imported + amount_quarantined

    customers, conflicts = _customers(good, mapping, source.name)
    issues = sorted(issues + conflicts, key=lambda i: i.line)  # stable: check order kept per line
    documents = _documents(good, mapping)
    settled = good.filter(pl.col("settled_date").is_not_null())
    payments = settled.select(
        payment_id=pl.lit(PAYMENT_ID_PREFIX) + pl.col("document_id"),
        customer_id="customer_id", value_date="settled_date", currency="currency",
        amount="amount", entity="entity", reference="document_id", method=pl.lit(""),
    )
    allocations = settled.select(
        source_id=pl.lit(PAYMENT_ID_PREFIX) + pl.col("document_id"),
        document_id="document_id", amount="amount", allocation_date="settled_date",
    )
    result = ImportResult(
        out_dir=out_dir,
        rows_read=frame.height,
        rows_imported=good.height,
        rows_quarantined=frame.height - good.height,
        amount_read=amount_read,
        amount_imported=amount_imported,
        amount_quarantined=amount_quarantined,
        issues=issues,
        customers_written=customers.height,
        documents_written=documents.height,
        payments_written=payments.height,
        allocations_written=allocations.height,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(customers, out_dir / "customers.csv")
    write_csv(documents, out_dir / "documents.csv")
    write_csv(payments, out_dir / "payments.csv")
    write_csv(allocations, out_dir / "allocations.csv")
    write_csv(pl.DataFrame(schema={"date": pl.String, "currency": pl.String, "rate": pl.String}),
              out_dir / "fx_rates.csv")
    write_ledger_toml(out_dir / "ledger.toml", company=source.stem,
                      reporting_currency=mapping.reporting_currency or mapping.defaults.get("currency"))
    write_csv(_quarantine(frame, table, mapping.delimiter), out_dir / "quarantine.csv")
    write_json({"source": source.name, **result.to_dict()}, out_dir / "import_report.json")
    return result


# --------------------------------------------------------------------------- setup


def _resolve_mapping(mapping: Path | str | Mapping | dict[str, Any]) -> Mapping:
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        return parse_mapping(mapping)
    return load_mapping(mapping)


def _check_paths(source: Path, out_dir: Path) -> None:
    """Never overwrite the source with an output file."""
    try:
        src = source.resolve()
    except OSError:
        return
    for name in OUTPUT_FILES:
        if (out_dir / name).resolve() == src:
            raise WorkbenchError(f"{source.name}: the source would be overwritten by the import "
                                 f"output in {out_dir}; choose another out_dir")


def _column_index(table: SourceTable, mapping: Mapping, file: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for canon, name in mapping.columns.items():
        hits = [i for i, h in enumerate(table.header) if h == name]
        if not hits:
            raise ImportMappingError(
                f"[columns] {canon} = {name!r}: {file} has no such column "
                f"(its header: {', '.join(repr(h) for h in table.header)})")
        if len(hits) > 1:
            raise ImportMappingError(f"[columns] {canon} = {name!r}: {file} has {len(hits)} columns "
                                     f"with that name (positions {', '.join(str(h + 1) for h in hits)})")
        index[canon] = hits[0]
    return index


def _build_frame(table: SourceTable, mapping: Mapping, file: str) -> pl.DataFrame:
    """One row per record: line, structural flag and the stripped text of each mapped column."""
    index = _column_index(table, mapping, file)
    n = len(table.rows)
    struct_bad = [False] * n
    for idx in table.problems:
        struct_bad[idx] = True
    columns: dict[str, pl.Series] = {
        "_row": pl.Series("_row", range(n), dtype=pl.UInt32),
        "_line": pl.Series("_line", table.lines, dtype=pl.Int64),
        "_struct_bad": pl.Series("_struct_bad", struct_bad, dtype=pl.Boolean),
    }
    for canon, i in index.items():
        cells = list(map(itemgetter(i), table.rows))
        columns[f"src:{canon}"] = pl.Series(f"src:{canon}", cells, dtype=pl.String).str.strip_chars()
    return pl.DataFrame(columns)


# --------------------------------------------------------------------------- validation


def _label(mapping: Mapping, canon: str) -> str:
    return f"{canon} ({mapping.columns[canon]})" if canon in mapping.columns else canon


def _why(cond: pl.Expr, label: str, text: str, value: pl.Expr | None = None) -> pl.Expr:
    """A reason string where ``cond`` holds: "label: 'value' text"."""
    if value is None:
        return pl.when(cond).then(pl.lit(f"{label}: {text}"))
    return pl.when(cond).then(pl.concat_str([pl.lit(f"{label}: '"), value, pl.lit(f"' {text}")]))


def _text_column(mapping: Mapping, canon: str, reasons: list[pl.Expr]) -> pl.Expr:
    """Canonical text of a plain column: source text through [values], else [defaults]."""
    default = pl.lit(mapping.defaults.get(canon, ""))
    if canon not in mapping.columns:
        return default.alias(canon)
    src = pl.col(f"src:{canon}")
    table = mapping.values.get(canon)
    if table is None:
        return pl.when(src == "").then(default).otherwise(src).alias(canon)
    mapped = src.replace_strict(list(table), list(table.values()), default=None, return_dtype=pl.String)
    if "" not in table:
        mapped = pl.when(src == "").then(default).otherwise(mapped)
    allowed = ", ".join(repr(k) for k in sorted(table))
    reasons.append(_why(mapped.is_null(), _label(mapping, canon),
                        f"is not in [values.{canon}] (allowed: {allowed})", src))
    return mapped.fill_null("").alias(canon)


def _validate(frame: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add canonical, parsed columns and the per-row reasons; return also the parsed amounts."""
    reasons: list[pl.Expr] = []
    lab = {c: _label(mapping, c) for c in DEFAULTABLE + DATE_COLUMNS + ("document_id", "customer_id", "amount")}

    frame = frame.with_columns([_text_column(mapping, c, reasons) for c in DEFAULTABLE])
    for key in ("document_id", "customer_id"):
        src = pl.col(f"src:{key}")
        reasons.append(_why(src == "", lab[key], "is empty"))
        reasons.append(_why(src.str.contains(r"[\x00-\x1f\x7f]"), lab[key],
                            "contains a line break or control character", src))
    frame = frame.with_columns(document_id=pl.col("src:document_id"), customer_id=pl.col("src:customer_id"))

    for canon in DATE_COLUMNS:
        if canon not in mapping.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Date).alias(canon))
            continue
        src_name = f"src:{canon}"
        frame = frame.with_columns(parse_dates(frame[src_name], mapping.date_format).alias(canon))
        src = pl.col(src_name)
        if canon == "doc_date":
            reasons.append(_why(src == "", lab[canon], "is empty"))
        reasons.append(_why((src != "") & pl.col(canon).is_null(), lab[canon],
                            f"is not a date in format {mapping.date_format}", src))

    amounts = parse_amounts(frame["src:amount"], mapping.decimal, mapping.thousands)
    frame = frame.with_columns(amount=amounts["amount"], _amount_problem=amounts["problem"])
    reasons.append(pl.when(pl.col("_amount_problem").is_not_null()).then(pl.concat_str([
        pl.lit(f"{lab['amount']}: '"), pl.col("src:amount"), pl.lit("' "), pl.col("_amount_problem")])))

    frame = frame.with_columns(currency=pl.col("currency").str.to_uppercase(),
                               disputed=pl.col("disputed").str.to_lowercase())
    currency_hint = "" if "currency" in mapping.defaults else " and [defaults] has no currency"
    reasons += [
        _why(pl.col("currency") == "", lab["currency"], f"is empty{currency_hint}"),
        _why((pl.col("currency") != "") & ~pl.col("currency").str.contains(r"^[A-Z]{3}$"),
             lab["currency"], "is not a 3-letter ISO 4217 currency code", pl.col("currency")),
        _why(~pl.col("doc_type").is_in([*DOC_TYPES, ""]), lab["doc_type"],
             f"is not one of {', '.join(DOC_TYPES)} (map source values with [values.doc_type])",
             pl.col("doc_type")),
        _why(~pl.col("disputed").is_in(["true", "false", ""]), lab["disputed"],
             "is not true or false (map source values with [values.disputed])", pl.col("disputed")),
        _why(~pl.col("payment_terms_days").str.contains(r"^[0-9]{0,4}$"), lab["payment_terms_days"],
             "is not a whole number of days", pl.col("payment_terms_days")),
    ]
    frame = frame.with_columns(
        doc_type=pl.when(pl.col("doc_type") == "").then(pl.lit(DEFAULT_DOC_TYPE)).otherwise("doc_type"),
        disputed=pl.when(pl.col("disputed") == "").then(pl.lit("false")).otherwise("disputed"),
        payment_terms_days=pl.when(pl.col("payment_terms_days") == "")
        .then(pl.lit(DEFAULT_TERMS_DAYS)).otherwise("payment_terms_days"),
    )
    terms = pl.col("payment_terms_days").cast(pl.Int32, strict=False)
    frame = frame.with_columns(
        due_date=pl.coalesce(
            "due_date",
            pl.when(pl.col("doc_type") == "credit_note").then(pl.col("doc_date"))
            .otherwise(pl.col("doc_date") + pl.duration(days=terms)),
        )
    )
    iso = lambda c: pl.col(c).cast(pl.String)  # noqa: E731
    for later in ("due_date", "settled_date", "service_end"):
        earlier = "service_start" if later == "service_end" else "doc_date"
        if later not in mapping.columns:
            continue
        reasons.append(pl.when(pl.col(later) < pl.col(earlier)).then(pl.concat_str([
            pl.lit(f"{lab[later]}: "), iso(later), pl.lit(f" is before {earlier} "), iso(earlier)])))
    reasons.append(_why(pl.col("settled_date").is_not_null() & (pl.col("doc_type") == "credit_note"),
                        lab["settled_date"], "is set on a credit note (only invoices and debit notes "
                        "can be settled by this import)"))

    # Duplicates: the first record carrying an id keeps it, whatever else is wrong with it.
    candidates = (pl.col("document_id") != "") & ~pl.col("_struct_bad")
    first_line = pl.col("_line").min().over(pl.when(candidates).then(pl.col("document_id")))
    reasons.append(pl.when(candidates & (pl.col("_line") != first_line)).then(pl.concat_str([
        pl.lit(f"{lab['document_id']}: '"), pl.col("document_id"), pl.lit("' duplicates line "),
        first_line.cast(pl.String)])))

    frame = frame.with_columns(
        _reasons=pl.when(pl.col("_struct_bad")).then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(pl.concat_list(reasons).list.drop_nulls())
    ).with_columns(_quarantined=pl.col("_struct_bad") | (pl.col("_reasons").list.len() > 0))
    return frame, amounts


def _row_issues(frame: pl.DataFrame, table: SourceTable, file: str) -> list[Issue]:
    issues = [Issue(file, table.lines[idx], reason)
              for idx, reasons in table.problems.items() for reason in reasons]
    exploded = (frame.filter(pl.col("_reasons").list.len() > 0)
                .select("_line", "_reasons").explode("_reasons"))
    issues += [Issue(file, line, reason) for line, reason in exploded.iter_rows()]
    return sorted(issues, key=lambda i: i.line)


# --------------------------------------------------------------------------- outputs


def _first_non_empty(column: str) -> pl.Expr:
    return pl.col(column).filter(pl.col(column) != "").first()


def _customers(good: pl.DataFrame, mapping: Mapping, file: str) -> tuple[pl.DataFrame, list[Issue]]:
    """One customer per id, attributes from its first row that has them; conflicts reported."""
    extras = [c for c in CUSTOMER_EXTRA if mapping.has(c)]
    grouped = good.group_by("customer_id", maintain_order=True).agg(
        name=_first_non_empty("customer_name"),
        country=_first_non_empty("country"),
        country_line=pl.col("_line").filter(pl.col("country") != "").first(),
        currency=pl.col("currency").first(),
        currency_line=pl.col("_line").first(),
        entity=_first_non_empty("entity"),
        payment_terms_days=pl.col("payment_terms_days").first(),
        **{c: _first_non_empty(c) for c in extras},
    )
    issues: list[Issue] = []
    for attr in ("country", "currency"):
        joined = good.select("_line", "customer_id", attr).join(
            grouped.select("customer_id", pl.col(attr).alias("kept"), pl.col(f"{attr}_line").alias("kept_line")),
            on="customer_id", how="left")
        clash = joined.filter((pl.col(attr) != "") & (pl.col(attr) != pl.col("kept")))
        for line, cust, value, kept, kept_line in clash.select(
                "_line", "customer_id", attr, "kept", "kept_line").iter_rows():
            issues.append(Issue(file, line, f"customer {cust!r}: {attr} {value!r} differs from {kept!r} "
                                            f"(line {kept_line}); the customer keeps {kept!r}"))
    customers = grouped.select(
        "customer_id",
        name=pl.coalesce("name", "customer_id"),
        country=pl.col("country").fill_null(""),
        currency="currency",
        entity=pl.col("entity").fill_null(""),
        payment_terms_days=pl.col("payment_terms_days").cast(pl.Int32).cast(pl.String),
        *[pl.col(c).fill_null("") for c in extras],
    )
    return customers, issues


def _documents(good: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    extras = [c for c in DOCUMENT_EXTRA if mapping.has(c)]
    return good.select(*DOCUMENT_BASE, *extras).with_columns(pl.col("amount").cast(AMOUNT_DTYPE))


def _quarantine(frame: pl.DataFrame, table: SourceTable, delimiter: str) -> pl.DataFrame:
    """line, reason and the record's fields as written (header names made unique)."""
    names: list[str] = ["line", "reason"]
    for h in table.header:
        name, k = h or "column", 2
        while name in names:
            name, k = f"{h or 'column'}_{k}", k + 1
        names.append(name)
    width = len(table.header)
    bad = frame.filter(pl.col("_quarantined")).select("_row", "_line", "_reasons")
    records = []
    for row, line, reasons in bad.iter_rows():
        why = "; ".join(table.problems.get(row, []) + list(reasons))
        fields = table.raw.get(row, table.rows[row])
        if len(fields) > width:  # keep a too-long record's surplus fields in its last column
            fields = fields[:width - 1] + [delimiter.join(fields[width - 1:])]
        records.append([str(line), why, *fields, *[""] * (width - len(fields))])
    return pl.DataFrame(records, schema={n: pl.String for n in names}, orient="row")
