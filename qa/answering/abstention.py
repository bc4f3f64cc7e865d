"""Abstention: whether the best passage answers the question at all.

The answerability of a question is the best unit's score and coverage, less
the share of the question's words the documents searched never use, less CONTRADICTION
when the best unit contradicts the question: it reports the median or rate of another
quantity, another part, phase, cohort or arm than the one asked, "X" where
"non-X" or "those who did not X" is asked, a group the question does not name
("Patients who had a response had median overall survival of 15.6 months" for
the median overall survival of all), values of other things than the one asked
("thrombocytopenia (59%), anemia (44%), …" for the rate of nausea), nothing of
the group the question asks about ("in patients with renal impairment" answered by
the overall response rate), or the question names a trial or drug the documents
searched never name. The engine
compares it with the thresholds in Settings.
"""

from __future__ import annotations

import re
from collections.abc import Container

from qa.answering.extract import PATTERNS, labelled_values, of_a_group_not_asked, short_answer, wanted_terms
from qa.answering.query import REGISTRIES, Query, is_comparison
from qa.answering.ranking import Scored
from qa.answering.scope import Scope
from qa.answering.vocabulary import MEASURES, STATISTICS
from qa.index.corpus_index import CorpusIndex
from qa.text import STOPWORDS, fold, stem, terms


def unknown_share(index: CorpusIndex, q: Query, scope: Scope | None = None) -> float:
    """IDF share of the question's words that the documents searched (the scope, or
    the whole corpus) never use, even as a stand-in: a question about things they do
    not mention. Asked of one article of many, what the others say does not count."""
    core = list(dict.fromkeys(q.core))
    if not core:
        return 0.0
    idf = {t: index.lexical.idf_of(t) for t in core}
    used = _used(index, q, core, scope)
    missing = sum(w for t, w in idf.items() if _unknown(q, t, used))
    return missing / (sum(idf.values()) or 1.0)


def _unknown(q: Query, term: str, used: Container[str]) -> bool:
    """Neither the term nor any word the question lets stand in for it is used."""
    return term not in used and not any(a in used for a in q.alternatives.get(term, ()))


def _used(index: CorpusIndex, q: Query, asked: list[str], scope: Scope | None) -> Container[str]:
    """Which of the asked terms and their stand-ins the scope's units use."""
    lexical = index.lexical
    if scope is None:
        return lexical.vocab
    wanted = {*asked, *(a for t in asked for a in q.alternatives.get(t, ()))}
    return lexical.terms_in(wanted, scope.ranges)


CONTRADICTION = 10.0
"""Subtracted from the answerability when the best unit contradicts the question:
more than any match adds, so such a question is always abstained on."""


def answerability(index: CorpusIndex, q: Query, top: Scored, scope: Scope | None = None) -> float:
    """How likely the best unit answers at all (compared with Settings.abstain_below
    and abstain_below_value)."""
    # A contradiction outweighs any match: the unit answers another question.
    penalty = CONTRADICTION if contradicts(index, q, top, scope) else 0.0
    return top.score + top.features["coverage"] - 3.0 * unknown_share(index, q, scope) - penalty


