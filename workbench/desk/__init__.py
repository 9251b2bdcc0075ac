"""The collector desk: a collector's day in one screen (presentation layer).

:mod:`workbench.desk.app` holds :class:`~workbench.desk.app.CollectorDesk` and
its widgets; :mod:`workbench.desk.views` builds the panels (worklist,
statement, aging, payments, journal, next letter) as escaped HTML.
"""

from __future__ import annotations

from .app import ALL, CollectorDesk, DeskError, open_desk

__all__ = ["ALL", "CollectorDesk", "DeskError", "open_desk"]
