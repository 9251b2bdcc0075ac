"""Import an ERP open-item list (aged receivables detail) into a ledger folder, and keep it up to date.

An open-item list says, per item, what is still open on the export's date
(and often the original amount). Each invoice becomes a document of its
original amount plus a settling allocation of what was already paid, dated
on the export's date; a credit note or unapplied payment becomes a credit of
its open amount. Importing a later export of the same system with
``update=True`` adds new items, settles the items that left the list and
allocates the fall of changed open amounts (``open_items_changes``), and
writes ``import_changes.csv``/``.json``. Bad rows go to ``quarantine.csv``
with line and reason, as in the generic import.

>>> import_open_items("fbl5n.csv", load_preset("sap-fbl5n"), "ledgers/de", as_of=date(2025, 3, 31))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from workbench.errors import ImportMappingError, Issue, WorkbenchError
from workbench.importers.generic import DOCUMENT_BASE, DOCUMENT_EXTRA, PAYMENT_COLUMNS, _build_frame, _customers
from workbench.importers.generic import _quarantine, _row_issues
from workbench.importers.generic_mapping import Mapping, load_mapping, parse_mapping
from workbench.importers.ledger_folder import OUTPUT_FILES, write_csv, write_json, write_ledger_toml
from workbench.importers.open_items_changes import Change, Item, plan_changes
from workbench.importers.open_items_rules import customer_rules, validate_open_items
from workbench.importers.parse_text import parse_dates
from workbench.importers.presets import preset_text
from workbench.importers.source_csv import read_source

__all__ = ["OpenItemsResult", "import_open_items", "open_item_mapping"]

STATE_FILE = "open_items.csv"
STATE_COLUMNS = ("document_id", "customer_id", "doc_type", "currency", "amount", "open_amount", "doc_date")
CHANGE_COLUMNS = (
    "change",
    "document_id",
    "customer_id",
    "doc_type",
    "currency",
    "open_before",
    "open_after",
    "allocated",
    "note",
)
WRITTEN = (*OUTPUT_FILES, "import_changes.csv", "import_changes.json", "customer_changes.csv", STATE_FILE)
CUSTOMER_LIMIT_COLUMNS = ("credit_limit", "credit_limit_currency", "status")


@dataclass(frozen=True)
class OpenItemsResult:
    """What an open-item import read, refused and changed.

    ``open_imported`` is the signed sum of the open amounts of the imported
    rows (credits negative), per currency: the ledger's open balance of those
    items on ``as_of``. ``changes`` counts the lines of ``import_changes.csv``
    by kind (new, changed, settled, refused, unmatched).
    """

    out_dir: Path
    as_of: date
    rows_read: int
    rows_imported: int
    rows_quarantined: int
    open_imported: dict[str, Decimal]
    issues: list[Issue]
    changes: dict[str, int]
    customers_added: int
    customers_changed: int
    documents_added: int
    payments_added: int
    allocations_added: int

    def to_dict(self) -> dict[str, Any]:
        """The summary written to import_report.json (amounts as exact text)."""
        return {
            "as_of": self.as_of.isoformat(),
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "rows_quarantined": self.rows_quarantined,
            "open_imported": {c: str(v) for c, v in sorted(self.open_imported.items())},
            "changes": dict(self.changes),
            "customers_added": self.customers_added,
            "customers_changed": self.customers_changed,
            "documents_added": self.documents_added,
            "payments_added": self.payments_added,
            "allocations_added": self.allocations_added,
        }


def open_item_mapping(preset: str | None = None, mapping: Path | str | None = None) -> Mapping:
    """The mapping of an open-item import: a preset, a mapping file, or a file laid over a preset.

    A file laid over a preset replaces the preset's keys one by one (a
    ``[values.X]`` table as a whole), so a team can rename one column of
    their FBL5N layout without copying the preset.
    """
    if preset is None and mapping is None:
        raise ImportMappingError("give a preset, a mapping file, or both")
    if preset is None:
        return load_mapping(mapping, kind="open_items")  # type: ignore[arg-type]
    data = tomllib.loads(preset_text(preset))
    origin = f"preset {preset}"
    if mapping is not None:
        override = load_mapping_dict(Path(mapping))
        for section, table in override.items():
            data.setdefault(section, {})
            if isinstance(table, dict) and isinstance(data[section], dict):
                data[section].update(table)
            else:
                data[section] = table
        origin = f"{Path(mapping).name} over preset {preset}"
    return parse_mapping(data, origin=origin, kind="open_items")


def load_mapping_dict(path: Path) -> dict[str, Any]:
    """A mapping file as a dict (errors name the file)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ImportMappingError(f"{path.name}: cannot read the mapping file ({exc})") from exc


