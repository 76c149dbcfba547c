"""The fact-sheet data contract (SPEC.md): field names and enum values are normative.

Validator messages are written for whoever must fix the data, a person or an LLM
being re-asked: each says what is wrong and what to write instead.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = "1.0"

# [0-9], not \d: \d also matches other scripts' digits, which are not ISO.
_PERIOD_POINT = r"[0-9]{4}(?:-(?:0[1-9]|1[0-2]))?"
PERIOD_RE = re.compile(rf"^(?P<a>{_PERIOD_POINT})(?:/(?P<b>{_PERIOD_POINT}))?$")
# The same without named groups, for JSON Schema (ECMA-262 regex) readers.
PERIOD_PATTERN = rf"^{_PERIOD_POINT}(?:/{_PERIOD_POINT})?$"
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# Units that are neither money nor plural nouns but are the conventional symbol.
SYMBOL_UNITS = frozenset({"%", "pp", "TEU", "km", "km/h", "m", "m2", "km2", "kg", "tonnes", "kWh", "MW", "GW"})
NOUN_UNIT_RE = re.compile(r"^[a-z][a-z0-9 \-]*[a-z0-9]$")
# Words that look like plural nouns but have a SPEC spelling; the message names it.
NON_CANONICAL_UNITS = {
    **dict.fromkeys(("yuan", "rmb", "renminbi", "cny", "billion yuan", "yuan rmb"), "CNY"),
    **dict.fromkeys(("dollars", "dollar", "us dollars", "usd"), "USD"),
    **dict.fromkeys(("euros", "euro", "eur"), "EUR"),
    **dict.fromkeys(("percent", "per cent", "percentage", "pct"), "%"),
    **dict.fromkeys(("percentage points", "percentage point"), "pp"),
    **dict.fromkeys(("teu", "teus", "standard containers"), "TEU"),
    **dict.fromkeys(("tons", "ton", "tonne", "metric tons"), "tonnes"),
    **dict.fromkeys(("kilometers", "kilometres", "kilometer", "kilometre"), "km"),
}


class MetricKind(StrEnum):
    amount = "amount"
    count = "count"
    growth = "growth"
    share = "share"


class Comparator(StrEnum):
    eq = "eq"
    approx = "approx"
    gt = "gt"
    lt = "lt"


class MetricStatus(StrEnum):
    actual = "actual"
    target = "target"
    forecast = "forecast"


class ProjectKind(StrEnum):
    rail_freight_service = "rail_freight_service"
    railway = "railway"
    high_speed_railway = "high_speed_railway"
    port = "port"
    land_port = "land_port"
    airport = "airport"
    shipping_route = "shipping_route"
    air_route = "air_route"
    logistics_hub = "logistics_hub"
    industrial_park = "industrial_park"
    trade_zone = "trade_zone"
    economic_corridor = "economic_corridor"
    energy = "energy"
    digital = "digital"
    other = "other"


class ProjectStatus(StrEnum):
    proposed = "proposed"
    planned = "planned"
    under_construction = "under_construction"
    operational = "operational"
    unknown = "unknown"


class StatementKind(StrEnum):
    plan = "plan"
    target = "target"
    proposal = "proposal"
    directive = "directive"
    assessment = "assessment"


def _clean(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("this text is empty: write what it stands for, or leave the fact out")
    return cleaned


def _clean_optional(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _clean_list(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        cleaned = " ".join(value.split())
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen


def _period_key(point: str, *, last: bool) -> tuple[int, int]:
    year, _, month = point.partition("-")
    return int(year), int(month) if month else (12 if last else 1)


def check_period(value: str | None) -> str | None:
    """Validate a SPEC period: YYYY, YYYY-MM, or an interval START/END of those."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    match = PERIOD_RE.match(value)
    if not match:
        raise ValueError(
            f"period {value!r} is not in SPEC form: write a year '2020', a month '2020-01', "
            "or an interval of those such as '2022-01/2022-03' (a first quarter) or "
            "'2013/2023' (cumulative since 2013); write null when the article does not say"
        )
    start, end = match.group("a"), match.group("b")
    if end is not None and _period_key(end, last=True) < _period_key(start, last=False):
        raise ValueError(f"period {value!r} ends before it starts: write the earlier point first")
    return value


