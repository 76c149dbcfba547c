"""The response cache's HTTP layer parses each request body and each answer once; the call log reads what it
worked out (body, request key, tokens, finish reason) instead of parsing them again, with the same rows."""

from __future__ import annotations

import json
import shutil
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llm_helpers import SEEDS, fast_keyless_env, gold_responder, serving
from llm_server import FakeLLM

import extract.store.calls as calls
import extract.store.http_cache as http_cache
from extract.cli import main as cli_main
from extract.store import STORE_NAME, Store
from extract.store.cache import request_key
from extract.store.calls import read_calls

A, B = "001_c9623f5d1761bc86", "004_3c5a6f0b5c3235ac"


class CountingJson(types.SimpleNamespace):
    """Stands in for the `json` module of one store module: counts `loads`, or refuses it."""

    def __init__(self, refuse: bool = False) -> None:
        super().__init__(dumps=json.dumps, loads=self._loads)
        self.refuse, self.count = refuse, 0

    def _loads(self, *args: Any, **kwargs: Any) -> Any:
        if self.refuse:
            raise AssertionError("parsed again")
        self.count += 1
        return json.loads(*args, **kwargs)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeLLM]:
    with serving(FakeLLM(gold_responder)) as fake:
        fast_keyless_env(monkeypatch, fake.url)
        monkeypatch.chdir(tmp_path)
        yield fake


def test_the_call_log_reads_what_the_cache_layer_parsed(server: FakeLLM, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for article_id in (A, B):
        shutil.copy(SEEDS / f"{article_id}.txt", folder)
    layer, log = CountingJson(), CountingJson(refuse=True)
    monkeypatch.setattr(http_cache, "json", layer)
    monkeypatch.setattr(calls, "json", log)
    out = tmp_path / "out"
    assert cli_main(["run", str(folder), "-o", str(out)]) == 0
    sent = len(server.records)
    # Each answer parsed once; no request body: post_chat hands the layer the body it encoded (chat_body.py).
    assert sent == 2 and layer.count == sent
    # The store forgets the articles: they are answered from the cache, logged the same way, nothing parsed twice.
    with Store.open(out / STORE_NAME) as store:
        for article_id in (A, B):
            store.delete(article_id)
    assert cli_main(["run", str(folder), "-o", str(out)]) == 0
    assert len(server.records) == sent and layer.count == sent + sent  # each cached answer
    with Store.open(out / STORE_NAME) as store:
        rows = read_calls(store, limit=None)
        stored = {row["key"] for row in store.query("SELECT key FROM llm_cache")}
    assert [r["status"] for r in rows] == ["ok", "ok", "cached", "cached"]
    for run in (rows[:sent], rows[sent:]):
        assert sum(r["prompt_tokens"] for r in run) == sum(r.prompt_tokens for r in server.records) > 0
        assert sum(r["completion_tokens"] for r in run) == sum(r.completion_tokens for r in server.records) > 0
        assert {r["finish_reason"] for r in run} == {"stop"}
    keys = sorted(request_key({"url": f"{server.url}/chat/completions", "body": r.body}) for r in server.records)
    assert sorted(r["request_key"] for r in rows[:sent]) == keys == sorted(r["request_key"] for r in rows[sent:])
    assert stored == set(keys)
