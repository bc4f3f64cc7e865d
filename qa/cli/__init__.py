"""The `qa` command line: this package owns the argument parser (`parser`), one
module per command or group of commands (`commands`: ask, index and chat;
`batch`; `evaluation`), the question files batch reads (`questions`) and the
result files it writes (`writers`), how output is printed (`output`) and the
engine a command opens (`session`). Heavy imports (torch, FAISS, Textual)
happen inside the commands that need them, so `qa --help` starts instantly.

stdout carries answers (human text, or JSON with --json); stderr carries
progress and diagnostics. A QAError is printed once, here, as `qa: message`,
with exit status 1; usage errors exit 2; Ctrl-C exits 130; an unexpected
error is reported in one line with exit status 70 (QA_DEBUG=1 shows the
traceback). Text from documents, questions and file names is printed with
plain print(), never as markup, and with control characters neutralised
(qa.safe), so it shows exactly as written and cannot drive the terminal.
"""

from __future__ import annotations

import io
import os
import sys

from qa.cli.output import err
from qa.cli.parser import build_parser
from qa.errors import QAError
from qa.paths import index_dir_for

__all__ = ["build_parser", "main"]


def _robust_streams() -> None:
    """Never fail on printing: characters the terminal's encoding lacks are escaped."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        try:
            if stream.errors == "strict" and reconfigure is not None:
                reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, io.UnsupportedOperation):
            pass


def main(argv: list[str] | None = None) -> int:
    """Run `qa` with these arguments (default: the command line); the exit status."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["chat", *argv]  # `qa --corpus trials` opens the chat, as `qa` alone does
    args = parser.parse_args(argv)
    if getattr(args, "corpus", None) is not None and getattr(args, "index", None) is None:
        args.index = index_dir_for(args.corpus)
    _robust_streams()
    try:
        return int(args.func(args) or 0)
    except QAError as exc:
        err(f"qa: {exc.message}")
        if exc.hint:
            err(f"    {exc.hint}")
        return 1
    except KeyboardInterrupt:
        err("qa: interrupted")
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
        err(f"qa: {exc.strerror or exc}{where}")
        return 1
    except Exception as exc:  # a bug: say so in one line, not a traceback
        if os.environ.get("QA_DEBUG"):
            raise
        err(f"qa: internal error: {exc.__class__.__name__}: {exc}")
        err("    This is a bug in qa. Run again with QA_DEBUG=1 to see where it happened.")
        return 70

