"""Question analysis: the kind of answer asked for, and what a unit can supply (no model)."""

from __future__ import annotations

import pytest

from qa.answering.query import UNIT_TYPES, analyse, answer_type_of, expand_clipped, expand_family
from qa.index.lexical import LexicalIndex
from qa.text import terms


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many patients died?", "count"),
        ("How long did responses last?", "duration"),
        ("What fraction of patients responded to treatment?", "percent"),
        ("Why did most patients discontinue selinexor?", "reason"),
        ("Who led the trial?", "person"),
        # a funder is an organisation: no person's name answers it ("Ajai Chari" led STORM)
        ("Who funded the trial (funding source or grant)?", None),
        ("Who was the study sponsored by?", None),
        ("When was the study published?", "date"),
        ("What dose of selinexor was given?", "dose"),
        ("What is XPO1?", None),
        ("What is the trial registration number (ClinicalTrials.gov, ISRCTN)?", "registration"),
        ("Where was the trial registered?", "registration"),
        ("What is the NCT number?", "registration"),
        ("When was the trial registered?", "date"),
        ("How many clinical trials are registered?", "count"),
    ],
)
def test_answer_type_of_a_question(question: str, kind: str | None) -> None:
    assert answer_type_of(question) == kind


@pytest.mark.parametrize(
    ("kind", "text", "holds"),
    [
        ("percent", "Overall response rate: 26.0% (95% CI, 19.0–35.0)", True),
        # The level of a confidence interval is not a percentage that answers anything.
        ("percent", "Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)", False),
        ("percent", "a prediction accuracy of 83% (95% CI, 55–95)", True),
        ("percent", "the 90 % confidence interval was wide", False),
        ("reason", "118 (96%) patients discontinued treatment, with disease progression or adverse events the most common causes", True),
        ("reason", "18% of patients discontinued study treatment due to a TEAE", True),
        ("reason", "Median age was 65.2 years", False),
        ("duration", "Median duration of treatment was 9.0 weeks (range 1–60)", True),
        ("dose", "80 mg selinexor alongside 20 mg dexamethasone", True),
        ("registration", "The study was registered at ClinicalTrials.gov (NCT02642237).", True),
        ("registration", "Iranian Registry of Clinical Trials, IRCT201111095062N2", True),
        ("registration", "EudraCT Number 2004-001150-88", True),
        ("registration", "Australian New Zealand Clinical Trials Registry ACTRN12609000820202", True),
        ("registration", "The NCT number was not given; 12345678 patients were screened", False),
    ],
)
def test_what_a_unit_can_supply(kind: str, text: str, holds: bool) -> None:
    assert bool(UNIT_TYPES[kind].search(text)) is holds


def test_abbreviations_are_spelled_out_for_embedding_and_expanded_for_bm25() -> None:
    q = analyse("What was the ORR?")
    assert "overall response rate" in q.dense_text.lower()
    assert q.answer_type == "percent"
    assert {"overal", "respons", "rate"} <= set(q.weights)
    assert q.weights["orr"] == 1.0 and q.weights["respons"] < 1.0


def test_lay_words_stand_in_for_the_article_s_words() -> None:
    q = analyse("What was the rate of AE-related treatment discontinuation?")
    assert "due" in q.alternatives["relat"]


def test_a_clipped_word_stands_for_the_one_corpus_word_it_begins() -> None:
    lexical = LexicalIndex.build([terms("Selinexor and dexamethasone were given."), terms("Pomalidomide was not.")])
    q = analyse("Which population was sel-dex tested in?")
    expand_clipped(q, lexical.completions, lexical.vocab.__contains__)
    assert q.alternatives["sel"] == {"selinexor"} and q.alternatives["dex"] == {"dexamethason"}
    assert q.weights["selinexor"] < 1.0


def test_an_ambiguous_clipped_word_is_left_alone() -> None:
    lexical = LexicalIndex.build([terms("dexamethasone"), terms("dexterity")])
    q = analyse("Was dex given?")
    expand_clipped(q, lexical.completions, lexical.vocab.__contains__)
    assert "dex" not in q.alternatives


