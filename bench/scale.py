"""The scale benchmark: the search part at 10^4, 10^5 and 10^6 units.

    .venv/bin/python bench/scale.py                       # 1e4, 1e5, 1e6 (~15 min on 2 cores)
    .venv/bin/python bench/scale.py --sizes 10000,100000  # quicker
    .venv/bin/python bench/scale.py --json scale.json

No model is involved: vectors and texts are synthetic (seeded, so runs agree).
Vectors are 384-d like all-MiniLM-L6-v2's and clustered like real sentence
embeddings: every "document" of 200 units has a centre, and a unit is its
centre plus noise in a 64-d subspace shared by the corpus (cosine within a
document ~0.35, across documents ~0). A query is a unit plus full-dimensional
noise (cosine ~0.6 with it), as a question is near, not on, its answer.
Texts are drawn from a Zipfian vocabulary of 30,000 pseudo-words.

For each size, in separate child processes (so peak RSS is per stage):
  faiss  exact (IndexFlatIP) and HNSW (M=32, efConstruction=80: qa's settings)
         build time, index bytes, single-query latency for k=100 (qa asks for
         100 dense candidates), recall@10 and recall@100 of HNSW against exact
         at several efSearch values; and the flat search done as a NumPy
         product over the memory-mapped vectors.npy.
  store  qa's own code path: write a generation (qa.index.build.write_generation,
         BM25 included; the FAISS index is read from the faiss stage rather
         than built twice), load it (qa.index.corpus_index.load: checksums,
         units, BM25), then qa.answering.ranking.rank() latency per question.
With --real, HNSW recall is also measured on the real COVID-QA vectors and
question vectors left by bench/perf.py in .bench/covidqa/index.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    DEFAULT_WORKDIR,
    PYTHON,
    Timer,
    finish,
    fmt_seconds,
    machine,
    median,
    peak_rss_mb,
    percentile,
    run_child,
    table,
)
from scale_data import DIM, EF_SEARCH, K_CANDIDATES, SEED, UNITS_PER_DOC, ensure_data, size_dir, synthetic_texts  # noqa: E402

from qa.index.dense import HNSW_EF_SEARCH, HNSW_M  # noqa: E402  (no torch: qa.index.dense imports FAISS lazily)

# --- workers ----------------------------------------------------------------------------------


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _latencies(fn: Any, queries: np.ndarray) -> list[float]:
    fn(queries[:1])
    out = []
    for i in range(len(queries)):
        t0 = time.perf_counter()
        fn(queries[i : i + 1])
        out.append(time.perf_counter() - t0)
    return out


def _recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    hits = sum(len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth, strict=True))
    return hits / (len(truth) * k)


def worker_faiss(d: Path, index_type: str) -> dict[str, Any]:
    import faiss

    from qa.index.dense import build_faiss

    vectors = np.load(d / "vectors.npy")
    queries = np.load(d / "queries.npy")
    n = len(vectors)
    base_rss = _rss_now_mb()
    with Timer() as t_build:
        index = build_faiss(vectors, index_type)  # qa's own constructor: same M / efConstruction
    index_rss = _rss_now_mb() - base_rss
    path = d / f"{index_type}.index"
    faiss.write_index(index, str(path))
    out: dict[str, Any] = {
        "n": n,
        "index_type": index_type,
        "build_s": t_build.seconds,
        "build_units_per_s": n / t_build.seconds,
        "index_file_mb": path.stat().st_size / 2**20,
        "index_rss_mb": index_rss,
        "omp_threads": faiss.omp_get_max_threads(),
    }
    # Ground truth: exact search, computed here as a batch (cached for the hnsw worker).
    truth_path = d / "truth.npy"
    if index_type == "flat":
        _, truth = index.search(queries, K_CANDIDATES)
        np.save(truth_path, truth)
        lat = _latencies(lambda q: index.search(q, K_CANDIDATES), queries)
        out["query_p50_s"], out["query_p95_s"] = median(lat), percentile(lat, 95)
        faiss.omp_set_num_threads(1)
        lat = _latencies(lambda q: index.search(q, K_CANDIDATES), queries)
        out["query_1thread_p50_s"] = median(lat)
        faiss.omp_set_num_threads(out["omp_threads"])
        # The same exact search as a NumPy product over the memory-mapped vectors.
        del index
        mm = np.load(d / "vectors.npy", mmap_mode="r")

        def np_search(q: np.ndarray) -> np.ndarray:
            s = mm @ q[0]
            top = np.argpartition(-s, K_CANDIDATES - 1)[:K_CANDIDATES]
            return top[np.argsort(-s[top])]

        lat = _latencies(np_search, queries)
        out["numpy_mmap_p50_s"], out["numpy_mmap_p95_s"] = median(lat), percentile(lat, 95)
    else:
        truth = np.load(truth_path)
        out["ef"] = {}
        for ef in EF_SEARCH:
            index.hnsw.efSearch = ef
            _, found = index.search(queries, K_CANDIDATES)
            lat = _latencies(lambda q: index.search(q, K_CANDIDATES), queries)
            out["ef"][str(ef)] = {
                "recall@10": _recall(found, truth, 10),
                "recall@100": _recall(found, truth, 100),
                "query_p50_s": median(lat),
                "query_p95_s": percentile(lat, 95),
            }
        # What qa runs with.
        index.hnsw.efSearch = HNSW_EF_SEARCH
        _, found = index.search(queries, K_CANDIDATES)
        out["qa_efSearch"] = index.hnsw.efSearch
        faiss.omp_set_num_threads(1)
        lat = _latencies(lambda q: index.search(q, K_CANDIDATES), queries)
        out["qa_query_1thread_p50_s"] = median(lat)
        faiss.omp_set_num_threads(out["omp_threads"])
        out["qa_recall@10"] = _recall(found, truth, 10)
        out["qa_recall@100"] = _recall(found, truth, 100)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def worker_store(d: Path, index_type: str) -> dict[str, Any]:
    """qa's own write / load / rank over a synthetic corpus of this size."""
    import faiss

    import qa.index.build as build
    from qa.answering.query import analyse
    from qa.answering.ranking import rank
    from qa.config import Settings
    from qa.index.corpus_index import load
    from qa.index.manifest import DocInfo, read_manifest, verify
    from qa.models import Unit

    vectors = np.load(d / "vectors.npy", mmap_mode="r")
    queries = np.load(d / "queries.npy")
    src = np.load(d / "query_src.npy")
    n = len(vectors)
    with Timer() as t_texts:
        texts = synthetic_texts(n)
    units: list[Unit] = []
    docs: list[DocInfo] = []
    for doc in range(-(-n // UNITS_PER_DOC)):
        lo, hi = doc * UNITS_PER_DOC, min(n, (doc + 1) * UNITS_PER_DOC)
        pos = 0
        section = (f"Document {doc}", f"Section {doc % 7}")
        for i in range(lo, hi):
            units.append(Unit(doc, pos, pos + len(texts[i]), texts[i], section, "sentence", (i - lo) // 4))
            pos += len(texts[i]) + 1
        docs.append(DocInfo(f"doc{doc}.txt", "0" * 64, pos, 0, hi - lo, "utf-8", section[0], "text", 0, "0" * 64))
    settings = Settings(exact_search_max=n if index_type == "flat" else n - 1)
    folder = d / f"store-{index_type}"
    prebuilt = d / f"{index_type}.index"
    real_build = build.build_faiss
    build.build_faiss = lambda v, t: faiss.read_index(str(prebuilt)) if prebuilt.is_file() else real_build(v, t)
    rss_before = _rss_now_mb()
    with Timer() as t_write:
        build.write_generation(folder, settings, docs, units, np.asarray(vectors), {}, lambda _: None)
    build.build_faiss = real_build
    del units, docs, texts
    import gc

    gc.collect()
    manifest = read_manifest(folder)
    assert manifest is not None
    files = {k: v["size"] / 2**20 for k, v in manifest["files"].items()}
    with Timer() as t_verify:
        verify(folder, manifest)
    rss0 = _rss_now_mb()
    with Timer() as t_load:
        idx = load(folder, manifest)
    load_rss = _rss_now_mb() - rss0
    with Timer() as t_faiss:
        idx.faiss_index()
    # Questions: six words of the unit each query vector was made from.
    rng = np.random.default_rng(SEED + 2)
    qs = []
    for i in src.tolist():
        w = idx.units[i].text.rstrip(".").split()
        pick = rng.choice(len(w), size=min(6, len(w)), replace=False)
        qs.append(analyse("What is " + " ".join(w[j] for j in sorted(pick)) + "?"))
    rank(idx, qs[0], queries[0], settings)
    lat, lex_lat = [], []
    for q, v in zip(qs, queries, strict=True):
        t0 = time.perf_counter()
        rank(idx, q, v, settings)
        lat.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        idx.lexical.scores(q.weights)
        lex_lat.append(time.perf_counter() - t0)
    return {
        "n": n,
        "index_type": idx.index_type,
        "texts_s": t_texts.seconds,
        "write_s": t_write.seconds,
        "write_rss_mb": max(0.0, peak_rss_mb() - rss_before),
        "files_mb": files,
        "verify_s": t_verify.seconds,
        "load_s": t_load.seconds,
        "load_rss_mb": load_rss,
        "faiss_load_s": t_faiss.seconds,
        "rank_p50_s": median(lat),
        "rank_p95_s": percentile(lat, 95),
        "bm25_p50_s": median(lex_lat),
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_real(index_dir: Path) -> dict[str, Any]:
    """HNSW recall on real vectors: the COVID-QA units and its questions."""
    import faiss

    from qa.index.dense import build_faiss
    from qa.index.embed import Embedder
    from qa.index.manifest import read_manifest

    manifest = read_manifest(index_dir)
    assert manifest is not None
    vectors = np.load(index_dir / manifest["generation"] / "vectors.npy")
    qfile = index_dir.parent / "questions.json"
    questions = json.loads(qfile.read_text("utf-8"))["questions"]
    emb = Embedder(manifest["model"])
    queries = emb.encode(questions)
    exact = build_faiss(vectors, "flat")
    _, truth = exact.search(queries, K_CANDIDATES)
    with Timer() as t_build:
        hnsw = build_faiss(vectors, "hnsw")
    out: dict[str, Any] = {"n": len(vectors), "queries": len(queries), "hnsw_build_s": t_build.seconds, "ef": {}}
    for ef in EF_SEARCH:
        hnsw.hnsw.efSearch = ef
        _, found = hnsw.search(queries, K_CANDIDATES)
        out["ef"][str(ef)] = {"recall@10": _recall(found, truth, 10), "recall@100": _recall(found, truth, 100)}
    del faiss
    return out


# --- orchestration ------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _child(args: list[str]) -> dict[str, Any]:
    c = run_child([PYTHON, str(Path(__file__).resolve()), *args], timeout=3600).check()
    out = c.last_json()
    out["child_peak_rss_mb"] = out.get("peak_rss_mb", c.peak_rss_mb)
    out["child_wall_s"] = c.seconds
    return out


def render(res: dict[str, Any]) -> str:
    m = res["machine"]
    head = (f"qa scale benchmark ({res.get('data', 'clustered')} synthetic vectors, {DIM}-d) — {m.get('cpu_model', '?')}, {m.get('cpus_usable')} cores; "
            f"faiss {m.get('faiss')}, {res['sizes'][0]['flat'].get('omp_threads', '?') if res['sizes'] else '?'} OpenMP threads; "
            f"load average {m.get('load_average_at_start')} → {res.get('load_average_at_end')}")
    rows = []
    for s in res["sizes"]:
        f, h = s["flat"], s.get("hnsw")
        n = f"{s['n']:,}"
        rows.append([n, "flat (exact)", fmt_seconds(f["build_s"]), f"{f['index_file_mb']:.0f}",
                     f"{fmt_seconds(f['query_p50_s'])} / {fmt_seconds(f['query_p95_s'])}", "1.000 / 1.000",
                     f"{f['child_peak_rss_mb']:.0f}"])
        rows.append([n, "flat (exact), 1 OpenMP thread", "", "", fmt_seconds(f["query_1thread_p50_s"]), "", ""])
        rows.append([n, "numpy over mmap vectors.npy", "-", "-",
                     f"{fmt_seconds(f['numpy_mmap_p50_s'])} / {fmt_seconds(f['numpy_mmap_p95_s'])}", "1.000 / 1.000", ""])
        if h:
            for ef, e in h["ef"].items():
                rows.append([n, f"HNSW M={HNSW_M} efSearch={ef}", fmt_seconds(h["build_s"]) if ef == str(EF_SEARCH[0]) else "",
                             f"{h['index_file_mb']:.0f}" if ef == str(EF_SEARCH[0]) else "",
                             f"{fmt_seconds(e['query_p50_s'])} / {fmt_seconds(e['query_p95_s'])}",
                             f"{e['recall@10']:.3f} / {e['recall@100']:.3f}",
                             f"{h['child_peak_rss_mb']:.0f}" if ef == str(EF_SEARCH[0]) else ""])
            rows.append([n, f"HNSW as qa runs it (efSearch={h['qa_efSearch']}, k={K_CANDIDATES}), 1 thread", "", "",
                         fmt_seconds(h["qa_query_1thread_p50_s"]), f"{h['qa_recall@10']:.3f} / {h['qa_recall@100']:.3f}", ""])
    out = [head, "", "FAISS (k=100 candidates per query, single-query latency p50 / p95; recall vs exact):",
           table(rows, ["units", "index", "build", "file MiB", "query p50 / p95", "recall@10 / @100", "peak RSS MiB"])]
    srows = []
    for s in res["sizes"]:
        for key in ("store_flat", "store_hnsw"):
            st = s.get(key)
            if not st:
                continue
            srows.append([f"{s['n']:,}", st["index_type"], fmt_seconds(st["write_s"]),
                          f"{sum(st['files_mb'].values()):.0f}", fmt_seconds(st["verify_s"]), fmt_seconds(st["load_s"]),
                          f"{st['load_rss_mb']:.0f}", fmt_seconds(st["faiss_load_s"]),
                          f"{fmt_seconds(st['rank_p50_s'])} / {fmt_seconds(st['rank_p95_s'])}", fmt_seconds(st["bm25_p50_s"]),
                          f"{st['child_peak_rss_mb']:.0f}"])
    if srows:
        out += ["", "qa's store and ranker on the synthetic corpus (write excludes the FAISS build above; "
                "load includes verify):",
                table(srows, ["units", "index", "write gen", "files MiB", "verify", "load", "load RSS MiB", "faiss load",
                              "rank() p50 / p95", "BM25 p50", "peak RSS MiB"])]
    r = res.get("real")
    if r:
        out += ["", f"HNSW recall on real COVID-QA vectors ({r['n']} units, {r['queries']} real questions, "
                f"build {fmt_seconds(r['hnsw_build_s'])}):",
                table([[ef, f"{e['recall@10']:.3f}", f"{e['recall@100']:.3f}"] for ef, e in r["ef"].items()],
                      ["efSearch", "recall@10", "recall@100"])]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated unit counts")
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    p.add_argument("--json", metavar="PATH", help="write all figures as JSON ('-' for stdout, replacing the table)")
    p.add_argument("--no-store", action="store_true", help="FAISS only: skip qa's store/rank stage")
    p.add_argument("--no-hnsw-above", type=int, default=0, help="skip the HNSW stage above this size (0: never skip)")
    p.add_argument("--data", choices=["clustered", "covidqa"], default="clustered",
                   help="synthetic vectors: 'clustered' (default; a hard case for HNSW) or 'covidqa' (real COVID-QA "
                   "unit vectors plus noise with their within-document covariance, queried with the real questions; "
                   "FAISS stages only; run perf.py first)")
    p.add_argument("--real", action="store_true", help="also HNSW recall on the real COVID-QA vectors (run perf.py first)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        kind, _, index_type = a.worker.partition(":")
        if kind == "gen":
            ensure_data(a.dir, a.n, a.data)
            print(json.dumps({"n": a.n}))
            return 0
        fn = {"faiss": worker_faiss, "store": worker_store}.get(kind)
        result = worker_real(a.dir) if kind == "real" else fn(a.dir, index_type)  # type: ignore[misc]
        print(json.dumps(result))
        return 0
    t0 = time.perf_counter()
    res: dict[str, Any] = {"machine": machine(), "data": a.data, "sizes": []}
    for n in [int(float(x)) for x in a.sizes.split(",") if x.strip()]:
        log(f"n={n:,}: synthetic vectors")
        d = size_dir(a.workdir, n, a.data)
        # In a child, so that this process stays small: a child's ru_maxrss and
        # VmHWM start from nothing only if the parent is small too.
        run_child([PYTHON, str(Path(__file__).resolve()), "--worker", "gen:", "--dir", str(d), "--n", str(n),
                   "--data", a.data], timeout=3600).check()
        s: dict[str, Any] = {"n": n}
        log(f"n={n:,}: flat")
        s["flat"] = _child(["--worker", "faiss:flat", "--dir", str(d)])
        if not a.no_hnsw_above or n <= a.no_hnsw_above:
            log(f"n={n:,}: HNSW (flat query p50 {fmt_seconds(s['flat']['query_p50_s'])})")
            s["hnsw"] = _child(["--worker", "faiss:hnsw", "--dir", str(d)])
            log(f"n={n:,}: HNSW built in {fmt_seconds(s['hnsw']['build_s'])}")
        if not a.no_store and a.data == "clustered":
            # qa's choice at this size (Settings.exact_search_max), with the prebuilt index.
            from qa.config import Settings

            kind = "flat" if n <= Settings().exact_search_max else "hnsw"
            if kind == "hnsw" and "hnsw" not in s:
                kind = "flat"
            log(f"n={n:,}: qa store/rank with {kind}")
            s[f"store_{kind}"] = _child(["--worker", f"store:{kind}", "--dir", str(d)])
        res["sizes"].append(s)
    if a.real:
        idx = a.workdir / "covidqa" / "index"
        if (idx / "manifest.json").is_file():
            log("real COVID-QA vectors: HNSW recall")
            res["real"] = _child(["--worker", "real:", "--dir", str(idx)])
        else:
            log(f"--real: no index in {idx}; run bench/perf.py --corpora covidqa first")
    return finish(res, t0, a.json, render)


if __name__ == "__main__":
    sys.exit(main())
