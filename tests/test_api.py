"""The JSON API against the real seed index: query language, modes, sorting, browsing, facets, snippets,
did-you-mean, every error case, the other endpoints and the headers every response carries.

Expected answers were read off the seed texts in seeds/ (see the comment above each expectation); a hit
is written ``"000-3"``: the article's file number and the paragraph number.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from search.index.indexing import build_index
from web import create_app

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
ARTICLES = {
    "000": "000_75be7a96948e7c41",  # إن تي في, 2024-10-14
    "001": "001_72b934558a7706ca",  # مركز أبحاث مينا, 2024-05-16
    "002": "002_c93044917d9fff3c",  # جلوب تايم لاين, 2024-05-16
    "003": "003_556d3c13a662a267",  # أ ف ب, 2024-10-14
    "004": "004_f0911db09156c083",  # الشرق, 2021-12-15
}
# Paragraphs per source and per month in the seed index (what browsing with no filter must count).
SOURCE_COUNTS = [
    {"value": "الشرق", "count": 18, "selected": False},
    {"value": "أ ف ب", "count": 16, "selected": False},
    {"value": "إن تي في", "count": 13, "selected": False},
    {"value": "مركز أبحاث مينا", "count": 9, "selected": False},
    {"value": "جلوب تايم لاين", "count": 7, "selected": False},
]
DATE_COUNTS = [
    {"value": "2021-12", "count": 18, "selected": False},
    {"value": "2024-05", "count": 16, "selected": False},
    {"value": "2024-10", "count": 29, "selected": False},
]
MARK = re.compile(r"<mark>(.*?)</mark>")
DIACRITICS = "\u064b-\u065f\u0670"  # Arabic harakat, shadda, sukun, superscript alef


def api(client, **params: object) -> dict:
    """GET /api/search with these parameters and return the 200 JSON body."""
    response = client.get("/api/search", query_string={"per_page": 100, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def hits(result: dict) -> list[str]:
    """The result's hits as "file-paragraph" in answer order."""
    return [f"{h['article_id'][:3]}-{h['paragraph']}" for h in result["results"]]


def bare(facets: list[dict]) -> list[dict]:
    """Facet buckets without their URLs, for whole-value comparison."""
    return [{k: b[k] for k in ("value", "count", "selected")} for b in facets]


def paragraph_text(client, hit: str) -> str:
    """The original text of paragraph "file-N", read through /api/articles."""
    number, paragraph = hit.split("-")
    article = client.get(f"/api/articles/{ARTICLES[number]}").get_json()
    return next(p["text"] for p in article["paragraphs"] if p["paragraph"] == int(paragraph))


# ---------------------------------------------------------------------------------------------
# The query language


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # بيلوسوف is named in 000 paragraphs 1-3 and 003 paragraphs 5, 7, 10.
        ("بيلوسوف", {"000-1", "000-2", "000-3", "003-5", "003-7", "003-10"}),
        # All words are required: of those, only 000-3 names كازان, and four name بكين too.
        ("بيلوسوف كازان", {"000-3"}),
        ("بيلوسوف بكين", {"000-1", "000-2", "003-5", "003-10"}),
        # -word excludes (the two بيلوسوف paragraphs without بكين are left).
        ("بيلوسوف -بكين", {"000-3", "003-7"}),
        # -"phrase" excludes the exact phrase only: 000-1 says لوزير الدفاع, which stays.
        ('بيلوسوف -"وزير الدفاع"', {"000-1", "000-3", "003-7", "003-10"}),
        # OR between words: كازان is in 000-3, ميونخ in 000-11.
        ("كازان OR ميونخ", {"000-3", "000-11"}),
        ("بوتين كازان OR ميونخ", {"000-3"}),
        # Prefix on the exact field, printed alone (اقتصادي in 001-1, «اقتصادية in 003-11) or after a proclitic
        # (الاقتصادية, والاقتصادي, بالاقتصاد, as whole-word search finds them).
        ("اقتصا*", {"000-5", "000-6", "001-1", "001-2", "001-4", "001-5", "002-2", "002-3", "002-5",
                    "003-1", "003-2", "003-11", "003-14", "004-11", "004-15"}),
        # A phrase is matched in order on the exact field, normalized: 002-3 writes الإستراتيجية with hamza.
        ('"الشراكة الاستراتيجية"', {"002-3", "003-9", "004-4", "004-5"}),
        # ... and not stemmed: "الصينية" finds the 13 paragraphs holding that very word, not الصين or الصيني.
        ('"الصينية"', {
            "000-8", "000-9", "000-10", "001-4", "001-5", "001-6", "001-7",
            "003-6", "003-9", "004-5", "004-6", "004-17", "004-18",
        }),
        # Diacritics and shadda typed or not: وسّعت موسكو in 000-1.
        ('"وسعت موسكو"', {"000-1"}),
        ('"وسّعت موسكو"', {"000-1"}),
    ],
)
def test_query_language(client, q: str, expected: set[str]) -> None:
    """Each construct of the query language finds exactly the paragraphs the seed texts say."""
    result = api(client, q=q)
    assert (expected, len(expected), False) == (set(hits(result)), result["total"], result["relaxed"])


