"""Whoosh glue for Arabic: tokenizer pattern, normalize, stop and stem filters, analyzer factories.

Filters edit ``token.text`` only, so ``startchar``/``endchar`` always index the original text and a
snippet can mark the whole printed word, diacritics included. Per-word work (normalize, stem) is cached:
news text repeats its words, so re-analysing a frequent word costs a dictionary look-up.
Whoosh pickles analyzers into the index, so every class here stays at module level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from pyarabic import araby
from whoosh.analysis import CompositeAnalyzer, Filter, RegexTokenizer, StopFilter, Token

from search.analysis.chars import ARABIC_WORD_CLASS, INNER_SEPARATORS, OTHER_WORD_CLASS
from search.analysis.normalize import normalize
from search.analysis.stem import lucene_stem, stem
from search.analysis.wordlists import read_word_list

__all__ = [
    "normalize", "stem", "arabic_analyzer", "exact_analyzer", "STOPWORDS", "analyze", "analyze_word",
    "exact_tokens", "lucene_analyzer", "written_words",
]

#: An Arabic run, or a run of other letters and digits (543.7, 1,000, COVID19): a word glued across
#: scripts is split there, so وTecno yields و + Tecno and و2023 yields و + 2023.
TOKEN_PATTERN = re.compile(
    rf"{ARABIC_WORD_CLASS}+|{OTHER_WORD_CLASS}+(?:{INNER_SEPARATORS}{OTHER_WORD_CLASS}+)*"
)
WORD_CACHE_SIZE = 500_000


#: A lone Arabic letter is an abbreviation (م and هـ after a year, ق.م, د. before a name) or a slip, not
#: a topic: it is stopped like a particle (the exact field keeps it for phrases). Digits are not letters.
SINGLE_LETTERS = frozenset(normalize(c) for c in araby.LETTERS) - {""}


def load_stopwords() -> frozenset[str]:
    """Read the stop list data file (entries normalized) and add the single letters."""
    return frozenset(read_word_list("stopwords_ar.txt")) | SINGLE_LETTERS


STOPWORDS = load_stopwords()

#: Stop-list entries as written with a final ة or a leading آ (ثمة): the only such words that stop.
_WRITTEN_STOPWORDS = frozenset(
    w for w in read_word_list("stopwords_ar.txt", normalized=False) if w.endswith("ة") or w.startswith("آ")
)


def stoppable(raw: str) -> bool:
    """Return False for a word whose written form no stopword has: a leading آ or a final ة.

    Normalization folds آ into ا and ة into ه, which made آلية "mechanism" the stopword إليه (both
    اليه), آن "time" أن, and منّة منه; the letters as printed tell them apart (typing ه for ة is
    common, the reverse is not).

    >>> stoppable("آلية"), stoppable("إليه"), stoppable("اليه"), stoppable("ثمة"), stoppable("مِنَّة")
    (False, True, True, True, False)
    """
    bare = _printed(raw)
    return bare in _WRITTEN_STOPWORDS or not (bare.startswith("آ") or bare.endswith("ة"))


def _printed(raw: str) -> str:
    """Return a word's letters as printed: without diacritics and tatweel, nothing folded."""
    return araby.strip_diacritics(raw).replace(araby.TATWEEL, "")


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _cached_stem(word: str) -> str:
    """Stem one normalized word, remembered."""
    return stem(word)


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _cached_whole_stem(word: str) -> str:
    """Stem one normalized word whose ال is its own (see written_article), remembered."""
    return stem(word, article=False)


def _stem_as_written(normalized: str, article: bool) -> str:
    """Stem a normalized word as :func:`written_article` read it."""
    return _cached_stem(normalized) if article else _cached_whole_stem(normalized)


#: A word written with أل, إل or آل (after و or ف, and ب, ل or ك, at most): its ال is no article, which
#: is written with a bare alef (ألمانيا, ألعاب, وآلاف, بألمانيا); Lucene's normalization loses the hamza
#: and then strips the "article": ألمانيا became مانيا "mania", ألعاب عاب "shame", آلاف اف.
HAMZA_LAM = re.compile("^[وف]?[بلك]?[أإآ]ل")


def written_article(raw: str) -> bool:
    """Return False when a word as written begins with a hamza on alef and lam (see HAMZA_LAM), else True.

    >>> written_article("ألمانيا"), written_article("وَآلاف"), written_article("الألعاب"), written_article("المانيا")
    (False, False, True, True)
    """
    return not HAMZA_LAM.match(_printed(raw))


def read_word(raw: str) -> tuple[str, bool, bool]:
    """Return a word normalized, whether a leading ال may be its article (:func:`written_article`) and
    whether it may be a stopword (:func:`stoppable`)."""
    return normalize(raw), written_article(raw), stoppable(raw)


_cached_read = lru_cache(maxsize=WORD_CACHE_SIZE)(read_word)


class NormalizeFilter(Filter):
    """Normalize each token's text; drop tokens left empty (a lone mark or tatweel)."""

    def __init__(self, cached: bool = True) -> None:
        self.cached = cached

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        fn = _cached_read if self.cached else read_word
        for t in tokens:
            t.text, t.article, t.stoppable = fn(t.text)  # read by LightStemFilter, WrittenStopFilter
            if t.text:
                yield t


