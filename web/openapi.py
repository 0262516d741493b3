"""The OpenAPI 3 document of the JSON API (kept true by tests/test_openapi.py)."""

from __future__ import annotations

from search.query import MAX_PER_PAGE, MAX_QUERY_CHARS, MAX_SOURCES, MODES, SORTS


def _param(name: str, schema: dict, description: str, explode: bool = False) -> dict:
    """One query parameter."""
    param = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    if explode:
        param.update(style="form", explode=True)
    return param


_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_BUCKET = {
    "type": "object",
    "required": ["value", "count", "selected"],
    "properties": {
        "value": {"type": "string"},
        "count": {"type": "integer", "minimum": 0},
        "selected": {"type": "boolean"},
        "toggle_url": {"type": "string"},
        "bar": {"type": "integer"},
    },
}
_HIT = {
    "type": "object",
    "required": ["id", "article_id", "title", "source", "date", "paragraph", "text", "snippet", "score"],
    "properties": {
        "id": {"type": "string"},
        "article_id": {"type": "string"},
        "title": {"type": "string"},
        "source": {"type": "string"},
        "date": _NULLABLE_STRING,
        "paragraph": {"type": "integer", "minimum": 1},
        "url": _NULLABLE_STRING,
        "text": {"type": "string"},
        "snippet": {"type": "string", "description": "HTML: escaped text, matched words in <mark>"},
        "score": {"type": "number", "nullable": True},
    },
}
_SEARCH = {
    "type": "object",
    "required": [
        "query", "total", "page", "per_page", "pages", "took_ms", "relaxed", "suggestion", "results", "facets"
    ],
    "properties": {
        "query": {"type": "object"},
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "pages": {"type": "integer", "minimum": 0},
        "took_ms": {"type": "number"},
        "relaxed": {"type": "boolean", "description": "true when no paragraph had all words and any-word was used"},
        "suggestion": _NULLABLE_STRING,
        "generation": {"type": "string"},
        "partial": {"type": "boolean"},
        "cached": {"type": "boolean"},
        "results": {"type": "array", "items": _HIT},
        "facets": {
            "type": "object",
            "required": ["source", "date"],
            "properties": {
                "source": {"type": "array", "items": _BUCKET},
                "date": {"type": "array", "items": _BUCKET},
            },
        },
        "links": {"type": "object"},
    },
}
_ARTICLE = {
    "type": "object",
    "required": ["id", "title", "source", "date", "paragraphs"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "source": {"type": "string"},
        "date": _NULLABLE_STRING,
        "url": _NULLABLE_STRING,
        "paragraphs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "paragraph", "text"],
                "properties": {
                    "id": {"type": "string"},
                    "paragraph": {"type": "integer"},
                    "text": {"type": "string"},
                },
            },
        },
    },
}
_TOKEN = {
    "type": "object",
    "required": ["original", "normalized", "stem", "stopword", "start", "end"],
    "properties": {
        "original": {"type": "string"},
        "normalized": {"type": "string"},
        "stem": _NULLABLE_STRING,
        "stopword": {"type": "boolean"},
        "start": {"type": "integer"},
        "end": {"type": "integer"},
    },
}
_HEALTH = {
    "type": "object",
    "required": ["status", "generation", "paragraphs"],
    "properties": {
        "status": {"type": "string"},
        "generation": {"type": "string"},
        "built_at": _NULLABLE_STRING,
        "paragraphs": {"type": "integer"},
        "articles": {"type": "integer", "nullable": True},
        "sources": {"type": "integer"},
    },
}


def _json(schema: dict, description: str) -> dict:
    """A JSON response object."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ERROR, "invalid parameter"),
    "503": _json(_ERROR, "no index is available yet"),
}


def openapi_document(server: str = "") -> dict:
    """Return the OpenAPI 3.0 document of the JSON API."""
    search_params = [
        _param("q", {"type": "string", "maxLength": MAX_QUERY_CHARS},
               'words (all required); "a phrase"; -word; -"phrase"; a OR b; prefix*'),
        _param("source", {"type": "array", "items": {"type": "string"}, "maxItems": MAX_SOURCES},
               "keep these sources (repeatable, OR-ed)", explode=True),
        _param("date_from", _DATE, "first day, inclusive"),
        _param("date_to", _DATE, "last day, inclusive"),
        _param("sort", {"type": "string", "enum": list(SORTS)}, "default: relevance with words, newest without"),
        _param("mode", {"type": "string", "enum": list(MODES)}, "all words (default) or any word"),
        _param("exact", {"type": "string", "enum": ["0", "1"]}, "1: no stemming"),
        _param("page", {"type": "integer", "minimum": 1}, "page number; page x per_page <= 10000"),
        _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "results per page"),
    ]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Fahras Arabic search API", "version": "1.0.0",
                 "description": "Full-text search over Arabic news paragraphs."},
        "servers": [{"url": server or "/"}],
        "paths": {
            "/api/search": {"get": {"operationId": "search", "summary": "Search paragraphs",
                                    "parameters": search_params,
                                    "responses": {"200": _json(_SEARCH, "one page of results"), **_ERRORS}}},
            "/api/articles/{article_id}": {"get": {
                "operationId": "article", "summary": "An article with all its paragraphs",
                "parameters": [{"name": "article_id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,120}$"}}],
                "responses": {"200": _json(_ARTICLE, "the article"), "404": _json(_ERROR, "no such article"),
                              **_ERRORS}}},
            "/api/analyze": {"get": {
                "operationId": "analyze", "summary": "The analyzer's tokens for a text",
                "parameters": [_param("text", {"type": "string", "maxLength": 5000}, "text to analyze")],
                "responses": {"200": _json({"type": "object", "required": ["text", "tokens"], "properties": {
                    "text": {"type": "string"}, "tokens": {"type": "array", "items": _TOKEN}}}, "tokens"),
                    "400": _ERRORS["400"]}}},
            "/healthz": {"get": {"operationId": "health", "summary": "Live index generation",
                                 "responses": {"200": _json(_HEALTH, "serving"), "503": _ERRORS["503"]}}},
        },
    }
