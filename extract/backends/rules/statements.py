"""Policy statements: an actor (person, body, government or group) with a reporting or
intent verb, the position that follows it, and one statement per distinct item of a
government's list of plans."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from extract.backends.rules.lexicon import lexicon, phrase_regex
from extract.backends.rules.places import Place, dateline_spans, find_places
from extract.backends.rules.projects import initiatives_in
from extract.backends.rules.speakers import closes_quote, is_group, opens_quote, speaker_candidates
from extract.backends.rules.text import Span, sentences_by_paragraph
from extract.canonical import Canonicaliser
from schemas import Evidence, PolicyStatement

_NAME = r"[A-Z][a-z]+(?:[- ][A-Z][a-z]+){1,2}"
_NAME2 = r"[A-Z][a-z]+[- ][A-Z][a-z]+"
_QUANTIFIED_GOAL = re.compile(r"\d+(?:\.\d+)?\s*(?:%|percent|per cent|billion|million|trillion)", re.I)
_PASSIVE = re.compile(r"\s+be\s+\w+(?:ed|en|t|wn)\b", re.I)
_PASSIVE_BEFORE = re.compile(r"\b(?:was|were|been|being|is|are|be)\s+$", re.I)
_VENUE_REPORT = re.compile(r"\b(?:government\s+)?work\s+(?:report|plan)\b", re.I)
_VENUE_AT = re.compile(
    r"\b(?:at|during|in)\s+(?:the\s+)?((?:[\w'’-]+\s+){0,8}?(?:Congress|Conference|Session|Forum|Summit|meeting|news conference|press conference|two sessions)"
    r"(?:\s+of\s+(?:the\s+)?(?:[A-Z][\w'’-]*\s+){1,6}(?:Congress|Committee|Conference))?)\b"
)


@dataclass
class Actor:
    name: str
    role: str | None
    kind: str  # person, body, place, group
    jurisdiction: str | None


@lru_cache(maxsize=1)
def _verb_regex() -> tuple[re.Pattern[str], dict[str, str]]:
    classes: dict[str, str] = {}
    for kind, verbs in lexicon().data["statement_verbs"].items():
        for verb in verbs:
            classes.setdefault(verb.lower(), kind)
    # "the China-proposed initiative": a verb joined to a word before it is an adjective.
    return re.compile(r"(?<![-–])" + phrase_regex(set(classes)).pattern, re.I), classes


def _words(key: str) -> list[str]:
    return lexicon().words(key)


@lru_cache(maxsize=1)
def _demonym_regex() -> re.Pattern[str]:
    names = sorted(Canonicaliser.default().demonyms, key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(re.escape(n) for n in names)})(?![\w-])")


def _jurisdiction(*texts: str | None) -> str | None:
    for text in texts:
        if text:
            # "Ambassador of Kazakhstan to China", "state secretary at Serbia's Ministry": the first place.
            named = [(p.start, p.name) for p in find_places(text) if p.name not in lexicon().words("broad_regions")]
            named += [(m.start(), Canonicaliser.default().demonyms[m.group(0)]) for m in _demonym_regex().finditer(text)]
            if named:
                return min(named)[1]  # "Hungarian Foreign Minister", "Chinese Ambassador to Serbia": the first
            if any(marker in text.lower() for marker in _words("national_markers")):
                return "China"
    return None


def _titled(part: str, role_nouns: list[str]) -> re.Match[str] | None:
    """'Governor Zhou Mingde', 'Vietnamese Deputy Prime Minister Tran Hong Ha': a title, then a name
    of two or three words."""
    for name in (_NAME2, rf"{_NAME2}[- ][A-Z][a-z]+"):
        m = re.fullmatch(rf"(?:the\s+)?((?:[A-Z][a-z]+\s+)*?[A-Z][a-z]+)\s+({name})", part)
        if m and m.group(1).split()[-1].lower() in role_nouns and not find_places(m.group(2)):
            return m
    return None


_PLACE_SUFFIX = re.compile(r"\s+(?:(?:uygur|uyghur|zhuang|hui)\s+)?(?:autonomous\s+region|province|municipality|city)$", re.I)
_REGION_PREFIX = re.compile(r"^(?:(?:north|south|east|west|northeast|northwest|southeast|southwest|central)\s+)?China['’]s\s+",
                            re.I)
_NATIONAL_GOVERNMENT = re.compile(r"([A-Z][a-z]+)\s+(?:government|central\s+government)", re.I)


def _is_government_place(place: Place) -> bool:
    """A province, city or country speaks through its government; a region or an organisation does not."""
    return place.domestic or place.name in set(Canonicaliser.default().demonyms.values())


# What may follow a speech verb at the end of a sentence without being what was said: "on Tuesday".
# "..., Sun Yeli told a press conference.": whom the speaker told, not what.
_AUDIENCE = re.compile(r"(?:(?:a|the)\s+(?:news|press)\s+(?:conference|briefing)|reporters|journalists|the\s+media|"
                       r"(?:the\s+)?(?:Xinhua|Global\s+Times|China\s+Daily|CGTN|People's\s+Daily))"
                       r"(?:\s+(?:on|in|at)\s+[^,;]{1,40})?", re.I)
_TIME_TAIL = re.compile(
    r"(?:(?i:on|last|this|earlier\s+this)\s+(?:[A-Z][a-z]+day|(?i:week|month|year)|[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?)"
    r"(?:,?\s*\d{4})?|(?i:in\s+an?\s+(?:statement|interview|report|press\s+release)))")
_SUBORDINATE = re.compile(r"\b(?i:since|after|before|when|until|because|once|although|though)\s+(?:the\s+)?[\w'’-]+(?:\s+[\w'’-]+){0,3}\s*$")
_EMBEDDED = re.compile(r"^.*\b(?:that)\s+(?=[A-Z])")
_APPOSITIVE = re.compile(r"(?i:one\s+of|an?|the)\s+[a-z]")
_FRAMING = re.compile(r"^(?:it\s+is\s+(?:reported|understood|learned|known)\s+that|reportedly)\s+", re.I)
# Words between the actor and its verb: "Guo Ruixue also suggested", "Premier Li has asked".
_ADVERB_AFTER = re.compile(r"\s+(?:also|further|again|then|later|once\s+again|recently|repeatedly|has|have|had)$", re.I)


def _parse_subject(subject: str, last: Actor | None, paragraph_actor: Actor | None,
                   last_person: Actor | None = None, known: dict[str, Actor] | None = None) -> Actor | None:
    """The actor named by the words before a verb."""
    subject = subject.strip().strip(",")
    subject = re.sub(r"^(?:[\"“”]\s*|\s*(?:--|—|–|-)\s*)", "", subject)  # a quote mark; a dateline's dash
    subject = _FRAMING.sub("", subject)  # "It is reported that Shaanxi will ...": Shaanxi
    while _ADVERB_AFTER.search(subject):  # "Guo Ruixue also suggested", "Li Ming has also asked"
        subject = _ADVERB_AFTER.sub("", subject)
    parts = [p.strip() for p in re.split(r",\s*", subject) if p.strip()]
    if not parts:
        return None
    embedded = _EMBEDDED.search(parts[-1])
    if embedded:
        # "The “Work Points” pointed out that Hunan (will)": the subject of the reported clause.
        parts[-1] = parts[-1][embedded.end() :]
    if re.fullmatch(r"[A-Z][a-z]+", parts[-1]) and known:
        for name in reversed(list(known)):
            # "Seitkali suggested", "At the port, Xi said": the person named in full before (a Chinese
            # name gives the surname first).
            if parts[-1] in name.split()[1:] or (parts[-1] == name.split()[0] and not find_places(parts[-1])):
                return known[name]
    low = subject.lower()
    pronoun = lexicon().data["pronouns"].get(parts[-1].lower()) if len(parts[-1].split()) == 1 else None
    if pronoun:
        if pronoun == "person" and last and last.kind == "person":
            return last
        if pronoun == "person" and last_person is not None:
            return last_person  # "She noted ..." after "the ministry said": the woman named before
        return paragraph_actor or last
    role_nouns = _words("role_nouns")
    # "Li Hua, the mayor of Wuhan City, Hubei" / "Zhang San, representative of ..."
    for i, part in enumerate(parts):
        titled = _titled(part, role_nouns)
        if titled:
            # "Governor Zhou Mingde", "Vice Mayor Li Ming": the title is the role.
            return Actor(titled.group(2), titled.group(1), "person", _jurisdiction(", ".join(parts[i + 1 :]), subject))
        if re.fullmatch(_NAME, part) and not find_places(part) and not _is_org(part):
            role = ", ".join(parts[i + 1 :]) or None
            if role and not any(r in role.lower() for r in role_nouns):
                role = None
            return Actor(part, _clean_role(role), "person", _jurisdiction(role, subject))
        # "the Governor of Hubei Province Li Hua"
        m = re.fullmatch(rf"(?:the\s+)?(.+?)\s+({_NAME2})", part)
        if m and any(r in m.group(1).lower() for r in role_nouns) and not find_places(m.group(2)) \
                and not _NOT_A_NAME.search(m.group(2)):
            return Actor(m.group(2), _clean_role(m.group(1)), "person", _jurisdiction(m.group(1)))
    actor = _body_place_or_group(parts[-1], low)
    if actor is None and len(parts) > 1 and _APPOSITIVE.match(parts[-1]):
        # "Hunan Province, one of the largest inland provinces, will": the actor stands before the appositive.
        actor = _body_place_or_group(parts[-2], parts[-2].lower())
    return actor


# "President X's proposed the Belt and Road Initiative has been ...": a policy's or a facility's name, no person.
_NOT_A_NAME = re.compile(r"\b(?:Initiative|Road|Belt|Agreement|Strategy|Plan|Corridor|Railway|Port|Zone|Park|Forum)\b")


def _body_place_or_group(last_part: str, low: str) -> Actor | None:
    """The body, government or group that the last words of a subject name."""
    org = _org_phrase(last_part)
    if org:
        org = re.sub(r"^(?:the|The)\s+", "", org)
        return Actor(org, None, "body", _jurisdiction(org))
    bare = re.sub(r"^(?:the\s+)", "", last_part, flags=re.I)
    bare = _REGION_PREFIX.sub("", _PLACE_SUFFIX.sub("", bare))  # "East China's Shandong province": Shandong
    national = _NATIONAL_GOVERNMENT.fullmatch(bare)  # "the Chinese government": China
    if national and national.group(1) in Canonicaliser.default().demonyms:
        country = Canonicaliser.default().demonyms[national.group(1)]
        return Actor(country, None, "place", country)
    places = find_places(bare)
    if places and places[0].start == 0 and places[0].end >= len(bare.rstrip()) - 1 and _is_government_place(places[0]):
        return Actor(places[0].name, None, "place", places[0].name)
    for group in sorted(_words("group_actors"), key=len, reverse=True):
        if low.endswith(group) or bare.lower() == group:
            return Actor(group[0].upper() + group[1:], None, "group", None)
    return None


_SPEAKER_ROLES = ("economist", "expert", "analyst", "professor", "researcher", "officer", "inspector")
_ACRONYM = re.compile(r"(?:the\s+)?[A-Z]{2,8}")
_DESCRIBED = re.compile(r"^(?:an?|the)\s+(?P<role>[\w\s-]{2,60}?)\s+(?:for|of|at|from|with)\s+(?P<body>.+)$", re.I)


def _named_later(text: str, role: str) -> str | None:
    """The person the article names with a role: "spokesperson Zhao Lijian", "Zhao Lijian, a spokesperson"."""
    noun = re.escape(role.split()[-1])
    m = re.search(rf"\b{noun}\s+({_NAME})\b", text) or re.search(rf"\b({_NAME}),\s+(?:an?\s+|the\s+)?{noun}\b", text)
    return m.group(1) if m and not find_places(m.group(1)) and not _is_org(m.group(1)) else None


def _speaker_actor(who: str, role: str | None, known: dict[str, Actor], last: Actor | None,
                   text: str = "") -> Actor | None:
    """The actor a speaker named after the position is: a person (full name, or surname or pronoun of
    one named before), a body ("the NDRC", "a spokesperson for the Foreign Ministry"), or a group."""
    bare = re.sub(r"^the\s+", "", who, flags=re.I).strip()
    if bare.lower() in ("he", "she", "him", "her"):
        return last if last and last.kind == "person" else (list(known.values())[-1] if known else None)
    roles = [*_words("role_nouns"), *_SPEAKER_ROLES]
    if who.lower().startswith("the ") and bare.lower() in roles and last is not None and last.kind == "person":
        return last  # "According to the official, ...": the person just named with a role
    if re.fullmatch(_NAME, bare) and not find_places(bare) and not _is_org(bare):
        titled = role and any(r in role.lower() for r in roles)
        clean = _clean_role(role) if titled else None
        earlier = known.get(bare)
        return earlier if earlier and not clean else Actor(bare, clean, "person", _jurisdiction(clean))
    if re.fullmatch(r"[A-Z][a-z]+", bare):
        for name in reversed(list(known)):
            if bare in name.split():
                return known[name]
        return None
    if _ACRONYM.fullmatch(who) or (_is_org(bare) and bare[:1].isupper()):
        return Actor(bare, None, "body", _jurisdiction(bare))
    described = _DESCRIBED.match(who)
    if described and any(r in described.group("role").lower() for r in roles):
        body = re.sub(r"^(?:the\s+)", "", described.group("body").strip(), flags=re.I)
        named = _named_later(text, described.group("role"))
        if named:
            # "a spokesperson for the Foreign Ministry said" ... "said FM spokesperson Zhao Lijian"
            role = f"{described.group('role')} for {body}"
            return Actor(named, role, "person", _jurisdiction(body) or _jurisdiction(role))
        if body[:1].isupper() and (_is_org(body) or _ACRONYM.fullmatch(body)):
            return Actor(body, None, "body", _jurisdiction(body))
    parent = _UNIT_UNDER.match(who)
    if parent and (_is_org(parent.group("body")) or _ACRONYM.fullmatch(parent.group("body"))):
        # "the department responsible for X under the NDRC": the body it belongs to speaks.
        return Actor(parent.group("body"), None, "body", _jurisdiction(parent.group("body")))
    group = is_group(who)
    return Actor(group, None, "group", None) if group else None


_UNIT_UNDER = re.compile(r"(?:the|a|an)\s+(?:department|office|division|bureau|unit|team|centre|center)\b.*?\s"
                         r"under\s+(?:the\s+)?(?P<body>[A-Z][\w&'’ -]*[\w)])$", re.I)


def _speaker_after(text: str, sentence: Span, known: dict[str, Actor],
                   last: Actor | None) -> tuple[Actor | None, str, str] | None:
    """'"...," said Zhang Wei, party secretary of X.', '..., Li said.', '..., according to the X Bureau.':
    the speaker named after the position. Returns (actor, verb, position); the actor is None when the
    sentence only reports figures from a source."""
    for speaker in speaker_candidates(sentence.text):
        who = re.sub(r"\s*\([^)]*\)|\s+(?:on|in)\s+[A-Z][a-z]+\.?\s*\d*$", "", speaker.who)
        actor = _speaker_actor(who, speaker.role, known, last, text)
        if actor is not None and len(speaker.position.strip(" ,\"“”")) > 8:
            if _figures_only(speaker.position):
                # "Exports rose 5%, officials said": figures, not a position
                return None, "source" if actor.kind in ("body", "group") else speaker.verb, speaker.position
            return actor, speaker.verb, speaker.position
    return None


_FIGURE = re.compile(r"\d[\d,.]*\s*(?:%|percent|per cent|billion|million|trillion|tonnes|tons|TEU|trips|trains)?")


def _figures_only(position: str) -> bool:
    """A reported figure with nothing said about plans or meaning."""
    return bool(_FIGURE.search(position)) and not lexicon().regex("future_cues").search(position) \
        and not lexicon().regex("assessment_cues").search(position)


_TITLE_BEFORE = re.compile(rf"\b((?:(?:Vice|Deputy|Executive|Party|Acting)\s+)?(?:Governor|Mayor|Minister|Premier|President|Chairman|Director|Secretary|Ambassador))\s+({_NAME2})\b")


def _titled_people(sentence: str) -> list[Actor]:
    """'Governor Zhang Mingde made the report': a title before a name gives the person's role."""
    return [Actor(m.group(2), m.group(1), "person", None) for m in _TITLE_BEFORE.finditer(sentence)
            if not find_places(m.group(2))]


