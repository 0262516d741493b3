# Fahras in a slim image: the package installed, the seed index built at build time, gunicorn as a non-root user.
#   docker build -t fahras .
#   docker run -p 8000:8000 fahras            # then http://127.0.0.1:8000
# Mount a bigger index at /srv/index (or set FAHRAS_INDEX_DIR) to serve another corpus; never bake corpora in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FAHRAS_INDEX_DIR=/srv/index

WORKDIR /app

# The package first (its layer is reused while only seeds or settings change).
COPY setup.cfg pyproject.toml README.md ./
COPY search/ search/
COPY web/ web/
RUN pip install .

COPY gunicorn.conf.py ./
COPY seeds/ seeds/

# A system user owns the index (so `fahras reindex` works inside the container) and runs the server.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin fahras \
    && fahras reindex seeds --index /srv/index --procs 1 --semantic \
    && chown -R fahras:fahras /srv/index

USER fahras
EXPOSE 8000

# No curl in slim images: the standard library asks /healthz (200 when an index generation is served).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "web:create_app()"]
