"""``workbench dunning run``: reminder letters and e-mails by policy level, recorded in the journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .common import AsOfOpt, JournalOpt, LedgerOpt, fail, ledger_path, load, open_journal, parse_date, workspace_for

if TYPE_CHECKING:
    from ..collections.policy import CollectionsPolicy

dunning_app = typer.Typer(help="Dunning: reminder letters and e-mails by policy level.", no_args_is_help=True)


PolicyOpt = Annotated[
    Optional[Path], typer.Option("--policy", help="Collections policy TOML merged over the default.", dir_okay=False)
]


def _policy(path: Path | None) -> CollectionsPolicy:
    from ..collections.policy import load_policy

    return load_policy(path)


@dunning_app.command("run")
def dunning_run(
    *,
    ledger: LedgerOpt = None,
    as_of: AsOfOpt,
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            help="Folder for the letters, e-mails and run files (default: the workspace's runs/DATE).",
            file_okay=False,
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Preview everything; record and send nothing.")] = False,
    policy: PolicyOpt = None,
    journal: JournalOpt = None,
    author: Annotated[str, typer.Option("--author", help="Name recorded in the journal.")] = "dunning run",
    send: Annotated[bool, typer.Option("--send", help="Send the e-mails by SMTP (not with --dry-run).")] = False,
    smtp_host: Annotated[str, typer.Option("--smtp-host")] = "localhost",
    smtp_port: Annotated[int, typer.Option("--smtp-port")] = 25,
    smtp_user: Annotated[str, typer.Option("--smtp-user")] = "",
    smtp_password_env: Annotated[
        str, typer.Option("--smtp-password-env", help="Environment variable holding the SMTP password.")
    ] = "",
    resend_uncertain: Annotated[
        bool,
        typer.Option(
            "--resend-uncertain",
            help="Also send again the e-mails whose sending was started but never recorded (check the mail log first).",
        ),
    ] = False,
    starttls: Annotated[bool, typer.Option("--starttls")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into --out even when it holds files the workbench did not write, or another date's run.",
        ),
    ] = False,
) -> None:
    """Run dunning for a controlling date: one communication per customer, level and currency."""
    from ..letters.run import carry_out
    from ..reference_rates import load_reference_rates
    from ..reports.sources import ledger_company

    if send and dry_run:
        fail("--send cannot be used with --dry-run")
    day = parse_date(as_of)
    space = workspace_for(ledger)
    if out is None:
        if space is None:
            fail("--out is required outside a workspace (a workspace writes to its runs folder)")
        out = space.runs / f"{day.isoformat()}{'-dry-run' if dry_run else ''}"
    rules = _policy(policy if policy is not None or space is None else space.collections_policy)
    led = load(ledger)
    smtp = None
    if send:
        from ..letters.smtp import SmtpSettings

        smtp = SmtpSettings(
            host=smtp_host, port=smtp_port, starttls=starttls, username=smtp_user, password_env=smtp_password_env
        )
    from contextlib import ExitStack

    from rich.console import Console
    from rich.progress import Progress

    from ..journal import JournalNotFoundError
    from ..redact import mask_secrets

    with ExitStack() as stack:
        try:
            book = stack.enter_context(open_journal(journal, ledger, author))
        except JournalNotFoundError as exc:
            if not dry_run:
                raise
            book = None
            typer.echo(
                f"note: {mask_secrets(str(exc))}; this dry run plans from an empty history (a first run: the policy's first_run rule places the items)",
                err=True,
            )
        bar = stack.enter_context(Progress(console=Console(stderr=True), transient=True))
        task = bar.add_task("writing letters and e-mails", total=None)
        outcome = carry_out(
            led,
            day,
            rules,
            out,
            journal=book,
            dry_run=dry_run,
            company=space.company if space is not None else ledger_company(ledger_path(ledger)),
            letterheads=space.entities if space is not None else None,
            author=author,
            smtp=smtp,
            rates=load_reference_rates(),
            resend_uncertain=resend_uncertain,
            force=force,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    summary = outcome.summary()
    typer.echo(mask_secrets(json.dumps(summary, indent=2, ensure_ascii=False)))
    delivery = outcome.delivery
    if delivery is not None and delivery.status.get("pending"):
        typer.echo(
            f"note: {delivery.status['pending']} e-mail(s) written but not sent (no --send): "
            "run the same command with --send to deliver them",
            err=True,
        )
    if not outcome.complete and delivery is not None:
        typer.echo(
            f"error: {len(delivery.failures)} communication(s) failed and {len(delivery.uncertain)} are uncertain "
            "(see delivery in the summary); run the same command again to retry the failed ones",
            err=True,
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``workbench dunning ...``."""
    app.add_typer(dunning_app, name="dunning")
