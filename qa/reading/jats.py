"""JATS XML (PubMed Central .nxml) into a Document.

The parser never loads a DTD, never resolves an entity and never touches the
network, and a document that declares entities (an XML bomb, an external
entity naming /etc/passwd) is refused outright: nothing outside the file is
ever read. Front matter gives the title and the abstract (its sections become
headings under "Abstract"), the body its nested sections, paragraphs, lists,
tables and figure captions, the back matter acknowledgements, appendices and
references. Author and article footnotes (<fn>) are left out, but for those that
state the funding or competing interests: with the metadata's funding group they
close the document as "Funding" and "Competing interests" sections (what a
reviewer extracts), unless the article's own text already says the same. A
table's footnotes follow its rows.
"""

from __future__ import annotations

import html.entities

from lxml import etree

from qa.reading import tables
from qa.reading.declarations import declarations
from qa.reading.document import Builder, Document, ReadError, ReadLimits, check_size, guarded, squash
from qa.reading.markup import Inline
from qa.reading.markup import local_name as _local

_INLINE_SKIP = frozenset({"fn", "tex-math", "inline-graphic", "graphic", "media", "object-id"})
_BLOCKS_IN_P = frozenset({"list", "table-wrap", "fig", "disp-quote", "boxed-text", "def-list", "disp-formula",
                          "statement", "table-wrap-group", "fig-group", "speech", "verse-group", "code", "preformat"})
_MARKER_REFS = frozenset({"bibr", "fn", "table-fn"})
_SKIP_SECTIONS = frozenset({"fn-group", "author-notes", "custom-meta-group"})


