"""Related forms of a word: indexed stems sharing its root-ish key (تقع -> يقع, ولدت -> ولد, الحدود -> يحدها,
الاعراض -> عرض), spelled out from the key and looked up one by one in the backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyarabic import araby

if TYPE_CHECKING:
    from search.backend import Backend

#: Imperfect-verb prefixes and a few endings a light stemmer keeps; a "root-ish" key drops them so that
#: تقع finds يقع and ولدت finds ولد, at RELATED_WEIGHT. The pattern فعول is read the same way, so that
#: الحدود finds يحدها and سقوط finds سقطت; so is the plural pattern أفعال (الاعراض finds عرض).
VERB_PREFIXES = (araby.YEH, araby.TEH, araby.NOON, araby.ALEF)
IMPERFECT_PREFIXES = (araby.YEH, araby.TEH, araby.NOON)
RELATED_ENDINGS = (araby.TEH, araby.WAW + araby.ALEF, araby.ALEF, araby.WAW, araby.YEH)
RELATED_WEIGHT = 0.2
MAX_RELATED = 5


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


def _df(generation: Backend, stem: str) -> int:
    """Return how many paragraphs hold a stem in the text field."""
    return generation.doc_frequency("text", stem)
