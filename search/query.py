"""Search requests: validate user parameters, parse the query language, build the Whoosh query.

Building is pure (no index needed) and separate from running it (:mod:`search.engine`). User query text
is never trusted as syntax: only ``"phrase"``, ``-word``, ``-"phrase"``, ``OR`` between terms and a final
``*`` mean something; every other operator character is read as a space.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from whoosh import query as wq
from whoosh.scoring import BM25F

from search.analysis import analyze_word, exact_tokens
from search.errors import QueryError
from search.variants import SYNONYM_WEIGHT, expression_query, synonyms

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
MAX_SOURCES = 20
MAX_DEPTH = 10_000  # page x per_page
MIN_PREFIX = 2
SORTS = ("relevance", "newest", "oldest")
MODES = ("all", "any")
PROXIMITY_SLOP = 10
PROXIMITY_BOOST = 0.25
#: In any-word mode a word may match the article title instead of the paragraph, at this weight
#: (multiplied by the title field's own boost); in all-word mode the title only re-ranks.
TITLE_WEIGHT = 2.0
#: BM25F parameters, tuned on arcd train: paragraphs vary in length a lot, and a strong length
#: normalization (B) with a quickly saturating term frequency (K1) ranks the focused paragraph first.
BM25_K1 = 0.8
BM25_B = 0.9

_ASCII_INTEGER = re.compile(r"[0-9]{1,9}")
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLAUSE = re.compile(r'(-?)"([^"]*)"|(\S+)')
_STRAY = re.compile(r"[()\[\]{}~^:+!\\&|]")
_OPERATOR_WORDS = frozenset({"AND", "NOT", "&&", "||"})
#: A hyphen, dash or slash between two digits: a range or a date (1922-1991, 2018/2019), whose numbers
#: are searched as words of their own rather than as one glued word (a phrase, as COVID-19 is).
_NUMBER_JOINT = re.compile(r"(?<=\d)[-\u2010-\u2015/](?=\d)")


@dataclass(frozen=True)
class Clause:
    """One unit of a parsed query: a word, a phrase or a prefix, possibly negated."""

    kind: str  # "word" | "phrase" | "prefix"
    text: str
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """A query as understood: groups of alternatives (OR inside a group) and excluded clauses."""

    groups: tuple[tuple[Clause, ...], ...] = ()
    excluded: tuple[Clause, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing is asked for (browse)."""
        return not self.groups and not self.excluded


@dataclass(frozen=True)
class SearchRequest:
    """A validated search request."""

    q: str = ""
    sources: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    sort: str | None = None  # None: relevance with a query, newest without
    mode: str = "all"
    exact: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    parsed: ParsedQuery = field(default=ParsedQuery(), compare=False, repr=False)

    @property
    def effective_sort(self) -> str:
        """The sort in force: the one asked for, else relevance with words and newest without."""
        if self.sort:
            return self.sort
        return "relevance" if self.parsed.groups else "newest"

    def to_dict(self) -> dict[str, object]:
        """The parameters as understood, for the JSON answer."""
        return {
            "q": self.q,
            "source": list(self.sources),
            "date_from": self.date_from,
            "date_to": self.date_to,
            "sort": self.effective_sort,
            "mode": self.mode,
            "exact": self.exact,
            "page": self.page,
            "per_page": self.per_page,
        }

    def with_mode(self, mode: str) -> SearchRequest:
        """Return the same request in another mode."""
        return replace(self, mode=mode)


def _one(values: Mapping[str, object], name: str) -> str | None:
    """Return a parameter's single value (the last one if repeated), or None."""
    value = values.get(name)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return None if value is None else str(value)


def _many(values: Mapping[str, object], name: str) -> list[str]:
    """Return all values of a repeatable parameter."""
    value = values.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _int(text: str | None, name: str, default: int, low: int, high: int) -> int:
    """Parse a bounded integer parameter or raise QueryError."""
    if text is None or text == "":
        return default
    if not _ASCII_INTEGER.fullmatch(text):
        raise QueryError(f"'{name}' must be a whole number written 0-9, got {text[:40]!r}")
    number = int(text)
    if not low <= number <= high:
        raise QueryError(f"'{name}' must be between {low} and {high}, got {number}")
    return number


