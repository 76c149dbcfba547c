"""HTTP requests to the model: the one layer that retries transport faults.

The openai client's own retries are switched off (max_retries=0) and instructor retries
only invalid answers, so attempts never multiply: each instructor attempt is one call of
`Transport.complete`, which retries 408/409/429/5xx, timeouts and dropped connections
with exponential backoff and jitter, honours Retry-After, and gives up after
`retries` retries with a BackendError whose message says what to do (and holds no key).
Every HTTP attempt passes the in-flight bound and the requests-per-minute limiter, and
is counted with the tokens its answer reports, so usage includes retries and re-asks.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from extract.backends.llm import sendgate
from extract.backends.llm.budget import Budget
from extract.backends.llm.chat_body import post_chat
from extract.backends.llm.modes import lacks_feature
from extract.backends.llm.ratelimit import RateLimiter
from extract.backends.llm.sendgate import SendGate
from extract.backends.llm.settings import LLMSettings
from extract.errors import BackendError, EndpointUnavailable
from extract.store.cache import current_stage
from schemas import Usage

log = logging.getLogger("factsheet.llm")

RETRY_STATUS = frozenset({408, 409, 429})
ENDPOINT_STATUS = frozenset({401, 403, 404})  # wrong key, no access, no such model: true of every article
CONNECT_RETRIES = 2  # a refused connection or unknown host is retried briefly (a server restarting), then reported


def cannot_connect(error: BaseException) -> bool:
    """The connection was never made (refused, unknown host), as opposed to dropped mid-answer."""
    if not isinstance(error, openai.APIConnectionError) or isinstance(error, openai.APITimeoutError):
        return False
    cause = error.__cause__
    while cause is not None:
        if isinstance(cause, httpx2.ConnectError):
            return True
        cause = cause.__cause__
    return False


def endpoint_down(error: BaseException) -> bool:
    """An error no other article would escape: the run should stop, not fail article after article."""
    if cannot_connect(error):
        return True
    return isinstance(error, openai.APIStatusError) and error.status_code in ENDPOINT_STATUS


class ModeRefused(BackendError):
    """The server answered 400/422 because it lacks what the mode asks for (tools, response_format)."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class StaleMode(BackendError):
    """A request built in a mode the run stepped down from while it waited for a slot: never sent, built again."""


