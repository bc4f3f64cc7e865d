"""Index integrity: damage and mismatches are detected and rebuilt, saying why;
a build killed at any moment leaves the previous index in force; two builders
at once do not collide; nothing is ever unpickled.

Builds reuse the session index's per-document vector cache (copied), so only
documents a test adds are embedded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.errors import QAError
from qa.index import build, durable, embed
from qa.index.corpus_index import load
from qa.index.durable import BuildLock
from qa.index.embed import Embedder
from qa.index.manifest import Stale, read_manifest
from qa.index.refresh import open_index
from qa.reading.files import corpus_files

SAFETY_TIMEOUT = 600  # seconds; only a guard against a hung test, never an assertion


class CountingEmbedder(Embedder):
    """The real model, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(Settings().model)
        self.texts = 0

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.texts += len(texts)
        return super().encode(texts, progress=progress)


class NoModel:
    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        raise AssertionError("the model was used")


def sentences(doc: int, n: int) -> str:
    drugs = ["selinexor", "daratumumab", "carfilzomib", "pomalidomide", "bortezomib", "ixazomib"]
    out = [f"Trial {doc}: {drugs[doc % len(drugs)]} in relapsed myeloma", ""]
    for i in range(n):
        out.append(
            f"In cohort {i} of trial {doc}, the median progression-free survival with {drugs[(doc + i) % len(drugs)]} "
            f"was {doc % 17 + i / 10:.1f} months and {20 + (doc * 7 + i) % 60}% of patients responded."
        )
    return "\n".join(out) + "\n"


@pytest.fixture
def storm_copy(storm_dirs: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of the session corpus and its index (with the vector cache)."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(storm_dirs[0], corpus)
    for p in corpus.iterdir():
        p.chmod(0o644)
    shutil.copytree(storm_dirs[1], index, ignore=shutil.ignore_patterns(".lock"))
    return corpus, index


def manifest_of(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_text("utf-8"))


def gen_dir(index: Path) -> Path:
    return index / manifest_of(index)["generation"]


# --- damage and mismatches ------------------------------------------------------------


def _truncate(index: Path, name: str) -> None:
    p = gen_dir(index) / name
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _flip(index: Path, name: str) -> None:
    p = gen_dir(index) / name
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))


def _edit_manifest(**changes: object):
    def edit(index: Path) -> None:
        m = manifest_of(index)
        m.update(changes)
        (index / "manifest.json").write_text(json.dumps(m), "utf-8")

    return edit


def _drop_manifest_key(key: str):
    def edit(index: Path) -> None:
        m = manifest_of(index)
        del m[key]
        (index / "manifest.json").write_text(json.dumps(m), "utf-8")

    return edit