def test_words_are_stemmed_but_phrases_are_not(client) -> None:
    """The words الشراكة الاستراتيجية apart also find 003-2, where they do not stand together."""
    assert {"002-3", "003-2", "003-9", "004-4", "004-5"} == set(hits(api(client, q="الشراكة الاستراتيجية")))
    assert 48 == api(client, q="الصينية")["total"] > api(client, q='"الصينية"')["total"] == 13


def test_arabic_aw_is_a_word_not_an_operator(client) -> None:
    """أو between words is not OR: no paragraph holds both كازان and ميونخ, so the search relaxes."""
    with_or = api(client, q="كازان OR ميونخ")
    with_aw = api(client, q="كازان أو ميونخ")
    assert (False, True) == (with_or["relaxed"], with_aw["relaxed"])
    assert "كازان أو ميونخ" == with_aw["query"]["q"]


@pytest.mark.parametrize(
    ("q", "same_as"),
    [
        ('بيلوسوف "كازان', "بيلوسوف كازان"),  # unbalanced quote
        ("(بيلوسوف) AND كازان~", "بيلوسوف كازان"),  # brackets, AND, fuzzy mark
        ("بيلوسوف NOT كازان", "بيلوسوف كازان"),  # NOT is a plain (dropped) operator word, not an exclusion
        ("OR بيلوسوف OR", "بيلوسوف"),  # OR with nothing on one side
        ("بيلوسوف: ^ ~ ( ) *", "بيلوسوف"),  # stray operator characters
        ("AND OR NOT ( ) * ~ ^ :", ""),  # nothing but operators: browse
        ('"', ""),
        ("-", ""),
    ],
)
def test_unparseable_input_is_searched_as_plain_words(client, q: str, same_as: str) -> None:
    """Operator characters that do not parse are read as spaces, never an error."""
    assert hits(api(client, q=same_as)) == hits(api(client, q=q))


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("صين*", {"الصين", "الصيني", "الصينية", "بالصين", "صينية", "والصين", "والصيني", "وصيني", "وصينية"}),
        ("الصين*", {"الصين", "الصيني", "الصينية", "بالصين", "صينية", "والصين", "والصيني", "وصيني", "وصينية"}),
        ("موسك*", {"لموسكو", "موسكو", "وموسكو"}),
    ],
)
def test_a_prefix_finds_the_word_after_a_proclitic_and_marks_it_whole(client, typed: str, printed: set) -> None:
    """A prefix typed without (or with) the article or a conjunction finds the words printed with و, ال, ب,
    ل, ف, ك in front, as whole-word search does, and the snippet marks each whole printed word."""
    result = api(client, q=typed, per_page=100)
    marked = {m for hit in result["results"] for m in re.findall(r"<mark>(.*?)</mark>", hit["snippet"])}
    assert printed == marked
    assert result["total"] == len(result["results"]) == api(client, q=typed.removeprefix("ال"), per_page=100)["total"]


