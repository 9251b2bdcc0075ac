"""Report charts as PNG bytes, drawn with matplotlib's Agg canvas.

No pyplot and no global state: every chart builds its own ``Figure`` inside an
``rc_context`` holding the report style, so importing this module never
changes a notebook's backend or settings. Output is deterministic (same data,
same bytes): PNG metadata carries no software/version stamp and SVG ids use a
fixed hash salt. Labels never go through mathtext, so a customer called
"$mith & Co" is drawn as written.

Money values are ``Decimal``/``int`` and are converted to floats only as plot
coordinates; text on the chart (bar labels, totals) is formatted from the
exact values by :mod:`workbench.render.format`.

Show a chart in a notebook with :func:`workbench.render.display.show_png`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from workbench.render.format import money_short
from workbench.render.tables import cell_text, frame_rows

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "AGING_COLOURS",
    "INK",
    "PRIMARY",
    "bar_chart",
    "bucket_colours",
    "line_trend",
    "stacked_aging_trend",
]

PRIMARY = "#1f4e79"
"""Main series colour (deep blue)."""
INK = "#1e293b"
"""Text colour."""
MUTED = "#64748b"
GRID = "#e2e8f0"

AGING_COLOURS: tuple[str, ...] = ("#3f8f63", "#9bbf62", "#e2c05b", "#e08a45", "#c0463a", "#7a1c1c")
"""Ageing palette from "current" (green) to the oldest bucket (dark red)."""

_AGING_MAP = LinearSegmentedColormap.from_list("workbench_aging", AGING_COLOURS)

_STYLE: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Inter", "Segoe UI", "Helvetica Neue", "Arial", "Liberation Sans", "DejaVu Sans"],
    "font.size": 11,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 12,
    "axes.labelsize": 10.5,
    "axes.labelcolor": MUTED,
    "axes.edgecolor": "#94a3b8",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "text.color": INK,
    "text.parse_math": False,
    "svg.hashsalt": "workbench-report",
    "figure.facecolor": "white",
    "axes.facecolor": "white",
}

_DPI = 150
_SIZE = (11.0, 4.3)


def _number(value: Any) -> float:
    """Plot coordinate of an exact or float value (``None`` → 0)."""
    if value is None:
        return 0.0
    return float(value)


def axis_amount(value: float, _position: object = None) -> str:
    """Short money text for an axis tick: 2500000 → ``"2.5m"``, 845000 → ``"845k"``."""
    magnitude = abs(value)
    for scale, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if magnitude >= scale:
            text = f"{value / scale:.2f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:,.0f}"


def _label(value: Any, width: int = 38) -> str:
    """Display text of an axis label, shortened with an ellipsis when long."""
    text = cell_text(value)
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _x_label(value: Any) -> str:
    """Week labels read as "06 Jan"; anything else as its display text."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d %b")
    return _label(value, 14)


def bucket_sort_key(label: str) -> tuple[int, str]:
    """Order ageing buckets: "current"/"not due" first, then by first number."""
    lowered = label.strip().lower()
    if lowered in {"current", "not due", "not yet due", "0", "0-0"}:
        return (-1, lowered)
    match = re.search(r"\d+", lowered)
    return (int(match.group()) if match else 10**6, lowered)


def bucket_colours(count: int) -> list[str]:
    """``count`` colours from green (current) to dark red (oldest)."""
    if count <= 1:
        return [AGING_COLOURS[0]] * count
    return [to_hex(_AGING_MAP(index / (count - 1))) for index in range(count)]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _empty(figure: Figure, title: str) -> bytes:
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.set_axis_off()
    axes.text(0.5, 0.5, "No data for this period", ha="center", va="center", color=MUTED, fontsize=11)
    return _png(figure)


def _column(columns: Sequence[str], name: str) -> int:
    try:
        return list(columns).index(name)
    except ValueError:
        raise KeyError(f"column {name!r} is not in the frame (columns: {', '.join(columns)})") from None


def stacked_aging_trend(
    frame: Any,
    *,
    week: str = "week",
    bucket: str = "bucket",
    amount: str = "amount",
    title: str = "Receivables by ageing bucket",
    currency: str | None = None,
    bucket_order: Sequence[str] | None = None,
) -> bytes:
    """Stacked weekly bars of open receivables per ageing bucket.

    ``frame`` is long: one row per (``week``, ``bucket``) with an exact
    ``amount``; duplicate rows are summed. Buckets stack from current (bottom,
    green) to the oldest (top, dark red) unless ``bucket_order`` says
    otherwise. Bar totals are printed above the bars when there are at most
    16 weeks.
    """
    columns, rows = frame_rows(frame)
    w, b, a = _column(columns, week), _column(columns, bucket), _column(columns, amount)
    totals: dict[tuple[Any, str], Decimal] = {}
    for row in rows:
        key = (row[w], str(row[b]))
        totals[key] = totals.get(key, Decimal(0)) + Decimal(row[a] or 0)
    weeks = sorted({key[0] for key in totals})
    buckets = list(bucket_order) if bucket_order else sorted({key[1] for key in totals}, key=bucket_sort_key)

    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=_SIZE, layout="constrained")
        if not weeks:
            return _empty(figure, title)
        axes = figure.add_subplot()
        positions = list(range(len(weeks)))
        base = [0.0] * len(weeks)
        for name, colour in zip(buckets, bucket_colours(len(buckets))):
            heights = [_number(totals.get((wk, name))) for wk in weeks]
            axes.bar(
                positions, heights, bottom=base, color=colour, width=0.72, label=name, edgecolor="white", linewidth=0.5
            )
            base = [lower + height for lower, height in zip(base, heights)]
        if len(weeks) <= 16:
            for position, wk in zip(positions, weeks):
                exact = sum((v for (k, _), v in totals.items() if k == wk), Decimal(0))
                axes.annotate(
                    money_short(exact),
                    (position, base[position]),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    color=INK,
                )
        step = max(1, -(-len(weeks) // 13))
        axes.set_xticks(positions[::step], [_x_label(wk) for wk in weeks[::step]])
        axes.yaxis.set_major_formatter(FuncFormatter(axis_amount))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6))
        axes.grid(axis="x", visible=False)
        axes.set_ylabel(f"Open receivables ({currency})" if currency else "Open receivables")
        axes.set_title(title)
        axes.margins(y=0.08)
        handles, labels = axes.get_legend_handles_labels()
        axes.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Days overdue")
        return _png(figure)


