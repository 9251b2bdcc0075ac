"""The collections journal: an append-only, hash-chained log of collections work.

Every contact, promise, dispute, escalation, note, flag, dunning letter and
dunning run is one row of ``journal_entries``. Rows are never changed: a
mistake is fixed by a ``correction`` entry (replacing fields of an earlier
entry) or a ``void`` entry (withdrawing it). Readers (:meth:`Journal.entries`
and the views) fold corrections and voids into the current state of each
original entry; :meth:`Journal.history` shows the raw audit trail.

This module opens the database, applies migrations, and appends entries under
the writer lock. The pieces it puts together live beside it:
:mod:`~workbench.journal.entries` (kinds, field coercion, per-kind rules),
:mod:`~workbench.journal.chain` (canonical JSON, the hash chain and its
verification), :mod:`~workbench.journal.views` (folding and the frames) and
:mod:`~workbench.journal.backends` (SQLite and PostgreSQL).

Writes are serialised by one writer lock (see :mod:`workbench.journal.backends`)
so the hash chain (``hash = sha256(canonical JSON of the row's content and
prev_hash)``) is linear even with many processes writing at once.

Amounts are stored as exact decimal text (at most 3 decimals) and exposed in
frames as Int64 thousandths ("mills", :data:`workbench.money.AMOUNT_SCALE`) next
to the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import polars as pl

from workbench.journal import views
from workbench.redact import mask_secrets, mask_url, remember_url_password
from workbench.journal.backends import Backend, connect, is_postgres_url
from workbench.journal.chain import (
    Protection,
    chain_problems,
    checkpoint_problems,
    linked_row,
    protection_text,
    sign_checkpoint,
)
from workbench.journal.entries import (
    AMENDMENTS,
    CREDIT_KINDS,
    KINDS,
    Entry,
    JournalError,
    amount_text,
    check_entry,
    date_text,
    fail,
    new_entry,
    normalise_changes,
    timestamp_text,
)
from workbench.journal.keys import JournalKey, generate_key, key_path, read_key_file, resolve_key
from workbench.journal.schema import ENTRY_COLUMNS, LATEST_VERSION, SCHEMA_TABLE_DDL, steps_after

__all__ = ["Journal", "migrate"]

_INSERTED = tuple(name for name in ENTRY_COLUMNS if name != "id")

_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

_GUARDED = ("journal_entries", "journal_key")
"""The append-only tables: the entries and the key record."""


def _safe_url(target: str) -> str:
    """A URL with any password replaced by ``***`` (for messages); see :func:`workbench.redact.mask_url`."""
    return mask_url(target)


def split_password(target: str) -> tuple[str, str | None]:
    """A PostgreSQL URL without its password, and the password (``None`` when the URL has none).

    The password can then travel as ``PGPASSWORD`` (which libpq reads, like
    ``~/.pgpass`` and service files) instead of inside a URL that might be
    written to a notebook, a report or a log.
    """
    if not is_postgres_url(target):
        return target, None
    parts = urlsplit(target)
    if parts.password is None:
        return target, None
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host)), unquote(parts.password)


class JournalNotFoundError(JournalError):
    """No journal exists at the path or in the database given (and creating one was not asked for)."""


def _masked(exc: BaseException, target: str | Path) -> str:
    """The text of a driver error with the password of ``target`` (plain or percent-decoded) masked."""
    if isinstance(target, str):
        remember_url_password(target)
    return mask_secrets(str(exc))


def _refuse_foreign_sqlite(path: Path, shown: str) -> None:
    """Read-only look at an existing SQLite file: refuse it, unchanged, when it holds tables but no journal."""
    import sqlite3

    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            names = {
                str(r[0])
                for r in probe.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            }
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"{shown} is not a workbench journal: {exc}") from None
    if names and "journal_schema" not in names:
        raise _not_a_journal(shown, names)


def _not_a_journal(shown: str, tables: set[str]) -> JournalError:
    """The error for a database that holds other tables and no journal (left untouched)."""
    listed = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    return JournalError(f"{shown} is not a workbench journal: it holds other tables ({listed}); nothing was changed")


def _tables(backend: Backend) -> set[str]:
    """The names of the tables in the database (SQLite: its file; PostgreSQL: the current schema)."""
    if backend.dialect == "sqlite":
        rows = backend.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        rows = backend.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
    return {str(row[0]) for row in rows}


def _now() -> datetime:
    return datetime.now(UTC)


def _new_journal_id() -> str:
    """A random identity for a new journal (what its checkpoints and key record name)."""
    import uuid

    return uuid.uuid4().hex


def migrate(backend: Backend, *, target: int | None = None) -> list[int]:
    """Apply the missing schema steps (up to ``target``, default latest) in one locked transaction.

    Returns the versions applied. Raises :class:`JournalError` when the database
    records a version newer than this code knows.
    """

    def work(db: Backend) -> list[int]:
        if "journal_schema" not in _tables(db):
            db.execute(SCHEMA_TABLE_DDL)  # only when missing: an application role may not create tables
        current = db.query("SELECT MAX(version) FROM journal_schema")[0][0] or 0
        if current > LATEST_VERSION:
            raise JournalError(
                f"journal schema version {current} is newer than this workbench ({LATEST_VERSION}); "
                "upgrade the workbench"
            )
        applied = []
        for step in steps_after(current, target):
            for statement in step.statements(db.dialect):
                db.execute(statement)
            db.execute(
                "INSERT INTO journal_schema (version, applied_at) VALUES (?, ?)", (step.version, timestamp_text(_now()))
            )
            applied.append(step.version)
        return applied

    return backend.locked(work)


# --------------------------------------------------------------------------------------------
# the journal


class Journal:
    """An open journal (SQLite file or PostgreSQL database); see the module docstring."""

    def __init__(
        self,
        backend: Backend,
        *,
        author: str | None = None,
        key: JournalKey | None = None,
        key_file: str | Path | None = None,
    ) -> None:
        self._db = backend
        self.author = author
        self._key = key
        self._key_file = key_file
        self._key_table = False
        self._in_batch = False

    @contextmanager
    def batch(self) -> Iterator[Journal]:
        """Append many entries in one transaction: all of them or none (a crash or error keeps none).

        Other writers wait until the block ends. Nested calls join the outer batch.
        """
        if self._in_batch:
            yield self
            return
        with self._db.transaction():
            self._in_batch = True
            try:
                yield self
            finally:
                self._in_batch = False

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        target: str | Path,
        *,
        author: str | None = None,
        create: bool = False,
        key_file: str | Path | None = None,
    ) -> Journal:
        """Open the journal at a file path or PostgreSQL URL (migrating its schema to this release).

        A journal is created only when ``create`` is true (``workbench journal
        init``): otherwise a path that does not exist, or a database that holds
        no journal yet, raises :class:`JournalNotFoundError`, so a typo never
        starts an empty journal. A database holding other tables and no
        journal is refused even with ``create`` (:class:`JournalError`), and
        left untouched. ``author`` is the default author of entries added
        through this object.

        The journal key is looked up as :mod:`workbench.journal.keys` says
        (``key_file`` first). A new journal is keyed from its first entry: when
        no key exists yet, one is written to ``key_file``, ``WORKBENCH_JOURNAL_KEY_FILE``
        or ``<journal>.key`` beside a SQLite file. Reading needs no key;
        writing to a keyed journal does.
        """
        postgres = isinstance(target, str) and is_postgres_url(target)
        shown = _safe_url(target) if isinstance(target, str) and postgres else str(target)
        if not postgres:
            path = Path(target).expanduser()
            if path.is_dir():
                raise JournalError(f"{shown} is a folder, not a journal file")
            if not path.exists() and not create:
                raise JournalNotFoundError(
                    f"no journal at {shown}: create one with `workbench journal init --journal {shown}` "
                    "(or check the path)"
                )
            if path.exists():
                _refuse_foreign_sqlite(path, shown)
        try:
            backend = connect(target)
        except Exception as exc:
            raise JournalError(f"cannot open journal {shown}: {_masked(exc, target)}") from exc
        try:
            tables = _tables(backend)
            if "journal_schema" not in tables:
                if tables:
                    raise _not_a_journal(shown, tables)
                if not create:
                    raise JournalNotFoundError(
                        f"{shown} holds no journal: create one with `workbench journal init --journal {shown}`"
                    )
            migrate(backend)
            explicit_missing = key_file is not None and not Path(key_file).expanduser().is_file()
            key = None if create and explicit_missing else resolve_key(target, key_file)
            journal = cls(backend, author=author, key=key, key_file=None if explicit_missing else key_file)
            if create and journal.protection() is None and not journal._db.query("SELECT 1 FROM journal_entries"):
                journal.protect(key_file=key_file)
        except JournalError:
            backend.close()
            raise
        except Exception as exc:
            backend.close()
            raise JournalError(f"cannot open journal {shown}: {_masked(exc, target)}") from exc
        return journal

    # -- the key ----------------------------------------------------------------------------

    @property
    def key_id(self) -> str | None:
        """The fingerprint of the key this object holds (None without a key)."""
        return self._key.key_id if self._key is not None else None

    def protection(self) -> Protection | None:
        """The journal's key record (identity, key fingerprint, first keyed id), or None for an unkeyed journal."""
        if not self._key_table:
            self._key_table = "journal_key" in _tables(self._db)
            if not self._key_table:
                return None  # a database below schema step 3 (opened without migrating)
        rows = self._db.query(
            "SELECT journal_id, key_id, keyed_from, created_at, mac FROM journal_key ORDER BY keyed_from"
        )
        if not rows:
            return None
        journal_id, key_id, keyed_from, created_at, mac = rows[0]
        return Protection(str(journal_id), str(key_id), int(keyed_from), str(created_at), str(mac))

    def protect(self, *, key_file: str | Path | None = None, created_at: datetime | None = None) -> Protection:
        """Key the journal from its next entry on (a new journal: from entry 1); return its key record.

        The key is the one this journal was opened with, else the one found at
        ``key_file`` (or ``WORKBENCH_JOURNAL_KEY_FILE``, or ``<journal>.key``
        beside a SQLite file), else a new key written there. The entries
        already stored keep their plain SHA-256 seals, anchored by the first
        keyed entry's link. A journal that is keyed already is left as it is.
        """
        existing = self.protection()
        if existing is not None:
            return existing
        if self._key is None:
            self._key = self._find_or_make_key(key_file)
        key = self._key

        def work(db: Backend) -> Protection:
            found = self.protection()
            if found is not None:
                return found
            last = db.query("SELECT MAX(id) FROM journal_entries")[0][0]
            journal_id = _new_journal_id()
            keyed_from = int(last or 0) + 1
            stamp = timestamp_text(created_at or _now())
            mac = key.mac(protection_text(journal_id, key.key_id, keyed_from, stamp))
            db.execute(
                "INSERT INTO journal_key (journal_id, key_id, keyed_from, created_at, mac) VALUES (?, ?, ?, ?, ?)",
                (journal_id, key.key_id, keyed_from, stamp, mac),
            )
            return Protection(journal_id, key.key_id, keyed_from, stamp, mac)

        return self._db.locked(work)

    def _find_or_make_key(self, key_file: str | Path | None) -> JournalKey:
        """The key at ``key_file`` or the usual places; a new one written to the key file when there is none."""
        path = key_path(self.url, key_file)
        if path is not None and path.is_file():
            return read_key_file(path)
        found = resolve_key(self.url) if key_file is None else None
        if found is not None:
            return found
        if path is None:
            raise JournalError(
                f"{_safe_url(self.url)}: a PostgreSQL journal needs a key kept outside the database; "
                "give --key-file FILE (written if missing) or set WORKBENCH_JOURNAL_KEY_FILE"
            )
        try:
            return generate_key(path)
        except JournalError:
            return read_key_file(path)  # another process wrote it first

    def _sealing_key(self, protection: Protection | None) -> JournalKey | None:
        """The key new entries are sealed with (None for an unkeyed journal); refuse a missing or wrong key."""
        if protection is None:
            return None
        if self._key is None:  # another process may have keyed the journal since this one opened it
            self._key = resolve_key(self.url, self._key_file)
        if self._key is None:
            raise JournalError(
                f"journal {_safe_url(self.url)} is keyed (key id {protection.key_id}) and no key was found: "
                "set WORKBENCH_JOURNAL_KEY_FILE, give --key-file, or keep the key file beside the journal; "
                "nothing was written"
            )
        if self._key.key_id != protection.key_id:
            raise JournalError(
                f"the key from {self._key.source} (key id {self._key.key_id}) is not the key of journal "
                f"{_safe_url(self.url)} (key id {protection.key_id}); nothing was written"
            )
        return self._key

    @property
    def url(self) -> str:
        """The file path or URL the journal was opened with."""
        return self._db.url

    @property
    def dialect(self) -> str:
        """``'sqlite'`` or ``'postgresql'``."""
        return self._db.dialect

    @property
    def backend(self) -> Backend:
        """The connection adapter (for tools and tests that need raw SQL)."""
        return self._db

    def schema_version(self) -> int:
        """The highest migration step recorded in the database."""
        return int(self._db.query("SELECT MAX(version) FROM journal_schema")[0][0] or 0)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        shown = _safe_url(self.url) if self.dialect == "postgresql" else self.url
        return f"Journal({shown!r}, dialect={self.dialect!r})"

    # -- writing --------------------------------------------------------------------------

    def add(
        self,
        kind: str,
        *,
        author: str | None = None,
        customer_id: str | None = None,
        event_date: date | str | None = None,
        amount: Decimal | int | str | None = None,
        currency: str | None = None,
        document_ids: Iterable[str] = (),
        next_action_date: date | str | None = None,
        refers_to: int | None = None,
        details: Mapping[str, Any] | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Validate and append one entry; return its id.

        Adding an entry whose ``uid`` is already in the journal does nothing and
        returns the existing id (safe retries). ``recorded_at`` defaults to now
        (UTC); a naive datetime is taken as UTC.
        """
        entry = new_entry(
            kind,
            author=author if author is not None else self.author,
            uid=uid,
            refers_to=refers_to,
            recorded_at=recorded_at if recorded_at is not None else _now(),
            fields={
                "customer_id": customer_id,
                "event_date": event_date,
                "amount": amount,
                "currency": currency,
                "document_ids": document_ids,
                "next_action_date": next_action_date,
                "details": details,
            },
        )
        if self._in_batch:
            return self._append(self._db, entry)
        return self._db.locked(lambda db: self._append(db, entry))

    def has_entry(self, uid: str) -> bool:
        """Whether an entry with this ``uid`` is stored (the key of idempotent retries and imports)."""
        return bool(self._db.query("SELECT 1 FROM journal_entries WHERE uid = ?", (uid,)))

    def _append(self, db: Backend, entry: Entry) -> int:
        """Inside the locked transaction: idempotency, references, chain link, insert."""
        found = db.query("SELECT id FROM journal_entries WHERE uid = ?", (entry["uid"],))
        if found:
            return int(found[0][0])
        key = self._sealing_key(self.protection())
        self._check_references(db, entry)
        last = db.query("SELECT hash FROM journal_entries ORDER BY id DESC LIMIT 1")
        row = linked_row(entry, last[0][0] if last else None, key)
        placeholders = ", ".join("?" for _ in _INSERTED)
        inserted = db.query(
            f"INSERT INTO journal_entries ({', '.join(_INSERTED)}) VALUES ({placeholders}) RETURNING id",
            tuple(row[name] for name in _INSERTED),
        )
        return int(inserted[0][0])

    @staticmethod
    def _state(db: Backend, entry_id: int) -> Entry | None:
        """Current state of one original entry (None if there is no such original entry)."""
        raw = db.query(
            f"SELECT {', '.join(ENTRY_COLUMNS)} FROM journal_entries "
            "WHERE id = ? OR (refers_to = ? AND kind IN ('correction', 'void')) ORDER BY id",
            (entry_id, entry_id),
        )
        return views.fold(views.decode(row) for row in raw).get(entry_id)

    def _check_references(self, db: Backend, entry: Entry) -> None:
        """Rules that need the database: targets of updates, corrections, voids and letters."""
        kind = entry["kind"]
        if kind == "delivery":
            letter = self._state(db, entry["refers_to"])
            if letter is None or letter["kind"] != "dunning_letter" or letter["voided"]:
                raise fail(entry, "refers_to", f"{entry['refers_to']} is not a (not voided) dunning_letter entry")
            if entry["customer_id"] is None:
                entry["customer_id"] = letter["customer_id"]
            return
        if kind == "dunning_letter":
            run = self._state(db, entry["details"]["run_id"])
            if run is None or run["kind"] != "dunning_run":
                raise fail(entry, "details.run_id", f"{entry['details']['run_id']} is not a dunning_run entry")
            return
        if kind not in ("dispute_update", *AMENDMENTS):
            return
        target = self._state(db, entry["refers_to"])
        if target is None:
            raise fail(
                entry,
                "refers_to",
                f"{entry['refers_to']} is not an entry that can be referred to (no such entry, or a correction/void)",
            )
        if target["voided"]:
            raise fail(entry, "refers_to", f"entry {target['id']} is voided")
        if kind == "dispute_update" and target["kind"] != "dispute":
            raise fail(entry, "refers_to", f"entry {target['id']} is a {target['kind']}, not a dispute")
        if entry["customer_id"] is None:
            entry["customer_id"] = target["customer_id"]
        elif kind == "dispute_update" and entry["customer_id"] != target["customer_id"]:
            raise fail(
                entry, "customer_id", f"{entry['customer_id']!r} differs from the dispute's {target['customer_id']!r}"
            )
        if kind == "correction":
            merged = views.fold([target, entry])[target["id"]]
            try:
                check_entry(merged)
                self._check_references(db, merged)
            except JournalError as exc:
                raise JournalError(f"correction of entry {target['id']}: {exc}") from None

    # -- typed convenience writers ----------------------------------------------------------

    def log_contact(
        self,
        customer_id: str,
        channel: str,
        outcome: str,
        *,
        on: date,
        author: str | None = None,
        next_action_date: date | None = None,
        contact_person: str = "",
        document_ids: Iterable[str] = (),
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record a call, email, letter or meeting with a customer and its outcome."""
        return self.add(
            "contact",
            author=author,
            customer_id=customer_id,
            event_date=on,
            next_action_date=next_action_date,
            document_ids=document_ids,
            uid=uid,
            recorded_at=recorded_at,
            details={"channel": channel, "outcome": outcome, "contact_person": contact_person},
        )

    def add_promise(
        self,
        customer_id: str,
        amount: Decimal | int | str,
        currency: str,
        pay_by: date,
        *,
        author: str | None = None,
        document_ids: Iterable[str] = (),
        promised_on: date | None = None,
        note: str = "",
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record a promise to pay ``amount`` by ``pay_by`` (made on ``promised_on``, default today)."""
        return self.add(
            "promise",
            author=author,
            customer_id=customer_id,
            amount=amount,
            currency=currency,
            event_date=pay_by,
            document_ids=document_ids,
            uid=uid,
            recorded_at=recorded_at,
            details={"promised_on": date_text(promised_on, "promise: promised_on"), "note": note},
        )

    def open_dispute(
        self,
        customer_id: str,
        document_ids: Iterable[str],
        reason: str,
        *,
        owner: str,
        on: date,
        author: str | None = None,
        note: str = "",
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Open a dispute on some documents; ``owner`` is the person in charge of resolving it."""
        return self.add(
            "dispute",
            author=author,
            customer_id=customer_id,
            document_ids=document_ids,
            event_date=on,
            uid=uid,
            recorded_at=recorded_at,
            details={"reason": reason, "owner": owner, "status": "open", "note": note},
        )

    def update_dispute(
        self,
        dispute_id: int,
        status: str,
        *,
        on: date,
        resolution: str = "",
        credit_amount: Decimal | int | str | None = None,
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Move a dispute to ``status`` (open, in_review, resolved, rejected), maybe granting a credit."""
        return self.add(
            "dispute_update",
            author=author,
            refers_to=dispute_id,
            event_date=on,
            amount=credit_amount,
            uid=uid,
            recorded_at=recorded_at,
            details={"status": status, "resolution": resolution},
        )

    def escalate(
        self,
        customer_id: str,
        action: str,
        *,
        on: date,
        partner: str = "",
        amount: Decimal | int | str | None = None,
        currency: str | None = None,
        fees: Decimal | int | str | None = None,
        note: str = "",
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record an escalation step (suspension, agency, lawyer, recovery, closure)."""
        return self.add(
            "escalation",
            author=author,
            customer_id=customer_id,
            event_date=on,
            amount=amount,
            currency=currency,
            uid=uid,
            recorded_at=recorded_at,
            details={"action": action, "partner": partner, "note": note, "fees": amount_text(fees, "escalation: fees")},
        )

    def add_note(
        self,
        customer_id: str,
        text: str,
        *,
        on: date,
        next_action_date: date | None = None,
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record a free-text note, maybe with a follow-up date."""
        return self.add(
            "note",
            author=author,
            customer_id=customer_id,
            event_date=on,
            next_action_date=next_action_date,
            uid=uid,
            recorded_at=recorded_at,
            details={"text": text},
        )

    def set_flag(
        self,
        customer_id: str,
        flag: str,
        value: bool,
        *,
        on: date,
        reason: str = "",
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Set a customer flag (for example ``no_dunning``) to true or false."""
        return self.add(
            "flag",
            author=author,
            customer_id=customer_id,
            event_date=on,
            uid=uid,
            recorded_at=recorded_at,
            details={"flag": flag, "value": value, "reason": reason},
        )

    def record_letter(
        self,
        customer_id: str,
        *,
        on: date,
        currency: str,
        amount: Decimal | int | str,
        document_ids: Iterable[str],
        level: int,
        channel: str,
        levels: Mapping[str, int],
        run_id: int,
        file: str = "",
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
        outbox: bool = False,
    ) -> int:
        """Record a dunning letter of run ``run_id``: amount claimed, documents and their levels.

        ``outbox=True`` marks a letter whose delivery is recorded separately
        (:meth:`record_delivery`): its levels count only once it is delivered.
        """
        return self.add(
            "dunning_letter",
            author=author,
            customer_id=customer_id,
            event_date=on,
            currency=currency,
            amount=amount,
            document_ids=document_ids,
            uid=uid,
            recorded_at=recorded_at,
            details={
                "level": level,
                "channel": channel,
                "levels": dict(levels),
                "run_id": run_id,
                "file": file,
                **({"outbox": True} if outbox else {}),
            },
        )

    def record_delivery(
        self,
        letter_id: int,
        outcome: str,
        *,
        on: date,
        channel: str,
        reason: str = "",
        message_id: str = "",
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record what happened to the dunning letter ``letter_id``: sending, sent, failed, printed or phone_task."""
        details: dict[str, Any] = {"outcome": outcome, "channel": channel}
        if reason:
            details["reason"] = reason
        if message_id:
            details["message_id"] = message_id
        return self.add(
            "delivery",
            author=author,
            refers_to=letter_id,
            event_date=on,
            uid=uid,
            recorded_at=recorded_at,
            details=details,
        )

    def record_run(
        self,
        as_of: date,
        *,
        policy: str,
        communications: int,
        author: str | None = None,
        details: Mapping[str, Any] | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record a (non dry-run) dunning run controlled as of ``as_of``; extra ``details`` are kept."""
        return self.add(
            "dunning_run",
            author=author,
            event_date=as_of,
            uid=uid,
            recorded_at=recorded_at,
            details={**(details or {}), "policy": policy, "communications": communications, "dry_run": False},
        )

    def bind_workspace(
        self,
        workspace_id: str,
        *,
        company: str,
        ledger: str,
        on: date,
        author: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record that this journal belongs to the workspace ``workspace_id`` and its ``ledger`` folder.

        Binding the same workspace again adds nothing (the uid is derived from
        its id). :meth:`workspace_binding` reads it back; the command line then
        refuses the journal with another workspace or another ledger.
        """
        return self.add(
            "workspace",
            author=author,
            event_date=on,
            uid=f"workspace:{workspace_id}",
            recorded_at=recorded_at,
            details={"workspace_id": workspace_id, "company": company, "ledger": ledger},
        )

    def workspace_binding(self) -> dict[str, str] | None:
        """The workspace this journal belongs to (its latest binding that is not voided), or None."""
        bound = self._states("workspace")
        if not bound:
            return None
        details = bound[-1]["details"]
        return {key: str(details[key]) for key in ("workspace_id", "company", "ledger")}

    def correct(
        self,
        entry_id: int,
        *,
        author: str | None = None,
        reason: str,
        uid: str | None = None,
        recorded_at: datetime | None = None,
        **changes: Any,
    ) -> int:
        """Replace fields of an earlier entry (``details=`` is merged into its details); return the correction id."""
        return self.add(
            "correction",
            author=author,
            refers_to=entry_id,
            uid=uid,
            recorded_at=recorded_at,
            details={"reason": reason, "changes": normalise_changes(changes)},
        )

    def void(
        self,
        entry_id: int,
        reason: str,
        *,
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Withdraw an earlier entry (it stays in the history); return the void entry's id."""
        return self.add(
            "void", author=author, refers_to=entry_id, uid=uid, recorded_at=recorded_at, details={"reason": reason}
        )

    # -- reading ------------------------------------------------------------------------------

    def _rows(self, kinds: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
        sql = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM journal_entries"
        params: tuple[str, ...] = ()
        if kinds is not None:
            wanted = (*kinds, *AMENDMENTS)
            sql += f" WHERE kind IN ({', '.join('?' for _ in wanted)})"
            params = wanted
        return self._db.query(sql + " ORDER BY id", params)

    def _states(self, *kinds: str, include_voided: bool = False) -> list[Entry]:
        """Current states of the original entries of ``kinds`` (all kinds if none), in id order."""
        states = views.fold(views.decode(row) for row in self._rows(kinds or None)).values()
        return [s for s in states if (not kinds or s["kind"] in kinds) and (include_voided or not s["voided"])]

    def history(self) -> pl.DataFrame:
        """Every stored row, all kinds, exactly as stored (the audit trail), in id order."""
        return views.history(self._rows())

    def entries(
        self,
        kind: str | None = None,
        customer_id: str | None = None,
        since: date | None = None,
        until: date | None = None,
        include_voided: bool = False,
    ) -> pl.DataFrame:
        """Current state of each original entry (corrections applied); columns: ``ENTRY_SCHEMA``.

        ``since``/``until`` filter on ``event_date`` (inclusive); voided entries
        are left out unless ``include_voided``.
        """
        if kind is not None and kind not in KINDS:
            raise JournalError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
        states = self._states(*([kind] if kind else []), include_voided=include_voided)
        return views.entries(states, customer_id=customer_id, since=since, until=until)

    def contacts(self) -> pl.DataFrame:
        """Contacts with channel, outcome and follow-up date; see ``VIEW_SCHEMAS['contacts']``."""
        return views.contacts(self._states("contact"))

    def promises(self) -> pl.DataFrame:
        """Promises to pay; see ``VIEW_SCHEMAS['promises']``."""
        return views.promises(self._states("promise"))

    def disputes(self) -> pl.DataFrame:
        """One row per dispute with the status of its latest update (by event date, then id)."""
        return views.disputes(self._states("dispute", "dispute_update"))

    def escalations(self) -> pl.DataFrame:
        """Escalation steps; see ``VIEW_SCHEMAS['escalations']`` (amounts and fees in mills)."""
        return views.escalations(self._states("escalation"))

    def notes(self) -> pl.DataFrame:
        """Notes; see ``VIEW_SCHEMAS['notes']``."""
        return views.notes(self._states("note"))

    def flags(self) -> pl.DataFrame:
        """The latest value (by event date, then id) of each flag of each customer."""
        return views.flags(self._states("flag"))

    def dunning_letters(self) -> pl.DataFrame:
        """Dunning letters; see ``VIEW_SCHEMAS['dunning_letters']`` (``levels`` as JSON text)."""
        return views.dunning_letters(self._states("dunning_letter"))

    def dunning_runs(self) -> pl.DataFrame:
        """Dunning runs; see ``VIEW_SCHEMAS['dunning_runs']``."""
        return views.dunning_runs(self._states("dunning_run"))

    def deliveries(self) -> pl.DataFrame:
        """Delivery outcomes of dunning letters; see ``VIEW_SCHEMAS['deliveries']``."""
        return views.deliveries(self._states("delivery"))

    def credit_decisions(self) -> pl.DataFrame:
        """Credit decisions, overrides and limit changes; see ``VIEW_SCHEMAS['credit_decisions']``."""
        return views.credit_decisions(self._states(*CREDIT_KINDS))

    def last_run_date(self) -> date | None:
        """The latest controlling date of a (not voided) dunning run, or None."""
        return views.last_run_date(self._states("dunning_run"))

    def next_actions(self) -> pl.DataFrame:
        """Per customer, the follow-up date set by the latest contact or note that set one.

        "Latest" is by event date, then id: a later contact that brings the
        follow-up forward replaces an earlier, later-dated plan.
        """
        return views.next_actions(self._states("contact", "note"))

    # -- integrity and export ---------------------------------------------------------------

    def verify(self, checkpoints: Iterable[tuple[str, Mapping[str, Any]]] = ()) -> list[str]:
        """Check the chain, the key record, the append-only triggers and checkpoints; return the problems.

        Empty when intact. Every altered entry, every run of removed ids and
        every entry out of order is named. Entries sealed with the key are
        checked against it; without the key their links are still checked,
        and the missing key is itself reported. ``checkpoints`` are
        ``(label, record)`` pairs taken earlier (:meth:`checkpoint`) and kept
        outside the database: a removed tail or a chain rebuilt from scratch
        no longer matches them. docs/journal.md says what is and is not detected.
        """
        rows = [dict(zip(ENTRY_COLUMNS, raw, strict=True)) for raw in self._rows()]
        problems = self._trigger_problems() + self._key_problems(rows)
        protection = self.protection()
        usable = self._key if protection is not None and self.key_id == protection.key_id else None
        problems += chain_problems(rows, key=usable, keyed_from=protection.keyed_from if protection else None)
        seals = {int(row["id"]): str(row["hash"]) for row in rows}
        journal_id = protection.journal_id if protection else None
        for label, record in checkpoints:
            problems += checkpoint_problems(record, seals, journal_id=journal_id, key=usable, label=label)
        return problems

    def _key_problems(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """What is wrong with the key record: missing, altered, or not checkable for want of the key."""
        shown = _safe_url(self.url)
        protection = self.protection()
        records = self._db.query("SELECT COUNT(*) FROM journal_key")[0][0] if self._key_table else 0
        if protection is None:
            if self._key is not None:
                return [
                    f"the journal has no key record, but a key is kept for it ({self._key.source}): "
                    "its protection was removed, or the chain was rebuilt without the key"
                ]
            return [
                f"journal {shown} is not keyed (written by an earlier release): a chain rebuilt from scratch would "
                "pass; run `workbench journal protect` to seal its next entries with a key"
            ]
        problems = []
        if records > 1:
            problems.append(f"the journal holds {records} key records; only one is ever written")
        if self._key is None:
            problems.append(
                f"no key found for journal {shown} (key id {protection.key_id}): the seals of entries "
                f"{protection.keyed_from} on cannot be checked; set WORKBENCH_JOURNAL_KEY_FILE or give --key-file"
            )
        elif self._key.key_id != protection.key_id:
            problems.append(
                f"the key from {self._key.source} (key id {self._key.key_id}) is not this journal's key "
                f"(key id {protection.key_id}): the seals cannot be checked"
            )
        elif not self._key.verify(
            protection_text(protection.journal_id, protection.key_id, protection.keyed_from, protection.created_at),
            protection.mac,
        ):
            problems.append("the journal's key record was altered (its signature does not match the key)")
        if rows and protection.keyed_from > max(int(row["id"]) for row in rows) + 1:
            problems.append(f"the key record starts at entry {protection.keyed_from}, after the last entry")
        return problems

    def checkpoint(self, taken_at: datetime) -> dict[str, Any]:
        """A record of the chain's head now (signed with the key when this object holds the journal's key).

        Keep it outside the database (``workbench journal checkpoint``, the
        weekly report) and give it to :meth:`verify` later.
        """
        last = self._db.query("SELECT id, hash FROM journal_entries ORDER BY id DESC LIMIT 1")
        count = int(self._db.query("SELECT COUNT(*) FROM journal_entries")[0][0])
        protection = self.protection()
        key = self._key if protection is not None and self.key_id == protection.key_id else None
        fields = {
            "journal_id": protection.journal_id if protection else None,
            "key_id": protection.key_id if protection else None,
            "entry_id": int(last[0][0]) if last else 0,
            "entries": count,
            "head": str(last[0][1]) if last else None,
            "taken_at": timestamp_text(taken_at),
        }
        return sign_checkpoint(fields, key)

    def grant_application_role(self, role: str) -> None:
        """PostgreSQL: let ``role`` read and append, and nothing else (run by the role that owns the tables).

        The application role can then select and insert entries but cannot
        alter the tables, disable their triggers, update, delete or truncate:
        only the owner can, and the application does not connect as the owner.
        """
        if self.dialect != "postgresql":
            raise JournalError("--app-role is for a PostgreSQL journal: a SQLite file has no roles")
        if not _ROLE_NAME.fullmatch(role):
            raise JournalError(
                f"role name {role!r}: use letters, digits and '_' (at most 63, not starting with a digit)"
            )
        if not self._db.query("SELECT 1 FROM pg_roles WHERE rolname = ?", (role,)):
            raise JournalError(f"no PostgreSQL role {role!r}: create it first (CREATE ROLE {role} LOGIN)")
        tables = "journal_entries, journal_key, journal_schema"

        def work(db: Backend) -> None:
            db.execute(f"REVOKE ALL ON {tables} FROM PUBLIC")
            db.execute(f'REVOKE ALL ON {tables} FROM "{role}"')
            db.execute(f'GRANT SELECT, INSERT ON journal_entries TO "{role}"')
            db.execute(f'GRANT SELECT ON journal_key, journal_schema TO "{role}"')

        self._db.locked(work)

    def ownership_notes(self) -> list[str]:
        """PostgreSQL: a warning when the connected role owns the journal's tables (it could disable the guards)."""
        if self.dialect != "postgresql":
            return []
        rows = self._db.query(
            "SELECT tableowner = current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
            "FROM pg_tables WHERE tablename = 'journal_entries' AND schemaname = current_schema()"
        )
        if rows and (rows[0][0] or rows[0][1]):
            return [
                "the connected role owns journal_entries (or is a superuser): it can disable the append-only "
                "triggers; give the application a role of its own (`workbench journal init --app-role`)"
            ]
        return []

    def _trigger_problems(self) -> list[str]:
        """The append-only triggers (of the entries and of the key record) that were dropped or disabled."""
        expected = {f"{table}_no_{verb}" for table in _GUARDED for verb in ("update", "delete")}
        if self.dialect == "sqlite":
            found = {
                str(r[0]): True
                for r in self._db.query(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('journal_entries', 'journal_key')"
                )
            }
        else:
            expected |= {f"{table}_no_truncate" for table in _GUARDED}
            found = {
                str(name): enabled != "D"
                for name, enabled in self._db.query(
                    "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal "
                    "AND tgrelid IN ('journal_entries'::regclass, 'journal_key'::regclass)"
                )
            }
        problems = []
        for name in sorted(expected):
            if name not in found:
                problems.append(f"trigger {name} is missing: the append-only guard was removed")
            elif not found[name]:
                problems.append(f"trigger {name} is disabled: the append-only guard is off")
        return problems

    def export(self, path: str | Path, fmt: str = "csv", *, force: bool = False) -> Path:
        """Write :meth:`history` as CSV (formula-safe) or JSON lines, atomically; return the path.

        An existing file is refused unless ``force`` (:mod:`workbench.outputs`).
        """
        from workbench.exports import write_csv, write_jsonl

        if fmt not in ("csv", "jsonl"):
            raise JournalError(f"export format must be 'csv' or 'jsonl' (got {fmt!r})")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        frame = self.history()
        if fmt == "csv":
            return write_csv(frame, target, force=force)
        return write_jsonl(frame, target, force=force)
