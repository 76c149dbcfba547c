"""The request schema: OpenAI's strict rules, and its place in the kwargs instructor builds for each mode.

OpenAI's strict-mode rules encoded below (`strict_violations`), from the Structured Outputs guide,
"Supported schemas": https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
and the openai client's own strict converter (openai/lib/_pydantic.py, `to_strict_json_schema`:
https://github.com/openai/openai-python/blob/main/src/openai/lib/_pydantic.py):

1. The root is an object, not an `anyOf`.
2. Every object sets `additionalProperties: false`.
3. Every property is in `required`; an optional field is a union with null.
4. Types are string, number, integer, boolean, object, array, null, `enum` and `anyOf`; the
   composition keywords `allOf`, `oneOf`, `not`, `if`/`then`/`else`, `dependentRequired`,
   `dependentSchemas` and `patternProperties` are not supported.
5. Type-specific keywords only on their type: strings `pattern`, `format` (a listed format);
   numbers `multipleOf`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`;
   arrays `items`, `minItems`, `maxItems`; objects `properties`, `required`, `additionalProperties`.
6. `$ref` only to `#/$defs/...` and with no sibling keywords (the client unravels such refs).
7. No `default` (the issue's finding: strict mode refuses the schema's nine defaults).
8. At most 5000 object properties and 10 levels of nesting; at most 1000 enum values; at most
   120,000 characters of property names, definition names, enum and const values.
9. The function / response-format name matches ^[a-zA-Z0-9_-]{1,64}$.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import instructor
import pytest
from llm_helpers import FAST, GOLD_IDS, canonical_json, extract_one, gold_facts, gold_payload, seed
from llm_server import FakeLLM, Fault
from openai.types.chat import ChatCompletion

from extract.align import FoldedText
from extract.articles import Article
from extract.backends.llm.answer import ArticleFacts, new_context
from extract.backends.llm.chunking import Chunk
from extract.backends.llm.prompt import load_prompt, messages
from extract.backends.llm.request_schema import (
    RequestSchemaError,
    default_strict,
    instructor_schema_text,
    plain_groups,
    request_schema_sha256,
    resolve_strict,
    strict_schema,
    with_request_schema,
)
from extract.backends.llm.settings import MODES, LLMSettings
from extract.pipeline import finish_sheet
from schemas import FACT_TYPES
from schemas.facts import PERIOD_PATTERN

COMMON = {"type", "description", "title", "enum", "const", "anyOf", "$ref", "$defs"}
BY_TYPE = {
    "string": {"pattern", "format"},
    "number": {"multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "integer": {"multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "array": {"items", "minItems", "maxItems"},
    "object": {"properties", "required", "additionalProperties"},
    "boolean": set(),
    "null": set(),
}
UNSUPPORTED = {"allOf", "oneOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas", "patternProperties"}
FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def strict_violations(schema: dict[str, Any]) -> list[str]:
    """Every breach of OpenAI's strict-mode rules (module docstring) in `schema`, by JSON path."""
    found: list[str] = []
    totals = {"properties": 0, "enum_values": 0, "chars": 0, "depth": 0}
    if schema.get("type") != "object" or "anyOf" in schema:
        found.append("$: the root must be an object, not an anyOf")
    for name in schema.get("$defs", {}):
        totals["chars"] += len(name)

    def walk(node: dict[str, Any], path: str, depth: int) -> None:
        totals["depth"] = max(totals["depth"], depth)
        if "$ref" in node:
            if not str(node["$ref"]).startswith("#/$defs/"):
                found.append(f"{path}: $ref {node['$ref']!r} is not a local definition")
            if len(node) > 1:
                found.append(f"{path}: $ref with siblings {sorted(set(node) - {'$ref'})}")
            return
        if "default" in node:
            found.append(f"{path}: default {node['default']!r}")
        for key in sorted(UNSUPPORTED & set(node)):
            found.append(f"{path}: unsupported keyword {key}")
        types = node.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        allowed = COMMON | {"default"} | UNSUPPORTED | set().union(*(BY_TYPE.get(t, set()) for t in types))
        for key in sorted(set(node) - allowed):
            found.append(f"{path}: keyword {key!r} not allowed on a node of type {types or 'untyped'}")
        if "format" in node and node["format"] not in FORMATS:
            found.append(f"{path}: format {node['format']!r} is not supported")
        if "enum" in node:
            totals["enum_values"] += len(node["enum"])
            totals["chars"] += sum(len(str(v)) for v in node["enum"])
        if "const" in node:
            totals["chars"] += len(str(node["const"]))
        if "object" in types or "properties" in node:
            properties = node.get("properties", {})
            totals["properties"] += len(properties)
            totals["chars"] += sum(len(k) for k in properties)
            if node.get("additionalProperties") is not False:
                found.append(f"{path}: object without additionalProperties: false")
            missing = [k for k in properties if k not in node.get("required", [])]
            if missing:
                found.append(f"{path}: properties missing from required: {missing}")
            for key, value in properties.items():
                walk(value, f"{path}.{key}", depth + 1)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]", depth)
        for i, branch in enumerate(node.get("anyOf", [])):
            walk(branch, f"{path}|{i}", depth)
        for key, value in node.get("$defs", {}).items():
            walk(value, f"#/$defs/{key}", 1)

    walk(schema, "$", 1)
    if totals["properties"] > 5000:
        found.append(f"$: {totals['properties']} object properties, more than 5000")
    if totals["depth"] > 10:
        found.append(f"$: {totals['depth']} levels of nesting, more than 10")
    if totals["enum_values"] > 1000:
        found.append(f"$: {totals['enum_values']} enum values, more than 1000")
    if totals["chars"] > 120_000:
        found.append(f"$: {totals['chars']} characters of names and enum values, more than 120000")
    return found


