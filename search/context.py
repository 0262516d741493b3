"""Whether two spellings are one word: the words around them in the index's own paragraphs.

Two transliterations of one name are written in paragraphs about the same things (بوتين and بوتن beside
روسيا, الكرملين, فلاديمير), two native words a letter apart are not (محمد and محمود are different people
everywhere). The words of a few paragraphs holding the rarer spelling are looked up in a sample of the
paragraphs holding the commoner one: how much more often they stand there than in any paragraph is the
*lift*. Measured on SaudiNewsNet (166k paragraphs): transliterations 8 to 13 (بوتين/بوتن 8.4, ترامب/ترمب 9.3,
نتنياهو/نتانياهو 12.4, سامسونج/سامسونغ 12.4), native words one letter apart at most 3.5
(محمد/محمود 2.0, سعيد/سعد 2.4, كتاب/كتب 2.1, قتال/قتل 2.0, مساجد/مسجد 3.5); not all names are told
(كلينتون/كلنتون 2.9, جوجل/غوغل 2.0: those keep their synonym lines or stay apart).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from search.analysis import analyze_word, exact_tokens
from search.scoring import doc_frequency, holding, term_postings

if TYPE_CHECKING:

    from search.store import Generation

#: Paragraphs of the rarer spelling whose words are read (evenly spread over the index).
READ_PARAGRAPHS = 6
#: Paragraphs of the commoner spelling the words are looked up in.
PROBED_PARAGRAPHS = 400
#: The words read that count: the most telling ones (frequent among the paragraphs read, rare elsewhere).
CONTEXT_WORDS = 40
#: The lift from which two spellings are one word (between the natives' 3.5 and the names' 8).
SAME_WORD_LIFT = 6.0
#: A second spelling of a name is a minority one (one outlet's house style, a slip): the commoner is
#: written at least this many times as often. Two forms of a native word are both common (معارك 810
#: paragraphs, معرك 646: a plural and its singular, whose contexts agree too).
MINORITY = 3


def _spread(docs: np.ndarray, count: int) -> np.ndarray:
    """Return at most ``count`` of the sorted docnums, evenly spread."""
    if len(docs) <= count:
        return docs
    return docs[np.linspace(0, len(docs) - 1, count).astype(np.int64)]


def context_lift(generation: Generation, common: str, rare: str) -> float:
    """Return how many times more often the words around stem ``rare`` stand in the paragraphs of stem
    ``common`` than in any paragraph (0.0 when either is missing)."""
    probed = _spread(term_postings(generation, "text", common)[0], PROBED_PARAGRAPHS)
    read = _spread(term_postings(generation, "text", rare)[0], READ_PARAGRAPHS)
    total = generation.columns.doc_count
    if not len(probed) or not len(read) or not total:
        return 0.0
    stored = generation.searcher().stored_fields
    seen: dict[str, int] = {}
    for doc in read.tolist():
        for word in {stem for w in exact_tokens(stored(doc).get("text", "")) if (stem := analyze_word(w)[1])}:
            seen[word] = seen.get(word, 0) + 1
    seen.pop(common, None)
    seen.pop(rare, None)
    least = 2 if len(read) >= 4 else 1  # a word of one paragraph among several says little of the rest
    telling = []
    for word, count in seen.items():
        if count < least:
            continue
        df = doc_frequency(generation, "text", word)
        if df >= 2:  # a word of one paragraph tells nothing about the other spelling
            telling.append((count * math.log(total / df), word, df))
    telling.sort(reverse=True)
    there = anywhere = 0.0
    for weight, word, df in telling[:CONTEXT_WORDS]:
        there += weight * float(holding(generation, "text", word, probed)[0].mean())
        anywhere += weight * df / total
    return there / anywhere if anywhere else 0.0


def same_word(generation: Generation, stem: str, other: str) -> bool:
    """Return True when two indexed stems are spellings of one word: one is a minority spelling of the other,
    and its paragraphs speak of the same things (cached per generation)."""
    (common_df, common), (rare_df, rare) = sorted(((doc_frequency(generation, "text", s), s) for s in (stem, other)),
                                                  reverse=True)

    def measure() -> bool:
        if rare_df * MINORITY > common_df:
            return False
        return context_lift(generation, common, rare) >= SAME_WORD_LIFT

    return generation.expansions.get_or_compute(("same word", common, rare), measure)
