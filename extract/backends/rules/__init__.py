"""The offline `rules` backend: deterministic, no network, no key.

Rules about English, numbers and news: quantities with scale and unit, time phrases
resolved against the published date, project nouns and their modifiers, actors with
reporting verbs. Nothing here knows any particular article.
"""

from __future__ import annotations

import re
from datetime import date

from extract.articles import Article
from extract.backends.base import Backend
from extract.backends.rules.lexicon import lexicon
from extract.backends.rules.metrics import names_currency, sentence_metrics, without_destinations
from extract.backends.rules.periods import TimeMention, time_mentions
from extract.backends.rules.places import Place, dateline_spans, dominant_place, find_places, in_dateline, route_far_end
from extract.backends.rules.projects import extract_projects
from extract.backends.rules.statements import extract_statements
from extract.backends.rules.text import Span, paragraphs, sentences, sentences_by_paragraph
from schemas import FactSheet, Metric, Provenance


class RulesBackend(Backend):
    name = "rules"
    cpu_bound = True  # pure computation: the pipeline runs it on every core

    def fingerprint(self) -> dict[str, str]:
        return {**super().fingerprint(), "rules_version": lexicon().version}

    async def extract(self, article: Article) -> FactSheet:
        return extract_sheet(article)


def _frame(text: str, sentence_start: int, timed: list[TimeMention]) -> TimeMention | None:
    """The time a sentence sets for the ones after it: a leading phrase ("In 2018, ..."), else its
    last period that is not a running total ("since 2013" holds for its own figure only). "Launched
    in 2017, X is ..." sets none: it dates X, not the paragraph."""
    timed = [t for t in timed if t.kind != "launched"]
    if not timed:
        return None
    start = max([sentence_start, *(b for a, b in dateline_spans(text) if a <= sentence_start < b)])
    lead = [t for t in timed if t.start - start <= 40]
    if lead and lead[0].kind != "since":
        return lead[0]
    plain = [t for t in timed if t.kind != "since"]
    return plain[-1] if plain else timed[-1]


def _target_frame(text: str, published: date | None) -> str | None:
    """The year an article's plans are for, when it says so: "this year" (or "next year") in a
    sentence that states a plan or goal."""
    if published is None:
        return None
    cues = lexicon().regex("target_cues")
    for m in re.finditer(r"\b(this|next)\s+year\b", text, re.I):
        window = text[max(0, m.start() - 150) : m.end() + 150]
        if cues.search(window):
            return str(published.year + (m.group(1).lower() == "next"))
    return None


_FRAME_KINDS = ("first_n", "months", "quarter", "half", "year_to_date", "to_month", "last_year", "this_year", "year",
                "weekday", "on_day", "recent")
_EVENT_KINDS = ("weekday", "on_day", "recent")


def _article_frame(metrics: list[Metric], mentions: list[TimeMention], lead_end: int) -> str | None:
    """The reporting period an article's figures are for: the period its lead gives its first
    figures ("in the first 11 months", "last year"), when the lead gives one."""
    for mention in mentions:
        if mention.start >= lead_end:
            break
        reporting = mention.kind in _FRAME_KINDS and mention.period and not mention.future and not mention.milestone
        if reporting and (mention.kind in _EVENT_KINDS or any(m.period == mention.period for m in metrics)):
            return mention.period
    return None


def _with_article_frame(metrics: list[Metric], frame: str | None, untimed: set[int]) -> list[Metric]:
    """Reported flows with no time phrase in their paragraph ("Exports rose 5.8 percent.") take the
    article's reporting period; stocks ("the line is 1,035 km long") and goals keep none."""
    if frame is None:
        return metrics
    flow = lexicon().regex("flow_cues")
    out = []
    for i, m in enumerate(metrics):
        if i in untimed and m.period is None and m.status.value == "actual" and flow.search(m.evidence[0].quote):
            m = m.model_copy(update={"period": frame})
        out.append(m)
    return out


_PART_OPENER = re.compile(r"\s*(?:Among\s+them|Of\s+them|Of\s+these|Of\s+which|Of\s+the\s+total),")


def _parts_take_the_whole_period(metrics: list[Metric]) -> list[Metric]:
    """"63 projects were signed ... Among them, 17 are foreign-invested": the part is of the same time
    as the whole the sentence before counts."""
    out: list[Metric] = []
    for m in metrics:
        quote = m.evidence[0]
        # Metrics come in text order: the last one of an earlier sentence is the whole's (linear, not a scan).
        before = next((p for p in reversed(out) if p.evidence[0].end <= quote.start), None) \
            if m.period is None and _PART_OPENER.match(quote.quote) else None
        if before is not None and before.period:
            m = m.model_copy(update={"period": before.period})
        out.append(m)
    return out


_SINCE_LAUNCH = re.compile(r"\bsince\s+(?:the|its|their)\s+(?:launch|opening|start|inauguration)\b(?![^,;]*\b(?:19|20)\d\d\b)", re.I)
_LAUNCHED_IN = re.compile(r"\b(?:went\s+into\s+operation|was\s+launched|were\s+launched|launched|opened|started\s+operation|"
                          r"began\s+operation|was\s+put\s+into\s+operation)\s+in\s+(?:[A-Z][a-z]+\s+)?((?:19|20)\d\d)\b")


