"""Dunning as an outbox, under faults: the journal says exactly what went out, and a rerun never sends twice.

A local aiosmtpd server on 127.0.0.1 plays the mail server. Eight customers:
six with an e-mail address (one the server refuses), one without (a printed
letter), one whose level asks for a phone call is not needed here.
"""

from __future__ import annotations

import socket
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from workbench.collections.dunning import delivered_letters
from workbench.collections.policy import load_policy
from workbench.journal import Journal
from workbench.letters.run import carry_out
from workbench.letters.smtp import SmtpSettings

from .builders import inv, ledger, letterheads, write_workspace
from .test_mail import REFUSED, Collector, _free_port, _server

AS_OF = date(2026, 11, 20)
EMAILS = ["a@alpha.example", "b@beta.example", REFUSED, "d@delta.example", "e@echo.example", "f@fox.example"]


@pytest.fixture()
def led(tmp_path: Path):
    customers = [
        {
            "customer_id": f"C{n}",
            "name": f"Customer {n}",
            "country": "FR",
            "currency": "EUR",
            "language": "fr",
            "email": address,
            "collector": "Ann",
        }
        for n, address in enumerate(EMAILS, start=1)
    ]
    customers.append(
        {
            "customer_id": "C7",
            "name": "Customer 7",
            "country": "DE",
            "currency": "EUR",
            "language": "de",
            "email": "",
            "collector": "Ann",
        }
    )
    docs = [inv(f"I{n}", "2026-10-01", "2026-11-01", f"{100 * n}.00", customer=f"C{n}") for n in range(1, 8)]
    write_workspace(tmp_path)  # the letterheads the command-line runs sign with
    return ledger(tmp_path / "ledger", customers=customers, documents=docs)


def _settings(port: int, **extra) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, timeout=5, local_hostname="localhost", **extra)


def _received(*handlers: Collector) -> Counter[str]:
    return Counter(address for h in handlers for envelope in h.envelopes for address in envelope.rcpt_tos)


def _run(led, tmp_path: Path, book: Journal, settings: SmtpSettings | None, **kwargs):
    return carry_out(
        led, AS_OF, load_policy(), tmp_path / "run", journal=book, smtp=settings, letterheads=letterheads(), **kwargs
    )


def test_a_refused_address_fails_that_customer_alone_and_a_rerun_retries_only_it(led, tmp_path) -> None:
    controller, handler = _server()
    try:
        with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
            first = _run(led, tmp_path, book, _settings(controller.port))
            assert first.delivery is not None
            assert first.delivery.status == {"sent": 5, "failed": 1, "printed": 1}
            assert [(f["customer_id"], f["channel"]) for f in first.delivery.failures] == [("C3", "email")]
            assert "refused recipient nobody@refused.example" in first.delivery.failures[0]["reason"]
            assert not first.complete
            # only delivered communications advance the levels
            assert sorted(delivered_letters(book)["customer_id"].to_list()) == ["C1", "C2", "C4", "C5", "C6", "C7"]
            again = _run(led, tmp_path, book, _settings(controller.port))
            assert again.run is None and again.run_id == first.run_id  # the same run, resumed
            assert again.delivery is not None and again.delivery.attempted == {"failed": 1}
            assert book.dunning_runs().height == 1 and book.dunning_letters().height == 7
    finally:
        controller.stop()
    received = _received(handler)
    assert received == Counter({a: 1 for a in EMAILS if a != REFUSED})  # five, once each
    summary = (tmp_path / "run" / "summary.json").read_text(encoding="utf-8")
    assert '"failed": 1' in summary and '"sent": 5' in summary and "refused recipient" in summary


