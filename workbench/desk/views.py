"""The panels of the collector desk (:mod:`workbench.desk.app`) as data and escaped HTML.

No widgets here: each function takes the ledger (usually one customer's
slice, :func:`customer_ledger`), the journal's frames or a dunning run, and
returns a frame or an HTML string. Every piece of customer text goes through
:func:`~workbench.render.tables.html_table` or :func:`html.escape`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

import polars as pl

from ..aging import aging
from ..behaviour import behaviour
from ..ledger.asof import open_items, unapplied_credit
from ..ledger.model import Ledger
from ..money import mills_to_decimal, minor_units, parse_amount, to_money
from ..render.format import money_grouped
from ..render.tables import html_table
from ..collections.dunning import DunningRun, DunningState, item_status, postal_address
from ..collections.model import Communication
from ..letters import LetterError, LetterRenderer

ERROR_STYLE = "color:#b00020"
ITEM_COLUMNS = ("document_id", "doc_type", "doc_date", "due_date", "days_overdue", "currency", "open", "status")
_BUCKETS = ["current", "1-30", "31-60", "61-90", "91-120", "120+", "gross_open", "unapplied_credit", "total"]
_ITEM_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "document_id": pl.String,
    "doc_type": pl.String,
    "doc_date": pl.Date,
    "due_date": pl.Date,
    "days_overdue": pl.Int64,
    "currency": pl.String,
    "open": pl.Decimal(38, 3),
    "status": pl.String,
    "overdue": pl.Boolean,
    "disputed": pl.Boolean,
}


def error_html(message: str) -> str:
    """A message in red (escaped)."""
    return f'<span style="{ERROR_STYLE}">{escape(message)}</span>'


def note_html(message: str) -> str:
    """A plain one-line note (escaped)."""
    return f"<p>{escape(message)}</p>"


def customer_ledger(ledger: Ledger, customer_id: str) -> Ledger:
    """The ledger restricted to one customer's documents, payments and their allocations.

    Balances, aging, behaviour and dunning are per customer, so they come out
    the same on this slice as on the whole ledger, only much faster.
    """
    docs = ledger.documents.filter(pl.col("customer_id") == customer_id)
    pays = ledger.payments.filter(pl.col("customer_id") == customer_id)
    keys = pl.concat([docs["key"], pays["key"]]).implode()
    allocs = ledger.allocations.filter(pl.col("document_key").is_in(keys) | pl.col("source_key").is_in(keys))
    return replace(
        ledger,
        customers=ledger.customers.filter(pl.col("customer_id") == customer_id),
        documents=docs,
        payments=pays,
        allocations=allocs,
    )


def customer_record(ledger: Ledger, customer_id: str) -> dict[str, Any]:
    """The customer's master data as a dict (empty when the ledger does not know the customer)."""
    rows = ledger.customers.filter(pl.col("customer_id") == customer_id).to_dicts()
    return rows[0] if rows else {}


def statement_items(ledger: Ledger, as_of: date, state: DunningState, customer_id: str) -> pl.DataFrame:
    """Open items of the customer with days overdue and a status, then its unapplied credits (negative).

    Status: ``disputed`` (in the ledger or by an open journal dispute),
    ``promised`` (under a live promise), ``overdue`` or ``not due``; credits
    are ``unapplied``. ``open`` is in the document currency.
    """
    rows = []
    items = open_items(ledger, as_of).filter(pl.col("customer_id") == customer_id).sort("due_date", "document_id")
    for row in items.iter_rows(named=True):
        doc, cur = row["document_id"], row["currency"]
        dpd = (as_of - row["due_date"]).days
        status = item_status(customer_id, doc, cur, bool(row["disputed"]), row["due_date"], as_of, state)
        disputed = status == "disputed"
        rows.append(
            (
                doc,
                row["doc_type"],
                row["doc_date"],
                row["due_date"],
                max(dpd, 0),
                cur,
                mills_to_decimal(row["open"]),
                status,
                dpd > 0,
                disputed,
            )
        )
    credits = unapplied_credit(ledger, as_of).filter(pl.col("customer_id") == customer_id).sort("date")
    for row in credits.iter_rows(named=True):
        rows.append(
            (
                row["source_id"],
                row["source_kind"],
                row["date"],
                None,
                None,
                row["currency"],
                -mills_to_decimal(row["open"]),
                "unapplied",
                False,
                False,
            )
        )
    return pl.DataFrame(rows, schema=_ITEM_SCHEMA, orient="row")


