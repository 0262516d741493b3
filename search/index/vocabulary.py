"""A generation's vocabulary: the exact field's words in MIN_DF paragraphs or more, with their document
frequency, saved at build time for did-you-mean and unknown words (:mod:`search.query.suggest`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from search.backend import Completions
from search.index.completions import load_completions
from search.query.suggest import MIN_DF

VOCABULARY_FILE = "vocabulary.tsv"


def write_vocabulary(frequencies: Mapping[str, int], target: Path) -> int:
    """Save the exact field's words with document frequency >= MIN_DF; return how many."""
    rows = [f"{word}\t{df}" for word, df in sorted(frequencies.items()) if df >= MIN_DF]
    (target / VOCABULARY_FILE).write_text("\n".join(rows), "utf-8")
    return len(rows)


def load_vocabulary(target: Path) -> tuple[list[str], np.ndarray]:
    """Load a generation's vocabulary as (words, document frequencies)."""
    words, dfs = [], []
    path = target / VOCABULARY_FILE
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            word, _, df = line.partition("\t")
            words.append(word)
            dfs.append(int(df))
    return words, np.array(dfs, dtype=np.int64)


class SavedTables:
    """The vocabulary and completion table a generation saved in its folder (``path``), loaded when first
    asked for: shared by the Whoosh and the Sphinx generations, whose dataclasses declare the two fields."""

    path: Path
    _vocabulary: tuple[list[str], np.ndarray] | None
    _completions: Completions | None

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        """Return the saved vocabulary (words, document frequencies), loaded the first time."""
        if self._vocabulary is None:
            self._vocabulary = load_vocabulary(self.path)
        return self._vocabulary

    def completions(self) -> Completions:
        """Return the saved completion table, loaded the first time."""
        if self._completions is None:
            self._completions = load_completions(self.path)
        return self._completions
