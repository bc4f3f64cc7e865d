"""Question files in, answer files out, written as they are produced.

Inputs: .txt (a question per line, # comments), .csv (a `question` column,
optional `id`) and .jsonl ({"id", "question"}), in UTF-8 (with or without a
BOM), UTF-16 with a BOM, or cp1252; CRLF or LF line ends; blank lines are
ignored. A bad row is reported with its line number and the rest are
answered; a duplicate id is renamed (id#2) and answered.

Outputs: JSONL, CSV or Markdown, each record written in one piece and
flushed (and fsynced, for files) as soon as it is produced, so `--resume`
can continue an interrupted run from the last complete record without losing
or repeating an answer: a record cut off by a crash is removed first, and a
file that is not a qa output is refused rather than cut.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qa.errors import QAError
from qa.models import Answer
from qa.safe import json_text, no_surrogates, printable

FORMATS = ("jsonl", "csv", "md")
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
    text = _read_text(path, notes)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = list(_csv_rows(text, path))
    elif suffix in (".jsonl", ".ndjson", ".json"):
        rows = list(_jsonl_rows(text))
    else:
        rows = list(_txt_rows(text))
    for r in rows:
        r.id = no_surrogates(r.id)
        if r.question is not None:
            r.question = no_surrogates(r.question)
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
        yield Row(n, rid, q)


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
        yield Row(n, rid, q.strip())


# --- writing --------------------------------------------------------------------------

CSV_CITATIONS = 3


def _csv_header(k: int) -> list[str]:
    cols = ["id", "question", "answer", "abstained", "confidence"]
    for i in range(1, k + 1):
        cols += [f"citation{i}_{f}" for f in ("doc", "start", "end", "section", "score", "text")]
    return cols


def _csv_line(row: list[object]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue()


def format_record(answer: Answer, fmt: str, k: int = CSV_CITATIONS) -> str:
    """One answer in one output format, ending with a newline.

    JSONL escapes (losslessly) what a terminal could act on; CSV keeps the
    quoted text verbatim (lone surrogates from undecodable file names, which
    cannot be written, become U+FFFD).
    """
    d = answer.to_json()
    if fmt == "jsonl":
        return json_text(json.dumps(d, ensure_ascii=False)) + "\n"
    if fmt == "csv":
        row: list[object] = [d["id"], d["question"], d["answer"] or "", str(d["abstained"]).lower(), d["confidence"]]
        for c in d["citations"][:k]:
            row += [c["doc"], c["start"], c["end"], c["section"], c["score"], c["text"]]
        row += [""] * (len(_csv_header(k)) - len(row))
        return no_surrogates(_csv_line(row))
    return markdown_record(d)


def markdown_record(d: dict) -> str:
    from qa.safe import one_line

    lines = [f"### {one_line(str(d['id']))}. {one_line(d['question'])}", ""]
    if d["abstained"]:
        lines += ["**Not found in the corpus.** Closest passages (not answers):", ""]
    elif d["answer"]:
        lines += [f"**Answer:** {one_line(d['answer'])}", ""]
    for n, c in enumerate(d["citations"], 1):
        where = f"{c['doc']}:{c['start']}–{c['end']}" + (f", {c['section']}" if c["section"] else "")
        lines.append(f"{n}. > {one_line(c['text'])}")
        lines.append(f"   — {one_line(where)} (score {c['score']:.2f})")
    lines += ["", f"<!-- qa:id={json.dumps(d['id'])} -->", ""]
    return "\n".join(lines) + "\n"


class Writer:
    """Appends records to an output stream, flushing each one.

    With `terminal`, records are made printable (control characters shown,
    not acted on); files get the verbatim text.
    """

    def __init__(self, stream: IO[str], fmt: str, *, header: bool = True, fsync: bool = False, terminal: bool = False) -> None:
        self.stream = stream
        self.fmt = fmt
        self.fsync = fsync
        self.terminal = terminal
        self.written = 0
        if header and fmt == "csv":
            self._put(_csv_line(_csv_header(CSV_CITATIONS)))

    def write(self, answer: Answer) -> None:
        self._put(format_record(answer, self.fmt))
        self.written += 1

    def _put(self, record: str) -> None:
        if self.terminal:
            record = printable(record)
        self.stream.write(record)
        self.stream.flush()
        if self.fsync:
            try:
                os.fsync(self.stream.fileno())
            except (OSError, io.UnsupportedOperation, ValueError):
                pass


def _refuse(path: Path, why: str) -> QAError:
    return QAError(
        f"Cannot resume into {path}: {why}.",
        hint="--resume continues a file that qa batch wrote in the same format; use another --output, or drop --resume to start over.",
    )


def completed_ids(path: Path, fmt: str) -> set[str]:
    """Ids already answered in an output file, after cutting off a partial last record.

    Only a cut-off tail is removed (the one thing a killed run can leave); a
    file that does not read as qa's output in that format is refused, never cut.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return set()
    except IsADirectoryError:
        raise _refuse(path, "it is a folder") from None
    except OSError as exc:
        raise _refuse(path, exc.strerror or str(exc)) from None
    if not raw:
        return set()
    text = raw.decode("utf-8", errors="surrogateescape")
    if fmt == "jsonl":
        done, keep = _jsonl_done(path, text)
    elif fmt == "csv":
        done, keep = _csv_done(path, text)
    else:
        done, keep = _md_done(path, text)
    keep_bytes = len(text[:keep].encode("utf-8", errors="surrogateescape"))
    if keep_bytes < len(raw):
        with open(path, "r+b") as f:
            f.truncate(keep_bytes)
            f.flush()
            os.fsync(f.fileno())
    return done


