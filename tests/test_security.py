"""Security and abuse limits on the real app: 400s with clear JSON messages for abusive parameters, no debug
mode outside tests, security headers on every response, everything echoed or snippeted escaped, article ids
validated, and no file opened from a path taken from a request."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from markupsafe import escape

from search.index.indexing import build_index
from web import create_app

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
HOSTILE_PARAGRAPH = f"هذه فقرة اختبار خبيثة فيها {SCRIPT} وصورة {IMG} ونص بعدها عن الاختبار."
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory) -> Path:
    """A small real index whose paragraph, title and source carry markup."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "metadata.tsv").write_text(f"file\tsource\tdate\n001_hostile.txt\t{IMG} وكالة\t2024-01-02\n", "utf-8")
    (corpus / "001_hostile.txt").write_text(f"{HOSTILE_PARAGRAPH}\nفقرة ثانية عادية عن الاختبار.\n", "utf-8")
    index_dir = tmp_path_factory.mktemp("hostile-index")
    build_index([corpus], index_dir, procs=1)
    return index_dir


@pytest.fixture
def hostile(hostile_index):
    return create_app({"TESTING": True, "INDEX_DIR": str(hostile_index)}).test_client()


# --- abuse limits -------------------------------------------------------------------------------------------

ABUSE = [
    ("query over 1,000 characters", {"q": "ب" * 1001}, "query_too_long", "1000"),
    ("21 source filters", {"source": [f"مصدر {n}" for n in range(21)]}, "too_many_sources", "20"),
    ("page x per_page beyond 10,000", {"q": "بكين", "page": "101", "per_page": "100"}, "page_too_deep", "10000"),
    ("a one-letter prefix", {"q": "a*"}, "prefix_too_short", "2"),
    ("a one-letter Arabic prefix", {"q": "ب*"}, "prefix_too_short", "2"),
]


@pytest.mark.parametrize(("what", "params", "code", "limit"), ABUSE, ids=[a[0] for a in ABUSE])
def test_abusive_parameters_get_400_with_a_clear_json_message(client, what, params, code, limit):
    response = client.get("/api/search", query_string=params)
    assert (400, "application/json") == (response.status_code, response.mimetype), what
    error = response.get_json()["error"]
    assert code == error["code"]
    assert limit in error["message"].replace(",", ""), error["message"]
    page = client.get("/", query_string=params)
    assert 400 == page.status_code
    assert str(escape(error["message"])) in page.get_data(as_text=True)  # the same message on the page


def test_limits_are_at_the_edge_not_before(client):
    at_limits = {"q": "ب" * 1000, "source": [f"مصدر {n}" for n in range(20)], "page": "100", "per_page": "100"}
    assert 200 == client.get("/api/search", query_string=at_limits).status_code
    assert 200 == client.get("/api/search", query_string={"q": "بك*"}).status_code


# --- debug mode and headers ---------------------------------------------------------------------------------


def test_no_debug_mode_outside_tests(seed_index, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("FAHRAS_INDEX_DIR", str(seed_index))
    app = create_app()  # exactly what gunicorn runs: "web:create_app()"
    assert (False, False, False) == (app.debug, app.testing, app.config["PROPAGATE_EXCEPTIONS"] or False)
    config = Path(__file__).resolve().parent.parent.joinpath("gunicorn.conf.py").read_text("utf-8")
    assert "reload" not in config and "debug" not in config.lower().replace("debug mode", "")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?q=بكين",
        "/api/search?q=بكين",
        "/api/search?page=-1",
        "/api/articles/000_75be7a96948e7c41",
        "/articles/000_75be7a96948e7c41",
        "/api/articles/no-such-article",
        "/api/analyze?text=بكين",
        "/api/openapi.json",
        "/healthz",
        "/static/style.css",
        "/no/such/page",
        "/?q=",
    ],
)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    response.close()  # a static file is streamed from an open file
    for name, value in HEADERS.items():
        assert value == response.headers.get(name), (path, response.status_code, name)
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"):
        assert directive in csp, (path, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_security_headers_on_503_without_index(tmp_path):
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    for path in ("/api/search?q=x", "/healthz", "/?q=x"):
        response = client.get(path)
        assert 503 == response.status_code
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "nosniff" == response.headers["X-Content-Type-Options"]


# --- escaping -----------------------------------------------------------------------------------------------


#: The one script a page may hold: the search box's completions, from the app's own static folder.
OWN_SCRIPT = '<script src="/static/suggest.js" defer></script>'


def assert_inert(html: str) -> None:
    """No markup from the data or the request survives as markup (the page's own script aside)."""
    lowered = html.replace(OWN_SCRIPT, "", 1).lower()
    assert "<script" not in lowered
    assert "<img" not in lowered


@pytest.mark.parametrize("q", ["اختبار", "alert", "script", "خبيثة"])
def test_markup_in_a_paragraph_is_shown_as_text(hostile, q):
    body = hostile.get("/api/search", query_string={"q": q}).get_json()
    assert body["total"] >= 1
    hit = next(h for h in body["results"] if "script" in h["text"])
    assert HOSTILE_PARAGRAPH == hit["text"]  # the JSON keeps the original text
    assert_inert(hit["snippet"])  # the snippet is HTML: escaped
    assert "&lt;script&gt;" in hit["snippet"] or "&lt;" in hit["snippet"]
    assert "<mark>" in hit["snippet"]
    page = hostile.get("/", query_string={"q": q}).get_data(as_text=True)
    assert_inert(page)
    assert "&lt;script&gt;" in page


def test_markup_in_an_article_page_is_shown_as_text(hostile):
    article_id = hostile.get("/api/search", query_string={"q": "اختبار"}).get_json()["results"][0]["article_id"]
    page = hostile.get(f"/articles/{article_id}").get_data(as_text=True)
    assert_inert(page)
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    "params",
    [
        {"q": SCRIPT},
        {"q": f'"{SCRIPT}" {IMG}'},
        {"q": "بكين", "source": SCRIPT},
        {"q": IMG, "sort": "newest"},
        {"q": "بكين", "date_from": SCRIPT},
        {"q": "بكين", "page": SCRIPT},
        {"q": "بكين", "mode": IMG},
    ],
)
def test_markup_in_the_request_is_echoed_as_text(client, params):
    response = client.get("/", query_string=params)
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert_inert(page)
    assert 'onerror="' not in page  # not even inside an attribute
    api = client.get("/api/search", query_string=params)
    assert "application/json" == api.mimetype
    assert "nosniff" == api.headers["X-Content-Type-Options"]


