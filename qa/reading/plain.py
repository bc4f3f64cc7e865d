"""The plain-text and Markdown reader: a document's text cut into blocks.

Articles like the seed have a kicker and a title, paragraphs, bullet lists
nested by indentation whose short items are headings for the items below
them, a numbered reference list and page boilerplate. The parser works line
by line on the decoded text and records character offsets into it, so every
block is text[start:end], with the heading path it stands under.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_BULLET = re.compile(r"(?:[•◦▪▫‣⁃∙·●○■□–—*+-]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+")
_NUMBERED = re.compile(r"\(?\d{1,3}[.)]\s+")
_MD_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*\s*$")
_BOILERPLATE = re.compile(
    r"^(download (this article|as pdf|pdf|the article)|you can now download|was this article (informative|helpful)"
    r"|thank you for your feedback|share this (article|page)|print this (article|page)|subscribe( now| to)?\b"
    r"|sign up for|cookie|accept (all )?cookies|skip to (main )?content|back to top|related articles?$"
    r"|advertisement$|click here|read more$|log ?in$|register$|table of contents$)",
    re.IGNORECASE,
)
_META = re.compile(r"^(https?://\S+|doi:\s*\S+|license:\s*\S+|\d{4}-\d{2}-\d{2})$", re.IGNORECASE)
_REFERENCES = re.compile(r"^(references?|bibliography|works cited|literature cited|notes)\s*:?$", re.IGNORECASE)


@dataclass(slots=True)
class _Line:
    start: int
    end: int
    indent: int
    content_start: int


def _lines(text: str) -> list[_Line]:
    out = []
    pos = 0
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        stripped_end = end
        while stripped_end > pos and text[stripped_end - 1] in " \t\r\f\v":
            stripped_end -= 1
        cs = pos
        indent = 0
        while cs < stripped_end and text[cs] in " \t\ufeff\xa0":
            indent += 4 if text[cs] == "\t" else (1 if text[cs] != "\ufeff" else 0)
            cs += 1
        out.append(_Line(pos, stripped_end, indent, cs))
        pos = end + 1
    return out


def _is_heading_text(s: str) -> bool:
    """A short title-like line: no final stop, few words, not a value or link."""
    if not s or len(s) > 90 or s[-1] in ".;,!?" or "http" in s:
        return False
    words = s.split()
    if len(words) > 12 or not s[0].isalpha():
        return False
    return sum(ch.isdigit() for ch in s) <= 4


def _is_title(s: str) -> bool:
    """An article's opening line: a long headline is still a title, not a sentence."""
    return 0 < len(s) <= 300 and s[-1] not in ".;,:" and s[0].isalnum() and "http" not in s


def _is_label(s: str) -> bool:
    """A short bullet that names the items under it ("Patients", "Safety (n=123)")."""
    return bool(s) and len(s.split()) <= 6 and s[-1] not in ".;:,!?" and len(s) <= 60


@dataclass(slots=True)
class Block:
    """A paragraph, a list item, a reference or a stand-alone line (a link, a date)."""

    start: int
    end: int
    section: tuple[str, ...]
    kind: str  # paragraph | bullet | reference | meta


def blocks(text: str) -> Iterator[Block]:
    """The blocks of a plain-text or Markdown document, in reading order."""
    lines = _lines(text)
    headings: list[str] = []  # from markdown '#' or stand-alone title lines
    heading_levels: list[int] = []
    bullet_stack: list[tuple[int, str | None]] = []  # (indent, label or None)
    in_references = False
    body_started = False
    para: list[_Line] = []

    def blank(i: int) -> bool:
        return i < 0 or i >= len(lines) or lines[i].content_start >= lines[i].end

    def section() -> tuple[str, ...]:
        return tuple(headings) + tuple(lbl for _, lbl in bullet_stack if lbl)

    def flush() -> Iterator[Block]:
        if para:
            kind = "reference" if in_references else "paragraph"
            yield Block(para[0].content_start, para[-1].end, section(), kind)
            para.clear()

    for i, ln in enumerate(lines):
        if blank(i):
            yield from flush()
            continue
        s = text[ln.content_start : ln.end]
        if _BOILERPLATE.match(s):
            yield from flush()
            continue
        md = _MD_HEADING.match(s)
        bullet = _BULLET.match(s)
        if md and not bullet:
            yield from flush()
            level = len(md.group(1))
            while heading_levels and heading_levels[-1] >= level:
                heading_levels.pop()
                headings.pop()
            heading_levels.append(level)
            headings.append(md.group(2))
            bullet_stack.clear()
            in_references = bool(_REFERENCES.match(md.group(2)))
            continue
        if bullet and not (para and ln.indent == 0 and not blank(i - 1) and _NUMBERED.match(s) is None):
            yield from flush()
            while bullet_stack and bullet_stack[-1][0] >= ln.indent:
                bullet_stack.pop()
            body = ln.content_start + bullet.end()
            item = text[body : ln.end]
            has_children = i + 1 < len(lines) and not blank(i + 1) and lines[i + 1].indent > ln.indent
            if has_children and _is_label(item):
                bullet_stack.append((ln.indent, item))
                continue
            if not in_references and _NUMBERED.match(s) and _looks_like_reference(item):
                # An unheaded numbered list of citations: the rest of it is references too.
                in_references = True
                headings = headings[:1] + ["References"]
                heading_levels = heading_levels[:1] + [99]
                bullet_stack.clear()
            kind = "reference" if in_references else "bullet"
            body_started = True
            yield Block(body, ln.end, section(), kind)
            # A statement bullet with children is their context as well.
            bullet_stack.append((ln.indent, _label_of(item) if has_children else None))
            continue
        stand_alone = blank(i - 1) and blank(i + 1)
        if stand_alone and _META.match(s):
            body_started = True
            yield Block(ln.content_start, ln.end, section(), "meta")
            continue
        if stand_alone and _REFERENCES.match(s):
            yield from flush()
            headings = headings[:1] + ["References"]
            heading_levels = heading_levels[:1] + [99]
            bullet_stack.clear()
            in_references = True
            continue
        if stand_alone and not in_references and (_is_heading_text(s) or (not body_started and _is_title(s))):
            yield from flush()
            # Stand-alone lines before any text make up the title (a kicker and a
            # headline); later ones are section headings one level below it.
            if not body_started:
                title = f"{headings[0]} › {s}" if headings else s
                headings, heading_levels = [title], [0]
            else:
                headings = headings[:1] + [s]
                heading_levels = heading_levels[:1] + [1]
            bullet_stack.clear()
            continue
        if ln.indent == 0 and not para:
            bullet_stack.clear()
        body_started = True
        para.append(ln)
    yield from flush()


def _label_of(item: str) -> str:
    """The part of a statement that names it ("Overall response rate: 26.0%" -> "Overall response rate")."""
    head = re.split(r"[:(]", item, maxsplit=1)[0].strip()
    return head if 0 < len(head) <= 60 else item[:60].rstrip()


def _looks_like_reference(item: str) -> bool:
    return bool(re.search(r"\bet al\b|\b(19|20)\d{2}\b.*\d+\s*[:(]|doi:|\bDOI\b|\bJ\b|https?://", item))
