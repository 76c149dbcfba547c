"""A figure's period from its clause, sentence, paragraph and the article's frame (issue #13), on
invented sentences. The helper's published date is 2021-12-20."""

from __future__ import annotations

from datetime import date

import pytest
from rules_helpers import sheet


def period(text: str, value: float, published: date = date(2021, 12, 20)) -> str | None:
    found = [m for m in sheet(text, published).metrics if m.value == pytest.approx(value)]
    assert found, [(m.value, m.period) for m in sheet(text, published).metrics]
    return found[0].period


def test_first_n_months_is_january_to_month_n():
    assert period("In the first 11 months, Yunnan's exports to Laos reached 9.4 billion yuan.", 9.4e9) == "2021-01/2021-11"


def test_since_its_launch_in_a_year_runs_to_the_published_year():
    text = "Since its launch in 2016, the Harbin freight service has made 1,240 trips."
    assert period(text, 1240) == "2016/2021"


def test_since_the_first_train_left_in_a_month_runs_to_the_published_month():
    text = "Since the first train left Lanzhou in June 2018, the route has carried 55,000 containers."
    assert period(text, 55000) == "2018-06/2021-12"


def test_a_stated_cut_off_date_wins_over_so_far_this_year():
    assert period("As of August 23, a total of 272 trains have left so far this year.", 272) == "2021-01/2021-08"


def test_the_past_ten_years_ends_at_the_published_year():
    assert period("In the past ten years, Guangdong built 130 new wharves.", 130) == "2011/2021"


def test_by_a_day_this_year_is_cumulative_from_january():
    text = "By Aug 15 this year, the yard had handled 77,000 containers."
    assert period(text, 77000) == "2021-01/2021-08"


@pytest.mark.parametrize(
    "text",
    [
        "As of the end of October, Jiangxi had opened 19 air cargo routes.",
        "As of late October, Jiangxi had opened 19 air cargo routes.",
    ],
)
def test_as_of_a_month_without_this_year_is_that_month(text: str) -> None:
    # A total at a month from a start the phrase does not give (evals/GUIDELINES.md 2.5).
    assert period(text, 19) == "2021-10"


def test_as_of_a_month_this_year_is_cumulative_from_january():
    assert period("As of the end of October this year, Jiangxi had opened 19 air cargo routes.", 19) == "2021-01/2021-10"


def test_a_leading_year_carries_to_the_next_sentences_of_the_paragraph():
    text = "In 2019, Shaanxi's exports rose 12 percent. Its imports reached 88 billion yuan."
    assert period(text, 8.8e10) == "2019"


def test_a_running_total_does_not_set_the_period_of_the_next_sentence():
    text = ("Last year, the service ran 800 trips, and it has run 5,000 trips since it was opened in 2014. "
            "Its revenue was 2 billion yuan.")
    assert period(text, 2e9) == "2020"


def test_the_figures_own_clause_wins_over_an_earlier_period():
    text = "In the first half of the year the port grew 8 percent, and the group plans to add 40 berths next year."
    assert period(text, 40) == "2022"


def test_a_target_year_is_the_period_of_a_target():
    text = "Hainan aims to attract 500 global firms by 2025."
    (m,) = [m for m in sheet(text).metrics if m.value == 500]
    assert (m.status.value, m.period) == ("target", "2025")


def test_a_goal_year_does_not_carry_into_a_reported_fact():
    text = "Gansu plans to open 20 routes by 2025. During the fair, organisers held 9 trade meetings."
    assert period(text, 9) != "2025"


def test_plans_take_the_year_the_article_says_they_are_for():
    text = ("The government said this year it will deepen opening up.\n"
            "We will open 6 new freight routes and build 2 bonded warehouses.")
    assert period(text, 6) == "2021"


def test_now_is_the_month_of_writing():
    text = "The park, which began operation in 2017, is now home to 31 companies."
    assert period(text, 31) == "2021-12"


def test_on_the_day_in_a_dated_story_is_the_month_of_writing():
    text = ("Kunming, December 18 (Reporter Li Ping) On the morning of the 18th, the expo opened. "
            "More than 900 guests attended.")
    assert period(text, 900) == "2021-12"


def test_a_figure_in_a_suggestion_or_a_list_of_goals_is_a_target():
    text = "A delegate suggested that the county build 4 cold-storage warehouses."
    (m,) = [m for m in sheet(text).metrics if m.value == 4]
    assert m.status.value == "target"
    text = "The main goals are: exports up 6 percent and 20 new routes."
    assert {m.status.value for m in sheet(text).metrics} == {"target"}


