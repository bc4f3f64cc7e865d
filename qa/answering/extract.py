"""Short answers: the value in a cited sentence that answers the question.

The value is always a verbatim span of the sentence ("4.4 months (95% CI,
3.7–10.8)", "26.0%", "n=28", "Ajai Chari"), chosen among the spans of the
asked-for kind by its closeness to the words of the question. For a table
row, it is the cell under the column the question names ("... given
carbetocin?" takes the cell under "Carbetocin"), or the row's one value.
"""

from __future__ import annotations

import re

from qa.answering.query import INTERVAL_LEVEL, REGISTRY_NUMBER, Query, is_comparison
from qa.reading.abbreviations import find_abbreviations
from qa.text import STOPWORDS, fold, stem, terms

# digits, with commas or (thin) spaces between thousands ("80,793", "250 000"), and number
# words, compounds included ("Seven hundred and fifty", "twenty-nine")
_WORD_NUM = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
             r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)\b")
_NUM = (r"(?:(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:[ \u2009\u202f\u00a0]\d{3})+(?![\d,])|\d+)(?:\.\d+)?|"
        rf"{_WORD_NUM}(?:[\s-]+(?:hundred|thousand)\b)?(?:(?:[\s-]+|\s+and\s+){_WORD_NUM})?)")
_PAREN = r"(?:\s*\((?:95%\s*CI|CI|range|IQR|interquartile range|SD|±)[^()]{0,40}\))?"
# a mean's spread written after it: "57.7±12.6 years", "33.7 ± 8.1"
_SPREAD = r"(?:\s*(?:±|\+/-)\s*\d+(?:\.\d+)?)?"
_PCT_PAREN = r"(?:\s*\((?:95%\s*CI|CI|range)[^()]{0,40}\))?"

PATTERNS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(
        rf"{_NUM}(?:\s*(?:[–-]|to)\s*{_NUM})?{_SPREAD}(?:\s*|-)(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?|cycles?)\b(?:\s+cycles?\b)?{_PAREN}", re.I
    ),
    "percent": re.compile(rf"\d+(?:\.\d+)?\s*(?:[–-]\s*\d+(?:\.\d+)?\s*)?%{_PCT_PAREN}"),
    # "40/46": how many of how many, read whole (the 46 alone is the group, not the count)
    "count": re.compile(
        rf"\bn\s*=\s*\d[\d,]*|(?<![/\d.])\d+/\d+(?![/\d])(?:\s*\(\d+(?:\.\d+)?%\))?|\b{_NUM}(?:\s*(?:[–-]|to)\s*{_NUM})?(?:\s+(?:thousand|million|billion))?(?:\s*\(\d+(?:\.\d+)?%\))?(?:\s+(?:[a-z-]+\s+){{0,2}}?(?:[a-z]+-)?(?:patients|participants|cases|subjects|deaths|people|persons|individuals|children|adults|countries|studies|responses|responders|samples|proteins|genes|sites|centres|centers|hospitals))?",
        re.I,
    ),
    "person": re.compile(
        r"\b(?:Dr\.? )?[A-Z][a-z]+(?:-[A-Z][a-z]+)? [A-Z][a-z]+(?:-[A-Z][a-z]+)?(?= (?:from|and colleagues|et al|of the|at)\b)|\b[A-Z][a-z]+ [A-Z]\.(?= et al)"
    ),
    "date": re.compile(
        r"\b(?:(?:\d{1,2} )?(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?,? )?(?:\d{1,2},? )?(?:19|20)\d{2}(?: (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]* \d{1,2})?\b"
    ),
    "place": re.compile(
        r"\b(?:(?:[A-Z][a-z]+ ){1,3}(?:Hospital|University|Institute|Center|Centre|Clinic|College)(?: of [A-Z][a-z]+(?: [A-Z][a-z]+)*)?|"
        r"(?:Hospital|University|Institute|Center|Centre|Clinic|College) of [A-Z][a-z]+(?: [A-Z][a-z]+)*)(?:, [A-Z][a-z]+(?: [A-Z][a-z]+)?){0,3}|(?<=\bin )[A-Z][a-z]+(?: [A-Z][a-z]+)*(?:, [A-Z][a-z]+)*"
    ),
    "reference": re.compile(r"\b(?:[A-Z][a-z]*\.? ){1,4}(?:J|Med|Journal|Lancet|Nature|Science|Proc|Rev|Lett)\b(?: [A-Z][a-z]+)*"),
    "dose": re.compile(r"\d+(?:\.\d+)?\s*(?:mg|g|mcg|µg|μg|ml|mL|IU|units?)(?:/(?:kg|m2|m²|day|d))?\b", re.I),
    "registration": re.compile(REGISTRY_NUMBER),
}

