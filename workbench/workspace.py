"""The workspace: one folder, one ``workbench.toml``, that binds a company's ledger, journal, policies and letterheads.

A workspace names, relative to its own folder unless absolute:

- ``[workspace]``: its identity (``id``, written once by ``workbench init``)
  and the ``company`` name;
- ``[paths]``: the ``ledger`` folder, the ``journal`` (a SQLite file or a
  ``postgresql://`` URL without a password), the journal's ``journal_key``
  file, the ``collections_policy`` and ``credit_policy`` files, and the
  ``reports`` and ``runs`` output folders, and the ``cache`` folder where
  the validated ledger is kept between commands (:mod:`workbench.ledger.cache`);
- ``[entities.<code>]``: per selling entity the letterhead printed on
  letters, e-mails and statements (legal name, postal address, registration
  and VAT numbers, contact) and ``[[entities.<code>.bank_accounts]]``, one
  per currency the entity collects in (IBAN and BIC, or account and routing
  number).

Commands find it with ``--workspace DIR``, ``WORKBENCH_WORKSPACE``, or by
looking in the current folder and its parents (:func:`find_workspace`). The
file is checked against a declared shape (:mod:`workbench.policy`), and bank
details with their check digits (python-stdnum), so a typo is an error
naming the key, never a wrong account on a letter.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import WorkbenchError
from .policy import ListOf, MapOf, PolicyError, Table, currency_code, read_toml, text, texts, validate

__all__ = [
    "WORKSPACE_ENV",
    "WORKSPACE_FILE",
    "BankAccount",
    "Letterhead",
    "Workspace",
    "WorkspaceError",
    "find_workspace",
    "load_workspace",
    "workspace_of",
    "render_workspace_toml",
]

WORKSPACE_FILE = "workbench.toml"
"""The name of a workspace's file."""

WORKSPACE_ENV = "WORKBENCH_WORKSPACE"
"""Environment variable naming the workspace folder (or its file)."""


class WorkspaceError(WorkbenchError):
    """No workspace where one was asked for, or a ``workbench.toml`` that breaks its shape (every problem listed)."""


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class BankAccount:
    """An account an entity collects into, in one currency (IBAN and BIC, or account and routing number)."""

    currency: str
    bank: str = ""
    iban: str = ""
    bic: str = ""
    account: str = ""
    routing: str = ""


@dataclass(frozen=True)
class Letterhead:
    """Who a selling entity is on its letters: name, address, numbers, contact, and its bank accounts."""

    entity: str
    legal_name: str
    address: tuple[str, ...] = ()
    country: str = ""
    registration: str = ""
    vat_id: str = ""
    department: str = "Credit Control"
    email: str = ""
    phone: str = ""
    bank_accounts: tuple[BankAccount, ...] = ()

    def account(self, currency: str) -> BankAccount | None:
        """The bank account for ``currency``, or None when the entity has none in that currency."""
        return next((acc for acc in self.bank_accounts if acc.currency == currency), None)


@dataclass(frozen=True)
class Workspace:
    """A loaded ``workbench.toml``: paths resolved against its folder, letterheads by entity code."""

    root: Path
    id: str
    company: str
    ledger: Path
    journal: str
    journal_key: Path | None
    collections_policy: Path | None
    credit_policy: Path | None
    reports: Path
    runs: Path
    entities: Mapping[str, Letterhead]
    cache: Path
    """Where the validated ledger is kept between commands (``paths.cache``, default ``.workbench/cache``)."""

    @property
    def file(self) -> Path:
        """The workspace's ``workbench.toml``."""
        return self.root / WORKSPACE_FILE

    def letterhead(self, entity: str) -> Letterhead | None:
        """The letterhead of ``entity``, or None when the workspace has none for it."""
        return self.entities.get(entity)


# --------------------------------------------------------------------------- the declared shape


def _iban(value: Any) -> str | None:
    from stdnum import iban

    if not isinstance(value, str):
        return "must be text"
    return None if iban.is_valid(value) else f"is not a valid IBAN (check digits or length): {value!r}"


def _bic(value: Any) -> str | None:
    from stdnum import bic

    if not isinstance(value, str):
        return "must be text"
    return None if bic.is_valid(value) else f"is not a valid BIC: {value!r}"


def _routing(value: Any) -> str | None:
    from stdnum.us import rtn

    if not isinstance(value, str):
        return "must be text"
    return None if rtn.is_valid(value) else f"is not a valid ABA routing number (9 digits, check digit): {value!r}"