@pytest.mark.parametrize(
    ("question", "article", "found"),
    [
        ("How long did responders survive?", "Patients who had a response had median overall survival of 15.6 months.", "respons"),
        ("What was the response rate?", "Nine patients responded.", "respond"),
        ("How many were admitted to hospital?", "Hospital admission was rare.", "admiss"),
        ("Who was excluded?", "Exclusion criteria were ...", "exclus"),
        ("How large was the reduction in pain?", "Pain was reduced by half.", "reduc"),
    ],
)
def test_a_question_word_finds_its_latin_word_family_in_the_article(question: str, article: str, found: str) -> None:
    lexical = LexicalIndex.build([terms(article)])
    q = analyse(question)
    expand_family(q, lexical.vocab.__contains__)
    assert found in set().union(*q.alternatives.values())
    assert q.weights[found] < 1.0


def test_a_word_family_the_article_does_not_use_or_a_false_friend_adds_nothing() -> None:
    lexical = LexicalIndex.build([terms("Patients in intensive care were given the intended dose."), terms("No one responded.")])
    for question in ("How many patients were in intensive care?", "Was the dose the one intended?", "How many responders?"):
        q = analyse(question)
        expand_family(q, lexical.vocab.__contains__)
        assert not {"intend", "intens", "respons"} & set().union(set(), *q.alternatives.values()), question


def test_parts_phases_and_arms_are_read_with_their_numbers() -> None:
    from qa.answering.abstention import _parts

    assert _parts("This formed part two of the STORM study, a phase IIb trial") == {("part", "2"), ("phase", "2b")}
    assert _parts("in Part 1 and cohort 3") == {("part", "1"), ("cohort", "3")}


@pytest.mark.parametrize(
    ("question", "unit", "contradicts"),
    [
        ("What was overall survival in patients who did not respond?",
         "Patients who had a response (minimal/partial/complete) had median overall survival of 15.6 months", True),
        ("How long did patients who didn't respond to treatment survive?", "Responders survived 15.6 months", True),
        ("What was the survival of those who failed to respond?", "Responders survived 15.6 months", True),
        ("What was overall survival in patients who did not respond?",
         "Non-responders survived 5.1 months and responders 15.6 months", False),  # it names both groups
        ("What was overall survival in patients who did not respond?",
         "Patients who did not respond survived 5.1 months", False),
        ("How did survival of patients who responded compare with those who did not respond?",
         "Responders survived 15.6 months", False),  # the question asks about both
        ("What happened to patients who did not receive selinexor?", "Patients who received placebo progressed", False),
        ("How long did patients who did not respond survive?", "Responders survived 15.6 months", True),
        ("How long did patients who did not receive selinexor survive?", "Patients who received placebo survived 9 months", False),
        ("What was overall survival in patients who did not have a response?",
         "Patients who had a response (minimal/partial/complete) had median overall survival of 15.6 months", True),
        ("How long did patients who did not achieve remission live?", "Patients in remission lived 30 months", True),
        ("How did did not expect but received alcohol affect misled responses?", "Alcohol was expected", False),
        ("What was the median overall survival in non-responders?", "Responders survived 15.6 months", True),
    ],
)
def test_a_group_defined_by_what_it_did_not_do_is_not_answered_by_the_group_that_did(
    question: str, unit: str, contradicts: bool,
) -> None:
    from qa.answering.abstention import _non_asked

    assert _non_asked(analyse(question), unit) is contradicts


@pytest.mark.parametrize(
    ("question", "unit", "subject", "anywhere"),
    [
        ("What was the median overall survival?",
         "Patients who had a response (minimal/partial/complete) had median overall survival of 15.6 months", True, True),
        ("How long did responders survive?",
         "Patients who had a response (minimal/partial/complete) had median overall survival of 15.6 months", False, False),
        ("What was the response rate?", "Among patients with renal impairment, the response rate was 20%", True, True),
        ("What was the median time to progression?", "In responders, the median time to progression was 8 months", True, True),
        # a group named after the finding describes the population, not a subgroup's result
        ("What did the authors conclude?",
         "Selinexor induced a response in a quarter of patients who had received many regimens", False, True),
    ],
)
def test_a_result_for_a_group_the_question_does_not_name_is_read_from_the_sentences_subject(
    question: str, unit: str, subject: bool, anywhere: bool,
) -> None:
    from qa.answering.extract import of_a_group_not_asked

    q = analyse(question)
    assert of_a_group_not_asked(q, unit, subject=True) is subject
    assert of_a_group_not_asked(q, unit) is anywhere


