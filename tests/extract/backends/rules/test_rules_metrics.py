"""Metrics: kind, sign, status, comparator, period, location and evidence."""

from __future__ import annotations

from datetime import date

import pytest
from rules_helpers import PUBLISHED, assert_grounded, sheet

from extract.backends.rules.metrics import sentence_metrics
from extract.backends.rules.periods import time_mentions
from extract.backends.rules.text import sentences


def _metrics(text: str, published: date | None = PUBLISHED):
    result = sheet(text, published)
    assert_grounded(text, result.metrics)
    return result.metrics


def _one(text: str, published: date | None = PUBLISHED):
    found = _metrics(text, published)
    assert len(found) == 1, [m.model_dump(exclude={"evidence"}) for m in found]
    return found[0]


def test_money_is_an_amount_with_period_and_place() -> None:
    text = "According to Nanchang Customs, the foreign trade of Jiangxi reached 34.3 billion yuan last year."
    m = _one(text)
    assert (m.value, m.unit, m.kind, m.comparator, m.status) == (3.43e10, "CNY", "amount", "eq", "actual")
    assert m.period == "2020"
    assert m.location == "Jiangxi"
    assert "foreign trade" in m.subject


def test_count_of_trains_with_comparator() -> None:
    m = _one("So far this year, Xi'an has sent more than 2,600 trains to Central Asia and Europe.")
    assert (m.value, m.unit, m.kind, m.comparator, m.status) == (2600, "trains", "count", "gt", "actual")
    assert m.location == "Xi'an"


def test_translation_noise_banks_counts_trains() -> None:
    m = _one("This year, Chengdu has operated 4,600 banks of China-Europe trains.")
    assert (m.value, m.unit, m.kind) == (4600, "trains", "count")
    assert m.period == "2021"


def test_growth_year_on_year() -> None:
    m = _one("In the first quarter, Fuzhou's exports to Belt and Road countries grew 7.2% year-on-year.")
    assert (m.value, m.unit, m.kind, m.status) == (7.2, "%", "growth", "actual")
    assert m.period == "2021-01/2021-03"
    assert m.location == "Fuzhou"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Last year, the trade of Hefei with Japan was down 12% as demand weakened.", -12),
        ("In 2020, imports of crude oil through Qingdao fell 4.1 percent.", -4.1),
        ("Exports of textiles from Shaoxing declined by 3.4 percent in 2019.", -3.4),
        ("Affected by the epidemic, the number of flights at the airport in Xiamen dropped 20.5% last year.", -20.5),
    ],
)
def test_falls_are_negative_growth(text: str, value: float) -> None:
    m = _one(text)
    assert m.kind == "growth"
    assert m.value == pytest.approx(value)
    assert m.unit == "%"


def test_rise_is_positive_growth() -> None:
    m = _one("Last year, the freight volume of the Kunming hub rose 15.8 percent.")
    assert (m.value, m.kind) == (15.8, "growth")


def test_share_of_total() -> None:
    m = _one("In 2020, the trains of Zhengzhou accounted for 15% of the national total.")
    assert (m.value, m.unit, m.kind) == (15, "%", "share")


def test_amount_then_share_in_one_sentence() -> None:
    text = "Last year, trade between Guangxi and ASEAN reached 100 billion yuan, accounting for 25% of the total."
    money, share = _metrics(text)
    assert (money.value, money.unit, money.kind) == (1e11, "CNY", "amount")
    assert (share.value, share.unit, share.kind) == (25, "%", "share")
    assert money.location == share.location == "Guangxi"
    assert money.period == share.period == "2020"


def test_percentage_points() -> None:
    m = _one("Last year, the share of private firms in Ningbo's exports rose by 3.5 percentage points.")
    assert (m.value, m.unit, m.kind) == (3.5, "pp", "growth")


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("This year, Anhui will open more than 500 China-Europe freight trains.", "target"),
        ("Next year, Hefei will strive to open 30 new international routes.", "target"),
        ("By 2025, Chongqing aims to handle 1 million TEUs at its inland ports.", "target"),
        ("Trade between Yunnan and Laos is expected to exceed 50 billion yuan next year.", "forecast"),
        ("Analysts predicted that the throughput of the port in Xiamen will top 12 million TEUs.", "forecast"),
        ("Last year, Hunan opened 20 new air cargo routes to Southeast Asia.", "actual"),
        ("In 2019, exports of the Urumqi hub reached 8.6 billion yuan.", "actual"),
    ],
)
def test_status(text: str, status: str) -> None:
    assert _one(text).status == status


def test_a_past_year_is_actual_whatever_the_tense() -> None:
    # Translated reports often keep a plan's tense for results of a year already over.
    m = _one("In 2020, Shaanxi will have opened 3,720 trains, the government said.")
    assert m.status == "actual"
    assert m.period == "2020"


