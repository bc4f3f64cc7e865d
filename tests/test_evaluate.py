"""The figures `qa eval` and bench/accuracy.py report: the scoring rule, the reliability
table and how much of an ECE chance alone explains."""

from __future__ import annotations

import numpy as np
import pytest

from qa.answering.evaluate import GoldItem, chance_ece, reliability, score, short_answer_right
from qa.models import Answer, Citation

TEXT = "Median duration of response was 4.4 months. Median overall survival was 15.6 months."


def cite(start: int, end: int) -> Citation:
    return Citation("storm.txt", start, end, TEXT[start:end], "Efficacy", 1.0)


RESPONSE = cite(0, 43)
SURVIVAL = cite(44, len(TEXT))


def test_the_reliability_table_and_its_ece() -> None:
    p = np.array([0.05, 0.15, 0.95, 0.95])
    rows, ece = reliability(p, np.array([0.0, 0.0, 1.0, 0.0]))
    assert [(lo, round(mean, 6), right, n) for lo, mean, right, n in rows] == [
        (0.0, 0.05, 0.0, 1), (0.1, 0.15, 0.0, 1), (0.9, 0.95, 0.5, 2)]
    assert ece == pytest.approx((0.05 + 0.15 + 2 * 0.45) / 4)


def test_certain_confidences_leave_nothing_to_chance() -> None:
    assert chance_ece(np.array([0.0, 1.0, 1.0])) == 0.0


def test_chance_ece_is_what_a_calibrated_confidence_measures() -> None:
    rng = np.random.default_rng(7)
    for n in (30, 300):
        p = rng.uniform(0, 1, n)
        measured = [reliability(p, (rng.random(n) < p).astype(np.float64))[1] for _ in range(400)]
        assert abs(float(np.median(measured)) - chance_ece(p)) < 0.02
    small, large = chance_ece(rng.uniform(0, 1, 30)), chance_ece(rng.uniform(0, 1, 3000))
    assert small > 0.1 > 0.03 > large


def test_a_report_scores_first_citations_abstentions_and_calibration() -> None:
    items = [
        GoldItem("a", "How long did responses last?", ["4.4 months"]),
        GoldItem("b", "How long did responders live?", ["15.6 months"]),
        GoldItem("c", "What was the median PFS?", []),
    ]
    answers = [
        Answer(items[0].question, "4.4 months", False, [RESPONSE, SURVIVAL], confidence=0.9),
        Answer(items[1].question, "4.4 months", False, [RESPONSE, SURVIVAL], confidence=0.8),
        Answer(items[2].question, None, True, [SURVIVAL], confidence=0.2),
    ]
    r = score("toy", items, answers)
    assert (r.answerable, r.unanswerable) == (2, 1)
    assert (r.p_at_1, r.p_at_3, r.mrr) == (0.5, 1.0, 0.75)
    assert (r.abstained_answerable, r.abstained_unanswerable) == (0.0, 1.0)
    assert r.answered_right == 0.5 and (r.sure, r.sure_right) == (1, 1.0)
    assert [m["id"] for m in r.misses] == ["b"]
    assert r.ece == pytest.approx((0.1 + 0.8 + 0.2) / 3)
    assert r.ece is not None and r.ece_chance is not None and 0.0 < r.ece_chance < r.ece
    assert "by chance alone on 3 questions" in "\n".join(r.lines())


@pytest.mark.parametrize(
    ("got", "want", "right"),
    [
        ("4.4 months (95% CI, 3.7–10.8)", "4.4 months", True),
        ("24 partial responses", "24", True),
        ("n=28", "28", True),
        ("n = 123", "n=123", True),
        ("n=28", "18", False),
        ("44%", "59%", False),
        (None, "28", False),
    ],
)
def test_a_short_answer_is_right_when_it_is_the_value(got: str | None, want: str, right: bool) -> None:
    assert short_answer_right(got, want) is right
