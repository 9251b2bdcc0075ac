"""Charts of the cash-in forecast report, as PNG bytes (matplotlib Agg, no pyplot, no global state).

Same conventions as :mod:`workbench.render.charts`: each chart builds its
own ``Figure`` inside the report style, output is deterministic, money is
``Decimal`` and becomes a float only as a plot coordinate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from workbench.render import charts as _base
from workbench.render.format import money_short
from workbench.render.tables import frame_rows

__all__ = ["forecast_band_chart"]


def forecast_band_chart(
    frame: Any, *, currency: str | None = None, title: str = "Expected cash-in per week", previous: Any | None = None
) -> bytes:
    """Expected cash per horizon week as bars, the P10–P90 band as a range on each bar.

    ``frame`` has ``week_start, expected, p10, p90`` (e.g. ``Forecast.total``);
    ``previous`` optionally has ``week_start, expected`` (last week's forecast
    of the same weeks), drawn as markers.
    """
    columns, rows = frame_rows(frame)
    index = {name: columns.index(name) for name in ("week_start", "expected", "p10", "p90")}
    points = sorted(
        (row[index["week_start"]], row[index["expected"]], row[index["p10"]], row[index["p90"]]) for row in rows
    )
    before: dict[Any, Any] = {}
    if previous is not None:
        p_columns, p_rows = frame_rows(previous)
        wi, ei = p_columns.index("week_start"), p_columns.index("expected")
        before = {row[wi]: row[ei] for row in p_rows if row[ei] is not None}
    with matplotlib.rc_context(_base._STYLE):
        figure = Figure(figsize=_base._SIZE, layout="constrained")
        if not points:
            return _base._empty(figure, title)
        axes = figure.add_subplot()
        positions = list(range(len(points)))
        expected = [_base._number(p[1]) for p in points]
        low = [_base._number(p[2]) for p in points]
        high = [_base._number(p[3]) for p in points]
        axes.bar(positions, expected, color=_base.PRIMARY, width=0.62, label="Expected", zorder=2)
        axes.vlines(positions, low, high, color=_base.INK, linewidth=1.2, zorder=3, label="80 % band (P10–P90)")
        axes.scatter(positions + positions, low + high, marker="_", s=90, color=_base.INK, zorder=3)
        if before:
            marks = [(x, _base._number(before[p[0]])) for x, p in zip(positions, points) if p[0] in before]
            if marks:
                axes.scatter(
                    [m[0] for m in marks],
                    [m[1] for m in marks],
                    marker="D",
                    s=22,
                    color="#e08a45",
                    zorder=4,
                    label="Last week's forecast",
                )
        for x, p in zip(positions, points):
            if isinstance(p[1], Decimal) and p[1] > 0:
                axes.annotate(
                    money_short(p[1]),
                    (x, _base._number(p[3])),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=8.5,
                    color=_base.INK,
                )
        axes.set_xticks(positions, [_base._x_label(p[0]) for p in points])
        axes.yaxis.set_major_formatter(FuncFormatter(_base.axis_amount))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6))
        axes.grid(axis="x", visible=False)
        axes.set_ylabel(f"Cash-in ({currency})" if currency else "Cash-in")
        axes.set_xlabel("Week starting (Monday)")
        axes.set_title(title)
        axes.margins(y=0.12)
        axes.legend(loc="upper right")
        return _base._png(figure)
