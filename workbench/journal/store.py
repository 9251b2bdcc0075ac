"""The collections journal: an append-only, hash-chained log of collections work.

Every contact, promise, dispute, escalation, note, flag, dunning letter and
dunning run is one row of ``journal_entries``. Rows are never changed: a
mistake is fixed by a ``correction`` entry (replacing fields of an earlier
entry) or a ``void`` entry (withdrawing it). Readers (:meth:`Journal.entries`
and the views) fold corrections and voids into the current state of each
original entry; :meth:`Journal.history` shows the raw audit trail.

Writes are serialised by one writer lock (see :mod:`workbench.journal.backends`)
so the hash chain (``hash = sha256(canonical JSON of the row's content and
prev_hash)``) is linear even with many processes writing at once.

Amounts are stored as exact decimal text (at most 3 decimals) and exposed in
frames as Int64 thousandths ("mills", :data:`workbench.money.AMOUNT_SCALE`) next
to the original text.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl

from workbench.errors import WorkbenchError
from workbench.journal.backends import Backend, connect, is_postgres_url
from workbench.journal.schema import (
    ENTRY_COLUMNS,
    ENTRY_SCHEMA,
    HISTORY_SCHEMA,
    LATEST_VERSION,
    SCHEMA_TABLE_DDL,
    VIEW_SCHEMAS,
    steps_after,
)
from workbench.money import AMOUNT_DECIMALS

__all__ = [
    "CONTACT_CHANNELS", "CORRECTABLE_FIELDS", "DISPUTE_STATUSES", "ESCALATION_ACTIONS", "KINDS",
    "Journal", "JournalError", "entry_hash", "migrate",
]


class JournalError(WorkbenchError):
    """A journal entry is invalid, or the journal cannot be opened or written."""


KINDS: tuple[str, ...] = (
    "contact", "promise", "dispute", "dispute_update", "escalation", "note", "flag",
    "dunning_letter", "dunning_run", "correction", "void",
)
CONTACT_CHANNELS: tuple[str, ...] = ("call", "email", "letter", "meeting")
DISPUTE_STATUSES: tuple[str, ...] = ("open", "in_review", "resolved", "rejected")
ESCALATION_ACTIONS: tuple[str, ...] = (
    "suspension_requested", "suspension_lifted", "agency", "lawyer", "recovered", "closed",
)
CORRECTABLE_FIELDS: tuple[str, ...] = (
    "event_date", "amount", "currency", "document_ids", "next_action_date", "customer_id", "details",
)
_AMENDMENTS = ("correction", "void")
_HASHED = tuple(name for name in ENTRY_COLUMNS if name not in ("id", "hash"))
_INSERTED = tuple(name for name in ENTRY_COLUMNS if name != "id")

Entry = dict[str, Any]

def _frame(rows: Sequence[Mapping[str, Any]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """A frame with exactly ``schema``'s columns and types (typed even when ``rows`` is empty)."""
    return pl.DataFrame({name: [row.get(name) for row in rows] for name in schema}, schema=dict(schema))


