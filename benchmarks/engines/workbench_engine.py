"""The workbench itself, driven through its public API, stage by stage.

Stages (each timed by the worker):

- ``load``: ``load_ledger(folder)`` (read, validate, quarantine, type).
- ``asof``: ``open_items`` and ``unapplied_credit`` at D on a fresh ledger
  object (so it includes building the cached settlement dates).
- ``aging``: ``aging(ledger, D, by="customer")`` on another fresh ledger
  object: cold, like the DuckDB query that starts from loaded tables.
- ``kpis``: ``kpis(ledger, D)`` on that same object (it reuses the settlement
  dates ``aging`` built: the natural order of a report).
- ``history``: ``kpi_history`` over ``weekly_dates(D, 13)`` on a fresh object.

A fresh ledger object is ``dataclasses.replace(ledger)``: the same frames
without the ``cached_property`` values, so no stage profits from an earlier one
except ``kpis`` from ``aging`` as described.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import polars as pl

from workbench.aging import aging
from workbench.kpis import Kpis, kpi_history, kpis, weekly_dates
from workbench.ledger.asof import open_items, unapplied_credit
from workbench.ledger.load import load_ledger
from workbench.ledger.model import Ledger

from .kpi_math import MONEY_KPIS, RATIO_KPIS
from .ledger_files import quarantined_rows

HISTORY_WEEKS = 13


def fresh(ledger: Ledger) -> Ledger:
    """The same ledger without cached derived frames (receivables, credit sources)."""
    return dataclasses.replace(ledger)


def load(folder: Path) -> Ledger:
    """Stage ``load``."""
    return load_ledger(folder)


def exclusions(ledger: Ledger) -> dict[str, list[int]]:
    """Rows the loader quarantined, per table (what the references must drop)."""
    return quarantined_rows(ledger.report.quarantine)


def asof(ledger: Ledger, as_of: date) -> tuple[int, int]:
    """Stage ``asof``: open items and unapplied credit at D; returns their row counts."""
    led = fresh(ledger)
    return open_items(led, as_of).height, unapplied_credit(led, as_of).height


def kpi_json(k: Kpis) -> dict[str, object]:
    """The workbench KPIs in the comparison form of :func:`kpi_math.kpi_values`."""
    raw = k.as_json()
    out: dict[str, object] = {"as_of": raw["as_of"]}
    out.update({key: raw[key] for key in MONEY_KPIS})
    out.update({key: raw[key] for key in RATIO_KPIS})
    out["dso_countback_capped"] = raw["dso_countback_capped"]
    return out


def aging_stage(ledger: Ledger, as_of: date) -> tuple[Ledger, pl.DataFrame]:
    """Stage ``aging`` (cold); returns the ledger object to reuse for ``kpis``."""
    led = fresh(ledger)
    return led, aging(led, as_of, by="customer")


def kpis_stage(led: Ledger, as_of: date) -> dict[str, object]:
    """Stage ``kpis`` on the ledger object the aging stage used."""
    return kpi_json(kpis(led, as_of))


def history(ledger: Ledger, as_of: date, weeks: int = HISTORY_WEEKS) -> list[dict[str, object]]:
    """Stage ``history``: ``kpi_history`` over ``weekly_dates(D, weeks)`` (cold)."""
    return [kpi_json(k) for k in kpi_history(fresh(ledger), weekly_dates(as_of, weeks))]
