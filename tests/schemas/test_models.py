"""The Pydantic models of SPEC: what they accept, what they reject, and how they say so."""

from __future__ import annotations

import json
import math

import pytest
from pydantic import ValidationError

from schemas import (
    FACT_TYPES,
    SCHEMA_VERSION,
    ArticleMeta,
    Comparator,
    Evidence,
    FactSheet,
    InfrastructureProject,
    Metric,
    MetricKind,
    MetricStatus,
    PolicyStatement,
    ProjectKind,
    ProjectStatus,
    Provenance,
    StatementKind,
    Usage,
    check_period,
    check_unit,
)

SHA = "0" * 64
EV = [{"quote": "up 7.2%", "start": 10, "end": 17}]


def metric(**kw) -> dict:
    base = {"subject": "trade", "value": 7.2, "unit": "%", "kind": "growth", "evidence": EV}
    return {**base, **kw}


def error_text(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " | ".join(e["msg"] for e in exc.value.errors())


# --- SPEC's examples are accepted ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "kind"),
    [
        (1e11, "CNY", "amount"),  # 100 billion yuan
        (7.2, "%", "growth"),  # 7.2% year-on-year
        (4600, "trains", "count"),  # 4,600 trains
        (-12, "%", "growth"),  # down 12%
        (60, "%", "share"),  # more than 60% of the supply
        (2e10, "USD", "amount"),
        (5e6, "EUR", "amount"),
        (0.5, "pp", "growth"),
        (70, "routes", "count"),
        (16, "countries", "count"),
        (300, "guests", "count"),
        (1.2e6, "TEU", "amount"),
        (3e5, "tonnes", "amount"),
        (10000, "km", "amount"),
        (120, "km/h", "amount"),
        (12, "days", "amount"),
        (2, "countries and regions", "count"),
    ],
)
def test_spec_metric_examples_are_accepted(value, unit, kind):
    m = Metric.model_validate(metric(value=value, unit=unit, kind=kind))
    assert m.value == value and m.unit == unit and m.kind == MetricKind(kind)


@pytest.mark.parametrize("period", ["2020", "2020-01", "2019/2020", "2022-01/2022-03", "2013/2023", "2020-12/2021-01",
                                    "2020/2020", "2020-05/2020", None])
def test_spec_periods_are_accepted(period):
    assert Metric.model_validate(metric(period=period)).period == period


def test_metric_defaults_and_enums():
    m = Metric.model_validate(metric())
    assert (m.comparator, m.status, m.period, m.location) == (Comparator.eq, MetricStatus.actual, None, None)
    assert {c.value for c in Comparator} == {"eq", "approx", "gt", "lt"}
    assert {s.value for s in MetricStatus} == {"actual", "target", "forecast"}
    assert {k.value for k in MetricKind} == {"amount", "count", "growth", "share"}


def test_spec_enum_values_are_exact():
    assert {k.value for k in ProjectKind} == {
        "rail_freight_service", "railway", "high_speed_railway", "port", "land_port", "airport", "shipping_route",
        "air_route", "logistics_hub", "industrial_park", "trade_zone", "economic_corridor", "energy", "digital", "other",
    }
    assert {s.value for s in ProjectStatus} == {"proposed", "planned", "under_construction", "operational", "unknown"}
    assert {k.value for k in StatementKind} == {"plan", "target", "proposal", "directive", "assessment"}


def test_spec_field_names_are_exact():
    assert set(Metric.model_fields) == {"subject", "value", "unit", "kind", "comparator", "status", "period",
                                        "location", "evidence"}
    assert set(InfrastructureProject.model_fields) == {"name", "kind", "status", "locations", "partners", "initiatives",
                                                       "timeline", "evidence"}
    assert set(PolicyStatement.model_fields) == {"actor", "actor_role", "jurisdiction", "kind", "summary", "initiatives",
                                                 "venue", "evidence"}
    assert set(FactSheet.model_fields) == {"article", "policy_statements", "infrastructure_projects", "metrics",
                                           "provenance"}
    assert {"id", "title", "source", "published", "sha256"} <= set(ArticleMeta.model_fields)
    assert set(Evidence.model_fields) == {"quote", "start", "end"}
    assert set(FACT_TYPES) == {"metrics", "infrastructure_projects", "policy_statements"}


def test_project_and_statement_examples():
    p = InfrastructureProject(
        name="Wuyishan Land Port", kind="land_port", status="operational", locations=["Wuyishan", " Wuyishan "],
        initiatives=["Belt and Road Initiative"], timeline="regular service from March", evidence=EV,
    )
    assert p.locations == ["Wuyishan"]  # cleaned and de-duplicated
    assert p.partners == []
    s = PolicyStatement(
        actor="Wang Ning", actor_role="Governor of Fujian Province", jurisdiction="Fujian", kind="plan",
        summary="Fujian will  build\nthe core area.", venue="government work report", evidence=EV,
    )
    assert s.summary == "Fujian will build the core area."


