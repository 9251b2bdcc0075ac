"""HTML tables for reports, built from polars or pandas frames.

``html_table`` is a pure function: same frame and options, same string. Every
header and cell is HTML-escaped, because customer names and references are
text that customers supplied. Numeric cells carry the ``num`` class (plus
``money``, ``pct`` or ``int``) so the report template right-aligns them;
negative amounts also carry ``neg``. The markup uses only the classes styled
by ``templates/report``: ``wb-table-wrap``, ``wb-table``, ``num``, ``money``,
``pct``, ``int``, ``neg``, ``wb-keep``, ``wb-total`` and ``wb-more``.

``frame_rows`` turns either kind of frame into plain Python values and is
shared with :mod:`workbench.exports`.
"""

from __future__ import annotations

from collections.abc import Mapping, Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from html import escape
from typing import Any

from workbench.frames import frame_rows
from workbench.frames import plain_value as _plain
from workbench.render.format import MISSING, money_grouped, pct

__all__ = ["KEEP_TOGETHER_ROWS", "cell_text", "frame_rows", "html_table"]

KEEP_TOGETHER_ROWS = 20
"""Tables with at most this many body rows get ``wb-keep`` (not split across PDF pages)."""


def cell_text(value: Any) -> str:
    """Plain display text for a value that is not declared money/pct/int."""
    value = _plain(value)
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _check_columns(columns: Sequence[str], *groups: Iterable[str]) -> None:
    known = set(columns)
    for group in groups:
        for name in group:
            if name not in known:
                raise KeyError(f"column {name!r} is not in the frame (columns: {', '.join(columns)})")


def _cell(value: Any, name: str, money_cols: set[str], pct_cols: set[str], int_cols: set[str]) -> tuple[str, str]:
    """(css classes, escaped text) of one body cell."""
    if name in money_cols:
        text = money_grouped(value)
        return ("num money neg" if value is not None and value < 0 else "num money"), escape(text)
    if name in pct_cols:
        return "num pct", escape(pct(value))
    if name in int_cols:
        return "num int", escape(MISSING if value is None else f"{int(value):,}")
    return ("num" if _is_number(value) else ""), escape(cell_text(value))


