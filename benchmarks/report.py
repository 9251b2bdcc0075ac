"""Machine facts and the result tables (console text and Markdown).

The run date is given by the caller (``run.py --run-date``, or the date the
runner read once at start-up); nothing here reads the clock.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import psutil

TARGET_VS_DUCKDB = 1.5
TARGET_VS_PANDAS = 10.0
TARGET_PEAK_GB = 6.0
#: The ledger size the issue states its targets for.
TARGET_DOCUMENTS = 10_000_000
ENGINE_LABELS = {"workbench": "workbench (polars)", "duckdb": "DuckDB SQL (DECIMAL)", "pandas": "pandas (float64)"}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _workbench_revision(repo: Path) -> str:
    """``<commit>`` of the checkout, with ``+ local changes`` when workbench/ differs (read-only git)."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "workbench"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + local changes" if dirty else head


def machine_facts(repo: Path) -> dict[str, object]:
    """Cores, RAM, CPU, OS and library versions of this machine and environment."""
    return {
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "polars": _package("polars"),
        "duckdb": _package("duckdb"),
        "pandas": _package("pandas"),
        "numpy": _package("numpy"),
        "pyarrow": _package("pyarrow"),
        "workbench_revision": _workbench_revision(repo),
    }


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def engine_row(engine: str, result: dict[str, object]) -> dict[str, float | None]:
    """The table figures of one engine.

    Seconds (wall) of load, as-of, aging+KPIs and history; CPU seconds of
    aging+KPIs; the share of the machine other processes used during the
    aging+KPIs calls reported; peak GB of the process and of aging+KPIs.
    """
    sec: dict[str, float] = result["seconds"]  # type: ignore[assignment]
    cpu: dict[str, float] = result["cpu_seconds"]  # type: ignore[assignment]
    others: dict[str, float] = result["others_share"]  # type: ignore[assignment]
    peaks: dict[str, float] = result["stage_peak_rss_gb"]  # type: ignore[assignment]
    stages = ("aging", "kpis") if engine == "workbench" else ("aging_kpis",)
    return {
        "load_s": sec["load"],
        "asof_s": sec.get("asof"),
        "aging_kpis_s": sum(sec[s] for s in stages),
        "aging_kpis_cpu_s": sum(cpu[s] for s in stages),
        "aging_kpis_others": max(others[s] for s in stages),
        "history_s": sec.get("history"),
        "peak_gb": result["peak_rss_gb"],  # type: ignore[dict-item]
        "aging_kpis_peak_gb": max(peaks[s] for s in stages),
    }


def ratios(rows: dict[str, dict[str, float | None]]) -> dict[str, float | None]:
    """Headline ratios of one size (aging+KPIs, excluding load), None when an engine is missing."""
    def ratio(top: str, bottom: str, key: str) -> float | None:
        if top not in rows or bottom not in rows:
            return None
        a, b = rows[top][key], rows[bottom][key]
        return a / b if a and b else None

    end_to_end = {e: {"e2e": r["load_s"] + r["aging_kpis_s"]} for e, r in rows.items()}  # type: ignore[operator]
    return {
        "workbench_over_duckdb": ratio("workbench", "duckdb", "aging_kpis_s"),
        "pandas_over_workbench": ratio("pandas", "workbench", "aging_kpis_s"),
        "cpu_workbench_over_duckdb": ratio("workbench", "duckdb", "aging_kpis_cpu_s"),
        "cpu_pandas_over_workbench": ratio("pandas", "workbench", "aging_kpis_cpu_s"),
        "end_to_end_workbench_over_duckdb": (
            end_to_end["workbench"]["e2e"] / end_to_end["duckdb"]["e2e"] if {"workbench", "duckdb"} <= rows.keys()
            else None),
        "end_to_end_pandas_over_workbench": (
            end_to_end["pandas"]["e2e"] / end_to_end["workbench"]["e2e"] if {"workbench", "pandas"} <= rows.keys()
            else None),
    }


