"""The web service on the cluster: the same JSON API, page, error shape and health as on Whoosh; a shard
that stops answers with ``partial`` naming it (a JSON 503 when none answers, never a 500), and full
answers return once it is back."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from search.sphinx import cluster as sphinx_cluster
from search.sphinx.indexing import build_sphinx_index
from tests.test_openapi import check
from web import create_app

from .conftest import SEEDS, start_cluster

#: What two answers may differ in: how long they took and which generation (and so backend) gave them.
VOLATILE = ("took_ms", "generation")


def _app(index: Path, cluster_file: Path):
    return create_app({"TESTING": True, "BACKEND": "sphinx", "SPHINX": str(cluster_file), "INDEX_DIR": str(index),
                       "CACHE_SIZE": 0})


@pytest.fixture(scope="module")
def sphinx_client(seed_cluster):
    cluster, index = seed_cluster
    return _app(index, cluster.folder / sphinx_cluster.CLUSTER_FILE).test_client()


@pytest.fixture(scope="module")
def whoosh_client(whoosh_seeds):
    index = str(whoosh_seeds.path.parent.parent)
    return create_app({"TESTING": True, "INDEX_DIR": index, "CACHE_SIZE": 0}).test_client()


def _same(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k not in VOLATILE} == {k: v for k, v in b.items() if k not in VOLATILE}


@pytest.mark.parametrize("query", [
    "q=الصين", "q=الصين&group=article&page=2&per_page=2", "q=مجلس+الامن&sort=oldest", "q=روسيا&source=الشرق",
    "q=بكين&date_from=2024-01-01", "sort=newest", "q=كيف+تطورت+العلاقات+بين+الصين+وروسيا",
])
def test_the_json_api_answers_as_on_whoosh(sphinx_client, whoosh_client, query: str) -> None:
    ours, theirs = sphinx_client.get(f"/api/search?{query}"), whoosh_client.get(f"/api/search?{query}")
    assert ours.status_code == theirs.status_code == 200
    assert _same(ours.get_json(), theirs.get_json())
    assert ours.get_json()["total"] > 0


@pytest.mark.parametrize("path", [
    "/api/search?q=الصين&per_page=0", "/api/search?q=الصين&page=abc", "/api/search?q=الصين&date_from=2024-13-01",
    "/api/search?q=الصين&sort=sideways", "/api/articles/no-such-article", "/api/suggest?q=",
])
def test_bad_input_gets_the_same_error(sphinx_client, whoosh_client, path: str) -> None:
    ours, theirs = sphinx_client.get(path), whoosh_client.get(path)
    assert ours.status_code == theirs.status_code and 400 <= ours.status_code < 500
    assert ours.get_json() == theirs.get_json()


def test_the_page_the_article_the_suggestions_and_the_export(sphinx_client, whoosh_client) -> None:
    page = sphinx_client.get("/?q=الصين")
    assert page.status_code == 200 and 'dir="rtl"' in page.get_data(as_text=True)
    hit = sphinx_client.get("/api/search?q=الصين&group=article").get_json()["results"][0]
    link = hit["article_link"]
    assert sphinx_client.get(link).status_code == 200
    api = link.replace("/articles/", "/api/articles/", 1)
    assert sphinx_client.get(api).get_json() == whoosh_client.get(api).get_json()
    assert sphinx_client.get("/api/suggest?q=الص").get_json() == whoosh_client.get("/api/suggest?q=الص").get_json()
    csv = "/api/search?q=الصين&format=csv&limit=30"
    ours = sphinx_client.get(csv)
    assert ours.status_code == 200 and ours.get_data() == whoosh_client.get(csv).get_data()


def test_health_names_every_shard(sphinx_client) -> None:
    document = sphinx_client.get("/api/openapi.json").get_json()
    check(document, "/healthz", sphinx_client.get("/healthz"))
    check(document, "/api/search", sphinx_client.get("/api/search?q=الصين"))
    health = sphinx_client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["backend"] == "sphinx"
    assert [m["name"] for m in health["cluster"]] == ["head", "shard1", "shard2"]
    assert all(m["up"] for m in health["cluster"])
    assert health["paragraphs"] == 63 and health["articles"] == 5


# -- faults: a cluster of our own, its members killed and restarted -----------------------------------


@pytest.fixture
def own_cluster(tmp_path: Path):
    cluster = start_cluster(tmp_path / "cluster", 2)
    build_sphinx_index([SEEDS], tmp_path / "index", cluster)
    yield cluster, tmp_path / "index"
    sphinx_cluster.down(tmp_path / "cluster")


def _kill(member: Path) -> None:
    pid = int((member / "searchd.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    while True:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.02)


def test_a_killed_shard_gives_partial_answers_then_full_ones_once_restarted(own_cluster) -> None:
    cluster, index = own_cluster
    client = _app(index, cluster.folder / sphinx_cluster.CLUSTER_FILE).test_client()
    full = client.get("/api/search?q=الصين").get_json()
    assert "partial" not in full and full["total"] > 0
    _kill(cluster.folder / "shard2")
    answer = client.get("/api/search?q=الصين")
    assert answer.status_code == 200
    document = client.get("/api/openapi.json").get_json()
    check(document, "/api/search", answer)
    check(document, "/healthz", client.get("/healthz"))
    body = answer.get_json()
    assert body["partial"] is True and body["missing_shards"] == ["shard2"]
    assert 0 < body["total"] < full["total"]
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded"
    assert {m["name"]: m["up"] for m in health["cluster"]} == {"head": True, "shard1": True, "shard2": False}
    restarted = time.monotonic()
    sphinx_cluster.start_member(cluster.folder / "shard2", cluster.shards[1].sphinxql)
    while True:
        body = client.get("/api/search?q=الصين").get_json()
        if "partial" not in body:
            break
        assert time.monotonic() - restarted < 5, "full answers did not return within 5 s of the restart"
        time.sleep(0.1)
    assert body["total"] == full["total"] and body["results"] == full["results"]


def test_no_shard_answering_is_a_json_503_never_a_500(own_cluster) -> None:
    cluster, index = own_cluster
    client = _app(index, cluster.folder / sphinx_cluster.CLUSTER_FILE).test_client()
    for shard in cluster.shards:
        _kill(cluster.folder / shard.name)
    answer = client.get("/api/search?q=الصين")
    assert answer.status_code == 503
    check(client.get("/api/openapi.json").get_json(), "/api/search", answer)
    error = answer.get_json()["error"]
    assert error["code"] == "cluster_unavailable" and "shard1" in error["message"] and "shard2" in error["message"]
    assert client.get("/?q=الصين").status_code == 503  # the page says so too, in Arabic
    _kill(cluster.folder / "head")
    answer = client.get("/api/search?q=بكين")
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "cluster_error"
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "degraded"


def test_a_shard_killed_under_load_through_gunicorn(own_cluster) -> None:
    """Real gunicorn, four clients: a shard killed and restarted mid-load never gives anything but a 200,
    partial answers name it, and full answers are back within 5 s of its restart."""
    import threading

    from tests.helpers.server import get_json, gunicorn

    cluster, index = own_cluster
    env = {"FAHRAS_BACKEND": "sphinx", "FAHRAS_SPHINX": str(cluster.folder / sphinx_cluster.CLUSTER_FILE),
           "FAHRAS_CACHE_SIZE": "0"}
    answers: list[tuple[float, int, bool, tuple, int]] = []
    done = threading.Event()

    def load(port: int) -> None:
        while not done.is_set():
            status, _, body = get_json(port, "/api/search?q=الصين")
            answers.append((time.monotonic(), status, bool(body.get("partial")), tuple(body.get("missing_shards", ())),
                            body.get("total", -1)))

    with gunicorn(index, env=env) as (port, _):
        full = get_json(port, "/api/search?q=الصين")[2]["total"]
        clients = [threading.Thread(target=load, args=(port,)) for _ in range(4)]
        for client in clients:
            client.start()
        try:
            time.sleep(0.5)
            _kill(cluster.folder / "shard1")
            time.sleep(1.0)
            restarted = time.monotonic()
            sphinx_cluster.start_member(cluster.folder / "shard1", cluster.shards[0].sphinxql)
            time.sleep(5.5)
        finally:
            done.set()
            for client in clients:
                client.join()
    assert answers and [a for a in answers if a[1] != 200] == []
    partial = [a for a in answers if a[2]]
    # (a search whose first stage ran just before the kill counts everything, and lacks only hits)
    assert partial and all(missing == ("shard1",) and 0 < total <= full for _, _, _, missing, total in partial)
    assert any(total < full for *_, total in partial)
    late = [a for a in answers if a[0] > restarted + 5]
    assert late and all(not a[2] and a[4] == full for a in late)
