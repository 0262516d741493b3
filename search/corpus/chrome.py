"""Scraped page chrome: rules that tell a navigation, share, copyright or "read also" line from content.

Each rule looks at one short line (content paragraphs are long, so a line over MAX_CHROME_WORDS words is
never chrome) and returns the reason it is dropped, which the re-index summary counts. Some pages glue
chrome to a content paragraph (a share bar before the first one, a link to the article or the writer's
other articles after the last): :func:`trim_chrome` cuts it off and keeps the content.
"""

from __future__ import annotations

import re

from search.analysis.normalize import normalize

MAX_CHROME_WORDS = 12
_WORD = re.compile(r"[^\W_]", re.UNICODE)
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_WIDE_GAP = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]{2,}")
_CREDIT = re.compile(r"^\(\s*[^()]{1,24}\s*\)$")
# Patterns over the normalized line (alef and teh marbuta folded, diacritics gone).
_COPYRIGHT = re.compile(r"©|حقوق .{0,20}محفوظه|all rights reserved|copyright", re.IGNORECASE)
_SHARE = re.compile(
    r"^(شارك|شاركها|شاركه|شاركي|انشر|share|تابعونا|تابعنا)\b|"
    r"^((فيسبوك|فيس بوك|تويتر|واتساب|واتس اب|تلغرام|انستغرام|لينكد ان|facebook|twitter|whatsapp)[\s،,|/-]*)+$",
    re.IGNORECASE,
)
_READ_ALSO = re.compile(r"^(\.{2,}|…)?\s*(اقرا ايضا|اقرا المزيد|المزيد|للمزيد|شاهد ايضا|اقرا كذلك)\s*[:.…]*$")


# Chrome glued to content, over the raw line (the content kept is printed as it was): a share bar before
# it (okaz), and after it a link to the article (رابط الخبر بصحيفة الوئام: <title>), the writer's other
# articles (مقالات أخرى للكاتب<titles>), how to write to the writer (للتواصل مع الكاتب ارسل رسالة SMS ...)
# or a news agency's end mark (// انتهى //).
_GLUED_BEFORE = re.compile(
    r"^شارك من خلال(?:\s+(?:تويتر|فيسبوك|فيس بوك|جوجل بلس|واتساب|لينكد ان|تيليجرام))+\s+اكتب ر[أا]يك\s*"
)
# The writer's other articles follow as titles glued to the heading (مقالات أخرى للكاتببين العامي ...), so
# inside a line the heading is cut only when no space follows it: "مقالات أخرى للكاتب نفسه" in a sentence
# stays; a line that starts with it is the list.
_GLUED_AFTER = re.compile(
    r"\s*(?:(?P<share>رابط الخبر بصحيفة [^:]{1,40}:.*)"
    r"|(?P<read_also>^مقالات [أا]خرى للكاتب.*|مقالات [أا]خرى للكاتب(?:\S.*)?)"
    r"|(?P<contact>للتواصل مع الكاتب\s+[أا]رسل.*)|(?P<end_mark>//\s*انتهى\s*//))$"
)


def trim_chrome(line: str) -> tuple[str, str | None]:
    """Return the line without the chrome glued before or after its content, and why it was cut (or None).

    >>> trim_chrome("ويحل أجل العقد يوم الثلاثاء. رابط الخبر بصحيفة الوئام: النفط يتراجع")
    ('ويحل أجل العقد يوم الثلاثاء.', 'share')
    >>> trim_chrome("شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك أكد نائب خادم الحرمين")
    ('أكد نائب خادم الحرمين', 'share')
    >>> trim_chrome("وصل بيلوسوف إلى بكين"), trim_chrome("ومدير مطار عدن. // انتهى //")
    (('وصل بيلوسوف إلى بكين', None), ('ومدير مطار عدن.', 'end-mark'))
    """
    reason = None
    if before := _GLUED_BEFORE.match(line):
        line, reason = line[before.end() :], "share"
    if after := _GLUED_AFTER.search(line):
        line, reason = line[: after.start()], after.lastgroup.replace("_", "-")
    return line, reason


def chrome_reason(line: str) -> str | None:
    """Return why a line is page chrome ("navigation", "share", ...), or None for content.

    >>> chrome_reason("اقرأ أيضاً:"), chrome_reason("وصل بيلوسوف إلى بكين")
    ('read-also', None)
    """
    line = line.strip()
    words = line.split()
    if not _WORD.search(line):
        return "no-words"
    if len(words) > MAX_CHROME_WORDS:
        return None
    folded = normalize(line)
    if _COPYRIGHT.search(folded):
        return "copyright"
    if len(words) <= 6 and _SHARE.search(folded):
        return "share"
    if len(words) <= 4 and _READ_ALSO.search(folded):
        return "read-also"
    segments = [s for s in _WIDE_GAP.split(line.strip()) if s]
    if len(segments) >= 2 and all(len(s.split()) <= 3 for s in segments):
        return "navigation"
    if len(words) <= 4 and not _ARABIC_LETTER.search(folded):
        return "navigation"
    if len(words) <= 4 and _CREDIT.match(line.strip()):
        return "credit"
    return None
