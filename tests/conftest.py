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
