"""Metrics: each reportable quantity in a sentence, with kind, status, period and place."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from extract.backends.rules.lexicon import lexicon
from extract.backends.rules.numbers import Quantity, find_quantities
from extract.backends.rules.periods import TimeMention, period_for, time_mentions
from extract.backends.rules.places import Place, dateline_spans, find_places, in_dateline
from extract.backends.rules.text import Span
from extract.canonical import Canonicaliser
from schemas import Evidence, Metric

_CLAUSE_START = re.compile(r"[,;:，；]\s*|\b(?:and|while|of which|which|that)\s+", re.I)
_MEASURE = re.compile(
    r"\b(?:volume|value|trade|exports?|imports?|investment|output|number|amount|gdp|revenue|income|throughput|sales|"
    r"turnover|scale|total|utilization|capacity|traffic|frequency|foreign trade)\b",
    re.I,
)
_AFTER_PHRASE = re.compile(r"^\s*(in|of)\s+(?:the\s+)?([^,;.]{3,80}?)\s*(?=,|;|\.|$|\bover\b|\bcompared\b|\bcomes\b|\bcame\b|\bfrom\b)", re.I)
_TIME_WORDS = re.compile(
    r"(?:the\s+)?(?:first|second|third|fourth|past|last|same|previous|next|whole|full|\d{4}|january|february|march|april|"
    r"may|june|july|august|september|october|november|december|year|month|quarter|half|period)\b",
    re.I,
)
# A news dateline: "Xinhua, Hefei, March 5 --", "China News Service, Fuzhou, January 28 (Reporter X)".
_DATELINE = re.compile(r"^[A-Z][\w .'-]{1,40},\s*[A-Z][\w .'-]{1,30},\s*[A-Z][a-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?\s*(?:\([^)]*\))?\s*(?:--|—|-|:)?\s*")
_LEAD = re.compile(
    r"^(?:(?:in|during|by|since|as of|at the end of)\s+[^,]{0,30},\s*|(?:last|this|the previous)\s+year,?\s*|"
    r"(?:official\s+)?data\s+show(?:s|ed)?\s+that\s*|according\s+to\s+[^,]{0,40},\s*|it\s+is\s+reported\s+that\s*|"
    r"however,?\s*|meanwhile,?\s*|in addition,?\s*|at the same time,?\s*|among them,?\s*)+",
    re.I,
)
_TRAIL = re.compile(
    r"(?:\s+(?:has|have|had|was|were|is|are|will|would|be|been|only|also|still|further|steadily|nearly|about|around|over|"
    r"more\s+than|less\s+than|exceeded|exceeds|exceed|exceeding|reached|reach|reaching|hit|totaled|totalled|stood\s+at|"
    r"amounted\s+to|rose|grew|grow|increased|decreased|fell|dropped|declined|up|down|by|to|of|at|an?|the|"
    r"jumped|surged|soared|climbed|expanded|gained|doubled|rising|growing|surging|jumping|soaring|climbing|"
    r"from|increase|growth|decline|achieved|year-on-year|year\s+on\s+year|with|driving|opened|shipped|there|"
    r"grown|topped|tops|stand|stands|stood|strive|strives|striving|transported|handled|carried|record|record-high|"
    r"new\s+high|all-time\s+high|registered|recorded|posted|saw|see|sees|accounted\s+for|account\s+for|worth))+\s*$",
    re.I,
)


_JOINED_MEASURES = {"days": "duration", "km": "length"}
# "of goods were sent through the route": what the tonnes are of, without the clause that follows.
_OF_WHAT = re.compile(r"\s+(?:(?:was|were|is|are|has|have|had|in|during|for|from|to|by|through|via|on|at)\b|[a-z]+ed\b).*$")
_DURATION_OF = re.compile(
    r"\s+((?:(?!(?:which|that|was|is|will|has|had|in|on|at|of|for|with|and|to|from|by)\b)[A-Za-z][\w'-]*\s*){1,4}?)"
    r"(?=[,.;:]|\s*\b(?:which|that|was|is|will|has|had|in|on|at|of|for|with|and|to|from|by|through|via|across|along|between|"
    r"passes|runs|links|connects|stretches|extends|covers|crosses|starts|spans)\b|\s*\b[a-z]+ed\b|$)"
)
_TO_RATE = re.compile(r"(?<!\bup)\s+(?:to|from)\s*$", re.I)
_TO_LEVEL = re.compile(r"\s*,?\s*(?:to|at)\s+(?:(?:a|an|the)\s+)?(?:(?:record|new|total|high|level)\s+)*(?:of\s+)?", re.I)


_IRREGULAR = {"ran": "run", "run": "run", "made": "made", "sent": "sent", "built": "built", "drew": "drawn",
              "drawn": "drawn", "took": "taken", "taken": "taken", "brought": "brought", "won": "won"}
# Present tenses that say who does what a count counts: "the trains reach 72 cities" (cities reached by the trains).
_PRESENT = {"reach": "reached", "reaches": "reached", "cover": "covered", "covers": "covered", "link": "linked",
            "links": "linked", "connect": "connected", "connects": "connected", "serve": "served", "serves": "served",
            "runs": "run", "handles": "handled", "carries": "carried", "operate": "operated", "operates": "operated"}
_DOER = re.compile(
    r"^(?P<subj>(?:the\s+|its\s+)?[A-Z][^,;:]{2,90}?)\s+(?:(?:now|also|still|already|currently)\s+)?"
    r"(?:(?:has|have|had)\s+(?:also\s+|now\s+|so\s+far\s+|already\s+)?)?"
    rf"(?P<verb>[a-z]+ed|{'|'.join(_IRREGULAR)}|{'|'.join(_PRESENT)})\s+(?:a\s+total\s+of\s+|more\s+than\s+|over\s+|about\s+|nearly\s+|"
    r"around\s+|some\s+|almost\s+|up\s+to\s+)?$"
)
_CAPS_DATELINE = re.compile(r"^[A-Z]{2,}(?:\s+[A-Z]{2,})*\s*[-–—]+\s*")  # "BEIJING - The service ..."
_RELATIVE = re.compile(r",\s*(?:which|who|that)\b[^,;]*,")


def _doer(text: str, sentence: Span, start: int) -> tuple[str, str] | None:
    """'The line has carried 4.2 million passengers': (carried, the line), so that a count says whose
    it is ("passengers carried by the line"), not just what it counts."""
    lead = max([sentence.start, *(b for a, b in dateline_spans(text) if a <= sentence.start < b)])
    head = _RELATIVE.sub("", re.sub(r"^\s*(?:--|—|–|-)\s*", "", _DATELINE.sub("", text[lead:start])))
    cuts = list(_CLAUSE_START.finditer(head))
    clause = _LEAD.sub("", head[cuts[-1].end() :] if cuts else head)
    clause = _CAPS_DATELINE.sub("", clause.strip())
    m = _DOER.match(clause + " ")
    if not m or m.group("verb") in ("exceed", "reached", "totaled", "totalled", "exceeded", "increased", "decreased"):
        return None
    if m.group("subj").split()[0].lower() in ("it", "they", "this", "these", "those", "he", "she", "we"):
        return None  # a pronoun says nothing on its own
    verb = _IRREGULAR.get(m.group("verb")) or _PRESENT.get(m.group("verb"), m.group("verb"))
    subject = " ".join(m.group("subj").split())
    return verb, subject[0].lower() + subject[1:] if subject.lower().startswith(("the ", "its ")) else subject


def _growth_of(subject: str) -> str:
    """'growth of the export value': the labels' wording; a leading article is lower-cased."""
    first, _, rest = subject.partition(" ")
    if first in ("The", "Its", "Their", "This", "These", "A", "An") and rest:
        subject = f"{first.lower()} {rest}"
    return f"growth of {subject}"


