"""Send rendered reminder e-mails through an SMTP server, over one connection.

The password is never stored in :class:`SmtpSettings`: the settings name an
environment variable (``password_env``) that is read at send time, so
settings can be written to a file or a log without leaking a secret.

>>> SmtpSettings("smtp.example.com", 587, starttls=True, username="dunning", password_env="WORKBENCH_SMTP_PASSWORD")
SmtpSettings(host='smtp.example.com', port=587, starttls=True, username='dunning', password_env='WORKBENCH_SMTP_PASSWORD', timeout=30.0, local_hostname='')
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid

from ..errors import WorkbenchError
from ..redact import mask_host, mask_secrets, remember_secret

__all__ = ["MailError", "RecipientRefusedError", "SmtpSession", "SmtpSettings", "send_messages"]


class MailError(WorkbenchError):
    """E-mails could not be sent (connection, TLS, login or server error).

    ``sent`` lists the Message-IDs accepted by the server before the failure.
    The message has any known secret masked (:func:`workbench.redact.mask_secrets`):
    it is shown, written to the run's summary and recorded in the journal.
    """

    def __init__(self, message: str, sent: list[str] | None = None) -> None:
        super().__init__(mask_secrets(message))
        self.sent: list[str] = list(sent or [])


class RecipientRefusedError(MailError):
    """The server refused a recipient (or the whole message for that recipient); the message names it.

    ``accepted_id`` is the Message-ID when the server took the message for
    the other recipients (a partial refusal): it went out and must not be sent again.
    """

    def __init__(
        self, message: str, recipient: str, sent: list[str] | None = None, accepted_id: str | None = None
    ) -> None:
        super().__init__(message, sent)
        self.recipient = recipient
        self.accepted_id = accepted_id


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
        """The password from the environment variable ``password_env`` (raises :class:`MailError` if unset).

        The value is remembered as a secret, so no later message can show it.
        """
        if not self.password_env:
            raise MailError(
                f"SMTP user {self.username!r} needs a password: set password_env to the name of "
                "the environment variable that holds it"
            )
        if not _ENV_NAME.fullmatch(self.password_env):
            raise MailError(
                "SMTP password: password_env (--smtp-password-env) must be the name of an environment variable "
                "(letters, digits and _), not the password itself"
            )
        value = os.environ.get(self.password_env)
        if value is None:
            raise MailError(
                "SMTP password: the environment variable named by password_env (--smtp-password-env) is not set"
            )
        remember_secret(value)
        return value


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class SmtpSession:
    """One message at a time over a connection opened on first use and reopened after a failure.

    :meth:`send` returns the Message-ID the server accepted, raises
    :class:`RecipientRefusedError` when the server refused this message (the
    connection stays usable), or :class:`MailError` when the connection,
    TLS or login failed (the next call tries a new connection). Use it as a
    context manager to close the connection at the end.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.server = f"{mask_host(settings.host)}:{settings.port}"
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT if the connection is open (errors ignored) and forget it."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def reconnect(self) -> None:
        """Open a new connection now (raises :class:`MailError` when the server cannot be reached or refuses login)."""
        self.close()
        self._smtp = self._connect()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        password = settings.password() if settings.username else ""
        try:
            smtp = smtplib.SMTP(
                settings.host, settings.port, timeout=settings.timeout, local_hostname=settings.local_hostname or None
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"cannot connect to {self.server}: {type(exc).__name__}: {exc}") from exc
        try:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise MailError(
                f"{self.server}: login as {settings.username!r} refused: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            smtp.close()
            raise MailError(f"{self.server}: {type(exc).__name__}: {exc}") from exc
        return smtp

    def send(self, msg: EmailMessage) -> str:
        """Send one message (a Message-ID is added when missing); return its Message-ID."""
        if not msg["Message-ID"]:
            domain = str(msg.get("From", "")).rpartition("@")[2].strip("> ") or None
            msg["Message-ID"] = make_msgid(domain=domain)
        message_id = str(msg["Message-ID"])
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            address, (code, reason) = next(iter(exc.recipients.items()))
            raise RecipientRefusedError(
                f"{self.server} refused recipient {address}: {code} {_text(reason)}", address
            ) from exc
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            address = ", ".join(_recipients(msg)) or "(no recipient)"
            raise RecipientRefusedError(
                f"{self.server} refused the message for {address}: {exc.smtp_code} {_text(exc.smtp_error)}", address
            ) from exc
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            self.close()
            raise MailError(f"connection to {self.server} lost: {type(exc).__name__}: {exc}") from exc
        if refused:
            address, (code, reason) = next(iter(refused.items()))
            raise RecipientRefusedError(
                f"{self.server} refused recipient {address} (the other recipients got it): {code} {_text(reason)}",
                address,
                accepted_id=message_id,
            )
        return message_id


def _recipients(msg: EmailMessage) -> list[str]:
    """The envelope recipients of a message (To, Cc, Bcc), as smtplib computes them."""
    fields = [str(value) for name in ("To", "Cc", "Bcc") for value in msg.get_all(name, [])]
    return [address for _, address in getaddresses(fields) if address]


def send_messages(messages: Iterable[EmailMessage], settings: SmtpSettings) -> list[str]:
    """Send ``messages`` over one SMTP connection (an :class:`SmtpSession`) and return their Message-IDs, in order.

    A message without a Message-ID gets one (``make_msgid`` on the sender's
    domain) before sending. The first refusal stops the run with
    :class:`RecipientRefusedError` naming the recipient; its ``sent``
    attribute lists what was accepted before (and the refused message itself
    when the other recipients got it). Connection, TLS and login problems
    raise :class:`MailError` naming the server.
    """
    sent: list[str] = []
    with SmtpSession(settings) as session:
        session.reconnect()  # connect (and log in) now, even for no message: a bad server is named at once
        for msg in messages:
            try:
                sent.append(session.send(msg))
            except RecipientRefusedError as exc:
                accepted = [exc.accepted_id] if exc.accepted_id else []
                raise RecipientRefusedError(str(exc), exc.recipient, sent + accepted, exc.accepted_id) from exc
            except MailError as exc:
                raise MailError(str(exc), sent) from exc
    return sent


def _text(reason: bytes | str) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