@pytest.mark.parametrize(
    ("text", "comparator"),
    [
        ("Last year, the Suzhou hub sent over 1,000 trips to Poland.", "gt"),
        ("The forum in Nanning drew about 300 guests from ASEAN countries.", "approx"),
        ("Last year, the average delay at the port of Tianjin was less than 5%.", "lt"),
        ("In 2020, the terminal in Lianyungang handled nearly 300,000 tonnes of grain.", "approx"),
        ("Last year, Jiangsu exported exactly 20 billion yuan of machinery to Belt and Road countries.", "eq"),
    ],
)
def test_comparator(text: str, comparator: str) -> None:
    assert _one(text).comparator == comparator


def test_location_is_the_place_in_the_sentence() -> None:
    text = "Last year, Xiamen sent 1,200 trains to Europe.\nIn 2020, the trade of Quanzhou with ASEAN reached 60 billion yuan."
    first, second = _metrics(text)
    assert first.location == "Xiamen"
    assert second.location == "Quanzhou"


def test_location_carries_over_within_a_paragraph() -> None:
    text = "Officials in Lanzhou briefed reporters on Monday. Last year the city's land port handled 800,000 tonnes of goods."
    m = _one(text)
    assert m.location == "Lanzhou"


def test_period_carries_over_within_a_paragraph() -> None:
    text = "Last year was a record for Urumqi. Its exports to Kazakhstan grew 9.5 percent."
    m = _one(text)
    assert m.period == "2020"


def test_evidence_is_the_sentence() -> None:
    text = "A new chapter for the corridor.\nIn 2020, exports of Chongqing to Vietnam rose 18 percent. Imports also grew."
    m = _one(text)
    (ev,) = m.evidence
    assert ev.quote == "In 2020, exports of Chongqing to Vietnam rose 18 percent."
    assert text[ev.start : ev.end] == ev.quote


def test_sentence_metrics_on_one_sentence() -> None:
    text = "Customs said. Last year, Guangxi's exports to Vietnam reached US$20 billion, up 12% year on year."
    sentence = sentences(text)[1]
    found = sentence_metrics(text, sentence, PUBLISHED, [], None, None)
    assert [(m.value, m.unit, m.kind) for m in found] == [(2e10, "USD", "amount"), (12, "%", "growth")]
    for m in found:
        assert m.period == "2020"
        assert m.location == "Guangxi"
        assert m.evidence[0].quote == sentence.text
        assert text[m.evidence[0].start : m.evidence[0].end] == sentence.text


def test_sentence_metrics_uses_context_time_and_fallback_place() -> None:
    text = "Preface. The route carried 50,000 tonnes of goods."
    sentence = sentences(text)[1]
    (context,) = time_mentions("in 2019", 0, 7, PUBLISHED)
    (m,) = sentence_metrics(text, sentence, PUBLISHED, [], context, "Lanzhou")
    assert m.period == "2019"
    assert m.location == "Lanzhou"


def test_sentence_without_numbers_has_no_metrics() -> None:
    text = "Intro. The two sides agreed to deepen cooperation on logistics."
    assert sentence_metrics(text, sentences(text)[1], PUBLISHED, [], None, None) == []


@pytest.mark.parametrize(
    "text",
    [
        "Leaders of Fujian met at the 26th summit in Xiamen in 2019.",
        "The Sixth Session of the 13th Fujian Provincial People's Congress opened on January 28.",
        "Affected by COVID-19, the Fuzhou port expanded its 5G services on the 27th.",
    ],
)
def test_no_metrics_from_dates_ordinals_and_codes(text: str) -> None:
    assert _metrics(text) == []


def test_numbers_whose_noun_is_left_out_take_their_siblings_unit_and_own_year():
    from rules_helpers import sheet as _sheet

    found = [(m.value, m.unit, m.period) for m in _sheet("The hub ran 40 trains in 2018, 95 in 2019 and 210 in 2020.").metrics]
    assert found == [(40.0, "trains", "2018"), (95.0, "trains", "2019"), (210.0, "trains", "2020")]


def test_a_number_of_things_names_the_unit_of_a_bare_number():
    from rules_helpers import sheet as _sheet

    found = [(m.value, m.unit) for m in _sheet("The daily number of freight trains has increased from 3 to 18.").metrics]
    assert found == [(3.0, "trains"), (18.0, "trains")]


def test_a_bare_number_with_no_sibling_is_no_metric():
    from rules_helpers import sheet as _sheet

    assert _sheet("The line opened, and 40 is the number on its sign.").metrics == []


