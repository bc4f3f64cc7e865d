"""The question-answering core that the CLI and the chat share."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qa.answering.abstention import contradiction
from qa.answering.candidates import dense_search, whole_corpus_search
from qa.answering.confidence import VALUE_TYPES
from qa.answering.confidence import confidence as answer_confidence
from qa.answering.extract import short_answer
from qa.answering.finding import finding_passage, finding_reader
from qa.answering.followup import is_follow_up, rewrite
from qa.answering.learned import ranking_model
from qa.answering.query import EXPANSION_WEIGHT, Query, analyse, expand_clipped, expand_family
from qa.answering.ranking import Scored, rank
from qa.answering.scope import Scope, resolve, scope_of
from qa.answering.spelling import Speller, may_need
from qa.config import Settings
from qa.errors import QAError
from qa.index.build import BuildReport
from qa.index.corpus_index import CorpusIndex
from qa.index.documents import canonical_document
from qa.index.embed import Embedder
from qa.index.refresh import open_index
from qa.models import Answer, Citation
from qa.paths import weights_dir
from qa.reading.document import Document
from qa.reading.units import section_label
from qa.text import terms

MAX_QUESTION_CHARS = 2000
"""Longer questions are cut: no real question is longer, and encoding is capped anyway."""
QUESTION_VECTORS_KEPT = 1024
"""ask_many keeps the vectors of this many recent distinct questions: a grid asks
the same questions of every document, one chunk of cells after another."""


def clean_question(question: str) -> str:
    q = " ".join(question.split())
    if not q:
        raise QAError("The question is empty.", hint="Type a question, e.g. “What was the overall response rate?”")
    if not any(c.isalnum() for c in q):
        raise QAError("The question has no words in it.")
    return q[:MAX_QUESTION_CHARS]


class Engine:
    """Answers questions over one corpus with one index."""

    def __init__(self, corpus: Path, index_dir: Path, settings: Settings | None = None) -> None:
        self.corpus = corpus
        self.index_dir = index_dir
        self.settings = settings or Settings()
        self.embedder = Embedder(
            self.settings.model, self.settings.device, self.settings.batch_size, trained=self.settings.trained
        )
        self._index: CorpusIndex | None = None
        self._texts: dict[int, str] = {}
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._ahead: dict[str, Query] = {}
        """Questions encode_ahead analysed, for the ask_many call that asks them."""
        self._speller: Speller | None = None

    # --- lifecycle -----------------------------------------------------------------

    def open(self, *, rebuild: bool = False, progress: Callable[[str], None] = lambda _: None) -> BuildReport:
        """Load the index, building or refreshing it when the corpus changed."""
        self._index, report = open_index(
            self.corpus, self.index_dir, self.settings, self.embedder, rebuild=rebuild, progress=progress
        )
        self._texts.clear()
        self._vectors.clear()
        self._ahead.clear()
        self._speller = None
        if self.embedder.loaded:  # after a build, torch is loaded: export now, and later questions skip it
            self.embedder.export_graph()
            if self.settings.trained:
                finding_reader(weights_dir()).export_graph()
        return report

    @property
    def index(self) -> CorpusIndex:
        if self._index is None:
            self.open()
        assert self._index is not None
        return self._index

    def warm_up(self) -> None:
        """Load the model and run one encoding, so the first answer is fast."""
        self.embedder.encode(["warm up"])

    def document_text(self, doc: int | str) -> str:
        """The canonical text citations point into (verified against the indexed hash)."""
        idx = self.index
        i = doc if isinstance(doc, int) else next((n for n, d in enumerate(idx.docs) if d.path == doc), -1)
        if not 0 <= i < len(idx.docs):
            raise QAError(f"No document {doc!r} in the index.")
        if i not in self._texts:
            self._texts[i] = self.document(i).text
        return self._texts[i]

    def document(self, doc: int | str) -> Document:
        """The document as indexed: canonical text and blocks (from the index, verified
        against the indexed hash; read again from its file only when a newer build
        has replaced the generation)."""
        idx = self.index
        i = doc if isinstance(doc, int) else next((n for n, d in enumerate(idx.docs) if d.path == doc), -1)
        if not 0 <= i < len(idx.docs):
            raise QAError(f"No document {doc!r} in the index.")
        return canonical_document(idx.documents, i, idx.docs[i], self.corpus)

    # --- asking -------------------------------------------------------------------

    def prepare(self, question: str, previous: str | None = None) -> Query:
        """Analyse a question, folding in the previous one when it is a follow-up."""
        q = clean_question(question)
        lexical = self.index.lexical
        spelled = self.speller.correct(q) if may_need(q, lexical.vocab.__contains__) else q
        if previous and is_follow_up(q):
            searched, prev_focus = rewrite(spelled, previous)
            query = analyse(searched, self.index.abbreviations)
            for t in terms(prev_focus):
                query.weights.setdefault(t, EXPANSION_WEIGHT * 0.6)
        else:
            query = analyse(spelled, self.index.abbreviations)
        query.question = q
        expand_clipped(query, lexical.completions, lexical.vocab.__contains__)
        expand_family(query, lexical.vocab.__contains__)
        return query

    @property
    def speller(self) -> Speller:
        """The corpus's words for correcting typos, gathered on first use."""
        if self._speller is None:
            self._speller = Speller((u.text for u in self.index.units), self.embedder.words())
        return self._speller

    def resolve_docs(self, pattern: str) -> list[str]:
        """The documents (corpus-relative paths) a name or a glob means; a QAError
        naming a few close names when nothing matches (qa.answering.scope.resolve)."""
        return resolve([d.path for d in self.index.docs], pattern)

    def ask(
        self, question: str, *, k: int | None = None, previous: str | None = None, id: str | None = None,
        docs: Sequence[str] | None = None,
    ) -> Answer:
        """Answer one question from the whole corpus, or (docs) from these documents only."""
        t0 = time.perf_counter()
        scope = self._scope(docs)
        query = self.prepare(question, previous)
        t1 = time.perf_counter()
        qvec = self.embedder.encode([query.dense_text])[0]
        t2 = time.perf_counter()
        ans = self._answer(query, qvec, k or self.settings.top_k, id, scope)
        t3 = time.perf_counter()
        ans.timings = {"analyse": t1 - t0, "encode": t2 - t1, "rank": t3 - t2}
        return ans

    def ask_many(
        self, questions: Sequence[str], *, k: int | None = None, ids: Sequence[str | None] | None = None,
        docs: Sequence[Sequence[str] | None] | None = None,
    ) -> list[Answer]:
        """Answer many questions, encoding them in batches (invalid ones raise).

        docs[i] asks question i of those documents only (None: the whole corpus).
        Each distinct question is analysed once per call (answering never changes
        a Query, so its documents share it) and encoded once, its vector kept for
        the next calls: asked of many documents, a question costs one encoding
        and a ranking per document.
        """
        ids = ids or [None] * len(questions)
        docs = docs or [None] * len(questions)
        if not len(ids) == len(docs) == len(questions):
            raise ValueError("ask_many: questions, ids and docs differ in length")
        scopes = [self._scope(d) for d in docs]
        prepared: dict[str, Query] = {}
        for q in questions:
            if q not in prepared:
                ahead = self._ahead.pop(q, None)
                prepared[q] = ahead if ahead is not None else self.prepare(q)
        queries = [prepared[q] for q in questions]
        vecs = self._question_vectors([q.dense_text for q in queries])
        k = k or self.settings.top_k
        nearest: list[np.ndarray | None] = [None] * len(queries)
        whole = [n for n, s in enumerate(scopes) if s is None]
        if whole and whole_corpus_search(self.index, self.settings):
            found = dense_search(self.index, np.stack([vecs[n] for n in whole]), self.settings)
            for n, row in zip(whole, found, strict=True):
                nearest[n] = row
        return [self._answer(q, v, k, i, s, near) for q, v, i, s, near in zip(queries, vecs, ids, scopes, nearest, strict=True)]

    def encode_ahead(self, questions: Sequence[str]) -> None:
        """Encode these questions now, sorted by length in one go, so that the ask_many
        calls that follow find their vectors (a run of small chunks pads more and
        starts more encoder runs: COVID-QA's 718 in 2.1 s at once, 3.6 s by 64)."""
        distinct = list(dict.fromkeys(questions))[:QUESTION_VECTORS_KEPT]
        self._ahead = {q: self.prepare(q) for q in distinct}
        self._question_vectors([query.dense_text for query in self._ahead.values()])

    def _question_vectors(self, texts: list[str]) -> list[np.ndarray]:
        """The vectors of these texts, encoding (in batches) only those not seen lately."""
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if new:
            self._vectors.update(zip(new, self.embedder.encode(new), strict=True))
        out = []
        for t in texts:
            self._vectors.move_to_end(t)
            out.append(self._vectors[t])
        while len(self._vectors) > QUESTION_VECTORS_KEPT:
            self._vectors.popitem(last=False)
        return out

    def _scope(self, docs: Sequence[str] | None) -> Scope | None:
        """The scope of these documents (corpus-relative paths), None for the whole corpus."""
        if docs is None:
            return None
        if isinstance(docs, str):
            raise TypeError("docs is a list of document paths, not one path")
        idx = self.index
        ids = []
        for d in docs:
            i = idx.doc_ids.get(d)
            if i is None:
                raise QAError(f"No document {d!r} in the index.", hint="`qa list` shows the indexed documents.")
            ids.append(i)
        if not ids:
            raise QAError("No document to ask: the list of documents is empty.")
        return scope_of(idx, ids)

    def _answer(
        self, query: Query, qvec: np.ndarray, k: int, id: str | None, scope: Scope | None = None,
        nearest: np.ndarray | None = None,
    ) -> Answer:
        idx = self.index
        ranked = rank(idx, query, qvec, self.settings, scope, nearest)
        citations = self.citations(ranked, k, self.margin(query))
        confidence, threshold = answer_confidence(idx, query, ranked, self.settings, scope)
        abstained = not ranked or confidence < threshold
        # Said only when qa abstains, so the checks run again only then.
        reason = contradiction(idx, query, ranked[0], scope) if abstained and ranked else None
        answer = None
        if not abstained and citations:
            c = citations[0]
            span = short_answer(query, c.text, idx.units[c.units[0]].context if len(c.units) == 1 else "")
            if span:
                answer = c.text[span[0] : span[1]].strip(" ,;")
        finding = None
        if not abstained and citations and self.settings.trained:
            finding = finding_reader(weights_dir()).read(query.question, finding_passage(idx, citations[0]))
        return Answer(
            question=query.question,
            answer=answer,
            abstained=abstained,
            citations=citations,
            confidence=confidence,
            searched=query.text,
            id=id,
            finding=finding,
            reason=reason,
        )

    def margin(self, query: Query) -> float:
        """How close to the best score a neighbouring sentence must come to join
        its citation: tight for a value, which one sentence holds; loose for a
        description. The trained ranking model carries its own (its scores have
        their own scale)."""
        value = query.answer_type in VALUE_TYPES
        model = ranking_model(self.settings.trained)
        if model is not None:
            return model.get("merge_margin" if value else "passage_margin", 0.0)
        return self.settings.merge_margin if value else self.settings.passage_margin

    def citations(self, ranked: list[Scored], k: int, margin: float) -> list[Citation]:
        """The first k passages of a ranking, each its unit joined by the neighbour
        that scores within `margin` of it (what an answer quotes)."""
        idx = self.index
        units = idx.units
        by_id = {s.unit: s for s in ranked}
        used: set[int] = set()
        out: list[Citation] = []
        for s in ranked:
            if len(out) >= k:
                break
            if s.unit in used:
                continue
            group = [s.unit]
            # An answer running over two sentences is cited as one passage.
            u = units[s.unit]
            best_nb = None
            for j in (s.unit - 1, s.unit + 1):
                nb = by_id.get(j)
                if nb is None or j in used or units[j].doc != u.doc or units[j].block != u.block:
                    continue
                if nb.score >= s.score - margin and (best_nb is None or nb.score > best_nb.score):
                    best_nb = nb
            if best_nb is not None:
                a, b = sorted((s.unit, best_nb.unit))
                if units[b].end - units[a].start <= self.settings.merge_max_chars:
                    group = [a, b]
            used.update(group)
            first, last = units[group[0]], units[group[-1]]
            doc = idx.docs[first.doc]
            if len(group) == 1:
                text = first.text
            else:
                text = self.document_text(first.doc)[first.start : last.end]
            out.append(
                Citation(doc.path, first.start, last.end, text, section_label(first), s.score,
                         (s.unit, *(g for g in group if g != s.unit)),
                         first.page, last.page_end, first.table)
            )
        return out
