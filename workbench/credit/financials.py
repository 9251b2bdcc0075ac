"""Financial statement analysis: ratios, Altman Z / Z' / Z'' with zones, a 0-100 financial score, trend.

Inputs are the ``financials`` rows of a ledger (one per customer and
``period_end``), whose amount columns stay TEXT after loading: they are parsed
here exactly, signed values allowed (``-1234.50``). An empty value is missing;
a value that is not a plain decimal is *invalid* and treated as missing, with
the reason kept in ``notes``.

Nothing is invented: a ratio whose inputs are missing, or whose denominator is
zero, is null; a score (Altman or the financial score) lists in
``*_missing_inputs`` the line items it lacked and is null.

**Which Altman model.** The company type decides (CONVENTIONS §7): a
``company_type`` column in ``financials`` (per statement) or else in
``customers`` wins; else the policy's ``financial.company_type_by_segment``
maps the customer's ``segment``; else ``financial.default_company_type``
(``non_manufacturing``: Z'', which needs neither market values nor sales and
suits most B2B customers). Types: ``public_manufacturer`` → Z (X4 = market
value of equity / total liabilities), ``private_manufacturer`` → Z' (X4 book),
``non_manufacturing`` / ``emerging_market`` → Z'' (X4 book).

**Financial score (0-100).** A weighted mean of four parts, each mapped by
points in the policy: the chosen Altman score relative to its own zones,
profitability (EBIT / total assets = X3), leverage (total liabilities / total
assets) and liquidity (working capital / total assets = X1). It needs all of
its inputs; otherwise it is null and says which were missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import cast

import polars as pl

from ..ledger.model import Ledger
from ..money import parse_optional_amount
from ._num import div, f, interp, money_dtype, mul, round_money, weighted
from .policy import COMPANY_TYPES, Policy, default_policy

__all__ = [
    "ITEMS",
    "ZONES",
    "AltmanResult",
    "FinancialScore",
    "altman",
    "altman_z",
    "altman_z_double_prime",
    "altman_z_prime",
    "altman_zone",
    "analyse_statements",
    "financial_analysis",
    "financial_score",
    "latest_financials",
    "ratios_from_items",
    "StatementResult",
]

#: Statement line items of docs/ledger-format.md ``financials.csv`` (an ``inventory`` column is used when present).
ITEMS: tuple[str, ...] = (
    "revenue",
    "ebit",
    "net_income",
    "total_assets",
    "current_assets",
    "current_liabilities",
    "total_liabilities",
    "equity",
    "retained_earnings",
    "intangible_assets",
    "market_value_equity",
)
OPTIONAL_ITEMS: tuple[str, ...] = ("inventory",)

#: (distress below, safe above) thresholds per model; between them, inclusive, is grey.
ZONES: dict[str, tuple[Decimal, Decimal]] = {
    "Z": (Decimal("1.81"), Decimal("2.99")),
    "Z'": (Decimal("1.23"), Decimal("2.9")),
    "Z''": (Decimal("1.10"), Decimal("2.60")),
}
_COEF: dict[str, tuple[Decimal, ...]] = {
    "Z": tuple(map(Decimal, ("1.2", "1.4", "3.3", "0.6", "1.0"))),
    "Z'": tuple(map(Decimal, ("0.717", "0.847", "3.107", "0.420", "0.998"))),
    "Z''": tuple(map(Decimal, ("6.56", "3.26", "6.72", "1.05"))),
}
#: Ratio inputs of each model and the statement items behind every ratio.
MODEL_INPUTS: dict[str, tuple[str, ...]] = {
    "Z": ("x1", "x2", "x3", "x4_market", "x5"),
    "Z'": ("x1", "x2", "x3", "x4_book", "x5"),
    "Z''": ("x1", "x2", "x3", "x4_book"),
}
RATIO_ITEMS: dict[str, tuple[tuple[str, ...], str]] = {
    # ratio: ((numerator items...), denominator item)
    "x1": (("current_assets", "current_liabilities"), "total_assets"),
    "x2": (("retained_earnings",), "total_assets"),
    "x3": (("ebit",), "total_assets"),
    "x4_book": (("equity",), "total_liabilities"),
    "x4_market": (("market_value_equity",), "total_liabilities"),
    "x5": (("revenue",), "total_assets"),
    "liabilities_to_assets": (("total_liabilities",), "total_assets"),
    "current_ratio": (("current_assets",), "current_liabilities"),
    "quick_ratio": (("current_assets", "inventory"), "current_liabilities"),
    "debt_to_equity": (("total_liabilities",), "equity"),
    "ebit_margin": (("ebit",), "revenue"),
    "net_margin": (("net_income",), "revenue"),
    "roa": (("net_income",), "total_assets"),
    "asset_turnover": (("revenue",), "total_assets"),
}
SCORE_RATIOS: tuple[str, ...] = ("x1", "x3", "liabilities_to_assets")
DISPLAY_RATIOS: tuple[str, ...] = (
    "current_ratio",
    "quick_ratio",
    "debt_to_equity",
    "liabilities_to_assets",
    "ebit_margin",
    "net_margin",
    "roa",
    "asset_turnover",
    "x1",
    "x2",
    "x3",
    "x4_book",
    "x4_market",
    "x5",
)
RATIO_PLACES = 4
Z_PLACES = 3
SCORE_PLACES = 2


def _combine(model: str, xs: tuple[Decimal | int | float | str, ...]) -> Decimal:
    coef = _COEF[model]
    if len(xs) != len(coef):
        raise ValueError(f"Altman {model} takes {len(coef)} ratios, got {len(xs)}")
    return sum((mul(c, Decimal(str(x))) for c, x in zip(coef, xs)), Decimal(0))


def altman_z(
    x1: Decimal | float | str,
    x2: Decimal | float | str,
    x3: Decimal | float | str,
    x4: Decimal | float | str,
    x5: Decimal | float | str,
) -> Decimal:
    """Altman Z for public manufacturers: 1.2 X1 + 1.4 X2 + 3.3 X3 + 0.6 X4 + 1.0 X5 (X4 market value).

    Inputs as Decimal (or text/float, read through their decimal text); the result is exact.

    >>> altman_z("0.34", "0.15", "0", "0.80", "1.6")
    Decimal('2.698')
    """
    return _combine("Z", (x1, x2, x3, x4, x5))


def altman_z_prime(
    x1: Decimal | float | str,
    x2: Decimal | float | str,
    x3: Decimal | float | str,
    x4: Decimal | float | str,
    x5: Decimal | float | str,
) -> Decimal:
    """Altman Z' for private firms: 0.717 X1 + 0.847 X2 + 3.107 X3 + 0.420 X4 + 0.998 X5 (X4 book).

    >>> altman_z_prime("0.34", "0.15", "0", "0.80", "1.6")
    Decimal('2.30363')
    """
    return _combine("Z'", (x1, x2, x3, x4, x5))


def altman_z_double_prime(
    x1: Decimal | float | str, x2: Decimal | float | str, x3: Decimal | float | str, x4: Decimal | float | str
) -> Decimal:
    """Altman Z'' (non-manufacturing, emerging markets): 6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4 (X4 book).

    >>> altman_z_double_prime("0.34", "0.15", "0", "0.80")
    Decimal('3.5594')
    """
    return _combine("Z''", (x1, x2, x3, x4))


def altman_zone(model: str, score: Decimal | None) -> str | None:
    """``safe`` above the model's upper threshold, ``distress`` below the lower, ``grey`` between (inclusive).

    >>> altman_zone("Z", Decimal("2.99")), altman_zone("Z", Decimal("2.991")), altman_zone("Z''", Decimal("1.09"))
    ('grey', 'safe', 'distress')
    """
    if score is None:
        return None
    lo, hi = ZONES[model]
    if score > hi:
        return "safe"
    if score < lo:
        return "distress"
    return "grey"


@dataclass(frozen=True)
class AltmanResult:
    """One Altman score: model, exact score (or ``None``), zone, and the inputs it lacked."""

    model: str
    score: Decimal | None
    zone: str | None
    missing_inputs: tuple[str, ...] = ()


def altman(
    model: str, ratios: Mapping[str, Decimal | None], missing: Mapping[str, tuple[str, ...]] | None = None
) -> AltmanResult:
    """The Altman score of ``model`` from a ratio mapping (``x1``...``x5``, ``x4_book``/``x4_market``).

    ``missing`` maps a ratio to the statement items it lacked (from
    :func:`ratios_from_items`); without it a missing ratio is named itself.
    """
    names = MODEL_INPUTS[model]
    lacking: list[str] = []
    for name in names:
        if ratios.get(name) is None:
            lacking.extend((missing or {}).get(name) or (name,))
    if lacking:
        return AltmanResult(model, None, None, tuple(sorted(set(lacking))))
    xs = tuple(ratios[n] for n in names)
    score = _combine(model, xs)  # type: ignore[arg-type]
    return AltmanResult(model, score, altman_zone(model, score))


def ratios_from_items(
    items: Mapping[str, Decimal | None],
) -> tuple[dict[str, Decimal | None], dict[str, tuple[str, ...]]]:
    """All ratios of one statement and, for each null ratio, the items it lacked.

    A zero denominator is reported as ``"<item> is 0"``; total assets must be
    positive (``"total_assets is not positive"``).
    """
    ratios: dict[str, Decimal | None] = {}
    missing: dict[str, tuple[str, ...]] = {}
    ta = items.get("total_assets")
    for name, (nums, den) in RATIO_ITEMS.items():
        lack = [i for i in (*nums, den) if items.get(i) is None]
        if lack:
            ratios[name], missing[name] = None, tuple(lack)
            continue
        if den == "total_assets" and ta is not None and ta <= 0:
            ratios[name], missing[name] = None, ("total_assets is not positive",)
            continue
        values = cast("list[Decimal]", [items[i] for i in nums])  # none is null: `lack` is empty
        numerator = values[0] - values[1] if len(values) == 2 else values[0]
        value = div(numerator, items[den])
        if value is None:
            ratios[name], missing[name] = None, (f"{den} is 0",)
        else:
            ratios[name] = value
    return ratios, missing


@dataclass(frozen=True)
class FinancialScore:
    """The 0-100 financial score of one statement, its parts (points 0-100) and what it lacked."""

    score: Decimal | None
    model: str
    altman: AltmanResult
    parts: dict[str, Decimal] = field(default_factory=dict)
    missing_inputs: tuple[str, ...] = ()


def _altman_points(model: str, score: Decimal, policy: Policy) -> Decimal:
    lo, hi = ZONES[model]
    width = hi - lo
    pts = (
        (lo - width, Decimal(0)),
        (lo, policy.altman_distress_points),
        (hi, policy.altman_safe_points),
        (hi + width, Decimal(100)),
    )
    return interp(score, pts)


def financial_score(
    ratios: Mapping[str, Decimal | None],
    model: str,
    policy: Policy | None = None,
    missing: Mapping[str, tuple[str, ...]] | None = None,
) -> FinancialScore:
    """The financial score from ratios (``x1``..``x5``, ``x4_book``/``x4_market``, ``liabilities_to_assets``).

    Parts: Altman (``model``) relative to its zones, profitability (X3 = EBIT /
    total assets), leverage (total liabilities / total assets), liquidity (X1
    = working capital / total assets), weighted by ``financial.weights``.
    Null, with ``missing_inputs``, when any input is missing.
    """
    policy = policy or default_policy()
    z = altman(model, ratios, missing)
    lacking = list(z.missing_inputs)
    for name in SCORE_RATIOS:
        if ratios.get(name) is None:
            lacking.extend((missing or {}).get(name) or (name,))
    if lacking:
        return FinancialScore(None, model, z, {}, tuple(sorted(set(lacking))))
    assert z.score is not None
    parts = {
        "altman": _altman_points(model, z.score, policy),
        "profitability": interp(ratios["x3"], policy.profitability_points),  # type: ignore[arg-type]
        "leverage": interp(ratios["liabilities_to_assets"], policy.leverage_points),  # type: ignore[arg-type]
        "liquidity": interp(ratios["x1"], policy.liquidity_points),  # type: ignore[arg-type]
    }
    score, _ = weighted((policy.financial_weights[k], v) for k, v in parts.items())
    return FinancialScore(score, model, z, parts)


# --------------------------------------------------------------------------- frames


def _company_types(customers: pl.DataFrame | None, policy: Policy) -> dict[str, tuple[str, str]]:
    """customer_id -> (company type, where it came from) from customers' column / segment / default."""
    out: dict[str, tuple[str, str]] = {}
    if customers is None:
        return out
    cols = customers.columns
    for row in customers.select([c for c in ("customer_id", "company_type", "segment") if c in cols]).iter_rows(
        named=True
    ):
        ctype = (row.get("company_type") or "").strip()
        if ctype:
            out[row["customer_id"]] = (ctype, "customers.company_type")
        elif row.get("segment") in policy.company_type_by_segment:
            out[row["customer_id"]] = (policy.company_type_by_segment[row["segment"]], f"segment {row['segment']!r}")
    return out


