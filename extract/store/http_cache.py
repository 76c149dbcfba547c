"""An httpx2 transport that answers repeated chat-completion requests from the store.

Wrap the transport of the LLM client's `httpx2.AsyncClient`; every request the openai
client sends (first tries, re-asks, its own retries) passes through here, so the key is
the whole request as sent, whatever instructor put in it. Headers (and so API keys) are
never part of the key and never stored. Only 200 answers are cached; streamed requests
pass through untouched. With a stage open (extract.store.cache.staging) the answer is held
there until the backend says it was used; without one, complete answers are stored at once.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
from contextvars import ContextVar
from typing import Any

import httpx2

from extract.store.cache import ResponseCache, active_cache, current_meter, current_stage
from extract.store.calls import ANSWER_FIGURES, PARSED_BODY, REQUEST_KEY, answer_figures, record_http

_CACHEABLE_PATHS = ("/chat/completions", "/completions", "/responses")
# The request being sent, as (its bytes, the JSON body they encode), when the sender encoded it itself
# (extract.backends.llm.chat_body.post_chat): a request with these very bytes is not parsed back.
SENDING: ContextVar[tuple[bytes, dict[str, Any]] | None] = ContextVar("factsheet_sending", default=None)
_DROP_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class CachingTransport(httpx2.AsyncBaseTransport):
    """Cache in front of `inner`; with `cache=None` it uses the cache active at request time."""

    def __init__(self, inner: httpx2.AsyncBaseTransport | None = None, cache: ResponseCache | None = None) -> None:
        self.inner = inner or httpx2.AsyncHTTPTransport()
        self.cache = cache

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        started = time.monotonic()
        try:
            response = await self._handle(request)
        except Exception as e:
            record_http(request, None, started, e)  # the call log (extract/store/calls.py)
            raise
        record_http(request, response, started)
        return response

    async def _handle(self, request: httpx2.Request) -> httpx2.Response:
        cache = self.cache or active_cache()
        meter, stage = current_meter(), current_stage()
        body = self._json_body(request)
        if body is None:
            return await self.inner.handle_async_request(request)
        # The call log (extract/store/calls.py) reads the parsed body, its key and the answer's figures from here
        # instead of parsing the request and the answer again.
        request.extensions[PARSED_BODY] = body
        key = None
        if cache is not None:
            url = request.url.copy_with(query=None)
            key = request.extensions[REQUEST_KEY] = cache.key({"url": str(url), "body": body})
            hit = cache.get(key)
            if hit is not None:
                if stage is not None:
                    stage.hit = True
                data = _parsed(hit)
                if meter is not None:
                    meter.cached(*_usage(data))
                return httpx2.Response(
                    200,
                    headers={"content-type": "application/json", "x-factsheet-cache": "hit"},
                    content=hit.encode("utf-8"),
                    request=request,
                    extensions={ANSWER_FIGURES: answer_figures(data)},
                )
        response = await self.inner.handle_async_request(request)
        if response.status_code != 200:
            return response
        content = await response.aread()
        await response.aclose()
        data = _parsed(content)  # the answer parsed once, for the meter, the cache and the call log
        if meter is not None:
            meter.sent(*_usage(data))
        model = str(body.get("model")) if body.get("model") else None
        if cache is not None and key is not None and stage is not None:
            if _has_choices(data):
                stage.hold(cache, key, content, model)  # the backend keeps it once it is used
        elif cache is not None and key is not None and _complete(data):
            cache.put(key, content, model=model)
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROP_HEADERS]
        extensions = {k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")}
        extensions[ANSWER_FIGURES] = answer_figures(data)
        return httpx2.Response(200, headers=headers, content=content, request=request, extensions=extensions)

    @staticmethod
    def _json_body(request: httpx2.Request) -> dict | None:
        if request.method != "POST" or not request.url.path.endswith(_CACHEABLE_PATHS):
            return None
        sending = SENDING.get()
        try:
            content = request.content
            body = sending[1] if sending is not None and content == sending[0] else json.loads(content)
        except (ValueError, httpx2.RequestNotRead):
            return None
        if not isinstance(body, dict) or body.get("stream"):
            return None
        return body

    async def aclose(self) -> None:
        await self.inner.aclose()


_UNREADABLE = object()  # an answer that is not JSON


def _parsed(content: str | bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return _UNREADABLE


def _usage(data: Any) -> tuple[int, int]:
    """`response_usage` of an answer already parsed."""
    try:
        usage = data.get("usage") or {}
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    except (ValueError, AttributeError, TypeError):
        return 0, 0


def _has_choices(data: Any) -> bool:
    return isinstance(data, dict) and bool(data.get("choices"))


def _complete(data: Any) -> bool:
    """A whole answer worth replaying: parses, has choices, none cut off by the length limit."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not choices:
        return False
    return all(isinstance(c, dict) and c.get("finish_reason") != "length" for c in choices)


_SSL_CONTEXTS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
_SSL_LOCK = threading.Lock()


def verifying_ssl_context() -> ssl.SSLContext:
    """httpx2's default certificate-verifying context, made once per process for each SSL_CERT_FILE / SSL_CERT_DIR.

    Loading the CA bundle takes ~20 ms of CPU with the GIL held, and every new transport loads it again: in a
    process that runs more than once (a service re-running on new articles, the tests) each run paid it before
    its first request. A context is safe to share between clients; its settings never change once made."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _SSL_LOCK:
        context = _SSL_CONTEXTS.get(key)
        if context is None:
            context = _SSL_CONTEXTS[key] = httpx2.create_ssl_context()
    return context


def caching_http_client(inner: httpx2.AsyncBaseTransport | None = None, event_hooks: dict[str, list[Any]] | None = None
                        ) -> httpx2.AsyncClient:
    """An http client for `openai.AsyncOpenAI(http_client=...)`: openai's defaults, with the cache in front.

    The cache used is the one active when each request is made (extract.store.using_cache);
    with none active, requests pass straight through.
    """
    import openai

    limits = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)
    transport = CachingTransport(inner or httpx2.AsyncHTTPTransport(verify=verifying_ssl_context(), limits=limits))
    return openai.DefaultAsyncHttpxClient(transport=transport, event_hooks=event_hooks)
