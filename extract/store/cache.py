"""The LLM response cache (a table of the store) and the per-article token meter.

The cache maps a hash of the whole request (URL, model, messages, tools or schema,
mode, temperature: the request body as sent) to the response body. A repeated request
is answered from the store and costs no tokens; the answer is the one the model gave
the first time, so a re-run after a post-processing change, or an eval re-run, is free
and reproducible.

Only answers that were used are kept. While a backend asks, it opens a `Stage` for the
request (`staging()`); the client's transport puts the answer there instead of into the
table, and the backend `keep()`s it once the answer has been parsed and used, or drops
it (an answer that did not parse, a refusal, an empty answer for a text with figures).
So a re-run of a failed article asks the server again instead of replaying the failure.
Requests made with no stage open are stored at once, as before.

The meter (`Meter`) counts, for the article being extracted, what was sent to the API
and what came from the cache. The pipeline starts one per article (`metering()`); the
client's transport adds to the current one. Context variables carry both through
asyncio tasks, so concurrent articles are counted apart.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from extract.store.db import Store, TokenCount, now

_KEY_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
# Parts that many requests carry as the very same object (the answer schema): id -> (the object, its key JSON).
_CONSTANTS: dict[int, tuple[Any, str]] = {}
_KEY_WALK_DEPTH = 6  # request -> body -> tools -> [0] -> function -> parameters: the deepest place of the schema


def constant_part(value: dict[str, Any]) -> dict[str, Any]:
    """Mark `value` as a part requests carry unchanged, returned as is: its key JSON is made once, not per request.
    The caller must never change it afterwards (the key would still be that of the old content)."""
    _CONSTANTS.setdefault(id(value), (value, _KEY_JSON.encode(value)))
    return value


def request_key(request: Mapping[str, Any]) -> str:
    """A stable hash of a request: key order and white space do not matter."""
    return hashlib.sha256(_key_json(request).encode("utf-8")).hexdigest()


def _key_json(value: Any, depth: int = 0) -> str:
    """`json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)`, with the
    JSON of constant parts taken as made (the same text). Only the first levels are walked here, where requests
    carry their constant parts (the schema is at most 5 levels down); below, json's own encoder does the rest."""
    known = _CONSTANTS.get(id(value)) if _CONSTANTS else None
    if known is not None and known[0] is value:
        return known[1]
    if _CONSTANTS and depth < _KEY_WALK_DEPTH:
        kind = type(value)
        if kind is dict and all(type(key) is str for key in value):
            return "{" + ",".join(f"{_KEY_JSON.encode(key)}:{_key_json(value[key], depth + 1)}"
                                  for key in sorted(value)) + "}"
        if kind is list:
            return "[" + ",".join(_key_json(item, depth + 1) for item in value) + "]"
    return _KEY_JSON.encode(value)


def response_usage(response_json: str | bytes) -> tuple[int, int]:
    """(prompt_tokens, completion_tokens) stated in an OpenAI-style response body, else zeros."""
    try:
        usage = json.loads(response_json).get("usage") or {}
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    except (ValueError, AttributeError, TypeError):
        return 0, 0


class ResponseCache:
    """get(key) / put(key, response_json) over the store's `llm_cache` table."""

    def __init__(self, store: Store, *, refresh: bool = False) -> None:
        self.store = store
        self.refresh = refresh  # --force: never answer from the cache, but store the new answers
        self._hits: dict[str, tuple[int, str]] = {}  # counted in memory, written with the next write (flush)

    key = staticmethod(request_key)

    def get(self, key: str) -> str | None:
        """A read, not a write transaction: the hit is counted in memory until `flush`."""
        if self.refresh:
            return None
        rows = self.store.query("SELECT response FROM llm_cache WHERE key = ?", (key,))
        if not rows:
            return None
        count, _ = self._hits.get(key, (0, ""))
        self._hits[key] = (count + 1, now())
        return str(rows[0]["response"])

    def flush(self) -> None:
        """Write the hit counts gathered since the last flush (put() writes them too)."""
        if self._hits:
            with self.store.transaction() as conn:
                self._write_hits(conn)

    def _write_hits(self, conn: Any) -> None:
        hits, self._hits = self._hits, {}
        conn.executemany("UPDATE llm_cache SET hits = hits + ?, last_hit_at = ? WHERE key = ?",
                         [(n, at, key) for key, (n, at) in hits.items()])

    def put(self, key: str, response_json: str | bytes, *, model: str | None = None) -> None:
        """Store a response; committed at once, so a paid answer survives a crash right after."""
        text = response_json.decode("utf-8") if isinstance(response_json, bytes) else response_json
        prompt, completion = response_usage(text)
        with self.store.transaction() as conn:
            conn.execute(
                """INSERT OR REPLACE INTO llm_cache (key, response, model, prompt_tokens, completion_tokens, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (key, text, model, prompt, completion, now()),
            )
            self._write_hits(conn)

    def __len__(self) -> int:
        return int(self.store.query("SELECT COUNT(*) FROM llm_cache")[0][0])


@dataclass
class Meter:
    """Requests of one article: sent to the API (tokens paid) and answered from the cache."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_requests: int = 0
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0

    def sent(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.requests += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens

    def cached(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.cached_requests += 1
        self.cached_prompt_tokens += prompt_tokens
        self.cached_completion_tokens += completion_tokens

    @property
    def seen(self) -> bool:
        """Whether any request went through a metered client at all."""
        return bool(self.requests or self.cached_requests)

    def spent(self) -> TokenCount:
        return TokenCount(self.requests, self.prompt_tokens, self.completion_tokens, self.cached_requests)


@dataclass
class Stage:
    """One request's answer, held back from the cache until the backend says it was used."""

    cache: ResponseCache | None = None
    key: str | None = None
    response: bytes | None = None
    model: str | None = None
    hit: bool = False  # answered from the cache: no request reached the server

    def hold(self, cache: ResponseCache, key: str, response: bytes, model: str | None) -> None:
        self.cache, self.key, self.response, self.model = cache, key, response, model

    def keep(self) -> None:
        """Store the held answer (it was used); a second call stores nothing more."""
        if self.cache is not None and self.key is not None and self.response is not None:
            self.cache.put(self.key, self.response, model=self.model)
        self.response = None


_CACHE: ContextVar[ResponseCache | None] = ContextVar("factsheet_response_cache", default=None)
_METER: ContextVar[Meter | None] = ContextVar("factsheet_meter", default=None)
_STAGE: ContextVar[Stage | None] = ContextVar("factsheet_stage", default=None)


def current_stage() -> Stage | None:
    return _STAGE.get()


@contextlib.contextmanager
def staging() -> Iterator[Stage]:
    """A stage for the one request made inside: its answer is stored only when `keep()` is called."""
    stage = Stage()
    token = _STAGE.set(stage)
    try:
        yield stage
    finally:
        _STAGE.reset(token)


def active_cache() -> ResponseCache | None:
    """The cache a client should use now, or None when caching is off."""
    return _CACHE.get()


def current_meter() -> Meter | None:
    return _METER.get()


@contextlib.contextmanager
def using_cache(cache: ResponseCache | None) -> Iterator[ResponseCache | None]:
    """Make `cache` the active one for code run inside (and tasks started inside)."""
    token = _CACHE.set(cache)
    try:
        yield cache
    finally:
        _CACHE.reset(token)


@contextlib.contextmanager
def metering() -> Iterator[Meter]:
    """A fresh meter for the requests made inside (one article)."""
    meter = Meter()
    token = _METER.set(meter)
    try:
        yield meter
    finally:
        _METER.reset(token)