_ADVERSE_EVENTS = "Most common grade 3 or 4 adverse events were thrombocytopenia (59% of patients), anemia (44%), fatigue (25%)"


@pytest.mark.parametrize(
    ("question", "unit", "contradicts"),
    [
        ("What was the rate of grade 3 or 4 nausea?", _ADVERSE_EVENTS, True),
        ("How many patients had severe diarrhoea?", _ADVERSE_EVENTS, True),
        ("How common was grade 3 or 4 anaemia?", _ADVERSE_EVENTS, False),  # its label, in British spelling
        ("How often did severe low platelet counts occur?", _ADVERSE_EVENTS, False),  # a lay word for its label
        ("Which grade 3 or 4 adverse event was most common?", _ADVERSE_EVENTS, False),  # a label is the answer
        # values of another kind than the one asked: the dose is no list item
        ("What dose of selinexor was given?", "Selinexor 80 mg was given to assess safety (n=123) and efficacy (n=122)", False),
        # a comparison names its arms otherwise than the list labels them
        ("Compared with no pen, what did an attractive pen do to the response rate?",
         "The response rate was higher in the intervention group (61.9%) than in the control group (52.5%)", False),
        ("How many deaths were due to infection?", "Causes of mortality: disease progression (n=16), adverse events (n=12)", True),
        # the count asked is given beside the list: the arms' sizes are no answer, nor a reason to abstain
        ("How many participants were randomised?",
         "A total of 240 women were randomised to warm packs (n = 120) or usual care (n = 120).", False),
    ],
)
def test_a_list_of_values_for_other_things_than_the_one_asked_contradicts_it(question: str, unit: str, contradicts: bool) -> None:
    from qa.answering.abstention import _lists_other_things

    assert _lists_other_things(analyse(question), unit) is contradicts


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("What was the median time to progression?", ["progress"]),
        ("What was the median follow-up time?", ["follow"]),
        ("What was the median progression-free survival with sel-dex?", ["progress", "free", "surviv"]),
        ("What was the median age of the study population?", ["age"]),
        ("What is the mean time from onset of symptoms to ICU admission?", ["onset", "symptom", "icu", "admiss"]),
        ("What was the median overall survival of patients treated with dexamethasone?", ["overal", "surviv"]),
        ("What was the median case age?", ["age"]),
        ("What does XPO1 mean?", []),
        ("What was the overall response rate?", ["respons", "overal"]),
        ("What was the response rate in patients with high-risk cytogenetics?", ["respons"]),
        ("What was the 12-month overall survival rate?", ["surviv", "overal", "month"]),
        ("What is the incubation period of COVID-19?", ["incub"]),
        ("What was the rate of severe neutropenia?", []),  # named after it: the list's labels are checked
        ("What share of patients responded?", []),
        # a comparison names its arms before the measure: they are not the quantity
        ("How did esomeprazole 40 mg twice daily affect exacerbation rate relative to placebo?", []),
    ],
)
def test_the_quantity_a_statistic_is_asked_for_is_read_without_its_kind(question: str, words: list[str]) -> None:
    from qa.answering.abstention import measured

    assert measured(question) == words


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("randomised", "randomized"), ("randomisation", "randomization"), ("anaemia", "anemia"),
        ("hyponatraemia", "hyponatremia"), ("diarrhoea", "diarrhea"), ("oedema", "edema"), ("tumours", "tumors"),
        ("centre", "center"), ("analysed", "analyzed"), ("paediatric", "pediatric"), ("behaviour", "behavior"),
        ("programme", "program"), ("sulphonylurea", "sulfonylurea"), ("hospitalisation", "hospitalization"),
    ],
)
def test_british_and_american_spellings_are_one_term(british: str, american: str) -> None:
    assert terms(british) == terms(american)


def test_spelling_leaves_other_words_apart() -> None:
    words = "four hour tour dose response disease increase use base rise raise wise analysis genre acre".split()
    assert len({terms(w)[0] for w in words if terms(w)}) == len([w for w in words if terms(w)])
