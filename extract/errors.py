"""One root exception type. Every message says what to do about the problem."""

from __future__ import annotations


class FactsheetError(Exception):
    """Root of every error this project raises on purpose."""


class ArticleError(FactsheetError):
    """An article cannot be read or processed; the run goes on with the others."""


class ConfigError(FactsheetError):
    """The configuration is incomplete or contradictory."""


class BackendError(FactsheetError):
    """A backend could not produce a fact sheet for an article."""


class EndpointUnavailable(BackendError):
    """The LLM endpoint cannot serve any article (down, unknown host, key refused, no such model).

    Not a problem of the article: the pipeline stops starting new articles, leaves the
    unattempted ones pending and ends the run with this message.
    """


class StoreError(FactsheetError):
    """The run store cannot be opened, is locked, or is damaged."""
