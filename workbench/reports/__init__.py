"""Presentation layer: report notebooks executed and exported for readers who never see code.

Modules (import the one you need; nothing heavy is imported here):

* :mod:`workbench.reports.runner` — ``run_report``: papermill → HTML → PDF.
Shared presentation pieces (formats, tables, charts, display) live in
:mod:`workbench.render`.

The look of the exported report lives in ``templates/report/`` (nbconvert).
``run_report`` and ``ReportResult`` are also reachable from this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.reports.runner import ReportResult, run_report

__all__ = ["ReportResult", "run_report"]


def __getattr__(name: str) -> Any:
    """Import the runner lazily so notebooks importing ``display`` stay light."""
    if name in __all__:
        from workbench.reports import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
