"""Ranking features that depend on a unit alone: the kinds of section its headings name."""

from __future__ import annotations

import pytest

from qa.answering.ranking import FEATURES, SECTION_KINDS, _section_kinds

TITLE = "Electroacupuncture versus diclofenac for osteoarthritis of the knee: a randomized trial"


@pytest.mark.parametrize(
    ("section", "kinds"),
    [
        ((TITLE, "Abstract", "Results"), {"abstract", "results"}),
        ((TITLE, "Statistical analysis"), {"methods"}),
        ((TITLE, "Results", "Primary outcome"), {"results"}),
        ((TITLE, "Discussion"), {"framing"}),
        ((TITLE, "Patients and methods"), {"methods"}),
        ((TITLE,), set()),  # the title is not a section: "randomized" in it says nothing
        ((), set()),
    ],
)
def test_section_kinds_read_the_headings_below_the_title(section: tuple[str, ...], kinds: set[str]) -> None:
    got = dict(zip(SECTION_KINDS, _section_kinds(section, TITLE), strict=True))
    assert {k for k, v in got.items() if v} == kinds


def test_every_section_kind_is_a_ranking_feature() -> None:
    assert set(SECTION_KINDS) <= set(FEATURES)
