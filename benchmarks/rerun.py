"""Re-runs cost what changed: a no-op re-run at 200 and 2,000 stored articles, and adding one.

Prints wall time and peak memory of each `factsheet run` (a subprocess, start-up included),
and the ratios issue #15 sets limits on, for two corpus shapes (benchmarks/synthetic.py):

- "400x": the 5 seeds varied 400 times each at 2,000 (issue #15's corpus: the limits hold here);
- "realistic": stories republished 2-10 times each (a wire story picked up by several outlets).

Limits: no-op re-run, 2,000 / 200 articles: time <= 3x, peak memory <= 1.5x; adding one
article to 2,000 / the no-op re-run at 2,000: < 2x.

Usage: .venv/bin/python benchmarks/rerun.py [--small N] [--large N] [--repeat K] [--shape 400x|realistic|both]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import best, cli, load_note
from synthetic import write_corpus, write_republished

SHAPES: dict[str, Callable[..., list[Path]]] = {"400x": write_corpus, "realistic": write_republished}


CORPUS_FILES = ("factsheets.jsonl", "facts.jsonl", "metrics.csv", "projects.csv", "statements.csv", "entities.jsonl")


def snapshot(out: Path, to: Path) -> Path:
    """A copy of the corpus files (copied by the kernel: nothing read into this process)."""
    to.mkdir()
    for name in CORPUS_FILES:
        shutil.copyfile(out / name, to / name)
    return to


def churn(before: Path, after: Path) -> str:
    """How many bytes of the corpus files are in lines that were not there before (a CSV cell's newlines
    split a row; good enough to say how much an update must write anew). Called after every timed run:
    this process's memory would count in the peak of the `factsheet` processes it starts."""
    new_bytes = total = 0
    for name in CORPUS_FILES:
        with (before / name).open("rb") as handle:
            old = Counter(hashlib.sha1(line).digest() for line in handle)
        with (after / name).open("rb") as handle:
            for line in handle:
                total += len(line)
                key = hashlib.sha1(line).digest()
                if old[key]:
                    old[key] -= 1
                else:
                    new_bytes += len(line)
    return f"{new_bytes / 1e6:.1f} of {total / 1e6:.0f} MB ({100 * new_bytes / max(total, 1):.0f}%) in new lines"


def measure(root: Path, shape: str, small: int, large: int, repeat: int) -> tuple[list[str], tuple[Path, Path]]:
    """Run the shape's measurements; the summary lines, and the corpus files before and after one added."""
    write = SHAPES[shape]
    rows = []
    for n in (small, large):
        articles, out = root / f"{shape}-articles{n}", root / f"{shape}-out{n}"
        write(articles, n)
        first, _ = cli("run", articles, "-o", out, "--backend", "rules")
        print(f"[{shape}] first run over {n} articles: {first:.1f} s", flush=True)
        noop = best(repeat, "run", articles, "-o", out, "--backend", "rules")
        rows.append((n, *noop))
        print(f"[{shape}] no-op re-run over {n}: {noop[0]:.2f} s, peak {noop[1]:.0f} MB", flush=True)
    large_articles, large_out = root / f"{shape}-articles{large}", root / f"{shape}-out{large}"
    added = []
    before = snapshot(large_out, root / f"{shape}-before")
    after = before
    for k in range(repeat):  # a new article each time, so each run has exactly one to extract
        write(large_articles, 1, start=large + k)
        added.append(cli("run", large_articles, "-o", large_out, "--backend", "rules"))
        print(f"[{shape}] adding one article to {large + k}: {added[-1][0]:.2f} s", flush=True)
        if k == 0:
            after = snapshot(large_out, root / f"{shape}-after")
    add_time, add_mem = min(added)
    sizes = sum(p.stat().st_size for p in large_out.iterdir() if p.suffix in (".jsonl", ".csv"))
    (n_small, t_small, m_small), (n_large, t_large, m_large) = rows
    return [
        f"[{shape}] corpus files at {n_large + repeat}: {sizes / 1e6:.0f} MB",
        f"[{shape}] no-op re-run: {t_small:.2f} s at {n_small}, {t_large:.2f} s at {n_large}: "
        f"{t_large / t_small:.2f}x (limit 3x)",
        f"[{shape}] no-op peak memory: {m_small:.0f} / {m_large:.0f} MB: {m_large / m_small:.2f}x (limit 1.5x)",
        f"[{shape}] adding one article to {n_large}: {add_time:.2f} s, peak {add_mem:.0f} MB; "
        f"/ no-op: {add_time / t_large:.2f}x (limit 2x)",
    ], (before, after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--shape", choices=(*SHAPES, "both"), default="both")
    args = parser.parse_args()
    shapes = list(SHAPES) if args.shape == "both" else [args.shape]
    with tempfile.TemporaryDirectory(prefix="factsheet-bench-") as tmp:
        summary, snapshots = [], []
        for shape in shapes:
            lines, pair = measure(Path(tmp), shape, args.small, args.large, args.repeat)
            summary += lines
            snapshots.append((shape, pair))
            print(load_note(), flush=True)
        summary += [f"[{shape}] the first article added changed {churn(*pair)}" for shape, pair in snapshots]
        print()
        print("\n".join(summary))
        print(load_note())


if __name__ == "__main__":
    main()
