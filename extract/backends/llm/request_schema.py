"""The JSON schema each request carries: the answer model, made valid for constrained decoders.

Pydantic's schema of ArticleFacts is right for validation but loose for a grammar: objects
are open, optional fields may be left out, `default`s sit beside `$ref`s, the period
`pattern` sits beside the `anyOf` with null (llama.cpp's converter drops it there), and an
empty evidence list is allowed. `strict_schema` rewrites it under OpenAI's strict
structured-output rules, which also suit vLLM's xgrammar/llguidance and llama.cpp:

- every object closed (`additionalProperties: false`) and every property in `required`;
  an optional field is a union with null, a field with a default is required and its
  default is named in its description (code, not the schema, fills defaults);
- `$ref`s inlined (no `$ref` with siblings), `default` and `title` removed;
- string keywords (`pattern`, `format`, lengths) on the string node, inside the `anyOf`
  branch, with `(?:...)` written as plain groups;
- `minItems: 1` on every `evidence` list (the answer model says so in a validator).

`with_request_schema` puts that schema into the kwargs instructor built for a mode.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel

from extract.backends.llm.answer import ArticleFacts
from extract.store.cache import constant_part

EVIDENCE_FIELD = "evidence"
SCHEMA_MODES = ("TOOLS", "JSON_SCHEMA", "JSON", "MD_JSON")
STRICT_MODES = ("TOOLS", "JSON_SCHEMA")  # the modes whose request has a place for OpenAI's `"strict": true`
# Hosts known to honour `"strict": true`. Other servers enforce the schema by their own
# switch (vLLM's guided decoding, llama.cpp's grammar) and may refuse or ignore the field.
STRICT_HOSTS = ("api.openai.com",)
STRICT_HOST_SUFFIXES = (".openai.azure.com",)
STRING_KEYWORDS = ("pattern", "format", "minLength", "maxLength")
_DROPPED = ("default", "title")
_NON_CAPTURING = re.compile(r"(?<!\\)\(\?:")


class RequestSchemaError(ValueError):
    """The answer model or instructor's request has a shape this module does not know."""


def plain_groups(pattern: str) -> str:
    """`pattern` with `(?:...)` written `(...)`: same language, and llama.cpp's converter accepts it."""
    return _NON_CAPTURING.sub("(", pattern)


