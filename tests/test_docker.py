"""The Dockerfile, checked without Docker (it cannot run here): what it copies exists and is in the build
context, corpora and local state stay out of it, it installs the package and indexes seeds/, runs as a non-root
user with a HEALTHCHECK on /healthz, and its command, run from a copy of exactly what it copies, starts the app.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import setuptools
from helpers.server import BIN, REPO, free_port, get_json, run_fahras, spawn, stop, wait_healthy

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
CONTEXT_LIMIT_BYTES = 5_000_000


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in DOCKERFILE.read_text("utf-8").splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        current += " " + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            lines.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def values(keyword: str) -> list[str]:
    return [args for key, args in instructions() if key == keyword]


def exec_form(args: str) -> list[str]:
    """Parse a JSON exec form (CMD ["a", "b"])."""
    return json.loads(args)


def ignore_patterns() -> list[tuple[bool, str]]:
    """The .dockerignore rules in order: (is_exception, pattern)."""
    rules = []
    for line in DOCKERIGNORE.read_text("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            exception = line.startswith("!")
            rules.append((exception, line.lstrip("!").strip("/")))
    return rules


def _regex(pattern: str) -> re.Pattern:
    """Translate a .dockerignore pattern: ``*`` and ``?`` stay inside one folder, ``**`` crosses folders."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _matches(path: str, pattern: str) -> bool:
    """Docker's matching: a pattern matches a path or any folder above it."""
    parts = path.split("/")
    regex = _regex(pattern)
    return any(regex.fullmatch("/".join(parts[: n + 1])) for n in range(len(parts)))


def excluded(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` (relative, posix) out of the build context (last match wins)."""
    verdict = False
    for exception, pattern in ignore_patterns():
        if _matches(path, pattern):
            verdict = not exception
    return verdict


def build_context() -> list[Path]:
    """Every file of the working tree that `docker build .` would send (excluded folders are not walked)."""
    files = []
    for folder, dirs, names in os.walk(REPO):
        base = Path(folder).relative_to(REPO).as_posix()
        prefix = "" if base == "." else base + "/"
        dirs[:] = [d for d in dirs if not excluded(prefix + d) or _reincluded_below(prefix + d)]
        files += [Path(folder) / n for n in names if not excluded(prefix + n)]
    return files


def _reincluded_below(folder: str) -> bool:
    """Whether an exception pattern may re-include something inside an excluded folder."""
    return any(exception and pattern.startswith(folder + "/") for exception, pattern in ignore_patterns())


def copy_sources() -> list[tuple[list[str], str]]:
    """Each COPY as (sources, destination)."""
    copies = []
    for args in values("COPY"):
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        copies.append((words[:-1], words[-1]))
    return copies


def test_base_image_is_slim_python():
    assert ["python:3.11-slim"] == values("FROM")


def test_every_copy_source_exists_and_is_in_the_build_context():
    for sources, _ in copy_sources():
        for source in sources:
            path = REPO / source
            assert path.exists(), f"COPY {source}: no such path in the repository"
            assert not excluded(source.strip("/")), f"COPY {source}: excluded by .dockerignore"
            if path.is_dir():
                assert any(not excluded(p.relative_to(REPO).as_posix()) for p in path.rglob("*") if p.is_file())


def test_the_copies_are_what_pip_install_needs():
    copied = {source.strip("/") for sources, _ in copy_sources() for source in sources}
    assert {"setup.cfg", "pyproject.toml", "README.md", "search", "web", "gunicorn.conf.py", "seeds"} <= copied
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg", encoding="utf-8")
    assert "file: README.md" == setup["metadata"]["long_description"]
    include = setup["options.packages.find"]["include"].split()
    found = set(setuptools.find_packages(str(REPO), include=include))
    packages = {p.parent.relative_to(REPO).as_posix().replace("/", ".") for p in REPO.glob("*/**/__init__.py")}
    assert {p for p in packages if p.split(".")[0] in {"search", "web"}} == found


LOCAL_STATE = [".venv/bin/python", "var/index/CURRENT", "shared/corpora/saudinewsnet/x.zip", ".git/HEAD",
               "tests/conftest.py", "search/__pycache__/x.pyc", "corpora/saudinewsnet/2015-07-21.zip", "x.zip"]


@pytest.mark.parametrize("path", LOCAL_STATE)
def test_dockerignore_keeps_local_state_and_corpora_out(path):
    assert excluded(path)


def test_the_build_context_holds_no_corpus_and_stays_small():
    context = build_context()
    names = [p.relative_to(REPO).as_posix() for p in context]
    assert not [n for n in names if n.startswith((".venv/", "var/", ".git/", "shared/")) or n.endswith(".zip")]
    assert not [n for n in names if "saudinewsnet" in n.lower()]
    assert sum(p.stat().st_size for p in context) < CONTEXT_LIMIT_BYTES
    assert "seeds/metadata.tsv" in names and "web/__init__.py" in names


def test_the_image_installs_the_package_and_indexes_seeds_at_build_time():
    runs = " && ".join(values("RUN"))
    assert "pip install ." in runs
    assert "fahras reindex seeds --index /srv/index" in runs
    assert any("FAHRAS_INDEX_DIR=/srv/index" in env.replace(" ", "") for env in values("ENV"))


def test_the_image_runs_as_a_non_root_user():
    order = [key for key, _ in instructions()]
    users = values("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    last_user = max(i for i, key in enumerate(order) if key == "USER")
    assert last_user < order.index("CMD") and last_user > max(i for i, k in enumerate(order) if k == "RUN")


def test_the_healthcheck_asks_healthz_without_curl():
    (check,) = values("HEALTHCHECK")
    assert "/healthz" in check and "urllib" in check and "curl" not in check
    assert exec_form(check.split("CMD", 1)[1].strip())[0] == "python"


def test_the_image_command_starts_the_app(tmp_path):
    """Copy exactly what the Dockerfile copies into a fresh folder, build the index as its RUN line does, run
    its CMD there (bound to a free loopback port instead of 0.0.0.0:8000) and its HEALTHCHECK against it."""
    (cmd,) = values("CMD")
    command = exec_form(cmd)
    assert ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "web:create_app()"] == command
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    for sources, destination in copy_sources():
        for source in sources:
            path = REPO / source
            target = app_dir / (path.name if destination in ("./", ".") else destination)
            if path.is_dir():
                shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copyfile(path, target)
    index_dir = tmp_path / "srv-index"
    built = run_fahras("reindex", str(app_dir / "seeds"), "--index", str(index_dir), "--procs", "1")
    assert 0 == built.returncode, built.stderr
    port = free_port()
    argv = [str(BIN / "gunicorn"), *command[1:]]
    argv[argv.index("0.0.0.0:8000")] = f"127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(argv, cwd=app_dir, env={"FAHRAS_INDEX_DIR": str(index_dir), "PATH": str(BIN)},
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        health = wait_healthy(port, server)
        assert health["paragraphs"] > 0 and health["generation"]
        status, _, body = get_json(port, "/api/search?q=بكين")
        assert 200 == status and body["total"] > 0
        (check,) = values("HEALTHCHECK")
        probe = exec_form(check.split("CMD", 1)[1].strip())
        probe = [sys.executable, *probe[1:]]
        probe[-1] = probe[-1].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        healthcheck = spawn(probe, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            healthcheck.communicate(timeout=30)
        finally:
            stop(healthcheck)
        assert 0 == healthcheck.returncode
    finally:
        stop(server)