def test_a_currency_conversion_in_brackets_is_the_same_figure():
    from rules_helpers import sheet as _sheet

    text = "Exports reached 25.1 billion yuan (about 3.7 billion U.S. dollars) last year, and imports $2 billion."
    assert [(m.value, m.unit) for m in _sheet(text).metrics] == [(2.51e10, "CNY"), (2e9, "USD")]


def test_a_verb_after_and_is_not_part_of_the_unit():
    from rules_helpers import sheet as _sheet

    found = [(m.value, m.unit) for m in _sheet("The railway links five countries and has 12 stations.").metrics]
    assert found == [(5.0, "countries"), (12.0, "stations")]


def test_a_subject_leaves_out_the_xinhua_dateline():
    from rules_helpers import sheet as _sheet

    text = "KUNMING, Nov. 20 (Xinhua) -- The China-Laos Railway has handled 45 million tonnes of cargo."
    (m,) = _sheet(text).metrics
    assert "Xinhua" not in m.subject and m.subject.startswith("The China-Laos Railway")


def test_a_level_after_a_growth_rate_keeps_the_subject_and_its_number():
    from rules_helpers import sheet

    got = {(m.subject, m.value, m.kind) for m in sheet("The number of vehicles rose 9 percent to 2,040 last year.").metrics}
    assert got == {("The number of vehicles", 9.0, "growth"), ("The number of vehicles", 2040.0, "count")}
    got = {(m.subject, m.kind) for m in sheet("Tourism revenue grew 6 percent to 12 billion yuan in 2024.").metrics}
    assert got == {("Tourism revenue", "growth"), ("Tourism revenue", "amount")}
    level = sheet("The number of flights reached 860 in the first half of the year.").metrics
    assert [(m.value, m.unit) for m in level] == [(860.0, "flights")]
    scaled = sheet("The number of trips reached 1.2 million last year.").metrics
    assert [m.value for m in scaled] == [1.2e6]


def test_growth_verbs_in_ing_form_and_levels_reached_with_to():
    from rules_helpers import sheet

    got = [(m.subject, m.kind) for m in sheet("Sales of tea reached 45 billion yuan, soaring 52 percent.").metrics]
    assert got[1] == ("growth of Sales of tea", "growth")
    got = [(m.subject, m.value, m.kind) for m in sheet("Imports jumped 30 percent in May.").metrics]
    assert got == [("Imports", 30.0, "growth")]
    got = [(m.subject, m.kind) for m in sheet("The share of rail freight climbed to 40 percent.").metrics]
    assert got == [("The share of rail freight", "share")]
    assert [m.kind for m in sheet("Fees may fall by up to 40 percent.").metrics] == ["growth"]
    got = [(m.subject, m.value) for m in sheet("The loading rate rose from 30 percent to 45 percent.").metrics]
    assert got == [("The loading rate", 30.0), ("The loading rate", 45.0)]


def test_a_spelled_length_in_days_is_a_duration_like_a_digit_one():
    from rules_helpers import sheet

    got = [(m.subject, m.value, m.unit) for m in sheet("The three-day trade fair attracted 300 firms.").metrics]
    assert got[0] == ("duration of the trade fair", 3.0, "days")
    assert [m.subject for m in sheet("The 5-day Lakeside Expo opened on Monday.").metrics] == ["duration of the Lakeside Expo"]
    assert sheet("The two countries signed the deal.").metrics == []


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("A 41-container train left the city for Hamburg.", 41, "containers"),
        ("The 30-car train carried machinery to Almaty.", 30, "vehicles"),
    ],
)
def test_a_number_joined_to_a_noun_counts_that_noun(text: str, value: float, unit: str) -> None:
    m = _one(text)
    assert (m.value, m.unit, m.kind) == (value, unit, "count")


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("Some 12 county-level governments have drafted plans.", 12, "county-level governments"),
        ("Three other provincial-level regions have drafted plans.", 3, "provincial-level regions"),
        ("The line has carried over 400 kinds of goods since it opened.", 400, "kinds of goods"),
    ],
)
def test_a_count_keeps_its_level_and_its_kind(text: str, value: float, unit: str) -> None:
    m = _one(text)
    assert (m.value, m.unit) == (value, unit)


