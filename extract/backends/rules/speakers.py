"""Speakers named after what they said: '"...," said Zhang Wei, director of X.', '..., Li said.',
'..., the ministry said on Monday.', '..., according to the NDRC.' The position stands before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from extract.backends.rules.lexicon import lexicon

_NAME = r"[A-Z][a-z]+(?:[- ][A-Z][a-z]+){1,2}"
_VERBS = r"said|says|added|noted|explained|stressed|emphasized|remarked|stated|commented|observed|pointed\s+out|told\s+(?:reporters|journalists|a\s+(?:news|press)\s+conference|[A-Z][\w ]{1,30}?)"
# What may follow the verb: a day, a venue, "in a statement", "in an interview".
_TAIL = (r"(?:\s+(?:on|at|during|in|last|this|to|while|after|before|when)\b[^\"“”,]{0,120})?"
         r"(?:,\s*(?:noting|adding|saying|stressing|stating|explaining)\b[^\"“”]{0,240})?")
_CLOSE = r"[\"”’]?"
_VERB_FIRST = re.compile(
    rf"[,\"”’]\s*[\"”’]?\s*(?P<verb>{_VERBS})\s+(?P<pre>(?:[\w'’.-]+\s+){{0,5}}?)(?P<who>(?:the\s+)?{_NAME}|[A-Z][a-z]+|he|she)"
    rf"(?:,\s+(?P<role>(?:[^.;\"”]|(?<=Co)\.|(?<=Ltd)\.|(?<=Inc)\.|(?<=Corp)\.){{3,160}}?))?{_TAIL}\s*[.;]?\s*{_CLOSE}\s*$")
_WHO_FIRST = re.compile(
    rf"[,\"”’]\s*[\"”’]?\s*(?P<who>[A-Za-z][\w'’.()-]*(?:\s+[\w'’.()-]+){{0,12}}?)"
    rf"(?:,\s+(?P<role>[^,;\"”]{{3,160}}),)?\s+(?P<verb>{_VERBS}){_TAIL}\s*[.;]?\s*{_CLOSE}\s*$")
_ACCORDING = re.compile(r",\s*according\s+to\s+(?P<who>(?:[^,;\"”]|,\s*(?:Ltd|Limited|Inc)\b){2,120}?)\s*[.;]?\s*$", re.I)
_ACCORDING_FIRST = re.compile(r"^according\s+to\s+(?P<who>[^,;]{2,100}?),\s*(?P<rest>.+)$", re.I)
_NOT_SOURCES = re.compile(r"\b(?:data|statistics|figures|plan|report|survey|schedule|sources?|estimates?|media|the\s+list)\b",
                          re.I)


@dataclass
class Speaker:
    """Who is named as the speaker, as the sentence words it."""

    who: str
    role: str | None
    verb: str
    position: str  # the words before the speaker: what was said


def speaker_candidates(sentence: str) -> Iterator[Speaker]:
    """Readings of a sentence that names its speaker after the position, the shortest speaker
    (rightmost start) first."""
    for pos in range(len(sentence) - 1, 9, -1):
        if sentence[pos] not in ",\"”’":
            continue
        for pattern in (_VERB_FIRST, _WHO_FIRST):
            m = pattern.match(sentence, pos)
            if m:
                verb = " ".join(m.group("verb").split())
                verb = "told" if verb.startswith("told") else verb  # "told reporters": the verb is "told"
                role = (m.group("role") or "").strip() or None
                pre = (m.groupdict().get("pre") or "").strip()
                if pre and not _title_words(pre):
                    continue
                yield Speaker(m.group("who").strip(), role or pre or None, verb, sentence[:pos])
    m = _ACCORDING.search(sentence)
    if m and m.start() > 10 and not _NOT_SOURCES.search(m.group("who")):
        yield Speaker(m.group("who").strip(), None, "said", sentence[: m.start()])
    m = _ACCORDING_FIRST.match(sentence)
    if m and not _NOT_SOURCES.search(m.group("who")):
        role, rest = _leading_role(m.group("rest"))
        yield Speaker(m.group("who").strip(), role, "said", rest)


_CORPORATE_SUFFIX = re.compile(r"(?:Co|Ltd|Inc|Corp|Limited|LLC|PLC)\b\.?", re.I)


def _leading_role(rest: str) -> tuple[str | None, str]:
    """'chairman of X Group Co., Ltd., the line is ...': the appositive role, then the position."""
    parts = rest.split(", ")
    if len(parts) < 2 or not any(w.lower() in lexicon().words("role_nouns") for w in parts[0].split()[:4]):
        return None, rest
    n = 1
    while n < len(parts) - 1 and _CORPORATE_SUFFIX.fullmatch(parts[n].strip()):
        n += 1  # "Co., Ltd.": the company's name goes on
    return ", ".join(parts[:n]), ", ".join(parts[n:])


def _title_words(words: str) -> bool:
    """'FM spokesperson', 'Vice Minister': a title before a name ends in a role noun."""
    return words.split()[-1].lower() in lexicon().words("role_nouns")


def opens_quote(text: str) -> bool:
    """A sentence that starts a quotation it does not close ('"We are proud. ...')."""
    stripped = text.lstrip()
    if stripped[:1] not in "\"“":
        return False
    if stripped[:1] == "“":
        return text.count("“") > text.count("”")
    return text.count('"') % 2 == 1


def closes_quote(text: str) -> bool:
    """A sentence that closes a quotation opened in an earlier sentence ('... Mediterranean," Li said.')."""
    if "”" in text:
        return text.count("”") > text.count("“")
    return text.count('"') % 2 == 1


def is_group(who: str) -> str | None:
    """'officials', 'local customs authorities': a group actor's name, or None."""
    low = who.lower()
    for group in sorted(lexicon().words("group_actors"), key=len, reverse=True):
        if low == group or low.endswith(" " + group):
            return group[0].upper() + group[1:]
    return None
