"""Chat-completion requests posted through the openai client, past its per-request parameter transform.

`AsyncCompletions.create` runs `async_maybe_transform` over every request: a recursive walk of the
body against openai's TypedDicts (~3 ms a request here, most of it over the answer schema in
`tools` or `response_format`), which renames aliased keys, formats dates and files, dumps pydantic
models and drops omitted values. The chat-completion parameter types have no aliases and no
formats, so for a body of plain JSON values (dict, list, str, int, float, bool, None) the walk gives
back the same body. `post_chat` sends such a body as `create` would (same keys in the same order,
same options, same response type, through the same client, httpx transport and error handling);
anything else (another value type, an unknown or extra_* key, streaming) goes through `create`. The body is
encoded here (with openai's own encoder, as `post(body=...)` would) and handed to the response cache's layer
with its bytes, which then needs not parse them back.
tests/extract/backends/llm/test_chat_body.py checks the body against openai's own transform.
"""

from __future__ import annotations

import inspect
from typing import Any

import openai
from openai import AsyncStream
from openai._base_client import make_request_options
from openai._utils._json import openapi_dumps
from openai.resources.chat.completions.completions import AsyncCompletions, validate_response_format
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from extract.store.http_cache import SENDING

# The body parameters of `create`, in the order its body dict lists them (the request's key order).
BODY_KEYS = tuple(name for name, p in inspect.signature(AsyncCompletions.create).parameters.items()
                  if p.kind is inspect.Parameter.KEYWORD_ONLY
                  and name not in ("extra_headers", "extra_query", "extra_body", "timeout"))
_KNOWN = frozenset(BODY_KEYS)
_SCALARS = (str, int, float, bool)


def _plain(value: Any) -> bool:
    """JSON made of dict, list, str, int, float, bool and None only (exact types: no subclasses, no models)."""
    kind = type(value)
    if value is None or kind in _SCALARS:
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    return False


def plain_body(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The body `create` would send for `kwargs`, or None when openai's transform might change something."""
    if "messages" not in kwargs or "model" not in kwargs or kwargs.get("stream") or not _KNOWN.issuperset(kwargs):
        return None
    if not all(_plain(value) for value in kwargs.values()):
        return None
    return {key: kwargs[key] for key in BODY_KEYS if key in kwargs}


async def post_chat(client: openai.AsyncOpenAI, kwargs: dict[str, Any]) -> Any:
    """`client.chat.completions.create(**kwargs)`, without the parameter transform when it would change nothing."""
    body = plain_body(kwargs)
    if body is None:
        return await client.chat.completions.create(**kwargs)
    validate_response_format(body.get("response_format"))
    # Encoded here as openai would encode `body=`, so that the response cache's layer reads the body from SENDING
    # instead of parsing these bytes back.
    content = openapi_dumps(body)
    token = SENDING.set((content, body))
    try:
        return await client.post("/chat/completions", content=content, cast_to=ChatCompletion,
                                 options=make_request_options(security={"bearer_auth": True}),
                                 stream=False, stream_cls=AsyncStream[ChatCompletionChunk])
    finally:
        SENDING.reset(token)