def check_unit(value: str) -> str:
    """Validate a SPEC unit: ISO 4217 code, %, pp, a conventional symbol, or a plural noun."""
    value = value.strip()
    if value.casefold() in NON_CANONICAL_UNITS and value != NON_CANONICAL_UNITS[value.casefold()]:
        raise ValueError(f"unit {value!r} is not canonical: write {NON_CANONICAL_UNITS[value.casefold()]!r}")
    if value in SYMBOL_UNITS or CURRENCY_RE.match(value) or NOUN_UNIT_RE.match(value):
        return value
    raise ValueError(
        f"unit {value!r} is not canonical: use an ISO 4217 code for money (CNY for yuan or RMB, "
        "USD for US dollars, EUR for euros), '%' for percentages, 'pp' for percentage points, "
        "'TEU', 'tonnes' or 'km' for volumes and distances, or else the counted thing as a "
        "plural lowercase noun such as 'trains', 'routes' or 'countries'"
    )


Text = Annotated[str, AfterValidator(_clean)]
OptionalText = Annotated[str | None, AfterValidator(_clean_optional)]
TextList = Annotated[list[str], AfterValidator(_clean_list)]


class FactModel(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True)


class Evidence(FactModel):
    """A verbatim span of the article: text[start:end] == quote."""

    quote: str = Field(description="Verbatim span of the article, at most about two sentences.")
    start: int = Field(ge=0, description="Character offset of the quote's first character.")
    end: int = Field(ge=0, description="Character offset just past the quote's last character.")

    @field_validator("quote")
    @classmethod
    def _quote_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("evidence quote is empty: copy the sentence the fact comes from, word for word")
        return value

    @model_validator(mode="after")
    def _offsets_match_quote(self) -> Evidence:
        if self.end - self.start != len(self.quote):
            raise ValueError(
                f"evidence offsets {self.start}:{self.end} span {self.end - self.start} characters "
                f"but the quote has {len(self.quote)}: offsets must satisfy text[start:end] == quote"
            )
        return self


def _evidence_not_empty(value: list[Evidence]) -> list[Evidence]:
    if not value:
        raise ValueError("evidence is empty: quote, word for word, the sentence of the article that states this fact")
    return value


# minItems only in the JSON Schema: in Python the validator gives the actionable message.
EvidenceList = Annotated[
    list[Evidence],
    AfterValidator(_evidence_not_empty),
    Field(description="Where the fact stands in the article; at least one span.", json_schema_extra={"minItems": 1}),
]


class _Fact(FactModel):
    """A fact. Each kind declares `evidence: EvidenceList` as its last field (not here, so
    that the evidence reads last in the JSON)."""

    if TYPE_CHECKING:
        evidence: list[Evidence]


