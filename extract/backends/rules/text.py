"""Paragraphs, sentences and clauses with their offsets in the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.backends.rules.lexicon import lexicon

# A sentence ends at . ! ? (or a CJK full stop) followed by space and a capital, a quote or
# a digit (or glued to a capitalised word, see _END); not after a known abbreviation, an
# initial, or inside a decimal number.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "co", "ltd", "inc", "corp", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "e.g", "i.e", "vs", "etc", "gov",
}
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.")
# Scraped pages often lose the space between sentences ("Zhao said.The number ..."): a full stop
# right after a lower-case word and right before a capitalised one ends a sentence too.
_END = re.compile(r"[.!?。！？]+[\"'”’)]*(?=\s+|$)|(?<=[a-z]{2})[.!?][”’]?(?=[A-Z][a-z]|\"[A-Z])")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


# "departed on Aug.\n\n26 for Xi'an": a scraped page that broke a line inside a date; one paragraph.
_BROKEN_DATE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")


def paragraphs(text: str) -> list[Span]:
    """Non-blank lines: translated news often marks paragraphs with a single line break."""
    spans: list[Span] = []
    for match in re.finditer(r"[^\n]+", text):
        raw = match.group(0)
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        if body:
            start = match.start() + lead
            if spans and body[:1].isdigit() and _BROKEN_DATE.search(spans[-1].text):
                start = spans.pop().start
            spans.append(Span(start, match.start() + lead + len(body), text[start : match.start() + lead + len(body)]))
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    """The word before the full stop at `dot` is a known abbreviation or an initial.

    Scans back only over the word itself (letters and dots), so splitting a text is linear
    in its length: a run of letters and dots never spans two sentence ends, which are
    followed by white space.
    """
    end = dot - 1 if dot > 0 and text[dot - 1] == "\n" else dot  # the word may stand at the end of the line before
    start = end
    while start > 0 and text[start - 1] in _WORD_CHARS:
        start -= 1
    if start == end:
        return False
    token = text[start:end].lower().rstrip(".")
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _name_closes(text: str, dot: int, end: int, stop: int) -> bool:
    """The abbreviation before `dot` is a company suffix and the next word opens a sentence.

    A company's name often closes a sentence ("... Co., Ltd. Some 936,000 tonnes ..."): after
    such a suffix a digit or a word that opens sentences, never a name, ends the sentence.
    """
    start = dot
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    if text[start:dot].lower() not in lexicon().words("name_final_abbreviations"):
        return False
    word = re.match(r"\s+([A-Z][a-z]*|\d)", text[end : min(stop, end + 20)])
    return bool(word) and (word.group(1).isdigit() or word.group(1).lower() in lexicon().words("sentence_openers"))


def _next_char(text: str, start: int, end: int) -> str:
    """The first character of text[start:end] that is not white space, or ''."""
    while start < end and text[start].isspace():
        start += 1
    return text[start] if start < end else ""


def sentences(text: str) -> list[Span]:
    """Sentences of the whole text; a paragraph break always ends a sentence."""
    out: list[Span] = []
    for para in paragraphs(text):
        start = para.start
        for match in _END.finditer(text, para.start, para.end):
            end = match.end()
            if text[match.start()] == "." and _is_abbreviation(text, match.start()) and not _name_closes(
                text, match.start(), end, para.end
            ):
                continue
            nxt = _next_char(text, end, para.end)  # not a slice of the rest: that would be quadratic
            if nxt and not (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘'(" or not nxt.isascii()):
                continue
            _add(text, start, end, out)
            start = end
        _add(text, start, para.end, out)
    return out


def sentences_by_paragraph(paras: list[Span], sents: list[Span]) -> list[list[Span]]:
    """The sentences of each paragraph (those that start in it), in one pass over both lists.

    The same as `[s for s in sents if p.start <= s.start < p.end]` for each paragraph `p`,
    in linear rather than paragraphs-times-sentences time; both lists are in text order.
    """
    out: list[list[Span]] = []
    i = 0
    for para in paras:
        while i < len(sents) and sents[i].start < para.start:
            i += 1
        mine: list[Span] = []
        while i < len(sents) and sents[i].start < para.end:
            mine.append(sents[i])
            i += 1
        out.append(mine)
    return out


def _add(text: str, start: int, end: int, out: list[Span]) -> None:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    body = chunk.strip()
    if len(body) > 1:
        s = start + lead
        out.append(Span(s, s + len(body), body))


def clauses(sentence: Span, separators: str = ";；") -> list[Span]:
    """A sentence cut at semicolons (the usual list separator of translated reports)."""
    out: list[Span] = []
    start = sentence.start
    offset = sentence.start
    for i, ch in enumerate(sentence.text):
        if ch in separators:
            _add_rel(sentence, start - offset, i, out)
            start = offset + i + 1
    _add_rel(sentence, start - offset, len(sentence.text), out)
    return out


def _add_rel(sentence: Span, a: int, b: int, out: list[Span]) -> None:
    chunk = sentence.text[a:b]
    lead = len(chunk) - len(chunk.lstrip())
    body = chunk.strip().rstrip(".,")
    if len(body) > 1:
        s = sentence.start + a + lead
        out.append(Span(s, s + len(body), body))
