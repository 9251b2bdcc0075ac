"""HTML to PDF with WeasyPrint, offline: the one PDF renderer of reports and letters.

Only ``data:`` URLs are ever fetched. A page that refers to a file or a web
address (an image, a style sheet, a font) is refused with :class:`PdfError`
instead of being fetched: with ``base_url`` set, relative references resolve
to ``file:`` URLs and are refused too, so a template cannot pull in a file
from the disk by accident.

The font subsets WeasyPrint embeds carry a timestamp (fontTools reads it from
``SOURCE_DATE_EPOCH``). Pass ``timestamp`` to pin it, so that the same HTML
gives the same bytes; the variable is set only while rendering and only when
the caller has not set it already. It is process-wide: do not render pinned
PDFs from several threads at once.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.outputs import atomic_write

__all__ = ["PdfError", "html_to_pdf", "render_pdf"]


class PdfError(WorkbenchError):
    """The HTML refers to a file or URL, which the PDF renderer never fetches."""


def html_to_pdf(html: str, *, base_url: str | None = None, timestamp: datetime | None = None) -> bytes:
    """The PDF bytes of ``html``, fetching nothing but ``data:`` URLs.

    ``base_url`` is where relative references would resolve (they are then
    refused, see the module notes); ``timestamp`` pins the embedded font
    timestamp through ``SOURCE_DATE_EPOCH`` (unless the caller set it).
    Raises :class:`PdfError` when the page refers to a file or URL.
    """
    from weasyprint import HTML, URLFetcher
    from weasyprint.urls import FatalURLFetchingError

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    pinned = timestamp is not None and "SOURCE_DATE_EPOCH" not in os.environ
    if timestamp is not None and pinned:
        os.environ["SOURCE_DATE_EPOCH"] = str(int(timestamp.timestamp()))
    try:
        return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
    except FatalURLFetchingError as exc:
        raise PdfError(
            f"the page references a file or URL, which is never fetched (only data: URLs are allowed): {exc}"
        ) from exc
    finally:
        if pinned:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def render_pdf(html: str, target: Path) -> Path:
    """Render ``html`` to a PDF file at ``target`` (see :func:`html_to_pdf`), written atomically; return ``target``."""
    return atomic_write(Path(target), html_to_pdf(html))
