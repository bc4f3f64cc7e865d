"""Questions and batch files: odd questions get a clear answer or message;
messy question files are read (bad rows reported by line number); results
are flushed as produced, and --resume continues a killed run without losing
or repeating an answer.
"""

from __future__ import annotations

import codecs
import json
import signal
from pathlib import Path

import pytest

from qa.bulk.questions import read_questions
from qa.bulk.writers import Writer, completed_ids
from qa.cli import batch as batch_command
from qa.cli import main
from qa.errors import QAError
from qa.models import Answer, Citation
from tests.conftest import GOLD
from tests.killing import kill_after_lines


def write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def no_crash(rc: int, err: str) -> None:
    assert rc in (0, 1), err
    assert "Traceback" not in err and "internal error" not in err, err


# --- questions ---------------------------------------------------------------------------

ODD_QUESTIONS = {
    "empty": ("", 1, "question is empty"),
    "whitespace": (" \t\n  ", 1, "question is empty"),
    "punctuation": ("?!?... ;-) —", 1, "no words"),
    "emoji": ("😀🤔❓", 1, "no words"),
    "long": ("What was the overall response rate? " * 2800, 0, ""),
    "spanish": ("¿Cuál fue la tasa de respuesta global?", 0, ""),
    "chinese": ("总体缓解率是多少？", 0, ""),
    "russian": ("Какова частота общего ответа?", 0, ""),
    "arabic": ("ما هو معدل الاستجابة الإجمالي؟", 0, ""),
    "one letter": ("x", 0, ""),
    "numbers": ("26.0% 95% CI 19.0–35.0", 0, ""),
    "markup": ("[bold]What[/bold] was the [red]ORR[/red]?", 0, ""),
}


@pytest.mark.parametrize("name", list(ODD_QUESTIONS))
def test_odd_questions_get_an_answer_or_a_clear_message(name: str, storm_dirs, capsys: pytest.CaptureFixture[str]) -> None:
    question, want_rc, message = ODD_QUESTIONS[name]
    corpus, index = storm_dirs
    if name == "long":
        assert len(question) > 100_000
    rc = main(["ask", "--corpus", str(corpus), "--index", str(index), question])
    out, err = capsys.readouterr()
    no_crash(rc, err)
    assert rc == want_rc, err
    if rc:
        assert err.startswith("qa: ") and message in err and out == ""
    else:
        assert out.startswith(("Answer:", "Not found", "Searched:")), out
        assert "(confidence " in out


def test_odd_questions_in_json(storm_dirs, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = storm_dirs
    for q in ("总体缓解率是多少？", "What was the overall response rate? " * 2800):
        rc = main(["ask", "--json", "--corpus", str(corpus), "--index", str(index), q])
        out, err = capsys.readouterr()
        no_crash(rc, err)
        ans = json.loads(out)
        assert isinstance(ans["abstained"], bool) and len(ans["question"]) <= 2000


# --- reading question files -------------------------------------------------------------


def test_txt_with_bom_crlf_blank_lines_and_comments(tmp_path: Path) -> None:
    p = write(tmp_path / "q.txt", codecs.BOM_UTF8 + b"What was the ORR?\r\n\r\n# a comment\r\n   \r\nHow many died?\r\n")
    rows = read_questions(p)
    assert [(r.line, r.id, r.question) for r in rows] == [(1, "1", "What was the ORR?"), (5, "5", "How many died?")]


def test_csv_with_bom_crlf_blank_lines_quotes_and_odd_headers(tmp_path: Path) -> None:
    text = (
        "\ufeffID , Question ,notes\r\n"
        "q1,What was the ORR?,x\r\n"
        "\r\n"
        'q2,"A question, with a comma and ""quotes""\r\nover two lines?",y\r\n'
        "q3,,only notes\r\n"
        "q4,How many died?\r\n"
    )
    rows = read_questions(write(tmp_path / "q.csv", text))
    got = [(r.line, r.id, r.question, r.error) for r in rows]
    assert got == [
        (2, "q1", "What was the ORR?", None),
        (4, "q2", 'A question, with a comma and "quotes"\r\nover two lines?', None),
        (6, "q3", None, "empty question"),
        (7, "q4", "How many died?", None),
    ]


def test_csv_without_a_question_column_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"no 'question' column \(columns: 'id', 'text'\)"):
        read_questions(write(tmp_path / "q.csv", "id,text\n1,What?\n"))


