"""The collector desk: today's worklist, one customer's account, and logging work in two clicks.

:class:`CollectorDesk` holds the state and builds the ipywidgets; every
behaviour is a method (``select_collector``, ``select_customer``,
``log_call``, ``record_promise``, ``record_dispute``, ``preview_letter``,
``refresh``) so it can be driven without a browser. The buttons only read
their form and call those methods. The desk writes to the journal only when
one of them is called: opening it, choosing a customer or previewing a
letter reads. Panels are built by :mod:`workbench.desk.views`.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w  # type: ignore[import-untyped]
import polars as pl

from ..errors import WorkbenchError
from ..journal import Journal, JournalError
from ..journal.store import split_password
from ..ledger.model import Ledger
from ..money import AmountError, minor_units, parse_amount, to_money
from ..render.format import money_grouped
from ..collections.dunning import DunningError, plan_run, state_from_journal
from ..collections.policy import CollectionsPolicy, load_policy
from ..collections.worklist import build_worklist, inputs_from_journal
from ..letters import LetterRenderer
from ..letters.senders import Senders
from ..letters.text import LetterError
from ..reference_rates import ReferenceRates, load_reference_rates
from ..redact import mask_secrets, mask_url
from ..reports.sources import journal_target, open_ledger, resolve_ledger
from ..workspace import Letterhead, workspace_of
from . import views

ALL = "(all)"
CHANNELS = ("call", "email", "meeting", "letter")
DISPUTE_REASONS = ("pricing", "quantity", "quality", "delivery", "missing PO", "duplicate billing", "other")
PROMISE_DAYS = 7


class DeskError(WorkbenchError):
    """The desk cannot do what was asked (no customer selected, unknown collector or customer)."""


def promise_amount(value: Decimal | int | str) -> Decimal:
    """The amount a collector typed for a promise: ``1234.56`` or ``1,234.56``, greater than zero.

    Parsed by :func:`workbench.money.parse_amount` (``grouping=True``); raises
    :class:`JournalError` with a message for the desk's status line otherwise.
    """
    typed = value if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool) else str(value)
    try:
        return parse_amount(typed, grouping=True, sign="positive")
    except AmountError as exc:
        if exc.kind == "range":
            raise JournalError(f"amount must be a number greater than zero (got {value!r})") from None
        raise JournalError(f"amount is not a number: {value!r} (write it like 1234.56)") from None


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class CollectorDesk:
    """A collector's screen over one ledger and its journal at one as-of date (see the module doc)."""

    def __init__(
        self,
        ledger: Ledger,
        journal: Journal,
        as_of: date | str,
        *,
        policy: CollectionsPolicy | None = None,
        company: str = "",
        letterheads: Mapping[str, Letterhead] | None = None,
        author: str | None = None,
    ) -> None:
        self.ledger, self.journal = ledger, journal
        self.as_of = as_of if isinstance(as_of, date) else date.fromisoformat(as_of)
        self.policy = policy or load_policy()
        self.company = company or ledger.company
        self.letterheads = letterheads
        self.author = author or journal.author or _login()
        self.customer_id: str | None = None
        self.journal_entries = 0
        self._busy = False
        self._renderer: LetterRenderer | None = None
        self._rates: ReferenceRates | None = None
        self._items = pl.DataFrame()
        self._customer: dict[str, Any] = {}
        self._build_widgets()
        self.refresh()

    @property
    def journal_shown(self) -> str:
        """The journal's file path or URL as the desk shows it: any password masked (:func:`workbench.redact.mask_url`)."""
        return mask_url(str(self.journal.url))

    # ------------------------------------------------------------------ widgets

    def _build_widgets(self) -> None:
        wide = w.Layout(width="98%")
        self.collector_dd = w.Dropdown(description="Collector", options=[ALL], value=ALL)
        self.customer_list = w.Select(description="Customer", rows=10, layout=wide)
        self.status = w.HTML()
        self.journal_label = w.HTML(f"<small>Journal: {escape(self.journal_shown)}</small>")
        self.header, self.statement, self.aging_panel = w.HTML(), w.HTML(), w.HTML()
        self.history, self.journal_panel, self.preview = w.HTML(), w.HTML(), w.HTML()
        self.call_channel = w.Dropdown(description="Channel", options=CHANNELS, value="call")
        self.call_outcome = w.Text(description="Outcome", placeholder="what was said or agreed", layout=wide)
        self.call_next = w.DatePicker(description="Next action")
        self.call_button = w.Button(description="Log call", button_style="primary", icon="phone")
        self.promise_amount = w.Text(description="Amount")
        self.promise_currency = w.Dropdown(description="Currency")
        self.promise_pay_by = w.DatePicker(description="Pay by")
        self.promise_button = w.Button(description="Promise to pay", button_style="success", icon="handshake-o")
        self.dispute_docs = w.SelectMultiple(description="Documents", rows=6, layout=wide)
        self.dispute_reason = w.Dropdown(description="Reason", options=DISPUTE_REASONS, value="pricing")
        self.dispute_owner = w.Text(description="Owner")
        self.dispute_button = w.Button(description="Dispute", button_style="warning", icon="flag")
        self.preview_button = w.Button(description="Preview next letter", icon="envelope")
        self.collector_dd.observe(self._on_collector, names="value")
        self.customer_list.observe(self._on_customer, names="value")
        self.promise_currency.observe(self._on_currency, names="value")
        self.call_button.on_click(self._click_call)
        self.promise_button.on_click(self._click_promise)
        self.dispute_button.on_click(self._click_dispute)
        self.preview_button.on_click(lambda _b: self._click(self.preview_letter))
        forms = w.Tab(
            children=[
                w.VBox([self.call_channel, self.call_outcome, self.call_next, self.call_button]),
                w.VBox([self.promise_amount, self.promise_currency, self.promise_pay_by, self.promise_button]),
                w.VBox([self.dispute_docs, self.dispute_reason, self.dispute_owner, self.dispute_button]),
            ],
            titles=("Call", "Promise", "Dispute"),
        )
        panels = w.Tab(
            children=[
                self.statement,
                self.aging_panel,
                self.history,
                self.journal_panel,
                w.VBox([self.preview_button, self.preview]),
            ],
            titles=("Statement", "Aging", "Payments", "Journal", "Next letter"),
        )
        self.widget = w.VBox(
            [self.collector_dd, self.customer_list, self.header, forms, self.status, panels, self.journal_label]
        )

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Change widget values without running the observers."""
        busy, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = busy

    def _on_collector(self, change: dict[str, Any]) -> None:
        if not self._busy:
            self.select_collector(change["new"])

    def _on_customer(self, change: dict[str, Any]) -> None:
        if not self._busy and change["new"] is not None:
            self.select_customer(change["new"])

    def _on_currency(self, change: dict[str, Any]) -> None:
        if not self._busy and change["new"]:
            self.promise_amount.value = self._default_amount(change["new"])

    # ---------------------------------------------------------------- selection

    @property
    def collectors(self) -> list[str]:
        """``(all)`` then the collectors on today's worklist."""
        return list(self.collector_dd.options)

    @property
    def collector(self) -> str:
        """The selected collector (``(all)`` for everyone)."""
        return str(self.collector_dd.value)

    def rows(self) -> pl.DataFrame:
        """The worklist rows of the selected collector; for ``(all)`` every row, ranked by score."""
        if self.collector != ALL:
            return self.worklist.filter(pl.col("collector") == self.collector)
        ranked = self.worklist.sort(["score", "overdue", "customer_id"], descending=[True, True, False])
        return ranked.with_columns(pl.int_range(1, pl.len() + 1).cast(pl.Int64).alias("rank"))

    def _fill_customers(self, keep: str | None) -> None:
        """Fill the customer list for the collector; ``keep`` stays listed even when not on the worklist."""
        cur = self.ledger.reporting_currency
        options = [
            (
                f"{r['rank']}. {r['customer_id']} {r['name']} — {r['score']} — {r['overdue']:,.2f} {cur}",
                r["customer_id"],
            )
            for r in self.rows().iter_rows(named=True)
        ]
        if keep is not None and keep not in {v for _, v in options}:
            name = views.customer_record(self.ledger, keep).get("name") or ""
            options.append((f"–. {keep} {name} — not on today's worklist", keep))
        with self._quiet():
            self.customer_list.options = options
            self.customer_list.value = keep

    def select_collector(self, name: str) -> None:
        """Show ``name``'s worklist (empty or ``(all)``: everyone's) and select its first customer."""
        name = name or ALL
        if name not in self.collectors:
            raise DeskError(f"no collector {name!r} on today's worklist (known: {', '.join(self.collectors)})")
        with self._quiet():
            self.collector_dd.value = name
        ids = self.rows()["customer_id"].to_list()
        self._set_customer(self.customer_id if self.customer_id in ids else (ids[0] if ids else None))

    def select_customer(self, customer_id: str) -> None:
        """Show ``customer_id``'s account (switching to ``(all)`` when it is another collector's)."""
        if customer_id not in self.rows()["customer_id"].to_list():
            if customer_id in self.worklist["customer_id"].to_list():
                with self._quiet():
                    self.collector_dd.value = ALL
            elif not views.customer_record(self.ledger, customer_id):
                raise DeskError(f"no customer {customer_id!r} in the ledger")
        self._set_customer(customer_id)

    def _set_customer(self, customer_id: str | None) -> None:
        self.customer_id = customer_id
        self._fill_customers(customer_id)
        self._show_customer()

    def _require_customer(self) -> str:
        if self.customer_id is None:
            self._error("Select a customer first.")
            raise DeskError("no customer selected")
        return self.customer_id

    # ------------------------------------------------------------------- panels

    def refresh(self) -> None:
        """Re-read the journal, rebuild the worklist and redraw the selected customer."""
        grace = self.policy.default.promise_grace_days
        self.inputs = inputs_from_journal(self.journal, self.ledger, self.as_of, grace)
        self.worklist = build_worklist(self.ledger, self.as_of, self.policy.worklist, self.inputs)
        self.state = state_from_journal(self.journal, self.ledger, self.as_of, self.policy)
        self._promise_status = dict(self.inputs.promises.select("id", "status").iter_rows())
        collectors = [ALL, *sorted(self.worklist["collector"].unique().to_list())]
        chosen = self.collector if self.collector in collectors else ALL
        with self._quiet():
            self.collector_dd.options = collectors
            self.collector_dd.value = chosen
        ids = self.rows()["customer_id"].to_list()
        self._set_customer(self.customer_id if self.customer_id is not None else (ids[0] if ids else None))

    def _show_customer(self) -> None:
        cid = self.customer_id
        for button in (self.call_button, self.promise_button, self.dispute_button, self.preview_button):
            button.disabled = cid is None
        self.preview.value = ""
        if cid is None:
            self._items = pl.DataFrame()
            self.journal_entries = 0
            for panel in (self.header, self.statement, self.aging_panel, self.history, self.journal_panel):
                panel.value = views.note_html("No customer on this worklist.")
            return
        self._sub = views.customer_ledger(self.ledger, cid)
        self._customer = views.customer_record(self.ledger, cid)
        found = self.worklist.filter(pl.col("customer_id") == cid).to_dicts()
        self.header.value = views.header_html(
            self._customer, found[0] if found else None, self.ledger.reporting_currency
        )
        self._items = views.statement_items(self._sub, self.as_of, self.state, cid)
        self.statement.value = views.statement_html(self._items)
        self.aging_panel.value = views.aging_html(self._sub, self.as_of)
        self.history.value = views.payment_history_html(self._sub, self.as_of)
        entries = self.journal.entries(customer_id=cid)
        self.journal_entries = entries.height
        self.journal_panel.value = views.journal_html(views.journal_frame(entries, self._promise_status))
        self._reset_forms()

    def _overdue(self) -> dict[str, tuple[Decimal, list[str]]]:
        return views.overdue_by_currency(self._items)

    def _default_amount(self, currency: str) -> str:
        amount = self._overdue().get(currency, (Decimal(0), []))[0]
        return f"{to_money(amount, currency):f}" if amount > 0 else ""

    def _reset_forms(self) -> None:
        overdue = self._overdue()
        reporting = self.ledger.reporting_currency
        rates = {
            cur: self.ledger.fx.convert(amount, cur, reporting, self.as_of) for cur, (amount, _) in overdue.items()
        }
        main = max(rates, key=lambda cur: rates[cur]) if rates else str(self._customer.get("currency") or "")
        currencies = sorted({*self._items["currency"].to_list(), main} - {""}) or [self.ledger.reporting_currency]
        docs = self._items.filter(pl.col("status") != "unapplied")
        with self._quiet():
            self.call_outcome.value, self.call_next.value = "", None
            self.promise_currency.options = currencies
            self.promise_currency.value = main or currencies[0]
            self.promise_amount.value = self._default_amount(self.promise_currency.value)
            self.promise_pay_by.value = self.as_of + timedelta(days=PROMISE_DAYS)
            self.dispute_docs.options = [
                (f"{d} · due {due.isoformat()} · {money_grouped(amount)} {cur} · {status}", d)
                for d, due, amount, cur, status in docs.select(
                    "document_id", "due_date", "open", "currency", "status"
                ).iter_rows()
            ]
            self.dispute_docs.value = ()
            self.dispute_owner.value = str(
                self._customer.get("sales_rep") or self._customer.get("collector") or self.author or ""
            )

    # ------------------------------------------------------------------ writing

    def _ok(self, message: str) -> None:
        self.status.value = f'<span style="color:#1b5e20">{escape(message)}</span>'

    def _error(self, message: str) -> None:
        self.status.value = views.error_html(mask_secrets(message))

    def _write(self, action: Callable[[], int], message: Callable[[int], str]) -> int:
        """Run one journal write; show its outcome, refresh after it, re-raise its error."""
        try:
            entry = action()
        except JournalError as exc:
            self._error(str(exc))
            raise
        self.refresh()
        self._ok(message(entry))
        return entry

    def log_call(self, channel: str, outcome: str, next_action: date | None = None) -> int:
        """Journal a contact with the selected customer today (``as_of``); return the entry id."""
        cid = self._require_customer()
        return self._write(
            lambda: self.journal.log_contact(
                cid, channel, outcome, on=self.as_of, next_action_date=next_action, author=self.author
            ),
            lambda entry: f"{channel.capitalize()} with {cid} logged (entry {entry})",
        )

    def record_promise(self, amount: Decimal | int | str, currency: str, pay_by: date | None) -> int:
        """Journal a promise made today to pay ``amount`` by ``pay_by``, covering the overdue items of ``currency``."""
        cid = self._require_customer()
        try:
            value = promise_amount(amount)
            if pay_by is None:
                raise JournalError("promise: the pay-by date is required")
        except JournalError as exc:
            self._error(str(exc))
            raise
        docs = self._overdue().get(currency, (Decimal(0), []))[1]
        shown = money_grouped(value, decimals=minor_units(str(currency)))
        return self._write(
            lambda: self.journal.add_promise(
                cid, value, currency, pay_by, promised_on=self.as_of, document_ids=docs, author=self.author
            ),
            lambda entry: f"Promise of {shown} {currency} by {pay_by.isoformat()} recorded (entry {entry})",
        )

    def record_dispute(self, document_ids: Iterable[str], reason: str, owner: str | None = None) -> int:
        """Journal a dispute opened today on ``document_ids``; ``owner`` defaults to the form's (the sales rep)."""
        cid = self._require_customer()
        docs = list(document_ids)
        who = (owner or "").strip() or self.dispute_owner.value.strip()
        return self._write(
            lambda: self.journal.open_dispute(cid, docs, reason, owner=who, on=self.as_of, author=self.author),
            lambda entry: f"Dispute on {', '.join(docs)} ({reason}) opened, owner {who} (entry {entry})",
        )

    def _click(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (JournalError, DeskError):
            pass  # the status line already shows the problem

    def _click_call(self, _button: w.Button) -> None:
        self._click(lambda: self.log_call(self.call_channel.value, self.call_outcome.value, self.call_next.value))

    def _click_promise(self, _button: w.Button) -> None:
        self._click(
            lambda: self.record_promise(
                self.promise_amount.value, self.promise_currency.value, self.promise_pay_by.value
            )
        )

    def _click_dispute(self, _button: w.Button) -> None:
        self._click(
            lambda: self.record_dispute(self.dispute_docs.value, self.dispute_reason.value, self.dispute_owner.value)
        )

    # ------------------------------------------------------------------ reading

    def preview_letter(self) -> str:
        """Plan the dunning run of ``as_of`` for the selected customer; show and return its letter (or why none)."""
        cid = self._require_customer()
        if self._renderer is None:
            senders = (
                Senders(self.letterheads) if self.letterheads else Senders.single(self.policy.make_sender(self.company))
            )
            self._renderer = LetterRenderer(senders)
        if self._rates is None:
            self._rates = load_reference_rates()
        try:
            run = plan_run(self._sub, self.as_of, self.policy, self.state, rates=self._rates)
            shown = views.letter_preview(run, cid, self._renderer)
        except (DunningError, LetterError) as exc:  # a missing letterhead is said, not raised
            shown = views.error_html(str(exc))
        self.preview.value = shown
        return shown

    def summary(self) -> dict[str, object]:
        """What the desk shows, as plain data (for the notebook's summary file)."""
        rows = self.rows()
        return {
            "as_of": self.as_of.isoformat(),
            "collector": self.collector,
            "collectors": self.collectors[1:],
            "customer_id": self.customer_id,
            "customer_name": self._customer.get("name") if self.customer_id else None,
            "worklist_rows": rows.height,
            "worklist_total": self.worklist.height,
            "top_customers": rows["customer_id"].head(10).to_list(),
            "journal_entries": self.journal_entries,
            "journal": self.journal_shown,
        }

    def write_summary(self, folder: str | Path) -> Path:
        """Write :meth:`summary` to ``folder/collector_desk_summary.json`` and return the path."""
        path = Path(folder) / "collector_desk_summary.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def open_desk(
    ledger_path: str = "",
    journal: str = "",
    as_of: str = "2026-11-20",
    collector: str = "",
    customer: str = "",
    author: str = "",
) -> CollectorDesk:
    """Open the desk on a ledger folder and its journal, preselecting a worklist.

    An empty ``ledger_path`` means the notebook default (see :func:`workbench.reports.sources.resolve_ledger`).
    The journal is ``journal`` if given, else ``$WORKBENCH_JOURNAL``, else ``journal.sqlite`` beside the
    ledger; it must exist (``workbench journal init``), or :class:`~workbench.journal.JournalNotFoundError`
    says where it was looked for.
    """
    if journal and split_password(journal)[1] is not None:
        raise DeskError(
            "the journal URL holds a password, which the notebook would keep in its parameters: "
            "remove it from the URL and give it through PGPASSWORD, ~/.pgpass or a service file"
        )
    led = open_ledger(ledger_path or None)
    space = workspace_of(resolve_ledger(ledger_path or None))
    target = journal_target(ledger_path, journal) or (
        space.journal if space is not None else str(resolve_ledger(ledger_path).resolve().parent / "journal.sqlite")
    )
    key_file = space.journal_key if space is not None and space.journal == target else None
    desk = CollectorDesk(
        led,
        Journal.open(target, author=author or None, key_file=key_file),
        as_of,
        author=author or None,
        company=space.company if space is not None else "",
        letterheads=space.entities if space is not None else None,
    )
    if collector:
        desk.select_collector(collector)
    if customer:
        desk.select_customer(customer)
    return desk
