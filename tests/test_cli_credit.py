"""The credit commands of issue 5, run as a credit manager would (subprocess)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal

from .conftest import SMALL_AS_OF

AS_OF = SMALL_AS_OF.isoformat()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", "credit", *args], capture_output=True, text=True, timeout=300
    )


def test_score_csv_has_a_class_and_an_explanation_per_customer(small_demo) -> None:
    res = run("score", "--ledger", str(small_demo), "--as-of", AS_OF)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 120
    scored = [r for r in rows if r["score"]]
    assert len(scored) > 100
    assert {r["risk_class"] for r in scored} <= {"A", "B", "C", "D", "E"}
    assert all(0 <= Decimal(r["score"]) <= 100 for r in scored)
    assert all(r["explanation"].startswith(r["score"]) for r in scored)


def test_limits_and_exposure_json(small_demo) -> None:
    limits = json.loads(run("limits", "--ledger", str(small_demo), "--as-of", AS_OF, "--format", "json").stdout)
    assert limits["as_of"] == AS_OF and len(limits["limits"]) == 120
    exposure = json.loads(run("exposure", "--ledger", str(small_demo), "--as-of", AS_OF, "--format", "json").stdout)
    assert len(exposure["exposure"]) == 120
    over = json.loads(
        run("exposure", "--ledger", str(small_demo), "--as-of", AS_OF, "--format", "json", "--over-limit").stdout
    )
    assert 0 < len(over["exposure"]) < 120


def test_order_check_answers_with_reasons(small_demo) -> None:
    scores = list(csv.DictReader(io.StringIO(run("score", "--ledger", str(small_demo), "--as-of", AS_OF).stdout)))
    held = next(r["customer_id"] for r in scores if r["status"] in ("hold", "litigation"))
    res = run("check", "--ledger", str(small_demo), "--as-of", AS_OF, "--customer", held, "--amount", "10.00")
    decision = json.loads(res.stdout)
    assert res.returncode == 0 and decision["outcome"] == "hold"
    assert any(f["code"] == "status" for f in decision["findings"])
    huge = json.loads(
        run(
            "check", "--ledger", str(small_demo), "--as-of", AS_OF, "--customer", held, "--amount", "999999999.00"
        ).stdout
    )
    assert any(f["code"] == "over_limit" for f in huge["findings"])
    bad = run("check", "--ledger", str(small_demo), "--as-of", AS_OF, "--customer", held, "--amount", "ten")
    assert bad.returncode == 2 and "--amount 'ten' is not a decimal number" in bad.stderr


def test_customer_report_file_name_never_follows_customer_text(small_demo, tmp_path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "report",
            "customer",
            "--ledger",
            str(small_demo),
            "--customer",
            "../../evil",
            "--as-of",
            AS_OF,
            "--out",
            str(tmp_path / "out"),
            "--no-pdf",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 2 and "unknown customer '../../evil' (120 customers in this ledger)" in res.stderr
    written = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []  # refused before the notebook ran: no file at all, so none outside out/
