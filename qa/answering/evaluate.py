"""Scoring qa against gold questions: gold JSONL files and SQuAD files.

Gold JSONL rows are {"id", "question", "gold": [...], "answer"?, "doc"?,
"split"?}; "gold" holds source substrings, or spans {"start", "end", "text"}
of the document "doc" (the Evidence Inference form: any one span answers). An
empty gold list marks a question the corpus does not answer.

One rule scores every citation (the rule of the COVID-QA and Evidence Inference
READMEs): it comes from the question's document where the gold names one, is at
most max(400, 1.5 × the gold length) characters long, and contains the gold text
(whitespace and case normalised) or covers at least half of the gold's
character range where that is known. SQuAD files (COVID-QA) become one document
per article.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import QAError
from qa.models import Answer, Citation
from qa.text import fold

MRR_DEPTH = 10


SURE = 0.9
"""The confidence a reader should be able to take at its word: of the answers given
with at least this much, nine in ten must be right (issue 12)."""

@dataclass(slots=True)
class GoldItem:
    id: str
    question: str
    gold: list[str]
    """Texts that answer (any one does); empty: the corpus does not answer."""
    answer: str | None = None
    doc: str | None = None
    """The question's document, where the gold file names it (SQuAD, Evidence Inference)."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Each gold text's [start, end) in its document, where known (parallel to gold)."""


@dataclass(slots=True)
class Report:
    """Figures of one evaluation run."""

    name: str
    count: int = 0
    answerable: int = 0
    p_at_1: float = 0.0
    p_at_3: float = 0.0
    mrr: float = 0.0
    unanswerable: int = 0
    abstained_unanswerable: float | None = None
    """Share of unanswerable questions qa abstained on (higher is better)."""
    abstained_answerable: float = 0.0
    """Share of answerable questions qa wrongly abstained on (lower is better)."""
    short_answers: int = 0
    short_answer_accuracy: float | None = None
    answered_right: float | None = None
    """Of the questions qa answered (did not abstain on), the share whose first citation is right."""
    sure: int = 0
    """Questions answered with confidence >= SURE."""
    sure_right: float | None = None
    """Of those, the share whose first citation is right."""
    ece: float | None = None
    """Expected calibration error of the confidence (every question: right = first citation right)."""
    ece_chance: float | None = None
    """The ECE a perfectly calibrated confidence shows on these questions by chance alone
    (chance_ece): an ECE near it is sampling noise, not miscalibration."""
    reliability: list[tuple[float, float, float, int]] = field(default_factory=list)
    """Per confidence bin: (bin low, mean confidence, share right, count)."""
    seconds: float = 0.0
    index_seconds: float = 0.0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__ if k != "misses"}
        d["reliability"] = [[round(x, 4) for x in row] for row in self.reliability]
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}

    def lines(self) -> list[str]:
        out = [
            f"{self.name}: {self.count} questions ({self.answerable} answerable, {self.unanswerable} unanswerable)",
            f"  P@1 {self.p_at_1:.3f}   P@3 {self.p_at_3:.3f}   MRR@{MRR_DEPTH} {self.mrr:.3f}",
            f"  wrongly abstained on answerable: {self.abstained_answerable:.1%}",
        ]
        if self.abstained_unanswerable is not None:
            out.append(f"  abstained on unanswerable:        {self.abstained_unanswerable:.1%}")
        if self.short_answer_accuracy is not None:
            out.append(f"  short answers right: {self.short_answer_accuracy:.1%} of {self.short_answers}")
        if self.answered_right is not None:
            out.append(f"  first citation right when qa answers: {self.answered_right:.1%}")
        if self.sure_right is not None:
            out.append(f"  first citation right at confidence >= {SURE}: {self.sure_right:.1%} of {self.sure}")
        if self.ece is not None:
            chance = f" (by chance alone on {self.count} questions: about {self.ece_chance:.3f})" if self.ece_chance is not None else ""
            out.append(f"  confidence: ECE {self.ece:.3f}{chance}; by bin (confidence → share right, n):")
            out += [f"    [{lo:.1f}, {lo + 0.1:.1f})  {conf:.2f} → {right:.2f}  n={n}" for lo, conf, right, n in self.reliability]
        out.append(f"  time: {self.seconds:.1f} s answering, {self.index_seconds:.1f} s indexing")
        return out


def _norm(s: str) -> str:
    return " ".join(fold(s).split())


def _gold_item(obj: dict[str, Any], n: int) -> GoldItem:
    """A gold row: "gold" holds answering texts, or spans {"start", "end", "text"}
    of the document named by "doc" (the Evidence Inference form)."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for g in obj.get("gold", []):
        if isinstance(g, dict):
            texts.append(str(g["text"]))
            spans.append((int(g["start"]), int(g["end"])))
        else:
            texts.append(str(g))
    if spans and len(spans) != len(texts):
        raise ValueError("gold mixes texts and spans")
    doc = obj.get("doc")
    return GoldItem(str(obj.get("id", n)), obj["question"], texts, obj.get("answer"), str(doc) if doc else None, spans)


