"""The OpenAPI 3 document of the JSON API (kept true by tests/test_openapi.py)."""

from __future__ import annotations

from search import EXPORT_FIELDS, MAX_EXPORT
from search.query.complete import DEFAULT_COMPLETIONS, MAX_COMPLETION_CHARS, MAX_COMPLETIONS
from search.query.request import GROUPS, MAX_PER_PAGE, MAX_QUERY_CHARS, MAX_SOURCES, MODES, SORTS
from web.export import FORMATS

#: Limits of the routes in web/views.py, which imports them from here.
ARTICLE_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,120}$"
MAX_ANALYZE_CHARS = 5000


def _param(name: str, schema: dict, description: str, explode: bool = False) -> dict:
    """One query parameter."""
    param = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    if explode:
        param.update(style="form", explode=True)
    else:
        param["allowEmptyValue"] = True  # an empty field (as an HTML form sends it) means "not given"
    return param


_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "stable, e.g. invalid_parameter, index_unavailable"},
                "message": {"type": "string", "description": "for people"},
            },
        }
    },
}
_BUCKET = {
    "type": "object",
    "required": ["value", "count", "selected", "toggle_url"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "string", "description": "a source name, or a month as YYYY-MM"},
        "count": {"type": "integer", "minimum": 0, "description": "matches under the query and the OTHER filters"},
        "selected": {"type": "boolean"},
        "toggle_url": {"type": "string", "description": "this search with the bucket toggled"},
        "bar": {"type": "integer", "minimum": 0, "maximum": 10, "description": "months: bar height 0-10"},
    },
}
_HIT = {
    "type": "object",
    "required": ["id", "article_id", "title", "source", "date", "paragraph", "text", "snippet", "score"],
    "additionalProperties": False,
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
        "score": {"type": "number", "nullable": True, "description": "BM25F; null when sorted by date"},
        "article_link": {"type": "string",
                         "description": "the article page with this search's paragraphs marked, at this one"},
        "matches": {"type": "integer", "minimum": 1,
                    "description": "group=article: how many of the article's paragraphs match (this is its best)"},
    },
}
_QUERY = {
    "type": "object",
    "description": "the parameters as understood",
    "required": ["q", "source", "date_from", "date_to", "sort", "mode", "exact", "group", "page", "per_page"],
    "additionalProperties": False,
    "properties": {
        "q": {"type": "string"},
        "source": {"type": "array", "items": {"type": "string"}},
        "date_from": {**_DATE, "nullable": True},
        "date_to": {**_DATE, "nullable": True},
        "sort": {"type": "string", "enum": list(SORTS), "description": "the sort in force"},
        "mode": {"type": "string", "enum": list(MODES)},
        "exact": {"type": "boolean"},
        "group": {"type": "string", "enum": list(GROUPS)},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    },
}
_URL = {"type": "string", "nullable": True}
_LINKS = {
    "type": "object",
    "required": ["html", "json", "prev", "next", "suggestion", "csv", "jsonl"],
    "additionalProperties": False,
    "properties": {
        "html": {"type": "string", "description": "the search page showing these results"},
        "json": {"type": "string", "description": "this answer"},
        "prev": _URL,
        "next": _URL,
        "suggestion": {**_URL, "description": "the search for the suggested query"},
        "csv": {"type": "string", "description": "every hit of this search (up to 10,000) as a CSV download"},
        "jsonl": {"type": "string", "description": "every hit of this search (up to 10,000) as JSON lines"},
    },
}
_EXPORTED = ", ".join(EXPORT_FIELDS)
_EXPORT_HEADERS = {
    "Content-Disposition": {"schema": {"type": "string"}, "required": False,
                            "description": "downloads: attachment; filename=\"fahras-results.csv\" (or .jsonl)"},
    "X-Total-Count": {"schema": {"type": "integer", "minimum": 0}, "required": False,
                      "description": "downloads: paragraphs matching; the first `limit` of them are sent"},
    "X-Partial": {"schema": {"type": "string", "enum": ["true"]}, "required": False,
                  "description": "present when the ranking ran out of time: rows may be missing or out of order"},
}
_SEARCH = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "query", "total", "unit", "page", "per_page", "pages", "took_ms", "relaxed", "suggestion", "results", "facets"
    ],
    "properties": {
        "query": _QUERY,
        "total": {"type": "integer", "minimum": 0},
        "unit": {"type": "string", "enum": list(GROUPS),
                 "description": "what total, pages and facet counts count: paragraphs, or articles (group=article)"},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "pages": {"type": "integer", "minimum": 0},
        "took_ms": {"type": "number"},
        "relaxed": {"type": "boolean", "description": "true when no paragraph had all words and any-word was used"},
        "suggestion": _NULLABLE_STRING,
        "generation": {"type": "string", "description": "the index generation that answered"},
        "partial": {"type": "boolean", "description": "true when counting stopped early (very large answers) or a "
                                                     "shard of the cluster did not answer"},
        "missing_shards": {"type": "array", "items": {"type": "string"},
                           "description": "the cluster's shards that did not answer (counts and results lack theirs)"},
        "cached": {"type": "boolean", "description": "true when this worker had the answer already"},
        "results": {"type": "array", "items": _HIT},
        "facets": {
            "type": "object",
            "required": ["source", "date"],
            "additionalProperties": False,
            "properties": {
                "source": {"type": "array", "items": _BUCKET},
                "date": {"type": "array", "items": _BUCKET},
            },
        },
        "links": _LINKS,
    },
}
_ARTICLE = {
    "type": "object",
    "required": ["id", "title", "source", "date", "url", "paragraphs"],
    "additionalProperties": False,
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
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "paragraph": {"type": "integer"},
                    "text": {"type": "string"},
                    "matched": {"type": "boolean", "description": "with q: the paragraph matches the search"},
                    "marked": {"type": "string", "description": "with q, where matched: HTML text, words in <mark>"},
                },
            },
        },
    },
}
_TOKEN = {
    "type": "object",
    "required": ["original", "normalized", "stem", "stopword", "start", "end"],
    "additionalProperties": False,
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
    "required": ["status", "backend", "generation", "built_at", "paragraphs", "articles", "sources", "semantic"],
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"],
                   "description": "degraded: a member of the cluster does not answer"},
        "backend": {"type": "string", "enum": ["whoosh", "sphinx"]},
        "slot": {"type": "string", "description": "the cluster's generation slot that serves"},
        "cluster": {
            "type": "array",
            "description": "each member of the cluster (the head, then the shards) and whether it answers",
            "items": {
                "type": "object", "required": ["name", "address", "up"], "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "address": {"type": "string"}, "up": {"type": "boolean"}},
            },
        },
        "generation": {"type": "string"},
        "built_at": _NULLABLE_STRING,
        "paragraphs": {"type": "integer"},
        "articles": {"type": "integer", "nullable": True},
        "sources": {"type": "integer"},
        "semantic": {"type": "boolean", "description": "questions (any-word mode) are re-ranked by meaning too"},
    },
}