_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "i": "1", "ii": "2", "iii": "3", "iv": "4"}
_PART = re.compile(r"\b(part|phase|cohort|arm|stage|wave)\s+(\d+|one|two|three|four|five|iv|i{1,3})([a-c]?)\b", re.I)
_NAME = re.compile(r"\b[A-Z]{4,}(?:-[A-Z0-9]+)*\b|\b[A-Z0-9]+(?:-[A-Z0-9]+)*-[A-Z]{4,}\b")
_AGENT = re.compile(
    r"\b[a-z]{3,}(?:mab|tinib|ciclib|lisib|parib|zomib|lidomide|platin|taxel|rubicin|citabine|fosfamide|trexate|statin|"
    r"vir|pril|sartan|olol|conazole|cillin|mycin|floxacin|parin|gliptin|gliflozin|glutide|dronate|coxib|prazole|tidine|"
    r"setron|profen|azepam|sone|olone)\b",
    re.I,
)
"""A drug's international nonproprietary name, by the WHO stems that mark its class
("daratumumab", "bortezomib", "ibuprofen", "dexamethasone")."""
_REGISTRY = frozenset(r.casefold() for r in REGISTRIES)
"""A registry's name ("ISRCTN") says where a trial is numbered, not which trial: "What is the
registration number (ClinicalTrials.gov, ISRCTN)?" asks every trial."""
_NON = re.compile(r"\bnon-?([a-z]{3,})", re.I)
_DENIAL = r"\b(?:who|that)\s+(?:(?:did|do|does|could|would|can)(?:\s+not|n['’]t)|failed\s+to|fail\s+to)\s+([a-z]{3,})\b"
_DENIED = re.compile(_DENIAL + r"(?=\s*(?:$|[?.,;:)]|(?:to|on|at|after|with|within|by|in|and|or)\b))", re.I)
"""A group defined by what it did not do, "patients who did not respond (to treatment)":
the same group as "non-responders". Only where nothing is the verb's object: "those who did
not receive selinexor" are the ones who received something else, which a unit about
"patients who received placebo" may well answer."""
_DENIED_SUBJECT = re.compile(r"^\s*(?:how(?:\s+\w+)?|when|why|where|what)\s+(?:did|does|do)\b.*?" + _DENIAL + r"(?=\s+[a-z]+\s*\??\s*$)", re.I)
"""The same group as the subject of a question whose verb ends it: "How long did patients who
did not respond survive?" (the word after "respond" is the question's verb, not an object)."""
_LIGHT_VERBS = frozenset({"have", "get", "take", "make", "use", "need"})
"""Verbs that say little without their object: "who did not have …" names no group."""
_HAVING = r"(?:have|get|achieve|reach|attain|obtain|show|experience|develop)"
"""Verbs of having or reaching: "did not achieve a response" denies the response."""
_DENIED_OBJECT = re.compile(
    r"\b(?:who|that)\s+(?:did|do|does|could|would|can)(?:\s+not|n['’]t)\s+" + _HAVING + r"\s+(?:(?:a|an|any|the)\s+)?([a-z]{3,})\b",
    re.I,
)
"""A group defined by a thing it did not have, "patients who did not achieve a response": the
thing is what is denied (a unit about "patients who had a response" is about the others)."""
_NEGATED_BEFORE = re.compile(
    r"(?:\bnon-?|(?:\b(?:not|no|never|without|failed to|fail to)|n['’]t)\s+(?:" + _HAVING + r"\s+(?:(?:a|an|any|the)\s+)?)?)$"
)
"""What a word's lack reads as, just before it: "non-", "not", "did not achieve a"."""


def _parts(text: str) -> set[tuple[str, str]]:
    """("part", "2") for "part two", ("phase", "2b") for "phase IIb"."""
    out = set()
    for noun, num, suffix in _PART.findall(text):
        num = num.lower()
        out.add((noun.lower(), _NUMBER_WORDS.get(num, num) + suffix.lower()))
    return out


_STATISTIC = frozenset(STATISTICS)
_LINKS = frozenset({"to", "of", "since", "from", "until", "after", "before"})
_QUANTITY = frozenset(stem(w) for w in (*MEASURES, *STATISTICS))
"""Words that name the kind of quantity, not which quantity."""
_POPULATION = frozenset(
    stem(w) for w in "patients participants subjects cases people persons individuals children adults men women".split()
)
"""Whose quantity it is: "of patients" ends the measure ("median age of patients treated with...")."""


_NAMED_BEFORE = frozenset({"rate", "rates", "ratio", "proportion", "percentage", "period", "interval"})
"""Measures whose quantity is named before them ("response rate", "incubation period")."""
_NAMED_WORDS = 3
"""How many words before such a measure can name its quantity ("12-month overall survival rate")."""


def measured(question: str) -> list[str]:
    """The specific words of the quantity a statistic or a rate is asked for: "median
    time to progression" -> [progress]; "mean incubation period" -> [incub]; "response
    rate in patients with ..." -> [respons]."""
    tokens = fold(question).split()
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.strip("?.,;:()") not in _STATISTIC:
            continue
        linked = False
        for j in range(i + 1, len(tokens)):
            word = tokens[j].strip("()\"'")
            bare = word.rstrip("?.,;:")
            if not bare:
                break
            if bare in _LINKS and j + 1 < len(tokens) and tokens[j + 1] not in STOPWORDS:
                linked = True
                continue
            if bare in STOPWORDS:
                break
            found = [t for t in terms(bare) if not t.isdigit()]
            if linked and any(t in _POPULATION for t in found):
                break
            out.extend(t for t in found if t not in _QUANTITY and t not in _POPULATION)
            linked = False
            if word != bare:
                break  # the clause ends here
    if not is_comparison(question):  # a comparison names its arms before the measure ("How did X affect the rate of...")
        out += _named_before(tokens)
    return list(dict.fromkeys(out))


