"""File names made from data: customer-supplied text never becomes a path, and two subjects never share a file.

Every writer that names a file after an id, a currency, an entity or a sales
rep goes through this module, so a customer id such as ``../../etc`` or
``C1/2`` can only ever give a plain file name inside the output folder.

- :func:`safe_name`: letters, digits, ``_`` and ``-`` only, at most 40
  characters (for codes such as currencies, which are plain already).
- :func:`file_id`: :func:`safe_name` of an id, plus the first 8 hex digits of
  the id's SHA-256 whenever :func:`safe_name` had to change it. Two different
  ids therefore never give the same name, in any run.
- :func:`unique_names`: readable names for a set of texts in one run (names of
  people): accents folded to ASCII, and a hash suffix added only to texts
  whose readable names collide, so "José Pérez" and "Josè Pèrez" get two files.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["file_id", "safe_name", "unique_names"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_MAX = 40


def safe_name(text: str, fallback: str) -> str:
    """A file-name-safe form of an id or code: letters, digits, ``_`` and ``-`` only, at most 40."""
    return _UNSAFE.sub("_", text)[:_MAX] or fallback


def _suffix(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def file_id(text: str, fallback: str) -> str:
    """``safe_name(text)``, plus ``-<8 hex of SHA-256>`` when that changed the text: distinct ids, distinct names."""
    safe = safe_name(text, fallback)
    return safe if safe == text else f"{safe}-{_suffix(text)}"


def _readable(text: str, fallback: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return safe_name(folded.strip(), fallback)


def unique_names(texts: Iterable[str], fallback: str) -> dict[str, str]:
    """A file-name-safe, readable name for each distinct text, unique within the set.

    The name is the text with accents folded to ASCII, other characters
    replaced by ``_`` and cut at 40 characters. When two different texts give
    the same name, each of them gets ``-<8 hex of its SHA-256>`` appended (a
    suffix that depends on the text only, so it is the same in every run).
    """
    distinct = list(dict.fromkeys(texts))
    base = {text: _readable(text, fallback) for text in distinct}
    counts: dict[str, int] = {}
    for name in base.values():
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    names = {text: name if counts[name.casefold()] == 1 else f"{name}-{_suffix(text)}" for text, name in base.items()}
    taken: dict[str, str] = {}
    for text, name in names.items():
        key = name.casefold()
        if key in taken:  # a readable name equal to another's suffixed one: fall back to the full hash
            name = f"{base[text]}-{hashlib.sha256(text.encode('utf-8')).hexdigest()}"
            names[text] = name
            key = name.casefold()
        taken[key] = text
    return names
