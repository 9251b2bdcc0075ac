"""File names made from data: customer-supplied text never becomes a path.

Every writer that names a file after an id, a currency, an entity or a sales
rep goes through :func:`safe_name`, so a customer id such as ``../../etc`` or
``C1/2`` can only ever give a plain file name inside the output folder.
"""

from __future__ import annotations

import re

__all__ = ["safe_name"]


def safe_name(text: str, fallback: str) -> str:
    """A file-name-safe form of an id or code: letters, digits, ``_`` and ``-`` only, at most 40."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:40] or fallback
