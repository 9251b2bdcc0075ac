"""Reminder e-mails, letters and statements of account from Jinja templates, in the customer's language.

A :class:`LetterRenderer` turns one :class:`~workbench.collections.model.Communication`
into a subject line, an HTML and a plain-text e-mail body, a printable A4
letter (HTML or PDF, WeasyPrint) and a statement of account (HTML or PDF), or
a complete ``EmailMessage`` with the statement attached; :meth:`LetterRenderer.write`
writes a whole run to a folder.

Templates live in ``templates/dunning/`` (see ``docs/letters.md``):
``<lang>/<template>.j2`` only fills blocks and ``{% extends layout %}``; the
renderer chooses the layout (``_layout/email.html.j2``, ``_layout/email.txt.j2``,
``_layout/letter.html.j2``, ``_layout/statement.html.j2``). ``<lang>/labels.toml``
holds the fixed words of the layouts. The customer's language picks the
folder; an empty or unknown language falls back to English.

Rendering is strict (``StrictUndefined``: a missing field raises
:class:`LetterError`); HTML is rendered with autoescape on, plain text with
autoescape off. Nothing reads the clock: dates come from ``comm.as_of``, so a
rerun writes byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import textwrap
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..errors import WorkbenchError
from ..render.files import safe_name
from .locale import DEFAULT_LANGUAGE, LocaleFormat, format_number, normalise_language
from .model import CHANNELS, Communication, Sender, StatementLine

__all__ = [
    "ACTION_ALIASES", "DEADLINE_DAYS", "DEFAULT_TEMPLATES_DIR", "LAYOUTS", "LEVEL_TEMPLATES", "LetterError",
    "LetterRenderer", "StatementRow", "StatementView", "WrittenFile", "file_stem", "template_for_level", "text_table",
]

#: The repository's dunning templates (``templates/dunning``).
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "dunning"

#: Template used for a level when ``comm.template`` is empty; level 4 and above use ``final_demand``.
LEVEL_TEMPLATES: dict[int, str] = {1: "reminder", 2: "second_reminder", 3: "formal_notice", 4: "final_demand"}

#: Layouts the renderer passes to the templates as ``layout``.
LAYOUTS: dict[str, str] = {
    "email_html": "_layout/email.html.j2",
    "email_text": "_layout/email.txt.j2",
    "letter_html": "_layout/letter.html.j2",
    "statement_html": "_layout/statement.html.j2",
}

#: Days between ``as_of`` and the payment deadline quoted in the final demand.
DEADLINE_DAYS = 8

#: Action codes of ``comm.actions`` the letters tell the customer about, with accepted spellings.
#: Any other action (an internal one such as a phone call) is not mentioned in customer texts.
ACTION_ALIASES: dict[str, str] = {
    "suspend_deliveries": "suspend_deliveries", "suspension": "suspend_deliveries", "suspend": "suspend_deliveries",
    "stop_deliveries": "suspend_deliveries", "block_deliveries": "suspend_deliveries",
    "delivery_stop": "suspend_deliveries",
    "credit_hold": "credit_hold", "hold": "credit_hold", "account_hold": "credit_hold", "prepayment": "credit_hold",
    "collection_agency": "collection_agency", "agency": "collection_agency", "debt_collection": "collection_agency",
    "collection": "collection_agency",
    "legal_action": "legal_action", "legal": "legal_action", "lawyer": "legal_action", "court": "legal_action",
}

_MESSAGE_HOUR = time(8, 0, tzinfo=timezone.utc)
_TEMPLATE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED_NAMES = {"statement", "labels"}
_EMAIL_RE = re.compile(  # used with fullmatch: a plain addr-spec, nothing around it
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_HEADER_BREAKS = re.compile(r"[\r\n\t\f\v\x00\u2028\u2029\x85]+")
_PARAGRAPH_SPLIT = re.compile(r"\n[ \t]*\n")
_TEXT_WIDTH = 72
_REFERENCE_MAX = 140  # SEPA remittance information


class LetterError(WorkbenchError):
    """A letter, e-mail or statement cannot be produced (bad template, missing field, unusable address)."""


@dataclass(frozen=True)
class WrittenFile:
    """One file written by :meth:`LetterRenderer.write`.

    ``channel`` is the channel actually used (``email`` or ``letter``); it is
    ``letter`` with a ``note`` when an e-mail communication had no usable
    address and a printable letter was produced instead. ``kind`` is what the
    file is: ``email`` (.eml), ``letter`` or ``statement`` (.pdf).
    """

    customer_id: str
    currency: str
    level: int
    channel: str
    kind: str
    path: Path
    note: str = ""


@dataclass(frozen=True)
class StatementRow(StatementLine):
    """One line of the statement of account as printed: ``open`` is signed (credits negative)."""

    balance: Decimal


@dataclass(frozen=True)
class StatementView:
    """The statement of account of a communication: rows with a running balance, and totals."""

    rows: tuple[StatementRow, ...]
    open_items: Decimal
    overdue: Decimal
    unapplied: Decimal
    balance: Decimal

    @classmethod
    def of(cls, comm: Communication) -> StatementView:
        """The statement of ``comm``.

        Rows are ``comm.statement`` in its order (or, when it is empty, the
        claimed items as ``overdue``), then every credit of ``comm.credits``
        not already present as an ``unapplied`` line (matched on id). Lines with
        status ``unapplied`` are credits: they reduce the balance whatever the
        sign of their amounts.
        """
        raw: list[tuple[str, str, date, date | None, Decimal, Decimal, str]] = []
        if comm.statement:
            raw = [(s.document_id, s.doc_type, s.doc_date, s.due_date, s.amount, s.open, s.status) for s in comm.statement]
        else:
            raw = [(ln.document_id, ln.doc_type, ln.doc_date, ln.due_date, ln.amount, ln.open, "overdue") for ln in comm.lines]
        listed = {r[0] for r in raw if r[6] == "unapplied"}
        raw += [(c.source_id, c.kind, c.date, None, c.open, c.open, "unapplied")
                for c in comm.credits if c.source_id not in listed]
        rows: list[StatementRow] = []
        balance = open_items = overdue = unapplied = Decimal("0")
        for doc_id, doc_type, doc_date, due, amount, open_, status in raw:
            if status == "unapplied":
                amount, open_ = -abs(amount), -abs(open_)
                unapplied += open_
            else:
                open_items += open_
                if status == "overdue":
                    overdue += open_
            balance += open_
            rows.append(StatementRow(doc_id, doc_type, doc_date, due, amount, open_, status, balance))
        return cls(tuple(rows), open_items, overdue, unapplied, balance)


def template_for_level(level: int) -> str:
    """The template of a dunning level: 1 reminder, 2 second_reminder, 3 formal_notice, 4+ final_demand."""
    if level < 1:
        raise LetterError(f"dunning level must be 1 or more, not {level}")
    return LEVEL_TEMPLATES[min(level, 4)]


def file_stem(comm: Communication) -> str:
    """``<safe customer id>_<currency>_L<level>``: the file name of a communication, from ids only.

    When ``safe_name`` had to change the customer id (characters replaced or
    truncated), a short hash of the real id is appended so that two customers
    never share a file.
    """
    return f"{_safe_customer(comm.customer_id)}_{safe_name(comm.currency.upper(), 'XXX')}_L{int(comm.level)}"


def _safe_customer(customer_id: str) -> str:
    """``safe_name`` of a customer id, plus a short hash of the id when ``safe_name`` changed it."""
    safe = safe_name(customer_id, "customer")
    return safe if safe == customer_id else f"{safe}-{_digest(customer_id)[:8]}"


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _one_line(text: str) -> str:
    """Header-safe text: CR, LF and other line breaks become spaces; runs of blanks collapse."""
    return re.sub(r" {2,}", " ", _HEADER_BREAKS.sub(" ", text)).strip()


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
    wrap = {"width": _TEXT_WIDTH, "break_long_words": False, "break_on_hyphens": False}
    parts = []
    for lines in _split_paragraphs(str(value)):
        if _is_list(lines):
            parts.append("\n".join(textwrap.fill(line[2:].strip(), initial_indent="- ", subsequent_indent="  ", **wrap)
                                   for line in lines))
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
    env.filters.update({
        "money": _money_filter, "date": _date_filter, "percent": _percent_filter,
        "paragraphs": _html_paragraphs if html else _text_paragraphs,
        "lines": _html_lines if html else _text_lines,
    })
    env.globals["text_table"] = text_table
    return env


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LetterRenderer:
    """Renders the communications of a dunning run for one ``Sender`` from a templates folder.

    ``templates_dir`` defaults to the repository's ``templates/dunning``. A
    language is any sub-folder (2–3 lower-case letters) holding ``labels.toml``;
    English (``en``) must exist: it is the fallback.
    """

    def __init__(self, sender: Sender, templates_dir: Path | None = None) -> None:
        self.sender = sender
        self.templates_dir = Path(templates_dir) if templates_dir is not None else DEFAULT_TEMPLATES_DIR
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
        return tuple(sorted(p.name for p in self.templates_dir.iterdir()
                            if p.is_dir() and re.fullmatch(r"[a-z]{2,3}", p.name) and (p / "labels.toml").is_file()))

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
        raise LetterError(f"customer {comm.customer_id}: no template {name}.j2 in {self.templates_dir / lang} "
                          f"nor in {self.templates_dir / DEFAULT_LANGUAGE}")

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
        communication carries no rates)."""
        if not comm.interest_rates:
            return comm.interest_basis
        from .interest import JURISDICTIONS

        words = self.labels(lang).get("rates", {})
        number = lambda value: format_number(value.normalize() if value == value.to_integral() else value,  # noqa: E731
                                             lang, comm.country)
        texts = []
        for code, total in comm.interest_rates:
            jur = JURISDICTIONS[code]
            name = words.get(jur.table, jur.rate_label)
            texts.append(f"{name} {number(total - jur.margin)} % + {number(jur.margin)} "
                         f"{words.get('points', 'points')} = {number(total)} %")
        return "; ".join(dict.fromkeys(texts))

    def _context(self, comm: Communication, lang: str, layout: str, *, statement_attached: bool = False,
                 claimed: bool = True) -> dict[str, Any]:
        if claimed and not comm.lines:
            raise LetterError(f"customer {comm.customer_id}: the communication claims no item")
        fmt = LocaleFormat(lang, comm.country)
        labels = self.labels(lang)
        iban = re.sub(r"\s+", "", self.sender.iban).upper()
        doc_ids = " ".join(line.document_id for line in comm.lines)
        reference = f"{comm.customer_id} {doc_ids}".strip()
        actions = []
        for code in comm.actions:
            key = ACTION_ALIASES.get(re.sub(r"[\s-]+", "_", code.strip().lower()))
            if key and key not in actions and key in labels.get("actions", {}):
                actions.append(key)
        return {
            "comm": comm,
            "interest_basis": self.interest_basis(comm, lang),
            "sender": self.sender,
            "labels": labels,
            "lang": lang,
            "fmt": fmt,
            "layout": layout,
            "deadline": comm.as_of + timedelta(days=DEADLINE_DAYS),
            "actions": actions,
            "has_interest": any(line.interest for line in comm.lines),
            "has_compensation": bool(comm.compensation_total),
            "document_count": len(comm.lines),
            "max_days_overdue": max((line.days_overdue for line in comm.lines), default=0),
            "iban": " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)),
            "payment_reference": reference if len(reference) <= _REFERENCE_MAX else comm.customer_id,
            "customer_country": fmt.country_name(comm.country) if comm.country else "",
            "statement_attached": statement_attached,
            "statement": StatementView.of(comm),
        }

    def _render(self, env: jinja2.Environment, comm: Communication, template: str, context: dict[str, Any]) -> str:
        try:
            return env.get_template(template).render(context)
        except (jinja2.TemplateError, TypeError, ValueError, KeyError) as exc:
            raise LetterError(f"customer {comm.customer_id}: cannot render {template} with {context['layout']}: "
                              f"{type(exc).__name__}: {exc}") from exc

    def _render_dunning(self, comm: Communication, layout_key: str, *, html: bool,
                        statement_attached: bool = False) -> str:
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
            raise LetterError(f"customer {comm.customer_id}: cannot render the subject of {template}: "
                              f"{type(exc).__name__}: {exc}") from exc
        return _one_line(text)

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
        """PDF bytes from HTML with WeasyPrint; only ``data:`` URLs may be fetched (nothing from the network).

        The embedded font subsets carry a timestamp (fontTools): it is pinned
        to ``as_of`` at 08:00 UTC through ``SOURCE_DATE_EPOCH`` while rendering
        (unless the caller set that variable), so the same input gives the same
        bytes. The variable is process-wide: do not render PDFs from several
        threads at once. A reference to a file or URL raises :class:`LetterError`.
        """
        from weasyprint import HTML, URLFetcher
        from weasyprint.urls import FatalURLFetchingError

        fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
        base_url = self.templates_dir.resolve().as_uri() + "/"
        pinned = "SOURCE_DATE_EPOCH" not in os.environ
        if pinned:
            os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime.combine(as_of, _MESSAGE_HOUR).timestamp()))
        try:
            return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
        except FatalURLFetchingError as exc:
            raise LetterError(f"the templates reference a file or URL, which is never fetched "
                              f"(only data: URLs are allowed): {exc}") from exc
        finally:
            if pinned:
                os.environ.pop("SOURCE_DATE_EPOCH", None)

    def letter_pdf(self, comm: Communication) -> bytes:
        """The printable letter as PDF bytes."""
        return self._pdf(self.letter_html(comm), comm.as_of)

    def statement_pdf(self, comm: Communication) -> bytes:
        """The statement of account as PDF bytes."""
        return self._pdf(self.statement_html(comm), comm.as_of)

    # ------------------------------------------------------------------ e-mail

    def statement_filename(self, comm: Communication) -> str:
        """``statement_<safe customer id>_<as_of>.pdf``: the attachment's name."""
        return f"statement_{_safe_customer(comm.customer_id)}_{comm.as_of.isoformat()}.pdf"

    def message_id(self, comm: Communication) -> str:
        """A Message-ID that depends only on the sender's domain, customer, as-of date, level and currency."""
        domain = re.sub(r"[^a-z0-9.-]", "", self.sender.email.rpartition("@")[2].lower()).strip(".-")
        domain = domain or "workbench.invalid"
        customer = _safe_customer(comm.customer_id)
        digest = _digest(domain, comm.customer_id, comm.as_of.isoformat(), comm.level, comm.currency)[:12]
        return (f"<dunning.{comm.as_of:%Y%m%d}.{customer}.{safe_name(comm.currency.upper(), 'XXX')}"
                f".L{int(comm.level)}.{digest}@{domain}>")

    def recipients(self, comm: Communication) -> list[str]:
        """The customer's e-mail addresses (``comm.email`` may list several, separated by ``,`` or ``;``).

        Raises :class:`LetterError` when there is none or one is not a plain address.
        """
        problem, addresses = _parse_addresses(comm.email)
        if problem:
            raise LetterError(f"customer {comm.customer_id}: {problem}")
        return addresses

    def email_message(self, comm: Communication, *, attach_statement: bool = True) -> EmailMessage:
        """The complete e-mail: text and HTML alternatives, and the statement PDF attached.

        ``Date`` is ``comm.as_of`` at 08:00 UTC, ``Message-ID`` is deterministic
        (:meth:`message_id`) and so are the MIME boundaries: the same
        communication always gives the same bytes. Customer text that goes into
        a header has its CR/LF replaced by spaces.
        """
        sender_address = self.sender.email.strip()
        if not _EMAIL_RE.fullmatch(sender_address):
            raise LetterError(f"the sender's e-mail address is missing or invalid: {self.sender.email!r}")
        to = self.recipients(comm)
        msg = EmailMessage()
        try:
            msg["From"] = Address(display_name=_one_line(self.sender.name), addr_spec=sender_address)
            msg["To"] = [Address(display_name=_one_line(comm.customer_name), addr_spec=a) for a in to]
        except (ValueError, IndexError) as exc:
            raise LetterError(f"customer {comm.customer_id}: unusable address: {exc}") from exc
        msg["Subject"] = self.subject(comm)
        msg["Date"] = format_datetime(datetime.combine(comm.as_of, _MESSAGE_HOUR))
        msg["Message-ID"] = self.message_id(comm)
        msg.set_content(self.email_text(comm, statement_attached=attach_statement), cte="quoted-printable")
        msg.add_alternative(self.email_html(comm, statement_attached=attach_statement), subtype="html",
                            cte="quoted-printable")
        if attach_statement:
            msg.add_attachment(self.statement_pdf(comm), maintype="application", subtype="pdf",
                               filename=self.statement_filename(comm))
        seed = _digest(msg["Message-ID"])[:24]
        for index, part in enumerate(msg.walk()):
            if part.is_multipart():
                part.set_boundary(f"=_wb_{index}_{seed}")  # "=_" never occurs in base64 or quoted-printable
        return msg

    # ------------------------------------------------------------------- files

    def write(self, comms: Iterable[Communication], out_dir: Path) -> list[WrittenFile]:
        """Write the communications of a run under ``out_dir`` and return what was written, in order.

        - channel ``email``: ``emails/<stem>.eml`` (the statement is attached);
          without a usable e-mail address, a letter as below, with a ``note``;
        - channel ``letter``: ``letters/<stem>.pdf`` and ``statements/<stem>.pdf``;
        - channel ``phone``: nothing.

        ``<stem>`` is :func:`file_stem` (``<safe customer id>_<currency>_L<level>``):
        file names come from ids only, never from customer text. Two
        communications with the same stem raise :class:`LetterError`.
        """
        out = Path(out_dir)
        written: list[WrittenFile] = []
        seen: dict[str, str] = {}
        for comm in comms:
            channel = (comm.channel or "").strip().lower()
            if channel not in CHANNELS:
                raise LetterError(f"customer {comm.customer_id}: unknown channel {comm.channel!r} "
                                  f"(expected one of {', '.join(CHANNELS)})")
            if channel == "phone":
                continue
            stem = file_stem(comm)
            if stem in seen:
                raise LetterError(f"customers {seen[stem]!r} and {comm.customer_id!r}: two communications "
                                  f"would be written as {stem} (same customer, currency and level?)")
            seen[stem] = comm.customer_id
            common = {"customer_id": comm.customer_id, "currency": comm.currency, "level": comm.level}
            note = ""
            if channel == "email":
                problem, _ = _parse_addresses(comm.email)
                if not problem:
                    path = out / "emails" / f"{stem}.eml"
                    _atomic_write(path, self.email_message(comm).as_bytes())
                    written.append(WrittenFile(channel="email", kind="email", path=path, **common))
                    continue
                note = f"{problem}: printed letter instead of e-mail"
            letter = out / "letters" / f"{stem}.pdf"
            statement = out / "statements" / f"{stem}.pdf"
            _atomic_write(letter, self.letter_pdf(comm))
            _atomic_write(statement, self.statement_pdf(comm))
            written.append(WrittenFile(channel="letter", kind="letter", path=letter, note=note, **common))
            written.append(WrittenFile(channel="letter", kind="statement", path=statement, note=note, **common))
        return written


def _parse_addresses(text: str) -> tuple[str, list[str]]:
    """``(problem, addresses)`` of an e-mail field; ``problem`` is empty when every address is usable."""
    addresses = [part.strip() for part in re.split(r"[;,]", text or "") if part.strip()]
    if not addresses:
        return "no e-mail address", []
    bad = [a for a in addresses if not _EMAIL_RE.fullmatch(a)]
    if bad:
        return f"not a valid e-mail address: {_one_line(bad[0])!r}", []
    return "", addresses
