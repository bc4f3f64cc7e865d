"""Follow-up questions: "and the overall survival?" after a question.

Without a language model, a follow-up keeps the previous question's frame
("What was the median …") and swaps in the new focus, or, when it names only a
kind of quantity ("and the duration?"), the previous focus's; the previous focus
is kept as a weak lexical hint. The searched text is shown to the user.
"""

from __future__ import annotations

import re

from qa.answering.vocabulary import MEASURES, STATISTICS
from qa.text import stem, terms

_LEAD = re.compile(r"^\s*(?:and|but|also|so|ok(?:ay)?|then)\b[\s,]*|^\s*(?:what|how) about\b\s*", re.I)
_WH = re.compile(r"^\s*(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|did|does|do|can|could|should|would|will|has|have|had)\b", re.I)
_FRAME = re.compile(
    r"^\s*(?P<frame>(?:what|which|who|when|where|how(?: many| long| much| often)?)\b(?:\s+(?:is|are|was|were|did|does|do|had|has|have))?(?:\s+the)?)\s+(?P<focus>.+?)\s*\??\s*$",
    re.I,
)


def is_follow_up(question: str) -> bool:
    """Short, elliptical questions that lean on the previous turn."""
    q = question.strip()
    if _LEAD.match(q):
        return True
    return not _WH.match(q) and len(terms(q)) <= 3 and len(q.split()) <= 5


_GROUP = re.compile(r"^(?P<prep>in|among|amongst|for|with|without|at|after|during|versus|vs\.?)\s", re.I)
"""A follow-up that names another group or time ("and in non-responders?", "and at 12
months?") asks the same thing of it."""


def rewrite(question: str, previous: str) -> tuple[str, str]:
    """(searched question, previous focus) for a follow-up; the focus is a hint."""
    focus = _LEAD.sub("", question.strip()).strip(" ?.!")
    focus = re.sub(r"^(?:the|a|an)\s+", "", focus, flags=re.I)
    m = _FRAME.match(previous)
    if not m:
        return f"{focus}?", previous
    frame, prev_focus = m.group("frame"), m.group("focus")
    group = _GROUP.match(focus)
    if group:
        # The previous subject, its own group (a phrase with the same word) replaced.
        subject = re.split(rf"\s+{re.escape(group.group('prep'))}\s", prev_focus, maxsplit=1, flags=re.I)[0]
        searched = f"{frame} {subject} {focus}?"
        return searched[0].upper() + searched[1:], prev_focus
    swapped = _measure_swapped(prev_focus, focus)
    if swapped:
        searched = f"{frame} {swapped}?"
        return searched[0].upper() + searched[1:], prev_focus
    # Keep statistical qualifiers ("median", "grade 3") that the new focus lacks.
    qualifiers = [w for w in re.findall(r"\b(?:median|mean|average|grade \d(?:/\d| or \d)?)\b", prev_focus, re.I)
                  if w.lower() not in focus.lower()]
    searched = " ".join([frame, *qualifiers[:1], focus]).strip() + "?"
    return searched[0].upper() + searched[1:], prev_focus


_STATISTIC = frozenset(stem(w) for w in STATISTICS)
_MEASURE = frozenset(stem(w) for w in MEASURES)


def _measure_swapped(prev_focus: str, focus: str) -> str | None:
    """The previous focus with its kind of quantity replaced, when the follow-up names
    only a kind of quantity: "and the duration?" after "median time to response" asks
    for the median duration of response, not of anything; "and the mean?" after
    "median age" for the mean age. None when the follow-up names a thing."""
    new = [w for w in focus.split() if terms(w)]
    kinds = [set(terms(w)) for w in new]
    if not new or not all(k <= _STATISTIC | _MEASURE for k in kinds):
        return None
    new_stat = [w for w, k in zip(new, kinds, strict=True) if k <= _STATISTIC]
    new_measure = [w for w, k in zip(new, kinds, strict=True) if not k <= _STATISTIC]
    words = prev_focus.split()
    run = [i for i, w in enumerate(words) if (k := set(terms(w))) and k <= _STATISTIC | _MEASURE]
    if run:
        start = end = run[0]
        while end + 1 in run:
            end += 1
        old = words[start : end + 1]
        old_stat = [w for w in old if set(terms(w)) <= _STATISTIC]
        old_measure = [w for w in old if not set(terms(w)) <= _STATISTIC]
        if new_measure and not old_measure:
            return None  # "median" asked, a measure answered: nothing to put it in
        words[start : end + 1] = (new_stat or old_stat) + (new_measure or old_measure)
        return " ".join(words)
    return " ".join([*new_stat, *words]) if not new_measure else None
