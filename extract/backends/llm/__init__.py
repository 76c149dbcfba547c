"""The LLM backend: any OpenAI-compatible server, through instructor (docs/llm.md).

Importing this package is cheap: openai and instructor are imported only when a backend
is made, so `factsheet run` can read the LLM flags (settings.py) on the offline path too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from extract.backends.base import Backend


def make_llm_backend(options: Mapping[str, Any]) -> Backend:
    """The backend for the run's merged options (see settings.options_from_args); the key comes from OPENAI_API_KEY."""
    from extract.backends.llm.backend import LLMBackend
    from extract.backends.llm.settings import LLMSettings

    return LLMBackend(LLMSettings.from_options(options))


__all__ = ["make_llm_backend"]
