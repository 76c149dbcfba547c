"""Synthetic corpora for the benchmarks: the seed articles with their numbers varied.

Nothing generated here is committed: the benchmarks write into a temporary folder.
Two shapes:

- `write_corpus` ("400x"): article i is seed i % 5 with every figure that is not a year
  replaced by another of the same number of digits (seeded by i, so a corpus is the same on
  every run), and its sidecar with a title that names i. At 2,000 articles each seed's
  subjects, places and projects are stated by 400 articles.
- `write_republished` ("realistic"): stories, each a seed with its figures varied (seeded by
  the story), each republished 2-10 times (the same text under another title, source and
  url), as one wire story is picked up by several outlets.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
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


def _write(folder: Path, n: int, start: int, prefix: str,
           make: Callable[[int], tuple[str, dict[str, object]]]) -> list[Path]:
    """Write articles start..start+n-1 made by `make` as `<prefix><i>.txt` with sidecars."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        text, meta = make(i)
        path = folder / f"{prefix}{i:05d}.txt"
        path.write_text(text, encoding="utf-8")
        (folder / f"{prefix}{i:05d}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
        paths.append(path)
    return paths


def write_corpus(folder: Path, n: int, start: int = 0) -> list[Path]:
    """Write articles start..start+n-1 as `s<i>.txt` with sidecars; returns the text paths."""
    return _write(folder, n, start, "s", article)


def story_of(i: int) -> tuple[int, int]:
    """(story, copy) of republished article i: story s has 2 + (s * 7919 % 9) copies, stories in order."""
    story, first = 0, 0
    while True:
        copies = 2 + story * 7919 % 9
        if i < first + copies:
            return story, i - first
        story, first = story + 1, first + copies


def republished(i: int) -> tuple[str, dict[str, object]]:
    """The text and sidecar of republished article i: copy c of story s (the text of synthetic article s)."""
    story, copy = story_of(i)
    text, meta = article(story)
    meta["title"] = f"{meta['title']} (republished {copy})"
    meta["source"] = f"{meta.get('source') or 'outlet'} / outlet {copy}"
    meta["url"] = f"https://outlet{copy}.example/story/{story}"
    return text, meta


def write_republished(folder: Path, n: int, start: int = 0) -> list[Path]:
    """Write republished articles start..start+n-1 as `r<i>.txt` with sidecars; returns the text paths."""
    return _write(folder, n, start, "r", republished)
