"""The `qa` command line. Heavy imports (torch, FAISS, Textual) happen inside
the commands that need them, so `qa --help` starts instantly.

stdout carries answers (human text, or JSON with --json); stderr carries
progress and diagnostics. A QAError is printed once, here, as `qa: message`,
with exit status 1; usage errors exit 2; Ctrl-C exits 130; an unexpected
error is reported in one line with exit status 70 (QA_DEBUG=1 shows the
traceback). Text from documents, questions and file names is printed with
plain print(), never as markup, and with control characters neutralised
(qa.safe), so it shows exactly as written and cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa import __version__
from qa.errors import QAError
from qa.paths import default_corpus_dir, default_eval_dir, default_index_dir

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.engine import Engine
    from qa.models import Answer


MAX_WARNINGS_SHOWN = 20


def _err(msg: str) -> None:
    from qa.safe import printable

    print(printable(msg), file=sys.stderr, flush=True)


def _warn_all(warnings: list[str]) -> None:
    """Warnings on stderr, the first MAX_WARNINGS_SHOWN of them and a count of the rest."""
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        _err(f"warning: {w}")
    if len(warnings) > MAX_WARNINGS_SHOWN:
        _err(f"warning: … and {len(warnings) - MAX_WARNINGS_SHOWN} more (`qa index --json` lists them all)")


def _json_out(obj: Any) -> None:
    """One JSON document on stdout, with terminal controls escaped (losslessly)."""
    from qa.safe import json_text

    print(json_text(json.dumps(obj, ensure_ascii=False)))


def _arg_text(arg: str) -> str:
    """A command-line argument as text: bytes that are not UTF-8 (which Python
    keeps as lone surrogates) are decoded like corpus files instead."""
    try:
        arg.encode("utf-8")
        return arg
    except UnicodeEncodeError:
        from qa.ingest import decode

        return decode(os.fsencode(arg))[0]


def _settings(args: argparse.Namespace) -> Settings:
    from qa.config import Settings

    return Settings().with_(model=getattr(args, "model", None), device=getattr(args, "device", None))


def _engine(args: argparse.Namespace, *, corpus: Path | None = None, index: Path | None = None) -> Engine:
    from qa.engine import Engine

    engine = Engine(corpus or args.corpus, index or args.index, _settings(args))
    report = engine.open(progress=_err)
    if report.action != "loaded":
        _err(_describe(report))
    _warn_all(report.warnings)
    return engine


def _describe(report: Any) -> str:
    if report.action == "loaded":
        return f"Index up to date: {report.documents} documents, {report.units} units ({report.seconds:.2f} s)."
    parts = [f"Index {report.action} ({report.reason}): {report.documents} documents, {report.units} units"]
    if report.embedded_documents:
        parts.append(f"embedded {report.embedded_units} units from {len(report.embedded_documents)} changed document(s)")
    else:
        parts.append("no document needed re-embedding")
    if report.removed_documents:
        parts.append(f"dropped {len(report.removed_documents)} removed document(s)")
    return "; ".join(parts) + f" ({report.seconds:.1f} s)."


def print_answer(ans: Answer, out: Any = None) -> None:
    """The human rendering of an answer (untrusted text made printable)."""
    from qa.safe import one_line, printable

    out = out or sys.stdout
    if ans.searched and ans.searched != ans.question:
        print(f"Searched: {one_line(ans.searched)}", file=out)
    if ans.abstained:
        print("Not found in the corpus.", file=out)
        if ans.citations:
            print("Closest passages (related, not answers):", file=out)
    elif ans.answer:
        print(f"Answer: {one_line(ans.answer)}", file=out)
    else:
        print("Answer: see the cited passage.", file=out)
    print(file=out)
    for n, c in enumerate(ans.citations, 1):
        print(f"[{n}] {printable(c.text)}", file=out)
        where = f"{one_line(c.doc)}:{c.start}-{c.end}"
        if c.section:
            where += f" · {one_line(c.section)}"
        print(f"    {where} · score {c.score:.2f}", file=out)
    print(f"(confidence {ans.confidence:.2f})", file=out)


# --- commands ---------------------------------------------------------------------------


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.engine import clean_question

    question = " ".join(_arg_text(a) for a in args.question)
    clean_question(question)  # fail fast, before loading anything
    engine = _engine(args)
    ans = engine.ask(question, k=args.k)
    if args.json:
        _json_out(ans.to_json())
    else:
        print_answer(ans)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from qa.engine import Engine

    engine = Engine(args.corpus, args.index, _settings(args))
    report = engine.open(rebuild=args.rebuild, progress=_err)
    if args.json:
        for w in report.warnings:
            _err(f"warning: {w}")
        _json_out({k: getattr(report, k) for k in report.__slots__})
    else:
        from qa.safe import printable

        _warn_all(report.warnings)
        print(printable(_describe(report)))
    return 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def cmd_batch(args: argparse.Namespace) -> int:
    from qa.batch import FORMATS, Writer, completed_ids, read_questions
    from qa.engine import clean_question

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
        _err(f"warning: {n}")
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
            _err(f"{args.file}:{r.line}: {r.error}; skipped")
        else:
            if r.note:
                _err(f"{args.file}:{r.line}: {r.note}")
            good.append(r)
    if not rows:
        _err(f"{args.file} holds no questions.")
    done: set[str] = set()
    if args.output and args.resume:
        done = completed_ids(args.output, fmt)
        if done:
            _err(f"Resuming: {len(done)} answer(s) already in {args.output}.")
    todo = [r for r in good if r.id not in done]
    engine = _engine(args) if todo else None
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (args.resume and args.output.exists() and args.output.stat().st_size > 0)
        stream = open(args.output, "w" if fresh else "a", encoding="utf-8", newline="")
    else:
        fresh = True
        stream = sys.stdout
    terminal = stream is sys.stdout and _isatty(sys.stdout)
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
                    _err(f"{args.file}:{r.line}: {exc.message.rstrip('.')}; skipped")
                    continue
                except Exception as exc:
                    bad += 1
                    _err(f"{args.file}:{r.line}: could not be answered (internal error: {exc.__class__.__name__}: {exc}); skipped")
                    continue
                writer.write(ans)
    finally:
        if stream is not sys.stdout:
            stream.close()
    _err(
        f"Answered {writer.written} question(s)"
        + (f" ({len(good) - len(todo)} already done)" if len(good) != len(todo) else "")
        + (f"; {bad} line(s) skipped" if bad else "")
        + (f"; wrote {args.output}" if args.output else "")
        + "."
    )
    return 1 if bad else 0


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def cmd_eval(args: argparse.Namespace) -> int:
    from qa import evaluate

    path: Path = args.gold
    if not path.is_file():
        raise QAError(f"Gold file {path} does not exist.")
    squad = evaluate.is_squad(path)
    if squad:
        ws = evaluate.squad_workspace(path, args.workdir or default_eval_dir())
        items = evaluate.load_squad(path, ws / "corpus")
        corpus, index = ws / "corpus", ws / "index"
    else:
        items = evaluate.load_gold(path)
        corpus, index = args.corpus, args.index
    import time

    t0 = time.perf_counter()
    engine = _engine(args, corpus=corpus, index=index)
    index_seconds = time.perf_counter() - t0

    def answer(questions: list[str], ids: list[str]) -> list[Answer]:
        return engine.ask_many(questions, k=evaluate.MRR_DEPTH, ids=ids)

    report = evaluate.run(answer, path.name, items, squad=squad)
    report.index_seconds = index_seconds
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print("\n".join(report.lines()))
        if args.show_misses:
            from qa.safe import one_line

            for m in report.misses:
                print(f"  miss {m['id']} (gold at rank {m['rank']}): {one_line(m['question'])}")
                print(f"      gold:  {one_line(m['gold'])}")
                print(f"      cited: {one_line(m['cited'] or '-')}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    try:
        from qa.tui import make_app
    except ImportError as exc:  # pragma: no cover - install problem
        raise QAError(f"The chat needs Textual ({exc}).", hint="Run the README's set-up command.") from exc
    make_app(args.corpus, args.index, _settings(args)).run()
    return 0


# --- parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, default=default_corpus_dir(), metavar="DIR",
                        help="folder of .txt/.md articles (default: ./corpus, or $QA_CORPUS)")
    common.add_argument("--index", type=Path, default=default_index_dir(), metavar="DIR",
                        help="where the index is kept (default: ./index, or $QA_INDEX)")
    common.add_argument("--model", metavar="NAME", help="sentence-transformers model name or path (default: all-MiniLM-L6-v2)")
    common.add_argument("--device", metavar="DEV", help="torch device for embedding, e.g. cpu or cuda (default: best available)")

    p = argparse.ArgumentParser(
        prog="qa",
        description="Cited answers from clinical and scientific articles, offline. "
        "Every answer quotes the source sentence verbatim with its document and character offsets.",
        epilog="Run `qa` alone to open the chat. `qa COMMAND --help` describes a command.",
    )
    p.add_argument("--version", action="version", version=f"qa {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("ask", parents=[common], help="answer one question",
                       description="Answer one question with numbered citations.")
    a.add_argument("question", nargs="+", help="the question (quote it)")
    a.add_argument("-k", type=int, default=3, metavar="N", help="number of citations (default 3)")
    a.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    a.set_defaults(func=cmd_ask)

    b = sub.add_parser("batch", parents=[common], help="answer a file of questions",
                       description="Answer every question in a .txt (one per line, # comments), .csv (a 'question' "
                       "column, optional 'id') or .jsonl ({\"id\", \"question\"}) file. Results are written as they "
                       "are produced; bad lines are reported with their line numbers and skipped.")
    b.add_argument("file", type=Path, help="question file")
    b.add_argument("-o", "--output", type=Path, metavar="OUT", help="write here instead of stdout")
    b.add_argument("--format", choices=["jsonl", "csv", "md"], help="output format (default: from OUT's extension, else jsonl)")
    b.add_argument("--resume", action="store_true", help="continue an interrupted run: skip questions already in OUT")
    b.add_argument("-k", type=int, default=3, metavar="N", help="citations per question (default 3)")
    b.add_argument("--chunk", type=int, default=64, metavar="N", help=argparse.SUPPRESS)
    b.set_defaults(func=cmd_batch)

    i = sub.add_parser("index", parents=[common], help="build or refresh the index",
                       description="Build the index, or refresh it: only changed documents are re-embedded.")
    i.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    i.add_argument("--json", action="store_true", help="print the build report as JSON")
    i.set_defaults(func=cmd_index)

    e = sub.add_parser("eval", parents=[common], help="score qa on a gold file",
                       description="Score citations against a gold JSONL file ({\"id\",\"question\",\"gold\":[source "
                       "substrings],\"answer\"?}; empty gold = unanswerable) or a SQuAD-format .json file (each "
                       "article indexed as its own document). Prints P@1, P@3, MRR and abstention figures.")
    e.add_argument("gold", type=Path, help="gold .jsonl or SQuAD .json")
    e.add_argument("--json", action="store_true", help="print the figures as JSON")
    e.add_argument("--show-misses", action="store_true", help="list the questions whose first citation is wrong")
    e.add_argument("--workdir", type=Path, metavar="DIR", help="where SQuAD corpora and indexes go (default ./.qa-eval)")
    e.set_defaults(func=cmd_eval)

    c = sub.add_parser("chat", parents=[common], help="open the chat (the default)",
                       description="Open the terminal chat on the corpus.")
    c.set_defaults(func=cmd_chat)
    p.set_defaults(func=cmd_chat, corpus=default_corpus_dir(), index=default_index_dir(), model=None, device=None)
    return p


def _robust_streams() -> None:
    """Never fail on printing: characters the terminal's encoding lacks are escaped."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream.errors == "strict":
                stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, io.UnsupportedOperation):
            pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _robust_streams()
    try:
        return int(args.func(args) or 0)
    except QAError as exc:
        _err(f"qa: {exc.message}")
        if exc.hint:
            _err(f"    {exc.hint}")
        return 1
    except KeyboardInterrupt:
        _err("qa: interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (qa ... | head): stop quietly, and keep Python
        # from complaining when it flushes stdout at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return 0
    except OSError as exc:
        if os.environ.get("QA_DEBUG"):
            raise
        where = f": {exc.filename}" if exc.filename else ""
        _err(f"qa: {exc.strerror or exc}{where}")
        return 1
    except Exception as exc:  # a bug: say so in one line, not a traceback
        if os.environ.get("QA_DEBUG"):
            raise
        _err(f"qa: internal error: {exc.__class__.__name__}: {exc}")
        _err("    This is a bug in qa. Run again with QA_DEBUG=1 to see where it happened.")
        return 70


if __name__ == "__main__":
    sys.exit(main())