# --- instructor's own request kwargs, captured from a patched `create` (no network) ---

def strict_answer(article_id: str) -> dict[str, Any]:
    """The perfect answer as a strict-mode server writes it: every key, in the schema's order, null for none."""
    return ArticleFacts.model_validate(gold_payload(article_id)).model_dump(mode="json")


def completion(mode: str, answer: dict[str, Any]) -> ChatCompletion:
    text = json.dumps(answer, ensure_ascii=False)
    message: dict[str, Any] = {"role": "assistant", "content": f"```json\n{text}\n```" if mode == "MD_JSON" else text}
    if mode == "TOOLS":
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "ArticleFacts", "arguments": text}}]}
    return ChatCompletion.model_validate({
        "id": "cmpl-0", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    })


def instructor_request(mode: str, article: Article, answer: dict[str, Any], *, rewrite: bool, strict: bool = False,
                       first: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], ArticleFacts]:
    """The kwargs instructor 1.17 sends for `mode` (rewritten with the request schema if `rewrite`),
    one dict per attempt, and the answer instructor parsed from `answer` (after `first`, if given)."""
    sent: list[dict[str, Any]] = []
    answers = [first, answer] if first is not None else [answer]

    def create(**kwargs: Any) -> ChatCompletion:
        # A deep copy: instructor appends re-ask messages to the same lists in place.
        sent.append(copy.deepcopy(with_request_schema(kwargs, mode, strict=strict) if rewrite else kwargs))
        return completion(mode, answers[min(len(sent), len(answers)) - 1])

    chunk = Chunk(0, len(article.text))
    patched = instructor.patch(create=create, mode=instructor.Mode[mode])
    parsed = patched(response_model=ArticleFacts, model="m", messages=messages(load_prompt(), article, chunk),
                     context=new_context(FoldedText(article.text)), max_retries=len(answers) - 1, strict=False)
    return sent, parsed


