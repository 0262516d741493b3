"""Routes: the search page, its JSON twin and its download (one request, three renderings), articles,
analyze, health and the OpenAPI document. Views call the ``search`` package's public API only."""

from __future__ import annotations

import calendar
import re

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from search import (
    IndexHolder,
    QueryError,
    SphinxHolder,
    analyze,
    complete,
    export,
    get_article,
    index_health,
    parse_completion,
    parse_limit,
    parse_request,
    search,
)
from web.export import export_response, parse_format
from web.openapi import ARTICLE_ID_PATTERN, MAX_ANALYZE_CHARS, openapi_document

bp = Blueprint("fahras", __name__)

ARTICLE_ID = re.compile(ARTICLE_ID_PATTERN)
BAR_STEPS = 10
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
STATE_PARAMS = ("q", "source", "date_from", "date_to", "sort", "mode", "exact", "group", "per_page")
#: The search parameters an article page marks its matching paragraphs by.
MARK_PARAMS = ("q", "mode", "exact")


@bp.after_app_request
def add_security_headers(response: Response) -> Response:
    """Send the standard security headers on every response."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _holder() -> IndexHolder | SphinxHolder:
    """Return the app's live index holder."""
    return current_app.extensions["fahras"]


def _state(args: MultiDict) -> dict[str, list[str]]:
    """Keep the parameters that make up a search's shareable state (empty ones dropped)."""
    return {k: [v for v in args.getlist(k) if v != ""] for k in STATE_PARAMS if any(args.getlist(k))}


def _url(endpoint: str, state: dict[str, list[str]], **changes: object) -> str:
    """Build a URL for ``endpoint`` from a state with some parameters changed (None removes)."""
    params = dict(state)
    for key, value in changes.items():
        if value is None or value == []:
            params.pop(key, None)
        else:
            params[key] = value if isinstance(value, list) else [str(value)]
    return url_for(endpoint, **params)


def _month_range(month: str) -> tuple[str, str]:
    """Return the first and last day of a YYYY-MM month."""
    year, mon = int(month[:4]), int(month[5:7])
    return f"{month}-01", f"{month}-{calendar.monthrange(year, mon)[1]:02d}"


def _decorate_facets(facets: dict[str, list[dict]], state: dict[str, list[str]], endpoint: str) -> None:
    """Add to each bucket the URL that toggles it (sources multi-select; a month sets the range)."""
    selected = state.get("source", [])
    for bucket in facets.get("source", []):
        value = bucket["value"]
        sources = [s for s in selected if s != value] if bucket["selected"] else [*selected, value]
        bucket["toggle_url"] = _url(endpoint, state, source=sources, page=None)
    peak = max((b["count"] for b in facets.get("date", [])), default=0)
    for bucket in facets.get("date", []):
        first, last = _month_range(bucket["value"])
        if bucket["selected"]:
            bucket["toggle_url"] = _url(endpoint, state, date_from=None, date_to=None, page=None)
        else:
            bucket["toggle_url"] = _url(endpoint, state, date_from=first, date_to=last, page=None)
        bucket["bar"] = max(1, round(BAR_STEPS * bucket["count"] / peak)) if peak else 0


def search_context(args: MultiDict, endpoint: str) -> dict[str, object]:
    """Run the search the parameters describe and return the result dict both renderings use.

    The page lists a keyword search one article at a time unless ``group`` says otherwise, as news search
    does; a question (any-word mode) and the JSON API list paragraphs by default.
    """
    values = args.to_dict(flat=False)
    if endpoint == "fahras.index" and not any(values.get("group", [])):
        keywords = any(q.strip() for q in values.get("q", [])) and "any" not in values.get("mode", [])
        values["group"] = ["article" if keywords else "paragraph"]
    search_request = parse_request(values)
    budget = float(current_app.config["SEARCH_BUDGET_MS"])
    result = search(_holder().get(), search_request, budget_ms=budget).to_dict()
    state = _state(args)
    _decorate_facets(result["facets"], state, endpoint)
    page, pages = result["page"], result["pages"]
    marks = {k: v for k, v in state.items() if k in MARK_PARAMS}
    for hit in result["results"]:  # the article, its matching paragraphs marked, scrolled to this one
        hit["article_link"] = url_for("fahras.article_page", article_id=hit["article_id"], **marks)
        hit["article_link"] += f"#p{hit['paragraph']}"
    result["links"] = {
        "html": _url("fahras.index", state, page=page if page > 1 else None),
        "json": _url("fahras.api_search", state, page=page if page > 1 else None),
        "prev": _url(endpoint, state, page=page - 1) if page > 1 else None,
        "next": _url(endpoint, state, page=page + 1) if page < pages else None,
        "csv": _url("fahras.api_search", state, format="csv", per_page=None),
        "jsonl": _url("fahras.api_search", state, format="jsonl", per_page=None),
        "suggestion": _url(endpoint, state, q=result["suggestion"], page=None) if result["suggestion"] else None,
    }
    return result