_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "customer_id": pl.String,
    "period_end": pl.Date,
    "currency": pl.String,
    "company_type": pl.String,
    "company_type_source": pl.String,
    "z_model": pl.String,
    "working_capital": pl.Decimal(38, 2),
    "tangible_net_worth": pl.Decimal(38, 2),
    **{r: pl.Float64 for r in DISPLAY_RATIOS},
    "altman_z": pl.Float64,
    "altman_z_zone": pl.String,
    "altman_z_prime": pl.Float64,
    "altman_z_prime_zone": pl.String,
    "altman_z_double_prime": pl.Float64,
    "altman_z_double_prime_zone": pl.String,
    "z_score": pl.Float64,
    "z_zone": pl.String,
    "z_missing_inputs": pl.List(pl.String),
    "financial_score": pl.Float64,
    "altman_points": pl.Float64,
    "profitability_points": pl.Float64,
    "leverage_points": pl.Float64,
    "liquidity_points": pl.Float64,
    "financial_missing_inputs": pl.List(pl.String),
    "missing_items": pl.List(pl.String),
    "notes": pl.List(pl.String),
    "prev_period_end": pl.Date,
    "z_score_change": pl.Float64,
    "financial_score_change": pl.Float64,
    "revenue_growth": pl.Float64,
    "trend": pl.String,
}


