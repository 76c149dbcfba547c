"""Fixtures of the LLM tests: a local OpenAI-compatible server answering with the hand labels.

No key, no internet: the real openai client and instructor talk HTTP to 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_helpers import FAST, gold_responder, keyless_env, serving
from llm_server import FakeLLM

from extract.backends.llm.settings import LLMSettings


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with serving(FakeLLM(gold_responder)) as fake:
        yield fake


@pytest.fixture
def llm_env(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeLLM:
    """Environment of a keyless local server: OPENAI_BASE_URL only, no config file, no FACTSHEET_*."""
    keyless_env(monkeypatch, fake_llm.url)
    monkeypatch.chdir(tmp_path)
    return fake_llm


@pytest.fixture
def settings(fake_llm: FakeLLM) -> LLMSettings:
    return LLMSettings(base_url=fake_llm.url, **FAST)
