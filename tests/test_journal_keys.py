"""Tamper evidence that holds: keyed seals, the key record, checkpoints kept outside, the PostgreSQL roles.

Each attack is carried out the way a person with write access to the database
would: drop the append-only triggers, change rows, recompute the chain with
the functions the workbench ships, restore the triggers. ``verify`` must name
what was done, as long as the attacker does not hold the key (kept outside the
database) or the checkpoint was taken before.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.journal import Journal, JournalError
from workbench.journal.backends import connect
from workbench.journal.chain import canonical_json, entry_hash
from workbench.journal.checkpoints import append_checkpoint, read_checkpoints
from workbench.journal.keys import KEY_ENV, KEY_FILE_ENV, JournalKey, resolve_key
from workbench.journal.schema import ENTRY_COLUMNS
from workbench.journal.store import migrate

ON = date(2026, 11, 20)
AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_key_from_the_environment(monkeypatch) -> None:
    """Each test says where its key is; none leaks in from the caller's environment."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


def _seeded(path: Path, notes: int = 5) -> list[int]:
    with Journal.open(path, author="ann", create=True) as book:
        promise = book.add_promise("C1", "2500.00", "EUR", ON)
        return [promise] + [book.add_note("C1", f"note {n}", on=ON) for n in range(notes - 1)]


def _rows(path: Path) -> list[dict]:
    conn = sqlite3.connect(path)
    try:
        return [dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in conn.execute("SELECT * FROM journal_entries")]
    finally:
        conn.close()


