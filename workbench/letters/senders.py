"""Who signs each communication, and which account it asks to be paid into.

A communication carries its selling entity and currency. Its sender is that
entity's letterhead from the workspace (:class:`workbench.workspace.Letterhead`)
with the entity's bank account *in that currency*: a USD reminder of a US
entity asks for payment to the US entity's USD account, never to another
entity's IBAN. A run checks every communication before writing anything
(:meth:`Senders.problems`) and names each entity or currency that is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..collections.model import Communication, Sender
from ..workspace import Letterhead
from .text import LetterError

__all__ = ["Senders", "sender_from"]


def sender_from(head: Letterhead, currency: str) -> Sender:
    """The sender of a communication in ``currency`` from ``head`` (bank fields empty without such an account)."""
    account = head.account(currency)
    return Sender(
        name=head.legal_name,
        department=head.department,
        email=head.email,
        phone=head.phone,
        address=head.address,
        iban=account.iban if account else "",
        bic=account.bic if account else "",
        account=account.account if account else "",
        routing=account.routing if account else "",
        bank=account.bank if account else "",
        registration=head.registration,
        vat_id=head.vat_id,
    )


class Senders:
    """The senders of a run: each entity's letterhead with its account in each currency.

    ``Senders.single(sender)`` gives one sender to every communication (a
    preview, a test, a one-entity company that set its sender by hand).
    """

    def __init__(self, letterheads: Mapping[str, Letterhead]) -> None:
        self._letterheads = dict(letterheads)
        self._single: Sender | None = None

    @classmethod
    def single(cls, sender: Sender) -> Senders:
        """One sender for every entity and currency."""
        senders = cls({})
        senders._single = sender
        return senders

    def problem(self, comm: Communication) -> str | None:
        """Why ``comm`` cannot be signed (no letterhead for its entity, no account in its currency), else None."""
        if self._single is not None:
            return None
        head = self._letterheads.get(comm.entity)
        if head is None:
            return (
                f"entity {comm.entity or '(none)'} has no letterhead: add [entities.{comm.entity or 'CODE'}] "
                "to workbench.toml (legal name, address, bank accounts)"
            )
        if head.account(comm.currency) is None:
            return (
                f"entity {comm.entity} has no bank account in {comm.currency}: add "
                f'[[entities.{comm.entity}.bank_accounts]] with currency = "{comm.currency}" to workbench.toml'
            )
        return None

    def problems(self, comms: Iterable[Communication]) -> list[str]:
        """Every distinct reason why some communication cannot be signed, with how many it concerns."""
        counts: dict[str, int] = {}
        for comm in comms:
            found = self.problem(comm)
            if found is not None:
                counts[found] = counts.get(found, 0) + 1
        return [f"{text} ({n} communication{'s' if n > 1 else ''})" for text, n in counts.items()]

    def for_communication(self, comm: Communication) -> Sender:
        """The sender of ``comm``; raises :class:`LetterError` naming what is missing."""
        if self._single is not None:
            return self._single
        found = self.problem(comm)
        if found is not None:
            raise LetterError(f"customer {comm.customer_id}: {found}")
        return sender_from(self._letterheads[comm.entity], comm.currency)
