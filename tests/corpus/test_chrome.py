"""Page chrome is told from content: every chrome line of the seeds, and content that must stay."""

from __future__ import annotations

import pytest

from search.corpus.chrome import chrome_reason, trim_chrome


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


def test_a_line_with_leading_spaces_is_judged_as_its_text() -> None:
    """SaudiNewsNet writes " ...المزيد" with a space before it."""
    assert chrome_reason(" ...المزيد") == "read-also"


@pytest.mark.parametrize(
    ("line", "content", "reason"),
    [  # SaudiNewsNet paragraphs, cut short
        ("شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك كرمت القيادة الرشيدة شهداء التفجير الإرهابي",
         "كرمت القيادة الرشيدة شهداء التفجير الإرهابي", "share"),
        ("ويحل أجل استحقاق عقد أغسطس يوم الثلاثاء القادم. رابط الخبر بصحيفة الوئام: النفط يتراجع نحو 1 %",
         "ويحل أجل استحقاق عقد أغسطس يوم الثلاثاء القادم.", "share"),
        ("هذا عيدُ حفيدتي. مقالات أخرى للكاتبيخرج من بكائه.. كالعيديدخلُ العيدُ كالبخور",
         "هذا عيدُ حفيدتي.", "read-also"),
        ("aaljamili@yahoo.comللتواصل مع الكاتب ارسل رسالة SMS تبدأ بالرمز (3) ثم مسافة ثم نص الرسالة إلى 88591",
         "aaljamili@yahoo.com", "contact"),
        ("الرئيس اليمني ومحافظ عدن ومحافظ أبين ومدير مطار عدن الدولي. // انتهى //",
         "الرئيس اليمني ومحافظ عدن ومحافظ أبين ومدير مطار عدن الدولي.", "end-mark"),
        ("رابط الخبر بصحيفة الوئام: طيران ناس تكرم طاقم طائرة", "", "share"),
        ("مقالات أخرى للكاتب الشعب الذي يئن جراحاًالمرشدة الطلابية", "", "read-also"),  # a line of titles
    ],
)
def test_chrome_glued_to_content_is_cut_off(line: str, content: str, reason: str) -> None:
    assert trim_chrome(line) == (content, reason)


@pytest.mark.parametrize(
    "line",
    [
        "وقال إن رابط الخبر الذي تداوله المغردون لا يعود إلى الصحيفة",
        "ودعا القراء للتواصل مع الكاتب عبر بريده الإلكتروني لإبداء آرائهم",
        "شارك من خلال مبادرته أكثر من ألف متطوع في حملة التشجير",
        "وانتهى الاجتماع // بعد ساعتين من النقاش",
        "وقد نشرت الصحيفة مقالات أخرى للكاتب نفسه في العام الماضي",  # a sentence, not the list of titles
        "شارك من خلال تويتر بحملة التوعية أكثر من ألف متطوع",  # no share bar without اكتب رأيك
        "وقال إن رابط الخبر على موقع الوزارة: لم يعد يعمل",
    ],
)
def test_content_that_only_resembles_glued_chrome_is_kept(line: str) -> None:
    assert trim_chrome(line) == (line, None)
