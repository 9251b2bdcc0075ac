"""The journal under concurrent writers and a writer killed mid-way (SQLite and PostgreSQL).

Writers are separate processes ('spawn'), as when several collectors' notebooks
or a scheduled dunning run write to the same journal.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from datetime import date

import pytest

from workbench.journal import Journal
from workbench.journal.backends import is_postgres_url

ON = date(2026, 11, 20)


def _write_contacts(target: str, worker: int, count: int, barrier) -> None:
    """Child process: wait for the others, open the (maybe brand-new) journal, append ``count`` contacts."""
    barrier.wait(timeout=60)
    with Journal.open(target, author=f"worker-{worker}", create=True) as journal:
        for number in range(count):
            journal.log_contact(f"C{worker}", "call", f"contact {number}", on=ON)


def _append_until_killed(target: str, report: str) -> None:
    """Child process: append notes forever, reporting each id once its transaction has committed."""
    handle = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    with Journal.open(target, author="crash", create=True) as journal:
        number = 0
        while True:
            entry = journal.add_note("C1", f"note {number}", on=ON)
            os.write(handle, f"{entry}\n".encode())
            number += 1


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared" / "journal.db")
    return request.getfixturevalue("pg_journal_url")


def _spawn():
    return multiprocessing.get_context("spawn")


def test_concurrent_writers_lose_nothing_and_keep_one_chain(target) -> None:
    workers, each = 4, (100 if is_postgres_url(target) else 150)
    context = _spawn()
    barrier = context.Barrier(workers)
    processes = [
        context.Process(target=_write_contacts, args=(target, worker, each, barrier)) for worker in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * workers

    with Journal.open(target, create=True) as journal:
        history = journal.history()
        assert history.height == workers * each
        assert history["uid"].n_unique() == workers * each
        assert sorted(history["author"].value_counts()["count"].to_list()) == [each] * workers
        assert history["id"].is_sorted() and history["id"].n_unique() == workers * each
        for worker in range(workers):  # each writer's own entries are in its order
            outcomes = history.filter(history["author"] == f"worker-{worker}")["details"].to_list()
            assert [f'"contact {n}"' in text for n, text in enumerate(outcomes)] == [True] * each
        assert journal.verify() == []
        assert journal.schema_version() == 3


def test_a_writer_killed_mid_way_leaves_a_consistent_journal(target, tmp_path) -> None:
    report = tmp_path / "committed.txt"
    process = _spawn().Process(target=_append_until_killed, args=(target, str(report)))
    process.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if report.exists() and report.read_text().count("\n") >= 40:
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=10)
    assert process.exitcode == -signal.SIGKILL

    committed = [int(line) for line in report.read_text().splitlines()]
    assert len(committed) >= 40
    if not is_postgres_url(target):
        conn = sqlite3.connect(target)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
    with Journal.open(target, author="after", create=True) as journal:
        ids = journal.history()["id"].to_list()
        # every reported id is there; at most the one in flight committed without being reported
        assert set(committed) <= set(ids)
        assert len(ids) in (len(committed), len(committed) + 1)
        assert journal.verify() == []  # no partial row: every row's hash matches its content and link
        journal.add_note("C1", "after the crash", on=ON)
        assert journal.verify() == []
        assert journal.history().height == len(ids) + 1
