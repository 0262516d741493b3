"""The operator's commands on real directories: fahras reindex/search/analyze and flask reindex."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import main
from search.index.generations import current_generation
from search.index.schema import SCHEMA_VERSION
from tests.conftest import SEEDS


def test_reindex_prints_the_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["reindex", str(SEEDS), "--index", str(tmp_path), "--procs", "1"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.splitlines() if line and not line.startswith(" "))
    assert lines["articles"] == "5"
    assert lines["paragraphs"] == "63"
    assert lines["dropped"] == "8 lines (copyright 2, credit 1, duplicate 1, navigation 2, read-also 1, share 1)"
    assert lines["problems"] == "0"
    assert {"seconds", "paragraphs/s", "index", "generation"} <= set(lines)
    assert current_generation(tmp_path) == lines["generation"]


def test_reindex_strict_fails_with_a_message_and_keeps_the_live_index(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["reindex", str(SEEDS), "--index", str(tmp_path / "ix"), "--procs", "1"])
    live = current_generation(tmp_path / "ix")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.jsonl").write_text('{"id": "a", "text": "نص"}\nnot json\n', "utf-8")
    result = runner.invoke(main, ["reindex", str(bad), "--index", str(tmp_path / "ix"), "--strict"])
    assert result.exit_code == 1
    assert "a.jsonl:2: JSON does not parse" in result.output
    assert "the live index is unchanged" in result.output
    assert "Traceback" not in result.output
    assert current_generation(tmp_path / "ix") == live


def test_reindex_if_unusable_builds_only_an_index_that_cannot_serve(tmp_path: Path) -> None:
    """`make serve` runs this: build when there is no index or it is of an older schema, else keep it."""
    runner = CliRunner()
    args = ["reindex", str(SEEDS), "--index", str(tmp_path), "--procs", "1", "--if-unusable"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "no index yet; building it" in first.output
    live = current_generation(tmp_path)
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert current_generation(tmp_path) == live
    meta = tmp_path / "generations" / live / "meta.json"
    meta.write_text(meta.read_text("utf-8").replace(f'"schema_version": {SCHEMA_VERSION}', '"schema_version": 1'))
    stale = runner.invoke(main, args)
    assert stale.exit_code == 0, stale.output
    assert f"built by schema version 1, this version reads {SCHEMA_VERSION}; building it" in stale.output
    assert current_generation(tmp_path) != live
    search = runner.invoke(main, ["search", "الصين", "--index", str(tmp_path)])
    assert search.exit_code == 0 and "paragraphs" in search.output


def test_reindex_of_a_missing_path_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["reindex", str(tmp_path / "nope"), "--index", str(tmp_path)])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_search_prints_top_results(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["reindex", str(SEEDS), "--index", str(tmp_path), "--procs", "1"])
    result = runner.invoke(main, ["search", "بيلوسوف", "--index", str(tmp_path), "--limit", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("6 paragraphs")
    assert lines[1].startswith(" 1. ") and "[أ ف ب 2024-10-14 ¶10]" in lines[1]
    assert "بيلوسوف" in lines[2]


def test_search_without_an_index_says_what_to_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["search", "الصين", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "run `fahras reindex" in result.output


@pytest.mark.parametrize("state", ["missing", "older schema"])
def test_unusable_index_is_logged_with_one_hint(tmp_path: Path, caplog, state: str) -> None:
    """The log line says once what to run, for this index folder (not the message's own hint and then
    the same again, nor a bare `fahras reindex` that would build the default folder)."""
    index = tmp_path / "index"
    if state == "older schema":
        runner = CliRunner()
        assert runner.invoke(main, ["reindex", str(SEEDS), "--index", str(index), "--procs", "1"]).exit_code == 0
        meta = index / "generations" / current_generation(index) / "meta.json"
        meta.write_text(meta.read_text("utf-8").replace(f'"schema_version": {SCHEMA_VERSION}', '"schema_version": 1'))
    CliRunner().invoke(main, ["search", "الصين", "--index", str(index)])
    logged = [r.getMessage() for r in caplog.records if "index unavailable" in r.getMessage()]
    assert logged and all(line.count(f"fahras reindex --index {index}") == 1 for line in logged)


def test_analyze_prints_original_normalized_stem() -> None:
    result = CliRunner().invoke(main, ["analyze", "وَسَّعَتْ الصينيةُ من"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "وَسَّعَتْ\tوسعت\tسعت\t0-9",
        "الصينيةُ\tالصينيه\tصين\t10-18",
        "من\tمن\t(stopword)\t19-21",
    ]


def test_flask_reindex_command_uses_the_app_index_dir(tmp_path: Path) -> None:
    from web import create_app

    app = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["reindex", str(SEEDS), "--procs", "1"])
    assert result.exit_code == 0, result.output
    assert "paragraphs   63" in result.output
    assert current_generation(tmp_path) is not None


def test_flask_reindex_command_embeds_with_semantic(tmp_path: Path) -> None:
    from web import create_app

    app = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["reindex", str(SEEDS), "--procs", "1", "--semantic"])
    assert result.exit_code == 0, result.output
    assert "semantic     63 embedded, 0 reused" in result.output
    assert app.test_client().get("/healthz").get_json()["semantic"] is True