def test_full_sheet_round_trips_through_json():
    sheet = FactSheet(
        article=ArticleMeta(id="000_x", title="T", source="China News Service", published="2021-01-28", sha256=SHA),
        metrics=[Metric.model_validate(metric())],
        infrastructure_projects=[InfrastructureProject(name="Xiamen Port", kind="port", evidence=EV)],
        policy_statements=[PolicyStatement(actor="Yin Li", kind="directive", summary="Build the core area.", evidence=EV)],
        provenance=Provenance(backend="test", usage=Usage(requests=1, prompt_tokens=5, completion_tokens=2), extra="kept"),
    )
    again = FactSheet.model_validate_json(sheet.model_dump_json())
    assert again == sheet
    assert again.provenance.schema_version == SCHEMA_VERSION
    assert again.provenance.model_extra == {"extra": "kept"}
    assert [name for name, _ in again.facts()] == ["metrics", "infrastructure_projects", "policy_statements"]
    assert json.loads(sheet.model_dump_json())["article"]["published"] == "2021-01-28"


def test_usage_adds_up():
    total = Usage(requests=1, prompt_tokens=10, completion_tokens=3) + Usage(requests=2, prompt_tokens=1, completion_tokens=1)
    assert (total.requests, total.prompt_tokens, total.completion_tokens, total.total_tokens) == (3, 11, 4, 15)


# --- what is rejected, and the message says how to fix it ---------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "nan", "Infinity"])
def test_non_finite_values_are_rejected(bad):
    with pytest.raises(ValidationError) as exc:
        Metric.model_validate(metric(value=bad))
    assert "not a finite number" in error_text(exc)
    assert "plain number in base units" in error_text(exc)


def test_empty_evidence_is_rejected_with_the_fix():
    for cls, data in [
        (Metric, metric(evidence=[])),
        (InfrastructureProject, {"name": "X Port", "kind": "port", "evidence": []}),
        (PolicyStatement, {"actor": "A", "kind": "plan", "summary": "S.", "evidence": []}),
    ]:
        with pytest.raises(ValidationError) as exc:
            cls.model_validate(data)
        assert "evidence is empty" in error_text(exc) and "word for word" in error_text(exc)


def test_missing_evidence_is_rejected():
    data = metric()
    del data["evidence"]
    with pytest.raises(ValidationError):
        Metric.model_validate(data)


@pytest.mark.parametrize("quote", ["", "   ", "\n\t"])
def test_blank_quote_is_rejected(quote):
    with pytest.raises(ValidationError) as exc:
        Evidence(quote=quote, start=0, end=len(quote))
    assert "evidence quote is empty" in error_text(exc)


def test_evidence_offsets_must_span_the_quote():
    assert Evidence(quote="abc", start=3, end=6).end == 6
    with pytest.raises(ValidationError) as exc:
        Evidence(quote="abc", start=3, end=5)
    assert "text[start:end] == quote" in error_text(exc)
    with pytest.raises(ValidationError):
        Evidence(quote="abc", start=6, end=3)  # reversed
    with pytest.raises(ValidationError):
        Evidence(quote="abc", start=-3, end=0)


def test_evidence_quote_is_kept_verbatim():
    assert Evidence(quote="  two  spaces ", start=0, end=14).quote == "  two  spaces "


@pytest.mark.parametrize(
    "period",
    ["20", "2020-1", "2020-13", "2020-00", "2020Q1", "2020 Q1", "last year", "2020-01-05", "2019-2020", "2019/",
     "/2020", "2019/2020/2021", "٢٠٢٠", "2020\n2021"],
)
def test_bad_period_formats_are_rejected(period):
    with pytest.raises(ValidationError) as exc:
        Metric.model_validate(metric(period=period))
    msg = error_text(exc)
    assert "not in SPEC form" in msg and "'2022-01/2022-03'" in msg and "null" in msg


@pytest.mark.parametrize("period", ["2020/2019", "2022-03/2022-01", "2021/2020-12", "2021-01/2020"])
def test_reversed_intervals_are_rejected(period):
    with pytest.raises(ValidationError) as exc:
        Metric.model_validate(metric(period=period))
    assert "ends before it starts" in error_text(exc) and "earlier point first" in error_text(exc)


def test_check_period_directly():
    assert check_period(" 2020 ") == "2020"
    assert check_period("") is None
    assert check_period(None) is None


@pytest.mark.parametrize(
    ("unit", "fix"),
    [("yuan", "CNY"), ("RMB", "CNY"), ("usd", "USD"), ("dollars", "USD"), ("euros", "EUR"), ("percent", "%"),
     ("percentage points", "pp"), ("tons", "tonnes"), ("teu", "TEU"), ("kilometers", "km"), ("billion yuan", "CNY")],
)
def test_known_non_canonical_units_name_the_canonical_one(unit, fix):
    with pytest.raises(ValidationError) as exc:
        Metric.model_validate(metric(unit=unit, kind="amount"))
    assert "not canonical" in error_text(exc) and repr(fix) in error_text(exc)


