"""Checks on the numbers handed to the interest functions (shared by the law and the arithmetic)."""

from __future__ import annotations

from decimal import Decimal


def as_decimal(value: Decimal | int, what: str) -> Decimal:
    """``value`` as a finite ``Decimal``; floats, bools and other types raise ``TypeError`` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, got {result}")
    return result
