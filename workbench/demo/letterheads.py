"""The demo company's three selling entities as they sign their letters: addresses and bank accounts.

Each entity collects in every currency the demo bills (EUR, USD, GBP, BRL,
MXN): a customer of another region is sometimes served by an entity, and its
reminder must name an account in its own currency. The IBANs carry valid
check digits; the banks' routing number and BICs are the public ones of real
banks, the account numbers are invented.
"""

from __future__ import annotations

from ..workspace import BankAccount, Letterhead

__all__ = ["demo_letterheads"]

_EMAIL = "credit.control@demo-industries.example"


def demo_letterheads() -> dict[str, Letterhead]:
    """The letterheads of FR01, DE01 and US01, each with one account per billed currency."""
    return {
        "FR01": Letterhead(
            entity="FR01",
            legal_name="Demo Industries France SAS",
            address=("12 rue des Tanneurs", "75003 Paris", "France"),
            country="FR",
            registration="RCS Paris 812 345 678",
            vat_id="FR40812345678",
            email=_EMAIL,
            phone="+33 1 84 60 20 00",
            bank_accounts=(
                BankAccount("EUR", bank="Crédit Agricole", iban="FR76 3000 6000 0112 3456 7890 189", bic="AGRIFRPP"),
                BankAccount("USD", bank="Crédit Agricole", iban="FR69 3000 6000 0198 7654 3210 105", bic="AGRIFRPP"),
                BankAccount("GBP", bank="Crédit Agricole", iban="FR23 3000 6000 0155 5554 4444 150", bic="AGRIFRPP"),
                BankAccount("BRL", bank="Crédit Agricole", iban="FR33 3000 6000 0166 6667 7777 122", bic="AGRIFRPP"),
                BankAccount("MXN", bank="Crédit Agricole", iban="FR72 3000 6000 0177 7778 8888 133", bic="AGRIFRPP"),
            ),
        ),
        "DE01": Letterhead(
            entity="DE01",
            legal_name="Demo Industries Deutschland GmbH",
            address=("Hafenstraße 21", "20457 Hamburg", "Deutschland"),
            country="DE",
            registration="HRB 123456, Amtsgericht Hamburg",
            vat_id="DE123456789",
            email=_EMAIL,
            phone="+49 40 1234 5600",
            bank_accounts=(
                BankAccount("EUR", bank="Commerzbank", iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
                BankAccount("GBP", bank="Commerzbank", iban="DE62 3704 0044 0532 0130 01", bic="COBADEFFXXX"),
                BankAccount("USD", bank="Commerzbank", iban="DE35 3704 0044 0532 0130 02", bic="COBADEFFXXX"),
                BankAccount("BRL", bank="Commerzbank", iban="DE08 3704 0044 0532 0130 03", bic="COBADEFFXXX"),
                BankAccount("MXN", bank="Commerzbank", iban="DE78 3704 0044 0532 0130 04", bic="COBADEFFXXX"),
            ),
        ),
        "US01": Letterhead(
            entity="US01",
            legal_name="Demo Industries Inc.",
            address=("500 Market Street", "San Francisco, CA 94105", "USA"),
            country="US",
            registration="Delaware file no. 7654321",
            vat_id="",
            email=_EMAIL,
            phone="+1 415-555-0142",
            bank_accounts=(
                BankAccount("USD", bank="JPMorgan Chase Bank", account="000123456789", routing="021000021"),
                BankAccount("EUR", bank="Commerzbank", iban="DE51 3704 0044 0532 0130 05", bic="COBADEFFXXX"),
                BankAccount("GBP", bank="NatWest", iban="GB29 NWBK 6016 1331 9268 19", bic="NWBKGB2L"),
                BankAccount("BRL", bank="Banco do Brasil", account="0001-9 / 12345-6"),
                BankAccount("MXN", bank="Citibanamex", account="CLABE 002180700612345678"),
            ),
        ),
    }