def _numeric_columns(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Columns whose non-missing values are all numbers (their headers align right)."""
    found: set[str] = set()
    for index, name in enumerate(columns):
        values = [row[index] for row in rows if row[index] is not None]
        if values and all(_is_number(value) for value in values):
            found.add(name)
    return found


def _td(css: str, text: str) -> str:
    return f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>"


def _total_row(
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    money_cols: set[str],
    int_cols: set[str],
    shown: int,
) -> str:
    """``<tr class="wb-total">``: exact sums of money and integer columns over all rows."""
    cells: list[str] = []
    for index, name in enumerate(columns):
        if name in money_cols or name in int_cols:
            values = [row[index] for row in rows if row[index] is not None]
            if name in money_cols:
                total = sum((Decimal(v) for v in _exact(values, name)), Decimal(0))
                css = "num money neg" if total < 0 else "num money"
                cells.append(_td(css, escape(money_grouped(total))))
            else:
                cells.append(_td("num int", escape(f"{sum(int(v) for v in values):,}")))
        elif index == 0:
            label = "Total" if shown == len(rows) else f"Total (all {len(rows):,} rows)"
            cells.append(f'<th scope="row">{label}</th>')
        else:
            cells.append("<td></td>")
    return '<tr class="wb-total">' + "".join(cells) + "</tr>"


def _exact(values: Iterable[Any], name: str) -> Iterable[Decimal | int]:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"money column {name!r} holds {type(value).__name__}; use Decimal or int")
        yield value


#: Header text of the column names the workbench's frames use; other names show as written.
COLUMN_LABELS: dict[str, str] = {
    "customer_id": "Customer",
    "name": "Name",
    "country": "Country",
    "collector": "Collector",
    "status": "Status",
    "segment": "Segment",
    "entity": "Entity",
    "currency": "Currency",
    "current": "Current",
    "gross_open": "Gross open",
    "unapplied_credit": "Unapplied credit",
    "total": "Total",
    "overdue": "Overdue",
    "over_90": "Over 90",
    "document_id": "Document",
    "due_date": "Due date",
    "dpd": "Days past due",
    "open_document": "Open (doc. currency)",
    "open_reporting": "Open",
    "disputed": "Disputed",
    "reason": "Reason",
    "items": "Items",
    "this_week": "This week",
    "last_week": "Last week",
    "last_13_weeks": "Last 13 weeks",
    "week_ending": "Week ending",
    "cash": "Cash",
    "as_of": "As of",
    "dso_countback": "DSO countback",
    "dso_simple": "DSO simple",
    "bpdso": "BPDSO",
    "add": "ADD",
    "cei": "CEI %",
    "file": "File",
    "line": "Line",
    "row": "Row as read",
    "rows_read": "Rows read",
    "rows_loaded": "Loaded",
    "rows_quarantined": "Quarantined",
    "amount_read": "Amount read",
    "amount_loaded": "Amount loaded",
    "amount_quarantined": "Amount quarantined",
    # collections activity
    "calls": "Calls",
    "emails": "E-mails",
    "meetings": "Meetings",
    "letters_in": "Letters",
    "promises": "Promises",
    "disputes": "Disputes",
    "notes": "Notes",
    "escalations": "Escalations",
    "dunning_emails": "Reminder e-mails",
    "dunning_letters": "Reminder letters",
    "phone_tasks": "Phone tasks",
    "promised": "Promised",
    "paid": "Paid",
    "pay_by": "Pay by",
    "documents": "Documents",
    "owner": "Owner",
    "opened_on": "Opened",
    "status_date": "Closed",
    "resolution": "Resolution",
    "event_date": "Date",
    "action": "Action",
    "partner": "Partner",
    "amount": "Amount",
    "author": "By",
    "note": "Note",
    "since": "Since",
    "handed_over": "Handed over",
    "recovered": "Recovered",
    "fees": "Fees",
}


def html_table(
    frame: Any,
    *,
    labels: Mapping[str, str] | None = None,
    money_columns: Sequence[str] = (),
    pct_columns: Sequence[str] = (),
    int_columns: Sequence[str] = (),
    currency: str | None = None,
    caption: str | None = None,
    total_row: bool = False,
    max_rows: int | None = None,
) -> str:
    """Render ``frame`` as an escaped HTML table.

    ``money_columns`` hold ``Decimal``/``int`` amounts and are formatted with
    :func:`~workbench.render.format.money_grouped`; when ``currency`` is given it is
    shown once in those headers (``"Balance (EUR)"``) rather than in each
    cell. ``pct_columns`` hold fractions (0.25 → ``"25.0%"``). ``total_row``
    appends exact sums of the money and integer columns over *all* rows, even
    those cut by ``max_rows``; a cut is announced in a final note row.
    Headers use ``labels`` (then :data:`COLUMN_LABELS`) for known column names.
    """
    columns, rows = frame_rows(frame)
    _check_columns(columns, money_columns, pct_columns, int_columns)
    money_cols, pct_cols, int_cols = set(money_columns), set(pct_columns), set(int_columns)
    numeric = money_cols | pct_cols | int_cols | _numeric_columns(columns, rows)
    shown = rows if max_rows is None else rows[: max(max_rows, 0)]

    head: list[str] = []
    names = {**COLUMN_LABELS, **(labels or {})}
    for name in columns:
        text = names.get(name, name)
        label = f"{text} ({currency})" if currency and name in money_cols else text
        css = ' class="num"' if name in numeric else ""
        head.append(f'<th scope="col"{css}>{escape(label)}</th>')

    keep = " wb-keep" if len(shown) <= KEEP_TOGETHER_ROWS else ""
    lines = ['<div class="wb-table-wrap">', f'<table class="wb-table{keep}">']
    if caption:
        lines.append(f"<caption>{escape(caption)}</caption>")
    lines.append("<thead><tr>" + "".join(head) + "</tr></thead>")
    lines.append("<tbody>")
    for row in shown:
        cells = (_td(*_cell(value, name, money_cols, pct_cols, int_cols)) for name, value in zip(columns, row))
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody>")
    hidden = len(rows) - len(shown)
    if total_row or hidden:
        lines.append("<tfoot>")
        if hidden:
            noun = "row" if hidden == 1 else "rows"
            lines.append(f'<tr class="wb-more"><td colspan="{len(columns)}">{hidden:,} more {noun} not shown</td></tr>')
        if total_row:
            lines.append(_total_row(columns, rows, money_cols, int_cols, len(shown)))
        lines.append("</tfoot>")
    lines.append("</table>")
    lines.append("</div>")
    return "\n".join(lines) + "\n"
