"""A paragraph's analyzed terms as the shards index them, and back.

Each Fahras field becomes one Sphinx full-text field whose words, one per position, are the terms
Fahras's analyzer made there (:func:`search.analysis.analyzer.term_positions`): a position the analyzer
left empty (a stopword of the text field, a mark) holds :data:`FILLER`, a Sphinx stopword that still takes
its position, so phrases match where Whoosh's do. Terms are spelled in the shards' alphabet
(:data:`CHARSET_TABLE`: Latin letters and digits, the Arabic letters): any other character is written as
its code point between two tatweels, in Arabic-Indic digits (characters Fahras's normalization never
leaves), so that Sphinx's tokenizer keeps every term whole and a prefix of a term stays a prefix.
The same terms travel as plain text in one string attribute, for ranking the candidates in Fahras.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.util.numeric import byte_to_length, length_to_byte

from search.analysis.analyzer import term_positions
from search.rank.bm25 import TITLE_BOOST

#: Written between the two halves of an escaped character, and alone, a position without a term.
MARK = "\u0640"
FILLER = MARK
#: A term every paragraph holds in the ``every`` field: what a query of exclusions only starts from.
EVERY = MARK + "\u0660" + MARK
_DIGITS = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
_SAFE = frozenset("0123456789abcdefghijklmnopqrstuvwxyz") | frozenset(
    chr(c) for c in [*range(0x621, 0x63B), *range(0x641, 0x64B)]
)
#: The shards' alphabet: exactly the characters a spelled term holds.
CHARSET_TABLE = "0..9, a..z, U+0621..U+063A, U+0640..U+064A, U+0660..U+0669"
#: The Sphinx full-text fields, in order; ``every`` holds :data:`EVERY` alone.
FIELDS = ("text", "exact", "title")
#: Each field's boost in BM25F, as the Whoosh schema gives it.
FIELD_BOOSTS = {"text": 1.0, "exact": 1.0, "title": TITLE_BOOST}


def spell(term: str) -> str:
    """Return a term in the shards' alphabet (unchanged when it is all letters and digits of it).

    >>> spell("الصين"), spell("3.5"), spell("café")
    ('الصين', '3ـ٤٦ـ5', 'cafـ٢٣٣ـ')
    """
    if all(c in _SAFE for c in term):
        return term
    return "".join(c if c in _SAFE else MARK + str(ord(c)).translate(_DIGITS) + MARK for c in term)


@dataclass(frozen=True)
class Analyzed:
    """One paragraph's terms by field, one slot per position ('' where none), and the field lengths."""

    slots: dict[str, list[str]]

    @classmethod
    def of(cls, text: str, title_stems: dict[str, list[int]]) -> Analyzed:
        """Analyze a paragraph (its title's stems analyzed once per article)."""
        stems, exact = term_positions(text)
        return cls({"text": _slots(stems), "exact": _slots(exact), "title": _slots(title_stems)})

    def length(self, field: str) -> int:
        """Return the field's length as BM25F counts it: its terms (quantized as Whoosh stores it)."""
        return stored_length(sum(1 for term in self.slots[field] if term))

    def sphinx_text(self, field: str) -> str:
        """Return the field as the shard indexes it: spelled terms, FILLER where a position has none."""
        return " ".join(spell(term) if term else FILLER for term in self.slots[field])

    def plain(self) -> str:
        """Return the three fields' slots as one string (lines of space-separated terms)."""
        return "\n".join(" ".join(self.slots[f]) for f in FIELDS)


def stored_length(length: int) -> int:
    """Return a field length as Whoosh's codec stores it (one byte, quantized), as its BM25F reads it."""
    return byte_to_length(length_to_byte(length))


def _slots(positions: dict[str, list[int]]) -> list[str]:
    """Return a term per position ('' where the analyzer left none)."""
    if not positions:
        return []
    slots = [""] * (max(max(p) for p in positions.values()) + 1)
    for term, places in positions.items():
        for place in places:
            slots[place] = term
    return slots
