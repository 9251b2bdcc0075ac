"""Commands as a user runs them: ``workbench kpis`` cold and warm (ledger cache) against DuckDB, end to end.

    .venv/bin/python benchmarks/rerun.py [--documents 1000000] [--formats csv parquet] [--repeat 3]
                                         [--data benchmarks/data] [--out benchmarks/results]

For each format, a demo ledger of ``--documents`` documents (generated once
into ``<data>/rerun_<N>_<fmt>/ledger``) is bound to a workspace
(``<out>/work/rerun_<N>_<fmt>/workbench.toml``), and these processes are
timed from start to exit (``os.wait4``: wall time, CPU time, peak RSS):

- **cold**: ``workbench kpis --as-of D --json`` with an empty cache folder:
  reads and validates every file, computes the KPIs, stores the cache;
- **warm**: the same command again (``--repeat`` times; the fastest counts):
  reads the cache, computes the KPIs;
- **duckdb**: a Python process that connects DuckDB, reads the ledger's
  Parquet tables (``engines/duckdb_ref.load``) and computes the same KPI set
  (``engines/duckdb_ref.kpi_history`` at D), printing it as JSON (also the
  fastest of ``--repeat``). For a CSV ledger DuckDB reads the Parquet
  ledger of the same size: it is the reference, not a CSV reader.

Also ``workbench --help`` (start-up time, fastest of 5). The warm and cold
outputs are checked to be identical, and the workbench KPIs to equal
DuckDB's. Results: ``<out>/rerun-latest.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_AS_OF = date(2026, 11, 20)
MARKER = "rerun.json"


def ensure_ledger(data: Path, documents: int, fmt: str, as_of: date) -> Path:
    """The demo ledger of this size and format, generated when its marker is missing or differs."""
    folder = data / f"rerun_{documents}_{fmt}" / "ledger"
    spec = {"documents": documents, "fmt": fmt, "as_of": as_of.isoformat(), "seed": 42}
    marker = folder.parent / MARKER
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == spec:
        return folder
    from workbench.demo import generate_demo

    print(f"generating {folder} ...", flush=True)
    marker.unlink(missing_ok=True)
    generate_demo(folder, as_of=as_of, seed=42, documents=documents, fmt=fmt)  # type: ignore[arg-type]
    marker.write_text(json.dumps(spec), encoding="utf-8")
    return folder


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run one process to its end: wall seconds, its CPU seconds and peak RSS (``os.wait4``), its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
        return {
            "seconds": wall,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_gb": usage.ru_maxrss * 1024 / 1e9,
            "stdout": out.read().decode(),
        }


def workbench_cmd() -> list[str]:
    """The installed ``workbench`` script next to this Python, else ``python -m workbench.cli``."""
    script = Path(sys.executable).with_name("workbench")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "workbench.cli"]


def make_workspace(root: Path, ledger: Path) -> Path:
    """A workspace at ``root`` whose ledger is ``ledger`` (its cache folder emptied)."""
    from workbench.workspace import render_workspace_toml

    root.mkdir(parents=True, exist_ok=True)
    (root / "workbench.toml").write_text(render_workspace_toml("Benchmark", ledger=str(ledger)), encoding="utf-8")
    shutil.rmtree(root / ".workbench" / "cache", ignore_errors=True)
    return root


def duckdb_once(ledger: Path, as_of: date) -> None:
    """The DuckDB process: load the Parquet tables, compute the KPI set at D, print it as JSON."""
    from benchmarks.engines import duckdb_ref as ref

    con = ref.connect()
    ref.load(con, ledger)
    kpis, _ = ref.kpi_history(con, [as_of])
    print(json.dumps(kpis[0], default=str))


def best(runs: list[dict[str, object]]) -> dict[str, object]:
    """The fastest of several runs, with every run's seconds."""
    fastest = dict(min(runs, key=lambda r: r["seconds"]))  # type: ignore[arg-type, return-value]
    fastest["all_seconds"] = [round(float(r["seconds"]), 3) for r in runs]  # type: ignore[arg-type]
    fastest.pop("stdout", None)
    return fastest


