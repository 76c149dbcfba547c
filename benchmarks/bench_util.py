"""Helpers for the benchmarks: run the CLI as a subprocess, measure its wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACTSHEET = [sys.executable, "-m", "extract.cli"]


def cli(*args: str | Path, check: bool = True) -> tuple[float, float]:
    """Run `factsheet ARGS`; (wall seconds, peak resident memory in MB) of that process alone."""
    started = time.perf_counter()
    proc = subprocess.Popen([*FACTSHEET, *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if check and proc.returncode != 0:
        raise SystemExit(f"factsheet {' '.join(map(str, args))} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def best(n: int, *args: str | Path) -> tuple[float, float]:
    """The fastest of n runs (the least disturbed by other work on the machine), and its peak memory."""
    return min(cli(*args) for _ in range(n))


def load_note() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
