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

import json
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
from workbench.journal.backends import Backend, connect, is_postgres_url
from workbench.journal.chain import chain_problems, linked_row
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
from workbench.journal.schema import ENTRY_COLUMNS, LATEST_VERSION, SCHEMA_TABLE_DDL, steps_after

__all__ = ["Journal", "migrate"]

_INSERTED = tuple(name for name in ENTRY_COLUMNS if name != "id")


def _safe_url(target: str) -> str:
    """A URL with any password replaced by ``***`` (for messages)."""
    parts = urlsplit(target)
    if parts.password is None:
        return target
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


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
    """The text of a driver error with any password of ``target`` masked."""
    text = str(exc)
    if isinstance(target, str):
        password = urlsplit(target).password if is_postgres_url(target) else None
        if password:
            text = text.replace(password, "***")
    return text


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


def migrate(backend: Backend, *, target: int | None = None) -> list[int]:
    """Apply the missing schema steps (up to ``target``, default latest) in one locked transaction.

    Returns the versions applied. Raises :class:`JournalError` when the database
    records a version newer than this code knows.
    """

    def work(db: Backend) -> list[int]:
        db.execute(SCHEMA_TABLE_DDL)
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

    def __init__(self, backend: Backend, *, author: str | None = None) -> None:
        self._db = backend
        self.author = author
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
    def open(cls, target: str | Path, *, author: str | None = None, create: bool = False) -> Journal:
        """Open the journal at a file path or PostgreSQL URL (migrating its schema to this release).

        A journal is created only when ``create`` is true (``workbench journal
        init``): otherwise a path that does not exist, or a database that holds
        no journal yet, raises :class:`JournalNotFoundError`, so a typo never
        starts an empty journal. A database holding other tables and no
        journal is refused even with ``create`` (:class:`JournalError`), and
        left untouched. ``author`` is the default author of entries added
        through this object.
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
        except JournalError:
            backend.close()
            raise
        except Exception as exc:
            backend.close()
            raise JournalError(f"cannot open journal {shown}: {_masked(exc, target)}") from exc
        return cls(backend, author=author)

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
        self._check_references(db, entry)
        last = db.query("SELECT hash FROM journal_entries ORDER BY id DESC LIMIT 1")
        row = linked_row(entry, last[0][0] if last else None)
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

    def verify(self) -> list[str]:
        """Check the hash chain and the append-only triggers; return the problems found (empty when intact).

        A missing run of entries is named by its ids when the chain breaks
        right after a gap. Without a checkpoint kept outside the database, a
        removed tail or a chain recomputed from scratch is not detectable
        (docs/journal.md says what is and is not).
        """
        problems = chain_problems(dict(zip(ENTRY_COLUMNS, raw, strict=True)) for raw in self._rows())
        return self._trigger_problems() + problems

    def _trigger_problems(self) -> list[str]:
        """The append-only triggers that were dropped or disabled."""
        expected = {"journal_entries_no_update", "journal_entries_no_delete"}
        if self.dialect == "sqlite":
            found = {
                str(r[0]): True
                for r in self._db.query(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'journal_entries'"
                )
            }
        else:
            expected.add("journal_entries_no_truncate")
            found = {
                str(name): enabled != "D"
                for name, enabled in self._db.query(
                    "SELECT tgname, tgenabled FROM pg_trigger "
                    "WHERE tgrelid = 'journal_entries'::regclass AND NOT tgisinternal"
                )
            }
        problems = []
        for name in sorted(expected):
            if name not in found:
                problems.append(f"trigger {name} is missing: the append-only guard was removed")
            elif not found[name]:
                problems.append(f"trigger {name} is disabled: the append-only guard is off")
        return problems

    def export(self, path: str | Path, fmt: str = "csv") -> Path:
        """Write :meth:`history` as CSV (formula-safe) or JSON lines; return the path."""
        from workbench.exports import write_csv

        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        frame = self.history()
        if fmt == "csv":
            return write_csv(frame, target)
        if fmt == "jsonl":
            with target.open("w", encoding="utf-8", newline="\n") as handle:
                for row in frame.iter_rows(named=True):
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            return target
        raise JournalError(f"export format must be 'csv' or 'jsonl' (got {fmt!r})")
