"""Helpers of the LLM tests: seeds, hand labels as answers, one-article runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from llm_server import ARTICLES, article_id_of, chunk_text_of, start

from extract.align import FoldedText
from extract.articles import Article, ArticleSource, load
from extract.backends.llm.backend import LLMBackend
from extract.backends.llm.settings import LLMSettings
from extract.canonical import Canonicaliser
from schemas import FACT_TYPES, FactSheet

ROOT = Path(__file__).resolve().parents[4]
SEEDS = ROOT / "seeds"
GOLD = ROOT / "evals" / "gold"
GOLD_IDS = sorted(p.stem for p in GOLD.glob("*.json") if (SEEDS / f"{p.stem}.txt").exists())
# The scripted server knows an article by its text (the prompt names no id).
ARTICLES.update({p.stem: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")})

# Fast retries for tests: settings, not test-only switches in product code.
FAST = {"backoff": 0.01, "max_wait": 2.0, "timeout": 3.0, "retries": 3, "reasks": 2}
FAST_FLAGS = ["--backoff", "0.01", "--max-wait", "2", "--timeout", "3", "--retries", "3", "--reasks", "2"]


def gold_payload(article_id: str) -> dict[str, Any]:
    data = json.loads((GOLD / f"{article_id}.json").read_text(encoding="utf-8"))
    return {name: data[name] for name in FACT_TYPES}


def gold_facts(article: Article) -> dict[str, list[dict[str, Any]]]:
    """The hand-labelled facts as the gold loader reads them: offsets by the aligner, names canonical."""
    payload = gold_payload(article.id)
    folded = FoldedText(article.text)
    for facts in payload.values():
        for fact in facts:
            for ev in fact["evidence"]:
                span = folded.find(ev["quote"])
                assert span is not None, f"gold quote not in {article.id}: {ev['quote']!r}"
                ev.update(quote=article.text[span.start : span.end], start=span.start, end=span.end)
    sheet = FactSheet.model_validate({"article": article.meta.model_dump(), **payload, "provenance": {"backend": "gold"}})
    sheet = Canonicaliser.default().sheet(sheet)
    return {name: [f.model_dump(mode="json") for f in getattr(sheet, name)] for name in FACT_TYPES}


def gold_responder(body: dict[str, Any]) -> dict[str, Any]:
    """Answers a request with the gold facts whose every quote stands in the text it was sent."""
    article_id = article_id_of(body)
    if article_id not in GOLD_IDS:
        return {name: [] for name in FACT_TYPES}
    folded = FoldedText(chunk_text_of(body))
    payload = gold_payload(article_id)
    return {name: [f for f in facts if all(folded.find(ev["quote"]) for ev in f["evidence"])]
            for name, facts in payload.items()}


def canonical_json(facts: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(f, sort_keys=True) for f in facts)


def seed(article_id: str) -> Article:
    return load(ArticleSource(id=article_id, path=SEEDS / f"{article_id}.txt"))


def extract_one(settings: LLMSettings, article: Article) -> FactSheet:
    """One article through a fresh backend, closed afterwards."""

    async def go() -> FactSheet:
        backend = LLMBackend(settings)
        try:
            return await backend.extract(article)
        finally:
            await backend.aclose()

    return asyncio.run(go())


@contextlib.contextmanager
def serving(fake: Any, start_server: Callable[[Any], tuple[Any, Any]] = start) -> Iterator[Any]:
    """A scripted server (llm_server, or batch_server's start) on 127.0.0.1 for the block, shut down after."""
    server, thread = start_server(fake)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def keyless_env(monkeypatch: Any, url: str) -> None:
    """The environment of a keyless local server: OPENAI_BASE_URL only, no FACTSHEET_* and no key."""
    for name in list(os.environ):
        if name.startswith("FACTSHEET_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_BASE_URL", url)


def fast_keyless_env(monkeypatch: Any, url: str) -> None:
    """`keyless_env` with fast retries set through the environment (works with or without the flags)."""
    keyless_env(monkeypatch, url)
    for key, value in FAST.items():
        monkeypatch.setenv(f"FACTSHEET_{key.upper()}", str(value))
