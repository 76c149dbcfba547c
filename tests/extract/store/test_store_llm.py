"""The LLM response cache, over real HTTP to a local OpenAI-compatible server that counts requests.

Reuses the LLM tests' server (tests/extract/backends/llm/llm_server.py) and gold responder.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path

import certifi
import openai
import pytest

from extract.cli import main as cli_main
from extract.commands.status import collect
from extract.store import STORE_NAME, ResponseCache, Store, http_cache, metering, request_key, using_cache
from extract.store.http_cache import caching_http_client

LLM_TESTS = Path(__file__).resolve().parents[1] / "backends" / "llm"
if str(LLM_TESTS) not in sys.path:
    sys.path.insert(0, str(LLM_TESTS))

from llm_helpers import SEEDS, fast_keyless_env, gold_responder, serving  # noqa: E402
from llm_server import ARTICLES, FakeLLM, status  # noqa: E402


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    with serving(FakeLLM(gold_responder)) as fake:
        yield fake


@pytest.fixture
def llm_env(server: FakeLLM, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeLLM:
    fast_keyless_env(monkeypatch, server.url)
    monkeypatch.chdir(tmp_path)
    return server


def ask(url: str, cache: ResponseCache | None, **request: object) -> tuple[dict, object]:
    async def go() -> tuple[dict, object]:
        client = openai.AsyncOpenAI(api_key="sk-test", base_url=url, max_retries=0, http_client=caching_http_client())
        try:
            with using_cache(cache), metering() as meter:
                completion = await client.chat.completions.create(**request)  # type: ignore[call-overload]
            return completion.model_dump(), meter
        finally:
            await client.close()

    return asyncio.run(go())


REQUEST = {"model": "m", "temperature": 0, "messages": [{"role": "user", "content": "Article id: x\n\nhello"}],
           "response_format": {"type": "json_object"}}


def test_cache_api_get_put_and_key(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        cache = ResponseCache(store)
        key = cache.key({"b": 1, "a": [1, 2]})
        assert key == request_key({"a": [1, 2], "b": 1}) != request_key({"a": [2, 1], "b": 1})
        assert cache.get(key) is None
        cache.put(key, '{"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}', model="m")
        assert json.loads(cache.get(key) or "")["usage"]["prompt_tokens"] == 3
        cache.flush()  # hits are counted in memory: a lookup is a read, not a write transaction
        row = store.query("SELECT hits, prompt_tokens, completion_tokens, model FROM llm_cache")[0]
        assert tuple(row) == (1, 3, 4, "m")


def test_a_repeated_request_is_answered_from_the_store(server: FakeLLM, tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        cache = ResponseCache(store)
        first, meter1 = ask(server.url, cache, **REQUEST)
        second, meter2 = ask(server.url, cache, **REQUEST)
        assert len(server.records) == 1
        assert first["choices"] == second["choices"] and first["usage"] == second["usage"]
        assert (meter1.requests, meter1.cached_requests) == (1, 0) and meter1.prompt_tokens > 0
        assert (meter2.requests, meter2.cached_requests, meter2.prompt_tokens) == (0, 1, 0)
        ask(server.url, cache, **{**REQUEST, "temperature": 0.5})  # any change of the request is a miss
        ask(server.url, None, **REQUEST)  # no active cache: straight through
        assert len(server.records) == 3
        stored = " ".join(r["response"] for r in store.query("SELECT response FROM llm_cache"))
        assert "sk-test" not in stored


def test_error_answers_are_not_cached(server: FakeLLM, tmp_path: Path) -> None:
    server.script("*", status(400))
    with Store.open(tmp_path / "s.sqlite") as store:
        cache = ResponseCache(store)
        with pytest.raises(openai.BadRequestError):
            ask(server.url, cache, **REQUEST)
        assert len(cache) == 0
        ask(server.url, cache, **REQUEST)
        assert len(cache) == 1 and len(server.records) == 2


def run_cli(articles: Path, out: Path, *extra: str) -> int:
    return cli_main(["run", str(articles), "-o", str(out), "--backend", "llm", *extra])


def test_second_llm_run_makes_no_requests_and_a_new_article_makes_one(llm_env: FakeLLM, tmp_path: Path) -> None:
    articles, out = tmp_path / "seeds", tmp_path / "out"
    shutil.copytree(SEEDS, articles)
    assert run_cli(articles, out) == 0
    first = len(llm_env.records)
    assert first >= 5
    assert run_cli(articles, out) == 0
    assert len(llm_env.records) == first  # nothing new: zero requests

    new_text = "Xiamen, March 3 (news). In 2020, Xiamen ran 271 China-Europe trains, officials said.\n"
    (articles / "new_article.txt").write_text(new_text, encoding="utf-8")
    ARTICLES["new_article"] = new_text  # the server knows articles by their text
    assert run_cli(articles, out) == 0
    # The server knows no facts for it: an empty answer for a text with figures is asked again once (docs/llm.md).
    assert len(llm_env.records) == first + 2
    assert [r.article_id for r in llm_env.records[first:]] == ["new_article"] * 2

    status = collect(out, backend="llm")
    assert status.done == 6 and status.stale == [] and status.pending_new == []
    assert status.requests == first + 2
    assert status.prompt_tokens == sum(r.prompt_tokens for r in llm_env.records)
    assert status.cost is not None and status.cost > 0 and status.currency == "USD"  # the default model is priced


def test_a_reextraction_is_answered_from_the_cache_and_force_refreshes_it(llm_env: FakeLLM, tmp_path: Path) -> None:
    articles, out = tmp_path / "seeds", tmp_path / "out"
    articles.mkdir()
    shutil.copy(SEEDS / "001_c9623f5d1761bc86.txt", articles)
    assert run_cli(articles, out) == 0
    sent = len(llm_env.records)
    original = json.loads((out / "001_c9623f5d1761bc86.json").read_text())
    with Store.open(out / STORE_NAME) as store:  # the store forgets the article: it is extracted again
        store.delete("001_c9623f5d1761bc86")
    assert run_cli(articles, out) == 0
    assert len(llm_env.records) == sent
    again = json.loads((out / "001_c9623f5d1761bc86.json").read_text())
    assert again["metrics"] == original["metrics"]
    assert again["provenance"]["usage"] == original["provenance"]["usage"]  # the sheet's usage stays honest
    assert again["provenance"]["cached_requests"] == sent
    with Store.open(out / STORE_NAME) as store:
        rows = store.query("SELECT requests, cached_requests, prompt_tokens FROM spend ORDER BY id")
    assert [tuple(r) for r in rows] == [(sent, 0, original["provenance"]["usage"]["prompt_tokens"]), (0, sent, 0)]
    # --force asks the server again (a failed or stale answer is never replayed) and refreshes the cache.
    assert run_cli(articles, out, "--force") == 0
    assert len(llm_env.records) == 2 * sent
    assert run_cli(articles, out, "--force", "--no-cache") == 0
    assert len(llm_env.records) == 3 * sent


def test_clients_share_one_verifying_ssl_context_per_certificate_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA bundle is loaded once per process, not per run; certificates are still verified, and a changed
    SSL_CERT_FILE gets a context of its own."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    first, second = http_cache.verifying_ssl_context(), http_cache.verifying_ssl_context()
    assert first is second
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    own = http_cache.verifying_ssl_context()
    assert own is not first and own.verify_mode == ssl.CERT_REQUIRED
    assert own.get_ca_certs(), "the bundle SSL_CERT_FILE names is loaded"
