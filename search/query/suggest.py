"""Did-you-mean: the closest query built from the index's own vocabulary.

The backend's vocabulary holds the words of its exact field that occur in at least MIN_DF paragraphs,
with their document frequency; a misspelled word is replaced by the nearest such word (edit distance with two
letters swapped as one edit, rapidfuzz's OSA), the most frequent among equals, or, failing that, by the
two indexed words it was typed from without a space (:func:`split_glued`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyarabic import araby
from rapidfuzz import process
from rapidfuzz.distance import OSA

from search.analysis.analyzer import STOPWORDS, analyze_word
from search.analysis.normalize import normalize
from search.analysis.stem import ARTICLE, PREFIXES

if TYPE_CHECKING:

    from search.backend import Backend

MIN_DF = 2
#: A word typed without the space before the next one (الاسكندرالاكبر, جينبينغ, ماذايحدث, فيالرياض) is read
#: as two when both halves stand in the index. The tail has LONG_SPLIT_PART letters or more, ARTICLE_TAIL when
#: it starts with the article. The head is a question word (ماذايحدث), a preposition or particle before the
#: article (فيالرياض, but فيتامين is not في + تامين, فيروسية not في + روسية), or a word of MIN_SPLIT_PART
#: letters or more. Stopwords, the stemmer's prefixes and the article with one letter are no halves
#: (انسحبت is not ان + سحبت, والعلاقة not وال + علاقة, المبلغ not الم + بلغ).
MIN_SPLIT_PART = 3
LONG_SPLIT_PART = 4
ARTICLE_TAIL = 5
MIN_SPLIT_WORD = 6
QUESTION_HEADS = frozenset(normalize(w) for w in ("ماذا", "هل", "كيف", "متى", "أين", "لماذا"))
PARTICLE_HEADS = frozenset(normalize(w) for w in ("ما", "من", "في", "عن", "على", "إلى", "كم", "أي"))
#: A glued form the index does hold (a slip repeated in a paragraph or two) splits only when each half is
#: this many times as common as the form itself.
SPLIT_RATIO = 20


#: Words of this many letters or more may be two edits from their suggestion, shorter ones one: two
#: edits make another word of a five-letter one (قازان -> الان), as in :func:`search.query.variants.near_stems`.
#: Two letters swapped count as one edit (ارلياض -> الرياض, optimal string alignment).
TWO_EDIT_LETTERS = 7


def max_distance(word: str) -> int:
    """Allow one edit in words under TWO_EDIT_LETTERS letters, two in longer ones."""
    return 1 if len(word) < TWO_EDIT_LETTERS else 2


def nearest_words(generation: Backend, word: str, limit: int) -> list[str]:
    """Return the indexed words nearest to ``word`` (at most ``limit`` edits), all at the fewest edits,
    most frequent first. The vocabulary is loaded once per generation, the first time it is needed."""
    words, dfs = generation.vocabulary()
    found = process.extract(word, words, scorer=OSA.distance, score_cutoff=limit, limit=50)
    found.sort(key=lambda item: (item[1], -dfs[item[2]]))
    return [w for w, distance, _ in found if distance == found[0][1]]


def split_glued(generation: Backend, word: str) -> tuple[str, str] | None:
    """Return the two indexed words a normalized word is glued from, or None (remembered per generation).

    Only for an Arabic word in fewer than MIN_DF paragraphs (news text holds the same slip now and then:
    وزيرالخارجية), and only where each half is SPLIT_RATIO times as common as the glued word; of several
    places to split, the one whose rarer half is the most frequent wins (a real boundary beats a chance one).

    :param word: a normalized word (as :func:`search.analysis.analyzer.analyze_word` returns it).
    """
    if len(word) < MIN_SPLIT_WORD or not araby.is_arabicrange(word[0]):
        return None
    found = generation.expansions.get_or_compute(("glued", word), lambda: _best_split(generation, word))
    return found or None


def _best_split(generation: Backend, word: str) -> tuple[str, ...]:
    """Find the best split of a word (see :func:`split_glued`); () when there is none."""
    if (whole := generation.doc_frequency("exact", word)) >= MIN_DF:
        return ()
    best: tuple[int, tuple[str, str]] | None = None
    for at in range(2, len(word) - 1):
        head, tail = word[:at], word[at:]
        if not _may_split(head, tail) or (first := generation.doc_frequency("exact", head)) <= whole * SPLIT_RATIO:
            continue
        rarer = min(first, generation.doc_frequency("exact", tail))
        if rarer > whole * SPLIT_RATIO and (best is None or rarer > best[0]):
            best = (rarer, (head, tail))
    return () if best is None else best[1]


def _may_split(head: str, tail: str) -> bool:
    """True when a word could be ``head`` and ``tail`` glued together (before looking them up)."""
    with_article = tail.startswith(ARTICLE)
    if tail in STOPWORDS or len(tail) < (ARTICLE_TAIL if with_article else LONG_SPLIT_PART):
        return False
    if head in QUESTION_HEADS:
        return True
    if head in PARTICLE_HEADS:
        return with_article
    if len(head) < MIN_SPLIT_PART or head in STOPWORDS or head in PREFIXES:
        return False
    return not (head.startswith(ARTICLE) and len(head) == MIN_SPLIT_PART)


def _typed_halves(core: str, halves: tuple[str, str]) -> str:
    """Return the typed word with a space between its halves, marks kept; the halves when no cut fits."""
    for at in range(1, len(core)):
        if normalize(core[:at]) == halves[0] and normalize(core[at:]) == halves[1]:
            return f"{core[:at]} {core[at:]}"
    return " ".join(halves)


def suggest(generation: Backend, q: str, words: list[str]) -> str | None:
    """Return ``q`` with each unknown word replaced by its closest indexed word, or None.

    A word the index holds in no form, nor by its stem, gets its nearest indexed word (بريكس, found
    through البريكس, is no misspelling); a word in fewer than MIN_DF paragraphs, the two it was glued
    from. Cheap when every word is known (a look-up or two each); the vocabulary is loaded the first
    time a word is not.
    """
    changed = False
    pieces = []
    for piece in q.split():
        core = piece.strip('"-*')
        norm, stem = analyze_word(core) if core else ("", None)
        # a number is no misspelling of another (2024 is not 2023)
        if norm and not norm.isdigit() and norm in words and (df := generation.doc_frequency("exact", norm)) < MIN_DF:
            unknown = df == 0 and (stem is None or generation.doc_frequency("text", stem) == 0)
            better = next(iter(nearest_words(generation, norm, max_distance(norm))), None) if unknown else None
            # a word known by its stem (انفصاله, وتريدها) is no two words glued (انف صاله, وتر يدها)
            rare_stem = stem is None or generation.doc_frequency("text", stem) < MIN_DF
            if better is None and rare_stem and (halves := split_glued(generation, norm)):
                better = _typed_halves(core, halves)
            if better and better != norm:
                piece = piece.replace(core, better)
                changed = True
        pieces.append(piece)
    return " ".join(pieces) if changed else None
