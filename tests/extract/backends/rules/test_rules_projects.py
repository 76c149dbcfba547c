"""Projects: a project noun with its proper-name modifiers, or a quoted brand; kind and status."""

from __future__ import annotations

import pytest
from rules_helpers import assert_grounded, sheet


def _projects(text: str):
    result = sheet(text)
    assert_grounded(text, result.infrastructure_projects)
    return result.infrastructure_projects


def _one(text: str):
    found = _projects(text)
    assert len(found) == 1, [p.model_dump(exclude={"evidence"}) for p in found]
    return found[0]


@pytest.mark.parametrize(
    ("text", "name", "kind", "status"),
    [
        ("Goods from Chongqing were shipped through Qinzhou Port to Singapore.", "Qinzhou Port", "port", "operational"),
        (
            "The Jakarta-Bandung High-Speed Railway is under construction, the company said.",
            "Jakarta-Bandung High-Speed Railway",
            "high_speed_railway",
            "under_construction",
        ),
        ("The China-Laos Railway was put into operation in December.", "China-Laos Railway", "railway", "operational"),
        ("The Horgos land port handled more cargo than ever in the period.", "Horgos Land Port", "land_port", "operational"),
        (
            "Next year the city plans to build the Luohe Dry Port for rail and road freight.",
            "Luohe Dry Port",
            "land_port",
            "planned",
        ),
        (
            "Since its launch, the Shanghai Pilot Free Trade Zone has been in normal operation.",
            "Shanghai Pilot Free Trade Zone",
            "trade_zone",
            "operational",
        ),
        (
            "The China-Pakistan Economic Corridor is under construction in phases.",
            "China-Pakistan Economic Corridor",
            "economic_corridor",
            "under_construction",
        ),
        ("The Gwadar Port is operating at full capacity.", "Gwadar Port", "port", "operational"),
        (
            "The Chongqing-Xinjiang-Europe train departed from the Tuanjiecun station.",
            "Chongqing-Xinjiang-Europe Train",
            "rail_freight_service",
            "operational",
        ),
        (
            "The deputies suggested building the Xiamen-Manila air route next year.",
            "Xiamen-Manila Air Route",
            "air_route",
            "proposed",
        ),
        # A proposal or plan about what to do with a project that is already there: it runs.
        (
            "The deputy suggested that Linhai Port, Taizhou, should be connected to the rail network.",
            "Linhai Port",
            "port",
            "operational",
        ),
        ("The mayor called for turning Weihai Port into a hub for Korean trade.", "Weihai Port", "port", "operational"),
        (
            "The province will support the development of the Yiwu Comprehensive Bonded Zone this year.",
            "Yiwu Comprehensive Bonded Zone",
            "trade_zone",
            "operational",
        ),
        (
            "She suggested that the city take the Kashgar Logistics Park as the core of its trade plan.",
            "Kashgar Logistics Park",
            "logistics_hub",
            "operational",
        ),
        # A "railway" to a continent is a train service; a line between two countries is a railway.
        (
            "Goods from Hefei went on the Hefei-Xinjiang-Europe Railway to Hamburg.",
            "Hefei-Xinjiang-Europe Railway",
            "rail_freight_service",
            "unknown",
        ),
        ("The China-Nepal Railway was put into operation.", "China-Nepal Railway", "railway", "operational"),
        # A proper name before a lower-case line or land bridge names it.
        (
            "The train ran along the Hexin'ou cargo line, the longest of its kind.",
            "Hexin'ou Cargo Line",
            "rail_freight_service",
            "operational",
        ),
        ("The city is the start of the Eurasian land bridge.", "Eurasian Land Bridge", "economic_corridor", "unknown"),
        # A passenger station is not a logistics hub; a port's rail station is; "logistic" is "logistics".
        ("The line starts from Jinan West Railway Station in the north.", "Jinan West Railway Station", "other", "unknown"),
        ("A cargo train left the Fangcheng port station on Monday.", "Fangcheng Port Station", "logistics_hub", "operational"),
        (
            "The city is building the China-Uzbekistan logistic base.",
            "China-Uzbekistan Logistic Base",
            "logistics_hub",
            "under_construction",
        ),
        # Building that is to start has not begun.
        (
            "Next year the city will start the construction of the Jinhua Logistics Park Phase II.",
            "Jinhua Logistics Park Phase II",
            "logistics_hub",
            "planned",
        ),
    ],
)
def test_named_project(text: str, name: str, kind: str, status: str) -> None:
    found = {p.name: p for p in _projects(text)}
    assert name in found, list(found)
    assert found[name].kind == kind
    assert found[name].status == status


def test_industrial_park() -> None:
    found = {p.name: p for p in _projects("The China-Belarus Industrial Park has attracted companies from 15 countries.")}
    assert found["China-Belarus Industrial Park"].kind == "industrial_park"


def test_quoted_brand_is_a_shipping_route() -> None:
    p = _one('The "Silk Road Shipping" brand has opened 80 routes to ports around the world.')
    assert (p.name, p.kind, p.status) == ("Silk Road Shipping", "shipping_route", "operational")


def test_curly_quoted_brand() -> None:
    p = _one("The \u201cSilk Road Shipping\u201d service has launched 12 new lines this year.")
    assert p.name == "Silk Road Shipping"
    assert p.kind == "shipping_route"


