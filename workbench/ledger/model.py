"""The loaded ledger: typed frames, FX table, and the load report."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

import polars as pl

from ..errors import Issue
from ..fx import FxTable
from .schema import TABLES
from .settlement import build_credit_sources, build_receivables


def empty_contacts() -> pl.DataFrame:
    """A ``contacts`` frame with its declared columns (all text) and no rows."""
    return pl.DataFrame(schema={c.name: pl.String for c in TABLES["contacts"]})


@dataclass(frozen=True)
class FileReport:
    """Rows and amount control totals of one file; read = loaded + quarantined.

    Amount totals are plain sums of the file's ``amount`` column as written
    (control totals across currencies), ``None`` for files without amounts.
    """

    file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    amount_read: Decimal | None
    amount_loaded: Decimal | None
    amount_quarantined: Decimal | None

    def as_dict(self) -> dict[str, object]:
        """JSON form with amounts as strings."""

        def text(v: Decimal | None) -> str | None:
            return None if v is None else f"{v:.2f}" if v == v.quantize(Decimal("0.01")) else str(v)

        return {
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "amount_read": text(self.amount_read),
            "amount_loaded": text(self.amount_loaded),
            "amount_quarantined": text(self.amount_quarantined),
        }


@dataclass(frozen=True)
class LoadReport:
    """What loading found: per-file counts, every issue, and the quarantined rows."""

    files: dict[str, FileReport]
    issues: list[Issue]
    quarantine: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def rows_quarantined(self) -> int:
        """Rows sent to quarantine over all files."""
        return sum(f.rows_quarantined for f in self.files.values())

    def as_dict(self) -> dict[str, object]:
        """The ``workbench validate --json`` document."""
        return {
            "files": {name: report.as_dict() for name, report in self.files.items()},
            "issues": [issue.as_dict() for issue in self.issues],
        }

    def quarantine_frame(self) -> pl.DataFrame:
        """All quarantined rows in one frame: file, line, reason, and the row as text."""
        parts = []
        for file, frame in self.quarantine.items():
            fields = [c for c in frame.columns if c not in ("_line", "_reason")]
            raw = (
                pl.concat_str(
                    [pl.concat_str([pl.lit(f"{c}="), pl.col(c).fill_null("")]) for c in fields], separator=" | "
                )
                if fields
                else pl.lit("")
            )
            parts.append(
                frame.select(
                    pl.lit(file).alias("file"),
                    pl.col("_line").alias("line"),
                    pl.col("_reason").alias("reason"),
                    raw.alias("row"),
                )
            )
        if not parts:
            return pl.DataFrame(schema={"file": pl.String, "line": pl.Int64, "reason": pl.String, "row": pl.String})
        return pl.concat(parts).sort("file", "line")


@dataclass(frozen=True)
class Ledger:
    """One company's receivables ledger, validated and typed.

    Amount columns are Int64 mills (see :mod:`workbench.money`); every document
    and payment has a resolved ``entity`` and an integer ``key`` unique across
    documents and payments; allocations carry ``source_kind`` (``payment`` or
    ``credit_note``), the document's ``currency``, and the integer keys
    ``document_key`` and ``source_key`` so that balances join on integers.
    """

    company: str
    reporting_currency: str
    customers: pl.DataFrame
    documents: pl.DataFrame
    payments: pl.DataFrame
    allocations: pl.DataFrame
    fx: FxTable
    orders: pl.DataFrame
    financials: pl.DataFrame
    report: LoadReport
    contacts: pl.DataFrame = field(default_factory=empty_contacts)
    """People to write to or call at each customer (``contacts`` table; empty when the ledger has none)."""

    @cached_property
    def receivables(self) -> pl.DataFrame:
        """Invoices and debit notes with their settlement date ``consumed`` (computed once)."""
        return build_receivables(self.documents, self.allocations)

    @cached_property
    def credit_sources(self) -> pl.DataFrame:
        """Payments and credit notes as sources of credit with ``consumed`` dates (computed once)."""
        return build_credit_sources(self.documents, self.payments, self.allocations)

    def filter_entity(self, entity: str | None) -> Ledger:
        """The same ledger restricted to one selling entity (``None`` = all).

        Documents and payments are kept by their resolved entity; allocations
        follow their document. Customers stay (they may buy from several entities).
        """
        if entity is None:
            return self
        docs = self.documents.filter(pl.col("entity") == entity)
        pays = self.payments.filter(pl.col("entity") == entity)
        keys = pl.concat([docs["key"], pays["key"]]).implode()
        allocs = self.allocations.filter(pl.col("document_key").is_in(keys) | pl.col("source_key").is_in(keys))
        return Ledger(
            self.company,
            self.reporting_currency,
            self.customers,
            docs,
            pays,
            allocs,
            self.fx,
            self.orders,
            self.financials,
            self.report,
            self.contacts,
        )
