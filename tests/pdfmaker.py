"""Tiny valid PDFs for tests, written by hand: pages of Helvetica text, nothing else.

The reader fixtures (tests/reading/fixtures) are typeset with typst; this makes
PDFs of any page count or size in a test, without a dev tool.
"""

from __future__ import annotations


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


Line = str | list[tuple[float, str]]
"""A line of text at the left margin ("# " before it: a bold heading), or cells: (x in
points, text) each."""


def _lines(lines: list[Line], top: int) -> str:
    """Each line at its own place (a text matrix per piece), 14 points apart."""
    out = []
    for k, line in enumerate(lines):
        bold = isinstance(line, str) and line.startswith("# ")
        cells = [(72.0, line.removeprefix("# "))] if isinstance(line, str) else line
        font = "/F2 11 Tf" if bold else "/F1 11 Tf"
        out += [f"{font} 1 0 0 1 {x:g} {top - 14 * k} Tm ({_escape(text)}) Tj" for x, text in cells]
    return " ".join(out)


def make_pdf(pages: list[list[Line]], padding: int = 0, title: list[str] | None = None) -> bytes:
    """A PDF with one page per list of lines; `padding` bytes of an unused stream
    make it as large as a test needs; `title` lines are set large at the top of page 1."""
    objects: list[bytes] = []
    n = len(pages)
    font = 3 + 2 * n
    kids = " ".join(f"{3 + 2 * k} 0 R" for k in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    for k, lines in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R /F2 {font + 1} 0 R >> >> "
            f"/Contents {4 + 2 * k} 0 R >>".encode()
        )
        top = 720
        head = ""
        if title and k == 0:
            head = "BT /F1 20 Tf 24 TL 72 730 Td " + " ".join(f"({_escape(ln)}) Tj T*" for ln in title) + " ET "
            top = 700 - 24 * len(title)
        body = head + f"BT /F1 11 Tf {_lines(lines, top)} ET"
        objects.append(f"<< /Length {len(body)} >>\nstream\n{body}\nendstream".encode("latin-1"))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
    if padding:
        objects.append(f"<< /Length {padding} >>\nstream\n".encode() + b"0" * padding + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
