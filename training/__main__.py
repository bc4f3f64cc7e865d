"""Make qa's trained weights from public data: `python -m training`.

    .venv/bin/python -m training [--out qa/weights] [--workdir .train] [--seed 13]

Stages (each prints its run time; the whole run takes under two hours on
2 CPU cores):
  1. encoder    fine-tune the packaged MiniLM for question → answering unit
                (EI train part a), store the change as low-rank factors;
  1b. adapt     train that model on COVID-QA's questions as well: one model per
                fold without the fold's articles (for honest CV), one on all;
  2. ranker     qa's own candidates and features over indexes built with that
                encoder (EI train part b, COVID-QA dev, the STORM gold set):
                lambdarank trees or a listwise linear model, whichever wins
                article-grouped cross-validation;
  3. confidence calibrated on held-out (cross-fitted) predictions and on
                questions asked of a corpus without their article;
  4. finding    the reported finding of a comparison (EI train labels).
Every random choice is seeded. Nothing here runs in CI; the tests load the
committed results from qa/weights.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "qa" / "weights", help="where the weights go")
    ap.add_argument("--workdir", type=Path, default=ROOT / ".train", help="indexes and fold models (git-ignored)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--stages", default="encoder,adapt,ranker,confidence,finding")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.environ["QA_WEIGHTS"] = str(args.out.resolve())  # stages 2-3 run qa with the new encoder
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from training import adapt, calibrate, pipeline

    run = {"encoder": pipeline.encoder, "adapt": adapt.stage, "ranker": pipeline.ranker, "confidence": calibrate.confidence,
           "finding": pipeline.finding}
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in run]
    if unknown:
        ap.error(f"no stage {', '.join(unknown)} (stages: {', '.join(run)})")
    times: dict[str, float] = {}
    t_all = time.perf_counter()
    for stage in stages:
        t0 = time.perf_counter()
        print(f"== {stage}", flush=True)
        run[stage](args.out, args.workdir, args.seed)
        times[stage] = time.perf_counter() - t0
        print(f"== {stage} done in {times[stage] / 60:.1f} min", flush=True)
    total = time.perf_counter() - t_all
    print("run time: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in times.items()) + f"; total {total / 60:.1f} min")
    (args.workdir / "run-time.json").write_text(json.dumps({**times, "total": total}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