def _named_before(tokens: list[str]) -> list[str]:
    """The words that name a rate's quantity before it: "response rate", "12-month overall
    survival rate" (up to _NAMED_WORDS of them, back to a stopword or a clause's end)."""
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.strip("?.,;:()") not in _NAMED_BEFORE:
            continue
        for j in range(i - 1, max(i - 1 - _NAMED_WORDS, -1), -1):
            bare = tokens[j].strip("()\"'")
            if not bare or bare != bare.rstrip("?.,;:") or bare in STOPWORDS:
                break
            out.extend(t for t in terms(bare) if not t.isdigit() and t not in _QUANTITY and t not in _POPULATION)
    return out


def contradiction(index: CorpusIndex, q: Query, top: Scored, scope: Scope | None = None) -> str | None:
    """Why the best unit, of the documents searched (scope; None: the whole corpus), is
    about something else than the question says, in words for people; None when it is not."""
    unit = index.units[top.unit]
    checks = (
        (lambda: _another_quantity(index, q, top.unit), "the closest passage reports another quantity than the one asked"),
        (lambda: _another_part(index, q, unit.doc), "the documents report another part, phase or arm than the one asked"),
        (lambda: _unnamed_trial(index, q, scope), "the question names a trial or drug the documents searched never name"),
        (lambda: _non_asked(q, unit.text), "the closest passage is about the group the question leaves out"),
        # the short answer is not read off such sentences either (extract.short_answer)
        (lambda: of_a_group_not_asked(q, unit.text, subject=True), "the closest passage reports a group the question does not name"),
        (lambda: _lists_other_things(q, unit.text), "the closest passage lists values for other things than the one asked"),
        (lambda: _group_not_named(index, q, top.unit), "the closest passage does not name the group the question asks about"),
    )
    return next((reason for check, reason in checks if check()), None)


def contradicts(index: CorpusIndex, q: Query, top: Scored, scope: Scope | None = None) -> bool:
    """The best unit is about something else than the question says (contradiction)."""
    return contradiction(index, q, top, scope) is not None


def _another_quantity(index: CorpusIndex, q: Query, i: int) -> bool:
    """The question asks for the median or the rate of a quantity the unit does not
    name, though its document uses the words ("median follow-up time" answered by
    "median time to PR", "response rate in patients with high-risk cytogenetics" by "53%
    of patients had high-risk cytogenetic mutations"). Words the document never uses may
    be the asker's paraphrase; of those it uses, a unit lacking half or more reports
    another quantity ("median overall survival" for "median progression-free survival")."""
    doc = index.units[i].doc
    known = [t for t in measured(q.text) if doc in index.docs_with_term(t)]
    if not known:
        return False
    unit_terms = index.unit_terms(i).unique
    missing = [t for t in known if t not in unit_terms and not q.alternatives.get(t, set()) & unit_terms]
    return 2 * len(missing) >= len(known)


def _another_part(index: CorpusIndex, q: Query, doc: int) -> bool:
    """The question asks about part 1 where the document reports only part 2."""
    asked = _parts(q.text)
    if not asked:
        return False
    a, b = index.doc_unit_ranges[doc]
    reported = set().union(*(_parts(u.text) for u in index.units[a:b]))
    for noun, num in asked:
        others = {n for k, n in reported if k == noun}
        if others and num not in others and num.rstrip("abc") not in {n.rstrip("abc") for n in others}:
            return True
    return False


def _unnamed_trial(index: CorpusIndex, q: Query, scope: Scope | None = None) -> bool:
    """The question names a trial or agent the documents searched never name ("the
    BOSTON trial", "refractory to daratumumab" of an article that names no
    daratumumab). Asked of one article of many, a name only the others use counts."""
    names = [parts for name in _NAME.findall(q.text) + _AGENT.findall(q.text)
             if name.casefold() not in _REGISTRY and (parts := terms(name))]
    if not names:
        return False
    used = _used(index, q, [t for parts in names for t in parts], scope)
    return any(all(_unknown(q, t, used) for t in parts) for parts in names)


def _denied(asked_text: str) -> list[str]:
    """The words of the groups the question asks about by what they are not or did not do:
    "non-responders" and "patients who did not respond" both give "respond"."""
    out = _NON.findall(asked_text)
    out += [w for w in _DENIED.findall(asked_text) + _DENIED_SUBJECT.findall(asked_text) if w not in _LIGHT_VERBS]
    out += _DENIED_OBJECT.findall(asked_text)
    return out


