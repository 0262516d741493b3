"""gunicorn glue: answer request lines whose target holds raw UTF-8, as curl, wget and many scripts send it.

``curl 'http://127.0.0.1:8000/api/search?q=الصين'`` writes the UTF-8 bytes of الصين into the request line.
gunicorn 27 answers that with its HTML "400 Bad Request ... Invalid HTTP request line" before Flask sees it:
``Request.parse_request_line`` in ``gunicorn/http/message.py`` refuses any byte outside printable ASCII in the
target (``RFC9112_TARGET_INVALID = re.compile(r"[^\\x21-\\x7e]")``, RFC 9112 3.2), and no setting relaxes it
(``permit_unconventional_http_method``, ``permit_unconventional_http_version``, ``casefold_http_method``,
``permit_obsolete_folding``, ``strip_header_spaces`` and ``header_map`` are about the method, version and
headers). Elasticsearch and Meilisearch answer such requests.

So each byte >= 0x80 of the target is written ``%XX``, exactly as a client that encodes would have sent it,
and the line then goes through gunicorn's own checks unchanged: the method, the separating spaces, control
characters, DEL and the version are refused as before (a byte >= 0x80 in the method or version too), and
everything after the line (headers, framing) is parsed by gunicorn alone. Flask sees ``%D8%A7...``, which it
decodes as UTF-8 in the path (PATH_INFO) and in the query string alike.

Checked against gunicorn 27.0.1: its ``RequestParser.mesg_class`` names the request class every worker
type builds (``gunicorn.http.get_parser``), and only its Python parser calls ``parse_request_line`` (the
optional C parser, gunicorn_h1c, reads the line without it), hence ``http_parser = "python"`` in
gunicorn.conf.py. ``accept_raw_utf8_targets`` refuses to start if either no longer holds.
"""

from __future__ import annotations

import re

from gunicorn.config import Config
from gunicorn.http.message import Request
from gunicorn.http.parser import RequestParser

GUNICORN_CHECKED = "27.0.1"  # the gunicorn whose request-line parsing this module was read against
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def percent_encode_target(line: bytes) -> bytes:
    """Return the request line with each byte >= 0x80 of its target written %XX, all else unchanged.

    The line is split at its first two spaces, as gunicorn splits it; one with fewer is left for gunicorn
    to refuse.

    >>> percent_encode_target("GET /api/search?q=الصين HTTP/1.1".encode())
    b'GET /api/search?q=%D8%A7%D9%84%D8%B5%D9%8A%D9%86 HTTP/1.1'
    >>> percent_encode_target(b"G\\xc3\\x89T /\\x01 HTTP/1.1")  # the method and a control byte are kept
    b'G\\xc3\\x89T /\\x01 HTTP/1.1'
    """
    parts = line.split(b" ", 2)
    if len(parts) != 3:
        return line
    method, target, version = parts
    return b" ".join((method, _NON_ASCII.sub(lambda byte: b"%%%02X" % byte[0][0], target), version))


class Utf8TargetRequest(Request):
    """gunicorn's HTTP/1 request, whose target may hold raw non-ASCII bytes (they are percent-encoded first)."""

    def parse_request_line(self, line_bytes: bytes) -> None:
        """Parse and validate the request line as gunicorn does, once its target is percent-encoded."""
        super().parse_request_line(percent_encode_target(line_bytes))


def accept_raw_utf8_targets(cfg: Config) -> None:
    """Make gunicorn's HTTP/1 parser build ``Utf8TargetRequest``s (in each worker, before it serves)."""
    parser = getattr(cfg, "http_parser", "python")  # a gunicorn without the C parser has no such setting
    if parser != "python":
        raise RuntimeError(
            f"http_parser is {parser!r}: raw UTF-8 request targets are accepted only by gunicorn's "
            "Python parser (http_parser = 'python', as gunicorn.conf.py sets)"
        )
    if RequestParser.mesg_class not in (Request, Utf8TargetRequest):
        raise RuntimeError(
            f"gunicorn's RequestParser builds {RequestParser.mesg_class!r}, not its Request: "
            f"web/server.py was checked against gunicorn {GUNICORN_CHECKED} only"
        )
    RequestParser.mesg_class = Utf8TargetRequest