def _trend(change: Decimal | None, threshold: Decimal) -> str | None:
    if change is None:
        return None
    if change >= threshold:
        return "improving"
    if change <= -threshold:
        return "deteriorating"
    return "stable"


@dataclass(frozen=True)
class StatementResult:
    """Exact results of one statement (what the frame shows rounded)."""

    customer_id: str
    period_end: date
    currency: str | None
    company_type: str
    model: str
    items: dict[str, Decimal | None]
    ratios: dict[str, Decimal | None]
    altman: AltmanResult
    score: FinancialScore
    working_capital: Decimal | None
    tangible_net_worth: Decimal | None
    notes: tuple[str, ...]


def analyse_statements(
    source: Ledger | pl.DataFrame, as_of: date, *, policy: Policy | None = None, customers: pl.DataFrame | None = None
) -> list[tuple[StatementResult, dict[str, object]]]:
    """Exact results and display rows of every statement dated on or before ``as_of`` (see :func:`financial_analysis`)."""
    policy = policy or default_policy()
    if isinstance(source, Ledger):
        frame, customers = source.financials, source.customers
    else:
        frame = source
    if frame.height == 0 or "period_end" not in frame.columns:
        return []
    types = _company_types(customers, policy)
    frame = frame.filter(pl.col("period_end") <= as_of).sort("customer_id", "period_end")
    has_inventory = "inventory" in frame.columns
    out: list[tuple[StatementResult, dict[str, object]]] = []
    previous: dict[str, StatementResult] = {}
    for rec in frame.iter_rows(named=True):
        cid = rec["customer_id"]
        notes: list[str] = []
        items: dict[str, Decimal | None] = {}
        missing_items: list[str] = []
        for item in (*ITEMS, *OPTIONAL_ITEMS):
            if item not in rec:
                items[item] = None
                if item in ITEMS:
                    missing_items.append(item)
                continue
            value, problem = parse_optional_amount(rec[item], plain=True)
            items[item] = value
            if value is None:
                missing_items.append(item)
                if problem:
                    notes.append(f"{item}: {problem}, treated as missing")
        if not has_inventory:
            notes.append("quick ratio not computed: financials have no inventory column")
        own_type = (rec.get("company_type") or "").strip() if "company_type" in rec else ""
        if own_type:
            ctype, ctype_src = own_type, "financials.company_type"
        else:
            ctype, ctype_src = types.get(cid, (policy.default_company_type, "policy default"))
        if ctype not in COMPANY_TYPES:
            notes.append(f"unknown company_type {ctype!r}; policy default {policy.default_company_type!r} used")
            ctype, ctype_src = policy.default_company_type, "policy default"
        model = COMPANY_TYPES[ctype]
        ratios, missing = ratios_from_items(items)
        zs = {m: altman(m, ratios, missing) for m in ("Z", "Z'", "Z''")}
        fs = financial_score(ratios, model, policy, missing)
        chosen = zs[model]
        wc = (
            None
            if items["current_assets"] is None or items["current_liabilities"] is None
            else (items["current_assets"] - items["current_liabilities"])
        )
        tnw = (
            None
            if items["equity"] is None or items["intangible_assets"] is None
            else (items["equity"] - items["intangible_assets"])
        )
        if items["equity"] is not None and items["equity"] <= 0:
            notes.append("equity is not positive: debt/equity is not meaningful")
        result = StatementResult(
            cid, rec["period_end"], rec.get("currency"), ctype, model, items, ratios, chosen, fs, wc, tnw, tuple(notes)
        )
        prev = previous.get(cid)
        z_change = fs_change = growth = None
        if prev is not None:
            if chosen.score is not None and prev.altman.score is not None and prev.model == model:
                z_change = chosen.score - prev.altman.score
            if fs.score is not None and prev.score.score is not None:
                fs_change = fs.score - prev.score.score
            prev_rev = prev.items["revenue"]
            if items["revenue"] is not None and prev_rev is not None and prev_rev > 0:
                growth = div(items["revenue"] - prev_rev, prev_rev)
        row = {
            "customer_id": cid,
            "period_end": rec["period_end"],
            "currency": rec.get("currency"),
            "company_type": ctype,
            "company_type_source": ctype_src,
            "z_model": model,
            "working_capital": round_money(wc, rec.get("currency")),
            "tangible_net_worth": round_money(tnw, rec.get("currency")),
            **{r: f(ratios.get(r), RATIO_PLACES) for r in DISPLAY_RATIOS},
            "altman_z": f(zs["Z"].score, Z_PLACES),
            "altman_z_zone": zs["Z"].zone,
            "altman_z_prime": f(zs["Z'"].score, Z_PLACES),
            "altman_z_prime_zone": zs["Z'"].zone,
            "altman_z_double_prime": f(zs["Z''"].score, Z_PLACES),
            "altman_z_double_prime_zone": zs["Z''"].zone,
            "z_score": f(chosen.score, Z_PLACES),
            "z_zone": chosen.zone,
            "z_missing_inputs": list(chosen.missing_inputs),
            "financial_score": f(fs.score, SCORE_PLACES),
            **{
                f"{k}_points": f(fs.parts.get(k), SCORE_PLACES)
                for k in ("altman", "profitability", "leverage", "liquidity")
            },
            "financial_missing_inputs": list(fs.missing_inputs),
            "missing_items": missing_items,
            "notes": notes,
            "prev_period_end": prev.period_end if prev else None,
            "z_score_change": f(z_change, Z_PLACES),
            "financial_score_change": f(fs_change, SCORE_PLACES),
            "revenue_growth": f(growth, RATIO_PLACES),
            "trend": _trend(z_change, policy.trend_threshold),
        }
        out.append((result, row))
        previous[cid] = result
    return out


