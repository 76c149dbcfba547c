"""The per-article Markdown diff: missed facts, spurious facts and field errors, with quotes."""

from __future__ import annotations

import json
from typing import Any

from evals.scoring.config import MATCH_THRESHOLD
from evals.scoring.report import FACT_TYPE_NAMES, OVERALL, ArticleResult, EvalReport, FactRecord, Match, Unmatched
from evals.table import fmt

QUOTE_CHARS = 400


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return f"`{text}`" if text else "`\"\"`"


def _quotes(record: FactRecord, indent: str = "  ") -> list[str]:
    lines = []
    for ev in record.evidence:
        quote = " ".join(ev.quote.split())
        if len(quote) > QUOTE_CHARS:
            quote = quote[: QUOTE_CHARS - 1] + "…"
        where = f"[{ev.start}:{ev.end}]" if ev.found else "**quote not found in the article**"
        lines.append(f"{indent}> {quote} {where}")
    return lines


def _unmatched(item: Unmatched, other_side: str) -> list[str]:
    lines = [f"- **{item.fact.fact_type}** #{item.fact.index}: {item.fact.description}"]
    lines += _quotes(item.fact)
    if item.closest is not None:
        why = ("already paired with another fact" if item.closest_is_paired
               else f"similarity {item.closest_similarity:.2f}, needs > {MATCH_THRESHOLD}")
        lines.append(f"  - closest {other_side}: #{item.closest.index} {item.closest.description} ({why})")
    return lines


def _field_errors(match: Match) -> list[str]:
    lines = [f"- **{match.fact_type}** gold #{match.gold.index} / predicted #{match.predicted.index}: "
             f"{match.gold.description}"]
    for f in match.field_errors:
        partial = f" (score {f.score:.2f})" if 0 < f.score < 1 else ""
        lines.append(f"  - {f.field}: gold {_value(f.gold)} · predicted {_value(f.predicted)}{partial}")
    lines += _quotes(match.gold)
    return lines


def _section(title: str, items: list[list[str]]) -> list[str]:
    if not items:
        return []
    out = [f"### {title} ({len(items)})", ""]
    for item in items:
        out += item
    return [*out, ""]


def render_article(article: ArticleResult) -> list[str]:
    c = article.counts[OVERALL]
    lines = [f"## {article.article_id}: F1 {fmt(c.f1)} (P {fmt(c.precision)}, R {fmt(c.recall)})", ""]
    if not article.valid:
        lines += [f"**Output invalid:** {article.error}", ""]
    lines += ["| fact type | gold | predicted | matched | P | R | F1 |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key in (*FACT_TYPE_NAMES, OVERALL):
        k = article.counts[key]
        lines.append(f"| {key} | {k.gold} | {k.predicted} | {k.matched} | {fmt(k.precision)} | {fmt(k.recall)} | {fmt(k.f1)} |")
    lines.append("")
    with_errors = [m for m in article.matched if m.field_errors]
    lines += _section("Missed: in gold, not predicted", [_unmatched(u, "prediction") for u in article.missed])
    lines += _section("Spurious: predicted, not in gold", [_unmatched(u, "gold fact") for u in article.spurious])
    lines += _section("Field errors in matched facts", [_field_errors(m) for m in with_errors])
    if not (article.missed or article.spurious or with_errors):
        lines += ["Every fact matched, with no field errors.", ""]
    return lines


def render_diff(report: EvalReport) -> str:
    """Markdown for a person: per article, what was missed, what was made up, what was wrong."""
    overall = report.micro[OVERALL]
    lines = [
        f"# Eval diff: {report.label}",
        "",
        f"Overall (micro): P {fmt(overall.precision)} · R {fmt(overall.recall)} · F1 {fmt(overall.f1)} · "
        f"grounding {fmt(report.grounding.value)} · validity {fmt(report.validity.value)}",
        "",
        "Facts are numbered by their position in the sheet's list (#0 is the first). Quotes show the "
        "character offsets where the aligner finds them in the article. See docs/eval.md.",
        "",
    ]
    for article in report.articles:
        lines += render_article(article)
    return "\n".join(lines).rstrip() + "\n"