class WrittenStopFilter(StopFilter):
    """Whoosh's StopFilter, except that a word whose written form is no stopword (:func:`stoppable`) stays."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if t.text not in self.stops or not getattr(t, "stoppable", True):
                t.stopped = False
                yield t
            elif not t.removestops:
                t.stopped = True
                yield t


class LightStemFilter(Filter):
    """Replace each token's text with its light stem (Latin words and numbers pass unchanged)."""

    is_morph = True

    def __init__(self, cached: bool = True) -> None:
        self.cached = cached

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped:
                article = getattr(t, "article", True)
                t.text = _stem_as_written(t.text, article) if self.cached else stem(t.text, article)
            yield t


class LuceneStemFilter(Filter):
    """Replace each token's text with Lucene's ArabicStemmer output (the conformance baseline)."""

    is_morph = True

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped:
                t.text = lucene_stem(t.text)
            yield t


def _tokenizer() -> RegexTokenizer:
    """Return the tokenizer shared by every Arabic analyzer."""
    return RegexTokenizer(TOKEN_PATTERN)


def arabic_analyzer(cached: bool = True) -> CompositeAnalyzer:
    """Return the search analyzer: tokenize, normalize, drop stopwords, light-stem."""
    return (
        _tokenizer()
        | NormalizeFilter(cached)
        | WrittenStopFilter(stoplist=STOPWORDS, minsize=1, renumber=False)
        | LightStemFilter(cached)
    )


def lucene_analyzer(stoplist: Iterable[str]) -> CompositeAnalyzer:
    """Return Lucene's ArabicAnalyzer rules on our tokenizer: normalize, drop ``stoplist``, Lucene stem."""
    stops = frozenset(w for word in stoplist if (w := normalize(word)))
    return (
        _tokenizer()
        | NormalizeFilter()
        | StopFilter(stoplist=stops, minsize=1, renumber=False)
        | LuceneStemFilter()
    )


def exact_analyzer(cached: bool = True) -> CompositeAnalyzer:
    """Return the exact-match analyzer: tokenize and normalize only (stopwords kept for phrases)."""
    return _tokenizer() | NormalizeFilter(cached)


def analyze(text: str) -> list[dict[str, object]]:
    """List the analyzer's view of each word: original, normalized, stem (None if a stopword), offsets.

    >>> [t["stem"] for t in analyze("وَسَّعَتْ الصينيةُ")]
    ['سعت', 'صين']
    """
    rows: list[dict[str, object]] = []
    for t in _tokenizer()(text, chars=True):
        normalized, article, may_stop = _cached_read(t.text)
        if not normalized:
            continue
        stopword = may_stop and normalized in STOPWORDS
        rows.append(
            {
                "original": text[t.startchar : t.endchar],
                "normalized": normalized,
                "stem": None if stopword else _stem_as_written(normalized, article),
                "stopword": stopword,
                "start": t.startchar,
                "end": t.endchar,
            }
        )
    return rows


def exact_tokens(text: str) -> list[str]:
    """Return the normalized words of a text, stopwords kept (what the exact field indexes).

    >>> exact_tokens("وTecno في ٢٠٢٣")
    ['و', 'tecno', 'في', '2023']
    """
    return [w for t in _tokenizer()(text) if (w := _cached_read(t.text)[0])]


def written_words(text: str) -> list[str]:
    """Return the words of a text as written (the tokens exact_tokens normalizes, none left empty).

    >>> written_words("وَألمانيا ـ و2023")
    ['وَألمانيا', 'و', '2023']
    """
    return [t.text for t in _tokenizer()(text) if _cached_read(t.text)[0]]


def analyze_word(word: str) -> tuple[str, str | None]:
    """Return a normalized word and its stem, or None for the stem of a stopword."""
    norm, article, may_stop = _cached_read(word)
    return norm, (None if may_stop and norm in STOPWORDS else _stem_as_written(norm, article))


def term_positions(text: str) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Return the positions of each ``text``-field term (stems) and ``exact``-field term (normalized
    words) of a paragraph, tokenizing and analysing each word once for both fields.

    Equal to what ``arabic_analyzer()`` and ``exact_analyzer()`` give token by token (positions count
    every token the pattern matches, so stopwords and dropped marks leave gaps, as they do there).

    >>> term_positions("وسّعت الصين علاقاتها مع الصين")
    ({'سعت': [0], 'صين': [1, 4], 'علاق': [2]}, {'وسعت': [0], 'الصين': [1, 4], 'علاقاتها': [2], 'مع': [3]})
    """
    stems: dict[str, list[int]] = {}
    exact: dict[str, list[int]] = {}
    for pos, match in enumerate(TOKEN_PATTERN.finditer(text)):
        norm, stem = analyze_word(match.group())
        if not norm:
            continue
        exact.setdefault(norm, []).append(pos)
        if stem is not None:
            stems.setdefault(stem, []).append(pos)
    return stems, exact
