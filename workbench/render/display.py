"""Notebook helpers that put report building blocks into cell outputs.

Each ``show``-style helper calls IPython's ``display`` with an ``HTML`` or
``Image`` object, so the block lands in the notebook as an output that the
``templates/report`` nbconvert template styles. The ``*_html`` functions are
the pure builders behind them (easy to test, usable outside a kernel).

All text that may come from data (labels, notes, titles) is escaped here.
``show_table`` is the one exception: it trusts its argument, which must come
from :func:`workbench.render.tables.html_table` (already escaped).

CSS classes emitted: ``wb-kpis``, ``wb-kpi``, ``wb-kpi-label``,
``wb-kpi-value``, ``wb-kpi-delta`` (+ ``wb-good``/``wb-bad``/``wb-neutral``),
``wb-kpi-note``, ``wb-section`` (+ ``wb-page-break``), ``wb-subtitle``,
``wb-note``, ``wb-chart``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from IPython.display import HTML, Image, display

from workbench.render.format import Direction

__all__ = [
    "Card",
    "kpi_cards",
    "kpi_cards_html",
    "HEADER_MIMETYPE",
    "note",
    "note_html",
    "report_header",
    "section",
    "section_html",
    "show_png",
    "show_table",
]

_ARROWS: dict[str, str] = {"up": "\u25b2", "down": "\u25bc", "flat": "\u25ac"}

MAX_CARDS_PER_ROW = 6
"""KPI cards per row at most; more cards wrap into balanced rows."""

HEADER_MIMETYPE = "application/vnd.workbench.report-header+json"
"""Mimetype of the output :func:`report_header` emits (read and removed by the runner)."""


@dataclass(frozen=True)
class Card:
    """One headline number.

    ``value`` and ``delta`` are display text (use :mod:`workbench.render.format`).
    ``direction`` is the direction of the change; ``good_when`` says which
    direction is good news ("down" for DSO or overdue, "up" for cash
    collected), which colours the delta green or red; ``None`` keeps it neutral.
    ``note`` is a small caption under the delta, e.g. "vs last week".
    """

    label: str
    value: str
    delta: str | None = None
    direction: Direction = "flat"
    good_when: Literal["up", "down"] | None = None
    note: str | None = None

    @property
    def tone(self) -> Literal["good", "bad", "neutral"]:
        """``"good"``, ``"bad"`` or ``"neutral"`` for colouring the delta."""
        if self.good_when is None or self.direction == "flat":
            return "neutral"
        return "good" if self.direction == self.good_when else "bad"


def kpi_cards_html(cards: Sequence[Card]) -> str:
    """HTML of a row of KPI cards (escaped)."""
    rows = -(-len(cards) // MAX_CARDS_PER_ROW) or 1
    columns = -(-len(cards) // rows) or 1  # balanced rows: 7 cards → 4 + 3
    parts = [f'<div class="wb-kpis" style="grid-template-columns: repeat({columns}, minmax(0, 1fr))">']
    for card in cards:
        parts.append('<div class="wb-kpi">')
        parts.append(f'<div class="wb-kpi-label">{escape(card.label)}</div>')
        parts.append(f'<div class="wb-kpi-value">{escape(card.value)}</div>')
        if card.delta:
            arrow = _ARROWS.get(card.direction, "")
            parts.append(
                f'<div class="wb-kpi-delta wb-{card.tone}">'
                f'<span class="wb-arrow">{arrow}</span> {escape(card.delta)}</div>'
            )
        if card.note:
            parts.append(f'<div class="wb-kpi-note">{escape(card.note)}</div>')
        parts.append("</div>")
    parts.append("</div>")
    return "\n".join(parts)


def section_html(title: str, subtitle: str | None = None, *, page_break: bool = False) -> str:
    """HTML of a section heading; ``page_break`` starts it on a new PDF page."""
    css = "wb-section wb-page-break" if page_break else "wb-section"
    sub = f'\n<p class="wb-subtitle">{escape(subtitle)}</p>' if subtitle else ""
    return f'<div class="{css}">\n<h2>{escape(title)}</h2>{sub}\n</div>'


def note_html(text: str, *, kind: Literal["info", "warning"] = "info") -> str:
    """HTML of a short explanatory note (escaped; newlines kept as line breaks)."""
    body = "<br>".join(escape(line) for line in text.splitlines())
    return f'<p class="wb-note wb-note-{kind}">{body}</p>'


def kpi_cards(cards: Sequence[Card]) -> None:
    """Display a row of KPI cards."""
    display(HTML(kpi_cards_html(cards)))


def section(title: str, subtitle: str | None = None, *, page_break: bool = False) -> None:
    """Display a section heading (with an optional subtitle)."""
    display(HTML(section_html(title, subtitle, page_break=page_break)))


def show_table(html: str) -> None:
    """Display a table built by :func:`workbench.render.tables.html_table`."""
    display(HTML(html))


def show_png(data: bytes, alt: str = "Chart") -> None:
    """Display PNG bytes (e.g. from :mod:`workbench.render.charts`) as an image output."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("show_png expects PNG bytes")
    display(Image(data=data, format="png", alt=alt))


def report_header(
    *,
    title: str | None = None,
    subtitle: str | None = None,
    company: str | None = None,
    as_of: str | None = None,
    classification: str | None = None,
) -> None:
    """Set header-band fields from notebook code (e.g. the company read from the ledger).

    Emits an invisible output that :func:`workbench.reports.runner.run_report`
    reads and removes before export. Non-empty papermill parameters of the
    same name still win; these values beat ``metadata["report"]``.
    """
    fields = {
        "title": title,
        "subtitle": subtitle,
        "company": company,
        "as_of": as_of,
        "classification": classification,
    }
    chosen = {key: str(value) for key, value in fields.items() if value not in (None, "")}
    display({HEADER_MIMETYPE: chosen, "text/plain": ""}, raw=True)


def note(text: str, *, kind: Literal["info", "warning"] = "info") -> None:
    """Display a short note for the reader (escaped)."""
    display(HTML(note_html(text, kind=kind)))