def _appositive_person(sentence: str) -> Actor | None:
    """'Lin Hao, mayor of Wuhan, ...' at the start of a sentence: the person and the role."""
    m = re.match(rf"({_NAME}),\s+([^,]{{3,120}}),", sentence)
    if not m or find_places(m.group(1)) or _is_org(m.group(1)):
        return None
    role = m.group(2)
    if not any(r in role.lower() for r in _words("role_nouns")):
        return None
    return Actor(m.group(1), _clean_role(role), "person", _jurisdiction(role))


def _clean_role(role: str | None) -> str | None:
    if not role:
        return None
    role = re.sub(r"^(?:the|a|an)\s+", "", role.strip().rstrip(",;:").strip(), flags=re.I)
    return role or None


def _is_org(text: str) -> bool:
    return any(re.search(rf"\b{re.escape(h)}(?:\W|$)", text) for h in _words("org_heads"))


@lru_cache(maxsize=1)
def _org_regex() -> re.Pattern[str]:
    heads = "|".join(re.escape(h) for h in sorted(_words("org_heads"), key=len, reverse=True))
    return re.compile(rf"((?:[A-Z][\w'’.-]*\s+(?:of\s+|and\s+|for\s+)?)*(?:{heads})(?:\s+of\s+(?:the\s+)?[A-Z][\w'’-]*(?:\s+(?:and\s+)?[A-Z][\w'’-]*)*)?)\s*$")