def _forge(path: Path, edit) -> None:
    """The attack script: drop the guards, let ``edit`` change the rows, re-chain them with SHA-256, restore."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER journal_entries_no_update")
    conn.execute("DROP TRIGGER journal_entries_no_delete")
    edit(conn)
    previous = None
    for row in [
        dict(zip(ENTRY_COLUMNS, r, strict=True)) for r in conn.execute("SELECT * FROM journal_entries ORDER BY id")
    ]:
        row["prev_hash"] = previous
        row["hash"] = entry_hash(row)  # the shipped function, without the key the attacker does not have
        conn.execute(
            "UPDATE journal_entries SET prev_hash = ?, hash = ? WHERE id = ?",
            (row["prev_hash"], row["hash"], row["id"]),
        )
        previous = row["hash"]
    conn.execute(
        "CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END"
    )
    conn.execute(
        "CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END"
    )
    conn.close()


# -- keys ------------------------------------------------------------------------------------------


def test_a_new_journal_is_keyed_from_its_first_entry_with_a_private_key_file(tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    ids = _seeded(path)
    key_file = tmp_path / "journal.sqlite.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = bytes.fromhex(key_file.read_text().strip())
    assert len(secret) == 32
    with Journal.open(path) as book:
        protection = book.protection()
        assert protection is not None and protection.keyed_from == 1
        assert protection.key_id == JournalKey(secret, "test").key_id
        assert book.verify() == []
    rows = _rows(path)
    assert [row["id"] for row in rows] == ids
    for row in rows:  # each seal is the HMAC under the key, not a plain SHA-256 anyone can recompute
        text = canonical_json({name: row[name] for name in ENTRY_COLUMNS if name not in ("id", "hash")})
        assert row["hash"] == JournalKey(secret, "test").mac(text)
        assert row["hash"] != hashlib.sha256(text.encode()).hexdigest()


def test_the_key_is_found_in_the_documented_order(tmp_path, monkeypatch) -> None:
    journal = tmp_path / "j.sqlite"
    beside, named, explicit = (tmp_path / n for n in ("j.sqlite.key", "named.key", "explicit.key"))
    for path, byte in ((beside, "11"), (named, "22"), (explicit, "33")):
        path.write_text(byte * 32 + "\n")
    assert resolve_key(journal).secret == bytes.fromhex("11" * 32)
    monkeypatch.setenv(KEY_FILE_ENV, str(named))
    assert resolve_key(journal).secret == bytes.fromhex("22" * 32)
    monkeypatch.setenv(KEY_ENV, "44" * 32)
    assert resolve_key(journal).secret == bytes.fromhex("44" * 32)
    assert resolve_key(journal, explicit).secret == bytes.fromhex("33" * 32)
    monkeypatch.setenv(KEY_ENV, "not hex")
    with pytest.raises(JournalError, match="WORKBENCH_JOURNAL_KEY: a journal key is 64 hexadecimal characters"):
        resolve_key(journal)
    with pytest.raises(JournalError, match="no journal key file at"):
        resolve_key(journal, tmp_path / "missing.key")
    assert "33" * 4 not in repr(resolve_key(journal, explicit))  # the secret is never shown


def test_writing_needs_the_journal_s_own_key_and_writes_nothing_without_it(tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    _seeded(path, notes=2)
    key_file = tmp_path / "journal.sqlite.key"
    kept = tmp_path / "elsewhere.key"
    key_file.rename(kept)
    with Journal.open(path, author="ann") as book:
        with pytest.raises(JournalError, match=r"is keyed \(key id [0-9a-f]{16}\) and no key was found"):
            book.add_note("C1", "sneaky", on=ON)
        assert book.history().height == 2
        assert any("no key found for journal" in problem for problem in book.verify())
    (tmp_path / "wrong.key").write_text("ab" * 32)
    with Journal.open(path, author="ann", key_file=tmp_path / "wrong.key") as book:
        with pytest.raises(JournalError, match="is not the key of journal"):
            book.add_note("C1", "sneaky", on=ON)
        assert book.history().height == 2
    with Journal.open(path, author="ann", key_file=kept) as book:
        book.add_note("C1", "fine", on=ON)
        assert book.verify() == []


# -- attacks on the rows ----------------------------------------------------------------------------


def test_a_re_forged_chain_is_detected_naming_each_changed_entry(tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    promise, *notes = _seeded(path)

    def edit(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE journal_entries SET amount = '1.00' WHERE id = ?", (promise,))
        conn.execute("DELETE FROM journal_entries WHERE id = ?", (notes[1],))

    _forge(path, edit)
    with Journal.open(path) as book:
        problems = book.verify()
    survivors = [promise, notes[0], notes[2], notes[3]]
    assert problems == [f"entry {n}: content does not match its hash (changed after writing)" for n in survivors]


def test_removing_the_key_record_to_pass_as_an_old_journal_is_detected(tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    _seeded(path, notes=3)

    def edit(conn: sqlite3.Connection) -> None:
        conn.execute("DROP TRIGGER journal_key_no_delete")
        conn.execute("DELETE FROM journal_key")
        conn.execute(
            "CREATE TRIGGER journal_key_no_delete BEFORE DELETE ON journal_key BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END"
        )
        conn.execute('UPDATE journal_entries SET details = \'{"text":"forged"}\' WHERE id = 3')

    _forge(path, edit)
    with Journal.open(path) as book:
        assert book.verify() == [
            f"the journal has no key record, but a key is kept for it (key file {tmp_path / 'journal.sqlite.key'}): "
            "its protection was removed, or the chain was rebuilt without the key"
        ]


def test_an_altered_key_record_is_detected(tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    _seeded(path, notes=3)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER journal_key_no_update")
    conn.execute("UPDATE journal_key SET keyed_from = 3")  # claim entries 1-2 are plain SHA-256, then forge them
    conn.close()
    with Journal.open(path) as book:
        problems = book.verify()
    assert "the journal's key record was altered (its signature does not match the key)" in problems
    assert "trigger journal_key_no_update is missing: the append-only guard was removed" in problems


def test_re_ordered_entries_are_named(tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    _seeded(path, notes=4)
    rows = {row["id"]: row for row in _rows(path)}
    columns = [name for name in ENTRY_COLUMNS if name != "id"]
    assignments = ", ".join(f"{name} = ?" for name in columns)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER journal_entries_no_update")
    conn.execute("UPDATE journal_entries SET uid = 'moving' WHERE id = 2")
    conn.execute(f"UPDATE journal_entries SET {assignments} WHERE id = 3", [rows[2][n] for n in columns])
    conn.execute(f"UPDATE journal_entries SET {assignments} WHERE id = 2", [rows[3][n] for n in columns])
    conn.close()
    with Journal.open(path) as book:
        problems = book.verify()
    assert problems == [  # every row keeps its own valid seal: only the order is wrong
        "trigger journal_entries_no_update is missing: the append-only guard was removed",
        "entry 2 is out of order: it was written right after entry 3",
        "entry 3 is out of order: it was written right after entry 1",
        "entry 4 is out of order: it was written right after entry 2",
    ]


# -- checkpoints ------------------------------------------------------------------------------------


def test_a_truncated_tail_passes_the_chain_but_not_the_checkpoint(tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    ids = _seeded(path, notes=6)
    log = tmp_path / "journal.sqlite.checkpoints.jsonl"
    with Journal.open(path) as book:
        append_checkpoint(log, book.checkpoint(AT))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER journal_entries_no_delete")
    conn.execute("DELETE FROM journal_entries WHERE id > 3")
    conn.execute(
        "CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END"
    )
    conn.close()
    with Journal.open(path) as book:
        assert book.verify() == []  # a removed tail leaves an intact chain: only a checkpoint tells
        assert book.verify(read_checkpoints(log)) == [
            f"entries 4 to {ids[-1]} missing: the journal ends at entry 3, the checkpoint of "
            f"2026-11-21T08:00:00.000000Z saw entry {ids[-1]} (truncated)"
        ]


def test_a_chain_rebuilt_with_the_key_still_differs_from_the_checkpoint(tmp_path) -> None:
    """Even a holder of the key who rewrites history is caught by a checkpoint taken before."""
    path = tmp_path / "journal.sqlite"
    _seeded(path, notes=3)
    with Journal.open(path) as book:
        record = book.checkpoint(AT)
    key = resolve_key(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER journal_entries_no_update")
    conn.execute("UPDATE journal_entries SET amount = '1.00' WHERE id = 1")
    previous = None
    for row in [
        dict(zip(ENTRY_COLUMNS, r, strict=True)) for r in conn.execute("SELECT * FROM journal_entries ORDER BY id")
    ]:
        row["prev_hash"] = previous
        row["hash"] = entry_hash(row, key)
        conn.execute(
            "UPDATE journal_entries SET prev_hash = ?, hash = ? WHERE id = ?",
            (row["prev_hash"], row["hash"], row["id"]),
        )
        previous = row["hash"]
    conn.close()
    with Journal.open(path) as book:
        problems = book.verify([("report of 21 Nov", record)])
    assert problems == [
        "trigger journal_entries_no_update is missing: the append-only guard was removed",
        "entry 3 differs from the checkpoint of 2026-11-21T08:00:00.000000Z: the chain up to it was rewritten or removed",
    ]


def test_a_forged_checkpoint_is_refused(tmp_path) -> None:
    path = tmp_path / "journal.sqlite"
    _seeded(path, notes=3)
    with Journal.open(path) as book:
        record = book.checkpoint(AT)
        forged = {**record, "entry_id": 2, "entries": 2}
        assert book.verify([("cp", record)]) == []
        assert book.verify([("forged.json", forged)]) == [
            "forged.json: the checkpoint's signature does not match this journal's key (forged or another journal's)"
        ]
        unsigned = {**record, "mac": None}
        assert book.verify([("u.json", unsigned)]) == [
            "u.json: the checkpoint is not signed, it cannot be trusted against a keyed journal"
        ]


def test_a_checkpoint_of_another_journal_is_named(tmp_path) -> None:
    first, second = tmp_path / "a" / "journal.sqlite", tmp_path / "b" / "journal.sqlite"
    _seeded(first, notes=2)
    _seeded(second, notes=2)
    (second.parent / "journal.sqlite.key").unlink()
    (second.parent / "journal.sqlite.key").write_text((first.parent / "journal.sqlite.key").read_text())
    with Journal.open(first) as book:
        record = book.checkpoint(AT)
    with Journal.open(second) as other:
        problems = other.verify([("a.json", record)])
    assert any("is not this journal's key" in p for p in problems)


# -- journals of earlier releases -------------------------------------------------------------------


def test_an_old_journal_is_keyed_by_protect_and_its_old_part_is_anchored(tmp_path) -> None:
    path = tmp_path / "old.sqlite"
    backend = connect(str(path))
    migrate(backend, target=2)
    old = Journal(backend, author="ann")
    old_ids = [old.add_note("C1", f"old {n}", on=ON) for n in range(3)]
    old.close()
    with Journal.open(path, author="ann") as book:
        assert book.protection() is None
        (problem,) = book.verify()
        assert "is not keyed (written by an earlier release)" in problem and "journal protect" in problem
        protection = book.protect()
        assert protection.keyed_from == old_ids[-1] + 1
        new = book.add_note("C1", "new", on=ON)
        assert book.verify() == []
    assert (tmp_path / "old.sqlite.key").is_file()

    def edit(conn: sqlite3.Connection) -> None:  # rewrite an old entry and re-chain with SHA-256
        conn.execute('UPDATE journal_entries SET details = \'{"text":"rewritten"}\' WHERE id = ?', (old_ids[0],))

    _forge(path, edit)
    with Journal.open(path) as book:
        problems = book.verify()
    assert f"entry {new}: content does not match its hash (changed after writing)" in problems


# -- the command line -------------------------------------------------------------------------------


def test_cli_init_checkpoint_verify_and_a_truncation(tmp_path) -> None:
    runner = CliRunner()
    target = str(tmp_path / "journal.sqlite")
    result = runner.invoke(app, ["journal", "init", "--journal", target])
    assert result.exit_code == 0, result.output
    assert "keyed from entry 1 (key id " in result.output
    for n in range(4):
        added = runner.invoke(
            app,
            [
                "journal",
                "add",
                "note",
                "--author",
                "ann",
                "--customer",
                "C1",
                "--on",
                "2026-11-20",
                "--text",
                f"n{n}",
                "--journal",
                target,
            ],
        )
        assert added.exit_code == 0, added.output
    result = runner.invoke(app, ["journal", "checkpoint", "--journal", target])
    assert result.exit_code == 0, result.output
    assert "checkpoint at entry 4 (4 entries), signed, appended to" in result.output
    log = Path(target + ".checkpoints.jsonl")
    assert [json.loads(line)["entry_id"] for line in log.read_text().splitlines()] == [4]
    result = runner.invoke(app, ["journal", "verify", "--journal", target])
    assert (result.exit_code, result.stdout.strip()) == (0, "4 entries, chain intact, 1 checkpoint(s) checked")

    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("DROP TRIGGER journal_entries_no_delete")
    conn.execute("DELETE FROM journal_entries WHERE id = 4")
    conn.close()
    result = runner.invoke(app, ["journal", "verify", "--journal", target])
    assert result.exit_code == 1
    assert "entry 4 missing: the journal ends at entry 3, the checkpoint of " in result.output
    assert "trigger journal_entries_no_delete is missing" in result.output


def test_cli_protect_and_a_postgres_checkpoint_needs_a_file(tmp_path) -> None:
    runner = CliRunner()
    path = tmp_path / "old.sqlite"
    backend = connect(str(path))
    migrate(backend, target=2)
    Journal(backend, author="ann").add_note("C1", "old", on=ON)
    backend.close()
    key_file = tmp_path / "keys" / "team.key"
    result = runner.invoke(app, ["journal", "protect", "--journal", str(path), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    assert "keyed from entry 2 (key id " in result.output and key_file.is_file()
    again = runner.invoke(app, ["journal", "protect", "--journal", str(path), "--key-file", str(key_file)])
    assert "already keyed from entry 2" in again.output
    verify = runner.invoke(app, ["journal", "verify", "--journal", str(path), "--key-file", str(key_file)])
    assert verify.exit_code == 0, verify.output
    missing = runner.invoke(
        app, ["journal", "verify", "--journal", str(path), "--checkpoint", str(tmp_path / "nope.json")]
    )
    assert missing.exit_code == 2 and "no such checkpoint file" in missing.output
    pg = runner.invoke(app, ["journal", "checkpoint", "--journal", "postgresql://u@127.0.0.1:1/db"])
    assert pg.exit_code == 2 and "give --out FILE" in pg.output


# -- PostgreSQL: the application role cannot touch the guards ----------------------------------------


def test_postgres_application_role_can_append_but_not_alter(pg_journal_url, tmp_path) -> None:
    import psycopg

    role = "wb_app_" + os.urandom(3).hex()
    with psycopg.connect(pg_journal_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret'")
    try:
        with Journal.open(pg_journal_url, author="owner", create=True) as book:
            book.add_note("C1", "by the owner", on=ON)
            book.grant_application_role(role)
            assert book.ownership_notes() and "owns journal_entries" in book.ownership_notes()[0]
        app_url = _with_user(pg_journal_url, role, "app-secret")
        with Journal.open(app_url, author="app") as book:
            entry = book.add_note("C1", "by the application", on=ON)
            assert book.entries()["id"].to_list()[-1] == entry
            assert book.ownership_notes() == []
            assert book.verify() == []
        with psycopg.connect(app_url, autocommit=True) as conn:
            for sql in (
                "ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_no_delete",
                "DROP TRIGGER journal_entries_no_update ON journal_entries",
                "DELETE FROM journal_entries",
                "UPDATE journal_entries SET amount = '1'",
                "TRUNCATE journal_entries",
                "DELETE FROM journal_key",
                "INSERT INTO journal_key VALUES ('x', 'y', 1, 'z', 'w')",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(sql)
    finally:
        with psycopg.connect(pg_journal_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def _with_user(url: str, user: str, password: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def test_app_role_is_refused_on_sqlite_and_for_odd_names(tmp_path, pg_journal_url) -> None:
    with Journal.open(tmp_path / "j.sqlite", create=True) as book:
        with pytest.raises(JournalError, match="--app-role is for a PostgreSQL journal"):
            book.grant_application_role("app")
    with Journal.open(pg_journal_url, create=True) as book:
        with pytest.raises(JournalError, match="role name"):
            book.grant_application_role('x"; DROP TABLE journal_entries; --')
        with pytest.raises(JournalError, match="no PostgreSQL role 'nobody_here'"):
            book.grant_application_role("nobody_here")