def export_context(args: MultiDict, fmt: str, limit: int) -> Response:
    """Stream the search the parameters describe, every hit up to ``limit``, in the pages' order."""
    search_request = parse_request(args.to_dict(flat=False))  # page and per_page are checked, then unused
    budget = float(current_app.config["EXPORT_BUDGET_MS"])
    return export_response(export(_holder().get(), search_request, limit, budget_ms=budget), fmt)


@bp.get("/")
def index() -> Response | str:
    """The search page: the form, and results when a query or a filter is given."""
    state = _state(request.args)
    if any(value == "" for _, value in request.args.items(multi=True)):
        # A form submitted without JavaScript sends its empty fields: answer from the clean, shareable URL.
        page = request.args.get("page") or None
        return redirect(_url("fahras.index", state, page=page), 303)
    if not state and "page" not in request.args:
        return render_template("search.html", result=None, state={}, health=_safe_health())
    result = search_context(request.args, "fahras.index")
    body = render_template("search.html", result=result, state=state, health=None)
    response = Response(body, mimetype="text/html")
    response.headers["Link"] = f'<{result["links"]["json"]}>; rel="alternate"; type="application/json"'
    return response


def _safe_health() -> dict | None:
    """Return index health for the empty page, or None when there is no index yet."""
    try:
        return index_health(_holder().get())
    except Exception:  # the empty form still renders; /healthz says what is wrong
        return None


@bp.get("/api/search")
def api_search() -> Response:
    """The JSON twin of the search page; with format=csv or jsonl, every hit up to ``limit`` as a download."""
    fmt, limit = parse_format(request.args), parse_limit(request.args)  # both checked whatever the format
    if fmt != "json":
        return export_context(request.args, fmt, limit)
    result = search_context(request.args, "fahras.api_search")
    response = jsonify(result)
    response.headers["Link"] = f'<{result["links"]["html"]}>; rel="alternate"; type="text/html"'
    return response


def _article(article_id: str) -> dict[str, object]:
    """Validate an article id and fetch the article, its paragraphs matching ``q`` (if given) marked."""
    if not ARTICLE_ID.fullmatch(article_id):
        raise QueryError("article ids are 1-120 letters, digits, '_', '.' or '-'", "invalid_article_id")
    marks = {k: v for k, v in request.args.to_dict(flat=False).items() if k in MARK_PARAMS}
    search_request = parse_request(marks) if any(marks.get("q", [])) else None
    return get_article(_holder().get(), article_id, search_request)


@bp.get("/articles/<path:article_id>")
def article_page(article_id: str) -> str:
    """An article with all its paragraphs, each anchored #p<N>."""
    article = _article(article_id)
    return render_template("article.html", article=article)


@bp.get("/api/articles/<path:article_id>")
def api_article(article_id: str) -> Response:
    """An article with all its paragraphs, as JSON."""
    return jsonify(_article(article_id))


@bp.get("/api/analyze")
def api_analyze() -> Response:
    """The analyzer's tokens for a text: original, normalized, stem, offsets."""
    text = request.args.get("text", "")
    if len(text) > MAX_ANALYZE_CHARS:
        raise QueryError(f"'text' is longer than {MAX_ANALYZE_CHARS} characters", "text_too_long")
    if "\x00" in text:
        raise QueryError("'text' contains a NUL character")
    return jsonify({"text": text, "tokens": analyze(text)})


@bp.get("/api/suggest")
def api_suggest() -> Response:
    """Completions of what is typed: the index's printed words and frequent phrases, most paragraphs first."""
    completion = parse_completion(request.args.to_dict(flat=False))
    return jsonify(complete(_holder().get(), completion))


@bp.get("/healthz")
def healthz() -> Response:
    """The live generation and its size (a cluster: each member and whether it answers, "degraded" when one
    does not); 503 with a JSON error when there is no usable index."""
    return jsonify({"status": "ok", **index_health(_holder().get())})


@bp.get("/api/openapi.json")
def api_openapi() -> Response:
    """The OpenAPI 3 description of the JSON API."""
    return jsonify(openapi_document(request.host_url.rstrip("/")))