@pytest.mark.parametrize("unit", ["Trains", "US$", "$", "¥", "", " ", "per cent!", "trains.", "Usd", "yuan/ton", "10 trains"])
def test_malformed_units_are_rejected_with_the_rules(unit):
    with pytest.raises(ValidationError) as exc:
        Metric.model_validate(metric(unit=unit, kind="amount"))
    msg = error_text(exc)
    assert "not canonical" in msg
    if unit.strip() and unit.casefold() != "usd":
        assert "ISO 4217" in msg and "plural lowercase noun" in msg


def test_check_unit_strips():
    assert check_unit(" CNY ") == "CNY"


@pytest.mark.parametrize(
    ("unit", "kind", "hint"),
    [
        ("pp", "amount", "set kind to 'growth'"),
        ("pp", "share", "set kind to 'growth'"),
        ("trains", "share", "needs unit '%'"),
        ("CNY", "share", "needs unit '%'"),
        ("CNY", "count", "is money"),
        ("%", "count", "'growth' for a change rate"),
        ("%", "amount", "'share' for a part of a whole"),
        ("TEU", "count", "set kind to 'amount'"),
        ("tonnes", "count", "set kind to 'amount'"),
        ("km", "count", "set kind to 'amount'"),
    ],
)
def test_kind_unit_mismatches_are_rejected(unit, kind, hint):
    with pytest.raises(ValidationError) as exc:
        Metric.model_validate(metric(unit=unit, kind=kind))
    assert hint in error_text(exc)


def test_teu_is_a_volume_not_money():
    assert Metric.model_validate(metric(unit="TEU", kind="amount")).unit == "TEU"
    with pytest.raises(ValidationError) as exc:
        Metric.model_validate(metric(unit="TEU", kind="count"))
    assert "money" not in error_text(exc)


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (Metric, metric(confidence=0.9)),
        (Evidence, {"quote": "a", "start": 0, "end": 1, "page": 2}),
        (InfrastructureProject, {"name": "X", "kind": "port", "evidence": EV, "country": "China"}),
        (PolicyStatement, {"actor": "A", "kind": "plan", "summary": "S.", "evidence": EV, "date": "2020"}),
        (ArticleMeta, {"id": "a", "sha256": SHA, "author": "me"}),
    ],
)
def test_extra_fields_are_rejected(cls, data):
    with pytest.raises(ValidationError) as exc:
        cls.model_validate(data)
    assert any(e["type"] == "extra_forbidden" for e in exc.value.errors())


def test_extra_top_level_key_in_sheet_is_rejected():
    with pytest.raises(ValidationError):
        FactSheet.model_validate({"article": {"id": "a", "sha256": SHA}, "provenance": {"backend": "x"}, "notes": []})


@pytest.mark.parametrize(("cls", "field", "value"), [
    (Metric, "kind", "money"), (Metric, "comparator", "about"), (Metric, "status", "planned"),
    (InfrastructureProject, "kind", "bridge"), (InfrastructureProject, "status", "done"),
    (PolicyStatement, "kind", "opinion"),
])
def test_unknown_enum_values_are_rejected(cls, field, value):
    base = {
        Metric: metric(),
        InfrastructureProject: {"name": "X", "kind": "port", "evidence": EV},
        PolicyStatement: {"actor": "A", "kind": "plan", "summary": "S.", "evidence": EV},
    }[cls]
    with pytest.raises(ValidationError):
        cls.model_validate({**base, field: value})


@pytest.mark.parametrize("field", ["subject"])
def test_blank_required_text_is_rejected(field):
    with pytest.raises(ValidationError) as exc:
        Metric.model_validate(metric(**{field: "  \n "}))
    assert "text is empty" in error_text(exc)
    with pytest.raises(ValidationError):
        PolicyStatement(actor=" ", kind="plan", summary="S.", evidence=EV)
    with pytest.raises(ValidationError):
        InfrastructureProject(name="", kind="port", evidence=EV)


def test_blank_optional_text_becomes_null():
    assert Metric.model_validate(metric(location="  ")).location is None
    assert PolicyStatement(actor="A", kind="plan", summary="S.", venue=" ", evidence=EV).venue is None


@pytest.mark.parametrize("bad", ["", "a/b", "..\\x", ".hidden"])
def test_article_id_must_be_a_plain_file_name(bad):
    with pytest.raises(ValidationError) as exc:
        ArticleMeta(id=bad, sha256=SHA)
    assert "file name" in error_text(exc)


@pytest.mark.parametrize("sha", ["0" * 63, "A" * 64, "g" * 64])
def test_article_sha256_must_be_lowercase_hex(sha):
    with pytest.raises(ValidationError):
        ArticleMeta(id="a", sha256=sha)


def test_article_published_must_be_a_date():
    assert str(ArticleMeta(id="a", sha256=SHA, published="2021-01-28").published) == "2021-01-28"
    with pytest.raises(ValidationError):
        ArticleMeta(id="a", sha256=SHA, published="January 28")


def test_assignment_is_validated():
    m = Metric.model_validate(metric())
    with pytest.raises(ValidationError):
        m.value = math.nan
