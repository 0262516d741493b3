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
from search.query.plan import Node, Phrase, Term
from search.query.suggest import MIN_DF, max_distance, nearest_words, split_glued

if TYPE_CHECKING:

    from search.backend import Backend
    from search.query.build import QueryPlan

#: Single-letter proclitics Lucene leaves on, alone or after و/ف, longest first; ال after them is
#: removed by the stemmer. Only stripped when at least MIN_REMAINDER letters remain.
PROCLITICS: tuple[str, ...] = ("وب", "ول", "وك", "فب", "فل", "فك", "ب", "ل", "ك", "ف")
MIN_REMAINDER = 3
#: Letters written for a foreign "g", and long vowels a transliteration may add or drop.
G_LETTERS = (araby.JEEM, araby.GHAIN, araby.QAF)
LONG_VOWELS = (araby.YEH, araby.WAW)
#: The seats a hamza inside a word is written on, by regional habit (Egyptian مسئول, شئون; Saudi and
#: Levantine مسؤول, شؤون; تساءل, تسائل, تساؤل): normalization keeps them apart, as Lucene does.
HAMZA_FORMS = (araby.WAW_HAMZA, araby.YEH_HAMZA, araby.HAMZA)
NON_JOINING = frozenset((araby.ALEF, araby.DAL, araby.THAL, araby.REH, araby.ZAIN, araby.WAW))
MIN_VARIANT_LETTERS = 4
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


def drops_pattern_waw(stem: str, variant: str) -> bool:
    """True when a variant drops the و of the native patterns مفعول or فعول, which is no long vowel of a
    transliteration: مديون is not مدين (المدينة), ضروب is not ضرب.

    >>> drops_pattern_waw("مديون", "مدين"), drops_pattern_waw("ضروب", "ضرب"), drops_pattern_waw("بوتن", "بتن")
    (True, True, False)
    """
    if len(stem) == 5 and stem[0] == araby.MEEM and stem[3] == araby.WAW:
        return variant == stem[:3] + stem[4]
    return len(stem) == 4 and stem[2] == araby.WAW and variant == stem[:2] + stem[3]


def _may_vary(word: str) -> bool:
    """True for an Arabic word long enough to have spelling variants (MIN_VARIANT_LETTERS letters)."""
    return len(word) >= MIN_VARIANT_LETTERS and araby.is_arabicrange(word[0])


def spelling_variants(word: str) -> list[str]:
    """Return the word with one g-letter swapped, one inner hamza on another seat, or one inner long
    vowel added or dropped.

    >>> spelling_variants("بوتن"), spelling_variants("شئون")[:2]
    (['بؤتن', 'بتن', 'بوتون', 'بوتين'], ['شؤون', 'شئؤن'])
    """
    if not _may_vary(word):
        return []
    found = set(hamza_variants(word)) | set(dropped_hamza(word))
    for i, char in enumerate(word):
        if char in G_LETTERS:
            found.update(word[:i] + g + word[i + 1 :] for g in G_LETTERS if g != char)
        if char in LONG_VOWELS and 0 < i < len(word) - 1:
            found.add(word[:i] + word[i + 1 :])
    for i in range(1, len(word)):
        if word[i - 1] not in LONG_VOWELS and word[i] not in LONG_VOWELS:
            found.update(word[:i] + v + word[i:] for v in LONG_VOWELS)
    found.discard(word)
    return sorted(found)


def hamza_variants(word: str) -> list[str]:
    """Return the word with one inner hamza on another seat: the same word in any case.

    >>> hamza_variants("شئون")
    ['شؤون']
    """
    if not _may_vary(word):
        return []
    found: set[str] = set()
    for i, char in enumerate(word):
        if char in HAMZA_FORMS and i > 0:
            # a bare ء stands inside a word only after a letter that does not join the next (تساءل)
            forms = HAMZA_FORMS if word[i - 1] in NON_JOINING else HAMZA_FORMS[:2]
            found.update(word[:i] + form + word[i + 1 :] for form in forms if form != char)
    return sorted(found)


def dropped_hamza(word: str) -> list[str]:
    """Return the word with one و or ي after its first letter written as the hamza it may be the seat of:
    a keyboard or a hurried hand writes the seat alone (مسوول, رييس, سوال for مسؤول, رئيس, سؤال).

    >>> dropped_hamza("مسوول"), dropped_hamza("رييس")
    (['مسؤول', 'مسوؤل'], ['رئيس', 'ريئس'])
    """
    if not _may_vary(word):
        return []
    seats = {araby.WAW: araby.WAW_HAMZA, araby.YEH: araby.YEH_HAMZA}
    return sorted({word[:i] + seats[c] + word[i + 1 :] for i, c in enumerate(word) if i > 0 and c in seats})


def k_variants(word: str) -> list[str]:
    """Return the word with one ك written ق or one ق written ك, as a foreign "k" is (كازان / قازان).

    Only for a word the index does not know: between known words the swap joins other words (قلب, كلب).

    >>> k_variants("قازان")
    ['كازان']
    """
    if not _may_vary(word):
        return []
    swap = {araby.KAF: araby.QAF, araby.QAF: araby.KAF}
    return sorted({word[:i] + swap[c] + word[i + 1 :] for i, c in enumerate(word) if c in swap})


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
    return own >= max(ESTABLISHED_MIN, ESTABLISHED_SHARE * generation.columns.doc_count)


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


