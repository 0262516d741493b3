"""A generation's vocabulary: the exact field's words in MIN_DF paragraphs or more, with their document
frequency, saved at build time for did-you-mean and unknown words (:mod:`search.query.suggest`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

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
