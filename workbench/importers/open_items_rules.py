"""The row rules of an open-item import: signed amounts, sides, item kinds, and every reason to quarantine.

``validate_open_items`` works on the frame built by ``generic._build_frame``
and adds, per row, the canonical text columns, the parsed dates, the signed
open amount (``open``), the original amount (``original``, null when the
export has none), the credit limit and the item kind (``doc_type``:
``invoice``, ``debit_note``, ``credit_note`` or ``payment``). Amounts are
signed from the customer's point of view: positive = the customer owes.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from workbench.importers.generic_mapping import (
    DATE_COLUMNS,
    DEFAULTABLE,
    OPEN_ITEM_DOC_TYPES,
    OPEN_ITEM_TEXT_COLUMNS,
    STATUSES,
    Mapping,
)
from workbench.importers.generic_rules import (
    DEFAULT_TERMS_DAYS,
    _find,
    _text_column,
    _why,
    duplicate_id_reason,
    missing_country_reason,
    label,
)
from workbench.importers.parse_text import leading_minus, parse_amounts, parse_dates
from workbench.money import minor_units

__all__ = ["CREDIT_KINDS", "customer_rules", "validate_open_items"]

#: Item kinds that are credit for the customer (their open amount is owed back or unapplied).
CREDIT_KINDS = ("credit_note", "payment")
_DATES = (*DATE_COLUMNS, "as_of")


def _amount(frame: pl.DataFrame, mapping: Mapping, canon: str, reasons: list[pl.Expr]) -> pl.DataFrame:
    """Parse the signed amount column ``canon`` into ``_v:<canon>`` (null when unmapped or empty)."""
    if canon not in mapping.columns:
        return frame.with_columns(pl.lit(None, dtype=pl.Decimal(38, 2)).alias(f"_v:{canon}"))
    src = pl.col(f"src:{canon}")
    parsed = parse_amounts(
        leading_minus(frame[f"src:{canon}"], mapping.negative), mapping.decimal, mapping.thousands, signed=True
    )
    frame = frame.with_columns(parsed["amount"].alias(f"_v:{canon}"), parsed["problem"].alias(f"_p:{canon}"))
    problem = pl.col(f"_p:{canon}")
    lab = label(mapping, canon)
    if canon == "open_amount":
        reasons.append(_why(src == "", lab, "is empty"))
    reasons.append(
        pl.when(problem.is_not_null() & (src != "")).then(
            pl.concat_str([pl.lit(f"{lab}: '"), src, pl.lit("' "), problem])
        )
    )
    return frame


def validate_open_items(
    frame: pl.DataFrame, mapping: Mapping, as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Add the canonical columns and ``_quarantined``; return the frame, the parsed open amounts and the reasons.

    ``as_of`` is the export's date: no item may be dated after it.
    """
    reasons: list[pl.Expr] = []
    texts = DEFAULTABLE + OPEN_ITEM_TEXT_COLUMNS
    frame = frame.with_columns([_text_column(mapping, c, reasons) for c in texts])
    for key in ("document_id", "customer_id"):
        src = pl.col(f"src:{key}")
        id_label = label(mapping, key)
        reasons.append(_why(src == "", id_label, "is empty"))
        reasons.append(
            _why(src.str.contains(r"[\x00-\x1f\x7f]"), id_label, "contains a line break or control character", src)
        )
    frame = frame.with_columns(document_id=pl.col("src:document_id"), customer_id=pl.col("src:customer_id"))

    for canon in _DATES:
        if canon not in mapping.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Date).alias(canon))
            continue
        frame = frame.with_columns(parse_dates(frame[f"src:{canon}"], mapping.date_format).alias(canon))
        src = pl.col(f"src:{canon}")
        if canon == "doc_date":
            reasons.append(_why(src == "", label(mapping, canon), "is empty"))
        reasons.append(
            _why(
                (src != "") & pl.col(canon).is_null(),
                label(mapping, canon),
                f"is not a date in format {mapping.date_format}",
                src,
            )
        )

    open_parsed = parse_amounts(
        leading_minus(frame["src:open_amount"], mapping.negative), mapping.decimal, mapping.thousands, signed=True
    )
    for canon in ("open_amount", "amount", "credit_limit"):
        frame = _amount(frame, mapping, canon, reasons)

    def shown(c: str) -> pl.Expr:
        return pl.col(f"src:{c}") if c in mapping.columns else pl.col(c)

    lab = {c: label(mapping, c) for c in (*texts, *_DATES, "open_amount", "amount", "credit_limit")}
    frame = frame.with_columns(
        currency=pl.col("currency").str.to_uppercase(), disputed=pl.col("disputed").str.to_lowercase()
    )
    if mapping.has("debit_credit"):  # the side decides the sign, whatever sign the amount is written with
        side = pl.when(pl.col("debit_credit") == "credit").then(-1).otherwise(1)
        frame = frame.with_columns(
            open=pl.col("_v:open_amount").abs() * side, original=pl.col("_v:amount").abs() * side
        )
    else:
        frame = frame.with_columns(open=pl.col("_v:open_amount"), original=pl.col("_v:amount"))
    frame = frame.with_columns(credit_limit_value=pl.col("_v:credit_limit"))
    kind_by_sign = pl.when(pl.col("open") < 0).then(pl.lit("credit_note")).otherwise(pl.lit("invoice"))
    frame = frame.with_columns(
        doc_type=pl.when(pl.col("doc_type").is_in(["", "by_sign"])).then(kind_by_sign).otherwise("doc_type"),
        disputed=pl.when(pl.col("disputed") == "").then(pl.lit("false")).otherwise("disputed"),
        payment_terms_days=pl.when(pl.col("payment_terms_days") == "")
        .then(pl.lit(DEFAULT_TERMS_DAYS))
        .otherwise("payment_terms_days"),
    )
    is_credit = pl.col("doc_type").is_in(CREDIT_KINDS)
    terms = pl.col("payment_terms_days").cast(pl.Int32, strict=False)
    frame = frame.with_columns(
        due_date=pl.coalesce(
            "due_date",
            pl.when(is_credit).then(pl.col("doc_date")).otherwise(pl.col("doc_date") + pl.duration(days=terms)),
        )
    )
    num = lambda c: pl.col(c).cast(pl.String)  # noqa: E731
    reasons += [
        _why(pl.col("currency") == "", lab["currency"], "is empty"),
        _why(
            (pl.col("currency") != "") & ~pl.col("currency").str.contains(r"^[A-Z]{3}$"),
            lab["currency"],
            "is not a 3-letter ISO 4217 currency code",
            shown("currency"),
        ),
        _why(
            ~pl.col("doc_type").is_in(OPEN_ITEM_DOC_TYPES),
            lab["doc_type"],
            f"is not one of {', '.join(OPEN_ITEM_DOC_TYPES)} (map source values with [values.doc_type])",
            shown("doc_type"),
        ),
        _why(
            ~pl.col("debit_credit").is_in(["debit", "credit", ""]),
            lab["debit_credit"],
            "is not debit or credit (map source values with [values.debit_credit])",
            shown("debit_credit"),
        ),
        _why(
            ~pl.col("status").is_in([*STATUSES, ""]),
            lab["status"],
            f"is not one of {', '.join(STATUSES)} (map source values with [values.status])",
            shown("status"),
        ),
        _why(
            ~pl.col("disputed").is_in(["true", "false"]),
            lab["disputed"],
            "is not true or false (map source values with [values.disputed])",
            shown("disputed"),
        ),
        _why(
            ~pl.col("payment_terms_days").str.contains(r"^[0-9]{1,4}$"),
            lab["payment_terms_days"],
            "is not a whole number of days",
            shown("payment_terms_days"),
        ),
        pl.when(pl.col("doc_type").is_in(["invoice", "debit_note"]) & (pl.col("open") < 0)).then(
            pl.concat_str(
                [pl.lit(f"{lab['open_amount']}: "), num("open"), pl.lit(" is negative on an "), pl.col("doc_type")]
            )
        ),
        pl.when(is_credit & (pl.col("open") > 0)).then(
            pl.concat_str(
                [pl.lit(f"{lab['open_amount']}: "), num("open"), pl.lit(" is positive on a "), pl.col("doc_type")]
            )
        ),
        pl.when(is_credit & (pl.col("open") == 0)).then(
            pl.concat_str([pl.lit(f"{lab['open_amount']}: a "), pl.col("doc_type"), pl.lit(" with nothing open")])
        ),
        pl.when(~is_credit & (pl.col("original") < pl.col("open"))).then(
            pl.concat_str(
                [
                    pl.lit(f"{lab['open_amount']}: "),
                    num("open"),
                    pl.lit(f" is more than {lab['amount']} "),
                    num("original"),
                ]
            )
        ),
        pl.when(~is_credit & (pl.col("open") == 0) & (pl.col("original").fill_null(0) == 0)).then(
            pl.lit(f"{lab['open_amount']}: nothing open and no original amount")
        ),
        pl.when(pl.col("doc_date") > pl.lit(as_of)).then(
            pl.concat_str(
                [pl.lit(f"{lab['doc_date']}: "), num("doc_date"), pl.lit(f" is after the export's date {as_of}")]
            )
        ),
        pl.when(~is_credit & (pl.col("due_date") < pl.col("doc_date"))).then(
            pl.concat_str([pl.lit(f"{lab['due_date']}: "), num("due_date"), pl.lit(" is before doc_date")])
        ),
    ]
    if "credit_limit" in mapping.columns:
        reasons.append(
            _why(pl.col("credit_limit_value") < 0, lab["credit_limit"], "is negative", pl.col("src:credit_limit"))
        )
    reasons.append(duplicate_id_reason(label(mapping, "document_id")))
    zero_decimals = sorted(c for c in frame["currency"].unique().to_list() if c and minor_units(c) == 0)
    if zero_decimals:
        reasons.append(
            pl.when(pl.col("currency").is_in(zero_decimals) & (pl.col("open") % 1 != 0)).then(
                pl.concat_str([pl.lit(f"{lab['open_amount']}: has decimals but "), pl.col("currency")])
            )
        )
    frame = frame.with_columns(_quarantined=pl.col("_struct_bad"))
    frame, found = _find(frame, [pl.col("_undecodable"), *reasons], stage=0)
    return frame, open_parsed, found


def customer_rules(frame: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rules that depend on other rows: every imported customer needs a country somewhere."""
    return _find(
        frame,
        [missing_country_reason(mapping)],
        stage=1,
    )