_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\]\)]+[^\s\]\).,;]")
# "Label: value", within one line and one sentence (a citation that joins "The trial was
# funded by ...\nTrial registration: NCT01234567." is no label "funded ... registration"),
# and no ratio or time ("1:1").
_COLON_VALUE = re.compile(r"^(?P<label>(?:(?![.!?]\s)[^:\n]){3,80})(?<!\d):(?!\d)\s*(?P<value>.{1,100})$")
_COPULA_VALUE = re.compile(
    rf"\b(?:was|were|is|are|of|reached|at)\s+(?!one (?:of|such|another|or)\b)"
    rf"(?P<value>(?:approximately |about |around |nearly |over |under |up to )?{_NUM}{_SPREAD}"
    rf"(?:-fold|\s*%|\s*(?!(?:in|of|and|or|to|for|with|at|on|by|the|a|an|than)\b)[a-zA-Z]+)?(?:\s*\([^()]{{1,40}}\))?)"
)


_INTERVAL = {
    "range": re.compile(r"\brange\s*:?\s*\d[^()]{0,30}?\d(?=\))|\brange\s+(?:of\s+)?\d+(?:\.\d+)?\s*(?:[–-]|to)\s*\d+(?:\.\d+)?", re.I),
    "ci": re.compile(r"\b95%\s*CI,?\s*\d[^()]{0,30}?\d(?=\))|\b95%\s*(?:CI|confidence interval),?\s*\d+(?:\.\d+)?\s*(?:[–-]|to)\s*\d+(?:\.\d+)?", re.I),
}
# An effect measure is the number its name reports ("relative risk ... was 0.41 (95%
# CI 0.19-0.85)", "HR 0.62, 0.48-0.80"), not the first number of the sentence.
# (the abbreviations in capitals only: "or" is no odds ratio)
_RATIO_NAME = r"(?:relative risk|risk ratio|hazard ratio|odds ratio|rate ratio|(?-i:\b(?:a?RR|a?HR|a?OR|IRR)\b))"
_ASKS_RATIO = re.compile(_RATIO_NAME, re.I)
_RATIO_VALUE = re.compile(
    rf"{_RATIO_NAME}[^\d.;]{{0,80}}?(?P<value>\d+(?:\.\d+)?(?:\s*\([^()]{{1,40}}\))?)", re.I
)
_ASKS_RANGE = re.compile(r"\brange\b", re.I)
_ASKS_CI = re.compile(r"\bconfidence interval\b|\b95% ?CI\b|\bCI\b")
# Counts and doses come before what they count ("24 partial responses", "80 mg
# selinexor"); durations and rates come after what they measure ("duration of
# response ... 4.4 months").
_VALUE_FIRST = {"count", "dose"}


