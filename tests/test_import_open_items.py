"""ERP open-item lists in (issue 10, item 4): one sample export per preset, and re-import without duplicates."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.errors import ImportMappingError, WorkbenchError
from workbench.importers.open_items import import_open_items, open_item_mapping
from workbench.importers.presets import load_preset, preset_names
from workbench.ledger import load_ledger

ERP = Path(__file__).parent / "fixtures" / "erp"
AS_OF = date(2025, 3, 31)
D = Decimal


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def open_by_customer(folder: Path, on: date) -> dict[str, Decimal]:
    """Open balance per customer from the loaded ledger: open invoices less unapplied credit, in units."""
    led = load_ledger(folder)
    docs = led.documents.select("document_id", "customer_id", "doc_type", "amount")
    allocated = led.allocations.filter(pl.col("allocation_date") <= on)
    used_as_doc = allocated.group_by("document_id").agg(pl.col("amount").sum().alias("a"))
    used_as_src = allocated.group_by("source_id").agg(pl.col("amount").sum().alias("a"))
    out: dict[str, int] = {}
    for doc_id, cust, kind, amount in docs.iter_rows():
        sign = -1 if kind == "credit_note" else 1
        used = used_as_src if kind == "credit_note" else used_as_doc
        key = "source_id" if kind == "credit_note" else "document_id"
        taken = used.filter(pl.col(key) == doc_id)["a"].sum() or 0
        out[cust] = out.get(cust, 0) + sign * (amount - taken)
    for pay_id, cust, amount in led.payments.select("payment_id", "customer_id", "amount").iter_rows():
        taken = used_as_src.filter(pl.col("source_id") == pay_id)["a"].sum() or 0
        out[cust] = out.get(cust, 0) - (amount - taken)
    return {c: D(v) / 1000 for c, v in out.items()}


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def check_ledger(out: Path, on: date, total: str) -> None:
    """validate finds nothing to quarantine and kpis' total_ar is the export's open total."""
    code, text = cli("validate", "--ledger", str(out), "--json")
    assert code == 0, text
    assert json.loads(text)["issues_total"] == 0
    code, text = cli("kpis", "--ledger", str(out), "--as-of", on.isoformat(), "--json")
    assert code == 0, text
    assert json.loads(text)["total_ar"] == total


CASES = {
    # preset: (file, {customer: open}, total, documents, payments, allocations (source, document, amount))
    "sap-fbl5n": (
        "sap_fbl5n_2025-03-31.txt",
        {"100017": D("14820.50"), "100023": D("6740.00"), "100031": D("15980.40"), "100042": D("4691.34")},
        "42232.24",
        {
            "1800001234",
            "1800001301",
            "1800001255",
            "1700000088",
            "1800001290",
            "1800001310",
            "1800001277",
            "1800001299",
        },
        {"1400000457"},
        [],
    ),
    "quickbooks-ar-aging-detail": (
        "quickbooks_ar_aging_detail.csv",
        {
            "Café Olé LLC": D("2110.00"),
            "Peña Hermanos Inc.": D("5250.25"),
            "Zoë's Bakery Supply": D("1950.00"),
            "Björk Design Studio": D("12000.00"),
        },
        "21310.25",
        {"1045", "1061", "1066", "1052", "1031", "1070", "1075"},
        {"4711", "P-1045-20250331", "P-1031-20250331"},
        [("P-1045-20250331", "1045", "1000.00"), ("P-1031-20250331", "1031", "2475.00")],
    ),
    "xero-aged-receivables-detail": (
        "xero_aged_receivables_detail.csv",
        {"Acme Ünited Ltd": D("2600.00"), "Brontë & Daughters": D("5980.50"), "Ó Briain Joinery": D("2025.00")},
        "10605.50",
        {"INV-0101", "INV-0117", "CN-0012", "INV-0110", "INV-0122", "INV-0106", "INV-0125", "CN-0015"},
        {"P-INV-0101-20250331", "P-INV-0110-20250331", "P-INV-0106-20250331"},
        [
            ("P-INV-0101-20250331", "INV-0101", "1600.00"),
            ("P-INV-0110-20250331", "INV-0110", "500.00"),
            ("P-INV-0106-20250331", "INV-0106", "750.00"),
        ],
    ),
    "netsuite-ar-aging-detail": (
        "netsuite_ar_aging_detail.csv",
        {
            "C-1001 Nordwind Logística S.A.": D("6750.00"),
            "C-1002 Søndergaard A/S": D("5300.00"),
            "C-1003 Müller Präzision GmbH": D("2090.90"),
        },
        "14140.90",
        {"INV10452", "INV10488", "CM1207", "INV10470", "INV10401", "INV10495"},
        {"PYMT3301", "P-INV10452-20250331", "P-INV10401-20250331"},
        [("P-INV10452-20250331", "INV10452", "3000.00"), ("P-INV10401-20250331", "INV10401", "3300.00")],
    ),
    "dynamics365-open-transactions": (
        "dynamics365_open_transactions.csv",
        {"US-001": D("3800.00"), "US-002": D("13450.00"), "US-003": D("1890.00")},
        "19140.00",
        {"CIV-000231", "CIV-000247", "CCN-000019", "CIV-000238", "CIV-000252", "CIV-000229", "CIV-000244"},
        set(),
        [],
    ),
    "odoo-invoices": (
        "odoo_invoices.csv",
        {
            "Boulangerie Dupré SARL": D("4750.00"),
            "Kovačević d.o.o.": D("7110.75"),
            "Schröder Maschinenbau GmbH": D("10655.50"),
        },
        "22516.25",
        {
            "INV/2025/00012",
            "INV/2025/00031",
            "RINV/2025/00004",
            "INV/2025/00027",
            "INV/2025/00040",
            "INV/2025/00009",
            "INV/2025/00044",
            "INV/2025/00046",
        },
        {"P-INV/2025/00031-20250331", "P-INV/2025/00009-20250331"},
        [
            ("P-INV/2025/00031-20250331", "INV/2025/00031", "1000.00"),
            ("P-INV/2025/00009-20250331", "INV/2025/00009", "9600.00"),
        ],
    ),
    "erpnext-accounts-receivable": (
        "erpnext_accounts_receivable.csv",
        {"CUST-00012": D("49030.00"), "CUST-00019": D("32500.50"), "CUST-00023": D("32140.00")},
        "113670.50",
        {
            "ACC-SINV-2025-00007",
            "ACC-SINV-2025-00031",
            "ACC-SINV-RET-2025-00002",
            "ACC-SINV-2025-00018",
            "ACC-SINV-2025-00025",
            "ACC-SINV-2025-00011",
        },
        {
            "ACC-PAY-2025-00044",
            "P-ACC-SINV-2025-00007-20250331",
            "P-ACC-SINV-2025-00018-20250331",
            "P-ACC-SINV-2025-00011-20250331",
        },
        [
            ("P-ACC-SINV-2025-00007-20250331", "ACC-SINV-2025-00007", "20000.00"),
            ("P-ACC-SINV-2025-00018-20250331", "ACC-SINV-2025-00018", "5000.00"),
            ("P-ACC-SINV-2025-00011-20250331", "ACC-SINV-2025-00011", "4440.00"),
        ],
    ),
}


def test_every_preset_has_a_sample_and_a_case():
    assert sorted(CASES) == preset_names()
    for name in preset_names():
        assert load_preset(name).kind == "open_items"


@pytest.mark.parametrize("preset", sorted(CASES))
def test_preset_sample_imports_exactly(tmp_path, preset):
    file, per_customer, total, documents, payments, allocations = CASES[preset]
    out = tmp_path / "ledger"
    code, text = cli(
        "import", "open-items", "--preset", preset, "--out", str(out), "--as-of", "2025-03-31", str(ERP / file)
    )
    assert code == 0, text
    assert "0 quarantined" in text
    assert {r["document_id"] for r in rows(out / "documents.csv")} == documents
    assert {r["payment_id"] for r in rows(out / "payments.csv")} == payments
    assert [
        (r["source_id"], r["document_id"], r["amount"], r["allocation_date"]) for r in rows(out / "allocations.csv")
    ] == [(s, d, a, "2025-03-31") for s, d, a in allocations]
    assert open_by_customer(out, AS_OF) == per_customer
    assert sum(per_customer.values()) == D(total)
    check_ledger(out, AS_OF, total)
    changes = rows(out / "import_changes.csv")
    assert {c["change"] for c in changes} == {"new"} and len(changes) == len(documents | payments) - len(allocations)


def test_sap_signs_types_dispute_and_addresses(tmp_path):
    import_open_items(ERP / "sap_fbl5n_2025-03-31.txt", load_preset("sap-fbl5n"), tmp_path, as_of=AS_OF)
    docs = {r["document_id"]: r for r in rows(tmp_path / "documents.csv")}
    assert (docs["1700000088"]["doc_type"], docs["1700000088"]["amount"]) == ("credit_note", "1150.00")
    assert (docs["1800001255"]["disputed"], docs["1800001255"]["dispute_reason"]) == ("true", "Reklamation Lieferung")
    assert (docs["1800001234"]["doc_date"], docs["1800001234"]["due_date"]) == ("2025-01-15", "2025-02-14")
    (payment,) = rows(tmp_path / "payments.csv")
    assert (payment["customer_id"], payment["value_date"], payment["amount"]) == ("100017", "2025-03-20", "2000.00")
    customers = {r["customer_id"]: r for r in rows(tmp_path / "customers.csv")}
    assert customers["100042"]["name"] == "Øresund Handel ApS"
    assert (customers["100042"]["postcode"], customers["100042"]["city"]) == ("2100", "København Ø")
    assert customers["100023"]["name"] == "Société Générale d'Équipement"


def test_credit_limits_and_status_from_the_export(tmp_path):
    import_open_items(
        ERP / "netsuite_ar_aging_detail.csv", load_preset("netsuite-ar-aging-detail"), tmp_path, as_of=AS_OF
    )
    got = [
        (r["customer_id"][:6], r["credit_limit"], r["credit_limit_currency"], r["status"])
        for r in rows(tmp_path / "customers.csv")
    ]
    assert got == [
        ("C-1001", "50000.00", "USD", "active"),
        ("C-1002", "25000.00", "USD", "hold"),
        ("C-1003", "10000.00", "USD", "active"),
    ]
    led = load_ledger(tmp_path)
    assert led.customers.filter(pl.col("status") == "hold")["customer_id"].to_list() == ["C-1002 Søndergaard A/S"]
    import_open_items(ERP / "odoo_invoices.csv", load_preset("odoo-invoices"), tmp_path / "odoo", as_of=AS_OF)
    dupre = rows(tmp_path / "odoo" / "customers.csv")[0]
    assert (dupre["address_line1"], dupre["postcode"], dupre["city"], dupre["country"], dupre["credit_limit"]) == (
        "12 rue de la Paix",
        "75002",
        "Paris",
        "FR",
        "15000.00",
    )


def test_a_later_export_updates_without_duplicates(tmp_path):
    out = tmp_path / "ledger"
    first = import_open_items(ERP / "sap_fbl5n_2025-03-31.txt", load_preset("sap-fbl5n"), out, as_of=AS_OF)
    assert first.changes["new"] == 9
    with pytest.raises(WorkbenchError, match="pass --update"):
        import_open_items(ERP / "sap_fbl5n_2025-04-30.txt", load_preset("sap-fbl5n"), out, as_of=date(2025, 4, 30))
    code, text = cli(
        "import",
        "open-items",
        "--preset",
        "sap-fbl5n",
        "--out",
        str(out),
        "--as-of",
        "2025-04-30",
        "--update",
        str(ERP / "sap_fbl5n_2025-04-30.txt"),
    )
    assert code == 0, text
    assert "3 new, 1 changed, 4 settled, 0 refused, 0 unmatched" in text
    assert [
        (c["change"], c["document_id"], c["open_before"], c["open_after"], c["allocated"])
        for c in rows(out / "import_changes.csv")
    ] == [
        ("new", "1400000502", "", "5000.00", "0.00"),
        ("new", "1800001350", "", "2100.00", "0.00"),
        ("new", "1800001360", "", "640.00", "0.00"),
        ("settled", "1800001234", "12500.00", "0.00", "12500.00"),
        ("settled", "1400000457", "2000.00", "0.00", "2000.00"),
        ("changed", "1800001255", "7890.00", "6740.00", "1150.00"),
        ("settled", "1700000088", "1150.00", "0.00", "1150.00"),
        ("settled", "1800001290", "980.40", "0.00", "980.40"),
    ]
    assert [
        (r["source_id"], r["document_id"], r["amount"], r["allocation_date"]) for r in rows(out / "allocations.csv")
    ] == [
        ("1400000457", "1800001234", "2000.00", "2025-04-30"),
        ("P-1800001234-20250430", "1800001234", "10500.00", "2025-04-30"),
        ("1700000088", "1800001255", "1150.00", "2025-04-30"),
        ("P-1800001290-20250430", "1800001290", "980.40", "2025-04-30"),
    ]
    docs = [r["document_id"] for r in rows(out / "documents.csv")]
    assert len(docs) == len(set(docs)) == 10
    assert rows(out / "customers.csv")[-1]["name"] == "Bäckerei Krümel KG"
    expected = {
        "100017": D("4320.50"),
        "100023": D("6740.00"),
        "100031": D("10000.00"),
        "100042": D("6791.34"),
        "100055": D("640.00"),
    }
    assert open_by_customer(out, date(2025, 4, 30)) == expected
    check_ledger(out, date(2025, 4, 30), "28491.84")
    check_ledger(out, AS_OF, "42232.24")  # the first export's picture is unchanged
    report = json.loads((out / "import_changes.json").read_text(encoding="utf-8"))
    assert report["as_of"] == "2025-04-30" and len(report["changes"]) == 8

    before = {name: (out / name).read_bytes() for name in ("documents.csv", "payments.csv", "allocations.csv")}
    again = import_open_items(
        ERP / "sap_fbl5n_2025-04-30.txt", load_preset("sap-fbl5n"), out, as_of=date(2025, 4, 30), update=True
    )
    assert again.changes == {"new": 0, "changed": 0, "settled": 0, "refused": 0, "unmatched": 0}
    assert {name: (out / name).read_bytes() for name in before} == before


def test_update_refuses_a_grown_open_amount_and_an_older_export(tmp_path):
    out = tmp_path / "ledger"
    import_open_items(
        ERP / "quickbooks_ar_aging_detail.csv", load_preset("quickbooks-ar-aging-detail"), out, as_of=AS_OF
    )
    grown = tmp_path / "later.csv"
    text = (ERP / "quickbooks_ar_aging_detail.csv").read_text(encoding="utf-8").replace('"1,400.00"', '"1,900.00"')
    grown.write_text(text, encoding="utf-8")
    result = import_open_items(
        grown, load_preset("quickbooks-ar-aging-detail"), out, as_of=date(2025, 4, 7), update=True
    )
    assert result.rows_quarantined == 1
    (issue,) = result.issues
    assert (issue.line, issue.reason) == (
        2,
        "open amount of '1045' grew from 1400.00 to 1900.00; a ledger never re-opens an item",
    )
    assert rows(out / "quarantine.csv")[0]["line"] == "2"
    with pytest.raises(WorkbenchError, match="already up to date on 2025-04-07"):
        import_open_items(grown, load_preset("quickbooks-ar-aging-detail"), out, as_of=AS_OF, update=True)


def test_refuses_to_write_into_a_folder_that_is_not_a_ledger(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(WorkbenchError, match="not empty and not a ledger folder"):
        import_open_items(ERP / "odoo_invoices.csv", load_preset("odoo-invoices"), tmp_path, as_of=AS_OF)
    code, text = cli(
        "import",
        "open-items",
        "--preset",
        "odoo-invoices",
        "--out",
        str(tmp_path),
        "--as-of",
        "2025-03-31",
        "--update",
        str(ERP / "odoo_invoices.csv"),
    )
    assert code == 2 and "not a ledger folder" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_bad_rows_are_quarantined_with_line_and_reason(tmp_path):
    src = tmp_path / "qb.csv"
    src.write_text(
        "Date,Transaction Type,Num,Customer,Due Date,Past Due,Amount,Open Balance\n"
        "01/10/2025,Invoice,1,Café Olé LLC,02/09/2025,50,100.00,120.00\n"
        "2025-01-10,Invoice,2,Café Olé LLC,02/09/2025,50,100.00,100.00\n"
        "01/10/2025,Invoice,3,Café Olé LLC,02/09/2025,50,100.00,(5.00)\n"
        "01/10/2025,Estimate,4,Café Olé LLC,02/09/2025,50,100.00,100.00\n"
        "04/02/2025,Invoice,5,Café Olé LLC,05/02/2025,0,100.00,1.234\n"
        "01/10/2025,Invoice,6,Café Olé LLC,02/09/2025,50,100.00,40.00\n",
        encoding="utf-8",
    )
    result = import_open_items(src, load_preset("quickbooks-ar-aging-detail"), tmp_path / "out", as_of=AS_OF)
    assert [(i.line, i.reason) for i in result.issues] == [
        (2, "open_amount (Open Balance): 120.00 is more than amount (Amount) 100.00"),
        (3, "doc_date (Date): '2025-01-10' is not a date in format %m/%d/%Y"),
        (4, "open_amount (Open Balance): -5.00 is negative on an invoice"),
        (
            5,
            "doc_type (Transaction Type): 'Estimate' is not in [values.doc_type] "
            "(allowed: 'Credit Memo', 'Invoice', 'Journal Entry', 'Payment')",
        ),
        (6, "open_amount (Open Balance): '1.234' has more than 2 decimals"),
        (6, "doc_date (Date): 2025-04-02 is after the export's date 2025-03-31"),
    ]
    assert (result.rows_read, result.rows_imported, result.rows_quarantined) == (6, 1, 5)
    assert [r["line"] for r in rows(tmp_path / "out" / "quarantine.csv")] == ["2", "3", "4", "5", "6"]
    assert load_ledger(tmp_path / "out").report.rows_quarantined == 0


def test_mapping_over_a_preset_and_the_export_date_from_a_column(tmp_path):
    override = tmp_path / "mine.toml"
    override.write_text('[defaults]\ncountry = "CA"\ncurrency = "CAD"\n', encoding="utf-8")
    mapping = open_item_mapping("quickbooks-ar-aging-detail", override)
    assert (mapping.defaults["country"], mapping.defaults["currency"], mapping.negative) == ("CA", "CAD", "parentheses")
    with pytest.raises(ImportMappingError, match="unknown preset 'sap'"):
        open_item_mapping("sap")
    with pytest.raises(ImportMappingError, match="give the export's date"):
        import_open_items(ERP / "odoo_invoices.csv", load_preset("odoo-invoices"), tmp_path / "x")
    src = tmp_path / "odoo.csv"
    lines = (ERP / "odoo_invoices.csv").read_text(encoding="utf-8").splitlines()
    src.write_text("\n".join([lines[0] + ',"Report Date"'] + [line + ',"2025-03-31"' for line in lines[1:]]) + "\n")
    data = load_preset("odoo-invoices").to_dict()
    data["columns"]["as_of"] = "Report Date"
    result = import_open_items(src, data, tmp_path / "y")
    assert result.as_of == AS_OF and result.open_imported == {"EUR": D("22516.25")}


@pytest.mark.parametrize(
    ("negative", "cells", "expected"),
    [
        ("trailing", ["1.234,56-", "7,00"], ["-1.234,56", "7,00"]),
        ("parentheses", ["(1,234.56)", "(12"], ["-1,234.56", "(12"]),
    ],
)
def test_negative_styles_are_declared_not_guessed(negative, cells, expected):
    from workbench.importers.parse_text import leading_minus

    assert leading_minus(pl.Series(cells), negative).to_list() == expected
    assert leading_minus(pl.Series(cells), "leading").to_list() == cells


def test_a_later_export_updates_the_customers_it_describes_and_lists_the_changes(tmp_path):
    out = tmp_path / "ledger"
    import_open_items(ERP / "sap_fbl5n_2025-03-31.txt", load_preset("sap-fbl5n"), out, as_of=AS_OF)
    later = tmp_path / "fbl5n_moved.txt"
    later.write_bytes((ERP / "sap_fbl5n_2025-04-30.txt").read_bytes().replace(b"69002\tLyon", b"69003\tLyon"))
    result = import_open_items(later, load_preset("sap-fbl5n"), out, as_of=date(2025, 4, 30), update=True)
    assert result.customers_changed == 1
    customers = {row["customer_id"]: row for row in csv.DictReader((out / "customers.csv").open(encoding="utf-8"))}
    assert (customers["100023"]["postcode"], customers["100023"]["city"]) == ("69003", "Lyon")
    assert customers["100017"]["postcode"] == "40212"  # not in the later export's changes: kept
    assert customers["100023"]["country"] == "FR" and len(customers) == len(set(customers))
    changes = list(csv.DictReader((out / "customer_changes.csv").open(encoding="utf-8")))
    assert changes == [{"customer_id": "100023", "column": "postcode", "before": "69002", "after": "69003"}]
    again = import_open_items(later, load_preset("sap-fbl5n"), out, as_of=date(2025, 4, 30), update=True)
    assert again.customers_changed == 0
