"""Money has one owner: every currency conversion agrees with exact rational arithmetic to the cent.

The reference is :class:`fractions.Fraction`: ``mills × rate / 10**15`` into the
reporting currency, ``amount × rate(source) / rate(target)`` between two
currencies, rounded half-even to the currency's minor units. Every path that
converts (the polars expressions used by aging, credit, dunning and the
weekly report, and the scalar Decimal path) must give exactly that figure.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.aging import aging
from workbench.credit._num import round_money
from workbench.fx import FxTable, reporting_value, to_reporting
from workbench.ledger.asof import open_items
from workbench.ledger.load import load_ledger
from workbench.money import (
    AmountError,
    converted_money_column,
    converted_to_decimal,
    converted_to_money,
    minor_units,
    parse_amount,
    parse_decimal,
    parse_optional_amount,
    round_ratio,
    round_ratio_to_places,
    to_money,
)

from .conftest import SMALL_AS_OF

DAY = date(2026, 11, 20)
RATE_DAY = date(2026, 1, 1)
#: thousandths with up to 15 integer digits, both signs
MILLS = st.integers(-(10**18) + 1, 10**18 - 1)
#: rates scaled by 10**12: one unit worth 10**-6 .. 10**6 reporting units
RATES = st.integers(10**6, 10**18)
CURRENCIES = st.sampled_from(["EUR", "JPY", "KWD", "GBP"])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: a figure shown from a polars column is Int64 minor units (up to 3 decimals): |mills × rate| below 9 × 10**30
COLUMN_LIMIT = 9 * 10**30


@st.composite
def shown_in_a_column(draw) -> tuple[int, int]:
    """(mills, rate) whose converted value fits the Int64 minor units of a polars money column."""
    rate = draw(RATES)
    limit = min(10**18 - 1, COLUMN_LIMIT // rate)
    return draw(st.integers(-limit, limit)), rate


def reference(value: Fraction, currency: str) -> Decimal:
    """Half-even rounding of an exact rational to the currency's minor units (independent of the owner)."""
    places = minor_units(currency)
    scaled = value * 10**places
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1):
        floor += 1
    return Decimal(f"{floor}E-{places}")  # exact whatever the number of digits


def fx_with(rates: dict[str, int], reporting: str = "EUR") -> FxTable:
    rows = [(RATE_DAY, cur, Decimal(rate).scaleb(-12)) for cur, rate in rates.items()]
    return FxTable.from_rows(reporting, rows)


# --- into the reporting currency -----------------------------------------------------------------


@SETTINGS
@given(st.lists(shown_in_a_column(), min_size=1, max_size=20), CURRENCIES)
def test_polars_path_to_reporting_agrees_with_fractions(rows, reporting) -> None:
    frame = pl.DataFrame(rows, schema={"amount": pl.Int64, "rate": pl.Int64}, orient="row")
    shown = frame.select(converted_money_column(to_reporting("amount"), reporting).alias("v"))["v"].to_list()
    for (mills, rate), got in zip(rows, shown):
        assert got == reference(Fraction(mills * rate, 10**15), reporting)


@SETTINGS
@given(MILLS, RATES, CURRENCIES)
def test_scalar_path_to_reporting_agrees_with_fractions(mills, rate, reporting) -> None:
    exact = Fraction(mills * rate, 10**15)
    value = reporting_value(mills, rate)
    assert Fraction(converted_to_decimal(value)) == exact
    assert converted_to_money(value, reporting) == reference(exact, reporting)
    assert to_money(converted_to_decimal(value), reporting) == reference(exact, reporting)
    fx = fx_with({"USD": rate}, reporting)
    assert Fraction(fx.reporting_decimal(mills, "USD", DAY)) == exact


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(["EUR", "USD", "GBP"]), st.integers(-(10**17), 10**17), st.sampled_from(["a", "b"])),
        min_size=1,
        max_size=8,
    ),
    st.integers(10**6, 10**13),
    st.integers(10**6, 10**13),
)
def test_convert_sums_used_by_aging_and_worklist_agrees_with_fractions(rows, usd, gbp) -> None:
    fx = fx_with({"USD": usd, "GBP": gbp})
    frame = pl.DataFrame(
        rows, schema={"currency": pl.String, "open": pl.Int64, "group": pl.String}, orient="row"
    ).with_columns(pl.lit(DAY).alias("as_of"))
    got = fx.convert_sums(frame, ["as_of", "group"]).with_columns(
        converted_money_column(pl.col("open"), "EUR").alias("shown")
    )
    rate = {"EUR": 10**12, "USD": usd, "GBP": gbp}
    for group, value, shown in got.select("group", "open", "shown").iter_rows():
        exact = sum(Fraction(m * rate[c], 10**15) for c, m, g in rows if g == group)
        assert Fraction(int(value), 10**15) == exact
        assert shown == reference(exact, "EUR")


