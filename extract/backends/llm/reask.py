"""What a follow-up request says: only what is wrong, never the whole previous answer.

A follow-up repeats the first request's messages (so the prefix, article included, is
the same bytes and providers' prompt caching applies) and adds one user message:

- `rejected_note`: the rejected facts alone, each with its reason and, for a quote not
  found, the article sentence nearest to it; the model answers with those facts only,
  and the answer is merged into what was kept;
- `cut_off_note`: an answer cut at the output limit; the facts it finished are listed
  (by their first quote) and the model answers with the others only;
- `unreadable_note`: an answer that was not the JSON asked for;
- `empty_note`: no facts for a text that states figures (asked once).

The line formats (`- <list> <fact JSON>`, `= <list> {"<name field>": ..., "quote": ...}`) are plain for models and
for the test server alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from extract.backends.llm.chunking import sentences

MAX_SENTENCE_CHARS = 400
RECORDED_QUOTE_CHARS = 80
# The field that tells facts of one list apart when they share a quote.
IDENTITY = {"metrics": "subject", "infrastructure_projects": "name", "policy_statements": "summary"}
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d[\d,.]*")
_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass(frozen=True)
class Rejected:
    """A fact of an answer that failed validation, as the model wrote it."""

    list_name: str
    fact: Any
    reason: str

    @property
    def quote(self) -> str | None:
        evidence = self.fact.get("evidence") if isinstance(self.fact, dict) else None
        first = evidence[0] if isinstance(evidence, list) and evidence else None
        quote = first.get("quote") if isinstance(first, dict) else first
        return quote if isinstance(quote, str) else None


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def nearest_sentence(text: str, quote: str) -> str | None:
    """The sentence of `text` sharing the most words with `quote` (relative to both sizes)."""
    wanted = _words(quote)
    if not wanted:
        return None
    best, score = None, 0.0
    for start, end in sentences(text):
        words = _words(text[start:end])
        shared = len(wanted & words)
        if shared and shared / len(wanted | words) > score:
            best, score = text[start:end], shared / len(wanted | words)
    return " ".join(best.split())[:MAX_SENTENCE_CHARS] if best else None


def states_figures(text: str) -> bool:
    """Whether the text writes a number other than a year: an empty answer for it is suspect."""
    return any(not _YEAR.match(n.strip(",.")) for n in _NUMBER.findall(text))


def first_figure_sentence(text: str) -> str | None:
    for start, end in sentences(text):
        if states_figures(text[start:end]):
            return " ".join(text[start:end].split())[:MAX_SENTENCE_CHARS]
    return None


def _fact_line(item: Rejected, text: str) -> str:
    fact = json.dumps(item.fact, ensure_ascii=False, separators=(",", ":"), default=str)
    lines = [f"- {item.list_name} {fact}", f"  problem: {item.reason}"]
    if "quote not found" in item.reason and item.quote:
        near = nearest_sentence(text, item.quote)
        if near:
            lines.append(f"  nearest sentence in the article: {json.dumps(near, ensure_ascii=False)}")
    return "\n".join(lines)


def rejected_note(rejected: list[Rejected], text: str) -> str:
    head = ("Some facts of your answer were rejected; the others are kept. Answer with corrected versions of these "
            "facts only, in the same JSON format (all three lists, empty where nothing is left). Leave a fact out if "
            "the article does not state it.")
    return "\n".join([head, *(_fact_line(item, text) for item in rejected)])


def recorded_line(list_name: str, fact: Any) -> str:
    """One fact kept from a cut-off answer, named by its identifying field and the start of its first quote."""
    shown = {IDENTITY[list_name]: str(getattr(fact, IDENTITY[list_name])),
             "quote": fact.evidence[0].quote[:RECORDED_QUOTE_CHARS]}
    return f"= {list_name} {json.dumps(shown, ensure_ascii=False)}"


def cut_off_note(recorded: list[str], rejected: list[Rejected], text: str) -> str:
    lines = ["Your previous answer was cut off at the output limit. These facts are recorded already; do not repeat "
             "them:", *recorded]
    if rejected:
        lines.append("These facts of it were rejected; give corrected versions or leave them out:")
        lines += [_fact_line(item, text) for item in rejected]
    lines.append("Answer with the facts the text states that are not recorded above, in the same JSON format.")
    return "\n".join(lines)


def unreadable_note(reason: str) -> str:
    return (f"Your previous answer could not be read: {reason[:300]}. Answer again with the whole answer as one JSON "
            "object in the format asked for, and nothing else.")


def empty_note(example: str | None) -> str:
    said = f", for example: {json.dumps(example, ensure_ascii=False)}" if example else ""
    return (f"Your answer listed no facts, but the text states figures{said}. List every fact the text states; if it "
            "truly states none, answer with the three lists empty again.")
