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
    """The Snowball stem of a folded word, in American spelling: "anaemia" and "anemia",
    "randomised" and "randomized" are one term."""
    stemmed: str = _stemmer.stemWord(american(word))  # PyStemmer has no type information
    return stemmed


_SIBLINGS = (("nd", "ns"), ("clud", "clus"), ("vid", "vis"), ("mit", "miss"), ("duc", "duct"))
"""Endings of a Latin verb's stem and of the nouns made from its past participle, which
Snowball leaves apart: respond / response, include / inclusion, provide / provision,
admit / admission, reduce / reduction. ("decide" / "decision" is left out: "incidence"
and "incision" would join.)"""
_FALSE_FRIENDS = frozenset({"intend", "intens"})
"""Pairs that share a Latin root but not a meaning in clinical writing ("intended" and
"intensive care")."""


def siblings(term: str) -> tuple[str, ...]:
    """The other stems of a term's Latin word family: "respond" -> ("respons",).

    Only the pattern is checked; callers keep the siblings their corpus uses."""
    if len(term) < 5 or term in _FALSE_FRIENDS:
        return ()
    out = []
    for verb, noun in _SIBLINGS:
        if term.endswith(verb):
            out.append(term[: -len(verb)] + noun)
        elif term.endswith(noun):
            out.append(term[: -len(noun)] + verb)
    return tuple(out)


_SPELLING = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"ae", "e"),  # anaemia, haemoglobin, paediatric, ischaemia, caesarean
        (r"^oe", "e"),  # oedema, oesophagus, oestrogen
        (r"(?<=rh|pn)oea", "ea"),  # diarrhoea, dyspnoea, apnoea, amenorrhoea
        (r"^(foet|coeli|amoeb)", lambda m: m.group(1).replace("oe", "e")),
        (r"(?<=\w{3})([iy])s(e|es|ed|er|ers|ing|ation|ations)$", lambda m: m.group(1) + "z" + m.group(2)),  # randomised, analyse
        (r"^(tum|behavi|col|fav|lab|hon|hum|od|vap|rum|neighb|harb|vig|rig|ferv|sav|endeav|flav)our", r"\1or"),  # tumour
        (r"(?<=[tb])re(s?)$", r"er\1"),  # centre, litre, fibre
        (r"(?<=[tb])red$", "ered"),  # centred
        (r"^programme", "program"),
        (r"(?<=log)ue(s?)$", r"\1"),  # catalogue, analogue
        (r"^sulph", "sulf"),
    )
)


def american(word: str) -> str:
    """A folded word in American spelling. Applied to the question and the corpus
    alike, so a rule that also rewrites a word spelt the same in both ("exercise" ->
    "exercize") changes nothing that matches."""
    if word.isascii() and len(word) > 3:
        for pattern, repl in _SPELLING:
            word = pattern.sub(repl, word)
    return word


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
