"""Search-as-you-type: complete what is typed from the index's own words and frequent phrases.

The backend's completion table (:class:`search.backend.Completions`, built at index time by
:mod:`search.index.completions`) holds each printed word, and each two- and three-word phrase in
:data:`search.index.completions.MIN_PHRASE_PARAGRAPHS` paragraphs or more, under its key
(:func:`completion_key`: normalized, hamza seats folded), with the paragraphs that hold it. A typed prefix
is read as typed, as typed without its article (صي finds الصين), and with a leading proclitic taken off
(والصي, بالصي, للصي find الصين); a stripped reading is offered only where it is commoner than
anything the prefix completes to as typed (وزي stays وزير, not زيارة). Pure: no engine, no Whoosh.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pyarabic import araby

from search.analysis.analyzer import TOKEN_PATTERN
from search.analysis.normalize import normalize
from search.analysis.stem import ARTICLE, PROCLITIC_FORMS
from search.errors import QueryError

if TYPE_CHECKING:
    from search.backend import Backend, Completions

#: Letters a prefix needs before anything is offered (one letter completes to half the vocabulary).
MIN_COMPLETION_LETTERS = 2
DEFAULT_COMPLETIONS = 8
MAX_COMPLETIONS = 20
#: Longest accepted ``q``: a search box holds a few words while they are typed.
MAX_COMPLETION_CHARS = 200
#: Words in a phrase of the table (what a prefix of more words cannot complete).
MAX_PHRASE_WORDS = 3
#: A proclitic is taken off only where this many letters remain (بال is not ب + ال).
MIN_STRIPPED_LETTERS = 2
#: Proclitics tried on a typed prefix, longest first (وبال before وب before و).
_STRIPPABLE = tuple(sorted(PROCLITIC_FORMS, key=len, reverse=True))
#: Hamza on its seats folded to the seat, the bare hamza dropped: a reader who leaves the hamza off
#: (مسوول, رييس, سما) completes to the word printed with it (مسؤول, رئيس, سماء).
_HAMZA_FOLDS = str.maketrans({araby.WAW_HAMZA: araby.WAW, araby.YEH_HAMZA: araby.YEH, araby.HAMZA: None})
#: Sorts after every character a key holds: ``prefix + _AFTER`` bounds the keys starting with ``prefix``.
_AFTER = "\U0010ffff"


def completion_key(text: str) -> str:
    """Return the key a word or phrase is completed by: normalized, hamza seats folded, single spaces.

    >>> completion_key("مسؤولُ  الأمنِ"), completion_key("رئيسة"), completion_key("سماء")
    ('مسوول الامن', 'رييسه', 'سما')
    """
    return normalized_key(normalize(text))


def normalized_key(normalized: str) -> str:
    """Return the completion key of an already normalized text (see :func:`completion_key`)."""
    return " ".join(normalized.translate(_HAMZA_FOLDS).split())


@dataclass(frozen=True)
class CompletionRequest:
    """A validated completion request: what was typed and how many completions to return."""

    q: str
    limit: int = DEFAULT_COMPLETIONS


def parse_completion(values: Mapping[str, object]) -> CompletionRequest:
    """Validate raw ``q`` and ``limit`` parameters (the last value of a repeated one) or raise QueryError."""
    q, limit = _last(values.get("q")), _last(values.get("limit"))
    if q is None or q == "":
        raise QueryError("'q' is required: the text typed so far", "missing_parameter")
    if len(q) > MAX_COMPLETION_CHARS:
        raise QueryError(f"'q' is longer than {MAX_COMPLETION_CHARS} characters ({len(q)})", "query_too_long")
    if "\x00" in q:
        raise QueryError("'q' contains a NUL character")
    if limit is None or limit == "":
        return CompletionRequest(q)
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_COMPLETIONS:
        raise QueryError(f"'limit' must be a whole number from 1 to {MAX_COMPLETIONS}, got {limit[:40]!r}")
    return CompletionRequest(q, int(limit))


def _last(value: object) -> str | None:
    """Return a parameter's single value (the last one if repeated), or None."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return None if value is None else str(value)


