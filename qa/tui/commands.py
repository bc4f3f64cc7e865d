"""The command palette's qa commands: the same actions as the keys.

Each command names an action of the running app (`action_<name>`), looked up
on `self.app` when the palette opens, so this module needs nothing of the app
itself (and the app imports it without a cycle).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (name, help, action on the app)
COMMANDS: list[tuple[str, str, str]] = [
    ("Ask a question", "Go to the question box", "focus_input"),
    ("Citations", "Go to the citations of the latest answer", "focus_citations"),
    ("Next citation", "Select the next citation", "next_citation"),
    ("Previous citation", "Select the previous citation", "previous_citation"),
    ("Open citation", "Show the selected citation in its document", "open_citation"),
    ("Copy citation", "Copy the selected citation and its reference to the clipboard", "copy_citation"),
    ("Export conversation", "Save the conversation and its citations as Markdown in the current folder", "export"),
    ("Ask one document…", "Choose the document (or /doc NAME) that the following questions are asked of", "pick_document"),
    ("Ask the whole corpus", "Clear the document scope (or /doc alone)", "whole_corpus"),
    ("Grid: RCT preset", "Ask the randomised-trial questions of every document (of the scope) in a table", "grid_preset"),
    ("Grid from file…", "Ask a question file's questions of every document (of the scope) in a table", "grid_file"),
    ("Rebuild index", "Build the index again from the corpus, in the background", "rebuild"),
    ("Help", "Keys and how qa answers", "help"),
]


class QACommands(Provider):
    """Every qa action by name."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [(name, help, getattr(self.app, f"action_{action}")) for name, help, action in COMMANDS]

    async def discover(self) -> Hits:
        for name, help, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help)
