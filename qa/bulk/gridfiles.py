"""The grid's files: a table (a row per document, a column per question) with its
quotes beside it, or every cell as jsonl; written as the answers come, and resumed.

For `--output grid.csv` (grid.md alike, with .quotes.md):

- grid.csv: the table; a cell holds the short answer, else the quote, on one line;
- grid.quotes.csv: a row per cell, with its first citation verbatim, offsets,
  page, table, confidence and reported finding (grid.xlsx has this as a second sheet);
- grid.csv.cells.jsonl: the journal, every cell's full record (as --format jsonl).

Every cell goes to the journal first, one JSONL record flushed and fsynced, with
the same writer and the same cut-off-tail rule on --resume as `qa batch`'s
JSONL, so a run killed at any moment resumes without losing or repeating a
cell. The tables are derived from the journal: a document's row is appended
once all its cells are in, and the tables are written again whole, atomically
and in document order, when a run is resumed and when it ends. An xlsx file is a
zip and cannot be appended to safely, so it is written whole from the journal
at the end only. With --format jsonl the output is the journal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from qa.bulk.grid import (
    LOW_CONFIDENCE,
    LOW_MARK,
    NOT_FOUND,
    QUOTE_COLUMNS,
    GridQuestion,
    cell_key,
    cell_text,
    key_of,
    quote_row,
)
from qa.bulk.writers import Writer, completed_ids, csv_line, finding_line, jsonl_line
from qa.errors import QAError
from qa.index.durable import fsync_write
from qa.safe import one_line

FORMATS = ("csv", "xlsx", "md", "jsonl")
Records = Mapping[str, dict[str, Any]]
"""Cell records by cell_key."""


@dataclass(frozen=True, slots=True)
class GridPaths:
    """Where a grid's files go."""

    main: Path
    journal: Path
    quotes: Path | None
    """The quotes file (csv, md); None where the quotes live in the main file (xlsx, jsonl)."""

    def all(self) -> list[Path]:
        return list(dict.fromkeys(p for p in (self.main, self.quotes, self.journal) if p is not None))


def grid_paths(out: Path, fmt: str) -> GridPaths:
    """OUT, and the journal and quotes file next to it: OUT + .cells.jsonl (grid.csv:
    grid.csv.cells.jsonl, so that grids in two formats side by side keep apart) and
    OUT's stem + .quotes.csv/.md."""
    if fmt == "jsonl":
        return GridPaths(out, out, None)
    quotes = out.with_name(f"{out.stem}.quotes.{fmt}") if fmt in ("csv", "md") else None
    return GridPaths(out, out.with_name(f"{out.name}.cells.jsonl"), quotes)


# --- tables ------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return one_line(text).replace("|", "\\|")


def table_head(fmt: str, questions: Sequence[GridQuestion]) -> str:
    if fmt == "csv":
        return csv_line(["document", *(q.id for q in questions)])
    lines = ["# qa grid", ""]
    lines += [f"- **{_md(q.id)}**: {_md(q.question)}" for q in questions]
    lines += [
        "",
        f"A cell holds the short answer, else the quoted passage; {LOW_MARK.strip()} marks one answered with "
        f"confidence below {LOW_CONFIDENCE}, {NOT_FOUND} one that qa found no answer to in that document. "
        "The quotes, offsets and pages are in the .quotes.md file beside this one.",
        "",
        "| document | " + " | ".join(_md(q.id) for q in questions) + " |",
        "| --- |" + " --- |" * len(questions),
    ]
    return "\n".join(lines) + "\n"


def table_row(fmt: str, doc: str, questions: Sequence[GridQuestion], records: Records) -> str:
    cells = [cell_text(records.get(key_of(doc, q.id))) for q in questions]
    if fmt == "csv":
        return csv_line([doc, *cells])
    return "| " + " | ".join(_md(c) for c in [doc, *cells]) + " |\n"


def quotes_head(fmt: str) -> str:
    if fmt == "csv":
        return csv_line(QUOTE_COLUMNS)
    return "# qa grid: quotes\n\n| document | question | answer | confidence | finding | quote | where |\n| --- | --- | --- | --- | --- | --- | --- |\n"


def quote_rows(fmt: str, doc: str, questions: Sequence[GridQuestion], records: Records) -> str:
    out = []
    for q in questions:
        rec = records.get(key_of(doc, q.id))
        if rec is None:
            continue
        row = quote_row(rec)
        if fmt == "csv":
            out.append(csv_line(row))
            continue
        cols = dict(zip(QUOTE_COLUMNS, row, strict=True))
        where = f"{cols['start']}–{cols['end']}" if rec["citations"] else ""
        for key, label in (("page", "p. "), ("table", ""), ("section", "")):
            if cols[key] != "":
                where += f", {label}{cols[key]}"
        answer = NOT_FOUND if rec["abstained"] else (rec["answer"] or "")
        finding = finding_line(rec["finding"]) if rec.get("finding") else ""
        cells = [doc, q.id, answer, f"{rec['confidence']:.2f}", finding, cols["quote"], where]
        out.append("| " + " | ".join(_md(str(c)) for c in cells) + " |\n")
    return "".join(out)


