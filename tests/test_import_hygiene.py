"""Boundaries: the core never needs Textual; `qa --help` never loads torch."""

from __future__ import annotations

import subprocess
import sys


def modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_core_is_importable_without_textual() -> None:
    mods = modules_after("import qa.engine, qa.batch, qa.evaluate, qa.store, qa.retrieve")
    assert not {m for m in mods if m == "textual" or m.startswith("textual.")}


def test_cli_startup_imports_no_heavy_modules() -> None:
    mods = modules_after("import qa.cli; qa.cli.build_parser()")
    heavy = {"torch", "sentence_transformers", "faiss", "textual", "numpy", "scipy"}
    assert not (heavy & mods)
