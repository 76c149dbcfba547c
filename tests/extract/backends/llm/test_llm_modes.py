"""Every instructor mode against the local server: the real openai client and instructor run."""

from __future__ import annotations

import pytest
from llm_helpers import GOLD_IDS, canonical_json, extract_one, gold_facts, seed
from llm_server import FakeLLM

from extract.articles import Article
from extract.backends.llm.chunking import Chunk
from extract.backends.llm.prompt import load_prompt, user_message
from extract.backends.llm.settings import MODES, LLMSettings
from extract.pipeline import finish_sheet
from schemas import FACT_TYPES


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_returns_the_gold_facts(fake_llm: FakeLLM, settings: LLMSettings, mode: str) -> None:
    article = seed(GOLD_IDS[1])
    sheet = finish_sheet(article, extract_one(settings.model_copy(update={"mode": mode}), article))

    expected = gold_facts(article)
    for name in FACT_TYPES:
        assert canonical_json([f.model_dump(mode="json") for f in getattr(sheet, name)]) == canonical_json(expected[name])
    body = fake_llm.records[0].body
    if mode == "TOOLS":
        assert body["tool_choice"]["function"]["name"] == "ArticleFacts"
    elif mode == "JSON_SCHEMA":
        assert body["response_format"]["type"] == "json_schema"
    elif mode == "JSON":
        assert body["response_format"] == {"type": "json_object"}
    assert sheet.provenance.usage.requests == 1
    assert sheet.provenance.mode == mode


def test_text_reaches_the_model_unchanged_despite_instructor_templating(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    # instructor renders messages as Jinja templates whenever context= is given.
    article = seed(GOLD_IDS[1])
    tricky = article.text + "\n\nA {{ template }}, a {% endraw %} and a {# comment #} stay as written.\n"
    tricky_article = Article(meta=article.meta, text=tricky)
    extract_one(settings, tricky_article)

    sent = fake_llm.records[0].messages
    assert sent[0]["content"] == load_prompt().text
    expected = user_message(tricky_article, Chunk(0, len(tricky)), tricky)
    # Only textwrap.dedent's emptying of white-space-only lines remains, which the aligner tolerates.
    assert sent[1]["content"] == "\n".join(line if line.strip() else "" for line in expected.split("\n"))
