"""Building the query plan of a search request: its words, their variants and the ranking evidence.

Building is pure (no index needed) and separate from running it (:mod:`search.engine`); requests and
the query language are parsed in :mod:`search.query.request`.
"""

from __future__ import annotations

from collections.abc import Callable

from pyarabic import araby

from search.analysis.analyzer import analyze_word, exact_tokens, written_words
from search.analysis.names import join_compound
from search.analysis.stem import prefix_forms
from search.errors import QueryError
from search.plan import (
    EVERYTHING,
    NOTHING,
    AllOf,
    AnyOf,
    BestOf,
    Excluding,
    Near,
    Node,
    Phrase,
    Prefix,
    QueryPlan,
    Term,
    one_of,
)
from search.query.request import MIN_PREFIX, Clause, SearchRequest
from search.query.variants import SYNONYM_WEIGHT, expression_query, synonyms

#: The letters that, glued to a Latin word or a number, the tokenizer splits off (وGoogle, بـ2015): not
#: part of the word. Any other mixed word (ج2, غير-حكومية) stays a phrase of its pieces.
GLUED_TO_LATIN = frozenset({"و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل", "فك"})
PROXIMITY_SLOP = 10
#: Forms of one query word (its stem and full-weight alternatives) that proximity and title evidence use.
MAX_FORMS = 3
PROXIMITY_BOOST = 0.25
#: In all-word mode (keywords, the default) two query words that stand side by side in a paragraph weigh
#: this much more again: a reader who types اليوم الوطني or مجلس الأمن means the expression, and BM25 and
#: proximity alone ranked first paragraphs holding the two words apart. Any-word mode (natural-language
#: questions) has none: there it cost arcd train 0.004 to 0.02. benchmarks/known_item.py, a paragraph
#: remembered by two or three of its words in a row (SaudiNewsNet, 300 queries): MRR@10 0.67 -> 0.84 for
#: the paragraphs holding them in a row, 0.44 -> 0.55 for the paragraph itself.
ADJACENT_BOOST = 1.0
#: In any-word mode a word may match the article title instead of the paragraph, at this weight
#: (multiplied by the title field's own boost); in all-word mode the title only re-ranks.
TITLE_WEIGHT = 2.0
#: BM25F parameters, tuned on arcd train: paragraphs vary in length a lot, and a strong length
#: normalization (B) with a quickly saturating term frequency (K1) ranks the focused paragraph first.
BM25_K1 = 0.8
BM25_B = 0.9


# ---------------------------------------------------------------------------------------------
# Building the query plan
#
# The query that matches (plan.query) holds the words and their variants only, so a backend can skip
# posting blocks that cannot reach the top. Optional evidence (query words close together, query words
# in the article title) is scored afterwards, on the top candidates only (plan.evidence, see rerank.py):
# it re-ranks and never changes which paragraphs match.


def _clause_query(
    clause: Clause, exact: bool, plan: QueryPlan, expand: Callable | None, keep_stops: bool = False
) -> Node | None:
    """Build the query for one clause, recording what to mark; None when nothing is left of it."""
    if clause.kind == "phrase":
        words = exact_tokens(clause.text)
        if not words:
            return None
        if len(words) == 1:
            plan.exact_words.add(words[0])
            return Term("exact", words[0])
        plan.phrases.add(tuple(words))
        return Phrase("exact", tuple(words))
    if clause.kind == "prefix":
        words = exact_tokens(clause.text)
        if not words or len(words[-1]) < MIN_PREFIX:
            raise QueryError(
                f"a prefix needs at least {MIN_PREFIX} letters before '*', got {clause.text!r}",
                "prefix_too_short",
            )
        # a prefix typed bare also finds the words printed with و, ال, ب, ل, ف or ك in front
        forms = prefix_forms(words[-1], MIN_PREFIX)
        plan.prefixes.update(forms)
        return BestOf(tuple(Prefix("exact", f) for f in forms)) if len(forms) > 1 else Prefix("exact", forms[0])
    forms = [analyze_word(w) for w in written_words(clause.text)]  # as written: ألمانيا keeps its ال
    if len(forms) == 2 and forms[0][0] in GLUED_TO_LATIN and not araby.is_arabicrange(forms[1][0][0]):
        forms = forms[1:]  # a conjunction or preposition glued to a Latin word or a number (وGoogle, و2015)
    if not forms:
        return None
    if len(forms) > 1:  # a glued or hyphenated word (COVID-19): its pieces in order
        plan.phrases.add(tuple(norm for norm, _ in forms))
        return Phrase("exact", tuple(norm for norm, _ in forms))
    norm, stem = forms[0]
    if stem is None and not keep_stops:
        return None  # a stopword among other words carries no topic
    plan.words.append(norm)
    if stem is None or exact:  # a stopword or exact mode: the normalized word itself
        plan.exact_words.add(norm)
        return Term("exact", norm)
    plan.stems.add(stem)
    plan.ordered_stems.append(stem)
    alternatives: list[Node] = [Term("text", stem)]
    if expand:
        alternatives += expand(norm, stem, plan)
    plan.word_forms.append(list(dict.fromkeys(_same_word_stems(alternatives)))[:MAX_FORMS])
    return alternatives[0] if len(alternatives) == 1 else BestOf(tuple(alternatives))


