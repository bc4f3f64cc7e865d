"""Boundaries: nothing but the chat needs Textual; `qa --help` never loads torch."""

from __future__ import annotations

import subprocess
import sys

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
