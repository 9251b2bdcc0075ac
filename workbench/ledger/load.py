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
from decimal import Decimal
from pathlib import Path
from typing import cast

import numpy as np
import polars as pl

from ..policy import Table, currency_code, text, validate
from ..errors import Issue, LedgerReadError
from ..fx import FxTable
from ..money import mills_to_decimal
from .model import FileReport, Ledger, LoadReport
from .reader import LINE, RawTable, find_table, read_table
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


def _duplicates(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """Quarantine every later row repeating a key (the first occurrence stays)."""
    all_present = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    dup = pl.col(keys[0]).is_duplicated() if len(keys) == 1 else pl.struct(keys).is_duplicated()
    repeated = frame.select(all_present & dup)[:, 0]
    if not repeated.any():
        return frame
    first = pl.col(LINE).min().over(keys)
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
    ).drop("_first")


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


class _Loader:
    """Holds the state of one load: quarantined rows, issues and per-file reports."""

    def __init__(self, folder: Path, settings: dict[str, str]) -> None:
        self.folder = folder
        self.settings = settings
        self.reporting = settings["reporting_currency"]
        self.files: dict[str, FileReport] = {}
        self.issues: list[Issue] = []
        self.quarantine: dict[str, pl.DataFrame] = {}
        self.bad: dict[str, pl.DataFrame] = {}
        self.names: dict[str, str] = {}

    def read(self, stem: str) -> tuple[pl.DataFrame, RawTable | None]:
        path = find_table(self.folder, stem)
        if path is None:
            if stem in REQUIRED_TABLES:
                raise LedgerReadError(f"{stem}.csv: required file is missing from {self.folder}")
            self.names[stem] = f"{stem}.csv"
            return _empty_text(stem), None
        raw = read_table(path, self.settings.get("encoding"))
        self.names[stem] = raw.file
        missing = [c.name for c in TABLES[stem] if c.required and c.name not in raw.frame.columns]
        if missing:
            raise LedgerReadError(
                f"{raw.file}: missing required column(s) {', '.join(missing)} "
                f"(header has: {', '.join(c for c in raw.frame.columns if c != LINE)})"
            )
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
            mills = cast(int, frame["amount"].sum())
            return mills_to_decimal(mills or 0).quantize(Decimal("0.001")).normalize() + Decimal("0.00")

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
        self.bad[stem] = bad  # good rows are returned, not kept: the caller's frame is the only copy
        return good

    def table(
        self, stem: str, extra: list[Check] | None = None, warn: list[Check] | None = None, hook=None
    ) -> pl.DataFrame:
        raw_text, raw = self.read(stem)
        typed = check_table(raw_text, TABLES[stem])
        if stem in KEYS:
            typed = _duplicates(typed, KEYS[stem])
        if extra:
            typed = add_reasons(typed, extra)
        if warn:
            typed = add_reasons(typed, warn, WARN)
        if hook is not None:
            typed = hook(typed)
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


