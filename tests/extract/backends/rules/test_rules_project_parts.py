"""Project recall and status on invented sentences (issue #13): phases, sections, "the port of Y",
city-branded services, two-city train services, status from the clause."""

from __future__ import annotations

from rules_helpers import sheet

from extract.canonical import Canonicaliser


def projects(text: str) -> dict[str, tuple[str, str]]:
    return {p.name: (p.kind.value, p.status.value) for p in sheet(text).infrastructure_projects}


def test_a_phase_after_the_name_is_its_own_project():
    found = projects("The city will start building the Kunming Changshui International Airport Phase II next year.")
    assert "Kunming Changshui International Airport Phase II" in found


def test_the_nth_phase_of_a_named_project():
    found = projects("Workers are accelerating the construction of the second phase of the Yangpu Bonded Port Area.")
    assert found.get("Yangpu Bonded Port Area Phase II", ("", ""))[0] == "trade_zone"


def test_a_section_of_a_named_railway():
    text = "The Vientiane-Vang Vieng section of the Laos-Thailand Railway opened in May, officials said."
    found = projects(text)
    assert found.get("Vientiane-Vang Vieng section of the Laos-Thailand Railway") == ("railway", "operational")


def test_the_x_port_of_y_is_the_port_of_y():
    found = projects("Shippers want more routes to the Black Sea port of Poti, a trader said.")
    assert "Port of Poti" in found
    assert not any(name.startswith("Black Sea") for name in found)


def test_a_city_branded_service_of_an_initiative_is_a_project():
    found = projects("Last year, the China-Europe train (Hefei) ran 900 trips.")
    canonical = {Canonicaliser.default().project_name(name): kind for name, kind in found.items()}
    assert canonical.get("China-Europe Railway Express (Hefei)", ("", ""))[0] == "rail_freight_service"


def test_a_train_service_between_two_named_cities():
    found = projects("The Kunming-Vientiane cross-border freight trains ran 300 trips in May.")
    assert any(name.startswith("Kunming-Vientiane cross-border freight train") for name in found), found


def test_status_from_a_relative_clause_after_the_name():
    found = projects("The Jakarta-Bandung High-Speed Railway, which was put into operation in 2023, carried 5 million people.")
    assert found["Jakarta-Bandung High-Speed Railway"][1] == "operational"


def test_status_from_the_clause_not_the_whole_sentence():
    text = "Yantai Port handled 4 million containers, and the city will build the Yantai Cold Chain Logistics Park."
    found = projects(text)
    assert found["Yantai Port"][1] == "operational"
    assert found["Yantai Cold Chain Logistics Park"][1] == "planned"


def test_a_project_reporting_figures_is_operational():
    found = projects("In the first half, throughput at Lianyungang Port grew 6 percent to 140 million tonnes.")
    assert found["Lianyungang Port"][1] == "operational"


def test_under_construction_and_proposed_from_the_clause():
    assert projects("The Dongxing Border Trade Zone is being built.")["Dongxing Border Trade Zone"][1] == "under_construction"
    text = "A delegate suggested building the Ruili Logistics Hub."
    assert projects(text)["Ruili Logistics Hub"][1] == "proposed"


def test_phase_ii_of_a_named_project():
    found = projects("Construction of the Phase II of the Hambantota Port is under way.")
    assert found.get("Hambantota Port Phase II") == ("port", "under_construction")


def test_a_city_branded_service_written_china_city_europe():
    text = "The first China (Hefei)-Europe freight train began service in 2014."
    names = [Canonicaliser.default().project_name(p.name) for p in sheet(text).infrastructure_projects]
    assert names == ["China-Europe Railway Express (Hefei)"]


def test_a_new_train_service_between_two_named_cities():
    found = projects("A new freight train service between Chongqing and Hanoi was launched on Monday.")
    assert found.get("Chongqing-Hanoi freight train service") == ("rail_freight_service", "operational")


def test_a_line_from_one_city_to_another_is_named_by_both():
    found = projects("The government said it will build a high-speed railway from Warsaw to Lodz and extend it later.")
    assert found.get("Warsaw-Lodz high-speed railway", ("", ""))[0] == "high_speed_railway"


def test_a_line_to_a_lower_case_region_is_not_a_named_end():
    found = projects("A new cargo train connecting Urumqi and Central Asian countries left on Monday.")
    assert not any("Central Asian" in name for name in found)


def test_an_unnamed_facility_in_a_city_is_named_by_the_city():
    found = projects("The firm plans to build an overseas warehouse in Almaty.")
    assert found.get("Almaty overseas warehouse", ("", ""))[0] == "logistics_hub"


def test_a_named_station_is_a_logistics_hub():
    found = projects("The train left Qinzhou Port East Station on Wednesday.")
    assert found.get("Qinzhou Port East Station", ("", ""))[0] == "logistics_hub"


def test_expected_to_be_completed_is_under_construction():
    found = projects("The Jakarta-Surabaya Railway is expected to be completed in 2027.")
    assert found.get("Jakarta-Surabaya Railway", ("", ""))[1] == "under_construction"


def test_a_places_common_noun_phrase_is_no_project_name():
    assert projects("China's landmark trade corridor handled more cargo this year.") == {}


def test_a_proper_name_before_a_lower_case_facility_noun():
    found = projects("Ships began calling at the Chancay port in Peru in November.")
    assert found.get("Chancay Port", ("", ""))[0] == "port"


def test_a_nationality_before_a_facility_noun_is_no_name():
    assert projects("Ships began calling at the Peruvian port in November.") == {}