def _subject(text: str, sentence: Span, q: Quantity, previous: tuple[Quantity, Metric] | None) -> str:
    measure = _JOINED_MEASURES.get(q.unit)
    if measure and re.search(r"-[a-z]+$", text[q.start : q.end].rstrip()):
        named = _DURATION_OF.match(text, q.end, sentence.end)
        if named:  # "the three-day expo": how long the expo lasts; "the 1,035-km railway": how long it is
            return f"{measure} of the {' '.join(named.group(1).split())}"
    if q.group == "count" and q.noun_phrase:
        noun = " ".join(q.noun_phrase.replace("“", "").replace("”", "").replace('"', "").split())
        doer = _doer(text, sentence, q.start)
        return f"{noun} {doer[0]} by {doer[1]}" if doer else noun
    after = text[q.end : sentence.end]
    follow = _AFTER_PHRASE.match(after)
    if follow and _TIME_WORDS.match(follow.group(2)):
        follow = None  # "fell 3.2% in the first quarter": a period, not what is measured
    if follow and q.group in ("percent", "points"):
        noun = " ".join(follow.group(2).split())
        return f"share of {noun}" if follow.group(1).lower() == "of" else noun
    lead = max([sentence.start, *(b for a, b in dateline_spans(text) if a <= sentence.start < b)])
    head = re.sub(r"^\s*(?:--|—|–|-)\s*", "", _DATELINE.sub("", text[lead : q.start]))  # after "KUNMING, Nov. 20 (Xinhua) --"
    if previous is not None and previous[0].group == "percent" and _TO_LEVEL.fullmatch(text, previous[0].end, q.start) and (
            q.group != "percent" or previous[1].kind == "share"):  # "from 30 percent to 45 percent": two levels
        return previous[1].subject.removeprefix("growth of ")  # "trade rose 13 percent to 45 billion yuan"
    if previous is not None and q.group == "percent":
        between = text[previous[0].end : q.start]
        if len(between) < 60 and not _MEASURE.search(between):
            return _growth_of(previous[1].subject)
    measured = list(_MEASURE.finditer(head))
    if measured:
        cuts = [c for c in _CLAUSE_START.finditer(head, 0, measured[-1].start())]
        clause = head[cuts[-1].end() :] if cuts else head
    else:
        cuts = list(_CLAUSE_START.finditer(head))
        clause = head[cuts[-1].end() :] if cuts else head
    clause = _LEAD.sub("", clause.strip())
    clause = _TRAIL.sub("", " " + clause).strip(" ,;:")
    words = clause.replace("“", "").replace("”", "").replace('"', "").split()
    if len(words) < 2 and previous is not None:
        return _growth_of(previous[1].subject) if q.group == "percent" else previous[1].subject
    if len(words) < 2 and follow and q.group == "volume" and follow.group(1).lower() == "of":
        return _OF_WHAT.sub("", " ".join(follow.group(2).split()))  # "Some 94,000 tonnes of supplies were sent"
    if not words:
        return "figure reported"
    words = words[:20]
    while len(words) > 1 and words[-1].lower() in ("and", "the", "of", "a", "an", "to", "with", "in"):
        words.pop()
    return " ".join(words)