def _excluded_query(clause: Clause, exact: bool) -> Node | None:
    """Build the query of an excluded clause: a word also by its normalized form in the exact field, so
    that -المانيا drops ألمانيا, whose stem keeps the ال the bare spelling loses."""
    query = _clause_query(clause, exact, QueryPlan(None), None, True)
    if isinstance(query, Term) and query.field == "text" and len(words := exact_tokens(clause.text)) == 1:
        return AnyOf((query, Term("exact", words[0])))
    return query


def _same_word_stems(parts: list[Node]) -> list[str]:
    """Return the stems of the full-weight alternatives among a group's queries (the same word).

    بروسيا's روسيا, or a spelling that stands for an unknown word: they match the title as the word would.
    """
    stems = []
    for part in parts:
        for sub in part.parts if isinstance(part, (AnyOf, BestOf)) else [part]:
            if isinstance(sub, Term) and sub.field == "text" and sub.boost >= 1.0:
                stems.append(sub.text)
    return stems


def _title(stem: str) -> Term:
    """Reward a stem in the article title (weighted by the title field boost and TITLE_WEIGHT)."""
    return Term("title", stem, boost=TITLE_WEIGHT)


def _proximity(a: str, b: str, slop: int = PROXIMITY_SLOP, boost: float = PROXIMITY_BOOST) -> Near:
    """Reward paragraphs where two query stems stand within ``slop`` words (either order)."""
    # A span scores as the sum of its terms, so the weight goes on the terms (a span's own boost is ignored).
    return Near(Term("text", a, boost=boost), Term("text", b, boost=boost), slop)


def _evidence(forms: list[list[str]], title: bool, side_by_side: list[tuple[str, str]]) -> Node | None:
    """Return the re-ranking evidence: query stems in the title (unless they match there already),
    consecutive query words near each other (each by its stem or a full-weight alternative) and the
    ``side_by_side`` stem pairs standing next to each other, at ADJACENT_BOOST."""
    unique = list(dict.fromkeys(s for word in forms for s in word))
    parts: list[Node] = [_title(s) for s in unique] if title else []
    if PROXIMITY_BOOST > 0:
        pairs = sorted({pair for x, y in zip(forms, forms[1:], strict=False) for pair in _form_pairs(x, y)})
        parts += [_proximity(a, b) for a, b in pairs]
    parts += [_proximity(a, b, 1, ADJACENT_BOOST) for a, b in side_by_side]
    if not parts:
        return None
    return one_of(parts)


def _typed_side_by_side(words: list[tuple[str, ...]]) -> list[tuple[str, str]]:
    """Return the stems of each two plain words typed next to each other: no stopword, OR, phrase or
    excluded word between them (``words`` as :func:`_single_words` gives them)."""
    pairs = set()
    for first, second in zip(words, words[1:], strict=False):
        if len(first) == len(second) == 1:
            a, b = analyze_word(first[0])[1], analyze_word(second[0])[1]
            if a is not None and b is not None and a != b:
                pairs.add((a, b))
    return sorted(pairs)


def _single_words(parsed: tuple[tuple[Clause, ...], ...]) -> list[tuple[str, ...]]:
    """Return each group's words as written when it is one plain word clause, () otherwise."""
    return [
        tuple(written_words(g[0].text)) if len(g) == 1 and g[0].kind == "word" and not g[0].negated else ()
        for g in parsed
    ]


def _form_pairs(first: list[str], second: list[str]) -> set[tuple[str, str]]:
    """Return the form pairs of two neighbouring words that proximity rewards: each word's stem with
    every form of the other (at most 2 x MAX_FORMS - 1 pairs, not every combination)."""
    return {(a, b) for a in first for b in second if a != b and (a == first[0] or b == second[0])}


