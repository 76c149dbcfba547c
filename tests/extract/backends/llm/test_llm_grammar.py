"""The request schema of every mode, compiled by a real grammar compiler (llguidance, as vLLM and
llama.cpp can use it): the perfect answers pass, malformed ones cannot be generated.

The tokenizer is a byte-level vocabulary built here (256 byte tokens and an end token), so no model
or tokenizer is downloaded; a grammar that accepts an answer byte by byte accepts it under any
tokenizer, because llguidance constrains bytes, not token ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import llguidance
import pytest
from llm_helpers import GOLD_IDS, gold_payload, seed
from test_llm_request_schema import instructor_request, schema_of, strict_answer

from extract.backends.llm.answer import ArticleFacts
from extract.backends.llm.settings import MODES

EOS = 256


class ByteVocabulary:
    """One token per byte, plus an end-of-sequence token: what llguidance's TokenizerWrapper reads."""

    def __init__(self) -> None:
        self.eos_token_id = EOS
        self.bos_token_id = None
        self.tokens = [bytes([i]) for i in range(256)] + [b"</s>"]
        self.special_token_ids = [EOS]

    def __call__(self, text: bytes) -> list[int]:
        return list(text)


TOKENIZER = llguidance.LLTokenizer(llguidance.TokenizerWrapper(ByteVocabulary()))


def compile_grammar(schema: dict[str, Any]) -> str:
    grammar = llguidance.LLMatcher.grammar_from_json_schema(schema)
    is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(grammar, TOKENIZER)
    assert not is_error, messages
    assert messages == [], f"the compiler ignored part of the schema: {messages}"
    return grammar


def rejection(grammar: str, text: str) -> str | None:
    """None if the grammar generates `text` and may end there, else why not (first line of the error)."""
    matcher = llguidance.LLMatcher(TOKENIZER, grammar, log_level=0)
    if not matcher.consume_tokens(list(text.encode("utf-8"))) or matcher.is_error():
        return matcher.get_error().splitlines()[0]
    if not matcher.is_accepting():
        return "the grammar does not allow the answer to end here"
    if not matcher.consume_token(EOS):
        return "end of sequence refused"
    return None


def required_keys_present(schema: dict[str, Any], value: Any, path: str = "$") -> Iterator[str]:
    """Keys the schema requires that `value` lacks: a strict server writes every one of them."""
    if isinstance(value, dict) and "properties" in schema:
        for key in schema.get("required", []):
            if key not in value:
                yield f"{path}.{key}"
        for key, sub in schema["properties"].items():
            if key in value:
                yield from required_keys_present(sub, value[key], f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            yield from required_keys_present(schema["items"], item, f"{path}[{i}]")
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "object" and isinstance(value, dict):
            yield from required_keys_present(branch, value, path)


@pytest.fixture(scope="module", params=MODES)
def mode_grammar(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], str]:
    """(mode, schema, grammar): the schema read back from the kwargs instructor built, rewritten."""
    mode = request.param
    article = seed(GOLD_IDS[0])
    (sent,), _ = instructor_request(mode, article, strict_answer(article.id), rewrite=True, strict=True)
    schema = schema_of(mode, sent)
    return mode, schema, compile_grammar(schema)


def first_metric_answer() -> dict[str, Any]:
    for article_id in GOLD_IDS:
        answer = strict_answer(article_id)
        if answer["metrics"]:
            return answer
    raise AssertionError("no seed has a metric")


def test_the_perfect_answers_of_every_seed_are_accepted(mode_grammar: tuple[str, dict[str, Any], str]) -> None:
    mode, schema, grammar = mode_grammar
    assert len(GOLD_IDS) == 5
    # A constrained decoder writes every key, in the schema's order (OpenAI documents the same): the hand
    # labels put evidence last, so the perfect answers are serialised through the answer model first.
    assert rejection(grammar, json.dumps(gold_payload(GOLD_IDS[0]), ensure_ascii=False)) is not None
    for article_id in GOLD_IDS:
        answer = strict_answer(article_id)
        assert list(required_keys_present(schema, answer)) == []
        # Raw UTF-8, as a constrained server writes it: llguidance's default grammar allows \u escapes
        # only for control characters, so "\u2019" is not something it would generate.
        for text in (json.dumps(answer, ensure_ascii=False), json.dumps(answer, ensure_ascii=False, indent=2)):
            assert rejection(grammar, text) is None, f"{mode} {article_id}: {rejection(grammar, text)}"


def test_a_malformed_period_is_refused(mode_grammar: tuple[str, dict[str, Any], str]) -> None:
    _, _, grammar = mode_grammar
    answer = first_metric_answer()
    for bad in ("2020-13", "Q1 2020", "2020-1", "20201", "2020/21", "2020-01/"):
        answer["metrics"][0]["period"] = bad
        assert rejection(grammar, json.dumps(answer, ensure_ascii=False)) is not None, bad
    for good in ("2020", "2020-12", "2022-01/2022-03", None):
        answer["metrics"][0]["period"] = good
        assert rejection(grammar, json.dumps(answer, ensure_ascii=False)) is None, good


def test_an_empty_evidence_list_is_refused(mode_grammar: tuple[str, dict[str, Any], str]) -> None:
    _, _, grammar = mode_grammar
    for article_id in GOLD_IDS:
        answer = strict_answer(article_id)
        for name, facts in answer.items():
            if facts:
                facts[0]["evidence"] = []
                assert rejection(grammar, json.dumps(answer, ensure_ascii=False)) is not None, f"{article_id} {name}"


def test_missing_extra_and_wrong_keys_are_refused(mode_grammar: tuple[str, dict[str, Any], str]) -> None:
    _, _, grammar = mode_grammar
    answer = first_metric_answer()
    metric = answer["metrics"][0]
    cases = {
        "empty answer": {},
        "a list left out": {k: v for k, v in answer.items() if k != "policy_statements"},
        "a nullable key left out": {**answer, "metrics": [{k: v for k, v in metric.items() if k != "location"}]},
        "an extra key": {**answer, "metrics": [{**metric, "confidence": 0.9}]},
        "offsets in evidence": {**answer, "metrics": [{**metric, "evidence": [{"quote": "x", "start": 0, "end": 1}]}]},
        "an unknown kind": {**answer, "metrics": [{**metric, "kind": "ratio"}]},
        "a number as text": {**answer, "metrics": [{**metric, "value": "7.2"}]},
    }
    for case, bad in cases.items():
        assert rejection(grammar, json.dumps(bad, ensure_ascii=False)) is not None, case


def test_instructors_own_schema_lets_those_answers_through() -> None:
    # Why the rewrite matters: the schema instructor sends by itself compiles too, but its grammar
    # allows an empty answer and facts without evidence, which then cost a re-ask.
    grammar = compile_grammar(json.loads(json.dumps(ArticleFacts.model_json_schema())))
    answer = first_metric_answer()
    answer["metrics"][0]["evidence"] = []
    assert rejection(grammar, "{}") is None
    assert rejection(grammar, json.dumps(answer, ensure_ascii=False)) is None
