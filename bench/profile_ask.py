"""Where a warm answer's time goes, by function (cProfile), query encoding excluded.

    .venv/bin/python bench/profile_ask.py                       # COVID-QA index left by bench/perf.py
    .venv/bin/python bench/profile_ask.py --corpora storm --top 30
    .venv/bin/python bench/profile_ask.py --with-encode          # profile Engine.ask as a whole

Questions are encoded first in one batch, then Engine._answer (retrieval,
reranking, citations, short answer) runs under the profiler for every
question, so the profile shows the pipeline rather than the model. Shares are
robust on a busy machine; absolute times are not.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKDIR, median, percentile  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpora", default="covidqa", choices=["covidqa", "storm"])
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    p.add_argument("--with-encode", action="store_true", help="profile Engine.ask, query encoding included")
    p.add_argument("--limit", type=int, default=0, help="profile only the first N questions")
    p.add_argument("--steady", action="store_true", help="answer every question once unprofiled first, so "
                   "per-unit memos (stemmed terms) are filled: the profile of a long-running session")
    a = p.parse_args(argv)

    from qa.answering.engine import Engine

    base = a.workdir / a.corpora
    qfile = base / "questions.json"
    if not (base / "index" / "manifest.json").is_file() or not qfile.is_file():
        p.error(f"no benchmark index in {base}: run bench/perf.py --corpora {a.corpora} first")
    questions = json.loads(qfile.read_text("utf-8"))["questions"]
    if a.limit:
        questions = questions[: a.limit]
    engine = Engine(base / "corpus", base / "index")
    engine.open()
    engine.warm_up()
    k = engine.settings.top_k
    queries = [engine.prepare(q) for q in questions]
    vecs = engine.embedder.encode([q.dense_text for q in queries])
    engine._answer(queries[0], vecs[0], k, None)  # loads FAISS
    if a.steady:
        for q, v in zip(queries, vecs, strict=True):
            engine._answer(q, v, k, None)
    prof = cProfile.Profile()
    times = []
    for q, v, text in zip(queries, vecs, questions, strict=True):
        t0 = time.perf_counter()
        if a.with_encode:
            prof.runcall(engine.ask, text)
        else:
            prof.runcall(engine._answer, q, v, k, None)
        times.append(time.perf_counter() - t0)
    units = len(engine.index.units)
    print(f"{a.corpora}: {len(questions)} questions over {units} units{' (steady state)' if a.steady else ''}; "
          f"per answer (profiled, so slower than real) p50 {median(times) * 1e3:.1f} ms, p95 {percentile(times, 95) * 1e3:.1f} ms")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats(a.sort).print_stats(a.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