class _DyingCollector(Collector):
    """Accepts ``limit`` messages, then answers 421 (service closing) to every DATA."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        if len(self.envelopes) >= self.limit:
            return "421 4.3.2 shutting down"
        return await super().handle_DATA(server, session, envelope)


def test_server_dying_mid_run_then_a_rerun_completes_without_duplicates(led, tmp_path) -> None:
    from aiosmtpd.controller import Controller

    dying = _DyingCollector(limit=2)
    controller = Controller(
        dying, hostname="127.0.0.1", port=_free_port(), server_hostname="localhost", ready_timeout=10
    )
    controller.start()
    with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
        try:
            first = _run(led, tmp_path, book, _settings(controller.port))
        finally:
            controller.stop()
        assert first.delivery is not None and first.delivery.status["sent"] == 2
        assert first.delivery.status["failed"] == 4  # the refused address and the three after the server died
        good, handler = _server()
        try:
            second = _run(led, tmp_path, book, _settings(good.port))
        finally:
            good.stop()
        assert second.delivery is not None and second.delivery.attempted == {"sent": 3, "failed": 1}
        assert second.delivery.status == {"sent": 5, "failed": 1, "printed": 1}
    assert _received(dying, handler) == Counter({a: 1 for a in EMAILS if a != REFUSED})


def test_wrong_port_fails_every_email_with_the_reason_and_records_the_run(led, tmp_path) -> None:
    port = _free_port()  # nothing listens there
    with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
        first = _run(led, tmp_path, book, _settings(port))
        assert first.delivery is not None and first.delivery.status == {"failed": 6, "printed": 1}
        reasons = {f["reason"] for f in first.delivery.failures}
        assert any(f"cannot connect to 127.0.0.1:{port}" in r for r in reasons)
        assert all("127.0.0.1" in r for r in reasons)
        controller, handler = _server()
        try:
            second = _run(led, tmp_path, book, _settings(controller.port))
        finally:
            controller.stop()
        assert second.delivery is not None and second.delivery.status == {"sent": 5, "failed": 1, "printed": 1}
    assert sum(_received(handler).values()) == 5


def test_failed_login_fails_the_emails_and_names_the_user_not_the_password(led, tmp_path, monkeypatch) -> None:
    from aiosmtpd.controller import Controller

    def deny(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        assert isinstance(auth_data, LoginPassword)
        return AuthResult(success=False, handled=False)

    handler = Collector()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        server_hostname="localhost",
        ready_timeout=10,
        authenticator=deny,
        auth_require_tls=False,
    )
    controller.start()
    monkeypatch.setenv("WB_OUTBOX_PW", "hunter2-secret")
    try:
        with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
            first = _run(
                led, tmp_path, book, _settings(controller.port, username="dunning", password_env="WB_OUTBOX_PW")
            )
            history = book.history()
    finally:
        controller.stop()
    assert first.delivery is not None and first.delivery.status == {"failed": 6, "printed": 1}
    assert "login as 'dunning' refused" in first.delivery.failures[0]["reason"]
    assert handler.envelopes == []
    assert "hunter2-secret" not in (tmp_path / "run" / "summary.json").read_text(encoding="utf-8")
    assert not any("hunter2-secret" in str(v) for row in history.iter_rows() for v in row)


def test_a_server_that_never_answers_times_out_per_run_not_forever(led, tmp_path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections and never says a word
    port = silent.getsockname()[1]
    try:
        with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
            first = carry_out(
                led,
                AS_OF,
                load_policy(),
                tmp_path / "run",
                journal=book,
                smtp=SmtpSettings(host="127.0.0.1", port=port, timeout=1, local_hostname="localhost"),
                letterheads=letterheads(),
            )
    finally:
        silent.close()
    assert first.delivery is not None and first.delivery.status == {"failed": 6, "printed": 1}
    assert any("timed out" in f["reason"] for f in first.delivery.failures)


def test_dying_between_sending_and_recording_never_sends_twice(led, tmp_path, monkeypatch) -> None:
    """The process dies after the server accepted an e-mail and before 'sent' was recorded (as under kill -9)."""
    controller, handler = _server()
    original = Journal.record_delivery
    calls = {"sent": 0}

    def record_then_die(self, letter_id, outcome, **kwargs):  # noqa: ANN001, ANN202
        if outcome == "sent":
            calls["sent"] += 1
            if calls["sent"] == 3:
                raise KeyboardInterrupt("killed")  # the third e-mail went out; its answer is never recorded
        return original(self, letter_id, outcome, **kwargs)

    try:
        with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
            monkeypatch.setattr(Journal, "record_delivery", record_then_die)
            with pytest.raises(KeyboardInterrupt):
                _run(led, tmp_path, book, _settings(controller.port))
            monkeypatch.setattr(Journal, "record_delivery", original)
            assert (tmp_path / "run" / "summary.json").is_file()  # written even when the run dies
            resumed = _run(led, tmp_path, book, _settings(controller.port))
            assert resumed.delivery is not None
            assert resumed.delivery.status == {"sent": 4, "failed": 1, "printed": 1, "uncertain": 1}
            assert [u["customer_id"] for u in resumed.delivery.uncertain] == ["C4"]
            assert not resumed.complete
            received_before = _received(handler)
            assert received_before == Counter({a: 1 for a in EMAILS if a != REFUSED})  # C4 got it exactly once
            forced = _run(led, tmp_path, book, _settings(controller.port), resend_uncertain=True)
            assert forced.delivery is not None and forced.delivery.status["sent"] == 5
    finally:
        controller.stop()
    assert _received(handler)["d@delta.example"] == 2  # only when asked to, after checking the mail log


def test_two_processes_running_the_same_date_give_one_run(led, tmp_path) -> None:
    """Both plan at once; the journal's writer lock lets one record, and the other records nothing."""
    import subprocess
    import sys

    journal = str(tmp_path / "journal.sqlite")
    Journal.open(journal, create=True).close()
    ledger_dir = str(tmp_path / "ledger")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench.cli",
                "dunning",
                "run",
                "--ledger",
                ledger_dir,
                "--as-of",
                AS_OF.isoformat(),
                "--out",
                str(tmp_path / f"run{n}"),
                "--journal",
                journal,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    results = [proc.communicate(timeout=300) + (proc.returncode,) for proc in procs]
    with Journal.open(journal, create=True) as book:
        assert book.dunning_runs().height == 1 and book.dunning_letters().height == 7
        assert book.deliveries().filter(book.deliveries()["outcome"] == "printed").height == 1
        assert book.verify() == []
    codes = sorted(code for _, _, code in results)
    assert codes in ([0, 0], [0, 2]), results
    if codes == [0, 2]:
        assert any("already recorded" in err for _, err, _ in results)


