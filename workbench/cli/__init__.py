"""The ``workbench`` command line: a thin layer over the package, one module per domain noun.

``workspace`` (``init``), ``demo`` (the demo company), ``ledger`` (import, validate), ``aging`` (kpis,
aging), ``forecast``, ``credit``, ``dunning``, ``worklist``, ``journal`` and
``reports`` (``workbench report NAME``, built from the report registry) each
add their commands through ``register(app)``; ``common`` holds what they
share (option types, ``--format``, date parsing, ledger and journal opening).

Exit codes: 0 success; 1 the work was done but rows were quarantined
(``validate``, ``import``); 2 the input could not be read or the run failed
(the message on stderr says which file, line or notebook cell and why).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from typer import _click as click  # the click that typer runs on (vendored by typer)
from typer.core import TyperGroup

from ..errors import WorkbenchError
from ..redact import mask_secrets
from . import aging, credit, demo, dunning, forecast, journal, ledger, workspace, worklist

__all__ = ["app", "main"]

_REPORT_HELP = "Run a report notebook and export it to HTML and PDF."


def _report_group() -> click.Command:
    """``workbench report``, built from the report catalogue (which imports the notebook tooling)."""
    from . import reports

    holder = typer.Typer()
    reports.register(holder)
    group = typer.main.get_group(holder)
    return group.commands["report"]


class _Commands(TyperGroup):
    """The root group: ``report`` is built on first use, so start-up and ``--help`` skip the report catalogue.

    Listing the commands (``workbench --help``) shows ``report`` with its help
    text from a stand-in; running it, or ``workbench report --help``, builds
    the real group.
    """

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        if "report" in names:
            return names
        at = names.index("import") + 1 if "import" in names else len(names)  # its place when built eagerly
        return [*names[:at], "report", *names[at:]]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "report" and "report" not in self.commands:
            if self._listing:
                return TyperGroup(name="report", help=_REPORT_HELP)
            self.add_command(_report_group(), "report")
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=_Commands,
    help="Credit & collections workbench: load ledgers, compute exact KPIs, produce reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (workspace, demo, ledger, aging, forecast, credit, dunning, journal, worklist):
    _module.register(app)


@app.callback()
def _root(
    space: Annotated[
        Optional[Path],
        typer.Option(
            "--workspace",
            help="The workspace folder (default: WORKBENCH_WORKSPACE, else workbench.toml here or in a parent).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Credit & collections workbench: load ledgers, compute exact KPIs, produce reports."""
    if space is not None:
        os.environ["WORKBENCH_WORKSPACE"] = str(space)


def main() -> None:
    """Entry point: run the app and turn workbench errors into exit code 2 with a message (secrets masked)."""
    try:
        app()
    except WorkbenchError as exc:
        typer.echo(f"error: {mask_secrets(str(exc))}", err=True)
        sys.exit(2)
