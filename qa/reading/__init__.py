"""Reading: corpus files in, citable units out.

This package owns everything between the bytes of an article and the units
that can be quoted from it: finding and decoding corpus files within their
size limit (`files`), one reader per format that cuts a document's text into
blocks with their heading paths (`plain` for plain text and Markdown),
sentence splitting with exact offsets (`sentences`), the blocks cut into
units (`units`) and the abbreviations an article defines (`abbreviations`).
Every unit's text is `document_text[start:end]`. It knows nothing of the
index, of questions or of any front end.
"""
