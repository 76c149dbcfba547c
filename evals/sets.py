"""The registry of labelled eval sets (evals/sets.json): name, gold folder, articles folder, baseline file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from extract.errors import FactsheetError

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = Path(__file__).with_name("sets.json")
DEFAULT_SET = "seeds"


@dataclass(frozen=True)
class EvalSet:
    name: str
    gold: Path
    articles: Path
    baseline: Path
    about: str = ""

    @property
    def present(self) -> bool:
        """Whether the set's labels are in the repository (a slot may wait for its data)."""
        return self.gold.is_dir() and any(self.gold.glob("*.json"))


@lru_cache(maxsize=4)
def load_sets(path: Path = REGISTRY) -> dict[str, EvalSet]:
    """Every registered set by name, with paths resolved against the repository root."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))["sets"]
        sets = [EvalSet(s["name"], ROOT / s["gold"], ROOT / s["articles"], ROOT / s["baseline"], s.get("about", ""))
                for s in raw]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise FactsheetError(f"eval set registry {path} is missing or damaged ({e}): each set needs "
                             "name, gold, articles and baseline") from e
    return {s.name: s for s in sets}


def get_set(name: str) -> EvalSet:
    sets = load_sets()
    if name not in sets:
        raise FactsheetError(f"unknown eval set {name!r}: choose one of {', '.join(sets)} (evals/sets.json)")
    return sets[name]


def present_sets() -> list[EvalSet]:
    return [s for s in load_sets().values() if s.present]
