"""Shared fixtures: a small demo ledger generated once per test session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from workbench.demo import generate_demo

SMALL_AS_OF = date(2026, 11, 20)


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
def pg_journal_url(postgres_url):
    """URL of a new, empty PostgreSQL database (dropped after the test)."""
    url = fresh_database(postgres_url)
    yield url
    drop_database(postgres_url, url)
