"""The conversation as Markdown, with every citation and its reference."""

from __future__ import annotations

import time
from pathlib import Path

from qa.models import Answer, Citation
from qa.tui.safe_text import one_line
from qa.tui.turn import normalise

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>"})


def _quote(text: str) -> str:
    """One line of literal text, with Markdown's special characters escaped."""
    return one_line(text).translate(_MD_SPECIAL)


def _code(text: str) -> str:
    text = one_line(text)
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def _md_reference(c: Citation) -> str:
    parts = [_code(c.doc)] + ([c.pages()] if c.page is not None else []) + ([_quote(c.section)] if c.section else [])
    parts.append(f"characters {c.start}–{c.end}")
    return ", ".join(parts)


def conversation_markdown(turns: list[tuple[str, Answer | None, str | None]], *, corpus: str, model: str) -> str:
    """Markdown for (question, answer or None, error or None) turns."""
    lines = [
        "# qa conversation",
        "",
        f"Corpus: {_code(corpus)} · model: {_code(model)} · exported {time.strftime('%Y-%m-%d %H:%M')}",
        "",
    ]
    for n, (question, answer, error) in enumerate(turns, 1):
        lines += [f"## {n}. {_quote(question)}", ""]
        if answer is None:
            lines += [f"*{_quote(error)}*" if error else "*(not answered yet)*", ""]
            continue
        if answer.searched and normalise(answer.searched) != normalise(question):
            lines += [f"Searched: *{_quote(answer.searched)}*", ""]
        if answer.abstained:
            lines += [f"**{_quote(answer.not_found)}**", ""]
            if answer.citations:
                lines += ["Related passages (not an answer):", ""]
        else:
            value = _quote(answer.answer) if answer.answer else "see [1]"
            lines += [f"**Answer:** {value} (confidence {answer.confidence:.0%})", ""]
        if answer.finding is not None:
            lines += [f"**Reported finding:** {_quote(answer.finding.describe())}", ""]
        for i, c in enumerate(answer.citations, 1):
            lines += [f"> **\\[{i}\\]** {_quote(c.text)}  ", f"> — {_md_reference(c)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def export_path(folder: Path | None = None) -> Path:
    """A new file name in `folder` (default: the current folder) that does not exist yet."""
    folder = folder or Path.cwd()
    stem = f"qa-conversation-{time.strftime('%Y%m%d-%H%M%S')}"
    path = folder / f"{stem}.md"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.md"
        n += 1
    return path
