"""Helpers shared by the reliability, security and Docker tests and benchmarks/reindex_under_load.py:
real subprocesses (gunicorn, the re-index) started on loopback and always stopped."""
