"""Test-only backends and article generators for the store tests (no product-code switch).

`FakeBackend` reads sentences of the form "In 2020, Xiamen ran 4600 trains." and makes one
grounded metric of each; its fingerprint carries a prompt version, so a test can change it.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
from pathlib import Path

from extract.articles import Article
from extract.backends.base import Backend
from extract.errors import BackendError
from schemas import Evidence, FactSheet, Metric, MetricKind, Provenance, Usage

SENTENCE = re.compile(r"In (\d{4}), ([A-Z][a-z]+) ran (\d+) trains\.")
CITIES = ("Xiamen", "Fuzhou", "Quanzhou", "Chongqing", "Chengdu", "Yiwu", "Wuhan", "Xian")


def article_text(i: int, *, value: int | None = None, city: str | None = None, extra: str = "") -> str:
    city = city or CITIES[i % len(CITIES)]
    value = value if value is not None else 1000 + i
    return (f"Freight news number {i}.\n\nIn 2020, {city} ran {value} trains. "
            f"Officials said the service would keep growing.{extra}\n")


def write_articles(folder: Path, n: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        path = folder / f"a{i:03d}.txt"
        path.write_text(article_text(i), encoding="utf-8")
        paths.append(path)
    return paths


class FakeBackend(Backend):
    """Deterministic, optionally slow or failing; counts what it extracted."""

    name = "fake"

    def __init__(self, prompt_version: str = "1", delay: float = 0.0, jitter: float = 0.0, concurrency: int = 4,
                 fail: set[str] | None = None, log_path: Path | None = None) -> None:
        self.prompt_version = prompt_version
        self.delay, self.jitter = delay, jitter
        self.concurrency = concurrency
        self.fail = fail or set()
        self.calls: list[str] = []
        self.log_path = log_path

    def fingerprint(self) -> dict[str, str]:
        return {**super().fingerprint(), "prompt_version": self.prompt_version}

    async def extract(self, article: Article) -> FactSheet:
        if self.delay or self.jitter:
            await asyncio.sleep(self.delay + random.uniform(0, self.jitter))
        self.calls.append(article.id)
        if self.log_path is not None:  # one O_APPEND write per line: whole lines even under SIGKILL
            fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{article.id}\n".encode())
            finally:
                os.close(fd)
        if article.id in self.fail:
            raise BackendError(f"fake failure on {article.id}")
        metrics = []
        for match in SENTENCE.finditer(article.text):
            year, city, value = match.groups()
            metrics.append(Metric(
                subject=f"freight trains run by {city}", value=float(value), unit="trains", kind=MetricKind.count,
                period=year, location=city,
                evidence=[Evidence(quote=match.group(0), start=match.start(), end=match.end())],
            ))
        return FactSheet(article=article.meta, metrics=metrics,
                         provenance=Provenance(backend=self.name, prompt_version=self.prompt_version,
                                               usage=Usage(requests=1, prompt_tokens=100, completion_tokens=20)))
