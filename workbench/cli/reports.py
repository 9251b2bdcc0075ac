"""``workbench report NAME``: one command per report of the catalogue, built from its spec.

Every report takes ``--ledger`` (default: the workspace's), ``--as-of``, ``--out`` and ``--force`` (and
``--pdf/--no-pdf`` when it renders a notebook); its own options come from its
:class:`~workbench.reports.registry.ReportSpec`. Adding a report to the
catalogue adds its command here without code.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .common import fail, LedgerOpt, ledger_path, out_folder, parse_date, workspace_for
from ..reports.registry import REPORTS, Option, ReportSpec

__all__ = ["register"]

_TYPES: dict[str, Any] = {"text": str, "date": str, "int": int, "path": Path}


def _option_parameter(option: Option) -> inspect.Parameter:
    """The typer parameter of one report option."""
    kind = _TYPES[option.kind]
    extra: dict[str, Any] = {}
    if option.minimum is not None:
        extra["min"] = option.minimum
    if option.maximum is not None:
        extra["max"] = option.maximum
    info = typer.Option(option.flag, help=option.help, **extra)
    if option.required:
        return inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[kind, info])
    default = option.default
    annotation = Annotated[kind, info] if default is not None else Annotated[Optional[kind], info]
    return inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def _command(report: ReportSpec) -> Any:
    """A typer command function for ``report`` with the common and the report's own options."""

    def command(**values: Any) -> None:
        from ..reports.registry import run

        given: Path | None = values.pop("ledger")
        ledger = ledger_path(given)
        space = workspace_for(given)
        if (
            space is not None
            and "journal" in values
            and not values["journal"]
            and not os.environ.get("WORKBENCH_JOURNAL")
        ):
            values["journal"] = space.journal
        day = parse_date(values.pop("as_of"))
        given_out: Path | None = values.pop("out")
        if given_out is None:
            if space is None:
                fail("--out is required outside a workspace (a workspace writes to its reports folder)")
            given_out = space.reports / day.isoformat()
        out: Path = out_folder(given_out)
        pdf = bool(values.pop("pdf", False))
        force = bool(values.pop("force", False))
        for option in report.options:
            if option.kind == "date" and values.get(option.name):
                values[option.name] = parse_date(values[option.name], option.flag)
        typer.echo(f"running the {report.title.lower()} as of {day.isoformat()} ...", err=True)
        result = run(report.name, ledger=ledger, as_of=day, out_dir=out, pdf=pdf, force=force, **values)
        if isinstance(result, list):
            typer.echo(f"{len(result) - 1} {report.title.lower()} written to {out} (index: {result[-1]})")
        else:
            typer.echo(f"report written: {result.html}" + (f" and {result.pdf}" if result.pdf else ""))

    keyword = inspect.Parameter.KEYWORD_ONLY
    common = [
        inspect.Parameter(
            "ledger",
            keyword,
            annotation=LedgerOpt,
            default=None,
        ),
        inspect.Parameter(
            "as_of",
            keyword,
            annotation=Annotated[str, typer.Option("--as-of", help="As-of date, YYYY-MM-DD (end of that day).")],
        ),
        inspect.Parameter(
            "out",
            keyword,
            annotation=Annotated[
                Optional[Path],
                typer.Option(
                    "--out",
                    help="Folder for the report files (default: the workspace's reports/DATE).",
                    file_okay=False,
                ),
            ],
            default=None,
        ),
    ]
    own = [_option_parameter(o) for o in report.options]
    required = [p for p in own if p.default is inspect.Parameter.empty]
    optional = [p for p in own if p.default is not inspect.Parameter.empty]
    tail = (
        [
            inspect.Parameter(
                "pdf",
                keyword,
                annotation=Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also render a PDF.")],
                default=True,
            )
        ]
        if report.notebook
        else []
    )
    tail.append(
        inspect.Parameter(
            "force",
            keyword,
            annotation=Annotated[
                bool,
                typer.Option(
                    "--force",
                    help="Write into --out even when it holds files the workbench did not write "
                    "(it never replaces them otherwise).",
                ),
            ],
            default=False,
        )
    )
    parameters = [*common, *required, *optional, *tail]
    command.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__name__ = f"report_{report.name.replace('-', '_')}"
    command.__doc__ = report.summary
    return command


def register(app: typer.Typer) -> None:
    """Add ``workbench report NAME`` for every report of the catalogue."""
    report_app = typer.Typer(help="Run a report notebook and export it to HTML and PDF.", no_args_is_help=True)
    for report in REPORTS.values():
        report_app.command(report.name, help=report.summary)(_command(report))
    app.add_typer(report_app, name="report")
