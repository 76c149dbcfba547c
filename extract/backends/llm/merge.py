"""Merging the facts of an article's chunks: the same fact seen by two chunks is kept once.

Metrics and statements are the same when their identifying fields agree and their
evidence overlaps (a fact in the paragraph two chunks share). A project is one entry per
article however often it is mentioned (SPEC), so projects merge by name and kind alone;
the merged fact carries the evidence and place lists of both. Facts of one chunk are
never merged with each other: the model saw them side by side and meant them apart.
"""

from __future__ import annotations

from typing import Any

from extract.backends.llm.chunking import spans_overlap
from extract.canonical import name_key
from schemas import FACT_TYPES, Evidence, InfrastructureProject

Facts = dict[str, list[Any]]


def _spans(fact: Any) -> list[tuple[int, int]]:
    return [(ev.start, ev.end) for ev in fact.evidence]


def _identity(list_name: str, fact: Any) -> tuple[Any, ...]:
    if list_name == "metrics":
        return (fact.value, fact.unit.casefold(), fact.kind, fact.period)
    if list_name == "infrastructure_projects":
        return (name_key(fact.name), fact.kind)
    return (name_key(fact.actor), fact.kind)


def same_fact(list_name: str, a: Any, b: Any) -> bool:
    if _identity(list_name, a) != _identity(list_name, b):
        return False
    return list_name == "infrastructure_projects" or spans_overlap(_spans(a), _spans(b))


def _union(a: list[str], b: list[str]) -> list[str]:
    return list(dict.fromkeys([*a, *b]))


def combine(a: Any, b: Any) -> Any:
    """`a` with the evidence of `b` added; a project also gains `b`'s places, partners and initiatives."""
    evidence = sorted({(ev.start, ev.end): ev for ev in [*a.evidence, *b.evidence]}.values(), key=lambda ev: ev.start)
    update: dict[str, Any] = {"evidence": [Evidence(quote=ev.quote, start=ev.start, end=ev.end) for ev in evidence]}
    if isinstance(a, InfrastructureProject):
        update |= {
            "locations": _union(a.locations, b.locations),
            "partners": _union(a.partners, b.partners),
            "initiatives": _union(a.initiatives, b.initiatives),
            "timeline": a.timeline or b.timeline,
            "status": b.status if a.status.value == "unknown" else a.status,
        }
    return a.model_copy(update=update)


def merge_parts(parts: list[Facts]) -> Facts:
    """One fact list per type from the chunks' lists, in order of first appearance."""
    merged: Facts = {name: [] for name in FACT_TYPES}
    origins: dict[str, list[set[int]]] = {name: [] for name in FACT_TYPES}
    for part_index, part in enumerate(parts):
        for list_name, facts in part.items():
            for fact in facts:
                twin = next((i for i, (other, origin) in enumerate(zip(merged[list_name], origins[list_name], strict=True))
                             if part_index not in origin and same_fact(list_name, other, fact)), None)
                if twin is None:
                    merged[list_name].append(fact)
                    origins[list_name].append({part_index})
                else:
                    merged[list_name][twin] = combine(merged[list_name][twin], fact)
                    origins[list_name][twin].add(part_index)
    return merged
