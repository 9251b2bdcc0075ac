"""Customer postal addresses and the optional ``contacts`` table (issue 10, item 3)."""

from __future__ import annotations

import polars as pl

from workbench.credit._common import subset
from workbench.ledger import load_ledger

from .builders import inv, write_ledger, write_table

CUSTOMERS = [
    {
        "customer_id": "C1",
        "name": "Müller & Söhne GmbH",
        "country": "DE",
        "currency": "EUR",
        "address_line1": "Königsallee 12",
        "address_line2": "3. OG, Eingang B",
        "postcode": "40212",
        "city": "Düsseldorf",
        "region": "Nordrhein-Westfalen",
    },
    {"customer_id": "C2", "name": "Société Léon SARL", "country": "FR", "currency": "EUR", "city": "Lyon"},
]
CONTACT_HEADER = ["customer_id", "name", "role", "email", "phone", "language"]


def _folder(tmp_path, contacts=None):
    folder = write_ledger(tmp_path, customers=CUSTOMERS, documents=[inv("A1", "2025-01-01", "2025-01-31", "100.00")])
    if contacts is not None:
        write_table(folder, "contacts", contacts, CONTACT_HEADER)
    return folder


def test_addresses_load_as_text_columns(tmp_path):
    led = load_ledger(_folder(tmp_path))
    assert led.report.issues == []
    rows = led.customers.select("customer_id", "address_line1", "address_line2", "postcode", "city", "region").rows()
    assert rows == [
        ("C1", "Königsallee 12", "3. OG, Eingang B", "40212", "Düsseldorf", "Nordrhein-Westfalen"),
        ("C2", None, None, None, "Lyon", None),
    ]
    assert led.customers.schema["postcode"] == pl.String  # leading zeros and letters (SW1A 1AA) survive


def test_address_with_a_nul_byte_is_quarantined(tmp_path):
    customers = [dict(CUSTOMERS[0], city="Düssel\x00dorf"), CUSTOMERS[1]]
    folder = write_ledger(tmp_path, customers=customers)
    led = load_ledger(folder)
    assert led.customers["customer_id"].to_list() == ["C2"]
    (issue,) = [i for i in led.report.issues if i.quarantined]
    assert (issue.file, issue.line) == ("customers.csv", 2)
    assert "city" in issue.reason


def test_contacts_load_and_unknown_customers_are_quarantined(tmp_path):
    contacts = [
        {"customer_id": "C1", "name": "Jürgen Groß", "role": "accounts_payable", "email": "ap@mueller.example"},
        {"customer_id": "C1", "name": "Anna Weiß", "role": "dunning", "phone": "+49 211 555 0199", "language": "de"},
        {"customer_id": "C9", "name": "Nobody", "role": "billing", "email": "x@example.com"},
        {"customer_id": "C2", "name": "Chloé Martin", "role": "legal", "email": "juridique@leon.example"},
    ]
    led = load_ledger(_folder(tmp_path, contacts))
    assert led.contacts.select("customer_id", "name", "role", "email", "phone", "language").rows() == [
        ("C1", "Jürgen Groß", "accounts_payable", "ap@mueller.example", None, None),
        ("C1", "Anna Weiß", "dunning", None, "+49 211 555 0199", "de"),
        ("C2", "Chloé Martin", "legal", "juridique@leon.example", None, None),
    ]
    issues = [(i.file, i.line, i.reason, i.quarantined) for i in led.report.issues]
    assert issues == [("contacts.csv", 4, "customer_id 'C9' is not in customers.csv", True)]
    report = led.report.files["contacts.csv"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 3, 1)


def test_contacts_of_a_quarantined_customer_name_its_line(tmp_path):
    customers = [dict(CUSTOMERS[0], currency="Euro"), CUSTOMERS[1]]
    folder = write_ledger(tmp_path, customers=customers)
    write_table(folder, "contacts", [{"customer_id": "C1", "name": "Anna Weiß"}], CONTACT_HEADER)
    led = load_ledger(folder)
    assert led.contacts.height == 0
    (issue,) = [i for i in led.report.issues if i.file == "contacts.csv"]
    assert issue.reason == "customer_id 'C1' is not in customers.csv (quarantined at customers.csv:2)"


def test_missing_contacts_table_is_an_empty_typed_frame(tmp_path):
    led = load_ledger(_folder(tmp_path))
    assert led.contacts.height == 0
    assert led.contacts.schema == pl.Schema(
        {c: pl.String for c in ("customer_id", "name", "role", "email", "phone", "language")}
    )
    assert led.filter_entity("MAIN").contacts.height == 0
    assert led.report.files["contacts.csv"].rows_read == 0


def test_subsets_keep_their_customers_contacts(tmp_path):
    contacts = [
        {"customer_id": "C1", "name": "Jürgen Groß", "role": "billing"},
        {"customer_id": "C2", "name": "Chloé Martin", "role": "billing"},
    ]
    led = load_ledger(_folder(tmp_path, contacts))
    assert subset(led, ["C2"]).contacts["name"].to_list() == ["Chloé Martin"]
    assert led.filter_entity("MAIN").contacts["name"].to_list() == ["Jürgen Groß", "Chloé Martin"]