# --- article ids and paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "article_id",
    ["..%2F..%2Fetc%2Fpasswd", "..%2Fseeds%2F000_75be7a96948e7c41.txt", "%2Fetc%2Fpasswd", "a%20b",
     "%3Cscript%3E", "x" * 121, "%00", "000_75be7a96948e7c41%2F..%2F..", "%D8%A8%D9%83%D9%8A%D9%86"],
)
def test_article_route_refuses_ids_that_are_not_ids(client, article_id):
    for prefix in ("/api/articles/", "/articles/"):
        # "%2F" decodes to "/": an id starting with it is redirected (308) to one slash, then refused.
        response = client.get(prefix + article_id, follow_redirects=True)
        assert 400 == response.status_code, (prefix, article_id, response.status_code)
    error = client.get("/api/articles/" + article_id, follow_redirects=True).get_json()["error"]
    assert "invalid_article_id" == error["code"]


class OpenRecorder:
    """Record every file the process opens while armed (a real CPython audit hook, nothing replaced)."""

    installed: OpenRecorder | None = None

    def __init__(self) -> None:
        self.armed = threading.Event()
        self.paths: list[str] = []

    def __call__(self, event: str, args: tuple) -> None:
        if self.armed.is_set() and event in ("open", "os.listdir", "os.scandir") and args and args[0] is not None:
            self.paths.append(str(args[0]))

    @classmethod
    def get(cls) -> OpenRecorder:
        """Install one hook per process (audit hooks cannot be removed)."""
        if cls.installed is None:
            cls.installed = cls()
            sys.addaudithook(cls.installed)
        return cls.installed


def test_the_service_never_reads_a_path_taken_from_a_request(client, tmp_path):
    canary = tmp_path / "canary-secret"
    canary.mkdir()
    (canary / "secret.txt").write_text("secret", "utf-8")
    target = str(canary / "secret.txt")
    relative = "../" * 12 + target.lstrip("/")
    requests = [
        ("/api/search", {"q": target, "source": target, "date_from": target, "sort": target, "page": target}),
        ("/api/search", {"q": relative, "index": str(canary), "index_dir": str(canary), "INDEX_DIR": str(canary)}),
        ("/", {"q": target, "source": relative}),
        ("/api/analyze", {"text": target}),
        ("/api/articles/" + relative.replace("/", "%2F"), {}),
        ("/articles/" + target.replace("/", "%2F"), {}),
        ("/static/" + relative, {}),
        ("/static/%2E%2E/%2E%2E/" + relative, {}),
        ("/healthz", {"index": str(canary)}),
    ]
    recorder = OpenRecorder.get()
    recorder.paths.clear()
    recorder.armed.set()
    try:
        statuses = [client.get(path, query_string=params).status_code for path, params in requests]
    finally:
        recorder.armed.clear()
    assert all(status < 500 for status in statuses), statuses
    assert [] == [p for p in recorder.paths if "canary-secret" in p]
