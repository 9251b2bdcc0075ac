"""Letters, e-mail bodies and statements of account from Jinja templates, as HTML, text or PDF.

A :class:`LetterRenderer` turns one :class:`~workbench.collections.model.Communication`
into a subject line, an HTML and a plain-text e-mail body, a printable A4
letter and a statement of account (HTML, or PDF through
:func:`workbench.render.pdf.html_to_pdf`). What the texts say comes from
:func:`workbench.letters.text.letter_facts`; for convenience the renderer
also builds the complete e-mail (:mod:`workbench.letters.email`) and writes a
whole run to a folder (:mod:`workbench.letters.files`).

Templates live in ``templates/dunning/`` (see ``docs/letters.md``):
``<lang>/<template>.j2`` only fills blocks and ``{% extends layout %}``; the
renderer chooses the layout (``_layout/email.html.j2``, ``_layout/email.txt.j2``,
``_layout/letter.html.j2``, ``_layout/statement.html.j2``). ``<lang>/labels.toml``
holds the fixed words of the layouts. The customer's language picks the
folder; an empty or unknown language falls back to English.

Rendering is strict (``StrictUndefined``: a missing field raises
:class:`~workbench.letters.text.LetterError`); HTML is rendered with
autoescape on, plain text with autoescape off. Nothing reads the clock: dates
come from ``comm.as_of``, so a rerun writes byte-identical files.
"""

from __future__ import annotations

import re
import textwrap
import tomllib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import jinja2
from markupsafe import Markup, escape

from ..collections.locale import DEFAULT_LANGUAGE, LocaleFormat, normalise_language
from ..collections.model import Communication, Sender
from ..render.pdf import PdfError, html_to_pdf
from ..render.templates import DEFAULT_TEMPLATES_DIR
from . import email as _email
from .files import WrittenFile, write_communications
from .names import statement_filename
from .senders import Senders
from .text import (
    ISSUE_TIME,
    LetterError,
    interest_basis,
    letter_facts,
    one_line,
    template_for_level,
)

__all__ = ["DUNNING_TEMPLATES_DIR", "LAYOUTS", "LetterRenderer", "text_table"]

if TYPE_CHECKING:

    class _Wrap(TypedDict):
        """Keyword arguments of :func:`textwrap.fill` shared by the text paragraphs."""

        width: int
        break_long_words: bool
        break_on_hyphens: bool


#: The repository's dunning templates (``templates/dunning``).
DUNNING_TEMPLATES_DIR = DEFAULT_TEMPLATES_DIR / "dunning"

#: Layouts the renderer passes to the templates as ``layout``.
LAYOUTS: dict[str, str] = {
    "email_html": "_layout/email.html.j2",
    "email_text": "_layout/email.txt.j2",
    "letter_html": "_layout/letter.html.j2",
    "statement_html": "_layout/statement.html.j2",
}

_TEMPLATE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED_NAMES = {"statement", "labels"}
_PARAGRAPH_SPLIT = re.compile(r"\n[ \t]*\n")
_TEXT_WIDTH = 72


