"""Append-only decisions log: order decisions, overrides and credit-limit changes, with who, when and why.

One JSON object per line in ``<folder>/decisions.jsonl``. Every entry has
``seq`` (1, 2, ...), ``kind`` (``order_decision``, ``override``,
``limit_change``), ``customer_id``, ``author``, ``timestamp`` (ISO 8601 with
offset, **passed in by the caller**: nothing here reads the clock), ``reason``
and kind-specific fields, plus ``prev_sha256``: the SHA-256 of the previous
line (of ``""`` for the first). :meth:`DecisionLog.verify` re-reads the file
and fails on any edited, removed or reordered line, so the log is
tamper-evident as well as append-only (the class never rewrites the file).

Limit changes above the policy's approval levels (``[[approval.levels]]``,
amounts in ``[policy].currency``, the new limit converted at the as-of rate)
need an ``approver`` different from the author; otherwise
:class:`ApprovalRequiredError` is raised and nothing is written. The log
records the role the policy requires; it cannot check that the approver
holds it (there is no user directory).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import WorkbenchError
from ..fx import FxTable
from ..money import parse_amount
from ._num import fmt_amount
from .policy import OUTCOMES, Policy, default_policy
from .release import Decision

__all__ = ["ApprovalRequiredError", "DecisionLog", "DecisionLogError"]

LOG_NAME = "decisions.jsonl"


class DecisionLogError(WorkbenchError):
    """A log entry is refused (missing author, naive timestamp, ...) or the log fails verification."""


class ApprovalRequiredError(DecisionLogError):
    """A limit change above the policy's approval threshold came without a valid approver."""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _sha(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


