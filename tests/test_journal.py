"""The collections journal: schema, validation, corrections, views, integrity (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from workbench.errors import WorkbenchError
from workbench.journal import ENTRY_SCHEMA, HISTORY_SCHEMA, LATEST_VERSION, VIEW_SCHEMAS, Journal, JournalError
from workbench.journal.backends import connect, is_postgres_url
from workbench.journal.store import migrate

D = Decimal
NOV = {day: date(2026, 11, day) for day in range(1, 31)}


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path) -> str:
    """Where a fresh journal lives: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "work" / "journal.db")
    return request.getfixturevalue("pg_journal_url")


@pytest.fixture
def journal(target):
    with Journal.open(target, author="ann", create=True) as opened:
        yield opened


@pytest.fixture
def lite(tmp_path):
    """A SQLite journal (for tests where the backend makes no difference)."""
    with Journal.open(tmp_path / "journal.db", author="ann", create=True) as opened:
        yield opened


def raw(target: str, sql: str) -> list[tuple]:
    """Run SQL on a plain driver connection, outside the Journal class."""
    if is_postgres_url(target):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def count(journal: Journal) -> int:
    return journal.history().height


# -- opening and migrations ---------------------------------------------------------------------


def test_open_creates_the_latest_schema_and_parent_folders(tmp_path) -> None:
    path = tmp_path / "deep" / "er" / "journal.db"
    with Journal.open(path, author="ann", create=True) as journal:
        assert path.exists()
        assert (journal.dialect, journal.url) == ("sqlite", str(path))
        assert journal.schema_version() == LATEST_VERSION == 3
        assert raw(str(path), "PRAGMA journal_mode") == [("wal",)]
        versions = raw(str(path), "SELECT version FROM journal_schema ORDER BY version")
        assert versions == [(1,), (2,), (3,)]


def test_open_applies_every_step_once(journal, target) -> None:
    assert journal.schema_version() == LATEST_VERSION
    assert migrate(journal.backend) == []
    with Journal.open(target, create=True) as again:
        assert again.schema_version() == LATEST_VERSION
    assert raw(target, "SELECT COUNT(*) FROM journal_schema") == [(3,)]
    assert journal.dialect == ("postgresql" if is_postgres_url(target) else "sqlite")


STEP_2_INDEXES = {"journal_entries_customer", "journal_entries_kind", "journal_entries_refers_to"}