_ANALYSIS = {
    "type": "object",
    "required": ["text", "tokens"],
    "additionalProperties": False,
    "properties": {"text": {"type": "string"}, "tokens": {"type": "array", "items": _TOKEN}},
}
_COMPLETIONS = {
    "type": "object",
    "required": ["q", "completions"],
    "additionalProperties": False,
    "properties": {
        "q": {"type": "string", "description": "what was typed, as sent"},
        "completions": {
            "type": "array",
            "maxItems": MAX_COMPLETIONS,
            "description": "most paragraphs first",
            "items": {
                "type": "object",
                "required": ["text", "count", "kind"],
                "additionalProperties": False,
                "properties": {
                    "text": {"type": "string", "description": "the completed text to search, as printed"},
                    "count": {"type": "integer", "minimum": 1,
                              "description": "paragraphs holding the completed word or phrase"},
                    "kind": {"type": "string", "enum": ["word", "phrase"]},
                },
            },
        },
    },
}
_OPENAPI = {"type": "object", "required": ["openapi", "info", "paths"], "properties": {"openapi": {"type": "string"}}}


def _json(schema: dict, description: str) -> dict:
    """A JSON response object."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _search_answer() -> dict:
    """The 200 answer of /api/search: a page of JSON, or a CSV or JSON-lines download."""
    answer = _json(_SEARCH, "one page of results (format=json), or every hit up to `limit` as a download")
    answer["content"].update({
        "text/csv": {"schema": {"type": "string", "description": (
            f"UTF-8 with a byte order mark; a header row ({_EXPORTED}), then one row a hit in the search's "
            "order; a cell starting with = + - @ is prefixed with ' so that no spreadsheet runs it")}},
        "application/x-ndjson": {"schema": {"type": "string", "description": (
            f"one JSON object a line ({_EXPORTED}; date and url may be null), in the search's order")}},
    })
    answer["headers"] = _EXPORT_HEADERS  # sent with the downloads only
    return answer


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
        _param("exact", {"type": "string", "enum": ["0", "1", "true", "false"]}, "1 (or true): no stemming"),
        _param("group", {"type": "string", "enum": list(GROUPS)},
               "paragraph (default): one result per paragraph; article: each article once, by its best paragraph, "
               "with total, pages and facet counts in articles"),
        _param("page", {"type": "integer", "minimum": 1}, "page number; page x per_page <= 10000"),
        _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "results per page"),
        _param("format", {"type": "string", "enum": list(FORMATS)},
               "json (default): one page; csv or jsonl: every hit up to `limit`, streamed as a download "
               "(page and per_page unused)"),
        _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_EXPORT},
               f"csv and jsonl: the most rows sent (default {MAX_EXPORT})"),
    ]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Fahras Arabic search API", "version": "1.0.0",
                 "description": "Full-text search over Arabic news paragraphs."},
        "servers": [{"url": server or "/"}],
        "paths": {
            "/api/search": {"get": {"operationId": "search", "summary": "Search paragraphs",
                                    "parameters": search_params,
                                    "responses": {"200": _search_answer(), **_ERRORS}}},
            "/api/articles/{article_id}": {"get": {
                "operationId": "article", "summary": "An article with all its paragraphs",
                "parameters": [{"name": "article_id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": ARTICLE_ID_PATTERN}},
                               *[p for p in search_params if p["name"] in ("q", "mode", "exact")]],
                "responses": {"200": _json(_ARTICLE, "the article"), "404": _json(_ERROR, "no such article"),
                              **_ERRORS}}},
            "/api/analyze": {"get": {
                "operationId": "analyze", "summary": "The analyzer's tokens for a text",
                "parameters": [_param("text", {"type": "string", "maxLength": MAX_ANALYZE_CHARS}, "text to analyze")],
                "responses": {"200": _json(_ANALYSIS, "tokens"), "400": _ERRORS["400"]}}},
            "/api/suggest": {"get": {
                "operationId": "suggest", "summary": "Completions of what is typed (search-as-you-type)",
                "parameters": [
                    {"name": "q", "in": "query", "required": True,
                     "schema": {"type": "string", "minLength": 1, "maxLength": MAX_COMPLETION_CHARS},
                     "description": "the text typed so far; 2 letters or more complete to the index's printed "
                                    "words and frequent phrases (typed without hamza, diacritics or article, "
                                    "ة as ه, ى as ي, with و or ال in front)"},
                    _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_COMPLETIONS},
                           f"completions to return (default {DEFAULT_COMPLETIONS})"),
                ],
                "responses": {"200": _json(_COMPLETIONS, "the completions"), **_ERRORS}}},
            "/healthz": {"get": {"operationId": "health", "summary": "Live index generation",
                                 "responses": {"200": _json(_HEALTH, "serving"), "503": _ERRORS["503"]}}},
            "/api/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                          "responses": {"200": _json(_OPENAPI, "the OpenAPI 3.0 document")}}},
        },
    }
