"""`qa batch`: a file of questions answered, the results written as they come.

A bad line is reported with its line number and the rest are answered; with
--resume, the questions whose answers an interrupted run already wrote are
skipped (see qa.bulk.writers for how a cut-off record is handled). A row's
`doc` (or --doc, for rows without one) asks its question of those documents
only. The chunked asking is qa.bulk.runner's, which `qa grid` shares.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

from qa.cli.output import err, isatty
from qa.cli.progress import Progress
from qa.cli.session import open_engine
from qa.errors import QAError

if TYPE_CHECKING:
    from qa.answering.engine import Engine
    from qa.bulk.questions import Row


def same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def output_format(fmt: str | None, output: Path | None, formats: tuple[str, ...], default: str) -> str:
    """The output format: --format, else OUT's extension, else the default."""
    chosen = (fmt or (output.suffix.lstrip(".").lower() if output else default)) or default
    chosen = {"markdown": "md", "ndjson": "jsonl"}.get(chosen, chosen)
    if chosen not in formats:
        raise QAError(f"Unknown output format {chosen!r}; choose one of {', '.join(formats)}.",
                      hint="--format names it when OUT's extension does not.")
    return chosen


def read_rows(path: Path) -> tuple[list[Row], int]:
    """The askable rows of a question file; bad rows are reported by line on stderr."""
    from qa.bulk.questions import usable_rows

    notes: list[str] = []
    good, bad = usable_rows(path, notes)
    for n in notes:
        err(f"warning: {n}")
    for message in bad:
        err(message)
    for r in good:
        if r.note:
            err(f"{path}:{r.line}: {r.note}")
    if not good and not bad:
        err(f"{path} holds no questions.")
    return good, len(bad)


def people(exc: QAError) -> str:
    """A QAError's message and hint as one clause of a `file:line: …; skipped` line."""
    text = exc.message.rstrip(".")
    if exc.hint:
        text += f" ({exc.hint.rstrip('.')})"
    return text


def scopes(engine: Engine, rows: list[Row], default: str | None, path: Path) -> tuple[list[tuple[Row, tuple[str, ...] | None]], int]:
    """Each row with the documents it is asked of (its own `doc`, else --doc);
    a row whose documents match nothing is reported by line and dropped."""
    fallback = tuple(engine.resolve_docs(default)) if default else None
    known: dict[str, tuple[str, ...] | QAError] = {}
    out: list[tuple[Row, tuple[str, ...] | None]] = []
    bad = 0
    for r in rows:
        if r.doc is None:
            out.append((r, fallback))
            continue
        if r.doc not in known:
            try:
                known[r.doc] = tuple(engine.resolve_docs(r.doc))
            except QAError as exc:
                known[r.doc] = exc
        got = known[r.doc]
        if isinstance(got, QAError):
            bad += 1
            err(f"{path}:{r.line}: {people(got)}; skipped")
        else:
            out.append((r, got))
    return out, bad


def cmd_batch(args: argparse.Namespace) -> int:
    from qa.bulk.runner import Ask, answer_all
    from qa.bulk.writers import FORMATS, Writer, completed_ids

    fmt = output_format(args.format, args.output, FORMATS, "jsonl")
    if args.resume and not args.output:
        raise QAError("--resume needs --output: it continues the file a previous run wrote.")
    if args.output and same_file(args.file, args.output):
        raise QAError(f"{args.output} is the question file itself; write the answers somewhere else.")
    good, bad = read_rows(args.file)
    done: set[str] = set()
    if args.output and args.resume:
        done = completed_ids(args.output, fmt)
        if done:
            err(f"Resuming: {len(done)} answer(s) already in {args.output}.")
    todo = [r for r in good if r.id not in done]
    engine = open_engine(args) if todo else None
    asks: list[Ask] = []
    if engine is not None:
        scoped, unmatched = scopes(engine, todo, args.doc, args.file)
        bad += unmatched
        asks = [Ask(r.question or "", r.id, docs, r.line) for r, docs in scoped]
    stream: IO[str]
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (args.resume and args.output.exists() and args.output.stat().st_size > 0)
        stream = open(args.output, "w" if fresh else "a", encoding="utf-8", newline="")
    else:
        fresh = True
        stream = sys.stdout
    terminal = stream is sys.stdout and isatty(sys.stdout)
    # Answers on the terminal are their own progress; a bar would run into them.
    progress = Progress(len(asks), "questions", shown=args.output is not None)
    try:
        writer = Writer(stream, fmt, header=fresh, fsync=args.output is not None, terminal=terminal)
        if engine is not None:
            for out in answer_all(engine, asks, k=args.k, chunk=args.chunk):
                if out.answer is None:
                    bad += 1
                    progress.say(f"{args.file}:{out.ask.line}: {out.error}; skipped")
                else:
                    writer.write(out.answer)
                progress.advance()
    finally:
        progress.close()
        if stream is not sys.stdout:
            stream.close()
    err(
        f"Answered {writer.written} question(s)"
        + (f" ({len(good) - len(todo)} already done)" if len(good) != len(todo) else "")
        + (f"; {bad} line(s) skipped" if bad else "")
        + (f"; wrote {args.output}" if args.output else "")
        + "."
    )
    return 1 if bad else 0
