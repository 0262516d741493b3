"""The operator's cluster commands, as real processes: up, status, down, and the errors of each."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.server import run_fahras

from .conftest import free_base


def test_up_status_down(tmp_path: Path) -> None:
    folder = tmp_path / "cluster"
    base = free_base(4)
    up = run_fahras("cluster", "up", "--shards", "3", "--dir", str(folder), "--port", str(base))
    assert up.returncode == 0, up.stderr
    assert [line.split()[0] for line in up.stdout.splitlines()[:4]] == ["head", "shard1", "shard2", "shard3"]
    assert all(line.split()[2] == "up" for line in up.stdout.splitlines()[:4])
    for shard in ("shard1", "shard2", "shard3"):  # each shard its own config, data folder and process
        assert (folder / shard / "sphinx.conf").exists() and (folder / shard / "data").is_dir()
        assert (folder / shard / "searchd.pid").exists()
    again = run_fahras("cluster", "up", "--shards", "3", "--dir", str(folder), "--port", str(base))
    assert again.returncode == 0  # a running cluster is kept
    other = run_fahras("cluster", "up", "--shards", "2", "--dir", str(folder))
    assert other.returncode != 0 and "holds a cluster of 3 shards" in other.stderr
    status = run_fahras("cluster", "status", "--cluster", str(folder / "cluster.json"))
    assert status.returncode == 0 and status.stdout.count(" up") == 4
    down = run_fahras("cluster", "down", "--dir", str(folder))
    assert down.returncode == 0 and "stopped 4" in down.stdout
    status = run_fahras("cluster", "status", "--cluster", str(folder / "cluster.json"))
    assert status.returncode == 1 and status.stdout.count("DOWN") == 4
    purge = run_fahras("cluster", "down", "--dir", str(folder), "--purge")
    assert purge.returncode == 0 and not folder.exists()


def test_commands_without_a_cluster_say_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "cluster.json"
    reindex = run_fahras("reindex", "seeds", "--backend", "sphinx", "--cluster", str(missing),
                         "--index", str(tmp_path / "index"))
    assert reindex.returncode != 0 and "fahras cluster up" in reindex.stderr and "Traceback" not in reindex.stderr
    status = run_fahras("cluster", "status", "--cluster", str(missing))
    assert status.returncode != 0 and "no Sphinx cluster file" in status.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"head": "localhost", "shards": []}')
    status = run_fahras("cluster", "status", "--cluster", str(broken))
    assert status.returncode != 0 and "not host:port" in status.stderr
    search = run_fahras("search", "الصين", "--backend", "sphinx", "--cluster", str(missing),
                        "--index", str(tmp_path / "index"))
    assert search.returncode != 0 and "Traceback" not in search.stderr
