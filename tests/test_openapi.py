"""The OpenAPI document at /api/openapi.json is valid, names every JSON route, and stays true: real answers
of every endpoint (successes and errors) validate against its schemas, and its limits are the API's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate as validate_spec

from web import create_app, views

ARTICLE = "003_556d3c13a662a267"


@pytest.fixture
def document(client) -> dict:
    """The served OpenAPI document."""
    response = client.get("/api/openapi.json")
    assert 200 == response.status_code
    return response.get_json()


def check(document: dict, path: str, response) -> None:
    """Validate a real response against the document's schema for its path and status."""
    documented = document["paths"][path]["get"]["responses"]
    status = str(response.status_code)
    assert status in documented, f"{path} answered {status}, which the document does not list"
    assert response.mimetype == "application/json"
    schema = documented[status]["content"]["application/json"]["schema"]
    errors = sorted(
        OAS30Validator(schema, format_checker=oas30_format_checker).iter_errors(response.get_json()), key=str
    )
    assert [] == [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def test_document_is_valid_openapi_3(document: dict) -> None:
    """The document passes the OpenAPI 3.0 specification validator."""
    validate_spec(document)
    assert "3.0.3" == document["openapi"]


def test_document_names_every_json_route(app, document: dict) -> None:
    """Every /api/ route and /healthz is described, and nothing else is."""
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule == "/healthz"
    }
    assert routes == set(document["paths"])


@pytest.mark.parametrize(
    "params",
    [
        {"q": "الصين", "per_page": "3"},  # relevance, several pages, snippets with <mark>
        {"q": "الصين", "source": ["أ ف ب", "الشرق"], "date_from": "2024-01-01", "sort": "newest", "page": "2",
         "per_page": "4"},  # filters, a selected source with no match, date sort (score null)
        {},  # browse
        {"q": "كازان ميونخ"},  # relaxed
        {"q": "بيلوسوفف"},  # no result, a suggestion
        {"q": '"وزير الدفاع" -كازان اقتصا* OR بوتين', "mode": "any", "exact": "1"},
        {"q": "", "date_from": "2024-05-16", "date_to": "2024-05-16"},
    ],
)
def test_search_answers_match_the_document(client, document: dict, params: dict) -> None:
    """200 answers of /api/search validate against the search schema."""
    check(document, "/api/search", client.get("/api/search", query_string=params))


@pytest.mark.parametrize(
    "params",
    [{"page": "-1"}, {"per_page": "101"}, {"date_from": "2024-02-30"}, {"date_from": "2024-10-15",
     "date_to": "2024-10-14"}, {"q": "ب" * 1001}, {"sort": "random"}],
)
def test_search_errors_match_the_document(client, document: dict, params: dict) -> None:
    """400 answers of /api/search validate against the error schema."""
    response = client.get("/api/search", query_string=params)
    assert 400 == response.status_code
    check(document, "/api/search", response)


def test_other_endpoints_match_the_document(client, document: dict) -> None:
    """Articles (200, 404, 400), analyze (200, 400), health and the document itself validate."""
    check(document, "/api/articles/{article_id}", client.get(f"/api/articles/{ARTICLE}"))
    check(document, "/api/articles/{article_id}", client.get("/api/articles/no-such-article"))
    check(document, "/api/articles/{article_id}", client.get("/api/articles/a%20b"))
    check(document, "/api/analyze", client.get("/api/analyze", query_string={"text": "وسّعت موسكو وبكين من"}))
    check(document, "/api/analyze", client.get("/api/analyze", query_string={"text": "ب" * 5001}))
    check(document, "/healthz", client.get("/healthz"))
    check(document, "/api/openapi.json", client.get("/api/openapi.json"))


def test_503_answers_match_the_document(tmp_path: Path, document: dict) -> None:
    """Without an index, search and health answer 503 as documented."""
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)}).test_client()
    check(document, "/api/search", client.get("/api/search?q=بكين"))
    check(document, "/healthz", client.get("/healthz"))
    check(document, "/api/articles/{article_id}", client.get(f"/api/articles/{ARTICLE}"))


def _search_param(document: dict, name: str) -> dict:
    """The schema of one /api/search parameter."""
    params = document["paths"]["/api/search"]["get"]["parameters"]
    return next(p["schema"] for p in params if p["name"] == name)


def test_documented_parameters_are_the_ones_understood(client, document: dict) -> None:
    """The parameter list is the query echo's keys and the download's two; enum values are accepted, others
    refused; limits hold."""
    names = [p["name"] for p in document["paths"]["/api/search"]["get"]["parameters"]]
    echo = client.get("/api/search").get_json()["query"]
    assert sorted([*echo, "format", "limit"]) == sorted(names)
    for name in ("sort", "mode", "exact", "format"):
        for value in _search_param(document, name)["enum"]:
            assert 200 == client.get("/api/search", query_string={name: value}).status_code, (name, value)
        assert 400 == client.get("/api/search", query_string={name: "other"}).status_code, name
    per_page = _search_param(document, "per_page")["maximum"]
    limit = _search_param(document, "limit")["maximum"]
    assert (200, 400) == tuple(client.get("/api/search", query_string={"format": "csv", "limit": n}).status_code
                               for n in (limit, limit + 1))
    q_chars = _search_param(document, "q")["maxLength"]
    sources = _search_param(document, "source")["maxItems"]
    assert (200, 400) == tuple(client.get("/api/search", query_string={"per_page": n}).status_code
                               for n in (per_page, per_page + 1))
    assert (200, 400) == tuple(client.get("/api/search", query_string={"q": "ب" * n}).status_code
                               for n in (q_chars, q_chars + 1))
    assert (200, 400) == tuple(
        client.get("/api/search", query_string={"source": [f"s{i}" for i in range(n)]}).status_code
        for n in (sources, sources + 1)
    )
    text = document["paths"]["/api/analyze"]["get"]["parameters"][0]["schema"]["maxLength"]
    assert (200, 400) == tuple(client.get("/api/analyze", query_string={"text": "ب" * n}).status_code
                               for n in (text, text + 1))
    pattern = document["paths"]["/api/articles/{article_id}"]["get"]["parameters"][0]["schema"]["pattern"]
    assert pattern == views.ARTICLE_ID.pattern


def test_suggest_answers_match_the_document(client, document: dict) -> None:
    """/api/suggest: completions, nothing to complete, and its 400s validate; its limits are the API's."""
    for params in ({"q": "الصي"}, {"q": "موسكو و", "limit": "2"}, {"q": "ا"}, {}, {"q": "بك", "limit": "21"}):
        check(document, "/api/suggest", client.get("/api/suggest", query_string=params))
    params = {p["name"]: p["schema"] for p in document["paths"]["/api/suggest"]["get"]["parameters"]}
    chars, limit = params["q"]["maxLength"], params["limit"]["maximum"]
    assert (200, 400) == tuple(client.get("/api/suggest", query_string={"q": "ب" * n}).status_code
                               for n in (chars, chars + 1))
    assert (200, 400) == tuple(client.get("/api/suggest", query_string={"q": "بك", "limit": n}).status_code
                               for n in (limit, limit + 1))
