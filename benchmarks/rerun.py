"""Re-runs cost what changed: a no-op re-run at 200 and 2,000 stored articles, and adding one.

Prints wall time and peak memory of each `factsheet run` (a subprocess, start-up included),
and the ratios issue #15 sets limits on:

- no-op re-run, 2,000 / 200 articles: time <= 3x, peak memory <= 1.5x;
- adding one article to 2,000 / the no-op re-run at 2,000: < 2x.

Usage: .venv/bin/python benchmarks/rerun.py [--small N] [--large N] [--repeat K]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import best, cli, load_note
from synthetic import write_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="factsheet-bench-") as tmp:
        root = Path(tmp)
        rows = []
        for n in (args.small, args.large):
            articles, out = root / f"articles{n}", root / f"out{n}"
            write_corpus(articles, n)
            first, _ = cli("run", articles, "-o", out, "--backend", "rules")
            print(f"first run over {n} articles: {first:.1f} s", flush=True)
            noop = best(args.repeat, "run", articles, "-o", out, "--backend", "rules")
            rows.append((n, *noop))
            print(f"no-op re-run over {n}: {noop[0]:.2f} s, peak {noop[1]:.0f} MB", flush=True)
        large_articles, large_out = root / f"articles{args.large}", root / f"out{args.large}"
        added = []
        for k in range(args.repeat):  # a new article each time, so each run has exactly one to extract
            write_corpus(large_articles, 1, start=args.large + k)
            added.append(cli("run", large_articles, "-o", large_out, "--backend", "rules"))
        add_time, add_mem = min(added)
        (n_small, t_small, m_small), (n_large, t_large, m_large) = rows
        print()
        print(f"no-op re-run time   {n_large} / {n_small}: {t_large / t_small:.2f}x (limit 3x)")
        print(f"no-op peak memory   {n_large} / {n_small}: {m_large / m_small:.2f}x (limit 1.5x)")
        print(f"adding one article to {n_large}: {add_time:.2f} s, peak {add_mem:.0f} MB; "
              f"/ no-op: {add_time / t_large:.2f}x (limit 2x)")
        print(load_note())


if __name__ == "__main__":
    main()
