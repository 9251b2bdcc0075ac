"""The weekly collections report run end to end by papermill, as the scheduler does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from workbench.errors import ReportError
from workbench.kpis import kpis
from workbench.ledger import load_ledger
from workbench.reports import registry

from .builders import inv, write_ledger
from .conftest import SMALL_AS_OF


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.scripts += tag == "script"
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


@pytest.fixture(scope="module")
def weekly(small_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("weekly")
    result = registry.run("weekly", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=out)
    return result, json.loads((out / "weekly_summary.json").read_text())


def test_summary_agrees_with_the_library(weekly, small_demo) -> None:
    _, summary = weekly
    k = kpis(load_ledger(small_demo), SMALL_AS_OF)
    assert summary["as_of"] == "2026-11-20" and summary["reporting_currency"] == "EUR"
    assert summary["total_ar"] == str(k.total_ar)
    assert summary["overdue"] == str(k.overdue)
    assert summary["dso_countback"] == k.dso_countback
    assert Decimal(summary["over_90"]) == k.aging["91-120"] + k.aging["120+"]
    last_week = kpis(load_ledger(small_demo), SMALL_AS_OF.replace(day=13))
    assert summary["total_ar_last_week"] == str(last_week.total_ar)
    assert Decimal(summary["cash_collected_week"]) > 0
    assert summary["quarantined_rows"] == 0


def test_html_is_offline_shows_no_code_and_pdf_exists(weekly) -> None:
    result, _ = weekly
    html = result.html.read_text(encoding="utf-8")
    refs = _Refs()
    refs.feed(html)
    assert not [r for r in refs.refs if re.match(r"^(https?:)?//", r)]
    assert "build_weekly(" not in html and "import " not in html  # no code input shown
    for heading in (
        "Headlines",
        "Aging trend",
        "Top overdue customers",
        "Over 90 days past due",
        "Customers on hold or in litigation",
        "Disputes by reason and age",
        "Cash collected",
        "DSO trend",
        "Data quality",
    ):
        assert heading in html, heading
    assert html.count("data:image/png;base64") >= 4
    assert result.pdf is not None and result.pdf.read_bytes().startswith(b"%PDF")


def test_hostile_customer_name_is_escaped(tmp_path) -> None:
    customers = [
        {
            "customer_id": "C1",
            "name": "<script>alert('x')</script> Trading",
            "country": "FR",
            "currency": "EUR",
            "status": "hold",
        }
    ]
    led = write_ledger(tmp_path / "l", customers=customers, documents=[inv("A", "2025-01-01", "2025-01-31", "500.00")])
    result = registry.run(
        "weekly", ledger=led, as_of=SMALL_AS_OF.replace(year=2025, month=6), out_dir=tmp_path / "out", pdf=False
    )
    html = result.html.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html


def test_failing_run_names_the_cell_and_the_reason(tmp_path) -> None:
    customers = [{"customer_id": "C1", "name": "A", "country": "US", "currency": "USD"}]
    led = write_ledger(
        tmp_path / "l", customers=customers, documents=[inv("A", "2025-01-01", "2025-01-31", "5.00", currency="USD")]
    )
    with pytest.raises(ReportError) as err:
        registry.run("weekly", ledger=led, as_of=SMALL_AS_OF, out_dir=tmp_path / "out", pdf=False)
    message = str(err.value)
    assert "MissingRateError" in message and "no FX rate for USD" in message
    assert "cell In [3]" in message and "weekly_collections" in message
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "report",
            "weekly",
            "--ledger",
            str(led),
            "--as-of",
            "2026-11-20",
            "--out",
            str(tmp_path / "cli"),
            "--no-pdf",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 2 and "MissingRateError" in res.stderr
