"""The search page in a real browser: Debian's Chromium driven by Playwright against a real server on 127.0.0.1.

Never `playwright install`: the browser is /usr/bin/chromium (`make browser` installs it as root). Without it
this test fails and names the one command to run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def base_url(app) -> Iterator[str]:
    """The real app over the seed index, served by werkzeug on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium from Debian's package."""
    if not CHROMIUM.exists():
        pytest.fail(f"the browser test needs Debian's Chromium at {CHROMIUM}. Run: sudo apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser: Browser, viewport: dict, javascript: bool = True) -> tuple[Page, list[str]]:
    """A new page and the list that collects its console errors (a CSP violation is one)."""
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript, locale="ar")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def state(page: Page) -> dict[str, list[str]]:
    """The page URL's query parameters (the search state)."""
    return parse_qs(urlsplit(page.url).query)


def hit_sources(page: Page) -> set[str]:
    """The sources named by the results on the page."""
    return set(page.locator(".hit .source").all_inner_texts())


def test_search_in_the_browser(browser: Browser, base_url: str, tmp_path: Path) -> None:
    """Type a query, see marked snippets, toggle sources, click a month bar, follow a hit into its article."""
    page, errors = open_page(browser, DESKTOP)
    page.goto(base_url + "/")
    assert ("ar", "rtl") == (page.get_attribute("html", "lang"), page.get_attribute("html", "dir"))
    expect(page.get_by_label("ابحث في الأرشيف")).to_be_focused()

    page.keyboard.type("الصين")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?q="))
    assert {"q": ["الصين"]} == state(page)
    # a keyword search lists each article once: the 48 paragraphs naming الصين are in 5 articles
    expect(page.locator("#results-heading")).to_contain_text("5 مقالاً")
    expect(page.locator(".hit .matches").first).to_contain_text("فقرات مطابقة")
    marks = page.locator(".hit .snippet mark")
    assert {"الصين"} <= set(marks.all_inner_texts())
    assert "rgb(255, 229, 138)" == marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    page.screenshot(path=str(tmp_path / "search-desktop.png"), full_page=True)

    # Sources are multi-select toggles: one, then a second, then the first off again.
    page.locator(".sources a", has_text="أ ف ب").click()
    page.wait_for_url(re.compile("source="))
    assert (["أ ف ب"], {"أ ف ب"}) == (state(page)["source"], hit_sources(page))
    expect(page.locator("#results-heading")).to_contain_text("1 مقالاً")
    expect(page.locator(".sources a", has_text="أ ف ب")).to_have_attribute("aria-pressed", "true")
    page.locator(".sources a", has_text="الشرق").click()
    page.wait_for_url(re.compile("source=.*source="))
    assert ["أ ف ب", "الشرق"] == state(page)["source"]
    expect(page.locator("#results-heading")).to_contain_text("2 مقالاً")
    page.locator(".sources a", has_text="أ ف ب").click()
    page.wait_for_url(lambda url: "source" in url and len(parse_qs(urlsplit(url).query)["source"]) == 1)
    assert (["الشرق"], {"الشرق"}) == (state(page)["source"], hit_sources(page))

    # A month bar filters to that month: with الشرق selected only December 2021 has paragraphs.
    page.locator(".sources a", has_text="الشرق").click()
    page.wait_for_url(lambda url: "source" not in parse_qs(urlsplit(url).query))
    page.locator(".months a", has_text="2024-05").click()
    page.wait_for_url(re.compile("date_from="))
    assert (["2024-05-01"], ["2024-05-31"]) == (state(page)["date_from"], state(page)["date_to"])
    dates = page.locator(".hit time").all_inner_texts()
    assert dates and {"2024-05-16"} == set(dates)
    expect(page.locator(".months a.on")).to_have_count(1)
    expect(page.locator("#date_from")).to_have_value("2024-05-01")
    page.screenshot(path=str(tmp_path / "filtered-desktop.png"), full_page=True)

    # The hit's title leads to the whole article, its matching paragraphs marked, scrolled to the best one.
    first = page.locator(".hit h3 a").first
    href = first.get_attribute("href")
    assert re.fullmatch(r"/articles/[0-9a-f_]+\?q=[^#]+#p\d+", href), href
    first.click()
    page.wait_for_url(re.compile(r"/articles/.+#p\d+$"))
    target = page.locator(".paragraph:target")
    expect(target).to_have_count(1)
    assert "p" + href.rsplit("#p", 1)[1] == target.get_attribute("id")
    assert "match" in target.get_attribute("class") and target.locator("mark").count() >= 1
    assert target.evaluate("p => p.getBoundingClientRect().top < window.innerHeight")  # scrolled to
    assert [] == errors


