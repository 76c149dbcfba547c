"""Cases a careful analyst gets right that the first rules got wrong (each was a bug)."""

from __future__ import annotations

from datetime import date

import pytest
from rules_helpers import sheet

from extract.backends.rules.numbers import find_quantities
from extract.backends.rules.periods import time_mentions


def quantities(text: str) -> list[tuple[float, str, str]]:
    return [(q.value, q.unit, q.comparator) for q in find_quantities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("About 300 guests attended the forum in Nanning.", [(300.0, "guests", "approx")]),
        ("2,600 trains left the hub last year.", [(2600.0, "trains", "eq")]),
        ("99%", [(99.0, "%", "eq")]),
        ("Last year, two-way investment reached 20 billion U.S. dollars.", [(2e10, "USD", "eq")]),
        ("In 2020, the Ningbo port handled 30 million TEUs or more.", [(3e7, "TEU", "gt")]),
        ("Trains on the new line run at a speed of 350 km/h.", [(350.0, "km/h", "eq")]),
        ("The Belt and Road Initiative, proposed 8 years ago, has borne fruit in Fujian.", []),
        ("Customs data showed that in the first 11 months, Xi'an sent 3,000 trains.", [(3000.0, "trains", "eq")]),
        ("The Kunming-Bangkok Expressway connects the two countries.", []),
        ("Fortune Global 500 companies have invested in the zone.", []),
    ],
)
def test_quantities(text: str, expected: list[tuple[float, str, str]]) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("From January to November last year, the trade of Fujian rose.", "2021-12-20", "2020-01/2020-11"),
        ("In the first 11 months of 2020, exports rose.", "2021-12-20", "2020-01/2020-11"),
        ("In the first two months, Xi'an sent trains.", "2021-12-20", "2021-01/2021-02"),
        ("In the first three quarters, trade rose.", "2021-12-20", "2021-01/2021-09"),
        # A month after the published month, with no year, is last year's.
        ("In November, exports of Anhui reached a record.", "2021-03-05", "2020-11"),
        ("In the past five years, Fujian has opened new routes.", "2021-01-20", "2016/2020"),
    ],
)
def test_periods(text: str, published: str, expected: str) -> None:
    mentions = time_mentions(text, 0, len(text), date.fromisoformat(published))
    assert [m.period for m in mentions] == [expected]


def test_a_goal_with_a_rate_is_a_growth_target() -> None:
    result = sheet("The province strives to raise foreign trade by more than 10 percent.")
    (metric,) = result.metrics
    assert (metric.kind.value, metric.status.value, metric.comparator.value) == ("growth", "target", "gt")
    (statement,) = result.policy_statements
    assert statement.kind.value == "target"


def test_dateline_is_not_part_of_the_subject() -> None:
    (metric,) = sheet("Xinhua, Hefei, March 5 -- Anhui's exports rose 8.1 percent last year.").metrics
    assert metric.subject == "Anhui's exports"
    assert metric.period == "2020"


def test_a_period_after_the_rate_is_not_its_subject() -> None:
    (metric,) = sheet("Container throughput fell 3.2% in the first quarter because of the epidemic.").metrics
    assert metric.subject == "Container throughput"
    assert metric.value == -3.2


def test_title_before_a_name_is_the_role() -> None:
    text = "Governor Zhou Mingde said in the government work report that Hunan will build a logistics hub."
    (statement,) = sheet(text).policy_statements
    assert (statement.actor, statement.actor_role, statement.kind.value) == ("Zhou Mingde", "Governor", "plan")
    assert statement.venue == "government work report"


def test_he_refers_to_a_person_introduced_without_a_reporting_verb() -> None:
    text = "Lin Haoran, mayor of Wuhan, attended the ceremony. He said that Wuhan will open a new route to Duisburg."
    (statement,) = sheet(text).policy_statements
    assert (statement.actor, statement.actor_role, statement.kind.value) == ("Lin Haoran", "mayor of Wuhan", "plan")


