"""A dunning run for one controlling date: lines, levels and communications.

Calculation only: :func:`plan_run` receives the ledger, the policy, the
journal's state (:class:`DunningState`, built at the edge by
:func:`state_from_journal`) and the reference rates (read at the edge by
:mod:`workbench.reference_rates`) and returns a :class:`DunningRun`.
Recording the run in the journal is :mod:`workbench.collections.run`;
writing its letters is :mod:`workbench.letters.run`.

Rules (docs/dunning.md):

- an item is *overdue* when its due date is before the as-of date;
- it is skipped when disputed (in the ledger or by an open journal dispute),
  under a live promise to pay, or its customer is flagged no-dunning or in a
  status the policy skips; skipped items are neither claimed nor raised;
- an item rises at most one level per run, when the next level's condition
  is met (and not twice on one date); on a *first* run (the journal holds no
  run and no letter yet) the policy's ``first_run`` rule applies instead:
  ``by_age`` places each item at :func:`level_by_age`, ``level_one`` raises
  it to level 1 like any run;
- one communication per customer and currency, at the highest level any of
  its items reached *in this run*, listing every claimed overdue item of that
  currency and deducting the unapplied credits; none when no item rose, or
  when the overdue total is below the policy's minimum for the currency.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl

from ..errors import WorkbenchError
from ..journal.entries import DELIVERED
from ..journal.reader import JournalReader
from ..ledger.asof import open_items, unapplied_credit
from ..ledger.model import Ledger
from ..money import checked_int64, mills_to_decimal, to_money
from ..reference_rates import ReferenceRates, packaged_rates
from .interest import fixed_compensation, jurisdiction_for_country, late_interest_on_balances
from .model import Communication, CreditLine, LetterLine, StatementLine
from .policy import CollectionsPolicy, DunningRules, Level
from .promises import promise_status


class DunningError(WorkbenchError):
    """A dunning run cannot go ahead (for example a controlling date before the last run)."""


@dataclass(frozen=True)
class DunningState:
    """What the journal knows that changes a run (all plain data; empty = a first run)."""

    last_run: date | None = None
    #: document_id -> (level reached, date of its last letter)
    item_levels: Mapping[str, tuple[int, date]] = field(default_factory=dict)
    disputed_documents: frozenset[str] = frozenset()
    #: documents under a live promise, and (customer, currency) pairs whose promise names no document
    promised_documents: frozenset[str] = frozenset()
    promised_accounts: frozenset[tuple[str, str]] = frozenset()
    no_dunning: frozenset[str] = frozenset()
    #: customer -> escalation actions in force ("suspend", "agency"): not asked again; "agency" stops dunning
    escalated: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DunningRun:
    """The outcome of :func:`plan_run` (nothing written yet)."""

    as_of: date
    policy: str
    communications: tuple[Communication, ...]
    lines: pl.DataFrame
    skipped: pl.DataFrame
    warnings: tuple[str, ...] = ()
    first_run: str = ""
    """On a first run, how its items were placed (e.g. ``first run: 37 items placed by age at levels 2-4``)."""

    def summary(self) -> dict[str, object]:
        """Counts for the run report and the CLI."""
        by_channel: dict[str, int] = {}
        by_level: dict[str, int] = {}
        by_language: dict[str, int] = {}
        for comm in self.communications:
            by_channel[comm.channel] = by_channel.get(comm.channel, 0) + 1
            by_level[str(comm.level)] = by_level.get(str(comm.level), 0) + 1
            by_language[comm.language] = by_language.get(comm.language, 0) + 1
        claimed = self.lines.filter(pl.col("status") == "claimed")
        return {
            "as_of": self.as_of.isoformat(),
            "policy": self.policy,
            "communications": len(self.communications),
            "by_channel": by_channel,
            "by_level": by_level,
            "by_language": by_language,
            "items_claimed": claimed.height,
            "items_skipped": self.lines.filter(pl.col("status") == "skipped").height,
            "communications_skipped": self.skipped.height,
            "warnings": list(self.warnings),
            **({"first_run": self.first_run} if self.first_run else {}),
        }


LINE_COLUMNS = {
    "customer_id": pl.String,
    "document_id": pl.String,
    "currency": pl.String,
    "due_date": pl.Date,
    "days_overdue": pl.Int64,
    "open": pl.Int64,
    "previous_level": pl.Int64,
    "level": pl.Int64,
    "rules": pl.String,
    "status": pl.String,
    "reason": pl.String,
}
SKIP_COLUMNS = {
    "customer_id": pl.String,
    "currency": pl.String,
    "level": pl.Int64,
    "overdue": pl.Int64,
    "reason": pl.String,
}


def end_of_month(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def level_reached(level: Level, due_date: date, last_letter: date | None, as_of: date) -> bool:
    """Whether an item meets ``level``'s condition on ``as_of`` (see the policy file's modes)."""
    if level.mode == "days_after_due":
        return (as_of - due_date).days >= level.days
    if level.mode == "end_of_month":
        return as_of >= end_of_month(due_date + timedelta(days=level.days))
    since = last_letter if last_letter is not None else due_date
    return (as_of - since).days >= level.days


def level_by_age(levels: tuple[Level, ...], due_date: date, as_of: date) -> int:
    """The highest level an item due on ``due_date`` would hold on ``as_of`` had it been dunned on time.

    The levels are walked in order as daily runs would have raised them: each
    level's ``mode`` and ``days`` as in :func:`level_reached`, counted from the
    due date for level 1 (and for ``days_after_due`` and ``end_of_month``
    levels) and from the day the item reached the previous level for
    ``days_after_previous`` levels, and never two levels on one day. With the
    shipped default levels (5 days after due; 14, 7 and 10 days after the
    previous letter; the end of the month of due + 10; 30 days after the
    previous) an item 5, 20, 45 or 106 days overdue on 2026-11-20 is at level
    1, 2, 4 or 4. Returns 0 when the item has not reached level 1.

    Placement stops below the first level that carries an escalation action
    (suspension, agency, lawyer): a customer is never suspended or handed
    over by a first letter, before the formal notice has been sent. Later
    runs raise the item from there one level at a time, as usual.
    """
    reached, last = 0, None
    for level in levels:
        if level.actions:
            break
        if level.mode == "days_after_due":
            day = due_date + timedelta(days=level.days)
        elif level.mode == "end_of_month":
            day = end_of_month(due_date + timedelta(days=level.days))
        else:
            day = (last or due_date) + timedelta(days=level.days)
        if last is not None:
            day = max(day, last + timedelta(days=1))
        if day > as_of:
            break
        reached, last = level.level, day
    return reached


def _first_run_note(rules: set[str], placed: list[int]) -> str:
    """The summary's sentence on how a first run placed its items."""
    if not placed:
        if rules == {"level_one"}:
            return 'first run: every item starts at level 1 (policy first_run = "level_one")'
        return "first run: no item was old enough to be placed by age above level 1"
    low, high = min(placed), max(placed)
    where = f"level {low}" if low == high else f"levels {low}-{high}"
    return f"first run: {len(placed)} item{'s' if len(placed) != 1 else ''} placed by age at {where}"


