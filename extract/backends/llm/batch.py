"""The OpenAI Batch API, seen from the client: request files, upload, create, poll, download.

One JSONL line per article chunk: `{"custom_id", "method": "POST", "url":
"/v1/chat/completions", "body"}`, where `body` is the request the direct path would send
first (LLMBackend.request_bodies). The same file runs through vLLM's offline
`run_batch` entry point. Answers come back in any order and are joined on `custom_id`,
which names the article, the chunk and the article's content hash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import openai

from extract.backends.llm.settings import LLMSettings
from extract.errors import BackendError

ENDPOINT = "/v1/chat/completions"
WINDOW = "24h"
MAX_LINES = 50_000  # OpenAI's limit of requests in one batch file
MAX_FILE_BYTES = 190 * 1024 * 1024  # under OpenAI's 200 MB limit
TOKEN_KEY = "factsheet_token"  # metadata key naming our record of the batch, to adopt it after a crash
DONE = frozenset({"completed", "failed", "expired", "cancelled"})
_CUSTOM_ID = re.compile(r"^(?P<article>.+)#(?P<index>\d+)/(?P<count>\d+)#(?P<hash>[0-9a-f]{16})$")


@dataclass(frozen=True)
class LineKey:
    """What one batch line is for: an article's chunk, at one version of the article."""

    article_id: str
    chunk: int  # 0-based
    chunks: int
    content_hash: str  # the first 16 hex digits of the pipeline's content hash

    @property
    def custom_id(self) -> str:
        return f"{self.article_id}#{self.chunk + 1}/{self.chunks}#{self.content_hash[:16]}"

    @classmethod
    def parse(cls, custom_id: str) -> LineKey | None:
        match = _CUSTOM_ID.match(custom_id)
        if match is None:
            return None
        return cls(match["article"], int(match["index"]) - 1, int(match["count"]), match["hash"])


def request_line(key: LineKey, body: dict[str, Any]) -> str:
    return json.dumps({"custom_id": key.custom_id, "method": "POST", "url": ENDPOINT, "body": body},
                      ensure_ascii=False, separators=(",", ":")) + "\n"


def split_files(lines: Iterable[str]) -> Iterator[list[str]]:
    """The lines in groups that each fit one batch file (count and size limits)."""
    group: list[str] = []
    size = 0
    for line in lines:
        n = len(line.encode("utf-8"))
        if group and (len(group) >= MAX_LINES or size + n > MAX_FILE_BYTES):
            yield group
            group, size = [], 0
        group.append(line)
        size += n
    if group:
        yield group


@dataclass(frozen=True)
class LineResult:
    """One answer of a batch output or error file: a chat completion, or why there is none."""

    custom_id: str
    completion: dict[str, Any] | None
    error: str | None


def parse_results(text: str) -> dict[str, LineResult]:
    """Output and error file lines by custom_id; a line that cannot be read is skipped."""
    results: dict[str, LineResult] = {}
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            custom_id = str(line["custom_id"])
        except (ValueError, KeyError, TypeError):
            continue
        response = line.get("response") or {}
        error = line.get("error")
        body = response.get("body") if isinstance(response, dict) else None
        if error:
            reason = f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip(": ")
            results[custom_id] = LineResult(custom_id, None, reason)
        elif response.get("status_code") != 200 or not isinstance(body, dict) or "choices" not in body:
            message = (body or {}).get("error", {}).get("message") if isinstance(body, dict) else None
            results[custom_id] = LineResult(custom_id, None,
                                            f"HTTP {response.get('status_code')}: {message or 'no answer in the line'}")
        else:
            results[custom_id] = LineResult(custom_id, body, None)
    return results


class BatchRefused(BackendError):
    """The server answered a batch call with an error status: the call did not take effect."""


class BatchClient:
    """Batch calls through one AsyncOpenAI client, never through the response cache."""

    def __init__(self, settings: LLMSettings, base_url: str) -> None:
        self.settings = settings
        # Management calls are few and not per article: the openai client's own retries are enough here.
        self.client = openai.AsyncOpenAI(api_key=settings.secret_key(), base_url=base_url,
                                         timeout=settings.timeout, max_retries=2)

    async def aclose(self) -> None:
        await self.client.close()

    def _fail(self, what: str, error: openai.OpenAIError) -> BackendError:
        text = f"batch API: {what} failed at {self.settings.host}: {type(error).__name__}: {error}"
        if isinstance(error, openai.NotFoundError) and "upload" in what:
            text += "; this server may not implement the Batch API (/v1/files, /v1/batches): run without --batch"
        for secret in self.settings.secrets():
            text = text.replace(secret, "***")
        kind = BatchRefused if isinstance(error, openai.APIStatusError) else BackendError
        return kind(" ".join(text.split())[:400])

    async def upload(self, name: str, data: bytes) -> str:
        try:
            file = await self.client.files.create(file=(name, data, "application/jsonl"), purpose="batch")
        except openai.OpenAIError as e:
            raise self._fail("uploading the request file", e) from e
        return file.id

    async def create(self, input_file_id: str, token: str) -> Any:
        try:
            return await self.client.batches.create(input_file_id=input_file_id, endpoint=ENDPOINT,
                                                    completion_window=WINDOW, metadata={TOKEN_KEY: token})
        except openai.OpenAIError as e:
            raise self._fail("creating the batch", e) from e

    async def retrieve(self, batch_id: str) -> Any:
        try:
            return await self.client.batches.retrieve(batch_id)
        except openai.OpenAIError as e:
            raise self._fail(f"checking batch {batch_id}", e) from e

    async def cancel(self, batch_id: str) -> Any:
        try:
            return await self.client.batches.cancel(batch_id)
        except openai.OpenAIError as e:
            raise self._fail(f"cancelling batch {batch_id}", e) from e

    async def find(self, token: str, limit: int = 100) -> Any | None:
        """The batch created with our `token` in its metadata, if one was (a crash before we recorded its id)."""
        try:
            page = await self.client.batches.list(limit=limit)
        except openai.OpenAIError as e:
            raise self._fail("listing batches", e) from e
        for batch in page.data:
            if (batch.metadata or {}).get(TOKEN_KEY) == token:
                return batch
        return None

    async def download(self, file_id: str | None) -> str:
        if not file_id:
            return ""
        try:
            response = await self.client.files.content(file_id)
        except openai.OpenAIError as e:
            raise self._fail(f"downloading file {file_id}", e) from e
        return response.text