#: Imperfect-verb prefixes and a few endings a light stemmer keeps; a "root-ish" key drops them so that
#: تقع finds يقع and ولدت finds ولد, at RELATED_WEIGHT. The pattern فعول is read the same way, so that
#: الحدود finds يحدها and سقوط finds سقطت; so is the plural pattern أفعال (الاعراض finds عرض).
VERB_PREFIXES = (araby.YEH, araby.TEH, araby.NOON, araby.ALEF)
IMPERFECT_PREFIXES = (araby.YEH, araby.TEH, araby.NOON)
RELATED_ENDINGS = (araby.TEH, araby.WAW + araby.ALEF, araby.ALEF, araby.WAW, araby.YEH)
RELATED_WEIGHT = 0.2
MAX_RELATED = 5
#: A word the index does not know at all (a typo, a hamza misplaced: قاءد, بلجيكيا) is matched by its
#: nearest indexed stems, one edit away (two for long words), at FUZZY_WEIGHT.
FUZZY_WEIGHT = 0.4
MAX_FUZZY = 2


def root_key(stem: str) -> str:
    """Return a coarse key shared by inflections a light stem keeps apart (verb prefix, endings, and the
    patterns فعول and أفعال of broken plurals and verbal nouns: حدود and يحد, سقوط and سقطت, اعراض
    and عرض).

    >>> root_key("تقع"), root_key("يقع"), root_key("ولدت"), root_key("حدود"), root_key("سقوط")
    ('قع', 'قع', 'ولد', 'حد', 'سقط')
    """
    if len(stem) == 4 and stem[2] == araby.WAW and stem[0] not in VERB_PREFIXES:
        return fuul_root(stem)
    if len(stem) == 5 and stem[0] == araby.ALEF and stem[3] == araby.ALEF:
        return afaal_root(stem)
    if len(stem) >= 3 and stem[0] in VERB_PREFIXES:
        stem = stem[1:]
    for ending in RELATED_ENDINGS:
        if len(stem) - len(ending) >= 3 and stem.endswith(ending):
            return stem[: -len(ending)]
    return stem


def root_keys(stem: str) -> set[str]:
    """Return the stem's root key and, when it starts with ا, also the key that keeps the ا as a root
    letter: normalization writes a root's initial hamza as ا (أسس), which is not then a verb prefix.

    >>> sorted(root_keys("اسس")), sorted(root_keys("تاسست"))
    (['اسس', 'سس'], ['اسس'])
    """
    keys = {root_key(stem)}
    if stem[0] == araby.ALEF and len(stem) >= 3:
        keys.add(_ending_key(stem))
    return keys


def _ending_key(stem: str) -> str:
    """Return the stem without the first related ending that leaves three letters."""
    for ending in RELATED_ENDINGS:
        if len(stem) - len(ending) >= 3 and stem.endswith(ending):
            return stem[: -len(ending)]
    return stem


def fuul_root(stem: str) -> str:
    """Return the root letters of a four-letter stem of the pattern فعول (its third letter و); a doubled
    root (حدود, حقوق) keeps its first two, as the verb's light stem does (يحد, حق).

    >>> fuul_root("دروس"), fuul_root("حدود")
    ('درس', 'حد')
    """
    return stem[:2] if stem[1] == stem[3] else stem[:2] + stem[3]


def afaal_root(stem: str) -> str:
    """Return the root letters of a five-letter stem of the plural pattern أفعال (اعراض -> عرض).

    >>> afaal_root("اعراض"), afaal_root("احداث")
    ('عرض', 'حدث')
    """
    return stem[1:3] + stem[4]


def afaal_form(key: str) -> str:
    """Return the أفعال plural of a three-letter root key, as normalized (حدث -> احداث)."""
    return araby.ALEF + key[:2] + araby.ALEF + key[2]


def fuul_form(key: str) -> str:
    """Return the فعول form of a root key: a و before the last root letter (درس -> دروس, حد -> حدود)."""
    return key[:2] + araby.WAW + key[2] if len(key) == 3 else key + araby.WAW + key[1]


def related_stems(generation: Backend, stem: str) -> list[str]:
    """Return indexed stems sharing the stem's root key, most frequent first (at most MAX_RELATED).

    The candidates are spelled out from the key (each verb prefix, each ending) and looked up one by
    one: a few dozen term look-ups, no table of the whole vocabulary in every worker.
    """
    if generation is None or not araby.is_arabicrange(stem[0]):
        return []
    return list(generation.expansions.get_or_compute(("related", stem), lambda: _related_stems(generation, stem)))


def _related_stems(generation: Backend, stem: str) -> tuple[str, ...]:
    """Look up the related stems of :func:`related_stems` (a few dozen document-frequency look-ups)."""
    # a two-letter key (تقع -> قع) links imperfect verbs only: bare or with ا, it is another word (يمن -> امن),
    # and from a stem with ا (الأمن -> امن -> من) it is none (امن is no verb "I ...")
    keys = {k for k in root_keys(stem) if len(k) > 2 or stem[0] != araby.ALEF}
    candidates = {
        p + key + e
        for key in keys
        for p in (("", *VERB_PREFIXES) if len(key) > 2 else IMPERFECT_PREFIXES)
        for e in ("", *RELATED_ENDINGS)
    }
    candidates.update(fuul_form(key) for key in keys if len(key) in (2, 3))
    candidates.update(afaal_form(key) for key in keys if len(key) == 3)
    found = []
    for word in candidates - {stem}:
        if root_keys(word) & keys and (df := _df(generation, word)):
            found.append((df, word))
    return tuple(w for _, w in sorted(found, reverse=True)[:MAX_RELATED])


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
