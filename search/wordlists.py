"""Word lists shipped in ``search/data``: one entry a line, ``#`` comments, normalized when read."""

from __future__ import annotations

from importlib import resources

from search.normalize import normalize


def read_word_list(name: str) -> list[str]:
    """Return the normalized entries of ``search/data/<name>`` (blank lines and comments skipped)."""
    text = resources.files("search").joinpath("data", name).read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return [word for line in lines if line and not line.startswith("#") and (word := normalize(line))]
