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
from pathlib import Path
from typing import Any

import polars as pl

from workbench.errors import ImportMappingError, Issue, WorkbenchError
from workbench.importers.generic_mapping import CUSTOMER_TEXT_COLUMNS, Mapping, load_mapping, parse_mapping
from workbench.importers.generic_rules import PAYMENT_ID_PREFIX, cross_row_rules, validate
from workbench.importers.ledger_folder import OUTPUT_FILES, write_csv, write_json, write_ledger_toml
from workbench.importers.parse_text import AMOUNT_DTYPE, exact_total
from workbench.importers.source_csv import LINE, SourceTable, read_source

__all__ = ["ImportResult", "import_generic"]

CUSTOMER_BASE = ("customer_id", "name", "country", "currency", "entity", "payment_terms_days")
CUSTOMER_EXTRA = tuple(c for c in CUSTOMER_TEXT_COLUMNS if c not in ("customer_name", "country"))
DOCUMENT_BASE = (
    "document_id",
    "customer_id",
    "doc_type",
    "doc_date",
    "due_date",
    "currency",
    "amount",
    "entity",
    "disputed",
)
DOCUMENT_EXTRA = ("reference", "po_number", "dispute_reason", "service_start", "service_end")
PAYMENT_COLUMNS = ("payment_id", "customer_id", "value_date", "currency", "amount", "entity", "reference", "method")
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

    ``issues`` are sorted by line; ``Issue.quarantined`` is False for the
    notes that do not refuse a row (a customer's conflicting country or
    currency).
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

    def to_dict(self, with_issues: bool = True) -> dict[str, Any]:
        """The import report (amounts as exact text), as written to import_report.json."""
        summary = {
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
        }
        if with_issues:
            summary["issues"] = [i.as_dict() for i in self.issues]
        return summary


