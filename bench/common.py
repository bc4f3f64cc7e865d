"""Shared helpers for the benchmarks: timing statistics, child processes with
their peak memory, the machine's description and the benchmark corpora.

Plain Python (no pytest): the benchmarks are run as scripts, see
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
HWM_TAG = "QA_BENCH_VMHWM_KB"
QA = [
    sys.executable,
    "-c",
    "import atexit, sys\n"
    "def _hwm():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    f"            sys.stderr.write('\\n{HWM_TAG} ' + line.split()[1] + '\\n')\n"
    "atexit.register(_hwm)\n"
    "from qa.cli import main\n"
    "sys.exit(main())\n",
]
"""How to run the CLI: what the `qa` console script does (import qa.cli, call
main), plus a hook that reports the process's peak RSS on stderr at exit."""
STORM_CORPUS = ROOT / "corpus"
STORM_QUESTIONS = ROOT / "tests" / "data" / "storm_gold.jsonl"
COVIDQA = ROOT.parent / "shared" / "benchmarks" / "covidqa" / "covidqa-dev.json"
DEFAULT_WORKDIR = ROOT / ".bench"
"""Git-ignored; holds the corpora copies and the indexes the benchmark builds."""


# --- statistics --------------------------------------------------------------------------


def median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def percentile(xs: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between order statistics."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    pos = (len(s) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


def _vm_hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident set size of a live process (VmHWM), in MiB; None if unreadable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB.

    VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts from its parent's
    peak (exec folds the forked image's high-water mark into it), so the
    ru_maxrss of a small program started by a big one reports the big one."""
    hwm = _vm_hwm_mb()
    if hwm is not None:
        return hwm
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timer:
    """`with Timer() as t: ...; t.seconds`"""

    seconds: float = 0.0

    def __enter__(self) -> Timer:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0


# --- child processes ---------------------------------------------------------------------


def cpu_busy_seconds() -> float:
    """CPU-seconds all processes on the machine have spent busy since boot (/proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def machine_busy(seconds: float = 2.0) -> float:
    """How many CPUs the machine kept busy over the next few seconds (this process is idle)."""
    b0, t0 = cpu_busy_seconds(), time.perf_counter()
    time.sleep(seconds)
    return (cpu_busy_seconds() - b0) / (time.perf_counter() - t0)


def wait_for_quiet(max_busy: float, max_wait: float, log: Any = None) -> float:
    """Wait (up to max_wait seconds) until other processes use at most max_busy CPUs."""
    deadline = time.perf_counter() + max_wait
    busy = machine_busy()
    while busy > max_busy and time.perf_counter() < deadline:
        if log:
            log(f"machine busy ({busy:.1f} CPUs used by others); waiting for it to quieten")
        time.sleep(10)
        busy = machine_busy()
    return busy


@dataclass(slots=True)
class Child:
    """What a child process did: wall time, exit status, output, peak RSS, and how
    much CPU other processes took meanwhile (contention makes timings unreliable)."""

    argv: list[str]
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    cpu_s: float = 0.0
    """CPU-seconds the child used (user + system, all threads)."""
    others_cpus: float = 0.0
    """CPUs' worth of work other processes did during the child's run, on average."""

    def check(self) -> Child:
        if self.returncode != 0:
            raise RuntimeError(
                f"{' '.join(self.argv)} exited with {self.returncode}:\n{self.stderr[-3000:]}"
            )
        return self

    def last_json(self) -> dict[str, Any]:
        """The last line of stdout that is a JSON object (how workers report)."""
        for line in reversed(self.stdout.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"no JSON from {' '.join(self.argv)}:\n{self.stdout[-2000:]}\n{self.stderr[-2000:]}")


def run_child(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 900) -> Child:
    """Run a command to completion, waiting without polling (a poller wakes up
    on one of the 2 cores and slows the child's 2 torch threads).

    Peak RSS: a child's own report (a worker's "peak_rss_mb", the CLI hook's
    HWM_TAG line), else wait4's ru_maxrss, which on Linux also counts this
    process's peak (see peak_rss_mb)."""
    full_env = dict(os.environ)
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    if env:
        full_env.update(env)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        busy0 = cpu_busy_seconds()
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=full_env, cwd=cwd)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        busy = cpu_busy_seconds() - busy0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        cpu = ru.ru_utime + ru.ru_stime
        others = max(0.0, busy - cpu) / seconds if seconds > 0 else 0.0
        peak = ru.ru_maxrss / 1024.0
        if HWM_TAG in stderr:
            lines = stderr.splitlines()
            tagged = [ln for ln in lines if ln.startswith(HWM_TAG)]
            peak = int(tagged[-1].split()[1]) / 1024.0
            stderr = "\n".join(ln for ln in lines if not ln.startswith(HWM_TAG))
        return Child(argv, seconds, p.returncode, stdout, stderr, peak, cpu, others)


# --- the machine -------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU, memory, accelerator and library versions, for the results' header."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    code = (
        "import json, torch, sentence_transformers, faiss, numpy, transformers;"
        "print(json.dumps({'torch': torch.__version__, 'torch_threads': torch.get_num_threads(),"
        "'cuda': torch.cuda.is_available(), 'sentence_transformers': sentence_transformers.__version__,"
        "'transformers': transformers.__version__, 'faiss': faiss.__version__, 'numpy': numpy.__version__}))"
    )
    try:
        info.update(run_child([PYTHON, "-c", code]).check().last_json())
    except Exception as exc:  # pragma: no cover - reported, not fatal
        info["versions_error"] = str(exc)
    info["load_average_at_start"] = round(os.getloadavg()[0], 2)
    return info


# --- corpora -----------------------------------------------------------------------------


@dataclass(slots=True)
class Corpus:
    """A benchmark corpus: its folder, where its index goes, and its questions."""

    name: str
    corpus: Path
    index: Path
    questions: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "corpus": str(self.corpus), "index": str(self.index), "questions": len(self.questions)}


