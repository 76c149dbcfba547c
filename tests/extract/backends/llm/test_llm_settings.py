"""Settings: flags over environment over config file; the key only from OPENAI_API_KEY, never shown."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from extract.backends import choose_backend_name
from extract.backends.llm.settings import LLMSettings, add_cli_arguments, options_from_args
from extract.errors import ConfigError

KEY = "sk-test-do-not-show-42"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_cli_arguments(parser)
    return parser.parse_args(list(argv))


def test_flags_beat_environment_beat_config_file(tmp_path: Path) -> None:
    (tmp_path / "factsheet.toml").write_text(
        '[llm]\nmodel = "from-file"\nconcurrency = 2\ntemperature = 0.5\nbase_url = "http://file:1/v1"\n')
    env = {"FACTSHEET_MODEL": "from-env", "FACTSHEET_CONCURRENCY": "3", "OPENAI_BASE_URL": "http://env:2/v1"}
    options = options_from_args(parse("--model", "from-flag"), env, cwd=tmp_path)

    assert options == {"model": "from-flag", "concurrency": 3, "temperature": 0.5, "base_url": "http://env:2/v1"}
    settings = LLMSettings.from_options(options, env)
    assert (settings.model, settings.concurrency, settings.temperature, settings.host) == ("from-flag", 3, 0.5, "env:2")


def test_config_path_from_flag_or_environment(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('[llm]\nmode = "json_schema"\nrequests_per_minute = 30\n')
    assert options_from_args(parse("--config", str(config)), {}, cwd=tmp_path) == {"mode": "json_schema",
                                                                                    "requests_per_minute": 30}
    assert options_from_args(parse(), {"FACTSHEET_CONFIG": str(config)}, cwd=tmp_path)["mode"] == "json_schema"
    settings = LLMSettings.from_options({"mode": "json_schema"}, {"OPENAI_API_KEY": KEY})
    assert settings.mode == "JSON_SCHEMA"


@pytest.mark.parametrize(("content", "message"), [
    ('[llm]\nmodle = "x"\n', "unknown \\[llm\\] keys modle"),
    ('[llm]\napi_key = "sk-x"\n', "do not store the API key"),
    ("[llm\n", "not valid TOML"),
    ('[llm]\nconcurrency = "many"\n', "must be a whole number"),
])
def test_bad_config_files_are_refused_with_the_fix(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "factsheet.toml").write_text(content)
    with pytest.raises(ConfigError, match=message):
        options_from_args(parse(), {}, cwd=tmp_path)


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        options_from_args(parse("--config", str(tmp_path / "missing.toml")), {}, cwd=tmp_path)


def test_bad_values_name_where_to_fix_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FACTSHEET_TIMEOUT must be a number"):
        options_from_args(parse(), {"FACTSHEET_TIMEOUT": "soon"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"concurrency: .*--concurrency, FACTSHEET_CONCURRENCY"):
        LLMSettings.from_options({"concurrency": 0}, {"OPENAI_API_KEY": KEY})
    with pytest.raises(SystemExit):
        parse("--mode", "XML")


def test_an_endpoint_is_required(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"set OPENAI_API_KEY .* or OPENAI_BASE_URL"):
        LLMSettings.from_options({}, {})


def test_a_base_url_without_key_uses_a_placeholder() -> None:
    settings = LLMSettings.from_options({}, {"OPENAI_BASE_URL": "http://localhost:11434/v1"})
    assert settings.api_key is None
    assert settings.secret_key() == "not-needed"
    assert settings.host == "localhost:11434"


def test_the_key_and_url_credentials_never_show() -> None:
    settings = LLMSettings.from_options({"base_url": "https://user:pw-secret@proxy.example:8443/v1?token=t"},
                                        {"OPENAI_API_KEY": KEY})
    assert settings.secret_key() == KEY
    assert settings.host == "proxy.example:8443"
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert KEY not in shown
    with pytest.raises(ConfigError) as info:
        LLMSettings.from_options({"timeout": -1}, {"OPENAI_API_KEY": KEY})
    assert KEY not in str(info.value) and KEY not in repr(info.value.__cause__)
    assert "api_key" not in options_from_args(parse(), {"OPENAI_API_KEY": KEY}, cwd=Path("/nonexistent"))


def test_a_base_url_in_the_config_file_chooses_the_llm_backend(tmp_path: Path) -> None:
    (tmp_path / "factsheet.toml").write_text('[llm]\nbase_url = "http://localhost:8000/v1"\n')
    options = options_from_args(parse(), {}, cwd=tmp_path)
    assert choose_backend_name(None, options, {}) == "llm"
    assert choose_backend_name(None, options_from_args(parse(), {}, cwd=Path("/nonexistent")), {}) == "rules"


def test_the_offline_path_does_not_import_the_llm_client() -> None:
    code = ("import sys, extract.commands.run, extract.cli; extract.cli.build_parser(); "
            "sys.exit(1 if {'openai', 'instructor'} & set(sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
