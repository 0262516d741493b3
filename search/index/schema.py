"""The Whoosh schema: one document per paragraph (the one-pass analysis the indexer uses for it is
:func:`search.analysis.analyzer.term_positions`)."""

from __future__ import annotations

from whoosh.fields import ID, STORED, TEXT, Schema

from search.analysis.analyzer import arabic_analyzer, exact_analyzer
from search.rank.bm25 import TITLE_BOOST

#: Bump when the schema or the analyzer changes what is written: a generation built with another
#: version is refused with a message to re-index. (2: ``paragraph`` stored only, not indexed;
#: 3: the stop list gained "ال" and question words fused with prepositions; 4: and question words after و/ف/ب/ل;
#: 5: the pronoun ه is removed before the plural ending; 6: a final hamza is written bare;
#: 7: ه goes first only after ات; 8: the stop list gained تم, يمكن and mistyped relatives;
#: 9: Persian-keyboard letters (ی ک) and foreign-sound letters (پ ڤ چ ژ گ) folded, more colloquial
#: question words stopped, ان ين ون leave three letters, names whose ending looks like a suffix kept,
#: a lone Arabic letter stopped; 10: a root و kept (وزارة), more protected names, ۀ and ڭ folded;
#: 13: the accusative ا of a word ending ين goes before نا is read as a pronoun: فيينا, مبينا;
#: 14: more protected names: جيزان, الباحة, كورونا, ميلان; 15: a word written with أل, إل or آل keeps
#: its ال (ألمانيا, ألعاب, آلاف); 16: الرياضة, رياضي and سوري kept apart from الرياض and سور; 17: such a word
#: keeps three letters (آلات, الآلات are not ال); 18: a word written with a leading آ or a final ة is no
#: stopword (آلية is not إليه); 19: after ب, ل or ك too (بآلية is not بال); 20: the analyzer's classes, which
#: Whoosh pickles into the index, moved to search.analysis.analyzer; 21: the facet columns hold each
#: paragraph's article, for results grouped by article; 22: a generation holds its completion table,
#: completions.tsv, for search-as-you-type.)
SCHEMA_VERSION = 22


def build_schema() -> Schema:
    """Return the paragraph schema (text stemmed, exact normalized-only, title lightly boosted).

    Only what queries use is indexed: ``paragraph`` is stored (an indexed NUMERIC wrote eight
    postings per paragraph that no query read); source and date filters use the facet columns.
    """
    return Schema(
        id=ID(stored=True, unique=True),
        article_id=ID(stored=True),
        title=TEXT(analyzer=arabic_analyzer(), stored=True, field_boost=TITLE_BOOST),
        source=ID(stored=True),
        date=ID(stored=True),
        paragraph=STORED(),
        url=STORED(),
        text=TEXT(analyzer=arabic_analyzer(), stored=True, phrase=True),
        exact=TEXT(analyzer=exact_analyzer(), phrase=True),
    )
