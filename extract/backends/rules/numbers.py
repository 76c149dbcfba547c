"""Quantities in English news text: number, scale, unit, comparator and sign.

"34.3 billion yuan" -> 3.43e10 CNY; "more than 2,600" -> 2600, gt; "US$20 billion" ->
2e10 USD; "7.2% year-on-year" -> 7.2 %; "over 1,000 trips" -> 1000 trains, gt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from extract.backends.rules.lexicon import lexicon

_CURRENCY_PREFIX = r"(?P<cur>US\$|U\.S\.\s?\$|HK\$|RMB\s?|(?:USD|EUR|CNY)\s?|\$|€|£|¥)?"
_NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_QUANTITY = re.compile(
    rf"{_CURRENCY_PREFIX}{_NUMBER}"
    r"(?P<scale>\s*(?:hundred\s+million|ten\s+thousand|trillion|billion|million|thousand|bn|mn)\b)?"
    r"(?P<pct>\s*(?:%|％|percent\b|per\s+cent\b|percentage\s+points?\b|pp\b))?"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-\.]*[A-Za-z]|[A-Za-z]|\$|\(|\)|[\"“”‘’]")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
_SYMBOL_AFTER = re.compile(r"\s*(km/h|kph)\b", re.I)
_DATE_BEFORE = re.compile(rf"(?:{_MONTHS})\.?\s*$")
_DATE_AFTER = re.compile(rf"^\s*(?:{_MONTHS})\b")


@dataclass(frozen=True)
class Quantity:
    start: int  # offsets into the text searched
    end: int  # end of the number, scale and unit word(s)
    value: float
    unit: str
    group: str  # money, volume, count, percent, points
    comparator: str
    noun_phrase: str  # the words from the number to the unit noun, for subjects
    noun_start: int  # where the counted noun phrase begins (after the number)


def _comparator_before(text: str, start: int) -> str:
    window = text[max(0, start - 40) : start].rstrip().lower()
    lex = lexicon()
    best = ("eq", -1)
    for comp, phrases in lex.data["comparators"].items():
        for phrase in phrases:
            if not window.endswith(phrase):
                continue
            bounded = len(window) == len(phrase) or not window[-len(phrase) - 1].isalnum()
            if bounded and len(phrase) > best[1]:
                best = (comp, len(phrase))
    return best[0]


def _comparator_after(text: str, end: int) -> str | None:
    window = text[end : end + 15].lower()
    for comp, phrases in lexicon().data["comparator_suffixes"].items():
        for phrase in phrases:
            if re.match(rf"\s*{re.escape(phrase)}(?!\w)", window):
                return comp
    return None


def _is_excluded(text: str, m: re.Match[str]) -> bool:
    start, end = m.start("num"), m.end("num")
    before = text[max(0, start - 1) : start]
    after = text[end : end + 3]
    raw = m.group("num")
    # Glued to letters or hyphens: part of a name or code ("COVID-19", "5G", "G20").
    if before and (before.isalpha() or before in "-_/:") and not m.group("cur"):
        return True
    if after[:1].isalpha() and not m.group("scale") and not m.group("pct") and after[:2].lower() not in ("bn", "mn"):
        return True
    if after[:1] in "-:/" and after[1:2].isdigit():  # dates, times, ranges of years
        return True
    tail = text[end : end + 20].lower().lstrip()
    for word in lexicon().data["not_metric_after"]:
        if tail.startswith(word) and (len(tail) == len(word) or not tail[len(word)].isalpha() or word.startswith("-")):
            return True
    if _DATE_BEFORE.search(text[max(0, start - 12) : start]) or _DATE_AFTER.match(text[end : end + 12]):
        return True
    # Rankings ("Fortune Global 500") and spans of time ("the first 11 months", "8 years ago").
    before_words = text[max(0, start - 20) : start].lower().rstrip()
    bare = not (m.group("pct") or m.group("cur") or m.group("scale"))
    if bare and any(re.search(rf"(?<![\w]){re.escape(w)}$", before_words) for w in lexicon().data["not_metric_before"]):
        return True
    # A bare four-digit number from 1900 to 2100 is a year.
    return bool(re.fullmatch(r"(19|20)\d\d|2100", raw) and not (m.group("scale") or m.group("pct") or m.group("cur")))


def _unit_after(text: str, pos: int, limit: int) -> tuple[str, str, int, int] | None:
    """The unit word(s) after a number: (unit, group, noun_start, end) or None."""
    lex = lexicon()
    units = lex.unit_map
    stops = set(lex.words("stop_words_between"))
    joined = _HYPHENED.match(text, pos, limit)
    if joined:
        # "a 64-container train", "the 50-car train": the number counts the joined noun, not the train.
        for plural in (joined.group(1).lower() + "s", re.sub(r"y$", "ies", joined.group(1).lower())):
            if plural in units and units[plural][1] == "count":
                end = joined.end()
                for word in _WORD.finditer(text, end, min(limit, end + 40)):
                    if not word.group(0).isalpha() or not word.group(0).islower() or word.group(0) in stops:
                        break
                    end = word.end()  # the subject is what the number is joined to: "container train service"
                return (units[plural][0], "count", pos + 1, end)
    segment = text[pos:limit]
    # Stop at clause punctuation; quotes and parentheses may wrap a brand name.
    cut = re.search(r"[,;:!?，；。]|(?<!\b[A-Z])\.(?!\w)|\s-\s|—", segment)
    if cut:
        segment = segment[: cut.start()]
    tokens = [(t.group(0), pos + t.start(), pos + t.end()) for t in _WORD.finditer(segment)]
    words = [(w, s, e) for w, s, e in tokens if w not in "()\"“”‘’"]
    noun_start = words[0][1] if words else pos
    for i in range(min(len(words), 7)):
        word, _s, e = words[i]
        low = word.lower()
        if low in stops and i > 0:
            # "countries and regions": a second plural joined by "and" belongs to the unit.
            break
        for span in (3, 2, 1):
            if i + span > len(words):
                continue
            phrase = " ".join(w.lower().replace(".", "") for w, _, _ in words[i : i + span])
            if phrase in units:
                unit, group = units[phrase]
                end = words[i + span - 1][2]
                nxt = i + span
                # "25 key overseas Chinese hometowns": the head noun is the last noun.
                if nxt < len(words) and group == "count":
                    follower = words[nxt][0].lower()
                    if follower in units and units[follower][1] == "count":
                        unit, end, nxt = units[follower][0], words[nxt][2], nxt + 1
                    elif _plural_noun(words[nxt][0]) and follower not in stops and follower not in lex.words("counted_adjectives"):
                        unit, end, nxt = follower, words[nxt][2], nxt + 1
                return _joined_unit(text, unit, group, noun_start, end, words, nxt)
        if low in stops:
            break
        if _plural_noun(word) and low not in lex.words("counted_adjectives"):
            return _joined_unit(text, low, "count", noun_start, e, words, i + 1)
    return None


_LEVEL_MODIFIER = re.compile(r"\b([a-z]+-level)\s+([a-z]+)$", re.I)
_KINDS_OF = re.compile(r"\s+of\s+([a-z]+s)\b")
_HYPHENED = re.compile(r"-([a-z]+)\b(?!-)")


def _plural_noun(word: str) -> bool:
    low = word.lower()
    # "logistics", "electronics": a mass noun in -ics, not a plural ("23 logistics projects" counts projects).
    return low.isalpha() and len(low) > 3 and word[0].islower() and low.endswith("s") and not low.endswith(("ss", "us", "is", "ics"))


def _joined_unit(text: str, unit: str, group: str, noun_start: int, end: int, words: list, nxt: int):
    if group == "count":
        level = _LEVEL_MODIFIER.search(text[noun_start:end])
        if level and level.group(2).lower() == unit:
            unit = f"{level.group(1).lower()} {unit}"  # "20 (mainland) provincial-level governments"
        kinds = _KINDS_OF.match(text, end)
        if kinds and unit in lexicon().words("classifier_nouns"):
            return (f"{unit} of {kinds.group(1).lower()}", group, noun_start, kinds.end())  # "1,000 types of goods"
    if group == "count" and nxt + 1 < len(words) and words[nxt][0].lower() == "and":
        second = _second_kind(text, words[nxt : nxt + 3], unit)
        if second:
            return (f"{unit} and {second[0]}", group, noun_start, second[1])
    return (unit, group, noun_start, end)


def _second_kind(text: str, words: list, unit: str) -> tuple[str, int] | None:
    """The second kind of thing in "86 countries and international organizations", "40 think tanks
    and research institutes": a counted noun (with one modifier) right after the "and" (words[0]);
    "137 countries and 30 international organizations" counts each kind by itself."""
    lex = lexicon()
    if len(words) < 2 or text[words[0][2] : words[1][1]].strip():
        return None  # a number of its own after "and"
    words = words[1:]
    stops = lex.words("stop_words_between")
    if len(words) == 2 and words[0][0].islower() and words[0][0].isalpha() and words[0][0].lower() not in stops \
            and _plural_noun(words[1][0]) and words[1][0].lower() not in stops:
        phrase = f"{words[0][0].lower()} {words[1][0].lower()}"
        known = lex.unit_map.get(phrase)
        if known and known[1] == "count":
            return (known[0], words[1][2])  # "international organizations": one unit of its own
        if words[0][0].lower() not in lex.words("counted_adjectives") and not _plural_noun(words[0][0]):
            return (phrase, words[1][2])  # "research institutes"
    first = words[0][0]
    if _plural_noun(first) and first.lower() not in stops and first.lower() != unit:
        return (first.lower(), words[0][2])
    return None


def _prefixed_money(m: re.Match[str]) -> str | None:
    cur = (m.group("cur") or "").replace(" ", "").upper()
    if not cur:
        return None
    return {"US$": "USD", "U.S.$": "USD", "$": "USD", "HK$": "HKD", "RMB": "CNY", "€": "EUR", "£": "GBP", "¥": "CNY",
            "USD": "USD", "EUR": "EUR", "CNY": "CNY"}.get(cur)


def _number(m: re.Match[str]) -> Decimal:
    """The matched number times its scale word ("2.3 million")."""
    number = Decimal(m.group("num").replace(",", ""))
    if m.group("scale"):
        number *= Decimal(str(lexicon().data["scales"][" ".join(m.group("scale").lower().split())]))
    return number


def find_quantities(text: str, start: int = 0, end: int | None = None) -> list[Quantity]:
    """Every reportable quantity in text[start:end], with offsets into `text`."""
    end = len(text) if end is None else end
    out: list[Quantity] = []
    bare: list[re.Match[str]] = []
    for m in _QUANTITY.finditer(text, start, end):
        if _is_excluded(text, m):
            continue
        value = float(_number(m))
        q_end = m.end()
        pct = (m.group("pct") or "").strip().lower()
        money = _prefixed_money(m)
        noun_start = q_end
        if pct:
            unit, group = ("pp", "points") if pct.startswith("percentage") or pct == "pp" else ("%", "percent")
        elif money:
            unit, group = money, "money"
        elif symbol := _SYMBOL_AFTER.match(text, q_end, min(end, q_end + 12)):
            unit, group, q_end = symbol.group(1).lower().replace("kph", "km/h"), "volume", symbol.end()
        else:
            found = _unit_after(text, q_end, min(end, q_end + 80))
            if found is None:
                bare.append(m)
                continue
            unit, group, noun_start, q_end = found
        comparator = _comparator_after(text, q_end) or _comparator_before(text, m.start())
        out.append(Quantity(
            start=m.start(), end=q_end, value=value, unit=unit, group=group, comparator=comparator,
            noun_phrase=text[noun_start:q_end] if group == "count" else "", noun_start=noun_start,
        ))
    out = [q for q in out if not _conversion(text, q, out)]
    out = _pronoun_units(out)
    out.extend(_out_of(text, start, end, out))
    out.extend(_elliptical(text, start, bare, out))
    out.extend(_spelled_counts(text, start, end, {(q.start, q.end) for q in out}))
    return sorted(out, key=lambda q: q.start)


_CONVERSION_GAP = re.compile(r"\s*[(（]\s*(?:(?:about|approximately|around|roughly|nearly|some|or|equivalent\s+to|worth)\s+)*$", re.I)


def _conversion(text: str, q: Quantity, found: list[Quantity]) -> bool:
    """Money in brackets right after money restates it in another currency: "25 billion yuan (about
    3.7 billion U.S. dollars)" is one figure."""
    if q.group != "money":
        return False
    return any(p.group == "money" and p.end <= q.start and _CONVERSION_GAP.fullmatch(text, p.end, q.start)
               for p in found)