def _customers(ledger: Ledger) -> dict[str, dict[str, Any]]:
    cols = [
        "customer_id", "name", "country", "language", "email", "phone", "collector", "segment", "status", "entity",
        *ADDRESS_COLUMNS,
    ]  # fmt: skip
    frame = ledger.customers.select([c for c in cols if c in ledger.customers.columns])
    customers = {row["customer_id"]: row for row in frame.iter_rows(named=True)}
    for customer_id, emails in dunning_emails(ledger.contacts).items():
        if customer_id in customers:
            customers[customer_id]["email"] = emails
    return customers


DUNNING_ROLES = ("dunning", "accounts_payable", "billing")
"""Contact roles that receive reminders, in order of preference."""


def dunning_emails(contacts: pl.DataFrame) -> dict[str, str]:
    """Per customer, the e-mail addresses reminders go to, from the ledger's ``contacts`` table.

    The contacts of the first role of :data:`DUNNING_ROLES` a customer has
    (every contact of that role, joined with ``"; "``); customers without such
    a contact keep the ``email`` of their customer record.
    """
    if contacts.height == 0 or "role" not in contacts.columns or "email" not in contacts.columns:
        return {}
    usable = contacts.filter(
        pl.col("email").is_not_null() & (pl.col("email").str.strip_chars() != "") & pl.col("role").is_not_null()
    ).with_columns(pl.col("role").str.strip_chars().str.to_lowercase())
    found: dict[str, str] = {}
    for role in DUNNING_ROLES:
        for customer_id, group in usable.filter(pl.col("role") == role).group_by("customer_id", maintain_order=True):
            key = str(customer_id[0])
            if key not in found:
                found[key] = "; ".join(dict.fromkeys(e.strip() for e in group["email"].to_list()))
    return found


