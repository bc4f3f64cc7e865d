"""`qa batch`: a file of questions answered, the results written as they come.

A bad line is reported with its line number and the rest are answered; with
--resume, the questions whose answers an interrupted run already wrote are
skipped (see qa.cli.writers for how a cut-off record is handled).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO

from qa.cli.output import err, isatty
from qa.cli.session import open_engine
from qa.errors import QAError


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def cmd_batch(args: argparse.Namespace) -> int:
    from qa.answering.engine import clean_question
    from qa.cli.questions import read_questions
    from qa.cli.writers import FORMATS, Writer, completed_ids

    fmt = args.format or (args.output.suffix.lstrip(".").lower() if args.output else "jsonl")
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise QAError(f"Unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    if args.resume and not args.output:
        raise QAError("--resume needs --output: it continues the file a previous run wrote.")
    if args.output and _same_file(args.file, args.output):
        raise QAError(f"{args.output} is the question file itself; write the answers somewhere else.")
    notes: list[str] = []
    rows = read_questions(args.file, notes)
    for n in notes:
        err(f"warning: {n}")
    bad = 0
    good = []
    for r in rows:
        if r.error is None:
            try:
                r.question = clean_question(r.question or "")
            except QAError as exc:
                r.error = exc.message.rstrip(".").lower()
        if r.error:
            bad += 1
            err(f"{args.file}:{r.line}: {r.error}; skipped")
        else:
            if r.note:
                err(f"{args.file}:{r.line}: {r.note}")
            good.append(r)
    if not rows:
        err(f"{args.file} holds no questions.")
    done: set[str] = set()
    if args.output and args.resume:
        done = completed_ids(args.output, fmt)
        if done:
            err(f"Resuming: {len(done)} answer(s) already in {args.output}.")
    todo = [r for r in good if r.id not in done]
    engine = open_engine(args) if todo else None
    stream: IO[str]
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (args.resume and args.output.exists() and args.output.stat().st_size > 0)
        stream = open(args.output, "w" if fresh else "a", encoding="utf-8", newline="")
    else:
        fresh = True
        stream = sys.stdout
    terminal = stream is sys.stdout and isatty(sys.stdout)
    try:
        writer = Writer(stream, fmt, header=fresh, fsync=args.output is not None, terminal=terminal)
        step = max(1, args.chunk)
        for i in range(0, len(todo), step):
            chunk = todo[i : i + step]
            assert engine is not None
            try:
                answers = engine.ask_many([r.question or "" for r in chunk], k=args.k, ids=[r.id for r in chunk])
            except Exception:  # one question failing must not sink the others: ask one by one
                answers = None
            if answers is not None:
                for ans in answers:
                    writer.write(ans)
                continue
            for r in chunk:
                try:
                    ans = engine.ask(r.question or "", k=args.k, id=r.id)
                except QAError as exc:
                    bad += 1
                    err(f"{args.file}:{r.line}: {exc.message.rstrip('.')}; skipped")
                    continue
                except Exception as exc:
                    bad += 1
                    err(f"{args.file}:{r.line}: could not be answered (internal error: {exc.__class__.__name__}: {exc}); skipped")
                    continue
                writer.write(ans)
    finally:
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

