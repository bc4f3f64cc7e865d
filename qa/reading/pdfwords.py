"""Words with positions and fonts from one PDF page, through PDFium (pypdfium2).

PDFium gives the page's characters in content order, with the spaces and line
breaks it infers. Asking it about every character costs a foreign call per
character per property, which alone would hold reading under 20 pages a
second; so the text comes in one call, is cut into whitespace-separated
tokens, and only a token's first and last characters are measured (box, font
size, weight). A token whose ends disagree (it runs onto the next line, or it
ends in a smaller, raised superscript) is measured character by character.

Coordinates are PDF points, y upwards. `size` is the font size; `bottom` and
`top` are the font's descent and ascent lines around the glyph (PDFium's
"loose" box), which are the same for every character of a font on a line, so
they compare lines and baselines reliably.
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium

_INT, _DBL, _PTR = ctypes.c_int, ctypes.c_double, ctypes.c_void_p


def _fast(fn: Any, restype: type, *argtypes: type) -> Callable[..., Any]:
    """The same PDFium function without pypdfium2's argument conversion (several
    times cheaper per call; measured in bench/read_pdf.py)."""
    address: int = ctypes.cast(fn, _PTR).value or 0
    func: Callable[..., Any] = ctypes.CFUNCTYPE(restype, *argtypes)(address)
    return func


_loose_box = _fast(pdfium.FPDFText_GetLooseCharBox, _INT, _PTR, _INT, _PTR)
_font_size = _fast(pdfium.FPDFText_GetFontSize, _DBL, _PTR, _INT)
_font_weight = _fast(pdfium.FPDFText_GetFontWeight, _INT, _PTR, _INT)
_unicode = _fast(pdfium.FPDFText_GetUnicode, ctypes.c_uint, _PTR, _INT)

HYPHENS = "-\u2010\u2011\u00ad\ufffe"
"""Characters a line may end with when a word was broken (PDFium writes U+FFFE for
a hyphen it recognised at a line end)."""

_TRAILING = frozenset(".,;:)]\"'”’")
_TOKEN = re.compile(r"[^\s\ufffe]+\ufffe?|\ufffe")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾", "0123456789+-()")
_SUPER_CHARS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹")
_DROP = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2060\ufeff\uffff\ue000-\uf8ff]")
# Symbol-font glyphs that some PDFs leave in the private use area.
_SYMBOL_PUA = str.maketrans({0xF0B1: "±", 0xF0A3: "≤", 0xF0B3: "≥", 0xF0D7: "×", 0xF0B4: "×", 0xF02D: "−",
                             0xF0B0: "°", 0xF0BB: "≈", 0xF0B9: "≠", 0xF06D: "µ", 0xF061: "α", 0xF062: "β",
                             0xF067: "γ", 0xF064: "δ", 0xF0AE: "→", 0xF0A5: "∞", 0xF0BA: "≡", 0xF0D6: "√"})
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    bottom: float
    top: float
    size: float
    bold: bool
    sup: bool = False
    """Set by the line builder: smaller and raised against its line (a reference marker)."""
    hyphen: bool = False
    """PDFium marked the final character as a line-end hyphen (it is no longer in text)."""
    glued: bool = False
    """No space before it in the text: a piece cut from one token (after a superscript)."""


class PageText:
    """The measured words of one page (content order)."""

    def __init__(self, textpage: object) -> None:
        self._tp = textpage
        self._h = ctypes.cast(textpage.raw, _PTR).value  # type: ignore[attr-defined]
        self._rect = (ctypes.c_float * 4)()  # left, top, right, bottom
        self._addr = ctypes.addressof(self._rect)
        self._bold_cache: dict[int, bool] = {}

    def _box(self, i: int) -> tuple[float, float, float, float]:
        _loose_box(self._h, i, self._addr)
        r = self._rect
        return r[0], r[3], r[2], r[1]  # x0, bottom, x1, top

    def _bold(self, i: int) -> bool:
        w: int = _font_weight(self._h, i)
        if w > 0:
            return w >= 600
        # No weight in the font descriptor: the font's name tells.
        obj = pdfium.FPDFText_GetTextObject(self._tp.raw, i)  # type: ignore[attr-defined]
        key = ctypes.cast(obj, _PTR).value or 0
        if key not in self._bold_cache:
            buf = ctypes.create_string_buffer(128)
            flags = ctypes.c_int()
            pdfium.FPDFText_GetFontInfo(self._tp.raw, i, buf, 128, ctypes.byref(flags))  # type: ignore[attr-defined]
            self._bold_cache[key] = bool(_BOLD_NAME.search(buf.value.decode("latin-1", "replace")))
        return self._bold_cache[key]

    def _size(self, i: int, bottom: float, top: float) -> float:
        s = _font_size(self._h, i)
        # A font scaled by the text matrix reports size 1: the box height is then the truth.
        return s if s > 1.5 else max(1.0, (top - bottom) / 1.2)

    def words(self) -> list[Word]:
        count = self._tp.count_chars()  # type: ignore[attr-defined]
        if count <= 0:
            return []
        text = self._tp.get_text_range()  # type: ignore[attr-defined]
        if len(text) != count:
            # Characters outside the BMP come as surrogate pairs: rebuild one per index.
            text = "".join(chr(_unicode(self._h, i) or 32) for i in range(count))
        out: list[Word] = []
        # The loop body is _token() inlined: it runs once per word of the document.
        h, addr, r = self._h, self._addr, self._rect
        box, font_size, weight = _loose_box, _font_size, _font_weight
        for m in _TOKEN.finditer(text):
            s, e = m.span()
            box(h, s, addr)
            x0, t0, x1, b0 = r[0], r[1], r[2], r[3]
            last = e - 2 if text[e - 1] == "\ufffe" and e - 2 > s else e - 1  # a hyphen's box is its ink only
            if last > s:
                box(h, last, addr)
                lx0, lb, lx1 = r[0], r[3], r[2]
            else:
                lx0, lb, lx1 = x0, b0, x1
            ht = t0 - b0 if t0 - b0 > 1.0 else 1.0
            n = e - s
            if n > 1 and (abs(lb - b0) > 0.5 * ht or lx0 < x0 - 1 or lx0 - x1 > 3 * ht + n * ht):
                self._split(text, s, e, out)  # runs onto another line or across a gap
                continue
            size = font_size(h, s)
            if size <= 1.5:
                size = self._size(s, b0, t0)
            if n > 1:
                # A superscript may end the word or stand before its punctuation ("diabetes².").
                probe, sb = last, lb
                while probe > s + 1 and text[probe] in _TRAILING:
                    probe -= 1
                if probe != last:
                    box(h, probe, addr)
                    sb = r[3]
                psize = font_size(h, probe)
                if psize > 1.5 and (psize < 0.85 * size or sb > b0 + 0.25 * ht):
                    self._split(text, s, e, out)  # holds a superscript
                    continue
            w = weight(h, s)
            bold = w >= 600 if w > 0 else self._bold(s)
            raw = m.group()
            if raw.isascii() and raw.isprintable():
                out.append(Word(raw, x0, lx1, b0, t0, size, bold))
            else:
                self._emit(raw, x0, lx1, b0, t0, size, bold, out)
        return out

    def _split(self, text: str, s: int, e: int, out: list[Word]) -> None:
        """Measure each character and cut the token where the line, font size or baseline changes."""
        start = s
        ps = self._box(s)
        psize = self._size(s, ps[1], ps[3])
        first = ps
        for i in range(s + 1, e + 1):
            if i < e and text[i] in HYPHENS:
                continue  # a hyphen's box is its ink only: it belongs with the letters before it
            if i < e:
                cur = self._box(i)
                size = self._size(i, cur[1], cur[3])
                h = max(ps[3] - ps[1], 1.0)
                same = (abs(cur[1] - ps[1]) <= 0.25 * h and abs(size - psize) < 0.15 * psize
                        and cur[0] >= ps[0] - 1 and cur[0] - ps[2] < 0.5 * h)
                if same:
                    ps = cur
                    continue
            before = len(out)
            self._emit(text[start:i], first[0], ps[2], first[1], first[3], psize, self._bold(start), out)
            if start > s and len(out) > before:
                out[before].glued = True
            if i < e:
                start, first, ps, psize = i, cur, cur, size

    def _emit(self, raw: str, x0: float, x1: float, bottom: float, top: float, size: float, bold: bool,
              out: list[Word]) -> None:
        hyphen = raw.endswith("\ufffe")
        if raw == "\ufffe" and out and 0 <= x0 - out[-1].x1 < 0.3 * size and not out[-1].hyphen:
            # PDFium sometimes puts its line break before the hyphen it marked: the hyphen
            # still ends the word before it.
            prev = out[-1]
            prev.text += "-"
            prev.x1, prev.hyphen = x1, True
            return
        t = normalise(raw)
        if hyphen and not t.endswith("-"):
            t += "-"
        if not t:
            return
        if _SUPER_CHARS.intersection(t) and t[0] not in _SUPER_CHARS and t[-1] in _SUPER_CHARS:
            # Unicode superscript digits after a word ("myeloma¹²") are a marker of their own.
            k = len(t)
            while k > 1 and (t[k - 1] in _SUPER_CHARS or (t[k - 1] in ",–-" and t[k - 2] in _SUPER_CHARS)):
                k -= 1
            base, sup = t[:k], t[k:]
            width = x1 - x0
            cut = x0 + width * len(base) / max(len(t), 1)
            out.append(Word(base, x0, cut, bottom, top, size, bold, hyphen=False))
            out.append(Word(sup.translate(_SUPERSCRIPTS), cut, x1, bottom + 0.3 * size, top, size * 0.6, bold,
                            sup=True))
            return
        out.append(Word(t, x0, x1, bottom, top, size, bold, hyphen=hyphen))


def normalise(raw: str) -> str:
    """A token's text: control and private-use characters dropped, ligatures and
    compatibility forms folded (NFKC) except superscript digits, which mark references."""
    t = raw.replace("\ufffe", "")
    if t.isascii():
        return _DROP.sub("", t)
    t = _DROP.sub("", t.translate(_SYMBOL_PUA))
    if _SUPER_CHARS.intersection(t):
        return "".join(c if c in _SUPER_CHARS else unicodedata.normalize("NFKC", c) for c in t)
    return unicodedata.normalize("NFKC", t)


# --- text of a run of words -------------------------------------------------------------

_MARKER = re.compile(r"^[\[(]?\d{1,3}(?:[,–\-−]\d{1,3})*[\])]?$|^[a-z*†‡§¶]$")


def words_text(words: list[Word]) -> str:
    """Words as text, one space apart. A superscript that looks like a reference marker
    becomes " [1]" after its word and inside its sentence ("myeloma [1]."); one after a
    digit or a unit is a power and stays put ("10⁹" reads "109", as in the source text)."""
    out = ""
    for k, w in enumerate(words):
        if w.sup and k > 0 and _MARKER.match(w.text):
            out = _add_marker(out, w.text)
        elif w.sup and k > 0 and out[-1:].isalnum():
            out += w.text
        elif w.glued and k > 0 and words[k - 1].sup:
            out = _after_marker(out, w.text)
        else:
            out = f"{out} {w.text}" if out else w.text
    return out


def _add_marker(out: str, marker: str) -> str:
    bare = marker.strip("[]()")
    m = re.search(r"([^\W\d_]{3,})([.,;:])$", out)
    if m:
        return f"{out[:-1]} [{bare}]{m.group(2)}"
    return f"{out} [{bare}]"


def _after_marker(out: str, text: str) -> str:
    """Text that followed a superscript without a space: its punctuation closes the
    sentence the marker belongs to ("diabetes [2,3]."), a word goes on after a space."""
    if text[:1] in ".,;:)]" and out.endswith("]"):
        return out + text
    return f"{out} {text}"