def write_grid(path: Path, fmt: str, docs: Sequence[str], questions: Sequence[GridQuestion], records: Records) -> list[Path]:
    """The grid's files, each written whole and atomically from the records (what
    a run ends with, and what the chat exports); the files written."""
    paths = grid_paths(path, fmt)
    if fmt == "xlsx":
        from qa.bulk.sheets import xlsx_bytes

        fsync_write(path, xlsx_bytes(docs, questions, records))
        return [path]
    if fmt == "jsonl":
        lines = [jsonl_line(records[key_of(d, q.id)]) for d in docs for q in questions if key_of(d, q.id) in records]
        fsync_write(path, "".join(lines).encode("utf-8"))
        return [path]
    _write_tables(paths, fmt, docs, questions, records)
    return [p for p in (paths.main, paths.quotes) if p is not None]


def _write_tables(paths: GridPaths, fmt: str, docs: Sequence[str], questions: Sequence[GridQuestion], records: Records) -> None:
    assert paths.quotes is not None
    table = table_head(fmt, questions) + "".join(table_row(fmt, d, questions, records) for d in docs)
    quotes = quotes_head(fmt) + "".join(quote_rows(fmt, d, questions, records) for d in docs)
    # The quotes first: a table row then never names a cell the quotes file lacks.
    fsync_write(paths.quotes, quotes.encode("utf-8"))
    fsync_write(paths.main, table.encode("utf-8"))


# --- a run -------------------------------------------------------------------------------


class GridWriter:
    """Writes a grid as its cells are answered: the journal cell by cell, a table
    row as each document is finished, and the whole files at the end."""

    def __init__(self, out: Path, fmt: str, docs: Sequence[str], questions: Sequence[GridQuestion], *, resume: bool) -> None:
        if fmt not in FORMATS:
            raise QAError(f"Unknown grid format {fmt!r}; choose one of {', '.join(FORMATS)}.")
        self.fmt = fmt
        self.docs = list(docs)
        self.questions = list(questions)
        self.paths = grid_paths(out, fmt)
        self.records: dict[str, dict[str, Any]] = _journal(self.paths.journal, questions) if resume else {}
        self.done = set(self.records)
        """Cells already answered (by cell_key) when the run started."""
        self._pending = {d: {q.id for q in questions if key_of(d, q.id) not in self.done} for d in self.docs}
        self._streams: list[IO[str]] = []
        out.parent.mkdir(parents=True, exist_ok=True)
        self.journal = self._open(self.paths.journal, append=resume)
        self.table: Writer | None = None
        self.quotes: Writer | None = None
        if fmt in ("csv", "md"):
            finished = [d for d in self.docs if not self._pending[d]]
            _write_tables(self.paths, fmt, finished, self.questions, self.records)
            self.table = self._open(self.paths.main, append=True)
            self.quotes = self._open(self.paths.quotes, append=True) if self.paths.quotes else None

    def _open(self, path: Path | None, *, append: bool) -> Writer:
        assert path is not None
        stream = open(path, "a" if append else "w", encoding="utf-8", newline="")
        self._streams.append(stream)
        return Writer(stream, "jsonl", header=False, fsync=True)

    def add(self, doc: str, question: GridQuestion, record: dict[str, Any]) -> None:
        """A cell answered: into the journal now, into the tables with its row."""
        self.journal.put(jsonl_line(record))
        self.records[key_of(doc, question.id)] = record
        self._settle(doc, question)

    def skip(self, doc: str, question: GridQuestion) -> None:
        """A cell that could not be answered: its row is written without it (and a
        --resume asks it again)."""
        self._settle(doc, question)

    def _settle(self, doc: str, question: GridQuestion) -> None:
        pending = self._pending.get(doc)
        if pending is None or question.id not in pending:
            return
        pending.discard(question.id)
        if not pending and self.table is not None:
            if self.quotes is not None:
                self.quotes.put(quote_rows(self.fmt, doc, self.questions, self.records))
            self.table.put(table_row(self.fmt, doc, self.questions, self.records))

    def finish(self) -> list[Path]:
        """The run is over: the files written whole from the journal; the paths written."""
        self.close()
        if self.fmt == "jsonl":
            return [self.paths.main]
        return write_grid(self.paths.main, self.fmt, self.docs, self.questions, self.records) + [self.paths.journal]

    def close(self) -> None:
        for s in self._streams:
            s.close()
        self._streams.clear()


def _journal(path: Path, questions: Sequence[GridQuestion]) -> dict[str, dict[str, Any]]:
    """The cells an interrupted run wrote (a cut-off last record removed), checked
    against the questions now asked."""
    completed_ids(path, "jsonl", key=cell_key)  # cuts a partial tail; refuses a file qa did not write
    if not path.exists():
        return {}
    asked = {q.id: q.question for q in questions}
    records: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(path.read_text("utf-8", errors="surrogateescape").splitlines(), 1):
        if not line.strip():
            continue
        rec = json.loads(line)
        now = asked.get(rec["question_id"])
        if now is not None and now != rec["question"]:
            raise QAError(
                f"Cannot resume from {path}: line {n} answers {rec['question_id']!r} as {one_line(rec['question'])!r}, "
                f"but the questions now ask {one_line(now)!r}.",
                hint="Drop --resume to start over, or write to another --output.",
            )
        records[cell_key(rec)] = rec
    return records