def overdue_by_currency(items: pl.DataFrame) -> dict[str, tuple[Decimal, list[str]]]:
    """Per currency, the undisputed overdue amount and its document ids (what a promise would cover)."""
    out: dict[str, tuple[Decimal, list[str]]] = {}
    for doc, cur, amount in (
        items.filter(pl.col("overdue") & ~pl.col("disputed")).select("document_id", "currency", "open").iter_rows()
    ):
        total, docs = out.get(cur, (Decimal(0), []))
        out[cur] = (total + amount, [*docs, doc])
    return out


def _money_rows(frame: pl.DataFrame, columns: list[str], mills: bool = False) -> pl.DataFrame:
    """``frame`` with the ``columns`` (Decimal, or Int64 mills when ``mills``) rounded to each row's currency."""
    rows = frame.to_dicts()
    for row in rows:
        for col in columns:
            if row[col] is not None:
                value = mills_to_decimal(row[col]) if mills else row[col]
                row[col] = to_money(value, row["currency"])
    return pl.DataFrame(rows, schema={**frame.schema, **{c: pl.Decimal(38, 3) for c in columns}})


def statement_html(items: pl.DataFrame) -> str:
    """The statement of account table and the balance per currency."""
    if items.height == 0:
        return note_html("No open items and no unapplied credit at the as-of date.")
    table = html_table(
        _money_rows(items.select(ITEM_COLUMNS), ["open"]),
        money_columns=["open"],
        int_columns=["days_overdue"],
        caption="Statement of account (document currency)",
        labels={
            "doc_type": "Type",
            "doc_date": "Date",
            "days_overdue": "Days overdue",
            "open": "Open",
            "status": "Status",
        },
    )
    balance = (
        items.group_by("currency")
        .agg(
            pl.col("open").filter(pl.col("open") > 0).sum().alias("open_items"),
            pl.col("open").filter(pl.col("overdue")).sum().alias("overdue"),
            (-pl.col("open").filter(pl.col("open") < 0).sum()).alias("unapplied_credit"),
            pl.col("open").sum().alias("balance"),
        )
        .sort("currency")
    )
    money_cols = ["open_items", "overdue", "unapplied_credit", "balance"]
    return table + html_table(
        _money_rows(balance, money_cols),
        money_columns=money_cols,
        caption="Balance per currency",
        labels={"open_items": "Open items", "balance": "Balance"},
    )


def header_html(customer: Mapping[str, Any], row: Mapping[str, Any] | None, reporting: str) -> str:
    """Who the customer is and why it is on today's worklist."""
    fields = [
        ("Customer", customer.get("customer_id")),
        ("Address", ", ".join(postal_address(customer))),
        ("Country", customer.get("country")),
        ("Language", customer.get("language")),
        ("Status", customer.get("status") or "active"),
        ("E-mail", customer.get("email")),
        ("Phone", customer.get("phone")),
        ("Collector", customer.get("collector")),
        ("Sales rep", customer.get("sales_rep")),
    ]
    facts = " · ".join(f"<b>{escape(label)}</b> {escape(str(value))}" for label, value in fields if value)
    if row is None:
        work = "Not on today's worklist (nothing overdue and no rule scored)."
    else:
        work = (
            f"Worklist: rank {row['rank']} of {row['collector']} · score {row['score']} · "
            f"overdue {row['overdue']:,.2f} {reporting} · next action: {row['next_action']}"
        )
    reasons = "" if row is None else "".join(f"<li>{escape(r)}</li>" for r in str(row["reasons"]).split("; ") if r)
    return (
        f"<h3>{escape(str(customer.get('name') or customer.get('customer_id') or ''))}</h3>"
        f"<p>{facts}</p><p>{escape(work)}</p>" + (f"<ul>{reasons}</ul>" if reasons else "")
    )


def aging_html(ledger: Ledger, as_of: date) -> str:
    """The customer's aging buckets in the reporting currency at the as-of rate (``ledger`` is its slice)."""
    frame = aging(ledger, as_of, by="customer")
    if frame.height == 0:
        return note_html("Nothing open: no aging.")
    return html_table(
        frame.drop("customer_id"),
        money_columns=_BUCKETS,
        currency=ledger.reporting_currency,
        caption="Aging by days past due",
    )


