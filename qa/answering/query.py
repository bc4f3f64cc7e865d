"""What a question asks for: search terms, expansions and the kind of answer.

Clinical readers write "ORR", "side effects" and "how many died"; articles
write "overall response rate", "adverse events" and "mortality". A Query
carries the question's own terms (weighted fully) and the expansions (weighted
less), the text to embed, and the answer type ("how long" asks for a
duration), which the reranker matches against what each unit contains.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.answering.vocabulary import ABBREVIATIONS, SYNONYMS
from qa.text import STOPWORDS, fold, siblings, terms, words

EXPANSION_WEIGHT = 0.5

# Words that frame a question rather than name its subject.
_QUESTION_FRAME = re.compile(r"\bhow (?:long|many|much|often|old)\b|\bwhat (?:kind|type|percentage|proportion) of\b", re.I)

ANSWER_TYPES: dict[str, re.Pattern[str]] = {
    "duration": re.compile(
        r"\bhow (?:quickly|fast|soon)\b|\bhow long\b|\bduration\b|\bhow many (?:days|weeks|months|years|hours|cycles)\b|\bmedian (?:time|follow)|"
        r"\b(?:time|period) (?:to|until|from|of)\b|\blast(?:ed)?\b\??$|\bincubation\b"
    ),
    "percent": re.compile(
        r"\bwhat (?:percentage|percent|proportion|fraction|share|rate)\b|\bhow many percent\b|\bpercentage\b|"
        r"\bproportion\b|\bhow (?:common|frequent)\b|\bresponse rate\b|\bwhat share\b|\b(?:mortality|fatality|attack|positivity) rate\b|\brate of\b"
    ),
    "count": re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow much\b|\bsample size\b"),
    # a funder or sponsor is an organisation, not the person who led the trial
    "person": re.compile(r"^(?!.*\b(?:fund\w*|sponsor\w*|financ\w*|grants?)\b)\s*(?:who|whom)\b|\bwho (?:led|conducted|wrote|ran|authored|discovered|first)\b|\bwhich (?:authors?|investigators?|researchers?|scientists?)\b"),
    "date": re.compile(r"^\s*when\b|\bwhat year\b|\bwhich year\b|\bwhat date\b|\bin what year\b|\bwhen (?:was|were|did)\b"),
    "registration": re.compile(
        r"^(?!.*\bhow many\b).*(?:\bregist(?:ration|ry|ries|er|ered)\b|\bclinicaltrials?(?:\.gov)?\b|\bnct\b|\bisrctn\b|"
        r"\beudract\b|\btrial (?:id|identifier)\b)"
    ),
    "place": re.compile(r"^\s*where\b|\bwhich (?:country|countries|city|cities|hospital|institution|center|centre|region|province)\b|\bin what (?:country|city)\b"),
    "reference": re.compile(
        r"\bjournal\b|\bwhere (?:was|were|is) .*published\b|\bdoi\b|\bvolume\b|\bpage numbers?\b|\bcitation\b|"
        r"\b(?:title|authors?) of the (?:original )?(?:paper|article|publication|study)\b|\bwhen was .* published\b"
    ),
    "reason": re.compile(r"^\s*why\b|\bwhat (?:is|was|are|were) the (?:reason|cause|mechanism)s?\b|\bhow does .* (?:cause|lead to)\b"),
    "dose": re.compile(r"\bwhat dose\b|\bwhat doses\b|\bdose\b|\bdosage\b|\bdosing\b|\bhow much .*(?:given|administered)\b"),
}

_DURATION = r"\d+(?:\.\d+)?[\s-]*(?:[–-]\s*\d+(?:\.\d+)?[\s-]*)?(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?|cycles?)\b"
REGISTRY_NUMBER = (
    r"\b(?:NCT\s?\d{8}|ISRCTN\s?\d{8}|ACTRN\d{14}|ChiCTR[-A-Za-z]*\d{6,}|IRCT\w*?\d{6,}\w*|CTRI/\d{4}/\d+/\d+|"
    r"DRKS\d{8}|NTR\s?\d{3,5}|NL\d{4,5}|UMIN\d{9}|JPRN-\w+|KCT\d{7}|PACTR\d{15}|TCTR\d{11}|RBR-\w+|SLCTR/\d{4}/\d+|"
    r"\d{4}-\d{6}-\d{2})\b"
)
"""A trial's number in a public registry (ClinicalTrials.gov, ISRCTN, the WHO primary
registries, EudraCT): what "What is the trial registration number?" asks."""
REGISTRIES = ("ClinicalTrials.gov", "ISRCTN", "ANZCTR", "ACTRN", "ChiCTR", "CTRI", "IRCT", "DRKS", "UMIN", "JPRN",
              "PACTR", "TCTR", "SLCTR", "EudraCT", "PROSPERO")
"""The registries that number trials, by the names questions call them."""
INTERVAL_LEVEL = r"\s*(?:CI|CrI|confidence|credib|prediction)"
"""What follows a percentage that is an interval's level ("95% CI"), not a value."""
UNIT_TYPES: dict[str, re.Pattern[str]] = {
    "duration": re.compile(_DURATION, re.I),
    # "95% CI" and "90% confidence" are the level of an interval, not a value that answers.
    "percent": re.compile(rf"\d+(?:\.\d+)?\s*%(?!{INTERVAL_LEVEL})|\bpercent\b|\bper cent\b", re.I),
    "count": re.compile(r"\b\d[\d,]*\b|\bn\s*=\s*\d+|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?)\b", re.I),
    "person": re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)? [A-Z][a-z]+(?:-[A-Z][a-z]+)?\b(?= (?:from|and colleagues|et al|of the|at)\b)|\bet al\b|\b[A-Z][a-z]+,? [A-Z]\.(?: |,|$)|\bDr\.? [A-Z]"),
    "date": re.compile(r"\b(?:19|20)\d{2}\b|\b(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b"),
    "place": re.compile(r"\b(?:Hospital|University|Institute|Center|Centre|Clinic|College|School)\b|\b(?:in|from|at) (?:the )?[A-Z][A-Za-z]+(?:,? [A-Z][A-Za-z]+)*"),
    "reference": re.compile(r"\b(?:J|Journal|Med|Lancet|Nature|Science|Proc|Ann|Clin|Rev|Lett)\.? (?:19|20)\d\d\b|\bdoi\b|\bet al\b", re.I),
    "reason": re.compile(r"\bdue to\b|\bbecause\b|\bcaused by\b|\bcauses\b|\bcause of\b|\bas a result\b|\bowing to\b|\bleads? to\b|\bresults? in\b|\bsince\b|\btherefore\b|\binhibit", re.I),
    "dose": re.compile(r"\d+(?:\.\d+)?\s*(?:mg|g|mcg|µg|μg|ml|mL|IU|units?)(?:/(?:kg|m2|m²|day|d))?\b", re.I),
    "registration": re.compile(REGISTRY_NUMBER),
}


