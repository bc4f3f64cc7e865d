"""Question files for `qa batch` and `qa grid`: one question per row, or why a row is unusable.

Inputs: .txt (a question per line, # comments), .csv (a `question` column,
optional `id` and `doc`) and .jsonl ({"id", "question", "doc"?}), in UTF-8 (with or without a
BOM), UTF-16 with a BOM, or cp1252; CRLF or LF line ends; blank lines are
ignored. A bad row is reported with its line number and the rest are
answered; a duplicate id is renamed (id#2) and answered. A row's `doc` (a
corpus file or a glob) asks its question of those documents only; a .txt
line has no room for one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from qa.safe import no_surrogates

MAX_FIELD_CHARS = 64 * 1024 * 1024
"""Longest CSV field read (the csv module's default limit is 128 KiB)."""


@dataclass(slots=True)
class Row:
    """One question from a question file, or the reason its line is unusable."""

    line: int
    id: str
    question: str | None
    error: str | None = None
    note: str | None = None
    """Something worth telling about a usable row (a renamed duplicate id)."""
    doc: str | None = None
    """The document (a corpus-relative path or a glob) the question is asked of; None: the whole corpus."""


def _read_text(path: Path, notes: list[str] | None = None) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise QAError(f"Question file {path} does not exist.") from None
    except IsADirectoryError:
        raise QAError(f"{path} is a folder, not a question file.") from None
    except OSError as exc:
        raise QAError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise QAError(f"{path} is a binary file, not a question file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if notes is not None:
            notes.append(f"{path} is not valid UTF-8 (byte {exc.start}); read as cp1252")
        return data.decode("cp1252", errors="replace")


def read_questions(path: Path, notes: list[str] | None = None) -> list[Row]:
    """All rows of a question file; ids are made unique (duplicates get a suffix).

    File-level remarks (an encoding fallback) are appended to `notes`.
    """
    return parse_questions(_read_text(path, notes), path.suffix.lower(), path)


def parse_questions(text: str, suffix: str, source: Path) -> list[Row]:
    """The rows of a question file's text, read as its suffix says (".csv",
    ".jsonl", else one question a line); `source` names it in messages."""
    if suffix == ".csv":
        rows = list(_csv_rows(text, source))
    elif suffix in (".jsonl", ".ndjson", ".json"):
        rows = list(_jsonl_rows(text))
    else:
        rows = list(_txt_rows(text))
    for r in rows:
        r.id = no_surrogates(r.id)
        if r.question is not None:
            r.question = no_surrogates(r.question)
        if r.doc is not None:
            r.doc = no_surrogates(r.doc)
    taken = {r.id for r in rows}
    first: dict[str, int] = {}
    for r in rows:
        if r.id not in first:
            first[r.id] = r.line
            continue
        # A duplicate id is not an error: it is renamed (to an id no row uses) and answered.
        n = 2
        while f"{r.id}#{n}" in taken:
            n += 1
        new = f"{r.id}#{n}"
        taken.add(new)
        r.note = f"id {r.id!r} is also on line {first[r.id]}; answered as {new!r}"
        r.id = new
        first[new] = r.line
    return rows


def usable_rows(path: Path, notes: list[str] | None = None) -> tuple[list[Row], list[str]]:
    """The rows of a question file that can be asked (questions cleaned as the
    engine would), and for each row that cannot, "FILE:LINE: why; skipped"."""
    return split_usable(read_questions(path, notes), path)


def split_usable(rows: list[Row], source: Path | str) -> tuple[list[Row], list[str]]:
    """The rows that can be asked (questions cleaned as the engine would), and for
    each that cannot, "SOURCE:LINE: why; skipped"."""
    from qa.answering.engine import clean_question

    good: list[Row] = []
    bad: list[str] = []
    for r in rows:
        if r.error is None:
            try:
                r.question = clean_question(r.question or "")
            except QAError as exc:
                r.error = exc.message.rstrip(".").lower()
        if r.error:
            bad.append(f"{source}:{r.line}: {r.error}; skipped")
        else:
            good.append(r)
    return good, bad


def _txt_rows(text: str) -> Iterator[Row]:
    for n, line in enumerate(text.splitlines(), 1):
        q = line.strip()
        if not q or q.startswith("#"):
            continue
        yield Row(n, str(n), q)


def _csv_rows(text: str, path: Path) -> Iterator[Row]:
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise QAError(f"{path}:1: the header line cannot be read ({exc}).") from None
    fields = [f.strip().lower() for f in (header or [])]
    if "question" not in fields:
        shown = ", ".join(repr(f) for f in fields[:10]) or "none"
        raise QAError(
            f"{path} has no 'question' column (columns: {shown}).",
            hint="The first line must name the columns, e.g. id,question",
        )
    qcol = fields.index("question")
    icol = fields.index("id") if "id" in fields else None
    dcol = fields.index("doc") if "doc" in fields else None
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Row(start, str(start), None, f"unreadable CSV record ({exc})")
            continue
        n = start
        if not any(v.strip() for v in record):
            continue  # a blank line
        q = record[qcol].strip() if qcol < len(record) else ""
        rid = (record[icol].strip() if icol is not None and icol < len(record) else "") or str(n)
        if not q:
            yield Row(n, rid, None, "empty question")
            continue
        doc = record[dcol].strip() if dcol is not None and dcol < len(record) else ""
        yield Row(n, rid, q, doc=doc or None)


def _jsonl_rows(text: str) -> Iterator[Row]:
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            obj = json.loads(s)
        except ValueError as exc:
            msg = getattr(exc, "msg", None) or str(exc)
            yield Row(n, str(n), None, f"malformed JSON ({msg})")
            continue
        except RecursionError:
            yield Row(n, str(n), None, "malformed JSON (nested too deeply)")
            continue
        if not isinstance(obj, dict):
            yield Row(n, str(n), None, "expected a JSON object with a \"question\"")
            continue
        q = obj.get("question")
        rid = obj.get("id")
        rid = (rid if isinstance(rid, str) else json.dumps(rid)) if rid not in (None, "") else str(n)
        if "question" not in obj:
            yield Row(n, rid, None, "no \"question\" field")
            continue
        if not isinstance(q, str) or not q.strip():
            yield Row(n, rid, None, "empty question" if isinstance(q, str) else "\"question\" is not a string")
            continue
        doc = obj.get("doc")
        if doc is not None and not isinstance(doc, str):
            yield Row(n, rid, None, "\"doc\" is not a string (a corpus file name or a glob)")
            continue
        yield Row(n, rid, q.strip(), doc=(doc.strip() or None) if doc else None)