def _jsonl_done(path: Path, text: str) -> tuple[set[str], int]:
    done: set[str] = set()
    pos = 0
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        if not line.endswith("\n"):
            break  # the record being written when the run stopped
        if line.strip():
            try:
                obj = json.loads(line)
                done.add(str(obj["id"]) if isinstance(obj["id"], str) else json.dumps(obj["id"]))
            except (ValueError, KeyError, TypeError):
                raise _refuse(path, f"line {n} is not a JSON answer record") from None
        pos += len(line)
    if pos == 0 and not text.lstrip().startswith("{"):
        raise _refuse(path, "it does not look like JSONL written by qa batch")
    return done, pos


def _csv_done(path: Path, text: str) -> tuple[set[str], int]:
    header = _csv_line(_csv_header(CSV_CITATIONS))
    if not text.startswith(header):
        if header.startswith(text):
            return set(), 0  # killed while writing the header
        raise _refuse(path, "its first line is not qa's CSV header")
    done: set[str] = set()
    pos = len(header)
    width = len(_csv_header(CSV_CITATIONS))
    record = ""
    for line in text[pos:].splitlines(keepends=True):
        record += line
        # A record ends at a newline outside quotes: its quote count is even.
        if not line.endswith("\n") or record.count('"') % 2:
            continue
        fields = next(csv.reader(io.StringIO(record, newline="")), [])
        if len(fields) != width:
            raise _refuse(path, f"the record ending at offset {pos + len(record)} has {len(fields)} fields, not {width}")
        done.add(fields[0])
        pos += len(record)
        record = ""
    return done, pos


def _md_done(path: Path, text: str) -> tuple[set[str], int]:
    marker = "<!-- qa:id="
    done: set[str] = set()
    keep = 0
    end = 0
    for line in text.splitlines(keepends=True):
        end += len(line)
        s = line.strip()
        # A record ends with its id marker and a blank line; without the blank
        # line it was cut off and is written again.
        if line.endswith("\n") and s.startswith(marker) and s.endswith("-->") and text[end : end + 1] == "\n":
            try:
                rid = json.loads(s[len(marker) : -3].strip())
            except ValueError:
                continue
            done.add(rid if isinstance(rid, str) else json.dumps(rid))
            keep = end + 1
    if keep == 0 and not (text.startswith("###") or "###".startswith(text)):
        raise _refuse(path, "it does not look like Markdown written by qa batch")
    return done, keep
