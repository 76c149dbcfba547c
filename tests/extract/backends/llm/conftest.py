"""Fixtures of the LLM tests: a local OpenAI-compatible server answering with the hand labels.

No key, no internet: the real openai client and instructor talk HTTP to 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_helpers import FAST, gold_responder
from llm_server import FakeLLM, start

from extract.backends.llm.settings import LLMSettings


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM(gold_responder)
    server, thread = start(fake)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def llm_env(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeLLM:
    """Environment of a keyless local server: OPENAI_BASE_URL only, no config file, no FACTSHEET_*."""
    for name in list(os.environ):
        if name.startswith("FACTSHEET_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.url)
    monkeypatch.chdir(tmp_path)
    return fake_llm


@pytest.fixture
def settings(fake_llm: FakeLLM) -> LLMSettings:
    return LLMSettings(base_url=fake_llm.url, **FAST)
