"""Collections end to end on the small demo: dunning runs, the journal changing the next run, worklist, digests.

Run as a user would (subprocesses of ``python -m workbench.cli``).
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from workbench.journal import Journal

from .builders import write_workspace
from .test_mail import _server

from .conftest import SMALL_AS_OF

AS_OF = SMALL_AS_OF.isoformat()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def workspace(small_demo, tmp_path_factory) -> Path:
    """The small demo ledger copied into a workspace with an empty journal beside it."""
    import shutil

    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(small_demo, root / "ledger")
    write_workspace(root)
    assert run("journal", "init", "--ledger", str(root / "ledger")).returncode == 0
    return root


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_dry_run_previews_everything_and_records_nothing(workspace, tmp_path) -> None:
    out = workspace / "dry"
    journal = tmp_path / "dry.sqlite"
    done = run(
        "dunning",
        "run",
        "--ledger",
        str(workspace / "ledger"),
        "--as-of",
        AS_OF,
        "--dry-run",
        "--out",
        str(out),
        "--journal",
        str(journal),
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["dry_run"] is True and summary["run_id"] is None
    assert summary["communications"] > 0
    assert not journal.exists()  # a dry run creates no file
    assert "no journal at" in done.stderr and "empty history" in done.stderr
    comms = list(csv.DictReader((out / "communications.csv").open(encoding="utf-8")))
    assert len(comms) == summary["communications"]
    lines = list(csv.DictReader((out / "lines.csv").open(encoding="utf-8")))
    for comm in comms:
        claimed = {
            r["document_id"]
            for r in lines
            if r["customer_id"] == comm["customer_id"]
            and r["currency"] == comm["currency"]
            and r["status"] == "claimed"
        }
        assert int(comm["items"]) == len(claimed)
        if comm["channel"] == "email" and comm["file"].endswith(".eml"):
            msg = email.message_from_bytes((out / comm["file"]).read_bytes(), policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain",)).get_content()
            for doc in claimed:  # every claimed item is in the e-mail
                assert doc in body
            assert [p.get_filename() for p in msg.iter_attachments()][0].startswith("statement_")
    assert "DRY RUN" in (out / "index.html").read_text(encoding="utf-8")
    # an empty journal: a first run, which places the items by age (policy first_run = "by_age")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["first_run"].startswith("first run: ") and "placed by age at levels 2-" in summary["first_run"]
    # the small demo's first run writes in all five languages, each reminder's subject in the customer's language
    subjects = {
        "en": "Payment reminder",
        "fr": "Rappel de paiement",
        "de": "Zahlungserinnerung",
        "es": "Recordatorio de pago",
        "pt": "Lembrete de pagamento",
    }
    assert {comm["language"] for comm in comms if comm["file"]} == set(subjects)
    seen = {}
    for comm in comms:
        if comm["file"].endswith(".eml") and comm["level"] == "1":
            msg = email.message_from_bytes((out / comm["file"]).read_bytes(), policy=email.policy.default)
            seen.setdefault(comm["language"], str(msg["Subject"]))
    assert seen and set(seen) <= set(subjects)
    for language, subject in seen.items():
        assert subject.startswith(subjects[language]), (language, subject)


def test_runs_are_recorded_move_forward_and_follow_the_journal(workspace) -> None:
    ledger = str(workspace / "ledger")
    controller, handler = _server()
    try:
        first = run(
            "dunning",
            "run",
            "--ledger",
            ledger,
            "--as-of",
            "2026-11-13",
            "--out",
            str(workspace / "r1"),
            "--send",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(controller.port),
        )
    finally:
        controller.stop()
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["dry_run"] is False and summary["run_id"] is not None
    status = summary["delivery"]["status"]
    assert sum(status.values()) == summary["communications"] and "pending" not in status and "failed" not in status
    assert status.get("sent", 0) == summary["sent"] == len(handler.envelopes) == summary["by_channel"].get("email", 0)
    with Journal.open(workspace / "journal.sqlite", create=True) as book:
        letters = book.dunning_letters()
        assert letters.height == summary["communications"]
        assert book.last_run_date() == date(2026, 11, 13)
        assert book.verify() == []
    # backwards: refused with exit 2 and a message naming both dates
    back = run("dunning", "run", "--ledger", ledger, "--as-of", "2026-11-06", "--out", str(workspace / "r0"))
    assert back.returncode == 2 and "2026-11-13" in back.stderr and "2026-11-06" in back.stderr

    # a promise and a dispute recorded by a collector change the next run
    comms = _csv((workspace / "r1" / "communications.csv").read_text(encoding="utf-8"))
    lines = _csv((workspace / "r1" / "lines.csv").read_text(encoding="utf-8"))
    promised, disputed = comms[0], comms[1]
    promised_docs = [
        r["document_id"]
        for r in lines
        if r["customer_id"] == promised["customer_id"]
        and r["currency"] == promised["currency"]
        and r["status"] == "claimed"
    ]
    disputed_doc = next(
        r["document_id"] for r in lines if r["customer_id"] == disputed["customer_id"] and r["status"] == "claimed"
    )
    add = run(
        "journal",
        "add",
        "promise",
        "--author",
        "Ann",
        "--on",
        "2026-11-25",
        "--customer",
        promised["customer_id"],
        "--amount",
        promised["overdue"],
        "--currency",
        promised["currency"],
        "--documents",
        ",".join(promised_docs),
        "--promised-on",
        "2026-11-16",
        "--ledger",
        ledger,
    )
    assert add.returncode == 0, add.stderr
    add = run(
        "journal",
        "add",
        "dispute",
        "--author",
        "Ann",
        "--on",
        "2026-11-16",
        "--customer",
        disputed["customer_id"],
        "--documents",
        disputed_doc,
        "--text",
        "pricing",
        "--owner",
        "Bob",
        "--ledger",
        ledger,
    )
    assert add.returncode == 0, add.stderr

    second = run("dunning", "run", "--ledger", ledger, "--as-of", AS_OF, "--out", str(workspace / "r2"))
    assert second.returncode == 0, second.stderr
    lines2 = {r["document_id"]: r for r in _csv((workspace / "r2" / "lines.csv").read_text(encoding="utf-8"))}
    for doc in promised_docs:
        assert lines2[doc]["status"] == "skipped" and lines2[doc]["reason"] == "live promise to pay"
    assert lines2[disputed_doc]["reason"] == "disputed"
    # items claimed again keep climbing from the level of the first run
    rose = [r for r in lines2.values() if r["status"] == "claimed" and int(r["previous_level"]) > 0]
    assert rose and all(int(r["level"]) >= int(r["previous_level"]) for r in rose)

    # the worklist shows the promise falling due and lists the collector's customers ranked
    work = run("worklist", "--ledger", ledger, "--as-of", "2026-11-24", "--format", "csv")
    assert work.returncode == 0, work.stderr
    rows = {r["customer_id"]: r for r in _csv(work.stdout)}
    assert "promise of" in rows[promised["customer_id"]]["reasons"]

    listed = run(
        "journal",
        "list",
        "--customer",
        disputed["customer_id"],
        "--kind",
        "dispute",
        "--ledger",
        ledger,
        "--format",
        "json",
    )
    assert json.loads(listed.stdout)[0]["document_ids"] == [disputed_doc]


def test_worklist_xlsx_is_formatted_and_neutralised(workspace) -> None:
    target = workspace / "worklist.xlsx"
    missing = run(
        "worklist",
        "--ledger",
        str(workspace / "ledger"),
        "--as-of",
        AS_OF,
        "--journal",
        str(workspace / "empty.sqlite"),
    )
    assert missing.returncode == 2 and "no journal at" in missing.stderr and not (workspace / "empty.sqlite").exists()
    assert run("journal", "init", "--journal", str(workspace / "empty.sqlite")).returncode == 0
    done = run(
        "worklist",
        "--ledger",
        str(workspace / "ledger"),
        "--as-of",
        AS_OF,
        "--format",
        "xlsx",
        "--out",
        str(target),
        "--journal",
        str(workspace / "empty.sqlite"),
    )
    assert done.returncode == 0, done.stderr
    sheet = openpyxl.load_workbook(target).active
    assert sheet["A1"].value.startswith("Collections worklist as of 2026-11-20")
    header = [c.value for c in sheet[3]]
    assert header[:7] == ["Collector", "Rank", "Customer", "Name", "Score", "Why (points)", "Next action"]
    cells = {row[2]: row[3] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert len(cells) > 10
    # no cell of the sheet is a formula, whatever the customer's name
    assert all(not (isinstance(c.value, str) and c.value.startswith("=")) for row in sheet.iter_rows() for c in row)
    if "C000014" in cells:  # the demo customer named =HYPERLINK(...) is kept as text
        assert cells["C000014"].lstrip("'").startswith("=HYPERLINK")


def test_sales_digest_pages_escape_customer_text(workspace) -> None:
    out = workspace / "digest"
    done = run("report", "sales-digest", "--ledger", str(workspace / "ledger"), "--as-of", AS_OF, "--out", str(out))
    assert done.returncode == 0, done.stderr
    pages = sorted(out.glob("sales_digest_*.html"))
    assert pages and (out / "index.html").is_file()
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "<script>alert" not in text
    assert "C000008" in text and "&lt;script&gt;alert(" in text  # the demo customer named <script>...


def test_journal_export_and_verify(tmp_path) -> None:
    journal = str(tmp_path / "journal.sqlite")
    assert "journal created" in run("journal", "init", "--journal", journal).stdout
    added = run(
        "journal",
        "add",
        "note",
        "--author",
        "Ann",
        "--on",
        "2026-11-20",
        "--customer",
        "C1",
        "--text",
        '=HYPERLINK("http://x")',
        "--journal",
        journal,
    )
    assert added.returncode == 0 and added.stdout.strip() == "1", added.stderr
    target = tmp_path / "audit.csv"
    done = run("journal", "export", "--out", str(target), "--journal", journal)
    assert done.returncode == 0 and "1 entries" in done.stdout, done.stderr
    (row,) = list(csv.DictReader(target.open(encoding="utf-8")))
    assert (row["id"], row["author"], row["kind"], row["customer_id"]) == ("1", "Ann", "note", "C1")
    assert row["hash"] and row["prev_hash"] == ""
    assert "=HYPERLINK" in row["details"] and not row["details"].startswith("=")
    ok = run("journal", "verify", "--journal", journal)
    assert ok.returncode == 0 and "1 entries, chain intact" in ok.stdout


def test_a_retried_journal_add_with_the_same_uid_records_once(tmp_path: Path) -> None:
    target = str(tmp_path / "journal.sqlite")
    assert "journal created" in run("journal", "init", "--journal", target).stdout
    args = (
        "journal",
        "add",
        "promise",
        "--author",
        "Ann",
        "--on",
        "2026-11-27",
        "--customer",
        "C1",
        "--amount",
        "5000.00",
        "--currency",
        "EUR",
        "--journal",
        target,
    )
    first = run(*args, "--uid", "crm-4711:promise")
    again = run(*args, "--uid", "crm-4711:promise")
    other = run(*args)
    assert first.returncode == again.returncode == other.returncode == 0, (first.stderr, again.stderr)
    assert first.stdout == again.stdout and first.stdout != other.stdout
    assert "already recorded: nothing added" in again.stderr and "already recorded" not in first.stderr
    with Journal.open(target, create=True) as book:
        assert book.history().height == 2
        assert book.promises()["amount_text"].to_list() == ["5000.00", "5000.00"]
    bad = run(*args, "--uid", "a b/../c")
    assert bad.returncode == 2 and "--uid 'a b/../c'" in bad.stderr and "Traceback" not in bad.stderr
    with Journal.open(target, create=True) as book:
        assert book.history().height == 2
    missing = run(
        "journal",
        "add",
        "promise",
        "--author",
        "Ann",
        "--on",
        "2026-11-27",
        "--customer",
        "C1",
        "--currency",
        "EUR",
        "--journal",
        target,
    )
    assert missing.returncode == 2 and "journal add promise needs --amount" in missing.stderr


def test_journals_are_opened_not_conjured(tmp_path: Path) -> None:
    """A typo in a journal path is refused, never an empty journal; a foreign database is left untouched."""
    import sqlite3

    typo = tmp_path / "nj" / "journl.sqlite"
    for args in (
        ("journal", "list"),
        ("journal", "verify"),
        ("journal", "export", "--out", str(tmp_path / "x.csv")),
        ("journal", "add", "note", "--author", "A", "--on", "2026-11-20", "--customer", "C1", "--text", "t"),
    ):
        res = run(*args, "--journal", str(typo))
        assert res.returncode == 2 and f"no journal at {typo}" in res.stderr and "Traceback" not in res.stderr, args
    assert not typo.exists() and not typo.parent.exists()
    foreign = tmp_path / "crm.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE accounts (id INTEGER)")
    before = foreign.read_bytes()
    for args in (("journal", "list"), ("journal", "init")):
        res = run(*args, "--journal", str(foreign))
        assert res.returncode == 2 and "is not a workbench journal" in res.stderr and "accounts" in res.stderr
    assert foreign.read_bytes() == before
    created = run("journal", "init", "--journal", str(tmp_path / "j.sqlite"))
    again = run("journal", "init", "--journal", str(tmp_path / "j.sqlite"))
    assert "journal created" in created.stdout and "already exists (0 entries): kept" in again.stdout


def test_dates_and_amounts_out_of_range_are_refused_with_a_message(workspace, tmp_path: Path) -> None:
    target = str(tmp_path / "journal.sqlite")
    run("journal", "init", "--journal", target)
    base = ("journal", "add", "promise", "--author", "A", "--customer", "C1", "--currency", "EUR", "--journal", target)
    huge = run(*base, "--on", "2026-11-27", "--amount", "1e308")
    assert huge.returncode == 2 and "above the largest amount accepted (1,000,000,000,000)" in huge.stderr
    far = run(*base, "--on", "9999-01-01", "--amount", "10")
    assert (
        far.returncode == 2 and "--on 9999-01-01 is outside the supported range 1970-01-01 to 2100-12-31" in far.stderr
    )
    with Journal.open(target) as book:
        assert book.history().height == 0
    early = run("kpis", "--ledger", str(workspace / "ledger"), "--as-of", "0001-01-01")
    assert early.returncode == 2 and "--as-of 0001-01-01 is outside the supported range" in early.stderr
    assert "Traceback" not in early.stderr + far.stderr + huge.stderr
