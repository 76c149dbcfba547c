"""find_quantities: number, scale, unit, comparator; and what is not a quantity."""

from __future__ import annotations

import pytest

from extract.backends.rules.numbers import find_quantities


def _one(sentence: str):
    found = find_quantities(sentence)
    assert len(found) == 1, [(sentence[q.start : q.end], q.value, q.unit) for q in found]
    q = found[0]
    return q.value, q.unit, q.group, q.comparator


@pytest.mark.parametrize(
    ("sentence", "value", "unit", "comparator"),
    [
        ("Last year the import and export volume of Jiangxi reached 34.3 billion yuan.", 3.43e10, "CNY", "eq"),
        ("Since the route opened, more than 2,600 trains have left the Xi'an hub.", 2600, "trains", "gt"),
        ("By the end of June, Chinese firms had invested US$20 billion in the park.", 2e10, "USD", "eq"),
        ("Two-way investment with ASEAN reached 20 billion US dollars last year.", 2e10, "USD", "eq"),
        ("The total export value of the zone was 3.2 billion yuan.", 3.2e9, "CNY", "eq"),
        ("The bank signed loans worth RMB 5 billion with local enterprises.", 5e9, "CNY", "eq"),
        ("The contract with the Hungarian partner is worth €80 million.", 8e7, "EUR", "eq"),
        ("The fund raised HK$2 billion from investors in Hong Kong.", 2e9, "HKD", "eq"),
        ("The city's GDP reached 5.6 trillion yuan in the period.", 5.6e12, "CNY", "eq"),
        ("Investment in the project totalled 1.5 hundred million yuan.", 1.5e8, "CNY", "eq"),
        ("So far the trains have made over 1,000 trips to Central Asia.", 1000, "trains", "gt"),
        ("A total of about 300 guests from 20 ASEAN member and partner states attended.", 300, "guests", "approx"),
        ("The logistics cost of the route was cut to less than 5%.", 5, "%", "lt"),
        ("In 2020, Chengdu opened 4,600 banks of China-Europe trains.", 4600, "trains", "eq"),
        ("The container throughput of the port hit 1.2 million TEUs last year.", 1.2e6, "TEU", "eq"),
        ("The terminal handled 500,000 standard containers in the period.", 5e5, "TEU", "eq"),
        ("Each train carries 8,000 tonnes of coal and fertilizer.", 8000, "tonnes", "eq"),
        ("The port shipped nearly 300,000 tons of grain to Africa.", 3e5, "tonnes", "approx"),
        ("The new rail line is 142 kilometers long.", 142, "km", "eq"),
        ("The journey now takes 15 days instead of 40 by sea.", 15, "days", "eq"),
        ("The city has signed 12 agreements with partner cities.", 12, "agreements", "eq"),
        ("The throughput of the terminal exceeded 10,000 TEUs in the month.", 10000, "TEU", "gt"),
        ("The share of private firms rose by 3.5 percentage points.", 3.5, "pp", "eq"),
        ("The province signed seven landmark projects with Gulf investors.", 7, "projects", "eq"),
    ],
)
def test_quantity_value_unit_and_comparator(sentence: str, value: float, unit: str, comparator: str) -> None:
    got_value, got_unit, _group, got_comparator = _one(sentence)
    assert got_value == pytest.approx(value)
    assert got_unit == unit
    assert got_comparator == comparator


def test_percent_year_on_year() -> None:
    value, unit, group, comparator = _one("Foreign trade of the city grew 7.2% year-on-year in the period.")
    assert (value, unit, group, comparator) == (7.2, "%", "percent", "eq")


def test_percent_spelled_out() -> None:
    value, unit, _group, _comp = _one("The trade volume with Laos rose 12.5 percent over the period.")
    assert (value, unit) == (12.5, "%")


def test_money_and_percent_in_one_sentence() -> None:
    sentence = "The city's trade with ASEAN reached 100 billion yuan, accounting for 25% of the total."
    found = find_quantities(sentence)
    assert [(q.value, q.unit) for q in found] == [(1e11, "CNY"), (25.0, "%")]
    assert [sentence[q.start : q.start + 3] for q in found] == ["100", "25%"]


def test_two_counts_in_one_sentence() -> None:
    sentence = "The trains now reach 60 cities in 20 countries across Europe."
    assert [(q.value, q.unit) for q in find_quantities(sentence)] == [(60, "cities"), (20, "countries")]


def test_countries_and_regions_is_one_unit() -> None:
    value, unit, _group, _comp = _one("The fair drew exhibitors from 40 countries and regions this autumn.")
    assert (value, unit) == (40, "countries and regions")


@pytest.mark.parametrize(
    ("sentence", "unit"),
    [
        ("The treaty has been signed by 45 countries and international organizations so far.",
         "countries and international organizations"),
        ("Experts from 60 think tanks and research institutes met in the capital.", "think tanks and research institutes"),
        ("The fair drew 300 companies and business associations from the region.", "companies and business associations"),
    ],
)
def test_two_kinds_counted_together_keep_both_in_the_unit(sentence: str, unit: str) -> None:
    assert _one(sentence)[1] == unit


