"""Reading speed: PDF pages per second, and JATS XML files per second.

    .venv/bin/python bench/read_pdf.py [--data ../shared/benchmarks/evidence-inference]
                                       [--repeat 3] [--profile]

Reads every pdf/*.pdf and xml/*.nxml of the data folder with qa.reading, in
this process, and prints pages, seconds and pages/s (for XML: files, seconds,
files/s and MB/s). The best of --repeat runs is reported, with its CPU time: the
machine is shared and the slower runs measure other work. The goal for PDF is 20 pages/s or more.
--profile prints where one PDF run spends its time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.reading.document import ReadError  # noqa: E402
from qa.reading.jats import read_jats  # noqa: E402
from qa.reading.pdf import read_pdf  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "evidence-inference"


def run_pdf(files: list[tuple[str, bytes]]) -> tuple[int, float, int, float]:
    pages = failures = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    for name, data in files:
        try:
            doc = read_pdf(data, name)
        except ReadError as exc:
            print(f"  {name}: {exc}", file=sys.stderr)
            failures += 1
            continue
        pages += len(doc.page_starts)
    return pages, time.perf_counter() - t0, failures, time.process_time() - c0


def run_xml(files: list[tuple[str, bytes]]) -> float:
    t0 = time.perf_counter()
    for name, data in files:
        read_jats(data, name)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    pdfs = [(p.name, p.read_bytes()) for p in sorted((args.data / "pdf").glob("*.pdf"))]
    xmls = [(p.name, p.read_bytes()) for p in sorted((args.data / "xml").glob("*.nxml"))]
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(run_pdf, pdfs)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    best_pdf: tuple[int, float, int, float] | None = None
    best_xml = float("inf")
    for _ in range(max(1, args.repeat)):
        result = run_pdf(pdfs)
        if best_pdf is None or result[1] < best_pdf[1]:
            best_pdf = result
        best_xml = min(best_xml, run_xml(xmls))
    assert best_pdf is not None
    pages, seconds, failures, cpu = best_pdf
    print(f"pdf: {len(pdfs)} files, {pages} pages, {seconds:.2f} s, {pages / seconds:.1f} pages/s "
          f"({cpu:.2f} s of CPU, {pages / cpu:.1f} pages per CPU second)"
          + (f", {failures} unreadable" if failures else ""))
    mb = sum(len(d) for _, d in xmls) / 1e6
    print(f"xml: {len(xmls)} files, {mb:.1f} MB, {best_xml:.2f} s, {len(xmls) / best_xml:.1f} files/s, "
          f"{mb / best_xml:.1f} MB/s")


if __name__ == "__main__":
    main()
