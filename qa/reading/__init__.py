"""Reading: corpus files in, documents of blocks, citable units out.

This package owns everything between the bytes of an article and the units
that can be quoted from it. `files` finds corpus files and reads them within
their size limit; `formats` picks the reader for a file by its suffix. Each
reader turns a file into a `Document` (`document`): one canonical text and its
blocks in reading order (title, headings, paragraphs, list items, table rows,
captions, references), each with exact offsets and, for PDF, its page. The
readers: `plain` (plain text and Markdown), `jats` (PubMed Central XML, with
`declarations` for its funding and competing-interest statements),
`html`, and `pdf` (with `pdfwords`, `pdflayout`, `pdfblocks`, `pdftables`);
`markup` and `tables` are shared by the markup and PDF readers. `units` cuts
blocks into citable units (sentences by `sentences`, one unit per list item
and per table row), and `abbreviations` finds those an article defines.
Every unit's text is `document.text[start:end]`. Bad input raises
`ReadError`, worded for the person who gave the file. The package knows
nothing of the index, of questions or of any front end.
"""
