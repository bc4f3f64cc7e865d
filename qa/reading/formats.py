"""Reading a file into a Document with the reader for its format (files.FORMATS).

| suffix | format | reader |
| --- | --- | --- |
| .txt | text | plain (decoded as files.decode does) |
| .md, .markdown | markdown | plain |
| .nxml, .xml | jats | jats (lxml; entities and network off) |
| .html, .htm | html | html (lxml) |
| .pdf | pdf | pdf (pypdfium2) |

The markup and PDF readers are imported only when a file needs them, so that
reading a folder of text files never loads lxml or PDFium.
"""

from __future__ import annotations

from qa.reading.document import Document, ReadLimits
from qa.reading.files import TEXT_FORMATS, decode, format_of
from qa.reading.plain import read_text


def read_document(data: bytes, name: str, limits: ReadLimits | None = None) -> tuple[Document, str]:
    """A file's bytes read by the reader for its suffix: the document and the
    encoding it was decoded from ("xml", "html" or "pdf" for the formats read
    from bytes). Raises ReadError for a file
    that cannot be read, worded for the person who gave it."""
    fmt = format_of(name) or "text"
    limits = limits or ReadLimits()
    if fmt in TEXT_FORMATS:
        text, encoding = decode(data)
        doc = read_text(text, fmt)
        if encoding != "utf-8":
            doc.warnings.append(f"{name}: not valid UTF-8; read as {encoding}")
        return doc, encoding
    if fmt == "jats":
        from qa.reading.jats import read_jats

        return read_jats(data, name, limits), "xml"
    if fmt == "html":
        from qa.reading.html import read_html

        return read_html(data, name, limits), "html"
    from qa.reading.pdf import read_pdf

    return read_pdf(data, name, limits), "pdf"
