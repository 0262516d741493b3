"""Downloads of a search (format=csv, format=jsonl on /api/search) through the real app on the seed index:
every hit up to ``limit``, in the order the pages list them, with the same filters, streamed; bad input
answered 400 with a stable code; the search page links its downloads with the current filters."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from search import EXPORT_FIELDS, IndexHolder, export, parse_request, search
from web import create_app

HEADER = ["id", "article_id", "title", "source", "date", "paragraph", "url", "text"]
SEARCHES = [
    {"q": "الصين"},  # relevance, one word: 48 paragraphs
    {"q": "الصين", "sort": "newest"},  # by date
    {"q": "الصين", "sort": "oldest", "date_from": "2024-05-01"},
    {"q": "الصين روسيا", "source": ["أ ف ب", "الشرق"]},  # two words re-ranked, a source filter
    {"q": "الصين روسيا", "mode": "any"},  # a question: re-ranked by meaning too
    {"q": "كازان ميونخ"},  # relaxed to any word
    {"q": "اقتصا*"},  # a prefix: ranked by the backend's own scorer
    {"q": "بوتين", "exact": "1"},
    {},  # browse, newest first
]


def pages(client, params: dict, per_page: int = 4) -> tuple[list[dict], int]:
    """Every hit of a search read page by page from the JSON API (export fields only), and the total."""
    rows: list[dict] = []
    page = 1
    while True:
        body = client.get("/api/search", query_string={**params, "page": page, "per_page": per_page}).get_json()
        rows += [{name: hit[name] for name in EXPORT_FIELDS} for hit in body["results"]]
        if body["links"]["next"] is None:
            return rows, body["total"]
        page += 1


def as_csv(row: dict) -> dict[str, str]:
    """A row as the CSV cells read back: text, None as empty."""
    return {k: "" if v is None else str(v) for k, v in row.items()}


def read_csv(data: bytes) -> tuple[list[str], list[dict]]:
    """The header and the rows of a CSV download, after checking its byte order mark."""
    assert data.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.parametrize("params", SEARCHES)
def test_csv_rows_are_the_pages_in_order(client, params: dict) -> None:
    expected, total = pages(client, params)
    response = client.get("/api/search", query_string={**params, "format": "csv"})
    assert (200, "text/csv; charset=utf-8") == (response.status_code, response.headers["Content-Type"])
    assert 'attachment; filename="fahras-results.csv"' == response.headers["Content-Disposition"]
    assert (str(total), None) == (response.headers["X-Total-Count"], response.headers.get("X-Partial"))
    header, rows = read_csv(response.data)
    assert HEADER == header
    assert [as_csv(row) for row in expected] == rows
    assert total == len(rows) and total > 0


@pytest.mark.parametrize("params", SEARCHES)
def test_jsonl_rows_are_the_pages_in_order(client, params: dict) -> None:
    expected, total = pages(client, params, per_page=7)
    response = client.get("/api/search", query_string={**params, "format": "jsonl"})
    assert (200, "application/x-ndjson; charset=utf-8") == (response.status_code, response.headers["Content-Type"])
    text = response.data.decode("utf-8")
    assert "\\u06" not in text and text.endswith("\n")  # Arabic as Arabic, one object a line
    assert expected == [json.loads(line) for line in text.splitlines()]


def test_the_download_is_streamed_line_by_line(client) -> None:
    response = client.get("/api/search", query_string={"q": "الصين", "format": "csv"})
    assert response.is_streamed
    chunks = list(response.response)
    assert 49 == len(chunks)  # the header, then one chunk a row: never one string
    assert chunks[0] == "\ufeff".encode() + b"id,article_id,title,source,date,paragraph,url,text\r\n"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_limit_keeps_the_first_rows(client, fmt: str) -> None:
    expected, total = pages(client, {"q": "الصين", "mode": "any"}, per_page=10)
    response = client.get("/api/search", query_string={"q": "الصين", "mode": "any", "format": fmt, "limit": "5"})
    if fmt == "csv":
        rows = read_csv(response.data)[1]
        expected = [as_csv(row) for row in expected]
    else:
        rows = [json.loads(line) for line in response.data.decode("utf-8").splitlines()]
    assert (expected[:5], str(total)) == (rows, response.headers["X-Total-Count"])


def test_an_export_with_no_match_is_its_header_only(client) -> None:
    response = client.get("/api/search", query_string={"q": "بيلوسوفف", "exact": "1", "format": "csv"})
    assert (200, "0") == (response.status_code, response.headers["X-Total-Count"])
    assert (HEADER, []) == read_csv(response.data)
    empty = client.get("/api/search", query_string={"q": "بيلوسوفف", "exact": "1", "format": "jsonl"})
    assert b"" == empty.data


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"format": "xml"}, "invalid_format"),
        ({"format": "CSV"}, "invalid_format"),
        ({"format": "csv", "limit": "0"}, "invalid_limit"),
        ({"format": "csv", "limit": "abc"}, "invalid_limit"),
        ({"format": "csv", "limit": "20000"}, "invalid_limit"),
        ({"format": "jsonl", "limit": "-1"}, "invalid_limit"),
        ({"limit": "10001"}, "invalid_limit"),  # checked on a page too: the document says what is valid
        ({"format": "csv", "sort": "random"}, "invalid_parameter"),  # the search's own parameters too
    ],
)
def test_bad_export_parameters_are_400_with_a_code(client, params: dict, code: str) -> None:
    response = client.get("/api/search", query_string={"q": "الصين", **params})
    assert (400, "application/json", code) == (
        response.status_code, response.mimetype, response.get_json()["error"]["code"]
    )
    assert {"error"} == set(response.get_json()) and {"code", "message"} == set(response.get_json()["error"])


def test_search_page_links_its_downloads_with_the_filters(client) -> None:
    state = {"q": "الصين", "source": ["أ ف ب", "الشرق"], "date_from": "2021-01-01", "sort": "newest",
             "mode": "any", "exact": "1", "per_page": "5", "page": "2"}
    html = client.get("/", query_string=state).data.decode("utf-8")
    assert "تنزيل النتائج" in html
    links = {fmt: unescape(href) for fmt, href in re.findall(r'class="export-(\w+)" href="([^"]+)"', html)}
    assert {"csv", "jsonl"} == set(links)
    kept = {k: v if isinstance(v, list) else [v] for k, v in state.items() if k not in ("page", "per_page")}
    for fmt, href in links.items():
        assert "/api/search" == urlsplit(href).path
        assert {**kept, "format": [fmt]} == parse_qs(urlsplit(href).query)
        assert 200 == client.get(href).status_code
    # and the JSON twin names them
    body = client.get("/api/search", query_string=state).get_json()
    assert (links["csv"], links["jsonl"]) == (body["links"]["csv"], body["links"]["jsonl"])


def test_engine_export_starts_with_every_page(seed_index) -> None:
    """search.export over one generation: its rows are page 1, page 2, ... of search(), and are read lazily."""
    generation = IndexHolder(seed_index).get()
    request = parse_request({"q": "الصين روسيا", "mode": "any", "per_page": "3"})
    paged = []
    for page in range(1, 6):
        result = search(generation, parse_request({"q": "الصين روسيا", "mode": "any", "per_page": "3",
                                                   "page": str(page)}), cache=False)
        paged += [{name: hit[name] for name in EXPORT_FIELDS} for hit in result.hits]
    exported = export(generation, request, limit=15)
    assert (False, generation.name) == (exported.partial, exported.generation)
    assert paged == list(exported.rows)
    with pytest.raises(ValueError):
        export(generation, request, limit=0)


def test_an_export_past_its_budget_says_partial(seed_index) -> None:
    """EXPORT_BUDGET_MS bounds the matching and ranking: past it the download is 200 and says X-Partial."""
    app = create_app({"TESTING": True, "INDEX_DIR": str(seed_index), "EXPORT_BUDGET_MS": 0.000001})
    response = app.test_client().get("/api/search", query_string={"q": "الصين روسيا", "mode": "any", "format": "csv"})
    assert (200, "true") == (response.status_code, response.headers.get("X-Partial"))
    assert HEADER == read_csv(response.data)[0]
