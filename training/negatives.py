"""Hard negatives: the units of a question's own article that look most like an
answer to it but are not one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.index.lexical import LexicalIndex
from qa.text import terms
from training.data import Dataset, Question


def lexical(questions: Sequence[Question], data: Dataset, k: int = 12) -> dict[str, list[int]]:
    """Per question, the k best BM25 units of its article (qa's own BM25) that do not answer."""
    indexes: dict[str, LexicalIndex] = {}
    out: dict[str, list[int]] = {}
    for q in questions:
        doc = data.docs[q.doc]
        if q.doc not in indexes:
            indexes[q.doc] = LexicalIndex.build([terms(doc.passage(i)) for i in range(len(doc.units))])
        scores = indexes[q.doc].scores({t: 1.0 for t in terms(q.text)})
        out[q.id] = [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in q.positives][:k]
    return out
