"""Scraped page chrome: rules that tell a navigation, share, copyright or "read also" line from content.

Each rule looks at one short line (content paragraphs are long, so a line over MAX_CHROME_WORDS words is
never chrome) and returns the reason it is dropped, which the re-index summary counts.
"""

from __future__ import annotations

import re

from search.normalize import normalize

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


def chrome_reason(line: str) -> str | None:
    """Return why a line is page chrome ("navigation", "share", ...), or None for content.

    >>> chrome_reason("اقرأ أيضاً:"), chrome_reason("وصل بيلوسوف إلى بكين")
    ('read-also', None)
    """
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
