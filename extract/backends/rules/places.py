"""Place names in text, found with the project's alias tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from extract.backends.rules.lexicon import lexicon
from extract.canonical import Canonicaliser

DOMESTIC_TABLES = ("provinces", "cities")

# Where a story was filed is not what its figures are about: "China News Service, Nanning,
# December 12 (Reporter X)", "Xinhua, Hefei, March 5 --", "By X in Belgrade | China Daily".
_DATELINE = re.compile(
    r"^[ \t]*(?:(?:(?:[A-Z][\w.'-]*\s?){1,5},\s*)?(?:[A-Z][\w.'’-]*\s?){1,3},\s*"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"\s*(?:\([^)\n]{0,60}\))?|By\s+[^|\n]{1,60}\|[^\n]*)",
    re.M,
)


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


@lru_cache(maxsize=8)
def dateline_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of datelines and bylines in the text."""
    return tuple((m.start(), m.end()) for m in _DATELINE.finditer(text))


@lru_cache(maxsize=1)
def _in_company() -> re.Pattern[str]:
    heads = "|".join(re.escape(h).replace(r"\ ", r"\s+") for h in sorted(lexicon().words("company_name_heads"), key=len, reverse=True))
    return re.compile(rf"(?:\s+[A-Z][\w&'-]*){{0,5}}?\s+(?:{heads})(?![\w])")


def in_company_name(text: str, place: Place) -> bool:
    """'Chengdu Railway Group', 'Hubei Daily': a place inside a company's or a newspaper's name
    says who, not what the article is about."""
    return bool(_in_company().match(text, place.end))


def route_far_end(text: str, place: Place) -> bool:
    """'Laos' in 'China-Laos Railway', 'Europe' in 'Chongqing-Xinjiang-Europe': a route's far end
    says where it goes, not where its figures are."""
    return place.start > 1 and text[place.start - 1] in "-–—" and text[place.start - 2].isalnum()


def in_dateline(text: str, place: Place) -> bool:
    return any(a <= place.start < b for a, b in dateline_spans(text))


def dominant_place(text: str) -> str | None:
    """The place the article is most about: the most mentioned outside datelines, earliest on
    ties; China only when nothing else is named."""
    counts: dict[str, tuple[int, int]] = {}
    broad = set(lexicon().words("broad_regions"))  # "Europe" in "China-Europe trains" is where goods go
    for place in find_places(text):
        if place.name != "China" and place.name not in broad and not in_dateline(text, place) \
                and not in_company_name(text, place) and not route_far_end(text, place):
            n, first = counts.get(place.name, (0, place.start))
            counts[place.name] = (n + 1, first)
    china = sum(1 for p in find_places(text) if p.name == "China" and not in_dateline(text, p)
                and text[p.end : p.end + 1] not in "-–—")  # "China-Europe" names a route, not the country
    if not counts:
        return "China" if china else None
    top = max(counts, key=lambda k: (counts[k][0], -counts[k][1]))
    if china >= 2 * counts[top][0] and china >= 3:
        return "China"  # a national story that names partners in passing
    # A city's story told for its province ("Guangxi's trains ... Nanning"): the province when
    # the article names it about as often as the city.
    region = Canonicaliser.default().region_of(top)
    if region and region in counts and 2 * counts[region][0] >= counts[top][0]:
        return region
    return top
