"""Dunning runs: levels, skips, grouping, minimums, interest and compensation, run order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.builders import alloc, inv, ledger, pay
from workbench.collections.dunning import DunningError, DunningState, end_of_month, level_reached, plan_run
from workbench.collections.policy import Level, load_policy

POLICY = load_policy()
FR = {
    "customer_id": "C1",
    "name": "Alpha SARL",
    "country": "FR",
    "currency": "EUR",
    "collector": "Ann",
    "language": "fr",
    "email": "ap@alpha.fr",
    "segment": "small",
}


def _levels(run):
    return {
        r["document_id"]: (r["previous_level"], r["level"], r["status"], r["reason"])
        for r in run.lines.iter_rows(named=True)
    }


def test_level_conditions_for_each_mode() -> None:
    after_due = Level(1, "x", "days_after_due", 5, "email", "reminder")
    assert not level_reached(after_due, date(2026, 1, 1), None, date(2026, 1, 5))
    assert level_reached(after_due, date(2026, 1, 1), None, date(2026, 1, 6))
    eom = Level(1, "x", "end_of_month", 10, "letter", "final_demand")
    # due 25 Jan + 10 days = 4 Feb -> reached on 28 Feb
    assert end_of_month(date(2026, 2, 4)) == date(2026, 2, 28)
    assert not level_reached(eom, date(2026, 1, 25), None, date(2026, 2, 27))
    assert level_reached(eom, date(2026, 1, 25), None, date(2026, 2, 28))
    prev = Level(2, "x", "days_after_previous", 14, "email", "second_reminder")
    assert not level_reached(prev, date(2026, 1, 1), date(2026, 1, 6), date(2026, 1, 19))
    assert level_reached(prev, date(2026, 1, 1), date(2026, 1, 6), date(2026, 1, 20))
    # without a previous letter the count starts at the due date
    assert level_reached(prev, date(2026, 1, 1), None, date(2026, 1, 15))


def test_an_item_climbs_one_level_per_run_up_to_a_formal_notice_with_interest(tmp_path) -> None:
    led = ledger(tmp_path, customers=[FR], documents=[inv("I1", "2025-12-01", "2026-01-01", "1000.00")])
    assert plan_run(led, date(2026, 1, 5), POLICY).communications == ()
    first = plan_run(led, date(2026, 1, 6), POLICY)
    (comm,) = first.communications
    assert (comm.level, comm.channel, comm.template, comm.language) == (1, "email", "reminder", "fr")
    assert [line.document_id for line in comm.lines] == ["I1"]
    assert comm.amount_due == Decimal("1000.00") and comm.interest_total == 0

    state = DunningState(last_run=date(2026, 1, 6), item_levels={"I1": (1, date(2026, 1, 6))})
    assert plan_run(led, date(2026, 1, 19), POLICY, state).communications == ()
    (second,) = plan_run(led, date(2026, 1, 20), POLICY, state).communications
    assert (second.level, second.template) == (2, "second_reminder")

    state = DunningState(last_run=date(2026, 1, 20), item_levels={"I1": (2, date(2026, 1, 20))})
    (call,) = plan_run(led, date(2026, 1, 27), POLICY, state).communications
    assert (call.level, call.channel) == (3, "phone")

    state = DunningState(last_run=date(2026, 1, 27), item_levels={"I1": (3, date(2026, 1, 27))})
    run = plan_run(led, date(2026, 2, 6), POLICY, state)
    (notice,) = run.communications
    assert (notice.level, notice.channel, notice.template) == (4, "letter", "formal_notice")
    # France: ECB rate of 1 Jan 2026 + 10 points on 1,000.00 for 36 days (2 Jan .. 6 Feb), actual/365.
    # The ECB table is checked through mid-2025, so its last rate (2.15 %) is assumed and a warning says so.
    expected = (Decimal("1000.00") * Decimal("12.15") / 100 * 36 / 365).quantize(Decimal("0.01"))
    assert expected == Decimal("11.98")
    assert notice.lines[0].interest == expected
    assert notice.lines[0].compensation == Decimal("40.00")
    assert notice.amount_due == Decimal("1051.98")
    assert "12.15" in notice.interest_basis
    assert run.warnings and "ecb" in run.warnings[0].lower()


def test_a_run_never_goes_back_and_never_raises_twice_on_one_date(tmp_path) -> None:
    led = ledger(tmp_path, customers=[FR], documents=[inv("I1", "2025-10-01", "2025-11-01", "500.00")])
    with pytest.raises(DunningError, match="2026-01-10"):
        plan_run(led, date(2026, 1, 9), POLICY, DunningState(last_run=date(2026, 1, 10)))
    state = DunningState(last_run=date(2026, 1, 10), item_levels={"I1": (1, date(2026, 1, 10))})
    again = plan_run(led, date(2026, 1, 10), POLICY, state)
    assert again.communications == ()
    assert _levels(again)["I1"][:2] == (1, 1)


def test_skipped_items_are_neither_claimed_nor_raised(tmp_path) -> None:
    customers = [
        FR,
        {**FR, "customer_id": "C2", "name": "Beta"},
        {**FR, "customer_id": "C3", "name": "Gamma"},
        {**FR, "customer_id": "C4", "name": "Delta", "status": "litigation"},
    ]
    docs = [
        inv("A1", "2025-09-01", "2025-10-01", "100.00"),
        inv("A2", "2025-09-01", "2025-10-01", "200.00", disputed="true", dispute_reason="pricing"),
        inv("A3", "2025-09-01", "2025-10-01", "300.00"),
        inv("A4", "2025-09-01", "2025-10-01", "400.00"),
        inv("B1", "2025-09-01", "2025-10-01", "150.00", customer="C2"),
        inv("G1", "2025-09-01", "2025-10-01", "250.00", customer="C3"),
        inv("D1", "2025-09-01", "2025-10-01", "350.00", customer="C4"),
    ]
    led = ledger(tmp_path, customers=customers, documents=docs)
    state = DunningState(
        disputed_documents=frozenset({"A3"}),
        promised_documents=frozenset({"A4"}),
        promised_accounts=frozenset({("C2", "EUR")}),
        no_dunning=frozenset({"C3"}),
    )
    run = plan_run(led, date(2026, 1, 15), POLICY, state)
    lines = _levels(run)
    assert lines["A1"] == (0, 4, "claimed", "")  # a first run: 106 days overdue places it by age at the formal notice
    assert lines["A2"] == (0, 0, "skipped", "disputed")
    assert lines["A3"] == (0, 0, "skipped", "disputed")
    assert lines["A4"] == (0, 0, "skipped", "live promise to pay")
    assert lines["B1"][3] == "live promise to pay"
    assert lines["G1"][3] == "customer flagged no-dunning"
    assert lines["D1"][3] == "customer status litigation"
    (comm,) = run.communications
    assert comm.customer_id == "C1" and [line.document_id for line in comm.lines] == ["A1"]
    # the statement of account still shows every open item with its status
    statuses = {s.document_id: s.status for s in comm.statement}
    assert statuses == {"A1": "overdue", "A2": "disputed", "A3": "disputed", "A4": "promised"}


def test_one_communication_per_customer_and_currency_at_the_highest_level(tmp_path) -> None:
    customers = [{**FR, "currency": "EUR"}]
    docs = [
        inv("E1", "2025-11-01", "2025-12-01", "1000.00"),
        inv("E2", "2026-01-01", "2026-01-10", "500.00"),
        inv("U1", "2025-12-01", "2026-01-05", "80.00", currency="USD"),
        inv("N1", "2026-01-01", "2026-02-28", "700.00"),  # not due yet: on the statement, not claimed
    ]
    pays = [pay("P1", "2026-01-12", "300.00")]
    led = ledger(
        tmp_path,
        customers=customers,
        documents=docs,
        payments=pays,
        fx=[{"date": "2025-01-01", "currency": "USD", "rate": "0.9"}],
    )
    state = DunningState(last_run=date(2026, 1, 1), item_levels={"E1": (1, date(2025, 12, 10))})
    run = plan_run(led, date(2026, 1, 20), POLICY, state)
    comms = {c.currency: c for c in run.communications}
    assert set(comms) == {"EUR", "USD"}
    eur = comms["EUR"]
    assert eur.level == 2  # E1 rose 1 -> 2; E2 rose 0 -> 1; the letter is at the highest
    assert {(line.document_id, line.level) for line in eur.lines} == {("E1", 2), ("E2", 1)}
    assert [c.source_id for c in eur.credits] == ["P1"]
    assert eur.amount_due == Decimal("1200.00")  # 1000 + 500 - 300 unapplied
    assert {s.document_id: s.status for s in eur.statement} == {
        "E1": "overdue",
        "E2": "overdue",
        "N1": "not due",
        "P1": "unapplied",
    }
    assert comms["USD"].lines[0].open == Decimal("80.00")


def test_minimum_amount_and_credits_that_cover_the_overdue(tmp_path) -> None:
    customers = [FR, {**FR, "customer_id": "C2", "name": "Beta"}]
    docs = [
        inv("S1", "2025-11-01", "2025-12-01", "24.99"),
        inv("S2", "2025-11-01", "2025-12-01", "90.00", customer="C2"),
    ]
    pays = [pay("P2", "2025-12-20", "100.00", customer="C2")]
    led = ledger(tmp_path, customers=customers, documents=docs, payments=pays)
    run = plan_run(led, date(2026, 1, 5), POLICY)
    assert run.communications == ()
    reasons = dict(run.skipped.select("customer_id", "reason").iter_rows())
    assert reasons["C1"] == "overdue total below the minimum of 25 EUR"
    assert reasons["C2"] == "unapplied credits cover the overdue items"


def test_interest_follows_partial_payments_and_uk_compensation_tiers(tmp_path) -> None:
    uk = {
        "customer_id": "G1",
        "name": "Brit Ltd",
        "country": "GB",
        "currency": "GBP",
        "collector": "Ann",
        "language": "en",
        "segment": "small",
    }
    docs = [inv("K1", "2025-06-01", "2025-07-01", "2000.00", customer="G1", currency="GBP")]
    pays = [pay("Q1", "2025-07-16", "500.00", customer="G1", currency="GBP")]
    allocs = [alloc("Q1", "K1", "500.00", "2025-07-16")]
    led = ledger(
        tmp_path,
        customers=[uk],
        documents=docs,
        payments=pays,
        allocations=allocs,
        fx=[{"date": "2025-01-01", "currency": "GBP", "rate": "1.17"}],
    )
    state = DunningState(last_run=date(2025, 8, 1), item_levels={"K1": (3, date(2025, 8, 1))})
    (comm,) = plan_run(led, date(2025, 8, 15), POLICY, state).communications
    assert comm.level == 4
    # UK: Bank Rate on 30 Jun 2025 (4.25 %) + 8 = 12.25 %; 2,000 for 15 days (2..16 Jul), then 1,500 for 30 days
    expected = ((Decimal(2000) * 15 + Decimal(1500) * 30) * Decimal("12.25") / 100 / 365).quantize(Decimal("0.01"))
    assert comm.lines[0].interest == expected == Decimal("25.17")
    # the debt still owed is 1,500 GBP: the 1,000-9,999.99 tier
    assert comm.lines[0].compensation == Decimal("70.00")


def test_policy_variants_choose_levels_and_fees(tmp_path) -> None:
    us = {
        "customer_id": "U1",
        "name": "Acme Inc",
        "country": "US",
        "currency": "USD",
        "collector": "Bob",
        "language": "en",
        "segment": "small",
    }
    key = {**FR, "customer_id": "K1", "name": "Key SA", "segment": "key account"}
    docs = [
        inv("X1", "2025-09-01", "2025-10-01", "5000.00", customer="U1", currency="USD"),
        inv("Y1", "2025-09-01", "2026-01-01", "5000.00", customer="K1"),
    ]
    led = ledger(
        tmp_path, customers=[us, key], documents=docs, fx=[{"date": "2025-01-01", "currency": "USD", "rate": "0.9"}]
    )
    state = DunningState(last_run=date(2026, 1, 1), item_levels={"X1": (3, date(2025, 12, 1))})
    comms = {c.customer_id: c for c in plan_run(led, date(2026, 1, 8), POLICY, state).communications}
    final = comms["U1"]
    assert (final.level_name, final.template, final.actions) == ("Final demand", "final_demand", ("suspend",))
    assert final.fee == Decimal("25.00") and final.interest_total == 0  # Americas: no statutory interest
    assert final.amount_due == Decimal("5025.00")
    # key accounts wait 10 days before the first reminder
    assert "K1" not in comms
    # a first run (no history): by age, U1 (102 days) stops below the Americas variant's level 4, which suspends
    later = {c.customer_id: c for c in plan_run(led, date(2026, 1, 11), POLICY).communications}
    assert later["K1"].level_name == "Courtesy reminder" and later["U1"].level == 3


def _aged(tmp_path):
    """Items 5, 20, 45 and 106 days overdue on 2026-11-20 (due 15 Nov, 31 Oct, 6 Oct, 6 Aug)."""
    documents = [
        inv("D005", "2026-10-15", "2026-11-15", "100.00"),
        inv("D020", "2026-09-30", "2026-10-31", "200.00"),
        inv("D045", "2026-09-06", "2026-10-06", "300.00"),
        inv("D106", "2026-07-06", "2026-08-06", "400.00"),
    ]
    return ledger(tmp_path, customers=[FR], documents=documents)


def test_a_first_run_places_items_by_age_at_the_level_they_would_have_reached(tmp_path) -> None:
    from workbench.collections.dunning import level_by_age

    led = _aged(tmp_path)
    run = plan_run(led, date(2026, 11, 20), POLICY)
    assert {d: (prev, level) for d, (prev, level, _, _) in _levels(run).items()} == {
        "D005": (0, 1),  # 5 days after due: the friendly reminder
        "D020": (0, 2),  # reminder on day 5, second reminder 14 days later (day 19)
        "D045": (0, 4),  # ... call day 26, formal notice day 36; the final demand suspends: never by a first letter
        "D106": (0, 4),  # the formal notice too: suspension and agency follow only on later runs
    }
    assert run.first_run == "first run: 3 items placed by age at levels 2-4"
    assert run.summary()["first_run"] == run.first_run
    (comm,) = run.communications
    assert (comm.level, comm.channel, comm.actions) == (4, "letter", ())
    assert [line.level for line in comm.lines] == [4, 4, 2, 1]
    levels = POLICY.default.levels
    assert level_by_age(levels, date(2026, 11, 15), date(2026, 11, 19)) == 0  # 4 days: not yet level 1
    assert level_by_age(levels, date(2026, 10, 31), date(2026, 11, 18)) == 1  # 18 days: second reminder due on day 19


def test_a_first_run_under_level_one_starts_every_item_at_level_one(tmp_path) -> None:
    led = _aged(tmp_path)
    own = tmp_path / "policy.toml"
    own.write_text('[dunning]\nfirst_run = "level_one"\n', encoding="utf-8")
    run = plan_run(led, date(2026, 11, 20), load_policy(own))
    assert {d: level for d, (_, level, _, _) in _levels(run).items()} == {"D005": 1, "D020": 1, "D045": 1, "D106": 1}
    assert run.first_run == 'first run: every item starts at level 1 (policy first_run = "level_one")'


def test_later_runs_climb_one_level_as_before_whatever_the_age(tmp_path) -> None:
    led = _aged(tmp_path)
    state = DunningState(last_run=date(2026, 11, 13))
    run = plan_run(led, date(2026, 11, 20), POLICY, state)
    assert {d: level for d, (_, level, _, _) in _levels(run).items()} == {"D005": 1, "D020": 1, "D045": 1, "D106": 1}
    assert run.first_run == "" and "first_run" not in run.summary()


def test_a_bad_first_run_rule_is_refused_with_its_path(tmp_path) -> None:
    own = tmp_path / "policy.toml"
    own.write_text('[dunning]\nfirst_run = "oldest"\n', encoding="utf-8")
    with pytest.raises(Exception, match=r"dunning\.first_run"):
        load_policy(own)
