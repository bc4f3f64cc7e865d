"""The help texts: the welcome before the first question, and the help screen with every key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

WELCOME = (
    "Ask a question about the articles in the corpus and press Enter.\n\n"
    "qa answers by quoting the sentences that hold the answer, numbered [1] [2] [3], "
    "each with its document and section. Tab moves to the citations and Enter opens one "
    "in its document, on the right; Esc comes back here. Short follow-ups such as "
    "“and the overall survival?” build on the previous question.\n\n"
    "F1 shows every key; Ctrl+P lists every command."
)
"""What the transcript shows before the first question."""

HELP = """\
# qa chat — help

Ask a question about the articles in the corpus. qa answers by **quoting the
sentences** that hold the answer, numbered [1] [2] [3], each with its document,
section and character offsets. The short answer is highlighted in the quote.
Nothing is generated: when the corpus does not answer, qa says
**Not found in the corpus** (and why, when it can tell: the closest passage is
about another group, another part of the trial, or other things than the one
asked) and lists the closest passages as *related*.

Short follow-ups such as *and the overall survival?* or *what about grade 3
anemia?* are read in the context of the previous question; the turn then shows
what was actually searched.

## One document, or all of them at once

Type **/doc NAME** in the question box to ask the following questions of one
document only (a file of the corpus, its name without the suffix, or a glob such
as `PMC5*`); the status line shows it. **/doc** alone goes back to the whole
corpus. The command palette's *Ask one document…* lists the documents to choose.

*Grid: RCT preset* (command palette) asks the randomised-trial questions (design,
population, number randomised, …) of every document, or of the scope's, into a
table that fills as the answers come; *Grid from file…* takes the questions from a
question file. Enter on a cell opens its passage; Ctrl+S exports the grid (.csv,
.xlsx or .md); Esc comes back here.

## Keys

| Key | In the question box |
|---|---|
| Enter | ask the question |
| ↑ / ↓ | earlier / later questions |
| Tab | go to the citations |

| Key | In the citations |
|---|---|
| ↑ / ↓ (k / j) | previous / next citation |
| Enter (o, space) | open the citation in its document, on the right |
| c (y) | copy the citation and its reference |
| Esc | back to the question box |

| Key | Anywhere |
|---|---|
| Ctrl+Y | copy the selected citation |
| Ctrl+S | export the conversation to a Markdown file in the current folder |
| Ctrl+R | rebuild the index from the corpus |
| Ctrl+P | command palette (every action by name) |
| F1 | this help |
| Ctrl+Q | quit |

The mouse works too: click a citation to open it, scroll the transcript and the
passage with the wheel, click a key in the footer.

Press **Esc** to close this help.
"""


class HelpScreen(ModalScreen[None]):
    """Keys and a short explanation, over the chat."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 84;
        max-width: 100%;
        height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("escape,q,f1", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