_CHANGE_AFTER = re.compile(r"\s+(?:(?:year-on-year|annual|yearly)\s+)?(?P<noun>increase|rise|growth|jump|surge|gain|"
                           r"(?P<fall>decrease|decline|drop|fall|reduction))\b", re.I)


def _kind(q: Quantity, before: str, after: str = "") -> tuple[str, int]:
    """Metric kind and sign (+1 or -1) from the unit and the words before the number (or, for
    'a 63 percent increase', the noun right after it)."""
    lex = lexicon()
    change = _CHANGE_AFTER.match(after) if q.group in ("percent", "points") else None
    if change:
        return "growth", -1 if change.group("fall") else 1
    if q.group == "points":
        kind = "growth"
    elif q.group == "percent":
        window = before[-60:]
        if _TO_RATE.search(window):
            kind = "share"  # "the rate rose to 40 percent": a level reached, not a change
        elif lex.regex("share_cues").search(window) and not lex.regex("growth_cues").search(window[-25:]):
            kind = "share"
        elif lex.regex("growth_cues").search(window) or lex.regex("decline_cues").search(window):
            kind = "growth"
        else:
            kind = "share"
    elif q.group in ("money", "volume"):
        kind = "amount"
    else:
        kind = "count"
    sign = 1
    if kind == "growth" and lex.regex("decline_cues").search(before[-40:]):
        sign = -1
    return kind, sign


_FROM_NOW = re.compile(r"\bfrom\s+(?:about|around|nearly|some|over|more\s+than|the\s+current)?\s*$", re.I)
_TO_LATER = re.compile(r"(?:\s+[a-z]+){0,2}\s+to\s+(?:about|around|under|less\s+than|below|just|only)?\s*"
                       r"(?:\d|(?:one|two|three|four|five|six|seven|eight|nine|ten)\b)")
# Targets of no year: a proposal ("suggested that the city set up a fund of ..."), a design figure, what a
# project will do once completed.
_PROPOSED = re.compile(r"\b(?:suggest(?:s|ed)?|propos(?:e|es|ed)|recommend(?:s|ed)?|call(?:s|ed)\s+for|urg(?:e|es|ed)|"
                       r"designed\s+(?:for|to)|(?:once|when|after\s+(?:it\s+is|being))\s+completed|upon\s+completion)\b", re.I)
