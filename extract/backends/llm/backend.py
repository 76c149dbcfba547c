"""The LLM backend: instructor fills ArticleFacts for each chunk of an article.

Each request is one instructor call (no instructor re-asks: `max_retries=0`); what
follows an answer is decided here, from what the answer got right:

- transport faults are retried by Transport.complete (429, 5xx, timeouts, drops);
- the valid, grounded facts of every answer are kept at once; a follow-up names only
  what was wrong (reask.py): the rejected facts with their reasons, an unreadable
  answer, an empty answer for a text with figures, or the rest of a cut-off answer;
- a server that refuses the mode (no tools, no response_format) steps the run's mode
  down once (modes.py), unless --mode was given;
- every HTTP attempt draws on the article's one request budget and deadline (budget.py);
- an answer enters the response cache only once its chunk has used it (extract.store.cache);
- a chunk that fails costs the sheet that part only, recorded in `provenance.failed_parts`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import instructor
import openai
from instructor.core import IncompleteOutputException, InstructorRetryException
from instructor.v2.core.function_calls import response_schema
from pydantic import ValidationError

from extract.align import folded_text
from extract.articles import Article
from extract.backends.base import Backend
from extract.backends.llm import sendgate
from extract.backends.llm.answer import CURRENT, ArticleFacts, FactAnswer, new_context
from extract.backends.llm.budget import Budget, BudgetSpent
from extract.backends.llm.chunking import Chunk, split_text
from extract.backends.llm.cutoff import finished_prefix
from extract.backends.llm.merge import Facts, merge_parts
from extract.backends.llm.modes import ModeState, sampling_params
from extract.backends.llm.prompt import Prompt, load_prompt, messages
from extract.backends.llm.reask import (
    Rejected,
    cut_off_note,
    empty_note,
    first_figure_sentence,
    recorded_line,
    rejected_note,
    states_figures,
    unreadable_note,
)
from extract.backends.llm.repair import clean_completion
from extract.backends.llm.request_schema import RequestSchemaError, request_schema_sha256, resolve_strict, with_request_schema
from extract.backends.llm.settings import LLMSettings
from extract.backends.llm.transport import ModeRefused, StaleMode, Transport, UsageMeter
from extract.errors import BackendError, EndpointUnavailable
from extract.store.cache import Stage, staging
from extract.store.http_cache import caching_http_client, verifying_ssl_context
from schemas import FACT_TYPES, SCHEMA_VERSION, ArticleMeta, FactSheet, Provenance

log = logging.getLogger("factsheet.llm")
# instructor logs every answer it cannot parse at ERROR ("API call failed"); this backend reports what it does
# about them itself (re-asks, drops, failures), so instructor's copies are kept out unless a user configured them.
if logging.getLogger("instructor").level == logging.NOTSET:
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
# Wrapped once: instructor wraps a plain model anew on every request, so its (cached) schema was rebuilt each time.
RESPONSE_MODEL = response_schema(ArticleFacts)


def _schema_once(model: type[Any]) -> None:
    """Make `model.model_json_schema()` build its schema once: instructor's JSON_SCHEMA handler asks for it on
    every request (~6 ms), and request_schema.py replaces it in the request anyway. Callers get a fresh copy."""
    build, made = model.model_json_schema, {}

    def model_json_schema(*args: Any, **kwargs: Any) -> dict[str, Any]:
        key = json.dumps([args, kwargs], default=repr, sort_keys=True)
        if key not in made:
            made[key] = json.dumps(build(*args, **kwargs))
        return json.loads(made[key])

    model.model_json_schema = model_json_schema  # type: ignore[method-assign]


_schema_once(RESPONSE_MODEL)


def _check_async_validators_once(model: type[Any]) -> None:
    """instructor walks the answer model for async validators (which it refuses) 4 times a request, ~3 ms: the
    model is a fixed class, so it is checked here once, and instructor's check passes it by afterwards. Any other
    model still gets instructor's check on every call."""
    from instructor.v2.validation import async_validators

    check = async_validators.reject_async_validators
    check(model)  # raises ValueError as instructor would, at import instead of on the first request

    def reject_async_validators(response_model: Any) -> None:
        if response_model is not model:
            check(response_model)

    # The name is looked up in its module at call time by all but one caller, which imported it (instructor 1.17).
    for module in [m for name, m in list(sys.modules.items()) if name.startswith("instructor") and m is not None]:
        if getattr(module, "reject_async_validators", None) is check:
            module.reject_async_validators = reject_async_validators  # type: ignore[attr-defined]


