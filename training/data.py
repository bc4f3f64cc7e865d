"""The public training and evaluation data, read by qa's own readers.

Every data set becomes questions over documents of units, exactly as qa indexes
them (qa.reading), with the units that answer each question marked by the
benchmarks' own scoring rule (qa.answering.evaluate). Splits are by article:

- Evidence Inference 2.0 (../shared/benchmarks/evidence-inference): its train
  split trains, in two parts by article: "train-a" (three quarters) fits the
  encoder, "train-b" fits the ranking and confidence models on top of it, so
  that those see the encoder's scores on questions it was not trained on. Its
  validation split is held out and never trained, tuned or chosen on.
- COVID-QA dev (../shared/benchmarks/covidqa): articles in FOLDS groups; a
  run can leave one group out, which is how its held-out figures are made.
- The STORM gold set (tests/data/storm_gold.jsonl): its answerable questions
  train; STORM figures are reported on questions written after training
  (tests/data/storm_fresh.jsonl), never trained on.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.answering.evaluate import span_hit
from qa.index.dense import embedding_text
from qa.models import Unit
from qa.reading.formats import read_document
from qa.reading.plain import read_text
from qa.reading.units import units_of

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "benchmarks"
EI = SHARED / "evidence-inference"
COVIDQA = SHARED / "covidqa" / "covidqa-dev.json"
STORM_GOLD = ROOT / "tests" / "data" / "storm_gold.jsonl"
STORM_CORPUS = ROOT / "corpus"
FOLDS = 5
FOLD_SEED = 7
PART_B = 0.25
"""Share of the EI train articles kept from the encoder for the models above it."""
FINDINGS = ("significantly increased", "significantly decreased", "no significant difference")
"""The reported finding of an Evidence Inference evidence span, in the order of the finding head's outputs."""


@dataclass(slots=True)
class Doc:
    name: str
    text: str
    units: list[Unit]

    def passage(self, i: int) -> str:
        """What the models read for unit i: its heading context (or table context) and text."""
        return embedding_text(self.units[i])


@dataclass(slots=True)
class Question:
    id: str
    text: str
    doc: str
    source: str
    """"ei", "covidqa" or "storm"."""
    split: str
    """"train-a", "train-b", "validation" (EI), "fold0".."fold4" (COVID-QA), "storm"."""
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    """Gold (start, end, text) in the document; start -1 where only the text is known."""
    positives: set[int] = field(default_factory=set)
    """Units of the document that answer it (by the benchmark's rule)."""
    finding: int = -1
    """Index into FINDINGS (EI only): the first doctor's label, else -1."""
    span_findings: list[int] = field(default_factory=list)
    """EI: each gold span's own label (index into FINDINGS, -1 where it has none), in spans' order."""
    slots: tuple[str, str, str] | None = None
    """EI: (intervention, comparator, outcome), from which other phrasings are made."""


@dataclass(slots=True)
class Dataset:
    docs: dict[str, Doc]
    questions: list[Question]

    def select(self, keep: Iterable[str]) -> list[Question]:
        wanted = set(keep)
        return [q for q in self.questions if q.split in wanted and q.positives]


def _doc(name: str, data: bytes) -> Doc:
    document, _ = read_document(data, name)
    return Doc(name, document.text, units_of(0, document))


def answers(unit: Unit, spans: list[tuple[int, int, str]]) -> bool:
    """Whether a unit answers by the benchmarks' rule (qa.answering.evaluate.span_hit)."""
    return any(span_hit(unit.start, unit.end, unit.text, *s) for s in spans)


def _positives(doc: Doc, spans: list[tuple[int, int, str]]) -> set[int]:
    return {i for i, u in enumerate(doc.units) if answers(u, spans)}


def ei_rows() -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (EI / "questions.jsonl").read_text("utf-8").splitlines() if line.strip()]


def ei_parts(rows: list[dict]) -> dict[str, str]:  # type: ignore[type-arg]
    """EI train article -> "train-a" or "train-b", fixed by FOLD_SEED."""
    train_docs = sorted({r["doc"] for r in rows if r["split"] == "train"})
    random.Random(FOLD_SEED).shuffle(train_docs)
    cut = int(len(train_docs) * PART_B)
    return {n: ("train-b" if i < cut else "train-a") for i, n in enumerate(train_docs)}


def load_ei(splits: Iterable[str] = ("train", "validation")) -> Dataset:
    wanted = set(splits)
    rows = ei_rows()
    parts = ei_parts(rows)
    docs: dict[str, Doc] = {}
    questions = []
    for r in rows:
        if r["split"] not in wanted:
            continue
        name = r["doc"]
        split = r["split"] if r["split"] != "train" else parts[name]
        if name not in docs:
            docs[name] = _doc(name, (EI / "corpus" / name).read_bytes())
        spans = [(g["start"], g["end"], g["text"]) for g in r["gold"]]
        labels = [FINDINGS.index(g["label"]) if g["label"] in FINDINGS else -1 for g in r["gold"]]
        q = Question(r["id"], r["question"], name, "ei", split, spans, _positives(docs[name], spans))
        q.finding = next((label for label in labels if label >= 0), -1)
        q.span_findings = labels
        q.slots = (r["intervention"], r["comparator"], r["outcome"])
        questions.append(q)
    return Dataset(docs, questions)


def covid_folds(names: list[str]) -> dict[str, int]:
    """Article -> fold, fixed by FOLD_SEED."""
    order = sorted(names)
    random.Random(FOLD_SEED).shuffle(order)
    return {n: i % FOLDS for i, n in enumerate(order)}


def load_covidqa() -> Dataset:
    data = json.loads(COVIDQA.read_text("utf-8"))
    docs: dict[str, Doc] = {}
    pending = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            name = re.sub(r"[^\w.-]", "_", str(para["document_id"])) + ".txt"
            text = para["context"]
            docs[name] = Doc(name, text, units_of(0, read_text(text)))
            for qa in para["qas"]:
                a = qa["answers"][0]
                start = int(a["answer_start"])
                pending.append((str(qa["id"]), qa["question"], name, (start, start + len(a["text"]), a["text"])))
    folds = covid_folds(list(docs))
    questions = [
        Question(qid, text, name, "covidqa", f"fold{folds[name]}", [span], _positives(docs[name], [span]))
        for qid, text, name, span in pending
    ]
    return Dataset(docs, questions)


def load_storm(gold: Path = STORM_GOLD) -> Dataset:
    path = next(p for p in sorted(STORM_CORPUS.iterdir()) if p.suffix == ".txt")
    doc = _doc(path.name, path.read_bytes())
    questions = []
    for line in gold.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        spans = [(-1, -1, g) for g in row.get("gold", [])]
        questions.append(Question(str(row["id"]), row["question"], path.name, "storm", "storm", spans, _positives(doc, spans)))
    return Dataset({doc.name: doc}, questions)