_VERB_AFTER = re.compile(r"(?:\s+[a-z][\w-]*){0,3}?\s+(will|(?:is|are)\s+(?:to|set\s+to|expected\s+to|likely\s+to))\b")


def _verb_after(text: str, end: int, limit: int) -> str:
    """'300 freight trains will transport ...': the figure's own verb, when it is future or planned."""
    m = _VERB_AFTER.match(text, end, limit)
    return " " + m.group(1) if m else ""


def _status(sentence_before: str, mention: TimeMention | None, published: date | None) -> str:
    lex = lexicon()
    if lex.regex("forecast_cues").search(sentence_before):
        return "forecast"
    if mention is not None and mention.future:
        return "target"
    # A figure for a year already over is a result, whatever tense a translation gives it.
    if mention is not None and mention.period and published and int(mention.period.split("/")[-1][:4]) < published.year:
        return "actual"
    if any(not _ENABLED.search(sentence_before, max(0, m.start() - 80), m.start())
           for m in lex.regex("target_cues").finditer(sentence_before)):
        return "target"
    return "actual"


# "has enabled cars to reach new markets": a result already there, not a goal "to reach".
_ENABLED = re.compile(r"\b(?:enabled|allowed|helped|made\s+it\s+possible\s+for)\s+(?:[\w'’-]+\s+){0,8}$", re.I)


_ORG_HEAD = re.compile(r"\b(?:Group|Railways?|Bank|Company|Corporation|Association|Fund|Organization|Organisation)\b")
_CURRENCY_AFTER = re.compile(r"\s*(?:dollars?|USD)\b", re.I)


def names_currency(text: str, place: Place) -> bool:
    """'U.S. dollars', 'Hong Kong dollars': the place names a currency, not where a figure is."""
    return bool(_CURRENCY_AFTER.match(text, place.end))
_ANAPHOR = re.compile(r"\b(?:the|this|that|our)\s+(province|city|country|region|municipality|nation|port(?!\s+of\b))\b", re.I)
# Where an attribution starts: places in it name the source ("statistics from the X Customs"), not the figure's place.
_ATTRIBUTION = re.compile(r"\baccording\s+to\b|\b(?:data|statistics|figures)\s+(?:from|released\s+by|of)\b", re.I)
_AFTER_PLACE = re.compile(r"^[^,;.]{0,40}?\b(?:in|into|across|from)\s+(?:the\s+)?$", re.I)
# A place goods, trains or exports go to is a destination, not where the figure is: "50 (trains) to Russia",
# "its exports to the United States".
_DESTINATION = re.compile(r"\b(?:to|towards|bound\s+for|destined\s+for|heading\s+for)\s+(?:the\s+)?$", re.I)
_LIST_GAP = re.compile(r"\s*(?:,|,?\s*(?:and|or))\s*(?:the\s+)?$")


def without_destinations(text: str, places: list[Place]) -> list[Place]:
    """`places` (in text order) less the destinations: "to Russia", and the list a "to" heads
    ("to Germany, Turkey and Iran")."""
    out = []
    destination_end = -1
    for p in places:
        if _DESTINATION.search(text, max(0, p.start - 20), p.start) or (
                destination_end >= 0 and _LIST_GAP.match(text[destination_end : p.start])):
            destination_end = p.end
            continue
        out.append(p)
    return out


def _kind_matches(place: Place, word: str) -> bool:
    if word in ("province", "region"):
        return place.table == "provinces"
    if word in ("city", "municipality", "port"):
        return place.table == "cities"  # "the port's throughput": the port city's
    return place.table == "partners"


def _resolve_anaphor(word: str, earlier: list[Place]) -> str | None:
    """'the province' in a paragraph about Zhengzhou is Henan: the latest place of that kind, or the
    province (country) of the latest city."""
    canonical = Canonicaliser.default()
    for place in reversed(earlier):
        if _kind_matches(place, word):
            return place.name
        region = canonical.region_of(place.name) if place.table == "cities" else None
        if region and word not in ("city", "municipality", "port"):
            region_table = "provinces" if region in canonical.tables["provinces"]["names"] else "partners"
            if (region_table == "provinces") == (word in ("province", "region")):
                return region
    return None


