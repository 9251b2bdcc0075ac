"""``workbench init``: create a workspace (workbench.toml, the journal and its key) for one company."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import fail

__all__ = ["register"]


def init(
    folder: Annotated[Path, typer.Argument(help="The workspace folder (created if missing).", file_okay=False)] = Path(
        "."
    ),
    company: Annotated[Optional[str], typer.Option("--company", help="The company's name.")] = None,
    ledger: Annotated[str, typer.Option("--ledger", help="Ledger folder, relative to the workspace.")] = "ledger",
    journal: Annotated[
        str, typer.Option("--journal", help="Journal: a SQLite file in the workspace, or postgresql://user@host/db.")
    ] = "journal.sqlite",
    key_file: Annotated[
        str, typer.Option("--key-file", help="The journal key file, relative to the workspace.")
    ] = ".workbench/journal.key",
    entity: Annotated[Optional[str], typer.Option("--entity", help="Code of the (first) selling entity.")] = None,
    legal_name: Annotated[Optional[str], typer.Option("--legal-name", help="The entity's legal name.")] = None,
    address: Annotated[Optional[list[str]], typer.Option("--address", help="A postal address line (repeat).")] = None,
    country: Annotated[str, typer.Option("--country", help="The entity's country (ISO code).")] = "",
    vat_id: Annotated[str, typer.Option("--vat-id", help="The entity's VAT number.")] = "",
    registration: Annotated[str, typer.Option("--registration", help="Company registration number.")] = "",
    email: Annotated[str, typer.Option("--email", help="Credit department e-mail (sender of reminders).")] = "",
    phone: Annotated[str, typer.Option("--phone", help="Credit department phone.")] = "",
    currency: Annotated[Optional[str], typer.Option("--currency", help="Currency of the bank account.")] = None,
    iban: Annotated[str, typer.Option("--iban", help="IBAN of the account in --currency.")] = "",
    bic: Annotated[str, typer.Option("--bic", help="BIC of that account.")] = "",
    account: Annotated[str, typer.Option("--account", help="Account number (where there is no IBAN).")] = "",
    routing: Annotated[str, typer.Option("--routing", help="ABA routing number (US accounts).")] = "",
) -> None:
    """Create a workspace: workbench.toml, the journal (keyed) bound to it, and the key file. Nothing is overwritten.

    Without --company on a terminal, asks for the company and the first
    entity's letterhead; other entities and accounts are added by editing
    workbench.toml (docs/workspace.md).
    """
    from ..journal import Journal
    from ..workspace import (
        WORKSPACE_FILE,
        BankAccount,
        Letterhead,
        WorkspaceError,
        load_workspace,
        render_workspace_toml,
    )

    target = folder / WORKSPACE_FILE
    if target.exists():
        fail(f"{target} already exists: this folder is a workspace already (nothing was changed)")
    asking = company is None and sys.stdin.isatty()
    if company is None:
        if not asking:
            fail("--company is required (or run `workbench init` on a terminal to be asked)")
        company = typer.prompt("Company name")
        entity = entity or typer.prompt("Code of the first selling entity (as in the ledger's entity column)", "MAIN")
        legal_name = legal_name or typer.prompt("Its legal name", company)
        address = address or [
            line for line in typer.prompt("Its postal address (lines separated by ';')", "").split(";")
        ]
        currency = currency or typer.prompt("Currency of its bank account", "EUR")
        iban = iban or typer.prompt("IBAN of that account (empty if it has none)", "", show_default=False)
        if iban:
            bic = bic or typer.prompt("BIC", "", show_default=False)
        else:
            account = account or typer.prompt("Account number", "", show_default=False)
            routing = routing or typer.prompt("Routing number (US)", "", show_default=False)
        email = email or typer.prompt("Credit department e-mail", "", show_default=False)
    entities = {}
    if entity:
        accounts: tuple[BankAccount, ...] = ()
        if currency:
            accounts = (BankAccount(currency=currency.upper(), iban=iban, bic=bic, account=account, routing=routing),)
        entities[entity] = Letterhead(
            entity=entity,
            legal_name=legal_name or company,
            address=tuple(line.strip() for line in (address or []) if line.strip()),
            country=country,
            registration=registration,
            vat_id=vat_id,
            email=email,
            phone=phone,
            bank_accounts=accounts,
        )
    text = render_workspace_toml(company, ledger=ledger, journal=journal, journal_key=key_file, entities=entities)
    folder.mkdir(parents=True, exist_ok=True)
    draft = folder / f".{WORKSPACE_FILE}.draft"
    draft.write_text(text, encoding="utf-8")
    try:
        space = load_workspace(draft)
    except WorkspaceError as exc:
        draft.unlink()
        fail(str(exc).replace(str(draft), "the workspace"))
    try:
        os.link(draft, target)  # never over a file that appeared meanwhile
    except FileExistsError:
        fail(f"{target} already exists: nothing was changed")
    finally:
        draft.unlink(missing_ok=True)
    with Journal.open(space.journal, author="workbench init", create=True, key_file=space.journal_key) as book:
        binding = book.workspace_binding()
        if binding is not None and binding["workspace_id"] != space.id:
            target.unlink()
            fail(f"the journal {space.journal} belongs to workspace {binding['company']} already; nothing was created")
        book.bind_workspace(space.id, company=space.company, ledger=str(space.ledger), on=date.today())
        protection = book.protection()
    typer.echo(f"workspace created: {target}")
    typer.echo(f"journal: {space.journal}" + (f" (key id {protection.key_id})" if protection else ""))
    if not space.ledger.exists():
        typer.echo(f"next: put or import the ledger into {space.ledger} (docs/workspace.md)")
    if not entities or not any(head.bank_accounts for head in entities.values()):
        typer.echo("note: add each entity's letterhead and bank accounts to workbench.toml before a dunning run")


def register(app: typer.Typer) -> None:
    """Add ``workbench init``."""
    app.command()(init)
