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

from ..errors import WorkbenchError
from ..redact import mask_secrets
from . import aging, credit, demo, dunning, forecast, journal, ledger, reports, workspace, worklist

__all__ = ["app", "main"]

app = typer.Typer(
    help="Credit & collections workbench: load ledgers, compute exact KPIs, produce reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (workspace, demo, ledger, aging, reports, forecast, credit, dunning, journal, worklist):
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
