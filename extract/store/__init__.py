"""The embedded run store: articles' state and sheets, the LLM response cache, the run lock.

See docs/store.md. The httpx2 caching transport lives in extract.store.http_cache and is
imported only by the LLM backend, so the offline path never loads an HTTP client.
"""

from extract.store.cache import Meter, ResponseCache, active_cache, current_meter, metering, request_key, using_cache
from extract.store.db import STORE_NAME, ArticleRow, Batch, Fingerprint, PlanRow, Store, TokenCount
from extract.store.lock import LOCK_NAME, RunLock, lock_paths
from extract.store.migrations import LATEST, MIGRATIONS, migrate

__all__ = [
    "LATEST",
    "LOCK_NAME",
    "MIGRATIONS",
    "STORE_NAME",
    "ArticleRow",
    "Batch",
    "Fingerprint",
    "Meter",
    "PlanRow",
    "ResponseCache",
    "RunLock",
    "Store",
    "TokenCount",
    "active_cache",
    "current_meter",
    "lock_paths",
    "metering",
    "migrate",
    "request_key",
    "using_cache",
]
