"""Streaming writers for the ledger tables (CSV or Parquet), one chunk at a time.

Frames come in with money as integer cents and FX rates as integer millionths;
the writer fixes every column's type from ``SCHEMAS`` and renders money as
exact 2-decimal strings in CSV or ``Decimal(18, 2)`` in Parquet.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ._util import cents_text, fixed_point

Kind = Literal["str", "date", "money", "rate", "int", "bool"]
Format = Literal["csv", "parquet"]

SCHEMAS: dict[str, dict[str, Kind]] = {
    "customers": {
        "customer_id": "str",
        "name": "str",
        "country": "str",
        "currency": "str",
        "entity": "str",
        "payment_terms_days": "int",
        "credit_limit": "money",
        "credit_limit_currency": "str",
        "insured_limit": "money",
        "collector": "str",
        "sales_rep": "str",
        "segment": "str",
        "language": "str",
        "email": "str",
        "phone": "str",
        "vat_id": "str",
        "external_score": "int",
        "status": "str",
        "parent_id": "str",
        "address_line1": "str",
        "postcode": "str",
        "city": "str",
        "region": "str",
    },
    "documents": {
        "document_id": "str",
        "customer_id": "str",
        "doc_type": "str",
        "doc_date": "date",
        "due_date": "date",
        "currency": "str",
        "amount": "money",
        "entity": "str",
        "reference": "str",
        "po_number": "str",
        "disputed": "bool",
        "dispute_reason": "str",
        "service_start": "date",
        "service_end": "date",
    },
    "payments": {
        "payment_id": "str",
        "customer_id": "str",
        "value_date": "date",
        "currency": "str",
        "amount": "money",
        "entity": "str",
        "reference": "str",
        "method": "str",
    },
    "allocations": {"source_id": "str", "document_id": "str", "amount": "money", "allocation_date": "date"},
    "fx_rates": {"date": "date", "currency": "str", "rate": "rate"},
    "orders": {
        "order_id": "str",
        "customer_id": "str",
        "currency": "str",
        "amount": "money",
        "order_date": "date",
        "expected_invoice_date": "date",
    },
    "financials": {
        "customer_id": "str",
        "period_end": "date",
        "currency": "str",
        "revenue": "money",
        "ebit": "money",
        "net_income": "money",
        "total_assets": "money",
        "current_assets": "money",
        "current_liabilities": "money",
        "total_liabilities": "money",
        "equity": "money",
        "retained_earnings": "money",
        "intangible_assets": "money",
        "market_value_equity": "money",
    },
}
RATE_PLACES = 6
_PLAIN: dict[str, pl.DataType] = {"str": pl.String(), "date": pl.Date(), "int": pl.Int64(), "bool": pl.Boolean()}


def _column(name: str, kind: Kind, fmt: Format) -> pl.Expr:
    col = pl.col(name)
    if kind == "money":
        text = cents_text(col.cast(pl.Int64))
        return (text if fmt == "csv" else text.cast(pl.Decimal(18, 2))).alias(name)
    if kind == "rate":
        text = fixed_point(col.cast(pl.Int64), RATE_PLACES)
        return (text if fmt == "csv" else text.cast(pl.Decimal(18, RATE_PLACES))).alias(name)
    return col.cast(_PLAIN[kind]).alias(name)


def render(frame: pl.DataFrame, table: str, fmt: Format) -> pl.DataFrame:
    """The frame with the table's columns, in order, typed for ``fmt``."""
    return frame.select([_column(name, kind, fmt) for name, kind in SCHEMAS[table].items()])


def empty_frame(table: str) -> pl.DataFrame:
    """A zero-row frame in the generator's internal representation."""
    internal = {"money": pl.Int64(), "rate": pl.Int64()}
    return pl.DataFrame(schema={c: internal.get(k, _PLAIN.get(k)) for c, k in SCHEMAS[table].items()})


class TableWriter:
    """Append chunks of one table to ``<folder>/<table>.<fmt>``; ``close`` returns the row count."""

    def __init__(self, folder: Path, table: str, fmt: Format) -> None:
        self.table = table
        self.fmt = fmt
        self.path = folder / f"{table}.{fmt}"
        self.rows = 0
        self._csv: IO[bytes] | None = None
        self._parquet: pq.ParquetWriter | None = None

    def write(self, frame: pl.DataFrame) -> None:
        """Append one chunk (internal representation)."""
        out = render(frame, self.table, self.fmt)
        if self.fmt == "csv":
            if self._csv is None:
                self._csv = self.path.open("wb")
                out.write_csv(self._csv, include_header=True)
            elif out.height:
                out.write_csv(self._csv, include_header=False)
        else:
            arrow: pa.Table = out.to_arrow()
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, arrow.schema, compression="zstd")
            if arrow.num_rows:
                self._parquet.write_table(arrow)
        self.rows += out.height

    def close(self) -> int:
        """Finish the file (a header-only file when nothing was written)."""
        if self._csv is None and self._parquet is None:
            self.write(empty_frame(self.table))
        if self._csv is not None:
            self._csv.close()
            self._csv = None
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        return self.rows

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
