"""One-line descriptions of facts, for tables, diffs and reports."""

from __future__ import annotations

from schemas import InfrastructureProject, Metric, PolicyStatement

Fact = Metric | InfrastructureProject | PolicyStatement


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) and abs(value) >= 1000 else f"{value:g}"


def describe(fact_type: str, fact: Fact) -> str:
    """A short human line: `7.2 % growth (2020, Fujian): trade ...`, `Xiamen Port [port, operational]`."""
    if isinstance(fact, Metric):
        where = ", ".join(x for x in (fact.period, fact.location) if x)
        comparator = "" if fact.comparator.value == "eq" else f"{fact.comparator.value} "
        status = "" if fact.status.value == "actual" else f", {fact.status.value}"
        where = where or "no period/place"
        return f"{comparator}{_number(fact.value)} {fact.unit} {fact.kind.value}{status} ({where}): {fact.subject}"
    if isinstance(fact, InfrastructureProject):
        return f"{fact.name} [{fact.kind.value}, {fact.status.value}]"
    return f"{fact.actor} [{fact.kind.value}]: {fact.summary}"