def test_plural_reporting_verbs() -> None:
    (statement,) = sheet("Experts believe that the corridor is a key link of the Maritime Silk Road.").policy_statements
    assert (statement.actor, statement.kind.value) == ("Experts", "assessment")


def test_a_project_in_the_passive_is_no_actor() -> None:
    assert sheet("The Hainan Free Trade Port will be built step by step.").policy_statements == []


def test_reporting_verb_at_the_end_keeps_the_position() -> None:
    (statement,) = sheet("The port will become the key gateway of the region, officials said.").policy_statements
    assert statement.actor == "Officials"
    assert "key gateway" in statement.summary


def test_an_initiative_is_not_a_project() -> None:
    text = "Experts say the new western land-sea corridor brings opportunities to inland areas."
    assert sheet(text).infrastructure_projects == []


def test_project_status_comes_from_its_own_clause() -> None:
    text = "This year, Yunnan will build the Mohan logistics hub and expand the China-Laos Railway's freight services."
    projects = sheet(text).infrastructure_projects
    by_name = {p.name: p for p in projects}
    assert by_name["Mohan Logistics Hub"].status.value == "planned"
    assert by_name["China-Laos Railway"].status.value == "operational"
    assert by_name["China-Laos Railway"].locations == ["China", "Laos"]


def test_reported_results_mean_operational() -> None:
    (project,) = sheet("The China-Belarus Industrial Park has attracted companies from 15 countries.").infrastructure_projects
    assert project.status.value == "operational"
    assert project.locations == ["Belarus"]  # the park lies in Belarus (GUIDELINES 3.5 labels)


def test_a_paragraph_opening_with_however_keeps_the_period_before() -> None:
    text = "In 2020, exports of Hunan grew by 5%.\nHowever, cross-border e-commerce exports reached 12 billion yuan."
    amounts = [m for m in sheet(text).metrics if m.unit == "CNY"]
    assert [(m.value, m.period, m.location) for m in amounts] == [(1.2e10, "2020", "Hunan")]


def test_a_new_paragraph_takes_the_articles_period_not_the_previous_paragraphs() -> None:
    text = ("In the first 11 months, exports of Hunan grew by 5%.\nIn 2019, its exports were 400 billion yuan.\n"
            "Cross-border e-commerce exports reached 12 billion yuan.")
    amounts = [m for m in sheet(text).metrics if m.value == 1.2e10]
    assert [m.period for m in amounts] == ["2021-01/2021-11"]


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("Since 2013, Chinese companies have invested more than $6.5 billion in Serbia.", "2013/2023"),
        ("From 2013 to 2022, trade between the two countries reached 120 billion yuan.", "2013/2022"),
    ],
)
def test_cumulative_periods_end_in_an_interval(text: str, period: str) -> None:
    (metric,) = sheet(text, published=date(2023, 8, 14)).metrics
    assert (metric.period, metric.status.value) == (period, "actual")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The date something opened is a milestone, not the period of figures near it.
        ("The park, which began operation in 2020, is home to 14 companies.", None),
        ("Since November 2017, the trains have carried more than 5,600 trains of goods.", "2017-11/2023-12"),
        ("At present, the trains reach 72 cities.", "2023-12"),
    ],
)
def test_milestones_and_present_time(text: str, expected: str | None) -> None:
    (metric,) = sheet(text, published=date(2023, 12, 12)).metrics
    assert metric.period == expected


def test_the_office_in_a_title_is_not_a_project() -> None:
    text = "Li Ming, director of the Management Committee of Nanning International Railway Port, said the port will add routes."
    result = sheet(text)
    assert result.infrastructure_projects == []
    (statement,) = result.policy_statements
    assert statement.actor == "Li Ming"


def test_a_bare_speech_tag_is_no_statement() -> None:
    assert sheet('"We will add three routes next year," she said.').policy_statements == []
