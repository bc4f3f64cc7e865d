"""Property-based and fuzz tests (hypothesis).

For any text: every unit's quote is text[start:end], units are in order and
never overlap, and nothing crashes. Random bytes as a corpus file and random
strings as questions never crash the CLI (run in-process, so the model is
loaded once).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from qa.bulk.questions import read_questions
from qa.bulk.writers import completed_ids
from qa.cli import main
from qa.errors import QAError
from qa.reading.files import decode, looks_binary
from qa.reading.sentences import sentence_spans, split_long
from qa.reading.units import units_of
from qa.safe import json_text, one_line, printable

FAST = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Pieces of clinical prose and layout, to reach the parser's special cases far
# more often than uniformly random text does.
PIECES = [
    "The", "median", "overall", "survival", "was", "8.6", "months", "(95% CI, 6.2–9.9)", "in", "patients",
    "et al.", "Fig. 2", "e.g.", "i.e.", "vs.", "U.S.", "Dr.", "A.", "n=32", "26.0%", "myeloma.1", "[1]",
    ".", ". ", "! ", "? ", "; ", ": ", ", ", "...", "“", "”", "\"", "'", "(", ")", "[", "]",
    " ", "  ", "\t", "\n", "\n\n", "\r\n", "\ufeff", "\xa0", "\u2028",
    "- ", "* ", "• ", "  - ", "    • ", "1. ", "2) ", "(a) ", "# ", "## Results", "### ", "References",
    "Download this article", "http://example.org/x", "doi: 10.1056/x", "2019-05-01", "Efficacy",
    "Safety (n=123)", "[bold]", "\x1b[31m", "\x00", "é", "漢字", "😀", "ß", "İ",
]
prose = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=120).map("".join)
any_text = st.text(max_size=600) | prose


def check_spans(text: str, spans: list[tuple[int, int]], start: int, end: int) -> None:
    prev = start
    for s, e in spans:
        assert prev <= s < e <= end, (prev, s, e)
        prev = e


@FAST
@given(any_text)
@example("")
@example("a" * 5000)
@example("Dr. A. B. et al. vs. Fig. 2. " * 40)
@example("- x\n" + "  " * 300 + "- deep\n")
def test_units_are_verbatim_ordered_and_disjoint(text: str) -> None:
    units = units_of(0, text)
    check_spans(text, [(u.start, u.end) for u in units], 0, len(text))
    for u in units:
        assert text[u.start : u.end] == u.text
        assert u.text and u.text[0] not in " \t\r\n" and u.text[-1] not in " \t\r\n"
        assert sum(c.isalnum() for c in u.text) >= 2
        assert isinstance(u.section, tuple) and all(isinstance(s, str) for s in u.section)


@FAST
@given(any_text, st.data())
def test_sentence_spans_cover_every_word_of_their_range(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    spans = sentence_spans(text, start, end)
    check_spans(text, spans, start, end)
    covered = set()
    for s, e in spans:
        assert text[s : e] == text[s:e].strip()
        covered.update(range(s, e))
    # Only space (and byte-order marks) falls between sentences.
    assert all(text[i].isspace() or text[i] == "\ufeff" for i in range(start, end) if i not in covered)


@FAST
@given(any_text, st.integers(20, 500))
def test_split_long_keeps_offsets(text: str, limit: int) -> None:
    text = text.strip()
    assume(text)
    parts = split_long(text, 0, len(text), limit)
    check_spans(text, parts, 0, len(text))


@FAST
@given(st.binary(max_size=3000))
def test_decoding_and_binary_detection_never_fail(data: bytes) -> None:
    text, encoding = decode(data)
    assert encoding in ("utf-8", "utf-16", "cp1252", "latin-1") and isinstance(text, str)
    assert isinstance(looks_binary(data), bool)
    units_of(0, text)


@FAST
@given(st.text(alphabet=st.characters(), max_size=300))  # surrogates included
def test_printable_is_one_for_one_and_inert(text: str) -> None:
    shown = printable(text)
    assert len(shown) == len(text)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", shown)
    shown.encode("utf-8")  # always printable on a UTF-8 terminal
    assert "\n" not in one_line(text)


@FAST
@given(st.recursive(st.text(alphabet=st.characters(), max_size=40) | st.integers() | st.none(),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4), max_leaves=12))
def test_json_text_is_lossless_and_inert(obj) -> None:
    s = json_text(json.dumps(obj, ensure_ascii=False))
    assert json.loads(s) == obj
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]", s)


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["q.txt", "q.csv", "q.jsonl"]))
def test_any_question_file_reads_or_is_refused_clearly(tmp_path_factory, data: bytes, name: str) -> None:
    path = tmp_path_factory.getbasetemp() / "prop-questions" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    try:
        rows = read_questions(path)
    except QAError:
        return
    assert len({r.id for r in rows}) == len(rows)
    for r in rows:
        assert (r.question is None) != (r.error is None)
        assert r.line >= 1


@FAST
@given(st.binary(max_size=1500) | prose.map(lambda t: t.encode("utf-8", "surrogatepass")), st.sampled_from(["jsonl", "csv", "md"]))
def test_resume_never_cuts_more_than_a_partial_tail(tmp_path_factory, data: bytes, fmt: str) -> None:
    path = tmp_path_factory.getbasetemp() / "prop-resume" / f"out.{fmt}"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    try:
        done = completed_ids(path, fmt)
    except QAError:
        assert path.read_bytes() == data  # refused: left exactly as it was
        return
    kept = path.read_bytes()
    assert data.startswith(kept) and all(isinstance(i, str) for i in done)


# --- the CLI, in-process -----------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def assert_no_crash(rc: int, err: str) -> None:
    assert rc in (0, 1), err
    assert "internal error" not in err and "Traceback" not in err, err


@SLOW
@given(st.text(max_size=400) | prose)
@example("\x00")
@example("\x1b[2J" * 50)
@example("?" * 100_000)
@example("a " * 60_000)
@example("-:")
def test_random_questions_never_crash_the_cli(storm_dirs, question: str) -> None:
    corpus, index = storm_dirs
    rc, out, err = run_cli(["ask", "--corpus", str(corpus), "--index", str(index), "--", question])
    assert_no_crash(rc, err)
    assert "\x1b" not in out + err
    rc, out, err = run_cli(["ask", "--json", "--corpus", str(corpus), "--index", str(index), "--", question])
    assert_no_crash(rc, err)
    if rc == 0:
        json.loads(out)


@pytest.fixture(scope="module")
def fuzz_dirs(storm_dirs, tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(storm_dirs[0], base / "corpus")
    shutil.copytree(storm_dirs[1], base / "index", ignore=shutil.ignore_patterns(".lock"))
    return base / "corpus", base / "index"


@SLOW
@given(st.binary(max_size=4000) | prose.map(lambda t: t.encode("utf-8", "surrogatepass")) | st.binary(max_size=50).map(lambda b: b"\xff\xfe" + b))
@example(b"")
@example(b"\x00" * 100)
@example("The trial enrolled 12 patients.".encode("utf-16"))
def test_random_bytes_as_a_corpus_file_never_crash_the_cli(fuzz_dirs, data: bytes) -> None:
    corpus, index = fuzz_dirs
    (corpus / "random.txt").write_bytes(data)
    rc, out, err = run_cli(["index", "--corpus", str(corpus), "--index", str(index)])
    assert rc == 0, err  # the good document is always indexable
    assert_no_crash(rc, err)
    rc, out, err = run_cli(["ask", "--corpus", str(corpus), "--index", str(index), "What was the overall response rate?"])
    assert rc == 0, err
    for c in ("\x1b", "\x00", "\x9b"):
        assert c not in out + err
    rc, out, _ = run_cli(["ask", "--json", "-k", "50", "--corpus", str(corpus), "--index", str(index), "trial patients"])
    text = decode(data)[0]
    for c in json.loads(out)["citations"]:
        if c["doc"] == "random.txt":
            assert text[c["start"] : c["end"]] == c["text"]