def same_kpis(workbench_json: str, duckdb_json: str) -> list[str]:
    """The KPI names whose values differ between the workbench's output and DuckDB's (as text)."""
    wb = json.loads(workbench_json)
    duck = json.loads(duckdb_json)
    return sorted(k for k in duck if k in wb and str(wb[k]) != str(duck[k]))


def bench_format(fmt: str, args: argparse.Namespace, parquet: Path) -> dict[str, object]:
    ledger = ensure_ledger(args.data, args.documents, fmt, args.as_of)
    root = make_workspace(args.out / "work" / f"rerun_{args.documents}_{fmt}", ledger)
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(root)}
    kpis = [*workbench_cmd(), "kpis", "--as-of", args.as_of.isoformat(), "--json"]
    print(f"- {fmt}: {shlex.join(kpis)} (cold)", flush=True)
    cold = timed(kpis, root, env)
    warm_runs = []
    for _ in range(args.repeat):
        warm_runs.append(timed(kpis, root, env))
    if any(r["stdout"] != cold["stdout"] for r in warm_runs):
        raise RuntimeError("a warm run printed other KPIs than the cold run")
    duck_cmd = [
        sys.executable,
        str(HERE / "rerun.py"),
        "--duckdb-once",
        str(parquet),
        "--as-of",
        args.as_of.isoformat(),
    ]
    print(f"- duckdb: {shlex.join(duck_cmd)}", flush=True)
    duck_runs = [timed(duck_cmd, REPO) for _ in range(args.repeat)]
    differing = same_kpis(str(cold["stdout"]), str(duck_runs[0]["stdout"]))
    warm, duck = best(warm_runs), best(duck_runs)
    cold.pop("stdout")
    return {
        "ledger": str(ledger),
        "source_mb": sum(p.stat().st_size for p in ledger.iterdir() if p.is_file()) / 1e6,
        "cache_mb": sum(p.stat().st_size for p in (root / ".workbench" / "cache").rglob("*") if p.is_file()) / 1e6,
        "cold": cold,
        "warm": warm,
        "duckdb": duck,
        "warm_over_duckdb": float(warm["seconds"]) / float(duck["seconds"]),  # type: ignore[arg-type]
        "kpis_compared_with_duckdb": len(json.loads(str(duck_runs[0]["stdout"]))),
        "kpis_differing_from_duckdb": differing,
    }


def help_time(repeat: int = 5) -> dict[str, object]:
    """``workbench --help`` from start to exit (fastest of ``repeat``)."""
    return best([timed([*workbench_cmd(), "--help"], REPO) for _ in range(repeat)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--formats", nargs="+", choices=("csv", "parquet"), default=["csv", "parquet"])
    parser.add_argument("--repeat", type=int, default=3, help="warm and DuckDB processes; the fastest counts")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--duckdb-once", type=Path, metavar="LEDGER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duckdb_once:
        duckdb_once(args.duckdb_once, args.as_of)
        return 0
    args.data, args.out = args.data.resolve(), args.out.resolve()
    parquet = ensure_ledger(args.data, args.documents, "parquet", args.as_of)
    results: dict[str, object] = {
        "command": shlex.join(["benchmarks/rerun.py", *(sys.argv[1:] if argv is None else argv)]),
        "documents": args.documents,
        "as_of": args.as_of.isoformat(),
        "help": help_time(),
        "formats": {fmt: bench_format(fmt, args, parquet) for fmt in args.formats},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rerun-latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nworkbench --help: {results['help']['seconds']:.2f} s")  # type: ignore[index]
    print("| ledger | cold kpis s | warm kpis s | DuckDB s | warm / DuckDB |")
    print("|---|---:|---:|---:|---:|")
    for fmt, r in results["formats"].items():  # type: ignore[attr-defined]
        if r["kpis_differing_from_duckdb"]:
            print(f"{fmt}: KPIs differing from DuckDB: {r['kpis_differing_from_duckdb']}")
        print(
            f"| {args.documents:,} documents, {fmt} | {r['cold']['seconds']:.2f} | {r['warm']['seconds']:.2f} | "
            f"{r['duckdb']['seconds']:.2f} | {r['warm_over_duckdb']:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
