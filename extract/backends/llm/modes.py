"""Which mode a request is sent in, and what a reasoning model may be sent.

- Default mode by server: OpenAI (and Azure OpenAI) serve tool calls best, so TOOLS;
  any other server (Ollama, vLLM, llama.cpp) gets JSON_SCHEMA, which local models answer
  validly far more often (STACK-NOTES).
- Fallback: a server that answers 400/422 because it lacks tools or `response_format`
  makes the whole run step to the next mode (TOOLS -> JSON_SCHEMA -> JSON -> MD_JSON).
  The state is the backend's, shared by all articles: the first article to meet the
  refusal steps it, once, and every later request uses the new mode. An explicit --mode
  is never stepped.
- Reasoning models (data file extract/data/reasoning_models.json) get no `temperature`
  and `max_completion_tokens` instead of `max_tokens`: they refuse both.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import threading
from functools import lru_cache
from importlib import resources

import openai

log = logging.getLogger("factsheet.llm")

CHAIN = ("TOOLS", "JSON_SCHEMA", "JSON", "MD_JSON")
TOOLS_HOSTS = ("api.openai.com",)
TOOLS_HOST_SUFFIXES = (".openai.azure.com",)
# What a server says when a request asks for a feature it lacks (Ollama: "... does not support tools"; vLLM and
# llama.cpp name the field). A 400 about anything else (context length, a bad message) is not stepped on.
_FEATURE_WORDS = ("tool", "function", "response_format", "json_schema", "json_object", "structured output",
                  "grammar", "schema")
_NOT_FEATURE_WORDS = ("context length", "context window", "maximum context", "too long", "too many tokens")


def default_mode(host: str) -> str:
    hostname = host.rsplit(":", 1)[0].lower()
    return "TOOLS" if hostname in TOOLS_HOSTS or hostname.endswith(TOOLS_HOST_SUFFIXES) else "JSON_SCHEMA"


def lacks_feature(error: BaseException) -> bool:
    """A 400/422 saying the server cannot do what this mode asks (tools, response_format)."""
    if not isinstance(error, openai.APIStatusError) or error.status_code not in (400, 422):
        return False
    text = " ".join(str(getattr(error, "message", "") or error).split()).lower()
    return any(w in text for w in _FEATURE_WORDS) and not any(w in text for w in _NOT_FEATURE_WORDS)


class ModeState:
    """The run's current mode; steps down the chain at most once per refused mode, under a lock."""

    def __init__(self, explicit: str | None, host: str) -> None:
        self.explicit = explicit
        self.start = explicit or default_mode(host)
        self.current = self.start
        self.steps: list[str] = []  # "TOOLS->JSON_SCHEMA", in order
        self._lock = threading.Lock()

    @property
    def policy(self) -> str:
        """What the fingerprint holds: the explicit mode, else 'auto:' and the start of the chain."""
        return self.explicit or f"auto:{self.start}"

    def step_from(self, refused: str, reason: str) -> str | None:
        """The mode to use after `refused` was refused; None when there is none (explicit, or end of the chain)."""
        if self.explicit is not None:
            return None
        with self._lock:
            if self.current != refused:  # another article stepped already
                return self.current
            index = CHAIN.index(refused)
            if index + 1 >= len(CHAIN):
                return None
            self.current = CHAIN[index + 1]
            self.steps.append(f"{refused}->{self.current}")
            log.warning("the server refused %s mode (%s); using %s mode for the rest of the run (set --mode to choose)",
                        refused, reason[:200], self.current)
            return self.current


@lru_cache(maxsize=1)
def _reasoning_patterns() -> tuple[str, ...]:
    data = json.loads(resources.files("extract.data").joinpath("reasoning_models.json").read_text(encoding="utf-8"))
    return tuple(p.lower() for p in data["patterns"])


def is_reasoning_model(model: str) -> bool:
    name = model.strip().lower().rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in _reasoning_patterns())


def sampling_params(model: str, temperature: float, max_tokens: int | None) -> dict[str, object]:
    """Temperature and output limit as the model accepts them."""
    if is_reasoning_model(model):
        return {"max_completion_tokens": max_tokens} if max_tokens else {}
    params: dict[str, object] = {"temperature": temperature}
    if max_tokens:
        params["max_tokens"] = max_tokens
    return params
