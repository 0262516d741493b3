"""Query-time expansion: proclitics, spelling variants of foreign names and synonyms, at lower weight.

``expand_variants(generation, normalized, stem, plan)`` returns extra plan nodes for one query word;
:func:`search.query.build.build_query` ORs them with the word's own term. Candidates that the index does not
know are never added, so a guess cannot match noise: بروسيا adds روسيا only when روسيا is indexed, and
فرنسا is never read as ف + رنسا. In all-word mode the guesses about a word the index knows (a related
form, a far commoner spelling) are rank-only terms: they re-rank, and match nothing alone.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from pyarabic import araby

from search.analysis.analyzer import STOPWORDS, analyze_word, exact_tokens
from search.analysis.names import split_compound
from search.analysis.normalize import normalize
from search.analysis.stem import ARTICLE, NISBA_KEPT, WAW_WORDS, strip_prefix, strip_suffixes
from search.analysis.stem import stem as light_stem
from search.plan import Node, Phrase, Term
from search.query.related import RELATED_WEIGHT, related_stems
from search.query.spelling import (
    dropped_hamza,
    drops_pattern_waw,
    hamza_variants,
    k_variants,
    spelling_variants,
)
from search.query.suggest import MIN_DF, max_distance, nearest_words, split_glued

if TYPE_CHECKING:

    from search.backend import Backend
    from search.plan import QueryPlan

#: Single-letter proclitics Lucene leaves on, alone or after و/ف, longest first; ال after them is
#: removed by the stemmer. Only stripped when at least MIN_REMAINDER letters remain.
PROCLITICS: tuple[str, ...] = ("وب", "ول", "وك", "فب", "فل", "فك", "ب", "ل", "ك", "ف")
MIN_REMAINDER = 3
MAX_VARIANTS = 3
#: A spelling variant in more than this many times the paragraphs of a known word is another word
#: (غادة -> جاد, عمير -> عمر, مغرمة -> مجرم) more often than its spelling (هونج/هونغ, موجيريني/موغيريني
#: stay within it): in all-word mode it then re-ranks, as a related form does, and matches nothing alone.
DOMINANT_VARIANT = 10
#: A spelling variant's stem has at least this many letters: سوني is not سني -> سن (سنة, السن).
MIN_VARIANT_STEM = 3
#: Weights against the typed word's own term (1.0).
PROCLITIC_WEIGHT = 1.0
#: The other reading of an initial و is the same word (وزارة / الوزارة): full weight.
WAW_WEIGHT = 1.0
VARIANT_WEIGHT = 0.4
#: A spelling variant of a word the index does not hold at all (بلجيكيا -> بلجيكا) stands for the word
#: that was meant: it weighs as the typed word would.
UNKNOWN_WORD_VARIANT_WEIGHT = 1.0
SYNONYM_WEIGHT = 0.6
#: The two words a word was glued from (الاسكندرالاكبر) are what was meant: full weight.
GLUED_WORDS_WEIGHT = 1.0
#: A paragraph word with ب or ل glued on keeps it in its stem (بمصر, لسويسرا); a query word also
#: searches those forms, lightly: enough to bring such a paragraph into the first page, not to rank
#: it above the paragraphs holding the word itself (tuned on arcd train).
GLUED_PROCLITICS: tuple[str, ...] = ("ب", "ل", "وب", "ول")
GLUED_WEIGHT = 0.1


def strip_proclitic(word: str) -> list[str]:
    """Return the words left after removing each possible single-letter proclitic, longest first.

    >>> strip_proclitic("وبالصين"), strip_proclitic("بيت")
    (['الصين'], [])
    """
    return [
        word[len(p):]
        for p in PROCLITICS
        if word.startswith(p) and len(word) - len(p) >= MIN_REMAINDER and araby.is_arabicrange(word[-1])
    ]


def waw_forms(normalized: str, stem: str) -> list[str]:
    """Return the stem a word would have with its initial و read the other way.

    Lucene strips a leading و from any word of four letters, so ولاية stems to لا while الولاية stems
    to ولا: the same word lands on two stems. A query word gets the other one too (when indexed). Not for
    the words whose و is a root letter (WAW_WORDS: وزارة stems to وزار either way).

    >>> waw_forms("ولايه", "لا"), waw_forms("الوسواس", "وسواس"), waw_forms("الوزاره", "وزار")
    (['ولا'], ['سواس'], [])
    """
    forms = []
    if normalized.startswith(araby.WAW) and not stem.startswith(araby.WAW):
        kept = strip_suffixes(normalized)
        if kept != normalized or len(kept) > len(stem):
            forms.append(kept)
    if stem.startswith(araby.WAW) and len(stem) >= 4 and stem not in WAW_WORDS:
        forms.append(stem[1:])  # not for a root و (وزير is never و + زير)
    return [f for f in forms if f != stem]


def hamza_lam_forms(normalized: str, stem: str) -> list[str]:
    """Return the stem a word typed with a bare ال would have if its ال were its own letters, written
    with a hamza in the paragraphs (المانيا for ألمانيا, العاب for ألعاب): the same word at full weight.

    >>> hamza_lam_forms("المانيا", "مانيا"), hamza_lam_forms("السنه", "سن")
    (['المانيا'], ['السن'])
    """
    if not normalized.startswith((ARTICLE, araby.WAW + ARTICLE)):
        return []
    whole = light_stem(normalized, article=False)
    return [whole] if whole != stem else []


def glued_forms(generation: Backend, stem: str) -> list[str]:
    """Return the indexed stems of the word with ب or ل glued on (لسويسرا for سويسرا), which the
    stemmer keeps whole in a paragraph; only for stems of MIN_REMAINDER letters or more (حر is not بحر).
    """
    if generation is None or len(stem) < MIN_REMAINDER or not araby.is_arabicrange(stem[0]):
        return []
    return [p + stem for p in GLUED_PROCLITICS if _df(generation, p + stem)]


#: A word in this share of the paragraphs (and at least ESTABLISHED_MIN of them) is a spelling of its
#: own: a long vowel added or dropped, or a g-letter swapped, makes other words of it (السعودية -> سعد,
#: محمد -> محمود, غرب -> قرب), not the same name; only its hamza may sit on another seat (مسؤول, مسئول).
ESTABLISHED_SHARE = 0.001
ESTABLISHED_MIN = 20


def rank_only(field: str, text: str, boost: float) -> Term:
    """Return a loose alternative of a word the index knows: it scores where the query matches, matches
    nothing alone.

    Related forms guess at morphology (تقع -> يقع), and a guess about a known word also joins other words
    (آيفون -> ايف -> نايف, تلاعبت -> لاعب): such paragraphs would fill the totals, the facet counts and a
    search sorted by date, where no score keeps them below the paragraphs holding the word.
    """
    return Term(field, text, boost, rank_only=True)


def _alternative(stem: str, weight: float, loose: bool, plan: QueryPlan) -> Term:
    """Return a stem's alternative term: a guess (``loose``) re-ranks only and is not marked in snippets
    (مغرمة does not mark مجرمين beside it); any other is marked."""
    if loose:
        return rank_only("text", stem, weight)
    plan.stems.add(stem)
    return Term("text", stem, boost=weight)


def _established(generation: Backend, own: int) -> bool:
    """Return True when a word's paragraph count makes it an established spelling, searched as it is."""
    return own >= max(ESTABLISHED_MIN, ESTABLISHED_SHARE * generation.doc_count)


