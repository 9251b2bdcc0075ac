"""Shared presentation pieces, written once and used by reports, letters and the desk.

* :mod:`workbench.render.format` — money, percentages, days and deltas as text.
* :mod:`workbench.render.tables` — escaped HTML tables from polars/pandas frames.
* :mod:`workbench.render.charts` — the house chart style; deterministic PNG bytes.
* :mod:`workbench.render.display` — KPI cards, sections, tables, charts and notes as notebook outputs.
* :mod:`workbench.render.files` — ``safe_name``: data never becomes a path.
* :mod:`workbench.render.pdf` — the one HTML-to-PDF renderer (WeasyPrint, offline).
* :mod:`workbench.render.templates` — ``DEFAULT_TEMPLATES_DIR``, the templates folder.

Calculation code never imports this package; it returns frames and records that
these modules turn into text, tables, pictures and pages.
"""
