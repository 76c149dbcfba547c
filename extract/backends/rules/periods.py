"""Time expressions in a sentence, resolved to SPEC periods against the published date."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
_MONTH = "|".join(_MONTHS)
_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
         "nov": 11, "dec": 12}
_ANY_MONTH = rf"(?:{_MONTH}|(?:{'|'.join(_ABBR)})\.?(?=\s))"
_MONTH_OR_ABBR = rf"(?:{_MONTH}|(?:{'|'.join(_ABBR)})\.?)"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
           "twelve": 12, "fifteen": 15, "twenty": 20}
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_COUNT = "|".join(_COUNTS)
_DECADES = {"decade": 10, "two decades": 20, "three decades": 30}
_QUARTERS = {"first": (1, 3), "second": (4, 6), "third": (7, 9), "fourth": (10, 12), "1st": (1, 3), "q1": (1, 3)}

_EVENT_NOUN = r"(?:Forum|Sub-forum|Expo|Summit|Fair|Conference|Games|Olympics|Festival|Exhibition|Week|Congress)\b"

# Each pattern yields a resolver from (match, published) to a period or None.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # "so far this year", "this year so far": cumulative from January to the month of writing.
    (re.compile(r"\b(?:so\s+far|to\s+date|up\s+to\s+now)\s+this\s+year\b|\bthis\s+year\s+(?:so\s+far|to\s+date)\b", re.I),
     "year_to_date"),
    # "this year as of Thursday", "by Thursday, ... this year": a running total of the year so far.
    (re.compile(rf"\bthis\s+year\s+(?:as\s+of|as\s+at|by|until|through)\s+(?:{_WEEKDAY}|now|today)\b", re.I),
     "year_to_date"),
    (re.compile(rf"\b(?:by|as\s+of|as\s+at|until)\s+{_WEEKDAY}\b[^.;]{{0,80}}?\bthis\s+year\b", re.I), "year_to_date"),
    (re.compile(rf"\b(?:from|between)\s+({_YEAR})\s+(?:to|and|through)\s+({_YEAR})\b", re.I), "range"),
    (re.compile(rf"\b({_YEAR})\s*[-–—/]\s*({_YEAR})\b", re.I), "range"),
    (re.compile(rf"\bsince\s+(?:(?:the\s+)?(?:opening|launch|start)\s+in\s+)?(?:({_MONTH})\s+)?({_YEAR})\b", re.I), "since"),
    # "since its launch in 2013", "since the first train left Chongqing in March 2011": a cumulative
    # figure from that date to the time of writing.
    (re.compile(rf"\bsince\s+(?:its|their|the|it|they|a|an)\b[^,;.]{{0,110}}?\bin\s+(?:({_MONTH})\s+)?({_YEAR})\b", re.I),
     "since"),
    # "Launched in 2011, the trains have made 40,000 trips": a total since the launch.
    (re.compile(rf"(?:^|(?<=[.!?]\s))(?:Launched|Opened|Started|Inaugurated)\s+in\s+(?:({_MONTH})\s+)?({_YEAR}),", re.I | re.M),
     "launched"),
    # "by Aug 15 this year": cumulative from January; "as of the end of November", "as of late June":
    # a total at that month.
    (re.compile(rf"\b(?:by|as of|as at|up to|until|till)\s+(?:the\s+end\s+of\s+|(?:early|late|mid)[\s-]+)?({_ANY_MONTH})(?:\s+{_DAY})?"
                rf"(?:,?\s+({_YEAR}|this year|last year))?(?!\s+to\b)", re.I), "to_month"),
    # "recently", "these days" too (GUIDELINES 7.1): the month of writing.
    (re.compile(r"\b(?:at present|currently|so far|as of now|up to now|to date|(?<!from )(?<!until )now)\b", re.I), "present"),
    (re.compile(r"\b(?:recently|these days)\b", re.I), "recent"),
    # "On the morning of the 21st" in a story dated the 22nd: the month of writing.
    (re.compile(rf"\bon\s+(?:the\s+(?:morning|afternoon|evening)\s+of\s+)?the\s+({_DAY})(?!\s*(?:session|anniversary|century))\b",
                re.I), "on_day"),
    # "on September 21": a figure about a dated event takes the event's month.
    (re.compile(rf"\bon\s+(?:the\s+(?:morning|afternoon|evening)\s+of\s+)?({_ANY_MONTH})\s+{_DAY}\b"
                rf"(?:,?\s+({_YEAR}))?", re.I), "month"),
    # "in January-November", "Jan-Oct 2024": a range of months of one year.
    (re.compile(rf"\b({_MONTH_OR_ABBR})\s*[-–—]\s*({_MONTH_OR_ABBR})(?:\s+(?:of\s+)?({_YEAR}|last year|this year))?\b", re.I), "months"),
    (re.compile(rf"\b(?:from\s+)?({_MONTH})\s+to\s+({_MONTH})(?:\s+(?:of\s+)?({_YEAR}|last year|this year))?\b", re.I), "months"),
    (re.compile(rf"\b(?:the\s+)?first\s+(\d{{1,2}}|{_COUNT})\s+(months|quarters)(?:\s+of\s+({_YEAR}|last year|this year|the year))?", re.I), "first_n"),
    (re.compile(rf"\b(?:the\s+)?(?:past|last|previous)\s+(\d{{1,2}}|{_COUNT})\s+years\b", re.I), "past_years"),
    (re.compile(r"\b(?:the\s+)?(?:past|last|previous)\s+(decade|(?:two|three)\s+decades)\b", re.I), "past_years"),
    (re.compile(r"\b(?:the\s+)?(?:last|previous|past)\s+month\b", re.I), "last_month"),
    (re.compile(rf"\b(?:the\s+)?(?:past|last|previous)\s+(\d{{1,2}}|{_COUNT})\s+months\b", re.I), "past_months"),
    (re.compile(r"\bthis\s+month\b", re.I), "present"),
    # "on Monday", "said Thursday": an event in the week of writing takes the month of writing.
    # "..., the agency reported on Tuesday": the day of the report, not of the figure.
    (re.compile(rf"\b(?:said|says|reported|announced|told\s+\w+|showed)\s+(?:on\s+)?{_WEEKDAY}\b", re.I), "report_day"),
    (re.compile(rf"\b(?:on\s+|last\s+)?{_WEEKDAY}\b", re.I), "weekday"),
    (re.compile(rf"\b(?:the\s+)?(first|second|third|fourth)\s+quarter(?:\s+of\s+({_YEAR}|this year|last year))?", re.I), "quarter"),
    (re.compile(rf"\b(?:the\s+)?(first|second)\s+half\s+of\s+(?:the\s+year|({_YEAR})|this year|last year)", re.I), "half"),
    (re.compile(rf"\b(?:in|by|of|during|for)\s+({_MONTH})(?:\s+({_YEAR}))?\b", re.I), "month"),
    (re.compile(r"\b(?:the\s+)?(?:last|previous|past)\s+year\b(?!s)", re.I), "last_year"),
    (re.compile(r"\bthis\s+year\b|\bthe\s+current\s+year\b", re.I), "this_year"),
    (re.compile(r"\bnext\s+year\b", re.I), "next_year"),
    # "2023-09-22": a day's date, the month of an event.
    (re.compile(rf"(?<![\d,.])({_YEAR})-(\d\d)-\d\d\b"), "iso_day"),
    # "the 2023 Euro-Asia Economic Forum": the year is part of the event's name, not a period.
    (re.compile(rf"(?<![\d,.]){_YEAR}(?=\s+(?:[A-Z][\w'’-]*\s+){{0,6}}{_EVENT_NOUN})"), "name"),
    (re.compile(rf"(?<![\d,.])({_YEAR})(?![\d,.]*\s*(?:%|percent|billion|million|yuan|dollars|trains|km))(?:'s)?\b", re.I), "year"),
]
# Comparison bases, not the period of a figure.
_BASE = re.compile(
    r"same\s+period\s+(?:of\s+|in\s+)?(?:last|the\s+previous|the\s+preceding)\s+year|"
    r"compared\s+(?:with|to)\s+(?:the\s+)?(?:last\s+year|\d{4})|than\s+(?:in\s+)?(?:last\s+year|\d{4})|"
    r"(?:%|percent|per\s+cent)\s+(?:from|over|on)\s+(?:the\s+)?(?:(?:19|20)\d\d|last\s+year|a\s+year\s+(?:earlier|ago)|"
    r"the\s+previous\s+year)", re.I)


# A date that says when something opened, started or will be finished is a milestone of a
# project, not the period of the figures around it.
_MILESTONE = re.compile(
    r"\b(?:opened|launched|started|began|begun|founded|established|inaugurated|put into (?:operation|use|service)|"
    r"completed|finished|scheduled to (?:open|be completed|start)|expected to (?:open|be completed|start)|"
    r"due to (?:open|be completed)|to be completed|will be completed|will open|went into operation|came into force|"
    r"signed|began operation|started operation)\b[^,;.]{0,25}$",
    re.I,
)


@dataclass(frozen=True)
class TimeMention:
    start: int
    end: int
    period: str | None
    future: bool  # the period lies after the published date
    milestone: bool = False  # a date of an event ("opened in 2013"), not a figure's period
    kind: str = ""  # which pattern found it ("since", "year", ...)


def _month(name: str) -> int:
    low = name.lower().rstrip(".")
    return _MONTHS.get(low) or _ABBR[low]


def _year_of(ref: str | None, published: date | None, last_month: int) -> int | None:
    """The year a month phrase refers to: stated, "last year"/"this year", else the latest
    year in which that month is not after the published date."""
    ref = (ref or "").lower()
    if ref.isdigit():
        return int(ref)
    if published is None:
        return None
    if ref == "last year":
        return published.year - 1
    if ref in ("this year", "the year"):
        return published.year
    return published.year if last_month <= published.month else published.year - 1


def _resolve(kind: str, m: re.Match[str], published: date | None) -> str | None:
    year = published.year if published else None
    if kind == "range":
        return f"{m.group(1)}/{m.group(2)}" if m.group(1) <= m.group(2) else None
    if kind in ("since", "launched"):
        start = f"{m.group(2)}-{_month(m.group(1)):02d}" if m.group(1) else m.group(2)
        end = (f"{published.year}-{published.month:02d}" if m.group(1) else str(year)) if published else None
        return f"{start}/{end}" if end and end > start else start
    if kind in ("present", "recent", "weekday"):
        return f"{published.year}-{published.month:02d}" if published else None
    if kind == "year_to_date":
        return (f"{published.year}-01/{published.year}-{published.month:02d}" if published.month > 1
                else f"{published.year}-01") if published else None
    if kind == "past_months":
        n = int(m.group(1)) if m.group(1).isdigit() else _COUNTS[m.group(1).lower()]
        if published is None or not 0 < n < 36:
            return None
        months = published.year * 12 + published.month - 1 - n
        return f"{months // 12}-{months % 12 + 1:02d}/{published.year}-{published.month:02d}"
    if kind == "last_month":
        if published is None:
            return None
        y, mo = (published.year, published.month - 1) if published.month > 1 else (published.year - 1, 12)
        return f"{y}-{mo:02d}"
    if kind == "year":
        return m.group(1)
    if kind == "last_year":
        return str(year - 1) if year else None
    if kind == "this_year":
        return str(year) if year else None
    if kind == "next_year":
        return str(year + 1) if year else None
    if kind == "months":
        a, b = _month(m.group(1)), _month(m.group(2))
        y = _year_of(m.group(3), published, last_month=b)
        return f"{y}-{a:02d}/{y}-{b:02d}" if y and a <= b else None
    if kind == "first_n":
        n = int(m.group(1)) if m.group(1).isdigit() else _COUNTS[m.group(1).lower()]
        last = n * 3 if m.group(2).lower() == "quarters" else n
        if not 1 <= last <= 12:
            return None
        y = _year_of(m.group(3), published, last_month=last)
        return f"{y}-01/{y}-{last:02d}" if y else None
    if kind == "past_years":
        word = m.group(1).lower()
        n = int(word) if word.isdigit() else _DECADES.get(" ".join(word.split())) or _COUNTS[word]
        if not (published and n > 0):
            return None
        # Ends at the year of writing; a report written early in a year looks back on the years
        # just ended ("the past five years" in a January work report is 2016/2020).
        return f"{published.year - n}/{published.year - 1}" if published.month <= 3 else f"{published.year - n}/{published.year}"
    if kind in ("quarter", "half"):
        a, b = _QUARTERS[m.group(1).lower()] if kind == "quarter" else ((1, 6) if m.group(1).lower() == "first" else (7, 12))
        y = _year_of(m.group(2), published, last_month=b)
        return f"{y}-{a:02d}/{y}-{b:02d}" if y else None
    if kind == "on_day":
        if published is None:
            return None
        day = int(re.match(r"\d+", m.group(1)).group(0))  # type: ignore[union-attr]
        y, mo = (published.year, published.month) if day <= published.day else (
            (published.year, published.month - 1) if published.month > 1 else (published.year - 1, 12))
        return f"{y}-{mo:02d}"
    if kind == "to_month":
        last = _month(m.group(1))
        y = _year_of(m.group(2), published, last_month=last)
        if not y:
            return None
        if not (m.group(2) or "").lower().startswith("this"):
            # "by the end of October": a total at that month, from a start the phrase does not give.
            return f"{y}-{last:02d}"
        return f"{y}-01/{y}-{last:02d}" if last > 1 else f"{y}-01"
    if kind == "iso_day":
        return f"{m.group(1)}-{m.group(2)}" if 1 <= int(m.group(2)) <= 12 else None
    if kind == "month":
        y = _year_of(m.group(2), published, last_month=_month(m.group(1)))
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
            milestone = kind in ("year", "month") and bool(_MILESTONE.search(text[max(start, m.start() - 60) : m.start()]))
            found.append(TimeMention(m.start(), m.end(), period, future, milestone, kind))
    if any(t.kind == "to_month" for t in found) and any(t.kind == "year_to_date" for t in found):
        # "As of August 23, ... so far this year": the year so far, to the stated cut-off month.
        found = [_year_so_far(t) if t.kind == "to_month" else t for t in found if t.kind != "year_to_date"]
    # A report's day only keeps its weekday from being read as a figure's period, an event's name its year.
    return sorted((t for t in found if t.kind not in ("report_day", "name")), key=lambda t: t.start)


def _year_so_far(mention: TimeMention) -> TimeMention:
    if mention.period is None or "/" in mention.period or mention.period.endswith("-01"):
        return mention
    year = mention.period[:4]
    return replace(mention, period=f"{year}-01/{mention.period}")


_CLAUSE_BREAK = re.compile(r"[;:；：]|,\s+(?:and|while|but|with|up|down|an?\s+(?:increase|decrease|rise|drop))\b|,\s+(?=[a-z])")


_RIGHT_AFTER = re.compile(r"\s*(?:[a-z-]+\s+){0,3}?(?:in|during|for|by)\s+$", re.I)


def period_for(position: int, mentions: list[TimeMention], text: str | None = None,
               sentence: tuple[int, int] | None = None, figure_end: int | None = None) -> TimeMention | None:
    """The mention that governs a figure: one right after it ("80 trains in 2015"), else one in the
    figure's own clause (nearest before it, then after it), else the nearest before it in the
    sentence, else the nearest after it."""
    if text is not None and figure_end is not None:
        for t in mentions:
            if t.start >= figure_end and t.period and not t.milestone and _RIGHT_AFTER.fullmatch(text, figure_end, t.start):
                return t
    if text is not None and sentence is not None:
        start, end = sentence
        cuts = [m.end() for m in _CLAUSE_BREAK.finditer(text, start, position)]
        clause_start = cuts[-1] if cuts else start
        nxt = _CLAUSE_BREAK.search(text, position, end)
        clause_end = nxt.start() if nxt else end
        own = [t for t in mentions if clause_start <= t.start and t.end <= clause_end and t.period and not t.milestone]
        own_before = [t for t in own if t.end <= position]
        if own_before:
            return own_before[-1]
        if own:
            return own[0]
    before = [t for t in mentions if t.end <= position and t.period and not t.milestone]
    if before:
        return before[-1]
    after = [t for t in mentions if t.start >= position and t.period and not t.milestone]
    return after[0] if after else None
