"""Index generations: build, switch, keep the previous one, fail safely, refuse a concurrent build."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest

from search.engine import search
from search.errors import CorpusError, ReindexRunning
from search.index.generations import COMPLETE, CURRENT, LOCK, current_generation, generations_dir
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.query.request import parse_request
from tests.conftest import SEEDS


def write_corpus(folder: Path, texts: dict[str, str]) -> Path:
    """Write a .jsonl corpus of {id: text} articles and return its folder."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": k, "source": "مصدر", "date": "2024-01-01", "text": v}, ensure_ascii=False)
             for k, v in texts.items()]
    (folder / "corpus.jsonl").write_text("\n".join(lines), "utf-8")
    return folder


def total(index_dir: Path, q: str) -> int:
    """Search the live generation of an index directory and return the total."""
    return search(IndexHolder(index_dir).get(), parse_request({"q": q})).total


def test_seed_build_writes_a_complete_generation_and_points_current_at_it(tmp_path: Path) -> None:
    summary = build_index([SEEDS], tmp_path, procs=1)
    name = current_generation(tmp_path)
    assert name == summary.generation
    folder = generations_dir(tmp_path) / name
    assert (folder / COMPLETE).exists()
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    assert (meta["articles"], meta["paragraphs"]) == (5, 63)
    generation = IndexHolder(tmp_path).get()
    assert generation.index.doc_count_all() == generation.columns.doc_count == 63
    assert summary.size_bytes > 0 and summary.paragraphs_per_second > 0


def test_reindex_keeps_live_and_previous_generations_only(tmp_path: Path) -> None:
    names = [build_index([SEEDS], tmp_path, procs=1).generation for _ in range(3)]
    assert current_generation(tmp_path) == names[-1]
    assert sorted(p.name for p in generations_dir(tmp_path).iterdir()) == names[1:]


def test_readers_notice_a_new_generation_without_restart(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c1", {"a": "مقال عن الصين"})
    build_index([corpus], tmp_path / "ix", procs=1)
    holder = IndexHolder(tmp_path / "ix")
    first = holder.get()
    assert search(first, parse_request({"q": "الهند"})).total == 0
    write_corpus(tmp_path / "c1", {"a": "مقال عن الصين", "b": "مقال عن الهند"})
    build_index([corpus], tmp_path / "ix", procs=1)
    second = holder.get()
    assert second.name != first.name
    assert search(second, parse_request({"q": "الهند"})).total == 1


def test_failed_reindex_leaves_the_previous_index_serving(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index([SEEDS], index_dir, procs=1)
    live = current_generation(index_dir)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.jsonl").write_text('{"id": "x", "text": "نص"}\n{broken\n', "utf-8")
    with pytest.raises(CorpusError, match="--strict"):
        build_index([bad], index_dir, strict=True, procs=1)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="corpus is empty"):
        build_index([empty], index_dir, procs=1)
    assert current_generation(index_dir) == live
    assert [p.name for p in generations_dir(index_dir).iterdir()] == [live]
    assert total(index_dir, "بيلوسوف") == 6


def test_partial_generation_from_a_killed_build_is_removed_by_the_next_build(tmp_path: Path) -> None:
    build_index([SEEDS], tmp_path, procs=1)
    partial = generations_dir(tmp_path) / "g00000000T000000000000-1"
    partial.mkdir()
    (partial / "MAIN_WRITELOCK").write_text("")
    summary = build_index([SEEDS], tmp_path, procs=1)
    assert partial.name in summary.removed
    assert not partial.exists()


def test_second_reindex_while_one_runs_fails_at_once(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / LOCK, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ReindexRunning, match="another re-index"):
            build_index([SEEDS], tmp_path, procs=1)
    assert not (tmp_path / CURRENT).exists()


def test_two_writer_processes_index_the_same_paragraphs(tmp_path: Path) -> None:
    one = build_index([SEEDS], tmp_path / "one", procs=1)
    two = build_index([SEEDS], tmp_path / "two", procs=2)
    assert one.report.paragraphs == two.report.paragraphs == 63
    for q in ("الصين", '"قمة البريكس"', "بوتين OR شي"):
        assert total(tmp_path / "one", q) == total(tmp_path / "two", q)