def test_a_phase_mention_is_not_also_the_parents():
    found = projects("The city will start the construction of the second phase of the Kashgar Logistics Park.")
    assert list(found) == ["Kashgar Logistics Park Phase II"]


def test_a_train_departing_from_a_facility_means_it_is_in_use():
    found = projects("The train, departing from Erenhot Land Port, is bound for Ulaanbaatar.")
    assert found.get("Erenhot Land Port", ("", ""))[1] == "operational"


def test_building_forging_ahead_is_under_construction_and_while_ends_the_clause():
    text = ("The building of the Minsk Logistics Park is forging ahead, while projects including the Gdansk Port "
            "have gone smoothly.")
    found = projects(text)
    assert found.get("Minsk Logistics Park", ("", ""))[1] == "under_construction"


def test_light_rail_dams_and_express_lines_are_project_heads():
    found = projects("The Lagos Light Rail, the Karuma Dam and the China-Europe Land-Sea Express Line were discussed.")
    assert found.get("Lagos Light Rail", ("", ""))[0] == "railway"
    assert found.get("Karuma Dam", ("", ""))[0] == "energy"
    assert found.get("China-Europe Land-Sea Express Line", ("", ""))[0] == "rail_freight_service"


def test_a_quoted_sentence_is_no_project_name():
    text = '"Khorgos has become a golden Bridge between East and West," the chairman said.'
    assert all(not name.startswith("Khorgos has") for name in projects(text))


def test_a_cooperation_zone_is_a_trade_zone():
    found = projects("The firms invested in the China-Egypt Suez Economic and Trade Cooperation Zone.")
    assert found.get("China-Egypt Suez Economic and Trade Cooperation Zone", ("", ""))[0] == "trade_zone"


def test_and_with_a_new_verb_starts_a_new_clause_for_status():
    found = projects("The region will accelerate the construction of the Pinglu Canal and expand the Beibu Gulf Port.")
    assert found["Pinglu Canal"][1] == "under_construction"
    assert found["Beibu Gulf Port"][1] == "operational"


def test_a_verb_or_quantity_word_ends_a_compound_name():
    assert projects("Belarus Railway said more trains ran through Brest.") == {}


def test_a_three_country_railway_is_no_operator():
    found = projects("The China-Kyrgyzstan-Uzbekistan railway will be built.")
    assert found.get("China-Kyrgyzstan-Uzbekistan Railway", ("", ""))[0] == "railway"


def test_a_places_possessive_is_not_part_of_the_name():
    assert "Guoyuan Port" in projects("Chongqing's Guoyuan Port handled more cargo.")


def test_a_transport_route_is_a_corridor():
    found = projects("Goods travel on the Trans-Caspian International Transport Route.")
    assert found.get("Trans-Caspian International Transport Route", ("", ""))[0] == "economic_corridor"


def test_a_china_partner_park_lies_in_the_partner_country_and_a_corridor_keeps_china() -> None:
    text = ("The China-Hungary Industrial Park opened a new plant this year. "
            "The China-Mongolia-Russia Economic Corridor is being built.")
    found = {p.name: p.locations for p in sheet(text).infrastructure_projects}
    assert found["China-Hungary Industrial Park"] == ["Hungary"]
    assert "China" in found["China-Mongolia-Russia Economic Corridor"]


def test_the_initiative_written_with_a_hyphen_and_service_is_not_a_project() -> None:
    found = projects("The China-Europe freight-train Service has handled 900 trips this year.")
    assert not found


def test_a_named_operator_quoted_as_a_source_is_not_a_project_there() -> None:
    found = projects("The train made 300 trips, Harbin Logistics Park, the operator of the train, said on Monday.")
    assert "Harbin Logistics Park" not in found


def test_a_section_named_in_a_sentence_is_not_also_its_railway_there():
    found = projects("Work has begun on the Vientiane - Vang Vieng section of the Laos-Thailand railway, officials said.")
    assert any("section of the Laos-Thailand" in name for name in found)
    assert "Laos-Thailand Railway" not in found and "Laos-Thailand railway" not in found


def test_the_x_port_area_of_y_port_is_one_part_of_the_port():
    found = projects("The first ship left from the Donghai port area of Haibin Port on Monday.")
    assert list(found) == ["Donghai port area of Haibin Port"]


def test_a_port_a_train_will_leave_the_country_through_is_a_land_port_of_unknown_status():
    found = projects("The new train will run from Harbin and exit the country via Suifen Port next month.")
    assert found.get("Suifen Port") == ("land_port", "unknown")


def test_a_sea_port_ships_sail_from_stays_a_port():
    found = projects("The new ship will sail from Haibin Port to Lagos next month.")
    assert found.get("Haibin Port", ("", ""))[0] == "port"


def test_a_present_verb_ends_a_name():
    found = projects("Hainan opens freight train service to Laos")
    assert not any("opens" in name for name in found)
    found = projects("Hainan launches ferry line to Vietnam")
    assert not any("launches" in name for name in found)


def test_a_service_that_celebrated_an_anniversary_runs():
    found = projects("The Harbin-Hamburg Railway has celebrated its fifth anniversary.")
    assert found.get("Harbin-Hamburg Railway", ("", ""))[1] == "operational"


def test_the_border_checkpoint_of_a_town_is_a_land_port():
    found = projects("The train will leave through the border checkpoint of Zamyn next week.")
    assert found.get("Zamyn border checkpoint") == ("land_port", "unknown")


def test_a_railway_a_proposal_would_connect_cities_through_keeps_an_unknown_status():
    found = projects("The deputy proposed to connect the two cities through the Haibin High-speed Railway.")
    assert found.get("Haibin High-speed Railway", ("", ""))[1] == "unknown"
