"""Posting lists as numpy arrays: written beside each segment at build time, memory-mapped at query time.

Whoosh keeps a term's postings in pickled, compressed blocks that Python decodes one at a time, and
positions as one pickle per posting. Counting facets, scoring in bulk and matching phrases need whole
posting lists, so the writer also saves, per segment and field, every term's lists as flat arrays
(``postings-1/<segment>.<field>.<array>.npy``):

- ``keys``: the terms' 64-bit hashes, sorted (a term's row is found with ``searchsorted``);
- ``starts`` / ``docs`` / ``freqs``: the row's documents (segment docnums, ascending) and term frequencies;
- ``lengths``: each document's length in the field, as the codec stores it (BM25 reads them);
- ``pstarts`` / ``positions``: for phrase fields, each row's positions, posting after posting (a
  posting's count is its frequency).

The arrays hold the same postings as the segment (tests compare them term by term); a segment
without them (an index from before, or a field the writer could not save) is read through Whoosh.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

log = logging.getLogger("fahras")

#: The arrays' folder in a generation; its name changes with their format (an older one is ignored).
FOLDER = "postings-1"
#: Fields saved as arrays (what queries count, score and match phrases on).
FIELDS = ("text", "exact", "title")
#: Fields whose positions are saved too (phrases run on exact words, proximity on stems).
POSITION_FIELDS = ("text", "exact")


def term_key(tbytes: bytes) -> int:
    """Return a term's 64-bit key (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(tbytes, digest_size=8).digest(), "little")


def _path(folder: Path, segment: str, fieldname: str, array: str) -> Path:
    """Return the file of one array of one segment's field."""
    return folder / f"{segment}.{fieldname}.{array}.npy"


