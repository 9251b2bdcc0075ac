"""One engine on one ledger, in its own process: ``python benchmarks/worker.py ENGINE ...``.

The runner starts one worker per engine and size so that each process's peak
resident memory is its own. Stages are measured by :mod:`benchmarks.measure`
(wall and CPU time, peak RSS per stage, how busy the rest of the machine
was); stages after load can be called several times, the fastest counting.
The worker writes into ``--out``:

- ``result.json``: engine, stage figures, KPIs at D,
  KPIs of the 13-week history (when computed), sub-step seconds;
- ``aging.parquet``: the per-customer aging at D (Decimal(38, 2) for the
  exact engines, Float64 for pandas);
- ``exclusions.json`` (workbench only): the rows its loader quarantined, which
  the reference workers then drop.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import Stages  # noqa: E402

ENGINES = ("workbench", "duckdb", "pandas")


def run_workbench(folder: Path, as_of: date, out: Path, weeks: int, stages: Stages) -> dict[str, object]:
    """Stages load, asof, aging, kpis, history; saves the aging and the quarantined rows."""
    from benchmarks.engines import workbench_engine as wb

    ledger = stages.run("load", wb.load, folder, once=True)
    excluded = wb.exclusions(ledger)
    (out / "exclusions.json").write_text(json.dumps(excluded), encoding="utf-8")
    open_counts = stages.run("asof", wb.asof, ledger, as_of)
    led, aging = stages.run("aging", wb.aging_stage, ledger, as_of)
    kpis = stages.run("kpis", wb.kpis_stage, led, as_of)
    del led
    history = stages.run("history", wb.history, ledger, as_of, weeks) if weeks else None
    aging.write_parquet(out / "aging.parquet")
    return {
        "kpis": kpis, "history": history, "open_items": open_counts[0], "open_credit": open_counts[1],
        "quarantined_rows": {k: len(v) for k, v in excluded.items()},
        "history_function": f"kpi_history(ledger, weekly_dates(D, {weeks}))",
    }


def run_duckdb(folder: Path, as_of: date, out: Path, weeks: int, stages: Stages, exclude: dict[str, list[int]],
               threads: int | None) -> dict[str, object]:
    """Stages load, aging_kpis (with sub-step seconds of the fastest call), history."""
    from benchmarks.engines import duckdb_ref as ref
    from benchmarks.engines.kpi_math import weekly_dates

    con = ref.connect(threads)
    stages.run("load", ref.load, con, folder, exclude, once=True)
    runs: list[dict[str, float]] = []

    def aging_and_kpis() -> tuple[object, dict[str, object]]:
        runs.append({})
        return ref.aging_and_kpis(con, as_of, runs[-1])

    aging, kpis = stages.run("aging_kpis", aging_and_kpis)
    steps = min(runs, key=lambda r: sum(r.values()))
    history = None
    if weeks:
        history, _ = stages.run("history", ref.kpi_history, con, weekly_dates(as_of, weeks))
    aging.write_parquet(out / "aging.parquet")
    threads_used = con.sql("SELECT current_setting('threads')").fetchall()[0][0]
    return {"kpis": kpis, "history": history, "steps": steps, "threads": threads_used}


def run_pandas(folder: Path, as_of: date, out: Path, stages: Stages,
               exclude: dict[str, list[int]]) -> dict[str, object]:
    """Stages load and aging_kpis (no history: it would be the single-date code 13 times)."""
    from benchmarks.engines import pandas_ref as ref

    frames = stages.run("load", ref.load, folder, exclude, once=True)
    aging, kpis = stages.run("aging_kpis", ref.aging_and_kpis, frames, as_of)
    ref.to_polars(aging).write_parquet(out / "aging.parquet")
    return {"kpis": kpis, "history": None, "money": "float64"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=ENGINES)
    parser.add_argument("--ledger", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--exclude", type=Path, help="exclusions.json written by the workbench worker")
    parser.add_argument("--weeks", type=int, default=13, help="history length (0: no history)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's own, one per core)")
    parser.add_argument("--stage-repeat", type=int, default=1,
                        help="calls of each stage after load; the fastest is reported")
    parser.add_argument("--quiet-wait", type=float, default=0.0,
                        help="before each call, wait up to this many seconds for other processes to go quiet")
    args = parser.parse_args(argv)
    from benchmarks.engines.ledger_files import read_exclusions

    args.out.mkdir(parents=True, exist_ok=True)
    stages = Stages(repeat=args.stage_repeat, quiet_wait=args.quiet_wait)
    exclude = read_exclusions(args.exclude)
    if args.engine == "workbench":
        extra = run_workbench(args.ledger, args.as_of, args.out, args.weeks, stages)
    elif args.engine == "duckdb":
        extra = run_duckdb(args.ledger, args.as_of, args.out, args.weeks, stages, exclude, args.threads)
    else:
        extra = run_pandas(args.ledger, args.as_of, args.out, stages, exclude)
    result = {
        "engine": args.engine, "ledger": str(args.ledger), "as_of": args.as_of.isoformat(),
        **stages.summary(),
        "excluded_rows": sum(map(len, exclude.values())),
        **extra,
    }
    (args.out / "result.json").write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
