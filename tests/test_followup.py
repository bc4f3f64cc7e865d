"""Follow-up questions: what is searched when a short question leans on the one before it (no model)."""

from __future__ import annotations

import pytest

from qa.answering.followup import is_follow_up, rewrite


@pytest.mark.parametrize(
    ("question", "previous", "searched"),
    [
        # a new subject takes the old one's place in the frame
        ("and the overall survival?", "What was the median duration of response?", "What was the median overall survival?"),
        # a group or a time asks the same thing of it
        ("and in non-responders?", "What was the median overall survival?", "What was the median overall survival in non-responders?"),
        ("and in responders?", "What was the median overall survival in non-responders?",
         "What was the median overall survival in responders?"),
        ("and at 12 months?", "What was the response rate at 6 months?", "What was the response rate at 12 months?"),
        ("what about with placebo?", "What was the mean change in pain score with drug A?",
         "What was the mean change in pain score with placebo?"),
        # a kind of quantity asks it of the same thing
        ("and the duration?", "What was the median time to response?", "What was the median duration to response?"),
        ("and the mean?", "What was the median age of the patients?", "What was the mean age of the patients?"),
        ("and the median?", "What was the overall survival?", "What was the median overall survival?"),
        ("and the number?", "What was the percentage of patients with grade 3 anemia?",
         "What was the number of patients with grade 3 anemia?"),
        # a measure where only a statistic was asked has nothing to stand in for
        ("and the duration?", "What was the median overall survival?", "What was the median duration?"),
        # after "did", the new subject keeps the old one's verb
        ("and the patients who did not respond?", "How long did responders survive?",
         "How long did patients who did not respond survive?"),
        ("and anemia?", "How often did thrombocytopenia occur?", "How often did anemia occur?"),
        ("and the investigators?", "What did the authors conclude?", "What did the investigators conclude?"),
        ("and standard-risk patients?", "How long did high-risk patients stay on treatment?",
         "How long did standard-risk patients stay on treatment?"),
    ],
)
def test_a_follow_up_is_searched_with_what_it_leans_on(question: str, previous: str, searched: str) -> None:
    assert is_follow_up(question)
    assert rewrite(question, previous)[0] == searched
