"""Settings: defaults here, then FAHRAS_* environment variables, then a test mapping (create_app)."""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    # Folder holding index generations and the CURRENT pointer (FAHRAS_INDEX_DIR).
    "INDEX_DIR": "var/index",
    # Which engine holds the index (FAHRAS_BACKEND): "whoosh", embedded (default), or "sphinx", a cluster.
    "BACKEND": "whoosh",
    # The Sphinx cluster's file: its head and shards (FAHRAS_SPHINX; `fahras cluster up` writes this one).
    "SPHINX": "var/cluster/cluster.json",
    # Folder of the shared research material, used only by tests and benchmarks (FAHRAS_SHARED).
    "SHARED": "../shared",
    # Number of answered searches kept in each worker's cache (0 turns the cache off).
    "CACHE_SIZE": 512,
    # Time one search may take, in ms; past it the answer is cut short and says "partial": true.
    # Keep it well under gunicorn's worker timeout (30 s in gunicorn.conf.py).
    "SEARCH_BUDGET_MS": 2000,
    # Time an export (format=csv or jsonl) may take to match and rank, in ms; past it the download says
    # X-Partial: true. Its rows are then read as the client takes them (at most 10,000), unbudgeted.
    "EXPORT_BUDGET_MS": 10000,
    # Never serve JSON with ensure_ascii: Arabic stays readable.
    "JSON_AS_ASCII": False,
}
