"""The offline `rules` backend: deterministic, no network, no key."""

from __future__ import annotations

from extract.articles import Article
from extract.backends.base import Backend
from schemas import FactSheet, Provenance


class RulesBackend(Backend):
    name = "rules"

    async def extract(self, article: Article) -> FactSheet:
        return FactSheet(article=article.meta, provenance=Provenance(backend=self.name))