def _org_phrase(text: str) -> str | None:
    m = _org_regex().search(text.strip())
    if m and len(m.group(1).split()) >= 2:
        return m.group(1).strip()
    return None


_LEADER = re.compile(r"\b(?:president|premier|general secretary|party secretary|secretary of the [\w\s]*party committee|"
                     r"governor|mayor|minister)\b", re.I)
_DELEGATE = re.compile(r"\b(?:representative|deputy|delegate|member of the|cppcc)\b", re.I)


_OUGHT = re.compile(r"\b(?:should|must|ought\s+to|needs?\s+to|would\s+like\s+to\s+see|want\s+to\s+see|hope\s+to\s+see)\b", re.I)
_DELEGATES = re.compile(r"(?:Delegates|Deputies|Representatives|Lawmakers|Legislators|Experts)", re.I)


def _kind(verb_class: str, actor: Actor, complement: str, verb: str = "") -> str:
    future = lexicon().regex("future_cues").search(complement[:200]) is not None
    role = (actor.role or "").lower()
    government = actor.kind in ("place", "body") or any(r in role for r in _words("government_roles"))
    if verb_class == "proposal":
        if verb.lower() in ("urged", "urges", "urge") and actor.kind == "person" and _LEADER.search(role) \
                and not _DELEGATE.search(role):
            return "directive"  # "President Xi ... urged it to step up research": a leader's order (GUIDELINES 4.2)
        return "plan" if government and not _DELEGATE.search(role) else "proposal"
    if verb_class == "directive":
        return "directive" if actor.kind == "person" else "plan"
    if verb_class == "assessment":
        delegates = actor.kind == "group" and _DELEGATES.fullmatch(actor.name) is not None
        if ((actor.kind == "person" and _DELEGATE.search(role)) or delegates) and _OUGHT.search(complement):
            return "proposal"  # a deputy's "We should open up ..." is a suggestion (GUIDELINES 4.2)
        return "plan" if future and government else "assessment"
    return "plan"