@dataclass(slots=True)
class Query:
    """A question prepared for retrieval."""

    question: str
    """What the user typed."""
    text: str
    """The question as searched: follow-up context added, abbreviations spelled out."""
    dense_text: str
    """What is embedded."""
    weights: dict[str, float] = field(default_factory=dict)
    """Stemmed lexical terms and their weights (question 1.0, expansions less)."""
    core: list[str] = field(default_factory=list)
    """The question's own content terms, in order (for coverage and phrases)."""
    alternatives: dict[str, set[str]] = field(default_factory=dict)
    """For each core term, the expansion terms that can stand in for it."""
    groups: list[list[str]] = field(default_factory=list)
    """Expansion terms by the phrase they stand in for: a unit scores for the
    best of a group, not their sum ("died" -> mortality, deaths, fatal)."""
    answer_type: str | None = None


_COMPARISON = re.compile(
    r"\b(?:compar\w*|versus|vs\.?|relative to|rather than|than|against|differ\w*|between\b.+\band\b|effect of\b.+\bon\b)",
    re.I,
)


def is_comparison(question: str) -> bool:
    """The question compares two arms, or asks an intervention's effect on an outcome."""
    return bool(_COMPARISON.search(question))


def asks_for_publication(q: Query) -> bool:
    """The question asks about a publication (its journal, date, authors, DOI), which
    a reference list can answer; "When was the paper published?" asks a date too."""
    return q.answer_type == "reference" or bool(ANSWER_TYPES["reference"].search(fold(q.dense_text)))


