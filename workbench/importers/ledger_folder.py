"""Write frames as the files of a canonical ledger folder (UTF-8, comma, ISO dates).

Only ``out_dir`` and the fixed file names below are ever used as paths; no
text from a source file becomes part of a path. Each file is written to a
temporary name first and then moved into place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["OUTPUT_FILES", "write_csv", "write_json", "write_ledger_toml", "toml_string"]

OUTPUT_FILES = (
    "customers.csv",
    "documents.csv",
    "payments.csv",
    "allocations.csv",
    "fx_rates.csv",
    "ledger.toml",
    "quarantine.csv",
    "import_report.json",
)


def _replace_into(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write a frame as text: dates ISO, decimals as their exact text, empty cells empty."""
    text_cols = []
    for name in frame.columns:
        col = pl.col(name).cast(pl.String)
        text_cols.append(pl.when(col != "").then(col).alias(name))
    tmp = path.with_name(f".{path.name}.tmp")
    frame.select(text_cols).write_csv(tmp, line_terminator="\n", quote_style="necessary")
    os.replace(tmp, path)


def write_json(
    data: dict[str, Any], path: Path, records: pl.DataFrame | None = None, records_key: str = "issues"
) -> None:
    """Write ``data`` as indented JSON; ``records`` (a frame) becomes one more key
    holding a list of objects, serialised by polars (fast for a million rows)."""
    text = json.dumps({**data, records_key: []} if records is not None else data, indent=2, ensure_ascii=False)
    if records is not None and records.height:  # one object per line, in place of the empty list
        rows = records.write_ndjson().splitlines()
        text = text[: -len("[]\n}")] + "[\n    " + ",\n    ".join(rows) + "\n  ]\n}"
    _replace_into(path, (text + "\n").encode("utf-8"))


def toml_string(value: str) -> str:
    """A TOML basic string holding ``value`` exactly."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 0xD800 <= ord(ch) <= 0xDFFF:  # undecodable file-name bytes
            out.append("\ufffd")
        elif ch == "\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F):
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04X}")
    out.append('"')
    return "".join(out)


def write_ledger_toml(path: Path, company: str, reporting_currency: str | None) -> None:
    lines = [f"company = {toml_string(company)}"]
    if reporting_currency:
        lines.append(f"reporting_currency = {toml_string(reporting_currency)}")
    _replace_into(path, ("\n".join(lines) + "\n").encode("utf-8"))