def test_csv_with_a_huge_field_and_utf16(tmp_path: Path) -> None:
    big = "why " * 60_000
    rows = read_questions(write(tmp_path / "q.csv", f"question\n{big}\nsecond?\n"))
    assert [len(r.question or "") for r in rows] == [len(big.strip()), 7]
    rows = read_questions(write(tmp_path / "u.csv", "id,question\n1,Qué pasó?\n".encode("utf-16")))
    assert [(r.id, r.question) for r in rows] == [("1", "Qué pasó?")]


def test_jsonl_bad_lines_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    lines = [
        '{"id": "a", "question": "What was the ORR?"}',
        "{not json",
        "",
        '["a", "list"]',
        '{"id": "b"}',
        '{"id": "c", "question": 42}',
        '{"id": "d", "question": "   "}',
        "[" * 100_000,
        '{"id": 7, "question": "Numeric id?"}',
        '{"question": "No id?"}',
    ]
    rows = read_questions(write(tmp_path / "q.jsonl", "\r\n".join(lines) + "\r\n"))
    got = {r.line: (r.id, r.question, r.error) for r in rows}
    assert got[1] == ("a", "What was the ORR?", None)
    assert got[2][2].startswith("malformed JSON")
    assert 3 not in got
    assert "JSON object" in got[4][2]
    assert got[5] == ("b", None, 'no "question" field')
    assert got[6][2] == '"question" is not a string' and got[7][2] == "empty question"
    assert got[8][2].startswith("malformed JSON")
    assert got[9] == ("7", "Numeric id?", None) and got[10] == ("10", "No id?", None)


def test_duplicate_ids_are_renamed_uniquely_and_noted(tmp_path: Path) -> None:
    lines = [json.dumps({"id": i, "question": f"Q{n}?"}) for n, i in enumerate(["a", "a", "a#2", "b", "a"])]
    rows = read_questions(write(tmp_path / "q.jsonl", "\n".join(lines)))
    ids = [r.id for r in rows]
    assert len(set(ids)) == 5 and ids[0] == "a" and ids[2] == "a#2" and ids[3] == "b"
    assert rows[1].note and "line 1" in rows[1].note and rows[0].note is None


def test_undecodable_and_binary_question_files(tmp_path: Path) -> None:
    notes: list[str] = []
    rows = read_questions(write(tmp_path / "q.txt", "Caf\xe9 question?\n".encode("cp1252")), notes)
    assert rows[0].question == "Café question?" and "cp1252" in notes[0]
    with pytest.raises(QAError, match="binary"):
        read_questions(write(tmp_path / "b.txt", b"\x00\x01\x02"))
    assert read_questions(write(tmp_path / "e.txt", b"")) == []
    rows = read_questions(write(tmp_path / "s.jsonl", '{"id": "\\ud800", "question": "Lone \\udc80 surrogate?"}\n'))
    assert rows[0].question == "Lone \ufffd surrogate?" and rows[0].id == "\ufffd"


# --- resuming: cut an output file anywhere ------------------------------------------------


