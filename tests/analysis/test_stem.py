"""Light stemmer rules beyond Lucene: attached pronouns, with the words that must not be cut."""

from __future__ import annotations

import pytest

from search.analysis.analyzer import analyze_word
from search.analysis.normalize import normalize
from search.analysis.stem import PROTECTED, lucene_stem, stem


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("محادثاتهما", "محادث"),  # هما, then ات
        ("كتابهم", "كتاب"),  # هم
        ("بيوتهن", "بيوت"),  # هن
        ("ايمانكم", "ايم"),  # كم, then ان as for ايمان
        ("كتابكن", "كتاب"),  # كن
        ("بلادنا", "بلاد"),  # نا
        ("مقالاته", "مقال"),  # ه, then ات: as مقالات and مقالاتها
        ("انتصاراته", "انتصار"),
        ("كتابه", "كتاب"),
        # counter-examples: too short to hold a pronoun, or Latin
        ("مهم", "مهم"),
        ("فهم", "فهم"),
        ("حكم", "حكم"),
        ("هنا", "هنا"),
        ("ذاته", "ذات"),  # too short for ات + ه
        ("شبه", "شب"),  # as before: Lucene's own ه
        ("المدينه", "مدين"),  # ة normalized to ه is not a pronoun: ين stays
        ("مكانه", "مكان"),  # nor is ه after ان
        ("English", "English"),
    ],
)
def test_pronoun_suffixes(word: str, expected: str) -> None:
    """Attached pronouns go only when at least three letters remain."""
    assert expected == stem(word)


@pytest.mark.parametrize("word", ["كتابهم", "بلادنا", "محادثاتهما"])
def test_lucene_stem_keeps_pronouns(word: str) -> None:
    """The conformance baseline does not know the pronoun suffixes."""
    assert lucene_stem(word) != stem(word)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("اسماؤه", "اسماء"),  # nominative: hamza on waw
        ("اسمائه", "اسماء"),  # genitive: hamza on yeh
        ("اسماءه", "اسماء"),  # accusative: bare hamza
        ("اسماء", "اسماء"),
        ("ابنائها", "ابناء"),
        ("رؤساؤهم", "رؤساء"),
        # counter-examples: a hamza seat inside the stem stays
        ("رئيس", "رئيس"),
        ("سئل", "سئل"),
        ("مسؤول", "مسؤول"),
    ],
)
def test_final_hamza_is_written_bare(word: str, expected: str) -> None:
    """A stem's final hamza is one letter whatever seat the case ending gave it."""
    assert expected == stem(word)


def test_lucene_stem_keeps_hamza_seat() -> None:
    """The conformance baseline keeps the seat."""
    assert lucene_stem("اسمائه") == "اسمائ"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("مكان", "مكان"),  # not مك, the stem of مكة's neighbours
        ("الأمان", "امان"),  # not ام "mother"
        ("الأمين", "امين"),
        ("بيان", "بيان"),
        ("سكان", "سكان"),
        ("عيون", "عيون"),
        # counter-examples: a dual or plural of a three-letter word still loses its ending
        ("يومان", "يوم"),
        ("الطرفان", "طرف"),
        ("المعلمين", "معلم"),
        ("المسلمون", "مسلم"),
        ("ساهدان", "ساهد"),  # Lucene's own case
    ],
)
def test_dual_and_plural_endings_leave_three_letters(word: str, expected: str) -> None:
    """ان ين ون go only when three letters remain: a four-letter word so ending is a word of its own."""
    assert expected == stem(normalize(word))


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["لبنان", "ولبنان", "اللبنانية", "اللبنانيون"], "لبنان"),  # not لبن "milk"
        (["البحرين", "بالبحرين", "البحريني", "البحرينية"], "بحرين"),  # not بحر "sea"
        (["فلسطين", "الفلسطينيين", "فلسطيني"], "فلسطين"),
        (["سلمان"], "سلمان"),  # not سلم "peace"
        (["جدة", "وجدة"], "جده"),  # not جد "grandfather"
        (["مكة", "ومكة"], "مكه"),
        (["عمان", "العماني"], "عمان"),
    ],
)
def test_protected_names_meet_their_adjectives(words: list[str], expected: str) -> None:
    """A name whose ending looks like a suffix stays whole, and its adjective meets it there."""
    assert [expected] * len(words) == [stem(normalize(w)) for w in words]