@lru_cache(maxsize=1)
def _out_of_regex() -> re.Pattern[str]:
    spelled = "|".join(sorted(lexicon().data["spelled_numbers"], key=len, reverse=True))
    return re.compile(rf"(?<![\w.,])(\d[\d,]*|{spelled})\s+out\s+of\s+", re.I)


def _out_of(text: str, start: int, end: int, found: list[Quantity]) -> list[Quantity]:
    """'Twenty out of 31 provincial governments': the part counts the same things as the whole."""
    numbers = lexicon().data["spelled_numbers"]
    out = []
    # From `start` only: scanning the text from its beginning for each sentence made long articles quadratic.
    for m in _out_of_regex().finditer(text, start, end):
        whole = [q for q in found if q.start == m.end()]
        if not whole:
            continue
        word = m.group(1).lower()
        value = float(word.replace(",", "")) if word[0].isdigit() else float(numbers[word])
        out.append(Quantity(m.start(), m.end(1), value, whole[0].unit, whole[0].group,
                            _comparator_before(text, m.start()), "", m.end(1)))
    return out


def _pronoun_units(found: list[Quantity]) -> list[Quantity]:
    """'30.5 million passengers, including 3.6 million cross-border ones': 'ones' is the unit before."""
    out: list[Quantity] = []
    for q in found:
        if q.unit == "ones" and out:
            q = Quantity(q.start, q.end, q.value, out[-1].unit, out[-1].group, q.comparator, q.noun_phrase, q.noun_start)
        out.append(q)
    return out


