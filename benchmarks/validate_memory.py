"""Peak memory of ``workbench validate`` against the size of the largest ledger file.

    .venv/bin/python benchmarks/validate_memory.py --ledger DIR [--quarantine q.csv] [--documents N]

With ``--documents N`` and a ledger folder that does not exist yet, a CSV demo
ledger of about N documents is generated first (1,820,000 documents give a
documents.csv of about 200 MB). The command

    workbench validate --ledger DIR --json --quarantine FILE

then runs in a child process; its peak resident set size is the child's
``ru_maxrss`` as reported by ``os.wait4`` (the kernel's high-water mark of
that process alone, interpreter and libraries included). The script prints the
largest file of the folder, the peak RSS, their ratio, the wall time and the
exit code (0 clean, 1 rows quarantined).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def measure(ledger: Path, quarantine: Path) -> dict[str, float | int | str]:
    """Run ``workbench validate`` on ``ledger`` and return its peak RSS, time and exit code."""
    cmd = [str(BIN / "workbench"), "validate", "--ledger", str(ledger), "--json", "--quarantine", str(quarantine)]
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode("utf-8", "replace") if child.stderr else ""
    if child.returncode not in (0, 1):
        raise SystemExit(f"validate failed ({child.returncode}): {stderr}")
    files = sorted((p for p in ledger.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    largest = files[-1]
    peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    return {
        "largest_file": largest.name,
        "largest_bytes": largest.stat().st_size,
        "peak_rss_bytes": peak,
        "ratio": peak / largest.stat().st_size,
        "seconds": seconds,
        "exit_code": child.returncode,
        "command": " ".join(cmd),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, generate the ledger when asked, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, required=True, help="ledger folder (generated when missing)")
    parser.add_argument("--quarantine", type=Path, default=None, help="quarantine CSV (default: in the temp dir)")
    parser.add_argument("--documents", type=int, default=1_820_000, help="documents of a generated ledger")
    args = parser.parse_args(argv)
    if not args.ledger.is_dir():
        subprocess.run(
            [str(BIN / "workbench"), "demo", "--out", str(args.ledger), "--documents", str(args.documents)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    quarantine = args.quarantine or Path(os.environ.get("TMPDIR", "/tmp")) / "validate_memory_quarantine.csv"
    result = measure(args.ledger, quarantine)
    mb = 1_000_000
    print(f"command:      {result['command']}")
    print(f"largest file: {result['largest_file']} {int(result['largest_bytes']) / mb:,.1f} MB")
    print(f"peak RSS:     {int(result['peak_rss_bytes']) / mb:,.1f} MB")
    print(f"ratio:        {float(result['ratio']):.2f}x the largest file")
    print(f"wall time:    {float(result['seconds']):.1f} s (exit code {result['exit_code']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