_check_async_validators_once(RESPONSE_MODEL)

OPENAI_BASE_URL = "https://api.openai.com/v1"
ARTICLES_PER_SLOT = 2  # articles in progress per request in flight (see LLMBackend.concurrency)
MAX_IDLE_CONTINUATIONS = 1  # a cut-off answer that finished no fact is asked on once more, then the chunk fails
T = TypeVar("T")


@dataclass
class _Outcome:
    """What happened while extracting one article, besides the facts."""

    dropped: list[str] = field(default_factory=list)
    reasks: int = 0
    continuations: int = 0
    repairs: Counter[str] = field(default_factory=Counter)
    cleaned: int = 0
    modes: list[str] = field(default_factory=list)
    failed_parts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Job:
    """One chunk of one article being asked; shares the article's meter, outcome and budget."""

    article: Article
    chunk: Chunk
    meter: UsageMeter
    outcome: _Outcome
    budget: Budget
    first: Any = None  # a first answer given already (a batch's): validated, not sent
    capture: bool = False  # stop before any HTTP and hand back the request (_Captured)
    stages: list[Stage] = field(default_factory=list)  # answers used, cached when the chunk completes

    @property
    def text(self) -> str:
        return self.chunk.text(self.article.text)


@dataclass
class _Call:
    """State of one request, read by the one patched `send`."""

    transport: Transport | None
    job: _Job
    mode: str
    strict: bool
    modes: ModeState | None = None  # the run's mode, checked once the request has a slot (StaleMode)


@dataclass
class _Reply:
    """What one request gave: the parsed answer (None if unreadable), its validation context, its stage."""

    answer: ArticleFacts | None
    context: dict[str, Any]
    stage: Stage
    cut: bool = False
    reason: str = ""


_CALL: ContextVar[_Call] = ContextVar("factsheet_llm_call")


class _Captured(Exception):
    """Raised by `send` to stop before any HTTP: carries the request the direct path would send."""

    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__("request captured")
        self.request = request


@dataclass(frozen=True)
class _Failed:
    chunk: Chunk
    error: BackendError


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


def _fact_key(fact: FactAnswer) -> str:
    """Equal for equal facts: pydantic's JSON in field order (a fact type has a fixed field order and no dict
    fields, so no key sorting is needed), ~7x cheaper than `json.dumps(model_dump(), sort_keys=True)`."""
    return fact.model_dump_json()


