"""Query-time expansion rules, on their own and through a real index and engine.search."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from search.analysis.analyzer import analyze_word
from search.analysis.normalize import normalize
from search.engine import search
from search.plan import Phrase, Term
from search.query.build import QueryPlan, build_query
from search.query.related import related_stems, root_key, root_keys
from search.query.request import parse_request
from search.query.spelling import drops_pattern_waw, k_variants, spelling_variants
from search.query.suggest import SPLIT_RATIO, split_glued
from search.query.variants import (
    DOMINANT_VARIANT,
    ESTABLISHED_MIN,
    GLUED_WEIGHT,
    SYNONYM_WEIGHT,
    UNKNOWN_WORD_VARIANT_WEIGHT,
    VARIANT_WEIGHT,
    expand_variants,
    expression_query,
    glued_forms,
    strip_proclitic,
    synonyms,
    waw_forms,
)
from search.rank.rerank import covered
from tests.helpers.corpus import opened_index, text_rows

ARTICLES = [
    ("russia", "زار الوفد روسيا الأسبوع الماضي في زيارة رسمية."),
    ("putin", "قال الرئيس بوتين إن المحادثات كانت مثمرة."),
    ("putin2", "كتب المراسل أن بوتن وصل متأخرا إلى القمة."),
    ("beijing", "عقد الاجتماع في بينغ يانغ وسط حضور كبير."),
    ("france", "أعلنت فرنسا عن خطة جديدة للطاقة."),
    ("house", "بيت قديم في وسط المدينة وكتب كثيرة."),
    ("feb", "صدر القرار في فبراير بعد مشاورات طويلة."),
    ("oct", "انطلقت الحملة في أكتوبر من العام الماضي."),
    ("oct_levant", "بدأ الموسم في تشرين الأول من العام الماضي."),
    ("nato", "اجتمع قادة الناتو في بروكسل لبحث الأمن."),
    ("place", "يقع المتحف قرب النهر في قلب العاصمة."),
    ("glued", "وصل الوفد لسويسرا عبر بحر الشمال."),
    ("swiss", "سويسرا دولة جبلية في وسط أوروبا."),
    ("alexander", "حكم الإسكندر الأكبر مقدونيا."),
    ("official", "قال مسؤول إن شؤون الموظفين تحسنت."),
    ("official_eg", "صرح مسئول آخر بأن الأمر انتهى."),
    ("persian_keyboard", "يعد الپاراسیتامول مسکنا للألم."),
    ("kingdom", "استقبلت المملكة البعثة صباحا."),
    ("kingdom_owned", "استقبلت المملكة الأراضي المملوكة."),
    ("owned", "الأراضي المملوكة للدولة واسعة."),
    ("facebook", "نشر الحساب صورة على فيسبوك أمس."),
    ("google", "أعلنت جوجل عن هاتف جديد."),
    ("kazan", "عقدت القمة في كازان الروسية."),
    ("book_only", "قرأ الطالب عن بوك في الحساب."),
    ("saud", "استقبل الأمير سعود السعيدي الوفد."),
    ("gas", "ارتفعت أسعار الغاز هذا الشهر."),
    ("trump", "قال دونالد ترامب إنه سيترشح للرئاسة."),
    ("trump2", "يجد ملايين الأمريكيين دونالد ترمب شخصية لا تقاوم."),
    ("netanyahu", "سعى نتانياهو إلى التهوين من المخاوف."),
]


@pytest.fixture(scope="module")
def generation(tmp_path_factory: pytest.TempPathFactory):
    """A real index of the small articles above."""
    rows = text_rows(ARTICLES)
    with opened_index(tmp_path_factory.mktemp("variants"), rows) as opened:
        yield opened


def searched(generation, q: str) -> list[str]:
    """Return the article ids a keyword (all-word) search finds, best first."""
    return [h["article_id"] for h in search(generation, parse_request({"q": q})).hits]


def found(generation, q: str) -> list[str]:
    """Return the article ids an any-word search finds, best first."""
    return [h["article_id"] for h in search(generation, parse_request({"q": q, "mode": "any"})).hits]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("بروسيا", ["روسيا"]),
        ("لروسيا", ["روسيا"]),
        ("وبالصين", ["الصين"]),
        ("فللشعب", ["لشعب", "للشعب"]),
        ("بيت", []),  # too short to lose a letter
        ("كتب", []),
    ],
)
def test_strip_proclitic(word: str, expected: list[str]) -> None:
    """Candidate remainders after a single-letter proclitic (the index decides which one counts)."""
    assert expected == strip_proclitic(word)


@pytest.mark.parametrize(
    ("word", "variant"),
    [("شئون", "شؤون"), ("مسؤول", "مسئول"), ("تساءل", "تسائل"), ("تساءل", "تساؤل"), ("تسائل", "تساءل")],
)
def test_hamza_seat_variants(word: str, variant: str) -> None:
    """An inner hamza is also tried on its other seats (Egyptian مسئول, Saudi مسؤول)."""
    assert variant in spelling_variants(word)


def test_bare_hamza_only_after_a_non_joining_letter() -> None:
    """No one writes مسءول: a bare ء is offered only after ا د ذ ر ز و (تساءل, رءوف)."""
    assert "مسءول" not in spelling_variants("مسئول")
    assert "شءون" not in spelling_variants("شئون")
    assert "رءوف" in spelling_variants("رؤوف")


def test_initial_hamza_seat_is_kept() -> None:
    """A word-initial ء is not moved onto a seat (no word starts with ؤ or ئ)."""
    assert [v for v in spelling_variants("ءامن") if v[0] != "ء"] == []


def test_hamza_spellings_find_each_other(generation) -> None:
    """مسئول finds both spellings, its own first; شئون, not indexed, finds شؤون."""
    assert found(generation, "مسئول")[:2] == ["official_eg", "official"]
    assert found(generation, "مسؤول")[:2] == ["official", "official_eg"]
    assert found(generation, "شئون") == ["official"]


def test_spelling_variants() -> None:
    """One g-letter swapped or one long vowel added or dropped."""
    assert {"بينغ", "بينق"} <= set(spelling_variants("بينج"))
    assert "بوتين" in spelling_variants("بوتن")
    assert spelling_variants("بيت") == []  # too short


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (("شباط",), (("فبراير",), ("فيفري",))),
        (("تشرين", "الاول"), (("اكتوبر",),)),
        (("اكتوبر",), (("تشرين", "الاول"),)),
        (("brics",), (("بريكس",),)),
        (("الناتو",), (("nato",), ("ناتو",), ("حلف", "شمال", "الاطلسي"))),
        (("بيت",), ()),
        (("توفي",), (("وفاه",), ("وفاته",))),  # an event's verb and its noun, both ways
        (("وفاه",), (("توفي",), ("وفاته",))),
        (("قتل",), (("مقتل",), ("مقتله",))),
        (("قتال",), ()),  # another noun of the root is not listed
    ],
)
def test_synonyms(expression: tuple[str, ...], expected: tuple) -> None:
    """The synonym file, normalized, both ways."""
    assert expected == synonyms(expression)


def test_root_key() -> None:
    """Imperfect prefixes and endings a light stem keeps share one key."""
    assert [root_key(w) for w in ("تقع", "يقع", "ولدت", "ولد")] == ["قع", "قع", "ولد", "ولد"]


@pytest.mark.parametrize(
    ("stems", "key"),
    [
        (("حدود", "يحد", "تحد"), "حد"),  # a doubled root: borders, it borders
        (("سقوط", "سقطت", "سقط"), "سقط"),  # a verbal noun and its verb
        (("شعوب", "شعب"), "شعب"),  # a broken plural and its singular
        (("اعراض", "عرض"), "عرض"),  # the plural pattern أفعال
    ],
)
def test_root_key_reads_the_fuul_pattern(stems: tuple[str, ...], key: str) -> None:
    """A four-letter stem with و third (فعول), or a plural أفعال, shares its root's key."""
    assert {root_key(s) for s in stems} == {key}


