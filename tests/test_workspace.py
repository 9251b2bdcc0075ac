"""The workspace: workbench.toml checked by key, letterheads per entity and currency, the journal bound to it."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from workbench.collections.model import Communication
from workbench.collections.policy import load_policy
from workbench.journal import Journal
from workbench.letters.run import carry_out
from workbench.letters.senders import Senders, sender_from
from workbench.letters.text import LetterError
from workbench.workspace import WorkspaceError, find_workspace, load_workspace, workspace_of

from .builders import inv, ledger, letterheads, write_ledger, write_workspace
from workbench.ledger import load_ledger

AS_OF = date(2026, 11, 20)

GOOD = """
[workspace]
id = "w1"
company = "Acme Group"

[paths]
ledger = "books"

[entities.FR01]
legal_name = "Acme France SAS"
address = ["1 rue X", "75001 Paris"]

[[entities.FR01.bank_accounts]]
currency = "EUR"
iban = "FR76 3000 6000 0112 3456 7890 189"
bic = "AGRIFRPP"

[entities.US01]
legal_name = "Acme Inc."

[[entities.US01.bank_accounts]]
currency = "USD"
account = "000123456789"
routing = "021000021"
"""


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_a_workspace_file_resolves_paths_and_letterheads(tmp_path) -> None:
    (tmp_path / "workbench.toml").write_text(GOOD, encoding="utf-8")
    space = load_workspace(tmp_path)
    assert (space.id, space.company) == ("w1", "Acme Group")
    assert space.ledger == tmp_path.resolve() / "books"
    assert space.journal == str(tmp_path.resolve() / "journal.sqlite")
    assert space.reports == tmp_path.resolve() / "reports"
    fr, us = space.entities["FR01"], space.entities["US01"]
    assert fr.address == ("1 rue X", "75001 Paris") and fr.account("EUR").bic == "AGRIFRPP"
    assert fr.account("USD") is None
    assert (us.account("USD").account, us.account("USD").routing) == ("000123456789", "021000021")
    (tmp_path / "books" / "deep").mkdir(parents=True)
    assert find_workspace(tmp_path / "books" / "deep", env={}) == tmp_path.resolve() / "workbench.toml"
    assert workspace_of(tmp_path / "books", env={}).id == "w1"
    assert workspace_of(tmp_path / "books" / "deep", env={}) is None  # not this workspace's ledger


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('"AGRIFRPP"', '"AGRIFRPP"\ncolour = "blue"'), "entities.FR01.bank_accounts[0].colour: unknown key"),
        (("189", "188"), "entities.FR01.bank_accounts[0].iban: is not a valid IBAN (check digits or length)"),
        (('"AGRIFRPP"', '"XX"'), "entities.FR01.bank_accounts[0].bic: is not a valid BIC: 'XX'"),
        (("021000021", "021000022"), "entities.US01.bank_accounts[0].routing: is not a valid ABA routing number"),
        (('account = "000123456789"\n', ""), "entities.US01.bank_accounts[0]: needs an iban, or an account"),
        (('currency = "USD"', 'currency = "usd"'), "entities.US01.bank_accounts[0].currency"),
        (('ledger = "books"', 'ledger = "books"\njournal = "postgresql://u:pw@db/x"'), "must not hold a password"),
    ],
)
def test_every_mistake_in_the_file_is_named_by_its_key(tmp_path, change, problem) -> None:
    (tmp_path / "workbench.toml").write_text(GOOD.replace(*change, 1), encoding="utf-8")
    with pytest.raises(WorkspaceError) as caught:
        load_workspace(tmp_path)
    assert problem in str(caught.value)


def test_two_accounts_in_one_currency_are_refused(tmp_path) -> None:
    twice = GOOD + '\n[[entities.US01.bank_accounts]]\ncurrency = "USD"\naccount = "1"\n'
    (tmp_path / "workbench.toml").write_text(twice, encoding="utf-8")
    with pytest.raises(WorkspaceError, match="entities.US01.bank_accounts: has two accounts in USD"):
        load_workspace(tmp_path)


def _comm(entity: str, currency: str) -> Communication:
    return Communication(
        as_of=AS_OF,
        customer_id="C1",
        customer_name="Client",
        country="FR",
        language="fr",
        email="",
        phone="",
        collector="",
        currency=currency,
        level=1,
        level_name="Reminder",
        channel="letter",
        template="",
        lines=(),
        entity=entity,
    )


def test_each_communication_is_signed_by_its_entity_with_the_account_in_its_currency(tmp_path) -> None:
    (tmp_path / "workbench.toml").write_text(GOOD, encoding="utf-8")
    heads = load_workspace(tmp_path).entities
    senders = Senders(heads)
    eur = senders.for_communication(_comm("FR01", "EUR"))
    assert (eur.name, eur.iban, eur.bic, eur.account) == (
        "Acme France SAS",
        "FR76 3000 6000 0112 3456 7890 189",
        "AGRIFRPP",
        "",
    )
    usd = senders.for_communication(_comm("US01", "USD"))
    assert (usd.name, usd.iban, usd.account, usd.routing) == ("Acme Inc.", "", "000123456789", "021000021")
    assert sender_from(heads["US01"], "EUR").iban == ""  # never another account's details
    comms = [_comm("US01", "EUR"), _comm("US01", "EUR"), _comm("DE01", "EUR")]
    assert senders.problems(comms) == [
        'entity US01 has no bank account in EUR: add [[entities.US01.bank_accounts]] with currency = "EUR" '
        "to workbench.toml (2 communications)",
        "entity DE01 has no letterhead: add [entities.DE01] to workbench.toml (legal name, address, bank accounts) "
        "(1 communication)",
    ]
    with pytest.raises(LetterError, match="customer C1: entity DE01 has no letterhead"):
        senders.for_communication(_comm("DE01", "EUR"))


@pytest.fixture()
def led(tmp_path):
    customers = [
        {"customer_id": "C1", "name": "Un", "country": "FR", "currency": "EUR", "entity": "FR01"},
        {"customer_id": "C2", "name": "Two", "country": "US", "currency": "USD", "entity": "US01"},
    ]
    docs = [
        inv("I1", "2026-09-01", "2026-10-01", "100.00", customer="C1", entity="FR01"),
        inv("I2", "2026-09-01", "2026-10-01", "200.00", customer="C2", entity="US01", currency="USD"),
    ]
    return ledger(tmp_path / "ledger", customers=customers, documents=docs)


def test_a_run_missing_a_letterhead_writes_nothing_and_records_nothing(led, tmp_path) -> None:
    heads = {"FR01": letterheads()["FR01"]}
    with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
        with pytest.raises(LetterError) as caught:
            carry_out(led, AS_OF, load_policy(), tmp_path / "run", journal=book, letterheads=heads)
        assert book.history().height == 0
    assert "entity US01 has no letterhead" in str(caught.value) and "(1 communication)" in str(caught.value)
    assert not (tmp_path / "run").exists()
    done = carry_out(led, AS_OF, load_policy(), tmp_path / "dry", dry_run=True, letterheads=letterheads())
    assert {c.entity for c in done.run.communications} == {"FR01", "US01"}


def test_a_policy_that_still_has_a_sender_is_refused(led, tmp_path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[sender]\niban = "FR76 3000 6000 0112 3456 7890 189"\n', encoding="utf-8")
    from workbench.collections.policy import load_policy as load

    with pytest.raises(LetterError, match=r"has a \[sender\] table: letterheads and bank accounts now live"):
        carry_out(led, AS_OF, load(policy), tmp_path / "run", dry_run=True, letterheads=letterheads())


def test_init_creates_the_workspace_and_binds_its_journal(tmp_path) -> None:
    done = cli(
        "init", str(tmp_path / "acme"), "--company", "Acme Group", "--entity", "FR01",
        "--legal-name", "Acme France SAS", "--currency", "EUR", "--iban", "FR76 3000 6000 0112 3456 7890 189",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    space = load_workspace(tmp_path / "acme")
    assert space.entities["FR01"].account("EUR").iban == "FR76 3000 6000 0112 3456 7890 189"
    assert (tmp_path / "acme" / ".workbench" / "journal.key").is_file()
    with Journal.open(space.journal, key_file=space.journal_key) as book:
        assert book.workspace_binding() == {
            "workspace_id": space.id,
            "company": "Acme Group",
            "ledger": str(space.ledger),
        }
        assert book.verify() == []
    again = cli("init", str(tmp_path / "acme"), "--company", "Other")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert load_workspace(tmp_path / "acme").company == "Acme Group"  # nothing was changed
    bad = cli("init", str(tmp_path / "bad"), "--company", "X", "--entity", "E", "--currency", "EUR", "--iban", "FR00")
    assert bad.returncode == 2 and "is not a valid IBAN" in bad.stderr
    assert not (tmp_path / "bad" / "workbench.toml").exists()
    quiet = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "init", str(tmp_path / "q")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert quiet.returncode == 2 and "--company is required" in quiet.stderr


def test_commands_find_the_workspace_and_refuse_another_workspace_s_journal(small_demo, tmp_path) -> None:
    import shutil

    for name in ("a", "b"):
        shutil.copytree(small_demo, tmp_path / name / "ledger")
        assert cli("init", str(tmp_path / name), "--company", f"Company {name.upper()}").returncode == 0
    inside = cli("kpis", "--as-of", "2026-11-20", "--json", cwd=tmp_path / "a")
    assert inside.returncode == 0, inside.stderr
    explicit = cli("kpis", "--ledger", str(tmp_path / "a" / "ledger"), "--as-of", "2026-11-20", "--json")
    assert inside.stdout == explicit.stdout
    crossed = cli("journal", "list", "--journal", str(tmp_path / "a" / "journal.sqlite"), cwd=tmp_path / "b")
    assert crossed.returncode == 2
    assert "it belongs to workspace Company A" in crossed.stderr and "not to this workspace Company B" in crossed.stderr
    other_ledger = cli(
        "worklist",
        "--ledger",
        str(small_demo),
        "--as-of",
        "2026-11-20",
        "--journal",
        str(tmp_path / "a" / "journal.sqlite"),
    )
    assert other_ledger.returncode == 2 and "whose ledger is" in other_ledger.stderr
    nowhere = cli("kpis", "--as-of", "2026-11-20", cwd=tmp_path)
    assert nowhere.returncode == 2 and "no ledger: give --ledger DIR, or run inside a workspace" in nowhere.stderr
    by_option = cli("--workspace", str(tmp_path / "b"), "kpis", "--as-of", "2026-11-20", "--json")
    assert by_option.returncode == 0 and by_option.stdout == explicit.stdout


def test_the_demo_refuses_what_it_did_not_make_and_replaces_what_it_did(tmp_path) -> None:
    mine = tmp_path / "mine"
    write_workspace(mine)
    refused = cli("demo", "--out", str(mine / "demo"), "--customers", "30")
    assert refused.returncode == 2 and "is a workspace of your own" in refused.stderr
    assert not (mine / "demo").exists()
    (tmp_path / "j").mkdir()
    Journal.open(tmp_path / "j" / "journal.sqlite", create=True).close()
    kept = cli("demo", "--out", str(tmp_path / "j" / "ledger"), "--customers", "30")
    assert kept.returncode == 2 and "is a journal the demo did not create" in kept.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "customers.csv").write_text("mine\n", encoding="utf-8")
    full = cli("demo", "--out", str(tmp_path / "full"), "--customers", "30")
    assert full.returncode == 2 and (tmp_path / "full" / "customers.csv").read_text() == "mine\n"
    first = cli("demo", "--out", str(tmp_path / "d" / "ledger"), "--customers", "30")
    assert first.returncode == 0, first.stderr
    ident = load_workspace(tmp_path / "d").id
    second = cli("demo", "--out", str(tmp_path / "d" / "ledger"), "--customers", "30")
    assert second.returncode == 0, second.stderr
    assert load_workspace(tmp_path / "d").id == ident
    assert set(load_workspace(tmp_path / "d").entities) == {"FR01", "DE01", "US01"}


@pytest.mark.parametrize(
    ("customer", "lines"),
    [
        (
            {"country": "FR", "address_line1": "12 rue Victor Hugo", "postcode": "69002", "city": "Lyon"},
            ("12 rue Victor Hugo", "69002 Lyon"),
        ),
        (
            {"country": "US", "address_line1": "5 Main Street", "address_line2": "Suite 200", "postcode": "60601",
             "city": "Chicago", "region": "IL"},
            ("5 Main Street", "Suite 200", "Chicago, IL 60601"),
        ),
        (
            {"country": "GB", "address_line1": "1 High Street", "postcode": "EC1A 1BB", "city": "London"},
            ("1 High Street", "London", "EC1A 1BB"),
        ),
        (
            {"country": "BR", "address_line1": "Avenida Paulista, 1000", "postcode": "01310-100",
             "city": "São Paulo", "region": "SP"},
            ("Avenida Paulista, 1000", "01310-100 São Paulo", "SP"),
        ),
        ({"country": "DE", "address_line1": None, "city": ""}, ()),
    ],
)  # fmt: skip
def test_the_window_address_follows_the_country_s_habit(customer, lines) -> None:
    from workbench.collections.dunning import postal_address

    assert postal_address(customer) == lines


def test_demo_customers_have_addresses_in_their_country(small_demo) -> None:
    import polars as pl

    from workbench.ledger import load_ledger

    customers = load_ledger(small_demo).customers
    assert customers.filter(pl.col("address_line1").is_null() | pl.col("city").is_null()).height == 0
    paris = customers.filter(pl.col("country") == "US")
    assert set(paris["region"].to_list()) <= {"IL", "NY", "TX", "WA"}


def test_outputs_default_to_the_workspace_folders(small_demo, tmp_path) -> None:
    import shutil

    shutil.copytree(small_demo, tmp_path / "ws" / "ledger")
    write_workspace(tmp_path / "ws")
    assert cli("journal", "init", cwd=tmp_path / "ws").returncode == 0
    dry = cli("dunning", "run", "--as-of", "2026-11-20", "--dry-run", cwd=tmp_path / "ws")
    assert dry.returncode == 0, dry.stderr
    assert (tmp_path / "ws" / "runs" / "2026-11-20-dry-run" / "summary.json").is_file()
    report = cli("report", "weekly", "--as-of", "2026-11-20", "--no-pdf", cwd=tmp_path / "ws")
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "ws" / "reports" / "2026-11-20" / "weekly_collections_2026-11-20.html").is_file()
    for command in (["dunning", "run", "--dry-run"], ["report", "weekly", "--no-pdf"]):
        bare = cli(*command, "--ledger", str(small_demo), "--as-of", "2026-11-20", cwd=tmp_path)
        assert bare.returncode == 2 and "--out is required outside a workspace" in bare.stderr


def test_reminders_go_to_the_dunning_contacts_before_the_customer_record(tmp_path) -> None:
    import polars as pl

    from workbench.collections.dunning import dunning_emails, plan_run

    contacts = pl.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C2", "C3"],
            "name": ["Ann", "Bob", "Cy", "Di", "Ed"],
            "role": ["billing", "Dunning", "dunning", "accounts_payable", "legal"],
            "email": ["ann@one.example", "bob@one.example", "cy@one.example", "di@two.example", "ed@three.example"],
        }
    )
    assert dunning_emails(contacts) == {"C1": "bob@one.example; cy@one.example", "C2": "di@two.example"}
    customers = [
        {"customer_id": "C1", "name": "One", "country": "FR", "currency": "EUR", "email": "main@one.example"},
        {"customer_id": "C3", "name": "Three", "country": "FR", "currency": "EUR", "email": "main@three.example"},
    ]
    docs = [
        inv("I1", "2026-09-01", "2026-10-01", "100.00", customer="C1"),
        inv("I3", "2026-09-01", "2026-10-01", "50.00", customer="C3"),
    ]
    folder = write_ledger(tmp_path / "ledger", customers=customers, documents=docs)
    contacts.filter(pl.col("customer_id") != "C2").write_csv(folder / "contacts.csv")
    led = load_ledger(folder)
    assert led.report.rows_quarantined == 0
    emails = {c.customer_id: c.email for c in plan_run(led, AS_OF, load_policy()).communications}
    assert emails == {"C1": "bob@one.example; cy@one.example", "C3": "main@three.example"}


def test_reports_read_a_workspace_ledger_through_its_cache(small_demo, tmp_path) -> None:
    import shutil

    from workbench.reports.sources import open_ledger

    shutil.copytree(small_demo, tmp_path / "ws" / "ledger")
    write_workspace(tmp_path / "ws")
    cache = tmp_path / "ws" / ".workbench" / "cache"
    first = open_ledger(tmp_path / "ws" / "ledger")
    assert [p.name.startswith("ledger-") for p in cache.iterdir()] == [True]
    again = open_ledger(tmp_path / "ws" / "ledger")
    assert again.documents.equals(first.documents) and again.report.rows_quarantined == first.report.rows_quarantined
    open_ledger(small_demo)  # a bare folder: no workspace, no cache beside it
    assert not (small_demo.parent / ".workbench").exists()
