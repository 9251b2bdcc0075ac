"""A dunning run on the small demo company after 16 weeks of journal history: levels, interest, fees, letters."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from workbench.collections.dunning import plan_run, state_from_journal
from workbench.collections.interest import jurisdiction_for_country, late_interest
from workbench.collections.locale import format_money
from workbench.collections.policy import load_policy
from workbench.demo.journal import seed_journal
from workbench.journal import Journal
from workbench.ledger import load_ledger
from workbench.letters import LetterRenderer
from workbench.money import to_money

from .conftest import SMALL_AS_OF

POLICY = load_policy()


@pytest.fixture(scope="module")
def demo_run(small_demo, tmp_path_factory):
    led = load_ledger(small_demo)
    with Journal.open(tmp_path_factory.mktemp("journal") / "journal.sqlite", create=True) as book:
        counts = seed_journal(led, book, SMALL_AS_OF, seed=7)
        state = state_from_journal(book, led, SMALL_AS_OF, POLICY)
        letters = book.dunning_letters()
    return led, counts, state, letters, plan_run(led, SMALL_AS_OF, POLICY, state)


def test_history_gives_every_level_and_language(demo_run) -> None:
    led, counts, state, letters, run = demo_run
    assert counts["dunning_run"] == 16 and counts["dunning_letter"] == letters.height > 0
    assert state.last_run is not None and state.last_run < SMALL_AS_OF
    levels = {c.level for c in run.communications}
    assert {1, 2, 3, 4, 5} <= levels
    # the 16 recorded runs and today's wrote to customers in all five languages, each in its own
    languages = dict(led.customers.select("customer_id", "language").iter_rows())
    written = {languages[c] for c in letters["customer_id"].to_list()} | {c.language for c in run.communications}
    assert written == {"en", "fr", "de", "es", "pt"}
    assert all(c.language == languages[c.customer_id] for c in run.communications)
    # every claimed item climbed from the level its last letter recorded, by at most one
    for row in run.lines.filter(pl.col("status") == "claimed").iter_rows(named=True):
        previous = state.item_levels.get(row["document_id"], (0, None))[0]
        assert row["previous_level"] == previous and row["level"] - previous in (0, 1)


def test_interest_compensation_and_fees_follow_the_policy(demo_run) -> None:
    led, _, _, _, run = demo_run
    allocated = set(led.allocations["document_id"].to_list())
    checked = 0
    for comm in run.communications:
        jurisdiction = jurisdiction_for_country(comm.country)
        for line in comm.lines:
            if comm.level >= 4 and jurisdiction and comm.country not in ("US", "BR", "MX") and line.interest:
                if line.document_id in allocated:
                    continue  # partial payments: covered by the balance-schedule unit tests
                expected = late_interest(line.open, line.due_date, comm.as_of, jurisdiction, currency=comm.currency)
                assert line.interest == expected.amount, line
                # per invoice: EUR 40 (EU, FR, DE); UK: GBP 40/70/100 by the debt in GBP; in the letter's
                # currency at the as-of rate (EUR is the reporting currency: rate(EUR) = 1)
                rate = lambda cur: led.fx.rate(cur, comm.as_of)  # noqa: E731
                if jurisdiction == "UK":
                    debt_gbp = line.open * rate(comm.currency) / rate("GBP")
                    tier = Decimal(40) if debt_gbp < 1000 else Decimal(70) if debt_gbp < 10000 else Decimal(100)
                    expected = tier * rate("GBP") / rate(comm.currency)
                else:
                    expected = Decimal(40) / rate(comm.currency)
                assert line.compensation == to_money(expected, comm.currency)
                checked += 1
        if comm.country in ("US", "BR", "MX"):
            assert comm.interest_total == 0
            if comm.template == "final_demand":
                assert (
                    comm.fee
                    == {"USD": Decimal("25.00"), "BRL": Decimal("120.00"), "MXN": Decimal("450.00")}[comm.currency]
                )
    assert checked > 0


def test_a_formal_letter_shows_interest_and_total_in_the_customers_format(demo_run) -> None:
    led, _, _, _, run = demo_run
    comm = next(c for c in run.communications if c.language == "de" and c.interest_total > 0 and c.channel == "letter")
    renderer = LetterRenderer(sender=POLICY.make_sender("Demo Industries Group"))
    html = renderer.letter_html(comm).replace("\u202f", " ").replace("\xa0", " ")
    assert format_money(comm.interest_total, comm.currency, "de", "DE").replace("\xa0", " ") in html
    assert format_money(comm.amount_due, comm.currency, "de", "DE").replace("\xa0", " ") in html
    for line in comm.lines:
        assert line.document_id in html
    # the reference rates are named and formatted in German, e.g. "Basiszinssatz 1,27 % + 9 Prozentpunkte = 10,27 %"
    assert comm.interest_rates and all(code == "DE" for code, _ in comm.interest_rates)
    for _, total in comm.interest_rates:
        base = str(total - 9).replace(".", ",")
        assert f"Basiszinssatz {base} % + 9 Prozentpunkte = {str(total).replace('.', ',')} %" in html
    assert " points" not in html
    assert comm.amount_due == (
        comm.overdue_total - comm.credit_total + comm.interest_total + comm.compensation_total + comm.fee
    )
