"""Pilot tests: the chat driven like a user would, on the real model and index."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.command import CommandList
from textual.pilot import Pilot

from qa.config import Settings
from qa.tui import make_app
from qa.tui.citation import CitationView
from qa.tui.help_screen import HelpScreen
from qa.tui.passage_pane import PassagePane
from qa.tui.transcript import Transcript

from .conftest import SIZE, ask, highlighted_text, ready, screen_text, strips, wait_for

DOR = "Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)"
OS_END = "had median overall survival of 15.6 months"


def run(app, scenario: Callable[[Pilot], Awaitable[None]], *, notifications: bool = False) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        async with app.run_test(size=SIZE, notifications=notifications) as pilot:
            await scenario(pilot)

    asyncio.run(main())


def test_typed_question_is_answered_with_the_duration_of_response_as_citation_1(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        turn = await ask(pilot, "What was the median duration of response?", type_it=True)
        assert turn.answer is not None and not turn.answer.abstained
        first = turn.citations[0]
        assert first.number == 1
        assert first.citation.text == DOR
        shown = screen_text(first)
        assert shown.startswith("[1] " + DOR)
        assert "Efficacy" in shown and f"characters {first.citation.start}–{first.citation.end}" in shown
        # The answer value is highlighted inside the quote, and only it.
        assert turn.answer.answer == "4.4 months (95% CI, 3.7–10.8)"
        assert highlighted_text(first) == "4.4 months (95% CI, 3.7–10.8)"
        assert "Answer: 4.4 months (95% CI, 3.7–10.8)" in screen_text(turn)
        assert [c.number for c in turn.citations] == [1, 2, 3]
        # The input is cleared and keeps the focus for the next question.
        assert app.question_input.value == "" and app.question_input.has_focus

    run(app, scenario)


def test_follow_up_is_searched_in_context_and_cites_overall_survival(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, "What was the median duration of response?")
        # Responders' survival: the one value the article gives (asked of everyone, the
        # sentence is cited but no value is read off it).
        turn = await ask(pilot, "and the overall survival of responders?", type_it=True)
        assert turn.answer is not None and not turn.answer.abstained
        assert turn.answer.citations[0].text.endswith(OS_END)
        assert turn.answer.answer == "15.6 months"
        shown = screen_text(turn)
        assert "searched: What was the median overall survival of responders?" in shown
        assert shown.index("searched:") < shown.index("[1]")
        assert highlighted_text(turn.citations[0]) == "15.6 months"

    run(app, scenario)


def test_follow_ups_chain_on_what_was_understood_not_on_spelled_out_abbreviations(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        first = await ask(pilot, "What was the ORR?")
        assert first.answer.answer.startswith("26.0%")
        # The core searched "ORR (overall response rate)"; the follow-up must not
        # inherit "overall" from that and land on overall survival.
        second = await ask(pilot, "and the DOR?")
        assert second.answer.citations[0].text == DOR
        assert second.understood == "What was the DOR?"
        third = await ask(pilot, "and the median time to response?")
        assert third.answer.citations[0].text.startswith("Median time to PR or better was 4.1 weeks")
        assert "searched:" in screen_text(third)

    run(app, scenario)


def test_opening_a_citation_shows_it_in_its_document(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        turn = await ask(pilot, "What was the median duration of response?")
        pane = app.query_one(PassagePane)
        assert pane.citation is None
        await pilot.press("tab")  # to the citations: the cursor is on the newest [1]
        transcript = app.query_one(Transcript)
        assert transcript.has_focus and transcript.cursor is turn.citations[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.settled, "the passage")
        c = turn.citations[0].citation
        assert pane.citation == c and pane.number == 1
        assert pane.document[c.start : c.end] == DOR
        assert pane.document == app.engine.document_text(c.doc)
        # The whole document is there, to scroll through...
        whole = " ".join(" ".join(line.plain for line in pane.view.lines).split())
        assert whole.startswith("Relapsed/refractory patients")
        assert "Chari and colleagues concluded" in whole
        # ... scrolled so the span is in view with the lines around it...
        line = pane.line_of_span()
        visible = pane.visible_lines()
        assert line in visible and line - 3 in visible and line + 3 in visible
        body = app.query_one("#passage-body")
        shown = screen_text(body)
        assert "• Efficacy" in shown and "Patients who had a response" in shown
        # ... with the span, and the answer value in it, highlighted on screen.
        assert "Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)" in highlighted_text(body)
        # Clicked (focused), the document scrolls with the keys.
        top = pane.view.scroll_y
        assert await pilot.click(pane.view)
        assert pane.view.has_focus
        await pilot.press("pagedown")
        assert pane.view.scroll_y > top
        await pilot.press("escape")
        await pilot.press("tab")
        assert "[1] Relapsed/refractory patients" in screen_text(pane.query_one(".passage--title"))
        assert "Efficacy, characters 1818–1897" in screen_text(pane.query_one(".passage--where"))
        assert "-open" in turn.citations[0].classes

        # Down moves to [2]; enter opens it instead.
        await pilot.press("down", "enter")
        await pilot.pause()
        assert transcript.cursor is turn.citations[1] and pane.number == 2
        assert pane.citation == turn.citations[1].citation
        # Escape goes back to the question box.
        await pilot.press("escape")
        assert app.question_input.has_focus
        # Typing a question while in the citations goes to the question box too.
        await pilot.press("tab")
        assert transcript.has_focus
        await pilot.press("W", "h")
        assert app.question_input.has_focus and app.question_input.value == "Wh"

    run(app, scenario)


def test_clicking_a_citation_opens_it(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        turn = await ask(pilot, "What was the median duration of response?")
        third = turn.citations[2]
        assert await pilot.click(third)
        await wait_for(pilot, lambda: app.query_one(PassagePane).number == 3, "citation [3] to open")
        assert app.query_one(PassagePane).citation == third.citation
        assert app.query_one(Transcript).cursor is third

    run(app, scenario)


async def _check_abstention(pilot: Pilot, question: str) -> None:
    app = pilot.app
    turn = await ask(pilot, question)
    assert turn.answer is not None and turn.answer.abstained and turn.answer.answer is None
    shown = screen_text(turn)
    assert "Not found in the corpus." in shown
    assert "Related passages (not an answer):" in shown
    assert "Answer:" not in shown
    assert turn.citations and all("-related" in v.classes for v in turn.citations)
    # Related passages carry no highlighted answer value, but can be opened.
    assert all(highlighted_text(v) == "" for v in turn.citations)
    app.open_citation(turn.citations[0])
    assert app.query_one(PassagePane).citation == turn.citations[0].citation


def test_abstention_says_not_found_and_offers_related_passages(make_chat) -> None:
    app = make_chat()
    question = "What is the capital of France?"

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await _check_abstention(pilot, question)

    run(app, scenario)


def test_an_abstention_says_why_when_a_check_knows(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        turn = await ask(pilot, "What was the rate of grade 3 or 4 nausea?")
        assert turn.answer is not None and turn.answer.abstained
        shown = " ".join(screen_text(turn).split())
        assert "Not found in the corpus: the closest passage lists values for other things than the one asked." in shown

    run(app, scenario)


def test_abstention_is_rendered_plainly(chat_dirs) -> None:
    # A threshold no passage reaches makes the real engine abstain on any question.
    app = make_app(*chat_dirs, Settings().with_(abstain_below=100.0))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await _check_abstention(pilot, "What is the capital of France?")

    run(app, scenario)


def test_up_and_down_recall_earlier_questions(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, "What was the median duration of response?")
        await ask(pilot, "and the overall survival?")
        box = app.question_input
        await pilot.press(*"draft")
        await pilot.press("up")
        assert box.value == "and the overall survival?"
        await pilot.press("up")
        assert box.value == "What was the median duration of response?"
        await pilot.press("up")  # no further back
        assert box.value == "What was the median duration of response?"
        await pilot.press("down")
        assert box.value == "and the overall survival?"
        await pilot.press("down")
        assert box.value == "draft"  # what was being typed comes back
        # A recalled question can be asked again.
        await pilot.press("up", "up")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.turns) == 3 and app.turns[-1].done, "the third answer")
        assert app.turns[-1].answer.citations[0].text == DOR

    run(app, scenario)


def test_markup_and_escape_sequences_in_a_question_are_shown_literally(make_chat) -> None:
    app = make_chat()
    question = "[bold]x[/bold] \x1b[31m what was the [red]median[/] duration of response?"

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        turn = await ask(pilot, question)
        shown = screen_text(turn.query_one(".turn--question"))
        assert shown == "❯ [bold]x[/bold] \u241b[31m what was the [red]median[/] duration of response?"
        # Nothing in the line is bold beyond the line's own style, nor red.
        segs = [s for line in strips(turn.query_one(".turn--question")) for s in line]
        assert not any(s.style and s.style.color and s.style.color.name == "red" for s in segs)
        assert "\x1b" not in "".join(s.text for s in segs)
        assert turn.answer is not None

    run(app, scenario)


def test_markup_in_a_document_is_shown_literally(markup_dirs: tuple[Path, Path]) -> None:
    app = make_app(*markup_dirs, Settings())

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        turn = await ask(pilot, "What was the dose?")
        view = next(v for v in turn.citations if "dose" in v.citation.text)
        shown = screen_text(view)
        assert "[bold red]40 mg[/bold red]" in shown
        assert "[link=http://example.com]arm A[/link]" in shown
        assert "\u241b[31mred\u241b[0m" in shown
        app.open_citation(view)
        await wait_for(pilot, lambda: app.query_one(PassagePane).settled, "the passage")
        body = screen_text(app.query_one("#passage-body"))  # the whole (short) document is in view
        assert "[bold red]40 mg[/bold red] once daily in [link=http://example.com]arm A[/link]" in body
        assert "\x1b" not in body and "\u241b[31mred\u241b[0m" in body
        assert "The median survival was 11 months [1]." in body

    run(app, scenario)


@pytest.fixture
def held_open(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Engine.open waits until the test sets the event: the chat stays loading till then."""
    from qa.answering.engine import Engine

    release = threading.Event()
    original = Engine.open

    def slow_open(self, **kwargs):  # type: ignore[no-untyped-def]
        assert release.wait(60), "the test never released the engine"
        return original(self, **kwargs)

    monkeypatch.setattr(Engine, "open", slow_open)
    yield release
    release.set()