def test_a_second_kind_with_its_own_number_is_counted_by_itself() -> None:
    sentence = "The pact links 120 countries and 25 international organizations."
    assert [(q.value, q.unit) for q in find_quantities(sentence)] == [
        (120, "countries"), (25, "international organizations")]
    sentence = "The line carried 1.5 million passengers and 2.1 million tonnes of goods."
    assert [q.unit for q in find_quantities(sentence)] == ["passengers", "tonnes"]


def test_offsets_point_into_the_text() -> None:
    text = "Officials said that, since its launch, the line has carried 1.2 million TEUs of goods."
    q = find_quantities(text)[0]
    assert text[q.start : q.end] == "1.2 million TEUs"


def test_offsets_respect_the_search_window() -> None:
    text = "Exports rose 9 percent. Imports reached 4 billion yuan."
    start = text.index("Imports")
    found = find_quantities(text, start, len(text))
    assert [(q.value, q.unit) for q in found] == [(4e9, "CNY")]
    assert found[0].start > start


@pytest.mark.parametrize(
    "sentence",
    [
        "The first freight train to Vientiane left the station in 2019 amid cheers.",
        "The train departed on January 28 with auto parts and electronics.",
        "The ship docked at the terminal on the 27th, officials said.",
        "Leaders met at the 26th summit of the regional organization.",
        "The 18 th batch of goods was cleared by customs on Friday.",
        "Affected by COVID-19, the flow of passengers slowed sharply.",
        "The port has built 5G base stations along the wharf.",
        "The proposal was made at the Sixth Session of the 13th Provincial People's Congress.",
        "The county is promoting the model of two countries and two parks with Malaysia.",
        "The 2021-2025 action plan for the corridor was released on Tuesday.",
        "The ceremony began at 9:30 am on Tuesday at the port.",
        "The plan was adopted at the 3rd plenary session of the committee.",
        "The city marked the 10th anniversary of the railway with a ceremony.",
    ],
)
def test_not_a_quantity(sentence: str) -> None:
    assert find_quantities(sentence) == [], [sentence[q.start : q.end] for q in find_quantities(sentence)]


def test_spelled_slogan_in_quotes_is_not_counted() -> None:
    assert find_quantities('The city promotes the "two countries, two parks" cooperation model.') == []


def test_a_currency_code_before_the_number() -> None:
    from extract.backends.rules.numbers import find_quantities

    (q,) = find_quantities("The fund holds USD 40 billion.")
    assert (q.value, q.unit) == (4e10, "USD")


def test_spelled_durations_count_but_spans_of_years_and_ranges_do_not() -> None:
    from extract.backends.rules.numbers import find_quantities

    found = [(q.value, q.unit) for q in find_quantities("The trip was cut from seven days to two days.")]
    assert found == [(7.0, "days"), (2.0, "days")]
    assert find_quantities("It arrives in two to three days.") == []
    assert find_quantities("In the past two years, trade grew.") == []


def test_ones_takes_the_unit_before() -> None:
    from extract.backends.rules.numbers import find_quantities

    text = "The line carried 30.5 million passengers, including 3.6 million cross-border ones."
    assert [q.unit for q in find_quantities(text)] == ["passengers", "passengers"]


def test_n_out_of_m_things_counts_the_same_things() -> None:
    from extract.backends.rules.numbers import find_quantities

    found = [(q.value, q.unit) for q in find_quantities("Sixteen out of 20 cities have joined the network.")]
    assert found == [(16.0, "cities"), (20.0, "cities")]


def test_twenty_foot_equivalent_units_written_with_digits_are_teu():
    from rules_helpers import sheet

    text = "Some 936,000 20-foot equivalent units (TEU) of goods were carried by the trains last year, up 30 percent."
    metrics = sheet(text).metrics
    assert [(m.value, m.unit) for m in metrics if m.unit == "TEU"] == [(936000, "TEU")]
    assert not [m for m in metrics if m.value == 20], "the '20' of '20-foot' is a size, not a figure"


@pytest.mark.parametrize(
    ("sentence", "unit"),
    [
        ("The new line is built for trains running at 250 km per hour.", "km/h"),
        ("Trucks on the road may not exceed 80 kilometres per hour.", "km/h"),
        ("The port signed 12 logistics cooperation projects at the fair.", "projects"),
        ("The province has built five logistics centers along the border.", "logistics centers"),
        ("Sales of electronics rose to 40 shops in the mall.", "shops"),
    ],
)
def test_speed_units_and_nouns_in_ics(sentence: str, unit: str) -> None:
    assert _one(sentence)[1] == unit


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Flights have increased from 12 in the first year of the route to 480 in 2020.",
         [(12, "flights", "eq"), (480, "flights", "eq")]),
        ("The number of train trips has surged from more than 300 in 2018 to over 2,000 in 2023.",
         [(300, "trains", "gt"), (2000, "trains", "gt")]),
        ("The product categories on sale have expanded from 40 at the start to nearly 900 now.",
         [(40, "categories", "eq"), (900, "categories", "approx")]),
    ],
)
def test_bare_numbers_after_a_noun_and_a_verb_of_change_count_that_noun(sentence: str, expected: list) -> None:
    assert [(q.value, q.unit, q.comparator) for q in find_quantities(sentence)] == expected
