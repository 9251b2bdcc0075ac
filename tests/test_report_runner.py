"""run_report end to end: papermill → HTML (report template) → PDF, and failures.

Each real run starts a kernel (a few seconds), so the successful run is shared
by a module-scoped fixture and the failing run is done once.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from workbench.errors import ReportError
from workbench.reports.runner import ReportResult, export_html, remote_references, run_report

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
HOSTILE = "<script>alert(1)</script>"


class _Links(HTMLParser):
    """Every src/href attribute value in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.values.extend(value or "" for name, value in attrs if name in {"src", "href"})


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.values


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportResult, Path]:
    out = tmp_path_factory.mktemp("report")
    result = run_report(
        FIXTURES / "report_ok.ipynb",
        {"company": "Test Co", "as_of": "2025-02-07", "region": "APAC", "threshold": 42, "summary_dir": out},
        out,
        "weekly",
    )
    return result, out


def test_result_paths_and_parameters(report: tuple[ReportResult, Path]) -> None:
    result, out = report
    assert result.ipynb == out / "weekly.ipynb" and result.ipynb.is_file()
    assert result.html == out / "weekly.html" and result.html.is_file()
    assert result.pdf == out / "weekly.pdf"
    assert result.seconds > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.seconds = 0  # type: ignore[misc]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["company"] == "Test Co"
    assert summary["as_of"] == "2025-02-07"
    assert summary["region"] == "APAC"
    assert summary["threshold"] == 42


def test_kernel_is_this_interpreter(report: tuple[ReportResult, Path]) -> None:
    summary = json.loads((report[1] / "summary.json").read_text())
    assert summary["python"] == sys.executable


def test_html_shows_outputs_not_code(report: tuple[ReportResult, Path]) -> None:
    html = report[0].html.read_text(encoding="utf-8")
    assert "SECRET-CODE-COMMENT" not in html  # no code input
    assert "import polars" not in html
    assert "In&nbsp;[" not in html and "Out[" not in html  # no prompts
    assert "stderr-noise-should-not-appear" not in html  # warnings/stderr hidden
    assert "stdout line for the reader" not in html  # (it went to stderr)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE not in html
    assert "<script" not in html  # no JavaScript at all
    assert "data:image/png;base64," in html
    assert "A short paragraph written in <strong>markdown</strong>" in html
    assert "wb-kpi-value" in html and "EUR 1.23m" in html
    assert "1,314.49" in html  # exact total row


def test_html_header_band(report: tuple[ReportResult, Path]) -> None:
    html = report[0].html.read_text(encoding="utf-8")
    header = html[html.index('<header class="wb-header"') : html.index("</header>")]
    assert "<h1>Fixture collections pack</h1>" in header  # lifted from the first markdown cell
    assert "Test Co" in header and "Runtime Co" not in header  # a parameter beats report_header()
    assert "Restricted" in header and "Internal" not in header  # report_header() beats metadata
    assert "7 February 2025" in header
    assert "Fixture subtitle" in header  # notebook metadata
    assert "report_ok.ipynb" in header
    assert "report-header+json" not in html  # the header output itself is not rendered
    body = html[html.index("</header>") :]
    assert "Fixture collections pack</h1>" not in body  # not repeated in the body
    saved = nbformat.read(report[0].ipynb, as_version=4)
    assert saved.metadata["report"]["company"] == "Test Co"


def test_html_loads_nothing_remote(report: tuple[ReportResult, Path]) -> None:
    html = report[0].html.read_text(encoding="utf-8")
    links = _links(html)
    assert links, "expected at least the embedded image"
    assert not [value for value in links if "http://" in value or "https://" in value]
    assert remote_references(html) == []


def test_pdf_is_written(report: tuple[ReportResult, Path]) -> None:
    pdf = report[0].pdf
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")


