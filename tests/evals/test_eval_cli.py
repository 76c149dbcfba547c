"""`factsheet eval` end to end on a temporary folder, and on the real hand labels."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from eval_fixtures import GOLD_DIR, SEEDS_DIR, gold_data, with_offsets

from extract.cli import main


def test_eval_scores_a_prediction_folder_and_writes_report_and_diff(article_dir: Path, capsys):
    pred_dir = article_dir / "pred"
    pred_dir.mkdir()
    pred = with_offsets(gold_data())
    del pred["metrics"][1]  # a miss
    pred["infrastructure_projects"][0]["status"] = "operational"  # a field error
    pred["policy_statements"].append(copy.deepcopy(pred["policy_statements"][0]))  # a spurious fact
    (pred_dir / "art.json").write_text(json.dumps(pred), encoding="utf-8")
    out = article_dir / "report" / "r.json"
    code = main(["eval", "--pred", str(pred_dir), "--gold", str(article_dir / "gold"),
                 "--articles", str(article_dir / "articles"), "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    for needle in ("metrics", "infrastructure_projects", "policy_statements", "overall", "field accuracy",
                   "grounding", "validity"):
        assert needle in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary"]["micro"]["metrics"]["recall"] == 0.75
    assert report["summary"]["micro"]["policy_statements"]["precision"] == round(2 / 3, 4)
    assert report["summary"]["field_accuracy"]["infrastructure_projects"]["status"] == round(2 / 3, 4)
    diff = (out.parent / "diff.md").read_text(encoding="utf-8")
    assert "### Missed: in gold, not predicted (1)" in diff and "an increase of 7.2%" in diff
    assert "### Spurious: predicted, not in gold (1)" in diff
    assert "status: gold `planned` · predicted `operational`" in diff


def test_eval_records_invalid_output_and_exits_non_zero(article_dir: Path, capsys):
    pred_dir = article_dir / "pred"
    pred_dir.mkdir()
    (pred_dir / "art.json").write_text("[]", encoding="utf-8")
    diff = article_dir / "d.md"
    code = main(["eval", "--pred", str(pred_dir), "--gold", str(article_dir / "gold"),
                 "--articles", str(article_dir / "articles"), "--json", str(article_dir / "r.json"), "--diff", str(diff)])
    assert code == 1
    assert "validity   0.000" in capsys.readouterr().out
    assert "Output invalid" in diff.read_text(encoding="utf-8")


def test_eval_runs_a_backend_and_can_write_a_baseline(article_dir: Path):
    out = article_dir / "rules" / "report.json"
    baseline = article_dir / "baseline.json"
    code = main(["eval", "--backend", "rules", "--gold", str(article_dir / "gold"),
                 "--articles", str(article_dir / "articles"), "--json", str(out), "--write-baseline", str(baseline)])
    assert code == 0
    assert (out.parent / "predictions" / "art.json").is_file()
    assert json.loads(baseline.read_text(encoding="utf-8"))["label"] == "rules"


def test_eval_of_the_gold_against_itself_is_perfect(tmp_path: Path, capsys):
    out = tmp_path / "gold.json"
    code = main(["eval", "--pred", str(GOLD_DIR), "--gold", str(GOLD_DIR), "--articles", str(SEEDS_DIR), "--json", str(out)])
    assert code == 0
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    for part in ("micro", "macro"):
        for key, numbers in summary[part].items():
            assert all(numbers[m] == 1.0 for m in ("precision", "recall", "f1")), (part, key)
    assert all(v == 1.0 for fields in summary["field_accuracy"].values() for v in fields.values())
    assert summary["grounding"] == 1.0 and summary["validity"] == 1.0


def test_eval_needs_a_source(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["eval"])


def test_diff_marks_a_hallucinated_quote(article_dir: Path):
    pred_dir = article_dir / "pred"
    pred_dir.mkdir()
    pred = with_offsets(gold_data())
    pred["metrics"].append({**pred["metrics"][0], "value": 9, "unit": "ships", "kind": "count",
                            "evidence": [{"quote": "Nine ships sailed.", "start": 0, "end": 18}]})
    (pred_dir / "art.json").write_text(json.dumps(pred), encoding="utf-8")
    diff = article_dir / "d.md"
    main(["eval", "--pred", str(pred_dir), "--gold", str(article_dir / "gold"), "--articles", str(article_dir / "articles"),
          "--json", str(article_dir / "r.json"), "--diff", str(diff)])
    text = diff.read_text(encoding="utf-8")
    assert "> Nine ships sailed. **quote not found in the article**" in text


def test_eval_set_names_gold_articles_and_its_own_baseline_file(tmp_path: Path, monkeypatch):
    import evals.sets as sets

    monkeypatch.setattr(sets, "load_sets", lambda path=None: {
        "seeds": sets.EvalSet("seeds", GOLD_DIR, SEEDS_DIR, tmp_path / "seeds.json"),
        "mine": sets.EvalSet("mine", GOLD_DIR, SEEDS_DIR, tmp_path / "mine.json")})
    code = main(["eval", "--pred", str(GOLD_DIR), "--set", "mine", "--json", str(tmp_path / "r.json"),
                 "--write-baseline"])
    assert code == 0
    data = json.loads((tmp_path / "mine.json").read_text(encoding="utf-8"))
    assert data["set"] == "mine" and data["overall_strict_f1"] == 1.0
    assert not (tmp_path / "seeds.json").exists()


def test_eval_refuses_to_overwrite_the_seeds_baseline_with_another_gold(article_dir: Path, capsys):
    before = (REPO_BASELINE).read_text(encoding="utf-8")
    code = main(["eval", "--pred", str(article_dir / "gold"), "--gold", str(article_dir / "gold"),
                 "--articles", str(article_dir / "articles"), "--write-baseline"])
    assert code != 0
    assert "--set NAME" in capsys.readouterr().err
    assert REPO_BASELINE.read_text(encoding="utf-8") == before


REPO_BASELINE = GOLD_DIR.parent / "baseline.json"