def _date(text: str | None, name: str) -> str | None:
    """Parse a YYYY-MM-DD parameter or raise QueryError."""
    if text is None or text == "":
        return None
    if not _ASCII_DATE.fullmatch(text):
        return _bad_date(name, text)
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return _bad_date(name, text)


def _bad_date(name: str, text: str) -> str:
    """Raise the error for a malformed date."""
    raise QueryError(f"'{name}' must be a date as YYYY-MM-DD, got {text[:40]!r}")


def _choice(text: str | None, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    """Parse an enumerated parameter or raise QueryError."""
    if text is None or text == "":
        return default
    if text not in choices:
        raise QueryError(f"'{name}' must be one of {', '.join(choices)}, got {text[:40]!r}")
    return text


def parse_request(values: Mapping[str, object]) -> SearchRequest:
    """Validate raw parameters (a mapping of name to value or list of values) into a SearchRequest."""
    raw_q = _one(values, "q") or ""
    if len(raw_q) > MAX_QUERY_CHARS:
        raise QueryError(f"'q' is longer than {MAX_QUERY_CHARS} characters ({len(raw_q)})", "query_too_long")
    q = raw_q.strip()
    if "\x00" in q:
        raise QueryError("'q' contains a NUL character")
    raw_sources = _many(values, "source")
    if len(raw_sources) > MAX_SOURCES:
        raise QueryError(f"at most {MAX_SOURCES} 'source' filters, got {len(raw_sources)}", "too_many_sources")
    sources = tuple(dict.fromkeys(s.strip() for s in raw_sources if s.strip()))
    date_from, date_to = _date(_one(values, "date_from"), "date_from"), _date(_one(values, "date_to"), "date_to")
    if date_from and date_to and date_from > date_to:
        raise QueryError(f"'date_from' ({date_from}) is after 'date_to' ({date_to})", "invalid_date_range")
    exact = _choice(_one(values, "exact"), "exact", ("0", "1", "true", "false"), "0") in ("1", "true")
    page = _int(_one(values, "page"), "page", 1, 1, MAX_DEPTH)
    per_page = _int(_one(values, "per_page"), "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    if page * per_page > MAX_DEPTH:
        raise QueryError(
            f"results beyond the first {MAX_DEPTH} are not served (page x per_page = {page * per_page}); "
            "narrow the query with filters",
            "page_too_deep",
        )
    return SearchRequest(
        q=q,
        sources=sources,
        date_from=date_from,
        date_to=date_to,
        sort=_choice(_one(values, "sort"), "sort", SORTS, None),
        mode=_choice(_one(values, "mode"), "mode", MODES, "all") or "all",
        exact=exact,
        page=page,
        per_page=per_page,
        parsed=parse_query(q),
    )


def parse_query(text: str) -> ParsedQuery:
    """Parse what a user typed into groups of alternatives and exclusions.

    >>> parse_query('بوتين OR شي -"البيت الأبيض"').groups[0]
    (Clause(kind='word', text='بوتين', negated=False), Clause(kind='word', text='شي', negated=False))
    """
    if text.count('"') % 2:
        text = text.replace('"', " ")  # unbalanced quotes: plain words
    clauses: list[Clause | str] = []
    for match in _CLAUSE.finditer(text):
        negated, phrase, token = match.group(1) == "-", match.group(2), match.group(3)
        if phrase is not None:
            words = " ".join(_STRAY.sub(" ", phrase).split())
            if words:
                clauses.append(Clause("phrase", words, negated))
            continue
        if token in ("OR", "|"):
            clauses.append("OR")
            continue
        if token in _OPERATOR_WORDS:
            continue
        neg = token.startswith("-") and len(token) > 1
        token = token.lstrip("-")
        token = _STRAY.sub(" ", token)
        if not neg:  # an excluded range stays one glued word: only that range is excluded
            token = _NUMBER_JOINT.sub(" ", token)
        for piece in token.split():
            clauses.append(_word_clause(piece, neg))
    return _group(clauses)


def _word_clause(piece: str, negated: bool) -> Clause:
    """Make a word or prefix clause from one whitespace-free piece."""
    if piece.endswith("*") and piece.strip("*"):
        stem = piece.rstrip("*").replace("*", "")
        return Clause("prefix", stem, negated)
    return Clause("word", piece.replace("*", " ").strip() or piece, negated)


def _group(clauses: list[Clause | str]) -> ParsedQuery:
    """Join clauses linked by OR into groups; collect negated clauses apart."""
    groups: list[list[Clause]] = []
    excluded: list[Clause] = []
    join_next = False
    for item in clauses:
        if item == "OR":
            join_next = bool(groups)
            continue
        assert isinstance(item, Clause)
        if item.kind == "word" and item.text == "*":
            continue
        if item.negated:
            excluded.append(item)
        elif join_next and groups:
            groups[-1].append(item)
        else:
            groups.append([item])
        join_next = False
    return ParsedQuery(tuple(tuple(g) for g in groups), tuple(excluded))


# ---------------------------------------------------------------------------------------------
# Building the Whoosh query
#
# The query that matches (plan.query) holds the words and their variants only, so Whoosh can skip
# posting blocks that cannot reach the top. Optional evidence (query words close together, query words
# in the article title) is scored afterwards, on the top candidates only (plan.evidence, see rerank.py):
# it re-ranks and never changes which paragraphs match.


def ranking_model() -> BM25F:
    """Return the scoring model every searcher of the engine uses."""
    return BM25F(B=BM25_B, K1=BM25_K1)


@dataclass
class QueryPlan:
    """The Whoosh query for a request, and the terms a snippet should mark."""

    query: wq.Query | None  # None: browse everything
    stems: set[str] = field(default_factory=set)  # stems to mark (text field)
    exact_words: set[str] = field(default_factory=set)  # normalized words to mark (exact field)
    prefixes: set[str] = field(default_factory=set)  # normalized prefixes to mark
    positive_groups: int = 0
    words: list[str] = field(default_factory=list)  # normalized positive words, for suggestions
    ordered_stems: list[str] = field(default_factory=list)  # positive stems in query order
    groups: list[wq.Query] = field(default_factory=list)  # one query per positive word group (for coverage)
    evidence: wq.Query | None = None  # scored on the top candidates only: title and proximity


def _clause_query(
    clause: Clause, exact: bool, plan: QueryPlan, expand: Callable | None, keep_stops: bool = False
) -> wq.Query | None:
    """Build the query for one clause, recording what to mark; None when nothing is left of it."""
    if clause.kind == "phrase":
        words = exact_tokens(clause.text)
        if not words:
            return None
        plan.exact_words.update(words)
        if len(words) == 1:
            return wq.Term("exact", words[0])
        return wq.Phrase("exact", words)
    if clause.kind == "prefix":
        words = exact_tokens(clause.text)
        if not words or len(words[-1]) < MIN_PREFIX:
            raise QueryError(
                f"a prefix needs at least {MIN_PREFIX} letters before '*', got {clause.text!r}",
                "prefix_too_short",
            )
        plan.prefixes.add(words[-1])
        return wq.Prefix("exact", words[-1])
    forms = [analyze_word(w) for w in exact_tokens(clause.text)]
    if not forms:
        return None
    if len(forms) > 1:  # a glued or hyphenated word (COVID-19): its pieces in order
        plan.exact_words.update(norm for norm, _ in forms)
        return wq.Phrase("exact", [norm for norm, _ in forms])
    norm, stem = forms[0]
    if stem is None and not keep_stops:
        return None  # a stopword among other words carries no topic
    plan.words.append(norm)
    if stem is None or exact:  # a stopword or exact mode: the normalized word itself
        plan.exact_words.add(norm)
        return wq.Term("exact", norm)
    plan.stems.add(stem)
    plan.ordered_stems.append(stem)
    alternatives: list[wq.Query] = [wq.Term("text", stem)]
    if expand:
        alternatives += expand(norm, stem, plan)
    return alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)


def _title(stem: str) -> wq.Query:
    """Reward a stem in the article title (weighted by the title field boost and TITLE_WEIGHT)."""
    return wq.Term("title", stem, boost=TITLE_WEIGHT)


def _proximity(a: str, b: str) -> wq.Query:
    """Reward paragraphs where two query stems stand within PROXIMITY_SLOP words."""
    # A span scores as the sum of its terms, so the weight goes on the terms (a span's own boost is ignored).
    terms = [wq.Term("text", a, boost=PROXIMITY_BOOST), wq.Term("text", b, boost=PROXIMITY_BOOST)]
    return wq.spans.SpanNear2(terms, slop=PROXIMITY_SLOP, ordered=False)


def _evidence(stems: list[str], title: bool) -> wq.Query | None:
    """Return the re-ranking evidence: query stems in the title (unless they match there already) and
    consecutive query stems near each other."""
    unique = list(dict.fromkeys(stems))
    parts: list[wq.Query] = [_title(s) for s in unique] if title else []
    if PROXIMITY_BOOST > 0:
        pairs = sorted({(a, b) for a, b in zip(stems, stems[1:], strict=False) if a != b})
        parts += [_proximity(a, b) for a, b in pairs]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def _add_phrase_synonyms(parsed: tuple[tuple[Clause, ...], ...], groups: list[list[wq.Query]], plan: QueryPlan) -> None:
    """Add the synonyms of two consecutive query words (تشرين الأول -> أكتوبر) to the first one's group."""
    if len(parsed) != len(groups):
        return  # a group vanished (stopwords only): positions no longer line up
    words = [
        tuple(exact_tokens(g[0].text)) if len(g) == 1 and g[0].kind == "word" and not g[0].negated else ()
        for g in parsed
    ]
    for i in range(len(words) - 1):
        if len(words[i]) == 1 and len(words[i + 1]) == 1:
            for equivalent in synonyms(words[i] + words[i + 1]):
                groups[i].append(expression_query(equivalent, plan, SYNONYM_WEIGHT))


def build_query(request: SearchRequest, expand: Callable | None = None) -> QueryPlan:
    """Build the Whoosh query for a request (pure: no index needed).

    :param expand: optional ``(normalized, stem, plan) -> [queries]`` adding lower-weight variants.
    """
    parsed = request.parsed
    plan = QueryPlan(query=None)
    all_stop = all(
        c.kind == "word" and all(analyze_word(w)[1] is None for w in exact_tokens(c.text))
        for g in parsed.groups
        for c in g
    )
    # A query of stopwords only (ما, من هو) searches them as written rather than finding nothing.
    exact = request.exact or all_stop
    groups: list[list[wq.Query]] = []
    group_stems: list[list[str]] = []
    for group in parsed.groups:
        before = len(plan.ordered_stems)
        parts = [q for c in group if (q := _clause_query(c, exact, plan, expand, all_stop)) is not None]
        if parts:
            groups.append(parts)
            group_stems.append(plan.ordered_stems[before:])
    _add_phrase_synonyms(parsed.groups, groups, plan)
    any_word = request.mode == "any"
    if any_word:  # in any-word mode a word may match the article title instead of the paragraph
        for parts, stems in zip(groups, group_stems, strict=True):
            parts += [_title(stem) for stem in dict.fromkeys(stems)]
    plan.evidence = _evidence(plan.ordered_stems, title=not any_word)
    # An excluded word is matched as a search word would be (-بكين also drops وبكين).
    excluded = [q for c in parsed.excluded if (q := _clause_query(c, exact, QueryPlan(None), None, True))]
    plan.positive_groups = len(groups)
    queries = [parts[0] if len(parts) == 1 else wq.Or(parts) for parts in groups]
    plan.groups = queries
    if queries:
        main: wq.Query = queries[0] if len(queries) == 1 else (
            wq.And(queries) if request.mode == "all" else wq.Or(queries)
        )
    elif excluded or parsed.groups:
        main = wq.Every() if not parsed.groups else wq.NullQuery
    else:
        return plan
    if excluded:
        main = wq.AndNot(main, wq.Or(excluded))
    plan.query = main
    return plan
