"""Amounts, dates and percentages written the way the customer's locale writes them.

The Babel locale of a customer is ``<language>_<country>`` when Babel (CLDR)
knows that combination (``fr_FR``, ``de_AT``, ``pt_BR``, ``es_MX``, ``en_GB``,
also ``en_DE`` or ``en_IT``), else the language alone (``fr``), else English.
``language`` is an ISO 639-1 code in any case (``FR``, ``fr``); a regional
form such as ``pt-BR`` or ``pt_BR`` counts as its language. ``country`` is an
ISO 3166-1 alpha-2 code in any case; empty means "language alone".

Money is ``Decimal`` (or ``int``) in, never ``float``: Babel formats the
Decimal exactly, with the currency's own number of decimals (2 for EUR, 0 for
JPY, 3 for KWD), rounding half-even. Babel writes the locale's own spacing
characters: French groups thousands with a narrow no-break space (U+202F)
and puts a no-break space (U+00A0) before the euro sign.

>>> from decimal import Decimal
>>> format_money(Decimal("1234.56"), "EUR", "de", "DE")
'1.234,56\\xa0€'
>>> format_money(Decimal("1234.56"), "EUR", "en", "GB")
'€1,234.56'
>>> format_date(date(2026, 11, 20), "en", "US")
'November 20, 2026'
>>> format_percent(Decimal("0.1215"), "en", "GB")
'12.15%'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

__all__ = [
    "DEFAULT_LANGUAGE",
    "LocaleFormat",
    "babel_locale",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "normalise_country",
    "normalise_language",
]

#: The language used when a customer's language is empty or unknown.
DEFAULT_LANGUAGE = "en"

_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
DATE_STYLES = ("short", "medium", "long", "full")


def normalise_language(language: str | None) -> str:
    """The lower-case ISO 639 code of ``language``, ``''`` when empty or not a language code.

    >>> normalise_language(" FR "), normalise_language("pt-BR"), normalise_language("pt_br"), normalise_language("")
    ('fr', 'pt', 'pt', '')
    """
    text = (language or "").strip().replace("-", "_").split("_", 1)[0].lower()
    return text if _LANGUAGE_RE.match(text) else ""


def normalise_country(country: str | None) -> str:
    """The upper-case ISO 3166-1 alpha-2 code of ``country``, ``''`` when empty or malformed."""
    text = (country or "").strip().upper()
    return text if _COUNTRY_RE.match(text) else ""


@lru_cache(maxsize=256)
def babel_locale(language: str | None, country: str | None = "") -> Locale:
    """The Babel locale for a customer: ``language_COUNTRY`` if known, else ``language``, else English.

    >>> str(babel_locale("fr", "fr")), str(babel_locale("pt", "BR")), str(babel_locale("de", "FR")), str(babel_locale("xx", ""))
    ('fr_FR', 'pt_BR', 'de', 'en')
    """
    lang = normalise_language(language) or DEFAULT_LANGUAGE
    ctry = normalise_country(country)
    candidates = ([f"{lang}_{ctry}"] if ctry else []) + [lang, DEFAULT_LANGUAGE]
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("Babel has no English locale")  # pragma: no cover


def _exact(amount: Decimal | int, what: str) -> Decimal:
    """``amount`` as a Decimal, refusing floats and other types (money is never binary floating point)."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"{what} must be a Decimal or an int, not {type(amount).__name__}: {amount!r}")
    return Decimal(amount)


def format_money(amount: Decimal | int, currency: str, language: str, country: str = "") -> str:
    """``amount`` in ``currency`` as the customer's locale writes it (``'1 234,56 €'`` in French).

    The currency's own decimals are shown (``minor_units``), rounded half-even.

    >>> format_money(Decimal("1234.56"), "EUR", "en", "US"), format_money(Decimal("1234"), "JPY", "en", "US")
    ('€1,234.56', '¥1,234')
    """
    return _babel_currency(_exact(amount, "amount"), currency.strip().upper(), locale=babel_locale(language, country))


def format_number(value: Decimal | int, language: str, country: str = "") -> str:
    """A plain number (no currency) with the locale's grouping and decimal signs, exact."""
    return _babel_decimal(_exact(value, "value"), locale=babel_locale(language, country), decimal_quantization=False)


def format_date(d: date, language: str, country: str = "", style: str = "long") -> str:
    """A date as the locale writes it; ``style`` is Babel's ``short``, ``medium``, ``long`` (default) or ``full``.

    >>> format_date(date(2026, 11, 20), "fr", "FR"), format_date(date(2026, 11, 20), "de", "DE")
    ('20 novembre 2026', '20. November 2026')
    >>> format_date(date(2026, 11, 20), "en", "GB"), format_date(date(2026, 11, 20), "en", "GB", "medium")
    ('20 November 2026', '20 Nov 2026')
    """
    if style not in DATE_STYLES:
        raise ValueError(f"date style must be one of {', '.join(DATE_STYLES)}, not {style!r}")
    if not isinstance(d, date):
        raise TypeError(f"not a date: {d!r}")
    return _babel_date(d, format=style, locale=babel_locale(language, country))


def format_percent(value: Decimal | int, language: str, country: str = "", decimals: int = 2) -> str:
    """A fraction as a percentage with exactly ``decimals`` decimals (``Decimal('0.1215')`` → ``'12,15 %'`` in French).

    ``value`` is a fraction (``0.08`` is 8 %), as in Babel; rounding is half-even.

    >>> format_percent(Decimal("0.08"), "fr", "FR").replace("\\xa0", " "), format_percent(Decimal("0.08"), "en", "US", 0)
    ('8,00 %', '8%')
    """
    if decimals < 0:
        raise ValueError("decimals must be zero or more")
    loc = babel_locale(language, country)
    pattern = loc.percent_formats[None].pattern.split(";", 1)[0]
    if decimals:
        # the last "0" of the integer part gets the decimals: "#,##0 %" -> "#,##0.00 %"
        pattern = re.sub(r"0(?=[^0]*$)", "0." + "0" * decimals, pattern, count=1)
    return _babel_percent(_exact(value, "value"), format=pattern, locale=loc)


@dataclass(frozen=True)
class LocaleFormat:
    """The formatting functions bound to one customer's language and country (used by the templates)."""

    language: str
    country: str = ""

    @property
    def locale(self) -> Locale:
        """The Babel locale used."""
        return babel_locale(self.language, self.country)

    def format_money(self, amount: Decimal | int, currency: str) -> str:
        """``amount`` written the way this customer's locale writes money (see the module's :func:`format_money`)."""
        return format_money(amount, currency, self.language, self.country)

    #: Old name, still called by :mod:`workbench.collections.letters` (its ``money`` template filter).
    money = format_money

    def date(self, d: date, style: str = "long") -> str:
        """See :func:`format_date`."""
        return format_date(d, self.language, self.country, style)

    def percent(self, value: Decimal | int, decimals: int = 2) -> str:
        """See :func:`format_percent`."""
        return format_percent(value, self.language, self.country, decimals)

    def number(self, value: Decimal | int) -> str:
        """See :func:`format_number`."""
        return format_number(value, self.language, self.country)

    def country_name(self, country: str) -> str:
        """The name of an ISO country code in this locale (``'FR'`` → ``'Frankreich'`` in German); the code if unknown."""
        code = normalise_country(country)
        return self.locale.territories.get(code, country) if code else country
