"""Dunning letters, e-mails and statements of account: the customer-facing side of a dunning run.

Presentation only, one responsibility per module:

* :mod:`workbench.letters.text` — what a letter says: the template of each
  level, the escalation steps told to the customer, deadline, payment
  reference, statement of account, interest basis (pure data, no files).
* :mod:`workbench.letters.render` — :class:`LetterRenderer`: Jinja templates
  (``templates/dunning``) to HTML and plain text, and PDF through
  :func:`workbench.render.pdf.html_to_pdf`.
* :mod:`workbench.letters.email` — the complete ``EmailMessage`` (headers,
  alternatives, attached statement), byte-identical on a rerun.
* :mod:`workbench.letters.names` — file stems and names, from ids only.
* :mod:`workbench.letters.files` — writing a run's communications to a folder.
* :mod:`workbench.letters.smtp` — sending the e-mails over one SMTP connection.
* :mod:`workbench.letters.run` — carrying out a planned run: files, journal
  entries, sending.

The calculations (:mod:`workbench.collections`) plan the run and never import
this package. See ``docs/letters.md``.
"""

from __future__ import annotations

from .files import WrittenFile
from .names import file_stem
from .render import DUNNING_TEMPLATES_DIR, LAYOUTS, LetterRenderer, text_table
from .text import (
    ACTION_ALIASES,
    DEADLINE_DAYS,
    LEVEL_TEMPLATES,
    LetterError,
    StatementRow,
    StatementView,
    template_for_level,
)

__all__ = [
    "ACTION_ALIASES",
    "DEADLINE_DAYS",
    "DUNNING_TEMPLATES_DIR",
    "LAYOUTS",
    "LEVEL_TEMPLATES",
    "LetterError",
    "LetterRenderer",
    "StatementRow",
    "StatementView",
    "WrittenFile",
    "file_stem",
    "template_for_level",
    "text_table",
]