def test_a_partly_refused_email_counts_as_sent_and_is_never_sent_again(tmp_path) -> None:
    customers = [
        {
            "customer_id": "C1",
            "name": "Two inboxes",
            "country": "FR",
            "currency": "EUR",
            "language": "fr",
            "email": f"ap@good.example, {REFUSED}",
            "collector": "Ann",
        }
    ]
    led = ledger(tmp_path / "ledger", customers=customers, documents=[inv("I1", "2026-10-01", "2026-11-01", "50.00")])
    controller, handler = _server()
    try:
        with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
            first = _run(led, tmp_path, book, _settings(controller.port))
            again = _run(led, tmp_path, book, _settings(controller.port))
            deliveries = book.deliveries()
    finally:
        controller.stop()
    assert first.delivery is not None and first.delivery.status == {"sent": 1}
    assert again.delivery is not None and again.delivery.attempted == {}
    assert _received(handler) == Counter({"ap@good.example": 1})
    sent = deliveries.filter(deliveries["outcome"] == "sent").row(0, named=True)
    assert "refused recipient nobody@refused.example (the other recipients got it)" in sent["reason"]


class _KillingCollector(Collector):
    """Accepts every message; on the ``nth`` it SIGKILLs the sending process before answering 250."""

    def __init__(self, nth: int) -> None:
        super().__init__()
        self.nth = nth
        self.victim: int | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.envelopes) == self.nth and self.victim is not None:
            import os
            import signal
            import time

            os.kill(self.victim, signal.SIGKILL)
            time.sleep(0.2)  # the answer is never read: the process is gone
        return answer


def test_a_real_kill_9_between_sending_and_recording_never_sends_twice(led, tmp_path) -> None:
    """A true SIGKILL of `workbench dunning run --send` after the server took an e-mail and before 'sent'."""
    import subprocess
    import sys

    from aiosmtpd.controller import Controller

    killer = _KillingCollector(nth=3)
    controller = Controller(
        killer, hostname="127.0.0.1", port=_free_port(), server_hostname="localhost", ready_timeout=10
    )
    controller.start()
    journal = str(tmp_path / "journal.sqlite")
    Journal.open(journal, create=True).close()
    command = [
        sys.executable, "-m", "workbench.cli", "dunning", "run", "--ledger", str(tmp_path / "ledger"),
        "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "run"), "--journal", journal,
        "--send", "--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port),
    ]  # fmt: skip
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killer.victim = proc.pid
        proc.communicate(timeout=300)
        assert proc.returncode == -9  # killed, not finished
        assert len(killer.envelopes) == 3
        with Journal.open(journal) as book:
            outcomes = Counter(book.deliveries()["outcome"].to_list())
            # four sendings begun (one refused at RCPT), two answered 250, the third taken by the server unanswered
            assert (outcomes["sending"], outcomes["sent"], outcomes["failed"]) == (4, 2, 1), outcomes
            assert book.verify() == []
        resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 1, resumed.stderr  # one uncertain, one refused: not complete
        assert "uncertain" in resumed.stdout + resumed.stderr
    finally:
        controller.stop()
    # every good address got exactly one e-mail: the one whose fate was unknown was not sent again
    assert _received(killer) == Counter({a: 1 for a in EMAILS if a != REFUSED})
    with Journal.open(journal) as book:
        assert book.dunning_runs().height == 1 and book.dunning_letters().height == 7
        assert book.verify() == []
