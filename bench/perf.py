"""The speed benchmark: build throughput, refresh, warm latency, batch, cold start, memory.

    .venv/bin/python bench/perf.py                      # both corpora, table on stdout
    .venv/bin/python bench/perf.py --corpora storm      # only the shipped corpus (~1 min)
    .venv/bin/python bench/perf.py --json results.json  # also write every figure as JSON
    .venv/bin/python bench/perf.py --json -             # JSON on stdout instead of the table

Every stage runs in its own child process (bench/perf_stages.py), so each
stage's peak RSS is its own (read from wait4) and cold starts are really cold.
Corpora are copied to --workdir (default .bench/, git-ignored): the shipped
corpus from ./corpus, the COVID-QA dev articles written by
qa.answering.evaluate.load_squad. Nothing in ./corpus or ./index is touched.
Figures are medians over repeats; see docs/performance.md for the results.
"""

from __future__ import annotations

import argparse
import json
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
    finish,
    fmt_seconds,
    machine,
    median,
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
    argv = [PYTHON, str(Path(__file__).resolve().parent / "perf_stages.py"), stage, "--corpus-dir", str(c.corpus),
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
    a = p.parse_args(argv)

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
