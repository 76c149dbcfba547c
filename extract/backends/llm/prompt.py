"""The system prompt (a versioned data file) and the messages of one request.

The prompt lives in extract/data/prompts/<name>-v<N>.md; its version is the file name.
The canonical initiative names are rendered into it from the alias table, so the prompt
and the canonicaliser never disagree; `sha256` covers the rendered text, so an edit
without a version bump still changes the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from extract.articles import Article
from extract.backends.llm.chunking import Chunk

PROMPT_NAME = "extract-v2"
_INITIATIVES_MARK = "<<INITIATIVES>>"


def _data(name: str) -> str:
    return resources.files("extract.data").joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Prompt:
    version: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]


def _initiative_lines(table: dict[str, Any]) -> str:
    lines = []
    # Names only: the canonicaliser maps every alias afterwards, so listing them here would only cost tokens.
    for canonical in table["names"]:
        lines.append(f"- {canonical}")
    return "\n".join(lines)


@lru_cache(maxsize=4)
def load_prompt(name: str = PROMPT_NAME) -> Prompt:
    template = _data(f"prompts/{name}.md")
    initiatives = json.loads(_data("aliases/initiatives.json"))
    return Prompt(version=name, text=template.replace(_INITIATIVES_MARK, _initiative_lines(initiatives)))


def user_message(article: Article, chunk: Chunk, chunk_text: str) -> str:
    meta = article.meta
    lines = [
        f"Published: {meta.published.isoformat() if meta.published else 'unknown'}",
    ]
    if meta.title:
        lines.append(f"Title: {meta.title}")
    if chunk.count > 1:
        lines.append(f"This is part {chunk.index + 1} of {chunk.count} of the article: extract the facts this part "
                     "states, quoting only from it.")
    lines += ["", "Article text:", chunk_text]
    return "\n".join(lines)


def messages(prompt: Prompt, article: Article, chunk: Chunk) -> list[dict[str, str]]:
    chunk_text = chunk.text(article.text)
    return [
        {"role": "system", "content": prompt.text},
        {"role": "user", "content": user_message(article, chunk, chunk_text)},
    ]
