"""The answer cache: a repeated request is answered from it, identically, and never across generations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search.backend import LRUCache
from search.engine import search
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.query.request import parse_request

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
REQUESTS = [
    {"q": "الصين"},
    {"q": "الصين", "source": ["الشرق", "أ ف ب"]},
    {"q": '"البيت الأبيض"', "sort": "newest"},
    {"q": "بوتين OR شي -بكين", "mode": "any", "page": "2", "per_page": "3"},
    {"q": "", "date_from": "2024-01-01"},
    {"q": "الصين روسيا xyzzy"},  # relaxed to any word
    {"q": "الصبن"},  # a suggestion
]


def _without_timing(answer: dict) -> dict:
    answer = dict(answer)
    answer.pop("took_ms")
    return answer


@pytest.mark.parametrize("params", REQUESTS)
def test_cached_answer_is_the_uncached_answer(seed_index: Path, params: dict) -> None:
    generation = IndexHolder(seed_index).get()
    request = parse_request(params)
    uncached = search(generation, request, cache=False).to_dict()
    first = search(generation, request).to_dict()
    again = search(generation, parse_request(params)).to_dict()
    generation.close()
    assert _without_timing(uncached) == _without_timing(first) == _without_timing(again)


def test_repeated_request_comes_from_the_cache(seed_index: Path) -> None:
    generation = IndexHolder(seed_index, cache_size=8).get()
    first = search(generation, parse_request({"q": "موسكو"}))
    kept = len(generation.results)
    first.hits[0]["snippet"] = "changed by a caller"
    first.facets["source"][0]["toggle_url"] = "/x"
    again = search(generation, parse_request({"q": "موسكو", "unknown": "ignored"}))
    generation.close()
    assert kept == 1 == len(generation.results)
    assert again.hits[0]["snippet"] != "changed by a caller"
    assert "toggle_url" not in again.facets["source"][0]


def test_cache_size_zero_keeps_nothing(seed_index: Path) -> None:
    generation = IndexHolder(seed_index, cache_size=0).get()
    search(generation, parse_request({"q": "موسكو"}))
    generation.close()
    assert len(generation.results) == 0


def test_a_new_generation_never_serves_the_old_answers(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    holder = IndexHolder(tmp_path / "index")
    build_index([corpus], tmp_path / "index", procs=1)
    old = holder.get()
    before = search(old, parse_request({"q": "الصين"})).to_dict()
    for path in corpus.glob("*.txt"):
        if "الصين" in path.read_text("utf-8"):
            path.unlink()
            break
    build_index([corpus], tmp_path / "index", procs=1)
    new = holder.get()
    after = search(new, parse_request({"q": "الصين"})).to_dict()
    old.close(), new.close()
    assert new.name != old.name
    assert (after["generation"], len(new.results)) == (new.name, 1)
    assert after["total"] < before["total"]


def test_lru_forgets_the_least_recent() -> None:
    cache = LRUCache(2)
    cache.put("a", 1), cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert [cache.get("a"), cache.get("b"), cache.get("c")] == [1, None, 3]
