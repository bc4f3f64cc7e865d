"""`qa grid`: every question asked of every document, in csv, md, xlsx or jsonl, with
a quote behind every cell; written as the cells come, resumed after a kill without
losing or repeating a cell; bad question lines reported by line; the rct preset."""

from __future__ import annotations

import csv
import io
import json
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest

from qa.answering.scope import resolve
from qa.bulk.grid import GridQuestion, cell_text, cell_value, key_of
from qa.bulk.gridfiles import grid_paths, write_grid
from qa.bulk.presets import preset_rows
from qa.bulk.questions import read_questions
from qa.cli import grid as grid_command
from qa.cli import main
from qa.models import Answer, Citation, Finding
from tests.killing import kill_after_lines

QUESTIONS = "id,question\nn,How many participants were randomised?\nfollow,How long was the follow-up?\nfunder,Who funded the trial?\n"
RCT_IDS = ["design", "population", "n_randomised", "intervention", "comparator", "primary_outcome",
           "primary_result", "follow_up", "adverse_events", "funding", "registration"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def record(doc: str, qid: str, *, answer: str | None = "42", abstained: bool = False, confidence: float = 0.9,
           finding: dict[str, object] | None = None) -> dict[str, object]:
    return {"doc": doc, "question_id": qid, "question": f"{qid}?", "answer": answer, "abstained": abstained,
            "confidence": confidence, "finding": finding,
            "citations": [{"doc": doc, "start": 3, "end": 9, "text": "a | quote", "section": "Results", "score": 1.0,
                           "page": 2, "page_end": 2, "table": "Table 1"}]}


# --- with the real engine -----------------------------------------------------------------


def test_a_grid_in_every_format(trials_dirs, trials_engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = trials_dirs
    common = ["--corpus", str(corpus), "--index", str(index)]
    q = write(tmp_path / "q.csv", QUESTIONS)
    docs = ["walking.txt", "warmpack.txt", "zinc.txt"]
    for fmt in ("csv", "md", "jsonl", "xlsx"):
        out = tmp_path / fmt / f"grid.{fmt}"
        assert main(["grid", *common, str(q), "-o", str(out)]) == 0, capsys.readouterr().err
        err = capsys.readouterr().err
        assert "Answered 9 cell(s) of 3 document(s) × 3 question(s)" in err
        journal = grid_paths(out, fmt).journal
        cells = [json.loads(x) for x in journal.read_text("utf-8").splitlines()]
        assert [(c["doc"], c["question_id"]) for c in cells] == [(d, i) for d in docs for i in ("n", "follow", "funder")]
        for c in cells:
            assert list(c) == ["doc", "question_id", "question", "answer", "abstained", "confidence", "finding", "citations"]
            assert c["finding"] is None
            for cite in c["citations"]:
                assert cite["doc"] == c["doc"] and set(cite) == {"doc", "start", "end", "text", "section", "score", "page", "page_end", "table"}
                assert trials_engine.document_text(cite["doc"])[cite["start"] : cite["end"]] == cite["text"]
        by_cell = {(c["doc"], c["question_id"]): c for c in cells}
        assert "412" in by_cell[("zinc.txt", "n")]["answer"] and "6 weeks" in by_cell[("warmpack.txt", "follow")]["answer"]
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
            assert rows[0] == ["document", "n", "follow", "funder"] and [r[0] for r in rows[1:]] == docs
            assert rows[3][1] == cell_text(by_cell[("zinc.txt", "n")])
            quotes = list(csv.DictReader(io.StringIO((tmp_path / "csv" / "grid.quotes.csv").read_text("utf-8"))))
            assert len(quotes) == 9
            for r in quotes:
                assert trials_engine.document_text(r["document"])[int(r["start"]) : int(r["end"])] == r["quote"]
        elif fmt == "md":
            table = [ln for ln in out.read_text("utf-8").splitlines() if ln.startswith("| ")]
            assert table[0] == "| document | n | follow | funder |" and len(table) == 5
            assert len([ln for ln in (tmp_path / "md" / "grid.quotes.md").read_text("utf-8").splitlines() if ln.startswith("| ")]) == 11
        elif fmt == "xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(out)
            assert wb.sheetnames == ["Grid", "Quotes"]
            grid = wb["Grid"]
            assert [c.value for c in grid[1]] == ["document", "n", "follow", "funder"]
            assert [grid.cell(r, 1).value for r in range(2, 5)] == docs
            assert grid["B1"].comment.text == "How many participants were randomised?"
            assert grid.cell(4, 2).value == cell_value(by_cell[("zinc.txt", "n")])
            assert wb["Quotes"].max_row == 10
    # --docs picks the rows.
    out = tmp_path / "some.csv"
    assert main(["grid", *common, str(q), "-o", str(out), "--docs", "w*"]) == 0
    assert [r[0] for r in csv.reader(io.StringIO(out.read_text("utf-8")))][1:] == ["walking.txt", "warmpack.txt"]
    capsys.readouterr()


def test_the_registration_column_holds_each_trial_s_registry_number(trials_engine) -> None:
    from qa.bulk.presets import preset_rows

    question = next(r.question for r in preset_rows("rct") if r.id == "registration")
    docs = ["walking.txt", "warmpack.txt", "zinc.txt"]
    answers = trials_engine.ask_many([question or ""] * 3, docs=[[d] for d in docs])
    got = {d: (a.abstained, a.answer) for d, a in zip(docs, answers, strict=True)}
    assert got["warmpack.txt"] == (False, "NCT01234567") and got["zinc.txt"] == (False, "ISRCTN55555555")
    assert got["walking.txt"][1] is None  # it names no registry: no number is read off


def test_the_rct_preset_prints_as_an_editable_question_file(trials_dirs, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grid", "--preset", "rct", "--print"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("id,question\n")
    printed = write(tmp_path / "rct.csv", text)
    rows = read_questions(printed)
    assert [r.id for r in rows] == RCT_IDS == [r.id for r in preset_rows("rct")]
    assert [r.question for r in rows] == [r.question for r in preset_rows("rct")]
    corpus, index = trials_dirs
    out = tmp_path / "rct.md"
    assert main(["grid", "--corpus", str(corpus), "--index", str(index), "--preset", "rct", "-o", str(out), "--docs", "zinc.txt"]) == 0
    assert "Answered 11 cell(s) of 1 document(s) × 11 question(s)" in capsys.readouterr().err
    assert "| zinc.txt |" in out.read_text("utf-8")


def test_resume_after_sigkill_mid_run(trials_dirs, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = trials_dirs
    phrasings = ["How many participants were randomised?", "How long was the follow-up?", "Who funded the trial?",
                 "What was the primary outcome?", "What did the control group receive?"]
    q = write(tmp_path / "q.jsonl", "".join(json.dumps({"id": f"q{i}", "question": f"{phrasings[i % 5]} ({i})"}) + "\n" for i in range(60)))
    out = tmp_path / "grid.csv"
    journal = grid_paths(out, "csv").journal
    rc, err = kill_after_lines(["grid", str(q), "-o", str(out), "--chunk", "1", "--corpus", str(corpus), "--index", str(index)],
                               journal, 70)
    assert rc == -signal.SIGKILL, err
    before = journal.read_bytes().count(b"\n")
    assert 70 <= before < 180
    rc = main(["grid", str(q), "-o", str(out), "--resume", "--corpus", str(corpus), "--index", str(index)])
    resumed = capsys.readouterr().err
    assert rc == 0, resumed
    assert f"Resuming: {before} of 180 cells already in {journal}" in resumed
    cells = [json.loads(x) for x in journal.read_text("utf-8").splitlines()]
    keys = [(c["doc"], c["question_id"]) for c in cells]
    assert len(keys) == len(set(keys)) == 180
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert [r[0] for r in rows] == ["document", "walking.txt", "warmpack.txt", "zinc.txt"] and all(len(r) == 61 for r in rows)
    assert all(all(r[1:]) for r in rows[1:])  # no cell lost
    quotes = list(csv.reader(io.StringIO((tmp_path / "grid.quotes.csv").read_text("utf-8"))))
    assert len(quotes) == 181 and len({(r[0], r[1]) for r in quotes[1:]}) == 180


# --- with a stand-in engine ---------------------------------------------------------------


class FakeEngine:
    """Answers instantly; records what it was asked and what was on disk before each chunk."""

    def __init__(self, docs: list[str], journal: Path | None = None) -> None:
        self.index = SimpleNamespace(docs=[SimpleNamespace(path=d) for d in docs])
        self.journal = journal
        self.asked: list[tuple[str, str]] = []
        self.seen_on_disk: list[int] = []

    def resolve_docs(self, pattern: str) -> list[str]:
        return resolve([d.path for d in self.index.docs], pattern)

    def encode_ahead(self, questions):  # type: ignore[no-untyped-def]
        pass

    def ask_many(self, questions, *, k=None, ids=None, docs=None):  # type: ignore[no-untyped-def]
        if self.journal is not None and self.journal.exists():
            self.seen_on_disk.append(self.journal.read_bytes().count(b"\n"))
        out = []
        for q, i, d in zip(questions, ids, docs, strict=True):
            self.asked.append((d[0], i))
            if "boom" in q:
                raise ValueError("engine bug")
            n = int(i.lstrip("q") or 0)
            finding = Finding("significantly decreased", 0.93) if n % 4 == 1 else None
            out.append(Answer(q, None if n % 3 == 0 else f"{d[0]} {i}", n % 5 == 4, [Citation(d[0], 0, 5, f"Quote, {i}", "", 1.0)],
                              0.6 if n % 2 else 0.9, id=i, finding=finding))
        return out

    def ask(self, question, *, k=None, previous=None, id=None, docs=None):  # type: ignore[no-untyped-def]
        return self.ask_many([question], ids=[id], docs=[docs])[0]


def fake_run(monkeypatch: pytest.MonkeyPatch, engine: FakeEngine, *argv: str) -> int:
    monkeypatch.setattr(grid_command, "open_engine", lambda args, **kw: engine)
    return main(["grid", *argv])


DOCS = [f"d{i:02d}.txt" for i in range(12)]


@pytest.mark.parametrize("fmt", ["csv", "md", "jsonl", "xlsx"])
def test_resume_after_a_cut_anywhere_loses_and_repeats_no_cell(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    q = write(tmp_path / "q.jsonl", "".join(json.dumps({"id": f"q{i}", "question": f"Question {i}?"}) + "\n" for i in range(7)))
    out = tmp_path / f"grid.{fmt}"
    paths = grid_paths(out, fmt)
    first = FakeEngine(DOCS, paths.journal)
    assert fake_run(monkeypatch, first, str(q), "-o", str(out), "--chunk", "5") == 0
    # Each chunk was asked only once every earlier cell was in the journal.
    assert first.seen_on_disk == [5 * i for i in range(len(first.seen_on_disk))] and len(first.asked) == 84
    whole = {p: p.read_bytes() for p in paths.all()}
    journal = whole[paths.journal]
    for cut in (0, 1, len(journal) // 3, len(journal) // 2 + 7, len(journal) - 1):
        paths.journal.write_bytes(journal[:cut])
        if paths.quotes is not None:  # the tables as a kill could leave them: a row cut short
            paths.main.write_bytes(whole[paths.main][: len(whole[paths.main]) // 2])
            paths.quotes.write_bytes(whole[paths.quotes][:100])
        again = FakeEngine(DOCS)
        assert fake_run(monkeypatch, again, str(q), "-o", str(out), "--resume") == 0
        kept = journal[:cut].count(b"\n")
        assert len(again.asked) == 84 - kept and len(set(again.asked)) == len(again.asked)
        for p, data in whole.items():
            if fmt == "xlsx" and p == paths.main:
                import openpyxl

                got = [[c.value for c in row] for row in openpyxl.load_workbook(p)["Grid"].iter_rows()]
                want = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(data))["Grid"].iter_rows()]
                assert got == want
            else:
                assert p.read_bytes() == data, (p, cut)  # the same files as an uninterrupted run
    capsys.readouterr()


def test_bad_question_lines_and_failing_cells_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    q = write(tmp_path / "q.jsonl", '{"id": "q1", "question": "First?"}\n{broken\n{"id": "q2", "question": "boom?"}\n{"id": "q3", "question": ""}\n')
    out = tmp_path / "grid.csv"
    assert fake_run(monkeypatch, FakeEngine(["a.txt", "b.txt"]), str(q), "-o", str(out)) == 1
    err = capsys.readouterr().err
    assert "q.jsonl:2: malformed JSON" in err and "q.jsonl:4: empty question; skipped" in err
    assert "q.jsonl:3: a.txt: could not be answered (internal error: ValueError: engine bug); skipped" in err
    assert "2 cell(s) failed" in err and "2 line(s) skipped" in err
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert rows == [["document", "q1", "q2"], ["a.txt", "a.txt q1 · ↓ sig. decreased (?)", ""], ["b.txt", "b.txt q1 · ↓ sig. decreased (?)", ""]]
    # --resume asks the failed cells again (and only them).
    again = FakeEngine(["a.txt", "b.txt"])
    write(q, '{"id": "q1", "question": "First?"}\n{"id": "q2", "question": "Second?"}\n')
    assert fake_run(monkeypatch, again, str(q), "-o", str(out), "--resume") == 0
    assert again.asked == [("a.txt", "q2"), ("b.txt", "q2")]
    # A question changed under the same id is not resumed into.
    write(q, '{"id": "q1", "question": "Something else?"}\n{"id": "q2", "question": "Second?"}\n')
    assert fake_run(monkeypatch, FakeEngine(["a.txt"]), str(q), "-o", str(out), "--resume") == 1
    assert "answers 'q1' as 'First?', but the questions now ask 'Something else?'" in capsys.readouterr().err


def test_grid_guards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    q = write(tmp_path / "q.csv", QUESTIONS)
    fake = FakeEngine(["a.txt"])
    for argv, message in (
        ([str(q)], "needs --output"),
        ([str(q), "--preset", "rct", "-o", "x.csv"], "not both"),
        (["-o", "x.csv"], "Give a question file or --preset rct"),
        (["--print"], "--print writes out a preset"),
        (["--preset", "nope", "--print"], "No question preset 'nope'"),
        ([str(q), "-o", str(tmp_path / "x.txt")], "Unknown output format 'txt'"),
        ([str(q), "-o", str(q), "--format", "jsonl"], "would be overwritten"),
        ([str(q), "-o", str(tmp_path / "x.csv"), "--docs", "zz*"], "No document in the corpus matches 'zz*'"),
    ):
        assert fake_run(monkeypatch, fake, *argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("qa: ") and message in err and "Traceback" not in err, (argv, err)
    foreign = write(tmp_path / "foreign.jsonl", "not a grid\n")
    assert fake_run(monkeypatch, fake, str(q), "-o", str(foreign), "--resume") == 1
    assert "Cannot resume into" in capsys.readouterr().err and foreign.read_text() == "not a grid\n"


# --- what a cell shows ----------------------------------------------------------------------


def test_cells_show_the_answer_else_the_quote_marked_low_not_found_and_finding() -> None:
    assert cell_text(record("a", "q")) == "42"
    assert cell_text(record("a", "q", answer=None)) == "a | quote"
    assert cell_text(record("a", "q", confidence=0.6)) == "42 (?)"
    assert cell_text(record("a", "q", abstained=True, confidence=0.3)) == "—"
    found = record("a", "q", finding={"label": "significantly increased", "probability": 0.91})
    assert cell_text(found) == "42 · ↑ sig. increased"
    assert cell_text(None) == ""


def test_xlsx_marks_low_confidence_and_not_found(tmp_path: Path) -> None:
    import openpyxl

    qs = [GridQuestion("q1", "One?"), GridQuestion("q2", "Two?"), GridQuestion("q3", "Three?")]
    finding = {"label": "no significant difference", "probability": 0.88}
    recs = {key_of("a.txt", "q1"): record("a.txt", "q1", confidence=0.62),
            key_of("a.txt", "q2"): record("a.txt", "q2", abstained=True, confidence=0.2),
            key_of("a.txt", "q3"): record("a.txt", "q3", finding=finding)}
    out = tmp_path / "g.xlsx"
    assert write_grid(out, "xlsx", ["a.txt"], qs, recs) == [out]
    wb = openpyxl.load_workbook(out)
    grid, quotes = wb["Grid"], wb["Quotes"]
    low, missing, found = grid["B2"], grid["C2"], grid["D2"]
    assert low.value == "42" and low.fill.fgColor.rgb.endswith("FFF2CC") and "Low confidence (0.62" in low.comment.text
    assert missing.value == "not found" and missing.comment is None
    assert found.value == "42 · = no sig. difference" and found.comment is None
    header = [c.value for c in quotes[1]]
    row = dict(zip(header, [c.value for c in quotes[4]], strict=True))
    assert row["finding"] == "no significant difference" and row["finding_probability"] == 0.88
    assert row["quote"] == "a | quote" and row["page"] == 2 and row["table"] == "Table 1" and row["start"] == 3
    md = tmp_path / "g.md"
    write_grid(md, "md", ["a.txt"], qs, recs)
    assert "| a.txt | 42 (?) | — | 42 · = no sig. difference |" in md.read_text("utf-8")
    assert "| a.txt | q3 | 42 | 0.90 | no significant difference (model confidence 0.88) | a \\| quote | 3–9, p. 2, Table 1, Results |" in (tmp_path / "g.quotes.md").read_text("utf-8")
