"""How the CLI talks: answers on stdout, progress and diagnostics on stderr.

Text from documents, questions and file names is printed with plain print(),
never as markup, and with control characters neutralised (qa.safe), so it
shows exactly as written and cannot drive the terminal.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from qa.safe import json_text, one_line, plural, printable

if TYPE_CHECKING:
    from qa.index.build import BuildReport
    from qa.models import Answer

MAX_WARNINGS_SHOWN = 20


def err(msg: str) -> None:
    """One line of diagnostics on stderr."""
    print(printable(msg), file=sys.stderr, flush=True)


def warn_all(warnings: list[str]) -> None:
    """Warnings on stderr, the first MAX_WARNINGS_SHOWN of them and a count of the rest."""
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        err(f"warning: {w}")
    if len(warnings) > MAX_WARNINGS_SHOWN:
        err(f"warning: … and {len(warnings) - MAX_WARNINGS_SHOWN} more (`qa index --json` lists them all)")


def json_out(obj: Any) -> None:
    """One JSON document on stdout, with terminal controls escaped (losslessly)."""
    print(json_text(json.dumps(obj, ensure_ascii=False)))


def describe(report: BuildReport) -> str:
    """What opening the index did, in one line."""
    if report.action == "loaded":
        return f"Index up to date: {plural(report.documents, 'document')}, {plural(report.units, 'unit')} ({report.seconds:.2f} s)."
    parts = [f"Index {report.action} ({report.reason}): {plural(report.documents, 'document')}, {plural(report.units, 'unit')}"]
    if report.embedded_documents:
        parts.append(f"embedded {plural(report.embedded_units, 'unit')} from {plural(len(report.embedded_documents), 'changed document')}")
    else:
        parts.append("no document needed re-embedding")
    if report.removed_documents:
        parts.append(f"dropped {plural(len(report.removed_documents), 'removed document')}")
    return "; ".join(parts) + f" ({report.seconds:.1f} s)."


def print_answer(ans: Answer, out: Any = None) -> None:
    """The human rendering of an answer (untrusted text made printable)."""
    out = out or sys.stdout
    if ans.searched and ans.searched != ans.question:
        print(f"Searched: {one_line(ans.searched)}", file=out)
    if ans.abstained:
        print(one_line(ans.not_found), file=out)
        if ans.citations:
            print("Closest passages (related, not answers):", file=out)
    elif ans.answer:
        print(f"Answer: {one_line(ans.answer)}", file=out)
    else:
        print("Answer: see the cited passage.", file=out)
    if ans.uncertainty:
        print(ans.uncertainty, file=out)
    if ans.finding is not None:
        print(f"Reported finding: {ans.finding.describe()}", file=out)
    print(file=out)
    for n, c in enumerate(ans.citations, 1):
        print(f"[{n}] {printable(c.text)}", file=out)
        where = f"{one_line(c.doc)}:{c.start}-{c.end}"
        if c.page is not None:
            where += f" · {c.pages()}"
        if c.section:
            where += f" · {one_line(c.section)}"
        print(f"    {where} · score {c.score:.2f}", file=out)
    print(f"(confidence {ans.confidence:.2f})", file=out)


def isatty(stream: Any) -> bool:
    """Whether a stream is a terminal (False for anything that cannot tell)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False