@pytest.mark.parametrize("q", ["ب*", "-ب*", "ا* بيلوسوف", "a*"])
def test_a_one_letter_prefix_is_refused_with_a_clear_message(client, q: str) -> None:
    """A prefix needs 2 letters (issue 6's abuse limit): ب* would expand to most of the vocabulary."""
    response = client.get("/api/search", query_string={"q": q})
    assert 400 == response.status_code
    error = response.get_json()["error"]
    assert "prefix_too_short" == error["code"]
    assert "at least 2 letters" in error["message"]


@pytest.mark.parametrize("q", ["*", "بيلوسوف *", "** بيلوسوف"])
def test_a_lone_star_is_not_an_operator(client, q: str) -> None:
    """A '*' standing alone is a stray operator, read as a space."""
    assert hits(api(client, q=q)) == hits(api(client, q=q.replace("*", "")))


def test_mode_any_and_the_relaxed_fallback(client) -> None:
    """mode=any ORs the words; mode=all that finds nothing falls back to any and says so."""
    expected = {"000-3", "000-11"}  # كازان in 000-3, ميونخ in 000-11, never together
    strict = api(client, q="كازان ميونخ", mode="any")
    relaxed = api(client, q="كازان ميونخ")
    assert (expected, False, "any") == (set(hits(strict)), strict["relaxed"], strict["query"]["mode"])
    assert (expected, True, "all") == (set(hits(relaxed)), relaxed["relaxed"], relaxed["query"]["mode"])


def test_exact_turns_stemming_off(client) -> None:
    """exact=1 matches the normalized word only: الصينية without the 35 paragraphs that only say الصين."""
    exact = api(client, q="الصينية", exact="1")
    assert (set(hits(api(client, q='"الصينية"'))), True) == (set(hits(exact)), exact["query"]["exact"])
    assert 13 == exact["total"]


# ---------------------------------------------------------------------------------------------
# Sorting and browsing


def test_sorts(client) -> None:
    """Relevance (default with words) ranks by score; newest/oldest by date, ties in corpus order."""
    relevance = api(client, q="بوتين")
    scores = [h["score"] for h in relevance["results"]]
    assert ("relevance", sorted(scores, reverse=True)) == (relevance["query"]["sort"], scores)
    found = hits(relevance)
    # Every paragraph naming بوتين (or لبوتين) is found, whatever spelling variants add.
    assert {"000-3", "000-6", "003-6", "003-8", "003-12", "003-15", "003-16", "001-1", "001-3", "001-4", "001-8",
            "001-9", "002-1", "002-3", "002-5", "002-7", "004-1", "004-2", "004-4", "004-17"} <= set(found)

    def corpus_order(hit: str) -> tuple[int, int]:
        return int(hit[:3]), int(hit[4:])

    # Files 000 and 003 are of 2024-10-14, 001 and 002 of 2024-05-16, 004 of 2021-12-15.
    day = {"000": 3, "003": 3, "001": 2, "002": 2, "004": 1}
    newest = sorted(found, key=lambda h: (-day[h[:3]], corpus_order(h)))
    oldest = sorted(found, key=lambda h: (day[h[:3]], corpus_order(h)))
    assert newest == hits(api(client, q="بوتين", sort="newest"))
    assert oldest == hits(api(client, q="بوتين", sort="oldest"))
    assert [None] * len(found) == [h["score"] for h in api(client, q="بوتين", sort="newest")["results"]]


