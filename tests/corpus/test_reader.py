"""Reading corpora: the seeds (paragraphs, chrome, titles, metadata), JSON formats, bad input, SaudiNewsNet."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from search.corpus.reader import ReadReport, derive_title, read_corpus
from search.errors import CorpusError
from tests.conftest import SEEDS


def read(paths: list) -> tuple[list, ReadReport]:
    """Read articles and return them with the report."""
    report = ReadReport()
    return list(read_corpus(paths, report)), report


def test_seeds_paragraphs_metadata_and_dropped_chrome() -> None:
    articles, report = read([SEEDS])
    assert [(a.id, a.source, a.date, len(a.paragraphs)) for a in articles] == [
        ("000_75be7a96948e7c41", "إن تي في", "2024-10-14", 13),
        ("001_72b934558a7706ca", "مركز أبحاث مينا", "2024-05-16", 9),
        ("002_c93044917d9fff3c", "جلوب تايم لاين", "2024-05-16", 7),
        ("003_556d3c13a662a267", "أ ف ب", "2024-10-14", 16),
        ("004_f0911db09156c083", "الشرق", "2021-12-15", 18),
    ]
    assert report.articles == 5
    assert report.paragraphs == 63
    assert report.dropped == Counter(
        {"copyright": 2, "navigation": 2, "share": 1, "credit": 1, "duplicate": 1, "read-also": 1}
    )
    assert report.problems == []
    seed_002 = articles[2].paragraphs
    assert "Smiley face" not in seed_002 and "شاركها." not in seed_002
    assert not any("محفوظة" in p for a in articles for p in a.paragraphs)
    assert articles[4].paragraphs[-1].startswith("وعقد الرئيسان")  # "اقرأ أيضاً:" dropped


def test_seed_titles_headline_or_first_words() -> None:
    articles, _ = read([SEEDS])
    assert articles[4].title == "الشراكة والقضايا الإقليمية على طاولة مباحثات بوتين وشي"
    assert articles[0].title == (
        "منذ بداية الحرب الروسية الأوكرانية، وسّعت موسكو وبكين علاقاتهما من خلال التعاون…"
    )


@pytest.mark.parametrize(
    ("paragraphs", "title"),
    [
        (["توتر متصاعد", "نص."], "توتر متصاعد"),
        (["جملة قصيرة تنتهي بنقطة.", "نص"], "جملة قصيرة تنتهي بنقطة."),
        ([], ""),
    ],
)
def test_derive_title(paragraphs: list[str], title: str) -> None:
    assert derive_title(paragraphs) == title


def test_json_jsonl_and_zip_with_field_aliases(tmp_path: Path) -> None:
    records = [
        {"id": "a1", "title": "عنوان", "source": "سبق", "date": "2024-01-02", "url": "https://x.test/1",
         "text": "الفقرة الأولى\nالفقرة الثانية"},
        {"source": "عكاظ", "date_extracted": "2015-07-21 02:51:32", "content": "سطر واحد فقط هنا"},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    (tmp_path / "b.json").write_text(json.dumps([{**records[0], "id": "b1"}], ensure_ascii=False), "utf-8")
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as archive:
        archive.writestr("day.json", json.dumps([{**records[1]}], ensure_ascii=False))
    articles, report = read([tmp_path])
    assert [(a.id, a.title, a.source, a.date, a.paragraphs) for a in articles] == [
        ("a1", "عنوان", "سبق", "2024-01-02", ["الفقرة الأولى", "الفقرة الثانية"]),
        ("a-00002", "سطر واحد فقط هنا", "عكاظ", "2015-07-21", ["سطر واحد فقط هنا"]),
        ("b1", "عنوان", "سبق", "2024-01-02", ["الفقرة الأولى", "الفقرة الثانية"]),
        ("day-00001", "سطر واحد فقط هنا", "عكاظ", "2015-07-21", ["سطر واحد فقط هنا"]),
    ]
    assert articles[0].url == "https://x.test/1"
    assert report.problems == []


def test_bad_input_is_reported_with_file_and_line_and_the_rest_is_read(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "ok1", "text": "نص سليم"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "empty", "text": "   "}),
        json.dumps({"id": "baddate", "date": "2024-13-45", "text": "تاريخ خاطئ"}, ensure_ascii=False),
    ]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines), "utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 \xe0 la carte".encode("latin-1"))
    articles, report = read([tmp_path])
    assert [(a.id, a.date) for a in articles] == [("ok1", ""), ("baddate", "")]
    assert report.problems == [
        f"{tmp_path / 'latin1.txt'}: not UTF-8 (byte 3)",
        f"{tmp_path / 'mixed.jsonl'}:2: JSON does not parse (Expecting property name enclosed in double quotes)",
        f"{tmp_path / 'mixed.jsonl'}:3: article has no text",
        f"{tmp_path / 'mixed.jsonl'}:4: malformed date '2024-13-45' (expected YYYY-MM-DD)",
    ]
    assert report.notices["missing source"] == 2


def test_duplicate_article_ids_are_reported_and_skipped(tmp_path: Path) -> None:
    line = json.dumps({"id": "same", "text": "نص"}, ensure_ascii=False)
    (tmp_path / "dup.jsonl").write_text(f"{line}\n{line}\n", "utf-8")
    articles, report = read([tmp_path])
    assert [a.id for a in articles] == ["same"]
    assert report.problems == [f"{tmp_path / 'dup.jsonl'}:2: duplicate article id 'same', skipped"]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file or folder"):
        read([tmp_path / "nope"])


def test_saudinewsnet_is_read_whole(shared: Path) -> None:
    articles, report = read([shared / "corpora" / "saudinewsnet"])
    sources = Counter(a.source for a in articles)
    assert report.articles == len(articles) == 30660
    # 354 empty contents, 16 articles of chrome only (a link to themselves), each reported
    assert len(report.problems) == 31030 - 30660
    assert all(p.endswith("article has no text") for p in report.problems)
    assert 163_000 < report.paragraphs < 165_000
    # chrome glued to content is cut off, the content kept
    assert report.dropped["share"] > 2000 and report.dropped["end-mark"] > 300 and report.dropped["contact"] > 200
    texts = [p for a in articles for p in a.paragraphs]
    assert not any("رابط الخبر بصحيفة الوئام" in p or p.startswith("شارك من خلال تويتر") for p in texts)
    assert not any("مقالات أخرى للكاتب" in p or p.endswith("// انتهى //") for p in texts)
    assert len(sources) == 14 and sources["alriyadh"] > 4700
    assert all(len(a.date) == 10 and a.date.startswith("2015-") for a in articles)
    assert len({a.id for a in articles}) == len(articles)