_ELLIPSIS_BEFORE = re.compile(r"(?:,|\band|\bto|\bfrom|\bwhile)\s*(?:(?:more\s+than|less\s+than|over|about|around|nearly|some)\s+)?$",
                              re.I)
_ELLIPSIS_AFTER = re.compile(
    r"\s*(?:in\b|to\b|on\b|at\b|,|;|\.|and\b|respectively|now\b|last\b|this\b|during\b|over\b|compared\b|since\b|"
    r"year-on-year|year\s+on\s+year|$)",
    re.I,
)
# "The number of trains reached 1,515": a verb of level states the number that a "number of" names.
_LEVEL_BEFORE = re.compile(r"\b(?:reached|hit|totaled|totalled|stood\s+at|exceeded|topped|amounted\s+to)\s*$", re.I)
_NUMBER_OF = re.compile(r"\bnumber\s+of\s+(?:[a-z-]+\s+){0,2}?([a-z]+(?<!s)s)(?![\w-])", re.I)  # not "cross" of "cross-border"


# "Trips have increased from 17 in the first year to 3,673", "the cargo varieties for trade have expanded
# from 583 ...": the plural noun before a verb of change names what the bare numbers after it count.
_RISING_FROM = re.compile(r"\b([a-z]{3,}s)\b(?:\s+(?:for|of|on|in)\s+[a-z][a-z\s-]{0,40}?)?\s+(?:have\s+|has\s+)?"
                          r"(?:increased|rose|risen|grown|grew|surged|jumped|climbed|expanded|soared)\s+from\b", re.I)


