"""The eval report page without a browser: outcomes on the text, the chart, escaping, --html."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from viewer_corpus import GOLD, SEEDS, perturb

from evals import cli as eval_cli
from evals.html_report import chart_svg, render_eval_html
from evals.scoring import Case, score
from schemas import FactSheet


def _report(corpus: Path):
    cases, texts = [], {}
    for path in sorted(corpus.glob("0*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        text = (corpus / f"{path.stem}.txt").read_text(encoding="utf-8")
        texts[path.stem] = text
        cases.append(Case(path.stem, text, FactSheet.model_validate(raw), FactSheet.model_validate(perturb(raw, text))))
    return score(cases, "perturbed <b>gold</b>"), texts


def _outcomes(html: str) -> dict[str, int]:
    return {cls: len(re.findall(rf'class="fact-item c-{cls}[ "]', html))
            for cls in ("matched", "field_error", "missed", "spurious")}


def test_every_fact_is_marked_with_its_outcome(corpus: Path) -> None:
    report, texts = _report(corpus)
    html = render_eval_html(report, texts)
    counts = _outcomes(html)
    assert counts["missed"] == sum(len(a.missed) for a in report.articles)
    assert counts["spurious"] == sum(len(a.spurious) for a in report.articles)
    assert counts["field_error"] == 2 * sum(1 for a in report.articles for m in a.matched if m.field_errors)
    assert counts["matched"] == 2 * sum(1 for a in report.articles for m in a.matched if not m.field_errors)
    assert "status: gold actual · predicted target" in html
    assert "<b>gold</b>" not in html and "perturbed &lt;b&gt;gold&lt;/b&gt;" in html


def test_a_stored_json_report_renders_the_same_facts(corpus: Path, tmp_path: Path) -> None:
    report, texts = _report(corpus)
    path = tmp_path / "report.json"
    path.write_text(report.to_json(), encoding="utf-8")
    from_json = render_eval_html(path, articles_dir=SEEDS)
    assert _outcomes(from_json) == _outcomes(render_eval_html(report, texts))
    assert from_json.count("<mark class=\"hl") == render_eval_html(report, texts).count("<mark class=\"hl")


def test_chart_has_a_bar_per_score_and_type() -> None:
    micro = {k: {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "matched": 1, "gold": 1, "predicted": 2}
             for k in ("metrics", "infrastructure_projects", "policy_statements", "overall")}
    svg = chart_svg(micro)
    assert len(re.findall(r'<rect class="bar-[prf]"[^>]*><title>', svg)) == 12  # legend swatches have no title
    assert "Overall recall 1.000" in svg


def test_eval_command_writes_html(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    eval_cli.add_parser(parser.add_subparsers())
    out = tmp_path / "eval.html"
    args = parser.parse_args(["eval", "--pred", str(GOLD), "--gold", str(GOLD), "--articles", str(SEEDS),
                              "--json", str(tmp_path / "report.json"), "--html", str(out)])
    assert eval_cli.main(args) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    counts = _outcomes(html)
    assert counts["missed"] == counts["spurious"] == counts["field_error"] == 0 and counts["matched"] > 0
