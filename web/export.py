"""The third rendering of a search: every hit up to a limit as a CSV or JSON-lines download, streamed.

The rows come from :func:`search.export` one at a time; each is written as soon as it is read, so a
10,000-row answer is never one string. CSV is UTF-8 with a byte order mark (so a spreadsheet reads the
Arabic as Arabic), RFC 4180 quoting and CRLF line ends; JSON lines are one object a line, Arabic unescaped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping

from flask import Response, stream_with_context

from search import Export, QueryError

#: The renderings of /api/search: a page of JSON (default) or a download of every hit.
FORMATS = ("json", "csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
BOM = "\ufeff"
#: A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def parse_format(values: Mapping[str, object]) -> str:
    """Return the ``format`` asked for (json when not given); QueryError ``invalid_format`` otherwise."""
    value = values.get("format")
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None or value == "":
        return "json"
    if value not in FORMATS:
        raise QueryError(f"'format' must be one of {', '.join(FORMATS)}, got {str(value)[:40]!r}", "invalid_format")
    return str(value)


class _Echo:
    """A file whose ``write`` returns what it is given, so csv.writer hands back each line."""

    def write(self, text: str) -> str:
        return text


def _cell(value: object) -> object:
    """Return a CSV cell: None as empty, text a spreadsheet would run as a formula behind a quote.

    >>> _cell(None), _cell("=1+1"), _cell("-مرحبا"), _cell("نص"), _cell(3)
    ('', "'=1+1", "'-مرحبا", 'نص', 3)
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(fields: tuple[str, ...], rows: Iterable[dict]) -> Iterator[bytes]:
    """Yield the CSV download line by line, in UTF-8: the BOM and the header first."""
    writer = csv.writer(_Echo())
    yield (BOM + writer.writerow(fields)).encode("utf-8")
    for row in rows:
        yield writer.writerow([_cell(row.get(name)) for name in fields]).encode("utf-8")


def jsonl_lines(fields: tuple[str, ...], rows: Iterable[dict]) -> Iterator[bytes]:
    """Yield one JSON object a line, in UTF-8, Arabic unescaped."""
    for row in rows:
        yield (json.dumps({name: row.get(name) for name in fields}, ensure_ascii=False) + "\n").encode("utf-8")


def export_response(result: Export, fmt: str) -> Response:
    """Stream an export as a download, with its total and whether the ranking was cut short in headers."""
    lines = csv_lines if fmt == "csv" else jsonl_lines
    response = Response(stream_with_context(lines(result.fields, result.rows)), content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="fahras-results.{fmt}"'
    response.headers["X-Total-Count"] = str(result.total)
    if result.partial:
        response.headers["X-Partial"] = "true"
    return response