def test_lowercase_head_is_title_cased_and_located() -> None:
    p = _one("Last year, Dalian port handled 3 million containers.")
    assert p.name == "Dalian Port"
    assert "Dalian" in p.locations


def test_project_timeline_from_its_sentence() -> None:
    p = _one("The Mombasa-Nairobi Standard Gauge Railway opened in 2017.")
    assert p.kind == "railway"
    assert p.timeline == "in 2017"


def test_mentions_of_one_project_merge_with_evidence_each() -> None:
    text = (
        "Qinzhou Port is a key node of the new corridor.\n"
        "Last year, Qinzhou Port handled 5 million TEUs.\n"
        "Officials said Qinzhou Port will add two berths."
    )
    (p,) = [p for p in _projects(text) if p.name == "Qinzhou Port"]
    assert len(p.evidence) == 3
    assert [e.quote.split(".")[0][:20] for e in p.evidence] == [line[:20] for line in text.split("\n")]


def test_project_initiatives_are_canonical() -> None:
    text = "Qinzhou Port is an important node of the 21st Century Maritime Silk Road."
    (p,) = _projects(text)
    assert p.initiatives == ["21st Century Maritime Silk Road"]


def test_translation_noise_names_the_initiative() -> None:
    (p,) = _projects("Qinzhou Port has become a bridgehead of the one belt and one way.")
    assert p.initiatives == ["Belt and Road Initiative"]


@pytest.mark.parametrize(
    "text",
    [
        "The Belt and Road Initiative has brought tangible benefits to the region.",
        "China-Europe freight trains have run smoothly during the epidemic.",
        "The China-Europe Railway Express has become a golden channel.",
        "The goods were handed over to Belarus Railway at the border.",
        "The Industrial Park Alliance held its annual meeting on Friday.",
        "International trains have kept supply chains stable.",
    ],
)
def test_not_a_project(text: str) -> None:
    assert _projects(text) == []


def test_a_station_trains_arrive_at_is_operational():
    from rules_helpers import sheet

    text = ("A cargo train left Lanzhou on Monday. It is scheduled to arrive at the Dongxing Railway Station "
            "in two days.")
    stations = [p for p in sheet(text).infrastructure_projects if "Station" in p.name]
    assert stations and stations[0].status.value == "operational", sheet(text).infrastructure_projects


def test_an_ampersand_inside_a_name_keeps_the_whole_name() -> None:
    text = "The train is run by Hefei International Trade & Logistics Park, the operator, said on Tuesday."
    assert [p.name for p in sheet(text).infrastructure_projects] == ["Hefei International Trade & Logistics Park"]


def test_a_land_bridge_is_a_corridor() -> None:
    found = sheet("The city is the start point of the Central Asian Land Bridge.").infrastructure_projects
    got = [(p.name, p.kind) for p in found]
    assert got == [("Central Asian Land Bridge", "economic_corridor")]


def test_a_generic_zone_or_port_in_a_citys_story_is_that_citys() -> None:
    text = (
        "Rizhao will quickly build an international hub port with 5 million TEUs. "
        "Rizhao will promote the construction of the free trade zone. Rizhao exports rose."
    )
    found = {p.name: (p.kind, p.status) for p in _projects(text)}
    assert found == {
        "Rizhao International Hub Port": ("port", "planned"),
        "Rizhao Free Trade Zone": ("trade_zone", "under_construction"),
    }


def test_a_generic_zone_in_a_national_story_is_no_project() -> None:
    assert _projects("China will promote the construction of the free trade zone. China said so.") == []


@pytest.mark.parametrize(
    ("text", "name", "initiatives"),
    [
        ("The Hefei-Europe freight train left on Monday.", "Hefei-Europe Freight Train", ["China-Europe Railway Express"]),
        ("Work on the China-Nepal Economic Corridor began.", "China-Nepal Economic Corridor", ["Belt and Road Initiative"]),
        ("Goods were shipped through Weihai Port.", "Weihai Port", []),
    ],
)
def test_initiatives_a_project_belongs_to_by_definition(text: str, name: str, initiatives: list[str]) -> None:
    found = {p.name: p for p in _projects(text)}
    assert found[name].initiatives == initiatives


def test_a_capitalised_pass_is_a_border_crossing_and_a_lower_case_one_a_verb() -> None:
    found = {p.name: p.kind for p in _projects("Trade reached Hanoi via the Dongxing Friendship Pass.")}
    assert found == {"Dongxing Friendship Pass": "land_port"}
    assert _projects("Trains from Lanzhou pass through Xinjiang.") == []


def test_a_service_named_by_a_project_it_holds_is_a_project_of_its_own() -> None:
    found = {p.name: p.kind for p in _projects("The Bohai Bay Port sea-rail intermodal trains ran 900 trips.")}
    assert found == {"Bohai Bay Port": "port", "Bohai Bay Port sea-rail intermodal train": "rail_freight_service"}


def test_a_hub_named_by_the_service_before_it() -> None:
    found = {p.name: p.kind for p in _projects("We will upgrade the China-Europe train (Hefei) assembly center.")}
    assert found["China-Europe train (Hefei) assembly center"] == "logistics_hub"