def test_failure_names_the_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A user-level "python3" kernelspec pointing elsewhere must not be used:
    # if it were, the kernel would not start and no ZeroDivisionError appear.
    bogus = tmp_path / "jupyter" / "kernels" / "python3"
    bogus.mkdir(parents=True)
    (bogus / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "wrong",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    out = tmp_path / "out"
    with pytest.raises(ReportError) as caught:
        run_report(FIXTURES / "report_fails.ipynb", {"numerator": 5}, out, "broken", pdf=False)
    message = str(caught.value)
    assert "ZeroDivisionError" in message and "division by zero" in message
    assert "code cell 3" in message
    assert "ratio = numerator / denominator" in message
    assert "In [" in message
    kept = out / "broken.ipynb"
    assert str(kept) in message and kept.is_file()
    assert not (out / "broken.html").exists()
    partial = nbformat.read(kept, as_version=4)
    assert any(
        output.get("ename") == "ZeroDivisionError" for cell in partial.cells for output in cell.get("outputs", [])
    )


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="not found"):
        run_report(tmp_path / "missing.ipynb", {}, tmp_path, "x")
    with pytest.raises(ReportError, match="plain file name"):
        run_report(FIXTURES / "report_ok.ipynb", {}, tmp_path, "../escape")
    with pytest.raises(ReportError, match="template not found"):
        export_html(new_notebook(), templates=tmp_path)


# -------------------------------------------------- template without a kernel


def _notebook_with_everything() -> nbformat.NotebookNode:
    code = new_code_cell("x = 1  # HIDDEN-SOURCE", execution_count=1)
    code.outputs = [
        new_output("stream", name="stderr", text="STDERR-TEXT"),
        new_output("stream", name="stdout", text="STDOUT-TEXT"),
        new_output("execute_result", data={"text/plain": "<object REPR-TEXT>"}, execution_count=1),
        new_output("display_data", data={"application/javascript": "alert('JS-TEXT')", "text/plain": "js"}),
        new_output("error", ename="ValueError", evalue="EVALUE-TEXT", traceback=["TRACEBACK-TEXT"]),
    ]
    nb = new_notebook(cells=[new_markdown_cell("Intro"), code])
    nb.metadata["report"] = {"title": "T <&>", "company": "C", "as_of": "7 February 2025"}
    return nb


def test_template_hides_code_and_noise() -> None:
    html = export_html(_notebook_with_everything())
    for hidden in ("HIDDEN-SOURCE", "STDERR-TEXT", "REPR-TEXT", "JS-TEXT", "TRACEBACK-TEXT", "<script"):
        assert hidden not in html, hidden
    assert "STDOUT-TEXT" in html
    assert "could not be produced (ValueError)" in html
    assert "<title>T &lt;&amp;&gt;</title>" in html
    assert "@page" in html and "counter(pages)" in html and "A4 landscape" in html
    assert remote_references(html) == []


def test_title_metadata_still_drops_the_leading_heading() -> None:
    from workbench.reports.runner import _for_export, _header

    nb = new_notebook(cells=[new_markdown_cell("# Duplicate title\n\nIntro text"), new_code_cell("x = 1")])
    nb.metadata["report"] = {"title": "Declared title"}
    fields, lifted = _header(nb, {}, Path("weekly.ipynb"))
    assert fields["title"] == "Declared title" and lifted == 0
    html = export_html(_for_export(nb, lifted))
    assert "Duplicate title" not in html and "Intro text" in html


def test_remote_resources_are_detected() -> None:
    nb = new_notebook(cells=[new_markdown_cell("![logo](https://cdn.example/logo.png)")])
    assert remote_references(export_html(nb)) == ["<img src='https://cdn.example/logo.png'>"]
    page = (
        '<script src="https://cdn.example/x.js"></script><link href="http://fonts.example/css" rel="stylesheet">'
        '<img src="//cdn.example/i.png"><div style="background: url(https://x.example/b.png)"></div>'
        "<style>@import 'https://fonts.example/f.css';</style>"
        '<a href="https://intranet.example/">a link is not a load</a><img src="data:image/png;base64,AA==">'
    )
    found = remote_references(page)
    assert len(found) == 5
    assert not any("intranet" in item for item in found)
