"""The ledger cache: a hit is the ledger a fresh load gives; anything that could make it differ is a miss."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.ledger import Ledger, load
from workbench.ledger import cache as cache_mod
from workbench.ledger.load import load_ledger
from workbench.workspace import load_workspace, render_workspace_toml

from .builders import alloc, inv, pay, write_ledger, write_table

FRAMES = ("customers", "documents", "payments", "allocations", "orders", "financials", "contacts")


def assert_same(a: Ledger, b: Ledger) -> None:
    """Every frame equal (values and types), the same FX table, settings and load report."""
    assert (a.company, a.reporting_currency) == (b.company, b.reporting_currency)
    for name in FRAMES:
        left, right = getattr(a, name), getattr(b, name)
        assert left.schema == right.schema, name
        assert left.equals(right), name
    assert a.fx.reporting_currency == b.fx.reporting_currency
    assert a.fx.rates.equals(b.fx.rates)
    for derived in ("receivables", "credit_sources"):  # stored with the entry, computed on a fresh load
        assert getattr(a, derived).equals(getattr(b, derived)), derived
    assert a.report.files == b.report.files
    assert a.report.issues == b.report.issues
    assert a.report.quarantine.keys() == b.report.quarantine.keys()
    for file, frame in a.report.quarantine.items():
        assert frame.equals(b.report.quarantine[file]), file


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A small ledger with a quarantined row, a warning and a foreign currency."""
    return write_ledger(
        tmp_path / "ledger",
        customers=[
            {"customer_id": "C1", "name": "Alpha", "country": "FR", "currency": "EUR"},
            {"customer_id": "C2", "name": "Beta", "country": "XX", "currency": "USD"},
        ],
        documents=[
            inv("A", "2025-01-01", "2025-01-31", "10.50"),
            inv("B", "2025-01-02", "2025-02-01", "20.00", customer="C2", currency="USD"),
            inv("BAD", "2025-01-03", "2025-01-01", "5.00"),  # due before doc date: quarantined
        ],
        payments=[pay("P", "2025-01-05", "4.25")],
        allocations=[alloc("P", "A", "4.25", "2025-01-05")],
        fx=[{"date": "2024-12-31", "currency": "USD", "rate": "0.9"}],
    )


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders read from their files (not from the cache), in order."""
    seen: list[Path] = []
    real = load._load

    def counting(folder: Path) -> Ledger:
        seen.append(folder)
        return real(folder)

    monkeypatch.setattr(load, "_load", counting)
    return seen


def test_a_hit_is_the_ledger_of_a_fresh_load(folder: Path, tmp_path: Path, loads: list[Path]) -> None:
    cache = tmp_path / "cache"
    first = load_ledger(folder, cache_dir=cache)
    second = load_ledger(folder, cache_dir=cache)
    assert len(loads) == 1  # the second came from the cache
    fresh = load_ledger(folder)
    assert second.report.rows_quarantined == 1 and second.report.quarantine
    assert any(not i.quarantined for i in second.report.issues)  # the country warning survives too
    assert_same(first, fresh)
    assert_same(second, fresh)
    assert len(cache_mod.entries(cache)) == 1


def test_without_a_cache_folder_nothing_is_written(folder: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.rglob("*"))
    load_ledger(folder)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_content_change_of_the_same_size_and_time_is_a_miss(folder: Path, tmp_path: Path, loads: list[Path]) -> None:
    cache = tmp_path / "cache"
    load_ledger(folder, cache_dir=cache)
    path = folder / "documents.csv"
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("10.50", "19.50"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # size and mtime as before: only the hash differs
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    led = load_ledger(folder, cache_dir=cache)
    assert len(loads) == 2
    assert led.documents.filter(pl.col("document_id") == "A")["amount"].item() == 19_500
    assert_same(led, load_ledger(folder))
    assert len(cache_mod.entries(cache)) == 1  # the stale entry is gone


def test_a_deleted_file_is_a_miss(folder: Path, tmp_path: Path, loads: list[Path]) -> None:
    cache = tmp_path / "cache"
    load_ledger(folder, cache_dir=cache)
    (folder / "allocations.csv").unlink()
    led = load_ledger(folder, cache_dir=cache)
    assert len(loads) == 2 and led.allocations.height == 0
    assert_same(led, load_ledger(folder))


def test_an_added_contacts_file_is_a_miss(folder: Path, tmp_path: Path, loads: list[Path]) -> None:
    cache = tmp_path / "cache"
    load_ledger(folder, cache_dir=cache)
    write_table(
        folder, "contacts", [{"customer_id": "C1", "name": "Ann", "role": "billing"}], ["customer_id", "name", "role"]
    )
    led = load_ledger(folder, cache_dir=cache)
    assert len(loads) == 2 and led.contacts["name"].to_list() == ["Ann"]
    assert load_ledger(folder, cache_dir=cache).contacts.height == 1
    assert len(loads) == 2  # and the new entry is used


def test_a_changed_ledger_toml_is_a_miss(folder: Path, tmp_path: Path, loads: list[Path]) -> None:
    cache = tmp_path / "cache"
    load_ledger(folder, cache_dir=cache)
    (folder / "ledger.toml").write_text('company = "Other Co"\nreporting_currency = "EUR"\n')
    assert load_ledger(folder, cache_dir=cache).company == "Other Co"
    assert len(loads) == 2


@pytest.mark.parametrize("damage", ["garbage", "flip", "truncate", "no_manifest", "bad_manifest"])
def test_a_damaged_entry_is_rebuilt_never_an_error(
    folder: Path, tmp_path: Path, loads: list[Path], damage: str
) -> None:
    cache = tmp_path / "cache"
    load_ledger(folder, cache_dir=cache)
    (entry,) = cache_mod.entries(cache)
    target = entry / "documents.parquet"
    data = target.read_bytes()
    if damage == "garbage":
        target.write_bytes(b"not parquet at all")
    elif damage == "flip":  # same size, one byte changed in the middle: only the digest notices
        middle = len(data) // 2
        target.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif damage == "truncate":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "no_manifest":
        (entry / "manifest.json").unlink()
    else:
        (entry / "manifest.json").write_text("{not json", encoding="utf-8")
    led = load_ledger(folder, cache_dir=cache)
    assert len(loads) == 2
    load_ledger(folder, cache_dir=cache)
    assert len(loads) == 2  # the rebuilt entry is whole again
    assert_same(led, load_ledger(folder))


def test_a_new_workbench_version_or_rules_is_a_miss(
    folder: Path, tmp_path: Path, loads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    load_ledger(folder, cache_dir=cache)
    monkeypatch.setattr(cache_mod, "workbench_version", lambda: "99.0.0")
    load_ledger(folder, cache_dir=cache)
    assert len(loads) == 2
    monkeypatch.setattr(cache_mod, "rules_digest", lambda: "edited rules")
    load_ledger(folder, cache_dir=cache)
    assert len(loads) == 3
    monkeypatch.setattr(cache_mod, "CACHE_FORMAT", cache_mod.CACHE_FORMAT + 1)
    load_ledger(folder, cache_dir=cache)
    assert len(loads) == 4


def test_a_file_changed_during_the_load_is_not_stored(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    real = load._load

    def editing(path: Path) -> Ledger:
        led = real(path)
        with (folder / "payments.csv").open("a", encoding="utf-8") as handle:
            handle.write("P2,C1,2025-01-06,EUR,1.00\n")
        return led

    monkeypatch.setattr(load, "_load", editing)
    load_ledger(folder, cache_dir=cache)
    assert cache_mod.entries(cache) == []


def test_an_unwritable_cache_folder_still_loads(folder: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    assert_same(load_ledger(folder, cache_dir=blocker / "cache"), load_ledger(folder))


def test_the_workspace_declares_its_cache_folder(tmp_path: Path) -> None:
    (tmp_path / "workbench.toml").write_text(render_workspace_toml("Acme"), encoding="utf-8")
    assert 'cache = ".workbench/cache"' in (tmp_path / "workbench.toml").read_text()
    assert load_workspace(tmp_path).cache == tmp_path.resolve() / ".workbench" / "cache"
    (tmp_path / "workbench.toml").write_text(
        '[workspace]\nid = "x"\ncompany = "Acme"\n[paths]\ncache = "/var/tmp/acme-cache"\n', encoding="utf-8"
    )
    assert load_workspace(tmp_path).cache == Path("/var/tmp/acme-cache")


def test_commands_in_a_workspace_use_its_cache_and_still_warn(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path
    (root / "workbench.toml").write_text(render_workspace_toml("Test Co"), encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.delenv("WORKBENCH_WORKSPACE", raising=False)
    runner = CliRunner()
    outputs = []
    for _ in range(2):
        result = runner.invoke(app, ["kpis", "--as-of", "2025-01-31"])
        assert result.exit_code == 0, result.output
        assert "1 row(s) quarantined" in result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert len(cache_mod.entries(root / ".workbench" / "cache")) == 1


def test_a_bare_ledger_folder_is_not_cached(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_WORKSPACE", raising=False)
    result = CliRunner().invoke(app, ["kpis", "--ledger", str(folder), "--as-of", "2025-01-31"])
    assert result.exit_code == 0, result.output
    assert not any(p.name == "cache" for p in tmp_path.rglob("*"))


def test_as_of_figures_from_a_hit_match(folder: Path, tmp_path: Path) -> None:
    from workbench import kpis

    cache = tmp_path / "cache"
    load_ledger(folder, cache_dir=cache)
    day = date(2025, 1, 31)
    assert kpis(load_ledger(folder, cache_dir=cache), day) == kpis(load_ledger(folder), day)
