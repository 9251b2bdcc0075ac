"""Onboarding check: VAT and IBAN validity, duplicates by VAT and by similar name, missing data."""

from __future__ import annotations

import polars as pl

from workbench.credit import check_iban, check_vat, normalise_name, onboarding_check

EXISTING = pl.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3"],
        "name": ["Alpha Industries SAS", "Lefèvre Agro S.r.l.", "Weber GmbH & Co. KG"],
        "vat_id": ["FR40303265045", "IT00743110157", ""],
    }
)
GOOD = {
    "customer_id": "N1",
    "name": "Nouvelle Fonderie SARL",
    "country": "FR",
    "currency": "EUR",
    "vat_id": "FR 66 552 100 059",
    "iban": "FR14 2004 1010 0505 0001 3M02 606",
    "email": "ap@nf.fr",
    "payment_terms_days": 30,
}


def test_vat_validators() -> None:
    assert check_vat("FR40303265045", "FR") == ("ok", "VAT number FR40303265045 is valid")
    severity, message = check_vat("FR84323140391", "FR")
    assert severity == "error" and "checksum" in message
    assert check_vat("40303265045", "FR")[0] == "ok"  # prefix added from the country
    assert check_vat("FR40303265045", "DE") == ("error", "VAT number FR40303265045 is from FR, customer country is DE")
    assert check_vat("123", "ZZ")[0] == "warning"  # no validator for the country


def test_iban_validators() -> None:
    assert check_iban("FR1420041010050500013M02606", "FR") == ("ok", "IBAN FR1420041010050500013M02606 is valid")
    severity, message = check_iban("FR1420041010050500013M02607", "FR")
    assert severity == "error" and "checksum" in message.lower()
    assert check_iban("DE89370400440532013000", "FR")[0] == "warning"


def test_names_are_normalised_without_legal_forms() -> None:
    assert normalise_name("Lefèvre Agro S.r.l.") == "lefevre agro"
    assert normalise_name("Weber GmbH & Co. KG") == "weber"
    assert normalise_name("Polmex Sp. z o.o.") == "polmex"
    assert normalise_name("SA") == "sa"  # never strips the whole name


def test_clean_candidate_has_no_findings() -> None:
    out = onboarding_check(GOOD, EXISTING)
    assert out.select("severity", "check", "message").rows() == [("ok", "all", "no findings")]


def test_invalid_identifiers_duplicates_and_missing_fields() -> None:
    cand = {
        **GOOD,
        "customer_id": "N2",
        "name": "ALPHA INDUSTRIES S.A.",
        "vat_id": "FR84323140391",
        "iban": "FR1420041010050500013M02607",
        "email": "",
    }
    out = onboarding_check(cand, EXISTING)
    checks = {(r["check"], r["severity"]) for r in out.iter_rows(named=True)}
    assert checks == {("missing", "error"), ("vat", "error"), ("iban", "error"), ("similar_name", "warning")}
    name = out.filter(check="similar_name").row(0, named=True)
    assert (name["other_customer_id"], name["similarity"]) == ("C1", 1.0)
    dup = onboarding_check(
        {
            **GOOD,
            "customer_id": "N3",
            "name": "Lefevre Agro Srl",
            "country": "IT",
            "vat_id": "IT 00743110157",
            "iban": "",
        },
        EXISTING,
    )
    found = {(r["check"], r["other_customer_id"]) for r in dup.iter_rows(named=True)}
    assert found == {("missing", None), ("duplicate_vat", "C2"), ("similar_name", "C2")}
    assert dup.filter(check="missing")["field"].to_list() == ["iban"]


def test_similarity_threshold_and_frame_input() -> None:
    frame = pl.DataFrame(
        [
            {**GOOD, "customer_id": "N4", "name": "Webber GmbH"},
            {**GOOD, "customer_id": "N5", "name": "Omega Logistics Ltd"},
        ]
    )
    out = onboarding_check(frame, EXISTING)
    near = out.filter(candidate="N4", check="similar_name").row(0, named=True)
    assert near["other_customer_id"] == "C3" and near["similarity"] == 0.9091  # 'webber' vs 'weber'
    assert out.filter(candidate="N5")["check"].to_list() == ["all"]
