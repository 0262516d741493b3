"""Compound Arabic names, written glued or spaced: عبدالعزيز / عبد العزيز, أبوظبي / أبو ظبي.

Saudi news writes the same name both ways (on SaudiNewsNet عبدالعزيز stands in 5599 paragraphs, عبد
العزيز in 1096), and the two spellings index as different words. A query in either spelling also
searches the other, at full weight: :func:`search.query.variants.expand_variants` adds the two words of a glued
name, :func:`search.query.build.build_query` the glued word of two spaced ones.
"""

from __future__ import annotations

from search.analysis.normalize import normalize

#: The first word of a compound name (عبد "servant of", أبو "father of"), as normalized.
COMPOUND_HEADS: tuple[str, ...] = tuple(normalize(w) for w in ("عبد", "أبو"))
#: Letters the second word needs: shorter endings are suffixes (عبده, أبوين, أبواب), not names.
MIN_NAME_TAIL = 3


def split_compound(normalized: str) -> tuple[str, str] | None:
    """Return the two words of a glued compound name, or None.

    >>> split_compound("عبدالعزيز"), split_compound("ابوظبي"), split_compound("ابواب")
    (('عبد', 'العزيز'), ('ابو', 'ظبي'), None)
    """
    for head in COMPOUND_HEADS:
        if normalized.startswith(head) and len(normalized) - len(head) >= MIN_NAME_TAIL:
            return head, normalized[len(head) :]
    return None


def join_compound(first: str, second: str) -> str | None:
    """Return the glued spelling of two normalized words that form a compound name, or None.

    >>> join_compound("عبد", "الله"), join_compound("ابو", "ظبي"), join_compound("عبد", "ه")
    ('عبدالله', 'ابوظبي', None)
    """
    if first in COMPOUND_HEADS and len(second) >= MIN_NAME_TAIL:
        return first + second
    return None