def _split_items(text: str, span: Span) -> list[Span]:
    """A list of actions ('support X, implement Y; strengthen Z') cut into one span each."""
    verbs = "|".join(re.escape(v) for v in _words("imperative_verbs"))
    cut = re.compile(rf"(?:;\s*|,\s*(?:and\s+)?|\band\s+)(?=(?:{verbs})\b|(?:special\s+)?action\s+plans\s+(?:for|on)\b)", re.I)
    out: list[Span] = []
    start = span.start
    for m in cut.finditer(text, span.start, span.end):
        if m.start() - start > 15:
            out.append(_trimmed(text, start, m.start()))
            start = m.end()
    out.append(_trimmed(text, start, span.end))
    return [s for s in out if len(s.text) > 10]


def _trimmed(text: str, a: int, b: int) -> Span:
    chunk = text[a:b]
    lead = len(chunk) - len(chunk.lstrip())
    body = chunk.strip().rstrip(".,;")
    return Span(a + lead, a + lead + len(body), body)


def _summary(actor: Actor, verb: str, complement: str) -> str:
    body = re.sub(r"^that\s+", "", complement.strip(" ,:\"“”"), flags=re.I)
    if body[:1].isupper() and body.split(" ", 1)[0].lower() in _words("imperative_verbs"):
        body = body[:1].lower() + body[1:]
    body = body.replace("“", "").replace("”", "").replace('"', "")
    words = body.split()[:40]
    while len(words) > 1 and words[-1].lower().strip(",;:") in ("and", "or", "the", "of", "a", "an", "to", "with", "in", "for"):
        words.pop()
    text = " ".join(words).rstrip(",;:.")
    verb = verb.lower()
    return f"{actor.name} {verb} {text}." if text else f"{actor.name} {verb}."


