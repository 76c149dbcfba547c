"""The JSON Schema of a fact sheet, as `factsheet schema` writes it."""

from __future__ import annotations

from typing import Any

from schemas.facts import SCHEMA_VERSION, FactSheet


def fact_sheet_json_schema() -> dict[str, Any]:
    schema = FactSheet.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"factsheet/fact-sheet/{SCHEMA_VERSION}"
    schema["x-schema-version"] = SCHEMA_VERSION
    return schema
