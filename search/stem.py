"""Light Arabic stemmer: Lucene's ArabicStemmer rules plus the pronoun suffixes it misses.

Works on one already-normalized word; it imports nothing from Whoosh. Prefix and suffix tables are
data, tried in order, each with the length condition that keeps a root from being eaten.
"""

from __future__ import annotations

from importlib import resources

from pyarabic import araby

from search.normalize import normalize

#: Lucene's prefixes, in its order; only the first that fits is removed.
#: ال وال بال كال فال لل و
PREFIXES: tuple[str, ...] = ("ال", "وال", "بال", "كال", "فال", "لل", "و")
#: Lucene's suffixes, in its order; each is tried once, so ساهدهات -> ساهده -> ساهد.
#: ها ان ات ون ين يه ية ه ة ي (ة kept so the stemmer also accepts unnormalized words).
SUFFIXES: tuple[str, ...] = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")
#: The dual and plural endings ان ين ون leave at least three letters, where Lucene leaves two: a word of
#: four letters ending so is no dual or plural but a word of its own (مكان, امان, بيان, امين, عيون), and
#: cutting it made it another (مكان met مكة at مك, امان and امين met ام "mother").
LONG_SUFFIXES = frozenset({"ان", "ين", "ون"})
MIN_LONG_SUFFIX_STEM = 3
#: Attached pronouns Lucene leaves on (هما هم هن كما كم كن نا), tried before SUFFIXES, and only
#: where at least MIN_PRONOUN_STEM letters remain: محادثاتهما -> محادثات -> محادث, but مهم, فهم stay.
PRONOUN_SUFFIXES: tuple[str, ...] = ("هما", "كما", "هم", "هن", "كم", "كن", "نا")
MIN_PRONOUN_STEM = 3
#: ه is Lucene's too, but tried after ات, so a plural kept it: مقالاته -> مقالات while مقالات -> مقال.
#: After ات it is the pronoun and goes first. Elsewhere it may be a normalized ة (مدينه), so it keeps
#: Lucene's place: مدينه -> مدين, not مدين -> مد.
PLURAL_PRONOUN = "اته"
#: A hamza that ends a stem sits on waw or yeh only because of the case vowel of a word that followed it
#: (أسماؤه, أسمائه, أسماءه are one word): it is written as the bare hamza.
HAMZA_SEATS: tuple[str, ...] = (araby.WAW_HAMZA, araby.YEH_HAMZA)


def _is_arabic_word(word: str) -> bool:
    """Return True when the word starts with an Arabic letter (Latin and numbers are not stemmed)."""
    return bool(word) and araby.is_arabicrange(word[0])


def strip_prefix(word: str) -> str:
    """Remove the first Lucene prefix that leaves enough letters.

    >>> strip_prefix("والحسن")
    'حسن'
    """
    for prefix in PREFIXES:
        # Lucene: و needs a word of 4+ letters; the others leave at least 2.
        minimum = 4 if len(prefix) == 1 else len(prefix) + 2
        if len(word) >= minimum and word.startswith(prefix):
            return word[len(prefix):]
    return word


def strip_suffixes(word: str, pronouns: bool = True) -> str:
    """Remove attached pronouns, then each Lucene suffix in turn, keeping 2+ letters.

    >>> strip_suffixes("محادثاتهما")
    'محادث'
    """
    if pronouns:
        for suffix in PRONOUN_SUFFIXES:
            if len(word) >= len(suffix) + MIN_PRONOUN_STEM and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        else:
            if len(word) >= len(PLURAL_PRONOUN) + 2 and word.endswith(PLURAL_PRONOUN):
                word = word[:-1]
    for suffix in SUFFIXES:
        least = MIN_LONG_SUFFIX_STEM if suffix in LONG_SUFFIXES else 2
        if len(word) >= len(suffix) + least and word.endswith(suffix):
            word = word[: -len(suffix)]
    return word


def load_protected() -> frozenset[str]:
    """Read data/protected_ar.txt: each name normalized and without its prefix, as stem() meets it."""
    text = resources.files("search").joinpath("data/protected_ar.txt").read_text("utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(strip_prefix(normalize(w)) for w in words if w and not w.startswith("#"))


def load_waw_words() -> frozenset[str]:
    """Read data/waw_words_ar.txt: the stems (suffixes removed, the و kept) of words whose و is a root letter."""
    text = resources.files("search").joinpath("data/waw_words_ar.txt").read_text("utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(strip_suffixes(normalize(w)) for w in words if w and not w.startswith("#"))


def lucene_stem(word: str) -> str:
    """Stem exactly as Lucene's ArabicStemmer does (the conformance baseline).

    >>> lucene_stem("وساهدون")
    'ساهد'
    """
    if not _is_arabic_word(word):
        return word
    return strip_suffixes(strip_prefix(word), pronouns=False)


def stem(word: str) -> str:
    """Stem one normalized Arabic word; Latin words and numbers are returned unchanged.

    >>> stem("والصينية")
    'صين'
    """
    if not _is_arabic_word(word):
        return word
    if word.startswith(araby.WAW) and (kept := strip_suffixes(word)) in WAW_WORDS:
        return bare_final_hamza(kept)  # the و is a root letter (وزارة), not "and"
    word = strip_prefix(word)
    if word in PROTECTED:
        return word
    return bare_final_hamza(strip_suffixes(word))


def bare_final_hamza(stem: str) -> str:
    """Write a stem's final hamza on its own, whatever seat (ؤ ئ) the case ending gave it.

    >>> bare_final_hamza("اسماؤ"), bare_final_hamza("ابنائ"), bare_final_hamza("رئيس")
    ('اسماء', 'ابناء', 'رئيس')
    """
    if len(stem) > 2 and stem.endswith(HAMZA_SEATS):
        return stem[:-1] + araby.HAMZA
    return stem


#: Names whose ending only looks like a suffix (data/protected_ar.txt): left whole after the prefix.
PROTECTED = load_protected()
#: Stems of words whose initial و is a root letter (data/waw_words_ar.txt): the و is never stripped.
WAW_WORDS = load_waw_words()