def test_browse_with_an_empty_query(client) -> None:
    """No words: every paragraph, newest first, with facets that count them all."""
    result = api(client, q="", per_page=5)
    assert {
        "total": 63, "pages": 13, "sort": "newest", "relaxed": False, "suggestion": None,
        "first": ["000-1", "000-2", "000-3", "000-4", "000-5"],
        "source": SOURCE_COUNTS, "date": DATE_COUNTS,
    } == {
        "total": result["total"], "pages": result["pages"], "sort": result["query"]["sort"],
        "relaxed": result["relaxed"], "suggestion": result["suggestion"], "first": hits(result),
        "source": bare(result["facets"]["source"]), "date": bare(result["facets"]["date"]),
    }
    last_page = api(client, per_page=5, page=13)
    assert ["004-16", "004-17", "004-18"] == hits(last_page)
    assert [] == api(client, per_page=5, page=14)["results"]


def test_browse_with_a_filter_only(client) -> None:
    """A source filter alone browses that source, in corpus order within the day."""
    result = api(client, source="أ ف ب")
    assert [f"003-{n}" for n in range(1, 17)] == hits(result)


def test_paging_walks_the_whole_answer(client) -> None:
    """Pages of 7 concatenate to the one page of 100, with no hit lost or repeated."""
    whole = hits(api(client, q="الصين"))
    pages = [hits(api(client, q="الصين", per_page=7, page=p)) for p in range(1, 8)]
    assert whole == [h for page in pages for h in page]
    assert 48 == len(whole)


# ---------------------------------------------------------------------------------------------
# Facets


@pytest.mark.parametrize("q", ["", "الصين", "بوتين", "بيلوسوف", "كازان ميونخ", '"وزير الدفاع"'])
def test_facet_counts_sum_to_total(client, q: str) -> None:
    """With no filter, every paragraph found is counted once by source and once by month."""
    result = api(client, q=q)
    by_source = sum(b["count"] for b in result["facets"]["source"])
    by_month = sum(b["count"] for b in result["facets"]["date"])
    assert (result["total"], result["total"]) == (by_source, by_month)


def test_source_facet_is_disjunctive(client) -> None:
    """Selecting sources keeps every source's count; the total is the sum of the selected ones."""
    unfiltered = bare(api(client, q="الصين")["facets"]["source"])
    assert [("أ ف ب", 12), ("الشرق", 11), ("إن تي في", 10), ("مركز أبحاث مينا", 9), ("جلوب تايم لاين", 6)] == [
        (b["value"], b["count"]) for b in unfiltered
    ]
    one = api(client, q="الصين", source="أ ف ب")
    two = api(client, q="الصين", source=["أ ف ب", "الشرق"])
    chosen = {"أ ف ب"}
    assert [{**b, "selected": b["value"] in chosen} for b in unfiltered] == bare(one["facets"]["source"])
    chosen = {"أ ف ب", "الشرق"}
    assert [{**b, "selected": b["value"] in chosen} for b in unfiltered] == bare(two["facets"]["source"])
    assert (12, 23) == (one["total"], two["total"])
    assert {"003"} == {h[:3] for h in hits(one)}
    assert {"003", "004"} == {h[:3] for h in hits(two)}
    # The month facet does count the source filter: أ ف ب only wrote in October 2024.
    assert [{"value": "2024-10", "count": 12, "selected": False}] == bare(one["facets"]["date"])


def test_date_facet_and_range_filter(client) -> None:
    """Months are chronological; the range is inclusive and the month facet ignores it (disjunctive)."""
    result = api(client, date_from="2024-05-16", date_to="2024-05-16")
    assert [f"001-{n}" for n in range(1, 10)] + [f"002-{n}" for n in range(1, 8)] == hits(result)
    assert [{**b, "selected": b["value"] == "2024-05"} for b in DATE_COUNTS] == bare(result["facets"]["date"])
    assert [
        {"value": "مركز أبحاث مينا", "count": 9, "selected": False},
        {"value": "جلوب تايم لاين", "count": 7, "selected": False},
    ] == bare(result["facets"]["source"])
    assert 0 == api(client, date_from="2024-05-17", date_to="2024-10-13")["total"]
    assert 29 == api(client, date_from="2024-10-14")["total"]
    assert 18 == api(client, date_to="2021-12-15")["total"]


