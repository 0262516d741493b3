"""Search requests: validate user parameters and parse the query language (no index, no Whoosh).

User query text is never trusted as syntax: only ``"phrase"``, ``-word``, ``-"phrase"``, ``OR`` between
terms and a final ``*`` mean something; every other operator character is read as a space.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from search.errors import QueryError

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
MAX_SOURCES = 20
MAX_DEPTH = 10_000  # page x per_page
MAX_EXPORT = MAX_DEPTH  # rows one export streams (its default too): as deep as pages reach
MIN_PREFIX = 2
SORTS = ("relevance", "newest", "oldest")
MODES = ("all", "any")
#: What a result is: a paragraph, or an article (its best paragraph, with how many of its paragraphs match).
GROUPS = ("paragraph", "article")
_ASCII_INTEGER = re.compile(r"[0-9]{1,9}")
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLAUSE = re.compile(r'(-?)"([^"]*)"|(\S+)')
_STRAY = re.compile(r"[()\[\]{}~^:+!\\&|]")
#: Sentence punctuation typed without a space (عربي؟ما, الرياض،جدة) separates words, like a space: a
#: question mark, an Arabic comma or semicolon anywhere, a full stop or comma touching an Arabic letter
#: (not inside a number: 543.7, 1,000).
_SEPARATORS = re.compile(r"[?؟،؛;]|(?<=[\u0621-\u064a])[.,]|[.,](?=[\u0621-\u064a])")
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
    group: str = "paragraph"
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
            "group": self.group,
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


def _int(text: str | None, name: str, default: int, low: int, high: int, code: str | None = None) -> int:
    """Parse a bounded integer parameter or raise QueryError (with ``code``, if given)."""
    if text is None or text == "":
        return default
    if not _ASCII_INTEGER.fullmatch(text):
        raise QueryError(f"'{name}' must be a whole number written 0-9, got {text[:40]!r}", code)
    number = int(text)
    if not low <= number <= high:
        raise QueryError(f"'{name}' must be between {low} and {high}, got {number}", code)
    return number


def parse_limit(values: Mapping[str, object]) -> int:
    """Validate the ``limit`` parameter of an export: 1 to MAX_EXPORT, MAX_EXPORT when not given.

    >>> parse_limit({"limit": ["250"]}), parse_limit({})
    (250, 10000)
    """
    return _int(_one(values, "limit"), "limit", MAX_EXPORT, 1, MAX_EXPORT, "invalid_limit")


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
        group=_choice(_one(values, "group"), "group", GROUPS, "paragraph") or "paragraph",
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
        token = _SEPARATORS.sub(" ", _STRAY.sub(" ", token))
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
