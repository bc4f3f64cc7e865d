"""A sentence splitter for scientific prose that keeps exact offsets.

It returns (start, end) spans into the text it is given, never rewritten text,
so a quote is always text[start:end]. It copes with the abbreviations and
number formats of clinical writing ("et al.", "vs.", "Fig. 2", "95% CI,
19.0–35.0", "n=32"), reference markers glued to the full stop ("myeloma.1
This"), bracketed citations before the stop ("15-45% [1] . UNAIDS") and
over-long sentences, which are cut at clause boundaries so that a citation
stays a sentence, not a paragraph.
"""

from __future__ import annotations

import re

# Tokens that end with a full stop without ending the sentence. Lower-case,
# without the stop.
ABBREVIATIONS = frozenset(
    """
    al etc e.g i.e cf vs v viz approx ca fig figs tab tabs eq eqs ref refs no nos
    vol vols pp p ed eds dr mr mrs ms prof sr jr st inc ltd co corp dept univ
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    u.s u.k e.u resp est min max suppl sec chap art approx. al. ph.d m.d b.i.d
    t.i.d q.d p.o i.v i.m s.c spp sp subsp var cv
    """.split()
)

_BOUNDARY = re.compile(r"[.!?]+")
_CLOSERS = "\"')]}\u201d\u2019"
_OPENERS = "\"'([{\u201c\u2018"
_MARKER = re.compile(r"\d{1,3}(?:[,\u2013-]\d{1,3})*")  # ".1 This", ".2,3 The"

MAX_UNIT_CHARS = 400
"""Longer sentences are cut at clause boundaries (citations stay short)."""


def _starts_sentence(text: str, i: int) -> bool:
    """Whether a sentence can start at text[i] (after the gap)."""
    if i >= len(text):
        return True
    c = text[i]
    if c in _OPENERS:
        return i + 1 >= len(text) or not text[i + 1].islower()
    return c.isupper() or c.isdigit() or c in "•-–—*#"


def _word_before(text: str, dot: int) -> str | None:
    """The run of non-space characters ending at text[dot] (what the regex `(\\S+)$` finds in
    text[:dot]), found by scanning back: searching text[:dot] from its start made
    splitting quadratic in the length of a paragraph."""
    e = dot - 1 if dot > 0 and text[dot - 1] == "\n" else dot
    s = e
    while s > 0 and not text[s - 1].isspace():
        s -= 1
    return text[s:e] if e > s else None


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at text[dot] belongs to an abbreviation."""
    m = _word_before(text, dot)
    if not m:
        return False
    word = m.lstrip(_OPENERS).lower()
    if not word:
        return False
    if word in ABBREVIATIONS or word.rstrip(".") in ABBREVIATIONS:
        return True
    # Initials ("Chari A. et al.", "J. Smith") and inner-dot tokens ("e.g", "U.S").
    if len(word) == 1 and word.isalpha():
        return True
    return "." in word and all(len(p) <= 2 for p in word.split(".") if p)


def _gap_end(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split text[start:end] into sentence spans, trimmed of surrounding space."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    pos = start
    while True:
        m = _BOUNDARY.search(text, pos, end)
        if not m:
            break
        stop = m.end()
        pos = stop
        if m.group()[-1] == "." and stop < end and text[stop].isdigit():
            # A glued reference marker ("myeloma.1 This") stays with its sentence;
            # a decimal ("4.4 months") does not match because of the space test.
            mk = _MARKER.match(text, stop, end)
            if mk and mk.end() < end and text[mk.end()].isspace() and m.start() > 0 and text[m.start() - 1].isalpha():
                stop = mk.end()
            else:
                continue
        while stop < end and text[stop] in _CLOSERS:
            stop += 1
        if stop < end and not text[stop].isspace():
            continue
        nxt = _gap_end(text, stop)
        if nxt < end and not _starts_sentence(text, nxt):
            continue
        if m.group() == "." and _is_abbreviation(text, m.start()):
            # "et al. 2019" and "Fig. 2" go on; a capitalised word after an
            # abbreviation that also ends sentences (etc., al.) is a new sentence.
            word = (_word_before(text, m.start()) or "").lower()
            if not (word in ("etc", "al") and nxt < end and text[nxt].isupper() and _next_word_len(text, nxt) > 3):
                continue
        spans.append((cur, stop))
        cur = nxt
        pos = max(pos, nxt)
    if cur < end:
        spans.append((cur, end))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        s, e = _trim(text, s, e)
        if e > s:
            out.extend(split_long(text, s, e))
    return out


def _next_word_len(text: str, i: int) -> int:
    j = i
    while j < len(text) and text[j].isalpha():
        j += 1
    return j - i


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and (text[s].isspace() or text[s] == "\ufeff"):
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


_CLAUSE = re.compile(r"; |, (?=(?:and|but|while|whereas|which|although|however|with|as|because|including)\b)|: ")
_COMMA = re.compile(r", ")


def split_long(text: str, s: int, e: int, limit: int = MAX_UNIT_CHARS) -> list[tuple[int, int]]:
    """Cut an over-long span at clause boundaries into pieces of at most `limit`."""
    if e - s <= limit:
        return [(s, e)]
    for pattern in (_CLAUSE, _COMMA):
        cuts = [m.end() for m in pattern.finditer(text, s, e) if s + 40 < m.end() < e - 40]
        if cuts:
            mid = s + (e - s) // 2
            cut = min(cuts, key=lambda c: abs(c - mid))
            left = _trim(text, s, cut)
            right = _trim(text, cut, e)
            return split_long(text, *left, limit) + split_long(text, *right, limit)
    # No clause boundary at all: cut at the space nearest the middle.
    mid = s + (e - s) // 2
    space = text.rfind(" ", s + 1, mid + 1)
    if space <= s:
        space = text.find(" ", mid, e - 1)
    if space <= s:
        return [(s, e)]
    return split_long(text, *_trim(text, s, space), limit) + split_long(text, *_trim(text, space, e), limit)
