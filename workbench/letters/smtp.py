"""Send rendered reminder e-mails through an SMTP server, over one connection.

The password is never stored in :class:`SmtpSettings`: the settings name an
environment variable (``password_env``) that is read at send time, so
settings can be written to a file or a log without leaking a secret.

>>> SmtpSettings("smtp.example.com", 587, starttls=True, username="dunning", password_env="WORKBENCH_SMTP_PASSWORD")
SmtpSettings(host='smtp.example.com', port=587, starttls=True, username='dunning', password_env='WORKBENCH_SMTP_PASSWORD', timeout=30.0, local_hostname='')
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid

from ..errors import WorkbenchError

__all__ = ["MailError", "RecipientRefusedError", "SmtpSettings", "send_messages"]


class MailError(WorkbenchError):
    """E-mails could not be sent (connection, TLS, login or server error).

    ``sent`` lists the Message-IDs accepted by the server before the failure.
    """

    def __init__(self, message: str, sent: list[str] | None = None) -> None:
        super().__init__(message)
        self.sent: list[str] = list(sent or [])


class RecipientRefusedError(MailError):
    """The server refused a recipient (or the whole message for that recipient); the message names it."""

    def __init__(self, message: str, recipient: str, sent: list[str] | None = None) -> None:
        super().__init__(message, sent)
        self.recipient = recipient


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: host, port, STARTTLS, and login user with the *name* of the password variable.

    ``password_env`` is the name of an environment variable holding the
    password; it is read when sending and never kept. Login happens only
    when ``username`` is set. ``local_hostname`` is the name sent in EHLO
    (empty: the machine's fully qualified name, as smtplib does).
    """

    host: str
    port: int = 25
    starttls: bool = False
    username: str = ""
    password_env: str = ""
    timeout: float = 30.0
    local_hostname: str = ""

    def password(self) -> str:
        """The password from the environment variable ``password_env`` (raises :class:`MailError` if unset)."""
        if not self.password_env:
            raise MailError(
                f"SMTP user {self.username!r} needs a password: set password_env to the name of "
                "the environment variable that holds it"
            )
        value = os.environ.get(self.password_env)
        if value is None:
            raise MailError(f"SMTP password: environment variable {self.password_env} is not set")
        return value


def _recipients(msg: EmailMessage) -> list[str]:
    """The envelope recipients of a message (To, Cc, Bcc), as smtplib computes them."""
    fields = [str(value) for name in ("To", "Cc", "Bcc") for value in msg.get_all(name, [])]
    return [address for _, address in getaddresses(fields) if address]


def send_messages(messages: Iterable[EmailMessage], settings: SmtpSettings) -> list[str]:
    """Send ``messages`` over one SMTP connection and return their Message-IDs, in order.

    A message without a Message-ID gets one (``make_msgid`` on the sender's
    domain) before sending. The first refusal stops the run with
    :class:`RecipientRefusedError` naming the recipient; its ``sent``
    attribute lists what was accepted before. Connection, TLS and login
    problems raise :class:`MailError` naming the server.
    """
    password = settings.password() if settings.username else ""
    server = f"{settings.host}:{settings.port}"
    sent: list[str] = []
    try:
        with smtplib.SMTP(
            settings.host, settings.port, timeout=settings.timeout, local_hostname=settings.local_hostname or None
        ) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, password)
            for msg in messages:
                if not msg["Message-ID"]:
                    domain = str(msg.get("From", "")).rpartition("@")[2].strip("> ") or None
                    msg["Message-ID"] = make_msgid(domain=domain)
                message_id = str(msg["Message-ID"])
                recipients = _recipients(msg)
                try:
                    refused = smtp.send_message(msg)
                except smtplib.SMTPRecipientsRefused as exc:
                    address, (code, reason) = next(iter(exc.recipients.items()))
                    raise RecipientRefusedError(
                        f"{server} refused recipient {address} of {message_id}: {code} {_text(reason)}", address, sent
                    ) from exc
                except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                    address = ", ".join(recipients) or "(no recipient)"
                    raise RecipientRefusedError(
                        f"{server} refused {message_id} for {address}: {exc.smtp_code} {_text(exc.smtp_error)}",
                        address,
                        sent,
                    ) from exc
                if refused:
                    address, (code, reason) = next(iter(refused.items()))
                    raise RecipientRefusedError(
                        f"{server} refused recipient {address} of {message_id} (the other recipients got it): "
                        f"{code} {_text(reason)}",
                        address,
                        sent + [message_id],
                    )
                sent.append(message_id)
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"{server}: login as {settings.username!r} refused: {exc.smtp_code} {_text(exc.smtp_error)}", sent
        ) from exc
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise MailError(f"cannot send through {server}: {type(exc).__name__}: {exc}", sent) from exc
    return sent


def _text(reason: bytes | str) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
