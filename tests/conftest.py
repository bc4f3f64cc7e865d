"""Shared fixtures: the real model, loaded once; indexes built in temp folders.

Every path qa uses is pointed at a temporary folder, so tests never touch the
repository's corpus/ or index/.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# One cache of exported ONNX graphs for the session (exporting is seconds of work),
# never the user's own.
os.environ["QA_CACHE"] = tempfile.mkdtemp(prefix="qa-test-cache-")

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
GOLD = Path(__file__).resolve().parent / "data" / "storm_gold.jsonl"
TRIALS = Path(__file__).resolve().parent / "data" / "trials"
"""Three short made-up trial reports (warmpack, zinc, walking), for scoped questions and grids."""


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("qa-paths")
    monkeypatch.setenv("QA_CORPUS", str(home / "corpus"))
    monkeypatch.setenv("QA_INDEX", str(home / "index"))
    monkeypatch.setenv("QA_EVAL_DIR", str(home / "eval"))


@pytest.fixture(scope="session")
def storm_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the shipped corpus and an index of it, built once per session."""
    from qa.answering.engine import Engine
    from qa.config import Settings

    base = tmp_path_factory.mktemp("storm")
    corpus = base / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    index = base / "index"
    Engine(corpus, index, Settings()).open()
    return corpus, index


@pytest.fixture(scope="session")
def storm_engine(storm_dirs: tuple[Path, Path]):
    from qa.answering.engine import Engine
    from qa.config import Settings

    engine = Engine(*storm_dirs, Settings())
    engine.open()
    return engine


@pytest.fixture(scope="session")
def trials_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the three trial reports and an index of them, built once per session."""
    from qa.answering.engine import Engine
    from qa.config import Settings

    base = tmp_path_factory.mktemp("trials")
    corpus = base / "corpus"
    shutil.copytree(TRIALS, corpus)
    index = base / "index"
    Engine(corpus, index, Settings()).open()
    return corpus, index


@pytest.fixture(scope="session")
def trials_engine(trials_dirs: tuple[Path, Path]):
    from qa.answering.engine import Engine
    from qa.config import Settings

    engine = Engine(*trials_dirs, Settings())
    engine.open()
    return engine


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, target)
    return target
