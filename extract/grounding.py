"""Grounding: every evidence quote must stand in the article as a whole clause; offsets come from code.

`ground_sheet` runs on every backend's sheet (extract.pipeline.finish_sheet). In order:

1. caps on the answer (`AnswerLimits`): a fact with a string field or quote longer than
   `max_field_chars` is dropped, then facts beyond `max_facts` an article;
2. each quote is found in the text (extract.align), tolerant only of typography; a fact
   with a quote not found is dropped;
3. each found quote must be a clause (`clause_span`): at least three words, not cutting a
   number; a quote cut inside a word is widened to the whole word. A fact left with no such
   quote is dropped.

Every drop is counted in `provenance.dropped_facts` and has a reason in the result.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from pydantic import BaseModel

from extract.align import FoldedText
from extract.errors import ConfigError
from extract.figures import NUMBERS_MEMO, value_problem
from schemas import Evidence, FactSheet

FACT_LISTS = ("metrics", "infrastructure_projects", "policy_statements")
MIN_CLAUSE_WORDS = 3
MAX_SNAP_CHARS = 30  # a quote cut further inside a "word" than this is not a cut word: refuse it
DEFAULT_MAX_FACTS = 500
DEFAULT_MAX_FIELD_CHARS = 2000
MAX_FACTS_ENV = "FACTSHEET_MAX_FACTS"
MAX_FIELD_CHARS_ENV = "FACTSHEET_MAX_FIELD_CHARS"

# Chinese and Japanese script has no spaces between words: each character counts as one, and
# a quote may start or end between any two of them.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_WORD = re.compile(r"[^\W_]+(?:['’.,\-][^\W_]+)*")


class NotAClause(ValueError):
    """A quote that is a fragment, not a clause; the message says how to fix the quote."""


def _word_char(ch: str) -> bool:
    return ch.isalnum() and not _CJK.match(ch)


def _cut(text: str, p: int) -> str | None:
    """'number' or 'word' when position p falls inside one (between two of its characters), else None."""
    if p <= 0 or p >= len(text):
        return None
    a, b = text[p - 1], text[p]
    if _word_char(a) and _word_char(b):
        return "number" if a.isdigit() or b.isdigit() else "word"
    if a in ".," and b.isdigit() and p >= 2 and text[p - 2].isdigit():  # "7.|2"
        return "number"
    if b in ".," and a.isdigit() and p + 1 < len(text) and text[p + 1].isdigit():  # "7|.2"
        return "number"
    return None


def count_words(quote: str) -> int:
    """Words in a quote: runs of letters and digits ("7.2%", "year-on-year" are one), CJK characters one each."""
    return len(_CJK.findall(quote)) + len(_WORD.findall(_CJK.sub(" ", quote)))


def _words_up_to(quote: str, limit: int) -> int:
    """`count_words(quote)`, or `limit` when it has at least that many: most quotes are long, so counting stops early."""
    if _CJK.search(quote):
        return min(count_words(quote), limit)
    return sum(1 for _ in islice(_WORD.finditer(quote), limit))


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clause_span(text: str, start: int, end: int) -> tuple[int, int]:
    """`text[start:end]` as evidence: widened to whole words, or NotAClause saying how to fix the quote.

    Pure: the LLM answer validator can call it on the span the aligner found and raise the
    message back to the model. A cut inside a word of letters is widened (the quote then holds
    the words the model clearly meant); a cut inside a number is refused, because widening
    it would change the figure. Fewer than MIN_CLAUSE_WORDS words is refused.
    """
    for edge, step in ((start, -1), (end, 1)):
        cut = _cut(text, edge)
        if cut == "number":
            raise NotAClause(
                f"evidence quote {_short(text[start:end])!r} cuts a number in two: quote the whole figure and the "
                "clause or sentence that states it, copied exactly from the article")
        if cut == "word":
            moved = edge
            while 0 < moved < len(text) and _word_char(text[moved - 1]) and _word_char(text[moved]) \
                    and abs(moved - edge) <= MAX_SNAP_CHARS:
                moved += step
            if abs(moved - edge) > MAX_SNAP_CHARS:
                raise NotAClause(
                    f"evidence quote {_short(text[start:end])!r} starts or ends inside a word: quote whole words, "
                    "the whole clause or sentence that states the fact, copied exactly from the article")
            start, end = (moved, end) if step < 0 else (start, moved)
    words = _words_up_to(text[start:end], MIN_CLAUSE_WORDS)
    if words < MIN_CLAUSE_WORDS:
        raise NotAClause(
            f"evidence quote {_short(text[start:end])!r} has only {words} word{'' if words == 1 else 's'}: quote the "
            f"whole clause or sentence that states the fact (at least {MIN_CLAUSE_WORDS} words), copied exactly "
            "from the article")
    return start, end


def _folded_clause(folded: FoldedText, start: int, end: int) -> tuple[int, int] | str:
    """`clause_span` over the folded text's original, or why it is no clause; memoised on the folded text
    because validation and grounding check the same spans."""
    key = ("clause_span", start, end)
    known = folded.memo.get(key)
    if known is None:
        try:
            known = clause_span(folded.text, start, end)
        except NotAClause as e:
            known = str(e)
        folded.memo[key] = known
    return known


def folded_clause_span(folded: FoldedText, start: int, end: int) -> tuple[int, int]:
    """`clause_span`, memoised on the folded text."""
    known = _folded_clause(folded, start, end)
    if isinstance(known, str):
        raise NotAClause(known)
    return known


def folded_clause_problem(folded: FoldedText, start: int, end: int) -> str | None:
    """`clause_problem`, memoised on the folded text."""
    known = _folded_clause(folded, start, end)
    return known if isinstance(known, str) else None


def clause_problem(text: str, start: int, end: int) -> str | None:
    """Why `text[start:end]` is not a clause to quote as evidence (a message for the model), or None."""
    try:
        clause_span(text, start, end)
    except NotAClause as e:
        return str(e)
    return None


@dataclass(frozen=True)
class AnswerLimits:
    """Caps on one article's sheet, whatever the backend answered: facts, and characters per string field."""

    max_facts: int = DEFAULT_MAX_FACTS
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> AnswerLimits:
        """The limits set by FACTSHEET_MAX_FACTS and FACTSHEET_MAX_FIELD_CHARS, else the defaults."""
        values = {}
        for key, var, default in (("max_facts", MAX_FACTS_ENV, DEFAULT_MAX_FACTS),
                                  ("max_field_chars", MAX_FIELD_CHARS_ENV, DEFAULT_MAX_FIELD_CHARS)):
            raw = environ.get(var, "").strip()
            try:
                values[key] = int(raw) if raw else default
            except ValueError:
                values[key] = 0
            if values[key] < 1:
                raise ConfigError(f"environment variable {var} must be a whole number of at least 1, not {raw!r} "
                                  f"(default {default})")
        return cls(**values)

    def fingerprint(self) -> dict[str, str]:
        """What the limits add to a run's fingerprint: changing them changes what a sheet may hold."""
        return {"max_facts": str(self.max_facts), "max_field_chars": str(self.max_field_chars)}

    def field_problem(self, fact: BaseModel) -> str | None:
        """Why a fact is too long to keep: its longest string field or quote over `max_field_chars`."""
        limit = self.max_field_chars
        for name, value in _strings(fact):
            if len(value) > limit:
                return f"{name} is {len(value)} characters long, over the limit of {limit} ({MAX_FIELD_CHARS_ENV})"
        return None