@pytest.mark.parametrize(
    ("stem", "key"), [("يقول", "قول"), ("كتاب", "كتاب"), ("مدرس", "مدرس"), ("اقليم", "قليم")]
)
def test_root_key_leaves_other_stems(stem: str, key: str) -> None:
    """A verb whose و follows its prefix, and stems of other shapes, are not read as فعول."""
    assert root_key(stem) == key


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("بروسيا", "russia"),  # proclitic stripped because روسيا is indexed
        ("فرنسا", "france"),  # not read as ف + رنسا
        ("بيت", "house"),
        ("شباط", "feb"),  # synonym
        ("تشرين الأول", "oct_levant"),  # the typed words first (the synonym alone: test_synonyms_in_all_word_mode)
        ("nato", "nato"),
        ("بينج", "beijing"),  # g written with غ in the index
        ("تقع", "place"),  # related inflection
    ],
)
def test_expansion_finds(generation, q: str, first: str) -> None:
    """Each expansion finds its paragraph first."""
    assert found(generation, q)[:1] == [first]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("تشرين الأول", ["oct_levant", "oct"]),  # two words, or their synonym alone (الأول not required)
        ("فيس بوك", ["facebook"]),  # the name written with a space finds it written without
        ("Google", ["google"]),  # a Latin name finds the Arabic spelling
        ("وGoogle", ["google"]),  # and so does the Latin name with و glued on
    ],
)
def test_synonyms_in_all_word_mode(generation, q: str, expected: list[str]) -> None:
    """Every word required: a word pair with a synonym is satisfied by the synonym alone."""
    result = search(generation, parse_request({"q": q, "mode": "all"}))
    assert [h["article_id"] for h in result.hits] == expected
    assert not result.relaxed  # found as asked, not by falling back to any word


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ترامب", ["trump", "trump2"]),  # an inner alef dropped: no spelling variant makes it, a synonym line does
        ("ترمب", ["trump", "trump2"]),
        ("نتنياهو", ["netanyahu"]),
        ("وترمب", ["trump", "trump2"]),  # with و or a preposition glued on, the word's synonyms still apply
        ("لترامب", ["trump", "trump2"]),
    ],
)
def test_names_listed_in_two_spellings_find_both(generation, q: str, expected: list[str]) -> None:
    assert sorted(found(generation, q)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ما هو فيس بوك", ["facebook"]),  # stopwords before the pair
        ("فيس بوك في الحساب", ["facebook"]),  # and after it
    ],
)
def test_pairs_are_read_as_one_among_stopwords(generation, q: str, expected: list[str]) -> None:
    """A stopword elsewhere in the query does not stop a pair from being read as one expression."""
    result = search(generation, parse_request({"q": q, "mode": "all"}))
    assert [h["article_id"] for h in result.hits] == expected and not result.relaxed