def test_a_hyphenated_range_of_months_is_one_interval():
    assert period("Exports to Laos reached 3.1 billion yuan in January-October, up 9 percent.", 3.1e9) == "2021-01/2021-10"
    assert period("In Jan-Oct, the hub dispatched 640 trains.", 640) == "2021-01/2021-10"


def test_the_past_decade_ends_at_the_published_year():
    assert period("Over the past decade, the line carried 9,000 trains.", 9000) == "2011/2021"


def test_last_month_is_the_month_before_writing():
    assert period("Last month, the terminal handled 410,000 TEUs.", 410000) == "2021-11"


def test_an_event_on_a_weekday_takes_the_month_of_writing():
    assert period("On Tuesday, a train carrying 50 containers left Chongqing.", 50) == "2021-12"


def test_so_far_this_year_is_cumulative_to_the_month_of_writing():
    assert period("So far this year, 1,300 trains have left the hub.", 1300) == "2021-01/2021-12"


def test_a_reported_flow_without_a_time_phrase_takes_the_articles_reporting_period():
    text = ("In the first 11 months, Guangxi's trade with ASEAN reached 380 billion yuan, up 8 percent.\n"
            "Exports of machinery rose 12 percent.\n"
            "The port has 42 berths.")
    assert period(text, 12) == "2021-01/2021-11"
    assert period(text, 42) is None  # a stock with no time phrase keeps no period


def test_an_article_without_a_reporting_period_in_its_lead_adds_none():
    text = "The new terminal opened to ships.\nExports of machinery rose 12 percent."
    assert period(text, 12) is None


def test_the_past_n_months_ends_at_the_month_of_writing():
    text = "Over the past three months, the new line has handled 1,500 freight trains."
    assert period(text, 1500, date(2022, 3, 3)) == "2021-12/2022-03"


def test_a_growth_from_an_earlier_year_is_for_the_later_one():
    assert period("The dry port handled 500,000 TEUs last year, up 20 percent from 2019.", 20) == "2020"


def test_so_far_after_a_sentence_about_this_year_is_the_year_so_far():
    from rules_helpers import PUBLISHED, sheet

    text = ("Port volumes climb\n\n"
            "The station's container traffic has kept growing this year. \"So far, the total has reached 2.3 million "
            "tonnes, up 9.4 percent year on year,\" the manager said.")
    y, m = PUBLISHED.year, PUBLISHED.month
    periods = {x.value: x.period for x in sheet(text).metrics}
    assert periods[2.3e6] == (f"{y}-01/{y}-{m:02d}" if m > 1 else f"{y}-01")
    assert periods[9.4] == periods[2.3e6]


def test_so_far_without_a_this_year_frame_is_the_month_of_writing():
    from rules_helpers import PUBLISHED, sheet

    text = "Port volumes climb\n\nSo far, the station has handled 2.3 million tonnes of containers, the manager said."
    assert sheet(text).metrics[0].period == f"{PUBLISHED.year}-{PUBLISHED.month:02d}"


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        (
            "In the first half of 2021, the port handled 9 million TEUs. "
            "During the same period, its throughput grew 3.5 percent from the same period of the previous year.",
            3.5,
            "2021-01/2021-06",
        ),
        ("In 2021, the line carried 250,000 containers, which is 41% more than in 2020.", 41, "2021"),
    ],
)
def test_a_comparison_base_is_not_the_period(text: str, value: float, expected: str) -> None:
    assert period(text, value) == expected


def test_launched_in_a_year_opens_a_running_total_for_its_own_sentence_only() -> None:
    text = (
        "In the first half of this year, the trains made 7,000 trips.\n\n"
        "Launched in 2013, the trains have reached 96 cities and made more than 30,000 trips. "
        "The service covers 12 provinces."
    )
    assert period(text, 30000) == "2013/2021"
    assert period(text, 96) == "2013/2021"
    assert period(text, 12) is None


def test_the_day_of_a_report_is_not_the_period_of_its_figures() -> None:
    text = ("In the first half of 2021, the line carried 2 million tonnes, with transit cargo reaching 300,000 tonnes, "
            "up 85 percent, Xinhua News Agency reported on Tuesday.")
    assert period(text, 85) == "2021-01/2021-06"


