"""Short answers: the value in a cited sentence that answers the question.

The value is always a verbatim span of the sentence ("4.4 months (95% CI,
3.7–10.8)", "26.0%", "n=28", "Ajai Chari"), chosen among the spans of the
asked-for kind by its closeness to the words of the question.
"""

from __future__ import annotations

import re

from qa.query import Query
from qa.text import STOPWORDS, fold, stem

_NUM = r"(?:\d[\d,]*(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred)"
_PAREN = r"(?:\s*\((?:95%\s*CI|CI|range|IQR|interquartile range|SD|±)[^()]{0,40}\))?"
_PCT_PAREN = r"(?:\s*\((?:95%\s*CI|CI|range)[^()]{0,40}\)|\s+of (?:patients|participants|cases|subjects))?"

PATTERNS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(
        rf"{_NUM}(?:\s*(?:[–-]|to)\s*{_NUM})?\s*(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?|cycles?)\b{_PAREN}", re.I
    ),
    "percent": re.compile(rf"\d+(?:\.\d+)?\s*(?:[–-]\s*\d+(?:\.\d+)?\s*)?%{_PCT_PAREN}"),
    "count": re.compile(
        rf"\bn\s*=\s*\d[\d,]*|\b{_NUM}(?:\s*\(\d+(?:\.\d+)?%\))?(?:\s+(?:[a-z-]+\s+){{0,2}}?(?:patients|participants|cases|subjects|deaths|people|persons|individuals|children|adults|countries|studies|responses|responders|samples|proteins|genes|sites|centres|centers|hospitals))?",
        re.I,
    ),
    "person": re.compile(
        r"\b(?:Dr\.? )?[A-Z][a-z]+(?:-[A-Z][a-z]+)? [A-Z][a-z]+(?:-[A-Z][a-z]+)?(?= (?:from|and colleagues|et al|of the|at)\b)|\b[A-Z][a-z]+ [A-Z]\.(?= et al)"
    ),
    "date": re.compile(
        r"\b(?:(?:\d{1,2} )?(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?,? )?(?:\d{1,2},? )?(?:19|20)\d{2}(?: (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]* \d{1,2})?\b"
    ),
    "place": re.compile(
        r"\b(?:[A-Z][a-z]+ ){0,3}(?:Hospital|University|Institute|Center|Centre|Clinic|College)(?: of [A-Z][a-z]+(?: [A-Z][a-z]+)*)?(?:, [A-Z][a-z]+(?: [A-Z][a-z]+)?){0,3}|(?<=\bin )[A-Z][a-z]+(?: [A-Z][a-z]+)*(?:, [A-Z][a-z]+)*"
    ),
    "reference": re.compile(r"\b(?:[A-Z][a-z]*\.? ){1,4}(?:J|Med|Journal|Lancet|Nature|Science|Proc|Rev|Lett)\b(?: [A-Z][a-z]+)*"),
    "dose": re.compile(r"\d+(?:\.\d+)?\s*(?:mg|g|mcg|µg|μg|ml|mL|IU|units?)(?:/(?:kg|m2|m²|day|d))?\b(?: [a-z]+)?", re.I),
}

_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\]\)]+[^\s\]\).,;]")
_COLON_VALUE = re.compile(r"^(?P<label>[^:]{3,80}):\s*(?P<value>.{1,100})$")
_COPULA_VALUE = re.compile(
    rf"\b(?:was|were|is|are|of|reached|at)\s+(?P<value>(?:approximately |about |around |nearly |over |under |up to )?{_NUM}\s*(?:%|[a-zA-Z]+)?(?:\s*\([^()]{{1,40}}\))?)"
)


def _term_positions(q: Query, text: str) -> list[int]:
    wanted = set(q.core)
    for alts in q.alternatives.values():
        wanted |= alts
    pos = []
    for m in re.finditer(r"[^\W_]+", fold(text)):
        w = m.group()
        if w not in STOPWORDS and stem(w) in wanted:
            pos.append(m.end())
    return pos


def _closest(matches: list[re.Match[str]], positions: list[int]) -> re.Match[str]:
    if not positions or len(matches) == 1:
        return matches[0]

    def cost(m: re.Match[str]) -> float:
        best = float("inf")
        for p in positions:
            d = m.start() - p
            best = min(best, d if d >= 0 else 2.5 * -d + 5)
        return best

    return min(matches, key=cost)


def short_answer(q: Query, text: str) -> tuple[int, int] | None:
    """Span (relative to text) of the value answering q, or None."""
    positions = _term_positions(q, text)
    kind = q.answer_type
    if kind == "reason":
        return None  # the whole cited sentence is the answer
    if kind == "reference":
        doi = _DOI.search(text)
        if re.search(r"\bdoi\b", q.question, re.I):
            return (doi.start(), doi.end()) if doi else None
        if not re.search(r"\bjournal\b|\bpublished\b", q.question, re.I):
            return None
    if kind:
        found = [m for m in PATTERNS[kind].finditer(text) if m.group().strip()]
        if kind == "count":
            # A count is not a percentage, a year or a duration.
            found = [m for m in found if not re.match(r"\s*%", text[m.end() : m.end() + 2]) and not re.fullmatch(r"(19|20)\d\d", m.group())]
        if kind == "dose" and len(found) > 1 and found[-1].end() - found[0].start() <= 80:
            return found[0].start(), found[-1].end()
        if found:
            m = _closest(found, positions)
            return m.start(), m.end()
    cm = _COLON_VALUE.match(text)
    if cm:
        label_terms = {stem(w) for w in re.findall(r"[^\W_]+", fold(cm.group("label")))}
        if label_terms & (set(q.core) | set().union(*q.alternatives.values()) if q.alternatives else set(q.core)):
            return cm.start("value"), cm.end("value")
    if kind is None:
        found = list(_COPULA_VALUE.finditer(text))
        if found:
            m = _closest(found, positions)
            return m.start("value"), m.end("value")
    return None
