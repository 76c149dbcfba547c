"""The offline `rules` backend: deterministic, no network, no key.

Rules about English, numbers and news: quantities with scale and unit, time phrases
resolved against the published date, project nouns and their modifiers, actors with
reporting verbs. Nothing here knows any particular article.
"""

from __future__ import annotations

from extract.articles import Article
from extract.backends.base import Backend
from extract.backends.rules.lexicon import lexicon
from extract.backends.rules.metrics import sentence_metrics
from extract.backends.rules.periods import TimeMention, time_mentions
from extract.backends.rules.places import Place, dominant_place, find_places
from extract.backends.rules.projects import extract_projects
from extract.backends.rules.statements import extract_statements
from extract.backends.rules.text import paragraphs, sentences
from schemas import FactSheet, Metric, Provenance


class RulesBackend(Backend):
    name = "rules"
    cpu_bound = True  # pure computation: the pipeline runs it on every core

    def fingerprint(self) -> dict[str, str]:
        return {**super().fingerprint(), "rules_version": lexicon().version}

    async def extract(self, article: Article) -> FactSheet:
        return extract_sheet(article)


def extract_sheet(article: Article) -> FactSheet:
    text, published = article.text, article.meta.published
    fallback = dominant_place(text)
    metrics: list[Metric] = []
    all_sentences = sentences(text)
    carried: tuple[list[Place], TimeMention | None] = ([], None)
    for para in paragraphs(text):
        context_places: list[Place] = []
        context_time: TimeMention | None = None
        if lexicon().regex("continuing_connectives").match(para.text):
            # "However, ..." goes on with the paragraph before: its place and period still hold.
            context_places, context_time = carried
        for sentence in (s for s in all_sentences if para.start <= s.start < para.end):
            metrics.extend(sentence_metrics(text, sentence, published, context_places, context_time, fallback))
            context_places = context_places + [p for p in find_places(text, sentence.start, sentence.end) if p.domestic]
            timed = [t for t in time_mentions(text, sentence.start, sentence.end, published) if t.period and not t.milestone]
            if timed:
                context_time = timed[-1]
        carried = (context_places, context_time)
    projects = extract_projects(text, all_sentences, fallback)
    statements = extract_statements(text, paragraphs(text), all_sentences)
    return FactSheet(
        article=article.meta,
        metrics=metrics,
        infrastructure_projects=projects,
        policy_statements=statements,
        provenance=Provenance(backend="rules", model=None, prompt_version=lexicon().version),
    )
