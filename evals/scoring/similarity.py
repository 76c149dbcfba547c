"""Similarity of two facts of one type, and the field comparisons it is built from.

Evidence is compared by character spans that the aligner finds in the article text:
offsets written in a sheet are only a hint for which occurrence is meant, never trusted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, utils

from evals.scoring import config
from extract.align import FoldedText, Span
from extract.canonical import Canonicaliser, name_key
from schemas import InfrastructureProject, Metric, PolicyStatement

Fact = Metric | InfrastructureProject | PolicyStatement


@dataclass(frozen=True)
class Located:
    """A fact with the span of each of its evidence quotes in the text (None: not found)."""

    fact: Fact
    spans: tuple[Span | None, ...]

    @property
    def grounded(self) -> bool:
        return all(span is not None for span in self.spans)

    @property
    def intervals(self) -> list[tuple[int, int]]:
        return merge((s.start, s.end) for s in self.spans if s is not None)


def locate(fact: Fact, folded: FoldedText) -> Located:
    """Re-align every quote of `fact` in the text, nearest its claimed offset."""
    return Located(fact, tuple(folded.find(ev.quote, near=ev.start) for ev in fact.evidence))


def merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping intervals covering the same characters."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def span_overlap(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> float:
    """Shared characters over the shorter evidence (overlap coefficient): 1 when one contains the other.

    The shorter side is the denominator because labellers and extractors differ in how
    much of a sentence they quote; a clause inside the other's sentence is the same place.
    """
    size_a = sum(e - s for s, e in a)
    size_b = sum(e - s for s, e in b)
    if not size_a or not size_b:
        return 0.0
    shared, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        shared += max(0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return shared / min(size_a, size_b)


def numbers_agree(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=config.REL_TOL, abs_tol=config.ABS_TOL)


@lru_cache(maxsize=65536)
def text_similarity(a: str | None, b: str | None) -> float:
    """Fuzzy similarity of two free texts in [0, 1]; two missing values agree."""
    if not a or not b:
        return 1.0 if not a and not b else 0.0
    if name_key(a) == name_key(b):
        return 1.0
    return fuzz.WRatio(a, b, processor=utils.default_process) / 100.0


def distinctive_name(name: str) -> str:
    """A project name without the generic words that only say its kind."""
    words = [w for w in utils.default_process(name).split() if w not in config.GENERIC_NAME_WORDS]
    return " ".join(words) or name


def name_similarity(a: str, b: str) -> float:
    """How alike two project names are on their distinctive words (edit similarity, any word order), in [0, 1]."""
    x, y = distinctive_name(a), distinctive_name(b)
    return max(fuzz.ratio(x, y), fuzz.token_sort_ratio(x, y)) / 100.0


def set_f1(gold: Iterable[str], pred: Iterable[str]) -> float:
    """F1 of two sets of names (compared by name_key); two empty sets agree."""
    g = {name_key(x) for x in gold}
    p = {name_key(x) for x in pred}
    if not g and not p:
        return 1.0
    shared = len(g & p)
    return 2 * shared / (len(g) + len(p))


def canon() -> Canonicaliser:
    return Canonicaliser.default()


def place(name: str | None) -> str | None:
    return canon().place(name) if name else None


def same(a: Any, b: Any) -> float:
    return 1.0 if a == b else 0.0


def metric_similarity(g: Located, p: Located) -> float:
    gm, pm = g.fact, p.fact
    assert isinstance(gm, Metric) and isinstance(pm, Metric)
    w = config.METRIC_WEIGHTS
    return (
        w["value"] * numbers_agree(gm.value, pm.value)
        + w["unit"] * same(canon().unit(gm.unit), canon().unit(pm.unit))
        + w["evidence"] * span_overlap(g.intervals, p.intervals)
        + w["period"] * same(gm.period, pm.period)
        + w["location"] * same(name_key(place(gm.location) or ""), name_key(place(pm.location) or ""))
    )


def project_similarity(g: Located, p: Located) -> float:
    gp, pp = g.fact, p.fact
    assert isinstance(gp, InfrastructureProject) and isinstance(pp, InfrastructureProject)
    name = name_similarity(gp.name, pp.name)
    if name < config.PROJECT_NAME_MIN:
        return 0.0
    w = config.PROJECT_WEIGHTS
    return w["name"] * name + w["kind"] * same(gp.kind, pp.kind) + w["evidence"] * span_overlap(g.intervals, p.intervals)


def statement_similarity(g: Located, p: Located) -> float:
    gs, ps = g.fact, p.fact
    assert isinstance(gs, PolicyStatement) and isinstance(ps, PolicyStatement)
    w = config.STATEMENT_WEIGHTS
    return (
        w["evidence"] * span_overlap(g.intervals, p.intervals)
        + w["actor"] * (text_similarity(gs.actor, ps.actor) >= config.STRING_MATCH)
        + w["summary"] * text_similarity(gs.summary, ps.summary)
    )


SIMILARITY = {
    "metrics": metric_similarity,
    "infrastructure_projects": project_similarity,
    "policy_statements": statement_similarity,
}
