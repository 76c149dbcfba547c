"""The corpus spreadsheets: one row per claim (an article's statement of a fact, in its own words),
with the article's metadata and every quote, values in base units, and no cell a spreadsheet
would run as a formula."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest

from extract.corpus import FACTS_JSONL, METRICS_CSV, PROJECTS_CSV, STATEMENTS_CSV, write_corpus
from extract.tables import PROJECT_CSV_COLUMNS, STATEMENT_CSV_COLUMNS, safe_cell
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement, Provenance

NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def ev(quote: str, start: int = 0) -> list[Evidence]:
    return [Evidence(quote=quote, start=start, end=start + len(quote))]


def article(article_id: str, **meta: object) -> ArticleMeta:
    return ArticleMeta(id=article_id, sha256=hashlib.sha256(article_id.encode()).hexdigest(), **meta)


def port(quote: str, start: int = 0, status: str = "operational") -> InfrastructureProject:
    return InfrastructureProject(name="Xiamen Port", kind="port", status=status, locations=["Xiamen", "Fujian"],
                                 partners=["COSCO"], evidence=ev(quote, start))


def test_projects_and_statements_carry_the_article_and_every_quote(tmp_path: Path) -> None:
    s = PolicyStatement(actor="Wang Ning", kind="plan", summary="Fujian will open more routes.",
                        evidence=[*ev("Fujian will open routes.", 0), *ev("More routes are coming.", 40)])
    sheets = [
        FactSheet(article=article("a", title="Ports of Fujian", published="2021-01-28", source="China News Service",
                                  url="https://example.org/a"),
                  infrastructure_projects=[port("Xiamen Port opened.", 0)], policy_statements=[s],
                  provenance=Provenance(backend="test")),
        FactSheet(article=article("b", title="Another view"), provenance=Provenance(backend="test"),
                  infrastructure_projects=[port("Xiamen Port is planned.", 5, "planned")]),
    ]
    write_corpus(tmp_path, sheets)
    projects = list(csv.DictReader(io.StringIO((tmp_path / PROJECTS_CSV).read_text(encoding="utf-8"))))
    assert tuple(projects[0]) == PROJECT_CSV_COLUMNS
    # What each article says, not what the first source said: the status is the article's own.
    assert [(r["article"], r["title"], r["published"], r["status"]) for r in projects] == [
        ("a", "Ports of Fujian", "2021-01-28", "operational"), ("b", "Another view", "", "planned")]
    first = projects[0]
    assert first["source"] == "China News Service" and first["url"] == "https://example.org/a"
    assert first["locations"] == "Xiamen; Fujian" and projects[1]["id"] == first["id"]
    assert first["quotes"] == "Xiamen Port opened." and projects[1]["quotes"] == "Xiamen Port is planned."
    # The merged fact, its article count and the conflict between the two sources, are in facts.jsonl.
    facts = {r["id"]: r for r in map(json.loads, (tmp_path / FACTS_JSONL).read_text(encoding="utf-8").splitlines())}
    merged = facts[first["id"]]
    assert merged["n_articles"] == 2 and merged["articles"] == ["a", "b"]
    assert merged["conflicts"] == [{"field": "status", "value": "planned", "articles": ["b"], "versus": "operational",
                                    "versus_articles": ["a"]}]
    assert "evidence" not in merged  # no quotes: they are in the rows
    (statement,) = csv.DictReader(io.StringIO((tmp_path / STATEMENTS_CSV).read_text(encoding="utf-8")))
    assert tuple(statement) == STATEMENT_CSV_COLUMNS
    assert statement["quotes"].splitlines() == ["Fujian will open routes.", "More routes are coming."]
    assert statement["title"] == "Ports of Fujian" and statement["actor"] == "Wang Ning"


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\")", "+1+2", "-2+3", "@SUM(A1:A9)", "\tpadded", "\rx",
                                  "=cmd|' /C calc'!A0"])
def test_safe_cell_neutralises_formulas(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_safe_cell_keeps_numbers_and_plain_text() -> None:
    for text in ("-12", "-0.5", "1e11", "4600", "Xiamen", "", "a=b"):
        assert safe_cell(text) == text
    assert safe_cell(None) == ""


def test_no_cell_of_any_csv_starts_a_formula(tmp_path: Path) -> None:
    bad = "=HYPERLINK(\"http://evil\",\"click\")"
    meta = article("evil", title="=1+1", source="@source", url="-x", published="2020-01-21")
    metric = Metric(subject=bad, value=-12, unit="%", kind="growth", period="2020", location="+Fujian",
                    evidence=ev("-12% was the fall."))
    growth = Metric(subject="@trade", value=-3.5, unit="%", kind="growth", period="2020", location="+Fujian",
                    evidence=ev("=trade fell 3.5%", 30))
    project = InfrastructureProject(name="=Port", kind="port", status="planned", locations=["@Xiamen"], partners=["-P"],
                                    initiatives=["+I"], timeline="\tfrom March", evidence=ev("\tThe port.", 60))
    statement = PolicyStatement(actor="@Wang", actor_role="=Governor", jurisdiction="-Fujian", kind="plan",
                                summary="+More routes.", venue="\rCongress", evidence=ev("@Wang said so.", 90))
    other = Metric(subject=bad, value=7, unit="%", kind="growth", period="2020", location="+Fujian",
                   evidence=ev("=It rose 7%.", 0))
    sheets = [FactSheet(article=meta, metrics=[metric, growth], infrastructure_projects=[project],
                        policy_statements=[statement], provenance=Provenance(backend="test")),
              FactSheet(article=article("-other", title="+t"), metrics=[other], provenance=Provenance(backend="test"))]
    write_corpus(tmp_path, sheets)
    cells = 0
    for name in (METRICS_CSV, PROJECTS_CSV, STATEMENTS_CSV):
        for row in csv.reader(io.StringIO((tmp_path / name).read_text(encoding="utf-8"))):
            for cell in row:
                cells += 1
                assert not cell.startswith(FORMULA_START) or NUMBER.fullmatch(cell), (name, cell)
    assert cells > 60
    values = [r["value"] for r in csv.DictReader(io.StringIO((tmp_path / METRICS_CSV).read_text(encoding="utf-8")))]
    assert sorted(values) == ["-12", "-3.5", "7"]  # negative numbers stay numbers
    text = (tmp_path / METRICS_CSV).read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'-other" in text and "'=1+1" in text  # shown, with the apostrophe