def _is_word(generation: Backend, form: str) -> bool:
    """Return True when a spelling variant is itself a word of the index, as spelled (its prefix aside).

    Its stem alone is not enough: غازان (for قازان) stems to غاز "gas", a word of its own.
    """
    if generation is None:
        return False
    bare = strip_prefix(form)
    return any(generation.doc_frequency("exact", w) for w in dict.fromkeys((form, bare)))


@lru_cache(maxsize=1)
def load_synonyms() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Read data/synonyms.txt into a map from each normalized expression to its equivalents."""
    text = resources.files("search").joinpath("data/synonyms.txt").read_text("utf-8")
    table: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        group = [tuple(exact_tokens(e)) for e in line.split("\t") if e.strip()]
        for expression in group:
            table[expression] = tuple(e for e in group if e != expression)
    return table


def synonyms(words: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Return the equivalents of a normalized expression (one or more words).

    >>> synonyms(("شباط",))
    (('فبراير',), ('فيفري',))
    """
    return load_synonyms().get(words, ())


def word_synonyms(normalized: str) -> tuple[tuple[str, ...], ...]:
    """Return the synonyms of a query word, or else of what is left of it without a proclitic or و
    (وترمب, بنتنياهو: those of ترمب, نتنياهو), at least MIN_REMAINDER letters (باب is not ب + آب).

    >>> word_synonyms("وترمب"), word_synonyms("باب")
    ((('ترامب',),), ())
    """
    bare = [normalized[1:]] if normalized.startswith(araby.WAW) and len(normalized) > MIN_REMAINDER else []
    bare += [strip_prefix(normalized)] if normalized.startswith(ARTICLE) else []  # الرياضة: those of رياضة
    for form in (normalized, *strip_proclitic(normalized), *bare):
        if found := synonyms((form,)):
            return found
    return ()


