"""The row rules of the generic import: canonical values, parsing, and every reason to quarantine.

``validate`` works on the frame built by ``generic._build_frame`` (``_row``,
``_line``, ``_struct_bad``, ``_undecodable`` and ``src:<canonical>`` text
columns). Each rule is a polars expression giving a reason text or null;
``_find`` evaluates them all in one pass and keeps only the rows with a reason.
"""

from __future__ import annotations

import polars as pl

from workbench.importers.generic_mapping import DATE_COLUMNS, DEFAULTABLE, DOC_TYPES, Mapping
from workbench.importers.parse_text import parse_amounts, parse_dates
from workbench.money import minor_units

__all__ = ["DEFAULT_DOC_TYPE", "DEFAULT_TERMS_DAYS", "PAYMENT_ID_PREFIX", "cross_row_rules", "label", "validate"]

DEFAULT_DOC_TYPE = "invoice"
DEFAULT_TERMS_DAYS = "30"  # the ledger's default payment terms
PAYMENT_ID_PREFIX = "P-"


def label(mapping: Mapping, canon: str) -> str:
    """How reasons name a column: ``doc_date (InvoiceDate)``, or ``currency`` when defaulted."""
    return f"{canon} ({mapping.columns[canon]})" if canon in mapping.columns else canon


def _why(cond: pl.Expr, column: str, text: str, value: pl.Expr | None = None) -> pl.Expr:
    """A reason string where ``cond`` holds: "column: 'value' text"."""
    if value is None:
        return pl.when(cond).then(pl.lit(f"{column}: {text}"))
    return pl.when(cond).then(pl.concat_str([pl.lit(f"{column}: '"), value, pl.lit(f"' {text}")]))


def _text_column(mapping: Mapping, canon: str, reasons: list[pl.Expr]) -> pl.Expr:
    """Canonical text of a plain column: source text through [values], else [defaults]."""
    default = pl.lit(mapping.defaults.get(canon, ""))
    if canon not in mapping.columns:
        return default.alias(canon)
    src = pl.col(f"src:{canon}")
    table = mapping.values.get(canon)
    if table is None:
        return pl.when(src == "").then(default).otherwise(src).alias(canon)
    mapped = src.replace_strict(list(table), list(table.values()), default=None, return_dtype=pl.String)
    if "" not in table:
        mapped = pl.when(src == "").then(default).otherwise(mapped)
    allowed = ", ".join(repr(k) for k in sorted(table))
    reasons.append(
        _why(mapped.is_null(), label(mapping, canon), f"is not in [values.{canon}] (allowed: {allowed})", src)
    )
    return mapped.fill_null("").alias(canon)


