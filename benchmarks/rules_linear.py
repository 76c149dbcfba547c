"""The rules backend is linear in article length: time 100 KB, 400 KB and 2 MB articles.

Run: `.venv/bin/python benchmarks/rules_linear.py` (about half a minute). Each article is the
seed articles' paragraphs repeated up to the size (realistic sentences, abbreviations and
numbers, one paragraph per line). It prints the best of a few runs of sentence splitting
and of the whole backend (`extract_sheet`) per size, and the ratios between sizes measured
in this one run: 400 KB over 100 KB must stay at most 6 (4x the text), which a quadratic
step breaks (it was 8-11 before the sentence splitter was made linear).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from extract.articles import Article
from extract.backends.rules import extract_sheet
from extract.backends.rules.text import sentences
from schemas import ArticleMeta

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"100K": 100_000, "400K": 400_000, "2M": 2_000_000}
TARGET = 6.0


def article_of(size: int) -> Article:
    """An article of about `size` characters made of the seeds' paragraphs."""
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    body = "\n".join(p.read_text(encoding="utf-8").strip() for p in seeds) + "\n"
    text = body * (size // len(body) + 1)
    text = text[: text.rfind("\n", 0, size) + 1]  # whole paragraphs only
    return Article(meta=ArticleMeta(id=f"bench{size}", sha256="0" * 64, published="2021-01-28"), text=text)


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per size for 100K and 400K; the best counts (default: 3)")
    parser.add_argument("--skip-2m", action="store_true", help="leave out the 2 MB article")
    args = parser.parse_args(argv)
    extract_sheet(article_of(5_000))  # warm up: regexes compiled, tables loaded
    timings: dict[str, tuple[float, float]] = {}
    for label, size in SIZES.items():
        if label == "2M" and args.skip_2m:
            continue
        article = article_of(size)
        runs = 1 if size >= 1_000_000 else args.runs
        split = best_of(runs, lambda a=article: sentences(a.text))
        whole = best_of(runs, lambda a=article: extract_sheet(a))
        timings[label] = (split, whole)
        print(f"{label:>5} ({len(article.text):>9,} chars): sentences {split * 1000:8.1f} ms   "
              f"rules backend {whole:7.2f} s   ({whole / len(article.text) * 1e9:6.0f} ns a char)")
    ratio = timings["400K"][1] / timings["100K"][1]
    print(f"400K/100K: rules backend {ratio:.2f} (target <= {TARGET:g}), "
          f"sentences {timings['400K'][0] / timings['100K'][0]:.2f}")
    if "2M" in timings:
        print(f"2M/400K:   rules backend {timings['2M'][1] / timings['400K'][1]:.2f} (linear: 5), "
              f"sentences {timings['2M'][0] / timings['400K'][0]:.2f}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
