"""Crash safety: a re-index killed with SIGKILL at any stage leaves the previous index serving, and the
next ``fahras reindex`` succeeds without manual cleanup.

Each kill is real: ``tests/index/crash_driver.py`` runs the real ``build_index`` in a child process that
kills itself (kill -9) at the chosen stage, so no ``finally``, ``cancel()`` or unlock runs.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers.server import REPO, SEEDS, group_members, run_fahras, spawn, stop

from search.engine import search
from search.index.generations import COMPLETE, CURRENT, current_generation, generations_dir
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.query.request import parse_request
from web import create_app

DRIVER = REPO / "tests" / "index" / "crash_driver.py"
KNOWN_QUERY = "بكين"
CHILD_TIMEOUT = 180


def fingerprint(index_dir: Path) -> dict:
    """What a reader sees of the live index: generation, sizes, and one known query's whole answer."""
    generation = IndexHolder(index_dir).get()
    try:
        result = search(generation, parse_request({"q": KNOWN_QUERY, "per_page": "100"}))
    finally:
        generation.close()  # this thread's searcher: close it rather than leave it to the garbage collector
    return {
        "generation": generation.name,
        "paragraphs": generation.index.doc_count_all(),
        "columns": generation.columns.doc_count,
        "meta_paragraphs": generation.meta["paragraphs"],
        "total": result.total,
        "ids": [hit["id"] for hit in result.hits],
        "facets": result.facets,
    }


def changed_corpus(folder: Path) -> Path:
    """Seeds minus their last article: a corpus whose index differs from the seed index."""
    folder.mkdir()
    rows = (SEEDS / "metadata.tsv").read_text("utf-8").splitlines()
    kept = rows[:-1]
    (folder / "metadata.tsv").write_text("\n".join(kept) + "\n", "utf-8")
    for row in kept[1:]:
        name = row.split("\t")[0]
        (folder / name).write_text((SEEDS / name).read_text("utf-8"), "utf-8")
    return folder


@contextmanager
def crashed(stage: str, index_dir: Path, *corpus: str | Path, after: int = 2, procs: int = 1):
    """Run the crash driver until it exits; yield its exit code, its output and the processes it left alive.

    Its output goes to a file, not a pipe (a process it forked may outlive it and hold a pipe open).
    Whatever it left alive is killed only when the block ends, so the test sees the state a real crash leaves.
    """
    args = [sys.executable, str(DRIVER), stage, str(index_dir), *map(str, corpus), "--after", str(after),
            "--procs", str(procs)]
    log = index_dir.parent / f"driver-{stage}.log"
    with open(log, "w") as out:
        child = spawn(args, stdout=out, stderr=out)
    try:
        child.wait(timeout=CHILD_TIMEOUT)
        yield child.returncode, log.read_text(), group_members(child.pid)
    finally:
        stop(child)


@pytest.fixture
def live(tmp_path: Path) -> tuple[Path, dict]:
    """A real seed index in a fresh folder and its fingerprint."""
    index_dir = tmp_path / "index"
    build_index([SEEDS], index_dir, procs=1)
    return index_dir, fingerprint(index_dir)


def assert_previous_serves(index_dir: Path, before: dict, holder: IndexHolder) -> None:
    """The generation live before the crash still answers, through the store, the engine and the app."""
    assert before == fingerprint(index_dir)
    assert before["paragraphs"] == before["columns"] == before["meta_paragraphs"]
    assert before["generation"] == holder.get().name  # a worker that was already serving keeps serving
    holder.get().close()
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})
    response = app.test_client().get("/api/search", query_string={"q": KNOWN_QUERY, "per_page": 100})
    app.extensions["fahras"].get().close()
    assert 200 == response.status_code
    body = response.get_json()
    assert (before["generation"], before["total"], before["ids"]) == (
        body["generation"], body["total"], [hit["id"] for hit in body["results"]]
    )


def assert_next_reindex_recovers(index_dir: Path, before: dict, corpus: Path) -> None:
    """A plain ``fahras reindex`` succeeds, goes live, and leaves only whole generations behind."""
    done = run_fahras("reindex", str(corpus), "--index", str(index_dir))
    assert 0 == done.returncode, done.stderr
    after = fingerprint(index_dir)
    assert after["generation"] != before["generation"]
    assert after["paragraphs"] < before["paragraphs"]  # the changed corpus has one article less
    names = sorted(p.name for p in generations_dir(index_dir).iterdir())
    assert sorted([before["generation"], after["generation"]]) == names  # the partial one is gone
    assert all((generations_dir(index_dir) / name / COMPLETE).exists() for name in names)
    assert not (index_dir / f"{CURRENT}.tmp").exists()


@pytest.mark.parametrize("stage", ["read", "add", "segments", "finish", "switch", "replace"])
def test_kill_9_keeps_previous_index_and_next_reindex_succeeds(stage, live, tmp_path):
    index_dir, before = live
    holder = IndexHolder(index_dir)
    holder.get()
    with crashed(stage, index_dir, SEEDS, after=3) as (code, log, survivors):
        assert (-9, f"crash_driver: SIGKILL at stage {stage}", []) == (code, log.strip().splitlines()[-1], survivors)
        assert before["generation"] == current_generation(index_dir)
        # The killed run left its partial (or finished but never switched) generation behind.
        assert 2 == len(list(generations_dir(index_dir).iterdir()))
        assert_previous_serves(index_dir, before, holder)
        assert_next_reindex_recovers(index_dir, before, changed_corpus(tmp_path / "changed"))


def test_kill_9_with_writer_processes_leaves_no_lock_and_no_orphans(live, tmp_path, shared):
    """`fahras reindex` writes with 2 processes by default: killing the parent must not leave its writer
    processes alive (they would hold the re-index lock, inherited across fork, forever)."""
    index_dir, before = live
    day = shared / "corpora" / "saudinewsnet" / "2015-07-21.zip"
    with crashed("add", index_dir, day, after=600, procs=2) as (code, log, survivors):
        assert -9 == code, log
        assert_previous_serves(index_dir, before, IndexHolder(index_dir))
        assert_next_reindex_recovers(index_dir, before, changed_corpus(tmp_path / "changed"))
        assert [] == survivors, "Whoosh writer processes outlived the killed re-index"


def test_second_reindex_fails_at_once_with_a_clear_message(live, tmp_path):
    index_dir, before = live
    first = spawn([sys.executable, str(DRIVER), "hold", str(index_dir), str(SEEDS)],
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "holding" == first.stdout.readline().strip()  # the first re-index holds the lock
        second = run_fahras("reindex", str(SEEDS), "--index", str(index_dir), timeout=60)
        assert 1 == second.returncode
        assert (
            f"Error: another re-index of {index_dir} is running; wait for it to finish; the live index is unchanged"
            == second.stderr.strip().splitlines()[-1]
        )
        assert before == fingerprint(index_dir)
        first.stdin.close()  # let the first one finish: it goes live normally
        assert 0 == first.wait(timeout=CHILD_TIMEOUT)
        assert before["generation"] != fingerprint(index_dir)["generation"]
    finally:
        stop(first)