@pytest.mark.parametrize(
    ("word", "expected"), [("البحرية", "بحر"), ("السلمية", "سلم"), ("السلطة", "سلط")]
)
def test_words_the_names_were_cut_into_keep_their_stem(word: str, expected: str) -> None:
    """The words the names used to be cut into keep their own stem (the sea's adjective is not Bahrain's)."""
    assert expected == stem(normalize(word))


@pytest.mark.parametrize(
    ("accusative", "word"),
    [
        ("سكانا", "سكان"),  # سكانًا, its tanween stripped: the accusative's ا, not the pronoun نا
        ("مليونا", "مليون"),
        ("قانونا", "قانون"),
        ("مكانا", "مكان"),
        ("مبينا", "مبين"),  # مبينًا, يقينًا: a word ending ين takes it too
        ("يقينا", "يقين"),
    ],
)
def test_accusative_after_nun_meets_its_word(accusative: str, word: str) -> None:
    """A word ending ان, ون or ين keeps its ن when the accusative ا follows (سكانا was cut to سكا)."""
    assert stem(normalize(accusative)) == stem(normalize(word))


@pytest.mark.parametrize(("name", "other"), [("فيينا", "وفيات"), ("فيينا", "ألفي"), ("أثينا", "أثاث")])
def test_a_name_ending_ina_keeps_its_letters(name: str, other: str) -> None:
    """فيينا is no في + نا: cut to في it met وفيات and ألفي; أثينا had become اث."""
    assert len(stem(normalize(name))) == 4 and stem(normalize(name)) != stem(normalize(other))


@pytest.mark.parametrize(("word", "expected"), [("بلادنا", "بلاد"), ("كتابنا", "كتاب"), ("بيتنا", "بيت")])
def test_pronoun_na_still_goes(word: str, expected: str) -> None:
    """"our" still goes where the word before it does not end ان, ون or ين."""
    assert expected == stem(normalize(word))


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["السعودية", "سعودي", "السعوديين", "السعوديون", "سعوديات", "بالسعودية", "للسعودية"], "سعودي"),
        (["سعود", "وسعود", "بن سعود"], "سعود"),  # the name keeps its own stem
        (["مصري", "المصرية", "مصر"], "مصر"),  # counter-example: other adjectives still meet their noun
        (["العربية", "عربي", "العرب"], "عرب"),
    ],
)
def test_listed_adjectives_keep_their_yeh(words: list[str], expected: str) -> None:
    """سعودي keeps its ي (data/nisba_ar.txt), so السعودية no longer meets the name سعود."""
    assert [expected] * len(words) == [stem(normalize(w.split()[-1])) for w in words]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["دبي", "ودبي"], "دبي"),  # not دب "bear"
        (["أبها"], "ابها"),  # not اب "father"
        (["الظهران"], "ظهران"),
        (["سلطان", "السلطان"], "سلطان"),  # not سلط, the stem of السلطة
        (["زهران", "الزهراني"], "زهران"),  # a family name meets its nisba
        (["جيزان"], "جيزان"),  # not جيز, the stem of الجيزة
        (["الباحة"], "باحه"),  # not باح "revealed"
        (["كورونا"], "كورونا"),  # not كور, the stem of الكوري "Korean"
        (["ميلان"], "ميلان"),  # not ميل "mile"
        (["الفلبين", "الفلبينية"], "فلبين"),
    ],
)
def test_names_are_protected(words: list[str], expected: str) -> None:
    """Place, family and other names whose ending looks like a suffix stay whole."""
    assert [expected] * len(words) == [stem(normalize(w)) for w in words]