def test_the_later_figures_of_a_dated_event_take_its_month():
    text = ("A new ferry service between the two islands was launched on Tuesday.\n"
            "The first ferry carried 120 cars and 400 passengers.\n"
            "It travelled for 6 hours.\n"
            "The ferry's operator has 14 ships.")
    assert period(text, 120) == "2021-12"
    assert period(text, 6) == "2021-12"
    assert period(text, 14) is None  # a stock with no time phrase keeps no period


def test_recently_is_the_month_of_writing():
    text = "A cargo train recently returned from Warsaw.\nThe train was loaded with 41 containers of furniture."
    assert period(text, 41) == "2021-12"


def test_the_year_in_an_events_name_is_not_the_period():
    text = ("Release time: 2021-11-04 10:12\n"
            "On the morning of the 3rd, the 2021 Riverside Trade Forum was held in the city.\n"
            "At the forum, 35 projects were signed, and the organizer also held 6 matchmaking events.")
    assert period(text, 35, date(2021, 11, 4)) == "2021-11"
    assert period(text, 6, date(2021, 11, 4)) == "2021-11"


def test_a_total_since_a_year_in_a_report_on_last_year_ends_that_year():
    text = ("A total of 410 cargo flights left the airport in 2021, officials said.\n\n"
            "This brings the total number of such flights to 2,300 since the airport opened the route in 2016.")
    found = [m for m in sheet(text, date(2022, 1, 12)).metrics if m.value == 2300]
    assert [(m.unit, m.period) for m in found] == [("flights", "2016/2021")]


def test_a_total_since_a_year_in_a_story_on_this_year_runs_to_the_year_of_writing():
    text = "The airport has handled 2,300 cargo flights since it opened the route in 2016."
    assert period(text, 2300, date(2022, 5, 12)) == "2016/2022"


def test_the_length_of_a_route_takes_no_period():
    text = "On Tuesday a train with 41 containers left the city for the 9,800-km journey to Madrid."
    assert period(text, 41) == "2021-12"
    assert period(text, 9800) is None
    assert period("In 2020 the new line, which covers 420 kilometers, opened to traffic.", 420) is None


def test_kilometres_built_in_a_year_keep_the_year():
    assert period("In 2020 the province built 420 kilometers of new expressways.", 420) == "2020"


def test_since_the_launch_takes_the_launch_year_named_before():
    text = ("The ferry line went into operation in May 2016.\n\n"
            "Since the launch of the line, ferries have carried 310,000 trucks, according to 2020 data.")
    assert period(text, 310000, date(2021, 3, 1)) == "2016/2020"
    text = "The ferry line went into operation in May 2016.\n\nSince its launch, ferries have carried 310,000 trucks."
    assert period(text, 310000, date(2021, 3, 1)) == "2016/2021"


def test_since_the_launch_without_a_launch_year_keeps_its_own_period():
    text = "Since the launch of the line, ferries have carried 310,000 trucks, according to 2020 data."
    assert period(text, 310000, date(2021, 3, 1)) == "2020"


def _status(text: str, value: float) -> str:
    return next(m.status.value for m in sheet(text).metrics if m.value == pytest.approx(value))


def test_an_estimated_investment_is_a_target():
    text = "The new bridge is 12 km long, with an estimated total investment of 4 billion yuan."
    assert _status(text, 4e9) == "target"  # GUIDELINES 7.4: the planner's budget
    assert _status("The bridge cost 4 billion yuan to build.", 4e9) == "actual"


def test_a_goal_by_a_year_right_after_the_figure_is_for_that_year():
    text = "The operator plans to open a depot next year and to attract another 15 firms by 2026."
    assert period(text, 15) == "2026"


def test_among_them_counts_a_part_of_the_same_time_as_the_whole():
    text = ("In 2020 the fair signed 40 contracts worth 2 billion yuan. "
            "Among them, 12 are foreign-funded projects, and their value is 500 million yuan.")
    found = {m.value: (m.unit, m.period) for m in sheet(text).metrics}
    assert found[12] == ("projects", "2020")
    assert found[5e8] == ("CNY", "2020")


def test_the_number_of_cross_border_routes_is_a_count_of_routes():
    text = "At present, the number of cross-border routes has increased to 11, reaching four countries."
    assert [(m.value, m.unit) for m in sheet(text).metrics if m.value == 11] == [(11, "routes")]
