"""The answer the model fills: SPEC's fact fields, with evidence as quotes only.

The fact models are derived from schemas/ (same names, types, defaults and descriptions),
with `evidence` reduced to `[{"quote": ...}]`: offsets are computed here, by the aligner,
never taken from the model. Validation is where the business rules meet the model:

- every quote must stand in the text the model was given, as a whole clause
  (extract.grounding.clause_problem), and a metric's quotes must state its value
  (extract.figures); every quote must stand in the text the model was given (extract.align.FoldedText,
  passed through instructor's `context=`); unit, period and enum rules come from schemas/,
  and every message says how to fix the answer, because instructor sends it back;
- a quote off by one word is aligned to its article span where that is unambiguous
  (nearmiss.py), counted as the repair `quote_near_miss`;
- a fact that fails is left out of the answer and recorded, as the model wrote it, with
  its reason in `context["rejected"]`: the valid facts are kept at once, and the backend
  re-asks for the rejected ones alone (reask.py), so one bad fact cannot sink the others.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from contextvars import ContextVar
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from extract.align import FoldedText
from extract.backends.llm.nearmiss import Words, near_miss
from extract.backends.llm.reask import Rejected
from extract.backends.llm.repair import repair_fact
from extract.canonical import validated
from extract.figures import NUMBERS_MEMO, value_problem
from extract.grounding import folded_clause_problem
from schemas import FACT_TYPES, Evidence, InfrastructureProject, Metric, PolicyStatement, check_period, check_unit

MAX_QUOTE_CHARS = 1000
# The context of the request being validated. Set per request by the backend instead of instructor's
# `context=`, which would make instructor render every message as a Jinja template.
CURRENT: ContextVar[dict[str, Any] | None] = ContextVar("factsheet_answer_context", default=None)


def context_of(info: ValidationInfo) -> dict[str, Any]:
    return info.context or CURRENT.get() or {}


def new_context(folded: FoldedText, offset: int = 0) -> dict[str, Any]:
    """Validation context for one request: the text the model saw and where it starts in the article."""
    return {"folded": folded, "offset": offset, "rejected": [], "repairs": Counter()}


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _messages(error: ValidationError) -> str:
    return "; ".join(item["msg"].removeprefix("Value error, ") for item in error.errors(include_url=False))


class Quote(BaseModel):
    """A verbatim quote."""

    model_config = ConfigDict(extra="ignore")  # offsets a model adds are ignored, never trusted

    # Descriptions short: the schema is sent three times over (once per fact type) in every request.
    quote: str = Field(description="The article's words copied exactly, at most two sentences.")

    @field_validator("quote")
    @classmethod
    def _found_in_text(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise ValueError("evidence quote is empty: copy, word for word, the sentence of the article that states this fact")
        if len(value) > MAX_QUOTE_CHARS:
            raise ValueError(f"quote is {len(value)} characters long: quote at most about two sentences, "
                             "the ones that state the fact")
        context = context_of(info)
        folded = context.get("folded")
        span = folded.find(value) if folded is not None else None
        if folded is not None and span is None:
            if "words" not in context:
                context["words"] = Words.of(folded.text)
            aligned = near_miss(folded, context["words"], value)
            if aligned is not None:
                value, span = aligned, folded.find(aligned)
                if "repairs" in context:
                    context["repairs"]["quote_near_miss"] += 1
        if folded is not None and span is not None:
            problem = folded_clause_problem(folded, span.start, span.end)
            if problem:
                raise ValueError(problem)
        if folded is not None and span is None:
            raise ValueError(
                f"quote not found in the article: {_short(value)!r}. Copy the words exactly as they stand in the "
                "article text (same words, spelling and punctuation; do not translate, correct or join separate "
                "passages inside a quote), or leave this fact out"
            )
        return value


class FactAnswer(BaseModel):
    """Shared rules of the three answer fact types; `fact_type` is the schemas model it becomes."""

    model_config = ConfigDict(extra="ignore")
    fact_type: ClassVar[type[BaseModel]]
    # The schemas fact `_fits_schema` validated, with the folded text and offset its evidence was aligned to
    # (None: placeholder offsets): `to_fact` hands it over, or puts the aligned evidence in it, instead of
    # validating every field a second time. A default of None: pydantic deep-copies other defaults per instance.
    _checked: tuple[BaseModel, FoldedText | None, int] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _repair(cls, data: Any, info: ValidationInfo) -> Any:
        """What code can decide is fixed here, counted, never re-asked (repair.py)."""
        repairs = context_of(info).get("repairs")
        return repair_fact(data, cls.model_fields, repairs if repairs is not None else Counter())

    @field_validator("evidence", check_fields=False)
    @classmethod
    def _evidence_given(cls, value: list[Quote]) -> list[Quote]:
        if not value:
            raise ValueError("evidence is empty: quote, word for word, the sentence of the article that states this fact")
        return value

    @field_validator("value", mode="before", check_fields=False)
    @classmethod
    def _plain_number(cls, value: Any) -> Any:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"value {value!r} is not a plain number: write the figure in base units as a JSON number, "
                             "e.g. 100 billion yuan is 100000000000, 7.2% is 7.2, down 12% is -12") from None
        if not math.isfinite(number):
            raise ValueError("value is not a finite number: write the figure as a plain number in base units")
        return value

    @field_validator("unit", check_fields=False)
    @classmethod
    def _unit(cls, value: str) -> str:
        return check_unit(value)

    @field_validator("period", check_fields=False)
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        return check_period(value)

    @model_validator(mode="after")
    def _fits_schema(self, info: ValidationInfo) -> FactAnswer:
        """Cross-field rules (a share needs '%', money is an amount...) exactly as schemas/ states them.

        With the request's text in the context, the schemas fact is validated with its final evidence (the aligned
        spans in article coordinates), so `to_fact` hands that very instance over: one full validation of the
        schemas fact per answer fact, which the canonicaliser need not repeat (extract.canonical.validated)."""
        context = context_of(info)
        folded, offset = context.get("folded"), context.get("offset", 0)
        evidence = _aligned(self.evidence, folded, offset) if folded is not None else None  # type: ignore[attr-defined]
        if evidence is None:  # no text to align to: placeholder offsets, and to_fact aligns later
            evidence = [{"quote": q.quote, "start": 0, "end": len(q.quote)} for q in self.evidence]  # type: ignore[attr-defined]
            folded = None
        try:
            checked = validated(self.fact_type, {**self.model_dump(exclude={"evidence"}), "evidence": evidence})
        except ValidationError as e:
            raise ValueError(_messages(e)) from None
        if "value" in type(self).model_fields:
            memo = folded.memo.setdefault(NUMBERS_MEMO, {}) if folded is not None else None
            problem = value_problem(self.value, self.unit, str(self.kind), [q.quote for q in self.evidence],  # type: ignore[attr-defined]
                                    memo)
            if problem:
                raise ValueError(problem)
        self._checked = (checked, folded, offset)
        return self

    def to_fact(self, folded: FoldedText, offset: int) -> Any:
        """The schemas fact, evidence aligned to the text and shifted by `offset` into article coordinates."""
        checked, aligned_to, aligned_offset = self._checked or (None, None, 0)
        if checked is not None and aligned_to is folded and aligned_offset == offset:
            return checked  # validated with this very evidence in _fits_schema
        evidence = _aligned(self.evidence, folded, offset)  # type: ignore[attr-defined]
        if evidence is None:  # validated before; only reachable without a context
            missing = next(q.quote for q in self.evidence if folded.find(q.quote) is None)  # type: ignore[attr-defined]
            raise ValueError(f"quote not found: {_short(missing)!r}")
        if checked is not None:  # validated with as many quotes; no rule of schemas/ reads the offsets
            return checked.model_copy(update={"evidence": [Evidence(**item) for item in evidence]})
        return self.fact_type.model_validate({**self.model_dump(exclude={"evidence"}), "evidence": evidence})


def _aligned(quotes: list[Quote], folded: FoldedText, offset: int) -> list[dict[str, Any]] | None:
    """Each quote's span of the text (as the article writes it), in article coordinates; None if one is not found."""
    evidence = []
    for item in quotes:
        span = folded.find(item.quote)
        if span is None:
            return None
        evidence.append({"quote": folded.text[span.start : span.end], "start": span.start + offset,
                         "end": span.end + offset})
    return evidence


