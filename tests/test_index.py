from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.errors import QAError
from qa.index.embed import Embedder
from qa.index.refresh import open_index


class CountingEmbedder(Embedder):
    """The real model, counting what it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(Settings().model)
        self.calls: list[int] = []

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        return super().encode(texts, progress=progress)


class NoModel:
    """Fails if anything needs the model: loading a fresh index must not."""

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        raise AssertionError("the model was used")


def build(corpus: Path, index: Path, embedder, **kw):
    return open_index(corpus, index, Settings(), embedder, **kw)


def test_first_build_then_instant_load_without_model(corpus_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    emb = CountingEmbedder()
    idx, report = build(corpus_copy, index, emb)
    assert report.action == "built" and report.units == len(idx.units) == sum(emb.calls)
    manifest = json.loads((index / "manifest.json").read_text())
    assert manifest["model"] == Settings().model and manifest["dim"] == 384
    assert manifest["documents"][0]["sha256"] and set(manifest["files"]) >= {"vectors.npy", "units.jsonl", "faiss.index"}
    idx2, report2 = build(corpus_copy, index, NoModel())
    assert report2.action == "loaded"
    assert [u.text for u in idx2.units] == [u.text for u in idx.units]
    assert np.allclose(idx2.vectors, idx.vectors)


def test_only_changed_documents_are_re_embedded(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "other.txt").write_text("Another trial\n\nThe median age was 70 years. Nausea was common.\n")
    index = tmp_path / "index"
    build(corpus_copy, index, CountingEmbedder())
    (corpus_copy / "other.txt").write_text("Another trial\n\nThe median age was 71 years. Nausea was rare.\n")
    emb = CountingEmbedder()
    idx, report = build(corpus_copy, index, emb)
    assert report.action == "updated" and report.embedded_documents == ["other.txt"]
    assert sum(emb.calls) == 2
    assert any(u.text == "The median age was 71 years." for u in idx.units)
    # Touching a file without changing it re-hashes it, and only records its new time:
    # same generation, nothing embedded, and the next open is a plain load.
    generation = json.loads((index / "manifest.json").read_text())["generation"]
    os.utime(corpus_copy / "other.txt", ns=(1, 1))
    _, report = build(corpus_copy, index, NoModel())
    assert report.action == "loaded" and "touched" in report.reason
    manifest = json.loads((index / "manifest.json").read_text())
    assert manifest["generation"] == generation
    assert next(d for d in manifest["documents"] if d["path"] == "other.txt")["mtime_ns"] == 1
    _, report = build(corpus_copy, index, NoModel())
    assert report.action == "loaded" and report.reason == "up to date"
    # Same size and time but new bytes is caught by the hash of a touched file.
    (corpus_copy / "other.txt").write_text("Another trial\n\nThe median age was 72 years. Nausea was rare.\n")
    os.utime(corpus_copy / "other.txt", ns=(2, 2))
    emb = CountingEmbedder()
    idx, report = build(corpus_copy, index, emb)
    assert report.embedded_documents == ["other.txt"] and any(u.text == "The median age was 72 years." for u in idx.units)
    # A removed document disappears from the index.
    (corpus_copy / "other.txt").unlink()
    idx, report = build(corpus_copy, index, NoModel())
    assert report.removed_documents == ["other.txt"] and len(idx.docs) == 1


def test_a_build_reports_its_progress_group_by_group(corpus_copy: Path, tmp_path: Path, monkeypatch) -> None:
    import qa.index.build

    monkeypatch.setattr(qa.index.build, "EMBED_CHUNK_UNITS", 10)
    (corpus_copy / "other.txt").write_text("Another trial\n\nThe median age was 70 years. Nausea was common.\n")
    lines: list[str] = []
    idx, report = build(corpus_copy, tmp_path / "index", CountingEmbedder(), progress=lines.append)
    total = report.units
    first = idx.docs[0].units  # a document is one group, however large
    assert lines[0].startswith(f"Embedding {total} units from 2 document(s)")
    assert [line for line in lines if line.startswith("Embedded ")] == [
        f"Embedded {first} of {total} units ({100 * first // total}%)…",
        f"Embedded {total} of {total} units (100%)…",
    ]


def test_damaged_index_is_detected_and_rebuilt(corpus_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build(corpus_copy, index, CountingEmbedder())
    gen = index / json.loads((index / "manifest.json").read_text())["generation"]
    with open(gen / "vectors.npy", "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01\x02\x03")
    messages: list[str] = []
    idx, report = build(corpus_copy, index, CountingEmbedder(), progress=messages.append)
    assert report.action in ("built", "updated")
    assert any("vectors.npy is damaged" in m for m in messages)
    # The per-document cache survived, so nothing had to be embedded again.
    assert report.embedded_units == 0


def test_model_change_invalidates_the_index(corpus_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build(corpus_copy, index, CountingEmbedder())
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["model"] = "some-other-model"
    (index / "manifest.json").write_text(json.dumps(manifest))
    emb = CountingEmbedder()
    _, report = build(corpus_copy, index, emb)
    assert "embedding model changed" in report.reason


@pytest.fixture
def own_weights(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A copy of qa's trained weights to change, and an index built while they were in place."""
    import shutil

    from qa.paths import weights_dir

    weights = tmp_path / "weights"
    shutil.copytree(weights_dir(), weights)
    monkeypatch.setenv("QA_WEIGHTS", str(weights))
    index = tmp_path / "index"
    build(corpus_copy, index, CountingEmbedder())
    return weights, index


