"""One request budget and one deadline per article, drawn on by every layer.

Transport retries, re-asks, continuations of cut-off answers and mode fallbacks all
take from the same `Budget`, so faults cannot multiply: an article costs at most
`request_budget` requests, whatever goes wrong, and at most `article_timeout` seconds.
An answer served from the response cache reached no server and costs nothing.
"""

from __future__ import annotations

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
