"""Long articles: split on paragraph and sentence boundaries under a token budget.

A chunk is a span of the original text, so a quote found in a chunk maps back to the
article by adding the chunk's start. Consecutive chunks share their boundary paragraph
(or sentence) when it is short, so a fact stated there is seen whole by both; the merge
step then keeps it once.

Tokens are estimated, not counted (no tokenizer is shipped): about four characters of
Latin script per token, one per CJK or other non-ASCII character. The estimate errs
high for non-Latin text, which only makes chunks smaller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*")  # a non-blank line
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])[\"'”’)\]]*\s+")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def estimate_tokens(text: str) -> int:
    ascii_chars = len(text) - len(_NON_ASCII.findall(text))  # a regex: a Python loop per character cost ~1 ms
    return (ascii_chars + 3) // 4 + (len(text) - ascii_chars)


@dataclass(frozen=True)
class Chunk:
    """text[start:end] of an article; `index` of `count` parts."""

    start: int
    end: int
    index: int = 0
    count: int = 1

    def text(self, article_text: str) -> str:
        return article_text[self.start : self.end]


def _units(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    """Spans under the budget: paragraphs, else their sentences, else word-boundary pieces."""
    units: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text, start, end):
        units.extend(_fit(text, para.start(), para.end(), budget))
    return units


def _fit(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    if estimate_tokens(text[start:end]) <= budget:
        return [(start, end)]
    pieces = _sentences(text, start, end)
    if len(pieces) > 1:
        return [span for s, e in pieces for span in _fit(text, s, e, budget)]
    return _hard_split(text, start, end, budget)


def _hard_split(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    """A run-on sentence over the budget: cut at the last white space that fits."""
    pieces = []
    while estimate_tokens(text[start:end]) > budget:
        cost, limit = 0.0, start
        while limit < end and cost + _char_cost(text[limit]) <= budget:
            cost += _char_cost(text[limit])
            limit += 1
        limit = max(limit, start + 1)
        cut = text.rfind(" ", start + 1, limit + 1) if limit < end and not text[limit].isspace() else limit
        cut = cut if cut > start else limit
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def _char_cost(ch: str) -> float:
    return 0.25 if ord(ch) < 128 else 1.0


def split_text(text: str, budget: int) -> list[Chunk]:
    """The article as chunks of at most about `budget` tokens; one chunk when it fits."""
    if estimate_tokens(text) <= budget or not text.strip():
        return [Chunk(0, len(text))]
    units = _units(text, 0, len(text), budget)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        first = i
        j = i + 1
        while j < len(units) and estimate_tokens(text[units[first][0] : units[j][1]]) <= budget:
            j += 1
        spans.append((units[first][0], units[j - 1][1]))
        # Share the last unit with the next chunk when short, but always move forward.
        last = units[j - 1]
        overlap = j - 1 > first and estimate_tokens(text[last[0] : last[1]]) <= budget // 4
        i = j - 1 if overlap else j
    return [Chunk(s, e, k, len(spans)) for k, (s, e) in enumerate(spans)]


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, cut = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((cut, match.start()))
        cut = match.end()
    spans.append((cut, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def sentences(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every sentence of `text`, paragraph by paragraph."""
    return [span for para in _PARAGRAPH.finditer(text) for span in _sentences(text, para.start(), para.end())]


def split_in_two(text: str, chunk: Chunk) -> tuple[Chunk, Chunk] | None:
    """The chunk halved at the paragraph (else sentence) boundary nearest its middle; None for one sentence."""
    units = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text, chunk.start, chunk.end)]
    if len(units) == 1:
        units = _sentences(text, *units[0])
    if len(units) < 2:
        return None
    middle = (chunk.start + chunk.end) // 2
    k = min(range(1, len(units)), key=lambda n: abs(units[n][0] - middle))
    return (Chunk(chunk.start, units[k - 1][1], chunk.index, chunk.count),
            Chunk(units[k][0], chunk.end, chunk.index, chunk.count))


def spans_overlap(a: Iterable[tuple[int, int]], b: Iterable[tuple[int, int]]) -> bool:
    b_list = list(b)
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b_list)
