"""Bulk BM25F scoring (search.rank.bm25) gives the Whoosh backend's own scores, for every matching paragraph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search.backend import Deadline
from search.engine import search
from search.index.store import IndexHolder
from search.index.translate import to_whoosh
from search.plan import AllOf, AnyOf, BestOf, Node, Phrase, Prefix, Term, scored_terms
from search.query.build import BM25_B, BM25_K1, build_query
from search.query.request import parse_request
from search.rank.bm25 import top_documents
from tests.helpers.corpus import opened_index, text_rows


@pytest.fixture(scope="module")
def generation(seed_index: Path):
    """The seed index's live generation."""
    opened = IndexHolder(seed_index).get()
    yield opened
    opened.close()


@pytest.mark.parametrize("mode", ["all", "any"])
@pytest.mark.parametrize(
    "q", ["الصين", "روسيا الصين", "بوتين OR شي", "موسكو -بكين", "وزارة الدفاع الروسية", '"وزارة الدفاع" الصين']
)
def test_scores_equal_whoosh_for_every_match(generation, q: str, mode: str) -> None:
    plan = build_query(parse_request({"q": q, "mode": mode}))
    mask = generation.match(plan.query, Deadline(None))
    ours = dict(top_documents(generation, plan.query, mask, 1000, BM25_K1, BM25_B))
    results = generation.searcher().search(to_whoosh(plan.query), limit=None)
    theirs = {hit.docnum: hit.score for hit in results}
    assert sorted(theirs) == sorted(ours)
    assert all(abs(ours[d] - theirs[d]) < 1e-9 for d in theirs)


@pytest.mark.parametrize(
    "query",
    [
        BestOf((Term("text", "صين"), Term("text", "روس", boost=0.4))),
        AllOf((BestOf((Term("text", "صين"), AllOf((Term("text", "روس"), Term("text", "موسكو"))))),
               Term("text", "بكين"))),
        AnyOf((BestOf((Term("text", "صين"), Term("text", "بكين", boost=0.5))), Term("title", "صين"))),
        BestOf((Term("text", "دفاع"), Phrase("exact", ("وزاره", "الدفاع"), boost=0.6))),
        AnyOf((Term("text", "بكين"), AllOf((Term("title", "صين", boost=2.0), Term("title", "روس"))))),
    ],
)
def test_word_alternatives_score_by_the_best_one_as_whoosh_does(generation, query: Node) -> None:
    """The alternatives of one word score by the best of them, in bulk as through Whoosh's matchers."""
    searcher = generation.searcher()
    theirs = {hit.docnum: hit.score for hit in searcher.search(to_whoosh(query), limit=None)}
    mask = np.zeros(searcher.doc_count_all(), dtype=bool)
    mask[list(theirs)] = True
    ours = dict(top_documents(generation, query, mask, 1000, BM25_K1, BM25_B))
    assert theirs and sorted(theirs) == sorted(ours)
    assert all(abs(ours[d] - theirs[d]) < 1e-9 for d in theirs)


def test_scored_terms_lists_terms_only() -> None:
    """scored_terms flattens a plan of terms; a phrase is no list of terms."""
    assert scored_terms(Phrase("exact", ("قمه", "البريكس"))) is None
    assert [("text", "صين", 0.5)] == list(scored_terms(AnyOf((Term("text", "صين", boost=0.5),))))


def test_prefixes_are_left_to_whoosh(generation) -> None:
    """A prefix is not scored in bulk: top_documents declines it (the backend's own scorer takes it)."""
    mask = np.ones(generation.columns.doc_count, dtype=bool)
    assert top_documents(generation, Prefix("exact", "الصي"), mask, 10, BM25_K1, BM25_B) is None
    assert generation.top_scored(Prefix("exact", "الصي"), mask, 10, Deadline(None))


def test_top_documents_returns_the_highest_scores(generation) -> None:
    plan = build_query(parse_request({"q": "الصين", "mode": "any"}))
    mask = generation.match(plan.query, Deadline(None))
    every = sorted(top_documents(generation, plan.query, mask, 1000, BM25_K1, BM25_B), key=lambda r: -r[1])
    best = sorted(top_documents(generation, plan.query, mask, 5, BM25_K1, BM25_B), key=lambda r: -r[1])
    assert [s for _, s in every[:5]] == [s for _, s in best]