_AMONG_THEM = re.compile(r"\b(?:among\s+them|of\s+them|of\s+these|of\s+which),?\s*$", re.I)
_PART_ARE = re.compile(r"\s+(?:are|were)\s+(?:[a-z-]+\s+){0,2}?([a-z]+(?<!s)s)\b")


def _elliptical(text: str, start: int, bare: list[re.Match[str]], found: list[Quantity]) -> list[Quantity]:
    """Numbers whose counted noun is left out because a nearby number states it: "55 trains in 2014,
    80 in 2015 and 223 in 2016", "300 trains will go to Central Asia, 50 to Russia", "the number of
    trains rose from 2 to 20"."""
    units = lexicon().unit_map
    out = []
    for m in bare:
        if m.group("cur"):
            continue
        level = bool(_LEVEL_BEFORE.search(text, max(start, m.start() - 20), m.start()))
        if m.group("scale") and not level:
            continue
        part = _PART_ARE.match(text, m.end()) if _AMONG_THEM.search(text, max(start, m.start() - 20), m.start()) else None
        if part:
            # "Among them, 17 are foreign-invested projects": the part counts what the sentence names.
            noun = part.group(1).lower()
            unit, group = units.get(noun, (noun, "count"))
            out.append(Quantity(start=m.start(), end=part.end(), value=float(_number(m)), unit=unit, group=group,
                                comparator=_comparator_before(text, m.start()), noun_phrase=part.group(0).strip(),
                                noun_start=m.end()))
            continue
        if not (level or _ELLIPSIS_BEFORE.search(text[max(start, m.start() - 18) : m.start()])):
            continue
        if not _ELLIPSIS_AFTER.match(text, m.end()):
            continue
        earlier = [q for q in found if q.end <= m.start() and q.group in ("count", "volume")]
        named = list(_NUMBER_OF.finditer(text, start, m.start()))
        rising = _RISING_FROM.search(text, start, m.start())
        if earlier and not level:
            unit, group = earlier[-1].unit, earlier[-1].group
        elif named and named[-1].group(1).lower() in units:
            unit, group = units[named[-1].group(1).lower()]
        elif rising and rising.group(1).lower() in units and units[rising.group(1).lower()][1] == "count":
            unit, group = units[rising.group(1).lower()]  # "Trips have increased from 17 ... to 3,673"
        elif rising and rising.group(1).lower() not in lexicon().words("stop_words_between"):
            unit, group = rising.group(1).lower(), "count"  # "The cargo varieties have expanded from 583 to 3,000"
        else:
            continue
        out.append(Quantity(start=m.start(), end=m.end(), value=float(_number(m)), unit=unit, group=group,
                            comparator=_comparator_before(text, m.start()), noun_phrase="", noun_start=m.end()))
    return out