def test_a_question_typed_while_loading_is_answered_when_ready(chat_dirs, held_open: threading.Event) -> None:
    release = held_open
    app = make_app(*chat_dirs, Settings())

    async def scenario(pilot: Pilot) -> None:
        await pilot.pause()
        # The window is up and usable before anything has loaded.
        assert app.state == "loading"
        assert "Loading the index" in screen_text(app.status)
        assert app.question_input.has_focus
        await pilot.press(*"What was the median duration of response?")
        await pilot.press("enter")
        turn = app.turns[-1]
        assert not turn.done
        assert "Waiting for the index and model to load" in screen_text(turn)
        release.set()
        await wait_for(pilot, lambda: turn.done, "the queued question")
        assert turn.answer.citations[0].text == DOR

    run(app, scenario)  # held_open releases the engine if the scenario stops early


def test_keys_typed_as_the_chat_starts_are_the_question(chat_dirs, held_open: threading.Event) -> None:
    """Typed before the chat has the terminal, Enter reaches it as a newline (ctrl+j),
    and every key goes to the question box, not to the citations' own keys."""
    release = held_open
    app = make_app(*chat_dirs, Settings())
    question = "how long did a response last? (o, c, y, j, k)"

    async def scenario(pilot: Pilot) -> None:
        assert app.focused is app.question_input
        await pilot.press(*question, "ctrl+j")
        turn = app.turns[-1]
        assert turn.question == question
        assert app.question_input.value == ""
        release.set()
        await wait_for(pilot, lambda: turn.done, "the question typed ahead")
        assert turn.answer.citations[0].text == DOR

    run(app, scenario)  # held_open releases the engine if the scenario stops early


