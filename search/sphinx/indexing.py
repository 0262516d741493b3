"""Re-index into the cluster: fill the generation slot that is not live on every shard, check each shard
holds what it was sent, save the statistics beside the generation, and only then switch to it.

The switch is the CURRENT pointer of :mod:`search.index.generations` (Elasticsearch's alias swap): a
generation names its slot, and the head's distributed index of that slot fans out to the same slot on
every shard. A re-index that fails or is killed leaves CURRENT, and so the live slot, untouched; the slot
it was filling is emptied by the next one. Paragraphs go to shards by article.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

from search.analysis.analyzer import term_positions
from search.backend import date_number
from search.corpus.reader import ReadReport, read_corpus
from search.errors import CorpusError
from search.index.completions import WordRuns, write_completions
from search.index.generations import (
    META,
    BuildSummary,
    _new_generation_name,
    commit_generation,
    current_generation,
    folder_size,
    generations_dir,
    reindex_lock,
    remove_stale,
    switch_current,
)
from search.index.vocabulary import write_vocabulary
from search.rank.semantic import embed_generation, passage_text
from search.sphinx.cluster import SLOTS, Cluster, ClusterError, shard_of, slot_index, source_key
from search.sphinx.fields import EVERY, FIELDS, Analyzed
from search.sphinx.generation import TERMS_FILE
from search.sphinx.sphinxql import Connections

#: What a Sphinx generation's files and the shards' schema are; a generation of another format is refused.
#: (2: the shards hold each field's length as an attribute, with index_field_lengths, for the candidate ranker;
#: a cluster made before it must be made again: `fahras cluster down --purge`, `fahras cluster up`.)
SPHINX_FORMAT = 2
#: Paragraphs per INSERT statement.
INSERT_ROWS = 400
_INSERT_COLUMNS = ("id, text, exact, title, every, ord, article, source, month, date, len_text, len_exact, len_title, "
                   "terms, doc")


def live_slot(index_dir: Path) -> str | None:
    """Return the slot of the live Sphinx generation, or None."""
    live = current_generation(index_dir)
    if live is None:
        return None
    try:
        meta = json.loads((generations_dir(index_dir) / live / META).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("slot") if meta.get("backend") == "sphinx" else None


def build_sphinx_index(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    cluster: Cluster,
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    semantic: bool = False,
    semantic_progress: Callable[[int, int], None] | None = None,
) -> BuildSummary:
    """Index the corpus under ``paths`` into the cluster's free slot and make it live.

    :param strict: fail (leaving the live generation serving) if reading reported any problem.
    :param progress: called with 1 for each article read.
    :param semantic: also embed every paragraph (beside the generation, row = corpus order), to re-rank a
        question's candidates by meaning; the live generation's vectors are reused for unchanged paragraphs.
    :param semantic_progress: called with (paragraphs embedded so far, paragraphs to embed).
    """
    index_dir = Path(index_dir)
    started = time.perf_counter()
    with reindex_lock(index_dir):
        live = current_generation(index_dir)
        used = live_slot(index_dir)
        slot = SLOTS[1] if used == SLOTS[0] else SLOTS[0]
        removed = remove_stale(index_dir, {live} if live else set())  # an older generation's slot is reused
        name = _new_generation_name()
        target = generations_dir(index_dir) / name
        target.mkdir(parents=True)
        report = ReadReport()
        try:
            writer = _SlotWriter(cluster, slot_index(slot), keep_passages=semantic)
            stats = writer.write(read_corpus(list(paths), report), progress)
            if report.paragraphs == 0:
                raise CorpusError("no paragraphs to index: the corpus is empty")
            if strict and report.problems:
                raise CorpusError(
                    f"{len(report.problems)} problem(s) while reading (--strict): " + "; ".join(report.problems[:5])
                )
            writer.check()
            extra = {}
            if semantic:
                kept = [generations_dir(index_dir) / live] if live else []
                extra["semantic"] = embed_generation(target, stats.passages, len(stats.passages), kept,
                                                     semantic_progress)
            meta = _finish(target, report, stats, slot, live, cluster, extra)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        switch_current(index_dir, name)
        removed += remove_stale(index_dir, {name, live} if live else {name})
    size = folder_size(target)
    return BuildSummary(name, report, time.perf_counter() - started, size, removed, meta.get("semantic"), slot)


class _Stats:
    """What the sidecar files are made from: document frequencies, field lengths, columns' values."""

    def __init__(self) -> None:
        self.df: dict[str, Counter] = {f: Counter() for f in FIELDS}
        self.lengths: dict[str, int] = dict.fromkeys(FIELDS, 0)
        self.sources: set[str] = set()
        self.months: set[str] = set()
        self.articles: list[tuple[str, int]] = []
        self.runs = WordRuns()
        self.paragraphs = 0
        self.passages: list[str] = []  # what each paragraph is embedded from, in corpus order (if asked)


