"""The rules backend's word lists (extract/data/rules.json) and unit table, loaded once."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any


def phrase_regex(phrases: list[str] | set[str]) -> re.Pattern[str]:
    """One regex matching any of the phrases on word boundaries, longest first."""
    ordered = sorted({p for p in phrases if p}, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)
    return re.compile(rf"(?<![\w$]){'(?:' + body + ')'}(?![\w])", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class Lexicon:
    data: dict[str, Any]
    units: dict[str, Any]

    @property
    def version(self) -> str:
        return f"rules-{self.data['version']}/units-{self.units['version']}"

    def words(self, key: str) -> list[str]:
        return list(self.data[key])

    @lru_cache(maxsize=64)  # noqa: B019 (one Lexicon lives for the process)
    def regex(self, key: str, subkey: str | None = None) -> re.Pattern[str]:
        """The word list `key` (or `key`.`subkey` for a table of lists) as one compiled regex."""
        return phrase_regex(self.data[key] if subkey is None else self.data[key][subkey])

    @cached_property
    def unit_map(self) -> dict[str, tuple[str, str]]:
        """Unit word -> (SPEC unit, group) for money, volume and count words."""
        out: dict[str, tuple[str, str]] = {}
        for group in ("money", "volume", "count"):
            for word, unit in self.units[group].items():
                out[word.casefold()] = (unit, group)
        return out


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    def read(name: str) -> dict[str, Any]:
        return json.loads(resources.files("extract.data").joinpath(name).read_text(encoding="utf-8"))

    return Lexicon(read("rules.json"), read("units.json"))
