"""time_mentions and period_for, resolved against the published date."""

from __future__ import annotations

from datetime import date

import pytest

from extract.backends.rules.periods import period_for, time_mentions

PUBLISHED = date(2021, 12, 20)


def _periods(text: str, published: date | None = PUBLISHED) -> list[str | None]:
    return [t.period for t in time_mentions(text, 0, len(text), published)]


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("Trade between the province and Vietnam rose sharply last year.", "2020"),
        ("This year the city has opened three new routes to Europe.", "2021"),
        ("In 2018 the port handled its first train from Duisburg.", "2018"),
        ("In the first quarter, exports of the zone grew quickly.", "2021-01/2021-03"),
        ("In the first quarter of last year, exports of the zone fell.", "2020-01/2020-03"),
        ("In the first half of 2020, trade with Europe kept growing.", "2020-01/2020-06"),
        ("In the second half of this year, the new terminal will open.", "2021-07/2021-12"),
        ("From January to November, the trains carried more goods.", "2021-01/2021-11"),
        ("Since 2013, the trains have linked the city with 20 countries.", "2013/2021"),
        ("From 2016 to 2020, the port doubled its capacity.", "2016/2020"),
        ("In March, customs cleared goods around the clock.", "2021-03"),
        ("The previous year, the route carried few containers.", "2020"),
        # A running total of the year so far ends at the month of writing (SPEC: cumulative, year-to-date).
        ("The trains had carried 900 containers this year as of Monday, the operator said.", "2021-01/2021-12"),
        ("By Friday, the trains along the route this year had carried 900 containers.", "2021-01/2021-12"),
    ],
)
def test_period_resolved_against_published(text: str, period: str) -> None:
    assert _periods(text) == [period]


def test_relative_periods_follow_the_published_year() -> None:
    text = "Exports rose last year and will rise again this year."
    assert _periods(text, date(2019, 4, 1)) == ["2018", "2019"]


def test_relative_period_without_published_date_is_unknown() -> None:
    assert _periods("The trade volume fell last year.", None) == [None]


def test_since_a_year_without_published_date_keeps_the_year() -> None:
    assert _periods("Since 2015, the corridor has grown.", None) == ["2015"]


@pytest.mark.parametrize(
    "text",
    [
        "Exports grew 8% over the same period last year.",
        "The value was up 5 percent compared with last year.",
        "The number of trains was higher than last year.",
        "Freight volume increased by a quarter compared with 2019.",
    ],
)
def test_comparison_base_is_not_a_period(text: str) -> None:
    assert _periods(text) == []


def test_base_does_not_hide_the_real_period() -> None:
    text = "In the first half of 2020, exports grew 8% over the same period last year."
    assert _periods(text) == ["2020-01/2020-06"]


def test_future_years_are_flagged() -> None:
    mentions = time_mentions("By 2025, the port will handle more boxes; next year it adds a berth.", 0, 70, PUBLISHED)
    assert [(t.period, t.future) for t in mentions] == [("2025", True), ("2022", True)]
    past = time_mentions("In 2019 the line opened.", 0, 24, PUBLISHED)
    assert [(t.period, t.future) for t in past] == [("2019", False)]


def test_mentions_carry_offsets() -> None:
    text = "Officials said that in the first quarter of 2021 the volume rose."
    (mention,) = time_mentions(text, 0, len(text), PUBLISHED)
    assert text[mention.start : mention.end] == "the first quarter of 2021"


def test_period_for_prefers_the_nearest_mention_before() -> None:
    text = "In 2019 the port handled 3 million TEUs, and in 2020 it handled 4 million TEUs."
    mentions = time_mentions(text, 0, len(text), PUBLISHED)
    first = period_for(text.index("3 million"), mentions)
    second = period_for(text.index("4 million"), mentions)
    assert first is not None and first.period == "2019"
    assert second is not None and second.period == "2020"


def test_period_for_falls_back_to_the_next_mention() -> None:
    text = "The trains carried 2 million tonnes of goods in 2020."
    mentions = time_mentions(text, 0, len(text), PUBLISHED)
    found = period_for(text.index("2 million"), mentions)
    assert found is not None and found.period == "2020"


def test_period_for_without_mentions_is_none() -> None:
    assert period_for(10, []) is None


def test_since_a_long_clause_with_its_date_is_a_total_since_then() -> None:
    from rules_helpers import sheet

    text = ("Since a new cold-storage warehouse for imported seafood was opened at the Qingdao Port area in March 2019, "
            "over 5,000 tonnes of seafood have been imported.")
    (m,) = [m for m in sheet(text).metrics if m.unit == "tonnes"]
    assert m.period.startswith("2019-03/")