def test_copy_export_help_and_palette(make_chat, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        # Before any question there is nothing to export.
        await pilot.press("ctrl+s")
        assert not list(tmp_path.glob("*.md"))
        turn = await ask(pilot, "What was the median duration of response?")
        await ask(pilot, "and the overall survival?")

        # Copy: from the citations with c, and anywhere with ctrl+y.
        await pilot.press("tab", "up", "up", "up")
        assert app.query_one(Transcript).cursor is turn.citations[0]
        await pilot.press("c")
        assert app.clipboard == f"“{DOR}”\n— {turn.citations[0].citation.doc}, Efficacy, characters 1818–1897"

        # Export to Markdown in the current folder, with the path notified.
        await pilot.press("ctrl+s")
        files = list(tmp_path.glob("qa-conversation-*.md"))
        assert len(files) == 1
        md = files[0].read_text("utf-8")
        assert "## 1. What was the median duration of response?" in md
        assert "Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)" in md
        assert "## 2. and the overall survival?" in md
        assert "Searched: *What was the median overall survival?*" in md
        assert f"— `{turn.citations[0].citation.doc}`, Efficacy, characters 1818–1897" in md
        assert any(str(files[0]) in n.message for n in app._notifications)

        # Help screen, closed with escape.
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

        # The command palette runs the same actions.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Export conversation")
        await wait_for(pilot, lambda: bool(app.screen.query(CommandList)) and app.screen.query_one(CommandList).option_count > 0, "palette hits")
        hits = app.screen.query_one(CommandList)
        assert "Export conversation" in str(hits.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(list(tmp_path.glob("qa-conversation-*.md"))) == 2, "a second export")

    run(app, scenario)


def test_rebuild_runs_in_the_background_and_answers_afterwards(chat_dirs, tmp_path: Path, monkeypatch) -> None:
    from qa.answering.engine import Engine

    corpus, index = chat_dirs
    own_index = tmp_path / "index"
    shutil.copytree(index, own_index)
    release = threading.Event()
    original = Engine.open

    def held_rebuild(self, *, rebuild=False, **kwargs):  # type: ignore[no-untyped-def]
        if rebuild:
            assert release.wait(60), "the test never released the rebuild"
        return original(self, rebuild=rebuild, **kwargs)

    monkeypatch.setattr(Engine, "open", held_rebuild)
    app = make_app(corpus, own_index, Settings())

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("ctrl+r")
        assert app.state == "rebuilding"
        assert "Rebuilding the index" in screen_text(app.status)
        # The UI stays responsive; a question asked meanwhile waits for the rebuild.
        app.question_input.value = "What was the median duration of response?"
        await pilot.press("enter")
        turn = app.turns[-1]
        assert not turn.done and "Waiting for the index and model to load" in screen_text(turn)
        release.set()
        await wait_for(pilot, lambda: turn.done, "the answer after the rebuild")
        assert turn.answer.citations[0].text == DOR
        assert app.state == "ready"
        assert any("Index rebuilt" in (n.title or "") for n in app._notifications)

    try:
        run(app, scenario)
    finally:
        release.set()


def test_errors_are_notifications_not_tracebacks(tmp_path: Path, make_chat) -> None:
    # A folder name that looks like markup must show as written, everywhere.
    app = make_app(tmp_path / "[b]no-such[red] corpus", tmp_path / "index", Settings())

    async def scenario(pilot: Pilot) -> None:
        await wait_for(pilot, lambda: app.state == "failed", "the load to fail")
        assert "[b]no-such[red] corpus does not exist" in app.status.message
        squeezed = "[b]no-such[red]corpusdoesnotexist"  # wrapped lines may split the path anywhere
        assert squeezed in screen_text(app.query_one(".transcript--notice")).replace(" ", "")
        assert any("does not exist" in n.message for n in app._notifications)
        await wait_for(pilot, lambda: bool(app.screen.query("Toast")), "the notification")
        assert squeezed in screen_text(app.screen.query_one("Toast")).replace(" ", "")
        assert "[b]no-such[red] corpus" in app.sub_title
        app.question_input.value = "What was the median duration of response?"
        await pilot.press("enter")
        assert "press Ctrl+R to retry" in screen_text(app.turns[-1])

    run(app, scenario, notifications=True)

    app = make_chat()

    async def no_words(pilot: Pilot) -> None:
        await ready(pilot)
        app.question_input.value = "???"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.turns and app.turns[-1].done, "the question to fail")
        assert "The question has no words in it." in screen_text(app.turns[-1])
        assert any("no words" in n.message for n in app._notifications)

    run(app, no_words)


