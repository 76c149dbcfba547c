"""The plain-text summary table that `factsheet eval` prints."""

from __future__ import annotations

from evals.scoring.report import FACT_TYPE_NAMES, OVERALL, EvalReport, Rate

FIELDS_PER_LINE = 4


def fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def _rate(name: str, rate: Rate, meaning: str) -> str:
    return f"{name:<10} {fmt(rate.value)}  ({rate.numerator}/{rate.denominator} {meaning})"


def render_table(report: EvalReport) -> str:
    """Per-type and overall P/R/F1 (micro, plus macro F1), field accuracy, grounding, validity."""
    lines = [f"{report.label}: {len(report.articles)} hand-labelled articles", ""]
    lines.append(f"{'fact type':<24} {'gold':>5} {'pred':>5} {'match':>5}  {'P':>5}  {'R':>5}  {'F1':>5}  {'macro-F1':>8}"
                 f"  {'strict':>6} {'strict-F1':>9}")
    for key in (*FACT_TYPE_NAMES, OVERALL):
        c, m = report.micro[key], report.macro[key]
        s = report.strict.get(key)
        strict = f"  {s.matched:>6} {fmt(s.f1):>9}" if s else ""
        lines.append(f"{key:<24} {c.gold:>5} {c.predicted:>5} {c.matched:>5}  {fmt(c.precision)}  {fmt(c.recall)}  "
                     f"{fmt(c.f1)}  {fmt(m.f1):>8}{strict}")
    keys = report.settings.get("strict_fields") or {}
    if keys:
        lines.append("strict: a match counts only with its key fields right ("
                     + "; ".join(f"{t}: {', '.join(f)}" for t, f in keys.items()) + ")")
    lines += ["", "field accuracy over matched pairs"]
    for fact_type in FACT_TYPE_NAMES:
        fields = report.field_accuracy[fact_type]
        pairs = next(iter(fields.values())).pairs if fields else 0
        cells = [f"{name} {fmt(acc.accuracy)}" for name, acc in fields.items()]
        head = f"  {fact_type} ({pairs} pairs)"
        for i in range(0, len(cells), FIELDS_PER_LINE):
            lines.append(f"{head if i == 0 else '':<38}" + "  ".join(cells[i : i + FIELDS_PER_LINE]))
    lines += [
        "",
        _rate("grounding", report.grounding, "predicted facts whose every quote is in the text"),
        _rate("validity", report.validity, "articles whose output parsed into the schema"),
    ]
    invalid = [a for a in report.articles if not a.valid]
    for article in invalid:
        lines.append(f"  invalid {article.article_id}: {article.error}")
    return "\n".join(lines) + "\n"
