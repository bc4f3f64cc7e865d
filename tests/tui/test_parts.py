"""The chat's pure helpers: literal text, document wrapping, Markdown export."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from qa.models import Answer, Citation
from qa.tui.document_view import wrap_document
from qa.tui.export import conversation_markdown
from qa.tui.safe_text import clean, find_value, highlighted, literal

CONSOLE = Console(width=200)


@given(st.text())
def test_clean_keeps_offsets_and_leaves_no_control_characters(s: str) -> None:
    c = clean(s)
    assert len(c) == len(s)
    assert all(ch in "\n\t" or unicodedata.category(ch) != "Cc" for ch in c)
    assert "\x1b" not in c


def test_literal_never_interprets_markup() -> None:
    t = literal("[bold red]x[/bold red] [link=http://a]b[/link] \x1b[31m")
    assert t.plain == "[bold red]x[/bold red] [link=http://a]b[/link] \u241b[31m"
    assert not t.spans


def test_highlight_the_value_inside_the_quote() -> None:
    quote = "Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)"
    span = find_value("4.4 months (95% CI, 3.7–10.8)", quote)
    assert span is not None and quote[span[0] : span[1]] == "4.4 months (95% CI, 3.7–10.8)"
    assert find_value("15.6 months", quote) is None and find_value(None, quote) is None
    t = highlighted(quote, span, "reverse")
    assert [(s.start, s.end) for s in t.spans] == [span]


@given(st.lists(st.sampled_from(["ab", "cdefghijklmnop", " ", "\n", "•", "-", "  ", "1.", "é"]), max_size=120).map("".join),
       st.integers(8, 60))
def test_each_wrapped_line_shows_the_document_slice_the_map_gives(doc: str, width: int) -> None:
    wrapped, starts = wrap_document(doc, width, CONSOLE)
    lines = [line.plain for line in wrapped]
    assert len(lines) == len(starts)
    assert starts == sorted(starts) and starts[0] == 0
    ends = starts[1:] + [len(doc)]
    for line, start, end in zip(lines, starts, ends, strict=True):
        assert line.split() == doc[start:end].split()
        assert CONSOLE.measure(Text(line)).maximum <= width


@given(st.lists(st.sampled_from(["ab", "cdefghijklmnop", " ", "\n", "  • ", "x"]), max_size=80).map("".join),
       st.integers(8, 40), st.data())
def test_highlights_cover_the_same_characters_after_wrapping(doc: str, width: int, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(doc)))
    end = data.draw(st.integers(start, len(doc)))
    wrapped, _ = wrap_document(doc, width, CONSOLE, [(start, end, "bold")])
    marked = "".join(line.plain[s.start : s.end] for line in wrapped for s in line.spans)
    assert "".join(marked.split()) == "".join(doc[start:end].split())


def test_wrapping_keeps_hanging_indents_under_bullets() -> None:
    doc = "  • Patients who had a response (minimal/partial/complete) had median overall survival of 15.6 months\nNext"
    wrapped, starts = wrap_document(doc, 30, CONSOLE)
    lines = [line.plain for line in wrapped]
    assert lines[0].startswith("  • Patients")
    assert all(line.startswith("    ") for line in lines[1:-1])
    assert lines[-1] == "Next" and starts[-1] == doc.index("Next")
    i = doc.index("15.6")
    from bisect import bisect_right

    assert "15.6" in lines[bisect_right(starts, i) - 1]


def test_markdown_export_has_citations_references_and_escapes() -> None:
    c = Citation("a_b.txt", 10, 30, "Dose was *40* mg [1]", "Dosing", 1.0)
    answer = Answer("What dose?", "40 mg", False, [c], 0.97, "What dose?")
    follow = Answer("and the route?", None, True, [c], 0.1, "What was the route?")
    md = conversation_markdown([("What dose?", answer, None), ("and the route?", follow, None), ("x", None, "Boom")],
                               corpus="corpus", model="m")
    assert "## 1. What dose?" in md
    assert "**Answer:** 40 mg (confidence 97%)" in md
    assert r"> **\[1\]** Dose was \*40\* mg \[1\]" in md
    assert "> — `a_b.txt`, Dosing, characters 10–30" in md
    assert "Searched: *What was the route?*" in md and "**Not found in the corpus.**" in md
    assert "Related passages (not an answer):" in md
    assert "*Boom*" in md
