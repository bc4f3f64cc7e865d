"""The reported finding: shown wherever an answer is, when the engine sets one.

The model that fills `Answer.finding` is trained elsewhere; these tests build
Answers directly and check only how the front ends show the field.
"""

from __future__ import annotations

import asyncio
import io
import json

from textual.app import App, ComposeResult

from qa.bulk.writers import format_record
from qa.cli.output import print_answer
from qa.models import Answer, Citation, Finding
from qa.tui.export import conversation_markdown
from qa.tui.turn import TurnView
from tests.tui.conftest import screen_text

QUOTE = "Total mortality was lower with LMWH (4.9% vs 6.5%; p = 0.03)."


def answer(finding: Finding | None) -> Answer:
    return Answer("How did LMWH compare with heparin on mortality?", None, False,
                  [Citation("PMC59610.txt", 7444, 7444 + len(QUOTE), QUOTE, "Results", 2.0)], 0.91, id="m", finding=finding)


DECREASED = Finding("significantly decreased", 0.934)


def test_json_has_the_finding_or_null() -> None:
    assert answer(DECREASED).to_json()["finding"] == {"label": "significantly decreased", "probability": 0.934}
    assert answer(None).to_json()["finding"] is None
    assert json.loads(format_record(answer(DECREASED), "jsonl"))["finding"]["label"] == "significantly decreased"


def test_the_cli_and_markdown_say_the_finding() -> None:
    out = io.StringIO()
    print_answer(answer(DECREASED), out)
    assert "Reported finding: significantly decreased (model confidence 0.93)\n" in out.getvalue()
    out = io.StringIO()
    print_answer(answer(None), out)
    assert "Reported finding" not in out.getvalue()
    assert "**Reported finding:** significantly decreased (model confidence 0.93)" in format_record(answer(DECREASED), "md")
    assert "Reported finding" not in format_record(answer(None), "md")
    md = conversation_markdown([("q?", answer(DECREASED), None)], corpus="c", model="m")
    assert "**Reported finding:** significantly decreased (model confidence 0.93)" in md


class OneTurn(App[None]):
    def __init__(self, finding: Finding | None) -> None:
        super().__init__()
        self.finding = finding

    def compose(self) -> ComposeResult:
        yield TurnView(1, "How did LMWH compare with heparin on mortality?")

    def on_mount(self) -> None:
        self.query_one(TurnView).show_answer(answer(self.finding))


def test_the_chat_shows_a_line_for_the_finding() -> None:
    async def check(finding: Finding | None) -> str:
        app = OneTurn(finding)
        async with app.run_test(size=(100, 20)) as pilot:
            await pilot.pause()
            return screen_text(app.query_one(TurnView))

    shown = asyncio.run(check(DECREASED))
    assert "Reported finding: significantly decreased (model confidence 0.93)" in shown
    assert "Reported finding" not in asyncio.run(check(None))


def test_a_low_confidence_answer_says_it_is_uncertain_in_plain_words() -> None:
    from qa.cli.output import print_answer
    from qa.models import Answer, Citation

    cite = Citation("a.txt", 0, 10, "0123456789", "", 1.0)
    unsure = Answer("q?", "42", False, [cite], confidence=0.42)
    sure = Answer("q?", "42", False, [cite], confidence=0.93)
    abstained = Answer("q?", None, True, [cite], confidence=0.1)
    assert unsure.uncertainty == "Uncertain: answers given with this confidence are right about 4 times in 10. Check the passage."
    assert sure.uncertainty is None and abstained.uncertainty is None
    out = io.StringIO()
    print_answer(unsure, out)
    assert "Answer: 42\nUncertain: answers given with this confidence are right about 4 times in 10." in out.getvalue()
