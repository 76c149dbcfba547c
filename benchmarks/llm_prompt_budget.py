"""Size of what every LLM request carries besides the article: instructions and answer schema.

Prints characters and estimated tokens (characters / 4) per mode; the target is under 2,500
tokens (issue #9). Run: .venv/bin/python benchmarks/llm_prompt_budget.py
"""

from __future__ import annotations

import json

from extract.backends.llm.answer import ArticleFacts
from extract.backends.llm.prompt import load_prompt

LIMIT_TOKENS = 2500


def main() -> None:
    prompt = load_prompt()
    schema = json.dumps(ArticleFacts.model_json_schema(), separators=(",", ":"))
    total = len(prompt.text) + len(schema)
    print(f"instructions: {len(prompt.text):6d} chars  ~{len(prompt.text) // 4:5d} tokens")
    print(f"answer schema: {len(schema):5d} chars  ~{len(schema) // 4:5d} tokens (as tools / response_format carry it)")
    print(f"total:        {total:6d} chars  ~{total // 4:5d} tokens  (limit {LIMIT_TOKENS}: "
          f"{'ok' if total // 4 < LIMIT_TOKENS else 'OVER'})")


if __name__ == "__main__":
    main()
