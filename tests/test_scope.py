"""Scoped questions: asked of one document (or a few), answered from those only,
without whole-corpus work; documents found by name, stem or glob."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.answering import ranking
from qa.answering.abstention import contradicts, unknown_share
from qa.answering.engine import Engine
from qa.answering.scope import resolve, scope_of
from qa.cli import main
from qa.config import Settings
from qa.errors import QAError

PATHS = ["trials/PMC59610.txt", "trials/PMC1087200.txt", "other/zinc.txt", "Walking.TXT"]


def test_resolve_by_path_file_name_stem_and_glob() -> None:
    assert resolve(PATHS, "trials/PMC59610.txt") == ["trials/PMC59610.txt"]
    assert resolve(PATHS, "PMC59610.txt") == ["trials/PMC59610.txt"]
    assert resolve(PATHS, "PMC59610") == ["trials/PMC59610.txt"]
    assert resolve(PATHS, " ./other/zinc.txt ") == ["other/zinc.txt"]
    assert resolve(PATHS, "trials/*") == ["trials/PMC59610.txt", "trials/PMC1087200.txt"]
    assert resolve(PATHS, "PMC*") == ["trials/PMC59610.txt", "trials/PMC1087200.txt"]
    assert resolve(PATHS, "walking.txt") == ["Walking.TXT"]  # case matters only when something matches exactly
    assert resolve(PATHS, "*.txt") == PATHS[:3]
    assert resolve(PATHS, "*.TXT") == ["Walking.TXT"]


def test_a_name_that_matches_nothing_is_refused_with_close_names() -> None:
    with pytest.raises(QAError) as e:
        resolve(PATHS, "PMC5961")
    assert "No document in the corpus matches 'PMC5961'" in e.value.message
    assert e.value.hint and "trials/PMC59610.txt" in e.value.hint
    with pytest.raises(QAError) as e:
        resolve(PATHS, "nothing like it")
    assert e.value.hint and "qa list" in e.value.hint
    with pytest.raises(QAError, match="No document named"):
        resolve(PATHS, "  ")


def test_scoped_bm25_is_the_corpus_score_of_those_units(trials_engine) -> None:
    idx = trials_engine.index
    q = trials_engine.prepare("How many children were randomised to zinc?")
    full = idx.lexical.scores(q.weights, q.groups)
    ranges = [idx.doc_unit_ranges[0], idx.doc_unit_ranges[2]]
    part = idx.lexical.scores_in(ranges, q.weights, q.groups)
    assert np.allclose(part, np.concatenate([full[a:b] for a, b in ranges]))
    assert idx.lexical.terms_in(["zinc", "placebo", "treadmil"], [idx.doc_unit_ranges[idx.doc_ids["zinc.txt"]]]) == {"zinc", "placebo"}


def test_words_only_other_documents_use_are_unknown_to_a_scoped_question(trials_engine) -> None:
    idx = trials_engine.index
    q = trials_engine.prepare("How many children were randomised to zinc?")
    assert unknown_share(idx, q) == 0.0  # the corpus uses every word
    assert unknown_share(idx, q, scope_of(idx, [idx.doc_ids["zinc.txt"]])) == 0.0
    walking = unknown_share(idx, q, scope_of(idx, [idx.doc_ids["walking.txt"]]))
    assert 0.5 < walking < 1.0  # no children and no zinc, but randomisation
    both = scope_of(idx, [idx.doc_ids["walking.txt"], idx.doc_ids["zinc.txt"]])
    assert unknown_share(idx, q, both) == 0.0


def test_a_trial_or_drug_only_another_document_names_contradicts_a_scoped_question(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "boston.txt").write_text(
        "Selinexor with bortezomib in myeloma\n\nThe BOSTON trial randomised 402 patients to selinexor, "
        "bortezomib and dexamethasone or to bortezomib and dexamethasone.\nMedian progression-free survival "
        "was 13.9 months with selinexor and 9.5 months without.\n"
    )
    (corpus / "walking.txt").write_text(
        "Walking after surgery\n\nWe randomised 60 patients to early walking or bed rest.\nMedian "
        "progression-free survival was 20.1 months with walking and 19.8 months with bed rest.\n"
    )
    engine = Engine(corpus, tmp_path / "index", Settings())
    engine.open()
    idx = engine.index
    walking, boston = (scope_of(idx, [idx.doc_ids[d]]) for d in ("walking.txt", "boston.txt"))
    for question in ("What was median progression-free survival in the BOSTON trial?",
                     "What was median progression-free survival with bortezomib?"):
        q = engine.prepare(question)
        top = engine.ask(question, docs=["walking.txt"])
        assert top.abstained and top.citations[0].doc == "walking.txt", question
        best = ranking.rank(idx, q, engine._question_vectors([q.text])[0], engine.settings, walking)[0]
        assert contradicts(idx, q, best, walking)
        assert not contradicts(idx, q, best)  # the corpus names it: the other document does
        mine = ranking.rank(idx, q, engine._question_vectors([q.text])[0], engine.settings, boston)[0]
        assert not contradicts(idx, q, mine, boston)
        assert not engine.ask(question, docs=["boston.txt"]).abstained, question


def test_a_scoped_question_is_answered_from_its_document_only(trials_engine) -> None:
    question = "How many participants were randomised?"
    for doc, value in (("warmpack.txt", "240"), ("zinc.txt", "412"), ("walking.txt", "60")):
        ans = trials_engine.ask(question, docs=[doc])
        assert ans.citations and all(c.doc == doc for c in ans.citations)
        assert value in ans.citations[0].text
    many = trials_engine.ask_many([question, question, question], docs=[["zinc.txt"], None, ["zinc.txt", "walking.txt"]])
    assert {c.doc for c in many[0].citations} == {"zinc.txt"}
    assert {c.doc for c in many[2].citations} <= {"zinc.txt", "walking.txt"}
    with pytest.raises(QAError, match="No document 'nope.txt' in the index"):
        trials_engine.ask(question, docs=["nope.txt"])
    with pytest.raises(QAError, match="empty"):
        trials_engine.ask(question, docs=[])


def test_scoped_retrieval_does_no_whole_corpus_work(trials_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    idx = trials_engine.index

    def forbidden(*_a: object, **_k: object) -> None:
        raise AssertionError("whole-corpus work in a scoped question")

    monkeypatch.setattr(idx.lexical, "scores", forbidden)
    monkeypatch.setattr(idx, "faiss_index", forbidden)
    monkeypatch.setattr(ranking, "_doc_features", forbidden)
    ans = trials_engine.ask("What was the primary outcome?", docs=["walking.txt"])
    assert ans.citations[0].doc == "walking.txt"
    assert trials_engine.ask_many(["What was the primary outcome?"], docs=[["zinc.txt"]])[0].citations[0].doc == "zinc.txt"


def test_ask_many_encodes_each_distinct_question_once(trials_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[str] = []
    real = trials_engine.embedder.encode
    monkeypatch.setattr(trials_engine.embedder, "encode", lambda texts: encoded.extend(texts) or real(texts))
    trials_engine._vectors.clear()
    qs = ["Who funded the study?", "How long was the follow-up?"]
    docs = [d.path for d in trials_engine.index.docs]
    for d in docs:  # a document's row at a time, as the grid asks
        trials_engine.ask_many(qs, docs=[[d], [d]])
    assert len(encoded) == 2


def test_qa_ask_doc(trials_dirs, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = trials_dirs
    common = ["--corpus", str(corpus), "--index", str(index)]
    assert main(["ask", *common, "--doc", "zinc", "--json", "How many were randomised?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {c["doc"] for c in out["citations"]} == {"zinc.txt"} and out["finding"] is None
    assert main(["ask", *common, "--doc", "zync.txt", "How many were randomised?"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qa: No document in the corpus matches 'zync.txt'") and "zinc.txt" in err and "Traceback" not in err


def test_batch_rows_carry_their_document(trials_dirs, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = trials_dirs
    common = ["--corpus", str(corpus), "--index", str(index)]
    rows = [
        {"id": "a", "question": "How many were randomised?", "doc": "zinc.txt"},
        {"id": "b", "question": "How many were randomised?", "doc": "warm*"},
        {"id": "c", "question": "How many were randomised?"},
        {"id": "d", "question": "How many were randomised?", "doc": "nowhere.txt"},
        {"id": "e", "question": "How many were randomised?", "doc": 7},
    ]
    q = tmp_path / "q.jsonl"
    q.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["batch", *common, str(q), "-o", str(out), "--doc", "walking.txt"]) == 1
    err = capsys.readouterr().err
    assert "q.jsonl:4: No document in the corpus matches 'nowhere.txt'" in err and "q.jsonl:4:" in err and "; skipped" in err
    assert "q.jsonl:5: \"doc\" is not a string" in err
    docs = {r["id"]: {c["doc"] for c in r["citations"]} for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert docs == {"a": {"zinc.txt"}, "b": {"warmpack.txt"}, "c": {"walking.txt"}}
    csvq = tmp_path / "q.csv"
    csvq.write_text("id,question,doc\nx,How many were randomised?,zinc.txt\ny,How many were randomised?,\n", "utf-8")
    assert main(["batch", *common, str(csvq), "-o", str(tmp_path / "o.jsonl")]) == 0
    recs = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text("utf-8").splitlines()]
    assert {c["doc"] for c in recs[0]["citations"]} == {"zinc.txt"}
    assert len({c["doc"] for c in recs[1]["citations"]}) >= 1
