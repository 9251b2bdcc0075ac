"""The credit audit trail: order decisions, overrides and credit-limit changes, with who, when and why.

Every entry goes to the journal (:mod:`workbench.journal`), the one
append-only, hash-chained audit trail of the workbench, as a
``credit_decision``, ``credit_override`` or ``limit_change`` entry. The
decision's time is **passed in by the caller** (nothing here reads the
clock): the journal's ``recorded_at`` is that moment in UTC and
``details.timestamp`` keeps it with the offset it was given in.

Limit changes above the policy's approval levels (``[[approval.levels]]``,
amounts in ``[policy].currency``, the new limit converted at the as-of rate)
need an ``approver`` different from the author; otherwise
:class:`ApprovalRequiredError` is raised and nothing is written. The log
records the role the policy requires; it cannot check that the approver
holds it (there is no user directory).

Earlier versions kept a separate ``decisions.jsonl`` file (one JSON object
per line, each carrying the SHA-256 of the previous line).
:func:`import_decisions` carries such a file into the journal: it checks the
file's own chain first, keeps each entry's author and timestamp, and is
idempotent (a second import adds nothing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import WorkbenchError
from ..fx import FxTable
from ..journal.reader import CreditJournal
from ..money import parse_amount
from ._num import fmt_amount
from .policy import OUTCOMES, Policy, default_policy
from .release import Decision

__all__ = [
    "LEGACY_LOG_NAME",
    "ApprovalRequiredError",
    "DecisionImport",
    "DecisionLog",
    "DecisionLogError",
    "import_decisions",
    "read_legacy_log",
]

LEGACY_LOG_NAME = "decisions.jsonl"
"""The file name of the separate log kept before decisions moved into the journal."""

_LEGACY_KINDS = {"order_decision": "credit_decision", "override": "credit_override", "limit_change": "limit_change"}


class DecisionLogError(WorkbenchError):
    """A log entry is refused (missing author, naive timestamp, ...) or a legacy log fails verification."""


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
    """Credit decisions recorded in (and read from) ``journal`` under ``policy``'s approval rules."""

    journal: CreditJournal
    policy: Policy | None = None

    def __post_init__(self) -> None:
        self.policy = self.policy or default_policy()

    # ------------------------------------------------------------------ writing

    def _append(
        self,
        kind: str,
        customer_id: str,
        *,
        author: str,
        timestamp: datetime,
        reason: str | None,
        reason_required: bool,
        as_of: date | None,
        amount: Decimal | None = None,
        currency: str | None = None,
        details: Mapping[str, Any],
        uid: str | None = None,
    ) -> int:
        if not isinstance(author, str) or not author.strip():
            raise DecisionLogError("an author is required for every log entry")
        if not isinstance(timestamp, datetime) or timestamp.tzinfo is None or timestamp.utcoffset() is None:
            raise DecisionLogError(
                "timestamp must be a timezone-aware datetime passed in by the caller "
                "(e.g. datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc))"
            )
        if reason_required and (reason is None or not str(reason).strip()):
            raise DecisionLogError(f"a reason is required for a {kind} entry")
        return self.journal.add(
            kind,
            author=author.strip(),
            customer_id=customer_id,
            event_date=as_of or timestamp.date(),
            amount=amount,
            currency=currency,
            uid=uid,
            recorded_at=timestamp,
            details=_plain(
                {"timestamp": timestamp.isoformat(), "reason": None if reason is None else str(reason), **details}
            ),
        )

    def record_decision(
        self,
        decision: Decision,
        *,
        author: str,
        timestamp: datetime,
        reason: str | None = None,
        order_ref: str | None = None,
        uid: str | None = None,
    ) -> int:
        """Record an order decision from :func:`~workbench.credit.release.check_order` as made; return its id."""
        return self._append(
            "credit_decision",
            decision.customer_id,
            author=author,
            timestamp=timestamp,
            reason=reason,
            reason_required=False,
            as_of=decision.as_of,
            amount=decision.order_amount,
            currency=decision.currency,
            uid=uid,
            details={
                "order_ref": order_ref,
                "outcome": decision.outcome,
                "findings": [{"code": f.code, "outcome": f.outcome, "message": f.message} for f in decision.findings],
                "exposure_after": decision.exposure_after,
                "credit_limit": decision.credit_limit,
                "risk_class": decision.risk_class,
                "policy": decision.policy,
            },
        )

    def record_override(
        self,
        decision: Decision,
        outcome: str,
        *,
        author: str,
        timestamp: datetime,
        reason: str,
        order_ref: str | None = None,
        uid: str | None = None,
    ) -> int:
        """Record that a person replaced a decision's outcome (a reason is required); return its id."""
        if outcome not in OUTCOMES:
            raise DecisionLogError(f"override outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        return self._append(
            "credit_override",
            decision.customer_id,
            author=author,
            timestamp=timestamp,
            reason=reason,
            reason_required=True,
            as_of=decision.as_of,
            amount=decision.order_amount,
            currency=decision.currency,
            uid=uid,
            details={
                "order_ref": order_ref,
                "original_outcome": decision.outcome,
                "outcome": outcome,
                "original_reasons": decision.reasons,
            },
        )

    def record_limit_change(
        self,
        customer_id: str,
        new_limit: Decimal | int | str,
        currency: str,
        *,
        author: str,
        timestamp: datetime,
        reason: str,
        old_limit: Decimal | int | str | None = None,
        approver: str | None = None,
        as_of: date | None = None,
        fx: FxTable | None = None,
        uid: str | None = None,
    ) -> int:
        """Record a credit-limit change; above the approval threshold an approver (not the author) is required.

        ``currency`` is the limit's currency. When it differs from the
        policy currency, ``fx`` and ``as_of`` are needed to compare the new
        limit with the thresholds (as-of rate).

        Raises :class:`ApprovalRequiredError` (nothing written) when the
        policy requires an approver and none, or the author, is given.
        Returns the journal entry id.
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
                "to convert at the as-of rate"
            )
        else:
            in_policy = fx.convert(new, currency, policy.currency, as_of)
        role = policy.approval_role(in_policy)
        if role is not None:
            threshold = max(a for a, r in policy.approval_levels if in_policy > a)
            if approver is None or not approver.strip():
                raise ApprovalRequiredError(
                    f"limit change for {customer_id} to {fmt_amount(new, currency)} is above "
                    f"{fmt_amount(threshold, policy.currency)}: it needs approval by a {role} "
                    "(pass approver=...)"
                )
            if approver.strip() == author.strip():
                raise ApprovalRequiredError(
                    f"limit change for {customer_id}: the approver must be someone other than the author ({author})"
                )
        return self._append(
            "limit_change",
            customer_id,
            author=author,
            timestamp=timestamp,
            reason=reason,
            reason_required=True,
            as_of=as_of,
            amount=new,
            currency=currency,
            uid=uid,
            details={
                "old_limit": None if old_limit is None else parse_amount(old_limit),
                "approval_required": role,
                "approver": approver.strip() if approver else None,
            },
        )

    # ------------------------------------------------------------------ reading

    def frame(self) -> pl.DataFrame:
        """Every decision, override and limit change in the journal; see ``VIEW_SCHEMAS['credit_decisions']``."""
        return self.journal.credit_decisions()


@dataclass(frozen=True)
class DecisionImport:
    """What :func:`import_decisions` did: entries read from the file, added, and already in the journal."""

    source: Path
    read: int
    added: int
    already_present: int


def read_legacy_log(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """The lines of a legacy ``decisions.jsonl`` with their parsed entries, after checking its hash chain.

    Raises :class:`DecisionLogError` naming the file and line when a line is
    not JSON, lacks a field the journal needs, or the sequence or chain is
    broken (an edited, removed or reordered line).
    """
    source = Path(path)
    if not source.is_file():
        raise DecisionLogError(f"{source}: no such decisions log")
    prev = _sha("")
    out: list[tuple[str, dict[str, Any]]] = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise DecisionLogError(f"{source}:{number}: not a JSON line") from None
        if not isinstance(entry, dict) or entry.get("seq") != number or entry.get("prev_sha256") != prev:
            raise DecisionLogError(f"{source}:{number}: the log was edited (sequence or hash chain broken)")
        if entry.get("kind") not in _LEGACY_KINDS:
            raise DecisionLogError(
                f"{source}:{number}: unknown entry kind {entry.get('kind')!r} "
                f"(expected one of {', '.join(_LEGACY_KINDS)})"
            )
        for key in ("customer_id", "author", "timestamp"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise DecisionLogError(f"{source}:{number}: {key} is missing")
        prev = _sha(line)
        out.append((line, entry))
    return out


def _legacy_fields(entry: dict[str, Any]) -> tuple[Decimal | None, dict[str, Any]]:
    """The journal amount and details of one legacy entry (every legacy field is kept)."""
    skip = {"seq", "kind", "customer_id", "author", "timestamp", "as_of", "prev_sha256", "currency"}
    details = {k: v for k, v in entry.items() if k not in skip}
    amount_key = "new_limit" if entry["kind"] == "limit_change" else "order_amount"
    amount = details.pop(amount_key, None)
    details["legacy_seq"] = entry["seq"]
    return (None if amount is None else parse_amount(amount)), details


def import_decisions(path: str | Path, journal: CreditJournal) -> DecisionImport:
    """Carry a legacy ``decisions.jsonl`` into ``journal``, every entry or none.

    The file's chain is verified first (:func:`read_legacy_log`). Each entry
    keeps its author and timestamp (``recorded_at`` is that moment in UTC,
    ``details.timestamp`` the original text) and every field it had; its
    journal ``uid`` is derived from the line's SHA-256, so importing the same
    file again adds nothing.
    """
    source = Path(path)
    lines = read_legacy_log(source)
    added = already = 0
    with journal.batch():
        for number, (line, entry) in enumerate(lines, start=1):
            uid = f"decisions-jsonl-{_sha(line)}"
            if journal.has_entry(uid):
                already += 1
                continue
            try:
                moment = datetime.fromisoformat(entry["timestamp"])
            except ValueError:
                raise DecisionLogError(f"{source}:{number}: timestamp {entry['timestamp']!r} is not ISO 8601") from None
            if moment.utcoffset() is None:
                raise DecisionLogError(f"{source}:{number}: timestamp {entry['timestamp']!r} has no UTC offset")
            amount, details = _legacy_fields(entry)
            try:
                journal.add(
                    _LEGACY_KINDS[entry["kind"]],
                    author=entry["author"],
                    customer_id=entry["customer_id"],
                    event_date=entry.get("as_of") or moment.date(),
                    amount=amount,
                    currency=entry.get("currency"),
                    uid=uid,
                    recorded_at=moment,
                    details={**details, "timestamp": entry["timestamp"]},
                )
            except WorkbenchError as exc:
                raise DecisionLogError(f"{source}:{number}: {exc}") from None
            added += 1
    return DecisionImport(source=source, read=len(lines), added=added, already_present=already)