def test_a_stopword_between_two_words_keeps_them_apart(generation) -> None:
    """فيس في بوك is no spelling of فيسبوك: in all-word mode nothing has the three words."""
    assert search(generation, parse_request({"q": "فيس في بوك", "mode": "all"})).relaxed


def test_exact_mode_reads_no_other_spelling_of_a_pair(generation) -> None:
    """exact=1: فيس بوك is the two words as typed, not فيسبوك."""
    result = search(generation, parse_request({"q": "فيس بوك", "mode": "all", "exact": "1"}))
    assert "facebook" not in [h["article_id"] for h in result.hits]


def test_a_pair_matches_the_title_only_by_both_words(generation) -> None:
    """Any-word mode: the title stands in for the paragraph, for the pair as a whole: a title holding بوك
    alone (the article of book_only is titled by its first line) is not فيس بوك."""
    assert found(generation, "فيس بوك") == ["facebook"]


def test_a_pair_is_covered_only_by_both_words(generation) -> None:
    """Coverage re-ranking counts the pair's group only where both words (or an equivalent) stand."""
    plan = build_query(parse_request({"q": "فيس بوك", "mode": "all"}), expand=partial(expand_variants, generation))
    docs = list(range(generation.columns.doc_count))
    ids = [generation.stored(d)["article_id"] for d in docs]
    assert [ids[d] for d in sorted(covered(generation, plan.groups[0], docs))] == ["facebook"]


def test_listed_adjective_has_no_spelling_of_its_noun(generation) -> None:
    """السعودية keeps apart from سعود: no spelling variant brings the name back."""
    norm, stem = analyze_word("السعودية")
    plan = QueryPlan(None)
    expand_variants(generation, norm, stem, plan)
    assert "سعود" not in plan.stems


@pytest.fixture(scope="module")
def established(tmp_path_factory: pytest.TempPathFactory):
    """An index where محمد and مسؤول are established spellings (in ESTABLISHED_MIN paragraphs or more)."""
    rows = text_rows((f"m{i}", f"قال محمد إن المسؤول رقم {i} وصل.") for i in range(ESTABLISHED_MIN))
    rows += text_rows([
        ("mahmoud", "استقبل محمود الضيوف في القاعة."),
        ("egyptian", "صرح مسئول في الوزارة بأن الأمر انتهى."),
    ])
    with opened_index(tmp_path_factory.mktemp("established"), rows) as opened:
        yield opened


def test_an_established_word_has_no_long_vowel_variant(established) -> None:
    """محمد is in many paragraphs: محمود is another name, not its spelling; nor is محمد a spelling of the
    rare محمود (the و of the pattern مفعول is no transliteration's long vowel)."""
    hits = search(established, parse_request({"q": "محمد", "per_page": "50"})).hits
    assert len(hits) == ESTABLISHED_MIN and "mahmoud" not in [h["article_id"] for h in hits]
    assert found(established, "محمود") == ["mahmoud"]


def test_an_established_word_keeps_its_hamza_seats(established) -> None:
    """مسؤول is established and still finds the Egyptian spelling مسئول: a hamza seat is the same word."""
    hits = search(established, parse_request({"q": "مسؤول", "per_page": "50"})).hits
    assert "egyptian" in [h["article_id"] for h in hits]


def test_unknown_word_finds_its_k_spelling_not_a_stem_lookalike(generation) -> None:
    """قازان is not indexed: it finds كازان (a foreign k written ق), not الغاز "gas", which غازان (its g
    spelling, not a word of the index) only shares a stem with."""
    assert found(generation, "قازان") == ["kazan"]
    assert k_variants("قازان") == ["كازان"]
    assert k_variants("قلب") == []  # too short: between known words the swap is never tried anyway


def test_root_letters_survive(generation) -> None:
    """كتب keeps its ك: it finds exactly the two paragraphs holding كتب."""
    assert sorted(found(generation, "كتب")) == ["house", "putin2"]


def test_variant_never_outranks_exact(generation) -> None:
    """بوتن finds both spellings, its own exact spelling first; بوتين likewise."""
    assert found(generation, "بوتن")[:2] == ["putin2", "putin"]
    assert found(generation, "بوتين")[:2] == ["putin", "putin2"]


def test_a_variant_adds_nothing_beside_the_word(generation) -> None:
    """المملكة also finds المملوكة, lightly; a paragraph holding both words scores as the word alone,
    so a paragraph is not lifted by holding an unrelated word that happens to be a variant."""
    hits = search(generation, parse_request({"q": "المملكه", "mode": "any"})).hits
    scores = {h["article_id"]: h["score"] for h in hits}
    assert scores["kingdom"] == scores["kingdom_owned"] > scores["owned"] > 0


