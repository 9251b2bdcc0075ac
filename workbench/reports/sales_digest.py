"""Per-sales-rep digest: their customers' overdue items and what collections asks of them.

One small self-contained HTML page per sales rep (``workbench report
sales-digest``), plus an ``index.html``. What is asked of a rep:

- resolve the open disputes they own;
- talk to customers on hold or suspended before taking new orders;
- support collection where a customer broke a promise in the last 30 days;
- help with customers handed to an agency or a lawyer (no new business).

Data come from :func:`build_digests` (pure, frames in); the page is
``templates/report/sales_digest.html.j2`` rendered with autoescaping, so
customer text is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import jinja2
import polars as pl

from ..ledger.asof import open_items
from ..ledger.model import Ledger
from ..money import converted_to_decimal, mills_to_decimal, to_money
from ..outputs import OutputFolder
from ..render.format import money_grouped
from ..render.files import unique_names

BROKEN_PROMISE_DAYS = 30


@dataclass(frozen=True)
class Digest:
    """One sales rep's digest."""

    sales_rep: str
    as_of: date
    currency: str
    customers: int
    overdue: Decimal
    over_90: Decimal
    items: pl.DataFrame
    asks: tuple[tuple[str, str, str], ...]  # (customer_id, customer name, what is asked)


def build_digests(
    ledger: Ledger,
    as_of: date,
    *,
    disputes: pl.DataFrame | None = None,
    promises: pl.DataFrame | None = None,
    escalations: pl.DataFrame | None = None,
) -> list[Digest]:
    """One digest per sales rep with overdue customers or something asked of them.

    ``disputes`` is the journal's disputes view, ``promises`` the output of
    :func:`workbench.collections.promises.promise_status`, ``escalations`` the
    escalations view; each may be ``None`` (no journal).
    """
    customers = ledger.customers.select(
        "customer_id", "name", pl.col("sales_rep").fill_null("(no sales rep)"), pl.col("status").fill_null("active")
    )
    names = dict(customers.select("customer_id", "name").iter_rows())
    reps = dict(customers.select("customer_id", "sales_rep").iter_rows())
    items = (
        open_items(ledger, as_of)
        .filter(pl.col("due_date") < as_of)
        .with_columns(
            (pl.lit(as_of) - pl.col("due_date")).dt.total_days().alias("days_overdue"), pl.lit(as_of).alias("as_of")
        )
        .join(customers.select("customer_id", "name", "sales_rep"), on="customer_id", how="left")
    )
    per_rep = ledger.fx.convert_sums(items, ["as_of", "sales_rep"]).rename({"open": "overdue"})
    per_rep_90 = ledger.fx.convert_sums(items.filter(pl.col("days_overdue") > 90), ["as_of", "sales_rep"])
    overdue = {r: converted_to_decimal(v) for _, r, v in per_rep.select("as_of", "sales_rep", "overdue").iter_rows()}
    over_90 = {r: converted_to_decimal(v) for _, r, v in per_rep_90.select("as_of", "sales_rep", "open").iter_rows()}

    asks: dict[str, list[tuple[str, str, str]]] = {}

    def ask(cust: str, text: str, rep: str | None = None) -> None:
        asks.setdefault(rep or reps.get(cust, "(no sales rep)"), []).append((cust, names.get(cust, cust), text))

    if disputes is not None:
        for row in (
            disputes.filter(pl.col("status").is_in(["open", "in_review"]) & (pl.col("opened_on") <= as_of))
            .sort("opened_on")
            .iter_rows(named=True)
        ):
            owner = row["owner"] if row["owner"] in set(reps.values()) else None
            ask(
                row["customer_id"],
                f"Resolve the dispute on {', '.join(row['document_ids'])} ({row['reason']}), "
                f"open since {row['opened_on'].isoformat()}",
                owner,
            )
    overdue_customers = set(items["customer_id"].to_list())
    for cust, status in customers.select("customer_id", "status").iter_rows():
        if status in ("hold", "suspended") and cust in overdue_customers:
            ask(cust, f"Account {status}: talk to the customer about the overdue items before taking new orders")
    if promises is not None:
        window = as_of - timedelta(days=BROKEN_PROMISE_DAYS)
        broken = (
            promises.filter((pl.col("status") == "broken") & (pl.col("deadline") >= window))
            .sort("pay_by")
            .unique(subset="customer_id", keep="last", maintain_order=True)
        )
        for row in broken.iter_rows(named=True):  # the latest broken promise of each customer
            ask(
                row["customer_id"],
                f"Promise of {money_grouped(mills_to_decimal(row['amount']))} {row['currency']} due "
                f"{row['pay_by'].isoformat()} was broken: please support collection",
            )
    if escalations is not None:
        handed = escalations.filter(pl.col("action").is_in(["agency", "lawyer"]) & (pl.col("event_date") <= as_of))
        for cust, action, partner in (
            handed.select("customer_id", "action", "partner")
            .unique(subset="customer_id", keep="last", maintain_order=True)
            .iter_rows()
        ):
            ask(
                cust,
                f"Handed to {'a lawyer' if action == 'lawyer' else 'a collection agency'} ({partner}): "
                "no new business, refer the customer to credit control",
            )

    shown = items.select(
        "sales_rep",
        "customer_id",
        "name",
        "document_id",
        "due_date",
        "days_overdue",
        "currency",
        pl.col("open").map_elements(mills_to_decimal, return_dtype=pl.Decimal(38, 3)).alias("open"),
        "disputed",
    ).sort(["sales_rep", "days_overdue"], descending=[False, True])
    digests = []
    for rep in sorted(set(overdue) | set(asks)):
        rep_items = shown.filter(pl.col("sales_rep") == rep).drop("sales_rep")
        digests.append(
            Digest(
                sales_rep=rep,
                as_of=as_of,
                currency=ledger.reporting_currency,
                customers=rep_items["customer_id"].n_unique(),
                overdue=to_money(overdue.get(rep, Decimal(0)), ledger.reporting_currency),
                over_90=to_money(over_90.get(rep, Decimal(0)), ledger.reporting_currency),
                items=rep_items,
                asks=tuple(asks.get(rep, ())),
            )
        )
    return digests