def test_facet_toggle_urls_carry_the_state(client) -> None:
    """A source bucket's URL adds or removes that source; a month's sets the range to that month."""
    result = api(client, q="الصين", source="أ ف ب")
    urls = {b["value"]: b["toggle_url"] for b in result["facets"]["source"]}
    assert {"q": ["الصين"], "per_page": ["100"]} == _query(urls["أ ف ب"])
    assert {"q": ["الصين"], "per_page": ["100"], "source": ["أ ف ب", "الشرق"]} == _query(urls["الشرق"])
    month = result["facets"]["date"][0]["toggle_url"]
    expected = {"q": ["الصين"], "per_page": ["100"], "source": ["أ ف ب"],
                "date_from": ["2024-10-01"], "date_to": ["2024-10-31"]}
    assert expected == _query(month)


def _query(url: str) -> dict[str, list[str]]:
    """The query parameters of a URL."""
    return parse_qs(urlsplit(url).query)


# ---------------------------------------------------------------------------------------------
# Snippets


def check_snippet(snippet: str, text: str, limit: int = 240) -> list[str]:
    """Check a snippet against its paragraph's original text; return the marked words.

    It is a piece of the original text (escaped), at most ``limit`` characters, with "…" exactly where it
    was cut, and each <mark> holds one whole word of the original.
    """
    head, tail = snippet.startswith("…"), snippet.endswith("…")
    body = snippet[1 if head else 0 : len(snippet) - (1 if tail else 0)]
    assert "<" not in MARK.sub("", body) and ">" not in MARK.sub("", body), snippet
    plain = html.unescape(MARK.sub(r"\1", body))
    start = text.find(plain)
    assert start >= 0, (plain, text)
    assert len(plain) <= limit, len(plain)
    assert (head, tail) == (start > 0, start + len(plain) < len(text.rstrip())), snippet
    marked = [html.unescape(m) for m in MARK.findall(body)]
    # Whole words: in the plain text, each marked word is bounded by non-letters (diacritics included).
    for word in marked:
        assert re.search(rf"(?<![\w{DIACRITICS}]){re.escape(word)}(?![\w{DIACRITICS}])", plain), word
    return marked


@pytest.mark.parametrize("q", ["الصين", "بوتين كازان OR ميونخ", '"الشراكة الاستراتيجية"', "اقتصا*", "وسعت", ""])
def test_snippets_are_marked_pieces_of_the_original(client, q: str) -> None:
    """Every hit's snippet obeys the rules against its own paragraph text."""
    for hit in api(client, q=q)["results"]:
        check_snippet(hit["snippet"], hit["text"])


def test_snippet_keeps_diacritics_inside_the_mark(client) -> None:
    """وسّعت and وعمّقت are found without their shadda and marked with it; short paragraphs are whole."""
    (wassa,) = [h for h in api(client, q="وسعت")["results"] if h["id"] == f"{ARTICLES['000']}-1"]
    (ammaqa,) = [h for h in api(client, q="وعمقت")["results"] if h["id"] == f"{ARTICLES['000']}-5"]
    assert wassa["text"].replace("وسّعت", "<mark>وسّعت</mark>") == wassa["snippet"]
    assert ammaqa["text"].replace("وعمّقت", "<mark>وعمّقت</mark>") == ammaqa["snippet"]
    assert 240 == len(ammaqa["text"])


def test_snippet_marks_stemmed_variants(client) -> None:
    """Query الصين marks الصينية and الصيني too; every form of the word in the snippet is marked."""
    marked = set()
    for hit in api(client, q="الصين")["results"]:
        words = check_snippet(hit["snippet"], hit["text"])
        marked.update(words)
        unmarked = MARK.sub("", hit["snippet"])
        assert not re.search(r"(?<!\S)(ال|وال|بال)?صيني?ة?(?=[\s،.»؛]|$)", unmarked), hit["snippet"]
    assert {"الصين", "الصينية", "الصيني"} <= marked


