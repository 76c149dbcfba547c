"""The rules backend on every core: `factsheet run --backend rules` with 1 and with all workers.

Prints articles per second of each whole run (a subprocess: start-up, extraction, store,
sheet files and corpus files) and the speed-up; issue #15 asks for at least 1.6x with
`--workers 2` over 1,000 articles.

Usage: .venv/bin/python benchmarks/rules_workers.py [--articles N] [--workers N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import cli, load_note
from synthetic import write_corpus

from extract.parallel import default_workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=default_workers(), help="the 'all' case (default: the cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="factsheet-bench-") as tmp:
        articles = Path(tmp) / "articles"
        write_corpus(articles, args.articles)
        times = {}
        for workers in (1, args.workers):
            out = Path(tmp) / f"out{workers}"
            times[workers], memory = cli("run", articles, "-o", out, "--backend", "rules", "--workers", str(workers))
            print(f"--workers {workers}: {times[workers]:.1f} s, {args.articles / times[workers]:.1f} articles/s, "
                  f"{1000 * times[workers] / args.articles:.1f} ms an article, peak {memory:.0f} MB", flush=True)
            shutil.rmtree(out)
        print(f"\nspeed-up --workers {args.workers} / --workers 1: {times[1] / times[args.workers]:.2f}x (limit 1.6x at 2)")
        print(load_note())


if __name__ == "__main__":
    main()
