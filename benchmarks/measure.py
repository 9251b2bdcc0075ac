"""Measuring a stage: wall time, CPU time, peak memory, and how busy the machine was.

- **Wall time** with ``time.perf_counter``.
- **CPU time** of this process (user + system, all threads) from
  ``getrusage(RUSAGE_SELF)``: the work done, nearly independent of what else
  runs on the machine.
- **Peak RSS** per stage: the kernel's high-water mark is reset before the
  stage (``5`` into ``/proc/self/clear_refs``, Linux >= 4.0) and ``VmHWM`` is
  read after it. Without the reset the marks are cumulative (``ru_maxrss``).
- **Others' share**: CPU seconds the whole machine spent busy during the
  stage minus this process's own, over wall time × cores. 0 means the stage
  had the machine to itself; 0.5 means other processes used half of it.

On a shared machine a stage can first wait (up to a limit) until the others'
share drops below a threshold, and a stage can be called several times with
the least disturbed (fastest) call reported.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import psutil

T = TypeVar("T")
CORES = os.cpu_count() or 1


def reset_peak() -> bool:
    """Reset this process's RSS high-water mark to its current RSS; False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def peak_rss_gb() -> float:
    """This process's RSS high-water mark in GB (``VmHWM``; else ``ru_maxrss``, KiB on Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def own_cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (all cores, all processes)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def wait_for_quiet(max_wait: float, threshold: float = 0.15, sample: float = 1.0) -> float:
    """Wait until other processes use less than ``threshold`` of the machine; return seconds waited.

    Samples the machine for ``sample`` seconds at a time (this process is idle
    meanwhile) and gives up after ``max_wait`` seconds.
    """
    waited = 0.0
    while waited < max_wait:
        before, started = busy_cpu_seconds(), time.perf_counter()
        time.sleep(sample)
        elapsed = time.perf_counter() - started
        waited += elapsed
        if (busy_cpu_seconds() - before) / (elapsed * CORES) < threshold:
            break
    return waited


@dataclass
class Call:
    """One measured call of a stage."""

    seconds: float
    cpu_seconds: float
    others_share: float
    peak_gb: float
    waited: float


@dataclass
class Stages:
    """Measures named stages; a stage may be called ``repeat`` times (fastest call reported).

    ``quiet_wait`` > 0 makes each call first wait up to that many seconds for
    a quiet machine (see :func:`wait_for_quiet`).
    """

    repeat: int = 1
    quiet_wait: float = 0.0
    calls: dict[str, list[Call]] = field(default_factory=dict)
    start_peak_gb: float = field(default_factory=peak_rss_gb)
    per_stage_peaks: bool = field(default_factory=reset_peak)

    def run(self, name: str, func: Callable[..., T], *args: object, once: bool = False, **kwargs: object) -> T:
        """Call ``func`` (``repeat`` times unless ``once``) and record each call under ``name``."""
        calls = self.calls.setdefault(name, [])
        value: T | None = None
        for _ in range(1 if once else max(1, self.repeat)):
            value = None  # drop the previous call's result so that it does not weigh on this call's peak
            waited = wait_for_quiet(self.quiet_wait) if self.quiet_wait > 0 else 0.0
            print(f"  [{name}] ...", file=sys.stderr, flush=True)
            reset_peak()
            busy0, cpu0, started = busy_cpu_seconds(), own_cpu_seconds(), time.perf_counter()
            value = func(*args, **kwargs)
            wall, cpu = time.perf_counter() - started, own_cpu_seconds() - cpu0
            others = max(0.0, busy_cpu_seconds() - busy0 - cpu) / (max(wall, 1e-9) * CORES)
            calls.append(Call(wall, cpu, others, peak_rss_gb(), waited))
            print(f"  [{name}] {wall:.2f} s wall, {cpu:.2f} s CPU, others {others:.0%}, "
                  f"peak RSS {calls[-1].peak_gb:.2f} GB", file=sys.stderr, flush=True)
        return value  # type: ignore[return-value]

    def best(self, name: str) -> Call:
        """The fastest call of a stage."""
        return min(self.calls[name], key=lambda c: c.seconds)

    def summary(self) -> dict[str, object]:
        """JSON-ready figures: per stage the fastest call, every call, and the peaks."""
        peaks = {"start": self.start_peak_gb, **{n: max(c.peak_gb for c in cs) for n, cs in self.calls.items()}}
        return {
            "seconds": {n: self.best(n).seconds for n in self.calls},
            "cpu_seconds": {n: self.best(n).cpu_seconds for n in self.calls},
            "others_share": {n: self.best(n).others_share for n in self.calls},
            "calls": {n: [vars(c) for c in cs] for n, cs in self.calls.items()},
            "stage_peak_rss_gb": peaks,
            "stage_peaks_are_per_stage": self.per_stage_peaks,
            "process_peak_rss_gb": max(peaks.values()),
        }
