"""Word lists shipped in ``search/data``: one entry a line, ``#`` comments, normalized when read."""

from __future__ import annotations

from importlib import resources

from search.analysis.normalize import normalize


def read_word_list(name: str, normalized: bool = True) -> list[str]:
    """Return the entries of ``search/data/<name>``, normalized or as written (blank lines and comments skipped)."""
    text = resources.files("search").joinpath("data", name).read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    entries = [line for line in lines if line and not line.startswith("#")]
    return [word for line in entries if (word := normalize(line))] if normalized else entries
