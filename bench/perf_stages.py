"""The speed benchmark's stages, each measured in a child process of bench/perf.py:

    .venv/bin/python bench/perf_stages.py STAGE --corpus-dir DIR --index-dir DIR [--repeats N]
        [--questions-file FILE] [--question TEXT]

prints one JSON object: the stage's figures. A stage runs alone in its process so that
its peak RSS is its own and a cold start is really cold.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Timer, corpus_texts, median, peak_rss_mb, percentile  # noqa: E402


def _settings() -> Any:
    from qa.config import Settings

    return Settings()


def _cpu() -> float:
    """CPU-seconds this process has used (all threads)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _encode_timer(engine: Any) -> dict[str, float]:
    """Wrap the engine's embedder so the time spent encoding is counted."""
    spent = {"seconds": 0.0, "texts": 0}
    inner = engine.embedder.encode

    def encode(texts: list[str], **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(texts, **kw)
        finally:
            spent["seconds"] += time.perf_counter() - t0
            spent["texts"] += len(texts)

    engine.embedder.encode = encode
    return spent


def worker_throughput(a: argparse.Namespace) -> dict[str, Any]:
    """Raw SentenceTransformer.encode on exactly the texts the build embeds, and a
    full build from nothing (no vector cache), alternated in one process with
    the same loaded model, so both see the same machine (A B A B ...)."""
    import shutil

    import torch

    from qa.answering.engine import Engine
    from qa.index.embed import resolve_model

    settings = _settings()
    texts = corpus_texts(Path(a.corpus))
    index = Path(a.index)
    engine = Engine(Path(a.corpus), index, settings)
    with Timer() as t_model:
        model = engine.embedder.model
    model.encode(texts[:64], batch_size=settings.batch_size, normalize_embeddings=True)  # warm-up
    spent = _encode_timer(engine)
    raw: list[dict[str, float]] = []
    runs: list[dict[str, Any]] = []
    raw_peak = 0.0
    for _ in range(a.repeats):
        c0 = _cpu()
        with Timer() as t:
            model.encode(texts, batch_size=settings.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                         show_progress_bar=False)
        raw.append({"seconds": t.seconds, "cpu_s": _cpu() - c0})
        raw_peak = raw_peak or peak_rss_mb()
        shutil.rmtree(index, ignore_errors=True)
        spent["seconds"], spent["texts"] = 0.0, 0
        c0 = _cpu()
        with Timer() as t:
            report = engine.open(rebuild=True)
        runs.append({"seconds": t.seconds, "cpu_s": _cpu() - c0, "encode_seconds": spent["seconds"], "units": report.units,
                     "embedded_units": report.embedded_units, "documents": report.documents})
    n = runs[0]["units"]
    assert n == len(texts), (n, len(texts))
    return {
        "encode": {
            "texts": len(texts),
            "runs": raw,
            "seconds": median([r["seconds"] for r in raw]),
            "units_per_s": len(texts) / median([r["seconds"] for r in raw]),
            "cpu_s_per_unit": median([r["cpu_s"] for r in raw]) / len(texts),
            "model_load_s": t_model.seconds,
            "model_path": resolve_model(settings.model),
            "device": str(model.device),
            "torch_threads": torch.get_num_threads(),
            "peak_rss_mb": raw_peak,
        },
        "build": {
            "runs": runs,
            "units": n,
            "documents": runs[0]["documents"],
            "seconds": median([r["seconds"] for r in runs]),
            "encode_seconds": median([r["encode_seconds"] for r in runs]),
            "units_per_s": n / median([r["seconds"] for r in runs]),
            "cpu_s_per_unit": median([r["cpu_s"] for r in runs]) / n,
            "index_type": engine.index.index_type,
            "peak_rss_mb": peak_rss_mb(),
        },
        "peak_rss_mb": peak_rss_mb(),
    }


def _pick_doc(corpus: Path) -> Path:
    """The document of median size: a typical one to change."""
    from qa.reading.files import corpus_files

    files, _ = corpus_files(corpus)
    files.sort(key=lambda p: p.stat().st_size)
    return files[len(files) // 2]


def worker_refresh(a: argparse.Namespace) -> dict[str, Any]:
    """Opening an up-to-date index (nothing changed), then one file touched (same bytes)."""
    from qa.answering.engine import Engine

    corpus, index = Path(a.corpus), Path(a.index)
    pre = Engine(corpus, index, _settings()).open()  # brings the index up to date if qa's code changed since
    times = []
    for _ in range(a.repeats):
        engine = Engine(corpus, index, _settings())
        with Timer() as t:
            report = engine.open()
        assert report.action == "loaded", report
        times.append(t.seconds)
    # Touched: the file's mtime moves, its content does not (a `git checkout`, a copy).
    doc = _pick_doc(corpus)
    st = doc.stat()
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    engine = Engine(corpus, index, _settings())
    with Timer() as t_touch:
        report = engine.open()
    model_loaded = engine.embedder._model is not None
    return {
        "pre_action": pre.action,
        "unchanged_seconds": times,
        "unchanged_s": median(times),
        "touched_s": t_touch.seconds,
        "touched_action": report.action,
        "touched_embedded_units": report.embedded_units,
        "touched_loaded_model": model_loaded,
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_refresh_changed(a: argparse.Namespace) -> dict[str, Any]:
    """One document's text changes: only it should be re-embedded."""
    from qa.answering.engine import Engine

    corpus, index = Path(a.corpus), Path(a.index)
    engine = Engine(corpus, index, _settings())
    engine.open()
    with Timer() as t_model:
        engine.warm_up()
    spent = _encode_timer(engine)
    doc = _pick_doc(corpus)
    original = doc.read_bytes()
    runs = []
    try:
        for n in range(a.repeats):
            # Alternate between a changed and the original text: each is a real change.
            if n % 2 == 0:
                doc.write_bytes(original + b"\n\nThis sentence was added by the benchmark to change the document.\n")
            else:
                doc.write_bytes(original)
            spent["seconds"] = 0.0
            with Timer() as t:
                report = engine.open()
            runs.append({"seconds": t.seconds, "encode_seconds": spent["seconds"], "action": report.action,
                         "embedded_units": report.embedded_units, "embedded_documents": len(report.embedded_documents),
                         "units": report.units})
    finally:
        doc.write_bytes(original)
        engine.open()
    return {
        "document": doc.name,
        "runs": runs,
        "seconds": median([r["seconds"] for r in runs]),
        "encode_seconds": median([r["encode_seconds"] for r in runs]),
        "embedded_units": runs[0]["embedded_units"],
        "embedded_documents": runs[0]["embedded_documents"],
        "units": runs[0]["units"],
        "model_load_s": t_model.seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def _questions(a: argparse.Namespace) -> tuple[list[str], list[str]]:
    data = json.loads(Path(a.questions).read_text("utf-8"))
    return data["questions"], data["ids"]


def worker_warm(a: argparse.Namespace) -> dict[str, Any]:
    """Warm latency of Engine.ask per question, and the floor: one bare query encoding."""
    from qa.answering.engine import Engine

    questions, _ = _questions(a)
    engine = Engine(Path(a.corpus), Path(a.index), _settings())
    engine.open()
    engine.warm_up()
    engine.ask(questions[0])  # first ask loads FAISS, caches; not counted
    walls: list[float] = []
    parts: dict[str, list[float]] = {"analyse": [], "encode": [], "rank": []}
    for _ in range(a.repeats):
        for q in questions:
            with Timer() as t:
                ans = engine.ask(q)
            walls.append(t.seconds)
            for k in parts:
                parts[k].append(ans.timings.get(k, 0.0))
    # The floor: encoding the question alone, nothing else.
    floors = []
    texts = [engine.prepare(q).dense_text for q in questions]
    for text in texts:
        with Timer() as t:
            engine.embedder.encode([text])
        floors.append(t.seconds)
    # The finding reader's floor: one bare pass over a question and a passage.
    from qa.answering.finding import finding_reader
    from qa.paths import weights_dir

    reader = finding_reader(weights_dir())
    finding_floors = []
    if reader.available:
        pair = ("How did selinexor compare with placebo on overall survival?", ans.citations[0].text if ans.citations else "x")
        reader.logits([pair])
        for _ in range(20):
            with Timer() as t:
                reader.logits([pair])
            finding_floors.append(t.seconds)
    one_by_one = len(questions) * a.repeats / sum(walls)
    return {
        "questions": len(questions),
        "repeats": a.repeats,
        "p50_s": median(walls),
        "p95_s": percentile(walls, 95),
        "max_s": max(walls),
        "mean_s": sum(walls) / len(walls),
        "parts_p50_s": {k: median(v) for k, v in parts.items()},
        "parts_p95_s": {k: percentile(v, 95) for k, v in parts.items()},
        "encode_floor_p50_s": median(floors),
        "finding_floor_p50_s": median(finding_floors) if finding_floors else None,
        "torch_loaded": "torch" in sys.modules,
        "one_by_one_qps": one_by_one,
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_batch(a: argparse.Namespace) -> dict[str, Any]:
    """Engine.ask_many over all questions at once, and in the CLI's chunks of 64."""
    from qa.answering.engine import Engine

    questions, ids = _questions(a)
    engine = Engine(Path(a.corpus), Path(a.index), _settings())
    engine.open()
    engine.warm_up()
    engine.ask(questions[0])
    spent = _encode_timer(engine)
    whole, chunked, enc, single = [], [], [], []
    for _ in range(a.repeats):
        with Timer() as t:
            for q, i in zip(questions, ids, strict=True):
                engine.ask(q, id=i)
        single.append(t.seconds)
        spent["seconds"] = 0.0
        with Timer() as t:
            engine.ask_many(questions, ids=ids)
        whole.append(t.seconds)
        enc.append(spent["seconds"])
        with Timer() as t:
            for i in range(0, len(questions), 64):
                engine.ask_many(questions[i : i + 64], ids=ids[i : i + 64])
        chunked.append(t.seconds)
    return {
        "questions": len(questions),
        "one_by_one_s": median(single),
        "one_by_one_qps": len(questions) / median(single),
        "ask_many_s": median(whole),
        "ask_many_qps": len(questions) / median(whole),
        "ask_many_encode_s": median(enc),
        "chunked64_s": median(chunked),
        "chunked64_qps": len(questions) / median(chunked),
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_coldask(a: argparse.Namespace) -> dict[str, Any]:
    """A cold `qa ask`, broken into its stages, in a fresh process."""
    t0 = time.perf_counter()
    import qa.cli  # noqa: F401
    from qa.answering.engine import Engine

    t_imports = time.perf_counter() - t0
    engine = Engine(Path(a.corpus), Path(a.index), _settings())
    with Timer() as t_index:
        report = engine.open()
    with Timer() as t_model:
        engine.warm_up()  # the question encoder's ONNX session (or torch, without a graph)
    with Timer() as t_answer:
        engine.ask(a.question)
    return {
        "imports_s": t_imports,
        "index_load_s": t_index.seconds,
        "index_action": report.action,
        "model_load_s": t_model.seconds,
        "answer_s": t_answer.seconds,
        "total_s": time.perf_counter() - t0,
        "torch_loaded": "torch" in sys.modules,
        "peak_rss_mb": peak_rss_mb(),
    }


WORKERS = {
    "throughput": worker_throughput,
    "refresh": worker_refresh,
    "refresh_changed": worker_refresh_changed,
    "warm": worker_warm,
    "batch": worker_batch,
    "coldask": worker_coldask,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stage", choices=sorted(WORKERS))
    p.add_argument("--corpus-dir", dest="corpus", required=True)
    p.add_argument("--index-dir", dest="index", required=True)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--questions-file", dest="questions")
    p.add_argument("--question")
    a = p.parse_args(argv)
    print(json.dumps(WORKERS[a.stage](a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
