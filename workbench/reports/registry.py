"""The catalogue of reports: what each is called, which notebook renders it, what it is asked.

Every report the workbench produces has one :class:`ReportSpec` here. The
command line builds ``workbench report NAME`` from these specs, and
:func:`run` carries one out: it resolves the ledger, packs the notebook's
papermill parameters from the declared options, names the output files and
hands over to :func:`workbench.reports.runner.run_report` (or, for a report
without a notebook, to its writer).

Adding a report: a module in ``workbench/reports/`` with ``Params`` and
``build(ledger, params)``, a notebook in ``notebooks/`` that calls it, and a
spec in :data:`REPORTS` (see ``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from ..errors import WorkbenchError
from ..render.files import file_id
from ..ledger import load_ledger
from . import customer
from .checks import NAME_OPTIONS, check_names
from .runner import ReportResult, notebook_path, run_report
from .sources import ledger_company

__all__ = ["REPORTS", "Option", "ReportSpec", "UnknownReportError", "run"]

OptionKind = Literal["text", "date", "int", "path"]


class UnknownReportError(WorkbenchError):
    """No report of that name is in the catalogue."""


@dataclass(frozen=True)
class Option:
    """One question a report asks besides the ledger, the date and the output folder."""

    name: str
    """The notebook parameter (and keyword of :func:`run`) it fills."""
    flag: str
    """The command-line flag, e.g. ``--entity``."""
    help: str
    kind: OptionKind = "text"
    required: bool = False
    default: str | int | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class ReportSpec:
    """A report: its name, the notebook that renders it, its options and its files."""

    name: str
    """The name after ``workbench report``."""
    title: str
    summary: str
    """One line for ``--help``."""
    notebook: str | None
    """The notebook's file stem in ``notebooks/``; ``None`` for a report written without one."""
    options: tuple[Option, ...]
    stem: Callable[[date, Mapping[str, Any]], str]
    """The output files' name (without suffix) for a date and the option values."""
    outputs: tuple[str, ...]
    """The files a run writes besides the notebook's HTML/PDF, for the help text and the docs."""
    writer: Callable[[Path, date, Path, Mapping[str, Any], bool], list[Path]] | None = field(default=None, repr=False)
    """For a report without a notebook: writes its files (the last argument is ``force``) and returns their paths."""
    summary_file: Callable[[date, Mapping[str, Any]], str] | None = field(default=None, repr=False)
    """The summary file the notebook writes beside its HTML, claimed with the report's own files."""


def _entity_suffix(values: Mapping[str, Any]) -> str:
    entity = values.get("entity") or ""
    return f"_{file_id(entity, 'entity')}" if entity else ""


ENTITY = Option("entity", "--entity", "Only this selling entity.")
JOURNAL = Option(
    "journal",
    "--journal",
    "Journal: SQLite file path or postgresql:// URL (default: journal.sqlite beside the ledger).",
)


