"""The `qa` argument parser: every command, its options and its help."""

from __future__ import annotations

import argparse
from pathlib import Path

from qa import __version__
from qa.cli.batch import cmd_batch
from qa.cli.commands import cmd_ask, cmd_chat, cmd_index
from qa.cli.evaluation import cmd_eval
from qa.cli.grid import HELP as GRID_HELP
from qa.cli.grid import cmd_grid
from qa.cli.show import cmd_list, cmd_show
from qa.paths import default_corpus_dir


def at_least_one(text: str) -> int:
    """A count of citations: a whole number, 1 or more ("-k 0" would ask for no answer)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, default=default_corpus_dir(), metavar="DIR",
                        help="folder of articles: .txt, .md, .nxml/.xml (JATS), .html/.htm, .pdf (default: ./corpus, or $QA_CORPUS)")
    common.add_argument("--index", type=Path, metavar="DIR",
                        help="where the index is kept (default: ./index, or $QA_INDEX, for the default corpus; "
                        "index/corpora/NAME-DIGEST for any other)")
    common.add_argument("--model", metavar="NAME", help="sentence-transformers model name or path (default: all-MiniLM-L6-v2)")
    common.add_argument("--device", metavar="DEV", help="torch device for embedding, e.g. cpu or cuda (default: best available)")

    p = argparse.ArgumentParser(
        prog="qa",
        description="Cited answers from clinical and scientific articles, offline. "
        "Every answer quotes the source sentence verbatim with its document and character offsets.",
        epilog="Run `qa` alone, or `qa --corpus DIR`, to open the chat. `qa COMMAND --help` describes a command.",
    )
    p.add_argument("--version", action="version", version=f"qa {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("ask", parents=[common], help="answer one question",
                       description="Answer one question with numbered citations.")
    a.add_argument("question", nargs="+", help="the question (quote it)")
    a.add_argument("-k", type=at_least_one, default=3, metavar="N", help="number of citations (default 3)")
    a.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    a.add_argument("--doc", metavar="NAME", help="ask only this document: a corpus file (PMC59610.txt, or PMC59610) or a glob ('PMC5*')")
    a.set_defaults(func=cmd_ask)

    b = sub.add_parser("batch", parents=[common], help="answer a file of questions",
                       description="Answer every question in a .txt (one per line, # comments), .csv (a 'question' "
                       "column, optional 'id' and 'doc') or .jsonl ({\"id\", \"question\", \"doc\"?}) file. A row's "
                       "doc (a corpus file or a glob) asks its question of those documents only. Results are written as "
                       "they are produced; bad lines are reported with their line numbers and skipped.")
    b.add_argument("file", type=Path, help="question file")
    b.add_argument("-o", "--output", type=Path, metavar="OUT", help="write here instead of stdout")
    b.add_argument("--format", choices=["jsonl", "csv", "md"], help="output format (default: from OUT's extension, else jsonl)")
    b.add_argument("--resume", action="store_true", help="continue an interrupted run: skip questions already in OUT")
    b.add_argument("-k", type=at_least_one, default=3, metavar="N", help="citations per question (default 3)")
    b.add_argument("--doc", metavar="NAME", help="ask the rows that name no doc of this document (a corpus file or a glob) only")
    b.add_argument("--chunk", type=int, default=64, metavar="N", help=argparse.SUPPRESS)
    b.set_defaults(func=cmd_batch)

    g = sub.add_parser("grid", parents=[common], help="ask every question of every document: an extraction table",
                       description=GRID_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("questions", type=Path, nargs="?", metavar="QUESTIONS",
                   help="question file (.txt, .csv with 'question' and optional 'id', .jsonl), one column per question")
    g.add_argument("--preset", metavar="NAME", help="a built-in question set instead: rct (randomised trials)")
    g.add_argument("--print", action="store_true", help="with --preset: print it as an editable question file (csv) and stop")
    g.add_argument("--docs", metavar="GLOB", help="only these documents: a corpus file or a glob (default: all)")
    g.add_argument("-o", "--output", type=Path, metavar="OUT", help="the table: OUT.csv, OUT.xlsx, OUT.md or OUT.jsonl")
    g.add_argument("--format", choices=["csv", "xlsx", "md", "jsonl"], help="output format (default: from OUT's extension, else csv)")
    g.add_argument("--resume", action="store_true", help="continue an interrupted run: skip the cells already answered")
    g.add_argument("-k", type=at_least_one, default=3, metavar="N", help="citations kept per cell in the jsonl records (default 3)")
    g.add_argument("--chunk", type=int, default=64, metavar="N", help=argparse.SUPPRESS)
    g.set_defaults(func=cmd_grid)

    i = sub.add_parser("index", parents=[common], help="build or refresh the index",
                       description="Build the index, or refresh it: only changed documents are re-embedded.")
    i.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    i.add_argument("--json", action="store_true", help="print the build report as JSON")
    i.set_defaults(func=cmd_index)

    e = sub.add_parser("eval", parents=[common], help="score qa on a gold file",
                       description="Score citations against a gold JSONL file ({\"id\",\"question\",\"gold\":[source "
                       "substrings] or [{\"start\",\"end\",\"text\"}] spans of \"doc\",\"answer\"?}; empty gold = "
                       "unanswerable) or a SQuAD-format .json file (each article indexed as its own document). "
                       "Prints P@1, P@3, MRR and abstention figures.")
    e.add_argument("gold", type=Path, help="gold .jsonl or SQuAD .json")
    e.add_argument("--json", action="store_true", help="print the figures as JSON")
    e.add_argument("--split", metavar="NAME", help="only the gold rows whose \"split\" is NAME (e.g. validation)")
    e.add_argument("--scoped", action="store_true", help="ask each question of its own document only (the gold's \"doc\"; SQuAD: its article)")
    e.add_argument("--show-misses", action="store_true", help="list the questions whose first citation is wrong")
    e.add_argument("--workdir", type=Path, metavar="DIR", help="where SQuAD corpora and indexes go (default ./.qa-eval)")
    e.set_defaults(func=cmd_eval)

    s = sub.add_parser("show", parents=[common], help="print a document's text, the one citations' offsets index into",
                       description="Print an indexed document's canonical text (for XML, HTML and PDF files, what "
                       "the reader made of the file), or a range of it: `qa show trial.pdf --start 1818 --end 1897` "
                       "prints exactly what a citation trial.pdf:1818-1897 quotes. --blocks lists its blocks "
                       "(offsets, kind, page, heading path, table).")
    s.add_argument("doc", help="the document, as citations name it (its path in the corpus)")
    s.add_argument("--start", type=int, metavar="N", help="first character (default 0)")
    s.add_argument("--end", type=int, metavar="M", help="one past the last character (default: the end)")
    s.add_argument("--blocks", action="store_true", help="list the blocks (in the range) instead of the text")
    s.add_argument("--json", action="store_true", help="print one JSON object (text, and blocks with --blocks)")
    s.set_defaults(func=cmd_show)

    ls = sub.add_parser("list", parents=[common], help="list the indexed documents",
                        description="List the indexed documents: path, format, pages, units and title.")
    ls.add_argument("--json", action="store_true", help="print one JSON object")
    ls.set_defaults(func=cmd_list)

    c = sub.add_parser("chat", parents=[common], help="open the chat (the default)",
                       description="Open the terminal chat on the corpus.")
    c.set_defaults(func=cmd_chat)
    p.set_defaults(func=cmd_chat, corpus=default_corpus_dir(), index=None, model=None, device=None)
    return p
