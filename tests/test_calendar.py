"""Business days per country (workbench.calendar): holidays, weekends, landing, business-day counts."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from workbench import calendar

EPOCH = date(1970, 1, 1)


def test_french_and_german_holidays_differ():
    assert not calendar.is_business_day("FR", date(2026, 7, 14))  # Fête nationale
    assert calendar.is_business_day("DE", date(2026, 7, 14))
    assert not calendar.is_business_day("DE", date(2026, 10, 3))  # Tag der Deutschen Einheit
    assert not calendar.is_business_day("FR", date(2026, 7, 18))  # a Saturday
    names = dict(calendar.holidays_of("FR", date(2026, 1, 1), date(2026, 12, 31)))
    assert date(2026, 12, 25) in names and date(2026, 5, 1) in names


def test_unknown_or_missing_country_has_weekends_only():
    assert calendar.is_business_day("ZZ", date(2026, 12, 25))
    assert calendar.is_business_day(None, date(2026, 12, 25))
    assert not calendar.is_business_day("", date(2026, 12, 26))
    assert calendar.weekend_of("ZZ") == calendar.DEFAULT_WEEKEND


def test_roll_forward_lands_on_business_days():
    frame = pl.DataFrame(
        {"d": [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), None], "c": ["FR", "FR", "US", "FR"]}
    )
    out = calendar.roll_forward(frame, "d", "c", "landed")
    assert out["landed"].to_list() == [date(2026, 12, 24), date(2026, 12, 28), date(2026, 12, 28), None]
    table = calendar.business_day_table(["FR"], date(2026, 7, 10), date(2026, 7, 20))
    row = table.filter(pl.col("date") == date(2026, 7, 14)).row(0, named=True)
    assert (row["business_day"], row["next_business_day"], row["previous_business_day"]) == (
        False,
        date(2026, 7, 15),
        date(2026, 7, 13),
    )


def test_business_day_counter_counts_and_inverts():
    counter = calendar.BusinessDayCounter(["FR", "DE"], date(2026, 7, 1))
    days = np.asarray([(date(2026, 7, 13) - EPOCH).days + i for i in range(3)])  # Mon 13, Tue 14, Wed 15
    fr = counter.count(np.zeros(3, dtype=int), days)
    de = counter.count(np.ones(3, dtype=int), days)
    assert list(np.diff(fr)) == [0, 1]  # the 14th is not a French business day
    assert list(np.diff(de)) == [1, 1]
    back = counter.day_of(np.zeros(1, dtype=int), fr[:1] + 1)
    assert EPOCH + timedelta(days=int(back[0])) == date(2026, 7, 15)
    far = counter.count(np.zeros(1, dtype=int), np.asarray([(date(2029, 1, 2) - EPOCH).days]))
    assert far[0] > fr[-1] + 500  # tables widen on demand
