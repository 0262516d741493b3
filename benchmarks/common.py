"""Shared helpers for the speed benchmarks: the corpus at a scale, a seeded realistic query set,
percentiles and plain-text tables. Nothing here is timed; the scripts time what they call.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO))  # after PYTHONPATH, so another checkout can be measured

from search.analysis.analyzer import analyze_word  # noqa: E402
from search.corpus.reader import Article, ReadReport, read_corpus  # noqa: E402
from search.index.generations import current_generation  # noqa: E402
from search.index.indexing import build_index  # noqa: E402
from search.index.store import Generation, IndexHolder  # noqa: E402

SEED = 20150721
_WORD = re.compile(r"[\u0621-\u064a]{3,}")


def shared_dir() -> Path:
    """Return the shared material folder (FAHRAS_SHARED, default ../shared beside the repository)."""
    return Path(os.environ.get("FAHRAS_SHARED", REPO.parent / "shared")).resolve()


def default_corpus() -> Path:
    """Return the SaudiNewsNet folder in the shared material."""
    return shared_dir() / "corpora" / "saudinewsnet"


def index_parser(description: str) -> argparse.ArgumentParser:
    """Return an argument parser with --index (default: the SaudiNewsNet index speed.py builds) and --corpus."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "fahras-speed" / "fahras")
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    return parser


def ready_index(index: Path, corpus: Path) -> Path:
    """Build ``corpus`` into ``index`` when it holds no generation yet; return ``index``."""
    if current_generation(index) is None:
        build_index([corpus], index, procs=2)
    return index


def ready_generation(index: Path, corpus: Path) -> Generation:
    """Build ``corpus`` into ``index`` when it holds no generation yet; return the live generation."""
    return IndexHolder(ready_index(index, corpus)).get()


def read_articles(corpus: Path) -> list[Article]:
    """Read every article of a corpus (chrome removed, as the indexer sees it)."""
    return list(read_corpus([corpus], ReadReport()))


def scaled(articles: Sequence[Article], scale: float) -> list[Article]:
    """Return the corpus at ``scale``: an evenly spread fraction below 1, copies with new ids above."""
    if scale <= 1:
        step = 1 / scale
        return [articles[int(i * step)] for i in range(int(len(articles) * scale))]
    copies = int(scale)
    out = list(articles)
    for k in range(1, copies):
        out += [replace(a, id=f"{a.id}-copy{k}") for a in articles]
    return out


def write_jsonl(articles: Sequence[Article], folder: Path, files: int = 20) -> Path:
    """Write articles as ``files`` .jsonl files (the reader's own format); return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    size = max(1, -(-len(articles) // files))
    for n in range(0, len(articles), size):
        with open(folder / f"part-{n // size:03d}.jsonl", "w", encoding="utf-8") as handle:
            for a in articles[n : n + size]:
                record = {"id": a.id, "title": a.title, "source": a.source, "date": a.date, "url": a.url,
                          "text": "\n".join(a.paragraphs)}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder


@dataclass(frozen=True)
class BenchQuery:
    """One query of the set: its kind, what a user typed, and its filters."""

    kind: str  # "words" | "phrase" | "filtered"
    words: tuple[str, ...]
    phrase: bool = False
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    @property
    def q(self) -> str:
        """The query text as typed."""
        text = " ".join(self.words)
        return f'"{text}"' if self.phrase else text

    def params(self) -> dict[str, list[str]]:
        """The /api/search parameters of this query."""
        params = {"q": [self.q]}
        if self.source:
            params["source"] = [self.source]
        if self.date_from:
            params["date_from"], params["date_to"] = [self.date_from], [self.date_to or self.date_from]
        return params


def _title_words(article: Article) -> list[str]:
    """Arabic title words a reader would type: 3+ letters, not stopwords."""
    return [w for w in _WORD.findall(article.title) if analyze_word(w)[1] is not None]


def make_queries(articles: Sequence[Article], total: int = 500, seed: int = SEED) -> list[BenchQuery]:
    """Return a fixed, seeded set: 1-3 title words, 100 quoted title phrases, 100 with a filter."""
    rng = random.Random(seed)
    titled = [(a, w) for a in articles if len(w := _title_words(a)) >= 3]
    special = min(100, total // 5)
    queries: list[BenchQuery] = []
    while len(queries) < total - 2 * special:
        article, words = rng.choice(titled)
        n = rng.choice((1, 2, 2, 3))
        start = rng.randrange(len(words) - n + 1)
        queries.append(BenchQuery("words", tuple(words[start : start + n])))
    while len(queries) < total - special:
        article, words = rng.choice(titled)
        raw = article.title.split()
        n = rng.choice((2, 3))
        if len(raw) < n:
            continue
        start = rng.randrange(len(raw) - n + 1)
        piece = tuple(w for w in raw[start : start + n] if _WORD.fullmatch(w))
        if len(piece) == n:
            queries.append(BenchQuery("phrase", piece, phrase=True))
    while len(queries) < total:
        article, words = rng.choice(titled)
        word = (rng.choice(words),)
        if rng.random() < 0.5 and article.source:
            queries.append(BenchQuery("filtered", word, source=article.source))
        elif article.date:
            queries.append(BenchQuery("filtered", word, date_from=article.date, date_to=article.date))
    return queries


def percentile(values: Iterable[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def table(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Render a plain-text table with a title line."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
              for r in cells[1:]]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    """Format one table cell: floats with one decimal (or two below 10)."""
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def folder_size(path: Path) -> int:
    """Return the total size of the files under a folder."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