def test_a_multi_word_synonym_weighs_as_one_word(generation) -> None:
    """A phrase scores as the sum of its words, so a two-word synonym (تشرين الأول for أكتوبر, تنظيم الدولة
    for داعش) carries its weight divided between them: it does not outweigh the word typed."""
    phrase = expression_query(("تشرين", "الاول"), QueryPlan(None), SYNONYM_WEIGHT)
    assert isinstance(phrase, Phrase) and phrase.boost == SYNONYM_WEIGHT / 2
    assert found(generation, "أكتوبر")[:2] == ["oct", "oct_levant"]


def test_variants_are_marked(generation) -> None:
    """A paragraph found through a variant marks the variant word in its snippet."""
    hits = search(generation, parse_request({"q": "بروسيا", "mode": "any"})).hits
    assert "<mark>روسيا</mark>" in hits[0]["snippet"]


def _variant_boosts(generation, word: str) -> dict[str, float]:
    """Return the boost of each text-field alternative expand_variants adds for one query word."""
    norm, stem = analyze_word(word)
    extra = expand_variants(generation, norm, stem, QueryPlan(None))
    return {q.text: q.boost for q in extra if isinstance(q, Term) and q.field == "text"}


def test_variant_of_an_unknown_word_weighs_as_the_word(generation) -> None:
    """بينج is not indexed: its variant بينغ stands for it at full weight."""
    assert _variant_boosts(generation, "بينج")[analyze_word("بينغ")[1]] == UNKNOWN_WORD_VARIANT_WEIGHT == 1.0


def test_variant_of_a_known_word_stays_light(generation) -> None:
    """بوتن is indexed: its variant بوتين is only a lighter alternative."""
    assert _variant_boosts(generation, "بوتن")[analyze_word("بوتين")[1]] == VARIANT_WEIGHT < 1.0


def test_glued_forms(generation) -> None:
    """A query word also searches its indexed forms with ب/ل glued on, lightly; a short stem does not."""
    assert glued_forms(generation, "سويسرا") == ["لسويسرا"]
    assert glued_forms(generation, "حر") == []  # بحر is another word
    assert glued_forms(generation, "روسيا") == []  # no glued form indexed


def test_glued_form_is_found_lightly(generation) -> None:
    """سويسرا also finds the paragraph that only holds لسويسرا, after the one holding the word itself."""
    assert _variant_boosts(generation, "سويسرا")["لسويسرا"] == GLUED_WEIGHT < 1.0
    assert found(generation, "سويسرا") == ["swiss", "glued"]


def test_initial_alef_may_be_a_root_letter() -> None:
    """أسس (normalized اسس) and تأسست share a key; a stem without an initial ا keeps its one key."""
    assert root_keys("اسس") & root_keys("تاسست") == {"اسس"}
    assert root_keys("يقع") == {"قع"}
    assert root_keys("اعلن") == {"علن", "اعلن"}  # a form IV verb still meets يعلن through علن


#: Paragraphs holding, apart, every half the split rules below accept or refuse: a rule that stopped
#: refusing would split these words, as their halves are indexed.
SPLIT_WORDS = [
    "حكم الإسكندر الأكبر مقدونيا وكتب عنه كتب قديم كثيرة.",
    "زار الوفد بروكسل ثم الرياض في الصيف ورأى ما يحدث هناك.",
    "ماذا عن بيت قديم في وسط المدينة قرب المتحف.",
    "قيل إن تامين الفيتامين صعب وإن روسية كتبت عن الرحلة.",
    "ثم سحبت القوات من الم بلغ علاقة مع وال ستريت.",
    "عقد الاجتماع في بينغ يانغ وفي قاعات كبيرة أي قاعات.",
    "ذكر أن عليه ما عليه من الكم الكبير.",
    "سأل لماذا كتبه بهذا الشكل.",
]


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory):
    """A real index of SPLIT_WORDS."""
    rows = text_rows((f"h{i}", t) for i, t in enumerate(SPLIT_WORDS))
    with opened_index(tmp_path_factory.mktemp("halves"), rows) as opened:
        yield opened


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("الاسكندرالاكبر", ("الاسكندر", "الاكبر")),  # the space before ال dropped
        ("فيالرياض", ("في", "الرياض")),  # a preposition before the article
        ("ماذايحدث", ("ماذا", "يحدث")),  # a question word before any word
        ("كتبقديم", ("كتب", "قديم")),  # two words
        ("بينغيانغ", ("بينغ", "يانغ")),  # a transliterated name written as one word
        ("بيتقديم", ("بيت", "قديم")),
        # counter-examples, each with both halves indexed
        ("الاسكندر", None),  # an indexed word is never split
        ("فيتامين", None),  # a preposition before a word without the article: not في + تامين
        ("فيروسيه", None),  # not في + روسيه
        ("ايقاعات", None),  # not اي + قاعات
        ("انسحبت", None),  # a stopword head: not ان + سحبت
        ("والعلاقه", None),  # the prefix وال is no word
        ("المبلغ", None),  # the article with one letter is no word: not الم + بلغ
        ("عليهما", None),  # a stopword tail
        ("بيتوسط", None),  # a three-letter tail is too often a piece of a word
        ("بيتالكم", None),  # a tail with the article needs five letters
        ("كتبلماذا", None),  # a stopword tail, however long
        ("المكتبه", None),  # the article with one letter: not الم + كتبه
        ("helloworld", None),  # Latin words are not split
    ],
)
def test_split_glued(halves, word: str, expected: tuple[str, str] | None) -> None:
    """A word typed without a space splits into two indexed words; the refused shapes do not."""
    assert split_glued(halves, word) == expected