def test_snippet_of_a_long_paragraph_is_cut_around_the_match(client) -> None:
    """001-5 is 1,038 characters: its snippet for اليوان is a cut piece around that word."""
    result = api(client, q="اليوان")
    assert {"001-5", "000-10"} == set(hits(result))  # 000-10 says يوان
    (hit,) = [h for h in result["results"] if h["article_id"] == ARTICLES["001"]]
    assert ["اليوان"] == check_snippet(hit["snippet"], hit["text"])
    assert hit["snippet"].startswith("…") and hit["snippet"].endswith("…")
    assert 150 <= len(html.unescape(MARK.sub(r"\1", hit["snippet"]))) <= 242


def test_short_paragraph_snippet_is_the_whole_paragraph(client) -> None:
    """003-9 has 106 characters: its snippet is all of it, uncut, with الصينية marked."""
    result = api(client, q="الصين")
    (hit,) = [h for h in result["results"] if h["article_id"] == ARTICLES["003"] and h["paragraph"] == 9]
    assert hit["text"].replace("الصينية", "<mark>الصينية</mark>") == hit["snippet"]


def test_snippet_escapes_html(tmp_path: Path) -> None:
    """Markup in a paragraph is shown as text; only <mark> is markup."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"id": "html-1", "source": "اختبار", "date": "2024-01-02", "title": "عنوان", '
        '"text": "قال المسؤول <script>alert(1)</script> إن بكين & موسكو <b>شريكتان</b> في \\"الشراكة\\"."}\n',
        "utf-8",
    )
    index = tmp_path / "index"
    build_index([corpus], index)
    client = create_app({"TESTING": True, "INDEX_DIR": str(index)}).test_client()
    (hit,) = api(client, q="بكين")["results"]
    assert (
        'قال المسؤول &lt;script&gt;alert(1)&lt;/script&gt; إن <mark>بكين</mark> &amp; موسكو '
        '&lt;b&gt;شريكتان&lt;/b&gt; في "الشراكة".'
    ) == hit["snippet"]
    page = client.get("/", query_string={"q": "بكين"}).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page


# ---------------------------------------------------------------------------------------------
# Did-you-mean


def test_suggestion_for_a_misspelled_query(client) -> None:
    """بيلوسوفف is not indexed: its nearest indexed word finds the six paragraphs, and the page offers it."""
    result = api(client, q="بيلوسوفف")
    assert ("بيلوسوفف", "بيلوسوف") == (result["query"]["q"], result["suggestion"])
    assert {"q": ["بيلوسوف"], "per_page": ["100"]} == _query(result["links"]["suggestion"])
    exact = api(client, q=result["suggestion"])
    assert (6, None) == (exact["total"], exact["suggestion"])
    assert set(hits(exact)) == set(hits(result))
    assert all("<mark>بيلوسوف</mark>" in h["snippet"] for h in result["results"])


def test_suggestion_when_one_word_is_misspelled(client) -> None:
    """وزيرر الدفاع: the unknown word is matched by its nearest form, and وزير الدفاع is suggested."""
    result = api(client, q="وزيرر الدفاع")
    assert (False, "وزير الدفاع") == (result["relaxed"], result["suggestion"])
    assert {"000-2", "003-5"} <= set(hits(result))  # "وزير الدفاع الروسي" in both


def test_two_letters_swapped_are_one_edit(client) -> None:
    """موكسو (two letters of موسكو swapped) is one edit from it, few enough for a five-letter word."""
    assert api(client, q="موكسو")["suggestion"] == "موسكو"


@pytest.mark.parametrize(
    ("q", "total"),
    [
        ("٢٠٢٤", 0),  # no paragraph says 2024; 2023, one edit away, is another year, not a spelling of it
        ("قازان", 1),  # found as كازان; الان is two edits from this five-letter word, another word
    ],
)
def test_no_suggestion_that_is_another_word(client, q: str, total: int) -> None:
    result = api(client, q=q)
    assert (total, None) == (result["total"], result["suggestion"])


# ---------------------------------------------------------------------------------------------
# Errors: one shape, 400 for bad parameters, 503 without an index, never a 500


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"page": "-1"}, "invalid_parameter"),
        ({"page": "0"}, "invalid_parameter"),
        ({"page": "two"}, "invalid_parameter"),
        ({"per_page": "101"}, "invalid_parameter"),
        ({"per_page": "0"}, "invalid_parameter"),
        ({"date_from": "2024-13-01"}, "invalid_parameter"),
        ({"date_to": "14/10/2024"}, "invalid_parameter"),
        ({"date_from": "2024-1-1"}, "invalid_parameter"),
        ({"date_from": "2024-10-15", "date_to": "2024-10-14"}, "invalid_date_range"),
        ({"q": "ب" * 1001}, "query_too_long"),
        ({"sort": "best"}, "invalid_parameter"),
        ({"mode": "most"}, "invalid_parameter"),
        ({"exact": "yes"}, "invalid_parameter"),
        ({"page": "200", "per_page": "100"}, "page_too_deep"),
        ({"q": "a\x00b"}, "invalid_parameter"),
    ],
)
def test_bad_parameters_are_400(client, params: dict, code: str) -> None:
    """Each bad parameter answers 400 with {"error": {"code", "message"}} naming the parameter."""
    response = client.get("/api/search", query_string=params)
    body = response.get_json()
    assert (400, ["error"], code) == (response.status_code, list(body), body["error"]["code"])
    assert ["code", "message"] == sorted(body["error"])
    name = "q" if code == "query_too_long" else next(iter(params))
    assert name in body["error"]["message"] or code == "page_too_deep"


def test_a_query_of_exactly_1000_characters_is_fine(client) -> None:
    """The limit is inclusive."""
    assert 0 == api(client, q="ب" * 1000)["total"]


def test_no_index_yet_is_503(tmp_path: Path) -> None:
    """An app over an empty folder answers 503 in the error shape on every index route, 200 on the form."""
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)}).test_client()
    for url in ("/api/search", "/api/search?q=بكين", "/healthz", f"/api/articles/{ARTICLES['000']}"):
        response = client.get(url)
        assert (503, "index_unavailable") == (response.status_code, response.get_json()["error"]["code"]), url
    assert 503 == client.get("/?q=بكين").status_code
    assert 200 == client.get("/").status_code
    assert 200 == client.get("/api/analyze?text=بكين").status_code


@pytest.mark.parametrize(
    "url",
    [
        "/api/search?q=%ff%fe", "/api/search?source=%00", "/api/search?page=1e3", "/api/search?per_page=%20",
        "/api/search?q=" + "*" * 1000, "/api/search?date_from=9999-12-31", "/api/search?date_to=0001-01-01",
        "/api/search?source=" + "&source=".join(str(n) for n in range(21)),
        "/api/articles/..", "/api/articles/a/b", "/api/articles/%D8%A8", "/api/analyze?text=" + "ب" * 5001,
        "/api/nothing", "/articles/none", "/?page=0", "/?q=ب*", "/?date_from=x",
    ],
)
def test_odd_requests_never_500(client, url: str) -> None:
    """Odd input gets a clear 2xx/4xx answer, never a server error."""
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code, response.get_data(as_text=True)[:300])
    if url.startswith("/api/") and response.status_code >= 400:
        assert ["code", "message"] == sorted(response.get_json()["error"])


# ---------------------------------------------------------------------------------------------
# The other endpoints and headers


def test_article_endpoint_has_every_original_paragraph(client) -> None:
    """/api/articles/<id> gives the article, its paragraphs being the seed file's lines, in order."""
    article = client.get(f"/api/articles/{ARTICLES['003']}").get_json()
    lines = [line for line in (SEEDS / f"{ARTICLES['003']}.txt").read_text("utf-8").splitlines() if line.strip()]
    assert {
        "id": ARTICLES["003"], "source": "أ ف ب", "date": "2024-10-14", "url": None,
        "paragraphs": [
            {"id": f"{ARTICLES['003']}-{n}", "paragraph": n, "text": text}
            for n, text in enumerate(lines[:-1], 1)  # the last line, (أ ف ب), is a credit, not content
        ],
    } == {k: v for k, v in article.items() if k != "title"}
    assert article["title"].startswith("في ظل التحولات الجيوسياسية المتسارعة")
    missing = client.get("/api/articles/no-such-article")
    assert (404, "not_found") == (missing.status_code, missing.get_json()["error"]["code"])