def test_a_changed_answering_model_is_noticed_once_without_a_rebuild(corpus_copy: Path, own_weights: tuple[Path, Path]) -> None:
    from qa.index.adapters import digest

    weights, index = own_weights
    recorded = json.loads((index / "manifest.json").read_text())["answering"]
    assert {"ranker.json", "confidence.json"} <= set(recorded)
    ranker = json.loads((weights / "ranker.json").read_text())
    ranker["settings"]["merge_margin"] = ranker["settings"].get("merge_margin", 0.0) + 0.5  # a retrained ranker
    (weights / "ranker.json").write_text(json.dumps(ranker))
    digest.cache_clear()  # a process sees one version of its weights; a new one comes with a new run
    _, report = build(corpus_copy, index, NoModel())  # the index itself is still good: no rebuild
    assert report.action == "loaded"
    assert any("answering models changed" in w and "ranker.json" in w for w in report.warnings)
    assert json.loads((index / "manifest.json").read_text())["answering"]["ranker.json"] != recorded["ranker.json"]
    _, again = build(corpus_copy, index, NoModel())
    assert not any("answering models changed" in w for w in again.warnings), "said once"


def test_loading_never_waits_for_a_build_to_record_the_models(corpus_copy: Path, own_weights: tuple[Path, Path]) -> None:
    import fcntl

    from qa.index.adapters import digest

    weights, index = own_weights
    (weights / "finding.json").write_text((weights / "finding.json").read_text() + "\n")  # a recalibrated finding
    digest.cache_clear()
    fd = os.open(index / ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process is building
    try:
        _, report = build(corpus_copy, index, NoModel())
    finally:
        os.close(fd)
    assert report.action == "loaded"
    assert any("finding.json" in w for w in report.warnings)
    _, after = build(corpus_copy, index, NoModel())  # the lock is free: noted again, and recorded
    assert any("finding.json" in w for w in after.warnings)
    _, last = build(corpus_copy, index, NoModel())
    assert not any("answering models changed" in w for w in last.warnings)


def test_missing_or_empty_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="does not exist"):
        build(tmp_path / "nope", tmp_path / "index", NoModel())
    (tmp_path / "empty").mkdir()
    with pytest.raises(QAError, match="No articles in"):
        build(tmp_path / "empty", tmp_path / "index", NoModel())


def test_index_folder_holds_no_pickles(corpus_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build(corpus_copy, index, CountingEmbedder())
    for p in index.rglob("*"):
        if p.is_file():
            assert p.suffix in {".json", ".jsonl", ".npy", ".npz", ".index", ""}, p
            if p.suffix in (".npy",):
                np.load(p, allow_pickle=False)


def test_the_cli_reports_a_build_in_words(corpus_copy: Path, tmp_path: Path) -> None:
    from qa.cli.output import describe

    _, report = build(corpus_copy, tmp_path / "index", CountingEmbedder())
    assert describe(report).startswith(f"Index built (no index yet): 1 document, {report.units} units; "
                                       f"embedded {report.units} units from 1 changed document (")