def test_narrow_terminal_puts_the_passage_below(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        t, p = app.query_one(Transcript).region, app.query_one(PassagePane).region
        assert p.x >= t.right and p.y == t.y  # side by side at 120 columns
        await pilot.resize_terminal(80, 40)
        await pilot.pause()
        assert app.screen.has_class("-narrow")
        t, p = app.query_one(Transcript).region, app.query_one(PassagePane).region
        assert p.y >= t.bottom and p.width == t.width

    run(app, scenario)


def test_citation_view_is_reused_by_the_transcript_only() -> None:
    # Guard: citations are not focusable themselves; the transcript owns the cursor.
    assert not CitationView.can_focus and Transcript.can_focus


def test_quitting_while_loading_does_not_wait_for_the_load(chat_dirs, monkeypatch) -> None:
    from qa.answering.engine import Engine

    release = threading.Event()
    original = Engine.open

    def stuck_open(self, **kwargs):  # type: ignore[no-untyped-def]
        release.wait(60)
        return original(self, **kwargs)

    monkeypatch.setattr(Engine, "open", stuck_open)
    app = make_app(*chat_dirs, Settings())
    workers = []

    async def scenario(pilot: Pilot) -> None:
        await pilot.pause()
        assert app.state == "loading"
        workers.extend(w for w in app.workers if w.group == "engine")
        await pilot.press("ctrl+q")

    try:
        run(app, scenario)
        # The worker has given up; only the daemon loading thread is left, and it
        # does not keep the interpreter alive.
        assert workers and all(w.is_finished for w in workers)
        loaders = [t for t in threading.enumerate() if t.name == "qa-load"]
        assert loaders and all(t.daemon for t in loaders)
    finally:
        release.set()


def test_an_answer_landing_under_the_help_screen_is_there_when_it_closes(make_chat, monkeypatch) -> None:
    from qa.answering.engine import Engine

    release = threading.Event()
    original = Engine.ask

    def held_ask(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert release.wait(60), "the test never released the answer"
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "ask", held_ask)
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        app.question_input.value = "What was the median duration of response?"
        await pilot.press("enter")
        turn = app.turns[-1]
        await wait_for(pilot, lambda: "Searching" in screen_text(turn), "the question to be searched")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        release.set()
        await wait_for(pilot, lambda: turn.done, "the answer")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(turn.citations) == 3, "the citations")
        assert turn.citations[0].citation.text == DOR

    try:
        run(app, scenario)
    finally:
        release.set()