def write_field(
    folder: Path,
    segment: str,
    fieldname: str,
    terms: dict[bytes, list],
    boost: float,
    positions: Callable[[list[bytes]], list[Sequence[int]]] | None,
) -> bool:
    """Save one field's postings of a segment; False (nothing written) if two terms share a key.

    :param terms: flat postings by term bytes, as the writer pools them (docnum, weight, value, ...).
    :param boost: the field boost (a posting's weight is its frequency times it).
    :param positions: turns postings' stored values into their positions (None: positions are not saved).
    """
    keyed = sorted((term_key(t), t) for t in terms)
    keys = np.fromiter((k for k, _ in keyed), dtype=np.uint64, count=len(keyed))
    if len(keys) > 1 and (keys[1:] == keys[:-1]).any():
        log.warning("two terms of %s share a key: its postings are read through Whoosh", fieldname)
        return False
    counts = np.fromiter((len(terms[t]) // 3 for _, t in keyed), dtype=np.int64, count=len(keyed))
    docs: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    for _, t in keyed:
        flat = terms[t]
        docs += flat[0::3]
        weights += flat[1::3]
        if positions is not None:
            values += flat[2::3]
    arrays = {
        "keys": keys,
        "starts": np.concatenate(([0], np.cumsum(counts))),
        "docs": np.array(docs, dtype=np.int32),
        "freqs": np.rint(np.array(weights) / boost).astype(np.int64),
    }
    if positions is not None:
        per_posting = np.concatenate(([0], np.cumsum(arrays["freqs"])))
        arrays["pstarts"] = per_posting[arrays["starts"]]
        flat = chain.from_iterable(positions(values))
        arrays["positions"] = np.fromiter(flat, dtype=np.int64, count=int(per_posting[-1]))
    for name in ("freqs", "positions"):  # the smallest type that holds them: most are tiny numbers
        if name in arrays:
            arrays[name] = _narrow(arrays[name])
    folder.mkdir(exist_ok=True)
    for name, array in arrays.items():
        np.save(_path(folder, segment, fieldname, name), array)
    return True


def _narrow(array: np.ndarray) -> np.ndarray:
    """Return the array in the narrowest unsigned type holding its values (it is read back as such)."""
    top = int(array.max()) if len(array) else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return array.astype(dtype)
    return array


@dataclass(frozen=True)
class FieldPostings:
    """One segment's posting arrays for one field (memory-mapped, read-only)."""

    keys: np.ndarray
    starts: np.ndarray
    docs: np.ndarray
    freqs: np.ndarray
    pstarts: np.ndarray | None = None
    positions: np.ndarray | None = None

    def row(self, text: str) -> int | None:
        """Return the row of a term, or None if the segment does not hold it."""
        key = np.uint64(term_key(text.encode("utf-8")))
        at = int(np.searchsorted(self.keys, key))
        return at if at < len(self.keys) and self.keys[at] == key else None

    def count(self, row: int) -> int:
        """Return how many documents a row holds."""
        return int(self.starts[row + 1] - self.starts[row])

    def postings(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Return a row's segment docnums and term frequencies."""
        start, end = self.starts[row], self.starts[row + 1]
        return self.docs[start:end], self.freqs[start:end]

    def holding(self, row: int, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return, for sorted segment docnums, whether the row holds each and its posting index there."""
        held = self.docs[self.starts[row] : self.starts[row + 1]]
        at = np.searchsorted(held, docs)
        found = at < len(held)
        found[found] = held[at[found]] == docs[found]
        return found, at

    def _spans(self, row: int, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return where the positions of a row's postings ``at`` start in ``positions``, and how many."""
        freqs = self.freqs[self.starts[row] : self.starts[row + 1]].astype(np.int64)
        before = np.concatenate(([0], np.cumsum(freqs)))  # positions of the row's earlier postings
        return int(self.pstarts[row]) + before[at], freqs[at]

    def position_keys(self, row: int, shift: int, docs: np.ndarray) -> np.ndarray:
        """Return ``(docnum << 32) + position - shift`` for every position of a row in the given sorted
        docnums (all held by the row), ascending; only those postings' positions are read."""
        _, at = self.holding(row, docs)
        first, counts = self._spans(row, at)
        total = int(counts.sum())
        # the positions of each posting, posting after posting: a run of indices from each start
        runs = np.repeat(first - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(total)
        return (np.repeat(docs.astype(np.int64), counts) << 32) + (self.positions[runs].astype(np.int64) - shift)

    def positions_at(self, row: int, docs: np.ndarray) -> list[np.ndarray]:
        """Return a row's positions in each of the given segment docnums (empty where it is absent)."""
        found, at = self.holding(row, docs)
        first, counts = self._spans(row, np.minimum(at, self.count(row) - 1))
        empty = np.zeros(0, dtype=np.int64)
        return [
            self.positions[start : start + count].astype(np.int64) if ok else empty
            for start, count, ok in zip(first.tolist(), counts.tolist(), found.tolist(), strict=True)
        ]


def write_lengths(folder: Path, segment: str, fieldname: str, lengths: list[int]) -> None:
    """Save each document's length in a field of a segment, as the codec stores it (for BM25)."""
    folder.mkdir(exist_ok=True)
    np.save(_path(folder, segment, fieldname, "lengths"), _narrow(np.array(lengths, dtype=np.int64)))


def load_lengths(folder: Path, segment: str, fieldname: str) -> np.ndarray | None:
    """Return a segment's document lengths in a field, or None if they were not saved."""
    path = _path(folder, segment, fieldname, "lengths")
    return np.load(path) if path.exists() else None


def load_field(folder: Path, segment: str, fieldname: str) -> FieldPostings | None:
    """Map one segment's field arrays, or None if the segment has none."""
    names = ("keys", "starts", "docs", "freqs") + (("pstarts", "positions") if fieldname in POSITION_FIELDS else ())
    paths = [_path(folder, segment, fieldname, name) for name in names]
    if not all(p.exists() for p in paths):
        return None
    return FieldPostings(*(np.load(p, mmap_mode="r") for p in paths))
