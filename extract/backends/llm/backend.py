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
from collections import Counter
from collections.abc import Awaitable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import instructor
import openai
from instructor.core import IncompleteOutputException, InstructorRetryException
from instructor.v2.core.function_calls import response_schema
from pydantic import ValidationError

from extract.align import FoldedText
from extract.articles import Article
from extract.backends.base import Backend
from extract.backends.llm.answer import CURRENT, ArticleFacts, new_context
from extract.backends.llm.chunking import Chunk, split_in_two, split_text
from extract.backends.llm.merge import Facts, merge_parts
from extract.backends.llm.prompt import Prompt, load_prompt, messages
from extract.backends.llm.repair import clean_completion
from extract.backends.llm.request_schema import RequestSchemaError, request_schema_sha256, resolve_strict, with_request_schema
from extract.backends.llm.settings import LLMSettings
from extract.backends.llm.transport import Transport, UsageMeter
from extract.errors import BackendError
from extract.store.http_cache import caching_http_client
from schemas import SCHEMA_VERSION, FactSheet, Provenance

log = logging.getLogger("factsheet.llm")
# Wrapped once: instructor wraps a plain model anew on every request, so its (cached) schema was rebuilt each time.
RESPONSE_MODEL = response_schema(ArticleFacts)

OPENAI_BASE_URL = "https://api.openai.com/v1"
MAX_SPLIT_DEPTH = 3  # a cut-off answer is retried on halves, quarters, eighths
T = TypeVar("T")


@dataclass
class _Outcome:
    """What happened while extracting one article, besides the facts."""

    dropped: list[str] = field(default_factory=list)
    reasks: int = 0
    repairs: Counter[str] = field(default_factory=Counter)
    cleaned: int = 0


@dataclass
class _Call:
    """State of one instructor call (its attempts), read by the one patched `send`."""

    transport: Transport
    meter: UsageMeter
    outcome: _Outcome
    context: dict[str, Any]
    last: int
    attempts: int = 0
    mode: Any = None  # instructor.Mode, for the closed request schema (request_schema.py)
    strict: bool = False
    first: Any = None  # a first answer given already (a batch's): validated, not sent
    capture: bool = False  # stop before any HTTP and hand back the request (_Captured)


_CALL: ContextVar[_Call] = ContextVar("factsheet_llm_call")


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
        # Patched once per backend, not per request; per-call state travels in a ContextVar.
        self._create = instructor.patch(create=self._send, mode=self._mode)

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
            raise type(e)(f"{e} [{meter.requests} requests, {meter.prompt_tokens} prompt and "
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
            repairs=dict(sorted(outcome.repairs.items())), cleaned_answers=outcome.cleaned,
            cached_tokens=meter.cached_tokens, request_schema_sha256=request_schema_sha256(),
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

    @staticmethod
    async def _send(**kwargs: Any) -> Any:
        """One attempt of instructor's loop: the request, then the JSON taken out of what the model wrapped it in."""
        call = _CALL.get()
        call.attempts += 1
        try:
            kwargs = with_request_schema(kwargs, call.mode, strict=call.strict)
        except RequestSchemaError as e:
            raise BackendError(f"cannot put the answer schema into the {call.mode} request ({e}); "
                               "please report it, and try another --mode meanwhile") from e
        if call.capture:
            raise _Captured(kwargs)
        if call.attempts == 1 and call.first is not None:  # answered already (a batch): count it, send nothing
            call.meter.requests += 1
            call.meter.record(call.first)
            completion = call.first
        else:
            completion = await call.transport.complete(call.meter, **kwargs)
        call.outcome.cleaned += clean_completion(completion)
        # Repairs are counted for the attempt whose answer is used; the last attempt keeps the facts
        # that pass and drops the rest (see answer.py).
        call.context["repairs"] = Counter()
        call.context["final"] = call.attempts >= call.last
        return completion

    async def _ask(self, article: Article, chunk: Chunk, context: dict[str, Any], meter: UsageMeter,
                   outcome: _Outcome, *, first: Any = None, capture: bool = False) -> ArticleFacts:
        call = _Call(None if capture else self._get_transport(), meter, outcome, context,  # type: ignore[arg-type]
                     last=self.settings.reasks + 1, mode=self._mode, strict=self.strict, first=first, capture=capture)
        call_token, context_token = _CALL.set(call), CURRENT.set(context)
        request: dict[str, Any] = {"model": self.settings.model, "temperature": self.settings.temperature,
                                   "messages": messages(self.prompt, article, chunk)}
        if self.settings.max_tokens:
            request["max_tokens"] = self.settings.max_tokens
        try:
            answer = await self._create(response_model=RESPONSE_MODEL, max_retries=self.settings.reasks,
                                        strict=False, **request)
            outcome.repairs.update(context["repairs"])
            return answer
        except InstructorRetryException as e:
            cause = e.__cause__
            if isinstance(cause, _Captured):
                raise cause from None
            if isinstance(cause, BackendError):
                raise type(cause)(str(cause)) from cause
            raise BackendError(f"no valid answer in {e.n_attempts} attempt{'s' if e.n_attempts != 1 else ''}: "
                               f"{_reason(cause)}; try another --mode or a stronger --model") from e
        finally:
            outcome.reasks += max(0, call.attempts - 1)
            _CALL.reset(call_token)
            CURRENT.reset(context_token)
