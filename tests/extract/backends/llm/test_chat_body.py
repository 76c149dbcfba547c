"""Requests posted past openai's parameter transform (chat_body.py) are the requests `create` sends."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import openai
import pytest
from llm_helpers import FAST, GOLD_IDS, seed
from llm_server import FakeLLM
from openai._utils import async_maybe_transform
from openai.types.chat import completion_create_params

from extract.backends.llm.backend import LLMBackend
from extract.backends.llm.chat_body import plain_body, post_chat
from extract.backends.llm.request_schema import SCHEMA_MODES
from extract.backends.llm.settings import LLMSettings


class Recording(httpx2.AsyncBaseTransport):
    """Real HTTP to the scripted server, each request's method, URL, headers and bytes noted on the way."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.sent: list[tuple[str, str, dict[str, str], bytes]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent.append((request.method, str(request.url), dict(request.headers), request.content))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def first_request(url: str, mode: str, **extra: Any) -> dict[str, Any]:
    """The kwargs the backend hands the transport for a seed's first request in `mode`."""
    backend = LLMBackend(LLMSettings(base_url=url, mode=mode, **FAST, **extra))
    [(_, kwargs)] = asyncio.run(backend.request_bodies(seed(GOLD_IDS[0])))
    return kwargs


@pytest.mark.parametrize("mode", SCHEMA_MODES)
def test_the_body_is_openais_transform_of_the_request(fake_llm: FakeLLM, mode: str) -> None:
    kwargs = first_request(fake_llm.url, mode, max_tokens=900)
    body = plain_body(kwargs)
    assert body is not None, f"{mode}: the backend's request should need no transform"
    expected = asyncio.run(async_maybe_transform(kwargs, completion_create_params.CompletionCreateParamsNonStreaming))
    assert body == expected  # the key order (create's, not the kwargs') is checked on the bytes sent, below


@pytest.mark.parametrize("mode", SCHEMA_MODES)
def test_post_chat_sends_the_bytes_create_sends_and_reads_the_same_answer(fake_llm: FakeLLM, mode: str) -> None:
    kwargs = first_request(fake_llm.url, mode, max_tokens=900)

    async def both() -> tuple[Recording, Any, Any]:
        recording = Recording()
        client = openai.AsyncOpenAI(api_key="sk-test", base_url=fake_llm.url, max_retries=0,
                                    http_client=openai.DefaultAsyncHttpxClient(transport=recording))
        try:
            return recording, await post_chat(client, kwargs), await client.chat.completions.create(**kwargs)
        finally:
            await client.close()

    recording, posted, created = asyncio.run(both())
    (method, url, headers, content), (method2, url2, headers2, content2) = recording.sent
    assert (method, url, content) == (method2, url2, content2)
    assert headers == headers2
    assert type(posted) is type(created) is openai.types.chat.ChatCompletion
    assert posted.model_dump(exclude={"id", "created"}) == created.model_dump(exclude={"id", "created"})
    assert [r.body for r in fake_llm.records] == [kwargs, kwargs]


def test_anything_openai_might_rewrite_goes_through_create(fake_llm: FakeLLM) -> None:
    kwargs = first_request(fake_llm.url, "JSON_SCHEMA")
    assert plain_body({**kwargs, "messages": tuple(kwargs["messages"])}) is None  # openai makes it a list
    assert plain_body({**kwargs, "extra_body": {"seed": 1}}) is None
    assert plain_body({**kwargs, "stream": True}) is None
    assert plain_body({k: v for k, v in kwargs.items() if k != "model"}) is None

    async def send() -> Any:
        client = openai.AsyncOpenAI(api_key="sk-test", base_url=fake_llm.url, max_retries=0)
        try:
            return await post_chat(client, {**kwargs, "messages": tuple(kwargs["messages"])})
        finally:
            await client.close()

    assert asyncio.run(send()).choices
    assert fake_llm.records[-1].body == kwargs


def test_the_cache_layer_takes_the_body_post_chat_encoded_instead_of_parsing_it_back(fake_llm: FakeLLM) -> None:
    from extract.store.calls import PARSED_BODY
    from extract.store.http_cache import CachingTransport

    kwargs = first_request(fake_llm.url, "JSON_SCHEMA")
    seen: list[tuple[Any, bytes]] = []

    class Noting(httpx2.AsyncBaseTransport):
        inner = httpx2.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            seen.append((request.extensions.get(PARSED_BODY), request.content))
            return await self.inner.handle_async_request(request)

    async def send() -> None:
        client = openai.AsyncOpenAI(api_key="sk-test", base_url=fake_llm.url, max_retries=0,
                                    http_client=openai.DefaultAsyncHttpxClient(transport=CachingTransport(Noting())))
        try:
            await post_chat(client, kwargs)  # the body handed over with its bytes
            await client.chat.completions.create(**kwargs)  # bytes encoded by openai: parsed back
        finally:
            await client.close()

    asyncio.run(send())
    (handed, content), (parsed, content2) = seen
    assert content == content2 and handed == parsed == json.loads(content)
    assert handed["messages"] is kwargs["messages"]  # post_chat's own body: not parsed back
    assert parsed["messages"] is not kwargs["messages"]