def test_a_pdf_citation_shows_its_page_in_the_citation_and_the_document_view(tmp_path: Path) -> None:
    from qa.answering.engine import Engine
    from tests.pdfmaker import make_pdf

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    filler = [f"Line {k} of the methods describes the enrolment of the participants in detail." for k in range(40)]
    pages = [["The pilot trial of drug Z enrolled 80 patients.", *filler],
             ["In the control arm 12 patients died during follow-up.", *filler], ["The discussion ends here."]]
    (corpus / "trial.pdf").write_bytes(make_pdf(pages))
    Engine(corpus, tmp_path / "index", Settings()).open()
    app = make_app(corpus, tmp_path / "index", Settings())

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        turn = await ask(pilot, "How many patients died in the control arm?")
        first = turn.citations[0]
        assert first.citation.text == "In the control arm 12 patients died during follow-up." and first.citation.page == 2
        assert "trial.pdf, p. 2, characters" in screen_text(first)
        pane = app.query_one(PassagePane)
        app.open_citation(first)
        await wait_for(pilot, lambda: pane.settled and pane.top_page is not None, "the passage")
        where = screen_text(pane.query_one(".passage--where"))
        assert "trial.pdf, p. 2" in where and f"page {pane.top_page} of 3 at the top" in where
        pane.view.scroll_home(animate=False, immediate=True)
        await wait_for(pilot, lambda: pane.top_page == 1, "page 1 at the top")
        assert "page 1 of 3 at the top" in screen_text(pane.query_one(".passage--where"))

    run(app, scenario)


def test_a_follow_up_builds_on_the_question_as_corrected(make_chat) -> None:
    app = make_chat()

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        first = await ask(pilot, "What was the medain durration of respons?")
        assert first.understood == "What was the median duration of response?"
        second = await ask(pilot, "and the overall survival?")
        assert second.understood == "What was the median overall survival?"
        assert "15.6 months" in second.answer.citations[0].text

    run(app, scenario)
