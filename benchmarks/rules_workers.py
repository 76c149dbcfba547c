"""The rules backend on every core: `--backend rules` with 1 and with all workers.

Two figures for each worker count, over N synthetic articles:

- extraction: `extract.pipeline.run` in this process without the corpus files (start of
  the workers, extraction, store commits, sheet files), the fastest of `--repeat` runs;
- whole command: `factsheet run` as a subprocess (start-up and corpus files included).

Issue #15 asks for at least 1.6x with `--workers 2` over 1,000 articles. The corpus merge
runs once, in one process, whatever the workers; it is measured by corpus_merge.py.

Usage: .venv/bin/python benchmarks/rules_workers.py [--articles N] [--workers N] [--repeat K]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import cli, load_note
from synthetic import write_corpus

from extract.articles import discover
from extract.backends.rules import RulesBackend
from extract.parallel import default_workers
from extract.pipeline import RunOptions, run


def extraction(articles: Path, out: Path, workers: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    report = run(list(discover([str(articles)])), RulesBackend(), RunOptions(out_dir=out, workers=workers,
                                                                            write_combined=False))
    elapsed = time.perf_counter() - started
    assert not report.failed, report.failed[0].error
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=default_workers(), help="the 'all' case (default: the cores)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-cli", action="store_true", help="skip the whole-command figure")
    args = parser.parse_args()
    n = args.articles
    with tempfile.TemporaryDirectory(prefix="factsheet-bench-") as tmp:
        articles, out = Path(tmp) / "articles", Path(tmp) / "out"
        write_corpus(articles, n)
        inner: dict[int, float] = {}
        whole: dict[int, float] = {}
        for workers in (1, args.workers):
            inner[workers] = min(extraction(articles, out, workers) for _ in range(args.repeat))
            print(f"extraction, --workers {workers}: {inner[workers]:.1f} s, {n / inner[workers]:.1f} articles/s, "
                  f"{1000 * inner[workers] / n:.1f} ms an article", flush=True)
            if not args.no_cli:
                shutil.rmtree(out, ignore_errors=True)
                whole[workers], memory = cli("run", articles, "-o", out, "--backend", "rules", "--workers", str(workers))
                print(f"whole command, --workers {workers}: {whole[workers]:.1f} s, peak {memory:.0f} MB", flush=True)
        w = args.workers
        print(f"\nspeed-up of extraction, --workers {w} / --workers 1: {inner[1] / inner[w]:.2f}x (limit 1.6x at 2)")
        if whole:
            print(f"speed-up of the whole command: {whole[1] / whole[w]:.2f}x (the corpus merge is serial)")
        print(load_note())


if __name__ == "__main__":
    main()
