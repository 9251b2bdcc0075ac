"""What a dunning letter says: the wording chosen per level and the facts a template fills in.

Everything here is plain data taken from one planned
:class:`~workbench.collections.model.Communication` and the ``Sender``: which
template a level uses, which escalation steps the customer is told about, the
payment deadline and reference, the grouped IBAN, the statement of account
with its running balance, and the interest basis in the letter's language.
Nothing reads a file or the clock (dates come from ``comm.as_of``); turning
these facts into HTML, text or PDF is :mod:`workbench.letters.render`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ..collections.interest import JURISDICTIONS
from ..collections.locale import LocaleFormat, format_number
from ..collections.model import Communication, Sender, StatementLine
from ..errors import WorkbenchError

__all__ = [
    "ACTION_ALIASES",
    "DEADLINE_DAYS",
    "ISSUE_TIME",
    "LEVEL_TEMPLATES",
    "LetterError",
    "StatementRow",
    "StatementView",
    "customer_actions",
    "interest_basis",
    "issued_at",
    "letter_facts",
    "one_line",
    "template_for_level",
]

#: Template used for a level when ``comm.template`` is empty; level 4 and above use ``final_demand``.
LEVEL_TEMPLATES: dict[int, str] = {1: "reminder", 2: "second_reminder", 3: "formal_notice", 4: "final_demand"}

#: Days between ``as_of`` and the payment deadline quoted in the final demand.
DEADLINE_DAYS = 8

#: Action codes of ``comm.actions`` the letters tell the customer about, with accepted spellings.
#: Any other action (an internal one such as a phone call) is not mentioned in customer texts.
ACTION_ALIASES: dict[str, str] = {
    "suspend_deliveries": "suspend_deliveries",
    "suspension": "suspend_deliveries",
    "suspend": "suspend_deliveries",
    "stop_deliveries": "suspend_deliveries",
    "block_deliveries": "suspend_deliveries",
    "delivery_stop": "suspend_deliveries",
    "credit_hold": "credit_hold",
    "hold": "credit_hold",
    "account_hold": "credit_hold",
    "prepayment": "credit_hold",
    "collection_agency": "collection_agency",
    "agency": "collection_agency",
    "debt_collection": "collection_agency",
    "collection": "collection_agency",
    "legal_action": "legal_action",
    "legal": "legal_action",
    "lawyer": "legal_action",
    "court": "legal_action",
}

#: The time of day a communication is dated (its e-mail ``Date`` and its PDFs' timestamps), on ``comm.as_of``.
ISSUE_TIME = time(8, 0, tzinfo=UTC)

_HEADER_BREAKS = re.compile(r"[\r\n\t\f\v\x00\u2028\u2029\x85]+")
_REFERENCE_MAX = 140  # SEPA remittance information


class LetterError(WorkbenchError):
    """A letter, e-mail or statement cannot be produced (bad template, missing field, unusable address)."""


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
            raw = [
                (s.document_id, s.doc_type, s.doc_date, s.due_date, s.amount, s.open, s.status) for s in comm.statement
            ]
        else:
            raw = [
                (ln.document_id, ln.doc_type, ln.doc_date, ln.due_date, ln.amount, ln.open, "overdue")
                for ln in comm.lines
            ]
        listed = {r[0] for r in raw if r[6] == "unapplied"}
        raw += [
            (c.source_id, c.kind, c.date, None, c.open, c.open, "unapplied")
            for c in comm.credits
            if c.source_id not in listed
        ]
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


def issued_at(comm: Communication) -> datetime:
    """The moment a communication is dated: ``comm.as_of`` at :data:`ISSUE_TIME` (never the clock)."""
    return datetime.combine(comm.as_of, ISSUE_TIME)


def one_line(text: str) -> str:
    """Header-safe text: CR, LF and other line breaks become spaces; runs of blanks collapse."""
    return re.sub(r" {2,}", " ", _HEADER_BREAKS.sub(" ", text)).strip()


def customer_actions(comm: Communication, known: Mapping[str, object]) -> list[str]:
    """The escalation steps of ``comm`` the customer is told about, as canonical codes, in order, once each.

    An action counts when its spelling is in :data:`ACTION_ALIASES` and the
    language has words for it (``known``: the ``actions`` table of its labels).
    """
    actions: list[str] = []
    for code in comm.actions:
        key = ACTION_ALIASES.get(re.sub(r"[\s-]+", "_", code.strip().lower()))
        if key and key not in actions and key in known:
            actions.append(key)
    return actions


def interest_basis(comm: Communication, lang: str, words: Mapping[str, str]) -> str:
    """The reference rates of the interest in the letter's language.

    ``words`` is the ``rates`` table of the language's labels (names of the
    rate tables and the word for ``points``), e.g. German ``Basiszinssatz
    1,27 % + 9 Prozentpunkte = 10,27 %``. Without rates on the communication
    the run's English text (``comm.interest_basis``) is used.
    """
    if not comm.interest_rates:
        return comm.interest_basis

    def number(value: Decimal) -> str:
        return format_number(value.normalize() if value == value.to_integral() else value, lang, comm.country)

    texts = []
    for code, total in comm.interest_rates:
        jur = JURISDICTIONS[code]
        name = words.get(jur.table, jur.rate_label)
        texts.append(
            f"{name} {number(total - jur.margin)} % + {number(jur.margin)} "
            f"{words.get('points', 'points')} = {number(total)} %"
        )
    return "; ".join(dict.fromkeys(texts))


def letter_facts(
    comm: Communication, sender: Sender, labels: Mapping[str, Any], lang: str, *, statement_attached: bool = False
) -> dict[str, Any]:
    """Everything a template may use about one communication, written in ``lang``.

    ``labels`` are the language's fixed words (``<lang>/labels.toml``);
    ``statement_attached`` says whether the e-mail carries the statement of
    account. The keys are the names the templates use (see ``docs/letters.md``).
    """
    fmt = LocaleFormat(lang, comm.country)
    iban = re.sub(r"\s+", "", sender.iban).upper()
    doc_ids = " ".join(line.document_id for line in comm.lines)
    reference = f"{comm.customer_id} {doc_ids}".strip()
    return {
        "comm": comm,
        "interest_basis": interest_basis(comm, lang, labels.get("rates", {})),
        "sender": sender,
        "labels": labels,
        "lang": lang,
        "fmt": fmt,
        "deadline": comm.as_of + timedelta(days=DEADLINE_DAYS),
        "actions": customer_actions(comm, labels.get("actions", {})),
        "has_interest": any(line.interest for line in comm.lines),
        "has_compensation": bool(comm.compensation_total),
        "document_count": len(comm.lines),
        "max_days_overdue": max((line.days_overdue for line in comm.lines), default=0),
        "iban": " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)),
        "payment_reference": reference if len(reference) <= _REFERENCE_MAX else comm.customer_id,
        "customer_country": fmt.country_name(comm.country) if comm.country else "",
        "statement_attached": statement_attached,
        "statement": StatementView.of(comm),
    }
