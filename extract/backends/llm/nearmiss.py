"""Near-miss quotes aligned in code: one word dropped or added, nothing else.

Models copy a long sentence and lose (or add) one word on the way. Re-asking for that
costs a whole request; aligning it here costs nothing. It is strict, so grounding stays
honest: the quote must have at least `MIN_WORDS` words, its words must match one article
span exactly except for a single inserted or deleted word, that word holds no digit and
is no negation (so no figure and no "not" is gained or lost), and the span must be the
only one in the text that fits. Typography is already tolerated by the aligner, whose
folding is used for the word comparison. The caller counts each repair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.align import FoldedText, fold

MIN_WORDS = 4
_TOKEN = re.compile(r"\S+")
_NEGATIONS = frozenset({"not", "no", "never", "nor", "neither", "none", "without", "n't", "cannot"})
_EDGE_PUNCT = "\"'()[],.;:!?"


@dataclass(frozen=True)
class Words:
    """The words of a text (folded for comparison) with their offsets in the original."""

    keys: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, text: str) -> Words:
        found = [(_key(m.group()), (m.start(), m.end())) for m in _TOKEN.finditer(text)]
        return cls(tuple(k for k, _ in found), tuple(s for _, s in found))


def _key(word: str) -> str:
    """A word as compared: folded, without the punctuation at its edges ("year," is "year")."""
    return fold(word).strip(_EDGE_PUNCT) or word


def _safe(word: str) -> bool:
    """A word that may be gained or lost: no digit, no negation."""
    bare = word.strip(_EDGE_PUNCT).casefold()
    return bool(bare) and not any(ch.isdigit() for ch in word) and bare not in _NEGATIONS and not bare.endswith("n't")


def near_miss(folded: FoldedText, words: Words, quote: str) -> str | None:
    """The article span `quote` means when it differs by one safe word, if exactly one span fits; else None."""
    q = [_key(w) for w in fold(quote).split()]
    n, keys = len(q), words.keys
    if n < MIN_WORDS:
        return None
    found: set[tuple[int, int]] = set()
    for i in range(len(keys)):
        c = 0  # words in common from i
        while c < n and i + c < len(keys) and keys[i + c] == q[c]:
            c += 1
        if c == n:
            continue  # found whole: not a near miss (the aligner refused it for another reason)
        # The article has one word more at i+c (the model dropped it); never at the quote's edges.
        if c > 0 and i + n + 1 <= len(keys) and _safe(keys[i + c]) and keys[i + c + 1 : i + n + 1] == tuple(q[c:]):
            found.add((i, i + n))
        # The quote has one word more, q[c] (the model added it); never its first or last word.
        if 0 < c < n - 1 and _safe(q[c]) and i + n - 1 <= len(keys) and keys[i + c : i + n - 1] == tuple(q[c + 1 :]):
            found.add((i, i + n - 2))
    if len(found) != 1:
        return None
    first, last = found.pop()
    start, end = words.spans[first][0], words.spans[last][1]
    span = folded.text[start:end]
    # The span's edge punctuation as the quote has it: "... last year" ends before the article's comma.
    stripped = quote.strip()
    if stripped and stripped[-1] not in _EDGE_PUNCT:
        span = span.rstrip(_EDGE_PUNCT)
    if stripped and stripped[0] not in _EDGE_PUNCT:
        span = span.lstrip(_EDGE_PUNCT)
    return span
