"""Who the customers are: ids, legal names, groups, contacts and account owners."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import _names as names
from . import _world as w
from ._util import padded_ids

GROUP_HEAD_SHARE = 0.25  # of key accounts
MEMBERS_PER_HEAD = 2


def _groups(
    rng: np.random.Generator, c_idx: np.ndarray, segment: np.ndarray, base: np.ndarray, reserved: np.ndarray
) -> np.ndarray:
    """Make a few key accounts group heads with subsidiaries; returns parent ids (None if none).

    Subsidiaries take the head's name plus their country ("Vantor Steel España"),
    heads get " Holding". ``base`` is updated in place.
    """
    n = c_idx.size
    parent = np.full(n, None, dtype=object)
    heads = np.flatnonzero((segment == 0) & ~reserved)
    heads = heads[rng.random(heads.size) < GROUP_HEAD_SHARE]
    if not heads.size:
        return parent
    pool = np.flatnonzero(~reserved & ~np.isin(np.arange(n), heads))
    members = rng.permutation(pool)[: heads.size * MEMBERS_PER_HEAD]
    owner = heads[rng.integers(0, heads.size, members.size)]
    label = np.asarray([c.label for c in w.COUNTRIES], dtype=object)[c_idx[members]]
    base[members] = base[owner] + " " + label
    parent[members] = padded_ids("C", owner + 1, 6).to_numpy()
    base[heads] = base[heads] + " Holding"
    return parent


def _legal_names(rng: np.random.Generator, c_idx: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Unique-per-country base names completed with one of the country's legal forms."""
    country = np.asarray([c.code for c in w.COUNTRIES])[c_idx]
    unique = names.make_unique(pl.Series(base.astype(str)), pl.Series(country))
    forms = [f for c in w.COUNTRIES for f in c.forms]
    counts = np.asarray([len(c.forms) for c in w.COUNTRIES])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = offsets[c_idx] + rng.integers(0, 1 << 30, c_idx.size) % counts[c_idx]
    full = pl.select(pl.format("{} {}", unique, pl.Series(forms).gather(pick))).to_series()
    return full.to_numpy().astype(object)


def _per_group(rng: np.random.Generator, keys: np.ndarray, groups: dict[str, tuple[str, ...]]) -> np.ndarray:
    """For each element, a random member of ``groups[key]``."""
    out = np.empty(keys.size, dtype=object)
    for key, members in groups.items():
        mask = keys == key
        out[mask] = np.asarray(members)[rng.integers(0, len(members), int(mask.sum()))]
    return out.astype(str)


def identities(
    rng: np.random.Generator, c_idx: np.ndarray, segment: np.ndarray, entity: np.ndarray
) -> dict[str, pl.Series | np.ndarray]:
    """customer_id, name, parent_id, email, phone, vat_id, collector and sales_rep per customer.

    Customer 8 (or the last) is named ``SCRIPT_NAME`` and customer 14 (or the
    one before the last) ``FORMULA_NAME``: exactly one of each.
    """
    n = c_idx.size
    script_at, formula_at = min(7, n - 1), min(13, n - 2)
    reserved = np.zeros(n, dtype=bool)
    reserved[[script_at, formula_at]] = True
    base = names.base_names(rng, n).to_numpy().astype(object)
    parent = _groups(rng, c_idx, segment, base, reserved)
    full = _legal_names(rng, c_idx, base)
    full[script_at] = names.SCRIPT_NAME
    full[formula_at] = names.FORMULA_NAME
    name = pl.Series("name", full.astype(str))

    phone = np.empty(n, dtype=object)
    vat = np.empty(n, dtype=object)
    for ci, country in enumerate(w.COUNTRIES):
        mask = c_idx == ci
        phone[mask] = names.pattern_fill(rng, country.phone, int(mask.sum()))
        vat[mask] = names.pattern_fill(rng, country.vat, int(mask.sum()))
    domains = names.slugs(name.str.split(" ").list.head(2).list.join(""))
    tld = pl.Series(np.asarray([c.tld for c in w.COUNTRIES])[c_idx])
    return {
        "customer_id": padded_ids("C", np.arange(1, n + 1), 6),
        "name": name,
        "parent_id": pl.Series("parent_id", parent.tolist(), dtype=pl.String),
        "email": names.emails(rng, pl.select(pl.concat_str([domains, pl.lit("."), tld])).to_series()),
        "phone": phone.astype(str),
        "vat_id": vat.astype(str),
        "collector": _per_group(rng, entity, w.COLLECTORS),
        "sales_rep": _per_group(rng, entity, w.SALES_REPS),
    }
