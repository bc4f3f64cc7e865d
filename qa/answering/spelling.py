"""Typos in a question, corrected to the corpus's own words.

"waht was the medain durration of respons?" finds nothing: neither the lexical
index nor the encoder knows "medain" or "durration". A lower-case question word
of five letters or more that neither the corpus nor the language uses (the
encoder's vocabulary stands for the language: "there" and "least" are words,
whatever a short article holds) is replaced by the corpus word one edit away
(a letter added, dropped, changed, or two swapped) when there is exactly one
such word and it is not another form of the same word. A word of three or four
letters ("waht", "fuor") is replaced only by the one question word ("what") or
corpus word ("four") that two swapped letters make: any edit of a short word
finds too many, and a word of the language the corpus never uses would find
nothing ("acne" is no word of the encoder's, and must not become "cane").
The corrected question is what is searched, and the answer says so
("Searched: ..."), as it does for a follow-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from qa.text import STOPWORDS, stem

_WORD = re.compile(r"[A-Za-z]+")
MIN_LENGTH = 5
"""Shorter words have too many neighbours one edit away ("male", "made", "mile")."""
MIN_SWAP_LENGTH = 3
"""Words this long or longer may have two neighbouring letters swapped ("waht")."""


def may_need(question: str, known_stem: Callable[[str], bool]) -> bool:
    """Whether any word of the question could be a typo: one whose stem the corpus never
    uses. Most questions have none, and skip gathering the corpus's words."""
    return any(len(w) >= MIN_SWAP_LENGTH and w[1:].islower() and w.lower() not in STOPWORDS and not known_stem(stem(w.lower()))
               for w in _WORD.findall(question))


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit(a: str, b: str) -> bool:
    """a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


class Speller:
    """The corpus's words, indexed by their one-letter deletions."""

    def __init__(self, texts: Iterable[str], language: frozenset[str] = frozenset()) -> None:
        self.words = {w.lower() for t in texts for w in _WORD.findall(t)}
        self.language = language
        self._by_delete: dict[str, list[str]] = {}
        for w in self.words:
            if len(w) >= MIN_LENGTH - 1:
                for d in _deletes(w):
                    self._by_delete.setdefault(d, []).append(w)

    def nearest(self, word: str) -> str | None:
        """The word a typo stands for (a corpus word one edit away; for a short word, one swap
        away), or None."""
        w = word.lower()
        if len(w) < MIN_SWAP_LENGTH or w in self.words or w in self.language or not word[1:].islower():
            return None  # a word, or an abbreviation ("VGPRs", "TEAEs")
        if len(w) < MIN_LENGTH:
            return self._swapped(w)
        near = set(self._by_delete.get(w, ()))  # the word lacks a letter
        for d in _deletes(w):
            if d in self.words:
                near.add(d)  # the word has a letter too many
            near.update(self._by_delete.get(d, ()))  # a letter changed, or two swapped
        found = [c for c in near if one_edit(w, c)]
        if len(found) != 1:
            return None  # none, or a choice the corpus cannot make ("generas": "genera" or "general"?)
        if stem(found[0]) == stem(w):
            return None  # another form of the same word ("cytogenetics"), which the search already matches
        return found[0]

    def _swapped(self, w: str) -> str | None:
        """The one corpus word or question word that two neighbouring letters of a short
        word make, swapped back ("waht": "what")."""
        swaps = {w[:i] + w[i + 1] + w[i] + w[i + 2 :] for i in range(len(w) - 1)} - {w}
        found = [c for c in swaps if c in self.words or c in STOPWORDS]
        return found[0] if len(found) == 1 else None  # "hwo": "how" or "who"?

    def correct(self, question: str) -> str:
        """The question with its misspelt words replaced (case of a first capital kept)."""
        def fix(m: re.Match[str]) -> str:
            word = m.group()
            right = self.nearest(word)
            if right is None:
                return word
            return right.capitalize() if word[0].isupper() else right

        return _WORD.sub(fix, question)