ADDRESS_COLUMNS = ("address_line1", "address_line2", "postcode", "city", "region")
"""The customer's postal address in the ledger (optional columns of ``customers``)."""


def postal_address(customer: Mapping[str, Any]) -> tuple[str, ...]:
    """The address lines of a letter's window: street lines, then the town as the country writes it.

    The country itself is printed apart, in the letter's language. The town
    line follows the country's habit: ``Chicago, IL 60601`` in the United
    States and Canada; the town, then the postcode on its own line in the
    United Kingdom and Ireland; elsewhere ``postcode town``, with the region
    (a Brazilian or Mexican state) on the next line.
    """
    text = {key: str(customer.get(key) or "").strip() for key in ADDRESS_COLUMNS}
    country = str(customer.get("country") or "").upper()
    street = [text["address_line1"], text["address_line2"]]
    if country in ("US", "CA"):
        town = ", ".join(part for part in (text["city"], f"{text['region']} {text['postcode']}".strip()) if part)
        lines = [*street, town]
    elif country in ("GB", "IE"):
        lines = [*street, text["city"], text["region"], text["postcode"]]
    else:
        lines = [*street, " ".join(part for part in (text["postcode"], text["city"]) if part), text["region"]]
    return tuple(line for line in lines if line)


def _language(customer: Mapping[str, Any]) -> str:
    """The customer's letter language (the loader fills a missing one from the country)."""
    return str(customer.get("language") or "en").strip().lower()


def item_status(
    customer_id: str, document_id: str, currency: str, disputed: bool, due_date: date, as_of: date, state: DunningState
) -> str:
    """How an open item stands for collections: ``disputed`` (ledger flag or open journal dispute),
    ``promised`` (under a live promise), else ``overdue`` or ``not due``."""
    if disputed or document_id in state.disputed_documents:
        return "disputed"
    if document_id in state.promised_documents or (customer_id, currency) in state.promised_accounts:
        return "promised"
    return "overdue" if due_date < as_of else "not due"


def _skip_reason(row: Mapping[str, Any], customer: Mapping[str, Any], rules: DunningRules, state: DunningState) -> str:
    cust, doc = row["customer_id"], row["document_id"]
    status = str(customer.get("status") or "active")
    if cust in state.no_dunning:
        return "customer flagged no-dunning"
    if status in rules.skip_statuses:
        return f"customer status {status}"
    if "agency" in state.escalated.get(cust, ()):
        return "handed to an agency or a lawyer"
    if row["disputed"] or doc in state.disputed_documents:
        return "disputed"
    if doc in state.promised_documents or (cust, row["currency"]) in state.promised_accounts:
        return "live promise to pay"
    return ""


class _Claims:
    """Interest and compensation of claimed items, at the reference rates handed to the run."""

    def __init__(self, ledger: Ledger, as_of: date, rates: ReferenceRates) -> None:
        self.ledger, self.as_of = ledger, as_of
        self.tables = rates
        self.warnings: set[str] = set()
        self.bases: dict[tuple[str, str], set[str]] = {}
        self.rates: dict[tuple[str, str], set[tuple[str, Decimal]]] = {}

    def jurisdiction(self, rules: DunningRules, country: str) -> str | None:
        if rules.interest == "none":
            return None
        if rules.interest == "auto":
            return jurisdiction_for_country(country)
        return rules.interest

    def interest(
        self, jurisdiction: str, item: Mapping[str, Any], allocations: list[tuple[date, int]], key: tuple[str, str]
    ) -> Decimal:
        due, currency = item["due_date"], str(item["currency"])
        balance = int(item["amount"]) - sum(a for d, a in allocations if d <= due)
        by_day: dict[date, int] = {}
        for day, amount in allocations:
            if due < day <= self.as_of:
                by_day[day] = by_day.get(day, 0) + amount
        schedule = [(due, mills_to_decimal(balance))]
        for day in sorted(by_day):
            balance -= by_day[day]
            schedule.append((day, mills_to_decimal(balance)))
        result = late_interest_on_balances(schedule, due, self.as_of, jurisdiction, self.tables, currency)
        self.warnings.update(result.warnings)
        if result.basis:
            self.bases.setdefault(key, set()).add(result.basis)
        self.rates.setdefault(key, set()).update((jurisdiction, part.rate_percent) for part in result.parts)
        return result.amount

    def compensation(self, jurisdiction: str, open_amount: Decimal, currency: str) -> Decimal:
        debt = open_amount
        if jurisdiction == "UK" and currency != "GBP":
            debt = self.ledger.fx.convert(open_amount, currency, "GBP", self.as_of)
        amount, comp_currency = fixed_compensation(jurisdiction, debt, "GBP" if jurisdiction == "UK" else currency)
        return self.ledger.fx.convert_money(amount, comp_currency, currency, self.as_of)