def _write_sales_digests(
    ledger: Path, as_of: date, out_dir: Path, values: Mapping[str, Any], force: bool = False
) -> list[Path]:
    from .sales_digest import produce

    return produce(
        ledger,
        as_of,
        out_dir,
        journal=values.get("journal") or None,
        policy=values.get("policy") or None,
        force=force,
    )


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(
            name="weekly",
            title="Weekly collections report",
            summary="The weekly collections report (HTML and PDF) for the CFO.",
            notebook="weekly_collections",
            options=(ENTITY, JOURNAL),
            stem=lambda day, v: f"weekly_collections_{day.isoformat()}{_entity_suffix(v)}",
            outputs=("weekly_summary.json",),
            summary_file=lambda day, v: "weekly_summary.json",
        ),
        ReportSpec(
            name="forecast",
            title="Cash-in forecast",
            summary="The cash-in forecast report (HTML and PDF) and forecast_summary.json.",
            notebook="cash_forecast",
            options=(
                ENTITY,
                Option("horizon", "--weeks", "ISO weeks forecast.", kind="int", default=13, minimum=1, maximum=104),
            ),
            stem=lambda day, v: f"cash_forecast_{day.isoformat()}{_entity_suffix(v)}",
            outputs=("forecast_summary.json",),
            summary_file=lambda day, v: "forecast_summary.json",
        ),
        ReportSpec(
            name="customer",
            title="Customer investigation",
            summary="The customer investigation report (HTML and PDF) and customer_<id>_<date>_summary.json.",
            notebook="customer_investigation",
            options=(Option("customer_id", "--customer", "Customer id to investigate.", required=True), JOURNAL),
            stem=lambda day, v: customer.report_stem(v["customer_id"], day),
            outputs=("customer_<id>_<date>_summary.json",),
            summary_file=lambda day, v: customer.summary_name(v["customer_id"], day),
        ),
        ReportSpec(
            name="credit-review",
            title="Credit review",
            summary="The periodic credit limit review (HTML and PDF) and credit_review_summary.json.",
            notebook="credit_review",
            options=(
                Option(
                    "previous_as_of",
                    "--previous-as-of",
                    "Previous review date (default: as-of minus 91 days).",
                    kind="date",
                ),
            ),
            stem=lambda day, v: f"credit_review_{day.isoformat()}",
            outputs=("credit_review_summary.json",),
            summary_file=lambda day, v: "credit_review_summary.json",
        ),
        ReportSpec(
            name="sales-digest",
            title="Sales digests",
            summary="One small HTML page per sales rep: their customers' overdue items and what credit control asks "
            "of them.",
            notebook=None,
            options=(
                JOURNAL,
                Option("policy", "--policy", "Collections policy TOML (default: the shipped policy).", kind="path"),
            ),
            stem=lambda day, v: f"sales_digests_{day.isoformat()}",
            outputs=("one HTML page per sales rep", "index.html"),
            writer=_write_sales_digests,
        ),
    )
}


def _parameter(option: Option, value: Any) -> Any:
    """The notebook's value for an option: ISO text for dates, absolute text for paths, ``""`` for none."""
    if value is None or value == "":
        return option.default if option.default is not None else ""
    if isinstance(value, date):
        return value.isoformat()
    if option.kind == "path":
        return str(Path(value).resolve())
    if option.kind == "int":
        return int(value)
    return value


def spec(name: str) -> ReportSpec:
    """The report called ``name``; :class:`UnknownReportError` lists the known ones otherwise."""
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReportError(f"no report called {name!r}; the reports are: {', '.join(REPORTS)}") from None


def run(
    name: str,
    *,
    ledger: Path | str,
    as_of: date,
    out_dir: Path | str,
    pdf: bool = True,
    force: bool = False,
    **values: Any,
) -> ReportResult | list[Path]:
    """Produce the report called ``name`` for ``ledger`` at ``as_of`` into ``out_dir``.

    ``values`` are the report's options by name (see its :class:`ReportSpec`).
    ``out_dir`` must be new, empty or a folder the workbench wrote; files there
    that the workbench did not write are never replaced, unless ``force``
    (:class:`workbench.outputs.OutputFolder`).
    An entity, customer, collector or sales rep among them that the ledger
    does not hold raises :class:`~workbench.ledger.names.UnknownNameError`
    before anything runs or is written.
    A notebook report returns the runner's :class:`ReportResult`; a report
    without a notebook returns the paths it wrote.
    """
    report = spec(name)
    unknown = sorted(set(values) - {o.name for o in report.options})
    if unknown:
        raise TypeError(f"report {name!r} has no option(s) {', '.join(unknown)}")
    folder, out = Path(ledger), Path(out_dir)
    if any(isinstance(values.get(o), str) and values[o].strip() for o in NAME_OPTIONS):
        check_names(load_ledger(folder), values)
    if report.writer is not None:
        return report.writer(folder, as_of, out, values, force)
    assert report.notebook is not None
    parameters: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "ledger": str(folder.resolve()),
        "output_dir": str(out.resolve()),
        "company": ledger_company(folder),
    }
    parameters.update({o.name: _parameter(o, values.get(o.name)) for o in report.options})
    summary = (report.summary_file(as_of, values),) if report.summary_file is not None else ()
    return run_report(
        notebook_path(report.notebook),
        parameters,
        out,
        report.stem(as_of, values),
        pdf=pdf,
        force=force,
        extra_files=summary,
    )
