"""Time expressions in a sentence, resolved to SPEC periods against the published date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
_MONTH = "|".join(_MONTHS)
_YEAR = r"(?:19|20)\d\d"
_QUARTERS = {"first": (1, 3), "second": (4, 6), "third": (7, 9), "fourth": (10, 12), "1st": (1, 3), "q1": (1, 3)}

# Each pattern yields a resolver from (match, published) to a period or None.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:from|between)\s+({_YEAR})\s+(?:to|and|through)\s+({_YEAR})\b", re.I), "range"),
    (re.compile(rf"\b({_YEAR})\s*[-–—/]\s*({_YEAR})\b", re.I), "range"),
    (re.compile(rf"\bsince\s+({_YEAR})\b", re.I), "since"),
    (re.compile(rf"\b(?:from\s+)?({_MONTH})\s+to\s+({_MONTH})(?:\s+(?:of\s+)?({_YEAR}))?\b", re.I), "months"),
    (re.compile(rf"\b(?:the\s+)?(first|second|third|fourth)\s+quarter(?:\s+of\s+({_YEAR}|this year|last year))?", re.I), "quarter"),
    (re.compile(rf"\b(?:the\s+)?(first|second)\s+half\s+of\s+(?:the\s+year|({_YEAR})|this year|last year)", re.I), "half"),
    (re.compile(rf"\b(?:in|by|of|during|for)\s+({_MONTH})(?:\s+({_YEAR}))?\b", re.I), "month"),
    (re.compile(r"\b(?:the\s+)?(?:last|previous|past)\s+year\b(?!s)", re.I), "last_year"),
    (re.compile(r"\bthis\s+year\b|\bthe\s+current\s+year\b", re.I), "this_year"),
    (re.compile(r"\bnext\s+year\b", re.I), "next_year"),
    (re.compile(rf"(?<![\d,.])({_YEAR})(?![\d,.]*\s*(?:%|percent|billion|million|yuan|dollars|trains|km))(?:'s)?\b", re.I), "year"),
]
# Comparison bases, not the period of a figure.
_BASE = re.compile(r"same\s+period\s+(?:of\s+)?last\s+year|compared\s+with\s+(?:last\s+year|\d{4})|than\s+(?:last\s+year|\d{4})", re.I)


@dataclass(frozen=True)
class TimeMention:
    start: int
    end: int
    period: str | None
    future: bool  # the period lies after the published date


def _month(name: str) -> int:
    return _MONTHS[name.lower()]


def _resolve(kind: str, m: re.Match[str], published: date | None) -> str | None:
    year = published.year if published else None
    if kind == "range":
        return f"{m.group(1)}/{m.group(2)}" if m.group(1) <= m.group(2) else None
    if kind == "since":
        return f"{m.group(1)}/{year}" if year and int(m.group(1)) < year else m.group(1)
    if kind == "year":
        return m.group(1)
    if kind == "last_year":
        return str(year - 1) if year else None
    if kind == "this_year":
        return str(year) if year else None
    if kind == "next_year":
        return str(year + 1) if year else None
    if kind == "months":
        y = m.group(3) or (str(year) if year else None)
        a, b = _month(m.group(1)), _month(m.group(2))
        return f"{y}-{a:02d}/{y}-{b:02d}" if y and a <= b else None
    if kind in ("quarter", "half"):
        ref = (m.group(2) or "").lower()
        y = int(ref) if ref.isdigit() else (year - 1 if ref == "last year" and year else year)
        if y is None:
            return None
        a, b = _QUARTERS[m.group(1).lower()] if kind == "quarter" else ((1, 6) if m.group(1).lower() == "first" else (7, 12))
        return f"{y}-{a:02d}/{y}-{b:02d}"
    if kind == "month":
        y = m.group(2) or (str(year) if year else None)
        return f"{y}-{_month(m.group(1)):02d}" if y else None
    return None


def time_mentions(text: str, start: int, end: int, published: date | None) -> list[TimeMention]:
    """Time expressions in text[start:end], longest first where they overlap."""
    bases = [(b.start(), b.end()) for b in _BASE.finditer(text, start, end)]
    found: list[TimeMention] = []
    for pattern, kind in _PATTERNS:
        for m in pattern.finditer(text, start, end):
            if any(a <= m.start() < b for a, b in bases):
                continue
            if any(t.start <= m.start() < t.end or m.start() <= t.start < m.end() for t in found):
                continue
            period = _resolve(kind, m, published)
            future = bool(published and period and int(period[:4]) > published.year)
            found.append(TimeMention(m.start(), m.end(), period, future))
    return sorted(found, key=lambda t: t.start)


def period_for(position: int, mentions: list[TimeMention]) -> TimeMention | None:
    """The mention that governs a figure: the nearest before it, else the nearest after it."""
    before = [t for t in mentions if t.end <= position and t.period]
    if before:
        return before[-1]
    after = [t for t in mentions if t.start >= position and t.period]
    return after[0] if after else None
