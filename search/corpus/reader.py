"""Read a corpus into articles: folders of .txt with metadata.tsv, .jsonl, .json arrays and .zip archives.

Reading never stops at bad input: each problem (not UTF-8, a JSON line that does not parse, an article
with no text, a malformed date) is reported with its file and line, and the rest is read. Page chrome and
duplicate paragraphs are dropped and counted in :class:`ReadReport`, never silently lost.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from search.corpus.chrome import chrome_reason, trim_chrome
from search.errors import CorpusError

TITLE_MAX_CHARS = 120
TITLE_FALLBACK_WORDS = 12
_SENTENCE_END = (".", "!", "؟", "?", "۔", "…", ":")
_SAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")
_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:[ T][\d:.]+)?\s*$")


@dataclass
class Article:
    """One article: its metadata and its content paragraphs, in order."""

    id: str
    title: str
    source: str
    date: str  # YYYY-MM-DD, or "" when unknown
    url: str
    paragraphs: list[str]
    origin: str  # file[:line] it was read from


@dataclass
class ReadReport:
    """What reading a corpus found: counts, dropped lines by reason, problems with file and line."""

    articles: int = 0
    paragraphs: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notices: Counter[str] = field(default_factory=Counter)

    def problem(self, where: str, message: str) -> None:
        """Record a problem that skipped input or lost a value."""
        self.problems.append(f"{where}: {message}")


def split_paragraphs(text: str, report: ReadReport) -> list[str]:
    """Split text into content paragraphs: non-empty lines, minus chrome and exact duplicates."""
    seen: set[str] = set()
    kept: list[str] = []
    for raw in text.splitlines():
        line, cut = trim_chrome(" ".join(raw.split()))
        if cut:
            report.dropped[cut] += 1
            raw = line  # what is left of it is judged alone
        if not line:
            continue
        reason = chrome_reason(raw)
        if reason is None and line in seen:
            reason = "duplicate"
        if reason:
            report.dropped[reason] += 1
            continue
        seen.add(line)
        kept.append(line)
    return kept


def derive_title(paragraphs: list[str]) -> str:
    """Take a headline-like first line (short, no final full stop), or else the first words.

    >>> derive_title(["توتر متصاعد", "يأتي اللقاء."])
    'توتر متصاعد'
    """
    if not paragraphs:
        return ""
    first = paragraphs[0]
    if len(first) <= TITLE_MAX_CHARS and not first.endswith(_SENTENCE_END):
        return first
    words = first.split()
    cut = " ".join(words[:TITLE_FALLBACK_WORDS])
    return cut + ("…" if len(words) > TITLE_FALLBACK_WORDS else "")


def parse_date(value: object, where: str, report: ReadReport) -> str:
    """Return a YYYY-MM-DD date from a date or timestamp string; report and drop a malformed one."""
    text = str(value or "").strip()
    if not text:
        report.notices["missing date"] += 1
        return ""
    match = _DATE.match(text)
    if match:
        try:
            return date.fromisoformat(match.group(1)).isoformat()
        except ValueError:
            pass
    report.problem(where, f"malformed date {text!r} (expected YYYY-MM-DD)")
    return ""


def safe_id(value: str) -> str:
    """Turn any identifier into one safe in a URL path: letters, digits, _ . - only."""
    return _SAFE_ID.sub("-", value).strip("-.")[:120]


def make_article(record: dict, fallback_id: str, where: str, report: ReadReport) -> Article | None:
    """Build an Article from a JSON-like record; None (reported) when it has no text."""
    text = record.get("text") or record.get("content") or ""
    if not isinstance(text, str):
        report.problem(where, "field 'text' is not a string")
        return None
    paragraphs = split_paragraphs(text, report)
    if not paragraphs:
        report.problem(where, "article has no text")
        return None
    source = str(record.get("source") or "").strip()
    if not source:
        report.notices["missing source"] += 1
    title = " ".join(str(record.get("title") or "").split()) or derive_title(paragraphs)
    raw_date = record.get("date") or record.get("date_extracted")
    return Article(
        id=safe_id(str(record.get("id") or "")) or fallback_id,
        title=title,
        source=source,
        date=parse_date(raw_date, where, report),
        url=str(record.get("url") or ""),
        paragraphs=paragraphs,
        origin=where,
    )


def _records_from_json_text(text: str, name: str, report: ReadReport) -> Iterator[tuple[dict, str]]:
    """Yield (record, where) from a .json array or a .jsonl text."""
    if name.endswith(".jsonl"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                report.problem(f"{name}:{number}", f"JSON does not parse ({exc.msg})")
                continue
            if isinstance(record, dict):
                yield record, f"{name}:{number}"
            else:
                report.problem(f"{name}:{number}", "line is not a JSON object")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        report.problem(f"{name}:{exc.lineno}", f"JSON does not parse ({exc.msg})")
        return
    if not isinstance(data, list):
        data = [data]
    for number, record in enumerate(data, 1):
        if isinstance(record, dict):
            yield record, f"{name}[{number}]"
        else:
            report.problem(f"{name}[{number}]", "item is not a JSON object")


def _decode(data: bytes, where: str, report: ReadReport) -> str | None:
    """Decode UTF-8 (a BOM allowed), reporting a file that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.problem(where, f"not UTF-8 (byte {exc.start})")
        return None