# --- between two currencies ----------------------------------------------------------------------


@SETTINGS
@given(MILLS, RATES, RATES, CURRENCIES)
def test_cross_currency_paths_agree_with_fractions(mills, source_rate, target_rate, target) -> None:
    fx = fx_with(
        {"XAA": source_rate, target: target_rate} if target != "EUR" else {"XAA": source_rate}, reporting="EUR"
    )
    if target == "EUR":
        target_rate = 10**12
    amount = Decimal(mills).scaleb(-3)
    exact = Fraction(amount) * source_rate / target_rate
    expected = reference(exact, target)
    # dunning compensation, order release, credit review: rounded once from the exact ratio
    assert fx.convert_money(amount, "XAA", target, DAY) == expected
    # credit limits and exposure: unrounded conversion, rounded when shown
    converted = fx.convert(amount, "XAA", target, DAY)
    assert abs(Fraction(converted) - exact) <= Fraction(1, 2 * 10**40)
    assert round_money(converted, target) == expected
    assert to_money(converted, target) == expected


@SETTINGS
@given(MILLS, RATES, st.sampled_from(["USD", "JPY", "KWD"]))
def test_from_reporting_used_by_credit_agrees_with_fractions(mills, rate, target) -> None:
    fx = fx_with({target: rate})
    scaled = reporting_value(mills, 10**12)  # an amount already in EUR, at scale 10**15
    exact = Fraction(mills, 1000) * 10**12 / rate
    assert round_money(fx.from_reporting(scaled, target, DAY), target) == reference(exact, target)
    assert round_money(fx.from_reporting(scaled, "EUR", DAY), "EUR") == reference(Fraction(mills, 1000), "EUR")


def test_exact_quotients_stay_exact_and_keep_the_amount_exponent() -> None:
    fx = fx_with({"USD": 900_000_000_000, "GBP": 1_200_000_000_000})
    assert str(fx.convert(Decimal("100.00"), "USD", "EUR", DAY)) == "90.00"
    assert str(fx.convert(Decimal("120"), "USD", "GBP", DAY)) == "90"
    assert str(fx.convert(Decimal("-0.00"), "USD", "GBP", DAY)) == "-0.00"
    assert fx.convert(Decimal("7.5"), "GBP", "GBP", DAY) == Decimal("7.5")
    assert str(fx.convert_money(Decimal("-0.001"), "USD", "EUR", DAY)) == "-0.00"  # as Decimal.quantize does
    assert fx.convert_money(Decimal("40"), "GBP", "USD", DAY) == Decimal("53.33")


def test_aging_of_a_demo_ledger_agrees_with_fractions(small_demo) -> None:
    led = load_ledger(small_demo)
    by_currency = {r["currency"]: r["gross_open"] for r in aging(led, SMALL_AS_OF, by="currency").iter_rows(named=True)}
    items = open_items(led, SMALL_AS_OF).group_by("currency").agg(pl.col("open").sum())
    assert items.height > 1
    for currency, mills in items.iter_rows():
        exact = Fraction(mills * led.fx.rate_scaled(currency, SMALL_AS_OF), 10**15)
        assert by_currency[currency] == reference(exact, led.reporting_currency)


def test_no_module_multiplies_by_a_rate_outside_fx() -> None:
    """The Int128 product ``amount × rate`` is written once, in workbench/fx.py."""
    root = Path(__file__).resolve().parents[1] / "workbench"
    product = re.compile(r"cast\(pl\.Int128\)\s*\*\s*pl\.col\(\"rate\"\)|\*\s*ledger\.fx\.rate\(|\*\s*fx\.rate\(")
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "fx.py" and product.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- rounding -------------------------------------------------------------------------------------


@given(st.integers(-(10**30), 10**30), st.integers(1, 10**20))
def test_round_ratio_is_half_even_rounding_of_the_exact_ratio(numerator, denominator) -> None:
    exact = Fraction(numerator, denominator)
    got = round_ratio(numerator, denominator)
    assert abs(exact - got) <= Fraction(1, 2)
    if abs(exact - got) == Fraction(1, 2):
        assert got % 2 == 0


