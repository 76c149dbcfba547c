"""The pure parts of follow-ups: what counts as a refused mode, a cut-off answer's finished facts,
near-miss quotes, nearest sentences; and a refusal over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx2
import openai
import pytest
from llm_helpers import GOLD_IDS, extract_one, seed
from llm_server import FakeLLM, Fault
from test_llm_faults import assert_gold

from extract.align import FoldedText
from extract.backends.llm.cutoff import finished_prefix
from extract.backends.llm.modes import lacks_feature
from extract.backends.llm.nearmiss import Words, near_miss
from extract.backends.llm.reask import nearest_sentence, states_figures
from extract.backends.llm.settings import LLMSettings
from extract.store import ResponseCache, Store, using_cache


def status_error(code: int, message: str) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://h/v1/chat/completions")
    return openai.APIStatusError(message, response=httpx2.Response(code, request=request), body=None)


@pytest.mark.parametrize(("code", "message", "refused"), [
    (400, "registry.ollama.ai/library/llama3:latest does not support tools", True),
    (400, "response_format type json_schema is not supported", True),
    (422, "Unknown field: tool_choice", True),
    (400, "This model's maximum context length is 8192 tokens; your messages resulted in 9000", False),
    (400, "messages: invalid role", False),
    (500, "tools are down", False),
])
def test_a_refused_mode_is_told_from_other_400s(code: int, message: str, refused: bool) -> None:
    assert lacks_feature(status_error(code, message)) is refused


def test_a_cut_off_answer_keeps_every_fact_it_finished() -> None:
    cut = '<think>x</think>```json\n{"metrics": [{"q": "a \\"}\\" b"}, {"q": 2}], "policy_statements": [{"q": '
    assert finished_prefix(cut) == '{"metrics": [{"q": "a \\"}\\" b"}, {"q": 2}]}'
    assert finished_prefix('{"metrics": [{"q": 1') is None
    assert finished_prefix('{"metrics": [], "policy_statements": [{"q": 1}') == '{"metrics": [], "policy_statements": [{"q": 1}]}'


TEXT = "Exports rose 5 percent to 20 billion yuan. Officials said the new port will open soon. The port will open."


@pytest.mark.parametrize(("quote", "aligned"), [
    ("Exports rose 5 percent to billion yuan.", None),  # a number lost
    ("Officials said the port will open soon.", "Officials said the new port will open soon."),
    ("Officials said the new big port will open soon.", "Officials said the new port will open soon."),
    ("Officials said the new port will not open soon.", None),  # a negation gained
    ("The port will open", None),  # found whole elsewhere, or too short
    ("said the new port open", "said the new port will open"),  # five words, "will" dropped inside
])
def test_near_miss_quotes_are_aligned_only_when_safe_and_unambiguous(quote: str, aligned: str | None) -> None:
    folded = FoldedText(TEXT)
    assert near_miss(folded, Words.of(TEXT), quote) == aligned


def test_an_ambiguous_near_miss_is_not_aligned() -> None:
    text = "The new port will open in May. The old port will open in May."
    assert near_miss(FoldedText(text), Words.of(text), "The port will open in May.") is None


def test_nearest_sentence_and_figures() -> None:
    assert nearest_sentence(TEXT, "officials say a port opens soon") == "Officials said the new port will open soon."
    assert states_figures("In 2020 trade rose 5%.") and not states_figures("In 2020 the port opened in 2021.")


def test_a_refusal_is_asked_again_and_never_cached(fake_llm: FakeLLM, settings: LLMSettings, tmp_path: Path) -> None:
    fake_llm.script(GOLD_IDS[0], Fault("refusal"))
    article = seed(GOLD_IDS[0])
    with Store.open(tmp_path / "store.sqlite") as store, using_cache(ResponseCache(store)) as cache:
        sheet = extract_one(settings.model_copy(update={"mode": "JSON_SCHEMA"}), article)
        assert cache is not None and len(cache) == 1  # the good answer only
    assert_gold(article, sheet)
    assert len(fake_llm.records) == 2 and "could not be read" in fake_llm.records[1].text()
