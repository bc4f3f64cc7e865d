"""Tokens for lexical matching: lower-cased, folded, stemmed words and numbers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer  # PyStemmer: the Snowball stemmers in C

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves every
    how many much whose tell give describe explain list name please also any did does according
    study article paper authors reported report reports say says said mentioned mention
    """.split()
)

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")
_FOLD = str.maketrans({"–": "-", "—": "-", "−": "-", "‐": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "κ": "k"})
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    stemmed: str = _stemmer.stemWord(word)  # PyStemmer has no type information
    return stemmed


def fold(text: str) -> str:
    """Lower-case, unify dashes and quotes, strip accents (for matching only)."""
    # Short texts recur (the corpus's long forms, each question, each candidate).
    return _fold_short(text) if len(text) <= 256 else _fold(text)


@lru_cache(maxsize=1 << 16)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    text = text.translate(_FOLD).lower()
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded word and number tokens, unstemmed, stopwords kept."""
    return _TOKEN.findall(fold(text))


_ABBREVIATION_PLURAL = re.compile(r"\b([A-Z][A-Z0-9]*[A-Z])s\b")


def terms(text: str) -> list[str]:
    """Stemmed content tokens: what the lexical index and the matchers compare.

    The plural of an abbreviation is the abbreviation ("VGPRs", "AEs": the
    stemmer leaves "vgprs" apart from "vgpr")."""
    return [stem(w) for w in words(_ABBREVIATION_PLURAL.sub(r"\1", text)) if w not in STOPWORDS]
