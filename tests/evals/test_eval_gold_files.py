"""The hand labels load, validate, and every quote stands in its article; the loaders' failure modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_fixtures import GOLD_DIR, SEEDS_DIR, TEXT, gold_data

from evals.gold import GoldError, find_article, load_gold, load_gold_file, load_predictions, parse_prediction
from extract.align import align
from extract.articles import ArticleSource, load
from schemas import FactSheet

GOLD_FILES = sorted(GOLD_DIR.glob("*.json"))
HELDOUT_DIR = GOLD_DIR.parent / "heldout"
# (gold file, folder of its article): the seeds' labels and the held-out set's.
HELDOUT_FILES = sorted((HELDOUT_DIR / "gold").glob("*.json"))
LABELLED = [(p, SEEDS_DIR) for p in GOLD_FILES] + [(p, HELDOUT_DIR / "articles") for p in HELDOUT_FILES]


def test_there_are_gold_files():
    assert GOLD_FILES, f"no hand labels in {GOLD_DIR}"


@pytest.mark.parametrize(("path", "articles"), LABELLED, ids=lambda p: p.stem if isinstance(p, Path) and p.suffix else "")
def test_gold_file_loads_validates_and_every_quote_is_found(path: Path, articles: Path):
    article = load(ArticleSource(path.stem, find_article(articles, path.stem)))
    sheet = load_gold_file(path, article)
    assert isinstance(sheet, FactSheet) and sheet.article.id == path.stem
    assert sheet.provenance.backend == "hand-label"
    raw = json.loads(path.read_text(encoding="utf-8"))
    for name in ("metrics", "infrastructure_projects", "policy_statements"):
        for fact in raw.get(name, []):
            for item in fact["evidence"]:
                assert align(article.text, item["quote"]) is not None, f"{path.name}: {item['quote']!r}"
    for _, fact in sheet.facts():
        for ev in fact.evidence:
            assert article.text[ev.start : ev.end] == ev.quote


def _write(tmp_path: Path, data: dict) -> tuple[Path, Path]:
    (tmp_path / "articles").mkdir(exist_ok=True)
    (tmp_path / "articles" / "art.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "gold").mkdir(exist_ok=True)
    (tmp_path / "gold" / "art.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path / "gold", tmp_path / "articles"


def test_gold_loader_fills_offsets_and_canonicalises(tmp_path):
    data = gold_data()
    data["metrics"][0]["location"] = "Fujian Province"
    (g,) = load_gold(*_write(tmp_path, data))
    metric = g.sheet.metrics[0]
    assert metric.location == "Fujian"
    assert TEXT[metric.evidence[0].start : metric.evidence[0].end] == metric.evidence[0].quote


def test_gold_loader_tolerates_typography_and_stores_the_text_as_it_stands(tmp_path):
    data = gold_data()
    data["metrics"][1]["evidence"] = [{"quote": "an  increase\nof 7.2%"}]
    (g,) = load_gold(*_write(tmp_path, data))
    assert g.sheet.metrics[1].evidence[0].quote == "an increase of 7.2%"


def test_gold_loader_names_the_file_and_the_quote_it_cannot_find(tmp_path):
    data = gold_data()
    data["metrics"][0]["evidence"] = [{"quote": "Trade fell sharply"}]
    with pytest.raises(GoldError, match=r"art\.json.*quote not found.*Trade fell sharply"):
        load_gold(*_write(tmp_path, data))


def test_gold_loader_rejects_a_label_for_another_text(tmp_path):
    data = gold_data()
    data["article"]["sha256"] = "0" * 64
    with pytest.raises(GoldError, match="sha256 differs"):
        load_gold(*_write(tmp_path, data))


def test_gold_loader_rejects_schema_errors_and_missing_articles(tmp_path):
    data = gold_data()
    data["metrics"][0]["kind"] = "money"
    with pytest.raises(GoldError, match="not a valid FactSheet"):
        load_gold(*_write(tmp_path, data))
    gold_dir, _ = _write(tmp_path, gold_data())
    with pytest.raises(GoldError, match="no article text"):
        load_gold(gold_dir, tmp_path / "nowhere")


def test_prediction_loader_records_failures_instead_of_raising(tmp_path):
    gold_dir, articles_dir = _write(tmp_path, gold_data())
    (g,) = load_gold(gold_dir, articles_dir)
    pred = tmp_path / "pred"
    pred.mkdir()
    (missing,) = load_predictions(pred, [g.article])
    assert not missing.valid and "no output file" in missing.error
    (pred / "art.json").write_text("{not json", encoding="utf-8")
    (broken,) = load_predictions(pred, [g.article])
    assert not broken.valid and "not readable JSON" in broken.error
    bad = gold_data()
    bad["metrics"][0]["unit"] = "Billion Yuan!"
    (pred / "art.json").write_text(json.dumps(bad), encoding="utf-8")
    (invalid,) = load_predictions(pred, [g.article])
    assert not invalid.valid and "metrics.0.unit" in invalid.error
    assert not parse_prediction(g.article, {**gold_data(), "article": {**gold_data()["article"], "id": "other"}}).valid
    assert not parse_prediction(g.article, []).valid