def test_no_results_suggestion_pagination_and_sort(browser: Browser, base_url: str) -> None:
    """No results show help; a misspelling finds its nearest spelling and offers it; pages and sort work."""
    page, errors = open_page(browser, DESKTOP)
    page.goto(base_url + "/?q=كازاااان")
    expect(page.locator("#results-heading")).to_contain_text("لا نتائج")
    expect(page.locator(".help")).to_be_visible()
    page.goto(base_url + "/?q=بيلوسوفف")
    expect(page.locator("#results-heading")).to_contain_text("2 مقالاً")
    page.get_by_role("link", name="بيلوسوف", exact=True).click()
    page.wait_for_url(re.compile(r"q=%D8%A8%D9%8A%D9%84%D9%88%D8%B3%D9%88%D9%81$"))
    expect(page.locator("#results-heading")).to_contain_text("2 مقالاً")

    page.goto(base_url + "/?q=الصين")
    page.get_by_label("العرض").select_option("paragraph")  # one result per paragraph: 48, five pages
    page.get_by_role("button", name="بحث").click()
    page.wait_for_url(re.compile("group=paragraph"))
    expect(page.locator("#results-heading")).to_contain_text("48 فقرة")
    page.get_by_role("link", name=re.compile("التالي")).click()
    page.wait_for_url(re.compile("page=2"))
    expect(page.locator(".pages")).to_contain_text("صفحة 2 من 5")
    page.get_by_label("الترتيب").select_option("oldest")
    page.get_by_role("button", name="بحث").click()
    page.wait_for_url(re.compile("sort=oldest"))
    assert "page" not in state(page)
    assert "2021-12-15" == page.locator(".hit time").first.inner_text()
    assert [] == errors


def test_search_as_you_type(browser: Browser, base_url: str, tmp_path: Path) -> None:
    """The search box is an ARIA combobox: typing lists completions, Up/Down move, Enter searches the one chosen."""
    page, errors = open_page(browser, DESKTOP)
    page.goto(base_url + "/")
    box = page.get_by_role("combobox", name="ابحث في الأرشيف")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-expanded", "false")
    assert "list" == box.get_attribute("aria-autocomplete")

    page.keyboard.type("والصي")  # typed with و in front: completes to الصين and its forms
    listbox = page.get_by_role("listbox", name="اقتراحات البحث")
    expect(listbox).to_be_visible()
    assert listbox.get_attribute("id") == box.get_attribute("aria-controls")
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options).to_have_text(["الصين27", "الصيني13", "الصينية13", "والصين4"])
    assert "rtl" == listbox.evaluate("l => getComputedStyle(l).direction")
    expect(page.get_by_role("status")).to_contain_text("4 اقتراحات")
    page.screenshot(path=str(tmp_path / "completions.png"))

    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(options.nth(2)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(options.nth(2)).to_have_attribute("aria-selected", "false")
    expect(box).to_be_focused()  # focus stays in the box throughout
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?q="))
    assert {"q": ["الصين"]} == state(page)
    expect(page.locator("#results-heading")).to_contain_text("5 مقالاً")  # الصين: 48 paragraphs in 5 articles

    # Escape closes the list; a phrase is taken with the mouse too.
    box = page.get_by_role("combobox", name="ابحث في الأرشيف")
    box.fill("")
    box.press_sequentially("موسكو و")
    expect(options).to_have_text(["موسكو وبكين7", "موسكو وبكين علاقاتهما3"])
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("ArrowDown")  # opens it again
    expect(listbox).to_be_visible()
    options.nth(0).click()
    page.wait_for_url(re.compile(r"/\?q="))
    assert {"q": ["موسكو وبكين"]} == state(page)
    assert [] == errors


def test_keyboard_labels_and_no_javascript(browser: Browser, base_url: str) -> None:
    """Every control has a label, Tab reaches the facets, and the form works with JavaScript off."""
    page, errors = open_page(browser, DESKTOP, javascript=False)
    page.goto(base_url + "/?q=بوتين")
    unlabelled = page.locator("input:not([type=hidden]), select").evaluate_all(
        "els => els.filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"
    )
    assert [] == unlabelled
    assert page.locator("#q").get_attribute("role") is None  # a plain search field: no combobox without script
    page.locator("#q").fill("بيلوسوف")
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile("q=%D8%A8%D9%8A"))
    assert {"q": ["بيلوسوف"]} == state(page)  # the empty fields the form sent were redirected away
    expect(page.locator("#results-heading")).to_contain_text("2 مقالاً")
    focused = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.className + ' ' + document.activeElement.tagName"))
    assert any("toggle" in f for f in focused) and any("month" in f for f in focused), focused
    assert [] == errors


def test_phone_layout(browser: Browser, base_url: str, tmp_path: Path) -> None:
    """At 390px nothing scrolls sideways and the results come before the facets."""
    page, errors = open_page(browser, PHONE)
    page.goto(base_url + "/?q=الصين")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    results = page.locator(".results").bounding_box()
    facets = page.locator(".facets").bounding_box()
    assert results["y"] < facets["y"]
    page.screenshot(path=str(tmp_path / "search-phone.png"), full_page=True)
    assert [] == errors
