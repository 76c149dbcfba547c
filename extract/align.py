"""Evidence alignment: find a quote in the article, tolerant only of typography.

Tolerated: Unicode compatibility forms (NFKD), curly versus straight quotes, dash
variants, zero-width characters, and runs of white space. Nothing else: not case, not
missing words. Offsets always refer to the original text, so text[start:end] is the
quote as it stands there.

Folding is done per run, not per character: a run of plain ASCII words separated by
single spaces folds to itself, and so does a run of other characters that is already
in NFKD and holds no typography; only white-space runs and the rare characters that
fold to something else are handled one at a time.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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


def _char_class(chars: str) -> str:
    return "".join(re.escape(c) for c in chars)


# ASCII characters that fold to themselves and are not white space (all but ` and the spaces).
_PLAIN = _char_class("".join(c for c in map(chr, range(128)) if not c.isspace() and _fold_char(c) == c))
_TOKENS = re.compile(
    rf"(?P<plain>[{_PLAIN}]+(?: [{_PLAIN}]+)*)"  # words with single spaces: the same folded
    r"|(?P<space>\s+)"  # one space, or none after a space
    rf"|(?P<other>[^\s{_PLAIN}]+)",  # non-ASCII (and `): the same when in NFKD without typography
)
_TYPOGRAPHY_CHARS = re.compile(f"[{_char_class(''.join(_TYPOGRAPHY))}]")


class FoldedText:
    """An article folded once, with a map from folded positions back to the original."""

    def __init__(self, text: str) -> None:
        self.text = text
        parts: list[str] = []
        # The map back to the original, by segments of folded characters whose originals follow one another:
        # segment i starts at folded position starts[i], from original position origins[i]. Most of a text is
        # a few long plain runs, so this is far smaller (and faster to build) than a position per character.
        starts: list[int] = []
        origins: list[int] = []
        not_first: set[int] = set()  # folded positions that are not the first character their original produced
        size = 0  # length of the folded text so far
        last_space = False  # the folded text so far ends in a space
        for match in _TOKENS.finditer(text):
            kind, start, end = match.lastgroup, match.start(), match.end()
            if kind == "space":
                if not last_space:
                    parts.append(" ")
                    starts.append(size)
                    origins.append(start)
                    size += 1
                    last_space = True
                continue
            run = match.group()
            if kind == "plain" or (not _TYPOGRAPHY_CHARS.search(run) and unicodedata.is_normalized("NFKD", run)):
                parts.append(run)
                starts.append(size)
                origins.append(start)
                size += end - start
                last_space = False
                continue
            for i in range(start, end):  # rare: compatibility forms, typography, unnormalised accents
                for j, c in enumerate(_fold_char(text[i])):
                    if c.isspace():  # NFKD may yield spaces, e.g. for some compatibility forms
                        if last_space:
                            continue
                        c = " "
                    parts.append(c)
                    starts.append(size)
                    origins.append(i)
                    if j:
                        not_first.add(size)
                    size += 1
                    last_space = c == " "
        self.folded = "".join(parts)
        self._starts, self._origins, self._not_first = starts, origins, not_first
        self._found: dict[str, tuple[Span, ...]] = {}  # quote -> its spans: a quote is looked up by several checks
        self.memo: dict[Any, Any] = {}  # other results derived from the text alone, e.g. clause checks (grounding)

    def _origin(self, k: int) -> int:
        """The original position of folded position k."""
        i = bisect_right(self._starts, k) - 1
        return self._origins[i] + k - self._starts[i]

    def _to_span(self, k: int, n: int) -> Span | None:
        """Map folded [k, k+n) to original offsets, if it starts and ends on whole characters."""
        if k in self._not_first or unicodedata.combining(self.folded[k]):
            return None
        stop = k + n
        # Not inside one original character, nor before an accent the quote leaves out ("cafe" in "café").
        if stop < len(self.folded) and (stop in self._not_first or unicodedata.combining(self.folded[stop])):
            return None
        # End just past the last matched character: the needle ends on a non-space character, and
        # zero-width characters or white space after it are not part of the quote.
        return Span(self._origin(k), self._origin(stop - 1) + 1)

    def find_all(self, quote: str) -> list[Span]:
        """Every place the quote stands in the text, in order."""
        found = self._found.get(quote)
        if found is None:
            found = self._found[quote] = tuple(self._find_all(quote))
        return list(found)

    def _find_all(self, quote: str) -> list[Span]:
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


_SHORT = 2000  # quotes and other short strings: their folded forms are cached


@lru_cache(maxsize=8192)
def _fold_short(text: str) -> str:
    return FoldedText(text).folded


def fold(text: str) -> str:
    """The form in which quote and article are compared."""
    return _fold_short(text) if len(text) <= _SHORT else FoldedText(text).folded


class _FoldCache:
    """The last folded texts, up to a budget of characters (articles may be 2 MB).

    At least as many items as a run has articles in progress (an LLM run: twice --concurrency), so that
    grounding finds the fold the answer's validation made, with its memo (found quotes, clause spans, numbers),
    instead of folding the article again and redoing those checks."""

    def __init__(self, max_chars: int = 4_000_000, max_items: int = 256) -> None:
        self.max_chars, self.max_items = max_chars, max_items
        self._items: OrderedDict[str, FoldedText] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, text: str) -> FoldedText:
        with self._lock:
            hit = self._items.get(text)  # the text's hash is cached on the str; equal objects compare by identity first
            if hit is not None:
                self._items.move_to_end(text)
                return hit
        folded = FoldedText(text)
        with self._lock:
            if text not in self._items and len(text) <= self.max_chars:
                self._items[text] = folded
                self._chars += len(text)
                while len(self._items) > self.max_items or self._chars > self.max_chars:
                    old, _ = self._items.popitem(last=False)
                    self._chars -= len(old)
        return folded

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0


_CACHE = _FoldCache()


def clear_fold_cache() -> None:
    """Forget the folded texts (their memory; a benchmark's runs that must not share them)."""
    _CACHE.clear()


def folded_text(text: str) -> FoldedText:
    """The text folded, from a cache of recent texts: fold an article once, whoever asks.

    Chunking, validation of quotes and grounding all look quotes up in the same article;
    calling this instead of `FoldedText(text)` folds it once per process.
    """
    return _CACHE.get(text)


def align(text: str, quote: str, near: int | None = None) -> Span | None:
    """Find `quote` in `text`; None when it is not there (a hallucination)."""
    return folded_text(text).find(quote, near)