def _account_rule(value: Any) -> list[tuple[str, str]]:
    """An account names either an IBAN or an account number, not neither."""
    if not value.get("iban") and not value.get("account"):
        return [("", "needs an iban, or an account (with a routing number where the country uses one)")]
    return []


def _entity_rule(value: Any) -> list[tuple[str, str]]:
    currencies = [acc["currency"] for acc in value.get("bank_accounts", [])]
    twice = sorted({c for c in currencies if currencies.count(c) > 1})
    return [("bank_accounts", f"has two accounts in {', '.join(twice)}: keep one per currency")] if twice else []


_ACCOUNT = Table(
    {
        "currency": currency_code,
        "bank": text(),
        "iban": _iban,
        "bic": _bic,
        "account": text(),
        "routing": _routing,
    },
    optional=frozenset({"bank", "iban", "bic", "account", "routing"}),
    rule=_account_rule,
)

_ENTITY = Table(
    {
        "legal_name": text(),
        "address": texts(),
        "country": text(),
        "registration": text(),
        "vat_id": text(),
        "department": text(),
        "email": text(),
        "phone": text(),
        "bank_accounts": ListOf(_ACCOUNT, what="a list of bank accounts ([[entities.<code>.bank_accounts]])"),
    },
    optional=frozenset({"address", "country", "registration", "vat_id", "department", "email", "phone"}),
    defaults={"bank_accounts": []},
    rule=_entity_rule,
)

SHAPE = Table(
    {
        "workspace": Table({"id": text(), "company": text()}),
        "paths": Table(
            {
                "ledger": text(),
                "journal": text(),
                "journal_key": text(),
                "collections_policy": text(),
                "credit_policy": text(),
                "reports": text(),
                "runs": text(),
                "cache": text(),
            },
            optional=frozenset({"journal_key", "collections_policy", "credit_policy"}),
            defaults={
                "ledger": "ledger",
                "journal": "journal.sqlite",
                "reports": "reports",
                "runs": "runs",
                "cache": ".workbench/cache",
            },
        ),
        "entities": MapOf(_ENTITY, what="a table of entities ([entities.<code>])"),
    },
    defaults={"paths": {}, "entities": {}},
)
"""The declared shape of ``workbench.toml``."""


# --------------------------------------------------------------------------- finding and loading