@dataclass
class UsageMeter:
    """Requests and tokens of one article, every attempt included."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens the server reports it served from its prompt cache

    def record(self, completion: Any) -> None:
        usage = getattr(completion, "usage", None)
        # Copy the numbers now: instructor later rewrites completion.usage as a running total.
        self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        self.cached_tokens += int(getattr(details, "cached_tokens", 0) or 0)

    def usage(self) -> Usage:
        return Usage(requests=self.requests, prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens)


def is_transient(error: BaseException) -> bool:
    """Worth retrying: rate limits, server errors, timeouts, dropped connections."""
    if isinstance(error, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in RETRY_STATUS or error.status_code >= 500
    return False


def retry_after(error: BaseException) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, retry-after as seconds or HTTP date)."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


class Transport:
    """Sends chat-completion requests through one AsyncOpenAI client."""

    def __init__(self, settings: LLMSettings, client: openai.AsyncOpenAI) -> None:
        self.settings = settings
        self.client = client
        self._slots = asyncio.Semaphore(settings.concurrency)
        # Set once a request found the endpoint unavailable: requests still waiting for a slot are not sent
        # (the pipeline starts no more articles either; extract.pipeline's _Halt).
        self._down: str | None = None
        self._limiter = RateLimiter(settings.requests_per_minute)
        self.gate = SendGate()  # requests with a slot not yet written: answer checks wait for them

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with equal jitter, never shorter than Retry-After."""
        ceiling = min(self.settings.max_wait, self.settings.backoff * 2 ** (state.attempt_number - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        error = state.outcome.exception() if state.outcome else None
        asked = retry_after(error) if error else None
        return max(delay, asked) if asked is not None else delay

    def _stop(self, state: RetryCallState) -> bool:
        if stop_after_attempt(self.settings.retries + 1)(state):
            return True
        error = state.outcome.exception() if state.outcome else None
        if error is not None and cannot_connect(error) and state.attempt_number > CONNECT_RETRIES:
            return True
        asked = retry_after(error) if error else None
        return asked is not None and asked > self.settings.max_wait

    async def complete(self, meter: UsageMeter, budget: Budget | None = None, current: Callable[[], bool] | None = None,
                       **kwargs: Any) -> Any:
        """One chat completion, transport faults retried; raises BackendError when they persist, and
        BudgetSpent when the article's budget has no request left for another attempt. `current` tells, once a
        slot is free, whether the request's mode is still the run's: if not, StaleMode is raised and nothing sent."""
        attempts = 0
        try:
            async for attempt in AsyncRetrying(retry=retry_if_exception(is_transient), stop=self._stop, wait=self._wait,
                                               reraise=True):
                with attempt:
                    attempts += 1
                    if budget is not None:
                        budget.take()
                    async with self._slots:
                        if self._down is not None:
                            if budget is not None:
                                budget.refund()  # never sent
                            raise EndpointUnavailable(self._down)
                        if budget is not None:
                            budget.start_clock()
                        if current is not None and not current():
                            if budget is not None:
                                budget.refund()
                            raise StaleMode("the run stepped down from this request's mode while it waited")
                        await self._limiter.acquire()
                        meter.requests += 1
                        mark, token = self.gate.sending()
                        try:
                            completion = await post_chat(self.client, kwargs)
                        finally:
                            mark.done()
                            sendgate.reset(token)
                    stage = current_stage()
                    if budget is not None and stage is not None and stage.hit:
                        budget.refund()
                    meter.record(completion)
                    return completion
        except openai.OpenAIError as e:
            if lacks_feature(e):
                raise ModeRefused(self.describe(e, attempts), self.redact(str(getattr(e, "message", e)))) from e
            if endpoint_down(e):
                self._down = self.describe(e, attempts)
                raise EndpointUnavailable(self._down) from e
            raise BackendError(self.describe(e, attempts)) from e
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def describe(self, error: openai.OpenAIError, attempts: int) -> str:
        """What went wrong and what to do, with no key or URL credentials in it."""
        host, tries = self.settings.host, f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        if isinstance(error, openai.APITimeoutError):
            text = f"no answer from {host} within {self.settings.timeout:g} s {tries}; raise --timeout or lower --chunk-tokens"
        elif cannot_connect(error):
            text = (f"cannot connect to {host} {tries} (connection refused or unknown host); check that the server runs "
                    "and OPENAI_BASE_URL")
        elif isinstance(error, openai.APIConnectionError):
            text = f"cannot reach {host} {tries} (connection failed or dropped); check that the server runs and OPENAI_BASE_URL"
        elif isinstance(error, openai.APIStatusError):
            text = self._describe_status(error, host, tries)
        else:
            text = f"request to {host} failed: {type(error).__name__}: {error}"
        return self.redact(text)

    def _describe_status(self, error: openai.APIStatusError, host: str, tries: str) -> str:
        code = error.status_code
        if code == 429:
            asked = retry_after(error)
            if asked is not None and asked > self.settings.max_wait:
                return (f"rate limited by {host} (HTTP 429): it asked to wait {asked:g} s, more than --max-wait "
                        f"{self.settings.max_wait:g} s; raise --max-wait or lower --rpm")
            return f"rate limited by {host} (HTTP 429) {tries}; lower --concurrency or set --rpm"
        if code >= 500 or code in RETRY_STATUS:
            return f"server error from {host} (HTTP {code}) {tries}; try again later"
        if code == 401:
            return f"{host} refused the API key (HTTP 401); check OPENAI_API_KEY"
        if code == 403:
            return f"{host} denied access (HTTP 403); check the key's permissions for model {self.settings.model!r}"
        if code == 404:
            return (f"{host} has no model {self.settings.model!r} or no chat-completions endpoint (HTTP 404); "
                    "check --model and --base-url")
        detail = " ".join(str(getattr(error, "message", "") or "").split())[:300]
        hint = "; if the server cannot call tools, try --mode JSON_SCHEMA, JSON or MD_JSON" if code in (400, 422) else ""
        return f"{host} rejected the request (HTTP {code}): {detail}{hint}"

    def redact(self, text: str) -> str:
        for secret in self.settings.secrets():
            text = text.replace(secret, "***")
        return text
