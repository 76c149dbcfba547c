"""The LLM backend: instructor fills ArticleFacts for each chunk of an article.

Layers, each retrying one thing only:
- Transport.complete: transport faults (429, 5xx, timeouts, dropped connections);
- instructor (max_retries = reasks): answers that fail validation, re-asked with the
  validator messages; the last attempt drops the facts that still fail (answer.py);
- a chunk whose answer is cut off at the output limit is asked again in two halves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import instructor
import openai
from instructor.core import IncompleteOutputException, InstructorRetryException
from pydantic import ValidationError

from extract.align import FoldedText
from extract.articles import Article
from extract.backends.base import Backend
from extract.backends.llm.answer import ArticleFacts, new_context
from extract.backends.llm.chunking import Chunk, split_in_two, split_text
from extract.backends.llm.merge import Facts, merge_parts
from extract.backends.llm.parsing import clean_completion
from extract.backends.llm.prompt import Prompt, load_prompt, messages
from extract.backends.llm.request_schema import RequestSchemaError, request_schema_sha256, resolve_strict, with_request_schema
from extract.backends.llm.settings import LLMSettings
from extract.backends.llm.transport import Transport, UsageMeter
from extract.errors import BackendError
from extract.store.http_cache import caching_http_client
from schemas import SCHEMA_VERSION, FactSheet, Provenance

log = logging.getLogger("factsheet.llm")

OPENAI_BASE_URL = "https://api.openai.com/v1"
MAX_SPLIT_DEPTH = 3  # a cut-off answer is retried on halves, quarters, eighths
T = TypeVar("T")


@dataclass
class _Outcome:
    """What happened while extracting one article, besides the facts."""

    dropped: list[str] = field(default_factory=list)
    reasks: int = 0
    unwrapped: int = 0  # answers whose JSON was cut out of fences, <think> blocks or prose


class _Captured(Exception):
    """Raised by `send` to stop before any HTTP: carries the request the direct path would send."""

    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__("request captured")
        self.request = request


async def _all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Results in order; on the first failure the others are cancelled and it is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(a) for a in awaitables]  # type: ignore[arg-type]
    except BaseExceptionGroup as eg:
        raise eg.exceptions[0] from None
    return [t.result() for t in tasks]


def _reason(error: BaseException | None) -> str:
    if isinstance(error, ValidationError):
        items = error.errors(include_url=False)
        first = items[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
        return f"{where + ': ' if where else ''}{first['msg'].removeprefix('Value error, ')}{more}"[:300]
    return " ".join(str(error).split())[:300] if error else "unknown error"


class LLMBackend(Backend):
    """Any OpenAI-compatible chat-completions server, through instructor."""

    name = "llm"

    def __init__(self, settings: LLMSettings, prompt: Prompt | None = None) -> None:
        self.settings = settings
        self.prompt = prompt or load_prompt()
        self.concurrency = settings.concurrency
        self._mode = instructor.Mode[settings.mode]
        # The closed answer schema (request_schema.py) replaces instructor's in every request; OpenAI's strict flag
        # is sent where the server enforces it.
        self.strict = resolve_strict(settings.strict_setting, settings.host, settings.mode)
        self._transport: Transport | None = None

    def __repr__(self) -> str:
        return f"LLMBackend(model={self.settings.model!r}, mode={self.settings.mode}, host={self.settings.host!r})"

    def fingerprint(self) -> dict[str, str]:
        s = self.settings
        return {
            **super().fingerprint(),
            "model": s.model,
            "mode": s.mode,
            "prompt_version": self.prompt.version,
            "prompt_sha256": self.prompt.sha256,
            "schema_version": SCHEMA_VERSION,
            "base_url_host": s.host,
            "temperature": f"{s.temperature:g}",
            "max_tokens": str(s.max_tokens or ""),
            "chunk_tokens": str(s.chunk_tokens),
            "reasks": str(s.reasks),
            "request_schema_sha256": request_schema_sha256(),
            "strict": str(self.strict).lower(),
        }

    def _get_transport(self) -> Transport:
        """The one client of this backend, made inside the running loop on first use."""
        if self._transport is None:
            # The store's response cache sits in the HTTP layer: it sees every request whole (extract/store/http_cache.py).
            client = openai.AsyncOpenAI(api_key=self.settings.secret_key(), base_url=self.settings.base_url or OPENAI_BASE_URL,
                                        timeout=self.settings.timeout, max_retries=0, http_client=caching_http_client())
            self._transport = Transport(self.settings, client)
        return self._transport

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.client.close()
            self._transport = None

    def chunks(self, article: Article) -> list[Chunk]:
        """The parts the article is asked in, one request each (the same for the direct and batch paths)."""
        return split_text(article.text, self.settings.chunk_tokens)

    async def request_bodies(self, article: Article) -> list[tuple[Chunk, dict[str, Any]]]:
        """The first request of each chunk exactly as the direct path would send it, without sending it."""
        bodies = []
        for chunk in self.chunks(article):
            context = new_context(FoldedText(chunk.text(article.text)), chunk.start)
            try:
                await self._ask(article, chunk, context, UsageMeter(), _Outcome(), capture=True)
            except _Captured as captured:
                bodies.append((chunk, captured.request))
            else:  # pragma: no cover - capture always raises
                raise AssertionError("request capture sent nothing")
        return bodies

    async def extract(self, article: Article, answers: dict[int, Any] | None = None) -> FactSheet:
        """The article's sheet; `answers` (chunk index -> chat completion) are first answers already given,
        e.g. by a batch: they are validated exactly like a direct answer, and only re-asks go over HTTP."""
        meter, outcome = UsageMeter(), _Outcome()
        chunks = self.chunks(article)
        answers = answers or {}
        try:
            parts = await _all(self._extract_chunk(article, chunk, meter, outcome, first=answers.get(chunk.index))
                               for chunk in chunks)
        except BackendError as e:
            raise BackendError(f"{e} [{meter.requests} requests, {meter.prompt_tokens} prompt and "
                               f"{meter.completion_tokens} completion tokens spent]") from e
        for reason in outcome.dropped:
            log.warning("%s: dropped a fact still invalid after %d attempts: %s", article.id, self.settings.reasks + 1, reason)
        usage = meter.usage()
        log.debug("%s: %d requests, %d prompt and %d completion tokens", article.id, usage.requests,
                  usage.prompt_tokens, usage.completion_tokens)
        provenance = Provenance(
            backend=self.name, model=self.settings.model, prompt_version=self.prompt.version, usage=usage,
            dropped_facts=len(outcome.dropped), mode=self.settings.mode, prompt_sha256=self.prompt.sha256,
            endpoint=self.settings.host, chunks=len(chunks), reasks=outcome.reasks, strict=self.strict,
            repairs={"json_unwrapped": outcome.unwrapped},
            request_schema_sha256=request_schema_sha256(),
        )
        facts = merge_parts([part for chunk_parts in parts for part in chunk_parts])
        return FactSheet(article=article.meta, provenance=provenance, **facts)

    async def _extract_chunk(self, article: Article, chunk: Chunk, meter: UsageMeter, outcome: _Outcome,
                             depth: int = 0, first: Any = None) -> list[Facts]:
        folded = FoldedText(chunk.text(article.text))
        context = new_context(folded, chunk.start)
        try:
            answer = await self._ask(article, chunk, context, meter, outcome, first=first)
        except IncompleteOutputException as e:
            halves = split_in_two(article.text, chunk) if depth < MAX_SPLIT_DEPTH else None
            if halves is None:
                raise BackendError("the model's answer was cut off at its output limit (finish_reason 'length') even for "
                                   "a short passage; raise --max-tokens or use a model with a longer output") from e
            log.info("%s: answer cut off at the output limit; asking again for the text in two halves", article.id)
            results = await _all(self._extract_chunk(article, half, meter, outcome, depth + 1) for half in halves)
            return [part for parts in results for part in parts]
        outcome.dropped.extend(context["dropped"])
        return [answer.to_facts(folded, chunk.start)]

    async def _ask(self, article: Article, chunk: Chunk, context: dict[str, Any], meter: UsageMeter,
                   outcome: _Outcome, *, first: Any = None, capture: bool = False) -> ArticleFacts:
        transport = None if capture else self._get_transport()
        attempts = 0
        last = self.settings.reasks + 1

        async def send(**kwargs: Any) -> Any:
            nonlocal attempts
            attempts += 1
            try:
                kwargs = with_request_schema(kwargs, self._mode, strict=self.strict)
            except RequestSchemaError as e:
                raise BackendError(f"cannot put the answer schema into the {self.settings.mode} request ({e}); "
                                   "please report it, and try another --mode meanwhile") from e
            if capture:
                raise _Captured(kwargs)
            if attempts == 1 and first is not None:  # answered already (a batch): count it, send nothing
                meter.requests += 1
                meter.record(first)
                completion = first
            else:
                assert transport is not None
                completion = await transport.complete(meter, **kwargs)
            # Fences, <think> blocks and prose around the JSON are taken off here, inside the attempt (parsing.py).
            outcome.unwrapped += clean_completion(completion)
            # The last attempt keeps the facts that pass and drops the rest (see answer.py).
            context["final"] = attempts >= last
            return completion

        create = instructor.patch(create=send, mode=self._mode)
        request: dict[str, Any] = {"model": self.settings.model, "temperature": self.settings.temperature,
                                   "messages": messages(self.prompt, article, chunk)}
        if self.settings.max_tokens:
            request["max_tokens"] = self.settings.max_tokens
        try:
            return await create(response_model=ArticleFacts, context=context, max_retries=self.settings.reasks,
                                strict=False, **request)
        except InstructorRetryException as e:
            cause = e.__cause__
            if isinstance(cause, _Captured):
                raise cause from None
            if isinstance(cause, BackendError):
                raise BackendError(str(cause)) from cause
            raise BackendError(f"no valid answer in {e.n_attempts} attempt{'s' if e.n_attempts != 1 else ''}: "
                               f"{_reason(cause)}; try another --mode or a stronger --model") from e
        finally:
            outcome.reasks += max(0, attempts - 1)
