"""Cost estimates from the price table in extract/data/prices.json (data, not code).

Light on purpose: the run summary imports it whatever the backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Protocol


class TokenCounts(Protocol):
    """schemas.Usage or any other tally of prompt and completion tokens."""

    @property
    def prompt_tokens(self) -> int: ...

    @property
    def completion_tokens(self) -> int: ...


@dataclass(frozen=True)
class Price:
    input: float  # per `per_tokens` prompt tokens
    output: float  # per `per_tokens` completion tokens
    batch_input: float | None = None  # the same through the Batch API
    batch_output: float | None = None


@dataclass(frozen=True)
class PriceTable:
    currency: str
    per_tokens: int
    models: dict[str, Price]

    def find(self, model: str) -> Price | None:
        """The model's price: exact name, else the longest listed name it starts with."""
        if model in self.models:
            return self.models[model]
        prefixes = [name for name in self.models if model.startswith(name + "-")]
        return self.models[max(prefixes, key=len)] if prefixes else None


def _maybe(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def price_table() -> PriceTable:
    data = json.loads(resources.files("extract.data").joinpath("prices.json").read_text(encoding="utf-8"))
    models = {name: Price(float(p["input"]), float(p["output"]), _maybe(p.get("batch_input")), _maybe(p.get("batch_output")))
              for name, p in data["models"].items()}
    return PriceTable(currency=data["currency"], per_tokens=int(data["per_tokens"]), models=models)


def estimate_cost(model: str | None, usage: TokenCounts, table: PriceTable | None = None,
                  batch: bool = False) -> float | None:
    """Estimated cost of `usage` in the table's currency (Batch API prices with `batch`); None when not listed."""
    table = table or price_table()
    price = table.find(model) if model else None
    if price is None:
        return None
    rates = (price.batch_input, price.batch_output) if batch else (price.input, price.output)
    if rates[0] is None or rates[1] is None:
        return None
    return (usage.prompt_tokens * rates[0] + usage.completion_tokens * rates[1]) / table.per_tokens


def cost_note(model: str | None, usage: TokenCounts, batch: bool = False) -> str:
    """', estimated cost 0.0123 USD' for the run summary, or '' when there is no estimate."""
    cost = estimate_cost(model, usage, batch=batch)
    if cost is None:
        return ""
    return f", estimated cost {cost:.4f} {price_table().currency} ({model}{', batch price' if batch else ''})"
