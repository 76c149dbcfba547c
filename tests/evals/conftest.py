"""Fixtures for the eval suite (the data behind them is in eval_fixtures.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eval_fixtures import TEXT, gold_data


@pytest.fixture
def gold() -> dict[str, Any]:
    return gold_data()


@pytest.fixture
def article_dir(tmp_path: Path) -> Path:
    """A folder holding the synthetic article as art.txt, with its gold label in gold/art.json."""
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "art.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "gold").mkdir()
    (tmp_path / "gold" / "art.json").write_text(json.dumps(gold_data(), indent=2), encoding="utf-8")
    return tmp_path
