"""The ONNX graphs answer as the torch models do: question vectors agree with
sentence-transformers' (cosine >= 0.9999) on the shipped corpus and on COVID-QA
questions, and a graph that does not agree is never used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.index import graphs
from qa.index.embed import Embedder

COVIDQA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "covidqa" / "covidqa-dev.json"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = Embedder(Settings().model)
    e.encode(["exports the graph the first time"])
    return e


def texts_of_the_shipped_corpus(storm_engine) -> list[str]:  # type: ignore[no-untyped-def]
    return [u.text for u in storm_engine.index.units]


def test_the_export_passed_its_check(embedder: Embedder) -> None:
    record = graphs.Record.read(graphs.graph_path("encoder", embedder.graph_key))
    assert record is not None and record.ok, record
    assert record.parity is not None and record.parity >= graphs.PARITY


def test_question_vectors_match_torch_on_the_shipped_corpus(embedder: Embedder, storm_engine) -> None:  # type: ignore[no-untyped-def]
    texts = texts_of_the_shipped_corpus(storm_engine)
    graph = embedder.query_graph()
    assert graph is not None
    cos = (graph.encode(texts) * embedder.torch_encode(texts)).sum(1)
    assert len(texts) > 20 and cos.min() >= 0.9999


def test_question_vectors_match_torch_on_covidqa_questions(embedder: Embedder) -> None:
    if not COVIDQA.exists():
        pytest.skip("COVID-QA is not next to this checkout")
    data = json.loads(COVIDQA.read_text("utf-8"))
    questions = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]][:300]
    graph = embedder.query_graph()
    assert graph is not None
    cos = (graph.encode(questions) * embedder.torch_encode(questions)).sum(1)
    assert cos.min() >= 0.9999


def test_a_graph_that_disagrees_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Embedder) -> None:
    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    fresh = Embedder(Settings().model)
    fresh._model = embedder.model  # the same torch model, already loaded
    monkeypatch.setattr(graphs, "least_cosine", lambda a, b: 0.5)
    record = fresh.export_graph()
    assert record is not None and not record.ok and "cosine" in record.why
    assert fresh.query_graph() is None
    vec = fresh.encode(["What was the median duration of response?"])
    assert np.allclose(vec, embedder.torch_encode(["What was the median duration of response?"]), atol=1e-6)


def test_the_optimised_graph_is_kept_and_answers_to_the_bit(tmp_path: Path, embedder: Embedder) -> None:
    graph = embedder.query_graph()
    assert graph is not None
    copy = tmp_path / graph.path.name
    copy.write_bytes(graph.path.read_bytes())
    x = graphs.batch_inputs(graph.tokenizer.encode_batch(list(graphs.CHECK_TEXTS)))
    first = graphs.open_session(copy).run(None, x)[0]  # optimises the graph and keeps it
    kept = sorted(tmp_path.glob("*.ort-*.onnx"))
    assert len(kept) == 1
    np.testing.assert_array_equal(graphs.open_session(copy).run(None, x)[0], first)  # opens the kept one
    kept[0].write_bytes(b"not a graph")
    np.testing.assert_array_equal(graphs.open_session(copy).run(None, x)[0], first)  # damaged: made again
    assert kept[0].stat().st_size > 1_000_000
    graphs.open_session(copy, keep=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([copy.name, kept[0].name])