def payment_history_html(ledger: Ledger, as_of: date, n: int = 12) -> str:
    """The last ``n`` settled invoices (days to pay, delay), the last payments and the behaviour figures."""
    settled = (
        ledger.receivables.filter(pl.col("consumed").is_not_null() & (pl.col("consumed") <= as_of))
        .sort("consumed", "document_id", descending=True)
        .head(n)
        .select(
            "document_id",
            "doc_date",
            "due_date",
            pl.col("consumed").alias("settled_on"),
            (pl.col("consumed") - pl.col("doc_date")).dt.total_days().alias("days_to_pay"),
            (pl.col("consumed") - pl.col("due_date")).dt.total_days().alias("delay"),
            "currency",
            "amount",
        )
    )
    pays = (
        ledger.payments.filter(pl.col("value_date") <= as_of)
        .sort("value_date", "payment_id", descending=True)
        .head(n)
        .select("payment_id", "value_date", "currency", "amount")
    )
    parts = []
    stats = behaviour(ledger, as_of)
    if stats.height:
        parts.append(
            html_table(
                stats.drop("customer_id"),
                caption="Payment behaviour, last 365 days",
                labels={
                    "documents": "Invoices",
                    "weighted_days_to_pay": "Days to pay",
                    "dbt": "DBT",
                    "average_payment_delay": "Average delay",
                    "paydex": "PAYDEX",
                },
            )
        )
    labels = {
        "settled_on": "Settled",
        "days_to_pay": "Days to pay",
        "delay": "Delay",
        "amount": "Amount",
        "payment_id": "Payment",
        "value_date": "Value date",
        "doc_date": "Date",
    }
    parts.append(
        html_table(
            _money_rows(settled, ["amount"], mills=True),
            money_columns=["amount"],
            int_columns=["days_to_pay", "delay"],
            labels=labels,
            caption=f"Last {n} settled invoices",
        )
        if settled.height
        else note_html("No invoice settled yet.")
    )
    parts.append(
        html_table(
            _money_rows(pays, ["amount"], mills=True),
            money_columns=["amount"],
            labels=labels,
            caption=f"Last {n} payments received",
        )
        if pays.height
        else note_html("No payment received yet.")
    )
    return "".join(parts)


def _amount_text(text: str | None, currency: str | None) -> str:
    """A journal amount (exact decimal text) as ``1,234.56 EUR``."""
    if not text:
        return ""
    places = minor_units(currency) if currency else 2
    return f"{money_grouped(parse_amount(text), decimals=places)} {currency or ''}".strip()


def entry_summary(kind: str, details: Mapping[str, Any], row: Mapping[str, Any], promise_status: str = "") -> str:
    """One line saying what a journal entry records (plain text, at most 160 characters)."""
    docs = ", ".join(row.get("document_ids") or [])
    amount = _amount_text(row.get("amount_text"), row.get("currency"))
    if kind == "contact":
        text = f"{details.get('channel')}: {details.get('outcome') or '(no outcome)'}"
        if row.get("next_action_date"):
            text += f"; next action {row['next_action_date'].isoformat()}"
    elif kind == "promise":
        text = f"promise of {amount} by {row['event_date'].isoformat()}"
        text += f" ({promise_status})" if promise_status else ""
        text += f" for {docs}" if docs else ""
    elif kind == "dispute":
        text = f"dispute on {docs}: {details.get('reason')} (owner {details.get('owner')})"
    elif kind == "dispute_update":
        text = f"dispute {row.get('refers_to')} now {details.get('status')}: {details.get('resolution') or ''}"
    elif kind == "escalation":
        text = f"{details.get('action')} {details.get('partner') or ''} {amount}"
    elif kind == "note":
        text = str(details.get("text") or "")
    elif kind == "flag":
        text = f"flag {details.get('flag')} set to {details.get('value')} {details.get('reason') or ''}"
    elif kind == "dunning_letter":
        text = f"level {details.get('level')} {details.get('channel')} for {amount}: {docs}"
    else:
        text = json.dumps(details, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:159] + "…"


