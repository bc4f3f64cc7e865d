"""Boundaries: nothing but the chat needs Textual; `qa --help` never loads torch, and
neither does answering a question once the index is current (ONNX Runtime encodes it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Every module but the chat's, found by walking the package (so a new module is covered).
ALL_BUT_THE_CHAT = (
    "import importlib, pkgutil, qa\n"
    "for m in pkgutil.walk_packages(qa.__path__, 'qa.'):\n"
    "    if not m.name.startswith('qa.tui') and m.name != 'qa.__main__':\n"
    "        importlib.import_module(m.name)"
)


def modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_everything_but_the_chat_is_importable_without_textual() -> None:
    mods = modules_after(ALL_BUT_THE_CHAT)
    assert {"qa.answering.engine", "qa.index.refresh", "qa.reading.units", "qa.bulk.writers"} <= mods
    assert not {m for m in mods if m.split(".")[0] in ("textual", "rich")}


def test_cli_startup_imports_no_heavy_modules() -> None:
    mods = modules_after("import qa.cli; qa.cli.build_parser()")
    heavy = {"torch", "sentence_transformers", "faiss", "textual", "rich", "numpy", "scipy", "lxml", "pypdfium2"}
    assert not (heavy & mods)


def test_reading_text_files_loads_no_markup_or_pdf_library() -> None:
    mods = modules_after("from qa.reading.formats import read_document; read_document(b'Some text here.', 'a.md')")
    assert not {m for m in mods if m.split(".")[0] in ("lxml", "pypdfium2")}


TORCH = ("torch", "sentence_transformers", "transformers")


def run_cli(args: list[str]) -> tuple[str, set[str]]:
    """Run qa's CLI in a fresh process; its stdout and the heavy modules it loaded."""
    code = (
        "import sys\nfrom qa.cli import main\nrc = main(sys.argv[1:])\n"
        f"print('LOADED', *sorted(m for m in {TORCH!r} if m in sys.modules))\nsys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out, _, loaded = done.stdout.rpartition("LOADED")
    return out, set(loaded.split())


@pytest.mark.parametrize("command", ["ask", "batch", "grid"])
def test_answering_with_a_current_index_imports_no_torch(storm_dirs: tuple[Path, Path], tmp_path: Path, command: str) -> None:
    corpus, index = storm_dirs
    where = ["--corpus", str(corpus), "--index", str(index)]
    questions = tmp_path / "q.csv"
    questions.write_text("id,question\nq1,What was the median duration of response?\nq2,How many patients were enrolled?\n")
    args = {
        "ask": ["ask", *where, "What was the median duration of response?"],
        "batch": ["batch", *where, str(questions)],
        "grid": ["grid", *where, str(questions), "-o", str(tmp_path / "grid.csv")],
    }[command]
    out, loaded = run_cli(args)
    assert not loaded, f"qa {command} imported {loaded}"
    if command == "ask":
        assert "4.4 months" in out