def schema_of(mode: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The answer schema a request carries, read from where the mode puts it."""
    if mode == "TOOLS":
        return kwargs["tools"][0]["function"]["parameters"]
    if mode == "JSON_SCHEMA":
        return kwargs["response_format"]["json_schema"]["schema"]
    system = kwargs["messages"][0]
    assert system["role"] == "system"
    marker = "match the following json_schema:"
    text = system["content"]
    start = text.index("{", text.index(marker))
    return json.JSONDecoder().raw_decode(text, start)[0]


# --- the schema itself ---

def test_the_request_schema_keeps_openai_strict_rules() -> None:
    assert strict_violations(strict_schema()) == []


def test_the_rule_checker_finds_what_strict_mode_refuses_in_the_default_schema() -> None:
    # The measurement: five open objects, nine defaults (three beside a $ref), the period pattern
    # beside its anyOf, and the optional fields missing from `required`.
    found = strict_violations(ArticleFacts.model_json_schema())
    assert sum("without additionalProperties: false" in f for f in found) == 5
    assert sum("default" in f for f in found) == 9
    assert sum("$ref with siblings ['default']" in f for f in found) == 3
    assert [f for f in found if "pattern" in f] == ["#/$defs/MetricAnswer.period: keyword 'pattern' not allowed on a node "
                                                   "of type untyped"]
    missing = [name for f in found if "missing from required" in f for name in re.findall(r"'(\w+)'", f)]
    assert len(missing) == 16 and {"metrics", "infrastructure_projects", "policy_statements", "period"} <= set(missing)


def test_every_object_closed_every_property_required_and_no_defaults() -> None:
    schema = strict_schema()
    assert schema["required"] == list(schema["properties"])
    assert set(schema["required"]) == set(FACT_TYPES)
    text = json.dumps(schema)
    assert '"default"' not in text and '"$ref"' not in text and '"$defs"' not in text and "(?:" not in text
    for name in FACT_TYPES:
        item = schema["properties"][name]["items"]
        assert item["additionalProperties"] is False
        assert item["required"] == list(item["properties"])
        assert item["properties"]["evidence"]["minItems"] == 1
        assert item["properties"]["evidence"]["items"]["additionalProperties"] is False


def test_nullable_fields_are_unions_with_null_and_defaults_are_named_in_descriptions() -> None:
    metric = strict_schema()["properties"]["metrics"]["items"]["properties"]
    assert {"type": "null"} in metric["location"]["anyOf"]
    assert metric["comparator"]["enum"] == ["eq", "approx", "gt", "lt"]
    assert 'Write "eq"' in metric["comparator"]["description"]
    project = strict_schema()["properties"]["infrastructure_projects"]["items"]["properties"]
    assert project["locations"]["type"] == "array" and "null" not in json.dumps(project["locations"])


def test_period_pattern_sits_on_the_string_branch_in_plain_groups_and_means_the_same() -> None:
    period = strict_schema()["properties"]["metrics"]["items"]["properties"]["period"]
    assert "pattern" not in period
    string_branch = next(b for b in period["anyOf"] if b.get("type") == "string")
    pattern = string_branch["pattern"]
    assert "(?:" not in pattern and pattern == plain_groups(PERIOD_PATTERN)
    samples = ["2020", "2020-01", "2020-12", "2022-01/2022-03", "2013/2023", "2020-13", "2020-00", "20", "2020/",
               "2020-1", "２０２０", "2020-01/", "x2020", "2020-01/2021-1"]
    for sample in samples:
        assert bool(re.fullmatch(pattern, sample)) == bool(re.fullmatch(PERIOD_PATTERN, sample)), sample


def test_plain_groups_leaves_escaped_parentheses_alone() -> None:
    assert plain_groups(r"^(?:a|b)\(?:c$") == r"^(a|b)\(?:c$"


def test_computed_once_and_returned_as_a_fresh_copy() -> None:
    first = strict_schema()
    first["properties"].clear()
    assert strict_schema()["properties"], "a caller's change leaked into the cached schema"
    assert request_schema_sha256() == request_schema_sha256()
    assert len(request_schema_sha256()) == 64


# --- in the request ---

@pytest.mark.parametrize("mode", MODES)
def test_rewrite_puts_the_schema_where_instructor_put_its_own(mode: str) -> None:
    article = seed(GOLD_IDS[0])
    (raw,), _ = instructor_request(mode, article, strict_answer(article.id), rewrite=False)
    (sent,), _ = instructor_request(mode, article, strict_answer(article.id), rewrite=True, strict=True)
    # What instructor sent is its own (pydantic's) schema, which is what the rewrite replaces.
    assert schema_of(mode, raw)["properties"] == json.loads(json.dumps(ArticleFacts.model_json_schema()["properties"]))
    assert schema_of(mode, sent) == strict_schema()
    if mode == "TOOLS":
        assert sent["tools"][0]["function"]["strict"] is True
        assert sent["tools"][0]["function"]["name"] == "ArticleFacts"
        assert NAME.match(sent["tools"][0]["function"]["name"])
        assert sent["tool_choice"] == raw["tool_choice"]
    elif mode == "JSON_SCHEMA":
        assert sent["response_format"]["json_schema"]["strict"] is True
        assert NAME.match(sent["response_format"]["json_schema"]["name"])
    else:
        assert instructor_schema_text(ArticleFacts) not in sent["messages"][0]["content"]
        assert sent.get("response_format") == raw.get("response_format")
    # Nothing else of the request changes: the prompt and the article go out as instructor built them.
    assert [m["content"] for m in sent["messages"][1:]] == [m["content"] for m in raw["messages"][1:]]
    assert {k for k in sent if k != "messages"} == {k for k in raw if k != "messages"}


@pytest.mark.parametrize("mode", ["TOOLS", "JSON_SCHEMA"])
def test_strict_off_sends_no_strict_flag(mode: str) -> None:
    article = seed(GOLD_IDS[0])
    (sent,), _ = instructor_request(mode, article, strict_answer(article.id), rewrite=True, strict=False)
    assert '"strict"' not in json.dumps({k: v for k, v in sent.items() if k != "messages"})


@pytest.mark.parametrize("mode", MODES)
def test_rewrite_leaves_its_input_alone_and_can_be_applied_twice(mode: str) -> None:
    article = seed(GOLD_IDS[0])
    (raw,), _ = instructor_request(mode, article, strict_answer(article.id), rewrite=False)
    before = json.dumps(raw, sort_keys=True)
    once = with_request_schema(raw, mode, strict=True)
    assert json.dumps(raw, sort_keys=True) == before
    assert with_request_schema(once, mode, strict=True) == once


@pytest.mark.parametrize("mode", MODES)
def test_a_reask_carries_the_schema_too(mode: str, fake_llm: FakeLLM) -> None:
    fake_llm.script(GOLD_IDS[0], Fault("hallucinate"))
    sheet = extract_one(LLMSettings(base_url=fake_llm.url, mode=mode, **FAST), seed(GOLD_IDS[0]))
    first, reask = (r.body for r in fake_llm.records)
    assert reask["messages"][0] == first["messages"][0] and "Some facts of your answer were rejected" in str(reask)
    assert len(json.dumps(reask)) < len(json.dumps(first)) + 2000  # one note added, not the whole previous answer
    assert all(schema_of(mode, kwargs) == strict_schema() for kwargs in (first, reask))
    assert sheet.provenance.reasks == 1


def test_rewrite_refuses_a_request_shape_it_does_not_know() -> None:
    with pytest.raises(RequestSchemaError, match="instructor's request shape changed"):
        with_request_schema({"messages": [{"role": "user", "content": "hi"}]}, "JSON")
    with pytest.raises(RequestSchemaError, match="tools"):
        with_request_schema({"messages": []}, "TOOLS")
    with pytest.raises(RequestSchemaError, match="no request schema"):
        with_request_schema({"messages": []}, "PARALLEL_TOOLS")


@pytest.mark.parametrize("article_id", GOLD_IDS)
@pytest.mark.parametrize("mode", MODES)
def test_perfect_answers_in_strict_form_parse_through_instructor_to_the_same_facts(mode: str, article_id: str) -> None:
    # A strict server writes every key; the answer model must read that exactly as it reads the sparse gold answer.
    article = seed(article_id)
    folded = FoldedText(article.text)
    _, parsed = instructor_request(mode, article, strict_answer(article_id), rewrite=True, strict=True)
    sparse = ArticleFacts.model_validate(gold_payload(article_id), context=new_context(folded))
    assert parsed.to_facts(folded, 0) == sparse.to_facts(folded, 0)
    assert sum(len(v) for v in parsed.to_facts(folded, 0).values()) == sum(len(v) for v in gold_payload(article_id).values())


@pytest.mark.parametrize(("host", "mode", "expected"), [
    ("api.openai.com", "TOOLS", True),
    ("api.openai.com", "JSON_SCHEMA", True),
    ("api.openai.com", "JSON", False),  # json_object has no place for a schema flag
    ("api.openai.com", "MD_JSON", False),
    ("myres.openai.azure.com", "JSON_SCHEMA", True),
    ("localhost:11434", "JSON_SCHEMA", False),
    ("127.0.0.1:8000", "TOOLS", False),
    ("api.openai.com.evil.example", "TOOLS", False),
])
def test_strict_is_on_by_default_only_where_openai_serves_it(host: str, mode: str, expected: bool) -> None:
    assert default_strict(host, mode) is expected
    assert default_strict(host, instructor.Mode[mode]) is expected


def test_a_setting_overrides_the_default_where_the_mode_has_a_flag() -> None:
    assert resolve_strict(None, "api.openai.com", "TOOLS") is True
    assert resolve_strict(False, "api.openai.com", "TOOLS") is False
    assert resolve_strict(True, "localhost:8000", "JSON_SCHEMA") is True
    assert resolve_strict(True, "localhost:8000", "MD_JSON") is False


@pytest.mark.parametrize("mode", MODES)
def test_the_perfect_model_bar_holds_with_the_request_schema_in_the_request(
        fake_llm: FakeLLM, settings: LLMSettings, mode: str) -> None:
    # The real backend over HTTP against the local server, strict asked for: every request carries the closed schema.
    settings = settings.model_copy(update={"strict_schema": "on"})
    for article_id in GOLD_IDS:
        fake_llm.records.clear()
        article = seed(article_id)
        sheet = finish_sheet(article, extract_one(settings.model_copy(update={"mode": mode}), article))
        expected = gold_facts(article)
        for name in FACT_TYPES:
            got = canonical_json([f.model_dump(mode="json") for f in getattr(sheet, name)])
            assert got == canonical_json(expected[name]), f"{article_id} {name}"
        assert sheet.provenance.usage.requests == 1 and sheet.provenance.dropped_facts == 0
        body = fake_llm.records[0].body
        assert schema_of(mode, body) == strict_schema()
        if mode == "TOOLS":
            assert body["tools"][0]["function"]["strict"] is True
        elif mode == "JSON_SCHEMA":
            assert body["response_format"]["json_schema"]["strict"] is True


def test_by_default_a_local_server_gets_the_closed_schema_without_the_strict_flag(fake_llm: FakeLLM,
                                                                                   settings: LLMSettings) -> None:
    article = seed(GOLD_IDS[0])
    sheet = extract_one(settings.model_copy(update={"mode": "JSON_SCHEMA"}), article)
    body = fake_llm.records[0].body
    assert schema_of("JSON_SCHEMA", body) == strict_schema()
    assert not body["response_format"]["json_schema"].get("strict")
    assert sheet.provenance.strict is False and sheet.provenance.request_schema_sha256 == request_schema_sha256()


def test_strict_schema_setting_is_checked_and_changes_the_fingerprint(settings: LLMSettings) -> None:
    from extract.backends.llm.backend import LLMBackend

    with pytest.raises(ValueError, match="strict_schema"):
        settings.model_copy(update={}).model_validate({**settings.model_dump(), "strict_schema": "maybe"})
    on = LLMBackend(settings.model_copy(update={"strict_schema": "on"})).fingerprint()
    auto = LLMBackend(settings).fingerprint()
    assert on["strict"] == "true" and auto["strict"] == "false"


def test_the_shared_schema_leaves_request_keys_as_they_were_and_stays_unchanged() -> None:
    import hashlib

    from extract.backends.llm.request_schema import _shared_schema
    from extract.store.cache import request_key

    def plain_key(request: dict) -> str:  # the key as it was defined before constant parts were known
        blob = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    for mode in ("TOOLS", "JSON_SCHEMA"):  # the modes that carry the schema as an object (JSON modes: as text)
        kwargs = with_request_schema({"model": "m", "messages": [{"role": "system", "content": "S"},
                                                                 {"role": "user", "content": "Article text:\nT é"}],
                                      "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
                                      "response_format": {"type": "json_schema", "json_schema": {"name": "A"}},
                                      "temperature": 0.0, "seed": 1, "stop": None}, mode, strict=True)
        request = {"url": "http://127.0.0.1/v1/chat/completions", "body": kwargs}
        carried = kwargs["tools"][0]["function"]["parameters"] if mode == "TOOLS" else \
            kwargs["response_format"]["json_schema"]["schema"]
        assert carried is _shared_schema(ArticleFacts)  # its key JSON made once
        assert request_key(request) == plain_key(request)
        assert request_key({**request, "body": {**kwargs, "temperature": 0.5}}) != request_key(request)
        # a copy of the schema, not the shared object, gives the same key
        assert request_key(json.loads(json.dumps(request))) == request_key(request)
    assert _shared_schema(ArticleFacts) == strict_schema(ArticleFacts)  # no request changed it
