"""Hostile corpora and hostile text on screen.

One corpus holds every kind of bad file at once (non-UTF-8, UTF-16, binary,
empty, a 50 MB file, an unreadable file, a file that vanishes mid-build, a
symlink loop, a dangling link, a FIFO, file names with escape sequences and
invalid UTF-8): each is skipped or handled with a warning naming it, and the
rest is indexed with verbatim offsets. The CLI then shows document text,
questions and file names literally, with control characters neutralised.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.cli import main
from qa.config import Settings
from qa.index import build
from qa.index.embed import Embedder
from qa.index.refresh import open_index
from qa.reading.files import corpus_files, decode
from tests.conftest import SEED_CORPUS

RAW_CONTROLS = ["\x1b", "\x07", "\x9b", "\u202e", "\x00", "\r"]

EVIL = (
    "Evil trial of \x1b[31mredcolumab\x1b[0m [bold]versus[/bold] placebo\n\n"
    "The \x1b]0;pwned\x07overall survival with redcolumab was [bold red]31 months[/bold red] "
    "in the [link=http://evil.example]evil arm[/link].\n\n"
    "Clearing \x1b[2J\x1b[H the screen, \x9b31m a C1 escape, \u202eoverride and a bell\x07 were in the source.\n"
)

HUGE_BYTES = 50 * 1024 * 1024


class Hashing:
    """A stand-in model (hash-seeded random unit vectors) for tests about
    corpus handling at scale, not about answers."""

    dimension = 384

    def __init__(self) -> None:
        self.texts = 0

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.texts += len(texts)
        out = np.empty((len(texts), 384), np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(384)
            out[i] = v / np.linalg.norm(v)
        return out


class NoModel:
    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        raise AssertionError("the model was used")


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture(scope="module")
def hostile(storm_dirs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    """The hostile corpus, indexed once with the real model; (corpus, index, report, messages)."""
    base = tmp_path_factory.mktemp("hostile")
    corpus, index = base / "corpus", base / "index"
    shutil.copytree(storm_dirs[0], corpus)
    shutil.copytree(storm_dirs[1], index, ignore=shutil.ignore_patterns(".lock"))
    write(corpus / "evil.txt", EVIL)
    write(corpus / "cp1252.txt", "Caf\xe9 trial \u2013 the dose was 5 \xb5g daily in 40 patients.\n".encode("cp1252"))
    write(corpus / "latin1.txt", b"Na\xefve patients (\x81 marker) received 10 mg of drug X in the latin trial.\n")
    write(corpus / "utf16.txt", "The UTF-16 study enrolled 77 patients with myeloma.\n".encode("utf-16"))
    write(corpus / "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000))
    write(corpus / "elf.md", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)
    write(corpus / "empty.txt", b"")
    write(corpus / "blank.md", "   \n\n\t\n")
    para = b"The median progression-free survival was 8.6 months in the enormous file. " * 13 + b"\n\n"
    with open(corpus / "huge.txt", "wb") as f:
        for _ in range(HUGE_BYTES // len(para) + 1):
            f.write(para)
    write(corpus / "unreadable.txt", "Nobody may read this sentence about the secret trial.\n")
    write(corpus / "vanishing.txt", "This file disappears while the index is built.\n")
    write(corpus / "sub" / "nested.md", "# Nested study\n\nThe nested study enrolled 12 patients.\n")
    (corpus / "sub" / "loop").symlink_to(corpus, target_is_directory=True)
    (corpus / "dangling.txt").symlink_to(corpus / "missing.txt")
    os.mkfifo(corpus / "fifo.txt")
    write(corpus / "\x1b[31mred\x1b[0m [bold]name[/bold].txt", "A file with escape sequences in its name reported 9 deaths.\n")
    bad_name = os.fsdecode(b"caf\xe9-name.txt")  # not UTF-8: kept as surrogates
    write(corpus / bad_name, "A file whose name is not UTF-8 reported 4 relapses.\n")
    if os.geteuid() != 0:
        os.chmod(corpus / "unreadable.txt", 0)

    real_open = os.open
    real_read_doc = build.read_doc

    def deny(path, flags, *a, **kw):
        if str(path).endswith("unreadable.txt"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *a, **kw)

    def vanish_first(path, *a, **kw):
        if path.name == "vanishing.txt":
            path.unlink()
        return real_read_doc(path, *a, **kw)

    messages: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "open", deny)  # root reads anything: simulate EACCES
        mp.setattr(build, "read_doc", vanish_first)
        engine_embedder = Embedder(Settings().model)
        idx, report = open_index(corpus, index, Settings(), engine_embedder, progress=messages.append)
    return corpus, index, idx, report, messages


def warned(report, name: str, why: str = "") -> bool:
    return any(name in w and why in w for w in report.warnings)


EXPECTED_SKIPS = {
    "binary.txt": "binary",
    "elf.md": "binary",
    "empty.txt": "empty file",
    "blank.md": "empty file",
    "huge.txt": "size limit",
    "unreadable.txt": "Permission denied",
    "vanishing.txt": "disappeared",
    "loop": "symlink loop",
    "dangling.txt": "No such file",
    "fifo.txt": "not a regular file",
}


@pytest.mark.parametrize("name", list(EXPECTED_SKIPS))
def test_each_bad_file_is_skipped_with_a_warning_naming_it(hostile, name: str) -> None:
    _, _, idx, report, _ = hostile
    assert warned(report, name, EXPECTED_SKIPS[name]), report.warnings
    assert not any(d.path.endswith(name) for d in idx.docs)


def test_the_rest_of_the_corpus_is_indexed_verbatim(hostile) -> None:
    corpus, _, idx, report, _ = hostile
    paths = {d.path for d in idx.docs}
    seed = next(SEED_CORPUS.glob("*.txt")).name
    expected = {seed, "evil.txt", "cp1252.txt", "latin1.txt", "utf16.txt", "sub/nested.md",
                "\x1b[31mred\x1b[0m [bold]name[/bold].txt", os.fsdecode(b"caf\xe9-name.txt")}
    assert paths == expected
    encodings = {d.path: d.encoding for d in idx.docs}
    assert encodings["cp1252.txt"] == "cp1252" and encodings["latin1.txt"] == "latin-1"
    assert encodings["utf16.txt"] == "utf-16"
    assert warned(report, "cp1252.txt", "read as cp1252") and warned(report, "latin1.txt", "read as latin-1")
    for doc_id, d in enumerate(idx.docs):
        text = decode((corpus / d.path).read_bytes())[0]
        a, b = idx.doc_unit_ranges[doc_id]
        assert b > a
        for u in idx.units[a:b]:
            assert text[u.start : u.end] == u.text
    assert any(u.text.startswith("Café trial – the dose was 5 µg") for u in idx.units)


def test_skipped_and_vanished_files_do_not_make_the_index_stale(hostile) -> None:
    corpus, index, idx, _, _ = hostile
    again, report = open_index(corpus, index, Settings(), NoModel())
    assert report.action == "loaded"
    # The warnings about skipped files are repeated on every load.
    for name in ("binary.txt", "huge.txt", "empty.txt", "unreadable.txt", "fifo.txt", "loop"):
        assert warned(report, name), name
    assert len(again.units) == len(idx.units)


def _ask_on_screen(hostile, capsys: pytest.CaptureFixture[str], k: int, question: str, raw: list[str]) -> tuple[str, str]:
    """Ask with the CLI over the hostile corpus; no raw control character reaches the terminal."""
    corpus, index, *_ = hostile
    rc = main(["ask", "--corpus", str(corpus), "--index", str(index), "-k", str(k), question])
    out, err = capsys.readouterr()
    assert rc == 0, err
    for c in raw:
        assert c not in out and c not in err, repr(c)
    return out, err


def test_warnings_and_answers_on_screen_are_literal(hostile, capsys: pytest.CaptureFixture[str]) -> None:
    out, err = _ask_on_screen(hostile, capsys, 3, "What was the overall survival with redcolumab in the evil arm?", RAW_CONTROLS)
    # Markup shows as written, escape sequences as visible stand-ins.
    assert "[bold red]31 months[/bold red]" in out and "[link=http://evil.example]evil arm[/link]" in out
    assert "␛]0;pwned␇overall survival" in out
    assert "warning: skipped binary.txt" in err


def test_file_names_on_screen_are_literal(hostile, capsys: pytest.CaptureFixture[str]) -> None:
    question = "How many deaths or relapses did the file with escape sequences in its name report?"
    out, _ = _ask_on_screen(hostile, capsys, 10, question, RAW_CONTROLS + ["\udce9"])
    assert "␛[31mred␛[0m [bold]name[/bold].txt:" in out
    assert "caf\ufffd-name.txt:" in out


def test_json_output_escapes_controls_losslessly(hostile, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index, idx, *_ = hostile
    rc = main(["ask", "--json", "--corpus", str(corpus), "--index", str(index), "-k", "3",
               "Which escape clears the screen in the evil trial source?"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    for c in RAW_CONTROLS:
        assert c not in out, repr(c)
    ans = json.loads(out)
    text = (corpus / "evil.txt").read_text("utf-8")
    evil = [c for c in ans["citations"] if c["doc"] == "evil.txt"]
    assert evil, ans
    for c in evil:
        assert text[c["start"] : c["end"]] == c["text"]  # the exact bytes, escape sequences included
    assert any("\x1b[2J" in c["text"] for c in evil)


def test_a_hostile_question_is_shown_literally(hostile, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index, *_ = hostile
    q = "\x1b[2J\x1b]0;title\x07[bold]what[/bold] was the \x9b1moverall survival\u202e?"
    rc = main(["ask", "--corpus", str(corpus), "--index", str(index), q])
    out, err = capsys.readouterr()
    assert rc == 0, err
    for c in RAW_CONTROLS:
        assert c not in out and c not in err, repr(c)
    rc = main(["ask", "--json", "--corpus", str(corpus), "--index", str(index), q])
    out, _ = capsys.readouterr()
    assert rc == 0 and "\x1b" not in out
    assert json.loads(out)["question"] == " ".join(q.split())


def test_a_question_with_bytes_that_are_not_utf8_is_read_not_crashed_on(hostile, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index, *_ = hostile
    q = os.fsdecode(b"caf\xe9 overall survival?")  # what Python makes of such argv bytes
    rc = main(["ask", "--corpus", str(corpus), "--index", str(index), q])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "\udce9" not in out


# --- limits and scale -----------------------------------------------------------------


def test_the_size_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "c"
    write(corpus / "small.txt", "A small file about 5 patients.\n")
    write(corpus / "big.txt", "A bigger file about many patients. " * 100 + "\n")
    monkeypatch.setenv("QA_MAX_FILE_MB", "0.002")
    idx, report = open_index(corpus, tmp_path / "i", Settings(), Hashing())
    assert [d.path for d in idx.docs] == ["small.txt"]
    assert warned(report, "big.txt", "QA_MAX_FILE_MB")
    monkeypatch.setenv("QA_MAX_FILE_MB", "1")
    idx, report = open_index(corpus, tmp_path / "i", Settings(), Hashing())
    assert report.reason == "the file size or page limit changed"
    assert {d.path for d in idx.docs} == {"small.txt", "big.txt"}
    monkeypatch.setenv("QA_MAX_FILE_MB", "2")  # changes nothing that matters
    _, report = open_index(corpus, tmp_path / "i", Settings(), NoModel())
    assert report.action == "loaded"


def test_thousands_of_small_files(tmp_path: Path) -> None:
    corpus = tmp_path / "many"
    n = 3000
    for i in range(n):
        write(corpus / f"d{i // 100:02d}" / f"note{i:05d}.txt", f"Note {i}: patient {i} had a response after {i % 40} weeks.\n")
    emb = Hashing()
    idx, report = open_index(corpus, tmp_path / "i", Settings(), emb)
    assert len(idx.docs) == n and emb.texts == len(idx.units) >= n
    assert idx.units[0].text == "Note 0: patient 0 had a response after 0 weeks."
    _, report = open_index(corpus, tmp_path / "i", Settings(), NoModel())
    assert report.action == "loaded"
    write(corpus / "d07" / "note00700.txt", "Note 700 was rewritten: no response.\n")
    emb = Hashing()
    idx, report = open_index(corpus, tmp_path / "i", Settings(), emb)
    assert report.embedded_documents == ["d07/note00700.txt"] and emb.texts == 1


def test_an_unreadable_folder_is_skipped_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "ok.txt", "Fine.")
    write(tmp_path / "locked" / "inside.txt", "Hidden.")
    real = Path.iterdir

    def iterdir(self):
        if self.name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    files, warnings = corpus_files(tmp_path)
    assert [p.name for p in files] == ["ok.txt"]
    assert any("locked" in w and "Permission denied" in w for w in warnings)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_really_unreadable_file(tmp_path: Path) -> None:
    write(tmp_path / "c" / "ok.txt", "Readable sentence here.")
    p = write(tmp_path / "c" / "secret.txt", "Secret sentence.")
    p.chmod(0)
    idx, report = open_index(tmp_path / "c", tmp_path / "i", Settings(), Hashing())
    assert [d.path for d in idx.docs] == ["ok.txt"] and warned(report, "secret.txt", "Permission denied")


def test_ingesting_a_large_file_holds_its_text_a_few_times_at_most(tmp_path: Path) -> None:
    """Peak memory of reading and cutting an 8 MB file, in a fresh process."""
    code = r"""
