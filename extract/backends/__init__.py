"""Backend registry: a plain dict from name to factory.

A factory takes the run's merged options (flags over environment over config file)
and returns a Backend. Factories import their backend lazily, so that the offline
path never imports the LLM client.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from extract.backends.base import Backend
from extract.errors import ConfigError


def _rules(options: Mapping[str, Any]) -> Backend:
    from extract.backends.rules import RulesBackend

    return RulesBackend()


def _llm(options: Mapping[str, Any]) -> Backend:
    from extract.backends.llm import make_llm_backend

    return make_llm_backend(options)


BACKENDS: dict[str, Callable[[Mapping[str, Any]], Backend]] = {"rules": _rules, "llm": _llm}


def llm_configured(options: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> bool:
    """An LLM endpoint is configured by key or base URL, in the environment or options."""
    keys = ("OPENAI_API_KEY", "OPENAI_BASE_URL")
    return any(environ.get(k) for k in keys) or bool(options.get("base_url") or options.get("api_key"))


def choose_backend_name(requested: str | None, options: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> str:
    """The backend to use: the one asked for, else `llm` when configured, else `rules`."""
    if requested:
        return requested
    return "llm" if llm_configured(options, environ) else "rules"


def make_backend(name: str, options: Mapping[str, Any]) -> Backend:
    try:
        factory = BACKENDS[name]
    except KeyError as e:
        raise ConfigError(f"unknown backend {name!r}: choose one of {', '.join(sorted(BACKENDS))}") from e
    return factory(options)


__all__ = ["BACKENDS", "Backend", "choose_backend_name", "llm_configured", "make_backend"]
