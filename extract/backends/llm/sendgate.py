"""Requests that have a slot but are not on the wire yet: checking an answer waits for them (issue #15).

Checking an answer is a few milliseconds of CPU with no await in it. When many answers come at
once, a request that an answer's slot let go would otherwise be written only after several of
those checks, and the server would idle meanwhile. So the request marks itself pending when it
takes its slot, httpx's trace hook clears it once its body is written, and an answer's check
first yields until no request is pending (a bounded number of turns: a request stuck in the
network layer never holds the checks up for long).
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

import httpx2

# Turns of the event loop a check yields at most while requests are pending.
MAX_TURNS = 50


class Sending:
    """One request between taking its slot and its body being written."""

    def __init__(self, gate: SendGate) -> None:
        self._gate = gate
        self._open = True
        gate.pending += 1

    def done(self) -> None:
        if self._open:
            self._open = False
            self._gate.pending -= 1

    async def trace(self, event: str, _info: dict[str, Any]) -> None:
        """httpcore's trace callback: the body is written (or writing it failed)."""
        if event.endswith(("send_request_body.complete", ".failed")):
            self.done()


_SENDING: ContextVar[Sending | None] = ContextVar("factsheet_sending", default=None)


class SendGate:
    """How many requests of one client are pending; see the module's docstring."""

    def __init__(self) -> None:
        self.pending = 0

    def sending(self) -> tuple[Sending, Any]:
        """Mark the current task's request pending: (the mark, the context token to reset)."""
        mark = Sending(self)
        return mark, _SENDING.set(mark)

    async def clear(self) -> None:
        """Yield to the loop once, then while requests are pending (at most MAX_TURNS turns)."""
        await asyncio.sleep(0)
        for _ in range(MAX_TURNS):
            if self.pending <= 0:
                return
            await asyncio.sleep(0)


async def on_request(request: httpx2.Request) -> None:
    """httpx request hook: a pending request's body-written event clears its mark."""
    mark = _SENDING.get()
    if mark is not None and "trace" not in request.extensions:
        request.extensions["trace"] = mark.trace


def reset(token: Any) -> None:
    _SENDING.reset(token)