def _totals_since_a_launch(text: str, metrics: list[Metric], published: date | None) -> list[Metric]:
    """"Since the launch of the link, trains have linked 92 cities" after "The route went into operation
    in March 2011": a total from that year, to the year the figure is for (or of writing)."""
    if published is None:
        return metrics
    out = []
    for m in metrics:
        quote = m.evidence[0]
        since = _SINCE_LAUNCH.search(quote.quote)
        launched = list(_LAUNCHED_IN.finditer(text, 0, quote.start)) if since and m.status.value == "actual" else []
        if launched and (m.period is None or re.fullmatch(r"\d{4}", m.period)):
            start, end = launched[-1].group(1), m.period or str(published.year)
            if start < end:
                m = m.model_copy(update={"period": f"{start}/{end}"})
        out.append(m)
    return out


def _totals_to_reported_year(metrics: list[Metric], frame: str | None, published: date | None) -> list[Metric]:
    """In a report on an ended year ("663 trips in 2017", published January 2018), a total "since 2011"
    runs to the end of that year, not to the year of writing (GUIDELINES 7.2)."""
    if frame is None or published is None or not re.fullmatch(r"\d{4}", frame) or int(frame) >= published.year:
        return metrics
    out = []
    for m in metrics:
        since = re.fullmatch(r"(\d{4})/(\d{4})", m.period or "")
        if since and int(since.group(2)) == published.year and since.group(1) < frame:
            m = m.model_copy(update={"period": f"{since.group(1)}/{frame}"})
        out.append(m)
    return out


def _without_headline_repeats(metrics: list[Metric], first: Span | None, title: str | None) -> list[Metric]:
    """A headline's figure that the body states again is one fact: the body's sentence is its evidence."""
    if first is None:
        return metrics
    titled = bool(title) and " ".join((title or "").split()) == " ".join(first.text.split())
    if not titled and (len(first.text) > 200 or first.text.rstrip()[-1:] in ".!?\"”"):
        return metrics  # a first line that is a sentence, not a headline
    def in_headline(m: Metric) -> bool:
        return first.start <= m.evidence[0].start < first.end
    body = {(m.value, m.unit) for m in metrics if not in_headline(m)}
    # A headline names what it counts more shortly ("86 entities" for "86 countries and international
    # organizations"): the same count in the body is the same fact.
    counts = {m.value for m in metrics if not in_headline(m) and m.kind == "count"}
    return [m for m in metrics if not (in_headline(m) and ((m.value, m.unit) in body or (m.kind == "count" and m.value in counts)))]


def extract_sheet(article: Article) -> FactSheet:
    text, published = article.text, article.meta.published
    fallback = dominant_place(text)
    target_frame = _target_frame(text, published)
    metrics: list[Metric] = []
    all_sentences = sentences(text)
    carried: tuple[list[Place], TimeMention | None] = ([], None)
    paras = paragraphs(text)
    for para, para_sentences in zip(paras, sentences_by_paragraph(paras, all_sentences), strict=True):
        context_places: list[Place] = []
        context_time: TimeMention | None = None
        if lexicon().regex("continuing_connectives").match(para.text):
            # "However, ..." goes on with the paragraph before: its place and period still hold.
            context_places, context_time = carried
        for sentence in para_sentences:
            metrics.extend(sentence_metrics(text, sentence, published, context_places, context_time, fallback,
                                            target_frame))
            said = without_destinations(text, find_places(text, sentence.start, sentence.end))
            context_places = context_places + [p for p in said if p.name != "China" and not in_dateline(text, p)
                                               and not names_currency(text, p) and not route_far_end(text, p)]
            timed = [t for t in time_mentions(text, sentence.start, sentence.end, published) if t.period and not t.milestone]
            if timed:
                context_time = _frame(text, sentence.start, timed) or context_time
        carried = (context_places, context_time)
    metrics = _without_headline_repeats(metrics, paras[0] if paras else None, article.meta.title)
    lead = paras[min(2, len(paras) - 1)].end if paras else 0
    frame = _article_frame(metrics, time_mentions(text, 0, lead, published), lead) if published else None
    metrics = _with_article_frame(metrics, frame, {i for i, m in enumerate(metrics) if m.period is None})
    metrics = _parts_take_the_whole_period(metrics)
    metrics = _totals_since_a_launch(text, metrics, published)
    metrics = _totals_to_reported_year(metrics, frame, published)
    projects = extract_projects(text, all_sentences, fallback)
    statements = extract_statements(text, paragraphs(text), all_sentences, fallback, published)
    return FactSheet(
        article=article.meta,
        metrics=metrics,
        infrastructure_projects=projects,
        policy_statements=statements,
        provenance=Provenance(backend="rules", model=None, prompt_version=lexicon().version),
    )
