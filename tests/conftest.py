"""Shared fixtures: the seed articles."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def seed_paths() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """Seed id -> text, decoded as the tool decodes it."""
    return {p.stem: p.read_bytes().decode("utf-8-sig") for p in seed_paths()}


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS
