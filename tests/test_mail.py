"""SMTP sending against a local aiosmtpd server on 127.0.0.1 (no external address is ever contacted)."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from workbench.errors import WorkbenchError
from workbench.letters import LetterRenderer
from workbench.letters.smtp import MailError, RecipientRefusedError, SmtpSettings, send_messages

from .test_letters import SENDER, make_comm

REFUSED = "nobody@refused.example"


class Collector:
    """aiosmtpd handler keeping every envelope; refuses one address at RCPT time."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        self.envelopes.append(envelope)
        return "250 Message accepted"


class Authenticator:
    """Accepts one user and password; remembers what it was given."""

    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bytes]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN204
        assert isinstance(auth_data, LoginPassword)
        self.seen.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"dunning" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server(**smtp_parameters) -> tuple[Controller, Collector]:
    handler = Collector()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        server_hostname="localhost",
        ready_timeout=10,
        **smtp_parameters,
    )
    controller.start()
    return controller, handler


@pytest.fixture()
def smtp() -> Iterator[tuple[SmtpSettings, Collector]]:
    controller, handler = _server()
    try:
        yield SmtpSettings(host="127.0.0.1", port=controller.port, timeout=10, local_hostname="localhost"), handler
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def renderer() -> LetterRenderer:
    return LetterRenderer(SENDER)


def test_send_two_rendered_messages(smtp: tuple[SmtpSettings, Collector], renderer: LetterRenderer) -> None:
    settings, handler = smtp
    first = renderer.email_message(make_comm("fr", "FR", "reminder"))
    second = renderer.email_message(
        make_comm("de", "DE", "formal_notice", customer_id="C-0077", email="buchhaltung@kunde.example")
    )
    sent = send_messages([first, second], settings)
    assert sent == [first["Message-ID"], second["Message-ID"]]
    assert len(handler.envelopes) == 2
    assert [env.rcpt_tos for env in handler.envelopes] == [["ap@smith-sons.example"], ["buchhaltung@kunde.example"]]
    assert all(env.mail_from == "credit@northwind.example" for env in handler.envelopes)
    received = [
        email.message_from_bytes(env.original_content, policy=email.policy.default) for env in handler.envelopes
    ]
    assert [str(msg["Subject"]) for msg in received] == [str(first["Subject"]), str(second["Subject"])]
    assert received[0]["Subject"].startswith("Rappel de paiement – client C-0042")
    assert received[1]["Subject"].startswith("Förmliche Mahnung – Kundennummer C-0077")
    for msg in received:
        attachments = list(msg.iter_attachments())
        assert len(attachments) == 1 and attachments[0].get_content_type() == "application/pdf"
        assert attachments[0].get_content().startswith(b"%PDF")
    assert attachments[0].get_filename() == "statement_C-0077_2026-11-20.pdf"


def test_refused_recipient_is_named(smtp: tuple[SmtpSettings, Collector], renderer: LetterRenderer) -> None:
    settings, handler = smtp
    good = renderer.email_message(make_comm(template="reminder"), attach_statement=False)
    bad = renderer.email_message(
        make_comm(template="reminder", customer_id="C-0666", email=REFUSED), attach_statement=False
    )
    with pytest.raises(RecipientRefusedError, match=REFUSED) as caught:
        send_messages([good, bad], settings)
    assert isinstance(caught.value, WorkbenchError)
    assert caught.value.recipient == REFUSED
    assert caught.value.sent == [good["Message-ID"]]
    assert len(handler.envelopes) == 1


