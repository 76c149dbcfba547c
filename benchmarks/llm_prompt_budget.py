"""Size of what every LLM request carries besides the article: instructions and answer schema, as sent.

The first request of a seed article is built in each mode exactly as the backend sends it
(LLMBackend.request_bodies: instructor's kwargs with the closed request schema of
request_schema.py put in), without sending it. Everything but the article text counts:
the system message (which holds the schema text in JSON and MD_JSON modes), the tools or
response_format, and the user message's own lines. It also checks that two articles'
requests start with the same bytes (the prefix providers cache). Prints characters and
estimated tokens (characters / 4); the target is under 2,500 tokens (issue #9).
Run: .venv/bin/python benchmarks/llm_prompt_budget.py
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from extract.articles import ArticleSource, load
from extract.backends.llm.backend import LLMBackend
from extract.backends.llm.settings import MODES, LLMSettings

LIMIT_TOKENS = 2500
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _first_body(mode: str, path: Path) -> tuple[dict[str, Any], str]:
    article = load(ArticleSource(id=path.stem, path=path))
    backend = LLMBackend(LLMSettings(base_url="http://127.0.0.1:9/v1", mode=mode, chunk_tokens=100_000))
    [(_, body)] = asyncio.run(backend.request_bodies(article))
    return body, article.text


def _prefix(body: dict[str, Any]) -> str:
    """What comes before the article: system message and schema, in the order a provider reads them."""
    return json.dumps({"system": body["messages"][0], "tools": body.get("tools"),
                       "response_format": body.get("response_format")}, sort_keys=True)


def main() -> None:
    logging.getLogger("instructor").setLevel(logging.CRITICAL)  # it logs each captured (unsent) request as failed
    seeds = sorted(SEEDS.glob("*.txt"))[:2]
    worst = 0
    for mode in MODES:
        body, text = _first_body(mode, seeds[0])
        other, _ = _first_body(mode, seeds[1])
        # What the model reads: message texts (not their JSON escaping) and the schema as compact JSON.
        system = len(body["messages"][0]["content"])
        schema = len(json.dumps(body.get("tools") or body.get("response_format") or "", ensure_ascii=False,
                                separators=(",", ":"))) if body.get("tools") or body.get("response_format") else 0
        others = sum(len(str(m.get("content") or "")) for m in body["messages"][1:])
        overhead = system + schema + others - len(text)
        same = "same prefix" if _prefix(body) == _prefix(other) else "PREFIX DIFFERS"
        worst = max(worst, overhead // 4)
        print(f"{mode:11s} system {system:5d} chars, tools/response_format {schema:5d} chars; all but the article "
              f"{overhead:6d} chars ~{overhead // 4:5d} tokens; {same} for two articles")
    print(f"largest: ~{worst} tokens (limit {LIMIT_TOKENS}: {'ok' if worst < LIMIT_TOKENS else 'OVER'})")


if __name__ == "__main__":
    main()
