"""Why qa abstained: one sentence for people, said the same way by every front end."""

from __future__ import annotations

import io
import json

from qa.bulk.writers import format_record, markdown_record
from qa.cli.output import print_answer
from qa.models import Answer, Citation
from qa.tui.export import conversation_markdown

LIST = Citation("storm.txt", 10, 60, "Most common grade 3 or 4 adverse events were anemia (44%), fatigue (25%)", "Safety", -1.0)
REASON = "the closest passage lists values for other things than the one asked"


def abstained(reason: str | None) -> Answer:
    return Answer("What was the rate of grade 3 or 4 nausea?", None, True, [LIST], 0.0, reason=reason)


def test_the_reason_is_said_where_qa_says_it_found_nothing() -> None:
    out = io.StringIO()
    print_answer(abstained(REASON), out)
    assert out.getvalue().startswith(f"Not found in the corpus: {REASON}.\n")
    out = io.StringIO()
    print_answer(abstained(None), out)
    assert out.getvalue().startswith("Not found in the corpus.\n")
    assert f"**Not found in the corpus.** ({REASON}) Closest passages" in format_record(abstained(REASON), "md")
    assert f"**Not found in the corpus: {REASON}.**" in conversation_markdown(
        [("q?", abstained(REASON), None)], corpus="c", model="m")


def test_the_reason_is_in_the_json_and_records_written_before_it_still_render() -> None:
    assert json.loads(format_record(abstained(REASON), "jsonl"))["reason"] == REASON
    assert abstained(None).to_json()["reason"] is None
    old = abstained(None).to_json()
    del old["reason"]  # a batch record from before reasons were kept
    assert "**Not found in the corpus.** Closest passages" in markdown_record(old)
