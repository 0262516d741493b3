"""Light Arabic stemmer: Lucene's ArabicStemmer rules plus the pronoun suffixes it misses.

Works on one already-normalized word; it imports nothing from Whoosh. Prefix and suffix tables are
data, tried in order, each with the length condition that keeps a root from being eaten.
"""

from __future__ import annotations

from pyarabic import araby

from search.analysis.wordlists import read_word_list

#: Lucene's prefixes, in its order; only the first that fits is removed.
#: ال وال بال كال فال لل و
PREFIXES: tuple[str, ...] = ("ال", "وال", "بال", "كال", "فال", "لل", "و")
ARTICLE = "ال"
#: What a printed word may carry before the letters a reader types as a prefix (``word*``): a
#: conjunction, a preposition, the article, and their combinations (والصين, بالصين, للصين, وبالصين).
PROCLITIC_FORMS: tuple[str, ...] = (
    "و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل", "فك",
    "ال", "وال", "فال", "بال", "كال", "لل", "ولل", "فلل", "وبال", "وكال", "فبال", "فكال",
)
#: Lucene's suffixes, in its order; each is tried once, so ساهدهات -> ساهده -> ساهد.
#: ها ان ات ون ين يه ية ه ة ي (ة kept so the stemmer also accepts unnormalized words).
SUFFIXES: tuple[str, ...] = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")
#: The dual and plural endings ان ين ون leave at least three letters, where Lucene leaves two: a word of
#: four letters ending so is no dual or plural but a word of its own (مكان, امان, بيان, امين, عيون), and
#: cutting it made it another (مكان met مكة at مك, امان and امين met ام "mother").
LONG_SUFFIXES = frozenset({"ان", "ين", "ون"})
MIN_LONG_SUFFIX_STEM = 3
#: The prefix و + ال, which a root-و stem must not look like.
WAW_ARTICLE = "وال"
#: Attached pronouns Lucene leaves on (هما هم هن كما كم كن نا), tried before SUFFIXES, and only
#: where at least MIN_PRONOUN_STEM letters remain: محادثاتهما -> محادثات -> محادث, but مهم, فهم stay.
PRONOUN_SUFFIXES: tuple[str, ...] = ("هما", "كما", "هم", "هن", "كم", "كن", "نا")
MIN_PRONOUN_STEM = 3
#: A word ending ان or ون takes the accusative ا (سكانًا, مليونًا, قانونًا, written with or without its
#: tanween): that ا is dropped, where نا would have been cut as "our" (سكانا -> سكا, مليونا -> مليو).
#: So does a word ending ين (مبينًا, يقينًا, يمينًا) and a name ending ينا (فيينا, أثينا, which had
#: become في and اث: فيينا found وفيات and ألفي). رأينا, نبينا ("our opinion", "our prophet") then
#: keep an ن: on SaudiNewsNet the accusatives and names are 14 times as many paragraphs.
ACCUSATIVE_NUN: tuple[str, ...] = ("انا", "ونا", "ينا")
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


def strip_suffixes(word: str, pronouns: bool = True, long_stem: int = MIN_LONG_SUFFIX_STEM) -> str:
    """Remove attached pronouns, then each Lucene suffix in turn, keeping 2+ letters (``long_stem`` for ان ين ون).

    >>> strip_suffixes("محادثاتهما"), strip_suffixes("مكان"), strip_suffixes("مكان", long_stem=2)
    ('محادث', 'مكان', 'مك')
    """
    if pronouns:
        for suffix in PRONOUN_SUFFIXES:
            if len(word) >= len(suffix) + MIN_PRONOUN_STEM and word.endswith(suffix):
                # انا ونا end an accusative (سكانا, مليونا, قانونا): its ا goes, not a pronoun نا
                word = word[:-1] if word.endswith(ACCUSATIVE_NUN) else word[: -len(suffix)]
                break
        else:
            if len(word) >= len(PLURAL_PRONOUN) + 2 and word.endswith(PLURAL_PRONOUN):
                word = word[:-1]
    for suffix in SUFFIXES:
        least = long_stem if suffix in LONG_SUFFIXES else 2
        if len(word) >= len(suffix) + least and word.endswith(suffix):
            word = word[: -len(suffix)]
    return word


def root_waw_stem(word: str) -> str | None:
    """Return the stem of a word whose initial و is a root letter (WAW_WORDS), or None.

    The word's suffixes go as usual, then an accusative ا (وفقا) or the ت of ة before a pronoun
    (وزارته) if what is left is listed.

    >>> root_waw_stem("وزارته"), root_waw_stem("وفقا"), root_waw_stem("وقال")
    ('وزار', 'وفق', None)
    """
    kept = bare_final_hamza(strip_suffixes(word))
    for form in (kept, kept[:-1] if kept.endswith((araby.ALEF, araby.TEH)) else kept):
        if form in WAW_WORDS:
            return form
    return None


