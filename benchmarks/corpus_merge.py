"""The corpus merge when N articles state one subject with different values.

Every article reports "freight trains run from Xiamen in 2020" with its own value, so every
figure conflicts with every other: the worst case for conflict detection. Times
`extract.corpus.write_corpus` (merge and every corpus file) for each N and prints the ratio
between successive sizes: about 2 per doubling when the merge is linear, 4 when quadratic.

Usage: .venv/bin/python benchmarks/corpus_merge.py [--sizes 250 500 1000 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import load_note

from extract.corpus import write_corpus
from schemas import ArticleMeta, Evidence, FactSheet, Metric, Provenance


def sheet(i: int) -> FactSheet:
    value = 4000 + 7 * i
    quote = f"In 2020, Xiamen ran {value} freight trains."
    return FactSheet(
        article=ArticleMeta(id=f"m{i:05d}", sha256=f"{i:064x}", title=f"Report {i}"),
        metrics=[Metric(subject="freight trains run from Xiamen", value=value, unit="trains", kind="count",
                        period="2020", location="Xiamen", evidence=[Evidence(quote=quote, start=0, end=len(quote))])],
        provenance=Provenance(backend="rules"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    args = parser.parse_args()
    previous: float | None = None
    with tempfile.TemporaryDirectory(prefix="factsheet-bench-") as tmp:
        for n in args.sizes:
            sheets = [sheet(i) for i in range(n)]
            started = time.perf_counter()
            write_corpus(Path(tmp), iter(sheets))
            elapsed = time.perf_counter() - started
            ratio = f", x{elapsed / previous:.1f} the previous size" if previous else ""
            print(f"{n} articles, one subject, {n} values: {elapsed:.2f} s{ratio}", flush=True)
            previous = elapsed
    print(load_note())


if __name__ == "__main__":
    main()
