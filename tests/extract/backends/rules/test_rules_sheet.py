"""The whole backend over synthetic articles: determinism, grounding, validity, odd input."""

from __future__ import annotations

import asyncio

import pytest
from rules_helpers import article, assert_grounded, sheet

from extract.backends.rules import RulesBackend, extract_sheet
from schemas import FactSheet

ARTICLES = {
    "xinhua_rail": (
        "Xinhua, Lanzhou, Dec. 18 -- Lanzhou's international land port has sent more than 1,800 "
        "freight trains to Central Asia this year, up 21.5 percent year on year.\n"
        "Officials said the Lanzhou International Land Port will add two new routes to Europe next year.\n"
        "Ma Xiaoyun, a deputy to the Gansu Provincial People's Congress, suggested that Gansu should "
        "build a bonded logistics center near the land port.\n"
        "He said that the \u201cone belt and one way\u201d brings historic opportunities to the province."
    ),
    "work_report": (
        "Governor delivers work report\n"
        "In the government work report, Chen Weiguo, governor of Yunnan Province, said that last year "
        "Yunnan's trade with Belt and Road countries reached 180.6 billion yuan, up 9.8%.\n"
        "This year, Yunnan will deepen cooperation with Laos, build the Mohan logistics hub and expand "
        "the China-Laos Railway's freight services.\n"
        "The province strives to raise foreign trade by more than 10 percent."
    ),
    "port_news": (
        "China News Service, Qinzhou -- In the first half of 2021, Qinzhou Port handled 2.9 million TEUs, "
        "accounting for 35% of the total in Guangxi.\n"
        "Container throughput fell 3.2% in the first quarter because of the epidemic, but recovered quickly.\n"
        "Experts believe that the new western land-sea corridor is a key link of the \u201cHai Silk\u201d.\n"
        "Analysts believed that the port is an important gateway of the \u201cHai Silk\u201d."
    ),
}


@pytest.mark.parametrize("article_id", sorted(ARTICLES))
def test_deterministic(article_id: str) -> None:
    text = ARTICLES[article_id]
    first = sheet(text).model_dump(exclude={"provenance"})
    second = sheet(text).model_dump(exclude={"provenance"})
    assert first == second


@pytest.mark.parametrize("article_id", sorted(ARTICLES))
def test_every_fact_is_grounded_and_the_sheet_valid(article_id: str) -> None:
    text = ARTICLES[article_id]
    result = sheet(text)
    facts = [f for _, f in result.facts()]
    assert facts
    assert_grounded(text, facts)
    round_trip = FactSheet.model_validate_json(result.model_dump_json())
    assert round_trip.model_dump(exclude={"provenance"}) == result.model_dump(exclude={"provenance"})


def test_rail_article_facts() -> None:
    result = sheet(ARTICLES["xinhua_rail"])
    trains = [m for m in result.metrics if m.unit == "trains"]
    assert [(m.value, m.comparator, m.period, m.location) for m in trains] == [(1800, "gt", "2021", "Lanzhou")]
    growth = [m for m in result.metrics if m.kind == "growth"]
    assert [m.value for m in growth] == [21.5]
    assert "Lanzhou International Land Port" in {p.name for p in result.infrastructure_projects}
    proposals = [s for s in result.policy_statements if s.kind == "proposal"]
    assert [s.actor for s in proposals] == ["Ma Xiaoyun"]
    continued = [s for s in result.policy_statements if s.evidence[0].quote.startswith("He said")]
    assert [s.actor for s in continued] == ["Ma Xiaoyun"]
    assert continued[0].initiatives == ["Belt and Road Initiative"]


def test_work_report_article_facts() -> None:
    result = sheet(ARTICLES["work_report"])
    money = [m for m in result.metrics if m.unit == "CNY"]
    assert [(m.value, m.period, m.status, m.location) for m in money] == [(1.806e11, "2020", "actual", "Yunnan")]
    # The governor reporting last year's results makes a claim about results.
    first = result.policy_statements[0]
    assert (first.actor, first.kind, first.venue) == ("Chen Weiguo", "assessment", "government work report")
    assert first.actor_role == "governor of Yunnan Province"
    yunnan = [s for s in result.policy_statements if s.actor == "Yunnan"]
    assert len(yunnan) == 3
    assert {p.name for p in result.infrastructure_projects} >= {"China-Laos Railway"}


