"""Corpus outputs: facts merged across articles with their sources; conflicts flagged."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from store_fakes import article_text

from extract.corpus import METRIC_CSV_COLUMNS, merge_facts, metrics_csv, write_corpus
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement, Provenance

QUOTE = "a quote"


def ev() -> list[Evidence]:
    return [Evidence(quote=QUOTE, start=0, end=len(QUOTE))]


def sheet(article_id: str, metrics=(), projects=(), statements=()) -> FactSheet:
    meta = ArticleMeta(id=article_id, sha256=hashlib.sha256(article_id.encode()).hexdigest())
    return FactSheet(article=meta, metrics=list(metrics), infrastructure_projects=list(projects),
                     policy_statements=list(statements), provenance=Provenance(backend="test"))


def trains(value: float, comparator: str = "eq", period: str | None = "2020", subject: str = "China-Europe trains",
           location: str | None = "Xiamen") -> Metric:
    return Metric(subject=subject, value=value, unit="trains", kind="count", comparator=comparator, period=period,
                  location=location, evidence=ev())


def test_the_same_metric_from_two_articles_is_one_fact_with_both_sources() -> None:
    facts = merge_facts([sheet("b", [trains(4600)]), sheet("a", [trains(4600, subject="the China-Europe trains")])])
    assert len(facts) == 1
    assert facts[0].articles == ["a", "b"]
    assert [e["article"] for e in facts[0].evidence] == ["a", "b"]
    assert facts[0].conflicts == []


def test_disagreeing_figures_are_flagged_not_overwritten() -> None:
    facts = merge_facts([sheet("a", [trains(4600)]), sheet("b", [trains(4500)]), sheet("c", [trains(4600)])])
    assert sorted(f.fields["value"] for f in facts) == [4500, 4600]
    by_value = {f.fields["value"]: f for f in facts}
    assert by_value[4600].articles == ["a", "c"]
    assert by_value[4600].conflicts == [
        {"field": "value", "id": by_value[4500].id, "value": 4500, "comparator": "eq", "articles": ["b"]}]
    assert by_value[4500].conflicts[0]["articles"] == ["a", "c"]


def test_figures_that_can_both_be_true_are_no_conflict() -> None:
    assert merge_facts([sheet("a", [trains(4600)]), sheet("b", [trains(4500, "gt")])])[0].conflicts == []
    assert merge_facts([sheet("a", [trains(4600)]), sheet("b", [trains(4650, "approx")])])[0].conflicts == []
    assert merge_facts([sheet("a", [trains(4600)]), sheet("b", [trains(4000, "lt")])])[0].conflicts != []


def test_different_period_place_or_subject_is_no_conflict() -> None:
    for other in (trains(4500, period="2021"), trains(4500, location="Fuzhou"), trains(4500, subject="ships"),
                  trains(4500, period=None)):
        assert all(f.conflicts == [] for f in merge_facts([sheet("a", [trains(4600)]), sheet("b", [other])]))


def test_projects_merge_by_canonical_name_and_kind() -> None:
    p1 = InfrastructureProject(name="China-Europe train", kind="rail_freight_service", status="operational",
                               locations=["Xiamen"], evidence=ev())
    p2 = InfrastructureProject(name="China-Europe Railway Express", kind="rail_freight_service", status="planned",
                               locations=["Fuzhou"], evidence=ev())
    p3 = InfrastructureProject(name="China-Europe Railway Express", kind="railway", evidence=ev())
    facts = merge_facts([sheet("a", projects=[p1]), sheet("b", projects=[p2, p3])])
    assert len(facts) == 2
    merged = next(f for f in facts if f.fields["kind"] == "rail_freight_service")
    assert merged.articles == ["a", "b"] and merged.fields["locations"] == ["Xiamen", "Fuzhou"]
    assert merged.fields["status"] == "operational"
    assert merged.conflicts == [{"field": "status", "value": "planned", "articles": ["b"]}]


def test_statements_merge_by_actor_kind_and_summary() -> None:
    s = PolicyStatement(actor="Wang Ning", kind="plan", summary="Fujian will open more routes.", evidence=ev())
    facts = merge_facts([sheet("a", statements=[s]), sheet("b", statements=[s])])
    assert len(facts) == 1 and facts[0].articles == ["a", "b"]


def test_metrics_csv_reads_back_with_its_columns() -> None:
    facts = merge_facts([sheet("a", [trains(4600), trains(1e11, subject="trade")]), sheet("b", [trains(4500)])])
    rows = list(csv.DictReader(io.StringIO(metrics_csv(facts))))
    assert tuple(rows[0]) == METRIC_CSV_COLUMNS
    assert {r["value"] for r in rows} == {"4600", "100000000000", "4500"}
    conflicted = next(r for r in rows if r["value"] == "4600")
    assert conflicted["conflicts"] == "4500 trains in b" and conflicted["articles"] == "a"
    assert next(r for r in rows if r["value"] == "100000000000")["conflicts"] == ""


def test_write_corpus_writes_three_files(tmp_path: Path) -> None:
    facts = write_corpus(tmp_path, [sheet("b", [trains(4600)]), sheet("a", [trains(4600)])])
    assert len(facts) == 1
    assert [json.loads(x)["article"]["id"] for x in (tmp_path / "factsheets.jsonl").read_text().splitlines()] == ["a", "b"]
    record = json.loads((tmp_path / "facts.jsonl").read_text())
    assert record["type"] == "metric" and record["articles"] == ["a", "b"] and record["conflicts"] == []
    assert {e["article"] for e in record["evidence"]} == {"a", "b"}
    assert (tmp_path / "metrics.csv").read_text().startswith("id,subject,value")


def test_a_run_merges_the_same_fact_from_two_articles(run_fake, articles: Path, out: Path) -> None:
    (articles / "dup.txt").write_text(article_text(0), encoding="utf-8")  # the same figure as a000
    (articles / "clash.txt").write_text(article_text(0, value=9999), encoding="utf-8")
    run_fake()
    facts = [json.loads(line) for line in (out / "facts.jsonl").read_text().splitlines()]
    same = next(f for f in facts if f["value"] == 1000)
    assert same["articles"] == ["a000", "dup"]
    assert same["conflicts"][0]["value"] == 9999 and same["conflicts"][0]["articles"] == ["clash"]
