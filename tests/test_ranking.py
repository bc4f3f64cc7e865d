"""Ranking features that depend on a unit alone: the kinds of section its headings name,
whether it reports a test of a difference."""

from __future__ import annotations

import pytest

from qa.answering.ranking import FEATURES, SECTION_KINDS, _section_kinds, _statistic

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


@pytest.mark.parametrize(
    ("text", "reports"),
    [
        ("Mortality was lower with drug A (OR 0.61, 95% CI 0.40-0.93).", True),
        ("The adjusted HR=0.72 favoured the intervention.", True),
        ("The difference was not significant (p = 0.21).", True),
        ("Most common grade 3 or 4 adverse events were thrombocytopenia (59% of patients).", False),
        ("Patients took 1 or 2 tablets at night for 12 weeks.", False),
    ],
)
def test_a_unit_reports_a_test_of_a_difference_only_with_an_effect_measure_or_a_test(text: str, reports: bool) -> None:
    assert _statistic(text) == (1.0 if reports else 0.0)
