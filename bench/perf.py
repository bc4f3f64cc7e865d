"""The speed benchmark: build throughput, refresh, warm latency, batch, cold start, memory.

    .venv/bin/python bench/perf.py                      # both corpora, table on stdout
    .venv/bin/python bench/perf.py --corpora storm      # only the shipped corpus (~1 min)
    .venv/bin/python bench/perf.py --json results.json  # also write every figure as JSON
    .venv/bin/python bench/perf.py --json -             # JSON on stdout instead of the table

Every stage runs in its own child process (this script with --worker), so each
stage's peak RSS is its own (read from wait4) and cold starts are really cold.
Corpora are copied to --workdir (default .bench/, git-ignored): the shipped
corpus from ./corpus, the COVID-QA dev articles written by
qa.answering.evaluate.load_squad. Nothing in ./corpus or ./index is touched.
Figures are medians over repeats; see docs/performance.md for the results.
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

from common import (  # noqa: E402
    COVIDQA,
    DEFAULT_WORKDIR,
    PYTHON,
    QA,
    STORM_CORPUS,
    Child,
    Corpus,
    Timer,
    corpus_texts,
    finish,
    fmt_seconds,
    machine,
    median,
    peak_rss_mb,
    percentile,
    prepare_covidqa,
    prepare_storm,
    run_child,
    table,
    wait_for_quiet,
)

TARGETS = {
    "build_ratio": 0.9,
    "refresh_unchanged_s": {"covidqa": 0.5},
    "warm_p50_s": {"storm": 0.030, "covidqa": 0.030},
    "help_s": 0.3,
    "cold_ask_s": 1.0,
    "batch_qps": 60.0,
}

# --- workers (run in child processes) --------------------------------------------------------


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


# --- orchestration ---------------------------------------------------------------------------

QUIET: dict[str, float] = {}
"""--quiet settings: wait before each stage until other processes use at most this many CPUs."""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _run(argv: list[str]) -> Child:
    if QUIET:
        wait_for_quiet(QUIET["max_busy"], QUIET["max_wait"], log)
    return run_child(argv).check()


def _worker(stage: str, c: Corpus, repeats: int, qfile: Path | None = None, question: str | None = None) -> dict[str, Any]:
    argv = [PYTHON, str(Path(__file__).resolve()), "--worker", stage, "--corpus-dir", str(c.corpus),
            "--index-dir", str(c.index), "--repeats", str(repeats)]
    if qfile:
        argv += ["--questions-file", str(qfile)]
    if question:
        argv += ["--question", question]
    child = _run(argv)
    out = child.last_json()
    out["child_peak_rss_mb"] = out.get("peak_rss_mb", child.peak_rss_mb)
    out["child_wall_s"] = child.seconds
    out["child_cpu_s"] = child.cpu_s
    out["others_cpus"] = child.others_cpus
    return out


def _cli(argv: list[str], repeats: int) -> dict[str, Any]:
    """A CLI command run `repeats` times, cold: median wall, max RSS, contention."""
    kids = [_run([*QA, *argv]) for _ in range(repeats)]
    walls = [k.seconds for k in kids]
    return {"seconds": walls, "median_s": median(walls), "peak_rss_mb": max(k.peak_rss_mb for k in kids),
            "others_cpus": max(k.others_cpus for k in kids)}


def bench_corpus(c: Corpus, a: argparse.Namespace) -> dict[str, Any]:
    r: dict[str, Any] = {"corpus": c.to_json()}
    qfile = c.index.parent / "questions.json"
    qfile.parent.mkdir(parents=True, exist_ok=True)
    qfile.write_text(json.dumps({"questions": c.questions, "ids": c.ids}), "utf-8")
    small = c.name == "storm"
    build_reps = a.build_repeats or (5 if small else 1)

    log(f"{c.name}: raw SentenceTransformer.encode and a full build, alternated ×{build_reps}")
    t = _worker("throughput", c, build_reps)
    r["encode"], r["build"] = t["encode"], t["build"]
    for k in ("others_cpus", "child_wall_s", "child_cpu_s"):
        r["encode"][k] = r["build"][k] = t[k]
    r["encode"]["child_peak_rss_mb"] = r["encode"]["peak_rss_mb"]
    r["build"]["child_peak_rss_mb"] = t["child_peak_rss_mb"]
    r["build"]["ratio"] = r["build"]["units_per_s"] / r["encode"]["units_per_s"]
    r["build"]["cpu_ratio"] = r["encode"]["cpu_s_per_unit"] / r["build"]["cpu_s_per_unit"]
    log(f"{c.name}: raw {r['encode']['units_per_s']:.0f} units/s, build {r['build']['units_per_s']:.0f} units/s "
        f"(ratio {r['build']['ratio']:.2f}); refreshes")
    r["refresh"] = _worker("refresh", c, a.repeats)
    r["refresh_changed"] = _worker("refresh_changed", c, 2 if not small else 4)
    if c.questions:
        log(f"{c.name}: warm latency over {len(c.questions)} questions")
        r["warm"] = _worker("warm", c, 3 if small else 1, qfile)
        log(f"{c.name}: one at a time vs ask_many over {len(c.questions)} questions")
        r["batch"] = _worker("batch", c, 3 if small else 1, qfile)
        # The CLI end to end, start-up included.
        qjsonl = c.index.parent / "questions.jsonl"
        qjsonl.write_text("".join(json.dumps({"id": i, "question": q}) + "\n" for i, q in zip(c.ids, c.questions, strict=True)), "utf-8")
        out = c.index.parent / "answers.jsonl"
        r["cli_batch"] = _cli(["batch", str(qjsonl), "-o", str(out), "--corpus", str(c.corpus), "--index", str(c.index)], 1)
        r["cli_batch"]["qps"] = len(c.questions) / r["cli_batch"]["median_s"]
        question = c.questions[0]
    else:
        question = "What was the overall response rate?"
    log(f"{c.name}: cold `qa ask` ×{a.cold_repeats} and its breakdown")
    r["cold_ask"] = _cli(["ask", question, "--corpus", str(c.corpus), "--index", str(c.index)], a.cold_repeats)
    parts = [_worker("coldask", c, 1, question=question) for _ in range(a.cold_repeats)]
    r["cold_ask"]["parts_s"] = {k: median([p[k] for p in parts]) for k in
                                ("imports_s", "index_load_s", "model_load_s", "answer_s", "total_s")}
    r["cold_ask"]["torch_loaded"] = any(p["torch_loaded"] for p in parts)
    r["cold_ask"]["others_cpus"] = max([r["cold_ask"]["others_cpus"]] + [p["others_cpus"] for p in parts])
    return r


# --- report -------------------------------------------------------------------------------------


def _rate(x: float, unit: str) -> str:
    return f"{x:.1f} {unit}" if x < 10 else f"{x:.0f} {unit}"


def _ok(value: float, target: float, higher_is_better: bool = False) -> str:
    good = value >= target if higher_is_better else value <= target
    return "met" if good else "MISSED"


def _busy(stage: dict[str, Any] | None) -> str:
    return f"{stage['others_cpus']:.1f}" if stage and "others_cpus" in stage else ""


def render(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        f"qa performance — {m.get('cpu_model', '?')}, {m.get('cpus_usable')} cores, {m.get('memory_gb')} GB; "
        f"Python {m['python']}, torch {m.get('torch')} ({m.get('torch_threads')} threads, cuda={m.get('cuda')}), "
        f"sentence-transformers {m.get('sentence_transformers')}, faiss {m.get('faiss')}",
        "Medians. 'busy' = CPUs' worth of work other processes did during the stage: "
        f"above ~0.2 of {m.get('cpus_usable')} the timings are inflated.",
        "",
    ]
    rows: list[list[str]] = []
    h = res.get("help")
    if h:
        rows.append(["-", "cold `qa --help`", fmt_seconds(h["median_s"]), f"{h['peak_rss_mb']:.0f}", _busy(h),
                     f"≤ 0.3 s: {_ok(h['median_s'], TARGETS['help_s'])}"])
    for name, r in res["corpora"].items():
        b, e = r["build"], r["encode"]
        rows.append([name, f"index build from scratch ({b['units']} units, {b['documents']} docs, {b['index_type']})",
                     f"{_rate(b['units_per_s'], 'units/s')} ({fmt_seconds(b['seconds'])})", f"{b['child_peak_rss_mb']:.0f}",
                     _busy(b), ""])
        rows.append([name, "raw SentenceTransformer.encode, same texts", _rate(e["units_per_s"], "units/s"),
                     f"{e['child_peak_rss_mb']:.0f}", _busy(e), ""])
        rows.append([name, "build ÷ raw encode throughput (wall; CPU-time)", f"{b['ratio']:.2f}; {b['cpu_ratio']:.2f}", "", "",
                     f"≥ 0.9: {_ok(b['ratio'], TARGETS['build_ratio'], True)}"])
        rf = r["refresh"]
        t = TARGETS["refresh_unchanged_s"].get(name)
        rows.append([name, "refresh, nothing changed", fmt_seconds(rf["unchanged_s"]), f"{rf['child_peak_rss_mb']:.0f}",
                     _busy(rf), f"≤ {t} s: {_ok(rf['unchanged_s'], t)}" if t else ""])
        rows.append([name, f"refresh, one file touched, same bytes ({rf['touched_embedded_units']} units embedded)",
                     fmt_seconds(rf["touched_s"]), "", "", ""])
        rc = r["refresh_changed"]
        rows.append([name, f"refresh, one doc changed ({rc['embedded_units']} of {rc['units']} units embedded, "
                     f"{rc['embedded_documents']} doc)", f"{fmt_seconds(rc['seconds'])} (encode {fmt_seconds(rc['encode_seconds'])})",
                     f"{rc['child_peak_rss_mb']:.0f}", _busy(rc), "only that doc: " + ("met" if rc["embedded_documents"] == 1 else "MISSED")])
        if "warm" in r:
            w = r["warm"]
            t = TARGETS["warm_p50_s"].get(name)
            p = w["parts_p50_s"]
            rows.append([name, f"warm answer p50 / p95 ({w['questions']} questions)",
                         f"{fmt_seconds(w['p50_s'])} / {fmt_seconds(w['p95_s'])}", f"{w['child_peak_rss_mb']:.0f}", _busy(w),
                         f"p50 ≤ {t * 1000:.0f} ms: {_ok(w['p50_s'], t)}" if t else ""])
            rows.append([name, "  of which analyse / encode / rank (p50)",
                         " / ".join(fmt_seconds(p[k]) for k in ("analyse", "encode", "rank")), "", "", ""])
            rows.append([name, "bare query encoding (the floor)", fmt_seconds(w["encode_floor_p50_s"]), "", "",
                         "torch loaded" if w.get("torch_loaded") else "no torch"])
            if w.get("finding_floor_p50_s") is not None:
                rows.append([name, "bare finding pass, one question + passage (its floor)", fmt_seconds(w["finding_floor_p50_s"]), "", "", ""])
            bt = r["batch"]
            rows.append([name, "one at a time (Engine.ask loop)", _rate(bt["one_by_one_qps"], "q/s"), "", _busy(bt), ""])
            rows.append([name, "Engine.ask_many, all at once", _rate(bt["ask_many_qps"], "q/s"), f"{bt['child_peak_rss_mb']:.0f}",
                         "", f"{bt['ask_many_qps'] / bt['one_by_one_qps']:.1f}× one at a time"])
            rows.append([name, "Engine.ask_many in chunks of 64 (as `qa batch`)", _rate(bt["chunked64_qps"], "q/s"), "", "", ""])
            cb = r["cli_batch"]
            rows.append([name, "`qa batch` CLI end to end (start-up included)",
                         f"{_rate(cb['qps'], 'q/s')} ({fmt_seconds(cb['median_s'])})", f"{cb['peak_rss_mb']:.0f}", _busy(cb),
                         f"≥ {TARGETS['batch_qps']:.0f} q/s: {_ok(cb['qps'], TARGETS['batch_qps'], True)}"])
        ca = r["cold_ask"]
        p = ca["parts_s"]
        rows.append([name, "cold `qa ask`", fmt_seconds(ca["median_s"]), f"{ca['peak_rss_mb']:.0f}", _busy(ca),
                     f"≤ {TARGETS['cold_ask_s']:.0f} s: {_ok(ca['median_s'], TARGETS['cold_ask_s'])}"])
        rows.append([name, "  imports / index load / encoder session / answer",
                     " / ".join(fmt_seconds(p[k]) for k in ("imports_s", "index_load_s", "model_load_s", "answer_s")),
                     "", "", "torch loaded" if ca.get("torch_loaded") else "no torch"])
    lines.append(table(rows, ["corpus", "measure", "median", "peak RSS MiB", "busy", "target"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpora", default="storm,covidqa", help="comma-separated: storm, covidqa (default both)")
    p.add_argument("--storm", type=Path, default=STORM_CORPUS, help="the shipped corpus folder (default ./corpus)")
    p.add_argument("--covidqa", type=Path, default=COVIDQA, help="the COVID-QA dev SQuAD file")
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where corpora copies and indexes go (default .bench/)")
    p.add_argument("--json", metavar="PATH", help="write all figures as JSON to PATH ('-' for stdout, replacing the table)")
    p.add_argument("--repeats", type=int, default=7, help="repeats of the quick measures (default 7)")
    p.add_argument("--build-repeats", type=int, default=0,
                   help="raw-encode/full-build pairs per corpus (default 5 for storm, 1 for covidqa: ~3.5 min on 2 cores)")
    p.add_argument("--cold-repeats", type=int, default=3, help="cold `qa ask` runs (default 3)")
    p.add_argument("--quiet", type=float, metavar="CPUS", help="before each stage, wait until other processes use "
                   "at most CPUS CPUs (on a shared machine; e.g. 0.3)")
    p.add_argument("--max-wait", type=float, default=300, help="longest wait for --quiet, per stage (default 300 s)")
    # worker mode (internal)
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--corpus-dir", help=argparse.SUPPRESS)
    p.add_argument("--index-dir", help=argparse.SUPPRESS)
    p.add_argument("--questions-file", dest="questions", help=argparse.SUPPRESS)
    p.add_argument("--question", help=argparse.SUPPRESS)
    a = p.parse_args(argv)

    if a.worker:
        a.corpus, a.index = a.corpus_dir, a.index_dir
        print(json.dumps(WORKERS[a.worker](a)))
        return 0

    names = [n.strip() for n in a.corpora.split(",") if n.strip()]
    unknown = set(names) - {"storm", "covidqa"}
    if unknown:
        p.error(f"unknown corpora: {', '.join(sorted(unknown))}")
    a.workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res: dict[str, Any] = {"machine": machine(), "corpora": {}}
    log(f"machine: {res['machine'].get('cpu_model')}, load average {res['machine']['load_average_at_start']}")
    if a.quiet is not None:
        QUIET.update(max_busy=a.quiet, max_wait=a.max_wait)
    res["help"] = _cli(["--help"], max(a.repeats, 5))
    for name in names:
        c = prepare_storm(a.workdir, a.storm) if name == "storm" else prepare_covidqa(a.workdir, a.covidqa)
        res["corpora"][name] = bench_corpus(c, a)
    log(f"done in {time.perf_counter() - t0:.0f} s")
    return finish(res, t0, a.json, render)


if __name__ == "__main__":
    sys.exit(main())