DAMAGE = {
    "truncated vectors": (lambda i: _truncate(i, "vectors.npy"), "vectors.npy is truncated"),
    "truncated units": (lambda i: _truncate(i, "units.jsonl"), "units.jsonl is truncated"),
    "corrupted faiss": (lambda i: _flip(i, "faiss.index"), "faiss.index is damaged"),
    "corrupted lexical": (lambda i: _flip(i, "lexical.npz"), "lexical.npz is damaged"),
    "missing file": (lambda i: (gen_dir(i) / "vocab.json").unlink(), "vocab.json is missing"),
    "missing generation": (lambda i: shutil.rmtree(gen_dir(i)), "is missing"),
    "truncated manifest": (
        lambda i: (i / "manifest.json").write_bytes((i / "manifest.json").read_bytes()[:100]),
        "manifest is unreadable",
    ),
    "garbage manifest": (lambda i: (i / "manifest.json").write_bytes(os.urandom(300)), "manifest is unreadable"),
    "manifest without files": (_drop_manifest_key("files"), "manifest is incomplete or malformed"),
    "manifest escaping the folder": (_edit_manifest(generation="../../elsewhere"), "incomplete or malformed"),
    "old format": (_edit_manifest(format=0), "another version of qa"),
    "other model": (_edit_manifest(model="some-other-model"), "embedding model changed"),
    "other chunker": (_edit_manifest(chunker="0"), "chunker changed"),
    "dimension disagrees with vectors": (_edit_manifest(dim=768), "vector dimension changed"),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_or_mismatched_index_is_rebuilt_saying_why(kind: str, storm_copy: tuple[Path, Path]) -> None:
    corpus, index = storm_copy
    damage, why = DAMAGE[kind]
    damage(index)
    messages: list[str] = []
    idx, report = open_index(corpus, index, Settings(), CountingEmbedder(), progress=messages.append)
    said = " | ".join(messages + [report.reason])
    assert why in said, said
    assert report.action in ("built", "updated")
    # The per-document vector cache made the rebuild cheap, and the result is whole.
    assert report.embedded_units == 0
    assert len(idx.units) == idx.vectors.shape[0] > 0
    again, report2 = open_index(corpus, index, Settings(), NoModel())
    assert report2.action == "loaded" and len(again.units) == len(idx.units)


def test_vectors_of_another_dimension_in_the_manifest_are_caught_on_load(storm_copy: tuple[Path, Path]) -> None:
    # Manifest and vectors disagree, though the model's configuration is unknown.
    corpus, index = storm_copy
    manifest = manifest_of(index)
    manifest["dim"] = 512
    with pytest.raises(Stale, match="512"):
        load(index, manifest)


class Wide:
    """A stand-in model making 768-dimensional vectors."""

    dimension = 768

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        v = np.random.default_rng(0).standard_normal((len(texts), 768)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_a_model_of_another_dimension_forces_a_full_rebuild(storm_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = storm_copy
    monkeypatch.setattr(embed, "_configured_dimension", lambda name: 768)  # what the model folder says
    idx, report = open_index(corpus, index, Settings(), Wide())
    assert "vector dimension changed (384 → 768)" in report.reason
    # The 384-dimensional cached vectors were not reused.
    assert report.embedded_units == len(idx.units) and idx.vectors.shape[1] == 768


def test_the_packaged_model_dimension_is_read_without_loading_it() -> None:
    assert embed._configured_dimension(Settings().model) == 384


def test_a_pickle_in_the_index_folder_is_never_loaded(storm_copy: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = storm_copy
    marker = tmp_path / "pwned"
    payload = np.array([_Payload(str(marker))], dtype=object)
    target = gen_dir(index) / "vectors.npy"
    np.save(target, payload, allow_pickle=True)
    # Make the checksum agree, as an attacker who can write the folder would.
    m = manifest_of(index)
    m["files"]["vectors.npy"] = {"size": target.stat().st_size, "sha256": durable.sha_file(target)}
    (index / "manifest.json").write_text(json.dumps(m), "utf-8")
    messages: list[str] = []
    idx, report = open_index(corpus, index, Settings(), CountingEmbedder(), progress=messages.append)
    assert not marker.exists(), "a pickle was unpickled"
    assert any("cannot be used" in msg for msg in messages)
    assert idx.vectors.dtype == np.float32
    for p in index.rglob("*"):
        if p.suffix == ".npy":
            np.load(p, allow_pickle=False)  # every array loads without pickle


class _Payload:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


# --- crashes at every step of the commit ------------------------------------------------


class _Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no handler catches it."""


def test_a_build_dying_at_any_step_leaves_the_previous_index(storm_copy: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = storm_copy
    (corpus / "extra.txt").write_text(sentences(1, 3), "utf-8")
    pristine = tmp_path / "pristine"
    shutil.copytree(index, pristine)
    old_gen = manifest_of(index)["generation"]
    old_units = len(load(index, read_manifest(index)).units)

    real = {"replace": os.replace, "rmtree": shutil.rmtree, "fsync_dir": durable.fsync_dir}
    calls: list[str] = []

    def counting(name: str, fail_at: int):
        def wrapper(*a, **kw):
            calls.append(name)
            if len(calls) == fail_at:
                raise _Crash(name)
            return real[name](*a, **kw)

        return wrapper

    n = 1
    outcomes = set()
    while True:
        shutil.rmtree(index)
        shutil.copytree(pristine, index)
        calls.clear()
        crashed = True
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(os, "replace", counting("replace", n))
            mp.setattr(shutil, "rmtree", counting("rmtree", n))
            mp.setattr(build, "fsync_dir", counting("fsync_dir", n))
            try:
                open_index(corpus, index, Settings(), CountingEmbedder())
                crashed = False
            except _Crash:
                pass
        # Whatever step it died at, an index is in force: the old one or the new one.
        manifest = read_manifest(index)
        idx = load(index, manifest)
        outcomes.add(manifest["generation"] == old_gen)
        assert len(idx.units) in (old_units, old_units + 3)
        # And the next build finishes, embedding nothing already cached.
        emb = CountingEmbedder()
        idx, report = open_index(corpus, index, Settings(), emb)
        assert len(idx.units) == old_units + 3
        assert not list(index.glob(".gen-*.tmp")) and len(list(index.glob("gen-*"))) == 1
        assert not list(index.glob("cache/*/.*.tmp"))
        if not crashed:
            break
        n += 1
    assert n > 4 and outcomes == {True, False}


# --- SIGKILL during real builds --------------------------------------------------------

KILLER = (
    "import sys, qa.index.build as s; s.EMBED_CHUNK_UNITS = 24; "
    "from qa.cli import main; sys.exit(main(sys.argv[1:]))"
)


class Build:
    """`qa index` in a child process, its stderr collected as it comes."""

    def __init__(self, corpus: Path, index: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", KILLER, "index", "--corpus", str(corpus), "--index", str(index), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.err: list[str] = []
        self._t = threading.Thread(target=lambda: self.err.extend(iter(self.proc.stderr.readline, "")), daemon=True)
        self._t.start()

    def wait_for(self, cond) -> bool:
        """Poll until cond() holds (True) or the child exits (False)."""
        deadline = time.monotonic() + SAFETY_TIMEOUT
        while time.monotonic() < deadline:
            if cond():
                return True
            if self.proc.poll() is not None:
                return cond()
            time.sleep(0.02)
        raise AssertionError("the build neither got there nor ended")

    def kill(self) -> int | None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._t.join(5)
        return self.proc.returncode


def test_sigkill_at_several_points_keeps_the_previous_index_and_the_work_done(storm_copy: tuple[Path, Path]) -> None:
    corpus, index = storm_copy
    old = read_manifest(index)
    for d in range(24):
        (corpus / f"trial{d:02d}.txt").write_text(sentences(d, 6), "utf-8")
    cache = next((index / "cache").iterdir())
    cached_before = set(cache.glob("*.npy"))

    def new_cache_files() -> int:
        return len(set(cache.glob("*.npy")) - cached_before)

    def an_index_is_whole() -> None:
        m = read_manifest(index)
        idx = load(index, m)  # checksums verified
        if m["generation"] == old["generation"]:
            assert len(idx.docs) == len(old["documents"])
        else:  # killed after the new index was put in force: then it is complete
            assert len(idx.docs) == len(old["documents"]) + 24

    points = [
        ("at once", lambda: True),
        ("when embedding starts", lambda: any("Embedding" in e for e in b.err)),
        ("after the first documents are cached", lambda: new_cache_files() >= 1),
        ("halfway through the documents", lambda: new_cache_files() >= 12),
    ]
    killed = []
    for name, cond in points:
        b = Build(corpus, index)
        got_there = b.wait_for(cond)
        rc = b.kill()
        if b.proc.returncode == -signal.SIGKILL:
            killed.append(name)
            an_index_is_whole()
        else:  # it finished before the kill: then the new index is whole
            assert rc == 0 and got_there
            break
    assert len(killed) >= 3, killed
    # A later build completes, re-embedding none of the documents cached before the kills.
    emb = CountingEmbedder()
    idx, report = open_index(corpus, index, Settings(), emb)
    assert len(idx.docs) == len(old["documents"]) + 24
    total_new = sum(d.units for d in idx.docs if d.path.startswith("trial"))
    print("killed:", killed, "re-embedded", emb.texts, "of", total_new)
    assert emb.texts < total_new, (emb.texts, total_new, killed)
    assert emb.texts == report.embedded_units
    assert not list(index.glob(".gen-*.tmp")) and len(list(index.glob("gen-*"))) == 1


# --- two builders ------------------------------------------------------------------------


def test_a_second_builder_waits_for_the_first_and_says_so(storm_copy: tuple[Path, Path]) -> None:
    corpus, index = storm_copy
    (corpus / "late.txt").write_text(sentences(3, 4), "utf-8")
    with BuildLock(index, lambda _: None):
        b = Build(corpus, index, "--json")
        assert b.wait_for(lambda: any("waiting for it to finish" in e for e in b.err)), b.err
        assert f"pid {os.getpid()}" in "".join(b.err)
        # Meanwhile this process builds, as the first builder would.
        files, warnings = corpus_files(corpus)
        build.build(corpus, index, Settings(), CountingEmbedder(), files, warnings, "test", lambda _: None)
    out = b.proc.stdout.read()
    b.proc.wait(SAFETY_TIMEOUT)
    b._t.join(5)
    assert b.proc.returncode == 0, b.err
    report = json.loads(out.strip().splitlines()[-1])
    # The second builder found the work done and did not redo it.
    assert report["action"] == "loaded" and report["reason"] == "built by another process"
    assert report["embedded_units"] == 0


def test_a_builder_that_cannot_get_the_lock_gives_up_clearly(tmp_path: Path) -> None:
    messages: list[str] = []
    with BuildLock(tmp_path, lambda _: None):
        with pytest.raises(QAError, match="still updating"):
            with BuildLock(tmp_path, messages.append, wait=0.3):
                pass
    assert any("waiting" in m for m in messages)
    with BuildLock(tmp_path, messages.append, wait=0.3):  # free again
        pass


def test_a_waiting_reader_in_the_same_process_proceeds_when_the_lock_is_freed(storm_copy: tuple[Path, Path]) -> None:
    corpus, index = storm_copy
    (corpus / "later.txt").write_text(sentences(4, 2), "utf-8")
    messages: list[str] = []
    result: list[object] = []
    with BuildLock(index, lambda _: None):
        t = threading.Thread(target=lambda: result.append(open_index(corpus, index, Settings(), CountingEmbedder(), progress=messages.append)))
        t.start()
        deadline = time.monotonic() + SAFETY_TIMEOUT
        while not any("waiting" in m for m in messages) and time.monotonic() < deadline:
            time.sleep(0.02)
    t.join(SAFETY_TIMEOUT)
    idx, report = result[0]  # type: ignore[misc]
    assert any("later.txt" == d.path for d in idx.docs) and report.action == "updated"


def test_build_errors_are_reported_not_raised_raw(storm_copy: tuple[Path, Path]) -> None:
    corpus, _ = storm_copy
    blocker = corpus.parent / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(QAError, match="Could not build the index"):
        open_index(corpus, blocker / "index", Settings(), NoModel())


def test_a_reader_survives_a_build_replacing_its_generation(storm_copy: tuple[Path, Path]) -> None:
    corpus, index = storm_copy
    idx, _ = open_index(corpus, index, Settings(), NoModel())
    (corpus / "newer.txt").write_text(sentences(5, 2), "utf-8")
    open_index(corpus, index, Settings(), CountingEmbedder())  # deletes idx's generation
    assert not (index / idx.manifest["generation"]).exists()
    faiss_index = idx.faiss_index()  # rebuilt from the mapped vectors
    assert faiss_index.ntotal == len(idx.units)
