"""Reading articles (JATS XML, HTML, PDF) into documents of blocks.

Each reader turns a file's bytes into a `Document`: one canonical text and the
blocks laid out in it in reading order (title, headings, paragraphs, list
items, table rows, captions, references), each with exact offsets, so that a
quote is always `document.text[block.start:block.end]`. Bad input raises
`ReadError`, worded for the person who gave the file.
"""

from qa.reading.document import Block, Document, ReadError, ReadLimits

__all__ = ["Block", "Document", "ReadError", "ReadLimits"]