def test_port_article_facts() -> None:
    result = sheet(ARTICLES["port_news"])
    teu = [m for m in result.metrics if m.unit == "TEU"]
    assert [(m.value, m.period) for m in teu] == [(2.9e6, "2021-01/2021-06")]
    share = [m for m in result.metrics if m.kind == "share"]
    assert [m.value for m in share] == [35]
    fall = [m for m in result.metrics if m.kind == "growth"]
    assert [(m.value, m.period) for m in fall] == [(-3.2, "2021-01/2021-03")]
    assert "Qinzhou Port" in {p.name for p in result.infrastructure_projects}
    analysts = [s for s in result.policy_statements if s.actor == "Analysts"]
    assert [s.kind for s in analysts] == ["assessment"]
    assert analysts[0].initiatives == ["21st Century Maritime Silk Road"]


def test_article_without_facts_gives_an_empty_valid_sheet() -> None:
    text = "The autumn weather in the mountains was pleasant, and visitors enjoyed the quiet scenery."
    result = sheet(text)
    assert result.metrics == [] and result.infrastructure_projects == [] and result.policy_statements == []
    assert result.article.id == "synthetic"
    assert result.provenance.backend == "rules"
    FactSheet.model_validate_json(result.model_dump_json())


def test_sheet_without_published_date() -> None:
    text = "Officials said that last year the trade of Hainan reached 93.2 billion yuan."
    result = sheet(text, published=None)
    (m,) = result.metrics
    assert m.period is None
    assert m.value == 9.32e10


def test_backend_interface_returns_the_same_sheet() -> None:
    text = ARTICLES["port_news"]
    backend = RulesBackend()
    got = asyncio.run(backend.extract(article(text)))
    assert got.model_dump(exclude={"provenance"}) == extract_sheet(article(text)).model_dump(exclude={"provenance"})
    assert backend.fingerprint()["rules_version"].startswith("rules-")


@pytest.mark.parametrize(
    "text",
    [
        "Report: 123 456 7.5 2,000 99% 3 billion 0.5 1,000,000",
        "Note. " + ", ".join(["the city handled 3 billion yuan of goods"] * 150) + ".",
        "Title\n" + "x" * 20000,
        "\u201cThe port,\u201d he said, \u201cwill open.\u201d \u2018Silk Road Shipping\u2019 \u2014 a first\u2026",
        "Officials said \u201cSilk Road Shipping\u201d opened 80 routes \u2013 with \u00a0smart ports\u3002",
        "\u00a0\u3000 \n\n  \n",
        "。！？",
        "Dr. A. B. said U.S. firms et al. e.g. invested... in St. Petersburg?!",
        "Report: %%% $$$ US$ 1.2.3.4 2,,000 3..5",
    ],
)
def test_odd_input_does_not_crash(text: str) -> None:
    result = sheet(text)
    assert_grounded(text, [f for _, f in result.facts()])
    FactSheet.model_validate_json(result.model_dump_json())


def test_long_sentence_yields_one_metric_per_figure() -> None:
    text = "Note. " + ", ".join(["the city handled 3 billion yuan of goods"] * 150) + "."
    result = sheet(text)
    assert len(result.metrics) == 150
    assert {m.value for m in result.metrics} == {3e9}


def test_a_headline_figure_the_body_restates_is_one_metric() -> None:
    from datetime import date

    from extract.articles import Article, sha256_text
    from schemas import ArticleMeta

    text = "Port sees cargo up 12% in Q1\n\nIn the first quarter, the port's cargo rose 12% year on year to 3 million tonnes."
    meta = ArticleMeta(id="h", title="Port sees cargo up 12% in Q1", published=date(2024, 4, 9), sha256=sha256_text(text))
    metrics = extract_sheet(Article(meta=meta, text=text)).metrics
    assert sorted((m.value, m.unit) for m in metrics) == [(12.0, "%"), (3e6, "tonnes")]
    assert all(m.evidence[0].start >= text.index("In the first") for m in metrics)


def test_a_headline_count_named_more_shortly_is_the_bodys_count() -> None:
    from datetime import date

    from extract.articles import Article, sha256_text
    from schemas import ArticleMeta

    title = "Kenya signs trade pacts with 40 partners"
    text = f"{title}\n\nKenya has signed trade pacts with 40 countries and regional blocs, the ministry said on Monday."
    meta = ArticleMeta(id="h2", title=title, published=date(2024, 4, 9), sha256=sha256_text(text))
    metrics = extract_sheet(Article(meta=meta, text=text)).metrics
    assert [(m.value, m.unit) for m in metrics] == [(40.0, "countries and regional blocs")]