SHORT_AND_LONG = [
    ("fragment", "لدى المملكة ."),
    ("heading", "استهداف المملكة"),
    (
        "twice",
        "توقعت الأرصاد تأثر الرؤية الأفقية بالعوالق الترابية على جنوب غرب المملكة، "
        "وأمطارا رعدية على المرتفعات الغربية والجنوبية من المملكة خلال الأيام المقبلة",
    ),
    ("once_short", "أعلنت وزارة الصحة في المملكة اليوم تسجيل حالات جديدة من فيروس كورونا في الرياض وجدة"),
    (
        "once_long",
        "قال المتحدث الرسمي إن الاجتماع الذي عقد أمس في العاصمة ناقش عددا كبيرا من الملفات الاقتصادية "
        "والاجتماعية، ومنها خطط الإسكان وتطوير التعليم العام والجامعي وتوسيع شبكة النقل بين المدن الكبرى "
        "وتحسين الخدمات الصحية في القرى والمحافظات البعيدة، مؤكدا أن المملكة ماضية في تنفيذ برامجها "
        "التنموية رغم تراجع أسعار النفط في الأسواق العالمية خلال الأشهر الماضية وتزايد النفقات",
    ),
]


@pytest.fixture(scope="module")
def short_and_long(tmp_path_factory: pytest.TempPathFactory):
    """A real index of paragraphs from two words to sixty, each holding المملكة, under a title without it."""
    with opened_index(tmp_path_factory.mktemp("lengths"), text_rows(SHORT_AND_LONG, "أخبار محلية")) as opened:
        yield opened


@pytest.mark.parametrize("params", [{"q": "المملكة"}, {"q": "المملكة", "exact": "1"}, {"q": '"المملكة"'}])
def test_a_fragment_does_not_outrank_paragraphs_about_the_word(short_and_long, params: dict) -> None:
    """A two-word fragment or heading scores as a twelve-word paragraph, by its stems or by its exact words:
    the one naming the word twice comes first, and length still counts above twelve words."""
    hits = search(short_and_long, parse_request(params)).hits
    order = [h["article_id"] for h in hits]
    assert order[0] == "twice"
    assert order.index("once_short") < order.index("once_long")
    assert {"fragment", "heading"} <= set(order)  # still found
    scores = {h["article_id"]: h["score"] for h in hits}
    assert scores["fragment"] == pytest.approx(scores["heading"])  # both below the floor: one length


def test_floored_lengths_score_the_same_through_whoosh(short_and_long) -> None:
    """The bulk scorer and Whoosh's matchers apply the same length floor."""
    query = Term("text", "مملك")
    searcher = short_and_long.searcher()
    theirs = {hit.docnum: hit.score for hit in searcher.search(to_whoosh(query), limit=None)}
    mask = np.ones(searcher.doc_count_all(), dtype=bool)
    ours = dict(top_documents(short_and_long, query, mask, 100, BM25_K1, BM25_B))
    assert len(theirs) == len(SHORT_AND_LONG) and sorted(theirs) == sorted(ours)
    assert all(abs(ours[d] - theirs[d]) < 1e-9 for d in theirs)


@pytest.mark.parametrize("q", ["المملكة", "الملك سلمان", "النفط الأسعار", "اليمن الحوثيين عدن"])
def test_whoosh_block_skipping_keeps_the_floored_top_ten(news_day, q: str) -> None:
    """Whoosh's top ten, which skips posting blocks by their best possible (floored) score, is the bulk top ten."""
    plan = build_query(parse_request({"q": q, "mode": "any"}))
    searcher = news_day.searcher()
    theirs = [(round(hit.score, 9), hit.docnum) for hit in searcher.search(to_whoosh(plan.query), limit=10)]
    mask = news_day.match(plan.query, Deadline(None))
    ours = sorted((-round(s, 9), d) for d, s in top_documents(news_day, plan.query, mask, 10, BM25_K1, BM25_B))
    assert len(theirs) == 10
    assert [s for s, _ in theirs] == [-s for s, _ in ours]


@pytest.mark.parametrize("params", [{"q": "الاقتصاد"}, {"q": "الاقتصاد ينمو"}, {"q": "الاقتصاد", "mode": "any"}])
def test_pages_of_equal_scores_list_every_paragraph_once(tmp_path: Path, params: dict) -> None:
    """Ninety paragraphs in two groups of equal scores: page after page, each is listed once, none left out,
    the higher group first and each group in corpus order (a tie at a page's cut is no coin toss)."""
    def text(i: int) -> str:
        return f"الاقتصاد {'والاقتصاد ' if i % 4 == 0 else ''}ينمو في البلد رقم {100 + i}"

    rows = text_rows((f"n{i:02d}", text(i)) for i in range(90))
    with opened_index(tmp_path, rows) as generation:
        listed = []
        for page in range(1, 10):
            request = parse_request({**params, "page": str(page), "per_page": "10"})
            listed += [hit["article_id"] for hit in search(generation, request).hits]
    higher = [f"n{i:02d}" for i in range(90) if i % 4 == 0]
    assert listed == higher + [f"n{i:02d}" for i in range(90) if i % 4]