def _read_json_file(name: str, data: bytes, report: ReadReport) -> Iterator[Article]:
    """Yield the articles of one .json or .jsonl payload."""
    text = _decode(data, name, report)
    if text is None:
        return
    stem = safe_id(Path(name.rsplit("!", 1)[-1]).stem)
    for number, (record, where) in enumerate(_records_from_json_text(text, name, report), 1):
        article = make_article(record, f"{stem}-{number:05d}", where, report)
        if article:
            yield article


def _read_zip(path: Path, report: ReadReport) -> Iterator[Article]:
    """Yield the articles of every .json/.jsonl member of a zip archive."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        report.problem(str(path), "not a zip archive")
        return
    with archive:
        for member in sorted(archive.namelist()):
            if member.endswith((".json", ".jsonl")):
                yield from _read_json_file(f"{path}!{member}", archive.read(member), report)


def read_metadata(folder: Path, report: ReadReport) -> dict[str, dict[str, str]]:
    """Read a folder's metadata.tsv (file, source, date[, title, url]) keyed by file name."""
    path = folder / "metadata.tsv"
    if not path.exists():
        return {}
    text = _decode(path.read_bytes(), str(path), report)
    if text is None:
        return {}
    rows = csv.reader(io.StringIO(text), delimiter="\t")
    header = [h.strip().lower() for h in next(rows, [])]
    if "file" not in header:
        report.problem(f"{path}:1", "header must name a 'file' column")
        return {}
    table: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            report.problem(f"{path}:{number}", f"{len(row)} columns, header has {len(header)}")
        record = {key: value.strip() for key, value in zip(header, row, strict=False)}
        table[record.get("file", "")] = record
    return table


def _read_text_file(path: Path, meta: dict[str, str], report: ReadReport) -> Iterator[Article]:
    """Yield one article from a .txt file (one paragraph a line) and its metadata row."""
    text = _decode(path.read_bytes(), str(path), report)
    if text is None:
        return
    record = {**meta, "text": text, "id": meta.get("id") or path.stem}
    article = make_article(record, safe_id(path.stem), str(path), report)
    if article:
        yield article


def _read_folder(folder: Path, report: ReadReport) -> Iterator[Article]:
    """Yield the articles of every readable file in a folder (not recursive), in name order."""
    meta = read_metadata(folder, report)
    for path in sorted(folder.iterdir()):
        if path.suffix == ".txt":
            yield from _read_text_file(path, meta.get(path.name, {}), report)
        elif path.suffix in (".json", ".jsonl", ".zip"):
            yield from _read_path(path, report)


def _read_path(path: Path, report: ReadReport) -> Iterator[Article]:
    """Yield the articles of one file or folder."""
    if path.is_dir():
        yield from _read_folder(path, report)
    elif path.suffix == ".zip":
        yield from _read_zip(path, report)
    elif path.suffix in (".json", ".jsonl"):
        yield from _read_json_file(str(path), path.read_bytes(), report)
    elif path.suffix == ".txt":
        yield from _read_text_file(path, {}, report)
    else:
        report.problem(str(path), "not a .txt, .json, .jsonl or .zip file")


def read_corpus(paths: Iterable[str | Path], report: ReadReport) -> Iterator[Article]:
    """Yield every article under the given files and folders, skipping duplicate ids (reported)."""
    resolved = [Path(p) for p in paths]
    for path in resolved:
        if not path.exists():
            raise CorpusError(f"{path}: no such file or folder")
    seen: set[str] = set()
    for path in resolved:
        for article in _read_path(path, report):
            if article.id in seen:
                report.problem(article.origin, f"duplicate article id {article.id!r}, skipped")
                continue
            seen.add(article.id)
            report.articles += 1
            report.paragraphs += len(article.paragraphs)
            yield article
