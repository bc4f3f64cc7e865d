"""Result files for `qa batch` (and the pieces `qa grid` builds on): answers written
as they are produced, and resumed.

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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from qa.errors import QAError
from qa.models import Answer, Finding
from qa.safe import json_text, no_surrogates, one_line, printable

FORMATS = ("jsonl", "csv", "md")
CSV_CITATIONS = 3


def _csv_header(k: int) -> list[str]:
    cols = ["id", "question", "answer", "abstained", "confidence"]
    for i in range(1, k + 1):
        cols += [f"citation{i}_{f}" for f in ("doc", "start", "end", "section", "score", "text")]
    return cols


def csv_line(row: Sequence[object]) -> str:
    """One CSV record, ending with a newline (lone surrogates, which cannot be written, as U+FFFD)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return no_surrogates(buf.getvalue())


def format_record(answer: Answer, fmt: str, k: int = CSV_CITATIONS) -> str:
    """One answer in one output format, ending with a newline.

    JSONL escapes (losslessly) what a terminal could act on; CSV keeps the
    quoted text verbatim (lone surrogates from undecodable file names, which
    cannot be written, become U+FFFD).
    """
    d = answer.to_json()
    if fmt == "jsonl":
        return jsonl_line(d)
    if fmt == "csv":
        row: list[object] = [d["id"], d["question"], d["answer"] or "", str(d["abstained"]).lower(), d["confidence"]]
        for c in d["citations"][:k]:
            row += [c["doc"], c["start"], c["end"], c["section"], c["score"], c["text"]]
        row += [""] * (len(_csv_header(k)) - len(row))
        return csv_line(row)
    return markdown_record(d)


def jsonl_line(obj: dict[str, Any]) -> str:
    """One JSONL record: what a terminal could act on escaped (losslessly), ending with a newline."""
    return json_text(json.dumps(obj, ensure_ascii=False)) + "\n"


def markdown_record(d: dict[str, Any]) -> str:
    """One answer (as its JSON object) as a Markdown section, ending with its id marker."""
    lines = [f"### {one_line(str(d['id']))}. {one_line(d['question'])}", ""]
    if d["abstained"]:
        reason = f" ({one_line(d['reason'])})" if d.get("reason") else ""  # records written before reasons have none
        lines += [f"**Not found in the corpus.**{reason} Closest passages (not answers):", ""]
    elif d["answer"]:
        lines += [f"**Answer:** {one_line(d['answer'])}", ""]
    if d.get("finding"):
        lines += [f"**Reported finding:** {finding_line(d['finding'])}", ""]
    for n, c in enumerate(d["citations"], 1):
        where = f"{c['doc']}:{c['start']}–{c['end']}" + (f", p. {c['page']}" if c.get("page") else "")
        where += f", {c['section']}" if c["section"] else ""
        lines.append(f"{n}. > {one_line(c['text'])}")
        lines.append(f"   — {one_line(where)} (score {c['score']:.2f})")
    lines += ["", f"<!-- qa:id={json.dumps(d['id'])} -->", ""]
    return "\n".join(lines) + "\n"


def finding_line(finding: dict[str, Any]) -> str:
    """A reported finding (as its JSON object) as people read it: "significantly decreased (model confidence 0.93)"."""
    return Finding(finding["label"], float(finding["probability"])).describe()


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
            self.put(csv_line(_csv_header(CSV_CITATIONS)))

    def write(self, answer: Answer) -> None:
        self.put(format_record(answer, self.fmt))
        self.written += 1

    def put(self, record: str) -> None:
        """Write one whole record (text ending with a newline), flushed and, for files, fsynced."""
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
        hint="--resume continues a file that qa wrote in the same format; use another --output, or drop --resume to start over.",
    )


def _answer_id(obj: dict[str, Any]) -> str:
    rid = obj["id"]
    return rid if isinstance(rid, str) else json.dumps(rid)


def completed_ids(path: Path, fmt: str, key: Callable[[dict[str, Any]], str] = _answer_id) -> set[str]:
    """Ids already answered in an output file, after cutting off a partial last record.

    Only a cut-off tail is removed (the one thing a killed run can leave); a
    file that does not read as qa's output in that format is refused, never cut.
    `key` names a JSONL record (default: its "id"; a grid cell is named by its
    document and question).
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
        done, keep = _jsonl_done(path, text, key)
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


def _jsonl_done(path: Path, text: str, key: Callable[[dict[str, Any]], str]) -> tuple[set[str], int]:
    done: set[str] = set()
    pos = 0
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        if not line.endswith("\n"):
            break  # the record being written when the run stopped
        if line.strip():
            try:
                done.add(key(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                raise _refuse(path, f"line {n} is not a JSON answer record") from None
        pos += len(line)
    if pos == 0 and not text.lstrip().startswith("{"):
        raise _refuse(path, "it does not look like JSONL written by qa")
    return done, pos


def _csv_done(path: Path, text: str) -> tuple[set[str], int]:
    header = csv_line(_csv_header(CSV_CITATIONS))
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
