"""Is a metric's value stated by its quotes? A pure check, shared by every backend.

A number counts as stated when its quotes write it in some form: digits with separators
("1,200", "1 200"), decimals ("7.2"), a scale word ("34.3 billion", "1.2 million",
"10,000"), number words ("ten", "ten-and-a-half", "twenty-five", "a hundred"), a percent
("50 percent", "7.2%"). The sign is not required to be written as a minus: a fall is
written "down 3%" and stored as -3, so the magnitude is compared. This stops a figure
that a model scaled wrongly, invented or was talked into by the article's own text, even
when it sits next to a real sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "tn": 1e12, "lakh": 1e5, "crore": 1e7, "k": 1e3,
}
_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1, "dozen": 12, "half": 0.5,
    "a half": 0.5, "double": 2, "twice": 2,
}
_SCALE_ALT = "|".join(sorted(SCALES, key=len, reverse=True))
_DIGITS = re.compile(r"(?<![A-Za-z0-9_.])(\d{1,3}(?:[, \u00a0\u202f]\d{3})+|\d+)(?:\.(\d+))?")
_SCALE_AFTER = re.compile(rf"\s*-?\s*({_SCALE_ALT})\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+", re.IGNORECASE)
REL_TOLERANCE = 1e-6
NUMBERS_MEMO = "quote_numbers"  # the key of a FoldedText's memo (extract.align) under which its quotes' numbers are kept


def _digit_numbers(text: str) -> Iterable[float]:
    for match in _DIGITS.finditer(text):
        whole = re.sub(r"[, \u00a0\u202f]", "", match.group(1))
        number = float(f"{whole}.{match.group(2)}" if match.group(2) else whole)
        yield number
        scale = _SCALE_AFTER.match(text, match.end())
        while scale:  # "1.2 million", "3 hundred thousand"
            number *= SCALES[scale.group(1).casefold()]
            yield number
            scale = _SCALE_AFTER.match(text, scale.end())


def _word_numbers(text: str) -> Iterable[float]:
    """Numbers written in words: runs like "twenty-five", "ten and a half", "a hundred thousand"."""
    words = [w.casefold() for w in _WORD.findall(text)]
    i = 0
    while i < len(words):
        if words[i] not in _WORDS or words[i] in ("a", "an"):
            if words[i] in ("a", "an") and i + 1 < len(words) and words[i + 1] in SCALES:
                pass  # "a hundred"
            else:
                i += 1
                continue
        total, current, j = 0.0, 0.0, i
        while j < len(words):
            word = words[j]
            if word in ("a", "an") and j > i and j + 1 < len(words) and words[j + 1] == "half":
                j += 1  # "ten and a half": the "a" is not one
                continue
            if word in _WORDS:
                current += _WORDS[word]
            elif word in SCALES and word not in ("m", "b", "k"):
                current = (current or 1) * SCALES[word]
                if SCALES[word] >= 1e3:
                    total, current = total + current, 0.0
            elif word != "and":
                break
            j += 1
            yield total + current
        i = max(j, i + 1)


def stated_numbers(quotes: Iterable[str], memo: dict[str, frozenset[float]] | None = None) -> set[float]:
    """Every number the quotes write, with the scales written after it applied; `memo` keeps each quote's numbers
    (one per article: the same quote is read for each metric it states, and again by the final check)."""
    numbers: set[float] = set()
    for quote in quotes:
        found = memo.get(quote) if memo is not None else None
        if found is None:
            found = frozenset((*_digit_numbers(quote), *_word_numbers(quote)))
            if memo is not None:
                memo[quote] = found
        numbers.update(found)
    return numbers


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-9)


def value_problem(value: float, unit: str, kind: str, quotes: Iterable[str],
                  memo: dict[str, frozenset[float]] | None = None) -> str | None:
    """None when the quotes state `value` in some written form; else the reason, saying how to fix it.

    `unit` and `kind` shape the hint only: a share or growth is stated as it stands
    ("7.2%" is 7.2), an amount in base units ("34.3 billion yuan" is 34300000000).
    """
    quotes = list(quotes)
    magnitude = abs(value)
    numbers = stated_numbers(quotes, memo)
    if any(_same(magnitude, n) for n in numbers):
        return None
    written = ", ".join(f"{n:g}" for n in sorted(numbers)[:8]) or "none"
    hint = ("write the percentage as it stands, e.g. 7.2% is 7.2" if unit in ("%", "pp") or kind in ("growth", "share")
            else "write it in base units, e.g. 34.3 billion yuan is 34300000000 and 4,600 trains is 4600")
    return (f"value {value:g} is not stated by its quote (the quote writes: {written}): quote the sentence that "
            f"states this figure and give its number exactly; {hint}")