def prepare_storm(workdir: Path, source: Path = STORM_CORPUS, questions: Path = STORM_QUESTIONS) -> Corpus:
    """A copy of the shipped corpus (the benchmark modifies files to time refreshes,
    so it never touches ./corpus or ./index)."""
    base = workdir / "storm"
    corpus = base / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    shutil.copytree(source, corpus)
    qs, ids = [], []
    if questions.is_file():
        for line in questions.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                qs.append(row["question"])
                ids.append(str(row.get("id", len(ids))))
    return Corpus("storm", corpus, base / "index", qs, ids)


def prepare_covidqa(workdir: Path, source: Path = COVIDQA) -> Corpus:
    """The COVID-QA dev articles, one file each, written by qa.answering.evaluate.load_squad."""
    from qa.answering.evaluate import load_squad

    base = workdir / "covidqa"
    corpus = base / "corpus"
    # Rewrite from scratch: a previous run may have been interrupted mid-change.
    if corpus.exists():
        shutil.rmtree(corpus)
    items = load_squad(source, corpus)
    return Corpus("covidqa", corpus, base / "index", [i.question for i in items], [i.id for i in items])


def corpus_texts(corpus: Path) -> list[str]:
    """The texts qa embeds for a corpus, produced the way the index build does."""
    from qa.index.dense import embedding_text
    from qa.reading.files import corpus_files
    from qa.reading.formats import read_document
    from qa.reading.units import units_of

    texts: list[str] = []
    files, _ = corpus_files(corpus)
    for doc_id, path in enumerate(files):
        doc, _enc = read_document(path.read_bytes(), path.name)
        texts.extend(embedding_text(u) for u in units_of(doc_id, doc))
    return texts


# --- formatting --------------------------------------------------------------------------


def fmt_seconds(s: float | None) -> str:
    if s is None or s != s:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)))
    return "\n".join(out)


def finish(res: dict[str, Any], t0: float, json_arg: str | None, render: Any) -> int:
    """Close a benchmark run: end-of-run figures, then JSON to a file ('--json PATH'),
    JSON on stdout instead of the table ('--json -'), or the rendered table."""
    res["load_average_at_end"] = round(os.getloadavg()[0], 2)
    res["total_s"] = time.perf_counter() - t0
    if json_arg and json_arg != "-":
        Path(json_arg).write_text(json.dumps(res, indent=1), "utf-8")
    print(json.dumps(res, indent=1) if json_arg == "-" else render(res))
    return 0


T = TypeVar("T")


def ei_splits(doc: str, measure: Callable[[str, Path], T]) -> dict[str, T] | None:
    """The command line of a per-split Evidence Inference check (--splits, --workdir,
    --json): measure(split, workdir) for each split, or None once printed as JSON."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--splits", default="validation,train-b", help="EI splits: validation, train-b")
    ap.add_argument("--workdir", type=Path, default=ROOT / ".qa-eval")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = {split: measure(split, args.workdir) for split in args.splits.split(",")}
    if args.json:
        print(json.dumps(results, indent=1))
        return None
    return results
