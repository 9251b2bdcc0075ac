"""Declared schemas of the canonical ledger tables (docs/ledger-format.md).

Each table is a list of :class:`Column` declarations; validation reads them to
know what to check and how to type the loaded frame. Unknown extra columns are
kept as text and ignored by the calculations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "date", "amount", "rate", "int", "bool", "score", "currency", "country", "enum"]


@dataclass(frozen=True)
class Column:
    """One declared column: name, kind, whether required, allowed values for enums."""

    name: str
    kind: Kind
    required: bool = False
    values: tuple[str, ...] = ()


DOC_TYPES = ("invoice", "debit_note", "credit_note")
STATUSES = ("active", "hold", "suspended", "litigation", "closed")

TABLES: dict[str, tuple[Column, ...]] = {
    "customers": (
        Column("customer_id", "id", True),
        Column("name", "text", True),
        Column("country", "country", True),
        Column("currency", "currency", True),
        Column("entity", "text"),
        Column("payment_terms_days", "int"),
        Column("credit_limit", "amount"),
        Column("credit_limit_currency", "currency"),
        Column("insured_limit", "amount"),
        Column("collector", "text"),
        Column("sales_rep", "text"),
        Column("segment", "text"),
        Column("language", "text"),
        Column("email", "text"),
        Column("phone", "text"),
        Column("vat_id", "text"),
        Column("external_score", "score"),
        Column("status", "enum", values=STATUSES),
        Column("parent_id", "text"),
        Column("address_line1", "text"),
        Column("address_line2", "text"),
        Column("postcode", "text"),
        Column("city", "text"),
        Column("region", "text"),
    ),
    "documents": (
        Column("document_id", "id", True),
        Column("customer_id", "id", True),
        Column("doc_type", "enum", True, DOC_TYPES),
        Column("doc_date", "date", True),
        Column("due_date", "date"),
        Column("currency", "currency", True),
        Column("amount", "amount", True),
        Column("entity", "text"),
        Column("reference", "text"),
        Column("po_number", "text"),
        Column("disputed", "bool"),
        Column("dispute_reason", "text"),
        Column("service_start", "date"),
        Column("service_end", "date"),
    ),
    "payments": (
        Column("payment_id", "id", True),
        Column("customer_id", "text"),
        Column("value_date", "date", True),
        Column("currency", "currency", True),
        Column("amount", "amount", True),
        Column("entity", "text"),
        Column("reference", "text"),
        Column("method", "text"),
    ),
    "allocations": (
        Column("source_id", "id", True),
        Column("document_id", "id", True),
        Column("amount", "amount", True),
        Column("allocation_date", "date", True),
    ),
    "fx_rates": (
        Column("date", "date", True),
        Column("currency", "currency", True),
        Column("rate", "rate", True),
    ),
    "orders": (
        Column("order_id", "id", True),
        Column("customer_id", "id", True),
        Column("currency", "currency", True),
        Column("amount", "amount", True),
        Column("order_date", "date", True),
        Column("expected_invoice_date", "date"),
    ),
    "financials": (
        Column("customer_id", "id", True),
        Column("period_end", "date", True),
        Column("currency", "currency", True),
        *(
            Column(name, "text")
            for name in (
                "revenue",
                "ebit",
                "net_income",
                "total_assets",
                "current_assets",
                "current_liabilities",
                "total_liabilities",
                "equity",
                "retained_earnings",
                "intangible_assets",
                "market_value_equity",
            )
        ),
    ),
    "contacts": (
        Column("customer_id", "id", True),
        Column("name", "text"),
        Column("role", "text"),
        Column("email", "text"),
        Column("phone", "text"),
        Column("language", "text"),
    ),
}

#: Usual values of ``contacts.role`` (the column is free text: a team may use its own roles).
CONTACT_ROLES = ("billing", "accounts_payable", "dunning", "legal")

#: Tables a ledger must have; the others may be absent (treated as empty).
REQUIRED_TABLES = ("customers", "documents")
#: Order in which tables are loaded (references point backwards).
LOAD_ORDER = (
    "customers",
    "documents",
    "payments",
    "allocations",
    "fx_rates",
    "orders",
    "financials",
    "contacts",
)
#: The key column of each table whose duplicates are quarantined.
KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "documents": ("document_id",),
    "payments": ("payment_id",),
    "fx_rates": ("date", "currency"),
    "orders": ("order_id",),
    "financials": ("customer_id", "period_end"),
}