def test_protected_list_is_normalized_without_prefix() -> None:
    """The protected names are kept as stem() meets them: normalized, the article removed."""
    assert {"بحرين", "يونان", "جده", "مكه", "سلمان"} <= PROTECTED
    assert "البحرين" not in PROTECTED


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["وزارة", "الوزارة", "ووزارة", "والوزارة", "وزارات"], "وزار"),  # not زار "visited"
        (["وزير", "الوزير", "ووزير"], "وزير"),
        (["وكالة", "الوكالة"], "وكال"),
    ],
)
def test_root_waw_is_kept(words: list[str], expected: str) -> None:
    """A word whose initial و is a root letter keeps it, with or without the article or a conjunction."""
    assert [expected] * len(words) == [stem(normalize(w)) for w in words]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["وفقا", "وفقاً", "ووفقا", "وفق"], "وفق"),  # the accusative ا
        (["وزارته", "وزارتها"], "وزار"),  # ة before a pronoun, not زارت "she visited"
        (["وزرائها", "ووزرائها", "الوزراء"], "وزراء"),  # a final hamza on its seat
        (["وافق", "ووافق"], "وافق"),  # not افق "horizon"
        (["واشنطن", "وواشنطن"], "واشنطن"),
    ],
)
def test_root_waw_is_kept_in_every_form(words: list[str], expected: str) -> None:
    """The root و stays whatever ending or conjunction the word carries."""
    assert [expected] * len(words) == [stem(normalize(w)) for w in words]


@pytest.mark.parametrize(("word", "expected"), [("واليونان", "يونان"), ("والآن", "ان"), ("وإليه", "يه")])
def test_root_waw_stems_never_look_like_the_prefix(word: str, expected: str) -> None:
    """No listed stem starts like the prefix وال, so واليونان and والآن lose وال as before."""
    assert expected == stem(normalize(word))


@pytest.mark.parametrize(("word", "expected"), [("مكان", "مك"), ("بيان", "بي"), ("عيون", "عي"), ("حسين", "حس")])
def test_lucene_stem_keeps_lucene_suffix_lengths(word: str, expected: str) -> None:
    """The conformance baseline cuts ان ين ون down to two letters, as Lucene's ArabicStemmer does."""
    assert expected == lucene_stem(word)


@pytest.mark.parametrize(("word", "expected"), [("وقال", "قال"), ("وأكد", "اكد"), ("ومصر", "مصر"), ("زار", "زار")])
def test_conjunction_waw_still_goes(word: str, expected: str) -> None:
    """The conjunction و still goes from other words, and زار "visited" is its own stem."""
    assert expected == stem(normalize(word))


@pytest.mark.parametrize(
    ("words", "other"),
    [
        (["ألمانيا", "وألمانيا", "أَلْمانيا"], "مانيا"),  # not "mania"
        (["ألعاب", "الألعاب", "وألعاب", "بالألعاب"], "عاب"),  # not "shame"
        (["آلاف", "الآلاف", "وآلاف"], "اف"),
        (["ألبوم", "الألبوم"], "بوم"),  # not "owl"
    ],
)
def test_a_hamza_on_alef_before_lam_is_no_article(words: list[str], other: str) -> None:
    """The article is written with a bare alef: ألـ, إلـ, آلـ are the word's own letters, kept with or
    without the article, a conjunction or a preposition before them."""
    stems = {analyze_word(w)[1] for w in words}
    assert len(stems) == 1 and stems != {analyze_word(other)[1]}


def test_riyadh_is_not_sport() -> None:
    """الرياض (the city) has its own stem: الرياضة, الرياضي and الرياضية ("sport", "sports") do not meet it,
    nor does السوري ("Syrian") meet سور ("wall")."""
    city = analyze_word("الرياض")[1]
    assert city == analyze_word("بالرياض")[1]
    assert city not in {analyze_word(w)[1] for w in ("الرياضة", "الرياضي", "الرياضية", "رياضيين")}
    assert analyze_word("السوري")[1] != analyze_word("سور")[1]


def test_a_hamza_lam_word_keeps_three_letters() -> None:
    """آلات and الآلات ("machines") meet, and neither is cut to ال with آلة and إله."""
    stems = [analyze_word(w)[1] for w in ("آلات", "الآلات", "آلة", "إله")]
    assert stems[0] == stems[1] and all(len(s) >= 3 for s in stems)


@pytest.mark.parametrize("word", ["بآلية", "لآلية", "لآليات", "وبآلية", "كآلة"])
def test_a_hamza_lam_word_after_a_preposition_keeps_three_letters_of_its_own(word: str) -> None:
    """بآلية ("by a mechanism") is not بال ("mind"), nor لآليات لال: the letters after the preposition count."""
    stem = analyze_word(word)[1]
    assert stem is not None and len(stem.lstrip("وفبلك")) >= 3 and stem not in {"بال", "لال", "وبال", "كال"}
