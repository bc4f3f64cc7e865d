"""Question files in, answer files out, written as they are produced.

Inputs: .txt (a question per line, # comments), .csv (a `question` column,
optional `id`) and .jsonl ({"id", "question"}); a bad row is reported with its
line number and the rest are answered. Outputs: JSONL, CSV or Markdown, each
record flushed when written, so `--resume` can continue an interrupted run
from the last complete record without losing or repeating an answer.
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

FORMATS = ("jsonl", "csv", "md")


@dataclass(slots=True)
class Row:
    """One question from a question file, or the reason its line is unusable."""

    line: int
    id: str
    question: str | None
    error: str | None = None


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise QAError(f"Question file {path} does not exist.") from None
    except IsADirectoryError:
        raise QAError(f"{path} is a folder, not a question file.") from None
    except OSError as exc:
        raise QAError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in data[:4096]:
        raise QAError(f"{path} is a binary file, not a question file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_questions(path: Path) -> list[Row]:
    """All rows of a question file; ids are made unique (duplicates get a suffix)."""
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = list(_csv_rows(text, path))
    elif suffix in (".jsonl", ".ndjson", ".json"):
        rows = list(_jsonl_rows(text))
    else:
        rows = list(_txt_rows(text))
    seen: dict[str, int] = {}
    for r in rows:
        if r.id in seen:
            seen[r.id] += 1
            new = f"{r.id}#{seen[r.id]}"
            r.error = r.error  # a duplicate id is not an error: it is renamed and answered
            r.id = new
        else:
            seen[r.id] = 1
    return rows


def _txt_rows(text: str) -> Iterator[Row]:
    for n, line in enumerate(text.splitlines(), 1):
        q = line.strip()
        if not q or q.startswith("#"):
            continue
        yield Row(n, str(n), q)


def _csv_rows(text: str, path: Path) -> Iterator[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "question" not in fields:
        raise QAError(f"{path} has no 'question' column (columns: {', '.join(fields) or 'none'}).")
    reader.fieldnames = fields
    for record in reader:
        n = reader.line_num
        q = (record.get("question") or "").strip()
        rid = (record.get("id") or "").strip() or str(n)
        if not q:
            if any((v or "").strip() for v in record.values() if isinstance(v, str)):
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
            yield Row(n, str(n), None, f"malformed JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield Row(n, str(n), None, "expected a JSON object with a \"question\"")
            continue
        q = obj.get("question")
        rid = obj.get("id")
        rid = str(rid) if rid not in (None, "") else str(n)
        if not isinstance(q, str) or not q.strip():
            yield Row(n, rid, None, "missing or empty \"question\"")
            continue
        yield Row(n, rid, q.strip())


# --- writing --------------------------------------------------------------------------

CSV_CITATIONS = 3


def _csv_header(k: int) -> list[str]:
    cols = ["id", "question", "answer", "abstained", "confidence"]
    for i in range(1, k + 1):
        cols += [f"citation{i}_{f}" for f in ("doc", "start", "end", "section", "score", "text")]
    return cols


def format_record(answer: Answer, fmt: str, k: int = CSV_CITATIONS) -> str:
    """One answer in one output format, ending with a newline."""
    d = answer.to_json()
    if fmt == "jsonl":
        return json.dumps(d, ensure_ascii=False) + "\n"
    if fmt == "csv":
        row: list[object] = [d["id"], d["question"], d["answer"] or "", str(d["abstained"]).lower(), d["confidence"]]
        for c in d["citations"][:k]:
            row += [c["doc"], c["start"], c["end"], c["section"], c["score"], c["text"]]
        row += [""] * (len(_csv_header(k)) - len(row))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(row)
        return buf.getvalue()
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
    """Appends records to an output stream, flushing each one."""

    def __init__(self, stream: IO[str], fmt: str, *, header: bool = True, fsync: bool = False) -> None:
        self.stream = stream
        self.fmt = fmt
        self.fsync = fsync
        if header and fmt == "csv":
            csv.writer(stream, lineterminator="\n").writerow(_csv_header(CSV_CITATIONS))
            self._flush()

    def write(self, answer: Answer) -> None:
        self.stream.write(format_record(answer, self.fmt))
        self._flush()

    def _flush(self) -> None:
        self.stream.flush()
        if self.fsync:
            try:
                os.fsync(self.stream.fileno())
            except (OSError, io.UnsupportedOperation):
                pass


def completed_ids(path: Path, fmt: str) -> set[str]:
    """Ids already answered in an output file, after cutting off a partial last record."""
    if not path.exists():
        return set()
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    done: set[str] = set()
    keep = 0  # bytes of complete records
    if fmt == "jsonl":
        pos = 0
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            try:
                obj = json.loads(line)
                done.add(str(obj["id"]))
            except (ValueError, KeyError, TypeError):
                break
            pos += len(line.encode("utf-8"))
        keep = pos
    elif fmt == "csv":
        pos = 0
        lines = text.splitlines(keepends=True)
        if lines and lines[0].startswith("id,"):
            pos = len(lines[0].encode("utf-8"))
            body = "".join(lines[1:])
            # Only records ending in a newline are complete.
            complete = body[: body.rfind("\n") + 1] if "\n" in body else ""
            for rec in csv.reader(io.StringIO(complete, newline="")):
                if rec:
                    done.add(rec[0])
            pos += len(complete.encode("utf-8"))
        keep = pos
    else:
        marker = "<!-- qa:id="
        end = 0
        for line in text.splitlines(keepends=True):
            end += len(line.encode("utf-8"))
            if line.startswith(marker) and line.rstrip().endswith("-->"):
                try:
                    done.add(str(json.loads(line.strip()[len(marker) : -3].strip())))
                except ValueError:
                    continue
                keep = end
        # Keep the blank line that follows a record.
        if keep < len(raw) and raw[keep : keep + 1] == b"\n":
            keep += 1
    if keep < len(raw):
        with open(path, "r+b") as f:
            f.truncate(keep)
    return done
