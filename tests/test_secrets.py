"""No secret reaches an output: a journal password given in a URL never appears in any file of a report run."""

from __future__ import annotations

from datetime import date

from workbench.journal import Journal
from workbench.journal.store import split_password
from workbench.reports import registry

from .conftest import SMALL_AS_OF

SECRET = "Pa55-w0rd-that-must-not-leak"


def test_split_password_keeps_user_host_and_database() -> None:
    assert split_password("postgresql://ann:p%40ss@db.example:5432/journal?sslmode=require") == (
        "postgresql://ann@db.example:5432/journal?sslmode=require",
        "p@ss",
    )
    assert split_password("postgresql://ann@db.example/journal") == ("postgresql://ann@db.example/journal", None)
    assert split_password("journal.sqlite") == ("journal.sqlite", None)


def test_a_weekly_report_on_a_password_url_writes_the_password_nowhere(small_demo, pg_journal_url, tmp_path) -> None:
    user, rest = pg_journal_url.split("://", 1)[1].split("@", 1)
    with_secret = f"postgresql://{user}:{SECRET}@{rest}"
    with Journal.open(with_secret, create=True) as book:
        book.add_note("C000002", "called, will pay Friday", on=date(2026, 11, 18), author="Ann")
    out = tmp_path / "out"
    result = registry.run("weekly", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=out, pdf=True, journal=with_secret)
    assert result.pdf is not None and result.pdf.is_file()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".ipynb", ".html", ".pdf", ".json"}
    leaks = [p.name for p in files if SECRET.encode() in p.read_bytes()]
    assert leaks == []
    notebook = result.ipynb.read_text(encoding="utf-8")
    assert f"postgresql://{user}@{rest}" in notebook  # the journal is named, without its password