def test_glued_halves_are_both_required(halves) -> None:
    """كتبقديم finds the paragraph holding both كتب and قديم, not the one holding قديم alone."""
    assert found(halves, "كتبقديم") == ["h0"]


def test_glued_words_find_their_paragraph(generation) -> None:
    """الاسكندرالاكبر finds the paragraph of الإسكندر الأكبر, marks both words and suggests the space."""
    result = search(generation, parse_request({"q": "الاسكندرالاكبر", "mode": "all"}))
    assert [h["article_id"] for h in result.hits] == ["alexander"]
    assert "<mark>الإسكندر</mark> <mark>الأكبر</mark>" in result.hits[0]["snippet"]
    assert result.suggestion == "الاسكندر الاكبر"
    typed = search(generation, parse_request({"q": "حكم الإسكندرالأكبر"}))
    assert typed.suggestion == "حكم الإسكندر الأكبر"  # the space goes into the word as typed


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory):
    """A real index where وزير الخارجية is common and the slip وزيرالخارجية stands in one paragraph."""
    common = SPLIT_RATIO + 2
    rows = [{"id": f"n{i}", "title": "", "text": f"التقى وزير الخارجية نظيره في الجولة {i}."} for i in range(common)]
    rows.append({"id": "slip", "title": "", "text": "وصل وزيرالخارجية إلى العاصمة."})
    rows.append({"id": "slip2", "title": "", "text": "قال وزيرالمالية إن الميزانية جاهزة."})
    rows.append({"id": "other", "title": "", "text": "قال وزير المالية إن الوفد وصل."})
    with opened_index(tmp_path_factory.mktemp("glued"), rows) as opened:
        yield opened


def test_rare_glued_form_also_finds_the_words(news) -> None:
    """A glued form the index holds once (a slip in the news) still searches the words apart: the slip's
    paragraph and those holding both words are found, not one holding only one of them."""
    assert split_glued(news, "وزيرالخارجيه") == ("وزير", "الخارجيه")
    assert split_glued(news, "وزيرالماليه") is None  # المالية stands in one other paragraph only
    ids = [h["article_id"] for h in search(news, parse_request({"q": "وزيرالخارجية", "per_page": "50"})).hits]
    assert sorted(ids) == sorted(["slip", *(f"n{i}" for i in range(SPLIT_RATIO + 2))])


def test_indexed_word_without_indexed_halves_is_kept(generation) -> None:
    """An unknown glued word splits; a word the index holds, with no indexed halves, stays whole."""
    assert split_glued(generation, "الاسكندرالاكبر") is not None  # not indexed: split
    assert split_glued(generation, normalize("الپاراسیتامول")) is None  # indexed once, no half indexed


@pytest.fixture(scope="module")
def titled(tmp_path_factory: pytest.TempPathFactory):
    """A real index whose article titles name what the paragraphs leave unsaid."""
    rows = [
        {"id": "russia", "title": "روسيا", "text": "زار الوفد العاصمة أمس في زيارة رسمية."},
        {"id": "news", "title": "أخبار", "text": "قال الوفد إن الزيارة انتهت بسلام."},
        {"id": "mention", "title": "", "text": "روسيا بلد كبير يمتد بين قارتين."},
    ]
    with opened_index(tmp_path_factory.mktemp("titled"), rows) as opened:
        yield opened


def test_proclitic_variant_matches_the_title(titled) -> None:
    """بروسيا الوفد (any word) ranks first the paragraph of the article titled روسيا holding الوفد."""
    hits = search(titled, parse_request({"q": "بروسيا الوفد", "mode": "any"})).hits
    assert [h["article_id"] for h in hits][:1] == ["russia"]


def test_root_waw_has_no_other_reading() -> None:
    """وزارة and الوزارة search their one stem: not زار "visited", which the stripped و would give."""
    assert waw_forms("وزاره", "وزار") == waw_forms("الوزاره", "وزار") == []
    assert waw_forms("الولايه", "ولاي") == ["لاي"]  # a word not on the list keeps both readings


def test_related_stems_are_looked_up_once_per_generation(generation) -> None:
    """A word's related stems are kept by its generation: asked again, they come from the cache."""
    first = related_stems(generation, "تقع")
    kept = len(generation.expansions)
    assert related_stems(generation, "تقع") == first == ["يقع"]
    assert len(generation.expansions) == kept


def test_a_word_known_by_its_stem_gets_no_suggestion(news) -> None:
    """خارجية is found through الخارجية: it is no misspelling, so did-you-mean stays quiet."""
    result = search(news, parse_request({"q": "خارجية"}))
    assert result.hits and result.suggestion is None