def load_ledger(folder: str | Path) -> Ledger:
    """Load and validate a canonical ledger folder (see LEDGER_FORMAT.md).

    Returns a :class:`Ledger` whose ``report`` lists every issue with file,
    line and reason; bad rows are in ``report.quarantine``, never dropped
    silently. Raises :class:`LedgerReadError` when the ledger cannot be read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LedgerReadError(f"{folder}: no such ledger folder")
    settings = read_settings(folder)
    ld = _Loader(folder, settings)
    rep = ld.reporting

    customers = ld.table("customers", warn=[country_warning()])
    customers = customers.with_columns(
        pl.col("entity").fill_null(DEFAULT_ENTITY),
        pl.col("payment_terms_days").fill_null(30),
        pl.col("credit_limit_currency").fill_null(rep),
        pl.col("status").fill_null("active"),
        pl.col("language").fill_null(pl.col("country").replace_strict(_LANG_BY_COUNTRY, default="en")),
    )
    cust_names = ld.names["customers"]

    def doc_rules(frame: pl.DataFrame) -> pl.DataFrame:
        frame = _reference(frame, "customer_id", customers, "customer_id", cust_names, ld.bad["customers"])
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

    documents = ld.table("documents", hook=doc_rules)
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
    doc_names = ld.names["documents"]

    def pay_rules(frame: pl.DataFrame) -> pl.DataFrame:
        frame = _reference(frame, "customer_id", customers, "customer_id", cust_names, ld.bad["customers"])
        clash = pl.col("payment_id").is_in(documents["document_id"].implode())
        return add_reasons(
            frame,
            [
                Check(
                    clash,
                    pl.concat_str(
                        [
                            pl.lit("payment_id '"),
                            pl.col("payment_id"),
                            pl.lit(f"' is also a document_id in {doc_names}"),
                        ]
                    ),
                ),
                minor_unit_check("amount", "currency"),
            ],
        )

    payments = ld.table("payments", hook=pay_rules)
    payments = payments.with_columns(
        pl.coalesce(pl.col("entity"), _customer_entity(payments, cust_entity), pl.lit(DEFAULT_ENTITY)).alias("entity"),
    ).with_row_index("key", offset=documents.height)

    allocations = ld.table("allocations", hook=lambda f: _allocation_rules(f, documents, payments, ld))
    fx_rows = ld.table(
        "fx_rates",
        warn=[
            Check(
                pl.col("currency") == rep,
                pl.lit(f"{rep} is the reporting currency: its rate is always 1 (row ignored)"),
            )
        ],
    ).filter(pl.col("currency") != rep)
    fx = FxTable(rep, fx_rows.select("date", "currency", "rate").sort("currency", "date"))

    orders = ld.table(
        "orders",
        hook=lambda f: add_reasons(
            _reference(f, "customer_id", customers, "customer_id", cust_names, ld.bad["customers"]),
            [minor_unit_check("amount", "currency")],
        ),
    )
    financials = ld.table(
        "financials",
        hook=lambda f: _reference(f, "customer_id", customers, "customer_id", cust_names, ld.bad["customers"]),
    )
    contacts = ld.table(
        "contacts",
        hook=lambda f: _reference(f, "customer_id", customers, "customer_id", cust_names, ld.bad["customers"]),
    )

    issues = sorted(
        ld.issues, key=lambda i: (LOAD_ORDER.index(_stem(i.file)) if _stem(i.file) in LOAD_ORDER else 99, i.line)
    )
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


def _customer_entity(frame: pl.DataFrame, cust_entity: pl.DataFrame) -> pl.Series:
    """The entity of each row's customer, joined on the key column alone (no copy of the wide frame)."""
    return frame.select("customer_id").join(cust_entity, on="customer_id", how="left", maintain_order="left")[
        "_cust_entity"
    ]


def _stem(file: str) -> str:
    return file.rsplit(".", 1)[0]


def _allocation_rules(
    frame: pl.DataFrame, documents: pl.DataFrame, payments: pl.DataFrame, ld: _Loader
) -> pl.DataFrame:
    """Cross-table rules of allocations (LEDGER_FORMAT.md integrity rules)."""
    doc_file, pay_file = ld.names["documents"], ld.names["payments"]
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
    quarantined_docs = ld.bad["documents"].select("document_id", pl.col(LINE).alias("_qd")).unique("document_id")
    quarantined_pays = (
        ld.bad["payments"]
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
    frame = add_reasons(frame.with_columns(pl.col("_d_cur").cast(pl.String).alias("_d_cur_text")), rules)
    # Over-allocation, judged in date order among rows that pass every other rule. Totals per
    # document and per source tell cheaply whether any side is exceeded at all.
    # Keys are dense row numbers (documents, then payments): exact integer sums per key in one
    # array, with no hash table of ten million groups.
    limits = np.concatenate([documents["amount"].to_numpy(), payments["amount"].to_numpy()])
    counted = frame.select(
        pl.when(pl.col(REASON).is_null()).then(pl.col("amount")).otherwise(0).fill_null(0).cast(pl.Int64)
    )[:, 0].to_numpy()

    def exceeded(key: str) -> bool:
        sums = np.zeros(limits.shape[0], dtype=np.int64)
        np.add.at(sums, frame[key].fill_null(0).cast(pl.Int64).to_numpy(), counted)
        return bool((sums > limits).any())

    if exceeded("document_key") or exceeded("source_key"):
        ok = (
            frame.filter(pl.col(REASON).is_null())
            .select(
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
            .sort("allocation_date", LINE)
            .with_columns(
                over=(pl.col("amount").cum_sum().over("document_key") > pl.col("_d_amount"))
                | (pl.col("amount").cum_sum().over("source_key") > pl.col("_s_amount"))
            )
        )
        frame = frame.join(_greedy_over_allocation(ok), on=LINE, how="left", maintain_order="left")
        frame = add_reasons(frame, [Check(pl.col("_over").is_not_null(), pl.col("_over"))])
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
