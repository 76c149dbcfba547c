"""An optional requests-per-minute limit: requests start at least 60/rpm seconds apart."""

from __future__ import annotations

import asyncio


class RateLimiter:
    """Spaces request starts evenly; no limit when `per_minute` is None."""

    def __init__(self, per_minute: float | None) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)