@pytest.fixture(scope="module")
def loose(tmp_path_factory: pytest.TempPathFactory):
    """News paragraphs where a guessed form of a word is another, more frequent word (نايف beside آيفون,
    السنة beside سوني, المدينة beside مديونية), each source and day its own."""
    rows = [
        {"id": "iphone", "text": "أطلقت أبل هاتف آيفون الجديد في الأسواق.", "source": "tech", "date": "2015-08-01"},
        {"id": "sony", "text": "أعلنت سوني عن جهاز ألعاب جديد.", "source": "tech", "date": "2015-08-01"},
        {"id": "debt", "text": "ارتفعت مديونية الشركة هذا الشهر.", "source": "economy", "date": "2015-08-01"},
        {"id": "located", "text": "تقع القلعة على تل قرب البحر.", "source": "travel", "date": "2015-08-01"},
        {"id": "school_year", "text": "بدأ العام الدراسي أمس.", "source": "schools", "date": "2015-08-01"},
        {"id": "twenty_years", "text": "استمر البناء عشرين عاما.", "source": "schools", "date": "2015-08-02"},
    ]
    rows += [
        {"id": f"{name}{i}", "text": text, "source": name, "date": f"2015-08-{10 + i}"}
        for name, text in [
            ("nayef", "استقبل الأمير نايف الوفد في القصر."),
            ("year", "تراجعت المبيعات في السنة الماضية."),
            ("medina", "وصل الحجاج إلى المدينة المنورة."),
            ("lies", "يقع المتحف قرب النهر في قلب العاصمة."),
        ]
        for i in range(3)
    ]
    with opened_index(tmp_path_factory.mktemp("loose"), rows) as opened:
        yield opened


@pytest.mark.parametrize(("q", "own"), [("آيفون", "iphone"), ("سوني", "sony"), ("مديونية", "debt"), ("تقع", "located")])
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_a_guessed_form_adds_no_result_to_a_known_word(loose, q: str, own: str, sort: str) -> None:
    """A keyword search counts, facets and sorts only the paragraphs holding the word: not those holding
    a related form (تقع -> يقع, آيفون -> ايف -> نايف) or a long vowel dropped (سوني -> سن, مديونية -> مدين)."""
    answer = search(loose, parse_request({"q": q, "sort": sort})).to_dict()
    assert [h["article_id"] for h in answer["results"]] == [own]
    assert answer["total"] == 1 and sum(b["count"] for b in answer["facets"]["source"]) == 1


def test_a_related_form_still_ranks_and_answers_questions(loose) -> None:
    """In any-word mode (questions) a related form still brings its paragraph in, below the word itself."""
    assert found(loose, "تقع")[:2] == ["located", "lies0"] and len(found(loose, "تقع")) == 4


def test_a_related_form_stands_for_a_word_the_index_lacks(loose) -> None:
    """نقع is in no paragraph: its related forms are what the reader gets, in keyword mode too."""
    hits = search(loose, parse_request({"q": "نقع"})).hits
    assert {h["article_id"] for h in hits} >= {"located", "lies0"}


@pytest.mark.parametrize(("stem", "variant"), [("مديون", "مدين"), ("ضروب", "ضرب"), ("محمود", "محمد")])
def test_a_native_pattern_keeps_its_waw(stem: str, variant: str) -> None:
    """The و of مفعول and فعول is the pattern's, not a transliteration's long vowel."""
    assert drops_pattern_waw(stem, variant)
    assert not drops_pattern_waw("بوتن", "بتن") and not drops_pattern_waw("موسكو", "مسكو")


def test_a_guessed_form_adds_no_result_beside_a_prefix(loose) -> None:
    """A prefix sends the query to Whoosh's matchers: they too keep to the paragraphs holding the word."""
    answer = search(loose, parse_request({"q": "تقع قر*"})).to_dict()
    assert [h["article_id"] for h in answer["results"]] == ["located"] and answer["total"] == 1


def test_the_accusative_of_a_word_is_the_word(loose) -> None:
    """عاما (عامًا, its tanween unwritten) is the word عام in the accusative: a keyword search for عام finds it."""
    hits = search(loose, parse_request({"q": "عام"})).hits
    assert [h["article_id"] for h in hits] == ["school_year", "twenty_years"]


def test_a_far_more_frequent_spelling_is_another_word(tmp_path: Path) -> None:
    """غادة (a name) spelled with ق is قادة: in many times its paragraphs, it is another word, which
    re-ranks a keyword search for غادة but adds nothing to it; in any-word mode it still matches."""
    rows = text_rows([("ghada", "قالت غادة إن المعرض يفتح غدا.")])
    rows += text_rows((f"leaders{i}", f"اجتمع قادة الفرق رقم {i} أمس.") for i in range(DOMINANT_VARIANT + 1))
    with opened_index(tmp_path, rows) as generation:
        assert searched(generation, "غادة") == ["ghada"]
        answer = search(generation, parse_request({"q": "غادة", "mode": "any"}))
        assert answer.hits[0]["article_id"] == "ghada" and answer.total == DOMINANT_VARIANT + 2