def load_gold(path: Path, split: str | None = None) -> list[GoldItem]:
    """Read a gold JSONL file, naming the line of any malformed row; with `split`,
    only the rows whose "split" field is that."""
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise QAError(f"Cannot read gold file {path}: {exc.strerror or exc}") from None
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            gold = obj.get("gold", [])
            if not isinstance(gold, list) or not isinstance(obj["question"], str):
                raise ValueError("gold must be a list and question a string")
            if split is not None and obj.get("split") != split:
                continue
            items.append(_gold_item(obj, n))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise QAError(f"{path}, line {n}: not a gold row ({exc}).") from None
    if not items:
        raise QAError(f"{path} holds no gold questions.")
    return items


def is_squad(path: Path) -> bool:
    if path.suffix.lower() != ".json":
        return False
    with open(path, "rb") as f:
        head = f.read(200).lstrip()
    return head.startswith(b"{") and b'"data"' in head


def load_squad(path: Path, corpus: Path) -> list[GoldItem]:
    """Write each SQuAD article to corpus/<document_id>.txt; return its questions."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise QAError(f"Cannot read SQuAD file {path}: {exc}") from None
    corpus.mkdir(parents=True, exist_ok=True)
    items = []
    for article in data.get("data", []):
        for n, para in enumerate(article.get("paragraphs", [])):
            doc_id = str(para.get("document_id", f"{article.get('title', 'doc')}-{n}"))
            name = re.sub(r"[^\w.-]", "_", doc_id) + ".txt"
            target = corpus / name
            context = para["context"]
            if not target.exists() or target.read_text("utf-8") != context:
                target.write_text(context, "utf-8", newline="")
            for qa in para.get("qas", []):
                answers = qa.get("answers") or []
                if not answers:
                    items.append(GoldItem(str(qa["id"]), qa["question"], [], doc=name))
                    continue
                a = answers[0]
                start = int(a["answer_start"])
                span = (start, start + len(a["text"]))
                items.append(GoldItem(str(qa["id"]), qa["question"], [a["text"]], doc=name, spans=[span]))
    if not items:
        raise QAError(f"{path} holds no questions.")
    return items


def squad_workspace(path: Path, root: Path) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return root / f"{path.stem}-{digest}"


def span_hit(start: int, end: int, text: str, gold_start: int, gold_end: int, gold: str) -> bool:
    """The benchmarks' rule for one passage against one gold text: at most
    max(400, 1.5 × the gold length) characters, and it contains the gold text
    (whitespace and case normalised) or, where the gold's range is known
    (gold_start >= 0), covers at least half of it."""
    if len(text) > max(400, 1.5 * len(gold)):
        return False
    if _norm(gold) in _norm(text):
        return True
    if gold_start < 0:
        return False
    overlap = max(0, min(gold_end, end) - max(gold_start, start))
    return overlap >= 0.5 * (gold_end - gold_start)


def citation_hit(item: GoldItem, c: Citation) -> bool:
    """A citation answers when it is from the question's document (where the gold
    names one) and meets span_hit for one of the gold texts."""
    if not item.gold or (item.doc is not None and c.doc != item.doc):
        return False
    spans = item.spans or [(-1, -1)] * len(item.gold)
    return any(span_hit(c.start, c.end, c.text, s, e, g) for g, (s, e) in zip(item.gold, spans, strict=True))


_PARENTHETICAL = re.compile(r"\s*\([^()]*\)")
_SAMPLE_SIZE = re.compile(r"^n\s*=\s*(?=\d)")


def short_answer_right(got: str | None, want: str) -> bool:
    """Equal once normalised, allowing a qualifying parenthetical on either side
    ("4.4 months (95% CI, 3.7–10.8)" answers "4.4 months") and a sample size's "n="
    ("n=28" answers "28")."""
    if not got:
        return False
    g, w = _SAMPLE_SIZE.sub("", _norm(got)), _SAMPLE_SIZE.sub("", _norm(want))
    if g == w:
        return True
    g, w = _norm(_PARENTHETICAL.sub("", got)), _norm(_PARENTHETICAL.sub("", want))
    if not w:
        return False
    if g == w:
        return True
    # A counted noun or a label around the value is fine ("24 partial responses" for "24").
    gt, wt = g.split(), w.split()
    for i in range(len(gt) - len(wt) + 1):
        if gt[i : i + len(wt)] == wt:
            extra = gt[:i] + gt[i + len(wt) :]
            return len(extra) <= 3 and not any(any(c.isdigit() for c in t) for t in extra)
    return False


def score(
    name: str,
    items: Sequence[GoldItem],
    answers: Sequence[Answer],
) -> Report:
    r = Report(name, count=len(items))
    rr = 0.0
    hits1 = hits3 = 0
    wrong_abstain = unans_abstain = 0
    short_right = 0
    confidences: list[float] = []
    right: list[bool] = []
    for item, ans in zip(items, answers, strict=True):
        confidences.append(ans.confidence)
        if not item.gold:
            right.append(False)
            r.unanswerable += 1
            unans_abstain += ans.abstained
            continue
        r.answerable += 1
        wrong_abstain += ans.abstained
        hits = [citation_hit(item, c) for c in ans.citations[:MRR_DEPTH]]
        first = next((i for i, h in enumerate(hits) if h), None)
        right.append(first == 0)
        if first is not None:
            rr += 1.0 / (first + 1)
            hits1 += first == 0
            hits3 += first < 3
        if first != 0:
            r.misses.append(
                {"id": item.id, "question": item.question, "gold": item.gold[0][:120],
                 "cited": ans.citations[0].text[:120] if ans.citations else None, "rank": None if first is None else first + 1}
            )
        if item.answer:
            r.short_answers += 1
            short_right += short_answer_right(ans.answer, item.answer)
    if r.answerable:
        r.p_at_1 = hits1 / r.answerable
        r.p_at_3 = hits3 / r.answerable
        r.mrr = rr / r.answerable
        r.abstained_answerable = wrong_abstain / r.answerable
    if r.unanswerable:
        r.abstained_unanswerable = unans_abstain / r.unanswerable
    if r.short_answers:
        r.short_answer_accuracy = short_right / r.short_answers
    answered = [ok for ok, ans in zip(right, answers, strict=True) if not ans.abstained]
    if answered:
        r.answered_right = sum(answered) / len(answered)
    sure = [ok for ok, c in zip(right, confidences, strict=True) if c >= SURE]
    r.sure = len(sure)
    if sure:
        r.sure_right = sum(sure) / len(sure)
    if items:
        r.reliability, r.ece = reliability(np.array(confidences), np.array(right, np.float64))
        r.ece_chance = chance_ece(np.array(confidences))
    return r


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[list[tuple[float, float, float, int]], float]:
    """(bin low, mean confidence, observed share right, count) per confidence bin, and the
    expected calibration error (the count-weighted mean gap between the two)."""
    rows = []
    ece = 0.0
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (p >= lo) & ((p < hi) | (hi == 1.0))
        if m.any():
            rows.append((float(lo), float(p[m].mean()), float(y[m].mean()), int(m.sum())))
            ece += m.sum() / len(p) * abs(p[m].mean() - y[m].mean())
    return rows, float(ece)


def chance_ece(p: np.ndarray, bins: int = 10, draws: int = 1000, seed: int = 0) -> float:
    """The median ECE of a perfectly calibrated confidence: outcomes drawn with the
    probabilities p themselves, binned as reliability() bins them. ECE is biased
    upwards on few questions (about 0.15 on 30 of them, 0.05 on 250), so a measured
    ECE means miscalibration only where it stands clear of this."""
    if not len(p):
        return 0.0
    rng = np.random.default_rng(seed)
    drawn = rng.random((draws, len(p))) < p
    which = np.clip(np.searchsorted(np.linspace(0, 1, bins + 1), p, side="right") - 1, 0, bins - 1)
    gaps = np.zeros(draws)
    for b in np.unique(which):
        m = which == b
        gaps += m.sum() * np.abs(drawn[:, m].mean(axis=1) - p[m].mean())
    return float(np.median(gaps / len(p)))


def run(
    engine_answer: Callable[[list[str], list[str]], list[Answer]],
    name: str,
    items: list[GoldItem],
) -> Report:
    t0 = time.perf_counter()
    answers = engine_answer([i.question for i in items], [i.id for i in items])
    report = score(name, items, answers)
    report.seconds = time.perf_counter() - t0
    return report
