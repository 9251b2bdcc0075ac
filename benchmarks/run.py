"""Benchmark the workbench against a DuckDB SQL reference and plain pandas.

    .venv/bin/python benchmarks/run.py [--sizes 1000000 10000000] [--data benchmarks/data]
                                       [--out benchmarks/results] [--run-date YYYY-MM-DD]

For each size: generate (once) a Parquet demo ledger of that many documents,
run each engine in its own process on the same ledger and as-of date, compare
their per-customer aging and KPIs, print a table and write
``<out>/latest.json`` and ``<out>/latest.md``. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from benchmarks.compare import aging_difference, kpi_difference
from benchmarks.data import DemoSpec, ensure_demo, folder_bytes, read_marker
from benchmarks.measure import busy_cpu_seconds
from benchmarks.report import console_table, engine_row, machine_facts, markdown, ratios
from benchmarks.worker import ENGINES

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_AS_OF = date(2026, 11, 20)


def run_worker(engine: str, folder: Path, as_of: date, out: Path, *, exclude: Path | None,
               weeks: int, threads: int | None, stage_repeat: int, quiet_wait: float) -> dict[str, object]:
    """Run one engine in a child process; return its result with the child's peak RSS.

    The worker measures each stage's peak itself (it resets the kernel's
    high-water mark between stages, see ``measure.py``); ``os.wait4`` gives
    the rusage of exactly this child, whose ``ru_maxrss`` is then the peak of
    its last stage. The process peak is the larger of the two figures.
    ``other_cpu_share`` is the share of the machine other processes used
    while the child ran (waits for quiet included).
    """
    cmd = [sys.executable, str(HERE / "worker.py"), engine, "--ledger", str(folder), "--as-of", as_of.isoformat(),
           "--out", str(out), "--weeks", str(weeks), "--stage-repeat", str(stage_repeat),
           "--quiet-wait", str(quiet_wait)]
    if exclude is not None:
        cmd += ["--exclude", str(exclude)]
    if threads:
        cmd += ["--threads", str(threads)]
    print(f"- {engine}: {shlex.join(cmd[1:])}", flush=True)
    (out / "result.json").unlink(missing_ok=True)
    started, machine_before = time.perf_counter(), busy_cpu_seconds()
    proc = subprocess.Popen(cmd, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    wall, machine_busy = time.perf_counter() - started, busy_cpu_seconds() - machine_before
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} worker failed with exit code {proc.returncode}")
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    result["wait4_maxrss_gb"] = usage.ru_maxrss * 1024 / 1e9
    result["peak_rss_gb"] = max(result["wait4_maxrss_gb"], result["process_peak_rss_gb"])
    result["process_seconds"] = wall
    child_cpu = usage.ru_utime + usage.ru_stime
    result["child_cpu_seconds"] = child_cpu
    result["other_cpu_share"] = max(0.0, machine_busy - child_cpu) / (wall * (os.cpu_count() or 1))
    return result




def best_of(runs: list[dict[str, object]]) -> dict[str, object]:
    """Merge the processes of one engine: per stage the fastest call, highest peak memory per stage."""
    merged = dict(runs[-1])
    for key in ("seconds", "cpu_seconds", "others_share"):
        merged[key] = {}
    for stage in runs[0]["seconds"]:  # type: ignore[union-attr]
        fastest = min(runs, key=lambda r: r["seconds"][stage])  # type: ignore[index]
        for key in ("seconds", "cpu_seconds", "others_share"):
            merged[key][stage] = fastest[key][stage]  # type: ignore[index]
    merged["calls"] = [r["calls"] for r in runs]
    merged["peak_rss_gb"] = max(r["peak_rss_gb"] for r in runs)  # type: ignore[type-var]
    merged["stage_peak_rss_gb"] = {
        k: max(r["stage_peak_rss_gb"][k] for r in runs) for k in runs[0]["stage_peak_rss_gb"]  # type: ignore[index]
    }
    merged["other_cpu_share"] = max(r["other_cpu_share"] for r in runs)  # type: ignore[type-var]
    return merged


def cross_checks(work: Path, results: dict[str, dict[str, object]]) -> dict[str, object]:
    """Compare the workbench with each reference (aging per customer, KPIs, history)."""
    checks: dict[str, object] = {}
    if "workbench" not in results:
        return checks
    base = pl.read_parquet(work / "workbench" / "aging.parquet")
    for other in ("duckdb", "pandas"):
        if other not in results:
            continue
        checks[f"aging_workbench_{other}"] = aging_difference(base, pl.read_parquet(work / other / "aging.parquet"))
        checks[f"kpis_workbench_{other}"] = kpi_difference([results["workbench"]["kpis"]],  # type: ignore[list-item]
                                                           [results[other]["kpis"]])  # type: ignore[list-item]
    wb_hist, duck_hist = results["workbench"].get("history"), results.get("duckdb", {}).get("history")
    if wb_hist and duck_hist:
        checks["history_workbench_duckdb"] = kpi_difference(wb_hist, duck_hist)  # type: ignore[arg-type]
    return checks


def bench_size(size: int, args: argparse.Namespace) -> dict[str, object]:
    """Generate or reuse the ledger of one size, run every engine, cross-check."""
    print(f"\n== {size:,} documents ==", flush=True)
    folder = ensure_demo(DemoSpec(size, args.as_of), args.data)
    work = args.out / "work" / f"demo_{size}"
    exclusions = work / "workbench" / "exclusions.json"
    runs: dict[str, list[dict[str, object]]] = {engine: [] for engine in args.engines}
    for _ in range(args.repeat):  # rounds: engine after engine, so disturbances spread over all of them
        for engine in args.engines:
            runs[engine].append(run_worker(
                engine, folder, args.as_of, work / engine,
                exclude=exclusions if engine != "workbench" and exclusions.is_file() else None,
                weeks=0 if engine == "pandas" else args.weeks, threads=args.threads,
                stage_repeat=args.stage_repeat, quiet_wait=args.quiet_wait))
    results = {engine: best_of(r) for engine, r in runs.items()}
    rows = {e: engine_row(e, r) for e, r in results.items()}
    marker = read_marker(folder) or {}
    size_result = {
        "as_of": args.as_of.isoformat(),
        "ledger": str(folder),
        "ledger_rows": marker.get("rows", {}),
        "parquet_mb": folder_bytes(folder) / 1e6,
        "rows": rows,
        "ratios": ratios(rows),
        "checks": cross_checks(work, results),
        "engines": results,
    }
    print(console_table(size, size_result), flush=True)
    return size_result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="ledger sizes in documents (default: 1000000 10000000)")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where the demo ledgers are kept")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where latest.json/.md are written")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF, help="as-of date D")
    parser.add_argument("--run-date", type=date.fromisoformat,
                        help="date printed on the results (default: today, read once at start)")
    parser.add_argument("--markdown-from", type=Path, metavar="JSON",
                        help="only rewrite latest.md from a results JSON (no measuring)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--repeat", type=int, default=1,
                        help="processes per engine (each loads again); the fastest stage times are reported")
    parser.add_argument("--stage-repeat", type=int, default=3,
                        help="calls of each stage after load, within one process; the fastest is reported")
    parser.add_argument("--quiet-wait", type=float, default=20.0,
                        help="before each timed call, wait up to this many seconds for other processes to go quiet")
    parser.add_argument("--weeks", type=int, default=13, help="weeks of KPI history (0 to skip)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's own, one per core)")
    args = parser.parse_args(argv)
    if "workbench" in args.engines:  # the references need the workbench's quarantine list first
        args.engines = ["workbench", *(e for e in args.engines if e != "workbench")]
    args.data, args.out = args.data.resolve(), args.out.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.markdown_from:
        saved = json.loads(args.markdown_from.read_text(encoding="utf-8"))
        (args.out / "latest.md").write_text(markdown(saved), encoding="utf-8")
        print(f"wrote {args.out / 'latest.md'} from {args.markdown_from}")
        return 0
    run_date = args.run_date or date.today()  # a label only: no calculation reads it
    results: dict[str, object] = {
        "run_date": run_date.isoformat(),
        "command": shlex.join(["benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)]),
        "repeat": args.repeat,
        "stage_repeat": args.stage_repeat,
        "quiet_wait": args.quiet_wait,
        "duckdb_threads": args.threads or "default (one per core)",
        "machine": machine_facts(REPO),
        "sizes": {},
    }
    for size in args.sizes:
        results["sizes"][str(size)] = bench_size(size, args)  # type: ignore[index]
        (args.out / "latest.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        (args.out / "latest.md").write_text(markdown(results), encoding="utf-8")
    print(f"\nwrote {args.out / 'latest.json'} and {args.out / 'latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
