"""A generation's completion table, built while paragraphs are written and saved beside the vocabulary.

Each writer keeps the words of its paragraphs as they pass (:class:`WordRuns`: one id per printed form,
a break at punctuation and at a paragraph's end); :func:`write_completions` counts, over all writers, the
paragraphs holding each word and each two- and three-word run, and saves ``completions.tsv``: key
(:func:`search.query.complete.completion_key`), printed form, paragraph count, sorted by key. A word is
every form but a stopword in MIN_WORD_PARAGRAPHS paragraphs or more, shown in its commonest spelling
(diacritics stripped); a phrase neither begins nor ends with a stopword and is in PHRASE_SHARE of the
paragraphs or more (MIN_PHRASE_PARAGRAPHS at least). Loaded once per generation (:func:`load_completions`).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search.analysis.analyzer import STOPWORDS, TOKEN_PATTERN, stoppable
from search.analysis.normalize import normalize, strip_controls, strip_diacritics, strip_tatweel
from search.backend import Completions
from search.query.complete import normalized_key

COMPLETIONS_FILE = "completions.tsv"
#: Words in fewer paragraphs are left out (the vocabulary's MIN_DF: a one-off is mostly a slip).
MIN_WORD_PARAGRAPHS = 2
#: A phrase is kept when this share of the paragraphs holds it (at least MIN_PHRASE_PARAGRAPHS): enough
#: for the phrases a reader types (مجلس الأمن, ولي العهد) while the table stays small (measured in the README).
PHRASE_SHARE = 1 / 10_000
MIN_PHRASE_PARAGRAPHS = 3
_RUN_BREAK = -1  # punctuation or anything but a space between two words
_PARAGRAPH_END = -2


@dataclass
class WordRuns:
    """The words of the paragraphs one writer wrote: printed forms by id, and the id of each word in turn."""

    forms: list[str] = field(default_factory=list)  # each distinct token as written (marks included)
    tokens: array = field(default_factory=lambda: array("i"))  # form ids, _RUN_BREAK, _PARAGRAPH_END
    _ids: dict[str, int] = field(default_factory=dict, repr=False)

    def add(self, text: str) -> None:
        """Add one paragraph's words."""
        ids, tokens, end = self._ids, self.tokens, None
        for match in TOKEN_PATTERN.finditer(text):
            word = match.group()
            form = ids.get(word)
            if form is None:
                form = ids[word] = len(self.forms)
                self.forms.append(word)
            if end is not None and not text[end : match.start()].isspace():
                tokens.append(_RUN_BREAK)
            tokens.append(form)
            end = match.end()
        tokens.append(_PARAGRAPH_END)

    def __getstate__(self) -> dict:
        return {"forms": self.forms, "tokens": self.tokens}  # the look-up dict is rebuilt, not pickled

    def __setstate__(self, state: dict) -> None:
        self.forms, self.tokens = state["forms"], state["tokens"]
        self._ids = {form: n for n, form in enumerate(self.forms)}

    @classmethod
    def join(cls, parts: Iterable[WordRuns]) -> WordRuns:
        """Concatenate writers' runs in order, one id per distinct form."""
        joined = cls()
        for part in parts:
            remap = np.array([joined._id(form) for form in part.forms] + [_PARAGRAPH_END, _RUN_BREAK], np.int32)
            tokens = np.frombuffer(part.tokens, dtype=np.int32) if len(part.tokens) else np.zeros(0, np.int32)
            joined.tokens.frombytes(remap[tokens].astype(np.int32).tobytes())  # -1, -2 index the last two
        return joined

    def _id(self, form: str) -> int:
        """Return a form's id, adding it when new."""
        found = self._ids.get(form)
        if found is None:
            found = self._ids[form] = len(self.forms)
            self.forms.append(form)
        return found


def printed_form(word: str) -> str:
    """Return a word as a reader expects it printed: without diacritics, tatweel and controls.

    >>> printed_form("وسّعتْ")
    'وسعت'
    """
    return strip_controls(strip_tatweel(strip_diacritics(word)))


def write_completions(runs: WordRuns, target: Path) -> dict[str, int]:
    """Count words and phrases over the runs, save the table in ``target``; return its words and phrases."""
    keys, key_of_form, stop = _keys(runs.forms)
    tokens = np.frombuffer(runs.tokens, dtype=np.int32) if len(runs.tokens) else np.zeros(0, np.int32)
    paragraph = np.cumsum(tokens == _PARAGRAPH_END) - (tokens == _PARAGRAPH_END)
    ids = np.where(tokens >= 0, key_of_form[np.maximum(tokens, 0)], -1)  # -1: a break, or a form with no key
    words = _paragraph_counts(paragraph, ids[:, None], len(keys), MIN_WORD_PARAGRAPHS)
    texts = _commonest_spellings(runs.forms, tokens, key_of_form, len(keys))
    rows = [(keys[k], texts[k], n) for (k,), n in words.items() if not stop[k]]
    least = max(MIN_PHRASE_PARAGRAPHS, round(PHRASE_SHARE * (int(paragraph[-1]) + 1 if len(paragraph) else 0)))
    phrases = _phrases(paragraph, ids, stop, words, least)
    rows += [(" ".join(keys[k] for k in p), " ".join(texts[k] for k in p), n) for p, n in phrases.items()]
    rows.sort()
    (target / COMPLETIONS_FILE).write_text("".join(f"{k}\t{t}\t{n}\n" for k, t, n in rows), "utf-8")
    return {"words": len(rows) - len(phrases), "phrases": len(phrases)}