def import_generic(
    source: Path | str, mapping: Path | str | Mapping | dict[str, Any], out_dir: Path | str
) -> ImportResult:
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
    frame, amounts, found = validate(frame, mapping)
    frame, found_later = cross_row_rules(frame, mapping)
    reasons = pl.concat([found, found_later]).sort("_row", "stage", "check")
    issues = _row_issues(reasons, table, source.name)

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
        customer_id="customer_id",
        value_date="settled_date",
        currency="currency",
        amount="amount",
        entity="entity",
        reference="document_id",
        method=pl.lit(""),
    )
    allocations = settled.select(
        source_id=pl.lit(PAYMENT_ID_PREFIX) + pl.col("document_id"),
        document_id="document_id",
        amount="amount",
        allocation_date="settled_date",
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
    write_csv(
        pl.DataFrame(schema={"date": pl.String, "currency": pl.String, "rate": pl.String}), out_dir / "fx_rates.csv"
    )
    write_ledger_toml(
        out_dir / "ledger.toml",
        company=source.stem,
        reporting_currency=mapping.reporting_currency or mapping.defaults.get("currency"),
    )
    write_csv(_quarantine(frame, reasons, table, mapping.delimiter), out_dir / "quarantine.csv")
    summary = {"source": source.name, **result.to_dict(with_issues=False)}
    issues_frame = pl.DataFrame(
        {
            "file": [i.file for i in issues],
            "line": [i.line for i in issues],
            "reason": [i.reason for i in issues],
            "quarantined": [i.quarantined for i in issues],
        },
        schema={"file": pl.String, "line": pl.Int64, "reason": pl.String, "quarantined": pl.Boolean},
    )
    write_json(summary, out_dir / "import_report.json", records=issues_frame)
    return result


# --------------------------------------------------------------------------- setup


def _resolve_mapping(mapping: Path | str | Mapping | dict[str, Any]) -> Mapping:
    if isinstance(mapping, Mapping):  # built or changed in code: validate it like a file
        return parse_mapping(mapping.to_dict())
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
            raise WorkbenchError(
                f"{source.name}: the source would be overwritten by the import "
                f"output in {out_dir}; choose another out_dir"
            )


def _column_index(table: SourceTable, mapping: Mapping, file: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for canon, name in mapping.columns.items():
        hits = [i for i, h in enumerate(table.header) if h == name]
        if not hits:
            raise ImportMappingError(
                f"[columns] {canon} = {name!r}: {file} has no such column "
                f"(its header: {', '.join(repr(h) for h in table.header)})"
            )
        if len(hits) > 1:
            raise ImportMappingError(
                f"[columns] {canon} = {name!r}: {file} has {len(hits)} columns "
                f"with that name (positions {', '.join(str(h + 1) for h in hits)})"
            )
        index[canon] = hits[0]
    return index


def _build_frame(table: SourceTable, mapping: Mapping, file: str) -> pl.DataFrame:
    """One row per record: line, structural flag and the stripped text of each mapped column."""
    index = _column_index(table, mapping, file)
    n = table.fields.height
    struct_bad = pl.Series("_struct_bad", [False] * n, dtype=pl.Boolean)
    if table.problems:
        struct_bad = pl.int_range(0, n, eager=True).is_in(list(table.problems)).alias("_struct_bad")
    undecodable = pl.Series("_undecodable", [None] * n, dtype=pl.String)
    if table.undecodable:
        undecodable = pl.Series("_undecodable", [table.undecodable.get(i) for i in range(n)], dtype=pl.String)
    return pl.DataFrame(
        [
            pl.int_range(0, n, dtype=pl.UInt32, eager=True).alias("_row"),
            table.fields[LINE].alias("_line"),
            struct_bad,
            undecodable,
            *[table.column(i).str.strip_chars().alias(f"src:{canon}") for canon, i in index.items()],
        ]
    )


def _row_issues(reasons: pl.DataFrame, table: SourceTable, file: str) -> list[Issue]:
    lines = table.fields[LINE]
    issues = [Issue(file, lines[idx], reason) for idx, found in table.problems.items() for reason in found]
    issues += [Issue(file, line, reason) for line, reason in reasons.select("_line", "reason").iter_rows()]
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
            on="customer_id",
            how="left",
        )
        clash = joined.filter((pl.col(attr) != "") & (pl.col(attr) != pl.col("kept")))
        for line, cust, value, kept, kept_line in clash.select(
            "_line", "customer_id", attr, "kept", "kept_line"
        ).iter_rows():
            issues.append(
                Issue(
                    file,
                    line,
                    f"customer {cust!r}: {attr} {value!r} differs from {kept!r} "
                    f"(line {kept_line}); the customer keeps {kept!r}",
                    quarantined=False,
                )
            )
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


def _quarantine(frame: pl.DataFrame, reasons: pl.DataFrame, table: SourceTable, delimiter: str) -> pl.DataFrame:
    """line, reason and the record's fields as written (header names made unique)."""
    names: list[str] = ["line", "reason"]
    for h in table.header:
        name, k = h or "column", 2
        while name in names:
            name, k = f"{h or 'column'}_{k}", k + 1
        names.append(name)
    width = table.width
    positions = [str(i) for i in range(width)]
    joined = reasons.group_by("_row", maintain_order=True).agg(pl.col("reason").str.join("; "))
    bad = (
        frame.filter(pl.col("_quarantined"))
        .select("_row", "_line")
        .join(joined, on="_row", how="left", maintain_order="left")
    )
    out = bad.join(table.fields.select(positions).with_row_index("_row"), on="_row", how="left", maintain_order="left")
    out = out.select(
        "_row",
        line=pl.col("_line").cast(pl.String),
        reason=pl.col("reason").fill_null(""),
        **{name: pl.col(pos) for name, pos in zip(names[2:], positions)},
    )
    if table.raw:  # broken or undecodable records: their fields as written (and own reasons)
        fixes = []
        for row, reason in bad.filter(pl.col("_row").is_in(list(table.raw))).select("_row", "reason").iter_rows():
            fields = table.raw[row]
            if len(fields) > width:  # keep a too-long record's surplus fields in its last column
                fields = fields[: width - 1] + [delimiter.join(fields[width - 1 :])]
            fields = fields + [""] * (width - len(fields))
            fixes.append(
                [
                    row,
                    str(table.fields[LINE][row]),
                    "; ".join(table.problems.get(row, []) + ([reason] if reason else [])),
                    *fields,
                ]
            )
        fixed = pl.DataFrame(fixes, schema={"_row": pl.UInt32, **{n: pl.String for n in names}}, orient="row")
        out = pl.concat([out.filter(~pl.col("_row").is_in(fixed["_row"].implode())), fixed])
        out = out.sort("_row")
    return out.drop("_row")
