"""Fuzzed bad input (hypothesis): the analyzer and the query parser take any Unicode without an exception.

Text mixes Arabic letters and marks (lone combining marks too), tatweel, bidi and zero-width controls, NUL,
Latin, digits of several scripts, other scripts, very long words and arbitrary code points. What must hold:
normalization is idempotent, token offsets lie inside the text and index the original word, bad parameters
raise only QueryError, and over HTTP every such request gets a 200 or a clean JSON 400, never a 500.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis.analyzer import analyze, arabic_analyzer, exact_analyzer, exact_tokens, normalize
from search.errors import QueryError
from search.query.build import build_query
from search.query.request import parse_query, parse_request
from web import create_app

ARABIC_LETTERS = "".join(chr(c) for c in range(0x0621, 0x064B))
ARABIC_MARKS = "".join(chr(c) for c in range(0x064B, 0x0660)) + "\u0670\u06d6\u06e1\u06ed"
CONTROLS = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u061c\x00"
OTHER = "abcXYZ019٠١٩۰۹٫٬.,-_*\"'()[]{}~^:+!\\&|ـ éßЖж中文한국어🙂ﷺﻻ \t\n\r"
SYNTAX = ("OR", "AND", "NOT", "-", "*", '"', "أو", "||", "&&")

#: Pieces that are hard for an Arabic analyzer, glued together in any order.
pieces = st.one_of(
    st.text(alphabet=ARABIC_LETTERS + ARABIC_MARKS, min_size=1, max_size=12),
    st.text(alphabet=ARABIC_MARKS, min_size=1, max_size=4),  # lone combining marks
    st.text(alphabet=CONTROLS, min_size=1, max_size=3),  # bidi controls, zero-width, NUL
    st.text(alphabet=OTHER, min_size=1, max_size=8),
    st.sampled_from(SYNTAX),
    st.text(alphabet=ARABIC_LETTERS, min_size=200, max_size=3000),  # very long word
    st.text(min_size=1, max_size=6),  # any code point hypothesis likes
)
texts = st.lists(pieces, max_size=12).map("".join)
fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(texts)
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert once == normalize(once)


@fuzz
@given(texts)
def test_analyzer_tokens_lie_inside_the_text(text):
    for analyzer in (arabic_analyzer(), arabic_analyzer(cached=False), exact_analyzer()):
        for token in analyzer(text, chars=True, positions=True, mode="index"):
            assert 0 <= token.startchar < token.endchar <= len(text), (token.startchar, token.endchar)
            assert token.text, "an empty token was emitted"


@fuzz
@given(texts)
def test_analyze_rows_index_the_original_text(text):
    for row in analyze(text):
        assert row["original"] == text[row["start"] : row["end"]]
        assert row["normalized"] == normalize(row["original"]) == normalize(row["normalized"])
        assert (row["stem"] is None) == row["stopword"]
    assert all(w == normalize(w) for w in exact_tokens(text))


@fuzz
@given(texts)
def test_query_parser_never_fails(text):
    parsed = parse_query(text)
    for clause in [c for group in parsed.groups for c in group] + list(parsed.excluded):
        assert clause.text.strip()


params = st.fixed_dictionaries(
    {"q": texts},
    optional={
        "source": st.lists(texts, max_size=25),
        "date_from": st.one_of(texts, st.dates().map(str)),
        "date_to": st.one_of(texts, st.dates().map(str)),
        "sort": st.one_of(texts, st.sampled_from(["relevance", "newest", "oldest"])),
        "mode": st.one_of(texts, st.sampled_from(["all", "any"])),
        "exact": st.one_of(texts, st.sampled_from(["0", "1"])),
        "page": st.one_of(texts, st.integers(-5, 20_000).map(str)),
        "per_page": st.one_of(texts, st.integers(-5, 200).map(str)),
    },
)


@fuzz
@given(params)
def test_request_parsing_and_query_building_raise_only_query_error(values):
    try:
        request = parse_request(values)
        build_query(request)
    except QueryError as exc:
        assert exc.message and exc.code


@pytest.fixture(scope="module")
def fuzz_client(seed_index):
    """One real app over the seed index for all examples (hypothesis reruns the test body)."""
    return create_app({"TESTING": True, "INDEX_DIR": str(seed_index)}).test_client()


http_texts = texts.map(lambda t: "".join(c for c in t if not 0xD800 <= ord(c) <= 0xDFFF))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(q=http_texts, extra=st.sampled_from([{}, {"exact": "1"}, {"mode": "any"}, {"sort": "newest"}]))
@pytest.mark.parametrize("route", ["/api/search", "/", "/api/analyze"])
def test_http_answers_200_or_clean_400(fuzz_client, route, q, extra):
    name = "text" if route == "/api/analyze" else "q"
    response = fuzz_client.get(route, query_string={name: q, **extra})
    allowed = (200, 400) if route.startswith("/api/") else (200, 303, 400)  # the page redirects to its clean URL
    assert response.status_code in allowed, (response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code == 400 and route.startswith("/api/"):
        body = response.get_json()
        assert ["error"] == list(body) and {"code", "message"} == set(body["error"]), body
