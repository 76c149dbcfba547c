"""One request budget and one deadline per article, drawn on by every layer.

Transport retries, re-asks, continuations of cut-off answers and mode fallbacks all
take from the same `Budget`, so faults cannot multiply: an article costs at most
`request_budget` requests, whatever goes wrong, and at most `article_timeout` seconds.
An answer served from the response cache reached no server and costs nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from extract.errors import BackendError


class BudgetSpent(BackendError):
    """The article's requests or time ran out; the message gives the figures."""


@dataclass
class Budget:
    requests: int
    seconds: float
    used: int = 0
    started: float = field(default_factory=time.monotonic)
    # The article's asyncio deadline: started by `start_clock`, when its first request has a slot, so that the time
    # an article waits for a slot behind the others' requests is not taken from its --article-timeout.
    deadline: asyncio.Timeout | None = None
    clock_started: bool = False

    def start_clock(self) -> None:
        """The first request of the article has a slot: its --article-timeout runs from now (once)."""
        if self.clock_started or (self.deadline is not None and self.deadline.when() is not None):
            return  # started already, or set when the article was handed over (nothing of it waits for a slot)
        self.clock_started, self.started = True, time.monotonic()
        if self.deadline is not None:
            self.deadline.reschedule(asyncio.get_running_loop().time() + self.seconds)

    def take(self) -> None:
        """Before an HTTP attempt: raise when no request is left."""
        if self.used >= self.requests:
            raise BudgetSpent(f"the article's request budget of {self.requests} is spent (retries, re-asks and "
                              "continuations count); raise --request-budget, or see the reasons logged before")
        self.used += 1

    def refund(self) -> None:
        """An attempt answered from the cache: it reached no server."""
        self.used = max(0, self.used - 1)

    def remaining_seconds(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def deadline_message(self) -> str:
        return (f"the article took longer than --article-timeout {self.seconds:g} s over {self.used} requests; "
                "raise --article-timeout or --timeout, or lower --chunk-tokens")
