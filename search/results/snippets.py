"""Snippets: about SNIPPET_CHARS of the original paragraph around its best cluster of matches.

Composed from Whoosh's highlighting parts: a fragmenter proposing windows cut at word boundaries, a
scorer preferring windows with more distinct query words, and an HTML formatter whose only override is
``format_token``: each matched word is wrapped whole, diacritics included, in ``<mark>``; all the
rest is HTML-escaped. Formatters keep state, so one is made per call.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from html import escape

from whoosh import highlight

from search.analysis.analyzer import TOKEN_PATTERN, analyze_word

SNIPPET_CHARS = 240
ELLIPSIS = "…"


class MarkFormatter(highlight.HtmlFormatter):
    """Wrap each matched token's original text in <mark>, escaping it."""

    def format_token(self, text: str, token, replace: bool = False) -> str:
        """Return one matched word, whole and escaped, inside <mark>."""
        return f"<mark>{self._text(text[token.startchar:token.endchar])}</mark>"


class _Match:
    """A matched word: its offsets in the original text and the key it matched on."""

    __slots__ = ("startchar", "endchar", "text")

    def __init__(self, startchar: int, endchar: int, text: str) -> None:
        self.startchar, self.endchar, self.text = startchar, endchar, text


class WindowFragmenter(highlight.Fragmenter):
    """Propose one window of at most ``maxchars`` per starting match, snapped to word boundaries."""

    def __init__(self, maxchars: int = SNIPPET_CHARS) -> None:
        self.maxchars = maxchars

    def fragment_matches(
        self, text: str, matches: list[_Match], words: list[tuple[int, int]]
    ) -> Iterator[highlight.Fragment]:
        """Yield candidate fragments; ``words`` holds every word's (start, end)."""
        starts = [s for s, _ in words]
        ends = [e for _, e in words]
        if not matches:
            yield self._window(text, [], 0, starts, ends)
            return
        for i, first in enumerate(matches):
            inside = [m for m in matches[i:] if m.endchar - first.startchar <= self.maxchars] or [first]
            yield self._window(text, inside, first.startchar, starts, ends)

    def _window(
        self, text: str, inside: list[_Match], start: int, starts: list[int], ends: list[int]
    ) -> highlight.Fragment:
        """Centre the matches in a window of maxchars and snap both ends to whole words."""
        if inside:
            span_end = inside[-1].endchar
            slack = max(0, self.maxchars - (span_end - start))
            start = max(0, start - slack // 3)
        # Near the end of a paragraph, use the room left there on earlier words instead.
        start = max(0, min(start, len(text) - self.maxchars))
        end = min(len(text), start + self.maxchars)
        if inside:
            end = max(end, inside[-1].endchar)
        # Snap: start at the first word starting at or after `start` (not before a match),
        # end at the last word ending at or before `end`.
        after = bisect_left(starts, start)  # word starts are sorted, and so are word ends
        first_start = starts[after] if after < len(starts) else start
        if inside:
            first_start = min(first_start, inside[0].startchar)
        before = bisect_right(ends, end)
        last_end = ends[before - 1] if before else end
        if inside:
            last_end = max(last_end, inside[-1].endchar)
        if first_start <= (starts[0] if starts else 0):
            first_start = 0
        if last_end >= (ends[-1] if ends else len(text)):
            last_end = len(text)
        return highlight.Fragment(text, inside, first_start, last_end)


class DistinctTermsScorer(highlight.FragmentScorer):
    """Score a fragment by its distinct matched words first, then by its number of matches."""

    def __call__(self, fragment: highlight.Fragment) -> float:
        return len(fragment.matched_terms) * 100 + len(fragment.matches)


def find_matches(
    text: str,
    stems: set[str],
    exact_words: set[str],
    prefixes: set[str],
    phrases: set[tuple[str, ...]] = frozenset(),
) -> tuple[list[_Match], list[tuple[int, int]]]:
    """Return the matched words of a text and every word's offsets.

    A phrase's words are matched only where they stand in order, side by side (the exact field's
    positions count every word, stopwords too): a lone الوطني is not the phrase "الحرس الوطني".
    """
    tokens: list[tuple[int, int, str, str | None]] = []
    for m in TOKEN_PATTERN.finditer(text):
        norm, stem = analyze_word(m.group())
        if norm:
            tokens.append((*m.span(), norm, stem))
    in_phrase = _phrase_tokens([t[2] for t in tokens], phrases) if phrases else set()
    matches: list[_Match] = []
    for i, (start, end, norm, stem) in enumerate(tokens):
        if norm in exact_words or i in in_phrase:
            matches.append(_Match(start, end, norm))
        elif stem is not None and stem in stems:
            matches.append(_Match(start, end, stem))
        elif prefixes and any(norm.startswith(p) for p in prefixes):
            matches.append(_Match(start, end, norm))
    return matches, [(start, end) for start, end, _, _ in tokens]


def _phrase_tokens(words: list[str], phrases: set[tuple[str, ...]]) -> set[int]:
    """Return the indexes of the words that stand inside an occurrence of one of the phrases."""
    found: set[int] = set()
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if words[i] == phrase[0] and tuple(words[i : i + n]) == phrase:
                found.update(range(i, i + n))
    return found


def make_snippet(
    text: str,
    stems: set[str] = frozenset(),
    exact_words: set[str] = frozenset(),
    prefixes: set[str] = frozenset(),
    maxchars: int = SNIPPET_CHARS,
    phrases: set[tuple[str, ...]] = frozenset(),
) -> str:
    """Return an HTML snippet of ``text`` with matched words in <mark> and "…" where it was cut.

    >>> make_snippet("وسّعت موسكو وبكين علاقاتهما", stems={"موسكو"})
    'وسّعت <mark>موسكو</mark> وبكين علاقاتهما'
    """
    matches, words = find_matches(text, stems, exact_words, prefixes, phrases)
    fragmenter = WindowFragmenter(maxchars)
    scorer = DistinctTermsScorer()
    best = max(fragmenter.fragment_matches(text, matches, words), key=scorer)
    body = MarkFormatter().format_fragment(best)
    head = ELLIPSIS if best.startchar > 0 else ""
    tail = ELLIPSIS if best.endchar < len(text.rstrip()) else ""
    return head + body.strip() + tail


def plain_snippet(text: str, maxchars: int = SNIPPET_CHARS) -> str:
    """Return the escaped opening of a text, cut at a word boundary."""
    return make_snippet(text, maxchars=maxchars) if len(text) > maxchars else escape(text, quote=False)
