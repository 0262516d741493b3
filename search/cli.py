"""The operator's commands: ``fahras reindex``, ``fahras search``, ``fahras analyze``.

Thin click functions: validate arguments, call one library function, print a short report, and exit
non-zero with a message (never a traceback) on failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from tqdm import tqdm

from search import open_holder
from search.analysis.analyzer import analyze
from search.engine import search as run_search
from search.errors import SearchError
from search.index.generations import current_generation
from search.index.indexing import BuildSummary, build_index
from search.index.store import IndexHolder, open_generation
from search.query.request import parse_request
from search.rank.semantic import can_embed_passages as semantic_available
from search.sphinx import cluster as sphinx_cluster
from search.sphinx.cluster import BACKENDS, DEFAULT_CLUSTER
from search.sphinx.cluster import DEFAULT_FOLDER as DEFAULT_CLUSTER_DIR
from search.sphinx.indexing import build_sphinx_index

DEFAULT_INDEX = "var/index"
DEFAULT_CORPUS = "seeds"
MAX_PROBLEMS_SHOWN = 10


def format_summary(summary: BuildSummary) -> str:
    """Render a re-index summary on one screen."""
    report = summary.report
    dropped = ", ".join(f"{reason} {n}" for reason, n in sorted(report.dropped.items())) or "none"
    notices = ", ".join(f"{what} {n}" for what, n in sorted(report.notices.items())) or "none"
    lines = [
        f"generation   {summary.generation}",
        f"articles     {report.articles}",
        f"paragraphs   {report.paragraphs}",
        f"dropped      {sum(report.dropped.values())} lines ({dropped})",
        f"notices      {notices}",
        f"problems     {len(report.problems)}",
        *[f"  - {p}" for p in report.problems[:MAX_PROBLEMS_SHOWN]],
    ]
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"  ... and {len(report.problems) - MAX_PROBLEMS_SHOWN} more")
    semantic = summary.semantic
    if semantic:
        embedded = semantic["paragraphs"] - semantic["reused"]
        rate = f", {embedded / semantic['seconds']:.0f} paragraphs/s" if embedded and semantic["seconds"] else ""
        lines.append(f"semantic     {embedded} embedded, {semantic['reused']} reused "
                     f"(embedding {semantic['seconds']:.1f} s{rate})")
    else:
        lines.append("semantic     none (questions ranked by their words only: --no-semantic)")
    lines += [
        f"seconds      {summary.seconds:.1f}",
        f"paragraphs/s {summary.paragraphs_per_second:.0f}",
        f"index size   {summary.size_bytes / 1e6:.1f} MB",
    ]
    return "\n".join(lines)


def run_reindex(paths: tuple[str, ...], index_dir: str, strict: bool, procs: int, semantic: bool | None = None,
                backend: str = "whoosh", cluster_file: str = DEFAULT_CLUSTER) -> None:
    """Re-index (into the index folder, or the cluster's free slot) with progress bars and print the summary;
    click-friendly errors. ``semantic`` None: embed wherever the model loads (say so where it does not)."""
    corpus = paths or (DEFAULT_CORPUS,)
    if semantic is None:
        semantic = semantic_available()
        if not semantic:
            click.echo("the embedding model cannot be loaded here, so questions will be ranked by their words only "
                       "(--no-semantic says so and skips this notice)", err=True)
    with (
        tqdm(desc="indexing", unit=" articles", disable=None, file=sys.stderr) as bar,
        tqdm(desc="embedding", unit=" paragraphs", disable=None if semantic else True, file=sys.stderr,
             total=0) as embed_bar,
    ):
        def embedded(done: int, total: int) -> None:
            """Move the embedding bar: paragraphs/s and the time left come from its total."""
            if embed_bar.total != total:
                embed_bar.reset(total=total)
            embed_bar.update(done - embed_bar.n)

        try:
            if backend == "sphinx":
                cluster = sphinx_cluster.load_cluster(cluster_file)
                summary = build_sphinx_index(corpus, index_dir, cluster, strict, bar.update, semantic, embedded)
            else:
                summary = build_index(corpus, index_dir, strict, bar.update, procs, semantic, embedded)
        except SearchError as exc:
            raise click.ClickException(f"{exc.message}; the live index is unchanged") from None
        except OSError as exc:
            raise click.ClickException(f"{exc}; the live index is unchanged") from None
    click.echo(format_summary(summary))
    if summary.slot is not None:
        click.echo(f"backend      sphinx, slot {summary.slot} on {len(cluster.shards)} shards")


index_option = click.option(
    "--index",
    "index_dir",
    envvar="FAHRAS_INDEX_DIR",
    default=DEFAULT_INDEX,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Index directory (env FAHRAS_INDEX_DIR).",
)


backend_option = click.option(
    "--backend", type=click.Choice(BACKENDS), envvar="FAHRAS_BACKEND", default="whoosh", show_default=True,
    help="The engine holding the index: the embedded Whoosh index, or a Sphinx cluster (env FAHRAS_BACKEND).",
)
cluster_option = click.option(
    "--cluster", "cluster_file", envvar="FAHRAS_SPHINX", default=DEFAULT_CLUSTER, show_default=True,
    type=click.Path(dir_okay=False), help="The Sphinx cluster's file: its head and shards (env FAHRAS_SPHINX).",
)


semantic_option = click.option(
    "--semantic/--no-semantic", default=None,
    help="Also embed each paragraph to re-rank questions by meaning (the default wherever the model loads; "
         "--semantic fails where it does not). About 7 ms a paragraph on 2 cores; unchanged paragraphs reuse "
         "the live generation's vectors. --no-semantic: words only.",
)


@click.group()
def main() -> None:
    """Fahras: Arabic full-text search over a paragraph index."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@index_option
@click.option("--strict", is_flag=True, help="Fail if any input problem is reported.")
@click.option("--procs", type=click.IntRange(1, 16), default=min(2, os.cpu_count() or 1), show_default=True,
              help="Writer processes.")
@click.option("--if-unusable", is_flag=True,
              help="Only build when no live generation this version can read exists (none yet, or an older schema).")
@semantic_option
@backend_option
@cluster_option
def reindex(paths: tuple[str, ...], index_dir: str, strict: bool, procs: int, if_unusable: bool,
            semantic: bool | None, backend: str, cluster_file: str) -> None:
    """Build a new index generation from PATHS (default: seeds/) and make it live."""
    if backend == "sphinx":
        if if_unusable:
            raise click.ClickException("--if-unusable is for the Whoosh backend")
        run_reindex(paths, index_dir, strict, procs, semantic, backend, cluster_file)
        return
    if if_unusable:
        reason = unusable_reason(index_dir)
        if reason is None:
            click.echo(f"{index_dir}: the live generation is readable; nothing to do")
            if semantic is not False and not has_vectors(index_dir):  # maybe the operator's corpus: never replaced
                click.echo(f"{index_dir}: it has no semantic vectors, so questions are ranked by their words; "
                           "`fahras reindex PATH ...` adds them", err=True)
            return
        click.echo(f"{index_dir}: {reason}; building it", err=True)
    run_reindex(paths, index_dir, strict, procs, semantic)


def unusable_reason(index_dir: str) -> str | None:
    """Return why the index cannot serve searches (no live generation, an older schema), or None."""
    live = current_generation(Path(index_dir))
    if live is None:
        return "no index yet"
    try:
        open_generation(Path(index_dir), live).close()
    except SearchError as exc:
        return exc.message.split(": run `")[0]  # the advice to re-index is what follows
    return None


def has_vectors(index_dir: str) -> bool:
    """Return True when the live generation holds semantic vectors this version can use."""
    generation = IndexHolder(Path(index_dir)).get()
    try:
        return generation.vectors is not None
    finally:
        generation.close()


@main.command("search")
@click.argument("query")
@index_option
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@backend_option
@cluster_option
def search_command(query: str, index_dir: str, limit: int, backend: str, cluster_file: str) -> None:
    """Print the top results for QUERY: title, source, date, paragraph."""
    try:
        generation = open_holder(backend, index_dir, cluster_file).get()
        result = run_search(generation, parse_request({"q": query, "per_page": str(limit)}))
    except SearchError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{result.total} paragraphs ({result.took_ms} ms){' [relaxed to any word]' if result.relaxed else ''}")
    if result.suggestion:
        click.echo(f"did you mean: {result.suggestion}")
    for rank, hit in enumerate(result.hits, 1):
        click.echo(f"{rank:>2}. {hit['title']}  [{hit['source'] or '-'} {hit['date'] or '-'} ¶{hit['paragraph']}]")
        click.echo(f"    {hit['text'][:200]}")


@main.command("analyze")
@click.argument("text")
def analyze_command(text: str) -> None:
    """Print each token of TEXT: original, normalized, stem."""
    for token in analyze(text):
        stem = token["stem"] if token["stem"] is not None else "(stopword)"
        click.echo(f"{token['original']}\t{token['normalized']}\t{stem}\t{token['start']}-{token['end']}")


@main.group()
def cluster() -> None:
    """A local Sphinx cluster on loopback: N shard searchd processes and a head, for development and tests."""


@cluster.command("up")
@click.option("--shards", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--dir", "folder", default=DEFAULT_CLUSTER_DIR, show_default=True, type=click.Path(file_okay=False),
              help="The cluster's folder: each shard's config and data, the head's, and cluster.json.")
@click.option("--port", type=click.IntRange(1024, 65000), default=sphinx_cluster.DEFAULT_BASE_PORT, show_default=True,
              help="The head's SphinxQL port; the head's API and the shards' ports follow it.")
def cluster_up(shards: int, folder: str, port: int) -> None:
    """Start (creating it if new) a local cluster of SHARDS shards and print its members."""
    try:
        started = sphinx_cluster.up(folder, shards, port)
    except SearchError as exc:
        raise click.ClickException(exc.message) from None
    for member in sphinx_cluster.status(started):
        click.echo(f"{member['name']:<8} {member['address']:<18} {'up' if member['up'] else 'DOWN'}")
    click.echo(f"cluster file {Path(folder) / sphinx_cluster.CLUSTER_FILE} (FAHRAS_SPHINX)")


@cluster.command("down")
@click.option("--dir", "folder", default=DEFAULT_CLUSTER_DIR, show_default=True, type=click.Path(file_okay=False))
@click.option("--purge", is_flag=True, help="Also remove the cluster's folder (its configs and data).")
def cluster_down(folder: str, purge: bool) -> None:
    """Stop a local cluster's searchd processes."""
    stopped = sphinx_cluster.down(folder, purge)
    click.echo(f"stopped {stopped} searchd process(es){' and removed ' + folder if purge else ''}")


@cluster.command("status")
@cluster_option
def cluster_status(cluster_file: str) -> None:
    """Print each member of a cluster and whether it answers; exit 1 if one does not."""
    try:
        members = sphinx_cluster.status(sphinx_cluster.load_cluster(cluster_file))
    except SearchError as exc:
        raise click.ClickException(exc.message) from None
    for member in members:
        click.echo(f"{member['name']:<8} {member['address']:<18} {'up' if member['up'] else 'DOWN'}")
    if not all(m["up"] for m in members):
        sys.exit(1)