_ENTITY_DECLARATIONS = (b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


def parse_xml(data: bytes, name: str) -> etree._Element:
    """Parse without DTDs, entities or network; refuse declared entities."""
    if any(d in data for d in _ENTITY_DECLARATIONS):
        # Before parsing: a billion-laughs document must not even start to expand.
        raise ReadError(f"{name} declares XML entities; such files are refused (entities can expand "
                        "without bound or pull in other files)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             dtd_validation=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ReadError(f"{name} is not well-formed XML ({_short(exc)})") from None
    except (ValueError, MemoryError, etree.LxmlError) as exc:
        raise ReadError(f"{name} could not be read as XML ({_short(exc)})") from None
    if root is None:
        raise ReadError(f"{name} is empty")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or list(dtd.elements())):
        raise ReadError(f"{name} declares its own entities or elements in its DOCTYPE; such files are "
                        "refused (entities can expand without bound or pull in other files)")
    return root


def _short(exc: Exception) -> str:
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return msg[:160]


def _entity_text(el: etree._Element) -> str:
    # An undeclared entity left unresolved: the HTML name table is the only source allowed.
    code = html.entities.name2codepoint.get(str(el.text or el.tag).strip("&;"))
    return chr(code) if code else ""


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.out = Builder("jats")
        self.path: list[str] = []
        self.tables = 0

    # --- inline ----------------------------------------------------------------------

    def inline(self, el: etree._Element, w: Inline, stop_at_blocks: bool = False) -> None:
        w.text(el.text)
        for child in el:
            self._inline_child(child, w, stop_at_blocks)
            w.text(child.tail)

    def _inline_child(self, child: etree._Element, w: Inline, stop_at_blocks: bool) -> None:
        if isinstance(child, etree._Entity):
            w.text(_entity_text(child))
            return
        tag = _local(child)
        if not tag or tag in _INLINE_SKIP:
            return
        if (tag == "xref" and child.get("ref-type") in _MARKER_REFS) or (tag == "sup" and self._only_markers(child)):
            w.marker("".join(child.itertext()))
        elif tag in ("break", "list", "def-list", "p") or (tag in _BLOCKS_IN_P and not stop_at_blocks):
            w.space()
            self.inline(child, w)
            w.space()
        elif tag == "alternatives":
            pick = next((c for c in child if _local(c) in ("mml:math", "math")), None)
            pick = pick if pick is not None else next((c for c in child if _local(c) != "tex-math"), None)
            if pick is not None:
                self.inline(pick, w)
        else:
            self.inline(child, w)

    def _only_markers(self, el: etree._Element) -> bool:
        kids = [c for c in el if isinstance(c.tag, str)]
        return bool(kids) and all(_local(c) == "xref" and c.get("ref-type") in _MARKER_REFS for c in kids)

    def text_of(self, el: etree._Element) -> str:
        w = Inline()
        self.inline(el, w)
        return w.value()

    # --- blocks ----------------------------------------------------------------------

    def add(self, kind: str, text: str, **kw: object) -> None:
        self.out.add(kind, text, section=tuple(self.path), **kw)  # type: ignore[arg-type]

    def blocks(self, el: etree._Element) -> None:
        """The block-level children of a section-like element, in order."""
        for child in el:
            tag = _local(child)
            if tag in ("title", "label", "sec-meta", "") or tag in _SKIP_SECTIONS:
                continue
            self.block(child, tag)

    def block(self, el: etree._Element, tag: str) -> None:
        if tag in ("sec", "app", "ack", "boxed-text", "abstract", "bio", "notes", "glossary"):
            self.section(el, default=_DEFAULT_TITLES.get(tag, ""))
        elif tag == "p":
            self.paragraph(el)
        elif tag in ("list",):
            self.list_(el)
        elif tag == "def-list":
            self.def_list(el)
        elif tag in ("table-wrap", "table-wrap-group"):
            self.table_wrap(el) if tag == "table-wrap" else self.blocks(el)
        elif tag in ("fig", "fig-group"):
            self.figure(el) if tag == "fig" else self.blocks(el)
        elif tag == "ref-list":
            self.references(el)
        elif tag in ("disp-quote", "statement", "app-group", "speech", "floats-group", "sec-group"):
            self.blocks(el)
        elif tag in ("disp-formula", "verse-group", "preformat", "code", "def", "caption"):
            self.add("paragraph", self.text_of(el))
        elif tag in ("table", "array"):
            self.table_wrap(el)

    def section(self, el: etree._Element, default: str = "") -> None:
        title_el = next((c for c in el if _local(c) == "title"), None)
        label_el = next((c for c in el if _local(c) == "label"), None)
        title = self.text_of(title_el) if title_el is not None else ""
        label = self.text_of(label_el) if label_el is not None else ""
        if label and title and not title.startswith(label):
            title = f"{label} {title}"
        title = title or default
        pushed = False
        if title:
            self.add("heading", title)
            self.path.append(title)
            pushed = True
        try:
            self.blocks(el)
        finally:
            if pushed:
                self.path.pop()

    def paragraph(self, el: etree._Element, kind: str = "paragraph") -> None:
        """A <p>, split around the lists, tables and figures it may hold."""
        w = Inline()
        w.text(el.text)
        for child in el:
            tag = _local(child)
            if tag in _BLOCKS_IN_P:
                self.add(kind, w.value())
                w.clear()
                self.block(child, tag)
            else:
                self._inline_child(child, w, stop_at_blocks=True)
            w.text(child.tail)
        self.add(kind, w.value())

    def list_(self, el: etree._Element) -> None:
        for item in el:
            if _local(item) != "list-item":
                continue
            label_el = next((c for c in item if _local(c) == "label"), None)
            label = self.text_of(label_el) if label_el is not None else ""
            w = Inline()
            if label:
                w.text(label + " ")
            for child in item:
                tag = _local(child)
                if tag == "label":
                    continue
                if tag in ("list", "def-list"):
                    self.add("item", w.value())
                    w.clear()
                    self.block(child, tag)
                elif tag == "p":
                    w.space()
                    self.inline(child, w)
                else:
                    self._inline_child(child, w, stop_at_blocks=False)
                w.text(child.tail)
            self.add("item", w.value())

    def def_list(self, el: etree._Element) -> None:
        for item in el.iter():
            if _local(item) != "def-item":
                continue
            term = " ".join(self.text_of(c) for c in item if _local(c) == "term")
            defs = " ".join(self.text_of(c) for c in item if _local(c) == "def")
            self.add("item", f"{term}: {defs}" if term and defs else term or defs)

    def caption_text(self, el: etree._Element) -> tuple[str, str]:
        label_el = next((c for c in el if _local(c) == "label"), None)
        cap_el = next((c for c in el if _local(c) == "caption"), None)
        label = self.text_of(label_el) if label_el is not None else ""
        caption = ""
        if cap_el is not None:
            parts = [self.text_of(c) for c in cap_el if _local(c) in ("title", "p")]
            caption = " ".join(p if p[-1:] in ".:?!" else p + "." for p in parts if p).strip()
            if caption.endswith(".") and len(parts) == 1 and not parts[0].endswith("."):
                caption = caption[:-1]
        return label, caption

    def figure(self, el: etree._Element) -> None:
        label, caption = self.caption_text(el)
        text = f"{label}. {caption}" if label and caption else label or caption
        self.add("caption", text)

    def table_wrap(self, el: etree._Element) -> None:
        self.tables += 1
        label, caption = self.caption_text(el)
        table_els = [t for t in el.iter() if _local(t) == "table"] if _local(el) != "table" else [el]
        table = tables.Table(label=label, caption=caption)
        for t in table_els[:1]:
            parsed = tables.from_xhtml(t, self.text_of, _local)
            table.rows, table.head_rows = parsed.rows, parsed.head_rows
        for foot in el.iter():
            if _local(foot) == "table-wrap-foot":
                for part in foot:
                    text = self.text_of(part)
                    if text:
                        table.footnotes.append(text)
        if not table.rows and any(_local(g) == "graphic" for g in el.iter()):
            self.out.warnings.append(f"{self.name}: {label or 'a table'} is an image; its rows cannot be read")
        tables.emit(self.out, table, self.tables, section=tuple(self.path))
        for extra in table_els[1:]:  # a second <table> in one wrap: its own rows, same label
            parsed = tables.from_xhtml(extra, self.text_of, _local)
            tables.emit(self.out, tables.Table(label=label or f"Table {self.tables}", caption=caption,
                                               rows=parsed.rows, head_rows=parsed.head_rows),
                        self.tables, section=tuple(self.path))

    def references(self, el: etree._Element) -> None:
        title_el = next((c for c in el if _local(c) == "title"), None)
        title = self.text_of(title_el) if title_el is not None else "References"
        self.add("heading", title)
        self.path.append(title)
        try:
            for child in el:
                tag = _local(child)
                if tag == "ref":
                    self.add("reference", self.reference(child))
                elif tag == "ref-list":
                    self.references(child)
        finally:
            self.path.pop()

    def reference(self, ref: etree._Element) -> str:
        label_el = next((c for c in ref if _local(c) == "label"), None)
        label = self.text_of(label_el) if label_el is not None else ""
        parts = [self.citation(c) for c in ref if _local(c) in ("element-citation", "mixed-citation", "citation",
                                                                  "nlm-citation", "note")]
        text = " ".join(p for p in parts if p)
        if label and not text.startswith(label):
            text = f"{label.rstrip('.')}. {text}"
        return text

    def citation(self, cit: etree._Element) -> str:
        """A reference's text; structured citations (no text between their parts) are given
        the punctuation a reader expects."""
        loose = [t for t in [cit.text] + [c.tail for c in cit] if t and t.strip()]
        if loose:
            w = Inline()
            self._spaced(cit, w)
            return w.value()
        names: list[str] = []
        fields: dict[str, str] = {}
        for c in cit:
            tag = _local(c)
            if tag == "person-group":
                names.extend(self._names(c))
            elif tag in ("name", "string-name", "collab"):
                names.extend(self._names(cit) if tag != "collab" else [self.text_of(c)])
            elif tag == "pub-id" and c.get("pub-id-type") == "doi":
                fields.setdefault("doi", "doi:" + self.text_of(c))
            elif tag != "pub-id":
                fields.setdefault(tag, self.text_of(c))
        where = fields.get("year", "")
        if fields.get("volume"):
            where += f";{fields['volume']}"
        if fields.get("issue"):
            where += f"({fields['issue']})"
        pages = "–".join(p for p in (fields.get("fpage"), fields.get("lpage")) if p)
        if pages:
            where += f":{pages}"
        pieces = [", ".join(dict.fromkeys(names)), fields.get("article-title", "") or fields.get("chapter-title", ""),
                  fields.get("source", ""), fields.get("publisher-loc", ""), fields.get("publisher-name", ""),
                  where.lstrip(";"), fields.get("doi", "")]
        text = " ".join(p if p[-1:] in ".?!" else p + "." for p in (squash(x) for x in pieces) if p)
        return squash(text)

    def _names(self, group: etree._Element) -> list[str]:
        names = []
        for n in group:
            nt = _local(n)
            if nt in ("name", "string-name"):
                sur = " ".join(self.text_of(x) for x in n if _local(x) == "surname")
                given = " ".join(self.text_of(x) for x in n if _local(x) == "given-names")
                names.append(f"{sur} {given}".strip() or self.text_of(n))
            elif nt == "collab":
                names.append(self.text_of(n))
            elif nt == "etal":
                names.append("et al")
        return names

    def _spaced(self, el: etree._Element, w: Inline) -> None:
        # Mixed citations carry their punctuation, but names often run on ("SmithJ").
        w.text(el.text)
        for c in el:
            if isinstance(c.tag, str) and _local(c) not in _INLINE_SKIP:
                if _local(c) in ("surname", "given-names", "name", "string-name") and w.parts and not w.parts[-1][-1:].isspace():
                    w.space()
                self._spaced(c, w) if len(c) else w.text(self.text_of(c))
            w.text(c.tail)

    # --- the article -----------------------------------------------------------------

    def article(self, root: etree._Element) -> Document:
        if _local(root) != "article":
            found = next((e for e in root.iter() if _local(e) == "article"), None)
            if found is None:
                raise ReadError(f"{self.name} is XML but not a JATS article (its root is <{_local(root)}>)")
            root = found
        front = next((c for c in root if _local(c) == "front"), None)
        meta = next((e for e in front.iter() if _local(e) == "article-meta"), None) if front is not None else None
        if meta is not None:
            title = next((e for e in meta.iter() if _local(e) == "article-title"), None)
            if title is not None:
                self.out.add("title", self.text_of(title))
            for abstract in (e for e in meta if _local(e) == "abstract"):
                if abstract.get("abstract-type") in ("graphical", "teaser", "toc"):
                    continue
                self.section(abstract, default="Abstract")
        for part in root:
            tag = _local(part)
            if tag in ("body", "back", "floats-group"):
                self.blocks(part)
        self.statements(root, meta)
        return self.out.build()

    def statements(self, root: etree._Element, meta: etree._Element | None) -> None:
        """Funding and competing interests, which JATS keeps out of the text
        (qa.reading.declarations); a statement the text already holds is not repeated."""
        held = squash(self.out.text)
        for title, found in declarations(root, meta, self.text_of):
            new = [(k, t) for k, t in dict.fromkeys(found) if t and squash(t) not in held]
            if new:
                self.path = [title]
                self.add("heading", title)
                for kind, text in new:
                    self.add(kind, text)
                self.path = []


_DEFAULT_TITLES = {"ack": "Acknowledgements", "abstract": "Abstract", "app": "Appendix", "glossary": "Abbreviations"}


def read_jats(data: bytes, name: str, limits: ReadLimits | None = None) -> Document:
    """Read a JATS article (.nxml, .xml)."""
    def read() -> Document:
        check_size(data, name, limits or ReadLimits())
        return _Reader(name).article(parse_xml(data, name))

    return guarded("JATS", name, read)
