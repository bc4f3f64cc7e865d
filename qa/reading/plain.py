"""The plain-text and Markdown reader: a document's text cut into blocks.

Articles like the seed have a kicker and a title, paragraphs, bullet lists
nested by indentation whose short items are headings for the items below
them, a numbered reference list and page boilerplate. Text extracted from
articles has label lines ("BODY.METHODS:", "Results:", "TITLE:"), which are
headings for the text below them and never part of it (dotted labels become a
heading path: "BODY.RESULTS.PRIMARY OUTCOME:" is Results › Primary outcome),
and tables flattened to a cell per line, read back into rows where their
shape can be inferred (plaintables). The parser works line by line on the
decoded text, which is the document's canonical text as it is, and records
offsets into it, so every block is text[start:end], with the heading path it
stands under.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from qa.reading.document import Block, Document
from qa.reading.plaintables import find_pipe_table, find_table

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


def read_text(text: str, fmt: str = "text") -> Document:
    """A decoded plain-text ("text") or Markdown ("markdown") document; its text is
    the canonical text as it is, and every block a span of it."""
    found = list(blocks(text))
    title = next((b.section[0] for b in found if b.section), "")
    return Document(text, found, fmt, title)


_SMALL = frozenset("a an and as at by for from in into of on or per the to vs with without".split())
_DOTTED = re.compile(r"(?:(?<!\d)\.(?=\S)|(?<=\d)\.(?=[^\s\d]))(?!(?:GOV|ORG|COM|NET)\b)")
"""Where a dotted label splits: "BODY.RESULTS.PRIMARY OUTCOME", not inside "2.1." or "CLINICALTRIALS.GOV"."""


def label_path(s: str) -> tuple[tuple[str, ...], bool] | None:
    """The heading path a label line names, and whether it is absolute (a dotted path
    from the document's root); None when the line is not only a label.

    "BODY.RESULTS.PRIMARY OUTCOME:" -> (("Results", "Primary outcome"), True);
    "Results:" -> (("Results",), False); "TITLE:" -> (("TITLE",), True)."""
    if not s.endswith(":") or len(s) > 100:
        return None
    body = s[:-1].rstrip()
    if not body or not body[0].isupper() or "http" in body or any(c in body for c in ":;!?"):
        return None
    parts = [p.strip() for p in _DOTTED.split(body)]
    if len(parts) > 1 or body.isupper():
        if any(not p or any(c.islower() for c in p) for p in parts) or sum(c.isdigit() for c in body) > 6:
            return None
        named = [_readable(p) for p in parts if p not in ("BODY",)]
        return tuple(named) or (_readable(parts[0]),), True
    words = body.split()
    if "." in body.rstrip(".") and len(words) > 1 or sum(c.isdigit() for c in body) > 2:
        return None
    titled = all(w[0].isupper() or w.lower() in _SMALL or not w[0].isalpha() for w in words)
    if len(words) <= 2 or (len(words) <= 6 and titled):
        return (body,), False
    return None


def _readable(part: str) -> str:
    """An all-capitals label part in sentence case, short words kept as capitals
    (they are usually abbreviations): "PRIMARY OUTCOME" -> "Primary outcome", "HIV TESTING" -> "HIV testing"."""
    if part == "TITLE":
        return part
    out = []
    first = True  # the first word with letters opens the sentence ("2.1. Patients")
    for w in part.split():
        letters = "".join(c for c in w if c.isalpha())
        if 0 < len(letters) <= 3 and w.lower() not in _SMALL:
            out.append(w)
        else:
            out.append(w.capitalize() if first else w.lower())
        first = first and not letters
    return " ".join(out)


def blocks(text: str) -> Iterator[Block]:
    """The blocks of a plain-text or Markdown document, in reading order."""
    lines = _lines(text)
    spans = [(ln.content_start, ln.end) for ln in lines]
    headings: list[str] = []  # from markdown '#' or stand-alone title lines
    heading_levels: list[int] = []
    labels: list[str] = []  # the heading path named by label lines, below `headings`
    bullet_stack: list[tuple[int, str | None]] = []  # (indent, label or None)
    in_references = False
    body_started = False
    title_next = False  # after a "TITLE:" label line
    para: list[_Line] = []
    skip_to = 0
    tables = 0

    def blank(i: int) -> bool:
        return i < 0 or i >= len(lines) or lines[i].content_start >= lines[i].end

    def section() -> tuple[str, ...]:
        return tuple(headings) + tuple(labels) + tuple(lbl for _, lbl in bullet_stack if lbl)

    def flush() -> Iterator[Block]:
        if para:
            kind = "reference" if in_references else "paragraph"
            yield Block(para[0].content_start, para[-1].end, kind, section())
            para.clear()

    def heading(start: int, end: int) -> Block:
        return Block(start, end, "heading", section())

    for i, ln in enumerate(lines):
        if i < skip_to:
            continue
        if blank(i):
            yield from flush()
            continue
        s = text[ln.content_start : ln.end]
        if title_next:
            # The line after "TITLE:" is the title, whatever it looks like.
            yield from flush()
            title_next = False
            headings, heading_levels, labels = [s], [0], []
            yield Block(ln.content_start, ln.end, "title")
            continue
        if _BOILERPLATE.match(s):
            yield from flush()
            continue
        table = find_table(text, spans, i) if ln.indent == 0 else None
        if table is None and ln.indent == 0:
            table = find_pipe_table(text, spans, i, tables + 1)
        if table is not None:
            yield from flush()
            body_started = True
            tables += 1
            here = section()
            if table.caption is not None:
                yield Block(*table.caption, "caption", here, table=table.label)
            yield Block(*table.header, "row", here, table=table.label, context=table.base)
            for a, b in table.rows:
                yield Block(a, b, "row", here, table=table.label, context=table.context)
            skip_to = table.end_line
            continue
        label = label_path(s)
        if label is not None and not (para and ln.indent > 0):
            yield from flush()
            path, absolute = label
            bullet_stack.clear()
            if path == ("TITLE",):
                title_next = not body_started
                continue
            yield heading(ln.content_start, ln.content_start + len(s[:-1].rstrip()))
            if absolute:
                labels = list(path)
            else:
                labels = labels[:-1] + list(path) if labels else list(path)
            in_references = bool(_REFERENCES.match(path[-1]))
            continue
        md = _MD_HEADING.match(s)
        bullet = _BULLET.match(s)
        if md and not bullet:
            yield from flush()
            level = len(md.group(1))
            while heading_levels and heading_levels[-1] >= level:
                heading_levels.pop()
                headings.pop()
            if md.group(2):
                start = ln.content_start + md.start(2)
                yield Block(start, start + len(md.group(2)), "title" if not headings and not body_started else "heading", section())
            heading_levels.append(level)
            headings.append(md.group(2))
            labels = []
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
                yield heading(body, ln.end)
                bullet_stack.append((ln.indent, item))
                continue
            if not in_references and _NUMBERED.match(s) and _looks_like_reference(item):
                # An unheaded numbered list of citations: the rest of it is references too.
                in_references = True
                headings = headings[:1] + ["References"]
                heading_levels = heading_levels[:1] + [99]
                labels = []
                bullet_stack.clear()
            kind = "reference" if in_references else "item"
            body_started = True
            yield Block(body, ln.end, kind, section())
            # A statement bullet with children is their context as well.
            bullet_stack.append((ln.indent, _label_of(item) if has_children else None))
            continue
        stand_alone = blank(i - 1) and blank(i + 1)
        if stand_alone and _META.match(s):
            body_started = True
            yield Block(ln.content_start, ln.end, "meta", section())
            continue
        if stand_alone and _REFERENCES.match(s):
            yield from flush()
            yield heading(ln.content_start, ln.end)
            headings = headings[:1] + ["References"]
            heading_levels = heading_levels[:1] + [99]
            labels = []
            bullet_stack.clear()
            in_references = True
            continue
        if stand_alone and not in_references and (_is_heading_text(s) or (not body_started and _is_title(s))):
            yield from flush()
            # Stand-alone lines before any text make up the title (a kicker and a
            # headline); later ones are section headings one level below it.
            if not body_started:
                yield Block(ln.content_start, ln.end, "title")
                title = f"{headings[0]} › {s}" if headings else s
                headings, heading_levels = [title], [0]
            else:
                yield heading(ln.content_start, ln.end)
                headings = headings[:1] + [s]
                heading_levels = heading_levels[:1] + [1]
            labels = []
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
