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
    if _DO_FRAME.search(frame):
        subject = _new_subject(prev_focus, focus)
        if subject:
            searched = f"{frame} {subject}?"
            return searched[0].upper() + searched[1:], prev_focus
    # Keep statistical qualifiers ("median", "grade 3") that the new focus lacks.
    qualifiers = [w for w in re.findall(rf"\b(?:{'|'.join(STATISTICS)}|grade \d(?:/\d| or \d)?)\b", prev_focus, re.I)
                  if w.lower() not in focus.lower()]
    searched = " ".join([frame, *qualifiers[:1], focus]).strip() + "?"
    return searched[0].upper() + searched[1:], prev_focus


_DO_FRAME = re.compile(r"\b(?:did|does|do)(?:\s+the)?$", re.I)
"""A frame whose verb follows its subject: "How long did responders survive?"."""


def _new_subject(prev_focus: str, focus: str) -> str | None:
    """The previous focus with the follow-up as its subject, its verb kept: "and the patients
    who did not respond?" after "How long did responders survive?" asks how long they
    survived. The old subject runs to the word the new one ends with, where both name it
    ("standard-risk patients" for "high-risk patients respond"), else it is the first word.
    None when the previous focus is one word (nothing follows the subject)."""
    words = prev_focus.split()
    if len(words) < 2:
        return None
    last = terms(focus.split()[-1])
    end = next((i + 1 for i, w in enumerate(words[:-1]) if last and terms(w) == last), 1)
    return " ".join([focus, *words[end:]])


_STATISTIC = frozenset(stem(w) for w in STATISTICS)
_MEASURE = frozenset(stem(w) for w in MEASURES)
_KINDS = ("statistic", "measure")


def _kind(word: str) -> str | None:
    """"statistic" ("median"), "measure" ("duration"), or None: a word that names a thing, or none."""
    found = set(terms(word))
    if not found or not found <= _STATISTIC | _MEASURE:
        return None
    return "statistic" if found <= _STATISTIC else "measure"


def _measure_swapped(prev_focus: str, focus: str) -> str | None:
    """The previous focus with its kind of quantity replaced, when the follow-up names
    only a kind of quantity: "and the duration?" after "median time to response" asks
    for the median duration of response, not of anything; "and the mean?" after
    "median age" for the mean age. None when the follow-up names a thing."""
    asked = [(w, _kind(w)) for w in focus.split() if terms(w)]
    if not asked or any(k is None for _, k in asked):
        return None
    new = {kind: [w for w, k in asked if k == kind] for kind in _KINDS}
    words = prev_focus.split()
    kinds = [_kind(w) for w in words]
    if not any(kinds):  # "and the median?" after "overall survival"
        return None if new["measure"] else " ".join([*new["statistic"], *words])
    start = end = next(i for i, k in enumerate(kinds) if k)
    while end + 1 < len(words) and kinds[end + 1]:
        end += 1
    old = {kind: [w for w, k in zip(words[start : end + 1], kinds[start : end + 1], strict=True) if k == kind]
           for kind in _KINDS}
    if new["measure"] and not old["measure"]:
        return None  # "median" asked, a measure answered: nothing to put it in
    words[start : end + 1] = (new["statistic"] or old["statistic"]) + (new["measure"] or old["measure"])
    return " ".join(words)
