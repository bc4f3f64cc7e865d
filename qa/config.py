"""Typed settings for retrieval, answering and indexing, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from qa.paths import default_model


@dataclass(frozen=True, slots=True)
class Weights:
    """How the reranker weighs each feature of a candidate unit."""

    dense: float = 1.0
    """Cosine similarity of question and unit (with its heading context)."""
    lexical: float = 0.25
    """BM25 score, scaled by the best score for the question."""
    coverage: float = 1.0
    """IDF-weighted share of the question's terms the unit contains."""
    phrase: float = 0.45
    """Share of the question's adjacent term pairs found adjacent in the unit."""
    answer_type: float = 0.42
    """The unit holds the kind of value asked for (a duration, a percentage...)."""
    neighbour: float = -0.15
    """Best dense similarity of the units next to it (context)."""
    document: float = 0.15
    """How well the unit's document as a whole matches (its best units)."""
    short: float = -0.05
    """Penalty for fragments of fewer than five words."""
    novelty: float = 0.45
    """Share of the unit's terms not in the question (an answer adds something)."""
    length: float = 0.15
    """Content terms in the unit, saturating at 25 (fuller sentences hold answers)."""
    doc_coverage: float = 0.5
    """IDF share of the question's terms found anywhere in the unit's document."""
    title: float = 0.05
    """IDF share of the question's terms found in the document's title."""
    proximity: float = 0.35
    """A value of the asked-for kind stands close to a word of the question."""
    label: float = 0.25
    """For a "Label: value" item, the share of the label that the question asks about."""
    defines: float = 0.1
    """The unit defines an abbreviation the question uses ("Exportin 1 (XPO1)")."""
    abstract: float = 0.0
    """The unit's section is the abstract (or a summary)."""
    results: float = 0.0
    """The unit's section reports results ("Results", "Findings", "Outcomes")."""
    methods: float = 0.0
    """The unit's section is on methods: design, participants, interventions, statistics."""
    framing: float = 0.0
    """The unit's section frames the study: introduction, background, discussion, conclusion."""
    statistic: float = 0.0
    """The unit reports a test of a difference (a p-value, a confidence interval, a ratio, "significant")."""
    comparison: float = 0.0
    """The question compares arms (the same for all its candidates: the model's trees can
    weigh the other features differently for such questions)."""



@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that tunes qa's behaviour; the CLI and the chat share it."""

    model: str = field(default_factory=default_model)
    """Sentence-transformers model name or path used for embeddings."""
    trained: bool = True
    """Use qa's trained weights (qa/weights) on the packaged model: the fine-tuned
    encoder for the index and questions, and the learned ranking. False: the base
    model and hand-set ranking weights (for comparison)."""
    contradiction_abstains: bool = True
    """Abstain whenever the best passage contradicts the question (another part, arm or
    cohort, "X" where "non-X" is asked, a group it does not name, a trial the corpus
    never names: the checks of
    qa.answering.abstention), whatever the confidence model says: the training data
    hold too few such questions for the model to learn it (bench/accuracy.py --ablate
    measures what the rule does)."""
    device: str | None = None
    """Torch device for embedding ("cpu", "cuda"); None picks the best present."""
    batch_size: int = 64
    """Texts per encoding batch when indexing and answering in bulk."""
    top_k: int = 3
    """Citations returned per question."""
    candidates: int = 100
    """Units taken from each of dense and lexical search before reranking."""
    abstain_below: float = -2.01
    """Answerability (top score + coverage − 3 × unknown-term share, − 10 when the
    best passage contradicts the question: part 1 asked, only part 2 reported;
    a trial the corpus never names; the median of another quantity)
    under which qa says the corpus does not answer. Used untrained only (trained,
    qa/weights/confidence.json decides)."""
    abstain_below_value: float = 0.549
    """The same for questions asking for a value (how many, how long, what
    percentage...): a value from a weakly matching sentence is likely another's."""
    merge_margin: float = 0.04
    """For a question asking for a value (a count, a duration...), an adjacent
    sentence scoring within this of the best joins its citation."""
    passage_margin: float = 2.0
    """The same for other questions ("What is...?", "How does...?"), whose answers
    often run over two sentences: at 2.0 the better neighbour in the same paragraph
    nearly always joins (within merge_max_chars). Used untrained only: the trained
    ranking model carries margins on its own score scale."""
    merge_max_chars: int = 400
    """Longest passage that two merged sentences may make."""
    max_file_bytes: int | None = None
    """Corpus files larger than this are skipped with a warning; None: $QA_MAX_FILE_MB, else 10 MB (50 MB for a PDF)."""
    max_pages: int | None = None
    """PDFs with more pages than this are skipped with a warning; None: $QA_MAX_PAGES, else 500."""
    exact_search_max: int = 200_000
    """Largest corpus (in units) searched exactly; above it an HNSW index is used."""
    weights: Weights = field(default_factory=Weights)
    """Reranker feature weights."""

    def with_(self, **changes: Any) -> Settings:
        """A copy with the given fields changed (None values are ignored)."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if v is not None and k in known})
