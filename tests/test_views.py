"""The server-rendered pages without a browser: what works with JavaScript off, the state in every link,
the article page, the HTML error pages, and no inline script or style anywhere (the CSP forbids them)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

AFP = "003_556d3c13a662a267"


class Page(HTMLParser):
    """A parsed page: every start tag with its attributes, in order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """Tags of this kind whose attributes include these (class matches one class name)."""
        found = []
        for name, have in self.tags:
            if name != tag:
                continue
            if all(v in have.get("class", "").split() if k == "class_" else have.get(k) == v for k, v in attrs.items()):
                found.append(have)
        return found


def get(client, url: str, status: int = 200, **params: object) -> tuple[str, Page]:
    """GET a page, check its status, return its text and parsed tags."""
    response = client.get(url, query_string=params or None)
    assert status == response.status_code, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    return text, Page(text)


def query(url: str) -> dict[str, list[str]]:
    """The query parameters of a URL."""
    return parse_qs(urlsplit(url).query)


def test_home_page_is_an_arabic_form_with_labelled_controls(client) -> None:
    """The empty page: lang=ar dir=rtl, the form, every control with a <label for>, the index size."""
    text, page = get(client, "/")
    assert [{"lang": "ar", "dir": "rtl"}] == page.find("html")
    labels = {tag["for"] for tag in page.find("label")}
    controls = [t for name, t in page.tags if name in ("input", "select") and t.get("type") != "hidden"]
    assert ["q", "sort", "mode", "group", "exact"] == [t["id"] for t in controls]
    assert {t["id"] for t in controls} <= labels
    assert [{"class": "search", "method": "get", "action": "/", "role": "search"}] == page.find("form")
    assert "في الفهرس 63 فقرة من 5 مقالاً" in text


def test_empty_form_fields_redirect_to_the_clean_url(client) -> None:
    """A no-JS form post sends empty fields; the page answers from the shareable URL without them."""
    response = client.get("/", query_string={"q": "بكين", "sort": "", "mode": "", "source": ["", "أ ف ب"]})
    assert 303 == response.status_code
    assert {"q": ["بكين"], "source": ["أ ف ب"]} == query(response.headers["Location"])


def test_results_page_links_carry_the_state(client) -> None:
    """Hits link to the paragraph in its article; facets, pages and the JSON twin keep the other parameters."""
    text, page = get(client, "/", q="الصين", source="أ ف ب", sort="newest", group="paragraph")
    hit_links = [a["href"] for a in page.find("a") if a.get("href", "").startswith("/articles/")]
    # أ ف ب paragraphs naming الصين (or الصيني, الصينية), in corpus order (one date): all but 2, 7, 15, 16;
    # each opens the article with the search's paragraphs marked, at that paragraph.
    marked = "?q=%D8%A7%D9%84%D8%B5%D9%8A%D9%86"
    assert [f"/articles/{AFP}{marked}#p{n}" for n in (1, 3, 4, 5, 6, 8, 9, 10, 11, 12)] == hit_links
    assert 10 == text.count('<li class="hit">') and "<mark>الصين</mark>" in text
    toggles = {a["aria-label"].split(":")[0]: a for a in page.find("a", class_="toggle")}
    assert "true" == toggles["أ ف ب"]["aria-pressed"] and "false" == toggles["الشرق"]["aria-pressed"]
    assert {"q": ["الصين"], "sort": ["newest"], "group": ["paragraph"]} == query(toggles["أ ف ب"]["href"])
    both = {"q": ["الصين"], "source": ["أ ف ب", "الشرق"], "sort": ["newest"], "group": ["paragraph"]}
    assert both == query(toggles["الشرق"]["href"])
    (month,) = page.find("a", class_="month")
    assert {"q": ["الصين"], "source": ["أ ف ب"], "sort": ["newest"], "group": ["paragraph"],
            "date_from": ["2024-10-01"], "date_to": ["2024-10-31"]} == query(month["href"])
    (next_page,) = page.find("a", rel="next")
    second = {"q": ["الصين"], "source": ["أ ف ب"], "sort": ["newest"], "group": ["paragraph"], "page": ["2"]}
    assert second == query(next_page["href"])
    assert [] == page.find("a", rel="prev")
    (alternate,) = page.find("link", rel="alternate")
    assert ("application/json", {"q": ["الصين"], "source": ["أ ف ب"], "sort": ["newest"], "group": ["paragraph"]}) == (
        alternate["type"], query(alternate["href"])
    )


def test_forms_carry_the_state_they_do_not_edit(client) -> None:
    """The search form keeps filters; the date range form keeps the query, sources and sort."""
    _, page = get(client, "/", q="الصين", source="أ ف ب", sort="oldest", date_from="2024-10-01")
    hidden = [(t["name"], t["value"]) for t in page.find("input", type="hidden")]
    assert [("source", "أ ف ب"), ("date_from", "2024-10-01"),  # search form
            ("q", "الصين"), ("source", "أ ف ب"), ("sort", "oldest")] == hidden  # date range form
    assert [{"id": "date_from", "name": "date_from", "type": "date", "value": "2024-10-01"}] == page.find(
        "input", id="date_from"
    )
    assert page.find("option", value="oldest", selected="")


