"""The reminder e-mail of a communication: addresses, headers and the MIME message.

:func:`email_message` puts together what :class:`~workbench.letters.render.LetterRenderer`
renders (subject, plain text, HTML, the statement PDF) into one
``EmailMessage`` that is the same bytes for the same communication: ``Date``
is ``comm.as_of`` at 08:00 UTC, the ``Message-ID`` and the MIME boundaries
are derived from ids. Sending it is :mod:`workbench.letters.smtp`.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from ..collections.model import Communication, Sender
from ..render.files import safe_name
from .names import digest, safe_customer, statement_filename
from .text import LetterError, issued_at, one_line

if TYPE_CHECKING:
    from .render import LetterRenderer

__all__ = ["email_message", "message_id", "parse_addresses", "recipients"]

_EMAIL_RE = re.compile(  # used with fullmatch: a plain addr-spec, nothing around it
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


def parse_addresses(text: str) -> tuple[str, list[str]]:
    """``(problem, addresses)`` of an e-mail field; ``problem`` is empty when every address is usable.

    The field may list several addresses separated by ``,`` or ``;``; each
    must be a plain address (``name@example.com``, nothing around it).
    """
    addresses = [part.strip() for part in re.split(r"[;,]", text or "") if part.strip()]
    if not addresses:
        return "no e-mail address", []
    bad = [a for a in addresses if not _EMAIL_RE.fullmatch(a)]
    if bad:
        return f"not a valid e-mail address: {one_line(bad[0])!r}", []
    return "", addresses


def recipients(comm: Communication) -> list[str]:
    """The customer's e-mail addresses (``comm.email`` may list several, separated by ``,`` or ``;``).

    Raises :class:`LetterError` when there is none or one is not a plain address.
    """
    problem, addresses = parse_addresses(comm.email)
    if problem:
        raise LetterError(f"customer {comm.customer_id}: {problem}")
    return addresses


def message_id(sender: Sender, comm: Communication) -> str:
    """A Message-ID that depends only on the sender's domain, customer, as-of date, level and currency."""
    domain = re.sub(r"[^a-z0-9.-]", "", sender.email.rpartition("@")[2].lower()).strip(".-")
    domain = domain or "workbench.invalid"
    customer = safe_customer(comm.customer_id)
    hashed = digest(domain, comm.customer_id, comm.as_of.isoformat(), comm.level, comm.currency)[:12]
    return (
        f"<dunning.{comm.as_of:%Y%m%d}.{customer}.{safe_name(comm.currency.upper(), 'XXX')}"
        f".L{int(comm.level)}.{hashed}@{domain}>"
    )


def email_message(renderer: LetterRenderer, comm: Communication, *, attach_statement: bool = True) -> EmailMessage:
    """The complete e-mail: text and HTML alternatives, and the statement PDF attached.

    ``renderer`` renders the texts and the statement, and the communication's
    sender (:meth:`LetterRenderer.sender_for`) is the ``From``. ``Date`` is ``comm.as_of`` at 08:00 UTC, ``Message-ID`` is
    deterministic (:func:`message_id`) and so are the MIME boundaries: the
    same communication always gives the same bytes. Customer text that goes
    into a header has its CR/LF replaced by spaces.
    """
    sender = renderer.sender_for(comm)
    sender_address = sender.email.strip()
    if not _EMAIL_RE.fullmatch(sender_address):
        raise LetterError(f"the sender's e-mail address is missing or invalid: {sender.email!r}")
    to = recipients(comm)
    msg = EmailMessage()
    try:
        msg["From"] = Address(display_name=one_line(sender.name), addr_spec=sender_address)
        msg["To"] = [Address(display_name=one_line(comm.customer_name), addr_spec=a) for a in to]
    except (ValueError, IndexError) as exc:
        raise LetterError(f"customer {comm.customer_id}: unusable address: {exc}") from exc
    msg["Subject"] = renderer.subject(comm)
    msg["Date"] = format_datetime(issued_at(comm))
    msg["Message-ID"] = message_id(sender, comm)
    msg.set_content(renderer.email_text(comm, statement_attached=attach_statement), cte="quoted-printable")
    msg.add_alternative(
        renderer.email_html(comm, statement_attached=attach_statement), subtype="html", cte="quoted-printable"
    )
    if attach_statement:
        msg.add_attachment(
            renderer.statement_pdf(comm), maintype="application", subtype="pdf", filename=statement_filename(comm)
        )
    seed = digest(msg["Message-ID"])[:24]
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_wb_{index}_{seed}")  # "=_" never occurs in base64 or quoted-printable
    return msg