def _venue(sentence: str) -> str | None:
    if _VENUE_REPORT.search(sentence):
        return "government work report"
    m = _VENUE_AT.search(sentence)
    return " ".join(m.group(1).split()) if m else None


def _we_modal(sentence: str) -> re.Match[str] | None:
    """'We should ...', 'In addition, we must ...': a first-person plan with no verb of saying."""
    modals = "|".join(re.escape(m) for m in _words("speaker_modals"))
    connectives = "|".join(re.escape(c) for c in _words("continuing_connectives"))
    return re.match(rf"\s*(?:(?:{connectives}),?\s+)?we\s+(?:also\s+)?(?:{modals})\s+", sentence, re.I)


def _plan_lead_in(sentence: str) -> int:
    """The length of an impersonal opening that introduces planned actions ('It is necessary to ')."""
    m = lexicon().regex("plan_lead_ins").match(sentence.lstrip())
    return len(sentence) - len(sentence.lstrip()) + m.end() if m else 0


def _imperative_start(sentence: str) -> bool:
    first = re.match(r"[A-Za-z]+", sentence)
    return bool(first and first.group(0).lower() in _words("imperative_verbs"))


def _past_year(sentence: str, published: date | None) -> bool:
    years = [int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", sentence)]
    return published is None or any(y < published.year for y in years)


def extract_statements(text: str, paragraphs: list[Span], sentences: list[Span],
                       home: str | None = None, published: date | None = None) -> list[PolicyStatement]:
    verb_re, classes = _verb_regex()
    work_report = bool(_VENUE_REPORT.search(text))
    out: list[PolicyStatement] = []
    last: Actor | None = None
    last_person: Actor | None = None
    known: dict[str, Actor] = {}
    said_end = -1  # where the last sentence that named its speaker ends
    for para_sentences in sentences_by_paragraph(paragraphs, sentences):
        para_actor: Actor | None = None
        for sentence in para_sentences:
            follows_speech = said_end >= 0 and not text[said_end : sentence.start].strip()
            said_end = -1
            if last is not None and last.kind == "person":
                last_person = last
            for person in _titled_people(sentence.text):
                known.setdefault(person.name, person)
            after = _speaker_after(text, sentence, known, last)
            if after is not None and after[0] is None and after[1] == "source":
                continue  # "Exports rose 5%, customs authorities said": a data source's figures, no position
            # A person's figures (no actor returned) are read as any other sentence.
            if after is not None and after[0] is not None:
                actor, verb, position = after
                if actor.kind == "person":
                    known.setdefault(actor.name, actor)
                last = para_actor = actor
                said_end = sentence.end
                evidence = _quote_start(text, para_sentences, sentence)
                kind = _kind("assessment", actor, position)
                items = _gerund_items(text, sentence) if kind == "plan" and evidence is sentence else []
                if items:
                    # "According to the mayor, the city will focus on building X and optimizing Y": two goals.
                    out.extend(_statement(actor, kind, verb, item.text, item, sentence.text, home) for item in items)
                    continue
                said = _statement(actor, kind, verb, position, evidence, sentence.text, home)
                if not _continues(out, said, verb, para_sentences, sentence):
                    out.append(said)
                continue
            found = None
            for m in verb_re.finditer(text, sentence.start, sentence.end):
                if _PASSIVE.match(text, m.end()) or _PASSIVE_BEFORE.search(text, sentence.start, m.start()):
                    continue  # "X will be built", "X was proposed by Y": X is what is acted on, not who speaks
                lead = max([sentence.start, *(b for a, b in dateline_spans(text) if a <= sentence.start < b)])
                if _SUBORDINATE.search(text, lead, m.start()):
                    continue  # "... since the city launched the service": a clause about the past, not a position
                actor = _parse_subject(text[lead : m.start()], last, para_actor, last_person, known)
                if actor:
                    found = (actor, m)
                    break
            speaker = para_actor or (last if last is not None and last.kind in ("person", "place", "body") else None)
            if found is None and speaker is not None:
                modal = _we_modal(sentence.text)
                if modal is not None:
                    # "We should speed up ...": the plan of the speaker whose speech this is (a speech
                    # reported without quotation marks runs on over paragraphs).
                    complement = text[sentence.start + modal.end() : sentence.end]
                    out.append(_statement(speaker, "plan", "will", complement, sentence, sentence.text, home))
                    continue
                if work_report and speaker.kind == "person" and _REPORT_GOAL.search(sentence.text) \
                        and _quantified(sentence.text) and not _past_year(sentence.text, published):
                    # In a story on a work report, "The airport's cargo will strive to reach 700,000 tonnes"
                    # is a goal the report (its speaker) sets; "In 2020, exports will grow 3.4%" (a
                    # translation's tense) is last year's result.
                    out.append(_statement(speaker, "target", "said", sentence.text, sentence, sentence.text, home))
                    continue
            if found is None and follows_speech and last is not None and last.kind == "person":
                lead = _ADDING.match(sentence.text)
                if lead:
                    # "In addition, the country has also made ..." right after "She noted that ...": hers (GUIDELINES 4.1).
                    position = sentence.text[lead.end() :]
                    said_end = sentence.end
                    out.append(_statement(last, _kind("assessment", last, position), "said", position, sentence,
                                          sentence.text, home))
                    continue
            if found is None:
                person = _appositive_person(sentence.text)
                if person is not None:
                    # "Lin Hao, mayor of Wuhan, attended ...": a later "He said" is his.
                    last = known.setdefault(person.name, person)
                lead_in = _plan_lead_in(sentence.text)
                if para_actor and para_actor.kind == "place" and (lead_in or _imperative_start(sentence.text)):
                    # "Support ...", "It is necessary to build ...", "Steps will be taken to ...": the plan goes on.
                    start = sentence.start + lead_in
                    out.extend(_plan_items(text, para_actor, "will", sentence, Span(start, sentence.end, text[start : sentence.end]),
                                           home))
                continue
            actor, m = found
            if actor.kind == "person":
                # A person named again without a role keeps the role given earlier.
                earlier = known.get(actor.name)
                if earlier and not actor.role:
                    actor = earlier
                known.setdefault(actor.name, actor)
            last = actor
            para_actor = actor
            said_end = sentence.end
            verb = " ".join(m.group(0).split())
            verb_class = classes[verb.lower()]
            complement = text[m.end() : sentence.end]
            tail = complement.strip(" .,;\"”")
            if len(tail) < 3 or _TIME_TAIL.fullmatch(tail) or _AUDIENCE.fullmatch(tail):
                # "The port handled ..., officials said.": the position stands before the actor.
                before = text[sentence.start : m.start()]
                cut = before.rfind(",")
                if cut <= 0:
                    continue  # a bare speech tag ('" she said.'): no position of its own
                if _figures_only(before[:cut]):
                    continue  # "Exports rose 5%, Meng said": figures the speaker reports, no position
                complement = "that " + before[:cut]
            kind = _kind(verb_class, actor, complement, verb)
            if verb.lower() in ("issued", "has issued") and not _TO_VERB.search(complement):
                continue  # "The city issued the Key Points for 2021": a document's title; its contents are the plans
            if kind == "plan" and actor.kind == "place":
                out.extend(_plan_items(text, actor, verb, sentence, Span(m.end(), sentence.end, complement), home))
                continue
            if kind == "assessment" and verb_class == "assessment" and _figures_only(complement) \
                    and not _REVIEW.search(sentence.text):
                continue  # "Meng said exports rose 5%": figures the speaker reports (metrics), no position
            said = _statement(actor, kind, verb, complement, sentence, sentence.text, home)
            if not _continues(out, said, verb, para_sentences, sentence):
                out.append(said)
    spelled = _acronyms(text)
    out = [part for s in out for part in _targets_split(text, s)]
    out = _venues_carried(out, work_report)
    return [s.model_copy(update={"actor": spelled[s.actor]}) if s.actor in spelled else s for s in out]


# A report's review of the year, or figures given a cause, say what the results mean: an assessment.
_REVIEW = re.compile(r"\b(?:work\s+)?report\b|\b(?:through|by)\s+(?:\w+ly\s+)?\w+ing\b|\b(?:thanks\s+to|due\s+to|because|"
                     r"affected\s+by|driven\s+by|owing\s+to|on\s+the\s+back\s+of)\b", re.I)
_ADDING = re.compile(r"\s*(?:In\s+addition|Besides|Moreover|Furthermore|What\s+is\s+more),\s+")
_THE_REPORT = re.compile(r"\b(?:in|of)\s+the\s+report\b|\bthe\s+report\s+(?:proposes|proposed|says|said|points\s+out|pointed\s+out|noted)\b",
                         re.I)


_AND_THE = re.compile(r",\s+and\s+(?:the\s+)?(?=[a-z])")


def _targets_split(text: str, s: PolicyStatement) -> list[PolicyStatement]:
    """"... make the port's throughput exceed 9 million TEU, and the trains exceed 10,000": two figures
    to reach, joined by ", and", are two targets (GUIDELINES 4.3: one statement per goal)."""
    if s.kind != "target" or len(s.evidence) != 1:
        return [s]
    ev = s.evidence[0]
    cuts = [m for m in _AND_THE.finditer(ev.quote)]
    if len(cuts) != 1:
        return [s]
    cut = cuts[0]
    head, tail = ev.quote[: cut.start()], ev.quote[cut.start() + 1 :]
    if not (_quantified(head) and _quantified(tail) and _REPORT_GOAL.search(head)):
        return [s]  # "exports rose 5%, and the group plans to ...": a record, then one goal
    first = _trimmed(text, ev.start, ev.start + cut.start())
    second = _trimmed(text, ev.start + cut.start() + 1, ev.end)
    return [s.model_copy(update={"evidence": [Evidence(quote=p.text, start=p.start, end=p.end)],
                                 "summary": s.summary if i == 0 else f"{s.actor} aims for {p.text.removeprefix('and ')}.",
                                 "initiatives": initiatives_in(p.text)})
            for i, p in enumerate((first, second))]


def _venues_carried(out: list[PolicyStatement], work_report: bool) -> list[PolicyStatement]:
    """A speaker's later statements keep the venue named for an earlier one ("Wang said at the
    session ..." then "He said that ..."); "said in the report" in a story about a work report
    is the report (evals/GUIDELINES.md 4.4)."""
    venues: dict[str, str] = {}
    carried = []
    for s in out:
        if not s.venue and work_report and _THE_REPORT.search(s.evidence[0].quote):
            s = s.model_copy(update={"venue": "government work report"})
        if s.venue:
            venues.setdefault(s.actor, s.venue)
        elif s.actor in venues:
            s = s.model_copy(update={"venue": venues[s.actor]})
        carried.append(s)
    return carried


_DEFINED = re.compile(r"((?:[A-Z][\w&'’-]*\s+(?:(?:of|and|for|on)\s+(?:the\s+)?)?){2,10})\((?:the\s+)?([A-Z][A-Za-z&]{1,9})\)")


def _acronyms(text: str) -> dict[str, str]:
    """'the National Development and Reform Commission (NDRC)': NDRC -> the name it stands for."""
    out: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        name = re.sub(r"^(?:The|the)\s+", "", m.group(1).strip())
        initials = "".join(w[0] for w in name.split() if w[:1].isupper())
        if m.group(2).isupper() and len(m.group(2)) >= 2 and m.group(2)[0] == initials[:1]:
            out.setdefault(m.group(2), name)
    return out


def _continues(out: list[PolicyStatement], said: PolicyStatement, verb: str, para_sentences: list[Span],
               sentence: Span) -> bool:
    """'He added that ...' right after the same speaker's statement in the paragraph goes on with the
    same position: its quote joins that statement's evidence (True) instead of making a new one."""
    if not out or (verb.lower() not in _words("continuing_verbs") and said.kind != "assessment"):
        return False  # a speaker's next sentence of assessment goes on with the same view (GUIDELINES 4.3)
    previous = out[-1]
    i = para_sentences.index(sentence)
    same_kind = previous.kind == said.kind or (previous.kind in ("plan", "target", "proposal")
                                               and _GOAL_IS.search(sentence.text) is not None)
    if i == 0 or previous.actor != said.actor or not same_kind or previous.evidence[-1].end < para_sentences[i - 1].start:
        return False
    if len(previous.evidence) < 3:
        previous.evidence.append(said.evidence[0])
        previous.initiatives = list(dict.fromkeys([*previous.initiatives, *said.initiatives]))
    return True


# "Our goal is to ...", "The aim is to ...": the goal of the plan the speaker has just stated.
_GOAL_IS = re.compile(r"\b(?:our|the|its|their)\s+(?:\w+\s+)?(?:goal|aim|target|objective)\s+is\s+to\b", re.I)


def _quote_start(text: str, para_sentences: list[Span], sentence: Span) -> Span:
    """The evidence of a quotation that closes in `sentence`: from the sentence that opened it."""
    if not closes_quote(sentence.text) or opens_quote(sentence.text):
        return sentence
    i = para_sentences.index(sentence)
    for earlier in reversed(para_sentences[max(0, i - 2) : i]):
        if opens_quote(earlier.text):
            return Span(earlier.start, sentence.end, text[earlier.start : sentence.end])
    return sentence


_REPORT_GOAL = re.compile(r"\b(?:will(?:\s+strive\s+to)?\s+(?!be\b)[a-z]+|strive\s+to|expected\s+goals?|aims?\s+to|targets?)\b", re.I)
_TO_VERB = re.compile(r"\bto\s+(?!the\b|a\b|an\b|as\b|\d)[a-z]+\b|\bcalling\s+for\b|\burging\b")
_PLANS = re.compile(r"\b(?:plans?|aims?|intends?|strives?)\s+to\b|\bwill\s+(?!be\b)", re.I)
_COUNTED = re.compile(r"\b(?:to\s+)?(\d[\d,]*(?:\.\d+)?)\s+([a-z][\w-]*)", re.I)


def _quantified(complement: str) -> bool:
    """A figure to reach: a share or an amount ("5%", "2 billion"), or a count of a counted noun
    ("run 1,300 trains", "increase ... to 400 this year")."""
    if _QUANTIFIED_GOAL.search(complement):
        return True
    units = lexicon().unit_map
    for m in _COUNTED.finditer(complement):
        noun = m.group(2).lower()
        if noun in units or (m.group(0)[:3].lower() == "to " and noun in ("this", "next", "by", "in")):
            return True
    return False


def _planned_count(complement: str) -> bool:
    """A plan word followed by a figure to reach ("..., and the group plans to open 5,200 trains this
    year"): the plan's goal, wherever it stands in the sentence."""
    return any(_quantified(complement[m.end() :]) for m in _PLANS.finditer(complement))


def _is_city(name: str) -> bool:
    return name in Canonicaliser.default().tables["cities"]["names"] and Canonicaliser.default().region_of(name) is not None


def _is_government(actor: Actor) -> bool:
    role = (actor.role or "").lower()
    return actor.kind in ("place", "body") or any(re.search(rf"\b{re.escape(r)}\b", role) for r in _words("government_roles"))


def _statement(actor: Actor, kind: str, verb: str, complement: str, evidence: Span, sentence_text: str,
               home: str | None = None) -> PolicyStatement:
    if kind == "plan" and _quantified(complement):
        kind = "target"  # a plan with a figure to reach is a quantified goal
    elif kind == "assessment" and _planned_count(complement):
        kind = "target"  # "said the group plans to run more than 5,200 trains this year"
    jurisdiction = actor.jurisdiction
    if jurisdiction is None and _is_government(actor):
        # A governor's or a body's words with no place in the title: the government the article is about.
        jurisdiction = home or _jurisdiction(sentence_text)
        if jurisdiction and re.search(r"\b(?:governor|provincial)\b", actor.role or "", re.I):
            # A governor governs a province: in a story told from its capital, the capital's province.
            jurisdiction = Canonicaliser.default().region_of(jurisdiction) if _is_city(jurisdiction) else jurisdiction
    return PolicyStatement(
        actor=actor.name,
        actor_role=actor.role,
        jurisdiction=jurisdiction,
        kind=kind,
        summary=_summary(actor, verb, complement),
        initiatives=initiatives_in(evidence.text),
        venue=_venue(sentence_text),
        evidence=[Evidence(quote=evidence.text, start=evidence.start, end=evidence.end)],
    )


@lru_cache(maxsize=1)
def _gerund_regexes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    stems = "|".join(re.escape(v.rstrip("e")) for v in _words("imperative_verbs") if v.isalpha() and not v.endswith("ly"))
    return (re.compile(rf"\b(?:on|to|by|in)\s+(?:{stems})(?:e|i)?ing\b", re.I),
            re.compile(rf",?\s+and\s+(?=(?:{stems})(?:e|i)?ing\b)", re.I))


def _gerund_items(text: str, sentence: Span) -> list[Span]:
    """"... will focus on building X and optimizing Y": one span per goal (GUIDELINES 4.3), the first from
    the sentence's start, so that it names the speaker; [] when the sentence holds one goal."""
    opener, joiner = _gerund_regexes()
    first = opener.search(sentence.text)
    if first is None:
        return []
    cuts = list(joiner.finditer(text[sentence.start + first.end() : sentence.end]))
    if not cuts:
        return []
    out, start = [], sentence.start
    for cut in cuts:
        out.append(_trimmed(text, start, sentence.start + first.end() + cut.start()))
        start = sentence.start + first.end() + cut.end()
    out.append(_trimmed(text, start, sentence.end))
    return out


def _plan_items(text: str, actor: Actor, verb: str, sentence: Span, complement: Span,
                home: str | None = None) -> list[PolicyStatement]:
    items = _split_items(text, complement)
    verb = "plans to" if len(items) > 1 or _imperative_start(complement.text.strip()) else verb
    out = []
    for i, item in enumerate(items):
        # The first item's evidence starts at the sentence, so that it names the actor.
        listed = _listed_plans(text, item)
        if listed:
            out.extend(_statement(actor, "plan", verb, f"{lead}{part.text}", part, sentence.text, home)
                       for lead, part in listed)
            continue
        evidence = _trimmed(text, sentence.start, item.end) if i == 0 else item
        out.append(_statement(actor, "plan", verb, item.text, evidence, sentence.text, home))
    return out


_LISTED_PLANS = re.compile(r"(?:(?:implement|carry\s+out|formulate|launch)\s+(?:the\s+)?)?"
                           r"(?P<lead>(?:special\s+)?action\s+plans\s+(?:for|on)\s+)", re.I)


def _listed_plans(text: str, item: Span) -> list[tuple[str, Span]]:
    """'action plans for A, B, C and D': one plan each (GUIDELINES 4.3: different goals)."""
    m = _LISTED_PLANS.match(text, item.start)
    if not m or "," not in text[m.end() : item.end]:
        return []
    lead = "carry out " + " ".join(m.group("lead").lower().split()).replace("plans", "plan") + " "
    out, start = [], m.end()
    listed = text[m.end() : item.end]
    # "A, B and C": the last "and" joins the list; "A, B, and C and D": the comma does, "C and D" is one item.
    joiner = r",\s*(?:and\s+)?" if re.search(r",\s*and\s", listed) else r",\s*|\s+and\s+(?=[^,]*$)"
    for cut in re.finditer(joiner, listed):
        out.append(_trimmed(text, start, m.end() + cut.start()))
        start = m.end() + cut.end()
    out.append(_trimmed(text, start, item.end))
    parts = [p for p in out if len(p.text) > 3]
    return [(lead, p) for p in parts] if len(parts) > 1 else []
