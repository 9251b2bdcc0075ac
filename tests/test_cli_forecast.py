"""The forecast commands of issue 3, as a treasury analyst would run them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=300)


def test_forecast_csv_columns_and_bands(small_demo) -> None:
    res = run("forecast", "--ledger", str(small_demo), "--as-of", "2026-11-22", "--weeks", "13")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == ["week_start", "entity", "currency", "expected", "p10", "p90", "expected_reporting"]
    assert rows[0]["week_start"] == "2026-11-23"  # ISO week containing D + 1 starts on Monday
    for row in rows:
        assert Decimal(row["p10"]) <= Decimal(row["expected"]) <= Decimal(row["p90"])
    assert len({r["week_start"] for r in rows}) == 13


def test_backtest_json_has_every_horizon_and_method(small_demo) -> None:
    res = run(
        "forecast",
        "backtest",
        "--ledger",
        str(small_demo),
        "--from",
        "2026-03-01",
        "--to",
        "2026-05-31",
        "--format",
        "json",
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    pairs = {(r["horizon"], r["method"]) for r in doc["rows"]}
    assert pairs == {(h, m) for h in ("1", "2-4", "5-13") for m in ("model", "due_date", "average_delay")}
    assert all(r["weeks"] > 0 and r["wape"] >= 0 for r in doc["rows"])
    bad = run("forecast", "backtest", "--ledger", str(small_demo), "--from", "2026-05-31", "--to", "2026-03-01")
    assert bad.returncode == 2 and "is before" in bad.stderr
