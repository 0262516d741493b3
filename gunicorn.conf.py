"""gunicorn settings for `make serve` and the Docker image (override any of them on the command line)."""

from __future__ import annotations

import multiprocessing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

bind = "127.0.0.1:8000"
# Searches are CPU-bound pure Python: one sync worker per core, a few threads for slow clients.
workers = max(2, multiprocessing.cpu_count())
threads = 2
# No keep-alive: a gthread worker accepts every connection it is offered, so the long-lived connections of
# a proxy or a load generator that connected while the workers started (or one was recycled) all stayed on
# the worker up first (one core busy, the other idle: 75 requests/s against 170). Closed after each
# response, each new connection goes to a worker that is free.
keepalive = 0
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
# Recycle workers now and then so no cache or fragmentation grows without bound.
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
errorlog = "-"
loglevel = "info"
wsgi_app = "web:create_app()"
# Answer `curl 'http://127.0.0.1:8000/api/search?q=الصين'` (raw UTF-8 in the request line) as if it had been
# percent-encoded, where gunicorn 27 refuses it; web/server.py says why and how. It hooks into gunicorn's
# Python HTTP parser, so that parser is used even where the C one (gunicorn_h1c) is installed.
http_parser = "python"


def post_fork(server: Arbiter, worker: Worker) -> None:
    """In each worker, before it serves: accept raw UTF-8 request targets (web.server)."""
    from web.server import accept_raw_utf8_targets

    accept_raw_utf8_targets(worker.cfg)