def financial_analysis(
    source: Ledger | pl.DataFrame, as_of: date, *, policy: Policy | None = None, customers: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Ratios, Altman scores and the financial score of every statement dated on or before ``as_of``.

    Args:
        source: a :class:`Ledger` (its ``financials`` and ``customers``) or a
            ``financials`` frame (amount columns as text or numbers).
        as_of: statements with ``period_end`` after it are ignored.
        policy: credit policy (default: the shipped one).
        customers: with a frame ``source``, the customers frame (for
            ``company_type`` / ``segment``); optional.

    Returns one row per (customer_id, period_end), sorted, with:
    ``company_type`` and its ``company_type_source``; ``z_model``;
    ``working_capital`` and ``tangible_net_worth`` (statement currency, rounded to 2 decimals);
    ratios (4 decimals): current, quick (null unless an ``inventory`` column
    exists: said in ``notes``), debt/equity, liabilities/assets, EBIT margin,
    net margin, ROA (net income / total assets), asset turnover, X1..X5;
    ``altman_z``, ``altman_z_prime``, ``altman_z_double_prime`` (3 decimals)
    with zones; the chosen model's ``z_score``/``z_zone`` and
    ``z_missing_inputs``; ``financial_score`` (2 decimals) with its parts and
    ``financial_missing_inputs``; ``missing_items`` (items empty or invalid);
    ``notes``; and the trend against the customer's previous statement:
    ``prev_period_end``, ``z_score_change``, ``financial_score_change``,
    ``revenue_growth`` and ``trend`` (improving / stable / deteriorating by
    ``financial.trend_threshold`` on the chosen Altman score).
    """
    rows = [row for _, row in analyse_statements(source, as_of, policy=policy, customers=customers)]
    dtype = money_dtype(str(r["currency"]) for r in rows if r["currency"])
    schema = {**_SCHEMA, "working_capital": dtype, "tangible_net_worth": dtype}
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def latest_financials(analysis: pl.DataFrame) -> pl.DataFrame:
    """The latest statement row of each customer from :func:`financial_analysis` (it carries the trend)."""
    if analysis.height == 0:
        return analysis
    return analysis.sort("customer_id", "period_end").group_by("customer_id", maintain_order=True).last()