def test_month_bars_are_scaled_to_the_busiest_month(client) -> None:
    """Bar classes h1..h10 follow the counts (29, 16, 18 paragraphs: the tallest is h10)."""
    _, page = get(client, "/", sort="newest")
    bars = [t["class"] for t in page.find("span", class_="bar")]
    assert ["bar h6", "bar h6", "bar h10"] == bars


def test_no_results_page_offers_the_suggestion_and_help(client) -> None:
    """A misspelled query: "لا نتائج", a link to the suggested query, and ways to widen the search."""
    text, page = get(client, "/", q="بيلوسوفف", source="الشرق")
    assert "لا نتائج" in text and "هل تقصد" in text
    suggestion = [a for a in page.find("a") if query(a.get("href", "")).get("q") == ["بيلوسوف"]]
    assert [{"href": "/?q=%D8%A8%D9%8A%D9%84%D9%88%D8%B3%D9%88%D9%81&source=%D8%A7%D9%84%D8%B4%D8%B1%D9%82"}] == (
        suggestion
    )
    widen = [query(a["href"]) for a in page.find("a") if a.get("href", "").startswith("/?")
             and query(a["href"]).get("q") == ["بيلوسوفف"]]
    # "remove the filters" in the help, and the selected source's toggle; one word, so no "any word" link.
    assert [{"q": ["بيلوسوفف"]}, {"q": ["بيلوسوفف"]}] == [w for w in widen if "source" not in w]
    # The sources where the nearest indexed spelling occurs can be added to the selection.
    assert {("الشرق", "أ ف ب"), ("الشرق", "إن تي في")} == {tuple(w["source"]) for w in widen if "source" in w}
    assert "إزالة عوامل التصفية" in text and "البحث عن أي كلمة" not in text


def test_article_page_anchors_every_paragraph(client) -> None:
    """The whole article, each paragraph with id pN and a self link, in order."""
    text, page = get(client, f"/articles/{AFP}")
    assert [f"p{n}" for n in range(1, 17)] == [t["id"] for t in page.find("p", class_="paragraph")]
    assert "<h1>في ظل التحولات الجيوسياسية المتسارعة" in text
    assert '<time datetime="2024-10-14">' in text


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/?page=0", 400, "تعذّر تنفيذ الطلب"),
        ("/?date_from=2024-10-15&date_to=2024-10-01", 400, "تعذّر تنفيذ الطلب"),
        ("/articles/no-such-article", 404, "غير موجود"),
        ("/nothing-here", 404, "غير موجود"),
    ],
)
def test_html_errors_are_arabic_pages(client, url: str, status: int, heading: str) -> None:
    """Errors on pages are the Arabic error page with the status, never a traceback."""
    text, _ = get(client, url, status)
    assert f"<h1>{heading}</h1>" in text and '<html lang="ar" dir="rtl">' in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    "url",
    ["/", "/?q=الصين", "/?q=بيلوسوفف", "/?sort=newest&page=7", f"/articles/{AFP}", "/?page=0", "/nothing"],
)
def test_no_inline_script_or_style(client, url: str) -> None:
    """The CSP allows only the app's own files: no inline <script>, no <style>, no style= or on*= attributes."""
    text = client.get(url).get_data(as_text=True)
    page = Page(text)
    own = ("script", {"src": "/static/suggest.js", "defer": ""})  # the search box's completions, a file
    assert [] == [name for name, attrs in page.tags if name in ("script", "style") and (name, attrs) != own]
    assert [] == [(name, k) for name, attrs in page.tags for k in attrs if k == "style" or re.match(r"on\w+$", k)]


def test_a_keyword_search_lists_each_article_once_and_opens_it_marked(client) -> None:
    """The page groups a keyword search by article: the summary counts articles, each hit says how many
    of its paragraphs match and opens the article page with those paragraphs marked, at the best one."""
    text, page = get(client, "/", q="بيلوسوف")
    assert "2 مقالاً" in text and 2 == text.count('<li class="hit">')
    counts = sorted(int(n) for n in re.findall(r'class="matches"[^>]*>(\d+) فقرات مطابقة', text))
    assert [3, 3] == counts  # بيلوسوف in 000-1, 000-2, 000-3 and in 003-5, 003-7, 003-10
    for link in (a["href"] for a in page.find("a", class_="matches")):
        article_text, article = get(client, link.split("#")[0])
        matched = [p["id"] for p in article.find("p", class_="match")]
        assert link.split("#")[1] in matched and len(matched) in counts
        assert article_text.count("<mark>بيلوسوف</mark>") >= len(matched)
    _, questions = get(client, "/", q="بيلوسوف", mode="any")  # a question lists paragraphs
    assert [] == questions.find("a", class_="matches")
