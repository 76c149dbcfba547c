"""The JSON Schema of a fact sheet, and `factsheet schema` writing it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from extract.cli import main
from schemas import SCHEMA_VERSION, ArticleMeta, Evidence, FactSheet, Metric, Provenance, fact_sheet_json_schema

JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/$defs/"), ref
    return root["$defs"][ref.removeprefix("#/$defs/")]


def check_schema(root: dict[str, Any], node: Any) -> None:
    """Structural checks of the JSON Schema subset pydantic emits: refs resolve, types are known."""
    if isinstance(node, dict):
        if "$ref" in node:
            _resolve(root, node["$ref"])
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            assert set(types) <= JSON_TYPES, node
        if "required" in node:
            assert set(node["required"]) <= set(node.get("properties", {})), node
        if "pattern" in node:
            re.compile(node["pattern"])
            assert "(?P<" not in node["pattern"], "named groups are not ECMA-262"
        for value in node.values():
            check_schema(root, value)
    elif isinstance(node, list):
        for value in node:
            check_schema(root, value)


def conforms(root: dict[str, Any], node: dict[str, Any], value: Any) -> bool:
    """A small validator for that subset, enough to tell good sheets from bad ones."""
    if "$ref" in node:
        node = {**_resolve(root, node["$ref"]), **{k: v for k, v in node.items() if k != "$ref"}}
    if "anyOf" in node and not any(conforms(root, alt, value) for alt in node["anyOf"]):
        return False
    if "enum" in node and value not in node["enum"]:
        return False
    kind = node.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str), "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool), "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
    }
    if kind and not checks[kind](value):
        return False
    if isinstance(value, str) and "pattern" in node and not re.search(node["pattern"], value):
        return False
    if isinstance(value, int | float) and "minimum" in node and value < node["minimum"]:
        return False
    if isinstance(value, list):
        if len(value) < node.get("minItems", 0):
            return False
        if "items" in node and not all(conforms(root, node["items"], v) for v in value):
            return False
    if isinstance(value, dict) and kind == "object":
        props = node.get("properties", {})
        if any(k not in value for k in node.get("required", [])):
            return False
        if node.get("additionalProperties") is False and set(value) - set(props):
            return False
        if not all(conforms(root, props[k], v) for k, v in value.items() if k in props):
            return False
    return True


def sample_sheet() -> dict[str, Any]:
    sheet = FactSheet(
        article=ArticleMeta(id="a", published="2021-01-28", sha256="0" * 64),
        metrics=[Metric(subject="trade", value=7.2, unit="%", kind="growth", period="2020",
                        evidence=[Evidence(quote="7.2%", start=0, end=4)])],
        provenance=Provenance(backend="test"),
    )
    return json.loads(sheet.model_dump_json())


def test_schema_is_well_formed_and_versioned():
    schema = fact_sheet_json_schema()
    check_schema(schema, schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["x-schema-version"] == SCHEMA_VERSION and SCHEMA_VERSION in schema["$id"]
    assert schema["type"] == "object"
    assert set(schema["required"]) == {"article", "provenance"}
    assert set(schema["properties"]) == {"article", "policy_statements", "infrastructure_projects", "metrics", "provenance"}
    assert json.loads(json.dumps(schema)) == schema  # plain JSON, no Python objects


def test_schema_carries_the_spec_enums_and_constraints():
    defs = fact_sheet_json_schema()["$defs"]
    assert defs["MetricKind"]["enum"] == ["amount", "count", "growth", "share"]
    assert set(defs["ProjectKind"]["enum"]) >= {"rail_freight_service", "land_port", "other"}
    assert defs["Metric"]["additionalProperties"] is False
    assert defs["Metric"]["properties"]["evidence"]["minItems"] == 1
    assert "pattern" in defs["Metric"]["properties"]["period"]
    assert defs["Provenance"]["additionalProperties"] is True


def test_schema_accepts_a_valid_sheet_and_rejects_broken_ones():
    schema = fact_sheet_json_schema()
    good = sample_sheet()
    assert conforms(schema, schema, good)
    broken = []
    for path, value in [
        (("metrics", 0, "evidence"), []),
        (("metrics", 0, "period"), "last year"),
        (("metrics", 0, "kind"), "money"),
        (("metrics", 0, "value"), "7.2"),
        (("metrics", 0, "extra"), 1),
        (("article", "sha256"), None),
    ]:
        sheet = json.loads(json.dumps(good))
        target = sheet
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        broken.append(sheet)
    for sheet in broken:
        assert not conforms(schema, schema, sheet), sheet


def test_factsheet_schema_writes_the_json_schema_to_a_file(tmp_path, capsys):
    out = tmp_path / "sub" / "factsheet.schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == fact_sheet_json_schema()
    check_schema(written, written)
    assert capsys.readouterr().out == ""
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


def test_factsheet_schema_writes_to_stdout_by_default(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["x-schema-version"] == SCHEMA_VERSION


def test_factsheet_schema_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["schema", "--help"])
    assert exc.value.code == 0
    assert "JSON Schema" in capsys.readouterr().out
