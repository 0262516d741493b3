"""Re-indexing on the cluster: a new generation fills the free slot and is switched to only when every
shard holds it whole; under load no request fails and no answer mixes generations; a failed or killed
re-index leaves the live generation serving."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest

from search.index.generations import current_generation
from search.sphinx import cluster as sphinx_cluster
from search.sphinx.indexing import build_sphinx_index, live_slot
from tests.helpers.server import get_json, gunicorn, run_fahras, spawn, stop

from .conftest import SEEDS, start_cluster

EXTRA = {"id": "extra-1", "title": "خبر إضافي عن الصين", "source": "فهرس", "date": "2025-01-02", "url": "",
         "text": "وقعت الصين اتفاقية جديدة للتعاون في مجال الطاقة.\nوقال المتحدث إن الصين ترحب بالتعاون."}


@pytest.fixture
def live(tmp_path: Path):
    cluster = start_cluster(tmp_path / "cluster", 2)
    build_sphinx_index([SEEDS], tmp_path / "index", cluster)
    yield cluster, tmp_path / "index", tmp_path
    sphinx_cluster.down(tmp_path / "cluster")


def _extra_corpus(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "extra.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def _reindex(cluster, index: Path, *paths: Path | str, extra: tuple[str, ...] = ()):
    return run_fahras("reindex", *map(str, paths), "--backend", "sphinx", "--index", str(index),
                      "--cluster", str(cluster.folder / sphinx_cluster.CLUSTER_FILE), *extra)


def test_generations_alternate_slots_and_the_old_one_is_removed(live) -> None:
    cluster, index, tmp = live
    first = current_generation(index)
    assert live_slot(index) == "a"
    done = _reindex(cluster, index, SEEDS, _extra_corpus(tmp / "b", [EXTRA]))
    assert done.returncode == 0, done.stderr
    assert "slot b on 2 shards" in done.stdout and "paragraphs   65" in done.stdout
    assert live_slot(index) == "b" and current_generation(index) != first
    assert _reindex(cluster, index, SEEDS).returncode == 0
    assert live_slot(index) == "a"
    assert sorted(p.name for p in (index / "generations").iterdir()) == sorted(
        {current_generation(index), json.loads((index / "generations" / current_generation(index) / "meta.json")
                                               .read_text())["previous"]})


def test_a_reindex_under_load_fails_no_request_and_mixes_no_generation(live) -> None:
    cluster, index, tmp = live
    env = {"FAHRAS_BACKEND": "sphinx", "FAHRAS_SPHINX": str(cluster.folder / sphinx_cluster.CLUSTER_FILE),
           "FAHRAS_CACHE_SIZE": "0"}
    answers: list[tuple[int, str, int, frozenset]] = []
    stop_load = threading.Event()

    def load() -> None:
        while not stop_load.is_set():
            status, _, body = get_json(port, "/api/search?q=الصين&per_page=100")
            answers.append((status, body.get("generation", ""), body.get("total", -1),
                            frozenset(r["article_id"] for r in body.get("results", []))))

    with gunicorn(index, env=env) as (port, _):
        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        try:
            time.sleep(0.5)
            plus = _reindex(cluster, index, SEEDS, _extra_corpus(tmp / "b", [EXTRA]))
            time.sleep(0.5)
            back = _reindex(cluster, index, SEEDS)
            time.sleep(0.5)
        finally:
            stop_load.set()
            for worker in workers:
                worker.join()
    assert plus.returncode == 0 and back.returncode == 0, (plus.stderr, back.stderr)
    assert answers and all(status == 200 for status, *_ in answers)
    by_generation: dict[str, set] = {}
    for _, generation, total, articles in answers:
        by_generation.setdefault(generation, set()).add((total, "extra-1" in articles))
    assert len(by_generation) == 3  # the first, the one with the extra article, the last
    for seen in by_generation.values():
        assert len(seen) == 1  # one total per generation, and the extra article only where it was indexed
    totals = sorted(total for (total, _), in by_generation.values())
    assert totals[0] == totals[1] and totals[2] == totals[0] + 2
    assert sum(1 for (_, extra), in by_generation.values() if extra) == 1


def test_a_failed_reindex_leaves_the_live_generation_serving(live) -> None:
    cluster, index, tmp = live
    before = current_generation(index)
    bad = _extra_corpus(tmp / "bad", [EXTRA, {"id": "empty", "title": "بلا نص", "text": ""}])
    failed = _reindex(cluster, index, SEEDS, bad, extra=("--strict",))
    assert failed.returncode != 0 and "problem" in failed.stderr and "the live index is unchanged" in failed.stderr
    assert "Traceback" not in failed.stderr
    empty = _reindex(cluster, index, _extra_corpus(tmp / "none", []))
    assert empty.returncode != 0 and "no paragraphs" in empty.stderr
    assert current_generation(index) == before and live_slot(index) == "a"
    with gunicorn(index, env={"FAHRAS_BACKEND": "sphinx",
                              "FAHRAS_SPHINX": str(cluster.folder / sphinx_cluster.CLUSTER_FILE)}) as (port, _):
        status, _, body = get_json(port, "/api/search?q=الصين")
        assert status == 200 and body["generation"] == before and body["total"] == 48


def test_a_reindex_with_a_shard_down_fails_and_changes_nothing(live) -> None:
    cluster, index, _ = live
    before = current_generation(index)
    sphinx_cluster.stop_member(cluster.folder / "shard2")
    failed = _reindex(cluster, index, SEEDS)
    assert failed.returncode != 0 and "does not answer" in failed.stderr and "Traceback" not in failed.stderr
    assert current_generation(index) == before


def test_a_killed_reindex_leaves_the_live_generation_and_the_next_one_succeeds(live, shared: Path) -> None:
    cluster, index, _ = live
    before = current_generation(index)
    day = sorted((shared / "corpora" / "saudinewsnet").glob("*.zip"))[0]
    process = spawn([str(Path(__import__("sys").executable).parent / "fahras"), "reindex", str(day), "--backend",
                     "sphinx", "--index", str(index), "--cluster", str(cluster.folder / sphinx_cluster.CLUSTER_FILE)])
    time.sleep(2.0)
    assert process.poll() is None, "the re-index ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    stop(process)
    assert current_generation(index) == before
    done = _reindex(cluster, index, SEEDS)
    assert done.returncode == 0, done.stderr
    assert current_generation(index) != before