@lru_cache(maxsize=1)
def _spelled_regex() -> re.Pattern[str]:
    numbers = lexicon().data["spelled_numbers"]
    return re.compile(r"(?<![\w\"“'‘-])(" + "|".join(sorted(numbers, key=len, reverse=True)) + r")(?:\s+|-(?=days?\b))(?=[a-z])", re.IGNORECASE)  # "three-day expo" as "3-day expo"


def _spelled_counts(text: str, start: int, end: int, taken: set[tuple[int, int]]) -> list[Quantity]:
    """'seven landmark projects': spelled numbers count things only when a counted noun follows."""
    lex = lexicon()
    numbers = lex.data["spelled_numbers"]
    pattern = _spelled_regex()
    out = []
    for m in pattern.finditer(text, start, end):
        # In quotes or joined by "and" to another number: a slogan ("two countries and two parks").
        window = text[m.end() : m.end() + 40].lower()
        if re.match(r"[a-z\- ]+\s+and\s+(?:" + "|".join(numbers) + r")\b", window):
            continue
        duration = m.group(0).endswith("-")  # "the three-day expo" states a length, "the two countries" no figure
        if not duration and re.search(r"(?:and|,|\bthe|\bthese|\bthose|\bboth|\bfirst|\bpast|\blast|\bnext)\s*$",
                                      text[max(0, m.start() - 8) : m.start()].lower()):
            continue
        if re.search(rf"(?:\d|\b(?:{'|'.join(numbers)}))\s+(?:to|or)\s+$", text[max(0, m.start() - 16) : m.start()], re.I):
            continue  # "two to three days": a range, no figure
        found = _unit_after(text, m.end(), min(end, m.end() + 40))
        if found is None:
            continue
        unit, group, noun_start, q_end = found
        known = {u for u, g in lex.unit_map.values() if g in ("count", "volume")}
        head = unit.split(" of ")[0].split()[-1]  # "provincial-level regions", "types of goods"
        if group not in ("count", "volume") or head not in known or unit in lex.words("time_units"):
            continue  # "seven landmark projects", "seven days"; not "two years" (a span of time)
        out.append(Quantity(
            start=m.start(), end=q_end, value=float(numbers[m.group(1).lower()]), unit=unit, group=group,
            comparator=_comparator_before(text, m.start()), noun_phrase=text[noun_start:q_end], noun_start=noun_start,
        ))
    return out
