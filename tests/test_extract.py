"""Short answers: a verbatim span of the cited sentence, of the asked-for kind (no model)."""

from __future__ import annotations

import pytest

from qa.answering.extract import short_answer
from qa.answering.query import analyse

GRADE_3_4 = (
    "Most common grade 3 or 4 adverse events were thrombocytopenia (59% of patients), anemia (44%), "
    "fatigue (25%), hyponatremia (22%) and neutropenia (21%)"
)
RESPONSES = "Two complete responses (CR), six very good partial responses (VGPR), and 24 partial responses (PR)"


def read(question: str, text: str) -> str | None:
    """The short answer qa reads off text for the question, or None."""
    span = short_answer(analyse(question), text)
    return text[span[0] : span[1]] if span else None


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        ("What was the median duration of response?",
         "Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)", "4.4 months (95% CI, 3.7–10.8)"),
        ("What was the ORR?", "Overall response rate: 26.0% (95% CI, 19.0–35.0)", "26.0% (95% CI, 19.0–35.0)"),
        # Counts come before what they count; "VGPRs" is the plural of "VGPR".
        ("How many VGPRs were observed?", RESPONSES, "six"),
        ("How many partial responses were there?", RESPONSES, "24 partial responses"),
        # The question's own numbers ("grade 3 or 4") are not the answer; a share answers "how many".
        ("How many patients had severe (grade 3 or 4) anemia?", GRADE_3_4, "44%"),
        ("How common was grade 3 or higher hyponatremia?", GRADE_3_4, "22%"),
        ("Who led the trial?",
         "Ajai Chari from Mount Sinai Hospital, New York, US and colleagues conducted a multicenter trial", "Ajai Chari"),
        ("What dose of dexamethasone was given?", "The STORM study administered 80 mg selinexor alongside 20 mg dexamethasone", "20 mg"),
    ],
)
def test_the_value_is_read_from_the_sentence(question: str, text: str, answer: str) -> None:
    span = short_answer(analyse(question), text)
    assert span is not None
    assert text[span[0] : span[1]].strip(" ,;") == answer


def test_a_reason_is_the_whole_sentence_not_a_span() -> None:
    q = analyse("Why did most patients discontinue selinexor?")
    assert short_answer(q, "118 (96%) patients discontinued treatment, with disease progression the most common cause") is None


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        ("What does XPO1 stand for?", "Exportin 1 (XPO1) is involved in the exportation of nuclear proteins", "Exportin 1"),
        ("How long was each treatment cycle?", "on days 1 and 3 of every week for 4-week cycles to assess safety", "4-week cycles"),
        ("What was the sample size of the efficacy population?", "to assess safety (n=123) and efficacy (n=122).", "n=122"),
    ],
)
def test_definitions_cycles_and_sample_sizes(question: str, text: str, answer: str) -> None:
    span = short_answer(analyse(question), text)
    assert span is not None and text[span[0] : span[1]] == answer


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        ("How many patients were needed in each group?",
         "Sixty patients were needed in each treatment group for a two-sided significance level of 0.05", "Sixty patients"),
        ("How many were randomised?", "In this two-stage design, 48 were randomised", "48"),
        ("How many arms did the trial have?", "This was a three-arm, double-blind trial", None),
        ("How many new tuberculosis cases are there each year?", "There were 9.2 million new cases", "9.2 million new cases"),
        ("What was the mean number of neck pain days?", "Neck pain days fell by a mean of 6.7 in the two groups", "6.7"),
        ("How many days did nurses wear the monitor?", "No significant differences in the days worn (P > 0.05)", None),
    ],
)
def test_a_count_is_not_a_compound_or_a_significance_level(question: str, text: str, answer: str | None) -> None:
    assert read(question, text) == answer


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("How many patients were randomised?", "Random number sequence was obtained by flipping a virtual coin [8]."),
        ("What was the primary outcome?",
         "First, we assumed that all non-completers would have been non-responders: this gave a response rate of 40/57 (70%)"),
    ],
)
def test_no_value_is_read_from_a_reference_marker_or_away_from_what_is_asked(question: str, text: str) -> None:
    assert short_answer(analyse(question), text) is None


