"""Posting arrays saved beside each segment hold exactly the segment's postings, and answer like Whoosh."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from search.analysis.analyzer import exact_tokens, term_positions
from search.backend import Deadline
from search.engine import search
from search.index import postings
from search.index.indexing import build_index
from search.index.reading import doc_frequency, field_lengths, phrase_docs, positions_at
from search.index.store import IndexHolder
from search.index.translate import to_whoosh
from search.plan import Phrase
from search.query.build import build_query
from search.query.request import parse_request
from search.rank.rerank import evidence_scores

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
QUERIES = [
    '"الرئيس الروسي"',
    '"في أوكرانيا"',
    '"شي جين بينغ"',
    '"الولايات المتحدة الأمريكية"',
    "الصين روسيا",
    "بوتين OR شي -بكين",
    "COVID-19",
    "الص*",
]


@pytest.fixture(scope="module")
def news_index(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real-news index of several segments written by two processes."""
    tmp = tmp_path_factory.mktemp("news")
    day = sorted((shared / "corpora" / "saudinewsnet").glob("*.zip"))[0]
    mp = pytest.MonkeyPatch()
    mp.setattr("search.index.segments.SEGMENT_DOCS", 400)
    try:
        build_index([day], tmp / "index", procs=2)
    finally:
        mp.undo()
    return tmp / "index"


@pytest.fixture(params=["seeds", "news"])
def opened(request, seed_index: Path):
    """(which, the live generation) of the seed index, then of the real-news index of several segments."""
    index = seed_index if request.param == "seeds" else request.getfixturevalue("news_index")
    generation = IndexHolder(index).get()
    yield request.param, generation
    generation.close()


def _whoosh_postings(reader, fieldname: str, text: str, fmt) -> list[tuple[int, float, list[int]]]:
    """A term's postings as Whoosh reads them: (docnum, weight, positions)."""
    matcher = reader.postings(fieldname, text)
    rows = []
    while matcher.is_active():
        rows.append((matcher.id(), matcher.weight(), fmt.decode_positions(matcher.value())))
        matcher.next()
    return rows


def _array_postings(generation, fieldname: str, text: str) -> list[tuple[int, float, list[int]]]:
    """The same term's postings as the arrays hold them."""
    rows = []
    boost = generation.index.schema[fieldname].format.field_boost
    for leaf, offset in generation.searcher().reader().leaf_readers():
        arrays = generation.posting_arrays(leaf.segment().segment_id(), fieldname)
        assert arrays is not None, f"segment without arrays for {fieldname}"
        row = arrays.row(text)
        if row is None:
            continue
        docs, freqs = arrays.postings(row)
        for i, (doc, freq) in enumerate(zip(docs.tolist(), freqs.tolist(), strict=True)):
            positions = []
            if arrays.positions is not None:
                start = int(arrays.pstarts[row]) + int(freqs[:i].sum())
                positions = [int(p) for p in arrays.positions[start : start + freq]]
            rows.append((int(doc) + offset, float(np.float32(freq * boost)), positions))
    return rows


def test_arrays_hold_every_posting_of_every_term(opened) -> None:
    which, generation = opened
    reader = generation.searcher().reader()
    if which == "news":
        assert len(reader.leaf_readers()) > 2
    checked = 0
    for fieldname in postings.FIELDS:
        fmt = generation.index.schema[fieldname].format
        terms = [t.decode("utf-8") for t in reader.lexicon(fieldname)]
        if which == "news":
            terms = terms[::199]  # every 199th term: all of them would take minutes
        for text in terms:
            theirs = _whoosh_postings(reader, fieldname, text, fmt)
            ours = _array_postings(generation, fieldname, text)
            if fieldname not in postings.POSITION_FIELDS:
                theirs = [(d, w, []) for d, w, _ in theirs]
            assert ours == theirs, (fieldname, text)
            assert doc_frequency(generation, fieldname, text) == reader.doc_frequency(fieldname, text) == len(ours)
            checked += 1
    assert checked > 500
    assert _array_postings(generation, "text", "لاتوجدهذهالكلمة") == []


