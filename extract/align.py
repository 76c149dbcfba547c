"""Evidence alignment: find a quote in the article, tolerant only of typography.

Tolerated: Unicode compatibility forms (NFKD), curly versus straight quotes, dash
variants, zero-width characters, and runs of white space. Nothing else: not case, not
missing words. Offsets always refer to the original text, so text[start:end] is the
quote as it stands there.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_TYPOGRAPHY = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
}


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """The typography-free form of one character; white space is handled by the caller."""
    if ch in _TYPOGRAPHY:  # before NFKD, which splits e.g. U+2033 into two primes and U+00B4 into space + accent
        return _TYPOGRAPHY[ch]
    out = []
    for c in unicodedata.normalize("NFKD", ch):
        out.append(_TYPOGRAPHY.get(c, c))
    return "".join(out)


def fold(text: str) -> str:
    """The form in which quote and article are compared."""
    return FoldedText(text).folded


class FoldedText:
    """An article folded once, with a map from folded positions back to the original."""

    def __init__(self, text: str) -> None:
        self.text = text
        chars: list[str] = []
        origin: list[int] = []  # original index of each folded character
        first: list[bool] = []  # folded character is the first one its original produced
        for i, ch in enumerate(text):
            if ch.isspace():
                if chars and chars[-1] == " ":
                    continue
                chars.append(" ")
                origin.append(i)
                first.append(True)
                continue
            folded = _fold_char(ch)
            for j, c in enumerate(folded):
                if c.isspace():  # NFKD may yield spaces, e.g. for some compatibility forms
                    if chars and chars[-1] == " ":
                        continue
                    c = " "
                chars.append(c)
                origin.append(i)
                first.append(j == 0)
        self.folded = "".join(chars)
        self._origin = origin
        self._first = first

    def _to_span(self, k: int, n: int) -> Span | None:
        """Map folded [k, k+n) to original offsets, if it starts and ends on whole characters."""
        if not self._first[k] or unicodedata.combining(self.folded[k]):
            return None
        stop = k + n
        # Not inside one original character, nor before an accent the quote leaves out ("cafe" in "café").
        if stop < len(self._first) and (not self._first[stop] or unicodedata.combining(self.folded[stop])):
            return None
        # End just past the last matched character: the needle ends on a non-space character, and
        # zero-width characters or white space after it are not part of the quote.
        return Span(self._origin[k], self._origin[stop - 1] + 1)

    def find_all(self, quote: str) -> list[Span]:
        """Every place the quote stands in the text, in order."""
        needle = fold(quote).strip(" ")
        if not needle:
            return []
        spans: list[Span] = []
        k = self.folded.find(needle)
        while k != -1:
            span = self._to_span(k, len(needle))
            if span is not None:
                spans.append(span)
            k = self.folded.find(needle, k + 1)
        return spans

    def find(self, quote: str, near: int | None = None) -> Span | None:
        """The quote's span; with several, the one starting nearest `near`, else the first."""
        spans = self.find_all(quote)
        if not spans:
            return None
        if near is None:
            return spans[0]
        return min(spans, key=lambda s: (abs(s.start - near), s.start))


def align(text: str, quote: str, near: int | None = None) -> Span | None:
    """Find `quote` in `text`; None when it is not there (a hallucination)."""
    return FoldedText(text).find(quote, near)
