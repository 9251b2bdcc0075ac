"""Carrying a legacy decisions.jsonl into the journal: verified first, nothing lost, authors and times kept, idempotent.

``tests/data/decisions_legacy.jsonl`` was written by the last release that kept
the separate log (commit e74a09a's ``DecisionLog``): three kinds, two offsets, a
non-ASCII author, an approved limit change and a limit change without an as-of date.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from workbench.credit.decisions import DecisionLogError, import_decisions, read_legacy_log
from workbench.journal import Journal

LEGACY = Path(__file__).parent / "data" / "decisions_legacy.jsonl"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, check=False)


def test_every_legacy_entry_arrives_with_its_author_time_and_fields(tmp_path: Path) -> None:
    original = [json.loads(line) for line in LEGACY.read_text(encoding="utf-8").splitlines()]
    with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
        book.add_note("C1", "already here", on=date(2026, 6, 1), author="zoe")
        result = import_decisions(LEGACY, book)
        assert (result.read, result.added, result.already_present) == (5, 5, 0)
        rows = book.credit_decisions().to_dicts()
        assert book.verify() == []
        again = import_decisions(LEGACY, book)
        assert (again.added, again.already_present) == (0, 5)
        assert book.history().height == 6  # the note and five decisions, nothing twice
    assert [r["kind"] for r in rows] == [
        "credit_decision",
        "credit_override",
        "limit_change",
        "limit_change",
        "credit_decision",
    ]
    assert [r["author"] for r in rows] == [e["author"] for e in original] == ["ana", "ben", "ana", "ana", "émile"]
    assert [r["timestamp"] for r in rows] == [e["timestamp"] for e in original]
    assert rows[0]["recorded_at"] == datetime(2026, 6, 30, 7, 30, tzinfo=timezone.utc)
    assert rows[3]["recorded_at"] == datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)
    # amounts: the order amount of decisions and overrides, the new limit of limit changes
    assert [r["amount_text"] for r in rows] == ["5000.00", "5000.00", "12000", "150000", "100.00"]
    assert (rows[2]["old_limit"], rows[3]["approval_required"], rows[3]["approver"]) == (
        "10000",
        "credit manager",
        "carla",
    )
    assert rows[3]["as_of"] == date(2026, 7, 1)  # no as-of date in the file: the day of its timestamp
    assert rows[1]["original_outcome"] == "refer" and rows[1]["reason"] == "customer prepaid 2,000 EUR"
    # every legacy field survives in details, with the line's sequence number
    for row, entry in zip(rows, original, strict=True):
        details = json.loads(row["details"])
        assert details["legacy_seq"] == entry["seq"]
        for key, value in entry.items():
            if key in (
                "seq",
                "kind",
                "customer_id",
                "author",
                "as_of",
                "currency",
                "prev_sha256",
                "order_amount",
                "new_limit",
            ):
                continue
            assert details[key] == value, key


def test_an_edited_legacy_log_is_refused_and_nothing_is_imported(tmp_path: Path) -> None:
    lines = LEGACY.read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[2])
    edited["new_limit"] = "99000"
    bad = tmp_path / "decisions.jsonl"
    bad.write_text("\n".join([lines[0], lines[1], json.dumps(edited), *lines[3:]]) + "\n", encoding="utf-8")
    with pytest.raises(DecisionLogError, match=r"decisions.jsonl:4: the log was edited"):
        read_legacy_log(bad)
    dropped = tmp_path / "dropped.jsonl"
    dropped.write_text("\n".join([lines[0], *lines[2:]]) + "\n", encoding="utf-8")
    with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
        with pytest.raises(DecisionLogError, match=r"dropped.jsonl:2: the log was edited"):
            import_decisions(dropped, book)
        assert book.history().height == 0
    with pytest.raises(DecisionLogError, match="no such decisions log"):
        read_legacy_log(tmp_path / "missing.jsonl")


def test_an_entry_the_journal_refuses_rolls_back_the_whole_import(tmp_path: Path) -> None:
    lines = LEGACY.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    entries[3]["reason"] = ""  # a limit change without a reason: the journal refuses it
    import hashlib

    prev = hashlib.sha256(b"").hexdigest()
    out = []
    for entry in entries:
        entry["prev_sha256"] = prev
        line = json.dumps(entry, ensure_ascii=False)
        out.append(line)
        prev = hashlib.sha256(line.encode("utf-8")).hexdigest()
    source = tmp_path / "decisions.jsonl"
    source.write_text("\n".join(out) + "\n", encoding="utf-8")
    with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
        with pytest.raises(
            DecisionLogError, match=r"decisions.jsonl:4: limit_change: details.reason must not be empty"
        ):
            import_decisions(source, book)
        assert book.history().height == 0


def test_cli_imports_and_reports(tmp_path: Path) -> None:
    shutil.copy(LEGACY, tmp_path / "decisions.jsonl")
    target = str(tmp_path / "journal.sqlite")
    assert run_cli("journal", "init", "--journal", target).returncode == 0
    first = run_cli("journal", "import-decisions", "--from", str(tmp_path / "decisions.jsonl"), "--journal", target)
    assert first.returncode == 0, first.stderr
    assert "5 entries read, 5 added, 0 already in the journal" in first.stdout
    second = run_cli("journal", "import-decisions", "--from", str(tmp_path / "decisions.jsonl"), "--journal", target)
    assert "5 entries read, 0 added, 5 already in the journal" in second.stdout
    listed = run_cli("journal", "list", "--kind", "limit_change", "--journal", target)
    assert listed.stdout.count("\n") == 3 and "carla" in listed.stdout
    missing = run_cli("journal", "import-decisions", "--from", str(tmp_path / "nope.jsonl"), "--journal", target)
    assert missing.returncode == 2 and "no such decisions log" in missing.stderr and "Traceback" not in missing.stderr
    elsewhere = tmp_path / "other.sqlite"
    run_cli("journal", "import-decisions", "--from", str(tmp_path / "nope.jsonl"), "--journal", str(elsewhere))
    assert not elsewhere.exists()  # a failed import creates no journal