def answer_type_of(question: str) -> str | None:
    q = fold(question)
    for name in ("date", "registration", "reference", "reason", "duration", "percent", "person", "dose", "place", "count"):
        if ANSWER_TYPES[name].search(q):
            return name
    return None


def analyse(question: str, corpus_abbreviations: dict[str, str] | None = None) -> Query:
    """Prepare a question for retrieval."""
    abbrevs = dict(ABBREVIATIONS)
    if corpus_abbreviations:
        abbrevs.update(corpus_abbreviations)
    folded = fold(question)
    toks = words(question)
    expansions: list[tuple[str, str]] = []  # (core word or phrase, expansion text)
    spelled = question
    for tok in dict.fromkeys(toks):
        long = abbrevs.get(tok)
        if not long and tok.endswith("s") and len(tok) > 2 and re.search(rf"\b{re.escape(tok[:-1].upper())}s\b", question):
            long = abbrevs.get(tok[:-1])  # "CRs", "AEs"
        if not long:
            continue
        if tok in STOPWORDS and not re.search(rf"\b{re.escape(tok.upper())}\b", question):
            continue  # "who" asks; "WHO" is the organisation
        expansions.append((tok, long))
        first = re.search(rf"\b{re.escape(tok)}\b", spelled, flags=re.I)
        if first:
            spelled = f"{spelled[: first.end()]} ({long}){spelled[first.end() :]}"
    # Long forms in the question also match their abbreviation in the text.
    for short, long in abbrevs.items():
        lf = fold(long)
        if len(lf) > 6 and lf in folded and short not in toks:
            expansions.append((lf.split()[0], short))
    for phrase, extra in SYNONYMS.items():
        if re.search(rf"\b{re.escape(phrase)}\b", folded):
            expansions.append((phrase.split()[-1], extra))
    core = terms(_QUESTION_FRAME.sub(" ", question))
    weights: dict[str, float] = {}
    for t in core:
        weights[t] = weights.get(t, 0.0) + 1.0
    alternatives: dict[str, set[str]] = {}
    groups: list[list[str]] = []
    for anchor, extra in expansions:
        anchor_terms = terms(anchor)
        group = []
        for t in terms(extra):
            if t not in weights:
                weights[t] = EXPANSION_WEIGHT
                group.append(t)
            for a in anchor_terms:
                alternatives.setdefault(a, set()).add(t)
        if group:
            groups.append(group)
    return Query(
        question=question,
        text=question,
        dense_text=spelled,
        weights=weights,
        core=core,
        alternatives=alternatives,
        groups=groups,
        answer_type=answer_type_of(spelled),
    )


def expand_clipped(q: Query, completions: Callable[[str], list[str]], known: Callable[[str], bool]) -> None:
    """Clinical shorthand clips a word to its start ("sel-dex", "pred", "dara"): a
    question word the corpus never uses that begins exactly one longer corpus
    word stands for that word, as an expansion."""
    for t in dict.fromkeys(q.core):
        if len(t) < 3 or not t.isalpha() or known(t) or q.alternatives.get(t):
            continue
        found = [c for c in completions(t) if c != t]
        if len(found) == 1 and len(found[0]) >= len(t) + 3:
            _stands_in(q, t, found[0])


def expand_family(q: Query, known: Callable[[str], bool]) -> None:
    """A question's "responders" finds the article's "response", its "admitted" the
    "admission": each question term's Latin word family (qa.text.siblings) that the
    corpus uses stands in for it, as an expansion."""
    for t in dict.fromkeys(q.core):
        for s in siblings(t):
            if known(s) and s not in q.alternatives.get(t, ()):
                _stands_in(q, t, s)


def _stands_in(q: Query, term: str, expansion: str) -> None:
    """An expansion found for one question term: weighted as expansions are, and a group
    of its own (BM25 counts it once)."""
    q.weights.setdefault(expansion, EXPANSION_WEIGHT)
    q.alternatives.setdefault(term, set()).add(expansion)
    q.groups.append([expansion])