def _strings(fact: BaseModel) -> Iterator[tuple[str, str]]:
    """(field name, text) of every string a fact holds: its fields, list items and evidence quotes."""
    for name, value in fact.__dict__.items():  # the fields, in order (fact models forbid extra keys)
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    yield name, item
                elif isinstance(item, Evidence):
                    yield "evidence quote", item.quote


def cap_facts(lists: dict[str, list[Any]], max_facts: int) -> tuple[dict[str, list[Any]], int]:
    """At most `max_facts` facts, taken from the three lists in turn (so no kind crowds out the others),
    each list keeping its order; returns the kept lists and how many were dropped."""
    total = sum(len(facts) for facts in lists.values())
    if total <= max_facts:
        return lists, 0
    quota = dict.fromkeys(lists, 0)
    left = max_facts
    while left:
        for name, facts in lists.items():
            if left and quota[name] < len(facts):
                quota[name] += 1
                left -= 1
    return {name: facts[: quota[name]] for name, facts in lists.items()}, total - max_facts


@dataclass
class GroundingResult:
    sheet: FactSheet
    dropped: list[str] = field(default_factory=list)  # the reasons: one per fact, one for all facts over the cap
    count: int = 0  # facts dropped


def ground_evidence(folded: FoldedText, evidence: Evidence) -> Evidence | None:
    """The evidence re-aligned to the text, or None: of the places it stands, one on word
    boundaries if there is one, and of those the one nearest its claimed start."""
    span = _grounded_span(folded, evidence)
    return None if span is None else Evidence(quote=folded.text[span[0] : span[1]], start=span[0], end=span[1])


