"""Other phrasings of a question, so the models learn the question, not one template.

Evidence Inference prompts are (intervention, comparator, outcome) triples that
its questions phrase three ways; users ask them in many more. Training draws a
phrasing for each use of a question: the data set's own most of the time, else
one of TEMPLATES. HELD_OUT_TEMPLATES are never trained on; evaluation asks the
held-out articles' questions in them too, to see whether a new phrasing costs
accuracy.
"""

from __future__ import annotations

import random

from training.data import Question

TEMPLATES = (
    "How did {I} affect {O} relative to {C}?",
    "Compared with {C}, what did {I} do to {O}?",
    "What difference in {O} was reported between {I} and {C}?",
    "What was the effect of {I} versus {C} on {O}?",
    "Did {I} change {O} compared with {C}?",
    "How did {O} differ between {I} and {C}?",
    "What happened to {O} with {I} compared to {C}?",
    "Was {O} better with {I} or with {C}?",
    "{O}: {I} vs {C}?",
    "Is {I} superior to {C} for {O}?",
    "What was the result for {O} in the {I} group compared with the {C} group?",
    "Effect of {I} on {O} compared to {C}",
)
HELD_OUT_TEMPLATES = (
    "In patients given {I} rather than {C}, how was {O} affected?",
    "Did {O} improve more with {I} than with {C}?",
    "What did the trial find for {O} when comparing {I} against {C}?",
    "Does {I} reduce or increase {O} compared with {C}?",
)
OWN = 0.3
"""Share of draws that keep the data set's own phrasing."""


def rephrase(q: Question, rng: random.Random) -> str:
    if q.slots is None or rng.random() < OWN:
        return q.text
    return phrase(q, rng.choice(TEMPLATES))


def phrase(q: Question, template: str) -> str:
    assert q.slots is not None
    i, c, o = q.slots
    return template.format(I=i, C=c, O=o)
