"""The fixed "world" of the demo company: countries, currencies, people, profiles.

Everything here is a constant table; the generators draw from these with a
seeded random generator. Amount levels are in EUR and converted with the
approximate rates in ``EUR_PER_UNIT``.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY = "Demo Industries Group"
REPORTING_CURRENCY = "EUR"


@dataclass(frozen=True)
class Country:
    """One customer country and its local conventions."""

    code: str
    weight: float
    currency: str
    entity: str
    language: str
    label: str
    tld: str
    phone: str  # pattern: '#' = digit, '%' = non-zero digit
    vat: str  # pattern: '#' = digit, '@' = capital letter
    forms: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country(
        "FR", 0.22, "EUR", "FR01", "fr", "France", "fr", "+33 % ## ## ## ##", "FR###########", ("SA", "SAS", "SARL")
    ),
    Country(
        "DE",
        0.15,
        "EUR",
        "DE01",
        "de",
        "Deutschland",
        "de",
        "+49 %## #######",
        "DE#########",
        ("GmbH", "AG", "GmbH & Co. KG"),
    ),
    Country("ES", 0.09, "EUR", "FR01", "es", "España", "es", "+34 %## ### ###", "ESB########", ("S.L.", "S.A.")),
    Country("IT", 0.09, "EUR", "FR01", "en", "Italia", "it", "+39 %# #### ####", "IT###########", ("S.r.l.", "S.p.A.")),
    Country("PT", 0.04, "EUR", "FR01", "pt", "Portugal", "pt", "+351 %## ### ###", "PT#########", ("Lda", "S.A.")),
    Country("BE", 0.05, "EUR", "FR01", "fr", "Belgique", "be", "+32 % ### ## ##", "BE0#########", ("SA", "SRL", "NV")),
    Country("NL", 0.06, "EUR", "DE01", "en", "Nederland", "nl", "+31 %# ### ####", "NL#########B01", ("B.V.", "N.V.")),
    Country("GB", 0.08, "GBP", "DE01", "en", "UK", "co.uk", "+44 20 %### ####", "GB#########", ("Ltd", "PLC")),
    Country("US", 0.10, "USD", "US01", "en", "USA", "com", "+1 %##-%##-####", "##-#######", ("Inc.", "LLC", "Corp.")),
    Country(
        "BR", 0.05, "BRL", "US01", "pt", "Brasil", "com.br", "+55 11 %###-####", "##.###.###/0001-##", ("Ltda", "S.A.")
    ),
    Country(
        "MX",
        0.04,
        "MXN",
        "US01",
        "es",
        "México",
        "com.mx",
        "+52 55 %### ####",
        "@@@######@@#",
        ("S.A. de C.V.", "S. de R.L. de C.V."),
    ),
    Country(
        "PL", 0.03, "EUR", "DE01", "en", "Polska", "pl", "+48 %# ### ## ##", "PL##########", ("Sp. z o.o.", "S.A.")
    ),
)

CURRENCIES: tuple[str, ...] = ("EUR", "USD", "GBP", "BRL", "MXN")
# Approximate value of one unit in EUR: the level of the FX random walk and
# the factor used to express EUR-sized amounts in the billing currency.
EUR_PER_UNIT: dict[str, float] = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17, "BRL": 0.17, "MXN": 0.05}
# Daily volatility of the log rate in the FX random walk.
FX_DAILY_VOL: dict[str, float] = {"USD": 0.004, "GBP": 0.0035, "BRL": 0.009, "MXN": 0.008}

ENTITIES: tuple[str, ...] = ("FR01", "DE01", "US01")
COLLECTORS: dict[str, tuple[str, ...]] = {
    "FR01": ("Camille Laurent", "Hugo Mercier"),
    "DE01": ("Jonas Becker", "Lena Hoffmann"),
    "US01": ("Maria Alvarez", "Ethan Brooks"),
}
SALES_REPS: dict[str, tuple[str, ...]] = {
    "FR01": ("Julie Marchand", "Antoine Roux", "Sofia Ribeiro", "Marco Bellini"),
    "DE01": ("Felix Wagner", "Anna de Boer", "Oliver Grant"),
    "US01": ("Rachel Kim", "Diego Ramos", "Beatriz Costa"),
}

SEGMENTS: tuple[str, ...] = ("key account", "mid-market", "small")
SEGMENT_SHARE: tuple[float, ...] = (0.08, 0.35, 0.57)
# Relative invoicing frequency and median invoice amount (EUR) per segment.
SEGMENT_FREQUENCY: tuple[float, ...] = (3.0, 1.3, 0.6)
SEGMENT_MEDIAN_EUR: tuple[float, ...] = (18_000.0, 4_500.0, 1_200.0)
# Median annual revenue (EUR) per segment, for financial statements.
SEGMENT_REVENUE_EUR: tuple[float, ...] = (400e6, 40e6, 5e6)

PROFILES: tuple[str, ...] = ("prompt", "slow", "erratic", "deteriorating", "defaulting")
PROFILE_SHARE: tuple[float, ...] = (0.45, 0.25, 0.13, 0.10, 0.07)
PROMPT, SLOW, ERRATIC, DETERIORATING, DEFAULTING = range(5)
# Probability that one item is never paid, per profile.
NEVER_PAID: tuple[float, ...] = (0.001, 0.004, 0.01, 0.006, 0.02)
# Mean external score per profile (0-100, higher is safer).
SCORE_MEAN: tuple[float, ...] = (72.0, 58.0, 50.0, 42.0, 22.0)

TERMS_DAYS: tuple[int, ...] = (14, 30, 45, 60, 90)
TERMS_SHARE: tuple[float, ...] = (0.05, 0.45, 0.20, 0.25, 0.05)

STATUSES: tuple[str, ...] = ("active", "hold", "suspended", "litigation", "closed")

DISPUTE_REASONS: tuple[str, ...] = (
    "pricing",
    "quantity",
    "quality",
    "delivery",
    "duplicate billing",
    "missing PO",
)

# Payment methods per billing currency: (method, weight). "SEPA direct debit"
# customers are collected exactly on the due date.
METHODS: dict[str, tuple[tuple[str, float], ...]] = {
    "EUR": (("SEPA transfer", 0.72), ("SEPA direct debit", 0.18), ("cheque", 0.05), ("wire", 0.05)),
    "USD": (("ACH", 0.55), ("wire", 0.30), ("check", 0.15)),
    "GBP": (("BACS", 0.65), ("Faster Payments", 0.30), ("cheque", 0.05)),
    "BRL": (("boleto", 0.55), ("PIX", 0.45)),
    "MXN": (("SPEI", 0.90), ("wire", 0.10)),
}
DIRECT_DEBIT = "SEPA direct debit"