def plan_run(
    ledger: Ledger,
    as_of: date,
    policy: CollectionsPolicy,
    state: DunningState | None = None,
    *,
    rates: ReferenceRates | None = None,
) -> DunningRun:
    """Plan the dunning run of ``as_of``: every overdue item's level and the communications to send.

    ``rates`` are the reference-rate tables of the statutory interest, loaded
    by the caller (:func:`workbench.reference_rates.load_reference_rates`);
    ``None`` takes the packaged tables.
    """
    state = state or DunningState()
    if state.last_run is not None and as_of < state.last_run:
        raise DunningError(
            f"the last dunning run is dated {state.last_run.isoformat()}; a run for {as_of.isoformat()} "
            "would go back in time (runs must move forward)"
        )
    customers = _customers(ledger)
    items = (
        open_items(ledger, as_of)
        .filter(pl.col("due_date") < as_of)
        .join(ledger.documents.select("key", "reference"), on="key", how="left")
    )
    items = items.with_columns((pl.lit(as_of) - pl.col("due_date")).dt.total_days().alias("days_overdue"))
    claims = _Claims(ledger, as_of, rates if rates is not None else packaged_rates())
    alloc_map: dict[str, list[tuple[date, int]]] = {}
    for doc, day, amount in (
        ledger.allocations.filter(
            pl.col("document_id").is_in(items["document_id"].implode()) & (pl.col("allocation_date") <= as_of)
        )
        .select("document_id", "allocation_date", "amount")
        .iter_rows()
    ):
        alloc_map.setdefault(doc, []).append((day, amount))

    line_rows: list[tuple] = []
    claimed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    first = state.last_run is None and not state.item_levels
    first_rules: set[str] = set()
    placed: list[int] = []
    for row in items.sort("customer_id", "currency", "due_date", "document_id").iter_rows(named=True):
        cust = row["customer_id"]
        customer = customers.get(cust, {})
        rules = policy.rules_for(customer.get("segment"), customer.get("country"))
        previous, last_letter = state.item_levels.get(row["document_id"], (0, None))
        previous = min(previous, len(rules.levels))
        reason = _skip_reason(row, customer, rules, state)
        level = previous
        if first and not reason:
            first_rules.add(rules.first_run)
        if first and not reason and rules.first_run == "by_age":
            level = max(previous, level_by_age(rules.levels, row["due_date"], as_of))
            if level > 1:
                placed.append(level)
        elif not reason and previous < len(rules.levels) and (last_letter is None or last_letter < as_of):
            if level_reached(rules.level(previous + 1), row["due_date"], last_letter, as_of):
                level = previous + 1
        status = "skipped" if reason else "claimed"
        line_rows.append(
            (
                cust,
                row["document_id"],
                row["currency"],
                row["due_date"],
                row["days_overdue"],
                row["open"],
                previous,
                level,
                rules.name,
                status,
                reason,
            )
        )
        if not reason:
            claimed.setdefault((cust, row["currency"]), []).append({**row, "level": level, "rose": level > previous})
    lines = pl.DataFrame(line_rows, schema=LINE_COLUMNS, orient="row")

    credits = unapplied_credit(ledger, as_of).filter(pl.col("customer_id").is_not_null())
    credit_map: dict[tuple[str, str], list[CreditLine]] = {}
    for source_id, kind, cust, currency, day, amount in (
        credits.sort("date").select("source_id", "source_kind", "customer_id", "currency", "date", "open").iter_rows()
    ):
        credit_map.setdefault((cust, currency), []).append(CreditLine(source_id, kind, day, mills_to_decimal(amount)))
    statements = _statements(ledger, as_of, state, {k[0] for k in claimed})

    comms, skipped = [], []
    for (cust, currency), rows in claimed.items():
        customer = customers.get(cust, {})
        rules = policy.rules_for(customer.get("segment"), customer.get("country"))
        overdue = sum(int(r["open"]) for r in rows)
        if not any(r["rose"] for r in rows):
            continue
        top = max(int(r["level"]) for r in rows)
        minimum = rules.minimum_amount.get(currency, Decimal(0))
        if mills_to_decimal(overdue) < minimum:
            skipped.append((cust, currency, top, overdue, f"overdue total below the minimum of {minimum} {currency}"))
            continue
        account_credits = tuple(credit_map.get((cust, currency), ()))
        if sum(c.open for c in account_credits) >= mills_to_decimal(overdue):
            skipped.append((cust, currency, top, overdue, "unapplied credits cover the overdue items"))
            continue
        comm = _communication(
            as_of,
            customer,
            cust,
            currency,
            rules.level(top),
            rules,
            rows,
            account_credits,
            statements.get((cust, currency), ()),
            claims,
            alloc_map,
        )
        # escalation actions fire when an item first reaches the level, and only if not already in force
        fresh = any(r["rose"] and r["level"] == top for r in rows)
        in_force = state.escalated.get(cust, frozenset())
        comm = replace(comm, actions=tuple(a for a in comm.actions if fresh and a not in in_force))
        comms.append(comm)
    skipped = [
        (cust, cur, top, checked_int64(total, f"the overdue total of customer {cust} in {cur}"), why)
        for cust, cur, top, total, why in skipped
    ]
    skipped_frame = pl.DataFrame(skipped, schema=SKIP_COLUMNS, orient="row")
    note = _first_run_note(first_rules, placed) if first and first_rules else ""
    return DunningRun(
        as_of, policy.name, tuple(comms), lines, skipped_frame, tuple(sorted(claims.warnings)), first_run=note
    )


