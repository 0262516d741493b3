"""Normalization features of issue 2, one table row each, whole expected values."""

from __future__ import annotations

import pytest

from search.analysis.normalize import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الْعَرَبِيَّةُ", "العربيه"),  # harakat and shadda
        ("كتابٌ ولداً", "كتاب ولدا"),  # tanween
        ("ءٓا\u0654ب\u0655\u065f", "ءاب"),  # U+0653..U+065F
        ("رحمٰن", "رحمن"),  # superscript alef U+0670
        ("روبرـــــت", "روبرت"),  # tatweel
        ("آجن أحمد إعاذ ٱلله", "اجن احمد اعاذ الله"),  # alef variants
        ("بنى", "بني"),  # alef maksura
        ("فاطمة", "فاطمه"),  # teh marbuta
        ("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹", "0123456789 0123456789"),  # Arabic-Indic and Extended digits
        ("Tecno NATO", "tecno nato"),  # Latin lowercased
        ("\ufefb \ufef5 \ufe8d\ufedf", "لا لا ال"),  # presentation forms and لا ligatures (NFKC)
        ("مر\u200cحبا \u200fنص\u202b\u2067", "مرحبا نص"),  # ZWNJ, RLM, bidi controls
        ("مسؤول رئيس", "مسؤول رئيس"),  # hamza on waw and yeh kept
        ("الپاراسیتامول کتاب", "الباراسيتامول كتاب"),  # Persian-keyboard yeh and keheh, peh
        ("ڤيينا إنگلاند چين ژاك ڨالمة", "فيينا انجلاند جين زاك قالمه"),  # foreign-sound letters
        ("زندگی خانہ ۃ ە ھ خانۀ", "زندجي خانه ه ه ه خانه"),  # Persian and Urdu forms of yeh and heh
        ("ڭناوة", "جناوه"),  # Maghrebi g
    ],
)
def test_normalize(text: str, expected: str) -> None:
    """Each step of normalize() gives the whole expected string."""
    assert expected == normalize(text)
