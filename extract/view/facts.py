"""Facts as the viewer shows them: a one-line label, the fields to display, located evidence.

Model output is kept as plain strings here; escaping happens where HTML is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from extract.align import align
from schemas import FactSheet

TYPE_LABELS = {
    "metrics": "Metric",
    "infrastructure_projects": "Project",
    "policy_statements": "Statement",
}
TYPE_PLURALS = {
    "metrics": "Metrics",
    "infrastructure_projects": "Infrastructure projects",
    "policy_statements": "Policy statements",
}
COMPARATOR_SIGNS = {"eq": "", "approx": "≈ ", "gt": "> ", "lt": "< "}
_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


@dataclass
class EvidenceView:
    """One evidence span; start/end are None when it could not be placed in the text."""

    id: str
    quote: str
    start: int | None
    end: int | None
    note: str | None = None  # why it was not placed, or that it was re-found by its quote

    @property
    def located(self) -> bool:
        return self.start is not None and self.end is not None


@dataclass
class FactView:
    """A fact ready to draw: `cls` picks its colour (its type in the viewer, its outcome in the eval)."""

    id: str
    type: str
    label: str
    fields: list[tuple[str, str]]
    evidence: list[EvidenceView]
    cls: str
    article: str = ""
    badge: str | None = None  # a short outcome word shown beside the label
    detail: list[str] = field(default_factory=list)  # extra lines, such as field errors
    sort: dict[str, Any] = field(default_factory=dict)  # raw values for table sorting

    @property
    def located(self) -> bool:
        return any(e.located for e in self.evidence)


def format_number(value: float) -> str:
    """A figure as a person reads it: 1e11 -> '100 billion', 4600 -> '4,600', 7.2 -> '7.2'."""
    if not math.isfinite(value):
        return str(value)
    for scale, word in _SCALES:
        if abs(value) >= scale:
            return f"{value / scale:,.6g} {word}"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.6g}"


def display(value: Any) -> str:
    """A field value as text: lists joined, None as a dash, enums by value."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "—"
    return str(getattr(value, "value", value))


def metric_value(fact: Any) -> str:
    sign = COMPARATOR_SIGNS.get(display(fact.comparator), "")
    return f"{sign}{format_number(fact.value)} {fact.unit}"


def fact_label(fact_type: str, fact: Any) -> str:
    if fact_type == "metrics":
        return f"{metric_value(fact)}: {fact.subject}"
    if fact_type == "infrastructure_projects":
        return f"{fact.name} ({display(fact.kind)}, {display(fact.status)})"
    return f"{fact.actor}: {fact.summary}"


FIELDS = {
    "metrics": ("subject", "value", "unit", "kind", "comparator", "status", "period", "location"),
    "infrastructure_projects": ("name", "kind", "status", "locations", "partners", "initiatives", "timeline"),
    "policy_statements": ("actor", "actor_role", "jurisdiction", "kind", "summary", "initiatives", "venue"),
}


def fact_fields(fact_type: str, fact: Any) -> list[tuple[str, str]]:
    rows = []
    for name in FIELDS[fact_type]:
        value = getattr(fact, name)
        if name == "value":
            shown = f"{format_number(value)} ({value:g})" if abs(value) >= 1e6 else format_number(value)
        else:
            shown = display(value)
        rows.append((name, shown))
    return rows


def locate(evidence: Any, text: str | None, ev_id: str) -> EvidenceView:
    """Place one evidence item on the text: its offsets if they hold, else its quote re-found."""
    quote = evidence.quote
    start, end = getattr(evidence, "start", None), getattr(evidence, "end", None)
    if text is None:
        return EvidenceView(ev_id, quote, None, None, "article text not found")
    if start is not None and end is not None and 0 <= start < end <= len(text) and text[start:end] == quote:
        return EvidenceView(ev_id, quote, start, end)
    span = align(text, quote, near=start)
    if span is None:
        return EvidenceView(ev_id, quote, None, None, "quote not found in the article text")
    note = None if start is None else f"offsets {start}:{end} did not match the text; placed by its quote"
    return EvidenceView(ev_id, quote, span.start, span.end, note)


def sheet_facts(sheet: FactSheet, text: str | None, prefix: str) -> list[FactView]:
    """The sheet's facts in stable order, ids `<prefix>-<n>`, coloured by fact type."""
    views = []
    for index, (fact_type, fact) in enumerate(sheet.facts()):
        views.append(fact_view(fact_type, fact, text, f"{prefix}-{index}", cls=fact_type, article=sheet.article.id))
    return views


def fact_view(fact_type: str, fact: Any, text: str | None, fact_id: str, *, cls: str, article: str = "") -> FactView:
    evidence = [locate(e, text, f"{fact_id}-{j}") for j, e in enumerate(fact.evidence)]
    sort: dict[str, Any] = {}
    if fact_type == "metrics":
        sort["value"] = fact.value
    first = min((e.start for e in evidence if e.start is not None), default=None)
    sort["position"] = first
    return FactView(fact_id, fact_type, fact_label(fact_type, fact), fact_fields(fact_type, fact),
                    evidence, cls, article=article, sort=sort)