def _subject_places(text: str, q: Quantity, places: list[Place]) -> list[Place]:
    """Places that can be what a figure is about: not the figure's own unit ("U.S. dollars"), not a
    route's far end ("China-Europe trains" is about neither; "Zhengzhou-Qingdao trains" is about
    Zhengzhou), not an organisation."""
    out = []
    for p in places:
        if (q.group == "money" and q.start <= p.start < q.end) or names_currency(text, p):
            continue  # "U.S. dollars" names a currency, not a place
        if p.name in lexicon().words("broad_regions"):
            continue  # "Europe", "ASEAN": where goods go, rarely what a figure is about
        joined_before = p.start > 0 and text[p.start - 1] in "-–—"
        joined_after = text[p.end : p.end + 1] in ("-", "–", "—")
        if joined_before:
            continue
        if joined_after and p.name == "China":
            continue
        if p.table == "partners" and _ORG_HEAD.search(p.name):
            continue
        out.append(p)
    return out


_LINE_NAME = re.compile(r"\b([A-Z][\w'’]+(?:\s[A-Z][\w'’]+)?)[-–]([A-Z][\w'’]+(?:\s[A-Z][\w'’]+)?)\s+"
                        r"(?:(?:High-Speed|high-speed|International|international)\s+)?(?:Railway|railway|Rail|rail|Line|line)\b(?!\s+(?i:express))")


def _country(name: str) -> str | None:
    canonical = Canonicaliser.default()
    if name in canonical.tables["provinces"]["names"]:
        return "China"
    region = canonical.region_of(name)
    if region is None:
        return name if name in canonical.tables["partners"]["names"] else None
    return "China" if region in canonical.tables["provinces"]["names"] else region


def _crosses_border(text: str, sentence: Span) -> bool:
    """Whether the sentence names a line between two countries ("the China-Laos Railway", "the
    Budapest-Belgrade railway"): its figures belong to no one place."""
    for m in _LINE_NAME.finditer(text, sentence.start, sentence.end):
        first, second = find_places(m.group(1)), find_places(m.group(2))
        # "The China-Laos Railway": the first end is the place that ends just before the hyphen.
        ends = ((first[-1:] if first and first[-1].end == len(m.group(1)) else []) +
                (second[:1] if second and second[0].start == 0 else []))
        if len(ends) == 2 and not any(e.name in lexicon().words("broad_regions") for e in ends):
            countries = {_country(e.name) for e in ends}
            if None not in countries and len(countries) == 2:
                return True
    return False


def _location(text: str, sentence: Span, q: Quantity, places: list[Place], context: list[Place],
              fallback: str | None) -> str | None:
    context = [p for p in context if p.name not in lexicon().words("broad_regions")]
    """The place the figure is about: a place in its own noun phrase; one the subject refers to
    ("the province", "the country"); the subject's place ("China's trade with ..." is China, "trade
    between China and Serbia" is Serbia); a place the figure is "in"; the paragraph's; the article's."""
    places = _subject_places(text, q, places)
    inside = [p for p in places if q.noun_start <= p.start < q.end and p.name != "China"]
    if inside:
        return inside[0].name
    national = q.noun_phrase.split(" ", 1)[0] if q.group == "count" and " " in q.noun_phrase else ""
    if national in Canonicaliser.default().demonyms:
        return Canonicaliser.default().demonyms[national]  # "35 Chinese cities", "3,000 Serbian workers"
    before = [p for p in places if p.end <= q.start]
    anaphor = list(_ANAPHOR.finditer(text, sentence.start, sentence.end))
    if anaphor:
        word = anaphor[0].group(1).lower()
        resolved = _resolve_anaphor(word, context + [p for p in before if p.start < anaphor[0].start()])
        if resolved:
            return resolved
    if before:
        possessive = [p for p in before if text[p.end : p.end + 2] in ("'s", "’s")]
        if possessive:
            # "Southwest China's Chongqing Municipality": the place the possessive introduces.
            named = [p for p in before if p.start - possessive[0].end in (3, 4)]
            return named[0].name if named else possessive[0].name
    after = [p for p in places if p.start >= q.end and p.name != "China"]
    if after and _AFTER_PLACE.match(text[q.end : after[0].start]):
        return after[0].name  # "invested $6.5 billion in Serbia", "60% ... comes from Sichuan"
    if _crosses_border(text, sentence):
        return None  # "The China-Laos Railway has carried 1.7 million passengers": no one place's figure
    if before:
        named = [p for p in before if p.name != "China"]
        if named:
            return named[-1].name
    if before:
        return before[-1].name
    if context:
        return context[-1].name
    source = _ATTRIBUTION.search(text, q.end, sentence.end)
    after = [p for p in after if source is None or p.start < source.start()]  # "according to the Qingdao Customs"
    if after:
        return after[0].name
    return fallback


