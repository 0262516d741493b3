"""``flask --app web reindex``: the same re-index as ``fahras reindex``, into the app's index dir."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from search.cli import run_reindex, semantic_option


@click.command("reindex")
@with_appcontext
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--strict", is_flag=True, help="Fail if any input problem is reported.")
@click.option("--procs", type=click.IntRange(1, 16), default=2, show_default=True, help="Writer processes.")
@semantic_option
def reindex_command(paths: tuple[str, ...], strict: bool, procs: int, semantic: bool | None) -> None:
    """Build a new index generation from PATHS (default: seeds/) into INDEX_DIR and make it live."""
    run_reindex(paths, str(current_app.config["INDEX_DIR"]), strict, procs, semantic)


def init_app(app: Flask) -> None:
    """Register the management commands."""
    app.cli.add_command(reindex_command)