class Metric(_Fact):
    """A quantitative fact stated in the article."""

    subject: Text = Field(description="What is measured, in plain English.")
    value: float = Field(description="The number in base units: 100 billion yuan is 1e11, 7.2% is 7.2, a fall is negative.")
    unit: str = Field(description="ISO 4217 code for money, '%', 'pp', or the counted thing as a plural noun.")
    kind: MetricKind
    comparator: Comparator = Comparator.eq
    status: MetricStatus = MetricStatus.actual
    period: str | None = Field(default=None, description="YYYY, YYYY-MM, or START/END of those; null if unknown.",
                               json_schema_extra={"pattern": PERIOD_PATTERN})
    location: OptionalText = Field(default=None, description="Canonical place name the figure is about.")
    evidence: EvidenceList


    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"value {value} is not a finite number: write the figure as a plain number in base units")
        return value

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        return check_unit(value)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        return check_period(value)

    @model_validator(mode="after")
    def _kind_fits_unit(self) -> Metric:
        money = bool(CURRENCY_RE.match(self.unit)) and self.unit not in SYMBOL_UNITS  # TEU is not money
        if self.unit == "pp" and self.kind is not MetricKind.growth:
            raise ValueError("unit 'pp' (percentage points) is a change: set kind to 'growth'")
        if self.kind is MetricKind.share and self.unit != "%":
            raise ValueError(f"kind 'share' is a part of a whole and needs unit '%', not {self.unit!r}")
        if money and self.kind not in (MetricKind.amount, MetricKind.growth):
            raise ValueError(f"unit {self.unit!r} is money: set kind to 'amount'")
        if self.kind in (MetricKind.count, MetricKind.amount) and self.unit in ("%", "pp"):
            raise ValueError(f"kind {self.kind.value!r} is not a percentage: use kind 'growth' for a change rate "
                             "or 'share' for a part of a whole with unit '%'")
        if self.kind is MetricKind.count and (money or self.unit in SYMBOL_UNITS):
            raise ValueError(f"unit {self.unit!r} measures an amount, not discrete things: set kind to 'amount'")
        return self


class InfrastructureProject(_Fact):
    """A physical or service project, route, hub or zone."""

    name: Text = Field(description="As the article names it, cleaned of translation noise.")
    kind: ProjectKind
    status: ProjectStatus = ProjectStatus.unknown
    locations: TextList = Field(default_factory=list, description="Canonical names of places it is in or connects.")
    partners: TextList = Field(default_factory=list, description="Organisations or countries taking part.")
    initiatives: TextList = Field(default_factory=list, description="Canonical initiative names it belongs to.")
    timeline: OptionalText = Field(default=None, description="Dates or milestones stated, else null.")
    evidence: EvidenceList



class PolicyStatement(_Fact):
    """A plan, target, proposal or position stated by an actor."""

    actor: Text = Field(description="The person or body that states it.")
    actor_role: OptionalText = Field(default=None, description="The actor's office, e.g. 'Governor of Fujian Province'.")
    jurisdiction: OptionalText = Field(default=None, description="Canonical name of the government the policy belongs to.")
    kind: StatementKind
    summary: Text = Field(description="One plain English sentence, translation noise removed.")
    initiatives: TextList = Field(default_factory=list, description="Canonical initiative names it refers to.")
    venue: OptionalText = Field(default=None, description="Where it was said, e.g. 'government work report'.")
    evidence: EvidenceList



class ArticleMeta(FactModel):
    id: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: date | None = None
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the article's UTF-8 text, lowercase hex.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not value or "/" in value or "\\" in value or value.startswith("."):
            raise ValueError(f"article id {value!r} must be a file name without folders or a leading dot")
        return value


class Usage(FactModel):
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Provenance(BaseModel):
    """How a sheet was made. Backends may add fields of their own (extra keys are kept)."""

    model_config = ConfigDict(extra="allow")

    backend: str
    model: str | None = None
    prompt_version: str | None = None
    schema_version: str = SCHEMA_VERSION
    aliases_version: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    usage: Usage = Field(default_factory=Usage)
    dropped_facts: int = Field(default=0, description="Facts rejected by validation or grounding, never emitted.")


class FactSheet(FactModel):
    article: ArticleMeta
    policy_statements: list[PolicyStatement] = Field(default_factory=list)
    infrastructure_projects: list[InfrastructureProject] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    provenance: Provenance

    def facts(self) -> list[tuple[str, Any]]:
        """Every fact with its list name, in a stable order."""
        return (
            [("metrics", f) for f in self.metrics]
            + [("infrastructure_projects", f) for f in self.infrastructure_projects]
            + [("policy_statements", f) for f in self.policy_statements]
        )


FACT_TYPES: dict[str, type[_Fact]] = {
    "metrics": Metric,
    "infrastructure_projects": InfrastructureProject,
    "policy_statements": PolicyStatement,
}
