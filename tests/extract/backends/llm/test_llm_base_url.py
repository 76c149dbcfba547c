"""A bad base URL is a configuration error naming where it is set, never a ValueError traceback."""

from __future__ import annotations

import pytest

from extract.backends.llm.settings import LLMSettings
from extract.errors import ConfigError


@pytest.mark.parametrize(("url", "problem"), [
    ("http://127.0.0.1:99999/v1", "port is not a number from 1 to 65535"),
    ("http://127.0.0.1:0/v1", "port is not a number from 1 to 65535"),
    ("http://localhost:port/v1", "port is not a number from 1 to 65535"),
    ("localhost:11434/v1", "no scheme or host"),
    ("127.0.0.1:8000/v1", "no scheme or host"),
    ("ftp://example.org/v1", "scheme 'ftp' is not http or https"),
    ("http://:8000/v1", "no host"),
])
def test_a_bad_base_url_is_refused_naming_the_variable(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as exc:
        LLMSettings.from_options({}, environ={"OPENAI_BASE_URL": url})
    message = str(exc.value)
    assert problem in message and "OPENAI_BASE_URL" in message and "--base-url" in message
    assert "http://HOST:PORT/v1" in message  # says what it should look like


def test_the_refusal_does_not_echo_credentials() -> None:
    with pytest.raises(ConfigError) as exc:
        LLMSettings.from_options({"base_url": "http://user:hunter2-secret@127.0.0.1:99999/v1"}, environ={})
    assert "hunter2" not in str(exc.value) and "user" not in str(exc.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "https://api.example.org/v1", "http://[::1]:11434/v1"])
def test_good_base_urls_pass(url: str) -> None:
    assert LLMSettings.from_options({}, environ={"OPENAI_BASE_URL": url}).base_url == url