def _communication(
    as_of: date,
    customer: Mapping[str, Any],
    cust: str,
    currency: str,
    level: Level,
    rules: DunningRules,
    rows: list[dict[str, Any]],
    credits: tuple[CreditLine, ...],
    statement: tuple[StatementLine, ...],
    claims: _Claims,
    alloc_map: Mapping[str, list[tuple[date, int]]],
) -> Communication:
    jurisdiction = claims.jurisdiction(rules, str(customer.get("country") or ""))
    letter_lines = []
    for r in rows:
        open_amount = mills_to_decimal(int(r["open"]))
        interest = compensation = Decimal(0)
        if jurisdiction and level.interest:
            interest = claims.interest(jurisdiction, r, alloc_map.get(str(r["document_id"]), []), (cust, currency))
        if jurisdiction and level.compensation:
            compensation = claims.compensation(jurisdiction, open_amount, currency)
        letter_lines.append(
            LetterLine(
                document_id=str(r["document_id"]),
                doc_type=str(r["doc_type"]),
                doc_date=r["doc_date"],
                due_date=r["due_date"],
                days_overdue=int(r["days_overdue"]),
                amount=to_money(mills_to_decimal(int(r["amount"])), currency),
                open=to_money(open_amount, currency),
                level=max(int(r["level"]), 1),
                reference=str(r.get("reference") or ""),
                interest=interest,
                compensation=compensation,
            )
        )
    return Communication(
        as_of=as_of,
        customer_id=cust,
        customer_name=str(customer.get("name") or cust),
        country=str(customer.get("country") or ""),
        language=_language(customer),
        email=str(customer.get("email") or ""),
        phone=str(customer.get("phone") or ""),
        collector=str(customer.get("collector") or ""),
        currency=currency,
        level=level.level,
        level_name=level.name,
        channel=level.channel,
        template=level.template,
        lines=tuple(letter_lines),
        credits=tuple(CreditLine(c.source_id, c.kind, c.date, to_money(c.open, currency)) for c in credits),
        statement=statement,
        fee=to_money(level.fee.get(currency, Decimal(0)), currency),
        interest_basis="; ".join(sorted(claims.bases.get((cust, currency), ()))),
        actions=level.actions,
        interest_rates=tuple(sorted(claims.rates.get((cust, currency), ()))),
        entity=str(customer.get("entity") or "MAIN"),
        address=postal_address(customer),
    )


