"""The nouns of a dunning run, shared by the run, the letters and the journal.

Borrowed from OCA credit-control: a *policy* has *levels*; a *run* for one
controlling date produces *lines* (one overdue item at one level), grouped into
*communications* (one per customer, level and currency). Money here is
``Decimal`` in the communication's currency, already rounded to its minor
unit: these records are what a letter shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

CHANNELS = ("email", "letter", "phone")


@dataclass(frozen=True)
class Sender:
    """Who signs the letters: the selling entity's credit department, and the account to pay into.

    The bank fields are those of the account in the communication's currency:
    ``iban`` and ``bic``, or ``account`` and ``routing`` where there is no IBAN.
    """

    name: str
    department: str = "Credit Control"
    email: str = ""
    phone: str = ""
    address: tuple[str, ...] = ()
    iban: str = ""
    bic: str = ""
    account: str = ""
    routing: str = ""
    bank: str = ""
    registration: str = ""
    vat_id: str = ""


@dataclass(frozen=True)
class LetterLine:
    """One overdue item claimed in a communication."""

    document_id: str
    doc_type: str
    doc_date: date
    due_date: date
    days_overdue: int
    amount: Decimal
    open: Decimal
    level: int
    reference: str = ""
    interest: Decimal = Decimal("0")
    compensation: Decimal = Decimal("0")


@dataclass(frozen=True)
class CreditLine:
    """A payment or credit note of the customer not yet applied (shown as a deduction)."""

    source_id: str
    kind: str
    date: date
    open: Decimal


@dataclass(frozen=True)
class StatementLine:
    """One line of the statement of account: every open item, overdue or not."""

    document_id: str
    doc_type: str
    doc_date: date
    due_date: date | None
    amount: Decimal
    open: Decimal
    status: str  # overdue, not due, disputed, promised, unapplied


@dataclass(frozen=True)
class Communication:
    """One reminder to one customer at one level in one currency."""

    as_of: date
    customer_id: str
    customer_name: str
    country: str
    language: str
    email: str
    phone: str
    collector: str
    currency: str
    level: int
    level_name: str
    channel: str
    template: str
    lines: tuple[LetterLine, ...]
    credits: tuple[CreditLine, ...] = ()
    statement: tuple[StatementLine, ...] = ()
    fee: Decimal = Decimal("0")
    interest_basis: str = ""
    #: (jurisdiction, total rate in percent) of each reference rate the interest used, for localised letters
    interest_rates: tuple[tuple[str, Decimal], ...] = ()
    actions: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    #: the selling entity whose letterhead and bank account the communication carries (the customer's entity)
    entity: str = ""
    #: the customer's postal address lines, without the country (which letters print in their language)
    address: tuple[str, ...] = ()

    @property
    def overdue_total(self) -> Decimal:
        """Sum of the open amounts of the claimed items."""
        return sum((line.open for line in self.lines), Decimal("0"))

    @property
    def credit_total(self) -> Decimal:
        """Sum of the unapplied credits deducted."""
        return sum((credit.open for credit in self.credits), Decimal("0"))

    @property
    def interest_total(self) -> Decimal:
        """Statutory interest claimed (sum of the per-item rounded figures)."""
        return sum((line.interest for line in self.lines), Decimal("0"))

    @property
    def compensation_total(self) -> Decimal:
        """Fixed recovery compensation claimed."""
        return sum((line.compensation for line in self.lines), Decimal("0"))

    @property
    def amount_due(self) -> Decimal:
        """What the customer is asked to pay now."""
        return self.overdue_total - self.credit_total + self.interest_total + self.compensation_total + self.fee
