"""Our instructions per LLM request, counted by valgrind: a figure the VM's drifting speed does not move.

benchmarks/client_cpu.py times our CPU; on these machines the same code measures 10 to 30 ms a
request within an hour, as the VM's speed and the other load drift, so only interleaved pairs of
runs can be compared. Instructions do not drift: this script runs one extraction of N and one of
M distinct articles (client_cpu.corpus) against the lean server, each in its own process under
`valgrind --tool=callgrind` (the server process is not traced), and prints the instructions of
the larger run minus those of the smaller, per extra request (start-up and imports cancel out).
The two processes run at once; each takes a few minutes (valgrind runs Python ~50x slower).

Needs valgrind (`apt-get install valgrind`). Compare two trees: run it in each (ROOT defaults to
this file's repository).

Usage: .venv/bin/python benchmarks/client_instructions.py [--small 8] [--large 24] [--concurrency 4] [--root PATH]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one_run(root: Path, folder: Path, concurrency: int) -> None:
    """The measured process: one extraction of `folder` against the lean server."""
    sys.path[:0] = [str(root), str(root / "benchmarks"), str(root / "tests" / "extract" / "backends" / "llm")]
    import client_cpu

    client_cpu.measure(0.0, concurrency, folder, "lean")


def instructions(root: Path, folder: Path, concurrency: int) -> subprocess.Popen[str]:
    return subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                             __file__, "--run", str(folder), "--root", str(root), "--concurrency", str(concurrency)],
                            cwd=root, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def collected(proc: subprocess.Popen[str]) -> int:
    _, err = proc.communicate()
    found = re.search(r"Collected : (\d+)", err or "")
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run failed (exit {proc.returncode}):\n{(err or '')[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=8)
    parser.add_argument("--large", type=int, default=24)
    parser.add_argument("--root", type=Path, default=HERE.parent)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="requests in flight (16: more articles in progress than the 24 of the larger run)")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # internal: the measured process
    args = parser.parse_args()
    if args.run is not None:
        one_run(args.root.resolve(), args.run, args.concurrency)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "extract" / "backends" / "llm")]
    import client_cpu

    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small", Path(tmp) / "large"
        client_cpu.corpus(small, args.small)
        client_cpu.corpus(large, args.large)
        procs = [instructions(args.root.resolve(), folder, args.concurrency) for folder in (small, large)]
        few, many = (collected(p) for p in procs)
    per_request = (many - few) / (args.large - args.small)
    print(f"{args.root.resolve()}: {per_request / 1e6:.2f} M instructions a request "
          f"(runs of {args.large} and {args.small} distinct articles, lean server, concurrency {args.concurrency})")


if __name__ == "__main__":
    main()