_SO_FAR = re.compile(r"so\s+far|to\s+date|up\s+to\s+now", re.I)


def _so_far_this_year(text: str, mention: TimeMention | None, context: TimeMention | None) -> TimeMention | None:
    """"So far" after a sentence about this year ("Volume has grown this year. So far it has reached ...")
    is the year so far: year-to-date, not the month of writing."""
    if (mention is None or context is None or mention.kind != "present" or context.kind != "this_year"
            or not mention.period or not context.period or not _SO_FAR.fullmatch(text[mention.start : mention.end])):
        return mention
    year, month = mention.period[:4], mention.period[5:7]
    if year != context.period or not month:
        return mention
    period = f"{year}-01/{year}-{month}" if month != "01" else f"{year}-01"
    return dataclasses.replace(mention, period=period, kind="year_to_date")


_LENGTH_WORDS = re.compile(r"\b(?:long|length|covers?|covering|measures?|measuring|distance|speed|designed)\b", re.I)


def _is_length(text: str, sentence: Span, q: Quantity) -> bool:
    """A length or a speed of a line, route or journey (GUIDELINES 2.5: a stock, no period): a
    distance joined to its noun ("the 11,000-km journey") or stated as a length ("covers 6,360 km")."""
    if q.unit not in ("km", "km/h"):
        return False
    if _JOINED_KM.match(text, q.start, min(sentence.end, q.end + 12)):
        return True
    return bool(_LENGTH_WORDS.search(text, max(sentence.start, q.start - 40), min(sentence.end, q.end + 20)))


_JOINED_KM = re.compile(r"[\d,.]+-(?:km|kilomet(?:er|re))\b", re.I)


def sentence_metrics(
    text: str,
    sentence: Span,
    published: date | None,
    context_places: list[Place],
    context_time: TimeMention | None,
    fallback_place: str | None,
    target_frame: str | None = None,
) -> list[Metric]:
    """The metrics stated in one sentence; evidence is the sentence itself."""
    quantities = find_quantities(text, sentence.start, sentence.end)
    if not quantities:
        return []
    mentions = time_mentions(text, sentence.start, sentence.end, published)
    # Destinations are found once per sentence: no quantity of it is about them.
    places = without_destinations(text, [p for p in find_places(text, sentence.start, sentence.end)
                                         if not in_dateline(text, p)])
    evidence = [Evidence(quote=sentence.text, start=sentence.start, end=sentence.end)]
    out: list[Metric] = []
    for q in quantities:
        before = text[sentence.start : q.start]
        kind, sign = _kind(q, before, text[q.end : min(q.end + 40, sentence.end)])
        mention = period_for(q.start, mentions, text, (sentence.start, sentence.end), q.end)
        # A goal year set earlier ("by 2025") does not carry into a sentence that states no goal.
        if mention is None and context_time is not None and not (
                context_time.future and not lexicon().regex("target_cues").search(sentence.text)):
            mention = context_time
        mention = _so_far_this_year(text, mention, context_time)
        status = _status(before + _verb_after(text, q.end, sentence.end), mention, published)
        if status == "target" and _FROM_NOW.search(before[-40:]) and _TO_LATER.match(text, q.end, sentence.end):
            status = "actual"  # "will cut the trip from eight hours to three": eight is how it is now
        period = mention.period if mention else None
        if period and _is_length(text, sentence, q):
            period = None  # "the 11,000-km journey", "the line is 350 km long": a property of the route
        if period is None and status == "target" and not _PROPOSED.search(sentence.text):
            period = target_frame  # the year the article's plans are for (a delegate's proposal names no year)
        previous = (quantities[len(out) - 1], out[-1]) if out else None
        out.append(Metric(
            subject=_subject(text, sentence, q, previous),
            value=sign * q.value,
            unit=q.unit,
            kind=kind,
            comparator=q.comparator,
            status=status,
            period=period,
            location=_location(text, sentence, q, places, context_places, fallback_place),
            evidence=evidence,
        ))
    return out
