"""Where a figure is about and where a project is, on invented sentences (issue #13, locations)."""

from __future__ import annotations

import pytest
from rules_helpers import sheet

from extract.canonical import Canonicaliser


def metric(text: str, value: float):
    found = [m for m in sheet(text).metrics if m.value == pytest.approx(value)]
    assert found, [(m.value, m.location) for m in sheet(text).metrics]
    return found[0]


def test_the_dateline_city_is_not_where_a_figure_is():
    text = ("Xinhua News Agency, Wuhan, March 3 (Reporter Tao Ran) Exports of Kenya rose to 41 billion shillings "
            "last year, officials said.")
    assert metric(text, 41e9).location == "Kenya"


def test_a_possessive_subject_names_the_place():
    text = "China's trade with Kazakhstan reached 31 billion U.S. dollars in 2020."
    assert metric(text, 31e9).location == "China"


def test_trade_between_china_and_a_country_is_about_the_country():
    text = "In the first half of the year, trade between China and Georgia grew 9.1 percent to 600 million dollars."
    m = metric(text, 6e8)
    assert m.location == "Georgia"


def test_a_currency_name_is_not_a_place():
    text = "Hunan attracted 2.4 billion U.S. dollars of foreign investment last year."
    assert metric(text, 2.4e9).location == "Hunan"


def test_the_province_is_resolved_from_a_city_in_the_paragraph():
    text = ("Changsha hosted the expo in June. The foreign trade of the province reached 610 billion yuan last year, "
            "the customs office said.")
    assert metric(text, 6.1e11).location == "Hunan"


def test_the_country_is_the_country_of_the_paragraph():
    text = ("Chinese firms are busy in Kazakhstan. Last year they invested 1.9 billion dollars in the country, "
            "a local agency said.")
    assert metric(text, 1.9e9).location == "Kazakhstan"


def test_a_place_the_figure_is_in_beats_an_earlier_city():
    text = "Engineers from Chengdu said the company has invested 300 million dollars in Uzbekistan since 2018."
    assert metric(text, 3e8).location == "Uzbekistan"


def test_a_route_named_after_two_places_is_not_about_the_far_end():
    text = "Kunming sent 420 China-Laos freight trains in the third quarter."
    assert metric(text, 420).location == "Kunming"


def test_city_to_province_table_through_the_canonicaliser():
    c = Canonicaliser.default()
    assert c.region_of("Lianyungang") == "Jiangsu"
    assert c.region_of("Xian") == "Shaanxi"  # through the city aliases
    assert c.region_of("Budapest") == "Hungary"
    assert c.region_of("Fujian") is None
    for city, region in c.regions.items():
        assert city in c.tables["cities"]["names"], city
        assert region in c.tables["provinces"]["names"] or region in c.tables["partners"]["names"], region


def test_a_project_in_a_known_city_is_also_in_its_province():
    text = "The Yantai Port handled 4 million containers last year."
    (project,) = [p for p in sheet(text).infrastructure_projects if "Yantai" in p.name]
    assert project.locations == ["Yantai", "Shandong"]


def test_a_project_without_a_place_in_its_name_takes_the_place_it_is_in():
    text = "A new logistics park in Almaty, the Silk Way Logistics Park, opened in May."
    (project,) = [p for p in sheet(text).infrastructure_projects if "Silk Way" in p.name]
    assert project.locations == ["Almaty", "Kazakhstan"]


def test_an_untold_figure_of_a_national_story_is_chinas():
    text = ("China's exports rose in November.\nChina signed new deals with Greece.\n"
            "Officials in China expect more growth.\nThe ministry said 3,000 firms took part in the fair.")
    assert metric(text, 3000).location == "China"


def test_a_broad_region_is_never_the_articles_place():
    text = ("The China-Europe trains carry goods to Europe.\nMore trains leave for Europe each month.\n"
            "The hub opened 12 new routes.")
    assert metric(text, 12).location != "Europe"


def test_a_region_possessive_introduces_the_place():
    text = "Southwest China's Chongqing Municipality saw 1,359 trips in the first half, up 50 percent."
    assert metric(text, 1359).location == "Chongqing"


def test_a_currency_in_an_earlier_sentence_is_not_what_its_refers_to():
    text = ("Kenya's exports to the region stood at 7.7 billion U.S. dollars last year. "
            "Its imports from those countries rose 19.8 percent year on year.")
    growth = [m for m in sheet(text).metrics if m.value == 19.8]
    assert growth and growth[0].location != "United States"


def test_a_place_in_the_attribution_is_the_source_not_the_figures_place():
    text = ("Hunan sees trade growth\n\n"
            "Exports to African countries rose 14.1 percent, according to statistics from the Changsha Customs.")
    growth = [m for m in sheet(text).metrics if m.value == 14.1]
    assert growth and growth[0].location != "Changsha"


def test_where_goods_or_trains_go_is_not_where_the_figure_is():
    text = ("Gansu plans more freight services\n\n"
            "Lanzhou will run more freight trains this year. Under the plan, 120 trains will carry goods to Poland, "
            "40 to Hungary, Serbia and Greece.")
    for value in (120, 40):
        assert metric(text, value).location not in ("Poland", "Hungary", "Serbia", "Greece")


def test_a_trade_partner_after_to_is_not_the_reporting_place():
    text = ("Hubei's foreign trade grew last year. Its exports to Japan and the United Kingdom, however, fell "
            "2.5 percent and 7.1 percent, respectively.")
    for value in (-2.5, -7.1):
        assert metric(text, value).location not in ("Japan", "United Kingdom")


def test_a_place_inside_a_company_or_newspaper_name_does_not_make_the_article_about_it():
    from extract.backends.rules.places import dominant_place

    text = ("Chengdu Railway Group Co. sent the train. Chengdu Railway Group said the train left Kunming. "
            "Kunming customs cleared it. Chengdu Railway Group will add more.")
    assert dominant_place(text) == "Kunming"
    assert dominant_place("Chengdu sent the train. Chengdu said so. Kunming cleared it.") == "Chengdu"
    assert dominant_place("Chengdu Daily reported that Kunming opened a port. Chengdu Daily said so.") == "Kunming"


def test_a_routes_far_end_is_not_where_its_figures_are() -> None:
    from extract.backends.rules.places import dominant_place

    text = (
        "The China-Nepal Railway has carried 1.7 million passengers since it opened.\n\n"
        "Over the past three months, the China-Nepal Railway has handled 1,500 freight trains.\n\n"
        "The China-Nepal line is busy."
    )
    assert dominant_place(text) is None
    assert [m.location for m in sheet(text).metrics] == [None, None]