def _answer_model(fact_type: type[BaseModel]) -> type[FactAnswer]:
    fields: dict[str, Any] = {"evidence": (list[Quote], Field(description="Quotes stating the fact."))}
    fields |= {name: (info.annotation, info) for name, info in fact_type.model_fields.items() if name != "evidence"}
    model = create_model(f"{fact_type.__name__}Answer", __base__=FactAnswer, __doc__=fact_type.__doc__, **fields)
    model.fact_type = fact_type
    return model


MetricAnswer = _answer_model(Metric)
ProjectAnswer = _answer_model(InfrastructureProject)
StatementAnswer = _answer_model(PolicyStatement)


def _without_duplicates(items: list[Any], context: dict[str, Any]) -> list[Any]:
    """Exact duplicate facts (same JSON) kept once; each merge counted."""
    # Candidates are found by their scalar fields and `==` (cheap); only a candidate pays for the JSON comparison,
    # which tells apart what `==` does not (1 and 1.0, 1 and true).
    seen: dict[frozenset[Any], list[dict[str, Any]]] = {}
    kept = []
    for item in items:
        if isinstance(item, dict):
            bucket = seen.setdefault(_scalars(item), [])
            if any(item == other and _json(item) == _json(other) for other in bucket):
                if "repairs" in context:
                    context["repairs"]["duplicate"] += 1
                continue
            bucket.append(item)
        kept.append(item)
    return kept