def _split_paragraphs(text: str) -> list[list[str]]:
    """Paragraphs (separated by blank lines) as lists of their stripped, non-empty lines."""
    out = []
    for block in _PARAGRAPH_SPLIT.split(text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines:
            out.append(lines)
    return out


def _is_list(lines: list[str]) -> bool:
    return all(line.startswith("- ") for line in lines)


def _html_paragraphs(value: Any) -> Markup:
    """Block text → ``<p>`` per paragraph; a paragraph of ``- `` lines → ``<ul>``. Input is escaped unless Markup."""
    text = str(value if isinstance(value, Markup) else escape(value))
    parts = []
    for lines in _split_paragraphs(text):
        if _is_list(lines):
            parts.append("<ul>" + "".join(f"<li>{line[2:].strip()}</li>" for line in lines) + "</ul>")
        else:
            parts.append("<p>" + " ".join(lines) + "</p>")
    return Markup("\n".join(parts))


def _text_paragraphs(value: Any) -> str:
    """Block text → paragraphs wrapped at 72 columns; ``- `` lines stay a list with hanging indents."""
    wrap: _Wrap = {"width": _TEXT_WIDTH, "break_long_words": False, "break_on_hyphens": False}
    parts = []
    for lines in _split_paragraphs(str(value)):
        if _is_list(lines):
            parts.append(
                "\n".join(
                    textwrap.fill(line[2:].strip(), initial_indent="- ", subsequent_indent="  ", **wrap)
                    for line in lines
                )
            )
        else:
            parts.append(textwrap.fill(" ".join(lines), **wrap))
    return "\n\n".join(parts)


def _html_lines(value: Any) -> Markup:
    """Non-empty lines joined by ``<br>`` (the greeting). Input is escaped unless Markup."""
    text = str(value if isinstance(value, Markup) else escape(value))
    return Markup("<br>\n".join(line.strip() for line in text.splitlines() if line.strip()))


def _text_lines(value: Any) -> str:
    """Non-empty lines, stripped."""
    return "\n".join(line.strip() for line in str(value).splitlines() if line.strip())


def text_table(header: Sequence[str] | None, rows: Sequence[Sequence[Any]], align: str = "", sep: str = "  ") -> str:
    """A plain-text table: columns padded to their widest cell, ``align`` gives ``l``/``r`` per column."""
    body = [[str(cell) for cell in row] for row in rows]
    every = ([list(map(str, header))] if header else []) + body
    if not every:
        return ""
    ncols = max(len(row) for row in every)
    widths = [max((len(row[i]) for row in every if i < len(row)), default=0) for i in range(ncols)]

    def line(row: list[str]) -> str:
        cells = []
        for i in range(ncols):
            cell = row[i] if i < len(row) else ""
            right = i < len(align) and align[i] == "r"
            cells.append(cell.rjust(widths[i]) if right else cell.ljust(widths[i]))
        return sep.join(cells).rstrip()

    out = []
    if header:
        out += [line(every[0]), "-" * len(line(["-" * w for w in widths]))]
    out += [line(row) for row in body]
    return "\n".join(out)


def _tidy_text(text: str) -> str:
    """Trailing blanks removed, at most one empty line in a row, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


@jinja2.pass_context
def _money_filter(ctx: jinja2.runtime.Context, value: Decimal | int, currency: str | None = None) -> str:
    fmt: LocaleFormat = ctx["fmt"]
    return fmt.money(value, currency or ctx["comm"].currency)


@jinja2.pass_context
def _date_filter(ctx: jinja2.runtime.Context, value: date, style: str = "long") -> str:
    fmt: LocaleFormat = ctx["fmt"]
    return fmt.date(value, style)


@jinja2.pass_context
def _percent_filter(ctx: jinja2.runtime.Context, value: Decimal | int, decimals: int = 2) -> str:
    fmt: LocaleFormat = ctx["fmt"]
    return fmt.percent(value, decimals)


def _environment(loader: jinja2.BaseLoader, *, html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader,
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
        auto_reload=False,
    )
    env.filters.update(
        {
            "money": _money_filter,
            "date": _date_filter,
            "percent": _percent_filter,
            "paragraphs": _html_paragraphs if html else _text_paragraphs,
            "lines": _html_lines if html else _text_lines,
        }
    )
    env.globals["text_table"] = text_table
    return env


class LetterRenderer:
    """Renders the communications of a dunning run, each signed by its sender, from a templates folder.

    ``sender`` is a :class:`~workbench.letters.senders.Senders` (each entity's
    letterhead and account per currency) or one ``Sender`` for every communication.

    ``templates_dir`` defaults to the repository's ``templates/dunning``
    (:data:`DUNNING_TEMPLATES_DIR`). A language is any sub-folder (2–3
    lower-case letters) holding ``labels.toml``; English (``en``) must exist:
    it is the fallback.
    """

    def __init__(self, sender: Sender | Senders, templates_dir: Path | None = None) -> None:
        self.senders = sender if isinstance(sender, Senders) else Senders.single(sender)
        self.templates_dir = Path(templates_dir) if templates_dir is not None else DUNNING_TEMPLATES_DIR
        if not (self.templates_dir / DEFAULT_LANGUAGE / "labels.toml").is_file():
            raise LetterError(f"no dunning templates in {self.templates_dir} (expected {DEFAULT_LANGUAGE}/labels.toml)")
        loader = jinja2.FileSystemLoader(str(self.templates_dir), encoding="utf-8")
        self._html = _environment(loader, html=True)
        self._text = _environment(loader, html=False)
        self._labels: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ choice

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages available in the templates folder, sorted."""
        return tuple(
            sorted(
                p.name
                for p in self.templates_dir.iterdir()
                if p.is_dir() and re.fullmatch(r"[a-z]{2,3}", p.name) and (p / "labels.toml").is_file()
            )
        )

    def language(self, comm: Communication) -> str:
        """The language the communication is written in: ``comm.language`` if available, else English."""
        lang = normalise_language(comm.language)
        return lang if lang and (self.templates_dir / lang / "labels.toml").is_file() else DEFAULT_LANGUAGE

    def template_name(self, comm: Communication) -> str:
        """``comm.template``, or the level's template when it is empty (validated: a plain name, no path)."""
        name = (comm.template or "").strip() or template_for_level(comm.level)
        if not _TEMPLATE_NAME_RE.match(name) or name in _RESERVED_NAMES:
            raise LetterError(f"customer {comm.customer_id}: not a dunning template name: {name!r}")
        return name

    def _resolve(self, comm: Communication, name: str) -> tuple[str, str]:
        """``(language, template path)``; a template missing in the language is taken, with its labels, in English."""
        lang = self.language(comm)
        for candidate in dict.fromkeys((lang, DEFAULT_LANGUAGE)):
            if (self.templates_dir / candidate / f"{name}.j2").is_file():
                return candidate, f"{candidate}/{name}.j2"
        raise LetterError(
            f"customer {comm.customer_id}: no template {name}.j2 in {self.templates_dir / lang} "
            f"nor in {self.templates_dir / DEFAULT_LANGUAGE}"
        )

    def labels(self, language: str) -> dict[str, Any]:
        """The fixed words of a language (``<lang>/labels.toml``), read once."""
        if language not in self._labels:
            path = self.templates_dir / language / "labels.toml"
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise LetterError(f"cannot read {path}: {exc}") from exc
            clash = sorted(set(data) & set(dir(dict)))
            if clash:
                raise LetterError(f"{path}: label names {clash} clash with dict methods in templates; rename them")
            self._labels[language] = data
        return self._labels[language]

    # ----------------------------------------------------------------- context

    def interest_basis(self, comm: Communication, lang: str) -> str:
        """The reference rates of the interest in the letter's language, e.g. German
        ``Basiszinssatz 1,27 % + 9 Prozentpunkte = 10,27 %`` (the run's English text when the
        communication carries no rates); see :func:`workbench.letters.text.interest_basis`."""
        if not comm.interest_rates:
            return comm.interest_basis
        return interest_basis(comm, lang, self.labels(lang).get("rates", {}))

    def _context(
        self, comm: Communication, lang: str, layout: str, *, statement_attached: bool = False, claimed: bool = True
    ) -> dict[str, Any]:
        if claimed and not comm.lines:
            raise LetterError(f"customer {comm.customer_id}: the communication claims no item")
        facts = letter_facts(
            comm, self.sender_for(comm), self.labels(lang), lang, statement_attached=statement_attached
        )
        return {**facts, "layout": layout}

    def _render(self, env: jinja2.Environment, comm: Communication, template: str, context: dict[str, Any]) -> str:
        try:
            return env.get_template(template).render(context)
        except (jinja2.TemplateError, TypeError, ValueError, KeyError) as exc:
            raise LetterError(
                f"customer {comm.customer_id}: cannot render {template} with {context['layout']}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def _render_dunning(
        self, comm: Communication, layout_key: str, *, html: bool, statement_attached: bool = False
    ) -> str:
        lang, template = self._resolve(comm, self.template_name(comm))
        context = self._context(comm, lang, LAYOUTS[layout_key], statement_attached=statement_attached)
        return self._render(self._html if html else self._text, comm, template, context)

    # ------------------------------------------------------------------ texts

    def subject(self, comm: Communication) -> str:
        """The subject line of the communication, on one line (no CR/LF, safe for a header)."""
        lang, template = self._resolve(comm, self.template_name(comm))
        context = self._context(comm, lang, LAYOUTS["email_text"])
        try:
            tmpl = self._text.get_template(template)
            if "subject" not in tmpl.blocks:
                raise LetterError(f"{template} defines no subject block")
            text = "".join(tmpl.blocks["subject"](tmpl.new_context(context)))
        except (jinja2.TemplateError, TypeError, ValueError, KeyError) as exc:
            raise LetterError(
                f"customer {comm.customer_id}: cannot render the subject of {template}: {type(exc).__name__}: {exc}"
            ) from exc
        return one_line(text)

    def email_html(self, comm: Communication, *, statement_attached: bool = False) -> str:
        """The HTML part of the e-mail (autoescaped); ``statement_attached`` adds the line about the attachment."""
        return self._render_dunning(comm, "email_html", html=True, statement_attached=statement_attached)

    def email_text(self, comm: Communication, *, statement_attached: bool = False) -> str:
        """The plain-text part of the e-mail (not escaped, wrapped at 72 columns, tables aligned)."""
        return _tidy_text(self._render_dunning(comm, "email_text", html=False, statement_attached=statement_attached))

    def letter_html(self, comm: Communication) -> str:
        """The printable A4 letter as HTML (autoescaped)."""
        return self._render_dunning(comm, "letter_html", html=True)

    def statement_html(self, comm: Communication) -> str:
        """The A4 statement of account as HTML (see :meth:`StatementView.of` for its rows)."""
        lang, template = self._resolve(comm, "statement")
        context = self._context(comm, lang, LAYOUTS["statement_html"], claimed=False)
        return self._render(self._html, comm, template, context)

    # -------------------------------------------------------------------- PDF

    def _pdf(self, html: str, as_of: date) -> bytes:
        """PDF bytes from HTML (:func:`workbench.render.pdf.html_to_pdf`); only ``data:`` URLs are fetched.

        Relative references resolve against the templates folder and are
        refused like any file or URL (:class:`LetterError`). The embedded font
        timestamp is pinned to ``as_of`` at 08:00 UTC (unless the caller set
        ``SOURCE_DATE_EPOCH``), so the same input gives the same bytes.
        """
        base_url = self.templates_dir.resolve().as_uri() + "/"
        try:
            return html_to_pdf(html, base_url=base_url, timestamp=datetime.combine(as_of, ISSUE_TIME))
        except PdfError as exc:
            raise LetterError(
                f"the templates reference a file or URL, which is never fetched "
                f"(only data: URLs are allowed): {exc.__cause__}"
            ) from exc

    def letter_pdf(self, comm: Communication) -> bytes:
        """The printable letter as PDF bytes."""
        return self._pdf(self.letter_html(comm), comm.as_of)

    def statement_pdf(self, comm: Communication) -> bytes:
        """The statement of account as PDF bytes."""
        return self._pdf(self.statement_html(comm), comm.as_of)

    # ------------------------------------------- e-mail and files (delegated)

    def statement_filename(self, comm: Communication) -> str:
        """``statement_<safe customer id>_<as_of>.pdf``: the attachment's name."""
        return statement_filename(comm)

    def message_id(self, comm: Communication) -> str:
        """The deterministic Message-ID of the communication's e-mail (:func:`workbench.letters.email.message_id`)."""
        return _email.message_id(self.sender_for(comm), comm)

    def sender_for(self, comm: Communication) -> Sender:
        """Who signs ``comm``: its entity's letterhead with the account in its currency (:mod:`.senders`)."""
        return self.senders.for_communication(comm)

    def recipients(self, comm: Communication) -> list[str]:
        """The customer's e-mail addresses (:func:`workbench.letters.email.recipients`)."""
        return _email.recipients(comm)

    def email_message(self, comm: Communication, *, attach_statement: bool = True) -> EmailMessage:
        """The complete e-mail with the statement attached (:func:`workbench.letters.email.email_message`)."""
        return _email.email_message(self, comm, attach_statement=attach_statement)

    def write(self, comms: Iterable[Communication], out_dir: Path) -> list[WrittenFile]:
        """Write a run's communications under ``out_dir`` (:func:`workbench.letters.files.write_communications`)."""
        return write_communications(self, comms, out_dir)