def lucene_stem(word: str) -> str:
    """Stem exactly as Lucene's ArabicStemmer does (the conformance baseline).

    >>> lucene_stem("وساهدون"), lucene_stem("مكان")
    ('ساهد', 'مك')
    """
    if not _is_arabic_word(word):
        return word
    return strip_suffixes(strip_prefix(word), pronouns=False, long_stem=2)


def stem(word: str, article: bool = True) -> str:
    """Stem one normalized Arabic word; Latin words and numbers are returned unchanged.

    :param article: False when the word was written with أل, إل or آل where the stemmer sees ال (after a
        conjunction or preposition at most): those are its own letters (ألمانيا, ألعاب, آلاف), as the
        article is never written with a hamza, so only an initial و goes.

    >>> stem("والصينية"), stem("المانيا"), stem("المانيا", article=False), stem("والعاب", article=False)
    ('صين', 'مانيا', 'المانيا', 'العاب')
    >>> stem("باليه", article=False), stem("بالمانيا", article=False), stem("باليه")
    ('باليه', 'بالمانيا', 'يه')
    """
    if not _is_arabic_word(word):
        return word
    if word.startswith(araby.WAW) and (kept := root_waw_stem(word)) is not None:
        return kept  # the و is a root letter (وزارة), not "and"
    if article:
        stripped = strip_prefix(word)
    else:
        stripped = word[1:] if word.startswith(araby.WAW + ARTICLE) and len(word) >= 4 else word
    if stripped in PROTECTED:
        return stripped
    if stripped != word and stripped.startswith(araby.WAW) and (kept := root_waw_stem(stripped)) is not None:
        return kept  # after the conjunction or the article (ووفقا, الوزارته)
    stem_ = bare_final_hamza(strip_suffixes(stripped))
    if len(stem_) < 3 and stripped.startswith(ARTICLE) and (not article or stripped != word):
        return stripped  # آلات, الآلات, آلة, إله keep their endings rather than all become ال
    if not article and 0 < (own := stripped.find(ARTICLE)) <= 2 and len(stem_) - own < 3:
        return stripped  # after ب, ل, ك (and و, ف) likewise: بآلية is not بال "mind", لآليات not لال
    if (adjective := stem_ + araby.YEH) in NISBA_KEPT and stripped.startswith(adjective):
        return adjective  # السعودية -> سعودي, not the name سعود
    return stem_


def bare_final_hamza(stem: str) -> str:
    """Write a stem's final hamza on its own, whatever seat (ؤ ئ) the case ending gave it.

    >>> bare_final_hamza("اسماؤ"), bare_final_hamza("ابنائ"), bare_final_hamza("رئيس")
    ('اسماء', 'ابناء', 'رئيس')
    """
    if len(stem) > 2 and stem.endswith(HAMZA_SEATS):
        return stem[:-1] + araby.HAMZA
    return stem


#: Names whose ending only looks like a suffix (data/protected_ar.txt), as stem() meets them: the article
#: (or another prefix) removed.
PROTECTED = frozenset(strip_prefix(w) for w in read_word_list("protected_ar.txt"))
#: Adjectives of relation whose ي the stemmer keeps (data/nisba_ar.txt): سعودي is not سعود.
NISBA_KEPT = frozenset(read_word_list("nisba_ar.txt"))
#: Stems of words whose initial و is a root letter (data/waw_words_ar.txt): the و is never stripped. A stem
#: that begins with the prefix وال or has fewer than three letters would take in other words: not kept.
WAW_WORDS = frozenset(
    s for w in read_word_list("waw_words_ar.txt")
    if len(s := bare_final_hamza(strip_suffixes(w))) >= 3 and not s.startswith(WAW_ARTICLE)
)


def prefix_forms(prefix: str, min_letters: int = 2) -> list[str]:
    """Return the forms a normalized prefix may be printed with: as typed, without its article (when at
    least ``min_letters`` remain), and with each proclitic in front, as whole-word search finds them.

    >>> prefix_forms("صين")[:4], prefix_forms("الصي")[:3], prefix_forms("goo")
    (['صين', 'وصين', 'فصين', 'بصين'], ['الصي', 'صي', 'وصي'], ['goo'])
    """
    if not araby.is_arabicrange(prefix[0]):
        return [prefix]
    bare = prefix[len(ARTICLE):] if prefix.startswith(ARTICLE) and len(prefix) - len(ARTICLE) >= min_letters else prefix
    return list(dict.fromkeys([prefix, bare, *(p + bare for p in PROCLITIC_FORMS)]))
