"""Field accuracy of a matched pair: numbers with tolerance, enums exact, strings fuzzy, lists as set F1."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from evals.scoring import config
from evals.scoring.similarity import Fact, canon, numbers_agree, place, set_f1, text_similarity


@dataclass(frozen=True)
class FieldResult:
    """One field of a matched pair: both values and a score in [0, 1] (1 is right)."""

    field: str
    gold: Any
    predicted: Any
    score: float

    @property
    def correct(self) -> bool:
        return self.score >= 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "gold": self.gold, "predicted": self.predicted, "score": self.score,
                "correct": self.correct}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return list(value)
    return value


def number(g: Any, p: Any) -> float:
    return 1.0 if numbers_agree(g, p) else 0.0


def exact(g: Any, p: Any) -> float:
    return 1.0 if _plain(g) == _plain(p) else 0.0


def unit(g: str, p: str) -> float:
    return exact(canon().unit(g), canon().unit(p))


def text(g: str | None, p: str | None) -> float:
    return 1.0 if text_similarity(g, p) >= config.STRING_MATCH else 0.0


def place_text(g: str | None, p: str | None) -> float:
    return text(place(g), place(p))


def places(g: list[str], p: list[str]) -> float:
    return set_f1((canon().place(x) for x in g), (canon().place(x) for x in p))


def initiatives(g: list[str], p: list[str]) -> float:
    return set_f1((canon().initiative(x) for x in g), (canon().initiative(x) for x in p))


Comparer = Callable[[Any, Any], float]

FIELDS: dict[str, dict[str, Comparer]] = {
    "metrics": {
        "subject": text, "value": number, "unit": unit, "kind": exact, "comparator": exact,
        "status": exact, "period": exact, "location": place_text,
    },
    "infrastructure_projects": {
        "name": text, "kind": exact, "status": exact, "locations": places, "partners": places,
        "initiatives": initiatives, "timeline": text,
    },
    "policy_statements": {
        "actor": text, "actor_role": text, "jurisdiction": place_text, "kind": exact, "summary": text,
        "initiatives": initiatives, "venue": text,
    },
}


def compare_fields(fact_type: str, gold: Fact, pred: Fact) -> list[FieldResult]:
    """Every scored field of a matched pair, in the order of FIELDS."""
    results = []
    for name, comparer in FIELDS[fact_type].items():
        g, p = getattr(gold, name), getattr(pred, name)
        results.append(FieldResult(name, _plain(g), _plain(p), comparer(g, p)))
    return results
