"""A reference list names other studies: it answers where a study was published, not what this one did."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTICLE = """\
Supervised walking for knee osteoarthritis: an open-label randomised trial

Methods

This was an open-label randomised trial: patients and assessors knew the allocation.
We randomised 120 adults with knee osteoarthritis to supervised walking or usual care.

Results

Knee pain fell by 1.9 points with walking and by 0.4 points with usual care (p = 0.01).

References

1. Smith J, Jones K. A double-blind randomised trial of walking for knee pain in older adults. Lancet. 2001;357:1-10.
2. Lee M. Double-blind trials of exercise for knee osteoarthritis: a review. BMJ. 2005;330:20-24.
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    from qa.answering.engine import Engine
    from qa.config import Settings

    base = tmp_path_factory.mktemp("refs")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "walking.txt").write_text(ARTICLE, encoding="utf-8")
    e = Engine(corpus, base / "index", Settings())
    e.open()
    return e


def _kinds(engine, question: str) -> list[str]:
    ans = engine.ask(question, k=5)
    return [engine.index.units[c.units[0]].kind for c in ans.citations]


def test_the_reference_list_is_read_as_references(engine) -> None:
    refs = [u.text for u in engine.index.units if u.kind == "reference"]
    assert len(refs) == 2 and refs[0].startswith("Smith J")


@pytest.mark.parametrize("question", ["Was the trial double-blind?", "Was the walking trial double-blind or open-label?",
                                      "What did trials of walking for knee pain find?"])
def test_no_reference_is_cited_for_what_the_study_did(engine, question: str) -> None:
    kinds = _kinds(engine, question)
    assert kinds and "reference" not in kinds


@pytest.mark.parametrize("question", ["Which journal published the double-blind trial of walking for knee pain?",
                                      "When was the double-blind trial of walking for knee pain published?"])
def test_a_question_about_publication_may_cite_the_references(engine, question: str) -> None:
    assert "reference" in _kinds(engine, question)


def test_a_corpus_of_references_alone_answers_nothing(tmp_path: Path) -> None:
    from qa.answering.engine import Engine
    from qa.config import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    refs = ARTICLE[ARTICLE.index("References") :]
    (corpus / "refs.txt").write_text("Reading list\n\n" + refs, encoding="utf-8")
    e = Engine(corpus, tmp_path / "index", Settings())
    e.open()
    ans = e.ask("Was the trial double-blind?")
    assert ans.abstained and not ans.citations
