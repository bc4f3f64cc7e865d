"""The shipped finding model: it loads offline on top of the packaged MiniLM and
reads plainly reported findings the way a reader of the trial would.

The sentences are written for this test (no trial report says them), in the
three ways results sections report a comparison.
"""

from __future__ import annotations

import pytest

from qa.answering.finding import finding_reader
from qa.errors import QAError
from qa.models import FINDING_LABELS
from qa.paths import weights_dir

READINGS = [
    ("How did aspirin compare with placebo on the rate of stroke?",
     "Stroke occurred significantly less often with aspirin than with placebo (2.1% vs 4.3%; p = 0.002).",
     "significantly decreased"),
    ("How did supervised exercise compare with usual care on walking distance?",
     "Walking distance improved significantly more with supervised exercise than with usual care "
     "(mean difference 45 m, 95% CI 21 to 69; p < 0.001).",
     "significantly increased"),
    ("How did acupuncture compare with sham acupuncture on pain scores at 8 weeks?",
     "Pain scores at 8 weeks did not differ significantly between the acupuncture and sham groups (p = 0.64).",
     "no significant difference"),
]


def test_the_finding_model_loads_offline_and_reads_plain_findings() -> None:
    reader = finding_reader(weights_dir())
    assert reader.available
    pairs = [(q, p) for q, p, _ in READINGS]
    first = reader.probabilities(pairs)  # torch, then the graph is exported
    again = reader.probabilities(pairs)  # the exported graph, where it agreed with torch
    assert [FINDING_LABELS[i] for i in first.argmax(1)] == [want for _, _, want in READINGS]
    assert (again.argmax(1) == first.argmax(1)).all()
    assert abs(first - again).max() < 1e-3


def test_the_engine_reports_a_finding_only_for_a_comparison() -> None:
    reader = finding_reader(weights_dir())
    question, passage, _ = READINGS[0]
    assert reader.read("What was the rate of stroke?", passage) is None
    found = reader.read(question, passage)
    assert found is None or found.label == "significantly decreased"


def test_weights_that_do_not_fit_the_base_model_are_refused() -> None:
    torch = pytest.importorskip("torch")
    from qa.index.adapters import merge_adapter

    layer = torch.nn.Sequential(torch.nn.Linear(4, 3))
    with pytest.raises(QAError, match="do not fit"):
        merge_adapter(layer, {"0.lora_A": torch.zeros(2, 5), "0.lora_B": torch.zeros(3, 2)})
    with pytest.raises(QAError, match="do not fit"):
        merge_adapter(layer, {"1.weight": torch.zeros(3, 4)})
    merge_adapter(layer, {"0.lora_A": torch.ones(1, 4), "0.lora_B": torch.ones(3, 1), "0.bias": torch.ones(3)})
    assert layer[0].bias.tolist() == [1.0, 1.0, 1.0]


def test_the_finding_reads_the_citations_best_unit_and_nothing_outside_the_quote(storm_engine) -> None:  # type: ignore[no-untyped-def]
    from qa.answering.finding import finding_passage

    idx = storm_engine.index
    answers = storm_engine.ask_many(["How did responders compare with non-responders on overall survival?",
                                     "What was the median duration of response?", "How many patients were enrolled?"])
    for a in answers:
        c = a.citations[0]
        best = idx.units[c.units[0]]
        passage = finding_passage(idx, c)
        assert passage.endswith(best.text) and best.text in c.text  # the unit, after its headings
        assert len(passage) - len(best.text) <= len(" › ".join(best.section)) + len(best.context or "") + 2
