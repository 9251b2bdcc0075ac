"""Charts of the credit reports as PNG bytes (matplotlib Agg, no pyplot, no global state).

Same conventions as :mod:`workbench.render.charts`: each chart builds its own
``Figure`` inside an ``rc_context`` holding the report style, labels never go
through mathtext, and the PNG carries no software stamp (same data, same
bytes). Show them with :func:`workbench.render.display.show_png`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import matplotlib
from matplotlib.dates import DateFormatter, AutoDateLocator
from matplotlib.figure import Figure

from workbench.render.charts import _STYLE, INK, MUTED, PRIMARY, _column, _empty, _number, _png
from workbench.render.tables import frame_rows

__all__ = ["payment_history_chart", "z_trend_chart"]

LATE = "#c0463a"
ON_TIME = "#3f8f63"
_SIZE = (11.0, 3.8)


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def payment_history_chart(
    frame: Any, *, settled: str = "settled", delay: str = "delay", title: str = "Days late per settled invoice"
) -> bytes:
    """Scatter of each settled invoice's delay (days after the due date) against its settlement date.

    Points on or before the due date are green, late ones red; a dashed line
    marks the due date (0) and a dark line joins the monthly average delay.
    """
    columns, rows = frame_rows(frame)
    si, di = _column(columns, settled), _column(columns, delay)
    points = sorted((_day(r[si]), _number(r[di])) for r in rows if r[si] is not None and r[di] is not None)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=_SIZE, layout="constrained")
        if not points:
            return _empty(figure, title)
        axes = figure.add_subplot()
        xs: list[Any] = [p[0] for p in points]  # dates: matplotlib converts them (its stubs say numbers)
        ys = [p[1] for p in points]
        colours = [LATE if y > 0 else ON_TIME for y in ys]
        axes.scatter(xs, ys, c=colours, s=22, alpha=0.8, edgecolors="white", linewidths=0.4, zorder=3)
        months: dict[date, list[float]] = {}
        for x, y in points:
            months.setdefault(date(x.year, x.month, 15), []).append(y)
        keys: list[Any] = sorted(months)
        if len(keys) >= 2:
            axes.plot(
                keys,
                [sum(months[k]) / len(months[k]) for k in keys],
                color=PRIMARY,
                linewidth=1.8,
                label="Monthly average",
                zorder=4,
            )
            axes.legend(loc="upper left")
        axes.axhline(0, color=MUTED, linestyle="--", linewidth=1)
        axes.xaxis.set_major_locator(AutoDateLocator(minticks=4, maxticks=12))
        axes.xaxis.set_major_formatter(DateFormatter("%b %y"))
        axes.set_ylabel("Days after due date")
        axes.set_title(title)
        axes.margins(x=0.02, y=0.12)
        return _png(figure)


def z_trend_chart(
    frame: Any,
    *,
    period: str = "period_end",
    score: str = "z_score",
    model: str = "z_model",
    title: str = "Altman score by statement",
) -> bytes:
    """Altman score per statement period, each point labelled with its value (and model when it changes)."""
    columns, rows = frame_rows(frame)
    pi, si, mi = _column(columns, period), _column(columns, score), _column(columns, model)
    points = sorted((_day(r[pi]), _number(r[si]), r[mi]) for r in rows if r[si] is not None)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(11.0, 3.2), layout="constrained")
        if not points:
            return _empty(figure, title)
        axes = figure.add_subplot()
        positions = list(range(len(points)))
        values = [p[1] for p in points]
        axes.plot(positions, values, color=PRIMARY, linewidth=2.2, marker="o", markersize=5)
        previous_model = None
        for pos, (_, value, name) in zip(positions, points):
            text = f"{value:.2f}" if name == previous_model else f"{value:.2f} ({name})"
            previous_model = name
            axes.annotate(
                text, (pos, value), xytext=(0, 8), textcoords="offset points", ha="center", fontsize=9.5, color=INK
            )
        axes.set_xticks(positions, [p[0].isoformat() for p in points])
        axes.grid(axis="x", visible=False)
        axes.set_ylabel("Altman score")
        axes.set_title(title)
        axes.margins(x=0.08, y=0.25)
        return _png(figure)
