"""PDF into a Document, with pypdfium2 (PDFium) only.

Each page's characters become words with positions and fonts (pdfwords),
fragments, columns and lines in reading order (pdflayout); running headers and
footers are dropped here, with a view of all pages; pdfblocks then makes
headings, paragraphs, items, references, captions and table rows from the
lines. Every failure of PDFium or of a damaged file becomes a ReadError that
says what is wrong with the file.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pypdfium2 as pdfium

from qa.reading.document import Document, ReadError, ReadLimits, check_size, guarded
from qa.reading.pdfblocks import assemble
from qa.reading.pdflayout import Fragment, fragments, page_lines
from qa.reading.pdfwords import PageText

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–(]?\s*\d{1,4}\s*[-–)]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
MARGIN = 0.1
"""Running headers and footers live in the top and bottom tenth of a page."""


def _open(data: bytes, name: str) -> pdfium.PdfDocument:
    if not data.strip():
        raise ReadError(f"{name} is empty")
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ReadError(f"{name} is not a PDF file")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        # PDFium's error code can be left over from an earlier file (a stale password
        # error after an encrypted one): the encryption codes count only for a file
        # that says it is encrypted.
        encrypted = b"/Encrypt" in data
        if code == pdfium.raw.FPDF_ERR_PASSWORD and encrypted:
            raise ReadError(f"{name} is protected by a password; qa cannot read encrypted PDFs",
                            hint="Save a copy without the password and add that instead.") from None
        counts = re.findall(rb"/Count\s+(\d+)", data)
        if counts and all(int(c) == 0 for c in counts):
            # PDFium refuses a well-formed file whose page tree is empty without setting an
            # error of its own (the code is then a stale one): the page tree says it.
            raise ReadError(f"{name} has no pages") from None
        if code == pdfium.raw.FPDF_ERR_SECURITY and encrypted:
            raise ReadError(f"{name} uses an unsupported security handler; qa cannot read it") from None
        if b"%%EOF" not in data[-2048:]:
            raise ReadError(f"{name} is truncated or damaged (the end of the file is missing)") from None
        raise ReadError(f"{name} is damaged and cannot be read as a PDF") from None
    except (OSError, ValueError, MemoryError) as exc:
        raise ReadError(f"{name} could not be opened as a PDF ({type(exc).__name__})") from None


def _page_fragments(doc: pdfium.PdfDocument, index: int) -> tuple[list[Fragment], float, float]:
    page = doc[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            words = PageText(textpage).words()
        finally:
            textpage.close()
    finally:
        page.close()
    return fragments(words, index + 1), width, height


def _margin_groups(frags: list[Fragment], height: float, body: float) -> dict[int, int]:
    """id(fragment) -> +1 (top) or -1 (bottom) for the text standing apart at a page's
    edges: from the edge inwards, within the margin zone, up to the first gap of more
    than a body line. Body text running up to the edge has no such gap: none of it counts."""
    out: dict[int, int] = {}
    for zone in (1, -1):
        ordered = sorted(frags, key=lambda f: -f.top if zone > 0 else f.bottom)
        group: list[Fragment] = []
        for f in ordered:
            inner = min((g.bottom for g in group), default=0.0) if zone > 0 else max((g.top for g in group), default=0.0)
            if group and (inner - f.top if zone > 0 else f.bottom - inner) > 1.3 * body:
                out.update((id(g), zone) for g in group)  # the gap: the group is margin text
                break
            in_zone = f.bottom > height * (1 - MARGIN) if zone > 0 else f.top < height * MARGIN
            if not in_zone:
                break
            group.append(f)
    return out


def _drop_running_text(pages: list[list[Fragment]], heights: list[float]) -> None:
    """Remove headers, footers and page numbers. Only text standing apart at a page's
    top or bottom edge is considered (see _margin_groups); of it, what repeats at the
    same place on several pages (digits aside) goes, and so do page numbers and small
    type (a running head of a document too short for it to repeat)."""
    sizes: Counter[float] = Counter()
    for frags in pages:
        for f in frags:
            sizes[round(f.size * 2) / 2] += len(f.words)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    margins = [_margin_groups(frags, h, body) for frags, h in zip(pages, heights, strict=True)]

    def key(f: Fragment, h: float, zone: int) -> tuple[str, int, int]:
        return re.sub(r"\d+", "#", f.text.lower()), zone, round(f.bottom if zone < 0 else h - f.top) // 4

    seen: dict[tuple[str, int, int], set[int]] = defaultdict(set)
    for p, (frags, h) in enumerate(zip(pages, heights, strict=True)):
        for f in frags:
            if id(f) in margins[p]:
                seen[key(f, h, margins[p][id(f)])].add(p)
    need = max(2, round(0.3 * len(pages)))
    for p, (frags, h) in enumerate(zip(pages, heights, strict=True)):
        keep = []
        for f in frags:
            zone = margins[p].get(id(f))
            if zone and (len(seen[key(f, h, zone)]) >= need or _PAGE_NUMBER.match(f.text.strip())
                         or f.size < 0.9 * body):
                continue
            keep.append(f)
        frags[:] = keep


def _extract(doc: pdfium.PdfDocument, name: str, limits: ReadLimits) -> tuple[list[list[Fragment]], list[float], list[str]]:
    count = len(doc)
    if count == 0:
        raise ReadError(f"{name} has no pages")
    if count > limits.max_pages:
        raise ReadError(f"{name} has {count} pages, over the limit of {limits.max_pages} pages for one file",
                        hint="Raise the page limit in the settings to read it.")
    pages: list[list[Fragment]] = []
    heights: list[float] = []
    broken: list[int] = []
    for i in range(count):
        try:
            frags, _, h = _page_fragments(doc, i)
        except pdfium.PdfiumError:
            frags, h = [], 792.0
            broken.append(i + 1)
        pages.append(frags)
        heights.append(h)
    if not any(pages):
        raise ReadError(f"{name} has no text layer; OCR is not supported",
                        hint="It is probably a scan: an OCR tool can add the text layer.")
    warnings = []
    if broken:
        warnings.append(f"{name}: {_pages(broken)} could not be read and {'was' if len(broken) == 1 else 'were'} "
                        "left out")
    blank = [i + 1 for i, frags in enumerate(pages) if not frags and i + 1 not in broken]
    if blank:
        warnings.append(f"{name}: {_pages(blank)} {'has' if len(blank) == 1 else 'have'} no text layer "
                        "(a scan or a figure); OCR is not supported")
    return pages, heights, warnings


def _pages(numbers: list[int]) -> str:
    return f"page {numbers[0]}" if len(numbers) == 1 else "pages " + ", ".join(map(str, numbers))


def read_pdf(data: bytes, name: str, limits: ReadLimits | None = None) -> Document:
    """Read a PDF article."""
    return guarded("PDF", name, lambda: _read(data, name, limits or ReadLimits()))


def _read(data: bytes, name: str, limits: ReadLimits) -> Document:
    check_size(data, name, limits)
    doc = _open(data, name)
    try:
        pages, heights, warnings = _extract(doc, name, limits)
        try:
            title = (doc.get_metadata_value("Title") or "").strip()
        except (pdfium.PdfiumError, KeyError, ValueError):
            title = ""
    except pdfium.PdfiumError:
        raise ReadError(f"{name} is damaged and cannot be read as a PDF") from None
    finally:
        doc.close()
    _drop_running_text(pages, heights)
    lines = []
    flow = 0
    for frags in pages:
        page = page_lines(frags, flow)
        if page:
            flow = max(ln.flow for ln in page) + 1
        lines.extend(page)
    out = assemble(lines, heights, len(pages))
    out.title = out.title or title
    out.warnings.extend(warnings)
    return out