def verdicts(size: int, size_result: dict[str, object]) -> list[str]:
    """The three targets of the issue (stated for 10M documents), each measured: met / MISSED."""
    if size != TARGET_DOCUMENTS:
        return [f"targets are stated for {TARGET_DOCUMENTS:,} documents (see that section)"]
    r: dict[str, float | None] = size_result["ratios"]  # type: ignore[assignment]
    rows: dict[str, dict[str, float | None]] = size_result["rows"]  # type: ignore[assignment]
    out = []
    if r["workbench_over_duckdb"] is not None:
        v = r["workbench_over_duckdb"]
        out.append(f"workbench aging+KPIs / DuckDB = {v:.2f} (target <= {TARGET_VS_DUCKDB}): "
                   f"{'met' if v <= TARGET_VS_DUCKDB else 'MISSED'}")
    if r["pandas_over_workbench"] is not None:
        v = r["pandas_over_workbench"]
        out.append(f"pandas / workbench aging+KPIs = {v:.2f} (target >= {TARGET_VS_PANDAS}): "
                   f"{'met' if v >= TARGET_VS_PANDAS else 'MISSED'}")
    if "workbench" in rows:
        v = rows["workbench"]["peak_gb"]
        out.append(f"workbench peak memory = {v:.2f} GB (target < {TARGET_PEAK_GB}): "
                   f"{'met' if v is not None and v < TARGET_PEAK_GB else 'MISSED'}")
    return out