# --------------------------------------------------------------------------------------------
# value normalisation (Python values -> stored text)


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _timestamp_text(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds (``2026-11-20T09:15:00.000000Z``); naive means UTC."""
    if not isinstance(moment, datetime):
        raise JournalError(f"recorded_at must be a datetime (got {type(moment).__name__})")
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _date_text(value: Any, label: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise JournalError(f"{label} must be a date or ISO date text YYYY-MM-DD (got {value!r})")


def _decimal(value: Any, label: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int, str)):
        raise JournalError(f"{label} must be a Decimal, an int or decimal text, not {type(value).__name__}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise JournalError(f"{label} is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise JournalError(f"{label} must be a finite number (got {value!r})")
    if number < 0:
        raise JournalError(f"{label} must not be negative (got {value})")
    if int(number.as_tuple().exponent) < -AMOUNT_DECIMALS:
        raise JournalError(f"{label} has more than {AMOUNT_DECIMALS} decimals: {value}")
    return number.copy_abs() if number == 0 else number


def _amount_text(value: Any, label: str) -> str | None:
    return None if value is None else format(_decimal(value, label), "f")


def _mills(text: str | None) -> int | None:
    """Stored decimal text as integer thousandths (exact: at most 3 decimals are stored)."""
    return None if text is None else int(Decimal(text).scaleb(AMOUNT_DECIMALS))


def _currency(value: Any, label: str) -> str | None:
    if value is None:
        return None
    if not (isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()):
        raise JournalError(f"{label} must be a 3-letter ISO currency code like EUR (got {value!r})")
    return value


def _customer(value: Any, label: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise JournalError(f"{label} must be non-empty text (got {value!r})")
    return value


def _document_ids(value: Any, label: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise JournalError(f"{label} must be a list of document ids, not {type(value).__name__}")
    ids = list(value)
    for item in ids:
        if not isinstance(item, str) or not item.strip():
            raise JournalError(f"{label} must hold non-empty text ids (got {item!r})")
    return ids


def _details(value: Any, label: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise JournalError(f"{label} must be a mapping with text keys (got {type(value).__name__})")
    try:
        return json.loads(json.dumps(dict(value), default=_json_default))
    except (TypeError, ValueError) as exc:
        raise JournalError(f"{label} cannot be stored as JSON: {exc}") from None


_FIELD_NORMALISERS: dict[str, Callable[[Any, str], Any]] = {
    "customer_id": _customer, "event_date": _date_text, "next_action_date": _date_text,
    "amount": _amount_text, "currency": _currency, "document_ids": _document_ids, "details": _details,
}


def _normalise_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a correction in stored form (raises on unknown or invalid fields)."""
    if not changes:
        raise JournalError("correction: changes must name at least one field to replace")
    result: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in CORRECTABLE_FIELDS:
            raise JournalError(
                f"correction: field {name!r} cannot be corrected (correctable: {', '.join(CORRECTABLE_FIELDS)})"
            )
        result[name] = _FIELD_NORMALISERS[name](value, f"correction: changes.{name}")
    return result


# --------------------------------------------------------------------------------------------
# per-kind rules (pure: an entry in stored form in, JournalError out)


def _fail(entry: Entry, field: str, problem: str) -> JournalError:
    return JournalError(f"{entry['kind']}: {field} {problem}")


def _need(entry: Entry, *fields: str) -> None:
    for field in fields:
        value = entry.get(field)
        if value is None or value == [] or (isinstance(value, str) and not value.strip()):
            raise _fail(entry, field, "is required")


def _text(entry: Entry, key: str, *, required: bool = True, non_empty: bool = False) -> None:
    value = entry["details"].get(key)
    if value is None:
        if required:
            raise _fail(entry, f"details.{key}", "is required")
        return
    if not isinstance(value, str):
        raise _fail(entry, f"details.{key}", f"must be text (got {value!r})")
    if non_empty and not value.strip():
        raise _fail(entry, f"details.{key}", "must not be empty")


def _choice(entry: Entry, key: str, choices: Sequence[str]) -> None:
    value = entry["details"].get(key)
    if value not in choices:
        raise _fail(entry, f"details.{key}", f"must be one of {', '.join(choices)} (got {value!r})")


def _integer(entry: Entry, key: str) -> None:
    value = entry["details"].get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(entry, f"details.{key}", f"must be a non-negative integer (got {value!r})")


def _check_contact(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    _choice(entry, "channel", CONTACT_CHANNELS)
    _text(entry, "outcome")
    _text(entry, "contact_person", required=False)


def _check_promise(entry: Entry) -> None:
    _need(entry, "customer_id", "amount", "currency", "event_date")
    if Decimal(entry["amount"]) <= 0:
        raise _fail(entry, "amount", f"must be greater than zero (got {entry['amount']})")
    if _date_text(entry["details"].get("promised_on"), "promise: details.promised_on") is None:
        raise _fail(entry, "details.promised_on", "is required")
    _text(entry, "note", required=False)


def _check_dispute(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date", "document_ids")
    _text(entry, "reason", non_empty=True)
    _text(entry, "owner", non_empty=True)
    if entry["details"].get("status") != "open":
        raise _fail(entry, "details.status", "must be 'open' for a dispute (record a dispute_update to change it)")


def _check_dispute_update(entry: Entry) -> None:
    _need(entry, "refers_to", "event_date")
    _choice(entry, "status", DISPUTE_STATUSES)
    _text(entry, "resolution", required=False)


def _check_escalation(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    _choice(entry, "action", ESCALATION_ACTIONS)
    needs_partner = entry["details"].get("action") in ("agency", "lawyer")
    _text(entry, "partner", required=needs_partner, non_empty=needs_partner)
    if entry["amount"] is not None:
        _need(entry, "currency")
    fees = entry["details"].get("fees")
    if fees is not None:
        if not isinstance(fees, str):
            raise _fail(entry, "details.fees", f"must be decimal text (got {fees!r})")
        _decimal(fees, "escalation: details.fees")
    _text(entry, "note", required=False)


def _check_note(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    _text(entry, "text", non_empty=True)


def _check_flag(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    _text(entry, "flag", non_empty=True)
    if not isinstance(entry["details"].get("value"), bool):
        raise _fail(entry, "details.value", f"must be true or false (got {entry['details'].get('value')!r})")
    _text(entry, "reason", required=False)


def _check_dunning_letter(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date", "currency", "amount", "document_ids")
    _integer(entry, "level")
    _text(entry, "channel", non_empty=True)
    levels = entry["details"].get("levels")
    if not isinstance(levels, dict) or not all(
        isinstance(level, int) and not isinstance(level, bool) for level in levels.values()
    ):
        raise _fail(entry, "details.levels", f"must map document ids to integer levels (got {levels!r})")
    _integer(entry, "run_id")
    _text(entry, "file")


def _check_dunning_run(entry: Entry) -> None:
    _need(entry, "event_date")
    _text(entry, "policy", non_empty=True)
    _integer(entry, "communications")
    if entry["details"].get("dry_run") is not False:
        raise _fail(entry, "details.dry_run", "must be false: dry runs are not journaled")


def _check_correction(entry: Entry) -> None:
    _need(entry, "refers_to")
    _text(entry, "reason", non_empty=True)
    changes = entry["details"].get("changes")
    if not isinstance(changes, dict) or not changes:
        raise _fail(entry, "details.changes", "must name at least one field to replace")
    _normalise_changes(changes)


def _check_void(entry: Entry) -> None:
    _need(entry, "refers_to")
    _text(entry, "reason", non_empty=True)


_RULES: dict[str, Callable[[Entry], None]] = {
    "contact": _check_contact, "promise": _check_promise, "dispute": _check_dispute,
    "dispute_update": _check_dispute_update, "escalation": _check_escalation, "note": _check_note,
    "flag": _check_flag, "dunning_letter": _check_dunning_letter, "dunning_run": _check_dunning_run,
    "correction": _check_correction, "void": _check_void,
}


def _apply_defaults(entry: Entry) -> None:
    """Fill the documented defaults of a new entry's details and normalise the fields they hold."""
    details = entry["details"]
    if entry["kind"] == "correction" and isinstance(details.get("changes"), dict):
        details["changes"] = _normalise_changes(details["changes"])
    if entry["kind"] == "promise":
        promised_on = _date_text(details.get("promised_on"), "promise: details.promised_on")
        details["promised_on"] = promised_on or entry["recorded_at"][:10]
    elif entry["kind"] == "dispute":
        details.setdefault("status", "open")
    elif entry["kind"] == "dunning_run":
        details.setdefault("dry_run", False)
    elif entry["kind"] == "dispute_update":
        details.setdefault("resolution", "")


# --------------------------------------------------------------------------------------------
# stored rows, hashing and folding


def entry_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a stored row's content fields and ``prev_hash``.

    ``row`` holds the values exactly as stored (``document_ids`` and ``details``
    as their JSON text); ``id`` and ``hash`` are not part of the content.
    """
    return hashlib.sha256(_canonical_json({name: row[name] for name in _HASHED}).encode("utf-8")).hexdigest()


def _decode(raw: Sequence[Any]) -> Entry:
    """A stored row (tuple in ENTRY_COLUMNS order) with its JSON columns parsed."""
    row = dict(zip(ENTRY_COLUMNS, raw, strict=True))
    row["document_ids"] = json.loads(row["document_ids"] or "[]")
    row["details"] = json.loads(row["details"] or "{}")
    return row


def _fold(rows: Iterable[Entry]) -> dict[int, Entry]:
    """Current state of every original entry: corrections merged and voids marked, in id order."""
    states: dict[int, Entry] = {}
    for row in rows:
        if row["kind"] not in _AMENDMENTS:
            states[row["id"]] = {**row, "details": dict(row["details"]), "document_ids": list(row["document_ids"]),
                                 "corrected": False, "voided": False, "last_author": row["author"],
                                 "last_recorded_at": row["recorded_at"]}
            continue
        target = states.get(row["refers_to"])
        if target is None:
            continue
        if row["kind"] == "correction":
            for name, value in row["details"].get("changes", {}).items():
                if name == "details":
                    target["details"].update(value)
                else:
                    target[name] = value
            target["corrected"] = True
        else:
            target["voided"] = True
        target["last_author"] = row["author"]
        target["last_recorded_at"] = row["recorded_at"]
    return states


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _latest(entries: Iterable[Entry]) -> Entry | None:
    """The entry with the latest (event_date, id), or None."""
    return max(entries, key=lambda entry: (entry["event_date"] or "", entry["id"]), default=None)


def _safe_url(target: str) -> str:
    """A URL with any password replaced by ``***`` (for messages)."""
    parts = urlsplit(target)
    if parts.password is None:
        return target
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


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
            db.execute("INSERT INTO journal_schema (version, applied_at) VALUES (?, ?)",
                       (step.version, _timestamp_text(_now())))
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
    def open(cls, target: str | Path, *, author: str | None = None) -> Journal:
        """Open (creating and migrating as needed) the journal at a file path or PostgreSQL URL.

        ``author`` is the default author of entries added through this object.
        """
        shown = _safe_url(target) if is_postgres_url(target) else str(target)
        try:
            backend = connect(target)
        except Exception as exc:
            raise JournalError(f"cannot open journal {shown}: {exc}") from exc
        try:
            migrate(backend)
        except JournalError:
            backend.close()
            raise
        except Exception as exc:
            backend.close()
            raise JournalError(f"cannot open journal {shown}: {exc}") from exc
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

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
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
        if kind not in KINDS:
            raise JournalError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
        who = author if author is not None else self.author
        if not isinstance(who, str) or not who.strip():
            raise JournalError(f"{kind}: author is required (pass author= or open the journal with a default author)")
        if uid is not None and (not isinstance(uid, str) or not uid.strip()):
            raise JournalError(f"{kind}: uid must be non-empty text (got {uid!r})")
        if refers_to is not None and (isinstance(refers_to, bool) or not isinstance(refers_to, int)):
            raise JournalError(f"{kind}: refers_to must be an entry id (got {refers_to!r})")
        entry: Entry = {
            "uid": uid or uuid.uuid4().hex,
            "recorded_at": _timestamp_text(recorded_at if recorded_at is not None else _now()),
            "author": who,
            "kind": kind,
            "refers_to": refers_to,
        }
        for name, value in (("customer_id", customer_id), ("event_date", event_date), ("amount", amount),
                            ("currency", currency), ("document_ids", document_ids),
                            ("next_action_date", next_action_date), ("details", details)):
            entry[name] = _FIELD_NORMALISERS[name](value, f"{kind}: {name}")
        _apply_defaults(entry)
        _RULES[kind](entry)
        if self._in_batch:
            return self._append(self._db, entry)
        return self._db.locked(lambda db: self._append(db, entry))

    def _append(self, db: Backend, entry: Entry) -> int:
        """Inside the locked transaction: idempotency, references, chain link, insert."""
        found = db.query("SELECT id FROM journal_entries WHERE uid = ?", (entry["uid"],))
        if found:
            return int(found[0][0])
        self._check_references(db, entry)
        last = db.query("SELECT hash FROM journal_entries ORDER BY id DESC LIMIT 1")
        row = {**entry, "prev_hash": last[0][0] if last else None,
               "document_ids": _canonical_json(entry["document_ids"]),
               "details": _canonical_json(entry["details"])}
        row["hash"] = entry_hash(row)
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
        return _fold(_decode(row) for row in raw).get(entry_id)

    def _check_references(self, db: Backend, entry: Entry) -> None:
        """Rules that need the database: targets of updates, corrections, voids and letters."""
        kind = entry["kind"]
        if kind == "dunning_letter":
            run = self._state(db, entry["details"]["run_id"])
            if run is None or run["kind"] != "dunning_run":
                raise _fail(entry, "details.run_id", f"{entry['details']['run_id']} is not a dunning_run entry")
            return
        if kind not in ("dispute_update", *_AMENDMENTS):
            return
        target = self._state(db, entry["refers_to"])
        if target is None:
            raise _fail(entry, "refers_to", f"{entry['refers_to']} is not an entry that can be referred to "
                                            "(no such entry, or a correction/void)")
        if target["voided"]:
            raise _fail(entry, "refers_to", f"entry {target['id']} is voided")
        if kind == "dispute_update" and target["kind"] != "dispute":
            raise _fail(entry, "refers_to", f"entry {target['id']} is a {target['kind']}, not a dispute")
        if entry["customer_id"] is None:
            entry["customer_id"] = target["customer_id"]
        elif kind == "dispute_update" and entry["customer_id"] != target["customer_id"]:
            raise _fail(entry, "customer_id", f"{entry['customer_id']!r} differs from the dispute's "
                                              f"{target['customer_id']!r}")
        if kind == "correction":
            merged = _fold([target, entry])[target["id"]]
            try:
                _RULES[target["kind"]](merged)
                self._check_references(db, merged)
            except JournalError as exc:
                raise JournalError(f"correction of entry {target['id']}: {exc}") from None

    # -- typed convenience writers ----------------------------------------------------------

    def log_contact(self, customer_id: str, channel: str, outcome: str, *, on: date,
                    author: str | None = None, next_action_date: date | None = None, contact_person: str = "",
                    document_ids: Iterable[str] = (), uid: str | None = None,
                    recorded_at: datetime | None = None) -> int:
        """Record a call, email, letter or meeting with a customer and its outcome."""
        return self.add("contact", author=author, customer_id=customer_id, event_date=on,
                        next_action_date=next_action_date, document_ids=document_ids, uid=uid,
                        recorded_at=recorded_at,
                        details={"channel": channel, "outcome": outcome, "contact_person": contact_person})

    def add_promise(self, customer_id: str, amount: Decimal | int | str, currency: str, pay_by: date, *,
                    author: str | None = None, document_ids: Iterable[str] = (), promised_on: date | None = None,
                    note: str = "", uid: str | None = None, recorded_at: datetime | None = None) -> int:
        """Record a promise to pay ``amount`` by ``pay_by`` (made on ``promised_on``, default today)."""
        return self.add("promise", author=author, customer_id=customer_id, amount=amount, currency=currency,
                        event_date=pay_by, document_ids=document_ids, uid=uid, recorded_at=recorded_at,
                        details={"promised_on": _date_text(promised_on, "promise: promised_on"), "note": note})

    def open_dispute(self, customer_id: str, document_ids: Iterable[str], reason: str, *, owner: str, on: date,
                     author: str | None = None, note: str = "", uid: str | None = None,
                     recorded_at: datetime | None = None) -> int:
        """Open a dispute on some documents; ``owner`` is the person in charge of resolving it."""
        return self.add("dispute", author=author, customer_id=customer_id, document_ids=document_ids,
                        event_date=on, uid=uid, recorded_at=recorded_at,
                        details={"reason": reason, "owner": owner, "status": "open", "note": note})

    def update_dispute(self, dispute_id: int, status: str, *, on: date, resolution: str = "",
                       credit_amount: Decimal | int | str | None = None, author: str | None = None,
                       uid: str | None = None, recorded_at: datetime | None = None) -> int:
        """Move a dispute to ``status`` (open, in_review, resolved, rejected), maybe granting a credit."""
        return self.add("dispute_update", author=author, refers_to=dispute_id, event_date=on, amount=credit_amount,
                        uid=uid, recorded_at=recorded_at, details={"status": status, "resolution": resolution})

    def escalate(self, customer_id: str, action: str, *, on: date, partner: str = "",
                 amount: Decimal | int | str | None = None, currency: str | None = None,
                 fees: Decimal | int | str | None = None, note: str = "", author: str | None = None,
                 uid: str | None = None, recorded_at: datetime | None = None) -> int:
        """Record an escalation step (suspension, agency, lawyer, recovery, closure)."""
        return self.add("escalation", author=author, customer_id=customer_id, event_date=on, amount=amount,
                        currency=currency, uid=uid, recorded_at=recorded_at,
                        details={"action": action, "partner": partner, "note": note,
                                 "fees": _amount_text(fees, "escalation: fees")})

    def add_note(self, customer_id: str, text: str, *, on: date, next_action_date: date | None = None,
                 author: str | None = None, uid: str | None = None, recorded_at: datetime | None = None) -> int:
        """Record a free-text note, maybe with a follow-up date."""
        return self.add("note", author=author, customer_id=customer_id, event_date=on,
                        next_action_date=next_action_date, uid=uid, recorded_at=recorded_at,
                        details={"text": text})

    def set_flag(self, customer_id: str, flag: str, value: bool, *, on: date, reason: str = "",
                 author: str | None = None, uid: str | None = None, recorded_at: datetime | None = None) -> int:
        """Set a customer flag (for example ``no_dunning``) to true or false."""
        return self.add("flag", author=author, customer_id=customer_id, event_date=on, uid=uid,
                        recorded_at=recorded_at, details={"flag": flag, "value": value, "reason": reason})

    def record_letter(self, customer_id: str, *, on: date, currency: str, amount: Decimal | int | str,
                      document_ids: Iterable[str], level: int, channel: str, levels: Mapping[str, int],
                      run_id: int, file: str = "", author: str | None = None, uid: str | None = None,
                      recorded_at: datetime | None = None) -> int:
        """Record a dunning letter of run ``run_id``: amount claimed, documents and their levels."""
        return self.add("dunning_letter", author=author, customer_id=customer_id, event_date=on,
                        currency=currency, amount=amount, document_ids=document_ids, uid=uid,
                        recorded_at=recorded_at,
                        details={"level": level, "channel": channel, "levels": dict(levels), "run_id": run_id,
                                 "file": file})

    def record_run(self, as_of: date, *, policy: str, communications: int, author: str | None = None,
                   details: Mapping[str, Any] | None = None, uid: str | None = None,
                   recorded_at: datetime | None = None) -> int:
        """Record a (non dry-run) dunning run controlled as of ``as_of``; extra ``details`` are kept."""
        return self.add("dunning_run", author=author, event_date=as_of, uid=uid, recorded_at=recorded_at,
                        details={**(details or {}), "policy": policy, "communications": communications,
                                 "dry_run": False})

    def correct(self, entry_id: int, *, author: str | None = None, reason: str, uid: str | None = None,
                recorded_at: datetime | None = None, **changes: Any) -> int:
        """Replace fields of an earlier entry (``details=`` is merged into its details); return the correction id."""
        return self.add("correction", author=author, refers_to=entry_id, uid=uid, recorded_at=recorded_at,
                        details={"reason": reason, "changes": _normalise_changes(changes)})

    def void(self, entry_id: int, reason: str, *, author: str | None = None, uid: str | None = None,
             recorded_at: datetime | None = None) -> int:
        """Withdraw an earlier entry (it stays in the history); return the void entry's id."""
        return self.add("void", author=author, refers_to=entry_id, uid=uid, recorded_at=recorded_at,
                        details={"reason": reason})

    # -- reading ------------------------------------------------------------------------------

    def _rows(self, kinds: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
        sql = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM journal_entries"
        params: tuple[str, ...] = ()
        if kinds is not None:
            wanted = (*kinds, *_AMENDMENTS)
            sql += f" WHERE kind IN ({', '.join('?' for _ in wanted)})"
            params = wanted
        return self._db.query(sql + " ORDER BY id", params)

    def _states(self, *kinds: str, include_voided: bool = False) -> list[Entry]:
        """Current states of the original entries of ``kinds`` (all kinds if none), in id order."""
        states = _fold(_decode(row) for row in self._rows(kinds or None)).values()
        return [s for s in states if (not kinds or s["kind"] in kinds) and (include_voided or not s["voided"])]

    def history(self) -> pl.DataFrame:
        """Every stored row, all kinds, exactly as stored (the audit trail), in id order."""
        return _frame([dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in self._rows()], HISTORY_SCHEMA)

    def entries(self, kind: str | None = None, customer_id: str | None = None, since: date | None = None,
                until: date | None = None, include_voided: bool = False) -> pl.DataFrame:
        """Current state of each original entry (corrections applied); columns: ``ENTRY_SCHEMA``.

        ``since``/``until`` filter on ``event_date`` (inclusive); voided entries
        are left out unless ``include_voided``.
        """
        if kind is not None and kind not in KINDS:
            raise JournalError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
        rows = []
        for state in self._states(*([kind] if kind else []), include_voided=include_voided):
            if customer_id is not None and state["customer_id"] != customer_id:
                continue
            day = _day(state["event_date"])
            if (since is not None or until is not None) and day is None:
                continue
            if (since is not None and day < since) or (until is not None and day > until):
                continue
            rows.append({**state, "recorded_at": _moment(state["recorded_at"]), "event_date": day,
                         "amount": _mills(state["amount"]), "amount_text": state["amount"],
                         "next_action_date": _day(state["next_action_date"]),
                         "details": _canonical_json(state["details"]),
                         "last_recorded_at": _moment(state["last_recorded_at"])})
        return _frame(rows, ENTRY_SCHEMA)

    def contacts(self) -> pl.DataFrame:
        """Contacts with channel, outcome and follow-up date; see ``VIEW_SCHEMAS['contacts']``."""
        rows = [{**s["details"], **s, "event_date": _day(s["event_date"]),
                 "next_action_date": _day(s["next_action_date"]), "recorded_at": _moment(s["recorded_at"]),
                 "contact_person": s["details"].get("contact_person") or ""}
                for s in self._states("contact")]
        return _frame(rows, VIEW_SCHEMAS["contacts"])

    def promises(self) -> pl.DataFrame:
        """Promises to pay; see ``VIEW_SCHEMAS['promises']``."""
        rows = [{**s, "amount": _mills(s["amount"]), "amount_text": s["amount"], "pay_by": _day(s["event_date"]),
                 "promised_on": _day(s["details"].get("promised_on")), "recorded_at": _moment(s["recorded_at"]),
                 "note": s["details"].get("note") or ""}
                for s in self._states("promise")]
        return _frame(rows, VIEW_SCHEMAS["promises"])

    def disputes(self) -> pl.DataFrame:
        """One row per dispute with the status of its latest update (by event date, then id)."""
        states = self._states("dispute", "dispute_update")
        updates: dict[int, list[Entry]] = {}
        for state in states:
            if state["kind"] == "dispute_update":
                updates.setdefault(state["refers_to"], []).append(state)
        rows = []
        for dispute in (s for s in states if s["kind"] == "dispute"):
            history = updates.get(dispute["id"], [])
            latest = _latest(history)
            credit = _latest(u for u in history if u["amount"] is not None)
            rows.append({
                **dispute, "reason": dispute["details"].get("reason"), "owner": dispute["details"].get("owner"),
                "opened_on": _day(dispute["event_date"]),
                "status": latest["details"]["status"] if latest else "open",
                "status_date": _day((latest or dispute)["event_date"]),
                "resolution": (latest["details"].get("resolution") or "") if latest else "",
                "credit_amount": _mills(credit["amount"]) if credit else None,
            })
        return _frame(rows, VIEW_SCHEMAS["disputes"])

    def escalations(self) -> pl.DataFrame:
        """Escalation steps; see ``VIEW_SCHEMAS['escalations']`` (amounts and fees in mills)."""
        rows = [{**s["details"], **s, "event_date": _day(s["event_date"]), "amount": _mills(s["amount"]),
                 "partner": s["details"].get("partner") or "", "note": s["details"].get("note") or "",
                 "fees": _mills(s["details"].get("fees"))}
                for s in self._states("escalation")]
        return _frame(rows, VIEW_SCHEMAS["escalations"])

    def notes(self) -> pl.DataFrame:
        """Notes; see ``VIEW_SCHEMAS['notes']``."""
        rows = [{**s, "text": s["details"].get("text"), "event_date": _day(s["event_date"]),
                 "next_action_date": _day(s["next_action_date"]), "recorded_at": _moment(s["recorded_at"])}
                for s in self._states("note")]
        return _frame(rows, VIEW_SCHEMAS["notes"])

    def flags(self) -> pl.DataFrame:
        """The latest value (by event date, then id) of each flag of each customer."""
        latest: dict[tuple[str, str], Entry] = {}
        for state in self._states("flag"):
            key = (state["customer_id"], state["details"]["flag"])
            current = latest.get(key)
            if current is None or (state["event_date"], state["id"]) > (current["event_date"], current["id"]):
                latest[key] = state
        rows = [{"customer_id": s["customer_id"], "flag": s["details"]["flag"], "value": s["details"]["value"],
                 "event_date": _day(s["event_date"]), "reason": s["details"].get("reason") or ""}
                for _, s in sorted(latest.items())]
        return _frame(rows, VIEW_SCHEMAS["flags"])

    def dunning_letters(self) -> pl.DataFrame:
        """Dunning letters; see ``VIEW_SCHEMAS['dunning_letters']`` (``levels`` as JSON text)."""
        rows = [{**s["details"], **s, "event_date": _day(s["event_date"]), "amount": _mills(s["amount"]),
                 "levels": _canonical_json(s["details"].get("levels", {}))}
                for s in self._states("dunning_letter")]
        return _frame(rows, VIEW_SCHEMAS["dunning_letters"])

    def dunning_runs(self) -> pl.DataFrame:
        """Dunning runs; see ``VIEW_SCHEMAS['dunning_runs']``."""
        rows = [{**s["details"], **s, "as_of": _day(s["event_date"]), "author": s["author"],
                 "recorded_at": _moment(s["recorded_at"])}
                for s in self._states("dunning_run")]
        return _frame(rows, VIEW_SCHEMAS["dunning_runs"])

    def last_run_date(self) -> date | None:
        """The latest controlling date of a (not voided) dunning run, or None."""
        return max((_day(s["event_date"]) for s in self._states("dunning_run")), default=None)

    def next_actions(self) -> pl.DataFrame:
        """Per customer, the follow-up date set by the latest contact or note that set one.

        "Latest" is by event date, then id: a later contact that brings the
        follow-up forward replaces an earlier, later-dated plan.
        """
        latest: dict[str, Entry] = {}
        for state in self._states("contact", "note"):
            if state["next_action_date"] is None:
                continue
            current = latest.get(state["customer_id"])
            if current is None or (state["event_date"], state["id"]) > (current["event_date"], current["id"]):
                latest[state["customer_id"]] = state
        rows = [{"customer_id": s["customer_id"], "next_action_date": _day(s["next_action_date"]),
                 "source_kind": s["kind"], "entry_id": s["id"]}
                for s in sorted(latest.values(), key=lambda s: (s["next_action_date"], s["customer_id"]))]
        return _frame(rows, VIEW_SCHEMAS["next_actions"])

    # -- integrity and export ---------------------------------------------------------------

    def verify(self) -> list[str]:
        """Check the hash chain; return the problems found (empty when intact)."""
        problems: list[str] = []
        previous: str | None = None
        for raw in self._rows():
            row = dict(zip(ENTRY_COLUMNS, raw, strict=True))
            if row["prev_hash"] != previous:
                problems.append(f"entry {row['id']}: prev_hash does not match the hash of the entry before it")
            if entry_hash(row) != row["hash"]:
                problems.append(f"entry {row['id']}: content does not match its hash (changed after writing)")
            previous = row["hash"]
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
