"""Page chrome is told from content: every chrome line of the seeds, and content that must stay."""

from __future__ import annotations

import pytest

from search.chrome import chrome_reason


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("جميع حقوق النشر محفوظة لصالح مركز أبحاث مينا.", "copyright"),
        ("© 2025 جلوب تايم لاين. جميع الحقوق محفوظة.", "copyright"),
        ("Smiley face", "navigation"),
        ("حالة الطقس\u00a0 \u00a0\u00a0 \u00a0أسواق عالمية", "navigation"),
        ("Next Previous", "navigation"),
        ("88591 - Stc", "navigation"),
        ("شاركها.", "share"),
        ("اقرأ أيضاً:", "read-also"),
        ("...المزيد", "read-also"),
        ("(أ ف ب)", "credit"),
        ("***", "no-words"),
        (".", "no-words"),
    ],
)
def test_chrome_lines_are_dropped_with_their_reason(line: str, reason: str) -> None:
    assert chrome_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "الشراكة والقضايا الإقليمية على طاولة مباحثات بوتين وشي",  # a headline
        "دبي -الشرق",  # a dateline
        "توتر متصاعد",  # a subheading
        "التجارة والتدريبات العسكرية",
        "وقال الكرملين في بيان إن حقوق الإنسان محفوظة في الدستور وفق ما جاء في نص البيان الرسمي الصادر اليوم",
        "COVID-19 في السعودية",
        "عين اليوم – متابعات",
    ],
)
def test_content_lines_are_kept(line: str) -> None:
    assert chrome_reason(line) is None
