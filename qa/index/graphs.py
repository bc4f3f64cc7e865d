"""ONNX graphs of qa's models, for answering without torch.

Importing torch and sentence-transformers takes seconds; ONNX Runtime and the
`tokenizers` library take a tenth of one. So each model qa runs at question
time (the question encoder, the finding reader) is exported once from its torch
form, the packaged weights with qa's trained weights merged in, to an ONNX graph
in the cache folder (qa.paths.cache_dir), named by the digest of everything that
made it: a retrained adapter makes another file, never a stale answer. An export
is checked against the torch model on fixed texts before it is used; a graph that
does not agree (cosine below PARITY) is recorded as such and never used, and the
torch model answers instead, so query and index vectors always come from models
that agree.

Exports happen where torch is loaded anyway: after an index build, or on the
first question answered with torch. This module imports torch only inside
`export`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.paths import cache_dir

GRAPH_VERSION = "1"
"""Part of every graph's name: bump when the export itself changes."""
OPSET = 17
PARITY = 0.9999
"""Least cosine between the graph's and torch's outputs on the check texts."""
CHECK_TEXTS = (
    "What was the median duration of response?",
    "How did selinexor plus dexamethasone compare with placebo on overall survival?",
    "q",
    "The overall response rate was 26% (95% CI, 19 to 35), including two stringent complete responses.",
    "Grade 3 or 4 adverse events: thrombocytopenia (59%), anaemia (44%), neutropenia (21%) and fatigue.",
    " Leading and trailing spaces, and ÜNÏCÖDE — en–dash, “quotes”, µg/kg, ≥ 65 years. ",
    "Table 2 | Arm A | 122 | 4.4 months (3.7–10.8) | p = 0.03 | HR 0.62",
    " ".join(["A sentence longer than any the encoder reads, so truncation is checked too."] * 40),
)


def graph_key(*parts: str) -> str:
    """The name of a graph made from these inputs (model ids, weight digests)."""
    raw = "|".join((GRAPH_VERSION, OPSET.__str__(), *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Record:
    """What an export left in the cache: the graph, and whether it may be used."""

    graph: Path
    ok: bool
    parity: float | None = None
    why: str = ""

    @classmethod
    def read(cls, graph: Path) -> Record | None:
        meta = graph.with_suffix(".json")
        if not meta.is_file():
            return None
        try:
            data = json.loads(meta.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        ok = bool(data.get("ok")) and graph.is_file()
        return cls(graph, ok, data.get("parity"), str(data.get("why", "")))

    def write(self) -> None:
        meta = self.graph.with_suffix(".json")
        tmp = meta.with_name(meta.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"ok": self.ok, "parity": self.parity, "why": self.why}), "utf-8")
        os.replace(tmp, meta)


def graph_path(kind: str, key: str) -> Path:
    return cache_dir() / "graphs" / f"{kind}-{key}.onnx"


def usable(kind: str, key: str) -> Path | None:
    """The graph of this kind and key when it was exported and passed its check."""
    path = graph_path(kind, key)
    record = Record.read(path)
    return path if record is not None and record.ok else None


def tried(kind: str, key: str) -> bool:
    """Whether an export of this graph was attempted (passed or not)."""
    return graph_path(kind, key).with_suffix(".json").is_file()


_EXPORT = threading.Lock()


def export(
    kind: str,
    key: str,
    module: Any,
    example: dict[str, Any],
    outputs: Sequence[str],
    check: Callable[[Path], float],
) -> Record:
    """Export a torch module (its forward takes the example's keys, in order) to the
    cache, run `check` on the written graph (the least cosine to torch's outputs)
    and record the result. Never raises for a failed export: the caller keeps torch."""
    path = graph_path(kind, key)
    with _EXPORT:
        try:
            import torch

            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
            names = list(example)
            axes = {n: {0: "batch", 1: "tokens"} for n in names} | {o: {0: "batch"} for o in outputs}
            with torch.inference_mode(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the exporter's notes are for its developers, not qa's users
                torch.onnx.export(
                    module, tuple(example[n] for n in names), str(tmp), input_names=names, output_names=list(outputs),
                    dynamic_axes=axes, opset_version=OPSET, dynamo=False, do_constant_folding=True,
                )
            parity = float(check(tmp))
            os.replace(tmp, path)
            record = Record(path, parity >= PARITY, parity, "" if parity >= PARITY else f"cosine {parity:.6f} < {PARITY}")
        except Exception as exc:  # an exporter or runtime that cannot do this model: torch answers
            record = Record(path, False, None, f"{type(exc).__name__}: {exc}")
        record.write()
        return record


@lru_cache(maxsize=8)
def session(path: Path) -> Any:
    """An ONNX Runtime session for a graph, on the CPU, once per process (open_session)."""
    return open_session(path)


def open_session(path: Path, *, keep: bool = True) -> Any:
    """An ONNX Runtime session for a graph, on the CPU.

    ONNX Runtime optimises a graph (fusing attention, layer norms, GELU) each time it
    opens it, most of a cold start's 0.35 s session; the optimised graph is kept beside
    the exported one, for this ONNX Runtime version, and opened as it is thereafter
    (the same outputs to the last bit, 0.15 s); keep=False leaves nothing behind.
    Threads do not spin between runs: a question is a few milliseconds of work, and
    spinning threads compete with whatever else the machine is doing."""
    import onnxruntime as ort

    if not keep:  # a graph being checked before it is kept
        return _session(ort, path, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    optimised = path.with_name(f"{path.stem}.ort-{ort.__version__}.onnx")
    if optimised.is_file():
        try:
            return _session(ort, optimised, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        except Exception:  # damaged or from another machine: optimise the graph again
            optimised.unlink(missing_ok=True)
    tmp = optimised.with_name(optimised.name + f".{os.getpid()}.tmp")
    try:
        made = _session(ort, path, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, save=tmp)
        os.replace(tmp, optimised)
        return made
    except Exception:  # a cache it cannot write to: optimise in memory each time
        tmp.unlink(missing_ok=True)
        return _session(ort, path, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)


def _session(ort: Any, path: Path, level: Any, save: Path | None = None) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2))
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = level
    if save is not None:
        options.optimized_model_filepath = str(save)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@lru_cache(maxsize=4)
def tokenizer(model_dir: str, max_length: int) -> Any:
    """The model's fast tokenizer (tokenizer.json), truncating as sentence-transformers does."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length, strategy="longest_first")
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def batch_inputs(encodings: Sequence[Any], length: int | None = None) -> dict[str, np.ndarray]:
    """The model's inputs for tokenised texts, cut to `length` tokens (the batch's
    longest: the tokenizer pads to its whole call's longest)."""
    n = length if length is not None else max((len(e.ids) for e in encodings), default=0)
    return {
        "input_ids": np.array([e.ids[:n] for e in encodings], np.int64),
        "attention_mask": np.array([e.attention_mask[:n] for e in encodings], np.int64),
        "token_type_ids": np.array([e.type_ids[:n] for e in encodings], np.int64),
    }


def least_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return float((a * b).sum(1).min())