class _SlotWriter:
    """Empties a slot on every shard, then sends each shard its articles' paragraphs in batches."""

    def __init__(self, cluster: Cluster, index: str, keep_passages: bool = False) -> None:
        self.cluster, self.index, self.keep_passages = cluster, index, keep_passages
        self.shards = [Connections(s.sphinxql) for s in cluster.shards]
        self.sent = [0] * len(self.shards)
        self.pending: list[list[tuple]] = [[] for _ in self.shards]

    def write(self, articles: Iterable, progress: Callable[[int], None] | None) -> _Stats:
        """Analyze and send every paragraph; return the statistics gathered on the way."""
        for shard in self.shards:
            _either(shard, f"TRUNCATE RTINDEX {self.index}", f"TRUNCATE TABLE {self.index}")
        stats = _Stats()
        for number, article in enumerate(articles):
            shard = shard_of(number, len(self.shards))
            stats.articles.append((article.id, number))
            title = term_positions(article.title)[0]
            if article.source:
                stats.sources.add(article.source)
            if article.date:
                stats.months.add(article.date[:7])
            for paragraph, text in enumerate(article.paragraphs, 1):
                analyzed = Analyzed.of(text, title)
                self.pending[shard].append(self._row(stats, article, number, paragraph, text, analyzed))
                if len(self.pending[shard]) >= INSERT_ROWS:
                    self._send(shard)
            if progress:
                progress(1)
        for shard in range(len(self.shards)):
            self._send(shard)
        return stats

    def _row(self, stats: _Stats, article, number: int, paragraph: int, text: str, analyzed: Analyzed) -> tuple:  # noqa: ANN001
        """Count a paragraph's statistics and return its row."""
        order = stats.paragraphs
        stats.paragraphs += 1
        for f in FIELDS:
            slots = analyzed.slots[f]
            stats.df[f].update(set(slots) - {""})
            stats.lengths[f] += sum(1 for t in slots if t)
        stats.runs.add(text)
        if self.keep_passages:
            stats.passages.append(passage_text(article.title, text))
        doc = {
            "id": f"{article.id}-{paragraph}", "article_id": article.id, "title": article.title,
            "source": article.source, "date": article.date, "paragraph": paragraph, "url": article.url,
            "text": text,
        }
        month = int(article.date[:7].replace("-", "")) if article.date else 0
        return (
            order + 1, analyzed.sphinx_text("text"), analyzed.sphinx_text("exact"), analyzed.sphinx_text("title"),
            EVERY, order, number, source_key(article.source), month, date_number(article.date),
            *(analyzed.length(f) for f in FIELDS), analyzed.plain(), json.dumps(doc, ensure_ascii=False),
        )

    def _send(self, shard: int) -> None:
        """INSERT a shard's pending rows."""
        rows = self.pending[shard]
        if not rows:
            return
        values = ", ".join(["(" + ", ".join(["%s"] * len(rows[0])) + ")"] * len(rows))
        self.shards[shard].batch([f"INSERT INTO {self.index} ({_INSERT_COLUMNS}) VALUES {values}"],
                                 [v for row in rows for v in row])
        self.sent[shard] += len(rows)
        self.pending[shard] = []

    def check(self) -> None:
        """Flush every shard's slot to disk and check it holds exactly what it was sent."""
        for shard, conn, sent in zip(self.cluster.shards, self.shards, self.sent, strict=True):
            _either(conn, f"FLUSH RTINDEX {self.index}", f"FLUSH TABLE {self.index}")
            held = int(conn.batch([f"SELECT COUNT(*) FROM {self.index}"])[0][0][0])
            if held != sent:
                raise ClusterError(f"{shard.name} holds {held} paragraphs of {self.index}, {sent} were sent")


def _either(conn: Connections, sphinx: str, manticore: str) -> None:
    """Run a statement in Sphinx 2.2's spelling, or in Manticore's where the server does not know it."""
    try:
        conn.batch([sphinx])
    except ClusterError:
        conn.batch([manticore])


def _finish(target: Path, report: ReadReport, stats: _Stats, slot: str, previous: str | None, cluster: Cluster,
            extra: dict) -> dict:
    """Write the term statistics, vocabulary, completion table and metadata; mark the generation complete."""
    if stats.paragraphs != report.paragraphs:
        raise CorpusError(f"the shards were sent {stats.paragraphs} paragraphs, {report.paragraphs} were read")
    db = sqlite3.connect(target / TERMS_FILE)
    with db:
        db.execute("CREATE TABLE terms (field TEXT, term TEXT, df INTEGER, PRIMARY KEY (field, term)) WITHOUT ROWID")
        db.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, number INTEGER) WITHOUT ROWID")
        for f in FIELDS:
            db.executemany("INSERT INTO terms VALUES (?, ?, ?)", ((f, t, n) for t, n in stats.df[f].items()))
        db.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?)", stats.articles)
    db.close()
    write_vocabulary(stats.df["exact"], target)
    completions = write_completions(stats.runs, target)
    meta = {
        "backend": "sphinx",
        "format": SPHINX_FORMAT,
        "slot": slot,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "articles": report.articles,
        "paragraphs": report.paragraphs,
        "previous": previous,
        "completions": completions,
        "sources": sorted(stats.sources),
        "months": sorted(stats.months),
        "field_lengths": stats.lengths,
        "shards": [s.name for s in cluster.shards],
        **extra,
    }
    commit_generation(target, meta)
    return meta
