"""A metric's value must be stated by its quote, in some written form.

"34.3 billion yuan" states 34300000000, "7.2%" states 7.2, "down 3%" states -3 (as 3),
"4,600 trains" states 4600, "ten" states 10, "half" states 50 (%). A value that no number of
its quotes gives, at any scale, is a figure the article does not hold: a model's
hallucination or a prompt-injected number next to a real sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
           "trillion": 1e12, "tn": 1e12, "k": 1e3, "lakh": 1e5, "crore": 1e7}
_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
          "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a dozen": 12, "dozens": 12, "half": 0.5,
          "a quarter": 0.25, "one-third": 1 / 3, "a third": 1 / 3, "double": 2, "doubled": 2, "twice": 2,
          "tripled": 3, "triple": 3, "a hundred": 100, "hundreds": 100, "thousands": 1000, "a thousand": 1000,
          "first": 1, "single": 1, "once": 1}
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d{1,3}(?:[,\u00a0 ]\d{3})+|\d+)(?:\.(\d+))?")
_WORD = re.compile(r"\b(" + "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True)) + r")\b",
                   re.IGNORECASE)
_SCALE_AFTER = re.compile(r"\s*-?\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_TOLERANCE = 5e-3  # "about 3.73 billion" for 3.7301e9, and rounding in a model's arithmetic


def stated_numbers(text: str) -> list[float]:
    """Every number a text states, each also at the scales written after it ("1.2 billion")."""
    found: list[float] = []
    for match in _NUMBER.finditer(text):
        whole = re.sub(r"[,\u00a0 ]", "", match.group(1))
        number = float(f"{whole}.{match.group(2)}" if match.group(2) else whole)
        found.append(number)
        rest = text[match.end():]
        scales = []
        while (scale := _SCALE_AFTER.match(rest)) is not None:  # "1.2 million", "3 hundred thousand"
            scales.append(_SCALES[scale.group(1).lower()])
            rest = rest[scale.end():]
        factor = 1.0
        for s in scales:
            factor *= s
            found.append(number * factor)
    for match in _WORD.finditer(text):
        number = float(_WORDS[match.group(1).lower()])
        found.append(number)
        scale = _SCALE_AFTER.match(text[match.end():])
        if scale is not None:
            found.append(number * _SCALES[scale.group(1).lower()])
    return found


def _matches(value: float, number: float) -> bool:
    # number * 100: "half" of a whole is a share of 50 %
    return any(math.isclose(abs(value), c, rel_tol=_TOLERANCE, abs_tol=1e-9) for c in (number, number * 100))


def value_problem(value: float, quotes: Iterable[str]) -> str | None:
    """Why `value` is not stated by any of `quotes`, in words that tell a model how to fix it; None if it is."""
    texts = list(quotes)
    numbers = [n for text in texts for n in stated_numbers(text)]
    if any(_matches(value, n) for n in numbers):
        return None
    if abs(value) == 100 and any(re.search(r"\bdoubl", t, re.IGNORECASE) for t in texts):
        return None
    shown = ", ".join(f"{n:g}" for n in numbers[:6]) or "none"
    return (f"value {value:g} is not stated by its quote (the numbers there: {shown}): write the figure the quote "
            "states, in base units (e.g. 34.3 billion yuan is 34300000000, 7.2% is 7.2, down 3% is -3), or quote the "
            "sentence that states this value")