def validate(frame: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Add the canonical, parsed columns and ``_quarantined``.

    Returns the frame, the parsed amounts (see ``parse_amounts``) and the
    reasons found (see ``_find``).
    """
    reasons: list[pl.Expr] = []
    lab = {c: label(mapping, c) for c in DEFAULTABLE + DATE_COLUMNS + ("document_id", "customer_id", "amount")}

    frame = frame.with_columns([_text_column(mapping, c, reasons) for c in DEFAULTABLE])
    for key in ("document_id", "customer_id"):
        src = pl.col(f"src:{key}")
        reasons.append(_why(src == "", lab[key], "is empty"))
        reasons.append(
            _why(src.str.contains(r"[\x00-\x1f\x7f]"), lab[key], "contains a line break or control character", src)
        )
    frame = frame.with_columns(document_id=pl.col("src:document_id"), customer_id=pl.col("src:customer_id"))

    for canon in DATE_COLUMNS:
        if canon not in mapping.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Date).alias(canon))
            continue
        src_name = f"src:{canon}"
        frame = frame.with_columns(parse_dates(frame[src_name], mapping.date_format).alias(canon))
        src = pl.col(src_name)
        if canon == "doc_date":
            reasons.append(_why(src == "", lab[canon], "is empty"))
        reasons.append(
            _why(
                (src != "") & pl.col(canon).is_null(), lab[canon], f"is not a date in format {mapping.date_format}", src
            )
        )

    amounts = parse_amounts(frame["src:amount"], mapping.decimal, mapping.thousands)
    frame = frame.with_columns(amount=amounts["amount"], _amount_problem=amounts["problem"])
    reasons.append(_why(pl.col("src:amount") == "", lab["amount"], "is empty"))
    reasons.append(
        pl.when(pl.col("_amount_problem").is_not_null() & (pl.col("src:amount") != "")).then(
            pl.concat_str(
                [pl.lit(f"{lab['amount']}: '"), pl.col("src:amount"), pl.lit("' "), pl.col("_amount_problem")]
            )
        )
    )

    def shown(c: str) -> pl.Expr:  # an invalid value always comes from the source as written
        return pl.col(f"src:{c}") if c in mapping.columns else pl.col(c)

    frame = frame.with_columns(
        currency=pl.col("currency").str.to_uppercase(), disputed=pl.col("disputed").str.to_lowercase()
    )
    currency_hint = "" if "currency" in mapping.defaults else " and [defaults] has no currency"
    reasons += [
        _why(pl.col("currency") == "", lab["currency"], f"is empty{currency_hint}"),
        _why(
            (pl.col("currency") != "") & ~pl.col("currency").str.contains(r"^[A-Z]{3}$"),
            lab["currency"],
            "is not a 3-letter ISO 4217 currency code",
            shown("currency"),
        ),
        _why(
            ~pl.col("doc_type").is_in([*DOC_TYPES, ""]),
            lab["doc_type"],
            f"is not one of {', '.join(DOC_TYPES)} (map source values with [values.doc_type])",
            shown("doc_type"),
        ),
        _why(
            ~pl.col("disputed").is_in(["true", "false", ""]),
            lab["disputed"],
            "is not true or false (map source values with [values.disputed])",
            shown("disputed"),
        ),
        _why(
            ~pl.col("payment_terms_days").str.contains(r"^[0-9]{0,4}$"),
            lab["payment_terms_days"],
            "is not a whole number of days",
            shown("payment_terms_days"),
        ),
    ]
    frame = frame.with_columns(
        doc_type=pl.when(pl.col("doc_type") == "").then(pl.lit(DEFAULT_DOC_TYPE)).otherwise("doc_type"),
        disputed=pl.when(pl.col("disputed") == "").then(pl.lit("false")).otherwise("disputed"),
        payment_terms_days=pl.when(pl.col("payment_terms_days") == "")
        .then(pl.lit(DEFAULT_TERMS_DAYS))
        .otherwise("payment_terms_days"),
    )
    terms = pl.col("payment_terms_days").cast(pl.Int32, strict=False)
    frame = frame.with_columns(
        due_date=pl.coalesce(
            "due_date",
            pl.when(pl.col("doc_type") == "credit_note")
            .then(pl.col("doc_date"))
            .otherwise(pl.col("doc_date") + pl.duration(days=terms)),
        )
    )
    iso = lambda c: pl.col(c).cast(pl.String)  # noqa: E731
    for later in ("due_date", "settled_date", "service_end"):
        earlier = "service_start" if later == "service_end" else "doc_date"
        if later not in mapping.columns:
            continue
        reasons.append(
            pl.when(pl.col(later) < pl.col(earlier)).then(
                pl.concat_str([pl.lit(f"{lab[later]}: "), iso(later), pl.lit(f" is before {earlier} "), iso(earlier)])
            )
        )
    reasons.append(
        _why(
            pl.col("settled_date").is_not_null() & (pl.col("doc_type") == "credit_note"),
            lab["settled_date"],
            "is set on a credit note (only invoices and debit notes can be settled by this import)",
        )
    )

    reasons.append(duplicate_id_reason(lab["document_id"]))

    zero_decimals = sorted(c for c in frame["currency"].unique().to_list() if c and minor_units(c) == 0)
    if zero_decimals:
        reasons.append(
            pl.when(pl.col("currency").is_in(zero_decimals) & (pl.col("amount") % 1 != 0)).then(
                pl.concat_str(
                    [
                        pl.lit(f"{lab['amount']}: '"),
                        pl.col("src:amount"),
                        pl.lit("' has decimals but "),
                        pl.col("currency"),
                        pl.lit(" has none"),
                    ]
                )
            )
        )
    frame = frame.with_columns(_quarantined=pl.col("_struct_bad"))
    frame, found = _find(frame, [pl.col("_undecodable"), *reasons], stage=0)
    return frame, amounts, found


def _find(frame: pl.DataFrame, reasons: list[pl.Expr], stage: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Evaluate reason expressions (null = fine) on rows that are not structurally broken.

    Returns the frame with ``_quarantined`` updated and the reasons found, one
    row each: ``_row``, ``_line``, ``stage``, ``check`` (the expression's
    position) and ``reason``. Only rows with a problem are reshaped, so a
    clean million-row file costs one pass per rule.
    """
    names = [f"r{i:03d}" for i in range(len(reasons))]
    cols = frame.select(
        "_row", "_line", *[pl.when(~pl.col("_struct_bad")).then(r).alias(n) for r, n in zip(reasons, names)]
    )
    hit = cols.filter(pl.any_horizontal([pl.col(n).is_not_null() for n in names]))
    found = (
        hit.unpivot(on=names, index=["_row", "_line"], variable_name="check", value_name="reason")
        .drop_nulls("reason")
        .select("_row", "_line", pl.lit(stage, dtype=pl.Int8).alias("stage"), "check", "reason")
    )
    frame = frame.with_columns(_quarantined=pl.col("_quarantined") | pl.col("_row").is_in(hit["_row"].implode()))
    return frame, found


def cross_row_rules(frame: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rules that depend on which other rows passed: a customer needs a country,
    and a settled invoice's payment id must not be an existing document id."""
    good = ~pl.col("_quarantined")
    payment_id = pl.lit(PAYMENT_ID_PREFIX) + pl.col("document_id")
    good_ids = pl.col("document_id").filter(good).implode()
    hint = "" if "country" in mapping.defaults else " and [defaults] has no country"
    return _find(
        frame,
        [
            missing_country_reason(mapping, hint),
            pl.when(good & pl.col("settled_date").is_not_null() & payment_id.is_in(good_ids)).then(
                pl.concat_str(
                    [
                        pl.lit("settled_date: the payment id '"),
                        payment_id,
                        pl.lit("' made for this settlement is also a document_id in the file"),
                    ]
                )
            ),
        ],
        stage=1,
    )


def duplicate_id_reason(label: str) -> pl.Expr:
    """A repeated ``document_id``: the first record carrying an id keeps it, whatever else is wrong with it.

    ``label`` names the source column in the reason (``"Invoice: 'A1' duplicates line 4"``).
    """
    candidates = (pl.col("document_id") != "") & ~pl.col("_struct_bad")
    first_line = pl.col("_line").min().over(pl.when(candidates).then(pl.col("document_id")))
    return pl.when(candidates & (pl.col("_line") != first_line)).then(
        pl.concat_str(
            [pl.lit(f"{label}: '"), pl.col("document_id"), pl.lit("' duplicates line "), first_line.cast(pl.String)]
        )
    )


def missing_country_reason(mapping: Mapping, hint: str = "") -> pl.Expr:
    """A customer none of whose imported rows (those not quarantined) gives a country; ``hint`` ends the reason."""
    good = ~pl.col("_quarantined")
    has_country = (good & (pl.col("country") != "")).any().over("customer_id")
    return pl.when(good & ~has_country).then(
        pl.concat_str(
            [
                pl.lit(f"{label(mapping, 'country')}: empty on every imported row of customer '"),
                pl.col("customer_id"),
                pl.lit(f"'{hint}"),
            ]
        )
    )
