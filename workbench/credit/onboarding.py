"""Onboarding check of a new customer: identifiers, duplicates, missing data.

Checks, each giving findings ``(severity, check, field, message, other_customer_id, similarity)``:

- ``missing``: fields of ``onboarding.required`` that are empty (error);
- ``vat``: the VAT number (``vat_id``) with python-stdnum: EU member states
  (and XI) through ``stdnum.eu.vat`` (country prefix required, and it must
  match the customer's country; Greece uses ``EL``), other countries through
  their stdnum VAT module (``get_cc_module(cc, "vat")``, US employer ids via
  ``stdnum.us.ein``); a country without a validator gives a ``warning`` that
  the number was not checked;
- ``iban``: the IBAN with schwifty (checksum, country length and format);
  an IBAN country other than the customer's country is a ``warning``;
- ``duplicate_vat``: another customer with the same VAT number after
  compaction (error);
- ``similar_name``: another customer whose normalised name is similar:
  names are case-folded, accents removed, punctuation dropped, and trailing
  legal forms (``onboarding.legal_forms``: SA, GmbH, Ltd, S.r.l., Sp. z o.o.,
  ...) stripped; ``difflib.SequenceMatcher`` ratio >= ``onboarding.name_similarity``
  (0.88) is a warning (1.0 = same name once legal forms are removed).

A candidate without findings gets a single ``ok`` row.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import polars as pl

from ..ledger.model import Ledger
from .policy import Policy, default_policy

__all__ = ["check_iban", "check_vat", "normalise_name", "onboarding_check"]

_SCHEMA = {
    "candidate": pl.String,
    "severity": pl.String,
    "check": pl.String,
    "field": pl.String,
    "message": pl.String,
    "other_customer_id": pl.String,
    "similarity": pl.Float64,
}
_EU_PREFIX = {"GR": "EL"}
_FALLBACK_MODULES = {"us": "ein"}


def normalise_name(name: str, legal_forms: tuple[str, ...] | None = None) -> str:
    """Name reduced for duplicate search: case-folded, no accents or punctuation, trailing legal forms removed.

    >>> normalise_name("Martin & Lefèvre Agro S.r.l.")
    'martin lefevre agro'
    >>> normalise_name("Weber GmbH & Co. KG")
    'weber'
    """
    forms = set(legal_forms if legal_forms is not None else default_policy().legal_forms)
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"(?<=\w)\.(?=\w)", "", text)  # S.r.l. -> srl, o.o. -> oo
    text = re.sub(r"[^\w]+", " ", text)
    tokens = text.split()
    while len(tokens) > 1 and tokens[-1] in forms:
        tokens.pop()
    return " ".join(tokens)


def _module_for(country: str) -> Any:
    from stdnum import get_cc_module

    cc = country.lower()
    module = get_cc_module(cc, "vat")
    if module is None and cc in _FALLBACK_MODULES:
        module = get_cc_module(cc, _FALLBACK_MODULES[cc])
    return module


def check_vat(vat: str, country: str | None) -> tuple[str, str]:
    """``(severity, message)`` for a VAT number: ``ok``, ``error`` (invalid) or ``warning`` (not checkable).

    >>> check_vat("FR40303265045", "FR")[0], check_vat("FR84323140391", "FR")[0]
    ('ok', 'error')
    """
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError

    text = (vat or "").strip()
    cc = (country or "").strip().upper()
    prefix = text[:2].upper() if text[:2].isalpha() else ""
    eu_prefixes = {_EU_PREFIX.get(m.upper(), m.upper()) for m in eu_vat.MEMBER_STATES}
    if cc.lower() in eu_vat.MEMBER_STATES or prefix in eu_prefixes:
        expected = _EU_PREFIX.get(cc, cc)
        number = text if prefix else expected + text
        try:
            compact = eu_vat.validate(number)
        except ValidationError as exc:
            return "error", f"VAT number {text!r} is not valid ({exc})"
        if cc and compact[:2] != expected:
            return "error", f"VAT number {compact} is from {compact[:2]}, customer country is {cc}"
        return "ok", f"VAT number {compact} is valid" + ("" if prefix else " (country prefix added)")
    if not cc:
        return "warning", "no country: VAT number not checked"
    module = _module_for(cc)
    if module is None:
        return "warning", f"no VAT validator for country {cc}: {text!r} not checked"
    try:
        compact = module.validate(text)
    except ValidationError as exc:
        return "error", f"VAT/tax number {text!r} is not valid for {cc} ({exc})"
    return "ok", f"VAT/tax number {compact} is valid for {cc}"


def check_iban(iban: str, country: str | None = None) -> tuple[str, str]:
    """``(severity, message)`` for an IBAN: ``ok``, ``error`` (invalid) or ``warning`` (other country).

    >>> check_iban("FR1420041010050500013M02606", "FR")[0], check_iban("FR1420041010050500013M02607", "FR")[0]
    ('ok', 'error')
    """
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        parsed = IBAN(iban)
    except SchwiftyException as exc:
        return "error", f"IBAN {iban!r} is not valid ({exc})"
    cc = (country or "").strip().upper()
    if cc and parsed.country_code != cc:
        return "warning", f"IBAN {parsed.compact} is from {parsed.country_code}, customer country is {cc}"
    return "ok", f"IBAN {parsed.compact} is valid"


def _compact_vat(text: str | None) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text or "").upper()


def _candidates(candidate: Mapping[str, Any] | pl.DataFrame) -> list[dict[str, Any]]:
    if isinstance(candidate, pl.DataFrame):
        return list(candidate.iter_rows(named=True))
    return [dict(candidate)]


def onboarding_check(
    candidate: Mapping[str, Any] | pl.DataFrame,
    existing: Ledger | pl.DataFrame | None = None,
    policy: Policy | None = None,
) -> pl.DataFrame:
    """Findings of the onboarding check of one candidate (a mapping) or several (a frame).

    Args:
        candidate: customer fields (``customer_id``, ``name``, ``country``,
            ``currency``, ``vat_id``, ``iban``, ``email``, ...); a frame checks
            every row.
        existing: the current customers (a :class:`Ledger` or its customers
            frame) to search for duplicates; the candidate itself (same
            ``customer_id``) is never its own duplicate.
        policy: credit policy (``[onboarding]``; default: the shipped one).

    Returns a frame ``candidate, severity (error/warning/ok), check, field,
    message, other_customer_id, similarity``.
    """
    policy = policy or default_policy()
    customers = existing.customers if isinstance(existing, Ledger) else existing
    others: list[dict[str, Any]] = []
    if customers is not None and customers.height:
        cols = [c for c in ("customer_id", "name", "vat_id") if c in customers.columns]
        for row in customers.select(cols).iter_rows(named=True):
            others.append(
                {
                    **row,
                    "_vat": _compact_vat(row.get("vat_id")),
                    "_name": normalise_name(row.get("name") or "", policy.legal_forms),
                }
            )
    threshold = float(policy.name_similarity)
    rows: list[dict[str, Any]] = []
    for index, cand in enumerate(_candidates(candidate), start=1):
        key = str(cand.get("customer_id") or f"#{index}")
        found: list[dict[str, Any]] = []

        def add(
            severity: str,
            check: str,
            field: str,
            message: str,
            other: str | None = None,
            similarity: float | None = None,
        ) -> None:
            found.append(
                {
                    "candidate": key,
                    "severity": severity,
                    "check": check,
                    "field": field,
                    "message": message,
                    "other_customer_id": other,
                    "similarity": similarity,
                }
            )

        for name in policy.onboarding_required:
            value = cand.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                add("error", "missing", name, f"{name} is missing")
        country = (cand.get("country") or "").strip().upper() or None
        vat = (cand.get("vat_id") or "").strip()
        if vat:
            severity, message = check_vat(vat, country)
            if severity != "ok":
                add(severity, "vat", "vat_id", message)
        iban = (cand.get("iban") or "").strip()
        if iban:
            severity, message = check_iban(iban, country)
            if severity != "ok":
                add(severity, "iban", "iban", message)
        own_vat = _compact_vat(vat)
        own_name = normalise_name(cand.get("name") or "", policy.legal_forms)
        for other in others:
            if other["customer_id"] == cand.get("customer_id"):
                continue
            if own_vat and other["_vat"] and own_vat == other["_vat"]:
                add(
                    "error",
                    "duplicate_vat",
                    "vat_id",
                    f"same VAT number as {other['customer_id']} ({other.get('name')})",
                    other["customer_id"],
                )
            if own_name and other["_name"]:
                ratio = difflib.SequenceMatcher(None, own_name, other["_name"]).ratio()
                if ratio >= threshold:
                    add(
                        "warning",
                        "similar_name",
                        "name",
                        f"name similar to {other['customer_id']} ({other.get('name')}): {ratio:.2f}",
                        other["customer_id"],
                        round(ratio, 4),
                    )
        if not found:
            add("ok", "all", "", "no findings")
        rows.extend(found)
    return pl.DataFrame(rows, schema=_SCHEMA) if rows else pl.DataFrame(schema=_SCHEMA)
