"""Typos in questions: corrected to the corpus's own words, and only typos."""

from __future__ import annotations

import pytest

from qa.answering.spelling import Speller, one_edit

ARTICLE = [
    "Median duration of response in responders (n=32): 4.4 months.",
    "Patients who had a response had median overall survival of 15.6 months.",
    "Thrombocytopenia occurred in 59% of patients; four genera of coronaviruses are general knowledge.",
    "Most common grade 3 or 4 adverse events were thrombocytopenia, anemia and fatigue.",
]
LANGUAGE = frozenset({"there", "least", "patient", "survive", "blinded", "long", "cane"})


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [("medain", "median", True), ("durration", "duration", True), ("respons", "response", True),
     ("respnse", "response", True), ("generas", "genera", True), ("median", "median", False),
     ("medians", "median", True), ("mdeian", "median", True), ("maiden", "median", False), ("ab", "abcd", False)],
)
def test_one_edit(a: str, b: str, near: bool) -> None:
    assert one_edit(a, b) is near


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("waht was the medain durration of respons?", "what was the median duration of response?"),
        # a short word only by two letters swapped back, into one question or corpus word
        ("Waht are the fuor genera?", "What are the four genera?"),
        ("hwo many? Was the mdeian aeg 65?", "hwo many? Was the median aeg 65?"),
        # not into a word the article never uses ("long"), nor out of one ("acne")
        ("How lnog on acne?", "How lnog on acne?"),
        ("How many pateints had thrombocytopena?", "How many patients had thrombocytopenia?"),
        ("Median overal survival?", "Median overall survival?"),
        # words of the language stay, whatever the article holds
        ("Was there at least one blinded arm?", "Was there at least one blinded arm?"),
        # abbreviations and short words stay; another form of a corpus word stays
        ("How many TEAEs and VGPRs? Rate of anaemia?", "How many TEAEs and VGPRs? Rate of anaemia?"),
        ("Median durations?", "Median durations?"),
        # two corpus words one edit away ("genera", "general"): no guess
        ("What are four generas?", "What are four generas?"),
    ],
)
def test_only_typos_are_corrected(question: str, searched: str) -> None:
    assert Speller(ARTICLE, LANGUAGE).correct(question) == searched


def test_the_answer_says_what_was_searched(storm_engine) -> None:
    ans = storm_engine.ask("waht was the medain durration of respons?")
    assert ans.searched == "what was the median duration of response?"
    assert ans.question == "waht was the medain durration of respons?"
    assert not ans.abstained and ans.answer == "4.4 months (95% CI, 3.7–10.8)"


def test_a_follow_up_is_corrected_too(storm_engine) -> None:
    ans = storm_engine.ask("and the overal survival?", previous="What was the median duration of response?")
    assert ans.searched == "What was the median overall survival?"
    assert "15.6 months" in ans.citations[0].text
