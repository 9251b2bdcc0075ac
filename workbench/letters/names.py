"""Names derived from a communication's ids: file stems, the attachment's name, digests.

Names come from ids only (customer id, currency, level, as-of date), never
from customer text, and pass through :func:`workbench.render.files.safe_name`,
so data never becomes a path.
"""

from __future__ import annotations

import hashlib

from ..collections.model import Communication
from ..render.files import file_id, safe_name

__all__ = ["digest", "file_stem", "safe_customer", "statement_filename"]


def digest(*parts: object) -> str:
    """SHA-256 (hex) of the parts joined by a unit separator: a stable id for names and boundaries."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def safe_customer(customer_id: str) -> str:
    """``safe_name`` of a customer id, plus a short hash of the id when ``safe_name`` changed it."""
    return file_id(customer_id, "customer")


def file_stem(comm: Communication) -> str:
    """``<safe customer id>_<currency>_L<level>``: the file name of a communication, from ids only.

    When ``safe_name`` had to change the customer id (characters replaced or
    truncated), a short hash of the real id is appended so that two customers
    never share a file.
    """
    return f"{safe_customer(comm.customer_id)}_{safe_name(comm.currency.upper(), 'XXX')}_L{int(comm.level)}"


def statement_filename(comm: Communication) -> str:
    """``statement_<safe customer id>_<as_of>.pdf``: the name of the attached statement of account."""
    return f"statement_{safe_customer(comm.customer_id)}_{comm.as_of.isoformat()}.pdf"
