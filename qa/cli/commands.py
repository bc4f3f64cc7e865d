"""`qa ask`, `qa index` and `qa chat`: one question, the index, the chat."""

from __future__ import annotations

import argparse
import os

from qa.cli.output import describe, err, json_out, print_answer, warn_all
from qa.cli.session import open_engine, settings_of
from qa.errors import QAError
from qa.safe import printable


def _arg_text(arg: str) -> str:
    """A command-line argument as text: bytes that are not UTF-8 (which Python
    keeps as lone surrogates) are decoded like corpus files instead."""
    try:
        arg.encode("utf-8")
        return arg
    except UnicodeEncodeError:
        from qa.reading.files import decode

        return decode(os.fsencode(arg))[0]


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.answering.engine import clean_question

    question = " ".join(_arg_text(a) for a in args.question)
    clean_question(question)  # fail fast, before loading anything
    engine = open_engine(args)
    docs = engine.resolve_docs(args.doc) if args.doc else None
    ans = engine.ask(question, k=args.k, docs=docs)
    if args.json:
        json_out(ans.to_json())
    else:
        print_answer(ans)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from qa.answering.engine import Engine

    engine = Engine(args.corpus, args.index, settings_of(args))
    report = engine.open(rebuild=args.rebuild, progress=err)
    if args.json:
        for w in report.warnings:
            err(f"warning: {w}")
        json_out({k: getattr(report, k) for k in report.__slots__} | {"index": str(args.index)})
    else:
        warn_all(report.warnings)
        print(printable(describe(report)))
        print(printable(f"Kept in {args.index}"))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    try:
        from qa.tui import make_app
    except ImportError as exc:  # pragma: no cover - install problem
        raise QAError(f"The chat needs Textual ({exc}).", hint="Run the README's set-up command.") from exc
    make_app(args.corpus, args.index, settings_of(args)).run()
    return 0