def test_analyze_endpoint(client) -> None:
    """/api/analyze gives each token's original text, normalized form, stem and offsets."""
    body = client.get("/api/analyze", query_string={"text": "وسّعت الصينية من"}).get_json()
    assert {
        "text": "وسّعت الصينية من",
        "tokens": [
            {"original": "وسّعت", "normalized": "وسعت", "stem": "سعت", "stopword": False, "start": 0, "end": 5},
            {"original": "الصينية", "normalized": "الصينيه", "stem": "صين", "stopword": False, "start": 6,
             "end": 13},
            {"original": "من", "normalized": "من", "stem": None, "stopword": True, "start": 14, "end": 16},
        ],
    } == body


def test_healthz(client) -> None:
    """/healthz reports the live generation and the seed index's size."""
    body = client.get("/healthz").get_json()
    assert {"status": "ok", "paragraphs": 63, "articles": 5, "sources": 5} == {
        k: body[k] for k in ("status", "paragraphs", "articles", "sources")
    }
    assert body["generation"] == api(client, q="بكين")["generation"]


def test_page_and_api_link_each_other(client) -> None:
    """The page and its JSON twin name each other with Link rel=alternate, carrying the same state."""
    params = {"q": "الصين", "source": ["أ ف ب", "الشرق"], "sort": "newest", "page": "2", "per_page": "5"}
    page = client.get("/", query_string=params)
    twin = client.get("/api/search", query_string=params)
    json_url = re.fullmatch(r'<([^>]+)>; rel="alternate"; type="application/json"', page.headers["Link"])[1]
    html_url = re.fullmatch(r'<([^>]+)>; rel="alternate"; type="text/html"', twin.headers["Link"])[1]
    expected = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    assert (expected, expected) == (_query(json_url), _query(html_url))
    assert json_url.startswith("/api/search?") and html_url.startswith("/?")
    assert twin.get_json() | {"took_ms": 0} == client.get(json_url).get_json() | {"took_ms": 0}
    assert f'<link rel="alternate" type="application/json" href="{html.escape(json_url)}">' in page.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "url",
    ["/", "/?q=بكين", "/api/search?q=بكين", "/api/search?page=-1", "/healthz", "/api/analyze?text=x",
     "/api/openapi.json", f"/articles/{ARTICLES['000']}", "/articles/none", "/static/style.css", "/nothing"],
)
def test_security_headers_on_every_response(client, url: str) -> None:
    """Every answer, errors and static files included, carries the CSP and the other security headers."""
    with client.get(url) as response:
        headers = response.headers
    assert {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    } == {k: headers.get(k) for k in (
        "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
        "Cross-Origin-Opener-Policy", "Permissions-Policy",
    )}


def test_a_search_past_its_time_budget_answers_partial(seed_index: Path, client) -> None:
    """FAHRAS_SEARCH_BUDGET_MS bounds a search: past it the answer is 200 and says it is partial."""
    app = create_app({"TESTING": True, "INDEX_DIR": str(seed_index), "SEARCH_BUDGET_MS": 0.000001})
    response = app.test_client().get("/api/search", query_string={"q": "الصين روسيا", "mode": "any"})
    assert 200 == response.status_code
    body = response.get_json()
    assert True is body["partial"]
    assert all("snippet" in h for h in body["results"])
    assert "partial" not in api(client, q="الصين روسيا", mode="any")  # the default budget is ample