ARMS = "Outcomes were analysed in the active arm (n=58) and the placebo arm (n=61)."
STOPPED = "Overall, 12 (10%) stopped early and 5 (4%) were lost to follow-up."


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        # A list's bracketed value answers only for its own label...
        ("How often did grade 3-4 vomiting occur?", GRADE_3_4, None),
        ("How many people had a severe rash?", GRADE_3_4, None),
        ("What share of patients had severe fatigue?", GRADE_3_4, "25%"),
        ("How many placebo patients were analysed?", ARMS, "n=61"),
        ("How many were analysed in the active arm?", ARMS, "n=58"),
        ("How many patients were analysed?", ARMS, None),
        # ...while a count's share is no label's value
        ("How many patients stopped early?", STOPPED, "12 (10%)"),
        ("How many non-responders were analysed?", "Of 60 patients, 21 responders and 39 non-responders were analysed", "39 non-responders"),
        # nor is the next day or grade of a run, or the "or" of a sentence an odds ratio
        ("How many patients took part?", "Patients received the drug on days 1 and 8 of each cycle", None),
        ("Was nausea or vomiting more common?", "Grade 3 or 4 nausea occurred in five patients and vomiting in three", None),
    ],
)
def test_a_value_answers_for_what_it_is_the_value_of(question: str, text: str, answer: str | None) -> None:
    assert read(question, text) == answer


UTEROTONICS = ("The proportion needing additional uterotonic treatment was 3.1% after carbetocin and 7.2% after "
               "oxytocin; relative risk 0.41 (95% CI 0.27-0.62)")


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        # one arm's value is no answer to a comparison; the effect measure it asks for is
        ("What proportion needed more uterotonics with carbetocin compared with oxytocin?", UTEROTONICS, None),
        ("What was the relative risk of needing uterotonics with carbetocin versus oxytocin?", UTEROTONICS, "0.41 (95% CI 0.27-0.62)"),
        # a number is not read from inside another one, nor an interval's level as a share
        ("How many patients relapsed?", "Relapse was less frequent with the drug (p = .01)", None),
        ("What percentage of patients improved?", "Scores improved by 3 points (95% CI, 1-5)", None),
    ],
)
def test_comparisons_and_pieces_of_numbers_give_no_value(question: str, text: str, answer: str | None) -> None:
    assert read(question, text) == answer


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        # thousands are grouped by commas or spaces
        ("How many cases were notified?", "By May, health authorities had been notified of 12,406 cases", "12,406 cases"),
        ("How many deaths were reported?", "There were 1 204 deaths in the first wave", "1 204 deaths"),
        ("How many people tested positive?", "Of those tested, 0.2 million people were positive", "0.2 million people"),
        # a count may be a range, and a span of years is none
        ("How many cases occur each year?", "Each year 3-5 million cases of severe illness are reported", "3-5 million cases"),
        ("How many people died in the pandemic?", "During the 1918-1919 pandemic, 50 million people died", "50 million people"),
        # a year in a name is no date, nor a number in a name a value
        ("When was the outbreak first reported?", "The 2019-nCoV outbreak was first reported in December 2019", "December 2019"),
        ("What is the main diagnostic method?", "With the spread of 2019-nCoV, RT-PCR is the main diagnostic method", None),
        # a mean keeps its spread
        ("What was the mean age of participants?",
         "The mean age of the patients was 57.7±12.6 years; the majority (74%) were males.", "57.7±12.6 years"),
        ("How long was the hospital stay?", "The mean hospital stay was 4.2 ± 1.1 days with the new protocol.", "4.2 ± 1.1 days"),
        # a label is one line of one sentence: two joined sentences are no "label: value"
        ("Who funded the trial?",
         "The trial was funded by the Norwegian Research Council.\nTrial registration: ClinicalTrials.gov NCT01234567.", None),
        # an age is no length of time
        ("How long was the follow-up?", "Participants were eligible if aged 12-16 years and had knee pain.", None),
        ("How long was the follow-up?", "Patients aged 65 years or older were followed up for 12 months.", "12 months"),
        ("How long did treatment last?", "Women delivering before 37 weeks of gestation were excluded.", None),
        ("How long was the follow-up?", "Ethical approval was granted to increase the age range to 7-16 years.", None),
        # an amount counts nothing
        ("How many patients were treated with r-FSH?",
         "Patients treated with r-FSH required a 21.2% lower number of vials (75 IU) than patients treated with HP-uFSH.", None),
        # number words make one number ("Seven hundred and fifty", "Twenty-nine")
        ("How many participants were randomised?",
         "Seven hundred and fifty patients were randomized and 712 patients were followed.", "Seven hundred and fifty patients"),
        ("How many children completed the trial?", "Twenty-nine children completed the trial.", "Twenty-nine children"),
        # a share answers "how many" only where the sentence names what is counted
        ("How many patients were enrolled?", "53% of patients had high-risk cytogenetic mutations", None),
        ("How many patients had high-risk cytogenetics?", "53% of patients had high-risk cytogenetic mutations", "53%"),
        # an ordinal counts nothing, nor a ratio's terms
        ("How many participants were randomised?",
         "Following the 2nd assessment, participants were randomly assigned to either exercise programme.", None),
        ("How many participants were randomised?", "The randomisation list was generated in a 1:1 ratio by a statistician.", None),
        ("How many patients were randomised?", "Patients were randomised 2 : 1 to drug or placebo; 90 patients were randomised.",
         "90 patients"),
        # a value's unit is a word, not "in"; "one of" is no value; a bare "Center" is no place
        ("What was the basic reproduction number?", "The basic reproduction number was about 2.2 in Wuhan", "about 2.2"),
        ("What was the rise in viral load?", "The viral load was 40-fold higher in the index case", "40-fold"),
        ("What is a major cause of readmission?", "Heart failure is one of the major causes of readmission", None),
        ("Where were the samples analysed?", "Samples were analysed at the reference Center in the capital", None),
    ],
)
def test_numbers_names_and_places_read_as_a_reader_would(question: str, text: str, answer: str | None) -> None:
    assert read(question, text) == answer