def expression_query(words: tuple[str, ...], plan: QueryPlan, weight: float) -> Node:
    """Return a query for an equivalent expression: its stem, or its words as a phrase; mark them."""
    if len(words) == 1:
        norm, stem = analyze_word(words[0])
        if stem is not None:
            plan.stems.add(stem)
            return Term("text", stem, boost=weight)
        plan.exact_words.add(norm)
        return Term("exact", norm, boost=weight)
    plan.phrases.add(tuple(words))
    # a phrase scores as the sum of its words: divided among them, it weighs as one word would
    return Phrase("exact", tuple(words), boost=weight / len(words))


def _df(generation: Backend, stem: str) -> int:
    """Return how many paragraphs hold a stem in the text field (0 without an index)."""
    return generation.doc_frequency("text", stem) if generation is not None else 0


def expand_variants(generation: Backend, normalized: str, stem: str, plan: QueryPlan) -> list[Node]:
    """Return lower-weight alternatives for one query word that the index knows."""
    extra: list[Node] = [expression_query(e, plan, SYNONYM_WEIGHT) for e in word_synonyms(normalized)]
    own = _df(generation, stem)
    # the noun a listed adjective keeps apart (سعودي, not سعود) is no spelling of it either
    seen = {stem, stem[:-1]} if stem in NISBA_KEPT else {stem}
    readings = [alt for alt in waw_forms(normalized, stem) if _df(generation, alt)]  # of its و, its ال
    article_stem = light_stem(normalized)
    article = stem == article_stem  # False: typed with أل (ألمانيا, بألمانيا), whose ال is its own
    if not article and own > _df(generation, article_stem) and normalized not in STOPWORDS:
        # the paragraphs that print it bare (المانيا) hold it as typed; not آلية, whose bare printing
        # is the stopword إليه
        plan.exact_words.add(normalized)
        extra.append(Term("exact", normalized))
    # ال read as the word's own letters only where it is the commoner reading (المانيا, not السنة -> ألسنة)
    readings += [alt for alt in hamza_lam_forms(normalized, stem) if _df(generation, alt) > own]
    # an initial و the index knows as a root letter (الولاية) is no و + ل: ولاية is not ل + آية
    root_waw = any(alt.startswith(araby.WAW) for alt in readings)
    for rest in [] if root_waw else strip_proclitic(normalized):
        # after ل the article is written لل: لالمانيا is ل + ألمانيا
        own_al = not article or (normalized[: len(normalized) - len(rest)].endswith("ل") and rest.startswith(ARTICLE))
        alt = light_stem(normalize(rest), not own_al)
        if alt not in seen and rest not in STOPWORDS and _df(generation, alt) > own:
            seen.add(alt)
            extra.append(_alternative(alt, PROCLITIC_WEIGHT, False, plan))
            break
    for alt in readings:
        if alt not in seen:
            seen.add(alt)
            extra.append(_alternative(alt, WAW_WEIGHT, False, plan))
    if own:
        for alt in glued_forms(generation, stem):
            if alt not in seen:
                seen.add(alt)
                extra.append(_alternative(alt, GLUED_WEIGHT, False, plan))
    variants = []
    # A word the index does not know also tries ك/ق, and its variant (which then weighs as the word) must
    # be a word of the index as spelled, not only share a stem with one.
    forms = hamza_variants(normalized) if _established(generation, own) else spelling_variants(normalized)
    forms += [] if own else k_variants(normalized)
    same_word = set(hamza_variants(normalized)) | set(dropped_hamza(normalized))
    for form in forms:
        alt = light_stem(form)
        if (
            alt not in seen
            and len(alt) >= MIN_VARIANT_STEM
            and not drops_pattern_waw(stem, alt)
            and (df := _df(generation, alt))
            and (own or _is_word(generation, form))
        ):
            seen.add(alt)
            variants.append((df, alt, form in same_word))
    weight = VARIANT_WEIGHT if own else UNKNOWN_WORD_VARIANT_WEIGHT
    for df, alt, hamza in sorted(variants, reverse=True)[:MAX_VARIANTS]:
        # a hamza restored or moved in a slip (a word of one paragraph: مسوول) is the same word however much
        # more common (مسؤول); in a word of its own (بايع, هايل) the commoner one (بائع, هائل) is another word
        slip = hamza and own < MIN_DF
        loose = own and not plan.guesses_match and not slip and df > DOMINANT_VARIANT * own
        extra.append(_alternative(alt, weight, loose, plan))
    for alt in related_stems(generation, stem):
        if alt not in seen:
            seen.add(alt)
            # the word's accusative (عام -> عاما, عامًا) is the word itself; other forms are guesses
            loose = own and not plan.guesses_match and alt != stem + araby.ALEF
            extra.append(_alternative(alt, RELATED_WEIGHT, loose, plan))
    if own < MIN_DF and (halves := glued_halves(generation, normalized)):  # انفصاله is no انف + صاله
        extra.append(_all_words(halves, plan))
    if len(name := compound_stems(normalized)) == 2:  # عبدالعزيز: also عبد العزيز
        extra.append(_all_words(name, plan))
    if own == 0 and not extra:
        for alt in near_stems(generation, normalized):
            plan.stems.add(alt)
            extra.append(Term("text", alt, boost=FUZZY_WEIGHT))
    return extra