def import_open_items(
    source: Path | str,
    mapping: Mapping | dict[str, Any],
    out_dir: Path | str,
    as_of: date | None = None,
    update: bool = False,
) -> OpenItemsResult:
    """Import an open-item list into the ledger folder ``out_dir``.

    ``as_of`` is the export's date; without it the mapping must map an
    ``as_of`` column holding one date. ``out_dir`` must be missing or empty,
    or (with ``update``) a ledger an earlier open-item import wrote; any other
    folder is refused with ``WorkbenchError``. Bad rows never raise.
    """
    source, out_dir = Path(source), Path(out_dir)
    if isinstance(mapping, dict):
        mapping = parse_mapping(mapping, kind="open_items")
    if mapping.kind != "open_items":
        mapping = parse_mapping(mapping.to_dict(), kind="open_items")
    if any((out_dir / name).resolve() == source.resolve() for name in WRITTEN):
        raise WorkbenchError(f"{source.name}: the source would be overwritten by the import output in {out_dir}")
    previous, last_as_of = _previous_state(out_dir, update)
    table = read_source(source, mapping.encoding, mapping.delimiter)
    frame = _build_frame(table, mapping, source.name)
    as_of = _export_date(frame, mapping, as_of, source.name)
    if last_as_of is not None and as_of < last_as_of:
        raise WorkbenchError(
            f"{out_dir}: the ledger is already up to date on {last_as_of}, after this export's {as_of}"
        )
    frame, _, found = validate_open_items(frame, mapping, as_of)
    frame, found_later = customer_rules(frame, mapping)
    good = frame.filter(~pl.col("_quarantined"))
    items = [_item(row) for row in good.iter_rows(named=True)]
    existing = _existing_tables(out_dir)
    taken = set(existing["documents"]["document_id"].to_list()) | set(existing["payments"]["payment_id"].to_list())
    taken |= {i.document_id for i in items}
    plan = plan_changes(previous, items, as_of, taken)

    refused_rows = good.filter(pl.col("_line").is_in(list(plan.refused))).select("_row", "_line")
    refused = pl.DataFrame(
        {
            "_row": refused_rows["_row"],
            "_line": refused_rows["_line"],
            "stage": pl.Series([2] * refused_rows.height, dtype=pl.Int8),
            "check": pl.Series(["refused"] * refused_rows.height, dtype=pl.String),
            "reason": pl.Series([plan.refused[line] for line in refused_rows["_line"]], dtype=pl.String),
        }
    )
    reasons = pl.concat([found, found_later, refused]).sort("_row", "stage", "check")
    frame = frame.with_columns(_quarantined=pl.col("_quarantined") | pl.col("_line").is_in(list(plan.refused)))
    good = frame.filter(~pl.col("_quarantined"))
    issues = _row_issues(reasons, table, source.name)

    new_ids = {i.document_id for i in plan.new_items}
    fresh = good.filter(pl.col("document_id").is_in(list(new_ids)))
    customers, conflicts = _new_customers(good, mapping, source.name, existing["customers"])
    existing["customers"], customer_changes = _customer_updates(good, mapping, source.name, existing["customers"])
    issues = sorted(issues + conflicts, key=lambda i: i.line)
    documents = _documents(fresh.filter(pl.col("doc_type") != "payment"), plan.new_items)
    entities = dict(
        pl.concat([existing["documents"].select("document_id", "entity"), documents.select("document_id", "entity")])
        .fill_null("")
        .iter_rows()
    )
    payments = pl.concat(
        [
            fresh.filter(pl.col("doc_type") == "payment").select(
                payment_id="document_id",
                customer_id="customer_id",
                value_date=pl.col("doc_date").cast(pl.String),
                currency="currency",
                amount=(-pl.col("open")).cast(pl.String),
                entity="entity",
                reference="reference",
                method=pl.lit(""),
            ),
            pl.DataFrame(
                [
                    (pid, cust, as_of.isoformat(), cur, str(amount), entities.get(doc, ""), doc, "")
                    for pid, doc, cust, cur, amount in plan.payments
                ],
                schema=dict.fromkeys(PAYMENT_COLUMNS, pl.String),
                orient="row",
            ),
        ]
    )
    allocations = pl.DataFrame(
        [(src, doc, str(amount), as_of.isoformat()) for src, doc, amount in plan.allocations],
        schema={"source_id": pl.String, "document_id": pl.String, "amount": pl.String, "allocation_date": pl.String},
        orient="row",
    )
    open_imported: dict[str, Decimal] = {}
    for cur, amount in good.group_by("currency").agg(pl.col("open").sum()).sort("currency").iter_rows():
        open_imported[cur] = Decimal(amount)
    counts = {k: sum(1 for c in plan.changes if c.change == k) for k in ("new", "changed", "settled", "refused")}
    counts["unmatched"] = sum(1 for c in plan.changes if c.change == "unmatched")
    result = OpenItemsResult(
        out_dir=out_dir,
        as_of=as_of,
        rows_read=frame.height,
        rows_imported=good.height,
        rows_quarantined=frame.height - good.height,
        open_imported=open_imported,
        issues=issues,
        changes=counts,
        customers_added=customers.height,
        customers_changed=customer_changes["customer_id"].n_unique(),
        documents_added=documents.height,
        payments_added=payments.height,
        allocations_added=allocations.height,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, added in (
        ("customers", customers),
        ("documents", documents),
        ("payments", payments),
        ("allocations", allocations),
    ):
        write_csv(pl.concat([existing[name], added.cast(pl.String)], how="diagonal"), out_dir / f"{name}.csv")
    if not (out_dir / "fx_rates.csv").exists():
        write_csv(pl.DataFrame(schema=dict.fromkeys(("date", "currency", "rate"), pl.String)), out_dir / "fx_rates.csv")
    if not (out_dir / "ledger.toml").exists():
        currencies = sorted(open_imported)
        reporting = mapping.reporting_currency or (currencies[0] if len(currencies) == 1 else None)
        write_ledger_toml(out_dir / "ledger.toml", company=source.stem, reporting_currency=reporting)
    write_csv(_state_frame(plan.state), out_dir / STATE_FILE)
    write_csv(_quarantine(frame, reasons, table, mapping.delimiter), out_dir / "quarantine.csv")
    changes = _changes_frame(plan.changes)
    write_csv(changes, out_dir / "import_changes.csv")
    write_csv(customer_changes, out_dir / "customer_changes.csv")
    write_json({"source": source.name, "as_of": as_of.isoformat()}, out_dir / "import_changes.json", changes, "changes")
    issues_frame = pl.DataFrame(
        [i.as_dict() for i in issues],
        schema={"file": pl.String, "line": pl.Int64, "reason": pl.String, "quarantined": pl.Boolean},
    )
    write_json({"source": source.name, **result.to_dict()}, out_dir / "import_report.json", records=issues_frame)
    return result


# --------------------------------------------------------------------------- the ledger folder


def _previous_state(out_dir: Path, update: bool) -> tuple[dict[str, Item], date | None]:
    """The ledger's memory of open items, after checking that writing into ``out_dir`` is allowed."""
    if not out_dir.exists() or (out_dir.is_dir() and not any(out_dir.iterdir())):
        return {}, None
    if not out_dir.is_dir():
        raise WorkbenchError(f"{out_dir}: exists and is not a folder")
    is_ledger = (out_dir / "customers.csv").is_file() and (out_dir / "documents.csv").is_file()
    if not is_ledger:
        raise WorkbenchError(f"{out_dir}: not empty and not a ledger folder; choose a new or empty folder")
    if not update:
        raise WorkbenchError(
            f"{out_dir}: already holds a ledger; pass --update to bring it up to date with this export"
        )
    if not (out_dir / STATE_FILE).is_file():
        raise WorkbenchError(f"{out_dir}: this ledger was not written by an open-item import (no {STATE_FILE})")
    state = pl.read_csv(out_dir / STATE_FILE, infer_schema=False)
    previous = {
        row["document_id"]: Item(
            row["document_id"],
            row["customer_id"],
            row["doc_type"],
            row["currency"],
            Decimal(row["amount"]),
            Decimal(row["open_amount"]),
            date.fromisoformat(row["doc_date"]),
        )
        for row in state.iter_rows(named=True)
    }
    report = json.loads((out_dir / "import_report.json").read_text(encoding="utf-8"))
    return previous, date.fromisoformat(report["as_of"])


def _existing_tables(out_dir: Path) -> dict[str, pl.DataFrame]:
    """The ledger's tables as text (empty frames with the canonical columns when there is no ledger yet)."""
    columns = {
        "customers": ("customer_id", "name", "country", "currency", "entity", "payment_terms_days"),
        "documents": DOCUMENT_BASE + DOCUMENT_EXTRA,
        "payments": PAYMENT_COLUMNS,
        "allocations": ("source_id", "document_id", "amount", "allocation_date"),
    }
    out = {}
    for name, cols in columns.items():
        path = out_dir / f"{name}.csv"
        if path.is_file():
            out[name] = pl.read_csv(path, infer_schema=False)
        else:
            out[name] = pl.DataFrame(schema=dict.fromkeys(cols, pl.String))
    return out


# --------------------------------------------------------------------------- rows


def _export_date(frame: pl.DataFrame, mapping: Mapping, as_of: date | None, file: str) -> date:
    """``as_of`` as given, else the one date of the mapped ``as_of`` column."""
    if as_of is not None:
        return as_of
    if "as_of" not in mapping.columns:
        raise ImportMappingError(f"{file}: give the export's date (--as-of) or map its as_of column")
    dates = parse_dates(frame["src:as_of"], mapping.date_format).drop_nulls().unique().sort()
    if dates.len() != 1:
        shown = ", ".join(d.isoformat() for d in dates.to_list()[:5]) or "none"
        raise WorkbenchError(
            f"{file}: column {mapping.columns['as_of']} must hold one export date, it has {dates.len()} ({shown});"
            " give --as-of"
        )
    return dates[0]


def _item(row: dict[str, Any]) -> Item:
    open_amount = abs(row["open"])
    credit = row["doc_type"] in ("credit_note", "payment")
    original = open_amount if credit or row["original"] is None else abs(row["original"])
    return Item(
        row["document_id"],
        row["customer_id"],
        row["doc_type"],
        row["currency"],
        original,
        open_amount,
        row["doc_date"],
        row["_line"],
    )


def _new_customers(
    good: pl.DataFrame, mapping: Mapping, file: str, existing: pl.DataFrame
) -> tuple[pl.DataFrame, list[Issue]]:
    """Customers not in the ledger yet, with credit limit and status when the export has them."""
    fresh = good.filter(~pl.col("customer_id").is_in(existing["customer_id"].implode()))
    customers, conflicts = _customers(fresh, mapping, file)
    limits = fresh.group_by("customer_id", maintain_order=True).agg(
        credit_limit=pl.col("credit_limit_value").drop_nulls().first().cast(pl.String),
        credit_limit_currency=pl.col("currency").first(),
        status=pl.col("status").filter(pl.col("status") != "").first(),
    )
    wanted = [c for c in CUSTOMER_LIMIT_COLUMNS if mapping.has(c if c != "credit_limit_currency" else "credit_limit")]
    if wanted:
        customers = customers.join(limits.select("customer_id", *wanted), on="customer_id", how="left")
    return customers, conflicts


def _customer_updates(
    good: pl.DataFrame, mapping: Mapping, file: str, existing: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ledger's customers with what this export now says of them, and one row per value that changed.

    Only attributes the export maps as a column are updated (name, payment
    terms, credit limit and its currency, status, address and contact
    columns): a default of the mapping never replaces a value. Country,
    billing currency and entity are a customer's identity and stay as first
    imported. An empty cell leaves the value as it was.
    """
    empty = pl.DataFrame(schema=dict.fromkeys(("customer_id", "column", "before", "after"), pl.String))
    known = good.filter(pl.col("customer_id").is_in(existing["customer_id"].implode()))
    if known.height == 0:
        return existing, empty
    latest, _ = _new_customers(known, mapping, file, existing.clear())
    source = {"name": "customer_name", "credit_limit_currency": "credit_limit"}
    columns = [
        c
        for c in latest.columns
        if c not in ("customer_id", "country", "currency", "entity") and source.get(c, c) in mapping.columns
    ]
    if not columns:
        return existing, empty
    latest = latest.select("customer_id", *[pl.col(c).cast(pl.String) for c in columns])
    updated = existing.with_columns([pl.lit(None, pl.String).alias(c) for c in columns if c not in existing.columns])
    joined = updated.join(latest, on="customer_id", how="left", suffix="__new")
    rows = []
    for column in columns:
        new = pl.col(f"{column}__new")
        changed = joined.filter(new.is_not_null() & (new != "") & (new != pl.col(column).fill_null("")))
        for customer_id, before, after in changed.select("customer_id", column, f"{column}__new").iter_rows():
            rows.append((customer_id, column, before or "", after))
    merged = joined.with_columns(
        [
            pl.when(pl.col(f"{c}__new").is_not_null() & (pl.col(f"{c}__new") != ""))
            .then(pl.col(f"{c}__new"))
            .otherwise(pl.col(c))
            .alias(c)
            for c in columns
        ]
    ).select(updated.columns)
    changes = pl.DataFrame(rows, schema=empty.schema, orient="row") if rows else empty
    return merged, changes.sort("customer_id", "column")


def _documents(rows: pl.DataFrame, items: list[Item]) -> pl.DataFrame:
    amount = {i.document_id: str(i.amount) for i in items}
    return rows.select(
        *[c for c in DOCUMENT_BASE if c != "amount"],
        *DOCUMENT_EXTRA,
        amount=pl.col("document_id").replace_strict(amount, default=None, return_dtype=pl.String),
    ).select(*DOCUMENT_BASE, *DOCUMENT_EXTRA)


def _state_frame(items: list[Item]) -> pl.DataFrame:
    rows = [
        (i.document_id, i.customer_id, i.doc_type, i.currency, str(i.amount), str(i.open), i.doc_date.isoformat())
        for i in sorted(items, key=lambda i: i.document_id)
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(STATE_COLUMNS, pl.String), orient="row")


def _changes_frame(changes: list[Change]) -> pl.DataFrame:
    def text(v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    rows = [
        (
            c.change,
            c.document_id,
            c.customer_id,
            c.doc_type,
            c.currency,
            text(c.open_before),
            text(c.open_after),
            str(c.allocated),
            c.note,
        )
        for c in changes
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(CHANGE_COLUMNS, pl.String), orient="row")
