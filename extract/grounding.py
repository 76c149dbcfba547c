"""Grounding: every evidence quote must stand in the article; offsets come from code."""

from __future__ import annotations

from dataclasses import dataclass, field

from extract.align import FoldedText
from schemas import Evidence, FactSheet


@dataclass
class GroundingResult:
    sheet: FactSheet
    dropped: list[str] = field(default_factory=list)  # one reason per fact dropped


def ground_evidence(folded: FoldedText, evidence: Evidence) -> Evidence | None:
    """The evidence re-aligned to the text (the occurrence nearest its claimed start), or None."""
    span = folded.find(evidence.quote, near=evidence.start)
    if span is None:
        return None
    return Evidence(quote=folded.text[span.start : span.end], start=span.start, end=span.end)


def ground_sheet(text: str, sheet: FactSheet, folded: FoldedText | None = None) -> GroundingResult:
    """The sheet with offsets recomputed and every fact with an unfound quote removed."""
    folded = folded or FoldedText(text)
    dropped: list[str] = []
    kept: dict[str, list] = {}
    for list_name in ("metrics", "infrastructure_projects", "policy_statements"):
        kept[list_name] = []
        for fact in getattr(sheet, list_name):
            grounded = [ground_evidence(folded, ev) for ev in fact.evidence]
            missing = [ev.quote for ev, g in zip(fact.evidence, grounded, strict=True) if g is None]
            if missing:
                dropped.append(f"{list_name}: quote not found in the article: {missing[0][:80]!r}")
                continue
            unique = list({(g.start, g.end): g for g in grounded if g is not None}.values())
            kept[list_name].append(fact.model_copy(update={"evidence": unique}))
    provenance = sheet.provenance.model_copy(update={"dropped_facts": sheet.provenance.dropped_facts + len(dropped)})
    return GroundingResult(sheet=sheet.model_copy(update={**kept, "provenance": provenance}), dropped=dropped)
