"""The real server: gunicorn with gunicorn.conf.py over a seed index built in tmp, queried over HTTP, and its
workers picking up a new index generation without a restart."""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote_plus

import pytest
import requests

from search.index.indexing import build_index
from web.server import percent_encode_target

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
GUNICORN = Path(sys.executable).parent / "gunicorn"
STARTUP_LIMIT = 60.0  # seconds to wait for the server, so a broken start fails instead of hanging
NEW_ARTICLE = "بدأ معرض الزعفران السنوي في مدينة تبريز اليوم، وشارك فيه مزارعون من عشرين قرية.\n"


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running gunicorn: its base URL and log, and a way to fail with the log shown."""

    def __init__(self, process: subprocess.Popen, url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def get(self, path: str, **params: object) -> requests.Response:
        """GET a path on the server (a fresh connection each time, so requests spread over workers)."""
        with requests.Session() as session:
            return session.get(self.url + path, params=params, timeout=30)

    def log_text(self) -> str:
        """The server's output so far."""
        return self.log.read_text("utf-8", errors="replace")


def start_gunicorn(index_dir: Path, log: Path, *options: str) -> Server:
    """Start gunicorn -c gunicorn.conf.py (and ``options``) on a free port and wait until /healthz answers."""
    if not GUNICORN.exists():
        pytest.fail(f"gunicorn is not installed beside {sys.executable}: run `make install`")
    port = free_port()
    env = {**os.environ, "FAHRAS_INDEX_DIR": str(index_dir)}
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", *options, "web:create_app()"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log_text()}")
        try:
            if server.get("/healthz").status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    stop(server)
    pytest.fail(f"gunicorn did not answer /healthz within {STARTUP_LIMIT:.0f}s:\n{server.log_text()}")


def stop(server: Server) -> None:
    """Stop gunicorn gracefully (SIGTERM), then by force if it lingers."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """A fresh seed index in tmp, which this test may re-index."""
    path = tmp_path / "index"
    build_index([SEEDS], path)
    return path


@pytest.fixture
def server(index_dir: Path, tmp_path: Path) -> Iterator[Server]:
    """gunicorn serving the tmp index; always terminated."""
    running = start_gunicorn(index_dir, tmp_path / "gunicorn.log")
    try:
        yield running
    finally:
        stop(running)


def test_gunicorn_serves_search_page_and_health(server: Server) -> None:
    """Over HTTP: the JSON search, the Arabic page with marks and its Link, the article, health."""
    health = server.get("/healthz")
    assert (200, "ok", 63) == (health.status_code, health.json()["status"], health.json()["paragraphs"])

    api = server.get("/api/search", q="بيلوسوف", per_page=10)
    assert (200, "application/json") == (api.status_code, api.headers["Content-Type"])
    assert 6 == api.json()["total"]
    assert all("<mark>بيلوسوف</mark>" in hit["snippet"] for hit in api.json()["results"])

    page = server.get("/", q="بيلوسوف")
    assert (200, "text/html; charset=utf-8") == (page.status_code, page.headers["Content-Type"])
    assert '<html lang="ar" dir="rtl">' in page.text and "<mark>بيلوسوف</mark>" in page.text
    assert page.headers["Link"].endswith('; rel="alternate"; type="application/json"')
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]

    article = server.get("/articles/003_556d3c13a662a267")
    assert 200 == article.status_code and 'id="p10"' in article.text
    assert (400, "invalid_parameter") == (
        server.get("/api/search", page=-1).status_code, server.get("/api/search", page=-1).json()["error"]["code"]
    )
    assert server.process.poll() is None


def test_workers_pick_up_a_new_generation_without_restart(server: Server, index_dir: Path, tmp_path: Path) -> None:
    """Re-index a changed corpus into the same folder: every worker soon serves the new generation."""
    before = server.get("/healthz").json()["generation"]
    assert 0 == server.get("/api/search", q="الزعفران").json()["total"]

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "005_saffron.txt").write_text(NEW_ARTICLE, "utf-8")
    with (corpus / "metadata.tsv").open("a", encoding="utf-8") as meta:
        meta.write("005_saffron.txt\tاختبار\t2025-01-20\n")
    summary = build_index([corpus], index_dir)
    assert summary.generation != before

    # Poll until a run of answers (fresh connections, spread over the workers) all report the new generation.
    in_a_row, deadline = 0, time.monotonic() + STARTUP_LIMIT
    while in_a_row < 20:
        assert time.monotonic() < deadline, f"workers still serve {before}:\n{server.log_text()[-3000:]}"
        health = server.get("/healthz").json()
        in_a_row = in_a_row + 1 if health["generation"] == summary.generation else 0
    assert 64 == health["paragraphs"]
    found = server.get("/api/search", q="الزعفران").json()
    assert (1, "005_saffron") == (found["total"], found["results"][0]["article_id"])
    assert "<mark>الزعفران</mark>" in found["results"][0]["snippet"]
    assert summary.generation == found["generation"]
    assert server.process.poll() is None, "gunicorn was restarted or died"


def _worker_cpu_seconds(master: int) -> dict[int, float]:
    """Return the CPU seconds (user + system) each worker of a gunicorn master has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        if int(fields[1]) == master:  # field 4 of stat, the parent's pid
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def test_keep_alive_clients_are_spread_over_workers(index_dir: Path, tmp_path: Path) -> None:
    """Four clients that keep their connection open (as a proxy or wrk does) load both workers, even when
    they connect as the server starts (or a worker is recycled): the worker up first accepted them all and
    kept them, searching on one core while the other idled."""
    server = start_gunicorn(index_dir, tmp_path / "gunicorn.log", "--workers", "2")  # whatever the cores
    words = ["بيلوسوف", "الصين", "روسيا", "بكين", "موسكو", "الدفاع", "التعاون", "العسكري"]
    try:
        before = _worker_cpu_seconds(server.process.pid)

        def client(number: int) -> None:
            with requests.Session() as session:  # HTTP/1.1 keep-alive, as long as the server allows it
                for i in range(60):
                    q = f"{words[(number + i) % len(words)]} {words[i % len(words)]}"
                    answer = session.get(server.url + "/api/search", params={"q": q, "page": 1 + i % 5}, timeout=30)
                    assert answer.status_code == 200

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(client, range(4)))
        after = _worker_cpu_seconds(server.process.pid)
    finally:
        stop(server)
    spent = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    assert len(spent) == 2, spent
    total = sum(spent.values())
    assert total > 0 and min(spent.values()) >= 0.35 * total, spent  # each near its half


