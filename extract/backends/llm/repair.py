"""What code fixes in a model's answer before validation, so that only real faults are re-asked.

Two steps, both inside instructor's attempt (so re-asks and usage still work):

- `clean_completion`: the JSON taken out of what models actually send: a markdown fence,
  a `<think>`/`<thinking>` block or a reasoning preamble before it, prose after it. Applied
  to the message content and to tool-call arguments, in every mode; a separate reasoning
  field is never read.
- `repair_fact`: one fact's raw dict made valid where code can decide: unit words mapped
  by the unit table, enum values matched case- and space-insensitively, numbers given as
  strings ("1,200", "7.2%", "34.3 billion"), null lists as empty, unknown keys dropped.
  Each repair is counted by name; exact duplicates are merged by `ArticleFacts`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

import pydantic_core

from extract.figures import SCALES
from schemas.facts import NON_CANONICAL_UNITS

_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)
_OPEN_THINK = re.compile(r"^.*</(think|thinking|reasoning)>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)
_NUMBER = re.compile(r"^\s*([-+−]?)\s*(?:[A-Za-z$€£¥]{0,3}\s*)?(\d[\d,\s\u00a0\u202f]*(?:\.\d+)?)\s*(%|[A-Za-z]+)?")
_DECODER = json.JSONDecoder()


def without_thinking(text: str) -> str:
    """`text` without a `<think>`/`<thinking>`/`<reasoning>` block (closed, or closed only)."""
    return _OPEN_THINK.sub("", _THINK.sub("", text)).strip()


def extract_json(text: str) -> str:
    """The first JSON object in `text`, or `text` unchanged when there is none to find."""
    stripped = without_thinking(text)
    if stripped.startswith("{") and stripped.endswith("}") and "```" not in stripped and _one_value(stripped):
        return stripped  # the common answer: one object and nothing else (what the loop below finds, read faster)
    for fenced in _FENCE.findall(stripped):
        found = _first_object(fenced)
        if found is not None:
            return found
    found = _first_object(stripped)
    return found if found is not None else text


def _one_value(text: str) -> bool:
    """Whether `text` is one JSON value and nothing more; pydantic_core's parser, several times faster than json's.
    Whatever it accepts, json reads as one value over the whole text (the reverse need not hold: the loop decides)."""
    try:
        pydantic_core.from_json(text)
    except ValueError:
        return False
    return True


def _first_object(text: str) -> str | None:
    start = text.find("{")
    while start != -1:
        try:
            _, end = _DECODER.raw_decode(text, start)
            return text[start:end]
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
    return None


def clean_completion(completion: Any) -> int:
    """Clean every choice's content and tool arguments in place; the number of texts changed."""
    changed = 0
    for choice in getattr(completion, "choices", None) or []:
        message = getattr(choice, "message", None)
        # A cut-off answer is not one JSON object: cutoff.py reads the facts it finished from the raw text.
        if message is None or getattr(choice, "finish_reason", None) == "length":
            continue
        if isinstance(message.content, str) and message.content.strip():
            cleaned = extract_json(message.content)
            if cleaned != message.content:
                message.content = cleaned
                changed += 1
        for call in getattr(message, "tool_calls", None) or []:
            function = getattr(call, "function", None)
            if function is not None and isinstance(function.arguments, str):
                cleaned = extract_json(function.arguments)
                if cleaned != function.arguments:
                    function.arguments = cleaned
                    changed += 1
    return changed


@lru_cache(maxsize=1)
def unit_table() -> dict[str, str]:
    """Unit words (lowercase) to SPEC units, from extract/data/units.json and the schema's own table."""
    data = json.loads(resources.files("extract.data").joinpath("units.json").read_text(encoding="utf-8"))
    table = {word: unit for section in ("money", "volume", "count") for word, unit in data.get(section, {}).items()}
    table.update(NON_CANONICAL_UNITS)
    return table


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", text.strip().casefold())


def number_from_text(text: str) -> float | None:
    """'1,200' -> 1200, '7.2%' -> 7.2, '34.3 billion yuan' -> 34300000000, '-3' -> -3; None if no number leads."""
    match = _NUMBER.match(text)
    if not match:
        return None
    digits = re.sub(r"[,\s\u00a0\u202f]", "", match.group(2))
    try:
        number = float(digits)
    except ValueError:
        return None
    word = (match.group(3) or "").casefold()
    if word in SCALES and word not in ("m", "b", "k"):  # a lone letter could be a unit ("5 m")
        number *= SCALES[word]
    return -number if match.group(1) in ("-", "−") else number


def repair_fact(raw: Any, fields: dict[str, Any], repairs: Counter[str]) -> Any:
    """`raw` (one fact as the model wrote it) with what code can decide fixed; counts in `repairs`."""
    if not isinstance(raw, dict):
        return raw
    fact = dict(raw)
    for key in [k for k in fact if k not in fields]:
        del fact[key]
        repairs["unknown_key"] += 1
    lists, enums = _field_kinds(fields)
    for name in lists:
        if name in fact and fact[name] is None:
            fact[name] = []
            repairs["null_list"] += 1
    for name, enum in enums:
        if isinstance(fact.get(name), str):
            fact[name] = _enum(enum, fact[name], repairs)
    if isinstance(fact.get("unit"), str):
        unit = fact["unit"].strip()
        canonical = unit_table().get(unit.casefold())
        if canonical and canonical != unit:
            fact["unit"] = canonical
            repairs["unit_word"] += 1
    if isinstance(fact.get("value"), str):
        number = number_from_text(fact["value"])
        if number is not None:
            fact["value"] = number
            repairs["number_as_string"] += 1
    evidence = fact.get("evidence")
    if isinstance(evidence, dict | str):
        fact["evidence"] = [evidence]
        repairs["evidence_not_a_list"] += 1
    if isinstance(fact.get("evidence"), list):
        fact["evidence"] = [{"quote": item} if isinstance(item, str) else item for item in fact["evidence"]]
    return fact


_KINDS: dict[int, tuple[dict[str, Any], tuple[str, ...], tuple[tuple[str, type[Enum]], ...]]] = {}


def _field_kinds(fields: dict[str, Any]) -> tuple[tuple[str, ...], tuple[tuple[str, type[Enum]], ...]]:
    """The list fields and the enum fields of a model's `model_fields`, found once per model (not per fact)."""
    known = _KINDS.get(id(fields))
    if known is None or known[0] is not fields:
        lists, enums = [], []
        for name, info in fields.items():
            annotation = info.annotation
            if getattr(annotation, "__origin__", None) is list or annotation is list:
                lists.append(name)
            elif isinstance(annotation, type) and issubclass(annotation, Enum):
                enums.append((name, annotation))
        known = _KINDS[id(fields)] = (fields, tuple(lists), tuple(enums))
    return known[1], known[2]


@lru_cache(maxsize=64)
def _enum_values(enum: type[Enum]) -> tuple[frozenset[Any], dict[str, str]]:
    """An enum's values, and its values by their `_key` (the first member wins, as the loop did)."""
    by_key: dict[str, str] = {}
    for member in enum:
        by_key.setdefault(_key(str(member.value)), str(member.value))
    return frozenset(member.value for member in enum), by_key


def _enum(enum: type[Enum], value: str, repairs: Counter[str]) -> str:
    values, by_key = _enum_values(enum)
    if value in values:
        return value
    found = by_key.get(_key(value))
    if found is not None:
        repairs["enum_case"] += 1
        return found
    return value