def test_round_ratio_refuses_a_non_positive_denominator() -> None:
    with pytest.raises(ValueError, match="positive denominator"):
        round_ratio(1, 0)
    assert str(round_ratio_to_places(-1, 1000, 2)) == "-0.00"
    assert round_ratio_to_places(2355, 1000, 2) == Decimal("2.36")


# --- parse_amount ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        ("1234.56", {}, "1234.56"),
        ("  -5 ", {}, "-5"),
        ("+3.000", {}, "3.000"),
        ("1E+3", {}, "1E+3"),
        (Decimal("0.10"), {}, "0.10"),
        (42, {}, "42"),
        ("-1234.50", {"plain": True}, "-1234.50"),
        ("1,234.5", {"grouping": True}, "1234.5"),
        ("12 345\u00a0678.90", {"grouping": True}, "12345678.90"),
        ("0", {"sign": "non_negative"}, "0"),
        ("0.01", {"sign": "positive"}, "0.01"),
    ],
)
def test_parse_amount_reads_good_inputs_exactly(value, options, expected) -> None:
    assert str(parse_amount(value, **options)) == expected


@pytest.mark.parametrize(
    ("value", "options", "message", "kind"),
    [
        ("", {}, "empty amount: ''", "empty"),
        ("   ", {"plain": True}, "empty amount: ''", "empty"),
        ("abc", {}, "not a decimal number: 'abc'", "syntax"),
        ("1.2.3", {}, "not a decimal number: '1.2.3'", "syntax"),
        ("1,234.5", {}, "not a decimal number: '1,234.5'", "syntax"),
        ("1e3", {"plain": True}, "not a plain decimal number: '1e3'", "syntax"),
        ("1,234", {"plain": True}, "not a plain decimal number: '1,234'", "syntax"),
        ("12,34", {"grouping": True}, "not a decimal number: '12,34'", "syntax"),
        (1.5, {}, "not a Decimal, int or decimal text (float): 1.5", "syntax"),
        (True, {}, "not a Decimal, int or decimal text (bool): True", "syntax"),
        (None, {}, "not a Decimal, int or decimal text (NoneType): None", "syntax"),
        ("NaN", {}, "not a finite number: 'NaN'", "range"),
        ("-Infinity", {}, "not a finite number: '-Infinity'", "range"),
        (Decimal("NaN"), {}, "not a finite number: Decimal('NaN')", "range"),
        ("0", {"sign": "positive"}, "not greater than zero: '0'", "range"),
        ("-5", {"sign": "positive"}, "not greater than zero: '-5'", "range"),
        ("-0.01", {"sign": "non_negative"}, "negative: '-0.01'", "range"),
        ("1e400", {}, "above the largest amount accepted (1,000,000,000,000): '1e400'", "range"),
        (
            "-1000000000000.01",
            {},
            "above the largest amount accepted (1,000,000,000,000): '-1000000000000.01'",
            "range",
        ),
        (10**13, {}, "above the largest amount accepted (1,000,000,000,000): 10000000000000", "range"),
    ],
)
def test_parse_amount_refuses_bad_inputs_with_a_clear_message(value, options, message, kind) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(value, **options)
    assert str(caught.value) == message
    assert caught.value.kind == kind
    assert isinstance(caught.value, ValueError)


def test_optional_and_legacy_parsers_are_parse_amount() -> None:
    assert parse_optional_amount(None) == (None, None)
    assert parse_optional_amount("  ", plain=True) == (None, None)
    assert parse_optional_amount("-12.50", plain=True) == (Decimal("-12.50"), None)
    assert parse_optional_amount("n/a", plain=True) == (None, "not a plain decimal number: 'n/a'")
    assert parse_optional_amount(0.25, plain=True) == (Decimal("0.25"), None)  # a numeric cell, read as shown
    assert parse_decimal(" 8.15 ") == Decimal("8.15")
    assert parse_amount("1000000000000") == Decimal(10**12)  # the bound itself is accepted
    assert parse_amount("1e20", bounded=False) == Decimal("1e20")  # control sums of whole files are not bounded
    with pytest.raises(ValueError, match="not a decimal number"):
        parse_decimal("8,15")


@given(st.integers(-(10**15), 10**15))  # every amount up to the bound (10**12 units)
def test_parse_amount_round_trips_every_amount_in_mills(mills) -> None:
    text = f"{Decimal(mills).scaleb(-3):f}"
    assert parse_amount(text, plain=True) * 1000 == mills
    assert parse_amount(text) == parse_amount(text, plain=True)
