"""The backend interface: an article in, a fact sheet out."""

from __future__ import annotations

import abc
from typing import ClassVar

from extract.articles import Article
from schemas import SCHEMA_VERSION, FactSheet


class Backend(abc.ABC):
    """An extractor. `extract` is the one method a backend must write.

    The pipeline grounds and canonicalises whatever `extract` returns, so a backend need
    not; it must only give evidence quotes that stand in the article text.
    """

    name: ClassVar[str]
    # How many articles the pipeline may hand this backend at once.
    concurrency: int = 1
    # CPU-bound and picklable: the pipeline may run it in worker processes (`--workers`, extract.parallel).
    cpu_bound: ClassVar[bool] = False

    @abc.abstractmethod
    async def extract(self, article: Article) -> FactSheet:
        """The fact sheet of one article; raises BackendError when it cannot make one."""

    def fingerprint(self) -> dict[str, str]:
        """Everything besides the article that shapes this backend's result."""
        return {"backend": self.name, "schema_version": SCHEMA_VERSION}

    async def aclose(self) -> None:  # noqa: B027 (optional hook, empty by default)
        """Release connections and other resources; called once at the end of a run."""