def test_login_reads_the_password_from_the_environment(
    renderer: LetterRenderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    authenticator = Authenticator()
    controller, handler = _server(authenticator=authenticator, auth_require_tls=False)
    try:
        settings = SmtpSettings(
            "127.0.0.1",
            controller.port,
            username="dunning",
            password_env="WB_TEST_SMTP_PASSWORD",
            timeout=10,
            local_hostname="localhost",
        )
        assert "s3cret" not in repr(settings)
        message = renderer.email_message(make_comm(template="reminder"), attach_statement=False)

        monkeypatch.delenv("WB_TEST_SMTP_PASSWORD", raising=False)
        with pytest.raises(MailError, match=r"named by password_env \(--smtp-password-env\) is not set"):
            send_messages([message], settings)
        assert authenticator.seen == []  # nothing was attempted without the password

        monkeypatch.setenv("WB_TEST_SMTP_PASSWORD", "wrong")
        with pytest.raises(MailError, match="login as 'dunning' refused"):
            send_messages([message], settings)

        monkeypatch.setenv("WB_TEST_SMTP_PASSWORD", "s3cret")
        assert send_messages([message], settings) == [message["Message-ID"]]
        assert authenticator.seen[-1] == (b"dunning", b"s3cret")
        assert len(handler.envelopes) == 1
    finally:
        controller.stop()


def test_username_without_password_variable() -> None:
    with pytest.raises(MailError, match="password_env"):
        send_messages([], SmtpSettings("127.0.0.1", 9, username="dunning"))


def test_unreachable_server_is_named() -> None:
    port = _free_port()  # nothing listens there
    with pytest.raises(MailError, match=f"127.0.0.1:{port}"):
        send_messages([], SmtpSettings("127.0.0.1", port, timeout=5, local_hostname="localhost"))


def test_message_without_id_gets_one(smtp: tuple[SmtpSettings, Collector], renderer: LetterRenderer) -> None:
    settings, handler = smtp
    message = renderer.email_message(make_comm(template="reminder"), attach_statement=False)
    del message["Message-ID"]
    assert message["Message-ID"] is None
    sent = send_messages([message], settings)
    assert len(sent) == 1 and sent[0].endswith("@northwind.example>")
    assert len(handler.envelopes) == 1


def test_a_recorded_run_sends_its_emails_and_a_dry_run_sends_none(smtp, tmp_path) -> None:
    from datetime import date

    from tests.builders import inv, ledger, letterheads
    from workbench.collections.policy import load_policy
    from workbench.journal import Journal
    from workbench.letters.run import carry_out

    settings, server = smtp
    customers = [
        {
            "customer_id": "C1",
            "name": "Alpha SARL",
            "country": "FR",
            "currency": "EUR",
            "language": "fr",
            "email": "ap@alpha.example",
            "collector": "Ann",
        },
        {
            "customer_id": "C2",
            "name": "Beta GmbH",
            "country": "DE",
            "currency": "EUR",
            "language": "de",
            "email": "",
            "collector": "Ann",
        },  # no address: a printed letter, nothing sent
    ]
    led = ledger(
        tmp_path / "ledger",
        customers=customers,
        documents=[
            inv("A1", "2026-10-01", "2026-11-01", "1200.00"),
            inv("B1", "2026-10-01", "2026-11-01", "800.00", customer="C2"),
        ],
    )
    policy = load_policy()
    with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
        heads = letterheads()
        dry = carry_out(
            led,
            date(2026, 11, 20),
            policy,
            tmp_path / "dry",
            journal=book,
            dry_run=True,
            smtp=settings,
            letterheads=heads,
        )
        assert dry.sent == 0 and server.envelopes == [] and book.history().height == 0
        done = carry_out(
            led,
            date(2026, 11, 20),
            policy,
            tmp_path / "run",
            journal=book,
            smtp=settings,
            company="Demo Industries Group",
            letterheads=heads,
        )
        letters = book.dunning_letters()
        deliveries = book.deliveries()
    assert done.sent == 1 and len(server.envelopes) == 1
    # the journal says what went out, by channel: C1 e-mailed, C2 (no address) printed
    assert sorted(zip(letters["customer_id"], letters["channel"])) == [("C1", "email"), ("C2", "letter")]
    assert sorted(zip(deliveries["customer_id"], deliveries["outcome"])) == [
        ("C1", "sending"),
        ("C1", "sent"),
        ("C2", "printed"),
    ]
    assert done.delivery is not None and done.delivery.status == {"sent": 1, "printed": 1}
    (envelope,) = server.envelopes
    assert envelope.rcpt_tos == ["ap@alpha.example"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    # the journal's first run: A1, 19 days overdue, is placed by age at the second reminder
    assert str(message["Subject"]).startswith("Deuxième rappel")
    assert "A1" in message.get_body(preferencelist=("plain",)).get_content()
    assert sorted(letters["customer_id"].to_list()) == ["C1", "C2"]
    assert (tmp_path / "run" / "letters").is_dir() and any((tmp_path / "run" / "letters").glob("C2_EUR_L2*.pdf"))
