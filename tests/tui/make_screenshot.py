"""Regenerate docs/chat.svg, the README's picture of the chat.

    .venv/bin/python -m tests.tui.make_screenshot

Builds a throw-away index of the shipped corpus, asks the README's question and
its follow-up, opens citation [1] and saves the screen (120x40) as SVG.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from qa.answering.engine import Engine
from qa.config import Settings
from qa.tui import make_app

from .conftest import REPO, SIZE, ask, ready, wait_for


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        corpus = base / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        Engine(corpus, base / "index", Settings()).open()
        app = make_app(corpus, base / "index", Settings())
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await ask(pilot, "What was the median duration of response?")
            await ask(pilot, "and the overall survival of responders?")
            await pilot.press("tab", "enter")
            await wait_for(pilot, lambda: app.passage.settled, "the passage")  # type: ignore[attr-defined]
            app.save_screenshot("chat.svg", path=str(REPO / "docs"))
    print(REPO / "docs" / "chat.svg")


if __name__ == "__main__":
    asyncio.run(main())