def key_range(table: Completions, prefix: str) -> tuple[int, int]:
    """Return the [start, end) rows of the table whose keys start with ``prefix``."""
    start = bisect.bisect_left(table.keys, prefix)
    return start, bisect.bisect_left(table.keys, prefix + _AFTER, start)


def top_rows(table: Completions, prefix: str, limit: int) -> list[int]:
    """Return the rows of up to ``limit`` keys starting with ``prefix``, most paragraphs first."""
    start, end = key_range(table, prefix)
    if end - start > limit:
        counts = table.counts[start:end]
        rows = (start + np.argpartition(-counts, limit - 1)[:limit]).tolist()
    else:
        rows = list(range(start, end))
    return sorted(rows, key=lambda row: (-int(table.counts[row]), table.keys[row]))


def _readings(first: str) -> tuple[list[str], list[str]]:
    """Return the readings of a typed first word: as typed (and without its article), and stripped.

    >>> _readings("والصي")
    (['والصي', 'الوالصي'], ['صي', 'الصي'])
    """
    typed = [first] if first.startswith(ARTICLE) else [first, ARTICLE + first]
    stripped: list[str] = []
    for proclitic in _STRIPPABLE:
        rest = first[len(proclitic):]
        if first.startswith(proclitic) and len(rest) >= MIN_STRIPPED_LETTERS:
            stripped += [rest] if rest.startswith(ARTICLE) else [rest, ARTICLE + rest]
    return typed, list(dict.fromkeys(stripped))


def _complete_keys(table: Completions, keys: list[str], trailing: bool, limit: int) -> list[int]:
    """Return the rows completing typed keys (the first word in each of its readings), best first."""
    if len(keys) > MAX_PHRASE_WORDS or (trailing and len(keys) >= MAX_PHRASE_WORDS):
        return []
    rest = "".join(" " + key for key in keys[1:]) + (" " if trailing else "")
    typed, stripped = _readings(keys[0])
    found = {row for reading in typed for row in top_rows(table, reading + rest, limit)}
    best = max((int(table.counts[row]) for row in found), default=0)
    for reading in stripped:
        found.update(row for row in top_rows(table, reading + rest, limit) if table.counts[row] > best)
    return sorted(found, key=lambda row: (-int(table.counts[row]), table.keys[row]))[:limit]


def complete(backend: Backend, request: CompletionRequest) -> dict[str, object]:
    """Return the completions of what is typed: printed words and phrases, most paragraphs first.

    What is typed is completed as a whole (the words typed so far begin a phrase of the table); when
    nothing completes it and it has several words, its last word is completed after the others as typed.
    Each completion is ``{"text", "count", "kind"}``: the text to search, the paragraphs holding the
    completed word or phrase, and whether that is a "word" or a "phrase".
    """
    table = backend.completions()
    matches = [(m, key) for m in TOKEN_PATTERN.finditer(request.q) if (key := completion_key(m.group()))]
    keys = [key for _, key in matches]
    found: dict[str, dict[str, object]] = {}
    if sum(map(len, keys)) >= MIN_COMPLETION_LETTERS:
        trailing = request.q[matches[-1][0].end():].isspace()
        for row in _complete_keys(table, keys, trailing, request.limit):
            found.setdefault(table.texts[row], _completion(table, row, table.texts[row]))
        last = keys[-1]
        if len(keys) > 1 and not trailing and len(last) >= MIN_COMPLETION_LETTERS and not found:
            head = request.q[: matches[-1][0].start()].lstrip()
            for row in _complete_keys(table, [last], False, request.limit):
                text = head + table.texts[row]
                found.setdefault(text, _completion(table, row, text))
    return {"q": request.q, "completions": list(found.values())[: request.limit]}


def _completion(table: Completions, row: int, text: str) -> dict[str, object]:
    """Return one completion as the API answers it."""
    return {"text": text, "count": int(table.counts[row]), "kind": "phrase" if " " in table.keys[row] else "word"}