def _grounded_span(folded: FoldedText, evidence: Evidence) -> tuple[int, int] | None:
    """(start, end) of `ground_evidence`, without building the Evidence (ground_fact makes its own)."""
    spans = folded.find_all(evidence.quote)
    if not spans:
        return None
    whole = [s for s in spans if _cut(folded.text, s.start) is None and _cut(folded.text, s.end) is None]
    span = min(whole or spans, key=lambda s: (abs(s.start - evidence.start), s.start))
    return span.start, span.end


def ground_fact(folded: FoldedText, fact: BaseModel) -> tuple[list[Evidence], str | None]:
    """A fact's evidence found and made whole clauses; the reason to drop the fact, if any.

    A quote not in the text condemns the fact (it is a hallucination); a fragment only loses
    its own quote, and the fact stands on its other quotes, if it has some."""
    kept: dict[tuple[int, int], Evidence] = {}
    fragments: list[str] = []
    for evidence in fact.evidence:  # type: ignore[attr-defined]
        grounded = _grounded_span(folded, evidence)
        if grounded is None:
            return [], f"quote not found in the article: {evidence.quote[:80]!r}"
        try:
            start, end = folded_clause_span(folded, *grounded)
        except NotAClause as e:
            fragments.append(str(e))
            continue
        kept.setdefault((start, end), Evidence(quote=folded.text[start:end], start=start, end=end))
    if not kept:
        return [], fragments[0] if fragments else "no evidence"
    return list(kept.values()), None


def ground_sheet(text: str, sheet: FactSheet, folded: FoldedText | None = None,
                 limits: AnswerLimits | None = None) -> GroundingResult:
    """The sheet capped, with offsets recomputed and every fact without a whole-clause quote in the text removed."""
    limits = limits or AnswerLimits.from_env()
    dropped: list[str] = []
    count = 0
    lists: dict[str, list[Any]] = {}
    for list_name in FACT_LISTS:
        lists[list_name] = []
        for fact in getattr(sheet, list_name):
            problem = limits.field_problem(fact)
            if problem:
                dropped.append(f"{list_name}: {problem}")
                count += 1
            else:
                lists[list_name].append(fact)
    lists, over = cap_facts(lists, limits.max_facts)
    if over:
        dropped.append(f"{over} facts over the limit of {limits.max_facts} an article ({MAX_FACTS_ENV}): "
                       "the last ones of each kind")
        count += over
    folded = folded or FoldedText(text)
    kept: dict[str, list[Any]] = {}
    for list_name, facts in lists.items():
        kept[list_name] = []
        for fact in facts:
            evidence, reason = ground_fact(folded, fact)
            if reason is not None:
                dropped.append(f"{list_name}: {reason}")
                count += 1
                continue
            # The same instance when grounding changed nothing (so a validated fact stays known valid).
            kept[list_name].append(fact if evidence == fact.evidence else fact.model_copy(update={"evidence": evidence}))
    provenance = sheet.provenance.model_copy(update={"dropped_facts": sheet.provenance.dropped_facts + count})
    return GroundingResult(sheet=sheet.model_copy(update={**kept, "provenance": provenance}), dropped=dropped, count=count)


def check_values(sheet: FactSheet, folded: FoldedText | None = None) -> GroundingResult:
    """The grounded sheet without the metrics whose value their quotes do not state (extract.figures):
    no figure leaves the tool without a quote that states it, whatever the backend. With the article's folded
    text, the numbers of each quote are read once per article (kept in its memo)."""
    kept, dropped = [], []
    memo = folded.memo.setdefault(NUMBERS_MEMO, {}) if folded is not None else None
    for metric in sheet.metrics:
        problem = value_problem(metric.value, metric.unit, metric.kind.value, [e.quote for e in metric.evidence],
                                memo)
        if problem:
            dropped.append(f"metrics: {problem}")
        else:
            kept.append(metric)
    provenance = sheet.provenance.model_copy(update={"dropped_facts": sheet.provenance.dropped_facts + len(dropped)})
    return GroundingResult(sheet=sheet.model_copy(update={"metrics": kept, "provenance": provenance}), dropped=dropped,
                           count=len(dropped))
