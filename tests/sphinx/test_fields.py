"""Terms the shards' alphabet does not hold (Latin accents, decimals, Chinese, ornate brackets, very long
words) are indexed whole and found, prefixes included, exactly as on Whoosh."""

from __future__ import annotations

import json

import pytest

from search import parse_request, search
from search.index.indexing import build_index
from search.index.store import IndexHolder
from search.sphinx import cluster as sphinx_cluster
from search.sphinx.fields import CHARSET_TABLE, spell
from search.sphinx.indexing import build_sphinx_index
from search.sphinx.store import SphinxHolder

from .conftest import start_cluster

LONG = "استراتيجيات" * 5  # 55 letters: longer than Sphinx's 42-byte words if it cut them
TEXTS = [
    "افتتح مقهى café في الرياض بنسبة نمو 3.5 بالمئة هذا العام.",
    "زار الوفد مدينة 北京 ضمن جولة آسيوية، وقال ﴿هذا بلد أمين﴾ في كلمته.",
    f"كلمة طويلة جدا {LONG} لا ينبغي أن تقطع، وكلمة Ünïcödé أيضا.",
    "نما الاقتصاد 3.4 بالمئة فقط، وافتتح مقهى آخر في جدة.",
]
QUERIES = ["café", "caf*", "3.5", "3.4", "北京", LONG, LONG[:30] + "*", "ünïcödé", "مقهى", '"مقهى café"']


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fields")
    corpus = root / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"a{i}", "title": f"خبر {i}", "source": "فهرس", "date": "2025-01-0"
                                          f"{i + 1}", "text": t}, ensure_ascii=False) + "\n"
                              for i, t in enumerate(TEXTS)), "utf-8")
    build_index([corpus], root / "whoosh", procs=1)
    cluster = start_cluster(root / "cluster", 2)
    build_sphinx_index([corpus], root / "sphinx", cluster)
    yield IndexHolder(root / "whoosh").get(), SphinxHolder(root / "sphinx", cluster.folder / "cluster.json").get()
    sphinx_cluster.down(root / "cluster")


@pytest.mark.parametrize("query", QUERIES)
def test_unusual_terms_are_found_as_on_whoosh(both, query: str) -> None:
    whoosh, sphinx = both
    ours = search(sphinx, parse_request({"q": query}), cache=False)
    theirs = search(whoosh, parse_request({"q": query}), cache=False)
    assert theirs.total > 0
    assert (ours.total, [h["id"] for h in ours.hits]) == (theirs.total, [h["id"] for h in theirs.hits])
    assert [h["snippet"] for h in ours.hits] == [h["snippet"] for h in theirs.hits]


def test_a_spelled_term_holds_only_the_shards_alphabet() -> None:
    allowed = set("0123456789abcdefghijklmnopqrstuvwxyz") | {chr(c) for c in range(0x621, 0x63B)}
    allowed |= {chr(c) for c in range(0x640, 0x64B)} | {chr(c) for c in range(0x660, 0x66A)}
    assert "U+0640..U+064A" in CHARSET_TABLE
    for term in ["café", "北京", "3.5", "﴾", "ünïcödé", "الصين", "x" * 60]:
        spelled = spell(term)
        assert set(spelled) <= allowed
        assert spell(term[:2]) == spelled[: len(spell(term[:2]))]  # a prefix stays a prefix