def test_a_which_question_gets_no_stray_number() -> None:
    text = "a four-protein classifier (IRF3, ARL2BP, ZBTB17, and ATRX) which had a prediction accuracy of 83%"
    assert short_answer(analyse("Which proteins make up the response classifier?"), text) is None


@pytest.mark.parametrize(
    ("question", "row", "context", "answer"),
    [
        ("What was the mean age of the women given carbetocin?", "Age (years); mean (SD) | 33.0 (4.6) | 33.3 (4.6) | NS",
         "Table 1: Demographics — Carbetocin | Oxytocin | p value", "33.0 (4.6)"),
        ("What was the mean age with oxytocin?", "Age (years); mean (SD) | 33.0 (4.6) | 33.3 (4.6) | NS",
         "Table 1: Demographics — Carbetocin | Oxytocin | p value", "33.3 (4.6)"),
        ("What was the hospital stay with warm packs?", "Hospital stay, days\n4.1 (1.2)\n4.3 (1.5)\n0.41",
         "Table 2: Outcomes — Outcome | Warm packs | Control | P", "4.1 (1.2)"),
        ("How many withdrawals were there?", "Withdrawals | 7", "Table 3: Safety — Outcome | Total", "7"),
        # No column named and several values: no short answer (the row is the answer).
        ("What was the mean age?", "Age (years); mean (SD) | 33.0 (4.6) | 33.3 (4.6) | NS",
         "Table 1: Demographics — Carbetocin | Oxytocin | p value", None),
    ],
)
def test_a_table_row_answers_with_the_cell_under_the_column_asked_about(question: str, row: str, context: str,
                                                                        answer: str | None) -> None:
    span = short_answer(analyse(question), row, context)
    assert (row[span[0] : span[1]] if span else None) == answer


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        (
            "What was the relative risk of additional uterotonic treatment after carbetocin versus oxytocin?",
            "The proportion of subjects needing additional uterotonic treatment was 3.1 % (95 % CI 1.7–5.1 %) in the "
            "carbetocin group and 7.2 % (95 % CI 5.8–8.9 %) in all oxytocin groups combined, p = 0.0110 (Table 2). The "
            "relative risk for additional uterotonic treatment after carbetocin versus oxytocin was 0.41 (95 % CI 0.19–0.85).",
            "0.41 (95 % CI 0.19–0.85)",
        ),
        ("What was the hazard ratio for death?", "Mortality was lower with drug A (12% vs 18%; HR 0.62, 95% CI 0.48-0.80).", "0.62"),
        ("What was the odds ratio for relapse?", "Relapse occurred in 40 of 120 patients (odds ratio 1.9 (1.1–3.2)).", "1.9 (1.1–3.2)"),
    ],
)
def test_an_effect_measure_is_the_number_its_name_reports(question: str, text: str, answer: str) -> None:
    span = short_answer(analyse(question), text)
    assert span is not None and text[span[0] : span[1]] == answer


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        # A citation that joins two sentences: the count in the sentence that says what is asked.
        ("How many children were randomised?",
         "Eighty-three children (6.3%) harboured both gametocytes and trophozoites, and were not recruited. A total of "
         "497 eligible children were enrolled in the trial and randomised between the treatment groups.",
         "497 eligible children"),
        ("How many patients died during follow-up?",
         "The trial enrolled 120 patients at four sites. Overall, 7 patients died during follow-up.", "7 patients"),
    ],
)
def test_of_two_sentences_the_value_comes_from_the_one_about_the_question(question: str, text: str, answer: str) -> None:
    assert read(question, text) == answer


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        ("What is the trial registration number?",
         "This randomized placebo-controlled study was registered at ClinicalTrials.gov (NCT02642237). After approval "
         "by the local medical ethics committee, 60 patients were enrolled.", "NCT02642237"),
        ("Where was the trial registered?",
         "The trial was registered in the Iranian Registry of Clinical Trials (IRCT201111095062N2) on 7 October 2012.",
         "IRCT201111095062N2"),
        ("What is the ISRCTN?", "Trial registration: Current Controlled Trials ISRCTN72748991.", "ISRCTN72748991"),
    ],
)
def test_a_registration_question_is_answered_with_the_registry_number(question: str, text: str, answer: str) -> None:
    assert read(question, text) == answer