def _phrases(generation, count: int) -> list[list[str]]:
    """Phrases from the paragraphs themselves (two to four words), a repeated word and unknown pairs."""
    reader = generation.searcher().reader()
    phrases = []
    for docnum in range(0, reader.doc_count_all(), max(1, reader.doc_count_all() // count)):
        words = exact_tokens(reader.stored_fields(docnum)["text"])
        for size in (2, 3, 4):
            if len(words) > size + 3:
                phrases.append(words[3 : 3 + size])
    phrases += [["في", "في"], ["الصين", "الصين"], ["لاتوجد", "الصين"], ["الصين", "لاتوجد"]]
    return phrases


def test_phrase_matches_equal_whoosh(opened) -> None:
    _, generation = opened
    matched = 0
    for words in _phrases(generation, 150):
        ours = phrase_docs(generation, "exact", words)
        theirs = sorted(to_whoosh(Phrase("exact", tuple(words))).docs(generation.searcher()))
        assert ours is not None
        assert ours.tolist() == theirs, words
        matched += bool(theirs)
    assert matched > 50


def _answers(index: Path) -> list[dict]:
    """Answers (minus timing) of phrase, word and filtered queries, facets included."""
    generation = IndexHolder(index).get()
    answers = []
    for q in QUERIES:
        for extra in ({}, {"mode": "any"}, {"source": "الشرق"}):
            answer = search(generation, parse_request({"q": q, "per_page": "50", **extra}), cache=False).to_dict()
            answer.pop("took_ms"), answer.pop("generation")
            answers.append(answer)
    generation.close()
    return answers


def test_an_index_without_arrays_answers_the_same(tmp_path: Path) -> None:
    """An index from before the arrays (or a segment whose arrays could not be written) is read via Whoosh."""
    build_index([SEEDS], tmp_path / "index", procs=1)
    with_arrays = _answers(tmp_path / "index")
    generation = IndexHolder(tmp_path / "index").get()
    shutil.rmtree(generation.path / postings.FOLDER)
    plan = build_query(parse_request({"q": '"الرئيس الروسي"'}))
    assert phrase_docs(generation, "exact", ["الرئيس", "الروسي"]) is None
    assert generation.match(plan.query, Deadline(None)).sum() > 0
    generation.close()
    assert _answers(tmp_path / "index") == with_arrays


def test_colliding_term_keys_leave_the_field_to_whoosh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_index([SEEDS], tmp_path / "plain", procs=1)
    monkeypatch.setattr(postings, "term_key", lambda tbytes: 7)  # every term collides
    build_index([SEEDS], tmp_path / "collide", procs=1)
    generation = IndexHolder(tmp_path / "collide").get()
    assert not list((generation.path / postings.FOLDER).glob("*.keys.npy"))  # lengths are saved still
    generation.close()
    monkeypatch.undo()
    assert _answers(tmp_path / "collide") == _answers(tmp_path / "plain")


def test_phrase_masks_count_like_whoosh_in_search(seed_index: Path) -> None:
    generation = IndexHolder(seed_index).get()
    for q in ('"الرئيس الروسي"', '"الرئيس الروسي فلاديمير"', '"في في"'):
        plan = build_query(parse_request({"q": q}))
        mask = generation.match(plan.query, Deadline(None))
        assert np.flatnonzero(mask).tolist() == sorted(to_whoosh(plan.query).docs(generation.searcher()))
    generation.close()


def test_positions_at_equal_the_paragraph_analysed_again(opened) -> None:
    """Proximity reads a stem's positions in candidates from the arrays: the same as analysing the text."""
    _, generation = opened
    reader = generation.searcher().reader()
    docs = np.arange(0, reader.doc_count_all(), max(1, reader.doc_count_all() // 60))
    stems = [term_positions(reader.stored_fields(int(d))["text"])[0] for d in docs]
    for text in {s for some in stems[::3] for s in list(some)[:5]} | {"لاتوجد"}:
        found = positions_at(generation, "text", text, docs)
        assert [f.tolist() for f in found] == [some.get(text, []) for some in stems], text


@pytest.mark.parametrize(
    ("mode", "pick"),  # words a few apart, words in a row, one word (any-word mode has no evidence for one)
    [("any", slice(2, 14, 3)), ("any", slice(2, 5)), ("all", slice(2, 14, 3)), ("all", slice(2, 5)),
     ("all", slice(2, 3))],
)
def test_proximity_evidence_scores_like_whoosh(opened, mode: str, pick: slice) -> None:
    """Evidence scored from the arrays (titles, words within the slop or side by side) equals Whoosh's
    span scoring, for one-part evidence (a single title term) too."""
    _, generation = opened
    reader = generation.searcher().reader()
    compared = 0
    for docnum in range(0, reader.doc_count_all(), max(1, reader.doc_count_all() // 25)):
        words = exact_tokens(reader.stored_fields(docnum)["text"])[pick]
        plan = build_query(parse_request({"q": " ".join(words), "mode": mode}))
        if plan.evidence is None:
            continue
        docs = np.flatnonzero(generation.match(plan.query, Deadline(None)))[:200]
        ours = evidence_scores(generation, plan.evidence, docs)
        matcher = to_whoosh(plan.evidence).matcher(generation.searcher())
        theirs = np.zeros(len(docs))
        for i, doc in enumerate(docs.tolist()):
            if matcher.is_active() and matcher.id() < doc:
                matcher.skip_to(doc)
            if matcher.is_active() and matcher.id() == doc:
                theirs[i] = matcher.score()
        assert ours is not None
        assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-9), words
        compared += int((theirs > 0).sum())
    assert compared > 20


def test_saved_field_lengths_equal_whoosh(opened) -> None:
    """BM25 reads each document's field length from the saved arrays: the lengths Whoosh stores."""
    _, generation = opened
    reader = generation.searcher().reader()
    assert list((generation.path / postings.FOLDER).glob("*.text.lengths.npy"))
    for fieldname in ("text", "exact", "title"):
        theirs = [reader.doc_field_length(d, fieldname, 0) or 0 for d in range(reader.doc_count_all())]
        assert field_lengths(generation, fieldname).tolist() == theirs
