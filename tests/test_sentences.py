from __future__ import annotations

import pytest

from qa.reading.sentences import MAX_UNIT_CHARS, sentence_spans


def split(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Smith et al. reported it. Then it ended.", ["Smith et al. reported it.", "Then it ended."]),
        ("ORR was 26.0% (95% CI, 19.0–35.0). DoR was short.", ["ORR was 26.0% (95% CI, 19.0–35.0).", "DoR was short."]),
        ("Responders (n=32) had it. Others did not.", ["Responders (n=32) had it.", "Others did not."]),
        ("Drug A vs. placebo was tested. It worked.", ["Drug A vs. placebo was tested.", "It worked."]),
        ("See Fig. 2 for details. Next.", ["See Fig. 2 for details.", "Next."]),
        ("It was refractory myeloma.1 This formed part two.", ["It was refractory myeloma.1", "This formed part two."]),
        ("Rates were 15-45% [1] . UNAIDS estimates more.", ["Rates were 15-45% [1] .", "UNAIDS estimates more."]),
        ("Given e.g. twice daily. Done.", ["Given e.g. twice daily.", "Done."]),
        ("Chari A. and B. Smith wrote it. Yes.", ["Chari A. and B. Smith wrote it.", "Yes."]),
        ("Was it safe? Yes! It was.", ["Was it safe?", "Yes!", "It was."]),
        ("He said \"stop.\" Then left.", ["He said \"stop.\"", "Then left."]),
        ("The dose was 4.5 mg. the end", ["The dose was 4.5 mg. the end"]),
    ],
)
def test_splits_scientific_prose(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_spans_are_exact_offsets_without_surrounding_space() -> None:
    text = "  First one.   Second one.\n\nThird one.  "
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one.", "Third one."]
    assert all(not text[s].isspace() and not text[e - 1].isspace() for s, e in spans)


def test_long_sentences_are_cut_at_clause_boundaries() -> None:
    clause = "the infection spread rapidly through the population over several months"
    text = "; ".join([clause] * 12) + "."
    pieces = split(text)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_UNIT_CHARS for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces) == text.replace(" ", "")
