"""Synthetic corpora for the benchmarks: the seed articles with their numbers varied.

Nothing generated here is committed: the benchmarks write into a temporary folder.
Article i is seed i % 5 with every figure that is not a year replaced by another of the
same number of digits (seeded by i, so a corpus is the same on every run), and its
sidecar with a title that names i.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
_NUMBER = re.compile(r"\d+")


def _vary(rng: random.Random, digits: str) -> str:
    if len(digits) == 4 and digits[:2] in ("19", "20"):  # a year: keep the periods meaningful
        return digits
    first = str(rng.randint(1, 9)) if len(digits) > 1 or digits != "0" else "0"
    return first + "".join(str(rng.randint(0, 9)) for _ in digits[1:])


def article(i: int) -> tuple[str, dict[str, object]]:
    """The text and sidecar of synthetic article i."""
    seed = SEEDS[i % len(SEEDS)]
    rng = random.Random(i)
    text = _NUMBER.sub(lambda m: _vary(rng, m.group()), seed.read_text(encoding="utf-8"))
    meta = json.loads(seed.with_suffix(".meta.json").read_text(encoding="utf-8"))
    meta = {k: v for k, v in meta.items() if k in ("title", "source", "url", "published")}
    meta["title"] = f"{meta.get('title') or 'Article'} (synthetic {i})"
    return text, meta


def write_corpus(folder: Path, n: int, start: int = 0) -> list[Path]:
    """Write articles start..start+n-1 as `s<i>.txt` with sidecars; returns the text paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        text, meta = article(i)
        path = folder / f"s{i:05d}.txt"
        path.write_text(text, encoding="utf-8")
        (folder / f"s{i:05d}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
        paths.append(path)
    return paths
