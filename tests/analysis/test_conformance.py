"""Every case of ../shared/conformance/lucene_arabic.tsv against normalize, stem and the analyzer.

All pass except the cases listed in BETTER_THAN_LUCENE, where we deliberately differ (with the reason).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search.analysis.analyzer import arabic_analyzer, lucene_analyzer, normalize, stem
from search.analysis.stem import lucene_stem
from tests.conftest import shared_dir

CASES_FILE = Path("conformance") / "lucene_arabic.tsv"
#: (stage, input) -> (our output, why it is better than Lucene's).
BETTER_THAN_LUCENE: dict[tuple[str, str], tuple[str, str]] = {
    ("stem", "ايمانكم"): ("ايم", "the pronoun كم is removed, so ايمانكم has the stem of ايمان (ايم)"),
    ("analyze", "ما ملكت أيمانكم"): ("ملكت ايم", "the pronoun كم is removed, as for the stem case"),
    ("analyze", "الذين ملكت أيمانكم"): ("ملكت ايم", "the pronoun كم is removed, as for the stem case"),
}
_CONFIG = re.compile(r"\[(.*)\]$")


def load_cases() -> list[tuple[str, str, str, str]]:
    """Read the conformance rows (stage, input, expected, lucene_test); empty when the file is missing."""
    path = shared_dir() / CASES_FILE
    if not path.exists():
        return []
    rows = []
    for line in path.read_text("utf-8").splitlines()[1:]:
        if line.startswith("#") or line.startswith("stage\t"):
            continue
        stage, text, expected, test = (line.split("\t") + ["", "", ""])[:4]
        rows.append((stage, text, expected, test))
    return rows


def config(test: str) -> dict[str, str]:
    """Parse a lucene_test's [key=value,...] suffix."""
    match = _CONFIG.search(test)
    return dict(item.split("=", 1) for item in match.group(1).split(",")) if match else {}


def run_stage(stage: str, text: str, test: str, stemmer) -> str:
    """Run one stage the way the Lucene test did, joined by one space."""
    options = config(test)
    if stage == "normalize":
        return " ".join(normalize(w) for w in text.split())
    if stage == "stem":
        keywords = {options["keyword"]} if "keyword" in options else set()
        return " ".join(w if w in keywords else stemmer(w) for w in text.split())
    if not options:
        return " ".join(t.text for t in arabic_analyzer()(text))
    stops = [] if options.get("stopwords", "none") == "none" else options["stopwords"].split("|")
    excluded = options.get("stem_exclusion", "none")
    tokens = [t.text for t in lucene_analyzer(stops)(text, mode="query")] if stops else None
    if tokens is not None:
        return " ".join(tokens)
    words = [normalize(w) for w in re.findall(r"\w+", text)]
    return " ".join(w if w == normalize(excluded) else stem(w) for w in words)


CASES = load_cases()


def test_conformance_file_is_there(shared: Path) -> None:
    """The conformance cases exist (the shared fixture fails loudly when the material is missing)."""
    assert (shared / CASES_FILE).exists(), f"missing {shared / CASES_FILE}"
    assert len(CASES) == 59


@pytest.mark.parametrize(("stage", "text", "expected", "test"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_lucene_case(stage: str, text: str, expected: str, test: str) -> None:
    """Our normalize, stem and analyzer give Lucene's output, or our listed better one."""
    wanted = BETTER_THAN_LUCENE.get((stage, text), (expected, ""))[0]
    assert wanted == run_stage(stage, text, test, stem)


@pytest.mark.parametrize(
    ("text", "expected", "test"),
    [(c[1], c[2], c[3]) for c in CASES if c[0] == "stem"],
)
def test_lucene_stem_is_exact(text: str, expected: str, test: str) -> None:
    """lucene_stem reproduces Lucene's ArabicStemmer on every stem case, with no exception."""
    assert expected == run_stage("stem", text, test, lucene_stem)


def test_deviations_are_real() -> None:
    """Each listed deviation is a case of the file where Lucene's answer differs from ours."""
    assert stem("ايمانكم") == stem("ايمان")
    lucene = {(c[0], c[1]): c[2] for c in CASES}
    assert {key: lucene[key] != ours for key, (ours, _) in BETTER_THAN_LUCENE.items()} == {
        key: True for key in BETTER_THAN_LUCENE
    }