#: A word the index does not know at all (a typo, a hamza misplaced: قاءد, بلجيكيا) is matched by its
#: nearest indexed stems, one edit away (two for long words), at FUZZY_WEIGHT.
FUZZY_WEIGHT = 0.4
MAX_FUZZY = 2


def _all_words(stems: list[str], plan: QueryPlan) -> Node:
    """Return the query for the words a glued word stands for, side by side, at full weight; mark them."""
    plan.stems.update(stems)
    if len(stems) > 1:
        return Phrase("text", tuple(stems), boost=GLUED_WORDS_WEIGHT)
    return Term("text", stems[0], boost=GLUED_WORDS_WEIGHT)


def indexed_stem(generation: Backend, normalized: str) -> str:
    """Return a normalized word's stem as the paragraphs mostly hold it: with its ال kept where that reading
    is the commoner (المانيا, from ألمانيا, whose hamza normalization dropped), else the usual one."""
    article = light_stem(normalized)
    whole = light_stem(normalized, article=False)
    return whole if whole != article and _df(generation, whole) > _df(generation, article) else article


def _content_stems(words: tuple[str, ...]) -> list[str]:
    """Return the stems of the words that are not stopwords."""
    return [stem for word in words if (stem := analyze_word(word)[1]) is not None]


def glued_halves(generation: Backend, normalized: str) -> list[str]:
    """Return the stems of the two words a (nearly) unknown word was typed from without a space.

    Stopwords are left out (ماذايحدث searches يحدث); both halves are then required, as if typed apart.
    """
    if generation is None or not normalized or not araby.is_arabicrange(normalized[0]):
        return []
    halves = split_glued(generation, normalized) or ()
    return [indexed_stem(generation, half) for half in halves if analyze_word(half)[1] is not None]


def compound_stems(normalized: str) -> list[str]:
    """Return the stems of the two words of a glued compound name (عبدالعزيز -> عبد, عزيز), or []."""
    return _content_stems(split_compound(normalized) or ())


def near_stems(generation: Backend, normalized: str) -> list[str]:
    """Return the stems of the most frequent indexed words nearest to an unknown word (at most MAX_FUZZY).

    The vocabulary is the one did-you-mean uses (words of two paragraphs or more), loaded once per
    generation and only when a word is unknown.
    """
    if generation is None or len(normalized) < 3 or not araby.is_arabicrange(normalized[0]):
        return []
    words = nearest_words(generation, normalized, max_distance(normalized))
    return list(dict.fromkeys(indexed_stem(generation, w) for w in words))[:MAX_FUZZY]