def _table_lines(size_result: dict[str, object]) -> list[str]:
    rows: dict[str, dict[str, float | None]] = size_result["rows"]  # type: ignore[assignment]
    lines = [
        "| engine | load s | as-of s | aging+KPIs s | aging+KPIs CPU s | 13-week history s | peak memory GB "
        "| peak GB in aging+KPIs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, row in rows.items():
        lines.append(
            f"| {ENGINE_LABELS[engine]} | {_s(row['load_s'])} | {_s(row['asof_s'])} | {_s(row['aging_kpis_s'])} "
            f"| {_s(row['aging_kpis_cpu_s'])} "
            f"| {_s(row['history_s'])} | {_s(row['peak_gb'])} | {_s(row['aging_kpis_peak_gb'])} |"
        )
    return lines


def _cores() -> int:
    return os.cpu_count() or 1


def _workbench_split(engines: dict[str, dict[str, object]]) -> list[str]:
    if "workbench" not in engines:
        return []
    sec: dict[str, float] = engines["workbench"]["seconds"]  # type: ignore[assignment]
    peaks: dict[str, float] = engines["workbench"]["stage_peak_rss_gb"]  # type: ignore[assignment]
    return [f"- workbench aging+KPIs = aging {sec['aging']:.2f} s + kpis {sec['kpis']:.2f} s; "
            f"peak memory by stage: " + ", ".join(f"{k} {v:.2f} GB" for k, v in peaks.items())]


def _ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _check_text(check: dict[str, object] | None) -> str:
    if not check:
        return "not run"
    return (f"max |diff| {check['max_abs_diff']} over {check['customers_left']} / {check['customers_right']} customers, "
            f"{check['customers_off_by_a_cent_or_more']} customers off by >= 0.01, "
            f"{check['only_left_count']} / {check['only_right_count']} customers on one side only")


def size_markdown(size: int, size_result: dict[str, object]) -> list[str]:
    """Markdown section of one ledger size: table, ratios, targets, cross-check."""
    r: dict[str, float | None] = size_result["ratios"]  # type: ignore[assignment]
    rows_info: dict[str, int] = size_result["ledger_rows"]  # type: ignore[assignment]
    checks: dict[str, dict[str, object]] = size_result["checks"]  # type: ignore[assignment]
    engines: dict[str, dict[str, object]] = size_result["engines"]  # type: ignore[assignment]
    rows: dict[str, dict[str, float | None]] = size_result["rows"]  # type: ignore[assignment]
    others = ", ".join(f"{e} {r['aging_kpis_others']:.0%}" for e, r in rows.items())
    lines = [
        f"### {size:,} documents",
        "",
        f"Ledger: {rows_info.get('documents.parquet', 0):,} documents, {rows_info.get('payments.parquet', 0):,} "
        f"payments, {rows_info.get('allocations.parquet', 0):,} allocations, "
        f"{rows_info.get('customers.parquet', 0):,} customers; {size_result['parquet_mb']:.0f} MB of Parquet; "
        f"as of {size_result['as_of']}.",
        "",
        *_table_lines(size_result),
        "",
        *_workbench_split(engines),
        f"- share of the machine ({_cores()} cores) used by other processes during the aging+KPIs calls "
        f"reported: {others} (0% = undisturbed)",
        f"- workbench aging+KPIs / DuckDB: **{_ratio_text(r['workbench_over_duckdb'])}** wall "
        f"({_ratio_text(r['cpu_workbench_over_duckdb'])} CPU; load + aging+KPIs: "
        f"{_ratio_text(r['end_to_end_workbench_over_duckdb'])})",
        f"- pandas / workbench aging+KPIs: **{_ratio_text(r['pandas_over_workbench'])}** wall "
        f"({_ratio_text(r['cpu_pandas_over_workbench'])} CPU; load + aging+KPIs: "
        f"{_ratio_text(r['end_to_end_pandas_over_workbench'])})",
        *(f"- {v}" for v in verdicts(size, size_result)),
        f"- cross-check workbench vs DuckDB aging: {_check_text(checks.get('aging_workbench_duckdb'))}",
        f"- cross-check workbench vs pandas aging: {_check_text(checks.get('aging_workbench_pandas'))}",
    ]
    for name, label in (("kpis_workbench_duckdb", "KPIs at D, workbench vs DuckDB"),
                        ("kpis_workbench_pandas", "KPIs at D, workbench vs pandas"),
                        ("history_workbench_duckdb", "13-week KPI history, workbench vs DuckDB")):
        c = checks.get(name)
        if c:
            lines.append(f"- {label}: {c['mismatch_count']} differing figures over {c['dates']} date(s) "
                         f"(max money diff {c['max_money_diff']}, max ratio diff {c['max_ratio_diff']})")
    lines.append("")
    return lines


def markdown(results: dict[str, object]) -> str:
    """The whole ``latest.md``: run facts, then one section per size."""
    m: dict[str, object] = results["machine"]  # type: ignore[assignment]
    lines = [
        f"## Benchmark results ({results['run_date']})",
        "",
        f"Machine: {m['cpu']}, {m['logical_cores']} logical cores ({m['physical_cores']} physical), "
        f"{m['ram_gb']} GB RAM, {m['os']}.",
        f"Software: Python {m['python']}, polars {m['polars']}, DuckDB {m['duckdb']} "
        f"(threads: {results.get('duckdb_threads', 'default')}), pandas {m['pandas']}, numpy {m['numpy']}, "
        f"pyarrow {m['pyarrow']}; workbench {m['workbench_revision']}.",
        "",
        f"Seconds are wall time: load once per process ({results['repeat']} process(es) per engine), every "
        f"later stage the fastest of {results['repeat'] * results.get('stage_repeat', 1)} calls, each call "
        f"after waiting up to {results.get('quiet_wait', 0):.0f} s for a quiet machine; aging+KPIs excludes "
        "load; CPU s is user + system time of all the engine's threads (2 cores: up to 2× wall). Peak memory is the peak resident set size of "
        "each engine's own process (kernel high-water mark, measured per stage); \"peak GB in aging+KPIs\" "
        "is the peak during those stages, with the loaded data held. Command: "
        f"`{results['command']}`.",
        "",
    ]
    for size, size_result in results["sizes"].items():  # type: ignore[union-attr]
        lines += size_markdown(int(size), size_result)
    return "\n".join(lines)


def console_table(size: int, size_result: dict[str, object]) -> str:
    """The Markdown section, which also reads well on a terminal."""
    return "\n".join(size_markdown(size, size_result))
