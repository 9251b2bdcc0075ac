"""The benchmark's reference engines agree with the workbench on a small ledger.

``benchmarks/run.py`` compares the workbench with a DuckDB SQL reference and a
plain-pandas one; these tests keep the references honest on a small demo
ledger (seconds, not minutes): per-customer aging to the cent, the KPI set,
and the same result when the loader quarantines rows that the references
must then drop.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import polars as pl
import pytest

from benchmarks.compare import aging_difference, kpi_difference
from benchmarks.engines import duckdb_ref, pandas_ref
from benchmarks.engines.kpi_math import AGING_COLUMNS, weekly_dates
from benchmarks.engines.ledger_files import quarantined_rows
from benchmarks.engines.workbench_engine import kpi_json
from workbench.aging import aging
from workbench.demo import generate_demo
from workbench.kpis import kpi_history, kpis
from workbench.ledger.load import load_ledger

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def ledger_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench_ref") / "ledger"
    generate_demo(folder, customers=80, seed=3, fmt="parquet")
    return folder


@pytest.fixture(scope="module")
def damaged_folder(ledger_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same ledger plus rows the loader must quarantine.

    A repeated document id (the later row is quarantined) and an allocation
    pointing at an unknown document.
    """
    folder = tmp_path_factory.mktemp("bench_ref_damaged") / "ledger"
    folder.mkdir()
    for path in ledger_folder.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    docs = pl.read_parquet(folder / "documents.parquet")
    open_invoice = docs.filter(pl.col("doc_type") == "invoice").tail(1)
    pl.concat([docs, open_invoice.with_columns(pl.col("amount") * 2)]).write_parquet(folder / "documents.parquet")
    allocs = pl.read_parquet(folder / "allocations.parquet")
    stray = allocs.head(1).with_columns(pl.lit("INV-NOT-THERE").alias("document_id"))
    pl.concat([stray, allocs]).write_parquet(folder / "allocations.parquet")
    return folder


def _references(folder: Path, exclude: dict[str, list[int]]) -> tuple[pl.DataFrame, dict, pl.DataFrame, dict]:
    con = duckdb_ref.connect()
    duckdb_ref.load(con, folder, exclude)
    duck_aging, duck_kpis = duckdb_ref.aging_and_kpis(con, AS_OF)
    pd_aging, pd_kpis = pandas_ref.aging_and_kpis(pandas_ref.load(folder, exclude), AS_OF)
    return duck_aging, duck_kpis, pandas_ref.to_polars(pd_aging), pd_kpis


def _check_against_workbench(folder: Path) -> None:
    ledger = load_ledger(folder)
    expected = aging(ledger, AS_OF, by="customer")
    duck_aging, duck_kpis, pd_aging, pd_kpis = _references(folder, quarantined_rows(ledger.report.quarantine))

    assert expected.height > 0
    assert duck_aging.columns == expected.columns == ["customer_id", *AGING_COLUMNS]
    assert duck_aging.equals(expected), aging_difference(expected, duck_aging)

    pd_check = aging_difference(expected, pd_aging)
    assert pd_check["only_left_count"] == pd_check["only_right_count"] == 0
    assert Decimal(pd_check["max_abs_diff"]) <= Decimal("0.01"), pd_check

    expected_kpis = kpi_json(kpis(ledger, AS_OF))
    assert kpi_difference([expected_kpis], [duck_kpis])["mismatch_count"] == 0
    assert kpi_difference([expected_kpis], [pd_kpis])["mismatch_count"] == 0


def test_references_match_workbench_aging_to_the_cent(ledger_folder: Path) -> None:
    assert load_ledger(ledger_folder).report.rows_quarantined == 0
    _check_against_workbench(ledger_folder)


def test_references_drop_the_rows_the_loader_quarantines(damaged_folder: Path) -> None:
    report = load_ledger(damaged_folder).report
    assert quarantined_rows(report.quarantine) == {
        "documents": [report.files["documents.parquet"].rows_read],
        "allocations": [1],
    }
    _check_against_workbench(damaged_folder)


def test_duckdb_history_matches_kpi_history(ledger_folder: Path) -> None:
    ledger = load_ledger(ledger_folder)
    expected = [kpi_json(k) for k in kpi_history(ledger, weekly_dates(AS_OF, 13))]
    con = duckdb_ref.connect()
    duckdb_ref.load(con, ledger_folder)
    history, _ = duckdb_ref.kpi_history(con, weekly_dates(AS_OF, 13))
    check = kpi_difference(expected, history)
    assert check["dates"] == 13 and check["mismatch_count"] == 0, check


def test_sql_half_even_rounding_matches_decimal() -> None:
    rng = random.Random(5)
    values = [Decimal(rng.randint(-(10**22), 10**22)).scaleb(-15) for _ in range(300)]
    values += [
        Decimal(f"{sign}{whole}.{cents}5")
        for sign in ("", "-")
        for whole in (0, 7, 10**12)
        for cents in ("00", "01", "02", "09", "99")
    ]  # exact ties at the third decimal
    con = duckdb_ref.connect()
    got = con.sql(
        "SELECT v, round_half_even(CAST(v AS DECIMAL(38, 15))) FROM (SELECT unnest($v::VARCHAR[]) AS v)",
        params={"v": [str(v) for v in values]},
    ).fetchall()
    rounded = {Decimal(v): r for v, r in got}
    assert len(rounded) == len(set(values))
    assert all(rounded[v] == v.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) for v in values)
