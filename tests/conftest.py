"""Shared fixtures: a real seed index on disk, the real app, its client and CLI runner.

Material from ../shared (SaudiNewsNet, conformance cases, benchmarks) is found through one setting,
FAHRAS_SHARED (default ../shared beside the repository); a test that needs it fails with a clear
message when it is missing, never skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from search.index.indexing import build_index
from search.index.store import IndexHolder
from web import create_app

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def shared_dir() -> Path:
    """Return the shared material folder named by FAHRAS_SHARED (default ../shared)."""
    return Path(os.environ.get("FAHRAS_SHARED", REPO.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared research material; fail loudly when it is not there."""
    path = shared_dir()
    if not (path / "corpora").is_dir():
        pytest.fail(
            f"shared material not found at {path}: set FAHRAS_SHARED to the folder holding "
            "corpora/, conformance/ and benchmarks/ (default ../shared beside the repository)"
        )
    return path


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Whoosh index of seeds/ on disk with its semantic vectors, as `make serve` builds it (read-only)."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index([SEEDS], index_dir, procs=1, semantic=True)
    return index_dir


@pytest.fixture(scope="session")
def news_day(tmp_path_factory: pytest.TempPathFactory, shared: Path):
    """The opened index of one real SaudiNewsNet day, in several segments of many posting blocks (read-only)."""
    day = sorted((shared / "corpora" / "saudinewsnet").glob("*.zip"))[0]
    folder = tmp_path_factory.mktemp("day")
    build_index([day], folder, procs=2)
    opened = IndexHolder(folder).get()
    yield opened
    opened.close()


@pytest.fixture
def app(seed_index: Path):
    """The real Flask app over the seed index."""
    return create_app({"TESTING": True, "INDEX_DIR": str(seed_index)})


@pytest.fixture
def client(app):
    """The app's test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The app's CLI runner."""
    return app.test_cli_runner()
