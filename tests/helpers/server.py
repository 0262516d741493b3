"""Start real gunicorn and re-index subprocesses on loopback, wait for them, and always stop them.

Every child runs in its own session, so stopping it kills its whole process group (gunicorn's workers,
Whoosh's writer processes) and nothing outlives a test.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEEDS = REPO / "seeds"
#: The command the Docker image runs (see Dockerfile), with the bind address left to the caller.
GUNICORN_ARGS = ("-c", "gunicorn.conf.py", "web:create_app()")
START_TIMEOUT = 60.0


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(port: int, path: str, timeout: float = 10.0, headers: dict | None = None) -> tuple[int, dict, dict]:
    """GET a path from 127.0.0.1:port; return status, headers and the decoded JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", quote(path, safe="/?=&%+"), headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), json.loads(body) if body else {}
    finally:
        conn.close()


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a child started by :func:`spawn` and everything in its process group."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    group_kill(process.pid)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:  # a broken pipe to a dead child
                pass


def group_kill(pgid: int) -> None:
    """SIGKILL what is left of a process group we started (no error when it is gone)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def group_members(pgid: int) -> list[int]:
    """Return the live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def spawn(args: Sequence[str], env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    """Start a child in its own session (its own process group) from the repository folder."""
    return subprocess.Popen(
        list(args), cwd=REPO, env={**os.environ, **(env or {})}, start_new_session=True, **kwargs
    )


def gunicorn_command(port: int, *extra: str) -> list[str]:
    """The Docker image's gunicorn command, bound to a loopback port."""
    return [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", *extra,
            "web:create_app()"]


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = START_TIMEOUT) -> dict:
    """Wait until /healthz answers 200 (or fail early if the server died); return its JSON."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before answering")
        try:
            status, _, body = get_json(port, "/healthz", timeout=5)
            if status == 200:
                return body
            last = (status, body)
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz with 200 within {timeout:.0f} s (last: {last})")


@contextmanager
def gunicorn(index_dir: Path, *extra: str, env: dict[str, str] | None = None,
             log_path: Path | None = None, wait: bool = True) -> Iterator[tuple[int, subprocess.Popen]]:
    """Run real gunicorn (gunicorn.conf.py, loopback, a free port) over ``index_dir``; always stop it."""
    port = free_port()
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    process = spawn(gunicorn_command(port, *extra), env={"FAHRAS_INDEX_DIR": str(index_dir), **(env or {})},
                    stdout=log, stderr=subprocess.STDOUT)
    try:
        if wait:
            wait_healthy(port, process)
        yield port, process
    finally:
        stop(process)
        if log_path:
            log.close()


def run_fahras(*args: str, timeout: float = 300.0) -> subprocess.CompletedProcess:
    """Run the real ``fahras`` command to completion (killing its group on timeout)."""
    process = spawn([str(BIN / "fahras"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        stop(process)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)
