"""Pure presentation helpers: format, tables (snapshot), charts, display."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from workbench.render import charts, display
from workbench.render.format import MISSING, Delta, days, delta, money_grouped, money_short, pct
from workbench.render.tables import html_table

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
HOSTILE = "<script>alert(1)</script>"


# --------------------------------------------------------------------- format


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("1234567.89"), None, "1,234,567.89"),
        (Decimal("1234567.89"), "EUR", "EUR 1,234,567.89"),
        (Decimal("-1234.5"), None, "-1,234.50"),
        (Decimal("-1234.5"), "EUR", "EUR -1,234.50"),
        (None, "EUR", MISSING),
        (0, None, "0.00"),
        (42, "USD", "USD 42.00"),
        (Decimal("-0.004"), None, "0.00"),  # no "-0.00"
        (Decimal("0.125"), None, "0.12"),  # half-even
        (Decimal("0.135"), None, "0.14"),  # half-even
        (Decimal("12345678901234567890123456789.5"), None, "12,345,678,901,234,567,890,123,456,789.50"),
    ],
)
def test_money(value: Any, currency: str | None, expected: str) -> None:
    assert money_grouped(value, currency) == expected


def test_money_decimals_and_refuses_float() -> None:
    assert money_grouped(Decimal("1234.5"), decimals=0) == "1,234"
    assert money_grouped(Decimal("1235.5"), decimals=0) == "1,236"
    with pytest.raises(TypeError, match="float"):
        money_grouped(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        money_grouped(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        money_grouped(Decimal("NaN"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234567"), "EUR 1.23m"),
        (Decimal("845000"), "EUR 845k"),
        (Decimal("845499.99"), "EUR 845k"),
        (Decimal("999999"), "EUR 1.00m"),  # promoted, never "1000k"
        (Decimal("999.6"), "EUR 1k"),
        (Decimal("950"), "EUR 950"),
        (Decimal("-1234567"), "EUR -1.23m"),
        (Decimal("2500000000"), "EUR 2.50bn"),
        (Decimal("0.2"), "EUR 0"),
        (None, MISSING),
    ],
)
def test_money_short(value: Decimal | None, expected: str) -> None:
    assert money_short(value, "EUR") == expected


def test_money_short_without_currency() -> None:
    assert money_short(Decimal("1500000")) == "1.50m"


def test_pct_and_days() -> None:
    assert pct(0.1234) == "12.3%"
    assert pct(Decimal("0.5")) == "50.0%"
    assert pct(1) == "100.0%"
    assert pct(0.12345, 2) == "12.34%"  # half-even on the shortest repr
    assert pct(None) == MISSING
    assert pct(float("nan")) == MISSING
    assert days(42) == "42 days"
    assert days(1) == "1 day"
    assert days(41.75, 1) == "41.8 days"
    assert days(None) == MISSING


def test_delta() -> None:
    assert delta(Decimal("1200000"), Decimal("1000000"), "money", currency="EUR") == Delta("EUR +200k", "up")
    assert delta(Decimal("1000"), Decimal("1450"), "money") == Delta("-450", "down")
    assert delta(Decimal("1000"), Decimal("1000.20"), "money") == Delta("no change", "flat")
    assert delta(0.25, 0.2, "pct") == Delta("+5.0 pp", "up")
    assert delta(40, 41, "days") == Delta("-1 day", "down")
    assert delta(42.4, 43.2, "days", decimals=1) == Delta("-0.8 days", "down")
    assert delta(17, 5, "count") == Delta("+12", "up")
    assert delta(5, 5, "count") == Delta("no change", "flat")
    assert delta(None, 5, "count") == Delta(MISSING, "flat")
    with pytest.raises(TypeError):
        delta(1.5, Decimal(1), "money")
    with pytest.raises(ValueError):
        delta(1, 2, "weeks")  # type: ignore[arg-type]


# --------------------------------------------------------------------- tables


def _snapshot_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Customer": [HOSTILE, 'Acme & Sons "Ltd"', "Globex"],
            "Due": [date(2025, 1, 31), None, date(2025, 2, 28)],
            "Balance": [Decimal("1234.50"), Decimal("-20.10"), Decimal("0.20")],
            "Overdue": [0.125, None, 1.0],
            "Invoices": [3, 1, 12],
        },
        schema_overrides={"Balance": pl.Decimal(18, 2)},
    )


def test_html_table_snapshot() -> None:
    html = html_table(
        _snapshot_frame(),
        money_columns=["Balance"],
        pct_columns=["Overdue"],
        int_columns=["Invoices"],
        currency="EUR",
        caption="Top <customers>",
        total_row=True,
        max_rows=2,
    )
    snapshot = FIXTURES / "table_snapshot.html"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(html, encoding="utf-8")
    assert html == snapshot.read_text(encoding="utf-8")


def test_html_table_escapes_everything() -> None:
    frame = pl.DataFrame({"<b>name</b>": [HOSTILE, "Tom & Jerry", "\"quoted\" 'single'"]})
    html = html_table(frame, caption="<i>caption</i>")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;name&lt;/b&gt;" in html
    assert "&lt;i&gt;caption&lt;/i&gt;" in html
    assert "Tom &amp; Jerry" in html
    assert "&quot;quoted&quot; &#x27;single&#x27;" in html


def test_html_table_total_is_exact_and_counts_hidden_rows() -> None:
    frame = pl.DataFrame(
        {"name": ["a", "b", "c"], "amount": [Decimal("0.10"), Decimal("0.20"), None]},
        schema_overrides={"amount": pl.Decimal(10, 2)},
    )
    html = html_table(frame, money_columns=["amount"], total_row=True)
    assert '<td class="num money">0.30</td></tr>\n</tfoot>' in html
    cut = html_table(frame, money_columns=["amount"], total_row=True, max_rows=1)
    assert "Total (all 3 rows)" in cut and "2 more rows not shown" in cut
    assert '<td class="num money">0.30</td></tr>\n</tfoot>' in cut


def test_html_table_numeric_cells_are_right_aligned_classes() -> None:
    frame = pl.DataFrame({"name": ["a"], "n": [5], "x": [1.5]})
    html = html_table(frame, int_columns=["n"])
    assert '<th scope="col" class="num">n</th>' in html
    assert '<th scope="col" class="num">x</th>' in html  # detected numeric column
    assert '<td class="num int">5</td>' in html
    assert '<td class="num">1.5</td>' in html  # undeclared numbers still right-aligned


def test_html_table_rejects_float_money_and_unknown_columns() -> None:
    frame = pl.DataFrame({"name": ["a"], "amount": [1.5]})
    with pytest.raises(TypeError):
        html_table(frame, money_columns=["amount"])
    with pytest.raises(KeyError, match="missing"):
        html_table(frame, money_columns=["missing"])


def test_html_table_accepts_pandas() -> None:
    frame = pd.DataFrame({"name": [HOSTILE, None], "amount": [Decimal("1.50"), Decimal("2.00")], "n": [1, 2]})
    html = html_table(frame, money_columns=["amount"], int_columns=["n"], total_row=True)
    assert "&lt;script&gt;" in html and HOSTILE not in html
    assert f"<td>{MISSING}</td>" in html  # pandas' missing string is not "nan"
    assert '<td class="num money">3.50</td>' in html


# --------------------------------------------------------------------- charts


def _aging() -> pl.DataFrame:
    rows = []
    for week_index, week in enumerate([date(2025, 1, 3), date(2025, 1, 10), date(2025, 1, 17)]):
        for bucket_index, bucket in enumerate(["120+", "1-30", "current", "31-60", "61-90", "91-120"]):
            rows.append((week, bucket, Decimal(100000 * (bucket_index + 1) + 5000 * week_index)))
    return pl.DataFrame(rows, schema={"week": pl.Date, "bucket": pl.String, "amount": pl.Decimal(18, 2)}, orient="row")


def test_charts_return_deterministic_png() -> None:
    first = charts.stacked_aging_trend(_aging(), currency="EUR")
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert first == charts.stacked_aging_trend(_aging(), currency="EUR")
    assert b"Software" not in first and b"matplotlib" not in first.lower()

    dso = pl.DataFrame({"week": [date(2025, 1, 3), date(2025, 1, 10)], "dso": [45.2, 44.1]})
    line = charts.line_trend(dso, "week", "dso", "DSO", "Days", target=40)
    assert line.startswith(b"\x89PNG") and line == charts.line_trend(dso, "week", "dso", "DSO", "Days", target=40)

    reasons = pl.DataFrame(
        {"reason": ["$mith & Co $x$", HOSTILE, "Pricing"], "amount": [Decimal("5"), Decimal("7"), Decimal("9")]}
    )
    bars = charts.bar_chart(reasons, "reason", "amount", "Disputes by reason", currency="EUR")
    assert bars.startswith(b"\x89PNG")


def test_bar_chart_orders() -> None:
    weeks = pl.DataFrame({"week": [date(2025, 1, 10), date(2025, 1, 3)], "cash": [Decimal("5"), Decimal("9")]})
    by_time = charts.bar_chart(weeks, "week", "cash", "Cash")  # dates: time order by default
    assert by_time == charts.bar_chart(weeks, "week", "cash", "Cash", order="label")
    assert by_time != charts.bar_chart(weeks, "week", "cash", "Cash", order="value")


def test_charts_handle_empty_frames() -> None:
    empty = pl.DataFrame(schema={"week": pl.Date, "bucket": pl.String, "amount": pl.Decimal(18, 2)})
    assert charts.stacked_aging_trend(empty).startswith(b"\x89PNG")
    assert charts.bar_chart(pl.DataFrame(schema={"l": pl.String, "v": pl.Int64}), "l", "v", "t").startswith(b"\x89PNG")


def test_bucket_order_and_palette() -> None:
    labels = ["120+", "31-60", "current", "1-30", "91-120", "61-90"]
    assert sorted(labels, key=charts.bucket_sort_key) == ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
    colours = charts.bucket_colours(6)
    assert colours[0] == charts.AGING_COLOURS[0] and colours[-1] == charts.AGING_COLOURS[-1]
    assert charts.axis_amount(2_500_000) == "2.5m" and charts.axis_amount(845_000) == "845k"


# -------------------------------------------------------------------- display


def test_kpi_cards_escape_and_colour() -> None:
    cards = [
        display.Card(HOSTILE, "EUR 1.23m", "EUR +12k", "up", good_when="down", note="vs <last> week"),
        display.Card("Collected", "EUR 845k", "EUR +45k", "up", good_when="up"),
        display.Card("DSO", "42 days", "no change", "flat", good_when="down"),
        display.Card("Plain", "7"),
    ]
    html = display.kpi_cards_html(cards)
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert "vs &lt;last&gt; week" in html
    assert html.count("wb-kpi-delta wb-bad") == 1
    assert html.count("wb-kpi-delta wb-good") == 1
    assert html.count("wb-kpi-delta wb-neutral") == 1
    assert html.count('class="wb-kpi"') == 4
    assert "repeat(4, minmax(0, 1fr))" in html
    seven = display.kpi_cards_html([display.Card(str(n), "1") for n in range(7)])
    assert "repeat(4, minmax(0, 1fr))" in seven  # 4 + 3, not 6 + 1
    assert "repeat(6, minmax(0, 1fr))" in display.kpi_cards_html([display.Card(str(n), "1") for n in range(6)])


def test_section_and_note_escape() -> None:
    assert "&lt;b&gt;" in display.section_html("<b>Title</b>", "<i>sub</i>")
    assert "wb-page-break" in display.section_html("T", page_break=True)
    note = display.note_html("line <1>\nline & 2")
    assert note == '<p class="wb-note wb-note-info">line &lt;1&gt;<br>line &amp; 2</p>'


def test_display_helpers_emit_ipython_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr(display, "display", shown.append)
    png = charts.bar_chart(pl.DataFrame({"l": ["a"], "v": [1]}), "l", "v", "t")
    display.kpi_cards([display.Card("A", "1")])
    display.section("S")
    display.show_table("<table></table>")
    display.show_png(png, alt="Chart <alt>")
    display.note(HOSTILE)
    kinds = [type(obj).__name__ for obj in shown]
    assert kinds == ["HTML", "HTML", "HTML", "Image", "HTML"]
    monkeypatch.setattr(display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    display.report_header(company="X", as_of="", title=None)
    assert shown[-1] == ({display.HEADER_MIMETYPE: {"company": "X"}, "text/plain": ""}, True)
    assert shown[3].alt == "Chart <alt>"
    assert HOSTILE not in shown[4].data
    with pytest.raises(ValueError):
        display.show_png(b"GIF89a")