def _join_word_pairs(
    words: list[tuple[str, ...]], at: list[int], groups: list[list[Node]], stems: list[list[str]], plan: QueryPlan
) -> None:
    """Read two consecutive words as one word group when they are one expression in other spellings.

    A compound name (عبد العزيز) is also found written glued (عبدالعزيز), at full weight; two words with
    a synonym (تشرين الأول -> أكتوبر, فيس بوك -> فيسبوك) also find the synonym alone, at SYNONYM_WEIGHT.
    Either way a paragraph needs the two words or an equivalent, in all-word mode too; a compound name's
    two words side by side (a phrase of stems, scored in bulk), a synonym pair's anywhere (each word keeps
    its own variants).

    :param words: each parsed group's words when it is one plain word (``_single_words``).
    :param at: for each kept group, the parsed group it came from (stopword groups are dropped, so a pair
        is two kept groups from neighbouring parsed groups: في between them keeps them apart).
    """
    joined = len(groups)
    for k in reversed(range(len(groups) - 1)):
        i, j = at[k], at[k + 1]
        if j != i + 1 or len(words[i]) != 1 or len(words[j]) != 1 or k + 1 == joined:
            continue
        (first, a), (second, b) = analyze_word(words[i][0]), analyze_word(words[j][0])
        glued = join_compound(first, second)
        spaced = [a, b]
        if glued is not None and (stem := analyze_word(glued)[1]) is not None and None not in spaced:
            plan.stems.add(stem)
            alternatives = [Phrase("text", tuple(spaced)), Term("text", stem)]
        elif equivalents := synonyms((first, second)):
            both = AllOf((groups[k][0], groups[k + 1][0]))
            alternatives = [both, *(expression_query(e, plan, SYNONYM_WEIGHT) for e in equivalents)]
        else:
            continue
        # the two words' stems, for the title in any-word mode
        joined_pair = BestOf(tuple(alternatives), pair=(spaced[0], spaced[1]))
        groups[k : k + 2] = [[joined_pair]]
        stems[k : k + 2] = [stems[k] + stems[k + 1]]
        at[k : k + 2] = [i]
        joined = k


def build_query(request: SearchRequest, expand: Callable | None = None, guesses: bool = False) -> QueryPlan:
    """Build the query plan of a request (pure: no index needed).

    :param expand: optional ``(normalized, stem, plan) -> [plan nodes]`` adding lower-weight variants.
    :param guesses: let the guessed forms of a known word match in all-word mode too (they always do in
        any-word mode); otherwise they only re-rank (a rank-only :class:`search.plan.Term`).
    """
    parsed = request.parsed
    any_word = request.mode == "any"
    plan = QueryPlan(query=None, guesses_match=any_word or guesses)
    all_stop = all(
        c.kind == "word" and all(analyze_word(w)[1] is None for w in written_words(c.text))
        for g in parsed.groups
        for c in g
    )
    # A query of stopwords only (ما, من هو) searches them as written rather than finding nothing.
    exact = request.exact or all_stop
    groups: list[list[Node]] = []
    group_stems: list[list[str]] = []
    at: list[int] = []  # the parsed group each kept group came from
    for i, group in enumerate(parsed.groups):
        before = len(plan.ordered_stems)
        parts = [q for c in group if (q := _clause_query(c, exact, plan, expand, all_stop)) is not None]
        if parts:
            groups.append(parts)
            group_stems.append(plan.ordered_stems[before:])
            at.append(i)
    if not exact:  # exact words only: no other spelling of a pair either
        _join_word_pairs(_single_words(parsed.groups), at, groups, group_stems, plan)
    if any_word:  # in any-word mode a word may match the article title instead of the paragraph
        for parts, stems in zip(groups, group_stems, strict=True):
            # a pair read as one: both its words in the title
            if isinstance(parts[0], BestOf) and (pair := parts[0].pair) is not None:
                parts += [AllOf((_title(pair[0]), _title(pair[1])))]
                parts += [_title(stem) for stem in dict.fromkeys(_same_word_stems(parts))]
            else:
                parts += [_title(stem) for stem in dict.fromkeys(stems + _same_word_stems(parts))]
    side_by_side = [] if any_word or not ADJACENT_BOOST else _typed_side_by_side(_single_words(parsed.groups))
    plan.evidence = _evidence(plan.word_forms, not any_word, side_by_side)
    # An excluded word is matched as a search word would be (-بكين also drops وبكين).
    excluded = [q for c in parsed.excluded if (q := _excluded_query(c, exact))]
    plan.positive_groups = len(groups)
    queries = [one_of(parts) for parts in groups]
    plan.groups = queries
    if queries:
        main: Node = queries[0] if len(queries) == 1 else (
            AllOf(tuple(queries)) if request.mode == "all" else AnyOf(tuple(queries))
        )
    elif excluded or parsed.groups:
        main = EVERYTHING if not parsed.groups else NOTHING
    else:
        return plan
    if excluded:
        main = Excluding(main, AnyOf(tuple(excluded)))
    plan.query = main
    return plan