def answer(i: int) -> Answer:
    text = f"Sentence {i} with ünïcode, a comma, \"quotes\"\nand a line break."
    return Answer(
        question=f"Question {i}, «quoted»?",
        answer=None if i % 2 else f"{i} months",
        abstained=bool(i % 2),
        citations=[Citation("doc.txt", i, i + len(text), text, "Efficacy › ORR", 0.5)],
        confidence=0.25,
        id=f"id-{i}",
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "md"])
def test_resume_after_a_cut_at_every_byte(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"out.{fmt}"
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = Writer(f, fmt)
        ends = []
        for i in range(3):
            w.write(answer(i))
            f.flush()
            ends.append(out.stat().st_size)
    full = out.read_bytes()
    for cut in range(len(full) + 1):
        out.write_bytes(full[:cut])
        done = completed_ids(out, fmt)
        n = sum(1 for e in ends if e <= cut)
        assert done == {f"id-{i}" for i in range(n)}, (cut, done)
        kept = out.read_bytes()
        # Only the cut-off record is removed; the complete ones stay byte for byte.
        assert full.startswith(kept) and len(kept) >= (ends[n - 1] if n else 0) and len(kept) <= cut


@pytest.mark.parametrize(
    "fmt, content",
    [("jsonl", "id,question\n1,What?\n"), ("csv", '{"id": "1"}\n'), ("md", "Some notes of mine\n"), ("jsonl", '{"id": "1"}\nnot json\n{"id": "2"}\n')],
)
def test_resume_refuses_a_file_it_did_not_write_and_leaves_it_alone(fmt: str, content: str, tmp_path: Path) -> None:
    out = write(tmp_path / f"out.{fmt}", content)
    with pytest.raises(QAError, match="Cannot resume"):
        completed_ids(out, fmt)
    assert out.read_text() == content


# --- batch runs ------------------------------------------------------------------------


class FakeEngine:
    """Answers instantly; checks that earlier answers are on disk before each chunk."""

    def __init__(self, out: Path | None = None) -> None:
        self.out = out
        self.asked: list[str] = []
        self.seen_on_disk: list[int] = []

    def encode_ahead(self, questions):  # type: ignore[no-untyped-def]
        pass

    def ask_many(self, questions, *, k=None, ids=None):
        if self.out is not None and self.out.exists():
            self.seen_on_disk.append(sum(1 for _ in open(self.out, encoding="utf-8")))
        self.asked.extend(ids)
        return [answer_for(q, i) for q, i in zip(questions, ids, strict=True)]

    def ask(self, question, *, k=None, previous=None, id=None):
        return self.ask_many([question], ids=[id])[0]


def answer_for(q: str, rid: str) -> Answer:
    return Answer(q, "x", False, [Citation("d.txt", 0, 1, "x", "", 1.0)], 0.9, id=rid)


def big_question_file(path: Path, n: int) -> tuple[Path, list[int], int]:
    """n good rows, with a BOM, CRLF, blank lines, bad rows and duplicate ids
    mixed in; returns the path, the bad rows' line numbers and the number of rows to answer."""
    lines, bad, dups = [], [], 0
    for i in range(n):
        lines.append(json.dumps({"id": f"q{i}", "question": f"What about item {i}?"}, ensure_ascii=False))
        if i % 1000 == 500:
            lines.append("")
            lines.append("{broken json")
            bad.append(len(lines))
            lines.append(json.dumps({"id": "q1", "question": "A duplicate id?"}))
            dups += 1
    write(path, codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    return path, bad, n + dups


def test_ten_thousand_rows_flushed_as_produced_then_resumed_after_a_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    q, bad_lines, to_answer = big_question_file(tmp_path / "q.jsonl", 10_000)
    out = tmp_path / "out.jsonl"
    fake = FakeEngine(out)
    monkeypatch.setattr(batch_command, "open_engine", lambda args, **kw: fake)
    rc = main(["batch", str(q), "-o", str(out), "--chunk", "500"])
    err = capsys.readouterr().err
    assert rc == 1  # some lines were bad
    for line in bad_lines:
        assert f"q.jsonl:{line}: malformed JSON" in err
    assert "is also on line" in err
    records = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == to_answer == 10_010
    # Each chunk was asked only after every earlier answer was on disk.
    assert fake.seen_on_disk == [500 * i for i in range(len(fake.seen_on_disk))]
    # A crash mid-record, then --resume: nothing lost, nothing twice.
    full = out.read_bytes()
    out.write_bytes(full[: len(full) * 2 // 3 + 17])
    fake2 = FakeEngine()
    monkeypatch.setattr(batch_command, "open_engine", lambda args, **kw: fake2)
    rc = main(["batch", str(q), "-o", str(out), "--resume"])
    err = capsys.readouterr().err
    assert "Resuming:" in err
    again = [json.loads(x)["id"] for x in out.read_text("utf-8").splitlines()]
    assert sorted(again) == sorted(ids) and len(again) == len(set(again))
    assert 0 < len(fake2.asked) < len(ids) / 2
    assert out.read_bytes() == full  # the same file as an uninterrupted run


def test_a_question_that_breaks_the_engine_is_reported_and_the_rest_answered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class Fragile(FakeEngine):
        def ask_many(self, questions, *, k=None, ids=None):
            if any("boom" in q for q in questions):
                raise ValueError("engine bug")
            return super().ask_many(questions, k=k, ids=ids)

    q = write(tmp_path / "q.txt", "first?\nboom?\nthird?\n")
    out = tmp_path / "o.csv"
    monkeypatch.setattr(batch_command, "open_engine", lambda args, **kw: Fragile())
    rc = main(["batch", str(q), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and "q.txt:2: could not be answered (internal error: ValueError: engine bug)" in err
    assert [ln.split(",")[0] for ln in out.read_text().splitlines()[1:]] == ["1", "3"]


def test_batch_guards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = write(tmp_path / "q.jsonl", '{"question": "What?"}\n')
    assert main(["batch", str(q), "-o", str(q)]) == 1
    assert "is the question file itself" in capsys.readouterr().err
    assert q.read_text() == '{"question": "What?"}\n'
    assert main(["batch", str(q), "--resume"]) == 1
    assert "--resume needs --output" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "missing.txt")]) == 1
    assert "does not exist" in capsys.readouterr().err
    csvq = write(tmp_path / "q.csv", "id,text\n1,x\n")
    assert main(["batch", str(csvq)]) == 1
    assert "no 'question' column" in capsys.readouterr().err


def test_batch_with_the_real_model_and_hostile_rows(storm_dirs, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = storm_dirs
    rows = [
        {"id": "orr", "question": "What was the overall response rate?"},
        {"id": "nul", "question": "What\u0000 was the median duration of response?"},
        {"id": "esc", "question": "\u001b[2J[bold]How many patients died?[/bold]"},
        {"id": "sur", "question": "Lone \udc80 surrogate: what dose of selinexor?"},
        {"id": "zh", "question": "总体缓解率是多少？"},
        {"id": "empty", "question": ""},
        {"id": "punct", "question": "?!"},
    ]
    q = write(tmp_path / "q.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    for fmt in ("jsonl", "csv", "md"):
        out = tmp_path / f"out.{fmt}"
        rc = main(["batch", str(q), "-o", str(out), "--corpus", str(corpus), "--index", str(index)])
        err = capsys.readouterr().err
        no_crash(rc, err)
        assert rc == 1 and "q.jsonl:6: empty question" in err and "q.jsonl:7: the question has no words in it" in err
        assert completed_ids(out, fmt) == {"orr", "nul", "esc", "sur", "zh"}
    text = (corpus / next(p.name for p in corpus.iterdir())).read_text("utf-8")
    for rec in map(json.loads, (tmp_path / "out.jsonl").read_text("utf-8").splitlines()):
        for c in rec["citations"]:
            assert text[c["start"] : c["end"]] == c["text"]
    # To a terminal-less stdout, JSONL still escapes what a terminal would act on.
    rc = main(["batch", str(q), "--corpus", str(corpus), "--index", str(index)])
    out, err = capsys.readouterr()
    assert "\x1b" not in out and "\x00" not in out and len(out.splitlines()) == 5


def test_resume_after_sigkill_mid_run(storm_dirs, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = storm_dirs
    gold = [json.loads(x)["question"] for x in GOLD.read_text("utf-8").splitlines() if x.strip()]
    questions = [{"id": f"g{i}", "question": gold[i % len(gold)]} for i in range(160)]
    q = write(tmp_path / "q.jsonl", "\n".join(json.dumps(r) for r in questions) + "\n")
    out = tmp_path / "out.jsonl"
    rc, err = kill_after_lines(["batch", str(q), "-o", str(out), "--chunk", "4", "--corpus", str(corpus), "--index", str(index)],
                               out, 20)
    assert rc == -signal.SIGKILL, err
    before = out.read_bytes().count(b"\n")
    assert 20 <= before < 160
    rc = main(["batch", str(q), "-o", str(out), "--resume", "--chunk", "64", "--corpus", str(corpus), "--index", str(index)])
    resumed = capsys.readouterr().err
    assert rc == 0, resumed
    assert f"Resuming: {before} answer(s)" in resumed
    records = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    ids = [r["id"] for r in records]
    assert sorted(ids) == sorted(r["id"] for r in questions) and len(set(ids)) == len(ids) == 160
    by_id = {r["id"]: r["question"] for r in questions}
    assert all(r["question"] == by_id[r["id"]] for r in records)


@pytest.mark.parametrize("command", ["ask", "batch", "grid"])
@pytest.mark.parametrize(("k", "says"), [("0", "must be 1 or more"), ("-2", "must be 1 or more"), ("three", "expected a whole number")])
def test_a_count_of_citations_below_one_is_a_usage_error(command: str, k: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([command, "-k", k, "questions.txt"])
    assert stop.value.code == 2
    assert f"argument -k: {says}" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--corpus", "trials"], ["chat", "--corpus", "trials"]])
def test_qa_with_options_and_no_command_opens_the_chat(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.cli.parser

    opened: list[Path] = []
    monkeypatch.setattr(qa.cli.parser, "cmd_chat", lambda args: opened.append(args.corpus) or 0)
    assert main(argv) == 0
    assert opened == [Path("trials") if argv else qa.cli.parser.default_corpus_dir()]
