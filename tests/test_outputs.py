"""Nothing overwritten, nothing deleted (issue 10): atomic writes and output folders the workbench owns."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tests.builders import inv, ledger, write_ledger
from workbench import exports
from workbench.collections.policy import load_policy
from workbench.exports import write_csv, write_jsonl, write_xlsx
from workbench.letters.run import carry_out
from workbench.outputs import MARKER, OutputFolder, OutputRefusedError, atomic_write_text, new_file
from workbench.reports.runner import notebook_path, run_report
from workbench.reports.sales_digest import write_digests

FRAME = pl.DataFrame({"customer": ["Alpha", "=Beta"], "amount": [1, 2]})
CUSTOMER = {"customer_id": "C1", "name": "Alpha SARL", "country": "FR", "currency": "EUR", "email": "ap@alpha.fr"}


def _foreign(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    mine = folder / "notes.txt"
    mine.write_text("my own notes\n", encoding="utf-8")
    return mine


# ------------------------------------------------------------------ folders


def test_a_new_folder_is_claimed_and_a_rerun_replaces_its_own_files(tmp_path) -> None:
    out = tmp_path / "run"
    folder = OutputFolder.claim(out, "report")
    folder.write_text("a.html", "first")
    again = OutputFolder.claim(out, "report")
    again.write_text("a.html", "second")
    assert (out / "a.html").read_text(encoding="utf-8") == "second"
    record = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert record["files"] == ["a.html"] and record["command"] == "report"


def test_an_empty_existing_folder_is_claimed_like_a_new_one(tmp_path) -> None:
    OutputFolder.claim(tmp_path, "report").write_text("a.html", "x")
    assert (tmp_path / MARKER).is_file()


def test_a_folder_with_files_of_its_own_is_refused_and_left_untouched(tmp_path) -> None:
    mine = _foreign(tmp_path / "docs")
    with pytest.raises(OutputRefusedError, match=r"docs.*--force"):
        OutputFolder.claim(tmp_path / "docs", "report")
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["notes.txt"]
    assert mine.read_text(encoding="utf-8") == "my own notes\n"


def test_a_file_the_workbench_did_not_write_is_never_replaced_even_in_its_own_folder(tmp_path) -> None:
    folder = OutputFolder.claim(tmp_path / "out", "report")
    (tmp_path / "out" / "index.html").write_text("placed by hand", encoding="utf-8")
    with pytest.raises(OutputRefusedError, match=r"index\.html was not written by the workbench.*--force"):
        folder.write_text("index.html", "generated")
    assert (tmp_path / "out" / "index.html").read_text(encoding="utf-8") == "placed by hand"


def test_force_writes_into_a_foreign_folder_and_later_runs_need_no_force(tmp_path) -> None:
    mine = _foreign(tmp_path / "docs")
    (tmp_path / "docs" / "a.html").write_text("old", encoding="utf-8")
    OutputFolder.claim(tmp_path / "docs", "report", force=True).write_text("a.html", "new")
    assert (tmp_path / "docs" / "a.html").read_text(encoding="utf-8") == "new"
    OutputFolder.claim(tmp_path / "docs", "report").write_text("a.html", "newer")
    assert mine.read_text(encoding="utf-8") == "my own notes\n"  # still never touched
    with pytest.raises(OutputRefusedError):
        OutputFolder.claim(tmp_path / "docs", "report").write_text("notes.txt", "overwritten")


def test_a_keyed_folder_refuses_another_key_unless_forced(tmp_path) -> None:
    OutputFolder.claim(tmp_path / "run", "dunning run", key="2026-11-13")
    OutputFolder.claim(tmp_path / "run", "dunning run", key="2026-11-13")  # the same run again
    with pytest.raises(OutputRefusedError, match="holds the `dunning run` of 2026-11-13; the one of 2026-11-20"):
        OutputFolder.claim(tmp_path / "run", "dunning run", key="2026-11-20")
    OutputFolder.claim(tmp_path / "run", "dunning run", key="2026-11-20", force=True)
    record = json.loads((tmp_path / "run" / MARKER).read_text(encoding="utf-8"))
    assert record["keys"] == {"dunning run": "2026-11-20"}


def test_a_sub_folder_of_someone_else_is_refused(tmp_path) -> None:
    folder = OutputFolder.claim(tmp_path / "run", "dunning run")
    _foreign(tmp_path / "run" / "letters")
    with pytest.raises(OutputRefusedError, match="letters was not created by the workbench"):
        folder.subfolder("letters")
    assert folder.subfolder("emails") == tmp_path / "run" / "emails"


# ------------------------------------------------------------------ single files


def test_exports_refuse_an_existing_file_and_replace_it_with_force(tmp_path) -> None:
    for writer, name in ((write_csv, "a.csv"), (write_xlsx, "a.xlsx"), (write_jsonl, "a.jsonl")):
        target = tmp_path / name
        target.write_text("precious", encoding="utf-8")
        with pytest.raises(OutputRefusedError, match=rf"{name} already exists.*--force"):
            writer(FRAME, target)
        assert target.read_text(encoding="utf-8") == "precious"
        writer(FRAME, target, force=True)
        assert target.read_bytes() != b"precious"
    assert (tmp_path / "a.csv").read_bytes() == b"customer,amount\r\nAlpha,1\r\n'=Beta,2\r\n"
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"customer": "Alpha", "amount": 1},
        {"customer": "=Beta", "amount": 2},
    ]
    with pytest.raises(OutputRefusedError, match="is a folder"):
        new_file(tmp_path)


def test_a_failure_mid_write_leaves_the_old_file_intact_and_no_temporary_file(tmp_path, monkeypatch) -> None:
    target = write_csv(FRAME, tmp_path / "a.csv")
    before = target.read_bytes()
    calls = {"n": 0}
    real = exports._csv_text

    def fail_on_the_third(value: object) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(value)

    monkeypatch.setattr(exports, "_csv_text", fail_on_the_third)
    with pytest.raises(OSError, match="disk full"):
        write_csv(FRAME, target, force=True)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_atomic_write_text_keeps_the_old_text_when_encoding_fails(tmp_path) -> None:
    target = atomic_write_text(tmp_path / "a.txt", "old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "\udcff", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "old"


# ------------------------------------------------------------------ reports


def test_a_report_refuses_a_foreign_folder_before_running_anything(tmp_path) -> None:
    _foreign(tmp_path / "docs")
    with pytest.raises(OutputRefusedError, match="--force"):
        run_report(notebook_path("weekly_collections"), {}, tmp_path / "docs", "weekly_collections_2026-11-20")
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["notes.txt"]


def test_a_report_refuses_to_replace_a_file_it_did_not_write_in_its_folder(tmp_path) -> None:
    OutputFolder.claim(tmp_path / "out", "report")
    (tmp_path / "out" / "weekly_summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputRefusedError, match="weekly_summary.json was not written"):
        run_report(
            notebook_path("weekly_collections"),
            {},
            tmp_path / "out",
            "weekly_collections_2026-11-20",
            extra_files=("weekly_summary.json",),
        )


def test_sales_digests_refuse_a_foreign_folder_and_rerun_into_their_own(tmp_path) -> None:
    _foreign(tmp_path / "digests")
    with pytest.raises(OutputRefusedError):
        write_digests([], tmp_path / "digests", "Acme")
    assert write_digests([], tmp_path / "digests", "Acme", force=True) == [tmp_path / "digests" / "index.html"]
    assert write_digests([], tmp_path / "fresh", "Acme") == [tmp_path / "fresh" / "index.html"]
    assert write_digests([], tmp_path / "fresh", "Acme") == [tmp_path / "fresh" / "index.html"]


# ------------------------------------------------------------------ dunning runs


def test_a_dunning_run_folder_takes_one_date_and_refuses_another(tmp_path) -> None:
    led = ledger(tmp_path / "l", customers=[CUSTOMER], documents=[inv("I1", "2026-01-01", "2026-02-01", "100.00")])
    policy = load_policy()
    out = tmp_path / "run"
    first = carry_out(led, date(2026, 1, 10), policy, out, dry_run=True)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["as_of"] == "2026-01-10"
    again = carry_out(led, date(2026, 1, 10), policy, out, dry_run=True)  # the same date: replaces its own files
    assert again.files == first.files
    with pytest.raises(OutputRefusedError, match="dunning run` of 2026-01-10; the one of 2026-01-17"):
        carry_out(led, date(2026, 1, 17), policy, out, dry_run=True)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["as_of"] == "2026-01-10"
    carry_out(led, date(2026, 1, 17), policy, out, dry_run=True, force=True)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["as_of"] == "2026-01-17"


def test_dunning_run_cli_refuses_a_foreign_folder_and_force_writes_into_it(tmp_path) -> None:
    folder = write_ledger(
        tmp_path / "ledger", customers=[CUSTOMER], documents=[inv("I1", "2026-01-01", "2026-02-01", "100.00")]
    )
    mine = _foreign(tmp_path / "docs")
    args = [sys.executable, "-m", "workbench.cli", "dunning", "run", "--ledger", str(folder), "--as-of", "2026-01-10"]
    args += ["--dry-run", "--journal", str(tmp_path / "none.sqlite"), "--out", str(tmp_path / "docs")]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2, refused.stderr
    assert "--force" in refused.stderr and "docs" in refused.stderr
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["notes.txt"]
    forced = subprocess.run([*args, "--force"], capture_output=True, text=True, timeout=300)
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "docs" / "summary.json").is_file()
    assert mine.read_text(encoding="utf-8") == "my own notes\n"


@pytest.mark.parametrize(
    "command",
    [
        ["aging", "--as-of", "2026-11-20", "--format", "json"],
        ["aging", "--as-of", "2026-11-20", "--format", "xlsx"],
        ["worklist", "--as-of", "2026-11-20"],
        ["journal", "export"],
    ],
)
def test_single_file_outputs_keep_an_existing_file_unless_forced(small_demo, tmp_path, command) -> None:
    from workbench.journal import Journal

    Journal.open(tmp_path / "journal.sqlite", create=True).close()
    target = tmp_path / "mine.out"
    target.write_text("a file of the user's\n", encoding="utf-8")
    where = ["--journal", str(tmp_path / "journal.sqlite")]
    if command[0] != "journal":
        where = ["--ledger", str(small_demo), *(where if command[0] == "worklist" else [])]
    base = [sys.executable, "-m", "workbench.cli", *command, *where, "--out", str(target)]
    refused = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2, refused.stderr
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "a file of the user's\n"
    forced = subprocess.run([*base, "--force"], capture_output=True, text=True, timeout=300)
    assert forced.returncode == 0, forced.stderr
    assert target.read_bytes() != b"a file of the user's\n"