@dataclass
class DecisionLog:
    """The decisions log kept in ``folder`` (created when missing)."""

    folder: Path
    policy: Policy | None = None

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.policy = self.policy or default_policy()

    @property
    def path(self) -> Path:
        """The JSON-lines file."""
        return self.folder / LOG_NAME

    # ------------------------------------------------------------------ writing

    def _append(self, entry: dict[str, Any], author: str, timestamp: datetime, reason: str | None,
                reason_required: bool) -> dict[str, Any]:
        if not isinstance(author, str) or not author.strip():
            raise DecisionLogError("an author is required for every log entry")
        if not isinstance(timestamp, datetime) or timestamp.tzinfo is None or timestamp.utcoffset() is None:
            raise DecisionLogError("timestamp must be a timezone-aware datetime passed in by the caller "
                                   "(e.g. datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc))")
        if reason_required and (reason is None or not str(reason).strip()):
            raise DecisionLogError(f"a reason is required for a {entry['kind']} entry")
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8", newline="\n") as handle:
            _lock(handle)
            try:
                handle.seek(0)
                lines = handle.read().splitlines()
                prev = _sha(lines[-1]) if lines else _sha("")
                record = {"seq": len(lines) + 1, "kind": entry.pop("kind"), "customer_id": entry.pop("customer_id"),
                          "author": author.strip(), "timestamp": timestamp.isoformat(),
                          "reason": None if reason is None else str(reason), **entry, "prev_sha256": prev}
                line = json.dumps(_plain(record), ensure_ascii=False, sort_keys=False)
                handle.seek(0, os.SEEK_END)
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                _unlock(handle)
        return record

    def record_decision(self, decision: Decision, *, author: str, timestamp: datetime,
                        reason: str | None = None, order_ref: str | None = None) -> dict[str, Any]:
        """Record an order decision from :func:`~workbench.credit.release.check_order` as made."""
        return self._append({
            "kind": "order_decision", "customer_id": decision.customer_id, "order_ref": order_ref,
            "as_of": decision.as_of, "outcome": decision.outcome, "findings": [
                {"code": f.code, "outcome": f.outcome, "message": f.message} for f in decision.findings],
            "order_amount": decision.order_amount, "currency": decision.currency,
            "exposure_after": decision.exposure_after, "credit_limit": decision.credit_limit,
            "risk_class": decision.risk_class, "policy": decision.policy,
        }, author, timestamp, reason, reason_required=False)

    def record_override(self, decision: Decision, outcome: str, *, author: str, timestamp: datetime,
                        reason: str, order_ref: str | None = None) -> dict[str, Any]:
        """Record that a person replaced a decision's outcome (a reason is required)."""
        if outcome not in OUTCOMES:
            raise DecisionLogError(f"override outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        return self._append({
            "kind": "override", "customer_id": decision.customer_id, "order_ref": order_ref,
            "as_of": decision.as_of, "original_outcome": decision.outcome, "outcome": outcome,
            "original_reasons": decision.reasons, "order_amount": decision.order_amount,
            "currency": decision.currency,
        }, author, timestamp, reason, reason_required=True)

    def record_limit_change(self, customer_id: str, new_limit: Decimal | int | str, currency: str, *,
                            author: str, timestamp: datetime, reason: str, old_limit: Decimal | int | str | None = None,
                            approver: str | None = None, as_of: date | None = None,
                            fx: FxTable | None = None) -> dict[str, Any]:
        """Record a credit-limit change; above the approval threshold an approver (not the author) is required.

        ``currency`` is the limit's currency. When it differs from the
        policy currency, ``fx`` and ``as_of`` are needed to compare the new
        limit with the thresholds (as-of rate).

        Raises :class:`ApprovalRequiredError` (nothing written) when the
        policy requires an approver and none, or the author, is given.
        """
        policy = self.policy
        assert policy is not None
        new = parse_amount(new_limit)
        if new < 0:
            raise DecisionLogError(f"a credit limit cannot be negative ({new})")
        if currency == policy.currency:
            in_policy = new
        elif fx is None or as_of is None:
            raise DecisionLogError(
                f"limit in {currency} but approval thresholds are in {policy.currency}: pass fx= and as_of= "
                "to convert at the as-of rate")
        else:
            in_policy = fx.convert(new, currency, policy.currency, as_of)
        role = policy.approval_role(in_policy)
        if role is not None:
            threshold = max(a for a, r in policy.approval_levels if in_policy > a)
            if approver is None or not approver.strip():
                raise ApprovalRequiredError(
                    f"limit change for {customer_id} to {fmt_amount(new, currency)} is above "
                    f"{fmt_amount(threshold, policy.currency)}: it needs approval by a {role} "
                    "(pass approver=...)")
            if approver.strip() == author.strip():
                raise ApprovalRequiredError(
                    f"limit change for {customer_id}: the approver must be someone other than the author ({author})")
        return self._append({
            "kind": "limit_change", "customer_id": customer_id, "as_of": as_of,
            "old_limit": None if old_limit is None else parse_amount(old_limit), "new_limit": new,
            "currency": currency, "approval_required": role, "approver": approver.strip() if approver else None,
        }, author, timestamp, reason, reason_required=True)

    # ------------------------------------------------------------------ reading

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, in order (an empty list when the log does not exist yet)."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    def frame(self) -> pl.DataFrame:
        """The main fields of every entry as a frame (``details`` keeps the whole entry as JSON)."""
        rows = [{
            "seq": e["seq"], "kind": e["kind"], "customer_id": e["customer_id"], "author": e["author"],
            "timestamp": e["timestamp"], "reason": e.get("reason"), "outcome": e.get("outcome"),
            "new_limit": e.get("new_limit"), "currency": e.get("currency"), "approver": e.get("approver"),
            "details": json.dumps(e, ensure_ascii=False),
        } for e in self.entries()]
        schema = {k: pl.Int64 if k == "seq" else pl.String for k in (
            "seq", "kind", "customer_id", "author", "timestamp", "reason", "outcome", "new_limit", "currency",
            "approver", "details")}
        return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)

    def verify(self) -> int:
        """Check the hash chain and the sequence; return the number of entries or raise :class:`DecisionLogError`."""
        if not self.path.exists():
            return 0
        prev = _sha("")
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DecisionLogError(f"{self.path}:{number}: not a JSON line") from exc
            if entry.get("seq") != number or entry.get("prev_sha256") != prev:
                raise DecisionLogError(f"{self.path}:{number}: the log was edited (sequence or hash chain broken)")
            prev = _sha(line)
        return len(lines)


try:  # POSIX advisory lock so that two processes do not interleave appends
    import fcntl

    def _lock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)

    def _unlock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
except ImportError:  # pragma: no cover - Windows: single writer assumed
    def _lock(handle: Any) -> None:
        return None

    def _unlock(handle: Any) -> None:
        return None
