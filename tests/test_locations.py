"""Where qa keeps things: each corpus folder has an index of its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.cli import main
from qa.paths import default_corpus_dir, default_index_dir, index_dir_for
from tests.conftest import TRIALS


def test_the_default_corpus_keeps_the_index_folder() -> None:
    assert index_dir_for(default_corpus_dir()) == default_index_dir()
    assert index_dir_for(Path(str(default_corpus_dir()) + "/")) == default_index_dir()


def test_other_corpora_get_folders_of_their_own(tmp_path: Path) -> None:
    a, b = tmp_path / "trials", tmp_path / "other" / "trials"
    ia, ib = index_dir_for(a), index_dir_for(b)
    assert ia != ib  # the same name in two places is two corpora
    assert ia.parent == ib.parent == default_index_dir() / "corpora"
    assert ia.name.startswith("trials-") and ib.name.startswith("trials-")
    assert index_dir_for(tmp_path / "x" / ".." / "trials") == ia  # one folder, however it is named
    odd = index_dir_for(tmp_path / "my articles (2024)")
    assert odd.name.startswith("my-articles-2024-") and odd.parent == ia.parent


def _index(corpus: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["index", "--json", "--corpus", str(corpus)]) == 0
    return json.loads(capsys.readouterr().out)


def test_switching_corpora_rebuilds_neither(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    shutil.copy(TRIALS / "zinc.txt", one)
    shutil.copy(TRIALS / "walking.txt", two)
    first = _index(one, capsys)
    second = _index(two, capsys)
    again = _index(one, capsys)
    assert first["action"] == second["action"] == "built"
    assert again["action"] == "loaded" and again["embedded_units"] == 0
    assert again["index"] == first["index"] != second["index"]
    assert Path(str(first["index"])).parent == default_index_dir() / "corpora"


def test_an_index_named_on_the_command_line_is_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(TRIALS / "zinc.txt", corpus)
    assert main(["index", "--json", "--corpus", str(corpus), "--index", str(tmp_path / "mine")]) == 0
    assert json.loads(capsys.readouterr().out)["index"] == str(tmp_path / "mine")
    assert (tmp_path / "mine" / "manifest.json").is_file()
