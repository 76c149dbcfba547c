"""The LLM call log: one row of the store's `llm_calls` table per HTTP request to the model.

The pipeline starts a recorder for each article (`recording_calls`); the LLM client's
transport (extract/store/http_cache.py) hands every chat-completion request it handles to
`record_http`, answered by the server, by the response cache, or failed on the way. A row
holds when, which article and run, the model, the mode the request implies, the endpoint
host, the outcome, the tokens the answer reports, the time taken, and whether the request
was a re-ask (instructor sent the conversation again with the validator's message) or a
retry (the same request again after a transport fault). Never headers, and so never a key;
never the prompt or the answer (the response cache keeps answers, joined by `request_key`).

`factsheet logs` reads it (extract/commands/logs.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from extract.errors import StoreError
from extract.store.cache import request_key
from extract.store.db import Store, now

CALL_PATHS = ("/chat/completions", "/completions", "/responses")
# Request and response extensions: what the response cache's layer (extract/store/http_cache.py) worked out once
# for a request (its parsed body and key) and its answer (tokens and finish reason), read here instead of again.
PARSED_BODY, REQUEST_KEY, ANSWER_FIGURES = "factsheet.body", "factsheet.request_key", "factsheet.answer_figures"
_DEFAULTS = {"prompt_tokens": 0, "completion_tokens": 0, "reask": 0, "retry": 0}
log = logging.getLogger("factsheet")
COLUMNS = ("id", "at", "run_id", "article_id", "model", "mode", "endpoint", "status", "http_status", "prompt_tokens",
           "completion_tokens", "duration_ms", "reask", "retry", "finish_reason", "error", "request_key")


@dataclass
class CallRecorder:
    """Writes the calls of one article; tells re-asks and retries from first asks."""

    store: Store
    run_id: int | None
    article_id: str | None
    _lengths: dict[Hashable, set[int]] = field(default_factory=dict)  # conversation -> message counts sent
    _sent: set[str] = field(default_factory=set)  # request keys sent

    def classify(self, body: dict[str, Any], key: str) -> tuple[int, bool]:
        """(re-ask number, is a retry) of a request. A re-ask extends a conversation already sent
        (same opening messages, more of them); a retry repeats a request exactly."""
        messages = body.get("messages") if isinstance(body.get("messages"), list) else []
        lengths = self._lengths.setdefault(_opening(messages[:2]), set())
        length = len(messages)
        retry = key in self._sent
        self._sent.add(key)
        lengths.add(length)
        return sum(1 for n in lengths if n < length), retry

    def write(self, row: dict[str, Any]) -> None:
        """Commit one row at once (a killed run keeps the log of what it paid for). A failure to log
        is reported and never fails the request itself."""
        names = [c for c in COLUMNS if c != "id"]
        values = tuple(row.get(c, _DEFAULTS.get(c)) for c in names)
        try:
            with self.store.transaction() as conn:
                conn.execute(f"INSERT INTO llm_calls ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                             values)
        except (sqlite3.Error, StoreError) as e:
            log.warning("could not log an LLM request in the store: %s", e)


_RECORDER: ContextVar[CallRecorder | None] = ContextVar("factsheet_call_recorder", default=None)


@contextlib.contextmanager
def recording_calls(store: Store, run_id: int | None, article_id: str | None) -> Iterator[CallRecorder]:
    """Log every LLM request made inside (in this task and the tasks it starts) as `article_id`'s."""
    recorder = CallRecorder(store, run_id, article_id)
    token = _RECORDER.set(recorder)
    try:
        yield recorder
    finally:
        _RECORDER.reset(token)


def request_mode(body: dict[str, Any]) -> str:
    """The instructor mode a request body implies: tools, a JSON schema, JSON, or JSON in Markdown."""
    if body.get("tools"):
        return "TOOLS"
    kind = (body.get("response_format") or {}).get("type") if isinstance(body.get("response_format"), dict) else None
    if kind == "json_schema":
        return "JSON_SCHEMA"
    if kind == "json_object":
        return "JSON"
    return "MD_JSON"


def _opening(messages: list[Any]) -> Hashable:
    """Equal for equal opening messages, whatever their key order; kept for one run only, so in-process hashing
    does (the message texts are the article and the prompt: hashing them is cheaper than encoding them as JSON)."""
    return tuple(tuple(sorted((str(key), value if type(value) is str else json.dumps(value, sort_keys=True, default=str))
                              for key, value in message.items()))
                 if isinstance(message, dict) else json.dumps(message, sort_keys=True, default=str) for message in messages)


def _answer(content: bytes) -> tuple[int, int, str | None]:
    """(prompt tokens, completion tokens, finish reason) an OpenAI-style answer states."""
    try:
        return answer_figures(json.loads(content))
    except ValueError:
        return 0, 0, None


def answer_figures(data: Any) -> tuple[int, int, str | None]:
    """`_answer` of an answer already parsed."""
    try:
        usage = data.get("usage") or {}
        choices = data.get("choices") or [{}]
        return (int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0),
                choices[0].get("finish_reason"))
    except (ValueError, AttributeError, TypeError, IndexError):
        return 0, 0, None


def record_http(request: Any, response: Any, started: float, error: BaseException | None = None) -> None:
    """Log one HTTP exchange of the LLM client, if a recorder is active and it is a model request.

    `request`/`response` are httpx2 objects (response None when `error` was raised); `started`
    is `time.monotonic()` before the request was sent.
    """
    recorder = _RECORDER.get()
    if recorder is None or request.method != "POST" or not request.url.path.endswith(CALL_PATHS):
        return
    body = request.extensions.get(PARSED_BODY)  # parsed by the response cache's layer, when it saw the request
    if body is None:
        try:
            body = json.loads(request.content)
        except (ValueError, TypeError, AttributeError):
            return
    if not isinstance(body, dict):
        return
    key = request.extensions.get(REQUEST_KEY)
    if key is None:
        url = request.url.copy_with(query=None)
        key = request_key({"url": str(url), "body": body})
    reask, retry = recorder.classify(body, key)
    port = f":{request.url.port}" if request.url.port else ""
    row: dict[str, Any] = {
        "at": now(), "run_id": recorder.run_id, "article_id": recorder.article_id, "model": body.get("model"),
        "mode": request_mode(body), "endpoint": f"{request.url.host}{port}", "reask": reask, "retry": int(retry),
        "duration_ms": round((time.monotonic() - started) * 1000), "request_key": key,
    }
    if response is None:
        row.update(status="error", error=type(error).__name__ if error else "unknown")
    else:
        row["http_status"] = response.status_code
        if response.status_code == 200:
            cached = response.headers.get("x-factsheet-cache") == "hit"
            figures = response.extensions.get(ANSWER_FIGURES)
            if figures is None:
                figures = _answer(response.content) if not body.get("stream") else (0, 0, None)
            prompt, completion, finish = figures
            row.update(status="cached" if cached else "ok", prompt_tokens=prompt, completion_tokens=completion,
                       finish_reason=finish)
        else:
            row["status"] = f"http {response.status_code}"
    recorder.write(row)


def read_calls(store: Store, *, limit: int | None = None, article: str | None = None,
               run_id: int | None = None) -> list[dict[str, Any]]:
    """The logged calls, oldest first; `limit` keeps the most recent ones."""
    where, params = [], []
    if article is not None:
        where.append("article_id = ?")
        params.append(article)
    if run_id is not None:
        where.append("run_id = ?")
        params.append(run_id)
    sql = f"SELECT {', '.join(COLUMNS)} FROM llm_calls"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = [dict(r) for r in store.query(sql, tuple(params))]
    rows.reverse()
    return rows