_SCALAR_TYPES = (str, int, float, bool, type(None))


def _scalars(item: dict[str, Any]) -> frozenset[Any]:
    return frozenset((key, value) for key, value in item.items() if type(value) in _SCALAR_TYPES)


def _json(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=str)


class ArticleFacts(BaseModel):
    """Every fact the article text states: metrics, infrastructure projects and policy statements."""

    model_config = ConfigDict(extra="ignore")

    metrics: list[MetricAnswer] = Field(default_factory=list,  # type: ignore[valid-type]
                                        description="Quantitative facts; an empty list if there are none.")
    infrastructure_projects: list[ProjectAnswer] = Field(default_factory=list,  # type: ignore[valid-type]
                                                         description="Projects, routes, hubs and zones; may be empty.")
    policy_statements: list[StatementAnswer] = Field(default_factory=list,  # type: ignore[valid-type]
                                                     description="Plans, targets, proposals, directives and assessments "
                                                                 "by a named actor; may be empty.")

    @field_validator("metrics", "infrastructure_projects", "policy_statements", mode="wrap")
    @classmethod
    def _keep_valid_facts(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        context = context_of(info)
        if value is None:  # some local models write null for an empty list
            if "repairs" in context:
                context["repairs"]["null_list"] += 1
            return []
        if isinstance(value, list):
            value = _without_duplicates(value, context)
        if "rejected" not in context or not isinstance(value, list):
            return handler(value)
        kept = []
        for item in value:
            try:
                kept.extend(handler([item]))
            except ValidationError as e:
                first = e.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"][1:])
                reason = f"{where + ': ' if where else ''}{first['msg'].removeprefix('Value error, ')}"
                context["rejected"].append(Rejected(str(info.field_name), item, reason))
        return kept

    def to_facts(self, folded: FoldedText, offset: int) -> dict[str, list[Any]]:
        """schemas facts by list name, evidence in article coordinates."""
        return {name: [fact.to_fact(folded, offset) for fact in getattr(self, name)] for name in FACT_TYPES}