import re, sys
from pathlib import Path

def hwm():  # peak resident memory of this process (ru_maxrss can carry the parent's over exec)
    return int(re.search(r"VmHWM:\s+(\d+) kB", open("/proc/self/status").read()).group(1)) * 1024

from qa.reading.files import decode
from qa.reading.units import units_of
p = Path(sys.argv[1])
para = "The median overall survival was 8.6 months (95% CI, 6.2-9.9) in the treated group. " * 4 + "\n\n"
with open(p, "w") as f:
    for _ in range(8 * 1024 * 1024 // len(para)):
        f.write(para)
before = hwm()
text = decode(p.read_bytes())[0]
units = units_of(0, text)
assert all(text[u.start:u.end] == u.text for u in units[:: max(1, len(units) // 1000)])
print(len(text), len(units), hwm() - before)
"""
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "big.txt")], capture_output=True, text=True, check=True).stdout
    size, n_units, grown = map(int, out.split())
    print(f"ingesting {size / 1e6:.1f} MB: {n_units} units, peak RSS grew {grown / 1e6:.0f} MB ({grown / size:.1f}x)")
    assert n_units > 50_000
    # The text, its units (each a copy of its sentence) and their bookkeeping:
    # measured at about 5x the file size; allow 12x.
    assert grown < 12 * size, (grown / size)
