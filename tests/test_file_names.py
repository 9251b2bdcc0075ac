"""File names derived from text: safe, readable where possible, and never shared by two subjects."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from workbench.render.files import file_id, safe_name, unique_names
from workbench.reports.sales_digest import build_digests, write_digests

from .builders import inv, ledger

AS_OF = date(2026, 11, 20)
SAFE = re.compile(r"[A-Za-z0-9_-]+")


def _h(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def test_file_id_keeps_plain_ids_and_marks_changed_ones() -> None:
    assert file_id("C000123", "customer") == "C000123"
    assert file_id("C/1", "customer") == f"C_1-{_h('C/1')}" != file_id("C_1", "customer") == "C_1"
    assert file_id("../../etc/passwd", "customer") == f"______etc_passwd-{_h('../../etc/passwd')}"
    long_a, long_b = "A" * 40 + "x", "A" * 40 + "y"
    assert file_id(long_a, "c") != file_id(long_b, "c") and file_id(long_a, "c").startswith("A" * 40 + "-")
    assert file_id("", "customer") == f"customer-{_h('')}"
    assert safe_name("EUR", "XXX") == "EUR"


def test_unique_names_are_readable_and_distinct() -> None:
    reps = ["José Pérez", "Josè Pèrez", "Hugo Mercier", "Anna Schmidt", "Ann" + "a" * 45, "Ann" + "a" * 46, "../x"]
    names = unique_names([*reps, "Hugo Mercier"], "rep")
    assert list(names) == reps  # one name per distinct text, in first-seen order
    assert names["Hugo Mercier"] == "Hugo_Mercier" and names["Anna Schmidt"] == "Anna_Schmidt"
    assert names["José Pérez"] == f"Jose_Perez-{_h('José Pérez')}"
    assert names["Josè Pèrez"] == f"Jose_Perez-{_h('Josè Pèrez')}"
    assert names["Ann" + "a" * 45] != names["Ann" + "a" * 46]  # equal first 40 characters
    assert names["../x"] == "___x"
    assert len({n.casefold() for n in names.values()}) == len(reps)
    assert all(SAFE.fullmatch(n) for n in names.values())
    # the same texts give the same names in another run, whatever the order
    assert unique_names(reversed(reps), "rep") == names
    # a case-only difference would share a file on a case-insensitive disk
    both = unique_names(["Ana Lima", "ANA LIMA"], "rep")
    assert both["Ana Lima"].casefold() != both["ANA LIMA"].casefold()


def test_reps_whose_names_collide_each_get_their_own_digest(tmp_path: Path) -> None:
    reps = {"C1": "José Pérez", "C2": "Josè Pèrez", "C3": "R" * 40 + " North", "C4": "R" * 40 + " South"}
    customers = [
        {"customer_id": cid, "name": f"Customer {cid}", "country": "FR", "currency": "EUR", "sales_rep": rep}
        for cid, rep in reps.items()
    ]
    docs = [inv(f"I{n}", "2026-08-01", "2026-09-01", "100.00", customer=cid) for n, cid in enumerate(reps, start=1)]
    led = ledger(tmp_path / "ledger", customers=customers, documents=docs)
    digests = build_digests(led, AS_OF)
    assert sorted(d.sales_rep for d in digests) == sorted(reps.values())
    paths = write_digests(digests, tmp_path / "out", "Demo")
    pages, index = paths[:-1], paths[-1]
    assert len(pages) == len({p.name for p in pages}) == 4 == len(list((tmp_path / "out").glob("sales_digest_*")))
    html = index.read_text(encoding="utf-8")
    for digest, page in zip(digests, pages, strict=True):
        assert f'href="{page.name}"' in html
        text = page.read_text(encoding="utf-8")
        own = next(cid for cid, rep in reps.items() if rep == digest.sales_rep)
        assert f"Customer {own}" in text and all(f"Customer {c}<" not in text for c in reps if c != own)
