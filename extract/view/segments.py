"""Splitting a text at every highlight boundary, so that overlapping spans stay readable.

Each segment is a run of text covered by the same set of spans; the HTML marks each
segment once with the list of spans (and facts) that cover it, instead of nesting tags
that would have to cross.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class Span:
    """One highlight: text[start:end], belonging to evidence `id` of fact `fact` drawn as `cls`."""

    start: int
    end: int
    id: str
    fact: str
    cls: str


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    spans: tuple[Span, ...]  # empty for plain text, else the spans covering it, in input order


def segments(length: int, spans: Sequence[Span]) -> list[Segment]:
    """Cover [0, length) with segments cut at every span boundary; empty spans are skipped."""
    live = [s for s in spans if 0 <= s.start < s.end <= length]
    cuts = sorted({0, length, *(s.start for s in live), *(s.end for s in live)})
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for index, span in enumerate(live):
        starts.setdefault(span.start, []).append(index)
        ends.setdefault(span.end, []).append(index)
    active: set[int] = set()
    result: list[Segment] = []
    for left, right in pairwise(cuts):
        active.difference_update(ends.get(left, ()))
        active.update(starts.get(left, ()))
        result.append(Segment(left, right, tuple(live[i] for i in sorted(active))))
    return result
