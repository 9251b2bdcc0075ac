"""Small canonical ledgers written next to the assertions that use them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from workbench.ledger import Ledger, load_ledger
from workbench.workspace import Letterhead

HEADERS = {
    "customers": ["customer_id", "name", "country", "currency", "entity", "collector", "status"],
    "documents": [
        "document_id",
        "customer_id",
        "doc_type",
        "doc_date",
        "due_date",
        "currency",
        "amount",
        "entity",
        "disputed",
        "dispute_reason",
    ],
    "payments": ["payment_id", "customer_id", "value_date", "currency", "amount", "entity"],
    "allocations": ["source_id", "document_id", "amount", "allocation_date"],
    "fx_rates": ["date", "currency", "rate"],
}


def write_table(folder: Path, name: str, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    """Write ``rows`` as ``name.csv`` with the canonical header plus any other keys the rows use."""
    if header is None:
        header = list(HEADERS[name])
        header += sorted({k for row in rows for k in row} - set(header))
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in header})
    return path


def write_ledger(
    folder: Path,
    *,
    customers: list[dict[str, Any]] | None = None,
    documents: list[dict[str, Any]] | None = None,
    payments: list[dict[str, Any]] | None = None,
    allocations: list[dict[str, Any]] | None = None,
    fx: list[dict[str, Any]] | None = None,
    reporting_currency: str = "EUR",
) -> Path:
    """Write a small ledger folder; customers default to one EUR customer ``C1``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ledger.toml").write_text(f'company = "Test Co"\nreporting_currency = "{reporting_currency}"\n')
    write_table(
        folder, "customers", customers or [{"customer_id": "C1", "name": "Alpha", "country": "FR", "currency": "EUR"}]
    )
    write_table(folder, "documents", documents or [])
    write_table(folder, "payments", payments or [])
    write_table(folder, "allocations", allocations or [])
    write_table(folder, "fx_rates", fx or [])
    return folder


def ledger(folder: Path, **tables: Any) -> Ledger:
    """Write and load a ledger; fails the test if anything was quarantined."""
    led = load_ledger(write_ledger(folder, **tables))
    bad = [str(i) for i in led.report.issues if i.quarantined]
    assert not bad, bad
    return led


def inv(
    doc_id: str, doc_date: str, due: str, amount: str, customer: str = "C1", currency: str = "EUR", **extra: Any
) -> dict[str, Any]:
    """An invoice row."""
    return {
        "document_id": doc_id,
        "customer_id": customer,
        "doc_type": "invoice",
        "doc_date": doc_date,
        "due_date": due,
        "currency": currency,
        "amount": amount,
        **extra,
    }


def pay(
    pid: str, value_date: str, amount: str, customer: str | None = "C1", currency: str = "EUR", **extra: Any
) -> dict[str, Any]:
    """A payment row."""
    return {
        "payment_id": pid,
        "customer_id": customer,
        "value_date": value_date,
        "currency": currency,
        "amount": amount,
        **extra,
    }


def alloc(source: str, doc: str, amount: str, on: str) -> dict[str, Any]:
    """An allocation row."""
    return {"source_id": source, "document_id": doc, "amount": amount, "allocation_date": on}


def letterheads() -> dict[str, Letterhead]:
    """The demo entities' letterheads, plus ``MAIN`` (the default entity of the builders' ledgers)."""
    from dataclasses import replace

    from workbench.demo.letterheads import demo_letterheads

    heads = demo_letterheads()
    heads["MAIN"] = replace(heads["FR01"], entity="MAIN", legal_name="Demo Industries Group")
    return heads


def write_workspace(root: Path, ledger: str = "ledger", journal: str = "journal.sqlite") -> Path:
    """A workbench.toml in ``root`` whose letterheads are :func:`letterheads` (for dunning runs from the CLI)."""
    from workbench.workspace import render_workspace_toml

    root.mkdir(parents=True, exist_ok=True)
    path = root / "workbench.toml"
    text = render_workspace_toml(
        "Demo Industries Group", ledger=ledger, journal=journal, journal_key=f"{journal}.key", entities=letterheads()
    )
    path.write_text(text, encoding="utf-8")
    return path
