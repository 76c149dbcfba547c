"""LLM backend settings: command-line flags over environment over config file over defaults.

This module must stay light: `factsheet run` imports it on every path, the offline one
included, so it never imports openai or instructor.

The API key is read from OPENAI_API_KEY only (never a flag or a config key, which end up
in shell history and repositories), is held as a SecretStr and never enters the options
dict, logs, fingerprints or error text.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from extract.errors import ConfigError

MODES = ("TOOLS", "JSON_SCHEMA", "JSON", "MD_JSON")
MODE_CHOICES = ("AUTO", *MODES)
DEFAULT_CONFIG = Path("factsheet.toml")
CONFIG_TABLE = "llm"
CONFIG_ENV = "FACTSHEET_CONFIG"
# Local servers (Ollama, vLLM, llama.cpp) ignore the key, but the client requires one.
PLACEHOLDER_KEY = "not-needed"
OPENAI_HOST = "api.openai.com"


@dataclass(frozen=True)
class Option:
    """One setting and the three places it can come from."""

    key: str  # also the config-file key and the LLMSettings field
    flag: str
    env: str
    type: type
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("model", "--model", "FACTSHEET_MODEL", str, "model name as the server knows it (default: gpt-4o-mini)"),
    Option("mode", "--mode", "FACTSHEET_MODE", str,
           "how the model returns JSON: TOOLS, JSON_SCHEMA, JSON or MD_JSON (default: auto, TOOLS for OpenAI and "
           "JSON_SCHEMA for other servers, stepping down once when the server refuses a mode)"),
    Option("base_url", "--base-url", "OPENAI_BASE_URL", str,
           "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (default: OpenAI)"),
    Option("concurrency", "--concurrency", "FACTSHEET_CONCURRENCY", int,
           "requests in flight at once; twice as many articles are prepared meanwhile (default: 4)"),
    Option("requests_per_minute", "--rpm", "FACTSHEET_RPM", float, "at most this many requests a minute (default: no limit)"),
    Option("retries", "--retries", "FACTSHEET_RETRIES", int,
           "transport retries per request on 429, 5xx, timeouts and dropped connections (default: 4)"),
    Option("reasks", "--reasks", "FACTSHEET_REASKS", int,
           "times a request is re-asked when the answer fails validation, e.g. a quote not in the article (default: 2)"),
    Option("temperature", "--temperature", "FACTSHEET_TEMPERATURE", float, "sampling temperature (default: 0)"),
    Option("timeout", "--timeout", "FACTSHEET_TIMEOUT", float, "seconds to wait for one answer (default: 120)"),
    Option("chunk_tokens", "--chunk-tokens", "FACTSHEET_CHUNK_TOKENS", int,
           "split longer articles into parts of about this many tokens (default: 3000)"),
    Option("max_tokens", "--max-tokens", "FACTSHEET_MAX_TOKENS", int, "limit on answer tokens (default: the server's)"),
    Option("strict_schema", "--strict-schema", "FACTSHEET_STRICT_SCHEMA", str,
           "send OpenAI's strict: true with the closed answer schema: auto (default: on for OpenAI in TOOLS and "
           "JSON_SCHEMA modes, off elsewhere), on or off"),
    Option("request_budget", "--request-budget", "FACTSHEET_REQUEST_BUDGET", int,
           "requests one article may cost, retries, re-asks and continuations included (default: 10)"),
    Option("article_timeout", "--article-timeout", "FACTSHEET_ARTICLE_TIMEOUT", float,
           "seconds one article may take, all its requests included (default: 600)"),
    Option("backoff", "--backoff", "FACTSHEET_BACKOFF", float,
           "seconds before the first transport retry, doubling after each (default: 1)"),
    Option("max_wait", "--max-wait", "FACTSHEET_MAX_WAIT", float,
           "longest wait between retries, also for Retry-After; a longer Retry-After fails the request (default: 60)"),
)
OPTION_KEYS = frozenset(o.key for o in OPTIONS)


class LLMSettings(BaseModel):
    """Validated settings. Messages name the flag, variable and config key to fix."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = "gpt-4o-mini"
    # AUTO: the server's best mode, stepped down once if it is refused (modes.py); any other is never overridden.
    mode: Literal["AUTO", "TOOLS", "JSON_SCHEMA", "JSON", "MD_JSON"] = "AUTO"
    base_url: str | None = None
    api_key: SecretStr | None = Field(default=None, repr=False)
    concurrency: int = Field(default=4, ge=1, le=256)
    requests_per_minute: float | None = Field(default=None, gt=0)
    retries: int = Field(default=4, ge=0, le=20)
    reasks: int = Field(default=2, ge=0, le=5)
    temperature: float = Field(default=0.0, ge=0, le=2)
    timeout: float = Field(default=120.0, gt=0)
    chunk_tokens: int = Field(default=3000, ge=200)
    max_tokens: int | None = Field(default=None, ge=1)
    backoff: float = Field(default=1.0, ge=0)
    max_wait: float = Field(default=60.0, ge=0)
    strict_schema: Literal["auto", "on", "off"] = "auto"
    request_budget: int = Field(default=10, ge=1, le=1000)
    article_timeout: float = Field(default=600.0, gt=0)

    @field_validator("strict_schema", mode="before")
    @classmethod
    def _strict_word(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def explicit_mode(self) -> str | None:
        """The mode the user chose, or None for AUTO."""
        return None if self.mode == "AUTO" else self.mode

    @property
    def strict_setting(self) -> bool | None:
        """None: the server's default (request_schema.default_strict); else as set."""
        return None if self.strict_schema == "auto" else self.strict_schema == "on"

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_upper(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        word = value.strip().upper().replace("-", "_")
        return word or "AUTO"

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("model name is empty: give the model the server serves, e.g. gpt-4o-mini or llama3.1")
        return value.strip()

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        example = "it must look like http://HOST:PORT/v1 (the server's OpenAI-compatible root)"
        parts = urlsplit(value.strip())
        if not parts.scheme or not parts.netloc:
            raise ValueError(f"base URL has no scheme or host: {example}")
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"base URL scheme {parts.scheme[:10]!r} is not http or https: {example}")
        if not parts.hostname:
            raise ValueError(f"base URL has no host: {example}")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when it is read
        except ValueError:  # out of range or not a number; the value is not echoed (it may hold credentials)
            raise ValueError(f"base URL port is not a number from 1 to 65535: {example}") from None
        if parts.port == 0:
            raise ValueError(f"base URL port is not a number from 1 to 65535: {example}")
        return value.strip()

    @model_validator(mode="after")
    def _endpoint_configured(self) -> LLMSettings:
        if self.base_url is None and self.api_key is None:
            raise ValueError(
                "no LLM endpoint: set OPENAI_API_KEY to use OpenAI, or OPENAI_BASE_URL (or --base-url) "
                "to use a local OpenAI-compatible server such as Ollama or vLLM"
            )
        return self

    @property
    def host(self) -> str:
        """The endpoint's host[:port], without scheme, credentials, path or query."""
        if self.base_url is None:
            return OPENAI_HOST
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        return f"{host}:{parts.port}" if parts.port else host

    def secret_key(self) -> str:
        """The key to send: the configured one, else a placeholder for keyless local servers."""
        return self.api_key.get_secret_value() if self.api_key is not None else PLACEHOLDER_KEY

    def secrets(self) -> list[str]:
        """Strings that must never appear in messages: the key and the full base URL's credentials."""
        found = [self.api_key.get_secret_value()] if self.api_key is not None else []
        if self.base_url:
            parts = urlsplit(self.base_url)
            found += [p for p in (parts.username, parts.password) if p]
        return [s for s in found if s]

    @classmethod
    def from_options(cls, options: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> LLMSettings:
        """Settings from the run's merged options; the key comes from the environment."""
        values = {k: v for k, v in options.items() if k in OPTION_KEYS and v is not None}
        values.setdefault("base_url", environ.get("OPENAI_BASE_URL") or None)
        key = options.get("api_key") or environ.get("OPENAI_API_KEY") or None
        try:
            return cls(**values, api_key=key)
        except ValidationError as e:
            raise ConfigError(_describe(e)) from None  # `from None`: the error's input could hold the key


def _describe(error: ValidationError) -> str:
    """Readable problems, naming where each setting is set; never echoes input values."""
    by_key = {o.key: o for o in OPTIONS}
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        message = item["msg"].removeprefix("Value error, ")
        option = by_key.get(field)
        where = (f" (set by {option.flag}, {option.env} or '{option.key}' in [{CONFIG_TABLE}] of the config file)"
                 if option else "")
        problems.append(f"{field + ': ' if field else ''}{message}{where}")
    return "LLM settings: " + "; ".join(problems)


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """The LLM flags of `factsheet run`; every one also has an environment variable and config key."""
    group = parser.add_argument_group(
        "LLM backend",
        f"Flags override environment variables, which override the [{CONFIG_TABLE}] table of the config "
        f"file (--config, ${CONFIG_ENV}, else ./{DEFAULT_CONFIG} if present). The key is read from OPENAI_API_KEY.",
    )
    group.add_argument("--config", type=Path, metavar="PATH", help=f"TOML config file (default: ./{DEFAULT_CONFIG} if present)")
    for option in OPTIONS:
        extra: dict[str, Any] = {"choices": MODE_CHOICES, "type": str.upper} if option.key == "mode" else {"type": option.type}
        group.add_argument(option.flag, dest=f"llm_{option.key}", metavar=option.key.upper(),
                           help=f"{option.help} [{option.env}]", **extra)


def options_from_args(args: argparse.Namespace, environ: Mapping[str, str] = os.environ,
                      cwd: Path | None = None) -> dict[str, Any]:
    """Merged LLM options: flags over environment over config file. Unset ones are left out."""
    file_values = load_config(getattr(args, "config", None), environ, cwd or Path.cwd())
    merged: dict[str, Any] = {}
    for option in OPTIONS:
        flag_value = getattr(args, f"llm_{option.key}", None)
        if flag_value is not None:
            merged[option.key] = flag_value
        elif environ.get(option.env):
            merged[option.key] = _convert(option, environ[option.env], f"environment variable {option.env}")
        elif option.key in file_values:
            merged[option.key] = file_values[option.key]
    return merged


def load_config(path: Path | None, environ: Mapping[str, str], cwd: Path) -> dict[str, Any]:
    """The [llm] table of the config file; an explicitly named file must exist."""
    explicit = path or (Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else None)
    target = explicit or cwd / DEFAULT_CONFIG
    if explicit is None and not target.is_file():
        return {}
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read config file {target}: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {target} is not valid TOML: {e}") from e
    table = data.get(CONFIG_TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {target}: [{CONFIG_TABLE}] must be a table of settings")
    if "api_key" in table:
        raise ConfigError(f"config file {target}: do not store the API key in a file; set OPENAI_API_KEY instead")
    unknown = sorted(set(table) - OPTION_KEYS)
    if unknown:
        raise ConfigError(f"config file {target}: unknown [{CONFIG_TABLE}] keys {', '.join(unknown)}; "
                          f"known keys: {', '.join(o.key for o in OPTIONS)}")
    by_key = {o.key: o for o in OPTIONS}
    return {k: _convert(by_key[k], v, f"'{k}' in {target}") if isinstance(v, str) else v for k, v in table.items()}


def _convert(option: Option, raw: str, where: str) -> Any:
    try:
        return option.type(raw.strip())
    except ValueError:
        kind = {int: "a whole number", float: "a number"}.get(option.type, "text")
        raise ConfigError(f"{where} must be {kind}, not {raw!r}") from None