def _answer_text(completion: Any) -> str:
    """The answer's JSON text as sent: tool-call arguments, else the message content."""
    choices = getattr(completion, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    for call in getattr(message, "tool_calls", None) or []:
        arguments = getattr(getattr(call, "function", None), "arguments", None)
        if isinstance(arguments, str):
            return arguments
    content = getattr(message, "content", None)
    return content if isinstance(content, str) else ""


@functools.cache
def openai_platform() -> Any:
    """The platform openai's client reports in its headers, found once per process. The client finds it on its first
    request, in a thread (blocking calls), once for each request started before that first one returned: at
    --concurrency 16, 16 thread hops in the way of the first requests, and threads started anew in each worker."""
    return openai._base_client.get_platform()


class LLMBackend(Backend):
    """Any OpenAI-compatible chat-completions server, through instructor."""

    name = "llm"

    def __init__(self, settings: LLMSettings, prompt: Prompt | None = None) -> None:
        self.settings = settings
        self.prompt = prompt or load_prompt()
        # Articles the pipeline may hand over at once: ARTICLES_PER_SLOT times the requests in flight, so that while
        # `concurrency` requests wait for the server, the next articles build their requests and wait for a slot;
        # one goes out as soon as an answer frees a slot (Transport bounds the requests to `concurrency`). An
        # article's --article-timeout runs from its first request's slot (Budget.start_clock).
        self.concurrency = ARTICLES_PER_SLOT * settings.concurrency
        # The run's mode, shared by all its articles: stepped down once if the server refuses it (modes.py).
        self.modes = ModeState(settings.explicit_mode, settings.host)
        # The closed answer schema (request_schema.py) replaces instructor's in every request; OpenAI's strict flag
        # is sent where the server enforces it.
        self.strict = self._strict(self.modes.start)
        self._transport: Transport | None = None
        # Patched once per mode, not per request; per-call state travels in a ContextVar.
        self._creates: dict[str, Callable[..., Awaitable[Any]]] = {}

    def __repr__(self) -> str:
        return f"LLMBackend(model={self.settings.model!r}, mode={self.modes.policy}, host={self.settings.host!r})"

    def _strict(self, mode: str) -> bool:
        return resolve_strict(self.settings.strict_setting, self.settings.host, mode)

    def _create(self, mode: str) -> Callable[..., Awaitable[Any]]:
        if mode not in self._creates:
            self._creates[mode] = instructor.patch(create=self._send, mode=instructor.Mode[mode])
        return self._creates[mode]

    def shards(self, workers: int) -> list[LLMBackend]:
        """This backend split for `workers` processes (at most one a request in flight): each with its share of
        --concurrency and of --rpm, so that together they keep both limits (extract/shards.py)."""
        count = max(1, min(workers, self.settings.concurrency))
        each, extra = divmod(self.settings.concurrency, count)
        rpm = self.settings.requests_per_minute
        return [LLMBackend(self.settings.model_copy(update={"concurrency": each + (i < extra),
                                                            "requests_per_minute": rpm / count if rpm else None}),
                           self.prompt) for i in range(count)]

    async def warm(self) -> None:
        """Do what a first request needs but the sending (imports, the patched create, the answer schema, the SSL
        context), here, before worker processes are forked from this one: each inherits it instead of spending
        0.1-0.2 s of CPU before its first request (extract/shards.py)."""
        text = "Warm-up."
        meta = ArticleMeta(id="warm-up", sha256=hashlib.sha256(text.encode()).hexdigest())
        await self.request_bodies(Article(meta=meta, text=text))
        verifying_ssl_context()
        openai_platform()

    def fingerprint(self) -> dict[str, str]:
        s = self.settings
        return {
            **super().fingerprint(),
            "model": s.model,
            # The mode policy, not a fallback met during a run: the same server steps the same way (docs/llm.md).
            "mode": self.modes.policy,
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
                                        timeout=self.settings.timeout, max_retries=0,
                                        http_client=caching_http_client(event_hooks={"request": [sendgate.on_request]}))
            client._platform = openai_platform()  # openai asks on the first request otherwise: see openai_platform
            self._transport = Transport(self.settings, client)
        return self._transport

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.client.close()
            self._transport = None

    def chunks(self, article: Article) -> list[Chunk]:
        """The parts the article is asked in, one request each (the same for the direct and batch paths)."""
        return split_text(article.text, self.settings.chunk_tokens)

    def _budget(self) -> Budget:
        return Budget(self.settings.request_budget, self.settings.article_timeout)

    async def request_bodies(self, article: Article) -> list[tuple[Chunk, dict[str, Any]]]:
        """The first request of each chunk exactly as the direct path would send it, without sending it."""
        bodies = []
        for chunk in self.chunks(article):
            job = _Job(article, chunk, UsageMeter(), _Outcome(), self._budget(), capture=True)
            try:
                await self._request(job, None)
            except _Captured as captured:
                bodies.append((chunk, captured.request))
            else:  # pragma: no cover - capture always raises
                raise AssertionError("request capture sent nothing")
        return bodies

    async def extract(self, article: Article, answers: dict[int, Any] | None = None) -> FactSheet:
        """The article's sheet; `answers` (chunk index -> chat completion) are first answers already given,
        e.g. by a batch: they are validated exactly like a direct answer, and only follow-ups go over HTTP."""
        meter, outcome, budget = UsageMeter(), _Outcome(), self._budget()
        chunks = self.chunks(article)
        answers = answers or {}
        jobs = [_Job(article, chunk, meter, outcome, budget, first=answers.get(chunk.index)) for chunk in chunks]
        try:
            # The deadline is set when the article's first request has a slot (Budget.start_clock), or now if it
            # sends none (a batch's answers): waiting behind other articles' requests does not count.
            async with asyncio.timeout(None if any(job.first is None for job in jobs) else
                                       self.settings.article_timeout) as deadline:
                budget.deadline = deadline
                results = await _all(self._chunk_or_failure(job) for job in jobs)
        except TimeoutError:
            raise self._spent(BudgetSpent(budget.deadline_message()), meter) from None
        except BackendError as e:
            raise self._spent(e, meter) from e
        failed = [r for r in results if isinstance(r, _Failed)]
        if failed and len(failed) == len(results):
            raise self._spent(failed[0].error, meter) from failed[0].error
        for failure in failed:
            log.warning("%s: part %d of %d failed, its facts are missing from the sheet: %s", article.id,
                        failure.chunk.index + 1, failure.chunk.count, failure.error)
            outcome.failed_parts.append(self._part(failure.chunk, str(failure.error)))
        for reason in outcome.dropped:
            log.warning("%s: dropped a fact still invalid after re-asking: %s", article.id, reason)
        parts = [r for r in results if not isinstance(r, _Failed)]
        return FactSheet(article=article.meta, provenance=self._provenance(meter, outcome, len(chunks)),
                         **merge_parts(parts))  # type: ignore[arg-type]

    @staticmethod
    def _part(chunk: Chunk, reason: str, *, incomplete: bool = False) -> dict[str, Any]:
        """A `provenance.failed_parts` entry: which part of the text failed (or is incomplete), and why."""
        part = {"part": chunk.index + 1, "of": chunk.count, "start": chunk.start, "end": chunk.end, "reason": reason[:300]}
        return part | {"incomplete": True} if incomplete else part

    def _spent(self, error: BackendError, meter: UsageMeter) -> BackendError:
        """The error with the article's figures; its type kept (the pipeline reacts to EndpointUnavailable)."""
        return type(error)(f"{error} [{meter.requests} requests, {meter.prompt_tokens} prompt and "
                           f"{meter.completion_tokens} completion tokens spent]")

    def _provenance(self, meter: UsageMeter, outcome: _Outcome, chunks: int) -> Provenance:
        usage = meter.usage()
        extra: dict[str, Any] = {}
        if self.modes.steps:
            extra["mode_fallback"] = ", ".join(self.modes.steps)
        if outcome.failed_parts:
            extra["failed_parts"] = sorted(outcome.failed_parts, key=lambda p: p["part"])
        return Provenance(
            backend=self.name, model=self.settings.model, prompt_version=self.prompt.version, usage=usage,
            dropped_facts=len(outcome.dropped), mode=outcome.modes[-1] if outcome.modes else self.modes.current,
            prompt_sha256=self.prompt.sha256, endpoint=self.settings.host, chunks=chunks, reasks=outcome.reasks,
            continuations=outcome.continuations, strict=self.strict, repairs=dict(sorted(outcome.repairs.items())),
            cleaned_answers=outcome.cleaned, cached_tokens=meter.cached_tokens,
            request_schema_sha256=request_schema_sha256(), **extra,
        )

    async def _chunk_or_failure(self, job: _Job) -> Facts | _Failed:
        """The chunk's facts; a failure of this chunk alone is returned, not raised, so the other chunks keep
        theirs. A spent budget or a down endpoint is the article's (or the run's) and is raised."""
        try:
            facts = await self._extract_chunk(job)
        except (EndpointUnavailable, BudgetSpent):
            raise
        except BackendError as e:
            return _Failed(job.chunk, e)
        for stage in job.stages:  # the chunk used these answers: a re-run may replay them
            stage.keep()
        return facts

    async def _extract_chunk(self, job: _Job) -> Facts:
        folded = folded_text(job.text)
        kept: dict[str, list[FactAnswer]] = {name: [] for name in FACT_TYPES}
        seen: set[str] = set()
        pending: list[Rejected] = []  # rejected facts the next request asks about
        reasks_left, asked_empty, idle_cuts = self.settings.reasks, False, 0
        note: str | None = None
        attempts = 0
        while True:
            reply = await self._request(job, note)
            attempts += 1
            if reply.answer is None:
                if reasks_left == 0:
                    raise BackendError(f"no valid answer in {attempts} attempt{'s' if attempts != 1 else ''}: {reply.reason}; "
                                       "try another --mode or a stronger --model")
                reasks_left -= 1
                job.outcome.reasks += 1
                note = unreadable_note(reply.reason)
                continue
            job.outcome.repairs.update(reply.context["repairs"])
            given = sum(len(getattr(reply.answer, name)) for name in FACT_TYPES)
            rejected: list[Rejected] = reply.context["rejected"]
            self._omitted(job, pending, given + len(rejected))
            added = 0
            for name in FACT_TYPES:
                for fact in getattr(reply.answer, name):
                    key = _fact_key(fact)
                    if key not in seen:
                        seen.add(key)
                        kept[name].append(fact)
                        added += 1
            pending = rejected
            if reply.cut:
                job.stages.append(reply.stage)
                # No progress (no new fact, nothing to correct): a model that cannot get past the limit, or repeats.
                idle_cuts = idle_cuts + 1 if added + len(rejected) == 0 else 0
                if idle_cuts > MAX_IDLE_CONTINUATIONS:
                    reason = ("the model's answer was cut off at its output limit (finish_reason 'length') before it "
                              "finished a new fact; raise --max-tokens or lower --chunk-tokens")
                    if not seen:
                        raise BackendError(reason)
                    # What it finished is grounded and kept; the sheet says this part may be incomplete.
                    log.warning("%s: part %d of %d may be incomplete: %s", job.article.id, job.chunk.index + 1,
                                job.chunk.count, reason)
                    job.outcome.failed_parts.append(self._part(job.chunk, reason, incomplete=True))
                    return {name: [fact.to_fact(folded, job.chunk.start) for fact in kept[name]] for name in FACT_TYPES}
                log.info("%s: answer cut off at the output limit; asking for the facts not finished",
                         job.article.id)
                job.outcome.continuations += 1
                recorded = [recorded_line(name, fact) for name in FACT_TYPES for fact in kept[name]]
                note, pending = cut_off_note(recorded, pending, job.text), []
                continue
            nothing = not seen and given + len(rejected) == 0
            figures = nothing and states_figures(job.text)
            if figures and not asked_empty and reasks_left > 0:
                asked_empty, reasks_left = True, reasks_left - 1
                job.outcome.reasks += 1
                note = empty_note(first_figure_sentence(job.text))
                continue
            if not figures:  # an empty answer for a text with figures is never replayed
                job.stages.append(reply.stage)
            if pending and reasks_left > 0:
                reasks_left -= 1
                job.outcome.reasks += 1
                note = rejected_note(pending, job.text)
                continue
            job.outcome.dropped.extend(f"{item.list_name}: {item.reason}" for item in pending)
            return {name: [fact.to_fact(folded, job.chunk.start) for fact in kept[name]] for name in FACT_TYPES}

    @staticmethod
    def _omitted(job: _Job, asked: list[Rejected], answered: int) -> None:
        """Rejected facts the model left out when asked again are dropped (counted), as it chose."""
        for item in asked[answered:] if answered < len(asked) else []:
            job.outcome.dropped.append(f"{item.list_name}: left out when re-asked ({item.reason})")

    async def _request(self, job: _Job, note: str | None) -> _Reply:
        """One request (in the run's current mode, stepping down if the server refuses it) and its parsed answer."""
        chat = messages(self.prompt, job.article, job.chunk)
        if note is not None:
            chat.append({"role": "user", "content": note})
        s = self.settings
        params = sampling_params(s.model, s.temperature, s.max_tokens)
        while True:
            mode = self.modes.current
            context = new_context(folded_text(job.text), job.chunk.start)
            call = _Call(None if job.capture else self._get_transport(), job, mode, self._strict(mode), self.modes)
            with staging() as stage:
                call_token, context_token = _CALL.set(call), CURRENT.set(context)
                try:
                    answer = await self._create(mode)(response_model=RESPONSE_MODEL, max_retries=0, strict=False,
                                                      model=s.model, messages=chat, **params)
                    return _Reply(answer, context, stage)
                except IncompleteOutputException as e:
                    return _Reply(self._finished_part(e.last_completion), context, stage, cut=True)
                except InstructorRetryException as e:
                    cause = e.__cause__
                    if isinstance(cause, _Captured):
                        raise cause from None
                    if isinstance(cause, IncompleteOutputException):
                        return _Reply(self._finished_part(cause.last_completion), context, stage, cut=True)
                    if isinstance(cause, ModeRefused):
                        if self.modes.step_from(mode, cause.detail) is None:
                            raise BackendError(str(cause)) from cause
                        continue
                    if isinstance(cause, StaleMode):  # built before the run stepped down; nothing was sent
                        continue
                    if isinstance(cause, BackendError):
                        raise type(cause)(str(cause)) from cause
                    return _Reply(None, context, stage, reason=_reason(cause))
                except (AssertionError, ValidationError, ValueError) as e:  # a refusal, or an answer instructor cannot read
                    return _Reply(None, context, stage, reason=_reason(e))
                finally:
                    job.outcome.modes.append(mode)
                    _CALL.reset(call_token)
                    CURRENT.reset(context_token)

    @staticmethod
    def _finished_part(completion: Any) -> ArticleFacts:
        """The facts a cut-off answer finished, validated in the current context; none if it finished none."""
        prefix = finished_prefix(_answer_text(completion))
        if prefix is None:
            return ArticleFacts()
        try:
            return ArticleFacts.model_validate_json(prefix)
        except ValidationError:
            return ArticleFacts()

    @staticmethod
    async def _send(**kwargs: Any) -> Any:
        """One request of ours: the closed schema put in, sent, and the JSON taken out of what the model wrapped it in."""
        call = _CALL.get()
        try:
            kwargs = with_request_schema(kwargs, call.mode, strict=call.strict)
        except RequestSchemaError as e:
            raise BackendError(f"cannot put the answer schema into the {call.mode} request ({e}); "
                               "please report it, and try another --mode meanwhile") from e
        job = call.job
        if job.capture:
            raise _Captured(kwargs)
        if job.first is not None:  # answered already (a batch): count it, send nothing
            completion, job.first = job.first, None
            job.meter.requests += 1
            job.meter.record(completion)
        else:
            assert call.transport is not None
            modes, mode = call.modes, call.mode
            current = (lambda: modes.current == mode) if modes is not None else None
            completion = await call.transport.complete(job.meter, job.budget, current, **kwargs)
            # Checking the answer runs without a break: first let the requests waiting for a slot (this answer's
            # among them) be written, so the server works on them meanwhile (extract/backends/llm/sendgate.py).
            await call.transport.gate.clear()
        job.outcome.cleaned += clean_completion(completion)
        return completion
