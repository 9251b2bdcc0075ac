"""The journal's secret key: where it is kept, how it is read and written, and what it signs.

A journal created by this release is *keyed*: each row's ``hash`` is an
HMAC-SHA-256 of its content under a 256-bit key that is kept outside the
database. Whoever can write to the database but cannot read the key cannot
recompute a valid chain after editing, deleting or re-ordering rows.

Where the key is found, first match wins:

1. an explicit key file (``Journal.open(..., key_file=...)``, ``--key-file``);
2. ``WORKBENCH_JOURNAL_KEY``: the key itself, 64 hexadecimal characters;
3. ``WORKBENCH_JOURNAL_KEY_FILE``: a path to a key file;
4. for a SQLite journal, the file ``<journal>.key`` beside it (``journal.sqlite.key``).

A key file holds the key as 64 hexadecimal characters and a newline; it is
written once, with mode 0600, and never overwritten. Nothing here touches a
database; the secret never appears in a message or a ``repr``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workbench.journal.entries import JournalError

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "JournalKey",
    "default_key_path",
    "generate_key",
    "key_path",
    "read_key_file",
    "resolve_key",
]

KEY_ENV = "WORKBENCH_JOURNAL_KEY"
"""Environment variable holding the key itself (64 hex characters)."""

KEY_FILE_ENV = "WORKBENCH_JOURNAL_KEY_FILE"
"""Environment variable naming the key file."""

_KEY_BYTES = 32


@dataclass(frozen=True)
class JournalKey:
    """A journal key: the secret (never shown) and where it came from (for messages)."""

    secret: bytes = field(repr=False)
    source: str

    @property
    def key_id(self) -> str:
        """A public fingerprint of the key (16 hex characters); tells keys apart without revealing them."""
        return hmac.new(self.secret, b"workbench journal key id", hashlib.sha256).hexdigest()[:16]

    def mac(self, text: str) -> str:
        """HMAC-SHA-256 (hex) of ``text`` (UTF-8) under this key."""
        return hmac.new(self.secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def verify(self, text: str, mac: str | None) -> bool:
        """Whether ``mac`` is this key's MAC of ``text`` (constant-time comparison)."""
        return isinstance(mac, str) and hmac.compare_digest(self.mac(text), mac)


def _parse(text: str, source: str) -> JournalKey:
    value = text.strip()
    try:
        secret = bytes.fromhex(value)
    except ValueError:
        secret = b""
    if len(secret) != _KEY_BYTES:
        raise JournalError(f"{source}: a journal key is {2 * _KEY_BYTES} hexadecimal characters")
    return JournalKey(secret, source)


def default_key_path(target: str | Path) -> Path | None:
    """``<journal>.key`` beside a SQLite journal; None for a PostgreSQL URL."""
    from workbench.journal.backends import is_postgres_url

    if is_postgres_url(target):
        return None
    path = Path(target).expanduser()
    return path.with_name(path.name + ".key")


def key_path(
    target: str | Path, key_file: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Path | None:
    """The key file this journal uses: the explicit one, else ``WORKBENCH_JOURNAL_KEY_FILE``, else the default."""
    environ = os.environ if env is None else env
    if key_file is not None:
        return Path(key_file).expanduser()
    if environ.get(KEY_FILE_ENV):
        return Path(environ[KEY_FILE_ENV]).expanduser()
    return default_key_path(target)


def read_key_file(path: Path) -> JournalKey:
    """Read a key file (64 hex characters); a malformed file raises :class:`JournalError` naming it."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalError(f"cannot read the journal key file {path}: {exc.__class__.__name__}") from None
    return _parse(text, f"key file {path}")


def resolve_key(
    target: str | Path, key_file: str | Path | None = None, env: Mapping[str, str] | None = None
) -> JournalKey | None:
    """The key for the journal at ``target`` (see the module docstring for the order), or None when none is found.

    An explicit ``key_file`` that does not exist raises :class:`JournalError`;
    the environment's and the default file are optional.
    """
    environ = os.environ if env is None else env
    if key_file is not None:
        path = Path(key_file).expanduser()
        if not path.is_file():
            raise JournalError(f"no journal key file at {path}")
        return read_key_file(path)
    if environ.get(KEY_ENV):
        return _parse(environ[KEY_ENV], KEY_ENV)
    found = key_path(target, None, environ)
    if found is not None and found.is_file():
        return read_key_file(found)
    return None


def generate_key(path: Path) -> JournalKey:
    """Write a new random key to ``path`` (mode 0600, parent folders created); never replaces a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(_KEY_BYTES)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(secret.hex() + "\n")
        os.link(draft, path)  # appears whole or not at all, and never over an existing file
    except FileExistsError:
        raise JournalError(f"{path} already exists: a key file is never replaced") from None
    finally:
        draft.unlink(missing_ok=True)
    return JournalKey(secret, f"key file {path}")
