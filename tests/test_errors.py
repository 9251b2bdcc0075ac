"""Clear refusals instead of silent wrong answers (issue 10, item 5): unknown names, stale as-of dates, bad --out."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from workbench.ledger import load_ledger
from workbench.ledger.freshness import days_after_data, last_data_date, stale_note
from workbench.ledger.names import UnknownNameError, check_name, known_names, name_problem, suggestion
from workbench.reports import cash_forecast, customer, registry, weekly
from workbench.reports.customer import UnknownCustomerError

from .conftest import SMALL_AS_OF

AS_OF = SMALL_AS_OF.isoformat()
ENTITIES = "(entities in this ledger: DE01, FR01, US01)"
COLLECTORS = (
    "(collectors in this ledger: Camille Laurent, Ethan Brooks, Hugo Mercier, Jonas Becker, Lena Hoffmann, "
    "Maria Alvarez)"
)
STALE = (
    "error: --as-of 2027-06-30 is 222 days after the ledger's last data (2026-11-20): "
    "the ledger looks stale; re-import it, or pass --allow-future\n"
)


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def refused(result: subprocess.CompletedProcess, message: str) -> None:
    """Exit 2, exactly ``error: message`` on stderr, nothing on stdout, no traceback."""
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""


# --------------------------------------------------------------------------- the library


def test_name_problem_lists_and_suggests_ignoring_case() -> None:
    known = ["FR01", "DE01", "US01"]
    assert name_problem("entity", "FR01", known) is None
    assert name_problem("entity", "NOPE", known) == f"unknown entity 'NOPE' {ENTITIES}"
    assert name_problem("entity", "fr01", known) == f"unknown entity 'fr01' {ENTITIES}; did you mean 'FR01'?"
    assert name_problem("entity", "FR1", known) == f"unknown entity 'FR1' {ENTITIES}; did you mean 'FR01'?"
    assert name_problem("sales rep", "x", []) == "unknown sales rep 'x' (this ledger has no sales reps)"
    many = [f"C{n:06d}" for n in range(1, 14)]
    assert name_problem("customer", "c000013", many) == (
        "unknown customer 'c000013' (13 customers in this ledger); did you mean 'C000013'?"
    )
    assert suggestion("hugo MERCIER", ["Hugo Mercier", "Hugo Martin"]) == "Hugo Mercier"
    assert suggestion("zzz", ["Hugo Mercier"]) is None


def test_known_names_of_the_demo_ledger(small_demo) -> None:
    led = load_ledger(small_demo)
    assert known_names(led, "entity") == ["DE01", "FR01", "US01"]
    assert len(known_names(led, "collector")) == 6 and "Hugo Mercier" in known_names(led, "collector")
    assert len(known_names(led, "sales rep")) == 10
    assert len(known_names(led, "customer")) == 120
    with pytest.raises(UnknownNameError) as err:
        check_name(led, "sales rep", "anna de boer")
    assert str(err.value) == "unknown sales rep 'anna de boer' (sales reps in this ledger: Anna de Boer, " + (
        "Antoine Roux, Beatriz Costa, Diego Ramos, Felix Wagner, Julie Marchand, Marco Bellini, Oliver Grant, "
        "Rachel Kim, Sofia Ribeiro); did you mean 'Anna de Boer'?"
    )
    check_name(led, "entity", None)
    check_name(led, "customer", "C000001")


def test_last_data_date_is_the_latest_of_documents_payments_and_allocations() -> None:
    docs = pl.DataFrame({"doc_date": [date(2026, 1, 5), date(2026, 3, 1)]})
    pays = pl.DataFrame({"value_date": [date(2026, 3, 9)]})
    allocs = pl.DataFrame({"allocation_date": [date(2026, 3, 12)]})
    empty = pl.DataFrame({"value_date": []}, schema={"value_date": pl.Date})
    assert last_data_date(docs, pays, allocs) == date(2026, 3, 12)
    assert last_data_date(docs, empty, allocs.clear()) == date(2026, 3, 1)
    assert last_data_date(docs.clear(), empty, allocs.clear()) is None
    assert days_after_data(date(2026, 3, 12), date(2026, 4, 12)) is None  # 31 days: still fresh
    assert days_after_data(date(2026, 3, 12), date(2026, 4, 13)) == 32
    assert days_after_data(None, date(2030, 1, 1)) is None
    assert stale_note(date(2026, 11, 20), date(2026, 12, 1)) is None


# --------------------------------------------------------------------------- unknown names in commands


def test_unknown_entity_is_refused_by_every_command(small_demo) -> None:
    ledger = str(small_demo)
    for args in (
        ("kpis", "--as-of", AS_OF),
        ("aging", "--as-of", AS_OF),
        ("forecast", "--as-of", AS_OF),
        ("forecast", "backtest", "--from", "2026-06-01", "--to", "2026-07-01"),
    ):
        refused(run(*args, "--ledger", ledger, "--entity", "NOPE"), f"unknown entity 'NOPE' {ENTITIES}")
    refused(
        run("kpis", "--ledger", ledger, "--as-of", AS_OF, "--entity", "fr01"),
        f"unknown entity 'fr01' {ENTITIES}; did you mean 'FR01'?",
    )
    assert run("kpis", "--ledger", ledger, "--as-of", AS_OF, "--entity", "FR01").returncode == 0


def test_unknown_collector_and_customer_are_refused(small_demo) -> None:
    ledger = str(small_demo)
    refused(
        run("worklist", "--ledger", ledger, "--as-of", AS_OF, "--collector", "Nobody"),
        f"unknown collector 'Nobody' {COLLECTORS}",
    )
    refused(
        run("worklist", "--ledger", ledger, "--as-of", AS_OF, "--collector", "hugo mercier"),
        f"unknown collector 'hugo mercier' {COLLECTORS}; did you mean 'Hugo Mercier'?",
    )
    check = ("credit", "check", "--ledger", ledger, "--as-of", AS_OF, "--amount", "100.00", "--customer")
    refused(run(*check, "NOPE"), "unknown customer 'NOPE' (120 customers in this ledger)")
    refused(
        run(*check, "c000002"), "unknown customer 'c000002' (120 customers in this ledger); did you mean 'C000002'?"
    )
    assert run(*check, "C000002").returncode == 0
    refused(
        run(*check, "C000002", "--currency", "usd"),
        "unknown currency 'usd' (currencies in this ledger: BRL, EUR, GBP, MXN, USD); did you mean 'USD'?",
    )


# --------------------------------------------------------------------------- reports


def test_report_with_unknown_names_stops_before_running(small_demo, tmp_path) -> None:
    out = tmp_path / "out"
    result = run(
        "report", "weekly", "--ledger", str(small_demo), "--as-of", AS_OF, "--entity", "NOPE", "--out", str(out)
    )
    assert result.returncode == 2
    assert result.stderr.endswith(f"error: unknown entity 'NOPE' {ENTITIES}\n")
    assert "Traceback" not in result.stderr
    with pytest.raises(UnknownNameError) as err:
        registry.run("forecast", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=tmp_path / "f", entity="us01")
    assert str(err.value) == f"unknown entity 'us01' {ENTITIES}; did you mean 'US01'?"
    assert not (tmp_path / "f").exists()
    with pytest.raises(UnknownNameError) as cerr:
        registry.run("customer", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=tmp_path / "c", customer_id="C999999")
    assert str(cerr.value) == "unknown customer 'C999999' (120 customers in this ledger)"
    assert not (tmp_path / "c").exists()


def test_report_builds_refuse_unknown_entities_and_warn_when_stale(small_demo) -> None:
    led = load_ledger(small_demo)
    with pytest.raises(UnknownCustomerError) as err:
        customer.build(led, customer.Params.of(AS_OF, "c000002"))
    assert str(err.value) == "unknown customer 'c000002' (120 customers in this ledger); did you mean 'C000002'?"
    with pytest.raises(UnknownNameError):
        weekly.build(led, weekly.Params.of(AS_OF, "NOPE"))
    with pytest.raises(UnknownNameError):
        cash_forecast.build(led, cash_forecast.Params.of(AS_OF, "NOPE"))
    assert weekly.build(led, weekly.Params.of(AS_OF)).stale is None
    data = weekly.build(led, weekly.Params.of("2027-02-20"))
    assert data.stale == (
        "The as-of date 2027-02-20 is 92 days after the ledger's last data (2026-11-20): the ledger looks stale, "
        "so items may show as overdue that were paid since, and cash received after 2026-11-20 is missing. "
        "Re-import the ledger for current figures."
    )


# --------------------------------------------------------------------------- stale as-of


def test_stale_as_of_is_refused_unless_allowed(small_demo) -> None:
    ledger = str(small_demo)
    for args in (
        ("kpis",),
        ("aging",),
        ("worklist",),
        ("forecast",),
        ("credit", "score"),
        ("credit", "limits"),
        ("credit", "exposure"),
        ("credit", "check", "--customer", "C000002", "--amount", "10.00"),
    ):
        result = run(*args, "--ledger", ledger, "--as-of", "2027-06-30")
        assert (result.returncode, result.stderr) == (2, STALE), args
    backtest = run("forecast", "backtest", "--ledger", ledger, "--from", "2026-06-01", "--to", "2027-06-30")
    assert backtest.returncode == 2
    assert backtest.stderr == STALE.replace("--as-of", "--to")
    allowed = run("kpis", "--ledger", ledger, "--as-of", "2027-06-30", "--allow-future")
    assert allowed.returncode == 0, allowed.stderr
    assert run("kpis", "--ledger", ledger, "--as-of", "2026-12-21").returncode == 0  # 31 days after: fresh


# --------------------------------------------------------------------------- journal


def test_journal_add_refuses_an_unknown_customer(small_demo, tmp_path) -> None:
    journal = str(tmp_path / "journal.sqlite")
    assert run("journal", "init", "--journal", journal).returncode == 0
    note = ("journal", "add", "note", "--author", "Ann", "--on", AS_OF, "--text", "called", "--journal", journal)
    for kind_args in (
        note,
        ("journal", "add", "promise", "--author", "Ann", "--on", AS_OF, "--amount", "5.00", "--currency", "EUR"),
        ("journal", "add", "flag", "--author", "Ann", "--on", AS_OF, "--flag", "no_dunning"),
    ):
        args = (*kind_args, "--journal", journal) if "--journal" not in kind_args else kind_args
        refused(
            run(*args, "--customer", "c000002", "--ledger", str(small_demo)),
            "unknown customer 'c000002' (120 customers in this ledger); did you mean 'C000002'?",
        )
    listed = run("journal", "list", "--journal", journal, "--format", "json")
    assert listed.returncode == 0 and listed.stdout.strip() == "[]"  # nothing was written
    refused(
        run("journal", "list", "--journal", journal, "--customer", "c000002", "--ledger", str(small_demo)),
        "unknown customer 'c000002' (120 customers in this ledger); did you mean 'C000002'?",
    )
    known = run(*note, "--customer", "C000002", "--ledger", str(small_demo))
    assert known.returncode == 0, known.stderr
    history = run("journal", "list", "--journal", journal, "--customer", "C000002", "--ledger", str(small_demo))
    assert history.returncode == 0 and history.stdout.count("\n") == 2  # header and the one note
    unchecked = run(*note, "--customer", "ANY1", cwd=tmp_path)
    assert unchecked.returncode == 0
    assert unchecked.stderr == (
        "note: no ledger to check customer 'ANY1' against (give --ledger or work in a workspace); recorded as given\n"
    )


# --------------------------------------------------------------------------- other mistakes


def test_out_file_in_a_missing_folder_is_refused_before_work(small_demo, tmp_path) -> None:
    target = tmp_path / "missing" / "aging.csv"
    refused(
        run("aging", "--ledger", str(small_demo), "--as-of", AS_OF, "--out", str(target)),
        f"--out {target}: the folder {target.parent} does not exist (create it first)",
    )
    refused(
        run("worklist", "--ledger", str(small_demo), "--as-of", AS_OF, "--out", str(tmp_path)),
        f"--out {tmp_path} is a folder: give a file name",
    )


def test_report_out_that_cannot_be_a_folder_is_refused(small_demo, tmp_path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    base = ("report", "weekly", "--ledger", str(small_demo), "--as-of", AS_OF, "--no-pdf", "--out")
    as_file = run(*base, str(blocker))  # typer's own check of a folder option
    assert (
        as_file.returncode == 2 and "Invalid value for '--out'" in as_file.stderr and "Traceback" not in as_file.stderr
    )
    refused(run(*base, str(blocker / "sub" / "dir")), f"--out {blocker / 'sub' / 'dir'}: {blocker} is not a folder")