OS_OF_RESPONDERS = "Patients who had a response (minimal/partial/complete) had median overall survival of 15.6 months"


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        # a value of one group is read off only when the question names that group
        ("What was the median overall survival?", OS_OF_RESPONDERS, None),
        ("How long did responders survive?", OS_OF_RESPONDERS, "15.6 months"),
        ("What was OS in patients who responded?", OS_OF_RESPONDERS, "15.6 months"),
        ("What was the median DoR?", "Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)",
         "4.4 months (95% CI, 3.7–10.8)"),
        ("What was the median age?", "Patients with severe disease had a median age of 62 years.", None),
        ("What was the median age of patients with severe disease?", "Patients with severe disease had a median age of 62 years.",
         "62 years"),
    ],
)
def test_a_group_s_value_answers_only_for_that_group(question: str, text: str, answer: str | None) -> None:
    assert read(question, text) == answer


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # "40/46" is 40 of 46: read whole, never the group size alone
        ("How many patients on hydrotherapy felt much better?", "40/46"),
        ("How many patients given land exercise felt much better?", "19/40"),
    ],
)
def test_a_count_of_a_group_is_read_with_its_group(question: str, answer: str) -> None:
    text = ("Significantly more patients treated with hydrotherapy (40/46, 87%) felt much better or very much better "
            "than the patients treated with land exercise (19/40, 47.5%), p < 0.001 Fisher's exact test.")
    assert read(question, text) == answer
