"""Errors raised by the engine, each with a stable ``code`` the web layer renders as JSON."""

from __future__ import annotations


class SearchError(Exception):
    """Base of every error a user can cause; ``code`` is stable, the message is for people."""

    code = "search_error"
    status = 400

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class QueryError(SearchError):
    """A search parameter is invalid."""

    code = "invalid_parameter"


class CorpusError(SearchError):
    """The corpus to index cannot be read."""

    code = "corpus_error"


class IndexUnavailable(SearchError):
    """No usable index generation exists (yet)."""

    code = "index_unavailable"
    status = 503


class ReindexRunning(SearchError):
    """Another re-index holds the lock."""

    code = "reindex_running"
    status = 409


class NotFound(SearchError):
    """The requested article does not exist."""

    code = "not_found"
    status = 404