def _mentions(text: str, word: str) -> tuple[bool, bool]:
    """Whether the text speaks of the word's thing itself ("responders", "had a response"),
    and whether of its lack ("non-responders", "did not respond")."""
    affirmed = negated = False
    for m in re.finditer(rf"(?:\b|(?<=non)|(?<=non-)){re.escape(word[:5])}", text):
        if _NEGATED_BEFORE.search(text[max(0, m.start() - 32) : m.start()]):
            negated = True
        else:
            affirmed = True
    return affirmed, negated


def _non_asked(q: Query, unit_text: str) -> bool:
    """The question asks about non-responders (or patients who did not respond) where the
    unit speaks of responders and never of those who did not."""
    text, asked_text = fold(unit_text), fold(q.text)
    for word in _denied(asked_text):
        if _mentions(asked_text, word)[0]:
            continue  # the question asks about both ("invasive and non-invasive ventilation")
        if _mentions(text, word) == (True, False):
            return True
    return False


_LISTED_KINDS = frozenset({"count", "percent", "duration", "dose"})
"""Kinds of value a list gives each of its items in brackets."""


def _lists_other_things(q: Query, unit_text: str) -> bool:
    """The unit lists values of the kind asked for, two or more, each after its label; no
    label names what the question asks about; and no other value of that kind answers it
    (extract.short_answer finds none): "thrombocytopenia (59% of patients), anemia (44%),
    …" for the rate of grade 3 or 4 nausea, but not "240 women were randomised to warm
    packs (n = 120) or usual care (n = 120)" for how many were randomised. A comparison is
    left out: its arms are labelled otherwise than its question names them ("the
    intervention group (61.9%)" for "receive an attractive pen")."""
    kind = q.answer_type
    if kind not in _LISTED_KINDS or is_comparison(q.question):
        return False
    patterns = [PATTERNS[kind], *([PATTERNS["percent"]] if kind == "count" else [])]  # "anemia (44%)" counts too
    listed = [names for start, end, names in labelled_values(unit_text)
              if any(p.search(unit_text, start, end) for p in patterns)]
    wanted = wanted_terms(q)
    return len(listed) >= 2 and not any(names & wanted for names in listed) and short_answer(q, unit_text) is None


_ASKED_GROUP = re.compile(
    r"\b(?:in|among|for)\s+(?:the\s+)?(?:patients|participants|subjects|people|those|cases|(women|men|children|adults))\s+"
    r"((?:with|without|aged|older|younger|over|under|above|below|previously|receiving|given|treated|who)\b[^?.,;:]*)"
    r"|\b(?:in|among|for)\s+the\s+([\w-]+(?:\s+[\w-]+)?)\s+(?:group|arm|cohort)\b",
    re.I,
)
"""A group the question asks a value for: "in patients with renal impairment", "among
patients aged 75 or older", "in the control group"."""
_LINKING = frozenset(stem(w) for w in "previously receiving received given treated".split())
_TOPIC_SHARE = 0.1
"""A word in this share of its document's units (or in its title) is what the document is
about: it names everyone in it ("patients with myeloma" of a myeloma trial)."""


def _group_not_named(index: CorpusIndex, q: Query, i: int) -> bool:
    """The question asks for a value in a group that the unit (its text and headings) names
    by none of the words of the clause that says it: its value is everyone's, or another
    group's ("the response rate in patients with extramedullary disease" answered by the
    overall response rate). A comparison is left out: it names its population with its
    arms. So is a group named only by what its document is about ("patients with myeloma"
    of a myeloma trial: everyone in it)."""
    if is_comparison(q.question):
        return False
    unit = index.units[i]
    text = fold(" ".join((unit.text, *unit.section)))
    for m in _ASKED_GROUP.finditer(q.text):
        phrase = m.group(2) or m.group(3)
        words = [t for t in terms(phrase) if t not in _LINKING]
        words += terms(m.group(1) or "")
        if any(not _about(index, unit.doc, w) for w in words) and not any(w[:5] in text for w in words):
            return True
    return False


def _about(index: CorpusIndex, doc: int, term: str) -> bool:
    """Whether the document is about the term: its title uses it, or _TOPIC_SHARE of its units."""
    if term in terms(index.docs[doc].title):
        return True
    a, b = index.doc_unit_ranges[doc]
    return index.lexical.units_with(term, a, b) >= _TOPIC_SHARE * (b - a)
