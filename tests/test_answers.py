"""Accuracy on the STORM gold set, and the answer contract."""

from __future__ import annotations

import json

import pytest

from tests.conftest import GOLD

DOR = "Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)"


def test_median_duration_of_response_is_cited_first_with_its_value(storm_engine) -> None:
    ans = storm_engine.ask("What was the median duration of response?")
    first = ans.citations[0]
    assert first.text == DOR
    assert storm_engine.document_text(first.doc)[first.start : first.end] == DOR
    assert first.section == "Efficacy"
    assert ans.answer == "4.4 months (95% CI, 3.7–10.8)"
    assert not ans.abstained


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What was the median duration of treatment?", "Median duration of treatment was 9.0 weeks"),
        ("How long had patients had myeloma?", "Median duration of myeloma was 6.6 years"),
        ("What was the ORR?", "Overall response rate: 26.0%"),
        ("How many patients died?", "Mortality during study: n=28"),
        # The bullet and the conclusion's sentence both list them; the conclusion's may
        # come quoted with the sentence before it (the ranking's merge margin).
        ("What were the grade 3/4 side effects?", ("Most common grade 3 or 4 adverse events", "The most common toxic effects that were graded as 3 or above")),
        ("How many lines of therapy had patients received?", "Median number of previous therapies was 7"),
        # the example: "responders" finds "a response" (qa.text.siblings), not the duration of response
        ("How long did responders survive?", "had median overall survival of 15.6 months"),
    ],
)
def test_near_misses_and_clinical_phrasing(storm_engine, question: str, expected: str | tuple[str, ...]) -> None:
    first = storm_engine.ask(question).citations[0].text
    assert any(e in first for e in ((expected,) if isinstance(expected, str) else expected))


def test_gold_set_top1_accuracy_and_verbatim_quotes(storm_engine) -> None:
    gold = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]
    answerable = [g for g in gold if g["gold"]]
    assert len(answerable) >= 60 and len(gold) - len(answerable) >= 10
    answers = storm_engine.ask_many([g["question"] for g in answerable])
    right = 0
    for g, a in zip(answerable, answers, strict=True):
        for c in a.citations:
            assert storm_engine.document_text(c.doc)[c.start : c.end] == c.text
        right += any(s in a.citations[0].text for s in g["gold"])
    assert right / len(answerable) >= 0.90
    # What the learned confidence does today (bench/accuracy.py, training fold: 10.5%
    # of these answerable questions refused, 85.7% of the unanswerable ones): a guard
    # against getting worse, not the target (the next test). This set trains the
    # ranker and the confidence, so its scores here are in-sample; each retraining that
    # moved them, and what it did held out, is in docs/models.md (the refit for the
    # listed-values check moved it from 7.6%: 11 of 105 answerable questions refused, 3
    # of them wrongly cited).
    assert sum(a.abstained for a in answers) / len(answerable) <= 0.11
    unanswerable = storm_engine.ask_many([g["question"] for g in gold if not g["gold"]])
    assert sum(a.abstained for a in unanswerable) / len(unanswerable) >= 0.75


@pytest.mark.xfail(strict=True, reason="86% of the unanswerable questions abstained on, but at 10.5% answerable refused, not 3% (issue 12)")
def test_gold_set_abstention_meets_the_target(storm_engine) -> None:
    gold = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]
    answers = storm_engine.ask_many([g["question"] for g in gold if g["gold"]])
    unanswerable = storm_engine.ask_many([g["question"] for g in gold if not g["gold"]])
    assert sum(a.abstained for a in answers) / len(answers) <= 0.03
    assert sum(a.abstained for a in unanswerable) / len(unanswerable) >= 0.80


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(
            "What proportion of patients were male?",  # "male": a word the article never uses
            marks=pytest.mark.xfail(strict=True, reason="answered '53%' (of high-risk cytogenetics) at 0.76 (0.64, 0.68, 0.58 and 0.60 before the confidence refits of 8 December, 0.65 with "
                                    "the models before the ranking retrained on 8 December; abstained at 0.28 before the encoder trained on COVID-QA too; issue 12)"),
        ),
        "How many patients required a dose reduction?",
        "How many patients had grade 3 or 4 constipation?",  # the list of grade 3-4 events names none
    ],
)
def test_a_value_the_article_does_not_report_is_not_invented(storm_engine, question: str) -> None:
    # The nearest sentences hold other percentages and counts; quoting one would mislead.
    ans = storm_engine.ask(question)
    assert ans.abstained and ans.answer is None and ans.citations


