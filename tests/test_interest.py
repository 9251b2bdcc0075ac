"""Statutory late-payment interest and fixed compensation (CONVENTIONS §9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from workbench.collections.interest import (
    JURISDICTIONS,
    TABLE_KEYS,
    InterestPart,
    RateTable,
    RateTableError,
    fixed_compensation,
    jurisdiction_for_country,
    late_interest,
    late_interest_at_rate,
    late_interest_on_balances,
    load_rate_tables,
    reference_date,
    reference_rate,
)
from workbench.errors import WorkbenchError

D = Decimal


def _table(name: str, checked: str, *rows: tuple[str, str]) -> RateTable:
    return RateTable(name, tuple((date.fromisoformat(d), D(r)) for d, r in rows), date.fromisoformat(checked))


@pytest.fixture
def toy_tables() -> dict[str, RateTable]:
    """Small hand-made tables so hand computations do not depend on the shipped data."""
    return {
        "ecb_mro": _table(
            "ecb_mro", "2025-12-31", ("2024-01-01", "4.00"), ("2024-12-18", "3.00"), ("2025-06-15", "2.00")
        ),
        "boe_base": _table("boe_base", "2025-12-31", ("2024-01-01", "5.00"), ("2025-06-30", "4.00")),
        "de_basiszins": _table("de_basiszins", "2025-12-31", ("2025-01-01", "2.00"), ("2025-07-01", "1.00")),
    }


# Worked examples of §9 with the stated rates ---------------------------------


def test_worked_example_uk_at_stated_rate() -> None:
    assert late_interest_at_rate(D("2000"), 45, D("12.25"), "GBP") == D("30.21")
    assert fixed_compensation("UK", D("2000"), "GBP") == (D(70), "GBP")


def test_worked_example_eu_at_stated_rate() -> None:
    assert late_interest_at_rate(D("10000"), 30, D("11.15")) == D("91.64")
    assert fixed_compensation("EU", D("10000"), "EUR") == (D(40), "EUR")


def test_worked_example_france_at_stated_rate() -> None:
    assert late_interest_at_rate(D("10000"), 30, D("13.15")) == D("108.08")
    assert fixed_compensation("FR", D("10000"), "EUR") == (D(40), "EUR")


# The same examples through the shipped rate tables -----------------------------


def test_eu_and_france_through_tables_h1_2025() -> None:
    # Due 1 March 2025, paid 31 March: 30 days; ECB MRO on 1 Jan 2025 = 3.15 %.
    eu = late_interest(D("10000"), date(2025, 3, 1), date(2025, 3, 31), "EU")
    assert eu.amount == D("91.64")
    assert eu.basis == "ECB main refinancing rate 3.15 % + 8 points = 11.15 %"
    assert eu.warnings == ()
    assert len(eu.parts) == 1 and eu.parts[0].days == 30 and eu.parts[0].rate_percent == D("11.15")
    fr = late_interest(D("10000"), date(2025, 3, 1), date(2025, 3, 31), "FR")
    assert fr.amount == D("108.08")
    assert fr.basis == "ECB main refinancing rate 3.15 % + 10 points = 13.15 %"
    assert reference_rate("EU", date(2025, 5, 5)) == (D("11.15"), ())
    assert reference_rate("FR", date(2025, 1, 1)) == (D("13.15"), ())


def test_uk_through_tables_h2_2025() -> None:
    # Due 1 Aug 2025, 45 days later 15 Sep 2025; BoE base rate on 30 Jun 2025 = 4.25 %
    # (the cut to 4.00 % on 7 Aug 2025 does not change the H2 reference rate).
    uk = late_interest(D("2000"), date(2025, 8, 1), date(2025, 9, 15), "UK", currency="GBP")
    assert uk.amount == D("30.21")
    assert uk.parts[0].days == 45
    assert uk.basis == "Bank of England base rate 4.25 % + 8 points = 12.25 %"
    assert uk.warnings == ()


def test_germany_through_tables() -> None:
    assert reference_rate("DE", date(2025, 3, 1)) == (D("11.27"), ())
    assert reference_rate("DE", date(2025, 9, 1)) == (D("10.27"), ())
    assert reference_rate("DE", date(2022, 12, 31)) == (D("8.12"), ())
    result = late_interest(D("10000"), date(2025, 3, 1), date(2025, 3, 31), "DE")
    # 10000 × 30 × 11.27 / 36500 = 92.630...
    assert result.amount == D("92.63")
    assert result.basis == "Basiszinssatz 2.27 % + 9 points = 11.27 %"


# Day count, half-years, rounding ------------------------------------------------


def test_period_spanning_half_year_split_and_rounded_once(toy_tables) -> None:
    # FR, due 20 Jun 2025, paid 10 Jul 2025: 21-30 Jun (10 days) at 3.00 + 10 = 13.00 %
    # (ECB on 1 Jan 2025), 1-10 Jul (10 days) at 2.00 + 10 = 12.00 % (ECB on 1 Jul 2025).
    # 2000 × 10 × 13 / 36500 = 7.1233, 2000 × 10 × 12 / 36500 = 6.5753; sum 13.6986 → 13.70.
    result = late_interest(D("2000"), date(2025, 6, 20), date(2025, 7, 10), "FR", toy_tables)
    assert [(p.start, p.end, p.days, p.rate_percent) for p in result.parts] == [
        (date(2025, 6, 21), date(2025, 6, 30), 10, D("13.00")),
        (date(2025, 7, 1), date(2025, 7, 10), 10, D("12.00")),
    ]
    assert result.amount == D("13.70")
    assert result.basis == (
        "H1 2025: ECB main refinancing rate 3.00 % + 10 points = 13.00 %; "
        "H2 2025: ECB main refinancing rate 2.00 % + 10 points = 12.00 %"
    )


def test_half_year_split_rounds_the_sum_not_the_parts() -> None:
    # Shipped tables: FR H1 2025 13.15 %, H2 2025 12.15 % (ECB 2.15 % past checked_through).
    # 2000 × 10 × 13.15 / 36500 = 7.20548; 2000 × 10 × 12.15 / 36500 = 6.65753.
    # Exact sum 506000 / 36500 = 13.8630 → 13.86 (rounding each part would give 7.21 + 6.66 = 13.87).
    result = late_interest(D("2000"), date(2025, 6, 20), date(2025, 7, 10), "FR")
    assert result.amount == D("13.86")
    assert sum(p.amount for p in result.parts).quantize(D("0.01")) == D("13.86")
    assert [p.rate_percent for p in result.parts] == [D("13.15"), D("12.15")]


def test_uk_reference_dates_dec_jun(toy_tables) -> None:
    assert reference_date("UK", date(2025, 3, 1)) == date(2024, 12, 31)
    assert reference_date("UK", date(2025, 7, 1)) == date(2025, 6, 30)
    assert reference_date("EU", date(2025, 6, 30)) == date(2025, 1, 1)
    assert reference_date("DE", date(2025, 12, 31)) == date(2025, 7, 1)
    # toy BoE: 4.00 from 30 Jun 2025 counts for H2 (rate of 30 Jun), 5.00 for H1.
    assert reference_rate("UK", date(2025, 1, 15), toy_tables) == (D("13.00"), ())
    assert reference_rate("UK", date(2025, 12, 15), toy_tables) == (D("12.00"), ())


def test_several_half_years(toy_tables) -> None:
    # EU, due 31 Dec 2024 → 1 Jan 2025 .. 31 Dec 2025, 365 days at 11 % then 10 %.
    result = late_interest(D("365"), date(2024, 12, 31), date(2025, 12, 31), "EU", toy_tables)
    assert [p.days for p in result.parts] == [181, 184]
    # 365 × (181 × 11 + 184 × 10) / 36500 = (1991 + 1840) / 100 = 38.31
    assert result.amount == D("38.31")
    # due 15 Dec 2024: H2 2024 uses ECB on 1 Jul 2024 (4.00) → 12 %
    longer = late_interest(D("365"), date(2024, 12, 15), date(2025, 1, 5), "EU", toy_tables)
    assert [(p.days, p.rate_percent) for p in longer.parts] == [(16, D("12.00")), (5, D("11.00"))]
    assert longer.basis.startswith("H2 2024: ECB main refinancing rate 4.00 %")


@pytest.mark.parametrize("end", [date(2025, 3, 1), date(2025, 2, 1)])
def test_zero_or_negative_days_give_no_interest(end: date) -> None:
    result = late_interest(D("10000"), date(2025, 3, 1), end, "EU")
    assert result.amount == D("0.00") and result.parts == () and result.warnings == ()
    assert late_interest_at_rate(D("10000"), 0, D("11.15")) == D("0.00")
    assert late_interest_at_rate(D("10000"), -5, D("11.15")) == D("0.00")


def test_one_day_late_counts_one_day() -> None:
    result = late_interest(D("36500"), date(2025, 3, 1), date(2025, 3, 2), "EU")
    assert result.parts[0].days == 1
    assert result.amount == D("11.15")


def test_rounding_is_half_even_at_minor_units() -> None:
    # 36500 × 1 × 0.005 / 36500 = 0.005 exactly → 0.00 (half-even), and 0.015 → 0.02
    assert late_interest_at_rate(D("36500"), 1, D("0.005")) == D("0.00")
    assert late_interest_at_rate(D("36500"), 1, D("0.015")) == D("0.02")
    # JPY has no minor unit: 36500 × 1 × 1.5 / 36500 = 1.5 → 2; KWD has three.
    assert late_interest_at_rate(D("36500"), 1, D("1.5"), "JPY") == D("2")
    assert late_interest_at_rate(D("1000"), 1, D("10"), "KWD") == D("0.274")


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        late_interest_at_rate(2000.0, 45, D("12.25"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        late_interest(2000.0, date(2025, 1, 1), date(2025, 2, 1), "EU")  # type: ignore[arg-type]


def test_negative_principal_and_unknown_jurisdiction_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        late_interest(D("-1"), date(2025, 1, 1), date(2025, 2, 1), "EU")
    with pytest.raises(ValueError, match="unknown jurisdiction 'XX'"):
        late_interest(D("1"), date(2025, 1, 1), date(2025, 2, 1), "XX")


# Balance schedule ------------------------------------------------------------------


def test_balance_schedule_partial_payment(toy_tables) -> None:
    # EU toy H1 2025: 3.00 + 8 = 11 %. Due 28 Feb; 600 paid on 10 Mar; as of 31 Mar.
    # 1 Mar .. 10 Mar (10 days, payment day included) on 1000, 11 Mar .. 31 Mar (21 days) on 400.
    # (1000 × 10 + 400 × 21) × 11 / 36500 = 202400 / 36500 = 5.5452 → 5.55
    result = late_interest_on_balances(
        [(date(2025, 2, 28), D("1000")), (date(2025, 3, 10), D("400"))],
        date(2025, 2, 28),
        date(2025, 3, 31),
        "EU",
        toy_tables,
    )
    assert result.parts == (
        InterestPart(date(2025, 3, 1), date(2025, 3, 10), 10, D("1000"), D("11.00"), result.parts[0].amount),
        InterestPart(date(2025, 3, 11), date(2025, 3, 31), 21, D("400"), D("11.00"), result.parts[1].amount),
    )
    assert result.amount == D("5.55")


def test_balance_schedule_full_payment_stops_interest_after_payment_day(toy_tables) -> None:
    due, paid = date(2025, 2, 28), date(2025, 3, 20)
    by_schedule = late_interest_on_balances(
        [(paid, D("0")), (due, D("1000"))],  # any order
        due,
        date(2025, 6, 30),
        "EU",
        toy_tables,
    )
    direct = late_interest(D("1000"), due, paid, "EU", toy_tables)
    assert by_schedule.amount == direct.amount == D("6.03")  # 1000 × 20 × 11 / 36500 = 6.027
    assert [p.days for p in by_schedule.parts] == [20]


def test_balance_schedule_entry_before_due_date_and_across_half_year(toy_tables) -> None:
    # 200 paid before the due date: only the latest entry before each day counts.
    result = late_interest_on_balances(
        [(date(2025, 5, 1), D("1000")), (date(2025, 6, 1), D("800")), (date(2025, 7, 5), D("300"))],
        date(2025, 6, 25),
        date(2025, 7, 10),
        "EU",
        toy_tables,
    )
    assert [(p.start, p.end, p.balance, p.rate_percent) for p in result.parts] == [
        (date(2025, 6, 26), date(2025, 6, 30), D("800"), D("11.00")),
        (date(2025, 7, 1), date(2025, 7, 5), D("800"), D("10.00")),
        (date(2025, 7, 6), date(2025, 7, 10), D("300"), D("10.00")),
    ]
    # (800 × 5 × 11 + 800 × 5 × 10 + 300 × 5 × 10) / 36500 = 99000 / 36500 = 2.7123 → 2.71
    assert result.amount == D("2.71")


def test_balance_schedule_errors(toy_tables) -> None:
    due = date(2025, 2, 28)
    with pytest.raises(ValueError, match="after the due date"):
        late_interest_on_balances([(date(2025, 3, 1), D("1"))], due, date(2025, 3, 31), "EU", toy_tables)
    with pytest.raises(ValueError, match="two entries"):
        late_interest_on_balances([(due, D("1")), (due, D("2"))], due, date(2025, 3, 31), "EU", toy_tables)
    with pytest.raises(ValueError, match="negative"):
        late_interest_on_balances([(due, D("-1"))], due, date(2025, 3, 31), "EU", toy_tables)
    with pytest.raises(ValueError, match="empty"):
        late_interest_on_balances([], due, date(2025, 3, 31), "EU", toy_tables)


# Rate tables -----------------------------------------------------------------------


def test_shipped_tables_load_with_their_checked_through_dates() -> None:
    tables = load_rate_tables()
    assert set(tables) == set(TABLE_KEYS) == {"ecb_mro", "boe_base", "de_basiszins"}
    assert tables["ecb_mro"].checked_through == date(2025, 6, 30)
    assert tables["boe_base"].checked_through == date(2025, 8, 31)
    assert tables["de_basiszins"].checked_through == date(2025, 12, 31)
    assert tables["ecb_mro"].rate_on(date(2025, 1, 1)) == D("3.15")
    assert tables["ecb_mro"].rate_on(date(2024, 12, 18)) == D("3.15")
    assert tables["ecb_mro"].rate_on(date(2024, 12, 17)) == D("3.40")
    assert tables["ecb_mro"].rate_on(date(2019, 1, 1)) == D("0.00")
    assert tables["boe_base"].rate_on(date(2025, 6, 30)) == D("4.25")
    assert tables["boe_base"].rate_on(date(2025, 8, 7)) == D("4.00")
    assert tables["boe_base"].rate_on(date(2018, 12, 31)) == D("0.75")
    assert tables["de_basiszins"].rate_on(date(2022, 7, 1)) == D("-0.88")
    assert tables["de_basiszins"].rate_on(date(2025, 7, 1)) == D("1.27")
    assert "Bundesbank" in tables["de_basiszins"].source
    for table in tables.values():
        assert all(isinstance(rate, Decimal) for _, rate in table.rows)


def test_beyond_checked_through_keeps_last_rate_and_warns() -> None:
    rate, warnings = reference_rate("EU", date(2025, 9, 1))  # ECB table checked through 2025-06-30
    assert rate == D("10.15")
    assert len(warnings) == 1 and "ecb_mro" in warnings[0] and "2025-06-30" in warnings[0]
    result = late_interest(D("1000"), date(2025, 8, 1), date(2025, 9, 1), "EU")
    assert result.warnings == warnings
    # the UK H2 2025 reference date (30 Jun) is within the BoE table: no warning
    assert reference_rate("UK", date(2025, 9, 1))[1] == ()
    # H1 2026 for the UK needs 31 Dec 2025, past 2025-08-31
    rate, warnings = reference_rate("UK", date(2026, 2, 1))
    assert rate == D("12.00") and "boe_base" in warnings[0] and "2025-08-31" in warnings[0]


def test_warning_given_once_per_table(toy_tables) -> None:
    tables = dict(toy_tables, ecb_mro=_table("ecb_mro", "2025-03-31", ("2024-01-01", "4.00")))
    result = late_interest(D("1000"), date(2025, 6, 1), date(2026, 2, 1), "EU", tables)
    assert len(result.parts) == 3
    assert len(result.warnings) == 2  # reference dates 1 Jul 2025 and 1 Jan 2026
    assert all("2025-03-31" in w for w in result.warnings)


def test_before_first_row_is_an_error_naming_table_and_date() -> None:
    with pytest.raises(RateTableError, match=r"'ecb_mro'.*2016-01-01"):
        late_interest(D("1000"), date(2016, 2, 1), date(2016, 2, 20), "EU")
    with pytest.raises(RateTableError, match=r"'boe_base'.*2017-12-31"):
        reference_rate("UK", date(2018, 3, 1))
    assert issubclass(RateTableError, WorkbenchError)


def test_load_from_a_folder_and_parse_errors(tmp_path: Path) -> None:
    for key in TABLE_KEYS:
        (tmp_path / f"{key}.csv").write_text(
            "# source: test; checked_through: 2025-12-31\neffective_date,rate_percent\n2020-01-01,1.50\n2025-01-01,2\n",
            encoding="utf-8",
        )
    tables = load_rate_tables(tmp_path)
    assert tables["boe_base"].rows == ((date(2020, 1, 1), D("1.50")), (date(2025, 1, 1), D("2")))
    assert tables["boe_base"].source == "test"
    assert reference_rate("DE", date(2025, 2, 1), tables) == (D("11"), ())

    bad = tmp_path / "bad.csv"
    bad.write_text("effective_date,rate_percent\n2020-01-01,1\n", encoding="utf-8")
    with pytest.raises(RateTableError, match="checked_through"):
        RateTable.load(bad)
    bad.write_text("# checked_through: 2025-12-31\neffective_date,rate_percent\n2020-01-01,one\n", encoding="utf-8")
    with pytest.raises(RateTableError, match=r"bad.csv:3"):
        RateTable.load(bad)
    bad.write_text(
        "# checked_through: 2025-12-31\neffective_date,rate_percent\n2021-01-01,1\n2020-01-01,2\n", encoding="utf-8"
    )
    with pytest.raises(RateTableError, match="ascending"):
        RateTable.load(bad)
    bad.write_text("# checked_through: 2019-12-31\neffective_date,rate_percent\n2020-01-01,1\n", encoding="utf-8")
    with pytest.raises(RateTableError, match="before its last row"):
        RateTable.load(bad)
    with pytest.raises(RateTableError, match="cannot read"):
        RateTable.load(tmp_path / "missing.csv")


def test_missing_table_is_reported(toy_tables) -> None:
    del toy_tables["boe_base"]
    with pytest.raises(RateTableError, match="boe_base"):
        reference_rate("UK", date(2025, 1, 1), toy_tables)


# Jurisdictions and compensation --------------------------------------------------------


def test_jurisdictions_table() -> None:
    assert set(JURISDICTIONS) == {"EU", "FR", "DE", "UK"}
    assert {c: (j.table, j.margin, j.reference) for c, j in JURISDICTIONS.items()} == {
        "EU": ("ecb_mro", D(8), "jan_jul"),
        "FR": ("ecb_mro", D(10), "jan_jul"),
        "DE": ("de_basiszins", D(9), "jan_jul"),
        "UK": ("boe_base", D(8), "dec_jun"),
    }


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("FR", "FR"),
        ("de", "DE"),
        ("GB", "UK"),
        ("IT", "EU"),
        ("ES", "EU"),
        ("PL", "EU"),
        ("GR", "EU"),
        ("US", None),
        ("CH", None),
        ("NO", None),
        ("UK", None),
        ("", None),
    ],
)
def test_jurisdiction_for_country(country: str, expected: str | None) -> None:
    assert jurisdiction_for_country(country) == expected


@pytest.mark.parametrize(
    ("debt", "expected"),
    [
        ("0.01", 40),
        ("999.99", 40),
        ("1000", 70),
        ("9999.99", 70),
        ("10000", 100),
        ("250000", 100),
    ],
)
def test_uk_compensation_tiers(debt: str, expected: int) -> None:
    assert fixed_compensation("UK", D(debt), "GBP") == (D(expected), "GBP")


def test_compensation_eur_and_currency_rules() -> None:
    for code in ("EU", "FR", "DE"):
        assert fixed_compensation(code, D("50000"), "EUR") == (D(40), "EUR")
    assert fixed_compensation("EU", D("1000"), "PLN") == (D(40), "EUR")
    with pytest.raises(ValueError, match="GBP"):
        fixed_compensation("UK", D("2000"), "EUR")
    with pytest.raises(ValueError, match="positive"):
        fixed_compensation("EU", D("0"), "EUR")