def test_a_root_waw_known_to_the_index_is_no_conjunction(tmp_path: Path) -> None:
    """الولاية shows the و of ولاية is a root letter: ولاية is then not read as و + ل + آية."""
    rows = text_rows([
        ("state", "فازت ولاية تكساس بالجائزة."),
        ("the_state", "تعد الولاية الأكبر مساحة."),
        ("verse", "قرأ الإمام آية من القرآن."),
        ("verses", "حفظ الطالب آية الكرسي وآيات أخرى."),
        ("russia", "زار الوفد روسيا أمس."),
    ])
    with opened_index(tmp_path, rows) as generation:
        assert sorted(searched(generation, "ولاية")) == [
            "state", "the_state"]
        assert searched(generation, "ولروسيا") == ["russia"]


def test_guessed_forms_match_when_no_paragraph_holds_every_word(loose) -> None:
    """No paragraph holds تقع and النهر: the one holding يقع (a related form) and النهر is what the reader
    gets, before the search is relaxed to any word."""
    answer = search(loose, parse_request({"q": "تقع النهر"})).to_dict()
    assert {h["article_id"] for h in answer["results"]} == {"lies0", "lies1", "lies2"} and not answer["relaxed"]


@pytest.mark.parametrize(("typed", "printed"), [("مسوول", "مسؤول"), ("رييس", "رئيس"), ("سوال", "سؤال")])
def test_a_dropped_hamza_finds_the_word(tmp_path: Path, typed: str, printed: str) -> None:
    """A hamza left off its seat (مسوول) is the same word as printed (مسؤول), however much more common
    the printed spelling is: its paragraphs follow the one written as typed."""
    rows = text_rows([("typed", f"قال ال{typed} إن العمل مستمر.")])
    rows += text_rows((f"printed{i}", f"أكد ال{printed} رقم {i} أن الخطة جاهزة.") for i in range(DOMINANT_VARIANT + 1))
    with opened_index(tmp_path, rows) as generation:
        hits = search(generation, parse_request({"q": typed, "per_page": "50"})).hits
        assert hits[0]["article_id"] == "typed" and len(hits) == DOMINANT_VARIANT + 2
        assert f"<mark>ال{printed}</mark>" in hits[1]["snippet"]


def test_a_bare_article_may_be_a_dropped_hamza(tmp_path: Path) -> None:
    """المانيا typed without its hamza still finds ألمانيا, first; ألمانيا with it finds no mania."""
    rows = text_rows([
        ("germany", "زار الوفد ألمانيا الأسبوع الماضي."),
        ("germany2", "فازت ألمانيا بالمباراة."),
        ("mania", "انتشرت مانيا التسوق بين الشباب."),
    ])
    with opened_index(tmp_path, rows) as generation:
        assert set(searched(generation, "ألمانيا")) == {
            "germany", "germany2"}
        bare = set(searched(generation, "المانيا"))
        assert bare >= {"germany", "germany2"}


def test_sport_finds_its_adjective_not_the_city(tmp_path: Path) -> None:
    """رياضة and رياضي are linked again (synonyms), apart from الرياض."""
    rows = text_rows([
        ("city", "وصل الوفد إلى الرياض مساء أمس."),
        ("sport", "تحظى الرياضة باهتمام كبير."),
        ("sports", "افتتح النادي منشآته الرياضية الجديدة."),
    ])
    with opened_index(tmp_path, rows) as generation:
        assert searched(generation, "الرياض") == ["city"]
        for q in ("رياضة", "الرياضة", "الرياضية"):
            assert set(searched(generation, q)) == {"sport", "sports"}


def test_a_two_letter_key_links_imperfect_verbs_only(tmp_path: Path) -> None:
    """تقع and يقع share the key قع (its و dropped); يمن has the same shape, and الأمن is no form of it."""
    rows = text_rows([
        ("yemen", "زار الوفد اليمن أمس."),
        ("security", "ناقش المجلس الأمن الإقليمي."),
        ("lies", "يقع المتحف قرب النهر."),
        ("located", "تقع القلعة على التل."),
    ])
    with opened_index(tmp_path, rows) as generation:
        assert "امن" not in related_stems(generation, "يمن") and "يمن" not in related_stems(generation, "امن")
        assert "يقع" in related_stems(generation, "تقع")


def test_a_word_known_by_its_stem_is_not_two_words_glued(tmp_path: Path) -> None:
    """انفصاله (his separation) is in one paragraph, but الانفصال in others: it is no انف + صاله glued,
    neither as a suggestion nor as a match, however common انف and صاله are."""
    rows = text_rows([("his", "أعلن انفصاله عن الحزب."), ("the", "ناقش البرلمان الانفصال."), ("a", "رفض الانفصال.")])
    rows += text_rows((f"nose{i}", f"كسر انف اللاعب في صاله رقم {i}.") for i in range(SPLIT_RATIO + 1))
    with opened_index(tmp_path, rows) as generation:
        result = search(generation, parse_request({"q": "انفصاله"}))
        assert result.suggestion is None
        assert {h["article_id"] for h in result.hits} == {"his", "the", "a"}


@pytest.mark.parametrize("q", ["بألمانيا", "لألمانيا", "ولألمانيا"])
def test_a_proclitic_before_hamza_lam_keeps_the_word(tmp_path: Path, q: str) -> None:
    """ب or ل before ألمانيا is read off and leaves ألمانيا (ل + the article is written لل), not مانيا."""
    rows = text_rows([
        ("germany", "زار الوفد ألمانيا الأسبوع الماضي."),
        ("mania", "انتشرت مانيا التسوق بين الشباب."),
        ("mania2", "تحولت مانيا الألعاب إلى ظاهرة."),
    ])
    with opened_index(tmp_path, rows) as generation:
        assert searched(generation, q) == ["germany"]