@pytest.mark.parametrize(
    "question",
    [
        "What dose of selinexor was used in part 1 of STORM?",  # the article reports part 2
        "What was the median overall survival in non-responders?",  # it reports responders' survival
        "What was overall survival in patients who did not respond?",  # the same, in other words
        "What was median OS across the whole cohort?",  # it reports the survival of responders only
        "What was the ORR in the BOSTON trial of selinexor, bortezomib and dexamethasone?",  # it never names BOSTON
        "What was the median follow-up time?",  # it gives the median time to response, and follow-up elsewhere
        "What was the median progression-free survival?",  # it gives median overall survival only
        "What was the response rate in patients with high-risk cytogenetics?",  # it gives how many had them
        "What was the overall response rate among patients aged 80 or over?",  # it gives everyone's
        "What was the median age in the placebo arm?",  # a single-arm trial: it gives everyone's
        "What was the response rate in patients previously given elotuzumab?",  # it names no elotuzumab
        "How many patients had received ixazomib before?",  # nor ixazomib
    ],
)
def test_a_question_the_best_passage_contradicts_is_not_answered(storm_engine, question: str) -> None:
    ans = storm_engine.ask(question)
    assert ans.abstained and ans.answer is None


@pytest.mark.parametrize(
    "question",
    [
        "Who was the lead investigator of the STORM part 2 trial?",
        "How many responders and non-responders were analyzed for biomarkers?",
        "WHAT WAS THE MEDIAN DURATION OF RESPONSE IN STORM?",
        "What was the median time to response?",
        "What was the median time since myeloma diagnosis?",  # "diagnosis": a word it never uses
        "How much dexamethasone was given with selinexor?",  # agents it names
        "What was median overall survival in patients who achieved a response?",  # the group it reports
        "What was the overall response rate in patients treated with selinexor?",  # everyone in it was
    ],
)
def test_the_part_or_group_the_article_reports_is_answered(storm_engine, question: str) -> None:
    from qa.answering.confidence import features
    from qa.answering.ranking import rank

    query = storm_engine.prepare(question)
    ranked = rank(storm_engine.index, query, storm_engine.embedder.encode([query.dense_text])[0], storm_engine.settings)
    assert features(storm_engine.index, query, ranked)["contradiction"] == 0.0  # the part asked is the part reported
    assert not storm_engine.ask(question).abstained


def test_a_description_is_cited_as_a_passage_of_two_sentences(storm_engine) -> None:
    ans = storm_engine.ask("What is XPO1?")
    first = ans.citations[0]
    assert len(first.units) == 2
    assert first.text.startswith("Exportin 1 (XPO1) is involved") and "over-expressed" in first.text
    assert storm_engine.document_text(first.doc)[first.start : first.end] == first.text


def test_a_value_is_cited_as_the_one_sentence_that_holds_it(storm_engine) -> None:
    ans = storm_engine.ask("How many patients died?")
    assert len(ans.citations[0].units) == 1


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What was the rate of grade 3 or 4 nausea?", "the closest passage lists values for other things than the one asked"),
        ("What was the median overall survival?", "the closest passage reports a group the question does not name"),
        ("What was the overall survival of non-responders?", "the closest passage is about the group the question leaves out"),
        ("How do I reset my router password?", None),  # nothing contradicts it: nothing comes near it
    ],
)
def test_an_abstention_says_why_when_a_check_knows(storm_engine, question: str, reason: str | None) -> None:
    ans = storm_engine.ask(question)
    assert ans.abstained and ans.reason == reason


@pytest.mark.parametrize("question", ["What is the capital of France?", "How do I reset my router password?"])
def test_off_topic_questions_abstain_but_offer_related_passages(storm_engine, question: str) -> None:
    ans = storm_engine.ask(question)
    assert ans.abstained and ans.answer is None
    assert ans.confidence < 0.5


def test_follow_up_carries_the_previous_question(storm_engine) -> None:
    first = "What was the median duration of response?"
    ans = storm_engine.ask("and the overall survival?", previous=first)
    assert "overall survival" in ans.searched.lower()
    assert "median overall survival of 15.6 months" in ans.citations[0].text


def test_a_follow_up_about_those_who_did_not_respond_keeps_the_verb_and_is_not_answered_for_responders(storm_engine) -> None:
    ans = storm_engine.ask("and the patients who did not respond?", previous="How long did responders survive?")
    assert ans.searched == "How long did patients who did not respond survive?"
    assert ans.abstained and ans.answer is None  # the article gives the responders' survival only


def test_a_follow_up_naming_another_measure_asks_it_of_the_same_thing(storm_engine) -> None:
    ans = storm_engine.ask("and the duration?", previous="What was the median time to response?")
    assert ans.citations[0].text.startswith("Median duration of response in responders")
    assert ans.answer == "4.4 months (95% CI, 3.7–10.8)"


def test_one_article_holds_all_of_the_rankings_probability(storm_engine) -> None:
    from qa.answering.confidence import features
    from qa.answering.ranking import rank

    query = storm_engine.prepare("What was the median duration of response?")
    ranked = rank(storm_engine.index, query, storm_engine.embedder.encode([query.dense_text])[0], storm_engine.settings)
    f = features(storm_engine.index, query, ranked)
    assert 0.0 < f["mass"] < f["doc_mass"] == pytest.approx(1.0)  # the best unit's share, and its document's


def test_a_question_in_british_spelling_finds_the_american_sentence(storm_engine) -> None:
    answer = storm_engine.ask("How common was grade 3 or 4 anaemia?")
    assert "anemia (44%)" in answer.citations[0].text