def _keys(forms: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the distinct keys, each form's key id (-1 for none) and whether each key is a stopword."""
    ids: dict[str, int] = {}
    stop: list[bool] = []
    key_of_form = np.empty(len(forms), dtype=np.int32)
    for n, form in enumerate(forms):
        normalized = normalize(form)
        key = normalized_key(normalized)
        if not key or " " in key:  # a ligature that stands for words (NFKC: ﷺ) is no word to complete
            key_of_form[n] = -1
            continue
        if key not in ids:
            ids[key] = len(stop)
            stop.append(normalized in STOPWORDS and stoppable(form))  # as the analyzer stops a word
        key_of_form[n] = ids[key]
    return list(ids), key_of_form, np.array(stop, dtype=bool)


def _commonest_spellings(forms: list[str], tokens: np.ndarray, key_of_form: np.ndarray, count: int) -> list[str]:
    """Return, per key, the printed spelling its words are written with most often."""
    uses = np.bincount(tokens[tokens >= 0], minlength=len(forms)).tolist()
    spellings: Counter[tuple[int, str]] = Counter()
    for form, key, n in zip(forms, key_of_form.tolist(), uses, strict=True):
        if key >= 0:
            spellings[(key, printed_form(form))] += n
    best: list[tuple[int, str]] = [(-1, "")] * count
    for (key, text), n in spellings.items():
        if (n, text) > best[key]:
            best[key] = (n, text)
    return [text for _, text in best]


def _paragraph_counts(paragraph: np.ndarray, grams: np.ndarray, count: int, least: int) -> dict:
    """Return {key ids: paragraphs} for the n-grams (rows of key ids; a row with a -1 is none) in ``least``
    paragraphs or more; ``count`` is the number of distinct ids (codes are ids in base ``count``)."""
    valid = (grams >= 0).all(axis=1)
    code = np.zeros(int(valid.sum()), dtype=np.int64)
    for column in grams[valid].T:
        code = code * count + column
    where = paragraph[: len(grams)][valid]
    order = np.lexsort((where, code))
    code, where = code[order], where[order]
    first = np.ones(len(code), dtype=bool)  # the first position of each (n-gram, paragraph) pair
    first[1:] = (code[1:] != code[:-1]) | (where[1:] != where[:-1])
    codes, paragraphs = np.unique(code[first], return_counts=True)
    keep = paragraphs >= least
    codes, paragraphs = codes[keep], paragraphs[keep]
    columns = []
    for _ in range(grams.shape[1]):
        codes, key = np.divmod(codes, count)
        columns.append(key.tolist())
    return dict(zip(zip(*reversed(columns), strict=True), paragraphs.tolist(), strict=True))


def _phrases(paragraph: np.ndarray, ids: np.ndarray, stop: np.ndarray, words: dict, least: int) -> dict:
    """Return the two- and three-word runs in ``least`` paragraphs or more, no stopword at either end."""
    common = [k for (k,), n in words.items() if n >= least]  # what a phrase's words must be
    frequent = np.full(len(stop) + 1, -1, dtype=np.int64)
    frequent[common] = np.arange(len(common))
    dense = frequent[ids]  # a break (-1) reads the last entry: -1
    edge = np.append(stop, True)[ids] | (dense < 0)  # a stopword, a break, a rare word: no phrase ends there
    found: dict[tuple[int, ...], int] = {}
    for width in (2, 3):
        starts = len(ids) - width + 1
        if starts <= 0:
            continue
        grams = np.stack([dense[i : i + starts] for i in range(width)], axis=1)
        grams[edge[:starts] | edge[width - 1 : width - 1 + starts]] = -1
        for gram, n in _paragraph_counts(paragraph, grams, len(common), least).items():
            found[tuple(common[g] for g in gram)] = n
    return found


def load_completions(target: Path) -> Completions:
    """Load a generation's completion table (empty when it has none)."""
    keys: list[str] = []
    texts: list[str] = []
    counts: list[int] = []
    path = target / COMPLETIONS_FILE
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            key, text, count = line.split("\t")
            keys.append(key)
            texts.append(key if text == key else text)  # one string where the key is the printed form
            counts.append(int(count))
    return Completions(keys, texts, np.array(counts, dtype=np.int32))