def _term_positions(q: Query, text: str, own_only: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the question's words in text: its own words if any occur, else
    (unless own_only) their stand-ins."""
    core = set(q.core)
    alts: set[str] = set()
    for a in q.alternatives.values():
        alts |= a
    own: list[tuple[int, int]] = []
    other: list[tuple[int, int]] = []
    for m in re.finditer(r"[^\W_]+", fold(text)):
        w = m.group()
        if w in STOPWORDS:
            continue
        st = stem(w)
        if st in core:
            own.append(m.span())
        elif st in alts:
            other.append(m.span())
    return own if own or own_only else other


def wanted_terms(q: Query) -> set[str]:
    """The question's terms and the words that may stand in for them."""
    return set(q.core).union(*q.alternatives.values())


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def _closest(matches: list[re.Match[str]], positions: list[tuple[int, int]], value_first: bool) -> re.Match[str]:
    if not positions or len(matches) == 1:
        return matches[0]
    text = matches[0].string
    ends = [m.start() for m in _SENTENCE_END.finditer(text)]

    def sentence(at: int) -> int:
        return sum(e <= at for e in ends)

    def cost(m: re.Match[str]) -> tuple[int, float, int]:
        # A value that names more of the question's words wins ("24 partial responses"
        # for "How many partial responses?", not "Two complete responses").
        inside = sum(ps >= m.start() and pe <= m.end() for ps, pe in positions)
        best = float("inf")
        first = value_first and not m.group().lower().startswith("n")  # "(n=12)" follows its label
        for ps, pe in positions:
            if first:
                d = ps - m.end()  # the term should follow the value
            else:
                d = m.start() - pe  # the value should follow the term
            if ps < m.end() and pe > m.start():
                d = 0  # the value contains the term ("n=32")
            best = min(best, d if d >= 0 else 3 * -d + 20)
        # A citation can join two sentences: of values as close to a question word, the
        # one whose sentence names more of the question wins ("Eighty-three children ...
        # were not recruited. A total of 497 ... children were ... randomised").
        own = sentence(m.start())
        named = len({text[ps:pe].lower() for ps, pe in positions if sentence(ps) == own})
        return -inside, best, -named

    return min(matches, key=cost)


_WHO = frozenset(stem(w) for w in ("patients", "participants", "subjects", "people", "persons", "individuals",
                                     "cases", "children", "adults", "women", "men", "infants"))
"""Who a count counts: a sentence naming only these says nothing of what was counted."""


def _names_what_is_counted(q: Query, text: str) -> bool:
    """The text names something the question counts beyond who ("anemia" of "How many
    patients had anemia?")."""
    folded = fold(text)
    return any(stem(folded[s:e]) not in _WHO for s, e in _term_positions(q, text))


# A value in brackets after its label, as lists of results give them: "anemia (44%)",
# "disease progression (n=16)"; not an interval or a spread ("(95% CI, ...)", "(range 3-18)").
_LABELLED_VALUE = re.compile(r"\((?:n\s*=\s*)?\d(?![^()]*\b(?:CI|range|IQR|SD|interquartile)\b)[^()]{0,40}\)", re.I)
_LABEL_START = re.compile(r"[,;:()]|\b(?:and|or|were|was|is|are|included?|including|to|for|with|in|of|at|on|by)\b", re.I)


def labelled_values(text: str) -> list[tuple[int, int, set[str]]]:
    """(start, end, terms of its label) of each bracketed value that follows a label, where
    the text lists two or more of them: "thrombocytopenia (59% of patients), anemia (44%)"."""
    out = []
    for m in _LABELLED_VALUE.finditer(text):
        label = " ".join(_LABEL_START.split(text[max(0, m.start() - 60) : m.start()])[-1].split()[-4:])
        # "34 (28%)" is a count and its share, not a label and its value
        if label and not re.fullmatch(_NUM, label, re.I):
            out.append((m.start(), m.end(), set(terms(label))))
    return out if len(out) > 1 else []


def _for_other_labels(m: re.Match[str], labels: list[tuple[int, int, set[str]]], wanted: set[str]) -> bool:
    """The value is one of a list's bracketed values, and its label names less of what the
    question asks about than another's, or none of it: "44%" is anemia's, no answer to a
    question about nausea; "(n=38)" is the control group's, not the intervention group's."""
    best = max(len(names & wanted) for _, _, names in labels)
    return any(s <= m.start() and m.end() <= e and (best == 0 or len(names & wanted) < best) for s, e, names in labels)


_STANDS_FOR = re.compile(r"\bwhat (?:does|do|did) (?:the )?(?:abbreviation |acronym )?([A-Za-z][\w-]*) (?:stand|stands) for\b|\bwhat is the (?:full (?:name|form)|long form) of ([A-Za-z][\w-]*)", re.I)
# A bare value is the answer to "What was/is the ...?", not to "Which proteins ...?".
_ASKS_ATTRIBUTE = re.compile(r"^\s*what (?:is|was|are|were)\b", re.I)
_FRACTION = re.compile(r"0?\.\d")
_GLUED_BEFORE = re.compile(r"(?:[.\d]|[A-Za-z]-)$")
_GLUED_AFTER = re.compile(r"-(?!fold\b)[A-Za-z]")


_AGE_BEFORE = re.compile(r"\bage[ds]?\b(?:\s+(?:range|group|limit))?(?:\s+(?:of|between|from|to|over|under|above|below))?\s*[:=]?\s*$", re.I)
_AGE_AFTER = re.compile(r"\s*(?:old|of age|of gestation|gestation|or older|or younger)\b", re.I)
_GROUP = re.compile(r"\b(?:patients|participants|subjects|those|people|women|men|children|adults)\s+"
                    r"(?:who|with|without|in whom|receiving)\s+((?:[\w-]+\s+){0,3}[\w-]+)|"
                    r"\b(?:in|among)\s+((?:non-?)?responders)\b", re.I)
"""A sentence's subject narrowed to a group: "Patients who had a response ...", "in responders"."""


_SUBJECT_LEAD = re.compile(r"\s*(?:(?:in|among)\s+(?:the\s+)?)?", re.I)


def of_a_group_not_asked(q: Query, text: str, *, subject: bool = False) -> bool:
    """The sentence reports a group that the question does not name: its value would be
    read as everyone's. subject: only a group the sentence opens with ("Patients who had a
    response had ...", "Among patients with X, ..."), which the whole sentence is about;
    else a group anywhere in it."""
    asked = fold(f"{q.text} {q.dense_text}")  # abbreviations spelled out: "DoR" names responses
    if subject:
        lead = _SUBJECT_LEAD.match(text)
        m = _GROUP.match(text) or _GROUP.match(text, lead.end() if lead else 0)
        found: list[re.Match[str]] = [m] if m else []
    else:
        found = list(_GROUP.finditer(text))
    for m in found:
        words = [w for w in terms(m.group(1) or m.group(2)) if len(w) >= 4]
        if words and not any(w[:5] in asked for w in words):
            return True
    return False


_RELATIVE = re.compile(r"\s*(?:lower|higher|more|less|fewer|greater|smaller|larger|reduction|increase|decrease|drop|rise)\b", re.I)
_NOT_A_COUNT_AFTER = r"\s*(?:%|\.\d|-[a-z]|[-\s]*(?:days?|weeks?|months?|years?|hours?|mg|g|kg|mcg|µg|μg|ml|IU|mmol|units?)\b)"
"""What follows a number that measures something other than how many."""
_RATIO_PART = re.compile(r"\s?:\s?\d")
_RATIO_PART_BEFORE = re.compile(r"\d\s?:\s?$")


def _is_value(text: str, start: int, end: int) -> bool:
    """Not a piece of another number or of a name: "01" of "p = .01", "19" of "COVID-19",
    "2019" of "2019-nCoV", "2" of "the 2nd assessment", "1" of "a 1:1 ratio"."""
    glued_letter = end < len(text) and text[end - 1].isdigit() and text[end].isalpha()
    ratio = bool(_RATIO_PART.match(text, end) or _RATIO_PART_BEFORE.search(text[max(0, start - 3) : start]))
    return (not _GLUED_BEFORE.search(text[max(0, start - 2) : start]) and not _GLUED_AFTER.match(text, end)
            and not glued_letter and not ratio)


_LEVEL = re.compile(INTERVAL_LEVEL, re.I)
_REFERENCE_MARK = re.compile(r"\[\d+(?:\s*[-–,]\s*\d+)*\]")


def _long_form(short: str, text: str) -> tuple[int, int] | None:
    """Span of the words an abbreviation stands for, where text defines it: "Exportin 1 (XPO1)"."""
    long = find_abbreviations(text).get(fold(short))
    if long:
        i = text.find(f"{long} ({short}")
        if i >= 0:
            return i, i + len(long)
    # Not spelled letter by letter ("Exportin 1" for XPO1): the words just before
    # "(XPO1)", back to a function word or punctuation, one word per letter at most.
    paren = re.search(rf"\(\s*{re.escape(short)}\b", text)
    if not paren:
        return None
    words = list(re.finditer(r"[\w’'-]+", text[: paren.start()]))
    start = None
    for w in reversed(words[-sum(c.isalnum() for c in short) :]):
        gap = text[w.end() : start if start is not None else paren.start()]
        if w.group().lower() in STOPWORDS or gap.strip():
            break
        start = w.start()
    if start is None:
        return None
    return start, len(text[: paren.start()].rstrip())


_CELL_GAP = re.compile(r" \| |\n")
"""Between the cells of a row: " | " as readers lay rows out, a line break in plain text."""


def _row_value(q: Query, text: str, context: str) -> tuple[int, int] | None:
    """The cell of a table row under the column the question names, or its one value."""
    parts = context.split(" — ")
    if len(parts) < 2:
        return None
    headers = parts[1].split(" | ")
    cells: list[tuple[int, int]] = []
    pos = 0
    for m in [*_CELL_GAP.finditer(text), None]:
        end = m.start() if m else len(text)
        cells.append((pos, end))
        pos = m.end() if m else end
    values = cells[1:]
    if len(headers) == len(cells):
        headers = headers[1:]
    if len(headers) != len(values):
        return None
    wanted = wanted_terms(q)
    label = set(terms(text[cells[0][0] : cells[0][1]]))
    scores = [len((set(terms(h)) & wanted) - label) for h in headers]
    best = max(scores, default=0)
    with_digits = [v for v in values if any(c.isdigit() for c in text[v[0] : v[1]])]
    if best > 0 and scores.count(best) == 1:
        chosen = values[scores.index(best)]
        return chosen if chosen in with_digits else None
    return with_digits[0] if len(with_digits) == 1 else None


def short_answer(q: Query, text: str, context: str = "") -> tuple[int, int] | None:
    """Span (relative to text) of the value answering q, or None. `context` is a table
    row's (label, caption and column headers), empty for other units.

    The question read is q.text: a follow-up as it was searched ("and the
    overall survival?" -> "What was the median overall survival?")."""
    if context:
        return _row_value(q, text, context)
    # A reference marker ("[8]", "[9-12,14]") is no value: blanked, so offsets stay put.
    text = _REFERENCE_MARK.sub(lambda m: " " * len(m.group()), text)
    stands = _STANDS_FOR.search(q.text)
    if stands:
        return _long_form(stands.group(1) or stands.group(2), text)
    if of_a_group_not_asked(q, text):
        return None  # "15.6 months" is the survival of responders, not "the median overall survival"
    positions = _term_positions(q, text)
    kind = q.answer_type
    if kind == "reason":
        return None  # the whole cited sentence is the answer
    for name, asks in (("ci", _ASKS_CI), ("range", _ASKS_RANGE)):
        if asks.search(q.question):
            found = list(_INTERVAL[name].finditer(text))
            if found:
                m = _closest(found, positions, False)
                return m.start(), m.end()
    if kind is None and _ASKS_RATIO.search(q.question):
        found = list(_RATIO_VALUE.finditer(text))
        if found:
            m = _closest(found, positions, False)  # the name that holds most of the question's words
            return m.start("value"), m.end("value")
    if is_comparison(q.question):
        # "How did X compare with Y on Z?" is answered by both arms and their difference: one
        # arm's value ("3.1 %" after carbetocin) would mislead, and the citation holds both
        return None
    if kind == "reference":
        doi = _DOI.search(text)
        if re.search(r"\bdoi\b", q.question, re.I):
            return (doi.start(), doi.end()) if doi else None
        if not re.search(r"\bjournal\b|\bpublished\b", q.question, re.I):
            return None
    if kind:
        # A number the question itself says ("grade 3 or 4", "part 2") is not its answer.
        given = set(re.findall(r"\d+(?:\.\d+)?", q.text))
        found = [m for m in PATTERNS[kind].finditer(text) if m.group().strip() and m.group().strip() not in given
                 and _is_value(text, m.start(), m.end()) and not _LEVEL.match(text, m.end())]
        if kind == "duration":
            # An age is no length of time: "aged 12-16 years", "65 years or older", "37 weeks of gestation".
            found = [m for m in found if not _AGE_BEFORE.search(text[max(0, m.start() - 24) : m.start()])
                     and not _AGE_AFTER.match(text, m.end())]
        if kind == "count":
            # A count is not a percentage, a year, a decimal measure, a duration, an amount
            # ("75 IU", "20 mg"), or the first half of a compound ("two-sided", "5-point scale").
            found = [
                m for m in found
                if not re.match(_NOT_A_COUNT_AFTER, text[m.end() : m.end() + 8], re.I)
                and not re.fullmatch(r"(?:19|20)\d\d(?:\s*(?:[–-]|to)\s*(?:19|20)\d\d)?", m.group())  # a year, or years
                # a P value or a significance level (a mean count may be 6.7; "0.3 million people" counts)
                and not (_FRACTION.match(text, m.start()) and not re.search(r"[a-z]", m.group(), re.I))
                # nor the number of a grade, a day or a table, or the next in a run of them ("grade 3 or 4", "days 1 and 3")
                and not re.search(r"\b(?:grade|phase|stage|type|day|days|cycle|figure|fig|table|part|version)s?\s*(?:\d+\s*(?:,|and|or|to|[-–])\s*)*$",
                                  text[max(0, m.start() - 24) : m.start()], re.I)
            ]
        value_first = kind in _VALUE_FIRST
        if not found and kind == "count" and _names_what_is_counted(q, text):
            # "How many patients had anemia?" is often answered by a share: "anemia (44%)";
            # not "How many patients were enrolled?" by "53% of patients had ...".
            # (A share of them, not a relative difference: "21.2% lower number of vials".)
            found = [m for m in PATTERNS["percent"].finditer(text) if not _RELATIVE.match(text, m.end())]
            value_first = False
        labels = labelled_values(text)
        if labels:
            wanted = wanted_terms(q)
            mine = [m for m in found if not _for_other_labels(m, labels, wanted)]
            if found and not mine:
                return None  # the sentence lists values of other things than the one asked about
            found = mine
        if found:
            m = _closest(found, positions, value_first)
            return m.start(), m.end()
    cm = _COLON_VALUE.match(text)
    if cm:
        label_terms = {stem(w) for w in re.findall(r"[^\W_]+", fold(cm.group("label")))}
        wanted = wanted_terms(q)
        if label_terms & wanted:
            return cm.start("value"), cm.end("value")
    if kind is None and _ASKS_ATTRIBUTE.search(q.text):
        # Only where the sentence names what is asked in the question's own words: "What
        # was the primary outcome?" is not answered by a number near other words.
        own = _term_positions(q, text, own_only=True)
        found = [m for m in _COPULA_VALUE.finditer(text) if _is_value(text, m.start("value"), m.end("value"))] if own else []
        if found:
            m = _closest(found, own, False)
            return m.start("value"), m.end("value")
    return None