def find_workspace(start: Path | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """The ``workbench.toml`` that applies: ``WORKBENCH_WORKSPACE``, else ``start`` (default: here) or a parent.

    A folder named by ``WORKBENCH_WORKSPACE`` without the file raises
    :class:`WorkspaceError`; otherwise None when there is no workspace.
    """
    environ = os.environ if env is None else env
    named = environ.get(WORKSPACE_ENV, "")
    if named:
        return workspace_file(Path(named))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / WORKSPACE_FILE
        if candidate.is_file():
            return candidate
    return None


def workspace_of(ledger: Path | None = None, env: Mapping[str, str] | None = None) -> Workspace | None:
    """The workspace a command or a notebook works in, or None for a bare ledger folder.

    Without ``ledger``: ``WORKBENCH_WORKSPACE``, else the ``workbench.toml`` in
    the current folder or a parent. With ``ledger``: the workspace found the
    same way from the ledger's folder, only when its ledger is that folder
    (another company's workspace never applies to it).
    """
    file = find_workspace(None if ledger is None else Path(ledger), env)
    if file is None:
        return None
    found = load_workspace(file)
    if ledger is not None and found.ledger.resolve() != Path(ledger).resolve():
        return None
    return found


def workspace_file(path: Path) -> Path:
    """The ``workbench.toml`` of a workspace folder (or the file itself); raises when there is none."""
    file = path if path.is_file() else path / WORKSPACE_FILE
    if not file.is_file():
        raise WorkspaceError(f"no workspace at {path}: {file} does not exist (create one with `workbench init`)")
    return file


def _resolve(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def load_workspace(path: Path) -> Workspace:
    """Read and check a workspace (its folder or its ``workbench.toml``); every problem named by its key."""
    file = workspace_file(path)
    try:
        raw = read_toml(file, str(file), "workspace")
        values, problems = validate(raw, SHAPE)
    except PolicyError as exc:
        raise WorkspaceError(str(exc)) from None
    if problems:
        raise WorkspaceError(f"invalid workspace file {file}:\n" + "\n".join(f"  - {p}" for p in problems))
    root = file.parent.resolve()
    paths = values["paths"]
    journal = str(paths["journal"])
    if "://" in journal and "@" in journal.split("://", 1)[1].split("/", 1)[0]:
        userinfo = journal.split("://", 1)[1].split("@", 1)[0]
        if ":" in userinfo:
            raise WorkspaceError(
                f"{file}: paths.journal must not hold a password; use PGPASSWORD, ~/.pgpass or a service file"
            )
    entities = {
        code: Letterhead(
            entity=code,
            legal_name=str(item["legal_name"]),
            address=tuple(item.get("address", ())),
            country=str(item.get("country", "")),
            registration=str(item.get("registration", "")),
            vat_id=str(item.get("vat_id", "")),
            department=str(item.get("department", "Credit Control")),
            email=str(item.get("email", "")),
            phone=str(item.get("phone", "")),
            bank_accounts=tuple(
                BankAccount(
                    currency=str(acc["currency"]),
                    bank=str(acc.get("bank", "")),
                    iban=str(acc.get("iban", "")),
                    bic=str(acc.get("bic", "")),
                    account=str(acc.get("account", "")),
                    routing=str(acc.get("routing", "")),
                )
                for acc in item["bank_accounts"]
            ),
        )
        for code, item in values["entities"].items()
    }
    return Workspace(
        root=root,
        id=str(values["workspace"]["id"]),
        company=str(values["workspace"]["company"]),
        ledger=_resolve(root, str(paths["ledger"])),
        journal=journal if "://" in journal else str(_resolve(root, journal)),
        journal_key=_resolve(root, str(paths["journal_key"])) if paths.get("journal_key") else None,
        collections_policy=_resolve(root, str(paths["collections_policy"]))
        if paths.get("collections_policy")
        else None,
        credit_policy=_resolve(root, str(paths["credit_policy"])) if paths.get("credit_policy") else None,
        reports=_resolve(root, str(paths["reports"])),
        runs=_resolve(root, str(paths["runs"])),
        entities=entities,
        cache=_resolve(root, str(paths["cache"])),
    )


# --------------------------------------------------------------------------- writing a new one


def _toml_text(value: str) -> str:
    """A TOML basic string (quotes, backslashes and control characters escaped)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    for char in ("\n", "\r", "\t"):
        escaped = escaped.replace(char, {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
    return f'"{escaped}"'


def render_workspace_toml(
    company: str,
    *,
    workspace_id: str | None = None,
    ledger: str = "ledger",
    journal: str = "journal.sqlite",
    journal_key: str = ".workbench/journal.key",
    entities: Mapping[str, Letterhead] | None = None,
) -> str:
    """The text of a new ``workbench.toml`` (commented, so a person can complete it by hand)."""
    lines = [
        "# The workspace of one company: its ledger, journal, policies and letterheads (docs/workspace.md).",
        "",
        "[workspace]",
        f"id = {_toml_text(workspace_id or uuid.uuid4().hex)}  # written once; the journal records it",
        f"company = {_toml_text(company)}",
        "",
        "[paths]  # relative to this folder",
        f"ledger = {_toml_text(ledger)}",
        f"journal = {_toml_text(journal)}  # or postgresql://user@host/db (password: PGPASSWORD or ~/.pgpass)",
        f"journal_key = {_toml_text(journal_key)}  # keep it out of backups that hold the journal",
        '# collections_policy = "policies/collections.toml"',
        '# credit_policy = "policies/credit.toml"',
        'reports = "reports"',
        'runs = "runs"',
        'cache = ".workbench/cache"  # the validated ledger between commands; safe to delete',
    ]
    for code, head in (entities or {}).items():
        lines += ["", f"[entities.{_toml_text(code)}]", f"legal_name = {_toml_text(head.legal_name)}"]
        if head.address:
            lines.append("address = [" + ", ".join(_toml_text(line) for line in head.address) + "]")
        for key in ("country", "registration", "vat_id", "department", "email", "phone"):
            value = getattr(head, key)
            if value:
                lines.append(f"{key} = {_toml_text(value)}")
        for acc in head.bank_accounts:
            lines += ["", f"[[entities.{_toml_text(code)}.bank_accounts]]", f"currency = {_toml_text(acc.currency)}"]
            for key in ("bank", "iban", "bic", "account", "routing"):
                value = getattr(acc, key)
                if value:
                    lines.append(f"{key} = {_toml_text(value)}")
    return "\n".join(lines) + "\n"
