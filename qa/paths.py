"""Every location qa reads or writes, each with an environment override.

Tests point these at temporary folders by setting the variables.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

CORPUS_ENV = "QA_CORPUS"
INDEX_ENV = "QA_INDEX"
MODEL_ENV = "QA_MODEL"
WEIGHTS_ENV = "QA_WEIGHTS"
CACHE_ENV = "QA_CACHE"


def default_corpus_dir() -> Path:
    """The corpus folder: $QA_CORPUS, else ./corpus."""
    return Path(os.environ.get(CORPUS_ENV) or "corpus")


def default_index_dir() -> Path:
    """The index folder: $QA_INDEX, else ./index."""
    return Path(os.environ.get(INDEX_ENV) or "index")


def index_dir_for(corpus: Path) -> Path:
    """Where a corpus folder's index is kept when no --index is given: the index folder
    for the default corpus; for any other, a folder of its own under the index folder's
    corpora/, named after the corpus and a digest of its full path. So switching between
    corpora never rebuilds (or re-embeds) one over the other."""
    base = default_index_dir()
    here = corpus.resolve()
    if here == default_corpus_dir().resolve():
        return base
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", here.name).strip(".-")[:40] or "corpus"
    digest = hashlib.sha256(os.fsencode(here)).hexdigest()[:10]
    return base / "corpora" / f"{name}-{digest}"


def default_model() -> str:
    """The embedding model name or path: $QA_MODEL, else the packaged MiniLM."""
    return os.environ.get(MODEL_ENV) or "all-MiniLM-L6-v2"


def default_eval_dir() -> Path:
    """Where `qa eval` keeps corpora and indexes made from SQuAD files: $QA_EVAL_DIR, else ./.qa-eval."""
    return Path(os.environ.get("QA_EVAL_DIR") or ".qa-eval")


def weights_dir() -> Path:
    """qa's trained weights (adapters and heads for the packaged model): $QA_WEIGHTS,
    else the qa/weights folder shipped with the package."""
    env = os.environ.get(WEIGHTS_ENV)
    return Path(env) if env else Path(__file__).resolve().parent / "weights"


def cache_dir() -> Path:
    """Files qa derives from its models and can always make again (ONNX graphs):
    $QA_CACHE, else $XDG_CACHE_HOME/qa, else ~/.cache/qa."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "qa"