def test_questions_are_reranked_consistently_under_concurrent_load(tmp_path: Path) -> None:
    """Workers embed questions in their threads: answers given under load equal those given one at a time.

    Each question is asked once per server (with a different number of question marks, which the words
    ignore but the embedding does not), so no answer or embedding comes from a cache; the one-at-a-time
    answers come from a second, fresh server.
    """
    index = tmp_path / "index"
    build_index([SEEDS], index, procs=1, semantic=True)
    questions = [
        f"{question}{'؟' * marks}"
        for question in (
            "لماذا زار وزير الدفاع الروسي بكين",
            "ما هو موقف الغرب من زيارة بوتين إلى الصين",
            "هل تؤثر العقوبات على العلاقة بين روسيا والصين",
            "متى أعلنت الصين وروسيا شراكة بلا حدود",
        )
        for marks in range(1, 9)
    ]

    def answers(server: Server, clients: int) -> list[list[str]]:
        def ids(question: str) -> list[str]:
            response = server.get("/api/search", q=question, mode="any", per_page=10)
            assert response.status_code == 200, response.text
            assert "partial" not in response.json()  # cut short by the time budget would be another answer
            return [hit["id"] for hit in response.json()["results"]]

        with ThreadPoolExecutor(max_workers=clients) as pool:
            return list(pool.map(ids, questions))

    for clients in (8, 1):
        running = start_gunicorn(index, tmp_path / f"gunicorn-{clients}.log")
        try:
            assert running.get("/healthz").json()["semantic"] is True
            if clients == 8:
                under_load = answers(running, clients)
            else:
                assert answers(running, clients) == under_load
            assert "Traceback" not in running.log_text()
            assert running.process.poll() is None
        finally:
            stop(running)


# --- raw UTF-8 in the request line (curl, wget and scripts send it unencoded) -------------------------------


@pytest.fixture(scope="module")
def seed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn serving a seed index that no test changes, shared by the request-line tests."""
    tmp = tmp_path_factory.mktemp("seed-server")
    build_index([SEEDS], tmp / "index")
    running = start_gunicorn(tmp / "index", tmp / "gunicorn.log")
    try:
        yield running
    finally:
        stop(running)


def send_raw(server: Server, request_line: bytes, headers: bytes = b"") -> tuple[int, bytes]:
    """Write one request, its line's bytes exactly as given (nothing encoded), and return the status and body."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request_line + b"\r\nHost: fahras\r\nConnection: close\r\n" + headers + b"\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def _answer(body: bytes) -> dict:
    """A JSON answer without its timing, which differs between two identical requests."""
    answer = json.loads(body)
    answer.pop("took_ms", None)
    return answer


