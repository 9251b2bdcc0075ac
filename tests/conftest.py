"""Shared fixtures: a small demo ledger generated once per test session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import os
import shutil
import tempfile

import pytest

from workbench.demo import generate_demo

SMALL_AS_OF = date(2026, 11, 20)


def pytest_configure(config: pytest.Config) -> None:
    """Generate the demo company for the committed notebooks (nbval) once, before any worker starts."""
    if hasattr(config, "workerinput") or os.environ.get("WORKBENCH_LEDGER"):
        return  # an xdist worker inherits the controller's folder, or the caller named one
    from .demo_company import ensure_demo_journal, ensure_demo_ledger

    root = Path(tempfile.mkdtemp(prefix="workbench-demo-"))
    ledger = ensure_demo_ledger(root / "ledger")
    ensure_demo_journal(ledger, root / "journal.sqlite")
    os.environ["WORKBENCH_LEDGER"] = str(ledger)
    config._workbench_demo_root = root  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's demo company."""
    root = getattr(config, "_workbench_demo_root", None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)
        os.environ.pop("WORKBENCH_LEDGER", None)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """A 120-customer demo ledger (deterministic, generated in about a second)."""
    folder = tmp_path_factory.mktemp("small_demo") / "ledger"
    generate_demo(folder, customers=120, seed=7, as_of=SMALL_AS_OF)
    return folder


# --- PostgreSQL for the journal tests (see tests/postgres.py) ---------------------------------

from .postgres import drop_database, fresh_database, postgres_server  # noqa: E402


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a PostgreSQL server for this test session (skips the test when none is available)."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_journal_url(postgres_url, tmp_path, monkeypatch):
    """URL of a new, empty PostgreSQL database (dropped after the test).

    Its journal key lives in a file of the test's own (a PostgreSQL journal
    has no default key location): ``WORKBENCH_JOURNAL_KEY_FILE`` names it.
    """
    monkeypatch.setenv("WORKBENCH_JOURNAL_KEY_FILE", str(tmp_path / "pg-journal.key"))
    url = fresh_database(postgres_url)
    yield url
    drop_database(postgres_url, url)