def journal_frame(entries: pl.DataFrame, promise_status: Mapping[int, str] | None = None) -> pl.DataFrame:
    """The customer's current journal entries, newest recorded first: date, kind, author, summary, entry."""
    statuses = promise_status or {}
    rows = [
        (
            row["event_date"],
            row["kind"],
            row["author"],
            entry_summary(row["kind"], json.loads(row["details"] or "{}"), row, statuses.get(row["id"], "")),
            str(row["id"]),
        )
        for row in entries.sort("id", descending=True).iter_rows(named=True)
    ]
    return pl.DataFrame(
        rows,
        schema={"date": pl.Date, "kind": pl.String, "author": pl.String, "summary": pl.String, "entry": pl.String},
        orient="row",
    )


def journal_html(frame: pl.DataFrame, max_rows: int = 40) -> str:
    """The journal panel (``frame`` from :func:`journal_frame`)."""
    if frame.height == 0:
        return note_html("No journal entry for this customer yet.")
    return html_table(
        frame,
        labels={"date": "Date", "kind": "Kind", "author": "Author", "summary": "What", "entry": "Entry"},
        max_rows=max_rows,
        caption="Journal, newest first",
    )


def _why_none(run: DunningRun, customer_id: str) -> list[str]:
    """Why a dunning run has no communication for the customer (one reason per line)."""
    lines = run.lines.filter(pl.col("customer_id") == customer_id)
    if lines.height == 0:
        return [f"no item is overdue on {run.as_of.isoformat()}: nothing to remind"]
    out = []
    skipped = lines.filter(pl.col("status") == "skipped")
    for reason, docs in skipped.group_by("reason").agg(pl.col("document_id").sort()).sort("reason").iter_rows():
        out.append(f"skipped ({reason}): {', '.join(docs)}")
    for currency, reason in (
        run.skipped.filter(pl.col("customer_id") == customer_id).select("currency", "reason").iter_rows()
    ):
        out.append(f"{currency}: {reason}")
    claimed = lines.filter(pl.col("status") == "claimed")
    if claimed.height and not claimed.filter(pl.col("level") > pl.col("previous_level")).height:
        levels = ", ".join(f"{d} stays at level {lv}" for d, lv in claimed.select("document_id", "level").iter_rows())
        out.append(f"no item reached a new level ({levels})")
    return out or ["no item reached a new level"]


def communication_html(comm: Communication, renderer: LetterRenderer) -> str:
    """Subject, claimed items and the rendered e-mail or letter, framed so its styles stay inside."""
    head = f"<h4>{escape(comm.currency)} · level {comm.level} {escape(comm.level_name)} · {escape(comm.channel)}</h4>"
    items = pl.DataFrame(
        [(line.document_id, line.due_date, line.days_overdue, line.open) for line in comm.lines],
        schema={"document_id": pl.String, "due_date": pl.Date, "days_overdue": pl.Int64, "open": pl.Decimal(38, 3)},
        orient="row",
    )
    table = html_table(
        items,
        money_columns=["open"],
        int_columns=["days_overdue"],
        currency=comm.currency,
        labels={"days_overdue": "Days overdue", "open": "Open"},
    )
    if comm.channel == "phone":
        return head + note_html("A phone level: no letter is sent, call the customer about these items.") + table
    by_email = comm.channel == "email" and bool(comm.email.strip())
    if comm.channel == "email" and not by_email:
        head += note_html("No e-mail address: the run prints this as a letter.")
    try:
        subject = renderer.subject(comm)
        body = renderer.email_html(comm) if by_email else renderer.letter_html(comm)
    except LetterError as exc:
        return head + error_html(str(exc)) + table
    frame = (
        f'<iframe sandbox="" srcdoc="{escape(body, quote=True)}" '
        'style="width:100%;height:560px;border:1px solid #ccc;background:#fff"></iframe>'
    )
    return head + f"<p><b>Subject:</b> {escape(subject)}</p>" + table + frame


def letter_preview(run: DunningRun, customer_id: str, renderer: LetterRenderer) -> str:
    """What the next dunning run would send the customer, or why it would send nothing."""
    comms = [c for c in run.communications if c.customer_id == customer_id]
    if comms:
        return "".join(communication_html(c, renderer) for c in comms)
    reasons = "".join(f"<li>{escape(r)}</li>" for r in _why_none(run, customer_id))
    return f"<p>No letter for {escape(customer_id)} in a run on {run.as_of.isoformat()}:</p><ul>{reasons}</ul>"