def test_it_is_necessary_to_states_a_target() -> None:
    m = _one("It is necessary to take the lead, and quickly expand a container yard with 2 million TEUs.")
    assert (m.value, m.unit, m.status) == (2_000_000, "TEU", "target")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("According to the plan, 300 freight trains will carry goods to Central Asia.", 300),
        ("Under the deal, 40 container ships will call at the port.", 40),
        ("The line is designed for a top speed of 160 km/h.", 160),
    ],
)
def test_a_planned_or_designed_figure_is_a_target(text: str, value: float) -> None:
    m = _one(text)
    assert (m.value, m.status) == (value, "target")


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("The 1,200-km railway started operation in 2021.", "length of the railway"),
        ("The 9,000-kilometer route passes through Kazakhstan.", "length of the route"),
        ("Around 12,000 tonnes of medical supplies were sent through the route in 2021.", "medical supplies"),
    ],
)
def test_a_figure_without_a_head_takes_what_it_measures(text: str, subject: str) -> None:
    assert _one(text).subject == subject


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        (
            "The Hefei-Hamburg line, which opened in 2019, has carried more than 90,000 passengers so far.",
            "passengers carried by the Hefei-Hamburg line",
        ),
        ("In 2015, Gansu ran 45 freight trains.", "freight trains run by Gansu"),
        ("It has run 300 trains.", "trains"),
        ("WUHAN - The service has handled 2,000 trips.", "trips handled by the service"),
    ],
)
def test_a_count_says_whose_it_is(text: str, subject: str) -> None:
    assert _one(text).subject == subject


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        (
            "In 2021, the Hexi Corridor railway transported a record-high 2.5 million tonnes of goods.",
            "the Hexi Corridor railway",
        ),
        ("Its direct investment in these countries topped 10 billion dollars.", "Its direct investment in these countries"),
    ],
)
def test_a_subject_leaves_out_its_verb(text: str, subject: str) -> None:
    assert _one(text).subject == subject


def test_a_future_cut_from_one_figure_to_another_starts_from_the_present() -> None:
    found = _metrics("When finished, the new bridge will cut the drive from about 90 minutes to under 20 minutes.")
    assert [(m.value, m.status) for m in found] == [(90, "actual"), (20, "target")]


@pytest.mark.parametrize(("text", "value"), [
    ("Exports reached 5 billion yuan last year, a 12.5 percent increase over 2022.", 12.5),
    ("Imports fell to 2 billion yuan, a 4 percent year-on-year drop.", -4),
])
def test_a_percent_followed_by_a_change_noun_is_a_growth(text: str, value: float) -> None:
    growth = [m for m in _metrics(text) if m.unit == "%"]
    assert [(m.kind, m.value) for m in growth] == [("growth", value)]


def test_the_port_in_a_later_sentence_is_the_port_city_not_its_province() -> None:
    text = ("Xiamen Port in Fujian Province opened two new routes on Monday. "
            "The port's container throughput reached 5 million TEUs in the first half of the year.")
    teu = [m for m in _metrics(text) if m.unit == "TEU"]
    assert [m.location for m in teu] == ["Xiamen"]


def test_a_figure_of_a_line_between_two_countries_has_no_one_place() -> None:
    text = "In Yunnan, officials said the China-Myanmar Railway has carried 900,000 passengers since it opened."
    assert [m.location for m in _metrics(text) if m.unit == "passengers"] == [None]


def test_a_figure_of_a_domestic_line_keeps_its_place() -> None:
    text = "The Chengdu-Chongqing Railway has carried 900,000 passengers this year."
    assert [m.location for m in _metrics(text) if m.unit == "passengers"] == ["Chengdu"]


def test_a_count_of_a_nations_things_is_that_nations() -> None:
    m = _one("In Tianjin, about 40 Kazakh firms joined the fair this week.")
    assert (m.value, m.location) == (40, "Kazakhstan")


def test_a_count_after_a_present_verb_says_whose_it_is() -> None:
    m = _one("The Lagos-Kano Express now reaches 14 cities in the north.")
    assert m.subject == "cities reached by the Lagos-Kano Express"


def test_a_delegates_proposal_takes_no_year_from_the_articles_plans() -> None:
    text = ("This year the province will strive to run 500 trains.\n\n"
            "A delegate suggested that the city set up a fund of 3 billion yuan for exporters.")
    found = {m.unit: m for m in _metrics(text)}
    assert found["trains"].period == "2021"
    assert (found["CNY"].status, found["CNY"].period) == ("target", None)


@pytest.mark.parametrize("text", [
    "This year the province will strive to run 500 trains.\n\nThe new line is designed for a top speed of 250 km/h.",
    "This year the province will strive to run 500 trains.\n\nOnce completed, the bridge will carry 40,000 vehicles a day.",
])
def test_a_design_or_completion_figure_takes_no_year_from_the_articles_plans(text: str) -> None:
    (other,) = [m for m in _metrics(text) if m.unit != "trains"]
    assert other.period is None


def test_international_organizations_is_one_unit() -> None:
    found = _metrics("The bank has signed agreements with 45 countries and 12 international organisations.")
    assert [m.unit for m in found] == ["countries", "international organizations"]


def test_has_enabled_x_to_reach_is_a_result_not_a_goal() -> None:
    m = _one("The new road has enabled farmers in the valley to reach the market in just 2 hours.")
    assert m.status == "actual"