def _resolve(node: Any, defs: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`node` with every local `$ref` inlined; siblings of a `$ref` are kept beside its target's keys."""
    if isinstance(node, list):
        return [_resolve(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        if name not in defs or name in seen:
            raise RequestSchemaError(f"cannot inline $ref {node['$ref']!r}: unknown or recursive definition")
        target = _resolve(defs[name], defs, (*seen, name))
        siblings = {k: _resolve(v, defs, seen) for k, v in node.items() if k != "$ref"}
        return {**target, **siblings}
    return {k: _resolve(v, defs, seen) for k, v in node.items() if k != "$defs"}


def _describe_default(node: dict[str, Any], default: Any) -> None:
    if default is None or default == []:
        return  # null and [] say themselves: the description already tells when to write them
    text = node.get("description", "")
    hint = f"Write {json.dumps(default)} when the article says nothing else."
    node["description"] = f"{text} {hint}".strip()


def _strict(node: Any, field: str | None = None) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    default = node.get("default")
    out = {k: _strict(v) for k, v in node.items() if k not in _DROPPED and k != "properties"}
    if "anyOf" in out:
        # String keywords beside an anyOf apply to every branch: move them to the string branch.
        moved = {k: out.pop(k) for k in STRING_KEYWORDS if k in out}
        if "pattern" in moved:
            moved["pattern"] = plain_groups(moved["pattern"])
        strings = [b for b in out["anyOf"] if b.get("type") == "string"]
        if moved and len(strings) != 1:
            raise RequestSchemaError(f"{field}: string keywords {sorted(moved)} beside an anyOf without one string branch")
        for branch in strings:
            branch.update(moved)
    if "pattern" in out:
        out["pattern"] = plain_groups(out["pattern"])
    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties", {})
        out = {"type": "object", **out, "properties": {name: _strict(value, name) for name, value in properties.items()},
               "required": list(properties), "additionalProperties": False}
    if field == EVIDENCE_FIELD and out.get("type") == "array":
        out["minItems"] = max(1, out.get("minItems", 1))
    if "default" in node:
        _describe_default(out, default)
    return out


@cache
def _schema_text(model: type[BaseModel]) -> str:
    source = model.model_json_schema()
    schema = _strict(_resolve(source, source.get("$defs", {})))
    return json.dumps(schema, ensure_ascii=False)


def strict_schema(model: type[BaseModel] = ArticleFacts) -> dict[str, Any]:
    """The request schema of `model` under OpenAI's strict rules (a fresh copy; computed once per model)."""
    return json.loads(_schema_text(model))


@cache
def _shared_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`strict_schema(model)`, one object for every request (never changed): the cache key's JSON of it is made once."""
    return constant_part(strict_schema(model))


def request_schema_sha256(model: type[BaseModel] = ArticleFacts) -> str:
    """SHA-256 of the request schema, for fingerprints and provenance."""
    return hashlib.sha256(_schema_text(model).encode("utf-8")).hexdigest()


def default_strict(host: str, mode: str | Enum) -> bool:
    """Whether to send `"strict": true` when no setting says: on for OpenAI (and Azure OpenAI) in TOOLS and
    JSON_SCHEMA, off for other servers, which enforce schemas by their own switches."""
    hostname = host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()
    known = hostname in STRICT_HOSTS or hostname.endswith(STRICT_HOST_SUFFIXES)
    return known and _mode_name(mode) in STRICT_MODES


def resolve_strict(setting: bool | None, host: str, mode: str | Enum) -> bool:
    """The strict flag a request gets: the setting if given (only where the mode has a place for it), else
    `default_strict`."""
    if setting is None:
        return default_strict(host, mode)
    return setting and _mode_name(mode) in STRICT_MODES


def _mode_name(mode: str | Enum) -> str:
    return mode.name if isinstance(mode, Enum) else str(mode).strip().upper().replace("-", "_")


def instructor_schema_text(model: type[BaseModel]) -> str:
    """The schema text instructor 1.17 writes into the system message in JSON and MD_JSON modes."""
    return json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False)


def with_request_schema(kwargs: dict[str, Any], mode: str | Enum, *, strict: bool = False,
                        model: type[BaseModel] = ArticleFacts) -> dict[str, Any]:
    """Instructor's request kwargs for `mode` with the strict schema of `model` in place of its own.

    TOOLS: `tools[0].function.parameters` (+ `function.strict`); JSON_SCHEMA:
    `response_format.json_schema.schema` (+ `json_schema.strict`); JSON and MD_JSON: the schema
    text in the system message (these modes have no strict flag, so `strict` is ignored).
    The input is not changed. Safe to apply again to kwargs it already rewrote (re-asks)."""
    name = _mode_name(mode)
    out = dict(kwargs)
    schema = _shared_schema(model)
    if name == "TOOLS":
        tools = out.get("tools")
        if not tools or "function" not in tools[0]:
            raise RequestSchemaError("TOOLS request without tools[0].function: instructor's request shape changed")
        function = {**tools[0]["function"], "parameters": schema}
        if strict:
            function["strict"] = True
        else:
            function.pop("strict", None)
        out["tools"] = [{**tools[0], "function": function}, *tools[1:]]
    elif name == "JSON_SCHEMA":
        response_format = out.get("response_format") or {}
        if "json_schema" not in response_format:
            raise RequestSchemaError("JSON_SCHEMA request without response_format.json_schema: "
                                     "instructor's request shape changed")
        json_schema = {**response_format["json_schema"], "schema": schema}
        if strict:
            json_schema["strict"] = True
        else:
            json_schema.pop("strict", None)
        out["response_format"] = {**response_format, "json_schema": json_schema}
    elif name in ("JSON", "MD_JSON"):
        out["messages"] = _messages_with_schema(out.get("messages") or [], model)
    else:
        raise RequestSchemaError(f"mode {name!r} has no request schema; use one of {', '.join(SCHEMA_MODES)}")
    return out


def _messages_with_schema(messages: list[dict[str, Any]], model: type[BaseModel]) -> list[dict[str, Any]]:
    # Compact: indentation would add about a third to the schema text every request carries.
    old, new = instructor_schema_text(model), json.dumps(strict_schema(model), separators=(",", ":"), ensure_ascii=False)
    result = copy.deepcopy(messages)
    for message in result:
        if message.get("role") != "system":
            continue
        content = message.get("content")
        if isinstance(content, str) and (old in content or new in content):
            message["content"] = content.replace(old, new)
            return result
        if isinstance(content, list):
            for part in content:
                text = part.get("text") if isinstance(part, dict) else None
                if isinstance(text, str) and (old in text or new in text):
                    part["text"] = text.replace(old, new)
                    return result
    raise RequestSchemaError("no system message holds instructor's schema text: instructor's request shape changed")
