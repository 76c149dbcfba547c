"""Infrastructure projects: a project noun ("port", "railway", "industrial park", "train")
with the proper-name modifiers before it, or a quoted brand name that holds one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from extract.backends.rules.lexicon import lexicon, phrase_regex
from extract.backends.rules.places import DOMESTIC_TABLES, find_places
from extract.backends.rules.text import Span
from extract.canonical import Canonicaliser, name_key
from schemas import Evidence, InfrastructureProject

_TOKEN = re.compile(r"\([^()]{1,30}\)|[\w’'][\w’'\.&-]*|[“”\"]|\S")
_CONNECTORS = {"of", "de", "the", "&"}  # "&" inside a name: "X Trade & Logistics Park"
_IN_A_TITLE = re.compile(
    r"\b(?i:committee|commission|bureau|office|department|administration|authority|board|group|company|corporation)"
    r"\s+of\s+(?:the\s+)?(?:[A-Z][\w'’()-]*\s+){0,6}$"
)
_CLAUSE_VERB = re.compile(r"\s(?:has|have|had|is|are|was|were|will|would|can|should)\s")  # a quoted sentence, not a name
_QUOTED = re.compile(r"[“\"]([A-Z][^“”\"]{2,60})[”\"]")


@dataclass
class Candidate:
    name: str
    kind: str
    start: int
    end: int
    sentence: Span
    evidence: list[Span] = field(default_factory=list)


@lru_cache(maxsize=1)
def _heads() -> tuple[re.Pattern[str], dict[str, str]]:
    kinds: dict[str, str] = {}
    for kind, words in lexicon().data["project_heads"].items():
        for word in words:
            kinds.setdefault(word.lower(), kind)
    return phrase_regex(set(kinds)), kinds


def _kind_of(phrase: str) -> str | None:
    pattern, kinds = _heads()
    found = None
    for m in pattern.finditer(phrase):
        found = kinds.get(" ".join(m.group(0).lower().split()))
    return found


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper() or (token.startswith("(") and token[1:2].isupper())


def _compound_word(token: str) -> bool:
    low = token.lower()
    stops = lexicon().words("stop_words_between") + lexicon().words("imperative_verbs")
    return (low.replace("-", "").isalpha() and token.islower() and low not in stops
            and low not in ("a", "an", "the") and not low.endswith("ed") and low not in _verb_words()
            and low not in _present_verbs() and low not in lexicon().words("quantity_words"))


@lru_cache(maxsize=1)
def _present_verbs() -> frozenset[str]:
    """'Shanxi opens freight train service': a verb in the present ('opens', 'launches') ends a name."""
    verbs = [v for v in lexicon().words("imperative_verbs") if v.isalpha() and not v.endswith(("ly", "ed"))]
    return frozenset([*(v + "s" for v in verbs), *(v + "es" for v in verbs if v.endswith(("h", "s", "x")))])


@lru_cache(maxsize=1)
def _verb_words() -> frozenset[str]:
    """Reporting and intent verbs: 'X Railway said more trains' holds no compound name."""
    return frozenset(v.lower() for verbs in lexicon().data["statement_verbs"].values() for v in verbs if " " not in v)


def _capitalised_within(tokens: list[tuple[str, int]], i: int, reach: int) -> bool:
    """A capitalised word within `reach` common nouns before token i."""
    for j in range(i - 1, max(-1, i - 1 - reach), -1):
        if _is_capitalised(tokens[j][0]):
            return True
        if not _compound_word(tokens[j][0]):
            return False
    return False


def _modifiers(text: str, sentence: Span, head_start: int) -> int | None:
    """Start of the proper-name modifiers before a head noun, or None if there are none."""
    tokens = [(m.group(0), sentence.start + m.start()) for m in _TOKEN.finditer(text[sentence.start : head_start])]
    start = None
    i = len(tokens) - 1
    while i >= 0:
        tok, pos = tokens[i]
        if _is_capitalised(tok):
            start = pos
        elif tok.lower() in _CONNECTORS and (start is not None or (tok == "&" and i == len(tokens) - 1)) and i > 0 \
                and _is_capitalised(tokens[i - 1][0]):
            pass  # "Port of X", "X Trade & Logistics Park" (the head may follow the "&" itself)
        elif tok in ("-", "–") and start is not None and i > 0 and tokens[i - 1][0].endswith(")"):
            pass  # "China (Wuhan)-Europe freight train": a city-branded service
        elif start is None and _compound_word(tok) and _capitalised_within(tokens, i, 2):
            pass  # "China-EU train assembly center": common nouns inside a named compound
        elif tok in "”\"" and start is None:
            # A quoted brand right before the head: take the quote whole.
            j = i - 1
            while j >= 0 and tokens[j][0] not in "“\"":
                j -= 1
            if j < 0 or j == i - 1 or not _is_capitalised(tokens[j + 1][0]):
                break
            start, i = tokens[j][1], j
        else:
            break
        i -= 1
    # A capitalised first word of the sentence is a name only if it is not a common word.
    first_word = start is not None and tokens and start == tokens[0][1]
    if first_word and tokens[0][0].lower() in lexicon().words("sentence_initial_non_names"):
        rest = [t for t in tokens[1:] if t[1] < head_start]
        start = rest[0][1] if rest and _is_capitalised(rest[0][0]) else None
    return start


def _service_kind(raw: str, kind: str) -> str:
    """A "railway" to a continent ("China-Europe Railway", "Chongqing-Xinjiang-Europe railway") is a
    train service: no one line is built to a continent."""
    if kind in ("railway", "high_speed_railway") and _continent_end().search(raw):
        return "rail_freight_service"
    return kind


@lru_cache(maxsize=1)
def _continent_end() -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in lexicon().words("continent_endpoints"))
    return re.compile(rf"(?:[\w)]-(?:{words})\b|\b(?:{words})-[A-Z])")


def _clean_name(raw: str, kind: str, head: str = "") -> str:
    name = " ".join(raw.replace("“", "").replace("”", "").replace('"', "").split())
    name = re.sub(r"^(?:the|a|an)\s+", "", name, flags=re.I)
    name = re.sub(r"^[A-Z][\w-]*['’]s\s+(?=[A-Z])", "", name)  # "Chongqing's Guoyuan Port": Guoyuan Port
    if kind == "rail_freight_service":
        name = re.sub(r"\btrains\b", "train", name, flags=re.I)
    words = name.split()
    n_head = max(1, len(head.split()))
    if any(w.islower() and w not in _CONNECTORS for w in words[:-n_head]):
        return name  # "Kunming-Vientiane cross-border freight train": a described service keeps its case
    # Title-case a lowercase head after a proper name: "Dalian port" -> "Dalian Port".
    return " ".join(w.capitalize() if w.isalpha() and w.islower() and w not in _CONNECTORS | {"and"} else w for w in words)


_POSSESSIVE_COMMON = re.compile(r"^[A-Z][\w-]*(?:\s[A-Z][\w-]*)?['’]s\s+(?:[a-z][\w-]*\s*)+$")


def _name_like(name: str) -> bool:
    """Not a clause caught between quotation marks, nor "China's landmark trade corridor" (a place's
    common noun phrase, no name)."""
    return "," not in name and len(name.split()) <= 10 and not _POSSESSIVE_COMMON.match(name)


def _named_facility(text: str, sentence: Span, start: int, head: re.Match[str]) -> bool:
    """'the Chancay port', 'the Karot hydropower plant': a proper name (not a nationality, not the
    sentence's first word) before a lower-case facility noun."""
    modifiers = text[start : head.start()]
    if not re.fullmatch(r"(?:[A-Z][\w'’-]*\s+){1,3}", modifiers) or start == sentence.start:
        return False
    first = modifiers.split()[0]
    if first in Canonicaliser.default().demonyms or first.lower() in lexicon().words("sentence_initial_non_names"):
        return False
    return " ".join(head.group(0).lower().split()) in lexicon().words("facility_heads")


def _is_initiative(name: str, canonical: Canonicaliser) -> bool:
    if canonical.initiatives.find(name):
        return True
    # "the China-Europe freight-train service": the initiative's own name, written another way.
    plain = re.sub(r"\s+services?$", "", re.sub(r"(?<=[a-z])-(?=[a-z])", " ", name), flags=re.I)
    if plain != name and not re.search(r"\(", name) and canonical.initiatives.find(plain):
        return True
    stem = re.sub(r"\s+(?:freight\s+)?trains?$|\s+railway$|\s+express$", "", name, flags=re.I)
    return bool(canonical.initiatives.find(stem)) and stem.lower() != name.lower() and not re.search(r"\(", name)


def _is_operator(name: str) -> bool:
    """'Belarus Railway', 'Russian Railway Logistics': a national operator, not a project."""
    places = find_places(name)
    if places and places[0].start == 0 and places[0].end == len(name) and places[0].table == "partners":
        return True  # a known organisation, such as a national railway company
    operator_heads = lexicon().words("operator_heads")
    rest = name
    if len(places) == 1 and places[0].start == 0:
        rest = name[places[0].end :].strip()
    elif name.split()[0] in Canonicaliser.default().demonyms:
        rest = " ".join(name.split()[1:])  # "Russian Railways", "Kazakh Railway": a national operator
    return rest.lower() in operator_heads


@lru_cache(maxsize=1)
def _stem_regex() -> re.Pattern[str]:
    stems = "|".join(re.escape(s) for s in sorted(lexicon().words("project_name_stems"), key=len, reverse=True))
    return re.compile(rf"(?:{stems})\s", re.I)


def _name_stem_before(text: str, sentence: Span, head_start: int) -> int | None:
    """'silk road shipping': a domain name stem makes a name even in lower case."""
    before = text[max(sentence.start, head_start - 25) : head_start]
    m = re.search(rf"(?<![\w-])((?:{'|'.join(re.escape(s) for s in lexicon().words('project_name_stems'))}))\s+$", before, re.I)
    return head_start - len(before) + m.start(1) if m else None


def _place_for_bare_name(text: str, sentence: Span, head_start: int) -> tuple[int | None, str]:
    """'Shanghai ... the pilot Free Trade Zone': a capitalised head named after the place in the sentence."""
    places = [p for p in find_places(text, sentence.start, head_start) if p.domestic]
    if not places:
        return None, ""
    start = head_start
    adjectives = lexicon().words("project_name_adjectives")
    while True:
        m = re.search(r"([a-z]+)\s+$", text[sentence.start : start])
        if not m or m.group(1) not in adjectives:
            break
        start = sentence.start + m.start(1)
    return start, places[-1].name + " "


def candidates(text: str, sentence: Span) -> list[Candidate]:
    pattern, kinds = _heads()
    canonical = Canonicaliser.default()
    out: list[Candidate] = []
    for quoted in _QUOTED.finditer(text, sentence.start, sentence.end):
        inner = quoted.group(1)
        kind = _kind_of(inner)
        if kind and not canonical.initiatives.find(inner) and sum(w[:1].isupper() for w in inner.split()) >= 2 \
                and _name_like(inner.strip()) and not _CLAUSE_VERB.search(inner):
            out.append(Candidate(_clean_name(inner, kind), kind, quoted.start(), quoted.end(), sentence))
    for m in pattern.finditer(text, sentence.start, sentence.end):
        after = text[m.end() : m.end() + 30]
        nxt = re.match(r"\s+([A-Z][a-z]+)", after)
        if nxt and nxt.group(1) not in ("In", "On", "At", "And", "Phase"):
            continue  # the head is itself a modifier: "Industrial Park Alliance", "Port Group"
        org = re.match(r"\s*([A-Za-z]+)", after)
        if org and org.group(1).lower() in lexicon().words("organisation_nouns"):
            continue
        if _IN_A_TITLE.search(text[max(sentence.start, m.start() - 120) : m.start()]):
            continue  # "director of the Management Committee of X Port": a person's office, not a project
        start = _modifiers(text, sentence, m.start())
        head_capital = m.group(0)[:1].isupper()
        if not head_capital and m.group(0).lower() in lexicon().words("capital_only_heads"):
            continue  # "trains pass through Xinjiang": a verb; "the Friendship Pass": a border crossing
        prefix = ""
        if start is None:
            start = _name_stem_before(text, sentence, m.start())
        if start is None and sum(w[:1].isupper() for w in m.group(0).split()) >= 2:
            start, prefix = _place_for_bare_name(text, sentence, m.start())
        # "the China-Europe train (Zhengzhou) assembly center": a hub named by the project before it.
        before = [c for c in out if c.end <= m.start() and not text[c.end : m.start()].strip()
                  and (start is None or c.start < start < c.end)]
        if before:
            start = before[-1].start
        if start is None:
            continue
        end = m.end()
        branded = _BRAND_AFTER.match(text, end)
        if branded and branded.end() <= sentence.end:
            end = branded.end()  # "China-Europe train (Zhengzhou)": the city's service
        raw = prefix + text[start:end]
        holds_named = any(start <= c.start and c.end <= m.start() for c in out)  # "the X Port sea-rail trains"
        if not head_capital and not find_places(raw) and not re.search(r"[“\"(]", raw) and not _stem_regex().match(raw) \
                and not _named_facility(text, sentence, start, m) and not holds_named:
            continue  # "international trains": a common noun phrase with no proper name
        kind = _service_kind(raw, kinds[" ".join(m.group(0).lower().split())])
        name = _clean_name(raw, kind, m.group(0))
        if len(name) < 5 or _is_initiative(name, canonical) or _is_operator(name) or not _name_like(name):
            continue
        if any(_overlaps(text, c, start, end) for c in out):
            continue
        if _AS_OPERATOR.match(text, end):
            continue  # "X Park, the operator of the freight train, told ...": a source, not the project talked of
        out.append(Candidate(name, kind, start, end, sentence))
    out.extend(_port_area(text, sentence, out))
    out.extend(_checkpoint_of(text, sentence, out))
    out.extend(_port_of(text, sentence, out))
    out.extend(_described(text, sentence, out))
    out.extend(_parts(text, sentence, out))
    return out


_AS_OPERATOR = re.compile(r",\s*(?:the\s+|its\s+)?(?:operator|owner|developer|organi[sz]er|builder|contractor)\s+of\b", re.I)
_BRAND_AFTER = re.compile(r"\s*\((?:[A-Z][\w'’-]*\s?){1,3}\)")
_PHASE_AFTER = re.compile(r"\s+(?:Phase|phase)\s+(I{1,3}|IV|V|\d)\b")
_PHASE_BEFORE = re.compile(r"\b(?:the\s+)?(first|second|third|fourth|fifth|Phase\s+(?:I{1,3}|IV|V))[-\s]?(?:phase)?"
                           r"(?:\s+(?:project|expansion|works))?\s+of\s+(?:the\s+)?$", re.I)
_ROMAN = {"first": "I", "second": "II", "third": "III", "fourth": "IV", "fifth": "V"}
_SECTION_BEFORE = re.compile(
    r"\b(?:the\s+)?((?:\d[\w-]*\s+)?(?:[A-Z][\w'’]*(?:[\s-][A-Z][\w'’]*)*))\s+(section|stretch|segment|leg)\s+of\s+(?:the\s+)?$")
_PORT_OF = re.compile(r"\b(?:the\s+)?(?:(?:[A-Z][\w'’]*\s+){0,3})?(?:port|Port|harbour|Harbour|harbor|Harbor)\s+of\s+"
                      r"((?:[A-Z][\w'’-]*)(?:\s+[A-Z][\w'’-]*)?)")


_SERVICE = r"(?:(?:international|cross-border)\s+)*(?:(?:freight|cargo|container|block)\s+)?train(?:\s+service)?"
_LINE = r"(?:(?:high-speed|cross-border|international|standard-gauge|electrified|new)\s+)*(?:railway|rail\s+line|expressway|highway|pipeline)"
_BETWEEN = re.compile(rf"\b(?i:a|an|the)\s+(?:(?:new|regular|direct|weekly|daily)\s+)*(?P<head>{_SERVICE}|{_LINE})\s+"
                      r"(?:(?:between|linking|connecting)\s+(?P<a>[A-Z][\w'’-]*(?:\s[A-Z][\w'’-]*)?)\s+(?:and|with)\s+"
                      r"|from\s+(?P<c>[A-Z][\w'’-]*(?:\s[A-Z][\w'’-]*)?)\s+to\s+)(?P<b>[A-Z][\w'’-]*(?:\s[A-Z][\w'’-]*)?)")
_PLACED = re.compile(r"\b(?i:a|an|the)\s+(?:(?:new|major|large|key|first|national|regional|modern|bonded)\s+){0,3}"
                     r"(?P<head>logistics\s+(?:center|centre|hub|park|base)|overseas\s+warehouse|warehouse|dry\s+port|"
                     r"industrial\s+park|distribution\s+(?:center|centre)|container\s+terminal)"
                     r"\s+(?:in|at)\s+(?P<place>[A-Z][\w'’-]*(?:\s[A-Z][\w'’-]*)?)")


def _described(text: str, sentence: Span, found: list[Candidate]) -> list[Candidate]:
    """Projects named by description: "a freight train service between Chongqing and Hanoi" (the two
    cities' service), "a high-speed railway from A to B" (the A-B railway), "a major logistics center in Urumqi" (the city's center)."""
    out = []
    for m in _BETWEEN.finditer(text, sentence.start, sentence.end):
        ends = [m.group("a") or m.group("c"), m.group("b")]
        places = [find_places(e) for e in ends]
        known = [bool(p and p[0].start == 0) for p in places]
        # One end may be a town the place tables lack ("from Belgrade to Nis"), when the other is known.
        if any(known) and not any(c.start <= m.start() < c.end for c in found) \
                and all(k or (m.group("c") and _ends_a_name(text, m)) for k in known):
            head = " ".join(m.group("head").split())
            if head.lower().startswith("new "):
                head = head[4:]
            a, b = (p[0].name if k else e for p, k, e in zip(places, known, ends, strict=True))
            name = f"{a}-{b} {head}"
            kind = "rail_freight_service" if re.search(r"train", head) else _kind_of(head) or "other"
            out.append(Candidate(name, kind, m.start(), m.end(), sentence))
    for m in _PLACED.finditer(text, sentence.start, sentence.end):
        place = find_places(m.group("place"))
        if place and place[0].start == 0 and not any(c.start <= m.start("head") < c.end for c in found):
            head = " ".join(m.group("head").split())
            kind = _kind_of(head) or "logistics_hub"
            out.append(Candidate(f"{place[0].name} {head}", kind, m.start(), m.end(), sentence))
    return out


_AFTER_A_NAME = re.compile(r"\s*(?:[,.;:()]|$|(?:and|or|in|via|by|through|with|which|that|is|was|will|has|on|at|for)\b)")


def _ends_a_name(text: str, m: re.Match[str]) -> bool:
    """'from Belgrade to Nis and ...': the unknown end is a name, not 'to Central Asian countries'."""
    return bool(_AFTER_A_NAME.match(text, m.end()))


def _overlaps(text: str, earlier: Candidate, start: int, end: int) -> bool:
    """Whether a new mention is the same as an earlier one. A longer name that holds an earlier one
    and goes on with lower-case words ("X Port sea-rail intermodal trains") is another project."""
    if not (earlier.start <= start < earlier.end or start <= earlier.start < end):
        return False
    holds = start <= earlier.start and end > earlier.end
    return not (holds and re.search(r"\s[a-z][\w-]*\s", text[earlier.end : end]))


_PORT_AREA = re.compile(r"\b([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s+(port\s+area)\s+of\s+(?:the\s+)?"
                        r"((?:[A-Z][\w'’-]+\s+){1,3}Port)\b")


_CHECKPOINT_OF = re.compile(r"\b(border\s+(?:checkpoint|crossing|port))\s+of\s+([A-Z][\w'’-]+)")


def _checkpoint_of(text: str, sentence: Span, found: list[Candidate]) -> list[Candidate]:
    """"China's border checkpoint of Erenhot": a land port named by its town, as "the port of X" is."""
    return [Candidate(f"{m.group(2)} {' '.join(m.group(1).split()).lower()}", "land_port", m.start(), m.end(), sentence)
            for m in _CHECKPOINT_OF.finditer(text, sentence.start, sentence.end)
            if not any(c.start <= m.start(2) < c.end for c in found)]


def _port_area(text: str, sentence: Span, found: list[Candidate]) -> list[Candidate]:
    """"the Caofeidian port area of Tangshan Port": one part of a port, named with the port; neither
    "Caofeidian Port" nor the port itself is what this mention is about."""
    out = []
    for m in _PORT_AREA.finditer(text, sentence.start, sentence.end):
        found[:] = [c for c in found if not (m.start() <= c.start < m.end())]
        out.append(Candidate(f"{m.group(1)} {m.group(2).lower()} of {m.group(3)}", "port", m.start(), m.end(), sentence))
    return out


def _port_of(text: str, sentence: Span, found: list[Candidate]) -> list[Candidate]:
    """"the Caspian Sea port of Aktau", "the Port of Piraeus": the port is named by its city."""
    out = []
    for m in _PORT_OF.finditer(text, sentence.start, sentence.end):
        name = f"Port of {m.group(1)}"
        found[:] = [c for c in found if not (m.start() <= c.start < m.end() and c.kind == "port")]
        out.append(Candidate(name, "port", m.start(), m.end(), sentence))
    return out


def _parts(text: str, sentence: Span, found: list[Candidate]) -> list[Candidate]:
    """Phases and sections of a named project: "X Phase II", "the third phase project of X",
    "the Belgrade-Novi Sad section of the X railway"."""
    out = []
    phased: list[Candidate] = []
    for cand in found:
        after = _PHASE_AFTER.match(text, cand.end)
        if after:
            out.append(Candidate(f"{cand.name} Phase {after.group(1)}", cand.kind, cand.start, after.end(), sentence))
            phased.append(cand)
        before = text[max(sentence.start, cand.start - 60) : cand.start]
        phase = _PHASE_BEFORE.search(before)
        if phase:
            word = phase.group(1)
            roman = word.split()[-1].upper() if word.lower().startswith("phase") else _ROMAN[word.lower()]
            out.append(Candidate(f"{cand.name} Phase {roman}", cand.kind, cand.start, cand.end, sentence))
            phased.append(cand)
        section = _SECTION_BEFORE.search(before)
        if section:
            part = re.sub(r"^(?:The\s+)?\d[\w-]*\s+|^The\s+", "", section.group(1))
            name = f"{part} {section.group(2)} of the {cand.name}"
            start = cand.start - len(before) + section.start(1)
            out.append(Candidate(name, cand.kind, start, cand.end, sentence))
            phased.append(cand)
    # "the second phase of X", "the A-B section of X": this mention is of the part; X is a project of
    # its own only where another sentence names it.
    found[:] = [c for c in found if c not in phased]
    return out


def _status(text: str, cand: Candidate) -> str:
    """Status from the words around the project's mention: its clause, not the whole sentence."""
    lex = lexicon()
    if _treated_as_existing(text, cand):
        return "operational"
    for scope in (_clause_around(text, cand), cand.sentence.text):
        for cues in ("proposed", "starting_construction", "under_construction", "operational", "planned"):
            if lex.regex("project_status_cues", cues).search(scope):
                return "planned" if cues == "starting_construction" else cues
    return "unknown"


def _treated_as_existing(text: str, cand: Candidate) -> bool:
    """'the development of X', 'build X into a hub', 'X will play a bigger role': X is there already."""
    before = text[max(cand.sentence.start, cand.start - 60) : cand.start]
    after = text[cand.end : min(cand.sentence.end, cand.end + 60)]
    return bool(_existing_before().search(before) or _existing_after().match(after))


@lru_cache(maxsize=1)
def _existing_before() -> re.Pattern[str]:
    words = phrase_regex(lexicon().data["existing_project_cues"]["before"]).pattern
    return re.compile(rf"{words}\s+(?:the\s+)?[\"“]?$", re.I)


@lru_cache(maxsize=1)
def _existing_after() -> re.Pattern[str]:
    words = phrase_regex(lexicon().data["existing_project_cues"]["after"]).pattern
    # An apposition may come between: "Mawei Port, Fuzhou, should be connected to ..."
    return re.compile(rf"[\"”]?(?:,\s*[A-Z][\w-]*,)?\s+(?:should\s+|will\s+|to\s+)?{words}", re.I)


_FIGURE = re.compile(r"\d[\d,.]*\s*(?:%|percent|per cent|billion|million|thousand|tonnes|tons|TEU|trains|trips|routes|"
                     r"containers|passengers|columns|flights|km)", re.I)


_VIA = re.compile(r"\b(?:via|through|out\s+of)\s+(?:the\s+|\w+['’]s\s+)?$", re.I)
_CHANNEL_KINDS = ("port", "land_port", "railway", "high_speed_railway", "airport")


def _status_of(text: str, cand: Candidate, spans: list[Span]) -> str:
    """Status from the first mention's clause, then its sentence; a project that reports figures
    for a past or present period in a later mention, and says nothing of its status, is running."""
    status = _status(text, cand)
    if status in ("planned", "proposed") and cand.kind in _CHANNEL_KINDS and _VIA.search(text, max(0, cand.start - 20), cand.start):
        return "unknown"  # "the train will exit via X Port": the train is planned, not the port it passes
    if status != "unknown":
        return status
    future = lexicon().regex("future_cues")
    if any(_FIGURE.search(s.text) and not future.search(s.text) for s in spans):
        return "operational"
    return status


def _clause_around(text: str, cand: Candidate) -> str:
    sentence = cand.sentence
    before = text[max(sentence.start, cand.start - 120) : cand.start]
    verbs = "|".join(lexicon().words("imperative_verbs"))
    joins = [m.end() - 1 for m in re.finditer(rf"\s(?:while|whereas|but|and(?=\s+(?:{verbs})\b))\s", before)]
    cut = max(before.rfind(";"), before.rfind(","), before.rfind("，"), *joins)
    start = cand.start - len(before) + cut + 1 if cut >= 0 else cand.start - len(before)
    after = text[cand.end : min(sentence.end, cand.end + 90)]
    relative = re.match(r",\s*(?:which|that|where)\b[^,;]*", after)  # "X, which opened in 2022, ..."
    if relative:
        return text[start : cand.end + relative.end()]
    stop = min([i for i in (after.find(";"), after.find(","), after.find(" and ")) if i >= 0], default=len(after))
    return text[start : cand.end + stop]


def _timeline(sentence_text: str) -> str | None:
    for pattern in lexicon().data["timeline_patterns"]:
        m = re.search(pattern, sentence_text)
        if m:
            return m.group(0)
    return None


_TO_EUROPE = re.compile(r"(?:\bChina[-\s](?:Europe|EU)\b|[\w)]-Europe\b|xin['’]?ou\b)(?!.*\bLand-Sea\b)", re.I)
_BRI_CORRIDOR = re.compile(r"\bEconomic\s+Corridor\b")


def _by_definition(cand: Candidate, found: list[str]) -> list[str]:
    """Initiatives a project belongs to by what it is (evals/GUIDELINES.md 3.5): a train service to
    Europe is part of the China-Europe Railway Express; a named economic corridor of the
    Belt and Road is part of the initiative."""
    extra = []
    if cand.kind == "rail_freight_service" and _TO_EUROPE.search(cand.name):
        extra.append("China-Europe Railway Express")
    if cand.kind == "economic_corridor" and _BRI_CORRIDOR.search(cand.name) and "-" in cand.name:
        extra.append("Belt and Road Initiative")
    return found + [e for e in extra if e not in found]


def _initiatives(sentence_text: str, canonical: Canonicaliser) -> list[str]:
    found = []
    for m in _initiative_regex().finditer(sentence_text):
        name = canonical.initiatives.find(m.group(0))
        if name and name not in found:
            found.append(name)
    return found


@lru_cache(maxsize=1)
def _initiative_regex() -> re.Pattern[str]:
    names = Canonicaliser.default().tables["initiatives"]["names"]
    # Short aliases count only as capitals ("BRI", "B&R"): in lower case they are ordinary words.
    long = phrase_regex({a for canonical, aliases in names.items() for a in [canonical, *aliases] if len(a) > 3})
    short = sorted({a for aliases in names.values() for a in aliases if len(a) <= 3 and a.isupper()}, key=len, reverse=True)
    if not short:
        return long
    body = "|".join(re.escape(a) for a in short)
    return re.compile(rf"{long.pattern}|(?-i:(?<![\w&])(?:{body})(?![\w&]))", re.IGNORECASE)


def initiatives_in(text: str) -> list[str]:
    return _initiatives(text, Canonicaliser.default())


_SITED_KINDS = frozenset({"industrial_park", "trade_zone", "logistics_hub"})


def _locations(text: str, cand: Candidate, fallback: str | None, canonical: Canonicaliser) -> list[str]:
    """The places a project is in or connects: those in its name, else the nearest place named
    before it in its sentence (its own clause first), else the article's place; plus the
    province (or country) of each known city."""
    places = [p.name for p in find_places(cand.name) if p.name != "China" or cand.name.startswith("China-")]
    if "China" in places and len(places) > 1 and (cand.kind in _SITED_KINDS or _BRAND_AFTER.search(cand.name)):
        # "China-Belarus Industrial Park" lies in Belarus; "China-Europe Railway Express (Xiamen)" is Xiamen's.
        places.remove("China")
    if not places:
        sentence = cand.sentence
        before = [p for p in find_places(text, sentence.start, cand.start) if p.name != "China"]
        after = [p for p in find_places(text, cand.end, sentence.end) if p.name != "China"]
        if before:
            places = [before[-1].name]
        elif after and re.match(r"\s*(?:in|at|of|near)\s+(?:the\s+)?(?:[a-z]+\s+){0,2}$",
                                text[cand.end : after[0].start]):
            places = [after[0].name]  # "the industrial park in Zrenjanin"
        elif fallback:
            places = [fallback]
    regions = [r for r in (canonical.region_of(p) for p in places) if r]
    return list(dict.fromkeys([*places, *regions]))


@lru_cache(maxsize=1)
def _anchored_regex() -> re.Pattern[str]:
    heads = phrase_regex(lexicon().words("place_anchored_heads")).pattern
    return re.compile(rf"\b(?:(?P<the>the)|(?P<build>(?:build|building|construct|constructing)\s+an?))\s+(?P<head>{heads})"
                      r"(?![\w-]|\s+(?-i:[A-Z]))", re.I)


def _anchored(text: str, sentence: Span, found: list[Candidate], home: str | None) -> list[Candidate]:
    """'the free trade zone', 'build an international hub port' in a story about one city or
    province: that place's zone or port."""
    if home is None:
        return []
    out = []
    for m in _anchored_regex().finditer(text, sentence.start, sentence.end):
        if any(c.start <= m.start("head") < c.end for c in found):
            continue
        if re.search(r"[A-Z][\w'’-]*(?:['’]s)?\s*$", text[max(sentence.start, m.start() - 30) : m.start()]):
            continue  # "Hainan's free trade port", "Zhejiang the free trade zone": named by what precedes
        head = " ".join(m.group("head").split()).lower()
        kind = _kind_of(head) or "other"
        out.append(Candidate(_clean_name(f"{home} {head}", kind, head), kind, m.start(), m.end(), sentence))
    return out


# "exit the country via Hunchun Port": a port trains cross a border at is a land port (a border crossing).
_BORDER_CROSSED = re.compile(r"\b(?:exit|exits|exited|exiting|leave|leaves|left|leaving|enter|enters|entered|entering)\s+"
                             r"(?:the\s+country|China|the\s+border)\s+(?:via|through|at|from)\s+(?:the\s+)?$", re.I)


def extract_projects(text: str, sentences: list[Span], fallback_place: str | None) -> list[InfrastructureProject]:
    canonical = Canonicaliser.default()
    merged: dict[str, tuple[Candidate, list[Span]]] = {}
    order: list[str] = []
    # Only a Chinese city's or province's story anchors generic heads (found once: the text is long).
    tables = Canonicaliser.default().tables
    home = fallback_place if any(fallback_place in tables[t]["names"] for t in DOMESTIC_TABLES) else None
    for sentence in sentences:
        found = candidates(text, sentence)
        found.extend(_anchored(text, sentence, found, home))
        for cand in found:
            key = name_key(cand.name)
            if key in merged:
                spans = merged[key][1]
                if sentence not in spans and len(spans) < 3:
                    spans.append(sentence)
            else:
                merged[key] = (cand, [sentence])
                order.append(key)
    projects = []
    for key in order:
        cand, spans = merged[key]
        first = spans[0].text
        projects.append(InfrastructureProject(
            name=cand.name,
            kind="land_port" if cand.kind == "port" and _BORDER_CROSSED.search(text, max(0, cand.start - 60), cand.start)
            else cand.kind,
            status=_status_of(text, cand, spans),
            locations=_locations(text, cand, fallback_place, canonical),
            partners=[],
            initiatives=_by_definition(cand, _initiatives(" ".join(s.text for s in spans), canonical)),
            timeline=_timeline(first),
            evidence=[Evidence(quote=s.text, start=s.start, end=s.end) for s in spans],
        ))
    return projects
