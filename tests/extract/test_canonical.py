"""Canonical names and units: the alias tables (data) and the canonicaliser that applies them."""

from __future__ import annotations

import json

import pytest

from extract.canonical import AliasTable, Canonicaliser, name_key, read_data
from schemas import (
    ArticleMeta,
    Evidence,
    FactSheet,
    InfrastructureProject,
    Metric,
    PolicyStatement,
    Provenance,
    check_unit,
)

TABLES = ("initiatives", "provinces", "cities", "partners")
EV = [Evidence(quote="x", start=0, end=1)]


@pytest.fixture(scope="module")
def canon() -> Canonicaliser:
    return Canonicaliser.default()


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("one belt one road", "Belt and Road Initiative"),
        ("One Belt and One Way", "Belt and Road Initiative"),
        ("“Belt and Road”", "Belt and Road Initiative"),
        ("the Belt and Road", "Belt and Road Initiative"),
        ("Haisi", "21st Century Maritime Silk Road"),
        ("Hai Silk", "21st Century Maritime Silk Road"),
        ("'Sea Silk'", "21st Century Maritime Silk Road"),
        ("Marine Silk", "21st Century Maritime Silk Road"),
        ("Maritime Silk Road", "21st Century Maritime Silk Road"),
        ("21st century maritime silk road", "21st Century Maritime Silk Road"),
        ("Silk Road Economic Belt", "Silk Road Economic Belt"),
        ("Regional Comprehensive Economic Partnership", "RCEP"),
        ("China-Europe train", "China-Europe Railway Express"),
        ("China–EU train", "China-Europe Railway Express"),
        ("China Europe freight train", "China-Europe Railway Express"),
        ("new western land-sea corridor", "New International Land-Sea Trade Corridor"),
    ],
)
def test_spec_initiative_aliases(canon, alias, canonical):
    assert canon.initiative(alias) == canonical


def test_unknown_initiative_is_kept_with_clean_white_space(canon):
    assert canon.initiative("  Digital  Silk\nRoad ") == "Digital Silk Road"


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Fujian", "Fujian"),
        ("Fujian Province", "Fujian"),
        ("fujian  province", "Fujian"),
        ("Guangxi Zhuang Autonomous Region", "Guangxi"),
        ("Quanzhou City", "Quanzhou"),
        ("Xiamen", "Xiamen"),
        ("People's Republic of China", "China"),
        ("the Netherlands", "Netherlands"),
        ("Qingbaijiang District", "Qingbaijiang"),  # not in the table: the suffix still goes
        ("Wuyishan Land Port", "Wuyishan Land Port"),  # not a suffix of any table
        ("City", "City"),  # a suffix alone is not stripped to nothing
    ],
)
def test_places(canon, name, canonical):
    assert canon.place(name) == canonical


@pytest.mark.parametrize(("unit", "canonical"), [("yuan", "CNY"), ("Yuan", "CNY"), ("US$", "USD"), ("banks", "trains"),
                                                 ("firms", "companies"), ("%", "%"), ("pp", "pp"), ("CNY", "CNY"),
                                                 (" trains ", "trains"), ("widgets", "widgets")])
def test_units(canon, unit, canonical):
    assert canon.unit(unit) == canonical


def test_name_key_ignores_typography_and_a_leading_article():
    assert name_key("The  “China-Europe”\ttrain.") == name_key("china europe train") == "china europe train"


def test_alias_table_suffixes():
    table = AliasTable.from_json("t", {"strip_suffixes": ["Province", "Autonomous Region"], "names": {"Hainan": ["Qiong"]}})
    assert table.find("Hainan Province") == "Hainan"
    assert table.find("Qiong") == "Hainan"
    assert table.find("Mars Province") is None
    assert table.strip_suffix("Mars Autonomous Region") == "Mars"


# --- the data files ----------------------------------------------------------------------


def _tables() -> dict[str, dict]:
    return {n: json.loads(read_data(f"aliases/{n}.json")) for n in TABLES}