def line_trend(
    frame: Any,
    x: str,
    y: str,
    title: str,
    ylabel: str,
    *,
    value_format: Callable[[Any], str] | None = None,
    target: float | Decimal | None = None,
) -> bytes:
    """One line over time (e.g. DSO by week), its latest value labelled.

    ``value_format`` formats the latest-value label (default: one decimal).
    ``target``, when given, is drawn as a dashed reference line.
    """
    columns, rows = frame_rows(frame)
    xi, yi = _column(columns, x), _column(columns, y)
    points = sorted((row[xi], row[yi]) for row in rows if row[yi] is not None)
    fmt = value_format or (lambda v: f"{_number(v):,.1f}")
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=_SIZE, layout="constrained")
        if not points:
            return _empty(figure, title)
        axes = figure.add_subplot()
        positions = list(range(len(points)))
        values = [_number(v) for _, v in points]
        axes.plot(positions, values, color=PRIMARY, linewidth=2.2, marker="o", markersize=4.5)
        if target is not None:
            axes.axhline(_number(target), color=MUTED, linestyle="--", linewidth=1)
            axes.annotate(
                f"Target {fmt(target)}",
                (0, _number(target)),
                xytext=(2, 4),
                textcoords="offset points",
                fontsize=8,
                color=MUTED,
            )
        axes.annotate(
            fmt(points[-1][1]),
            (positions[-1], values[-1]),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            fontsize=10,
            fontweight="bold",
            color=PRIMARY,
        )
        step = max(1, -(-len(points) // 13))
        axes.set_xticks(positions[::step], [_x_label(p) for p, _ in points[::step]])
        axes.grid(axis="x", visible=False)
        axes.set_ylabel(ylabel)
        axes.set_title(title)
        axes.margins(x=0.03, y=0.18)
        return _png(figure)


def bar_chart(
    frame: Any,
    label: str,
    value: str,
    title: str,
    *,
    currency: str | None = None,
    value_format: Callable[[Any], str] | None = None,
    max_bars: int = 15,
    colour: str = PRIMARY,
    order: Literal["value", "label", "data"] | None = None,
) -> bytes:
    """Horizontal bars (e.g. disputes by reason, cash by entity, cash per week).

    Values are summed per label. ``order`` is ``"value"`` (largest at the
    top), ``"label"`` (ascending, first at the top) or ``"data"`` (as in the
    frame); by default date labels keep time order and anything else is
    ordered by value. With ``"value"`` the labels beyond ``max_bars`` are
    folded into "Other"; otherwise the last ``max_bars`` labels are kept (the
    most recent weeks). ``value_format`` formats the bar-end labels; by
    default exact amounts (``Decimal``) use ``money_short`` and other numbers
    use thousands separators.
    """
    columns, rows = frame_rows(frame)
    li, vi = _column(columns, label), _column(columns, value)
    sums: dict[Any, Any] = {}
    for row in rows:
        if row[vi] is not None:
            sums[row[li]] = sums.get(row[li], 0) + row[vi]
    if order is None:
        order = "label" if sums and all(isinstance(key, date) for key in sums) else "value"
    if order == "value":
        items = sorted(((cell_text(k), v) for k, v in sums.items()), key=lambda item: (-_number(item[1]), item[0]))
        if len(items) > max_bars:
            rest = items[max_bars - 1 :]
            items = items[: max_bars - 1] + [(f"Other ({len(rest)})", sum((v for _, v in rest), 0))]
    else:
        keys = sorted(sums, key=lambda k: (k is None, k)) if order == "label" else list(sums)
        items = [(_x_label(k) if isinstance(k, date) else cell_text(k), sums[k]) for k in keys][-max_bars:]
    ordered = items

    def default_format(amount: Any) -> str:
        if isinstance(amount, Decimal):
            return money_short(amount, currency)
        return f"{amount:,}" if isinstance(amount, int) else f"{_number(amount):,.1f}"

    fmt = value_format or default_format
    with matplotlib.rc_context(_STYLE):
        height = max(2.2, min(5.0, 0.9 + 0.26 * len(ordered)))
        figure = Figure(figsize=(_SIZE[0], height), layout="constrained")
        if not ordered:
            return _empty(figure, title)
        axes = figure.add_subplot()
        positions = list(range(len(ordered)))[::-1]
        bars = axes.barh(positions, [_number(v) for _, v in ordered], color=colour, height=0.62)
        axes.bar_label(bars, labels=[fmt(v) for _, v in ordered], padding=4, fontsize=10, color=INK)
        axes.set_yticks(positions, [_label(name) for name, _ in ordered])
        axes.tick_params(axis="y", length=0)
        axes.xaxis.set_major_formatter(FuncFormatter(axis_amount))
        axes.grid(axis="y", visible=False)
        axes.spines["left"].set_visible(False)
        axes.set_title(title)
        axes.margins(x=0.12)
        return _png(figure)