@pytest.mark.parametrize(
    ("template", "words", "status"),
    [
        ("/api/search?q={}&per_page=10", ["الصين"], 200),
        ("/api/search?q={}+{}&mode=any&per_page=5&page=2", ["وسعت", "موسكو"], 200),
        ("/api/search?q={}&source={}", ["بيلوسوف", "إن تي في"], 200),
        ("/api/search?q=%D8%A7%D9%84%D8%B5%D9%8A%D9%86+{}", ["روسيا"], 200),  # half encoded, half raw
        ("/api/analyze?text={}", ["الْعَرَبِيَّةُ"], 200),
        ("/api/articles/{}", ["مقال"], 400),  # a raw UTF-8 path: the same refusal of the id as encoded
        ("/api/{}", ["بحث"], 404),
    ],
)
def test_raw_utf8_request_line_is_answered_as_if_encoded(
    seed_server: Server, template: str, words: list[str], status: int
) -> None:
    """Raw UTF-8 bytes in the path or the query string get the answer their percent-encoded form gets."""
    raw = template.format(*(word.replace(" ", "+") for word in words)).encode("utf-8")
    encoded = template.format(*(quote_plus(word) for word in words)).encode("ascii")
    assert raw != encoded and any(byte >= 0x80 for byte in raw)

    raw_status, raw_body = send_raw(seed_server, b"GET " + raw + b" HTTP/1.1")
    encoded_status, encoded_body = send_raw(seed_server, b"GET " + encoded + b" HTTP/1.1")
    assert (status, status) == (raw_status, encoded_status), raw_body[:500]
    assert _answer(encoded_body) == _answer(raw_body)
    if template.startswith("/api/search"):
        assert _answer(raw_body)["results"], raw_body[:500]  # some hits, so the comparison compares them


def test_raw_utf8_query_decodes_to_the_arabic_words(seed_server: Server) -> None:
    """Flask decodes the raw bytes as UTF-8: q is the Arabic string, and the hits are the encoded request's."""
    status, body = send_raw(seed_server, "GET /api/search?q=الصين&per_page=50 HTTP/1.1".encode())
    assert 200 == status
    answer = json.loads(body)
    expected = seed_server.get("/api/search", q="الصين", per_page=50).json()  # requests percent-encodes
    assert "الصين" == answer["query"]["q"]
    assert (expected["total"], [hit["id"] for hit in expected["results"]]) == (
        answer["total"], [hit["id"] for hit in answer["results"]]
    )
    assert all("<mark>" in hit["snippet"] for hit in answer["results"])
    page_status, page = send_raw(seed_server, "GET /?q=الصين HTTP/1.1".encode())  # and the HTML page
    assert 200 == page_status and "<mark>الصين</mark>".encode() in page


def test_raw_bytes_that_are_not_utf8_are_no_error(seed_server: Server) -> None:
    """A byte that starts no UTF-8 character is answered as its %XX form is, and never with a 500."""
    raw_status, raw_body = send_raw(seed_server, b"GET /api/search?q=\xff\xd8 HTTP/1.1")
    encoded_status, encoded_body = send_raw(seed_server, b"GET /api/search?q=%FF%D8 HTTP/1.1")
    assert raw_status == encoded_status and raw_status < 500
    assert _answer(encoded_body) == _answer(raw_body)
    assert "Traceback" not in seed_server.log_text()


