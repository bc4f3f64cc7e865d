"""`qa show` and `qa list`: a document's canonical text, the text citations' offsets index into.

For XML, HTML and PDF files the canonical text is what the reader made of the
file (it is not the file's bytes), so this is how a person checks a quote:
`qa show trial.pdf --start 1818 --end 1897` prints exactly the cited text.
`--blocks` lists the document's blocks (offsets, kind, page, heading path,
table) instead; `qa list` lists the indexed documents. Text is printed with control characters made visible one for
one, so offsets into what is shown are offsets into the text.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from qa.cli.output import json_out
from qa.cli.session import open_engine
from qa.errors import QAError
from qa.safe import one_line, printable

if TYPE_CHECKING:
    from qa.reading.document import Block, Document

PREVIEW_CHARS = 70


def cmd_show(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    paths = [d.path for d in engine.index.docs]
    if args.doc not in paths:
        near = [p for p in paths if args.doc in p][:5]
        hint = ("Did you mean " + ", ".join(near) + "?") if near else "`qa list` lists the indexed documents."
        raise QAError(f"No document {args.doc!r} in the index.", hint=hint)
    doc = engine.document(args.doc)
    start, end = _range(args, len(doc.text))
    if args.json:
        out: dict[str, Any] = {"doc": args.doc, "format": doc.format, "title": doc.title, "length": len(doc.text),
                               "pages": len(doc.page_starts), "start": start, "end": end, "text": doc.text[start:end]}
        if args.blocks:
            out["blocks"] = [_block_json(doc, b) for b in doc.blocks if b.end > start and b.start < end]
        json_out(out)
    elif args.blocks:
        for b in doc.blocks:
            if b.end > start and b.start < end:
                print(_block_line(doc, b))
    else:
        print(printable(doc.text[start:end]))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    rows: list[dict[str, Any]] = [{"doc": d.path, "format": d.format, "pages": d.pages, "units": d.units, "title": d.title} for d in engine.index.docs]
    if args.json:
        json_out({"documents": rows})
        return 0
    for r in rows:
        pages = f", {r['pages']} pages" if r["pages"] else ""
        print(f"{one_line(r['doc'])}  ({r['format']}{pages}, {r['units']} units)  {one_line(r['title'])}")
    return 0


def _range(args: argparse.Namespace, length: int) -> tuple[int, int]:
    start = 0 if args.start is None else args.start
    end = length if args.end is None else args.end
    if not 0 <= start <= end <= length:
        raise QAError(f"The range {start}-{end} is not inside the text (0-{length}).")
    return start, end


def _block_json(doc: Document, b: Block) -> dict[str, Any]:
    return {"start": b.start, "end": b.end, "kind": b.kind, "page": b.page, "section": list(b.section),
            "table": b.table, "text": doc.text[b.start : b.end]}


def _block_line(doc: Document, b: Block) -> str:
    where = f"{b.start}-{b.end} {b.kind}"
    if b.page is not None:
        where += f" p. {b.page}"
    path = " › ".join(b.section + ((b.table,) if b.table else ()))
    text = one_line(doc.text[b.start : b.end])
    if len(text) > PREVIEW_CHARS:
        text = text[: PREVIEW_CHARS - 1] + "…"
    return f"{where}" + (f" [{one_line(path)}]" if path else "") + f"  {text}"