def _index_names(target: str) -> set[str]:
    if is_postgres_url(target):
        rows = raw(target, "SELECT indexname FROM pg_indexes WHERE tablename = 'journal_entries'")
    else:
        rows = raw(target, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal_entries'")
    return {name for (name,) in rows} & STEP_2_INDEXES


def test_a_version_1_journal_gets_only_the_missing_step(target) -> None:
    backend = connect(target)
    assert migrate(backend, target=1) == [1]
    v1 = Journal(backend, author="ann")
    first = v1.log_contact("C1", "call", "no answer", on=NOV[2])
    applied_at_v1 = raw(target, "SELECT applied_at FROM journal_schema WHERE version = 1")
    v1.close()
    assert _index_names(target) == set()

    with Journal.open(target, create=True) as journal:
        assert journal.schema_version() == 3
        assert journal.entries()["id"].to_list() == [first]
        assert journal.protection() is None  # an existing journal is keyed only when asked (journal protect)
        assert len(journal.verify()) == 1 and "is not keyed (written by an earlier release)" in journal.verify()[0]
    assert raw(target, "SELECT applied_at FROM journal_schema WHERE version = 1") == applied_at_v1
    assert _index_names(target) == STEP_2_INDEXES


def test_a_newer_schema_is_refused(journal, target) -> None:
    raw(target, "INSERT INTO journal_schema (version, applied_at) VALUES (7, '2030-01-01T00:00:00.000000Z')")
    with pytest.raises(JournalError) as caught:
        Journal.open(target, create=True)
    assert str(caught.value) == "journal schema version 7 is newer than this workbench (3); upgrade the workbench"
    assert isinstance(caught.value, WorkbenchError)


def test_a_file_that_is_not_a_database_is_refused(tmp_path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite, just a text file with enough bytes to have a header" * 10)
    before = bad.read_bytes()
    with pytest.raises(JournalError, match="notes.db is not a workbench journal: file is not a database"):
        Journal.open(bad, create=True)
    assert bad.read_bytes() == before


# -- writing: every kind, values as stored --------------------------------------------------------


def test_each_kind_is_stored_and_read_back(journal) -> None:
    contact = journal.log_contact(
        "C1",
        "call",
        "will pay Friday",
        on=NOV[2],
        next_action_date=NOV[6],
        contact_person="Jo Smith",
        document_ids=["INV-1"],
    )
    promise = journal.add_promise(
        "C1", D("1234.567"), "EUR", NOV[6], document_ids=["INV-1", "INV-2"], promised_on=NOV[2], note="by transfer"
    )
    dispute = journal.open_dispute("C2", ["INV-9"], "wrong price", owner="sales: Bo", on=NOV[3])
    escalation = journal.escalate(
        "C3", "lawyer", on=NOV[4], partner="Law & Co", amount="900", currency="GBP", fees=D("150.50"), note="final"
    )
    note = journal.add_note("C3", "call the lawyer", on=NOV[5], next_action_date=NOV[12])
    run = journal.record_run(NOV[20], policy="standard", communications=1, details={"customers": 1})
    letter = journal.record_letter(
        "C1",
        on=NOV[20],
        currency="EUR",
        amount="250.00",
        document_ids=["INV-1"],
        level=2,
        channel="email",
        levels={"INV-1": 2},
        run_id=run,
        file="letters/C1.pdf",
    )

    contacts = journal.contacts().to_dicts()
    assert contacts == [
        {
            "id": contact,
            "customer_id": "C1",
            "event_date": NOV[2],
            "channel": "call",
            "outcome": "will pay Friday",
            "contact_person": "Jo Smith",
            "next_action_date": NOV[6],
            "document_ids": ["INV-1"],
            "author": "ann",
            "recorded_at": contacts[0]["recorded_at"],
        }
    ]
    row = journal.promises().row(0, named=True)
    assert (row["id"], row["amount"], row["amount_text"], row["currency"], row["pay_by"], row["promised_on"]) == (
        promise,
        1234567,
        "1234.567",
        "EUR",
        NOV[6],
        NOV[2],
    )
    assert (row["document_ids"], row["note"]) == (["INV-1", "INV-2"], "by transfer")
    assert journal.disputes().select("id", "customer_id", "reason", "owner", "opened_on", "status").rows() == [
        (dispute, "C2", "wrong price", "sales: Bo", NOV[3], "open")
    ]
    assert journal.escalations().to_dicts() == [
        {
            "id": escalation,
            "customer_id": "C3",
            "event_date": NOV[4],
            "action": "lawyer",
            "partner": "Law & Co",
            "amount": 900000,
            "currency": "GBP",
            "fees": 150500,
            "note": "final",
            "author": "ann",
        }
    ]
    assert journal.notes().select("id", "text", "next_action_date").rows() == [(note, "call the lawyer", NOV[12])]
    runs = journal.dunning_runs()
    assert runs.select("id", "as_of", "policy", "communications", "author").rows() == [
        (run, NOV[20], "standard", 1, "ann")
    ]
    assert journal.dunning_letters().to_dicts() == [
        {
            "id": letter,
            "customer_id": "C1",
            "event_date": NOV[20],
            "currency": "EUR",
            "amount": 250000,
            "document_ids": ["INV-1"],
            "level": 2,
            "channel": "email",
            "levels": '{"INV-1":2}',
            "run_id": run,
            "file": "letters/C1.pdf",
            "outbox": False,
        }
    ]
    assert json.loads(journal.entries(kind="dunning_run")["details"][0]) == {
        "communications": 1,
        "customers": 1,
        "dry_run": False,
        "policy": "standard",
    }
    assert journal.verify() == []


def test_recorded_at_may_be_given_and_defaults_to_now(lite) -> None:
    given = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
    first = lite.add_note("C1", "seeded", on=NOV[2], recorded_at=given)
    second = lite.add_note("C1", "naive means UTC", on=NOV[2], recorded_at=datetime(2026, 11, 3, 8, 0))
    before = datetime.now(UTC)
    third = lite.add_note("C1", "now", on=NOV[2])
    frame = lite.entries()
    stamps = dict(zip(frame["id"].to_list(), frame["recorded_at"].to_list(), strict=True))
    assert stamps[first] == given
    assert stamps[second] == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert before <= stamps[third] <= datetime.now(UTC)
    assert lite.history()["recorded_at"][0] == "2026-11-02T09:30:15.123456Z"


def test_a_promise_made_today_by_default(lite) -> None:
    lite.add_promise("C1", "10", "EUR", NOV[30], recorded_at=datetime(2026, 11, 4, 23, 59, tzinfo=UTC))
    assert lite.promises()["promised_on"].to_list() == [NOV[4]]


def test_author_comes_from_the_call_or_the_journal(tmp_path) -> None:
    with Journal.open(tmp_path / "j.db", create=True) as journal:
        with pytest.raises(JournalError, match="author is required"):
            journal.add_note("C1", "x", on=NOV[1])
        with pytest.raises(JournalError, match="author is required"):
            journal.add_note("C1", "x", on=NOV[1], author="  ")
        journal.add_note("C1", "x", on=NOV[1], author="bob")
        journal.author = "cy"
        journal.add_note("C1", "y", on=NOV[1])
        assert journal.entries()["author"].to_list() == ["bob", "cy"]


def test_same_uid_is_a_no_op_returning_the_first_id(journal) -> None:
    first = journal.log_contact("C1", "call", "ok", on=NOV[2], uid="run-7-C1")
    again = journal.log_contact("C1", "email", "different content", on=NOV[3], uid="run-7-C1")
    other = journal.log_contact("C1", "call", "ok", on=NOV[2])
    assert again == first and other != first
    assert count(journal) == 2
    assert journal.contacts().filter(pl.col("id") == first)["channel"].to_list() == ["call"]
    uids = journal.history()["uid"].to_list()
    assert uids[0] == "run-7-C1" and len(uids[1]) == 32


# -- validation -----------------------------------------------------------------------------------


def _run_and_contact(journal: Journal) -> tuple[int, int]:
    run = journal.record_run(NOV[20], policy="p", communications=0)
    contact = journal.log_contact("C1", "call", "", on=NOV[1])
    return run, contact


INVALID = {
    "unknown kind": (lambda j, r, c: j.add("visit", customer_id="C1"), "kind must be one of"),
    "contact channel": (lambda j, r, c: j.log_contact("C1", "fax", "x", on=NOV[1]), "contact: details.channel"),
    "contact customer": (lambda j, r, c: j.log_contact("", "call", "x", on=NOV[1]), "contact: customer_id"),
    "contact date": (
        lambda j, r, c: j.add("contact", customer_id="C1", details={"channel": "call", "outcome": ""}),
        "contact: event_date is required",
    ),
    "contact date text": (lambda j, r, c: j.log_contact("C1", "call", "x", on="2026-13-01"), "contact: event_date"),
    "contact outcome": (
        lambda j, r, c: j.add("contact", customer_id="C1", event_date=NOV[1], details={"channel": "call"}),
        "contact: details.outcome",
    ),
    "promise zero": (lambda j, r, c: j.add_promise("C1", "0", "EUR", NOV[9]), "promise: amount must be greater"),
    "promise negative": (lambda j, r, c: j.add_promise("C1", "-5", "EUR", NOV[9]), "promise: amount must not"),
    "promise float": (lambda j, r, c: j.add_promise("C1", 10.5, "EUR", NOV[9]), "promise: amount must be a Decimal"),
    "promise decimals": (lambda j, r, c: j.add_promise("C1", "1.2345", "EUR", NOV[9]), "more than 3 decimals"),
    "promise text": (lambda j, r, c: j.add_promise("C1", "12,50", "EUR", NOV[9]), "promise: amount is not a decimal"),
    "promise currency": (lambda j, r, c: j.add_promise("C1", "5", "eur", NOV[9]), "promise: currency"),
    "promise no currency": (
        lambda j, r, c: j.add("promise", customer_id="C1", amount="5", event_date=NOV[9]),
        "promise: currency is required",
    ),
    "promise pay_by": (lambda j, r, c: j.add_promise("C1", "5", "EUR", None), "promise: event_date is required"),
    "promise documents": (
        lambda j, r, c: j.add_promise("C1", "5", "EUR", NOV[9], document_ids="INV-1"),
        "promise: document_ids must be a list",
    ),
    "dispute documents": (
        lambda j, r, c: j.open_dispute("C1", [], "r", owner="o", on=NOV[1]),
        "dispute: document_ids is required",
    ),
    "dispute reason": (
        lambda j, r, c: j.open_dispute("C1", ["I"], " ", owner="o", on=NOV[1]),
        "dispute: details.reason must not be empty",
    ),
    "dispute owner": (lambda j, r, c: j.open_dispute("C1", ["I"], "r", owner="", on=NOV[1]), "dispute: details.owner"),
    "dispute status": (
        lambda j, r, c: j.add(
            "dispute",
            customer_id="C1",
            document_ids=["I"],
            event_date=NOV[1],
            details={"reason": "r", "owner": "o", "status": "resolved"},
        ),
        "dispute: details.status must be 'open'",
    ),
    "update status": (lambda j, r, c: j.update_dispute(c, "closed", on=NOV[2]), "dispute_update: details.status"),
    "update target kind": (
        lambda j, r, c: j.update_dispute(c, "resolved", on=NOV[2]),
        "dispute_update: refers_to entry {c} is a contact, not a dispute",
    ),
    "update missing target": (
        lambda j, r, c: j.update_dispute(999, "resolved", on=NOV[2]),
        "dispute_update: refers_to 999 is not an entry",
    ),
    "escalation action": (lambda j, r, c: j.escalate("C1", "prison", on=NOV[1]), "escalation: details.action"),
    "escalation partner": (lambda j, r, c: j.escalate("C1", "agency", on=NOV[1]), "escalation: details.partner"),
    "escalation currency": (
        lambda j, r, c: j.escalate("C1", "recovered", on=NOV[1], amount="5"),
        "escalation: currency is required",
    ),
    "escalation fees": (lambda j, r, c: j.escalate("C1", "closed", on=NOV[1], fees="abc"), "escalation: fees"),
    "note text": (lambda j, r, c: j.add_note("C1", "", on=NOV[1]), "note: details.text"),
    "flag value": (lambda j, r, c: j.set_flag("C1", "no_dunning", "yes", on=NOV[1]), "flag: details.value"),
    "flag name": (lambda j, r, c: j.set_flag("C1", "", True, on=NOV[1]), "flag: details.flag"),
    "letter run": (
        lambda j, r, c: j.record_letter(
            "C1",
            on=NOV[20],
            currency="EUR",
            amount="5",
            document_ids=["I"],
            level=1,
            channel="email",
            levels={"I": 1},
            run_id=c,
        ),
        "dunning_letter: details.run_id",
    ),
    "letter level": (
        lambda j, r, c: j.record_letter(
            "C1",
            on=NOV[20],
            currency="EUR",
            amount="5",
            document_ids=["I"],
            level=-1,
            channel="email",
            levels={"I": 1},
            run_id=r,
        ),
        "dunning_letter: details.level",
    ),
    "letter levels": (
        lambda j, r, c: j.record_letter(
            "C1",
            on=NOV[20],
            currency="EUR",
            amount="5",
            document_ids=["I"],
            level=1,
            channel="email",
            levels={"I": "one"},
            run_id=r,
        ),
        "dunning_letter: details.levels",
    ),
    "run communications": (
        lambda j, r, c: j.record_run(NOV[20], policy="p", communications=-1),
        "dunning_run: details.communications",
    ),
    "run dry": (
        lambda j, r, c: j.add(
            "dunning_run", event_date=NOV[20], details={"policy": "p", "communications": 0, "dry_run": True}
        ),
        "dunning_run: details.dry_run",
    ),
    "correction field": (
        lambda j, r, c: j.correct(c, reason="x", author_name="bob"),
        "field 'author_name' cannot be corrected",
    ),
    "correction nothing": (lambda j, r, c: j.correct(c, reason="x"), "changes must name at least one field"),
    "correction reason": (lambda j, r, c: j.correct(c, reason="", event_date=NOV[3]), "correction: details.reason"),
    "correction invalid": (
        lambda j, r, c: j.correct(c, reason="x", details={"channel": "fax"}),
        "correction of entry {c}: contact: details.channel",
    ),
    "correction clears": (
        lambda j, r, c: j.correct(c, reason="x", customer_id=None),
        "correction of entry {c}: contact: customer_id is required",
    ),
    "correction target": (lambda j, r, c: j.correct(404, reason="x", event_date=NOV[2]), "correction: refers_to 404"),
    "void reason": (lambda j, r, c: j.void(c, ""), "void: details.reason"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_entries_are_refused_naming_the_field(lite, case) -> None:
    run, contact = _run_and_contact(lite)
    action, message = INVALID[case]
    with pytest.raises(JournalError) as caught:
        action(lite, run, contact)
    assert message.format(c=contact) in str(caught.value)
    assert count(lite) == 2  # nothing was written


def test_amendments_cannot_target_amendments_or_voided_entries(lite) -> None:
    contact = lite.log_contact("C1", "call", "x", on=NOV[1])
    correction = lite.correct(contact, reason="typo", event_date=NOV[2])
    with pytest.raises(JournalError, match=f"void: refers_to {correction} is not an entry"):
        lite.void(correction, "no")
    void = lite.void(contact, "wrong customer")
    with pytest.raises(JournalError, match=f"void: refers_to {void} is not an entry"):
        lite.void(void, "undo")
    with pytest.raises(JournalError, match=f"void: refers_to entry {contact} is voided"):
        lite.void(contact, "again")
    with pytest.raises(JournalError, match=f"correction: refers_to entry {contact} is voided"):
        lite.correct(contact, reason="x", event_date=NOV[3])
    assert count(lite) == 3


# -- corrections and voids --------------------------------------------------------------------------


def test_a_correction_merges_fields_and_records_who(journal) -> None:
    promise = journal.add_promise(
        "C1", "100.00", "EUR", NOV[10], document_ids=["INV-1"], promised_on=NOV[2], note="first"
    )
    untouched = journal.add_note("C1", "n", on=NOV[2])
    correction = journal.correct(
        promise,
        author="bob",
        reason="customer said 120",
        amount=D("120.5"),
        event_date=NOV[12],
        document_ids=["INV-1", "INV-3"],
        details={"note": "revised"},
    )
    assert correction > untouched

    promises = journal.promises()
    assert promises.select(
        "id", "amount", "amount_text", "pay_by", "promised_on", "document_ids", "note", "author"
    ).rows() == [(promise, 120500, "120.5", NOV[12], NOV[2], ["INV-1", "INV-3"], "revised", "ann")]
    entries = journal.entries()
    assert entries["id"].to_list() == [promise, untouched]  # corrections are not rows of their own
    row = entries.row(0, named=True)
    assert (row["corrected"], row["voided"], row["author"], row["last_author"]) == (True, False, "ann", "bob")
    assert row["last_recorded_at"] > row["recorded_at"]
    assert json.loads(row["details"]) == {"note": "revised", "promised_on": "2026-11-02"}
    assert entries.row(1, named=True)["corrected"] is False

    second = journal.correct(promise, author="cy", reason="moved to C2", customer_id="C2")
    assert journal.entries(customer_id="C1")["id"].to_list() == [untouched]
    assert journal.entries(customer_id="C2").select("id", "amount", "last_author").rows() == [(promise, 120500, "cy")]

    history = journal.history()
    assert history["kind"].to_list() == ["promise", "note", "correction", "correction"]
    assert history["refers_to"].to_list() == [None, None, promise, promise]
    assert history.filter(pl.col("id") == promise)["amount"].to_list() == ["100.00"]  # original untouched
    assert json.loads(history.filter(pl.col("id") == second)["details"][0]) == {
        "reason": "moved to C2",
        "changes": {"customer_id": "C2"},
    }
    assert history.filter(pl.col("id") == correction)["customer_id"].to_list() == ["C1"]


def test_void_hides_the_entry_but_keeps_it_in_the_history(journal) -> None:
    kept = journal.log_contact("C1", "call", "ok", on=NOV[1])
    gone = journal.log_contact("C1", "email", "wrong customer", on=NOV[2], next_action_date=NOV[9])
    void = journal.void(gone, "logged on the wrong customer", author="bob")
    assert journal.entries()["id"].to_list() == [kept]
    assert journal.contacts()["id"].to_list() == [kept]
    assert journal.next_actions().height == 0
    everything = journal.entries(include_voided=True)
    assert everything.select("id", "voided", "last_author").rows() == [(kept, False, "ann"), (gone, True, "bob")]
    assert journal.history()["id"].to_list() == [kept, gone, void]


def test_entries_filters(journal) -> None:
    a = journal.log_contact("C1", "call", "a", on=NOV[1])
    b = journal.add_note("C1", "b", on=NOV[5])
    c = journal.log_contact("C2", "call", "c", on=NOV[10])
    run = journal.record_run(NOV[20], policy="p", communications=0)
    assert journal.entries(kind="contact")["id"].to_list() == [a, c]
    assert journal.entries(customer_id="C1")["id"].to_list() == [a, b]
    assert journal.entries(since=NOV[5])["id"].to_list() == [b, c, run]
    assert journal.entries(since=NOV[5], until=NOV[10])["id"].to_list() == [b, c]
    assert journal.entries(until=NOV[4])["id"].to_list() == [a]
    journal.correct(a, reason="date", event_date=NOV[6])
    assert journal.entries(since=NOV[5], until=NOV[10])["id"].to_list() == [a, b, c]
    with pytest.raises(JournalError, match="kind must be one of"):
        journal.entries(kind="contacts")


# -- views -------------------------------------------------------------------------------------------


def test_dispute_status_follows_the_latest_update(journal) -> None:
    dispute = journal.open_dispute(
        "C1", ["INV-4", "INV-5"], "goods damaged", owner="Rep Lee", on=NOV[3], note="photos sent"
    )
    quiet = journal.open_dispute("C2", ["INV-8"], "price", owner="Kim", on=NOV[4])
    journal.update_dispute(dispute, "in_review", on=NOV[5], resolution="checking")
    resolved = journal.update_dispute(
        dispute, "resolved", on=NOV[10], resolution="credit note", credit_amount="45.10", author="bob"
    )
    journal.update_dispute(dispute, "in_review", on=NOV[7], resolution="backfilled")  # recorded late, dated earlier

    frame = journal.disputes()
    assert frame.columns == list(VIEW_SCHEMAS["disputes"])
    assert frame.rows() == [
        (
            dispute,
            "C1",
            ["INV-4", "INV-5"],
            "goods damaged",
            "Rep Lee",
            NOV[3],
            "resolved",
            NOV[10],
            "credit note",
            45100,
            "ann",
        ),
        (quiet, "C2", ["INV-8"], "price", "Kim", NOV[4], "open", NOV[4], "", None, "ann"),
    ]
    journal.void(resolved, "entered on the wrong dispute")
    row = journal.disputes().row(0, named=True)
    assert (row["status"], row["status_date"], row["resolution"], row["credit_amount"]) == (
        "in_review",
        NOV[7],
        "backfilled",
        None,
    )
    assert journal.entries(kind="dispute_update")["customer_id"].unique().to_list() == ["C1"]


def test_flags_keep_the_latest_value_per_customer_and_flag(journal) -> None:
    journal.set_flag("C1", "no_dunning", True, on=NOV[1], reason="dispute")
    journal.set_flag("C1", "no_dunning", False, on=NOV[5], reason="settled")
    journal.set_flag("C1", "no_dunning", True, on=NOV[3], reason="backfilled")
    journal.set_flag("C2", "no_dunning", True, on=NOV[2])
    journal.set_flag("C1", "vip", True, on=NOV[2])
    assert journal.flags().rows() == [
        ("C1", "no_dunning", False, NOV[5], "settled"),
        ("C1", "vip", True, NOV[2], ""),
        ("C2", "no_dunning", True, NOV[2], ""),
    ]


def test_last_run_date(journal) -> None:
    assert journal.last_run_date() is None
    journal.record_run(NOV[6], policy="p", communications=3)
    late = journal.record_run(NOV[20], policy="p", communications=0)
    journal.record_run(NOV[13], policy="p", communications=1)
    assert journal.last_run_date() == NOV[20]
    journal.void(late, "run by mistake")
    assert journal.last_run_date() == NOV[13]
    assert journal.dunning_runs()["as_of"].to_list() == [NOV[6], NOV[13]]


def test_next_actions_take_the_latest_plan_per_customer(journal) -> None:
    journal.log_contact("C1", "call", "call again", on=NOV[1], next_action_date=NOV[15])
    sooner = journal.log_contact("C1", "email", "asked for sooner", on=NOV[3], next_action_date=NOV[8])
    journal.add_note("C1", "no follow-up here", on=NOV[4])
    note = journal.add_note("C2", "agency decision", on=NOV[2], next_action_date=NOV[20])
    journal.log_contact("C3", "call", "nothing planned", on=NOV[2])
    assert journal.next_actions().rows() == [("C1", NOV[8], "contact", sooner), ("C2", NOV[20], "note", note)]


PUBLIC_COLUMNS = {
    "contacts": "id customer_id event_date channel outcome contact_person next_action_date document_ids author "
    "recorded_at",
    "promises": "id customer_id amount amount_text currency pay_by promised_on document_ids author recorded_at note",
    "disputes": "id customer_id document_ids reason owner opened_on status status_date resolution credit_amount author",
    "escalations": "id customer_id event_date action partner amount currency fees note author",
    "notes": "id customer_id event_date text next_action_date author recorded_at",
    "flags": "customer_id flag value event_date reason",
    "dunning_letters": "id customer_id event_date currency amount document_ids level channel levels run_id file outbox",
    "deliveries": "id letter_id customer_id event_date outcome channel reason message_id author recorded_at",
    "dunning_runs": "id as_of policy communications author recorded_at",
    "next_actions": "customer_id next_action_date source_kind entry_id",
    "credit_decisions": "id timestamp kind customer_id as_of author outcome original_outcome amount amount_text "
    "currency old_limit approval_required approver order_ref reason recorded_at details",
}


def test_the_view_columns_are_the_documented_ones() -> None:
    assert {name: " ".join(schema) for name, schema in VIEW_SCHEMAS.items()} == PUBLIC_COLUMNS
    assert " ".join(ENTRY_SCHEMA) == (
        "id uid recorded_at author kind customer_id event_date amount amount_text currency document_ids "
        "next_action_date refers_to details corrected voided last_author last_recorded_at"
    )


def test_every_view_is_typed_when_empty(journal) -> None:
    assert journal.entries().schema == pl.Schema(ENTRY_SCHEMA)
    assert journal.history().schema == pl.Schema(HISTORY_SCHEMA)
    for name, schema in VIEW_SCHEMAS.items():
        frame = getattr(journal, name)()
        assert frame.height == 0, name
        assert frame.schema == pl.Schema(schema), name
    assert journal.verify() == []
    assert journal.last_run_date() is None


def test_views_keep_their_schema_with_rows(journal) -> None:
    journal.log_contact("C1", "meeting", "met", on=NOV[1], next_action_date=NOV[2])
    journal.add_promise("C1", "1", "EUR", NOV[3])
    journal.open_dispute("C1", ["I"], "r", owner="o", on=NOV[1])
    journal.escalate("C1", "suspension_requested", on=NOV[1])
    journal.add_note("C1", "t", on=NOV[1])
    journal.set_flag("C1", "no_dunning", True, on=NOV[1])
    run = journal.record_run(NOV[20], policy="p", communications=1)
    letter = journal.record_letter(
        "C1",
        on=NOV[20],
        currency="EUR",
        amount="1",
        document_ids=["I"],
        level=1,
        channel="letter",
        levels={"I": 1},
        run_id=run,
        outbox=True,
    )
    journal.record_delivery(letter, "printed", on=NOV[20], channel="letter")
    journal.add(
        "limit_change",
        customer_id="C1",
        event_date=NOV[1],
        amount="5000",
        currency="EUR",
        details={"timestamp": "2026-11-01T10:00:00+01:00", "reason": "review", "old_limit": "4000"},
    )
    assert journal.entries().schema == pl.Schema(ENTRY_SCHEMA)
    for name, schema in VIEW_SCHEMAS.items():
        frame = getattr(journal, name)()
        assert frame.height == 1, name
        assert frame.schema == pl.Schema(schema), name
    escalation = journal.escalations().row(0, named=True)
    assert (escalation["partner"], escalation["amount"], escalation["fees"]) == ("", None, None)


# -- integrity --------------------------------------------------------------------------------------


def test_the_database_refuses_update_and_delete(journal, target) -> None:
    entry = journal.log_contact("C1", "call", "ok", on=NOV[1])
    errors = (sqlite3.DatabaseError,) if not is_postgres_url(target) else (Exception,)
    for sql in (
        f"UPDATE journal_entries SET amount = '1' WHERE id = {entry}",
        f"DELETE FROM journal_entries WHERE id = {entry}",
    ):
        with pytest.raises(errors, match="journal is append-only"):
            raw(target, sql)
    if is_postgres_url(target):
        with pytest.raises(Exception, match="journal is append-only"):
            raw(target, "TRUNCATE journal_entries")
    assert journal.entries()["id"].to_list() == [entry]
    assert journal.verify() == []


def test_the_hash_chain_links_every_row(journal) -> None:
    for day in (1, 2, 3):
        journal.add_note("C1", f"note {day}", on=NOV[day])
    history = journal.history()
    hashes, links = history["hash"].to_list(), history["prev_hash"].to_list()
    assert links == [None, hashes[0], hashes[1]]
    assert all(len(value) == 64 for value in hashes)
    assert journal.verify() == []


def test_verify_finds_a_tampered_row(journal, target) -> None:
    first = journal.add_promise("C1", "100.00", "EUR", NOV[9])
    second = journal.add_note("C1", "keep", on=NOV[2])
    third = journal.add_note("C1", "keep too", on=NOV[3])
    if is_postgres_url(target):
        raw(target, "DROP TRIGGER journal_entries_no_update ON journal_entries")
        raw(target, "DROP TRIGGER journal_entries_no_delete ON journal_entries")
    else:
        raw(target, "DROP TRIGGER journal_entries_no_update")
        raw(target, "DROP TRIGGER journal_entries_no_delete")
    dropped = [
        "trigger journal_entries_no_delete is missing: the append-only guard was removed",
        "trigger journal_entries_no_update is missing: the append-only guard was removed",
    ]  # the key record's triggers are still there
    assert journal.verify() == dropped  # the chain is intact, but the guards are gone
    raw(target, f"UPDATE journal_entries SET amount = '10.00' WHERE id = {first}")
    assert journal.verify() == [*dropped, f"entry {first}: content does not match its hash (changed after writing)"]
    raw(target, f"DELETE FROM journal_entries WHERE id = {second}")
    assert journal.verify() == [
        *dropped,
        f"entry {first}: content does not match its hash (changed after writing)",
        f"entry {second} missing: the chain breaks at entry {third} (removed from the journal?)",
    ]


def test_verify_reports_a_disabled_trigger_on_postgresql(pg_journal_url) -> None:
    with Journal.open(pg_journal_url, create=True) as book:
        book.add_note("C1", "x", on=NOV[1], author="ann")
        raw(pg_journal_url, "ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_no_delete")
        assert book.verify() == ["trigger journal_entries_no_delete is disabled: the append-only guard is off"]


# -- export -------------------------------------------------------------------------------------------


def test_export_csv_neutralises_formulas_and_jsonl_round_trips(journal, tmp_path) -> None:
    journal.log_contact('=HYPERLINK("http://evil")', "call", "+1 555", on=NOV[1])
    journal.add_promise("C2", "12.50", "EUR", NOV[9])
    path = journal.export(tmp_path / "out" / "journal.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(HISTORY_SCHEMA)
    assert rows[0]["customer_id"] == '\'=HYPERLINK("http://evil")'
    assert json.loads(rows[0]["details"])["outcome"] == "+1 555"  # JSON text starts with '{': unchanged
    assert (rows[1]["amount"], rows[1]["refers_to"]) == ("12.50", "")

    lines = journal.export(tmp_path / "journal.jsonl", fmt="jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["customer_id"] for r in records] == ['=HYPERLINK("http://evil")', "C2"]
    assert records[1]["hash"] == journal.history()["hash"][1]
    with pytest.raises(JournalError, match="export format"):
        journal.export(tmp_path / "x.xml", fmt="xml")


def test_an_unreachable_server_is_reported_without_its_password() -> None:
    with pytest.raises(JournalError) as caught:
        Journal.open("postgresql://ann:s3cret@127.0.0.1:1/journal", create=True)
    assert str(caught.value).startswith("cannot open journal postgresql://ann:***@127.0.0.1:1/journal: ")
    assert "s3cret" not in str(caught.value)


def test_the_general_add_normalises_what_it_stores(lite) -> None:
    note = lite.add("note", customer_id="C1", event_date="20261102", details={"text": "t"})
    lite.add("correction", refers_to=note, details={"reason": "date", "changes": {"event_date": "20261105"}})
    assert lite.entries()["event_date"].to_list() == [NOV[5]]
    assert lite.history()["event_date"].to_list() == ["2026-11-02", None]
    assert json.loads(lite.history()["details"][1])["changes"] == {"event_date": "2026-11-05"}


def test_a_closed_journal_cannot_be_used(tmp_path) -> None:
    journal = Journal.open(Path(tmp_path / "j.db"), author="ann", create=True)
    journal.close()
    journal.close()
    with pytest.raises(Exception, match="closed"):
        journal.add_note("C1", "x", on=NOV[1])


def test_journal_satisfies_the_reader_and_writer_protocols() -> None:
    """Every method of JournalReader/JournalWriter exists on Journal with the same parameters."""
    import inspect

    from workbench.journal import JournalReader, JournalWriter

    for protocol in (JournalReader, JournalWriter):
        for name, member in vars(protocol).items():
            if name.startswith("_") or not callable(member):
                continue
            expected = list(inspect.signature(member).parameters)
            assert list(inspect.signature(getattr(Journal, name)).parameters) == expected, name
    writer_methods = {name for name in vars(JournalWriter) if not name.startswith("_")}
    assert writer_methods == {"batch", "record_run", "record_letter", "record_delivery", "escalate"}


def test_delivery_entries_refer_to_a_letter_and_name_a_failure(journal) -> None:
    run = journal.record_run(NOV[20], policy="p", communications=1)
    letter = journal.record_letter(
        "C1",
        on=NOV[20],
        currency="EUR",
        amount="10",
        document_ids=["I"],
        level=1,
        channel="email",
        levels={"I": 1},
        run_id=run,
        file="emails/C1.eml",
        outbox=True,
    )
    with pytest.raises(JournalError, match="delivery: details.reason is required"):
        journal.record_delivery(letter, "failed", on=NOV[20], channel="email")
    with pytest.raises(JournalError, match="delivery: refers_to .* is not a \\(not voided\\) dunning_letter"):
        journal.record_delivery(run, "sent", on=NOV[20], channel="email")
    with pytest.raises(JournalError, match="details.outcome must be one of sending, sent, failed"):
        journal.record_delivery(letter, "delivered", on=NOV[20], channel="email")
    journal.record_delivery(letter, "sending", on=NOV[20], channel="email", message_id="<m1@x>")
    journal.record_delivery(letter, "failed", on=NOV[20], channel="email", reason="550 mailbox unavailable")
    rows = journal.deliveries().select("letter_id", "customer_id", "outcome", "reason", "message_id").rows()
    assert rows == [(letter, "C1", "sending", "", "<m1@x>"), (letter, "C1", "failed", "550 mailbox unavailable", "")]
    assert journal.dunning_letters()["outbox"].to_list() == [True]


def test_a_nul_byte_never_enters_the_journal(journal) -> None:
    with pytest.raises(JournalError, match=r"note: customer_id contains a NUL byte"):
        journal.add_note("C\x001", "text", on=NOV[1])
    with pytest.raises(JournalError, match=r"note: details contains a NUL byte"):
        journal.add_note("C1", "bad\x00text", on=NOV[1])
    assert journal.history().height == 0
