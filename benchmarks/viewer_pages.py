"""`factsheet view` at corpus scale: the size of every page it writes over N articles.

Extracts N synthetic articles with the rules backend, runs `factsheet view`, and prints the
time, the peak memory, the number of files and the largest ones. Issue #15: no file over
5 MB at 2,000 articles.

Usage: .venv/bin/python benchmarks/viewer_pages.py [--articles N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import cli, load_note
from synthetic import write_corpus

LIMIT = 5 * 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="factsheet-bench-") as tmp:
        articles, out = Path(tmp) / "articles", Path(tmp) / "out"
        write_corpus(articles, args.articles)
        cli("run", articles, "-o", out, "--backend", "rules")
        elapsed, memory = cli("view", out)
        files = [out / "report.html", *sorted((out / "report_files").rglob("*.html"))]
        sizes = sorted(((p.stat().st_size, p) for p in files), reverse=True)
        print(f"factsheet view over {args.articles} articles: {elapsed:.1f} s, peak {memory:.0f} MB, {len(files)} files, "
              f"{sum(s for s, _ in sizes) / 1e6:.0f} MB in all")
        print(f"index page report.html: {(out / 'report.html').stat().st_size / 1e6:.2f} MB")
        for size, path in sizes[:3]:
            print(f"  {size / 1e6:6.2f} MB  {path.relative_to(out)}")
        articles_pages = [s for s, p in sizes if p.parent.name == "articles"]
        print(f"article pages: largest {max(articles_pages) / 1e3:.0f} KB, median "
              f"{sorted(articles_pages)[len(articles_pages) // 2] / 1e3:.0f} KB")
        print(f"largest file: {sizes[0][0] / 1e6:.2f} MB, {sizes[0][0] / LIMIT:.2f} times the 5 MB limit (must be < 1)")
        print(load_note())


if __name__ == "__main__":
    main()
