"""Canonical names: one spelling for each initiative, place, partner and unit.

The alias tables are data files in extract/data; this module only applies them. Every
backend's output goes through `Canonicaliser.sheet` before it is written.
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from schemas import Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement

M = TypeVar("M", bound=BaseModel)
_TABLES = ("initiatives", "provinces", "cities", "partners", "regions", "demonyms")
_QUOTES = re.compile(r"[\"'\u2018\u2019\u201c\u201d\u300c\u300d]")
_DASH_SPACE = re.compile(r"[\s\-\u2010-\u2015]+")


@lru_cache(maxsize=16384)
def name_key(name: str) -> str:
    """Match key: case, quotes, hyphen-versus-space and white space do not matter."""
    name = _QUOTES.sub("", name)
    name = _DASH_SPACE.sub(" ", name).strip(" .,;:()")
    name = re.sub(r"^the ", "", name, flags=re.IGNORECASE)
    return name.casefold()


# Facts that came out of a full validation of their type: id -> (the instance, its content at that moment).
_VALIDATED: dict[int, tuple[weakref.ref[BaseModel], tuple[Any, ...]]] = {}


def _content(fact: BaseModel) -> tuple[Any, ...]:
    """A fact's field values, lists (and the evidence in them) as tuples: equal while the fact is unchanged.
    Cheaper than its JSON; a change that compares equal (0.0 to -0.0) changes nothing a rule of schemas/ reads."""
    return tuple(tuple((item.quote, item.start, item.end) if isinstance(item, Evidence) else item for item in value)
                 if type(value) is list else value for value in fact.__dict__.values())


def validated(model: type[M], data: Any) -> M:
    """`model.model_validate(data)`, remembered as valid: `Canonicaliser.sheet` need not validate it again while
    its content is what was validated (`model_copy` makes new instances, which are not remembered)."""
    fact = model.model_validate(data)
    key = id(fact)

    def forget(ref: weakref.ref[BaseModel]) -> None:
        if _VALIDATED.get(key, (None,))[0] is ref:
            del _VALIDATED[key]

    _VALIDATED[key] = (weakref.ref(fact, forget), _content(fact))
    return fact


def known_valid(fact: BaseModel) -> bool:
    """Whether `fact` is an instance `validated` returned, with the same content as when it was validated."""
    entry = _VALIDATED.get(id(fact))
    return entry is not None and entry[0]() is fact and entry[1] == _content(fact)


@dataclass
class AliasTable:
    """One alias table: key -> canonical name, plus suffixes that a name may carry."""

    name: str
    version: str
    lookup: dict[str, str] = field(default_factory=dict)
    suffixes: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> AliasTable:
        table = cls(name=name, version=str(data.get("version", "0")))
        table.suffixes = tuple(sorted(data.get("strip_suffixes", []), key=len, reverse=True))
        for canonical, aliases in data["names"].items():
            for alias in [canonical, *aliases]:
                table.lookup.setdefault(name_key(alias), canonical)
        return table

    def find(self, name: str) -> str | None:
        key = name_key(name)
        if key in self.lookup:
            return self.lookup[key]
        for suffix in self.suffixes:
            suffix_key = " " + name_key(suffix)
            if key.endswith(suffix_key):
                stem = key[: -len(suffix_key)].strip()
                if stem in self.lookup:
                    return self.lookup[stem]
        return None

    def strip_suffix(self, name: str) -> str:
        for suffix in self.suffixes:
            if name.lower().endswith(" " + suffix.lower()) and len(name) > len(suffix) + 1:
                return name[: -len(suffix) - 1].strip()
        return name


def read_data(name: str) -> str:
    """A data file of extract/data as text."""
    return resources.files("extract.data").joinpath(name).read_text(encoding="utf-8")


class Canonicaliser:
    """Applies the alias tables and the unit table to names and whole fact sheets."""

    def __init__(self, tables: dict[str, dict[str, Any]], units: dict[str, Any]) -> None:
        self.initiatives = AliasTable.from_json("initiatives", tables["initiatives"])
        self.places = [AliasTable.from_json(n, tables[n]) for n in ("provinces", "cities", "partners")]
        self.units: dict[str, str] = {}
        for group in ("money", "volume", "count"):
            self.units.update({k.casefold(): v for k, v in units[group].items()})
        self.regions: dict[str, str] = dict(tables.get("regions", {}).get("in", {}))
        self.demonyms: dict[str, str] = dict(tables.get("demonyms", {}).get("in", {}))
        self.tables = tables  # the raw alias tables, for modules that search text for names
        blob = json.dumps([tables, units], sort_keys=True).encode()
        self.version = hashlib.sha256(blob).hexdigest()[:12]

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> Canonicaliser:
        tables = {n: json.loads(read_data(f"aliases/{n}.json")) for n in _TABLES}
        return cls(tables, json.loads(read_data("units.json")))

    def initiative(self, name: str) -> str:
        return self.initiatives.find(name) or " ".join(name.split())

    def place(self, name: str) -> str:
        for table in self.places:
            found = table.find(name)
            if found:
                return found
        cleaned = " ".join(name.split())
        for table in self.places:
            stripped = table.strip_suffix(cleaned)
            if stripped != cleaned:
                return stripped
        return cleaned

    def region_of(self, name: str) -> str | None:
        """The province (or, abroad, the country) a known city lies in, by canonical names; None if unknown."""
        return self.regions.get(self.place(name))

    def unit(self, unit: str) -> str:
        """SPEC unit for a unit word; already-canonical units come back unchanged."""
        stripped = unit.strip()
        return self.units.get(stripped.casefold(), stripped)

    def _places(self, names: list[str]) -> list[str]:
        return list(dict.fromkeys(self.place(n) for n in names if n.strip()))

    def _initiatives(self, names: list[str]) -> list[str]:
        return list(dict.fromkeys(self.initiative(n) for n in names if n.strip()))

    def _metric(self, metric: Metric) -> dict[str, Any]:
        """The metric's names and unit in canonical form, by field."""
        return {"unit": self.unit(metric.unit), "location": self.place(metric.location) if metric.location else None}

    def project_name(self, name: str) -> str:
        """A service of an initiative branded with a place takes the initiative's canonical
        name: "China-EU train (Xiamen)" -> "China-Europe Railway Express (Xiamen)"."""
        m = re.fullmatch(r"(?P<a>.*?)\s*\((?P<place>[^()]+)\)\s*(?P<b>.*)", name)
        if not m:
            return name
        base = " ".join(f"{m.group('a')} {m.group('b')}".split())
        initiative = self.initiatives.find(base)
        return f"{initiative} ({self.place(m.group('place'))})" if initiative else name

    def _project(self, project: InfrastructureProject) -> dict[str, Any]:
        return {"name": self.project_name(project.name), "locations": self._places(project.locations),
                "partners": self._places(project.partners), "initiatives": self._initiatives(project.initiatives)}

    def _statement(self, statement: PolicyStatement) -> dict[str, Any]:
        return {"jurisdiction": self.place(statement.jurisdiction) if statement.jurisdiction else None,
                "initiatives": self._initiatives(statement.initiatives)}

    def sheet(self, sheet: FactSheet) -> FactSheet:
        """The sheet with every name and unit in canonical form, re-validated."""
        # model_copy skips validation, so each canonical fact is validated again: a fact that
        # canonicalisation made invalid ("standard boxes" counted becomes TEU counted) is dropped
        # and counted, rather than failing the whole article. A fact canonicalisation left as it was is
        # validated again only if it did not come out of a full validation unchanged (`known_valid`).
        kept: dict[str, list[Any]] = {}
        dropped = 0
        for list_name, canonical in (("metrics", self._metric), ("infrastructure_projects", self._project),
                                     ("policy_statements", self._statement)):
            kept[list_name] = []
            for fact in getattr(sheet, list_name):
                update = canonical(fact)
                # Nothing changed since a full validation of this fact: kept as it is, not copied.
                if all(getattr(fact, name) == value for name, value in update.items()) and known_valid(fact):
                    kept[list_name].append(fact)
                    continue
                try:
                    kept[list_name].append(type(fact).model_validate(fact.model_copy(update=update).model_dump()))
                except ValidationError:
                    dropped += 1
        provenance = sheet.provenance.model_copy(update={"dropped_facts": sheet.provenance.dropped_facts + dropped})
        # Every fact was validated just above and FactSheet has no rule across its fields: no second validation.
        return sheet.model_copy(update={**kept, "provenance": provenance})
