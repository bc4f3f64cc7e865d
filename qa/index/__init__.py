"""The index: citable units made searchable, persisted, kept up to date.

This package owns what is on disk under the index folder and what is loaded
from it: the manifest and its generations, with checksums verified before use
(`manifest`); writing files whole and the build lock (`durable`); building a
generation and the per-document vector cache (`build`); deciding whether the
index is up to date and refreshing only what changed (`refresh.open_index`);
the embedding model (`embed`), the dense part over FAISS (`dense`), BM25
(`lexical`); and the loaded `CorpusIndex` that answering searches
(`corpus_index`). It reads the corpus through `qa.reading`; it knows nothing
of questions or of front ends.
"""
