"""Start-up cost of the `factsheet` command: import time and wall time.

Measures, in fresh interpreters, `factsheet --help` and a no-op `factsheet run` over the
five seed articles already extracted (every article unchanged), and prints for each the
total import time (`python -X importtime`, summed over top-level imports), the wall time
(best of --repeat runs, the interpreter's own start included) and the slowest top-level
imports. Target (issue #14): under 0.5 s of import time for both.

    .venv/bin/python benchmarks/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAUNCH = "import sys; from extract.cli import main; sys.exit(main(sys.argv[1:]))"
TARGET_S = 0.5


def _env() -> dict[str, str]:
    # The offline path: no LLM configured, so `run` picks the rules backend as a new user's would.
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FACTSHEET_"))}


def import_times(args: list[str], cwd: Path) -> tuple[float, list[tuple[float, str]]]:
    """Total import seconds of one invocation and its top-level imports, slowest first."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", LAUNCH, *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, check=False)
    top: list[tuple[float, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if name.startswith(" ") and not name.startswith("  "):  # nested imports are indented further
            top.append((int(cumulative) / 1e6, name.strip()))
    return sum(t for t, _ in top), sorted(top, reverse=True)


def wall_time(args: list[str], cwd: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", LAUNCH, *args], cwd=cwd, env=_env(), capture_output=True, check=False)
        best = min(best, time.perf_counter() - started)
    return best


def _bare(cwd: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], cwd=cwd, env=_env(), capture_output=True, check=False)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="wall-time runs per case (best is kept)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "seeds", work / "seeds")
        noop = ["run", "seeds", "-o", "out", "-q"]
        subprocess.run([sys.executable, "-c", LAUNCH, *noop], cwd=work, env=_env(), capture_output=True, check=True)
        baseline = _bare(work, options.repeat)  # the bare interpreter, for scale
        print(f"python start-up alone: {baseline:.3f} s wall")
        worst = 0.0
        for label, args in (("factsheet --help", ["--help"]), ("factsheet run (5 unchanged)", noop)):
            total, top = import_times(args, work)
            wall = wall_time(args, work, options.repeat)
            worst = max(worst, total)
            slowest = ", ".join(f"{name} {t * 1000:.0f} ms" for t, name in top[:4])
            print(f"{label}: import {total:.3f} s, wall {wall:.3f} s (best of {options.repeat}); slowest: {slowest}")
        print(f"target: import under {TARGET_S} s: {'met' if worst < TARGET_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
