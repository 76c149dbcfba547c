"""Place names in text, found with the project's alias tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from extract.canonical import Canonicaliser

DOMESTIC_TABLES = ("provinces", "cities")


@dataclass(frozen=True)
class Place:
    start: int
    end: int
    name: str  # canonical
    table: str  # provinces, cities or partners

    @property
    def domestic(self) -> bool:
        return self.table in DOMESTIC_TABLES


@lru_cache(maxsize=1)
def _index() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    names: dict[str, tuple[str, str]] = {}
    suffixes: set[str] = set()
    tables = Canonicaliser.default().tables
    for table in ("provinces", "cities", "partners"):
        data = tables[table]
        suffixes.update(data.get("strip_suffixes", []))
        for canonical, aliases in data["names"].items():
            for alias in [canonical, *aliases]:
                # Only proper names; short all-caps codes ("CR", "DB") are too ambiguous in text.
                if alias[:1].isupper() and not (alias.isupper() and len(alias) <= 2):
                    names.setdefault(alias, (canonical, table))
    body = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    suffix = "|".join(re.escape(s) for s in sorted(suffixes, key=len, reverse=True))
    # A hyphen may join names ("China-Laos Railway"), so it does not block a match.
    pattern = re.compile(rf"(?<![\w])(?P<name>{body})(?:\s+(?:{suffix}))?(?![\w])")
    return pattern, names


def find_places(text: str, start: int = 0, end: int | None = None) -> list[Place]:
    pattern, names = _index()
    out = []
    for m in pattern.finditer(text, start, len(text) if end is None else end):
        canonical, table = names[m.group("name")]
        out.append(Place(m.start(), m.end(), canonical, table))
    return out


def dominant_place(text: str) -> str | None:
    """The domestic place the article is most about: the most mentioned, earliest on ties."""
    counts: dict[str, tuple[int, int]] = {}
    for place in find_places(text):
        if place.domestic:
            n, first = counts.get(place.name, (0, place.start))
            counts[place.name] = (n + 1, first)
    if not counts:
        return None
    return max(counts, key=lambda k: (counts[k][0], -counts[k][1]))