@pytest.mark.parametrize(
    ("request_line", "headers"),
    [
        (b"GET /api/search?q=\xd8\xa7\x01 HTTP/1.1", b""),  # a control character beside raw UTF-8
        (b"GET /api/search?q=\x00 HTTP/1.1", b""),  # NUL
        (b"GET /api/search?q=\xd8\xa7\x7f HTTP/1.1", b""),  # DEL
        (b"GET /api/search?q=\xd8\xa7\tx HTTP/1.1", b""),  # a tab inside the target
        (b"GET /api/search?q=\xd8\xa7 \xd8\xa7 HTTP/1.1", b""),  # a space inside the target
        (b"GET  /api/search?q=\xd8\xa7 HTTP/1.1", b""),  # two spaces after the method
        (b"G\xd8\xa7T /api/search HTTP/1.1", b""),  # non-ASCII in the method is not encoded for it
        (b"GE(T /api/search?q=\xd8\xa7 HTTP/1.1", b""),  # not a method token
        (b"get /api/search?q=\xd8\xa7 HTTP/1.1", b""),  # lower-case method
        (b"GET \xd8\xa7 HTTP/1.1", b""),  # a target that is no path, once encoded neither
        (b"GET /api/search?q=\xd8\xa7 HTTP/\xd9\xa1.1", b""),  # an Arabic digit in the version
        (b"GET /api/search?q=\xd8\xa7 HTTP/1.1 x", b""),  # a fourth part
        (b"GET /api/search?q=\xd8\xa7", b""),  # no version
        (b"GET /api/search?q=\xd8\xa7 HTTP/1.1", b"Content-Length: 1\r\nContent-Length: 2\r\n"),  # framing
        (b"GET /api/search?q=\xd8\xa7 HTTP/1.1", b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"),
    ],
)
def test_malformed_request_lines_are_still_refused(seed_server: Server, request_line: bytes, headers: bytes) -> None:
    """Only the target's bytes >= 0x80 are encoded: every other malformed line or framing is a 400, never a 500."""
    status, _ = send_raw(seed_server, request_line, headers)
    assert 400 == status
    assert "Traceback" not in seed_server.log_text()
    assert seed_server.process.poll() is None


def test_percent_encode_target_touches_only_the_target() -> None:
    """The method, the version and ASCII bytes stay as sent; the target's bytes >= 0x80 become %XX."""
    assert b"GET /%D8%A7?q=%D8%A8%25 HTTP/1.1" == percent_encode_target("GET /ا?q=ب%25 HTTP/1.1".encode())
    assert "G\u0627T /%D8%A7 HTTP/\u0661.1".encode() == percent_encode_target("G\u0627T /ا HTTP/\u0661.1".encode())
    assert "GET /ا".encode() == percent_encode_target("GET /ا".encode())  # no version: left for gunicorn to refuse
    assert b"GET /\x01 HTTP/1.1" == percent_encode_target(b"GET /\x01 HTTP/1.1")


def readme_curl_commands() -> list[str]:
    """The curl command lines in README.md's code blocks (`$ curl ...` or `curl ...`), as written."""
    commands, in_block = [], False
    for line in (REPO / "README.md").read_text("utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_block = not in_block
        elif in_block and re.match(r"\s*(\$\s+)?curl\s", line):
            commands.append(re.sub(r"^\s*(\$\s+)?", "", line))
    return commands


def test_readme_curl_examples_answer_json(seed_server: Server) -> None:
    """Every curl example of the README, run as written by the real curl against the real gunicorn: 200, JSON."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("the curl binary is not installed: `apt-get install curl` to run the README's examples")
    commands = readme_curl_commands()
    assert commands, "README.md has no curl example in a code block"
    assert any(not command.isascii() for command in commands), "no README example sends raw UTF-8"
    for command in commands:
        argv = shlex.split(re.sub(r"https?://(127\.0\.0\.1|localhost):\d+", seed_server.url, command))
        assert not {"|", ";", "&&", ">", "<"} & set(argv), f"not a plain curl command: {command}"
        argv[0] = curl
        run = subprocess.run(
            [*argv, "--write-out", "\n%{http_code} %{content_type}"], capture_output=True, timeout=60, check=False
        )
        assert 0 == run.returncode, (command, run.stderr)
        body, _, status = run.stdout.rpartition(b"\n")
        assert b"200 application/json" == status, (command, status, body[:500])
        assert "error" not in json.loads(body), command
def test_gunicorn_streams_a_csv_download(server: Server) -> None:
    """Over HTTP: a CSV of every hit, chunked as it is written, with the BOM, and rows equal to the pages."""
    pages, page = [], 1
    while page:
        body = server.get("/api/search", q="الصين", sort="newest", page=page, per_page=10).json()
        pages += [[h["id"], h["article_id"], h["title"], h["source"], h["date"] or "", str(h["paragraph"]),
                   h["url"] or "", h["text"]] for h in body["results"]]
        page = page + 1 if body["links"]["next"] else 0
    with requests.get(server.url + "/api/search", params={"q": "الصين", "sort": "newest", "format": "csv"},
                      stream=True, timeout=30) as response:
        assert (200, "text/csv; charset=utf-8") == (response.status_code, response.headers["Content-Type"])
        assert "chunked" == response.headers.get("Transfer-Encoding")  # streamed, no Content-Length known ahead
        data = b"".join(response.iter_content(chunk_size=None))
    assert data.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    assert ["id", "article_id", "title", "source", "date", "paragraph", "url", "text"] == header
    assert (pages, str(len(pages))) == (rows, response.headers["X-Total-Count"])
    assert server.process.poll() is None