def _environment() -> jinja2.Environment:
    from ..render.templates import DEFAULT_TEMPLATES_DIR

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(DEFAULT_TEMPLATES_DIR / "report"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["money"] = money_grouped
    return env


def write_digests(digests: list[Digest], out_dir: Path, company: str, *, force: bool = False) -> list[Path]:
    """Write one HTML page per sales rep and an index; return the paths (index last).

    ``out_dir`` is claimed as a workbench output folder: pages the workbench
    did not write are never replaced, unless ``force``
    (:class:`workbench.outputs.OutputFolder`); each page is written atomically.
    """
    folder = OutputFolder.claim(out_dir, "report sales-digest", force=force)
    template = _environment().get_template("sales_digest.html.j2")
    paths, links = [], []
    reps = unique_names((digest.sales_rep for digest in digests), "rep")
    for digest in digests:
        name = f"sales_digest_{reps[digest.sales_rep]}_{digest.as_of.isoformat()}.html"
        rows = list(digest.items.iter_rows(named=True))
        html = template.render(company=company, digest=digest, rows=rows, index=None)
        paths.append(folder.write_text(name, html))
        links.append((digest, name))
    index = (
        _environment().get_template("sales_digest.html.j2").render(company=company, digest=None, rows=[], index=links)
    )
    paths.append(folder.write_text("index.html", index))
    return paths


def produce(
    ledger: Path,
    as_of: date,
    out_dir: Path,
    *,
    journal: str | None = None,
    policy: Path | str | None = None,
    force: bool = False,
) -> list[Path]:
    """Write every sales rep's digest for ``ledger`` at ``as_of`` (the journal's disputes and promises included).

    The journal is ``journal`` if given, else ``journal.sqlite`` beside the ledger when it exists.
    Returns the pages written, the index last. ``force`` as for :func:`write_digests`.
    """
    from ..collections.policy import load_policy
    from ..collections.promises import promise_status
    from ..journal import Journal
    from ..ledger import load_ledger
    from .sources import journal_target, ledger_company

    rules = load_policy(policy)
    led = load_ledger(ledger)
    target = journal_target(ledger, journal)
    disputes = promises = escalations = None
    if target is not None:
        with Journal.open(target) as book:
            disputes, escalations = book.disputes(), book.escalations()
            promises = promise_status(book.promises(), led.payments, as_of, rules.default.promise_grace_days)
    digests = build_digests(led, as_of, disputes=disputes, promises=promises, escalations=escalations)
    return write_digests(digests, out_dir, ledger_company(ledger), force=force)
