"""No secret in what the workbench shows: CLI errors and summaries, SMTP failures, the desk, the weekly report.

Passwords reach the workbench in journal URLs (``--journal``, ``WORKBENCH_JOURNAL``),
as ``PGPASSWORD`` and through the variable ``--smtp-password-env`` names; the
commands are run as a user would (subprocesses of ``python -m workbench.cli``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from workbench import redact
from workbench.journal import Journal
from workbench.reports import registry

from .builders import write_workspace
from .conftest import SMALL_AS_OF
from .test_mail import _free_port, _server

SECRET = "Xy9-s3cret-never-shown"
BAD_URL = f"postgresql://wb:{SECRET}@127.0.0.1:1/nojournal"  # nothing listens on port 1


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "WORKBENCH_JOURNAL"}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=600, env=full
    )


def _leaks(folder: Path, secret: str = SECRET) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.fixture
def workspace(small_demo, tmp_path) -> Path:
    """The small demo ledger with an empty journal beside it."""
    shutil.copytree(small_demo, tmp_path / "ledger")
    write_workspace(tmp_path)
    assert run("journal", "init", "--ledger", str(tmp_path / "ledger")).returncode == 0
    return tmp_path


# --------------------------------------------------------------------------- helpers


def test_mask_url_and_mask_secrets(monkeypatch) -> None:
    assert redact.mask_url(BAD_URL) == "postgresql://wb:***@127.0.0.1:1/nojournal"
    assert redact.mask_url("postgresql://wb@db/j") == "postgresql://wb@db/j"
    assert redact.mask_url("/srv/journal.sqlite") == "/srv/journal.sqlite"
    assert redact.mask_host("dunning:pw1234@mail.example") == "dunning:***@mail.example"
    # a URL in free text, then its percent-decoded password anywhere else
    text = redact.mask_secrets("cannot open postgresql://ann:p%40ss-w0rd@db/j: password 'p@ss-w0rd' refused")
    assert text == "cannot open postgresql://ann:***@db/j: password '***' refused"
    redact.remember_secret("ab")  # too short to mask without garbling every message
    assert redact.mask_secrets("a tab") == "a tab"
    monkeypatch.setenv("PGPASSWORD", "pg-env-secret")
    assert redact.mask_secrets("libpq said pg-env-secret") == "libpq said ***"


# --------------------------------------------------------------------------- --journal and WORKBENCH_JOURNAL


def test_a_wrong_journal_url_with_a_password_is_shown_masked(workspace) -> None:
    ledger = str(workspace / "ledger")
    as_of = SMALL_AS_OF.isoformat()
    given = run("worklist", "--ledger", ledger, "--as-of", as_of, "--journal", BAD_URL)
    from_env = run("worklist", "--ledger", ledger, "--as-of", as_of, env={"WORKBENCH_JOURNAL": BAD_URL})
    for res in (given, from_env):
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert "error: cannot open journal postgresql://wb:***@127.0.0.1:1/nojournal" in res.stderr
        assert SECRET not in res.stderr + res.stdout


# --------------------------------------------------------------------------- SMTP


class EchoingAuthenticator:
    """A server that refuses every login and, carelessly, repeats the password it was given."""

    def __call__(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN204
        assert isinstance(auth_data, LoginPassword)
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 bad password {auth_data.password.decode()}")


def _dunning(workspace: Path, out: str, *smtp: str) -> subprocess.CompletedProcess:
    return run(
        "dunning",
        "run",
        "--ledger",
        str(workspace / "ledger"),
        "--as-of",
        SMALL_AS_OF.isoformat(),
        "--out",
        str(workspace / out),
        "--send",
        "--smtp-user",
        "dunning",
        "--smtp-password-env",
        "WB_TEST_SMTP_PASSWORD",
        *smtp,
        env={"WB_TEST_SMTP_PASSWORD": SECRET},
    )


def test_smtp_failures_never_show_the_password(workspace) -> None:
    # a wrong host (nothing listens there), then a host typed with credentials in front of it
    closed = _dunning(workspace, "r1", "--smtp-host", "127.0.0.1", "--smtp-port", str(_free_port()))
    assert closed.returncode == 1 and "Traceback" not in closed.stderr
    failures = json.loads(closed.stdout)["delivery"]["failures"]
    assert failures and all("cannot connect to 127.0.0.1:" in str(f) for f in failures)
    typed = _dunning(workspace, "r1", "--smtp-host", f"dunning:{SECRET}@127.0.0.1", "--smtp-port", "1")
    assert typed.returncode == 1 and "cannot connect to dunning:***@127.0.0.1:1" in typed.stdout
    # a server that echoes the password in its refusal: the echo is masked in every output
    controller, _ = _server(authenticator=EchoingAuthenticator(), auth_require_tls=False)
    try:
        echoed = _dunning(workspace, "r1", "--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port))
    finally:
        controller.stop()
    assert echoed.returncode == 1 and "535 5.7.8 bad password ***" in echoed.stdout
    for res in (closed, typed, echoed):
        assert SECRET not in res.stdout + res.stderr
    assert _leaks(workspace) == []  # run folders and the journal


# --------------------------------------------------------------------------- the desk


def test_the_desk_shows_its_journal_and_errors_masked(small_demo, pg_journal_url) -> None:
    from workbench.desk.app import CollectorDesk
    from workbench.ledger import load_ledger

    user, rest = pg_journal_url.split("://", 1)[1].split("@", 1)
    with_secret = f"postgresql://{user}:{SECRET}@{rest}"
    with Journal.open(with_secret, create=True) as book:
        desk = CollectorDesk(load_ledger(small_demo), book, SMALL_AS_OF)
        shown = f"postgresql://{user}:***@{rest}"
        assert desk.journal_shown == shown and desk.summary()["journal"] == shown
        assert shown in desk.journal_label.value and SECRET not in desk.journal_label.value
        desk._error(f"cannot write to {with_secret}")
        assert "***" in desk.status.value and SECRET not in desk.status.value


def test_the_desk_names_a_journal_file_as_it_is(small_demo, tmp_path) -> None:
    from workbench.desk.app import CollectorDesk
    from workbench.ledger import load_ledger

    with Journal.open(tmp_path / "j.sqlite", create=True) as book:
        desk = CollectorDesk(load_ledger(small_demo), book, SMALL_AS_OF)
        assert desk.summary()["journal"] == str(tmp_path / "j.sqlite")
        assert f"Journal: {tmp_path / 'j.sqlite'}" in desk.journal_label.value


# --------------------------------------------------------------------------- the weekly report and WORKBENCH_JOURNAL


def test_the_weekly_report_reads_the_journal_named_by_workbench_journal(small_demo, tmp_path, monkeypatch) -> None:
    """A journal kept away from the ledger, named only by WORKBENCH_JOURNAL, feeds the collections section."""
    elsewhere = tmp_path / "elsewhere" / "journal.sqlite"
    elsewhere.parent.mkdir()
    with Journal.open(elsewhere, create=True) as book:
        for day, text in ((date(2026, 11, 16), "left a voicemail"), (date(2026, 11, 18), "will pay Friday")):
            book.log_contact("C000002", "call", text, on=day, author="Ann")
    assert not (small_demo.parent / "journal.sqlite").exists()  # nothing beside the ledger to fall back on
    monkeypatch.delenv("WORKBENCH_JOURNAL", raising=False)
    without = registry.run("weekly", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=tmp_path / "no_env", pdf=False)
    monkeypatch.setenv("WORKBENCH_JOURNAL", str(elsewhere))
    named = registry.run("weekly", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=tmp_path / "env", pdf=False)
    summary = json.loads((named.html.parent / "weekly_summary.json").read_text(encoding="utf-8"))
    assert summary["activity"]["actions"] == 2
    assert json.loads((without.html.parent / "weekly_summary.json").read_text(encoding="utf-8"))["activity"] is None


def test_a_workbench_journal_url_password_reaches_no_report_file(small_demo, pg_journal_url, tmp_path, monkeypatch):
    user, rest = pg_journal_url.split("://", 1)[1].split("@", 1)
    with_secret = f"postgresql://{user}:{SECRET}@{rest}"
    with Journal.open(with_secret, create=True) as book:
        book.log_contact("C000002", "call", "will pay Friday", on=date(2026, 11, 18), author="Ann")
    monkeypatch.setenv("WORKBENCH_JOURNAL", with_secret)
    result = registry.run("weekly", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=tmp_path / "out", pdf=False)
    summary = json.loads((result.html.parent / "weekly_summary.json").read_text(encoding="utf-8"))
    assert summary["activity"]["actions"] == 1
    assert _leaks(tmp_path / "out") == []


def test_the_desk_notebook_refuses_a_journal_url_with_a_password(small_demo) -> None:
    """The desk notebook's parameters are saved with it: a password there would be written to disk."""
    from workbench.desk.app import DeskError, open_desk

    with pytest.raises(DeskError, match="holds a password, which the notebook would keep") as caught:
        open_desk(str(small_demo), f"postgresql://wb:{SECRET}@127.0.0.1:1/journal")
    assert SECRET not in str(caught.value)