def test_alias_tables_are_unambiguous():
    """No spelling may mean two names: table lookups keep the first silently, so check here."""
    place_keys: dict[str, str] = {}
    for name, data in _tables().items():
        assert data["version"] and data["names"], name
        seen: dict[str, str] = {}
        for canonical, aliases in data["names"].items():
            assert isinstance(aliases, list), canonical
            for alias in [canonical, *aliases]:
                key = name_key(alias)
                assert seen.setdefault(key, canonical) == canonical, f"{name}: {alias!r} means {seen[key]!r} and {canonical!r}"
                if name != "initiatives":
                    assert place_keys.setdefault(key, canonical) == canonical, f"{alias!r} is two places"


def test_spec_canonical_names_are_present():
    tables = _tables()
    assert {"Belt and Road Initiative", "21st Century Maritime Silk Road", "Silk Road Economic Belt", "RCEP",
            "China-Europe Railway Express", "New International Land-Sea Trade Corridor"} <= set(tables["initiatives"]["names"])
    assert {"Fujian", "Sichuan"} <= set(tables["provinces"]["names"])
    assert {"Quanzhou", "Xiamen", "Chengdu"} <= set(tables["cities"]["names"])


def test_every_unit_in_the_unit_table_is_valid_for_the_schema():
    units = json.loads(read_data("units.json"))
    for group in ("money", "volume", "count"):
        for word, unit in units[group].items():
            assert word == word.casefold(), f"unit key {word!r} must be lowercase"
            assert check_unit(unit) == unit, f"{word!r} maps to {unit!r}"


def test_version_is_a_stable_fingerprint_of_the_data(canon):
    assert canon.version == Canonicaliser.default().version
    assert len(canon.version) == 12


# --- whole sheets ------------------------------------------------------------------------


def test_sheet_is_canonicalised_and_still_valid(canon):
    sheet = FactSheet(
        article=ArticleMeta(id="a", sha256="0" * 64),
        metrics=[Metric(subject="trips", value=4600, unit="banks", kind="count", location="Sichuan Province", evidence=EV)],
        infrastructure_projects=[InfrastructureProject(
            name="Chengdu train", kind="rail_freight_service", locations=["Chengdu City", "Chengdu", "Poland"],
            partners=["People's Republic of China"], initiatives=["one belt and one way", "Belt and Road"], evidence=EV)],
        policy_statements=[PolicyStatement(actor="A", kind="plan", summary="S.", jurisdiction="Fujian Province",
                                           initiatives=["Hai Silk", "Haisi"], evidence=EV)],
        provenance=Provenance(backend="test", note="kept"),
    )
    out = canon.sheet(sheet)
    assert (out.metrics[0].unit, out.metrics[0].location) == ("trains", "Sichuan")
    project = out.infrastructure_projects[0]
    assert project.locations == ["Chengdu", "Poland"]
    assert project.partners == ["China"]
    assert project.initiatives == ["Belt and Road Initiative"]
    assert out.policy_statements[0].jurisdiction == "Fujian"
    assert out.policy_statements[0].initiatives == ["21st Century Maritime Silk Road"]
    assert out.provenance.model_extra == {"note": "kept"}
    assert FactSheet.model_validate_json(out.model_dump_json()) == out
    assert canon.sheet(out) == out  # idempotent


def test_a_fact_that_canonicalisation_makes_invalid_is_dropped_and_counted(canon):
    boxes = Metric(subject="containers", value=5, unit="standard boxes", kind="count", evidence=EV)  # valid as written
    good = Metric(subject="trips", value=4600, unit="banks", kind="count", evidence=EV)
    sheet = FactSheet(article=ArticleMeta(id="a", sha256="0" * 64), metrics=[boxes, good],
                      provenance=Provenance(backend="test", dropped_facts=1))
    out = canon.sheet(sheet)  # TEU counted is invalid: that fact goes, the article does not fail
    assert [m.unit for m in out.metrics] == ["trains"]
    assert out.provenance.dropped_facts == 2


def test_place_branded_service_takes_the_initiative_name() -> None:
    canonical = Canonicaliser.default()
    assert canonical.project_name("China-EU train (Chengdu)") == "China-Europe Railway Express (Chengdu)"
    assert canonical.project_name("China-Europe (Xiamen) Train") == "China-Europe Railway Express (Xiamen)"
    # A name with a place in brackets that is no initiative's service stays as it is.
    assert canonical.project_name("Qinzhou Port (Guangxi)") == "Qinzhou Port (Guangxi)"
    assert canonical.project_name("Wuyishan Land Port") == "Wuyishan Land Port"
