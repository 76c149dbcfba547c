"""The eval report as typed data: per-article matches, misses and spurious facts, and the totals.

Everything a renderer needs is here (facts as JSON, evidence spans re-aligned to the
text, field verdicts); `EvalReport.to_json()` is the on-disk form.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from evals.scoring.fields import FieldResult

FACT_TYPE_NAMES = ("metrics", "infrastructure_projects", "policy_statements")
OVERALL = "overall"


@dataclass
class Counts:
    """Matched, predicted and gold facts. An empty side against a non-empty one scores 0; both empty score 1."""

    matched: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else float(self.gold == 0)

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else float(self.predicted == 0)

    @property
    def f1(self) -> float:
        total = self.predicted + self.gold
        return 2 * self.matched / total if total else 1.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.matched + other.matched, self.predicted + other.predicted, self.gold + other.gold)

    def to_dict(self) -> dict[str, Any]:
        return {"matched": self.matched, "predicted": self.predicted, "gold": self.gold,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class PRF:
    """Precision, recall and F1 averaged over articles (macro)."""

    precision: float
    recall: float
    f1: float


@dataclass
class Rate:
    """A share; `value` is None when there is nothing to count (shown as n/a)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def to_dict(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass
class FieldAccuracy:
    """Mean field score over matched pairs."""

    pairs: int = 0
    score_sum: float = 0.0

    @property
    def accuracy(self) -> float | None:
        return self.score_sum / self.pairs if self.pairs else None

    def to_dict(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "accuracy": self.accuracy}


@dataclass
class EvidenceSpan:
    """A quote and where the aligner finds it in the text (start/end None: not found)."""

    quote: str
    start: int | None
    end: int | None

    @property
    def found(self) -> bool:
        return self.start is not None

    def to_dict(self) -> dict[str, Any]:
        return {"quote": self.quote, "start": self.start, "end": self.end, "found": self.found}


@dataclass
class FactRecord:
    """One fact in the report: its list, its index there, a one-line description, the fact itself."""

    fact_type: str
    index: int
    description: str
    fact: dict[str, Any]
    evidence: list[EvidenceSpan]

    @property
    def grounded(self) -> bool:
        return all(ev.found for ev in self.evidence)

    def to_dict(self) -> dict[str, Any]:
        return {**_fields(self), "grounded": self.grounded}


@dataclass
class Match:
    """A gold fact paired with a predicted one, with every scored field compared."""

    fact_type: str
    similarity: float
    gold: FactRecord
    predicted: FactRecord
    fields: list[FieldResult]

    @property
    def field_errors(self) -> list[FieldResult]:
        return [f for f in self.fields if not f.correct]

    def strict(self, key_fields: tuple[str, ...]) -> bool:
        """Whether every key field of the pair is right (the pair counts for strict F1)."""
        return all(f.correct for f in self.fields if f.field in key_fields)


@dataclass
class Unmatched:
    """A missed gold fact or a spurious predicted one, with its nearest counterpart (if any)."""

    fact: FactRecord
    closest_similarity: float | None = None
    closest: FactRecord | None = None
    closest_is_paired: bool = False  # the counterpart is matched to another fact (one-to-one)


@dataclass
class ArticleResult:
    article_id: str
    valid: bool
    error: str | None
    counts: dict[str, Counts]  # per fact type and OVERALL
    strict: dict[str, Counts] = field(default_factory=dict)  # as counts, matched only with key fields right
    matched: list[Match] = field(default_factory=list)
    missed: list[Unmatched] = field(default_factory=list)
    spurious: list[Unmatched] = field(default_factory=list)
    grounding: Rate = field(default_factory=lambda: Rate(0, 0))


@dataclass
class EvalReport:
    label: str  # what was scored: a backend name or a prediction folder
    settings: dict[str, Any]
    articles: list[ArticleResult]
    micro: dict[str, Counts]
    macro: dict[str, PRF]
    field_accuracy: dict[str, dict[str, FieldAccuracy]]
    grounding: Rate
    validity: Rate
    meta: dict[str, Any] = field(default_factory=dict)  # gold and article folders, time
    strict: dict[str, Counts] = field(default_factory=dict)  # micro counts of strict matches

    @property
    def overall_f1(self) -> float:
        return self.micro[OVERALL].f1

    @property
    def overall_strict_f1(self) -> float:
        return self.strict[OVERALL].f1 if self.strict else 0.0

    def summary(self) -> dict[str, Any]:
        """The headline numbers (what the baseline keeps)."""
        return {
            "label": self.label,
            "articles": len(self.articles),
            "micro": {k: _round(v.to_dict()) for k, v in self.micro.items()},
            "strict": {k: _round(v.to_dict()) for k, v in self.strict.items()},
            "macro": {k: _round(_fields(v)) for k, v in self.macro.items()},
            "field_accuracy": {t: {f: _round(a.accuracy) for f, a in fs.items()} for t, fs in self.field_accuracy.items()},
            "grounding": _round(self.grounding.value),
            "validity": _round(self.validity.value),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), **jsonable(_fields(self))}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def jsonable(obj: Any) -> Any:
    """Plain JSON data for report objects: their to_dict() where defined, else their fields."""
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        obj = obj.to_dict()
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = _fields(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
