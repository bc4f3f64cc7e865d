"""`qa grid`: every question asked of every document, into a table with a quote behind every cell.

The questions come from a question file (read like `qa batch`'s, bad lines
reported by line number) or a built-in preset; each is asked of each document
alone. What is written, and how a killed run resumes, is qa.bulk.gridfiles's;
the chunked asking is qa.bulk.runner's, shared with `qa batch`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa.bulk.grid import LOW_CONFIDENCE, LOW_MARK, NOT_FOUND
from qa.bulk.sheets import NOT_FOUND_TEXT
from qa.cli.batch import output_format, read_rows, same_file
from qa.cli.output import err
from qa.cli.progress import Progress
from qa.cli.session import open_engine
from qa.errors import QAError
from qa.safe import printable

HELP = f"""\
Ask every question of every document (each document alone) and write one table:
a row per document, a column per question (csv, xlsx, md), or a record per cell
(jsonl: {{"doc","question_id","question","answer","abstained","confidence",
"finding","citations"}}, citations as in `qa batch`). A table cell holds the short
answer, else the quoted passage, and after it the reported finding when there is
one ("↑ sig. increased"). A cell answered with confidence below {LOW_CONFIDENCE} is marked
"{LOW_MARK.strip()}" (csv, md) or filled amber with a comment (xlsx); a cell whose document does
not answer its question shows "{NOT_FOUND}" (csv, md) or "{NOT_FOUND_TEXT}" (xlsx). Every cell's
quote, offsets, page, table, confidence and finding are in OUT's stem +
.quotes.csv / .quotes.md, or on the xlsx's Quotes sheet. Each cell is also
written, as it is answered, to OUT + .cells.jsonl (grid.csv.cells.jsonl): --resume
continues from it, and the tables are written again from it at the end (an xlsx
only then: it cannot be appended to)."""


def cmd_grid(args: argparse.Namespace) -> int:
    from qa.bulk.grid import cell_record, grid_questions, run_grid, todo
    from qa.bulk.gridfiles import FORMATS, GridWriter, grid_paths
    from qa.bulk.presets import preset_rows, preset_text

    if args.print:
        if not args.preset or args.questions:
            raise QAError("--print writes out a preset as a question file: qa grid --preset rct --print > rct.csv")
        sys.stdout.write(preset_text(args.preset))
        return 0
    if (args.questions is None) == (args.preset is None):
        raise QAError("Give a question file or --preset NAME, not both." if args.questions else "Give a question file or --preset rct.",
                      hint="qa grid questions.csv --output grid.csv, or qa grid --preset rct --output grid.xlsx")
    if args.output is None:
        raise QAError("qa grid needs --output OUT (.csv, .xlsx, .md or .jsonl).")
    fmt = output_format(args.format, args.output, FORMATS, "csv")
    paths = grid_paths(args.output, fmt)
    source: Path | str
    if args.questions is not None:
        source = args.questions
        if any(same_file(args.questions, p) for p in paths.all()):
            raise QAError(f"{args.questions} would be overwritten by the grid's files; write the grid somewhere else.")
        rows, bad = read_rows(args.questions)
        if any(r.doc for r in rows):
            err(f"warning: {args.questions}: the doc column is not used by qa grid (every question is asked of every document; --docs picks them)")
    else:
        source, rows, bad = f"preset {args.preset}", preset_rows(args.preset), 0
    if not rows:
        raise QAError(f"{source} has no question to ask.")
    questions = grid_questions(rows)
    engine = open_engine(args)
    docs = engine.resolve_docs(args.docs) if args.docs else [d.path for d in engine.index.docs]
    if not docs:
        raise QAError(f"The corpus {args.corpus} has no documents to ask.")
    writer = GridWriter(args.output, fmt, docs, questions, resume=args.resume)
    total = len(docs) * len(questions)
    cells = todo(docs, questions, writer.done)
    if args.resume and len(cells) < total:
        err(f"Resuming: {total - len(cells)} of {total} cells already in {paths.journal}.")
    progress = Progress(total, "cells", done=total - len(cells))
    failed = 0
    try:
        for doc, q, out in run_grid(engine, cells, k=args.k, chunk=args.chunk):
            if out.answer is None:
                failed += 1
                progress.say(f"{source}:{q.line}: {doc}: {out.error}; skipped")
                writer.skip(doc, q)
            else:
                writer.add(doc, q, cell_record(doc, q, out.answer))
            progress.advance()
        written = writer.finish()
    finally:
        progress.close()
        writer.close()
    err(
        f"Answered {len(cells) - failed} cell(s) of {len(docs)} document(s) × {len(questions)} question(s)"
        + (f" ({total - len(cells)} already done)" if len(cells) < total else "")
        + (f"; {failed} cell(s) failed" if failed else "")
        + (f"; {bad} line(s) skipped" if bad else "")
        + f"; wrote {', '.join(printable(str(p)) for p in written)}."
    )
    return 1 if bad or failed else 0
