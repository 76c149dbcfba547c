"""Corpus outputs: facts merged across articles with their sources; conflicts flagged."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from store_fakes import article_text

from extract.corpus import CORPUS_FILES, merge_facts, write_corpus
from extract.tables import METRIC_CSV_COLUMNS
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement, Provenance

QUOTE = "a quote"


def ev(quote: str = QUOTE, start: int = 0) -> list[Evidence]:
    return [Evidence(quote=quote, start=start, end=start + len(quote))]


def sheet(article_id: str, metrics=(), projects=(), statements=(), published: str | None = None, **meta) -> FactSheet:
    article = ArticleMeta(id=article_id, sha256=hashlib.sha256(article_id.encode()).hexdigest(), published=published,
                          **meta)
    return FactSheet(article=article, metrics=list(metrics), infrastructure_projects=list(projects),
                     policy_statements=list(statements), provenance=Provenance(backend="test"))


def trains(value: float, comparator: str = "eq", period: str | None = "2020", subject: str = "China-Europe trains",
           location: str | None = "Xiamen", evidence: list[Evidence] | None = None) -> Metric:
    return Metric(subject=subject, value=value, unit="trains", kind="count", comparator=comparator, period=period,
                  location=location, evidence=evidence or ev())


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
    assert by_value[4600].conflicts == [{"field": "value", "id": by_value[4500].id, "value": 4500, "comparator": "eq",
                                         "articles": ["b"], "same_article": False}]
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
    assert merged.fields["status"] == "operational"  # no dates: the first article's
    assert merged.conflicts == [{"field": "status", "value": "planned", "articles": ["b"], "versus": "operational",
                                 "versus_articles": ["a"]}]


def test_statements_merge_by_actor_kind_and_summary() -> None:
    s = PolicyStatement(actor="Wang Ning", kind="plan", summary="Fujian will open more routes.", evidence=ev())
    facts = merge_facts([sheet("a", statements=[s]), sheet("b", statements=[s])])
    assert len(facts) == 1 and facts[0].articles == ["a", "b"]


def test_metrics_csv_reads_back_with_its_columns(tmp_path: Path) -> None:
    write_corpus(tmp_path, [sheet("a", [trains(4600), trains(1e11, subject="trade")]), sheet("b", [trains(4500)])])
    rows = list(csv.DictReader(io.StringIO((tmp_path / "metrics.csv").read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == METRIC_CSV_COLUMNS
    assert [(r["article"], r["value"]) for r in rows] == [("a", "4600"), ("a", "100000000000"), ("b", "4500")]
    lines = [json.loads(x) for x in (tmp_path / "facts.jsonl").read_text(encoding="utf-8").splitlines()]
    (group,) = [x for x in lines if x["type"] == "conflict_group"]
    by_id = {r["value"]: r["id"] for r in rows}
    assert group["subject"] == "China-Europe trains" and group["period"] == "2020" and group["location"] == "Xiamen"
    assert [(m["id"], m["value"], m["articles"], m["conflicting"]) for m in group["members"]] == [
        (by_id["4600"], 4600, ["a"], True), (by_id["4500"], 4500, ["b"], True)]
    fact = next(x for x in lines if x["id"] == by_id["4600"])
    assert group["id"] in fact["groups"]  # the fact names its comparison groups
    trade = next(x for x in lines if x["id"] == by_id["100000000000"])
    assert not any(x["type"] == "conflict_group" and x["id"] in trade["groups"] for x in lines)


def test_write_corpus_writes_every_file_from_one_pass_over_a_generator(tmp_path: Path) -> None:
    consumed = []

    def stream():
        for s in (sheet("a", [trains(4600)]), sheet("b", [trains(4600)])):
            consumed.append(s.article.id)
            yield s

    facts = write_corpus(tmp_path, stream())
    assert consumed == ["a", "b"] and facts == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(CORPUS_FILES)
    assert [json.loads(x)["article"]["id"] for x in (tmp_path / "factsheets.jsonl").read_text().splitlines()] == ["a", "b"]
    record = json.loads((tmp_path / "facts.jsonl").read_text())
    assert record["type"] == "metric" and record["articles"] == ["a", "b"] and record["n_articles"] == 2
    assert "evidence" not in record and "conflicts" not in record
    assert (tmp_path / "metrics.csv").read_text().startswith("id,subject,value")


def test_a_list_is_written_in_id_order_and_the_merge_does_not_depend_on_order(tmp_path: Path) -> None:
    sheets = [sheet("b", [trains(4600, subject="Trains B")]), sheet("a", [trains(4600, subject="trains A")])]
    write_corpus(tmp_path, sheets)
    assert [json.loads(x)["article"]["id"] for x in (tmp_path / "factsheets.jsonl").read_text().splitlines()] == ["a", "b"]
    forwards, backwards = merge_facts(sheets), merge_facts(iter(sheets[::-1]))
    assert [f.record() for f in forwards] == [f.record() for f in backwards]
    assert forwards[0].fields["subject"] == "trains A"  # the first source by article id


# --- the conflict rule --------------------------------------------------------------

SENTENCE = "It connects 26 cities overseas and 15 cities within the country."


def cities(value: float, quote: str = SENTENCE, start: int = 100, period: str | None = "2020") -> Metric:
    return Metric(subject="cities", value=value, unit="cities", kind="count", period=period, location="Chengdu",
                  evidence=ev(quote, start))


def test_two_figures_of_one_sentence_are_no_conflict() -> None:
    facts = merge_facts([sheet("a", [cities(26), cities(15)])])
    assert len(facts) == 2 and all(f.conflicts == [] for f in facts)
    # Quotes of the two halves of one sentence (an LLM's): still one sentence.
    facts = merge_facts([sheet("a", [cities(26, "It connects 26 cities overseas", 100),
                                     cities(15, "15 cities within the country.", 135)])])
    assert all(f.conflicts == [] for f in facts)
    # Another article copying that sentence: the two figures are still about two things.
    facts = merge_facts([sheet("a", [cities(26), cities(15)]), sheet("b", [cities(26, start=7), cities(15, start=7)])])
    assert all(f.conflicts == [] for f in facts) and all(f.articles == ["a", "b"] for f in facts)


def test_one_article_stating_two_values_in_two_sentences_is_reported_as_such() -> None:
    facts = merge_facts([sheet("a", [cities(26, "It connects 26 cities.", 100), cities(15, "It connects 15 cities.", 900)])])
    assert [c["same_article"] for f in facts for c in f.conflicts] == [True, True]


def test_different_articles_with_different_values_conflict_across_articles() -> None:
    facts = merge_facts([sheet("a", [cities(26)]), sheet("b", [cities(15, "It links 15 cities.", 5)])])
    assert [(c["articles"], c["same_article"]) for f in facts for c in f.conflicts] == [(["b"], False), (["a"], False)]


def varied(metric: Metric, **update: object) -> Metric:
    return Metric.model_validate({**metric.model_dump(), **update})


def test_conflicts_need_the_same_subject_unit_period_and_place() -> None:
    base = sheet("a", [cities(26)])
    other = {"evidence": [{"quote": "Other.", "start": 3, "end": 9}]}
    for change in ({"period": "2021"}, {"period": None}, {"location": "Xi'an"}, {"subject": "partner cities"},
                   {"unit": "routes"}, {"status": "target"}):
        facts = merge_facts([base, sheet("b", [varied(cities(15), **other, **change)])])
        assert all(f.conflicts == [] for f in facts), change
    facts = merge_facts([base, sheet("b", [varied(cities(15), **other, subject="Cities")])])
    assert all(f.conflicts for f in facts)  # the subject ignoring case


def test_conflict_detection_finds_every_incompatible_value_in_a_group() -> None:
    values = [100, 200, 300, 310]  # 300 and "about 310" agree
    metrics = [cities(v, f"Sentence {i}.", i * 50) for i, v in enumerate(values[:3])]
    metrics.append(varied(cities(310, "Sentence 3.", 150), comparator="approx"))
    facts = {f.fields["value"]: f for f in merge_facts([sheet(f"x{i}", [m]) for i, m in enumerate(metrics)])}
    conflicting = {v: sorted(c["value"] for c in f.conflicts) for v, f in facts.items()}
    assert conflicting == {100: [200, 300, 310], 200: [100, 300, 310], 300: [100, 200], 310: [100, 200]}


def project(status: str, name: str = "Xiamen Port", timeline: str | None = None) -> InfrastructureProject:
    return InfrastructureProject(name=name, kind="port", status=status, locations=["Xiamen"], timeline=timeline,
                                 evidence=ev())


def test_a_project_status_conflict_never_has_the_same_article_on_both_sides() -> None:
    facts = merge_facts([sheet("a", projects=[project("operational"), project("planned")]),
                         sheet("b", projects=[project("operational")])])
    assert facts[0].conflicts == []
    facts = merge_facts([sheet("a", projects=[project("operational"), project("planned")]),
                         sheet("b", projects=[project("planned")]), sheet("c", projects=[project("operational")])])
    (conflict,) = facts[0].conflicts
    assert {conflict["value"], conflict["versus"]} == {"planned", "operational"}
    sides = {conflict["value"]: conflict["articles"], conflict["versus"]: conflict["versus_articles"]}
    assert sides == {"planned": ["b"], "operational": ["c"]}  # a, on both sides, is left out


def test_a_project_moving_on_in_later_articles_is_a_change_not_a_conflict() -> None:
    facts = merge_facts([sheet("a", projects=[project("planned")], published="2019-02-18"),
                         sheet("b", projects=[project("operational")], published="2021-01-28")])
    fact = facts[0]
    assert fact.conflicts == [] and fact.fields["status"] == "operational"  # the latest article's
    assert [(h["article"], h["status"]) for h in fact.fields["status_history"]] == [("a", "planned"), ("b", "operational")]
    # Going back (operational, then planned later) is a conflict.
    facts = merge_facts([sheet("a", projects=[project("operational")], published="2019-02-18"),
                         sheet("b", projects=[project("planned")], published="2021-01-28")])
    assert [c["value"] for c in facts[0].conflicts] == ["operational"]


def test_a_run_merges_the_same_fact_from_two_articles(run_fake, articles: Path, out: Path) -> None:
    (articles / "dup.txt").write_text(article_text(0), encoding="utf-8")  # the same figure as a000
    (articles / "clash.txt").write_text(article_text(0, value=9999), encoding="utf-8")
    run_fake()
    facts = [json.loads(line) for line in (out / "facts.jsonl").read_text().splitlines()]
    same = next(f for f in facts if f["value"] == 1000)
    assert same["articles"] == ["a000", "dup"]
    (group,) = [f for f in facts if f["type"] == "conflict_group" and f["id"] in same["groups"]]
    assert [(m["value"], m["articles"], m["conflicting"]) for m in group["members"]] == [
        (1000, ["a000", "dup"], True), (9999, ["clash"], True)]


def test_a_huge_group_of_disagreeing_figures_lists_a_bounded_number_per_fact() -> None:
    from extract.corpus import MAX_CONFLICTS

    sheets = [sheet(f"x{i:04d}", [cities(1000 + i, f"It links {i} cities.", 0)]) for i in range(300)]
    facts = merge_facts(sheets)
    assert len(facts) == 300
    for fact in facts:
        assert len(fact.conflicts) == MAX_CONFLICTS and fact.conflicts_omitted == 299 - MAX_CONFLICTS
        assert fact.record()["conflicts_omitted"] == 299 - MAX_CONFLICTS
