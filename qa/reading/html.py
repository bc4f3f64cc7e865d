"""HTML (an article page saved from a journal or PubMed Central) into a Document.

Only the article is read: scripts, styles, forms, navigation, page headers and
footers, asides and hidden elements are dropped, and the text is taken from
the <article>, else <main> or role="main", else the element whose paragraphs
hold the most text. h1 is the title, h2-h6 the heading path; paragraphs, list
items, tables (one row block per row, headers in the context), figure captions
and references follow in document order. lxml only: no network, no entities
from outside the file.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from qa.reading import tables
from qa.reading.document import Builder, Document, ReadError, ReadLimits, check_size, guarded, squash
from qa.reading.files import html_encoding
from qa.reading.markup import Inline, looks_like_marker

_DROP = frozenset({"script", "style", "noscript", "template", "nav", "aside", "form", "button", "input", "select",
                   "textarea", "iframe", "svg", "canvas", "object", "embed", "video", "audio", "map", "dialog",
                   "menu", "link", "meta", "head"})
_BLOCK = frozenset({"p", "div", "section", "article", "main", "ul", "ol", "li", "dl", "dt", "dd", "table", "figure",
                    "figcaption", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "header", "footer",
                    "address", "details", "summary", "fieldset", "caption", "tr", "td", "th", "tbody", "thead",
                    "tfoot", "body", "center", "aside", "nav"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_REF_HINT = re.compile(r"\b(ref|refs|references|reflist|ref-list|citation|bibliograph)\b", re.IGNORECASE)
_REF_HEADING = re.compile(r"^(\d+\.?\s*)?(references?|bibliography|literature cited|works cited)$", re.IGNORECASE)
_TABLE_LABEL = re.compile(r"^Table\s*[\dA-Z]+\b")
_MARKER_CLASS = re.compile(r"xref|cite|citation|bibr|fn|footnote|ref", re.IGNORECASE)


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _hidden(el: etree._Element) -> bool:
    return (el.get("hidden") is not None or el.get("aria-hidden", "").lower() == "true"
            or bool(_HIDDEN_STYLE.search(el.get("style", ""))) or el.get("type", "").lower() == "hidden")


def _clean(root: etree._Element) -> None:
    """Drop what is never article text (scripts, forms, navigation, hidden parts)."""
    def page_furniture(el: etree._Element) -> bool:
        # A page's header and footer; an article's own <header> (its title) stays.
        return _tag(el) in ("header", "footer") and not any(_tag(a) in ("article", "main") for a in el.iterancestors())

    doomed = [el for el in root.iter()
              if not isinstance(el.tag, str) or _tag(el) in _DROP or _hidden(el) or page_furniture(el)]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text


def _text_len(el: etree._Element) -> int:
    return sum(len(t.strip()) for t in el.itertext())


def main_container(root: etree._Element) -> etree._Element:
    """The article: <article>, <main>, role=main, else where the paragraphs are."""
    for pick in (lambda e: _tag(e) == "article", lambda e: _tag(e) == "main", lambda e: e.get("role") == "main"):
        found = [e for e in root.iter() if isinstance(e.tag, str) and pick(e)]
        if found:
            best = max(found, key=_text_len)
            if _text_len(best) >= 0.3 * max(_text_len(root), 1):
                return best
    score: dict[etree._Element, int] = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is not None:
            score[parent] = score.get(parent, 0) + _text_len(p)
    body = root.find("body")
    fallback = body if body is not None else root
    if not score:
        return fallback
    best = max(score, key=score.__getitem__)
    # Paragraphs split over sibling containers: climb while the parent holds much more text.
    while best.getparent() is not None and best is not fallback:
        parent = best.getparent()
        if _text_len(parent) > 1.5 * _text_len(best) and sum(score.get(c, 0) for c in parent) > 1.3 * score[best]:
            best = parent
        else:
            break
    return best


class _Reader:
    def __init__(self) -> None:
        self.out = Builder("html")
        self.path: list[tuple[int, str]] = []
        self.tables = 0
        self.in_refs = False
        self.loose_captions: dict[etree._Element, etree._Element] = {}
        self.captions_taken: set[etree._Element] = set()

    def section(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.path)

    def add(self, kind: str, text: str) -> None:
        if kind == "paragraph" and self.in_refs:
            kind = "reference"
        self.out.add(kind, text, section=self.section())

    # --- inline ----------------------------------------------------------------------

    def inline(self, el: etree._Element, w: Inline) -> None:
        w.text(el.text)
        for child in el:
            self._inline_child(child, w)
            w.text(child.tail)

    def _inline_child(self, child: etree._Element, w: Inline) -> None:
        tag = _tag(child)
        if tag == "br":
            w.space()
        elif (tag == "sup" and self._is_marker(child, w)) or (
                tag == "a" and _MARKER_CLASS.search(child.get("class", "")) and looks_like_marker("".join(child.itertext()))):
            w.marker("".join(child.itertext()))
        elif tag in ("img",):
            w.text(child.get("alt", "") and f" {child.get('alt')} ")
        elif tag in _BLOCK:
            w.space()
            self.inline(child, w)
            w.space()
        else:
            self.inline(child, w)

    def _is_marker(self, sup: etree._Element, w: Inline) -> bool:
        text = "".join(sup.itertext()).strip()
        if not looks_like_marker(text):
            return False
        links = [a for a in sup.iter("a") if (a.get("href") or "").startswith("#")]
        if links or _MARKER_CLASS.search(sup.get("class", "")):
            return True
        # A bare superscript number after a word of 3+ letters, a "%" or a bracket is a
        # marker; after a digit or a unit ("10<sup>9</sup>", "m<sup>2</sup>") it is a power.
        before = re.search(r"(?:[^\W\d_]{3,}|[%)\]])[.,;:]?$", "".join(w.parts[-3:]))
        return bool(before) and text[:1].isdigit()

    def text_of(self, el: etree._Element) -> str:
        w = Inline()
        self.inline(el, w)
        return w.value()

    # --- blocks ----------------------------------------------------------------------

    def blocks(self, el: etree._Element) -> None:
        """el's children in order: runs of inline content become paragraphs."""
        w = Inline()
        w.text(el.text)
        for child in el:
            tag = _tag(child)
            if child in self.captions_taken:
                w.text(child.tail)
                continue  # laid out with its table
            if tag in _BLOCK:
                self.add("paragraph", w.value())
                w.clear()
                self.block(child, tag)
            else:
                self._inline_child(child, w)
            w.text(child.tail)
        self.add("paragraph", w.value())

    def block(self, el: etree._Element, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading(el, int(tag[1]))
        elif tag == "p" or tag in ("pre", "address", "summary", "dt"):
            self.add("paragraph", self.text_of(el))
        elif tag in ("ul", "ol"):
            self.list_(el)
        elif tag == "li":
            self.item(el)
        elif tag == "dl":
            self.def_list(el)
        elif tag == "table":
            self.table(el, caption_el=None)
        elif tag == "figure":
            self.figure(el)
        elif tag in ("figcaption", "caption"):
            self.out.add("caption", self.text_of(el), section=self.section())
        elif tag == "hr":
            return
        else:
            refs = bool(_REF_HINT.search(" ".join((el.get("class", ""), el.get("id", "")))))
            was = self.in_refs
            self.in_refs = self.in_refs or refs
            try:
                self.blocks(el)
            finally:
                self.in_refs = was if refs else self.in_refs

    def heading(self, el: etree._Element, level: int) -> None:
        text = self.text_of(el)
        if not text:
            return
        if level == 1 and not self.out.title:
            self.out.add("title", text)
            return
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.out.add("heading", text, section=self.section())
        self.path.append((level, text))
        self.in_refs = bool(_REF_HEADING.match(text))

    def list_(self, el: etree._Element) -> None:
        refs = self.in_refs or bool(_REF_HINT.search(" ".join((el.get("class", ""), el.get("id", "")))))
        for li in el:
            if _tag(li) == "li":
                self.item(li, "reference" if refs else "item")
            elif _tag(li) in _BLOCK:
                self.block(li, _tag(li))

    def item(self, li: etree._Element, kind: str | None = None) -> None:
        kind = kind or ("reference" if self.in_refs else "item")
        w = Inline()
        w.text(li.text)
        for child in li:
            tag = _tag(child)
            if tag in ("ul", "ol", "table", "dl", "figure"):
                self.out.add(kind, w.value(), section=self.section())
                w.clear()
                self.block(child, tag)
            elif tag in ("p", "div"):
                w.space()
                self.inline(child, w)
            else:
                self._inline_child(child, w)
            w.text(child.tail)
        self.out.add(kind, w.value(), section=self.section())

    def def_list(self, el: etree._Element) -> None:
        term = ""
        for child in el:
            tag = _tag(child)
            if tag == "dt":
                if term:
                    self.add("item", term)
                term = self.text_of(child)
            elif tag == "dd":
                text = self.text_of(child)
                self.add("item", f"{term}: {text}" if term and text else term or text)
                term = ""
        if term:
            self.add("item", term)

    def figure(self, el: etree._Element) -> None:
        caption = next((c for c in el.iter() if _tag(c) == "figcaption"), None)
        table = next((c for c in el.iter() if _tag(c) == "table"), None)
        if table is not None:
            self.table(table, caption)
            return
        if caption is not None:
            self.out.add("caption", self.text_of(caption), section=self.section())

    def table(self, el: etree._Element, caption_el: etree._Element | None) -> None:
        if any(_tag(t) == "table" for t in el.iter() if t is not el):
            self.blocks(el)  # a layout table: its cells are the page's blocks
            return
        self.tables += 1
        cap = caption_el if caption_el is not None else next((c for c in el if _tag(c) == "caption"), None)
        cap = cap if cap is not None else self.loose_captions.get(el)
        caption = self.text_of(cap) if cap is not None else ""
        parsed = tables.from_xhtml(el, self.text_of, _tag)
        label = ""
        m = re.match(r"^(Table\s*[\dA-Z]+)[.:]?\s*", caption)
        if m:
            label = m.group(1)
        tables.emit(self.out, tables.Table(label=label, caption=caption, rows=parsed.rows, head_rows=parsed.head_rows),
                    self.tables, section=self.section())

    def _find_loose_captions(self, main: etree._Element) -> None:
        """Captions set as a plain element next to their table ("<div class=caption>Table 2.
        ...</div><table>", as PubMed Central pages do): found before the walk, so that the
        caption goes with the rows instead of being a paragraph before them."""
        for table in main.iter("table"):
            if any(_tag(c) == "caption" for c in table) or any(_tag(a) == "figure" for a in table.iterancestors()):
                continue
            node = table
            # Climb out of wrappers that hold nothing but the table.
            while node.getparent() is not None and node.getparent() is not main and \
                    len(node.getparent()) == 1 and not (node.getparent().text or "").strip():
                node = node.getparent()
            for sib in (node.getprevious(), node.getnext()):
                if sib is None or not isinstance(sib.tag, str) or _tag(sib) in ("table", "ul", "ol"):
                    continue
                text = self.text_of(sib)
                if _TABLE_LABEL.match(text) and len(text) <= 600:
                    self.loose_captions[table] = sib
                    self.captions_taken.add(sib)
                    break

    def read(self, root: etree._Element) -> Document:
        title_el = root.find(".//title")
        page_title = squash(title_el.text_content()) if title_el is not None else ""
        _clean(root)
        main = main_container(root)
        # Inside the article, page furniture may remain: its own nav, asides, footers.
        for el in [e for e in main.iter() if _tag(e) in ("footer",) and e is not main]:
            el.drop_tree()
        if not any(_tag(e) == "h1" for e in main.iter()):
            # The article's heading may sit just outside the element its paragraphs share.
            h1 = next((e for e in root.iter("h1")), None)
            title = self.text_of(h1) if h1 is not None else ""
            if title or page_title:
                self.out.add("title", title or page_title)
        self._find_loose_captions(main)
        self.blocks(main)
        doc = self.out.build()
        if not doc.title:
            doc.title = page_title
        return doc


def read_html(data: bytes, name: str, limits: ReadLimits | None = None) -> Document:
    """Read an HTML article (.html, .htm)."""
    return guarded("HTML", name, lambda: _read(data, name, limits or ReadLimits()))


def _read(data: bytes, name: str, limits: ReadLimits) -> Document:
    check_size(data, name, limits)
    if not data.strip():
        raise ReadError(f"{name} is empty")
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=False,
                                  encoding=html_encoding(data))
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ReadError(f"{name} could not be read as HTML ({str(exc)[:120] or type(exc).__name__})") from None
    if root is None:
        raise ReadError(f"{name} has no HTML content")
    doc = _Reader().read(root)
    if not doc.blocks:
        raise ReadError(f"{name} has no article text (only scripts, styles or navigation)")
    return doc