def test_a_filter_that_leaves_nothing_brings_in_no_guess(tmp_path: Path) -> None:
    """غادة is in the index, but not in the source asked for: the answer is nothing, not its guesses (قادة)."""
    rows = [{"id": "ghada", "text": "قالت غادة إن المعرض يفتح غدا.", "source": "okaz"}]
    rows += [{"id": f"leaders{i}", "text": f"اجتمع قادة الفرق رقم {i}.", "source": "alyaum"} for i in range(12)]
    with opened_index(tmp_path, rows) as generation:
        answer = search(generation, parse_request({"q": "غادة", "source": "alyaum"})).to_dict()
        assert answer["total"] == 0 and answer["results"] == []
        assert {b["value"]: b["count"] for b in answer["facets"]["source"]} == {"okaz": 1, "alyaum": 0}


def test_a_hamza_restored_in_a_word_of_its_own_is_another_word(tmp_path: Path) -> None:
    """بايع (pledged allegiance) is in paragraphs of its own: بائع (seller), far commoner, is another word
    there, which re-ranks but matches nothing; مسوول, a slip in one paragraph, still finds مسؤول."""
    rows = text_rows((f"pledge{i}", f"بايع الشعب الملك رقم {i}.") for i in range(2))
    rows += text_rows((f"seller{i}", f"اشترى الزبون من بائع الخضار رقم {i}.") for i in range(DOMINANT_VARIANT * 2 + 1))
    with opened_index(tmp_path, rows) as generation:
        hits = search(generation, parse_request({"q": "بايع"})).hits
        assert {h["article_id"] for h in hits} == {"pledge0", "pledge1"}


def test_a_word_typed_with_its_hamza_finds_it_printed_bare(tmp_path: Path) -> None:
    """ألمانيا typed with its hamza also finds المانيا printed bare (held as typed in the exact field), not
    مانيا "mania", which shares the bare spelling's stem."""
    rows = text_rows((f"germany{i}", f"زار الوفد ألمانيا رقم {i}.") for i in range(3))
    rows += text_rows([("bare", "فازت المانيا بالمباراة."), ("mania", "انتشرت مانيا التسوق بين الشباب.")])
    with opened_index(tmp_path, rows) as generation:
        hits = search(generation, parse_request({"q": "ألمانيا"})).hits
        assert {h["article_id"] for h in hits} == {"germany0", "germany1", "germany2", "bare"}
        assert "<mark>المانيا</mark>" in next(h["snippet"] for h in hits if h["article_id"] == "bare")


@pytest.mark.parametrize("q", ["ألمانبا", "زيارةألمانيا"])
def test_a_typo_or_a_glued_word_finds_a_hamza_lam_word(tmp_path: Path, q: str) -> None:
    """The vocabulary holds words normalized (المانيا for ألمانيا): a typo's nearest word and a glued
    word's halves are stemmed as the paragraphs hold them, with the ال kept."""
    rows = text_rows((f"germany{i}", f"تمت زيارة ألمانيا رقم {i}.") for i in range(SPLIT_RATIO + 1))
    rows += text_rows([("visit", "بدأت زيارة الوفد."), ("visit2", "انتهت زيارة الوزير.")])
    with opened_index(tmp_path, rows) as generation:
        hits = search(generation, parse_request({"q": q, "per_page": "50"})).hits
        assert {h["article_id"] for h in hits} == {f"germany{i}" for i in range(SPLIT_RATIO + 1)}


def test_a_guess_is_not_marked_beside_the_word(tmp_path: Path) -> None:
    """A paragraph holding تقع and يقع marks only تقع for a keyword search (يقع is a guess there), both
    for a question (any-word mode, where guesses match)."""
    rows = text_rows([
        ("both", "تقع القلعة حيث يقع المتحف."), ("lies", "يقع النهر شرقا."), ("lies2", "يقع السوق غربا."),
    ])
    with opened_index(tmp_path, rows) as generation:
        keyword = search(generation, parse_request({"q": "تقع"})).hits[0]["snippet"]
        question = search(generation, parse_request({"q": "تقع", "mode": "any"})).hits[0]["snippet"]
        assert "<mark>تقع</mark>" in keyword and "<mark>يقع</mark>" not in keyword
        assert "<mark>يقع</mark>" in question


def test_an_excluded_word_drops_both_spellings(tmp_path: Path) -> None:
    """-المانيا typed bare also drops the paragraphs printing ألمانيا (whose stem keeps its ال)."""
    rows = text_rows([
        ("both", "زار الوفد فرنسا ثم ألمانيا."),
        ("bare", "زار الوفد فرنسا ثم المانيا."),
        ("france", "زار الوفد فرنسا."),
    ])
    with opened_index(tmp_path, rows) as generation:
        for q in ("فرنسا -المانيا", "فرنسا -ألمانيا"):
            assert searched(generation, q) == ["france"]