def _statements(
    ledger: Ledger, as_of: date, state: DunningState, customers: set[str]
) -> dict[tuple[str, str], tuple[StatementLine, ...]]:
    """Statement of account per (customer, currency): every open item, then unapplied credits (negative)."""
    wanted = pl.col("customer_id").is_in(list(customers))
    docs = open_items(ledger, as_of).filter(wanted).sort("due_date", "document_id")
    out: dict[tuple[str, str], list[StatementLine]] = {}
    for row in docs.iter_rows(named=True):
        cur = row["currency"]
        status = item_status(
            row["customer_id"], row["document_id"], cur, bool(row["disputed"]), row["due_date"], as_of, state
        )
        out.setdefault((row["customer_id"], cur), []).append(
            StatementLine(
                row["document_id"],
                row["doc_type"],
                row["doc_date"],
                row["due_date"],
                to_money(mills_to_decimal(row["amount"]), cur),
                to_money(mills_to_decimal(row["open"]), cur),
                status,
            )
        )
    for row in unapplied_credit(ledger, as_of).filter(wanted).sort("date").iter_rows(named=True):
        cur = row["currency"]
        out.setdefault((row["customer_id"], cur), []).append(
            StatementLine(
                row["source_id"],
                row["source_kind"],
                row["date"],
                None,
                -to_money(mills_to_decimal(row["amount"]), cur),
                -to_money(mills_to_decimal(row["open"]), cur),
                "unapplied",
            )
        )
    return {key: tuple(value) for key, value in out.items()}


def delivery_status(journal: JournalReader) -> pl.DataFrame:
    """Every dunning letter with its delivery status: the latest outcome recorded for it, by entry id.

    Columns of ``VIEW_SCHEMAS['dunning_letters']`` plus ``status``:
    ``pending`` (an outbox letter with no outcome yet), one of
    :data:`~workbench.journal.entries.DELIVERY_OUTCOMES`, or ``delivered``
    for letters recorded before deliveries were (they were taken as sent).
    """
    letters = journal.dunning_letters()
    latest = (
        journal.deliveries()
        .sort("id")
        .group_by("letter_id")
        .agg(pl.col("outcome").last().alias("latest"), pl.col("reason").last().alias("last_reason"))
    )
    return (
        letters.join(latest, left_on="id", right_on="letter_id", how="left")
        .with_columns(
            status=pl.when(~pl.col("outbox")).then(pl.lit("delivered")).otherwise(pl.col("latest").fill_null("pending"))
        )
        .drop("latest")
    )


def delivered_letters(journal: JournalReader) -> pl.DataFrame:
    """The dunning letters whose levels count: delivered (sent, printed, phoned) or recorded before the outbox."""
    return delivery_status(journal).filter(pl.col("status").is_in(["delivered", *DELIVERED]))


def state_from_journal(journal: JournalReader, ledger: Ledger, as_of: date, policy: CollectionsPolicy) -> DunningState:
    """The :class:`DunningState` of ``journal`` at ``as_of`` (journal entries dated after it are ignored)."""
    letters = delivered_letters(journal).filter(pl.col("event_date") <= as_of)
    levels: dict[str, tuple[int, date]] = {}
    for day, raw in letters.sort("event_date", "id").select("event_date", "levels").iter_rows():
        for doc, level in json.loads(raw or "{}").items():
            levels[doc] = (int(level), day)
    disputes = journal.disputes().filter((pl.col("opened_on") <= as_of) & pl.col("status").is_in(["open", "in_review"]))
    disputed = {d for docs in disputes["document_ids"].to_list() for d in docs}
    grace = policy.default.promise_grace_days
    promises = journal.promises()
    status = promise_status(promises, ledger.payments, as_of, grace)
    live = promises.join(status.filter(pl.col("status") == "pending").select("id"), on="id")
    promised_docs = {d for docs in live["document_ids"].to_list() for d in docs}
    promised_accounts = {
        (c, cur) for c, cur, docs in live.select("customer_id", "currency", "document_ids").iter_rows() if not docs
    }
    flags = journal.flags()
    no_dunning = set(
        flags.filter((pl.col("flag") == "no_dunning") & pl.col("value") & (pl.col("event_date") <= as_of))[
            "customer_id"
        ].to_list()
    )
    escalated: dict[str, set[str]] = {}
    steps = journal.escalations().filter(pl.col("event_date") <= as_of).sort("event_date", "id")
    for cust, action in steps.select("customer_id", "action").iter_rows():
        actions = escalated.setdefault(cust, set())
        if action == "suspension_requested":
            actions.add("suspend")
        elif action == "suspension_lifted":
            actions.discard("suspend")
        elif action in ("agency", "lawyer"):
            actions.add("agency")
        elif action == "closed":
            actions.discard("agency")
    return DunningState(
        escalated={c: frozenset(a) for c, a in escalated.items()},
        last_run=journal.last_run_date(),
        item_levels=levels,
        disputed_documents=frozenset(disputed),
        promised_documents=frozenset(promised_docs),
        promised_accounts=frozenset(promised_accounts),
        no_dunning=frozenset(no_dunning),
    )
