"""`qa eval`: qa scored against gold questions (its own JSONL, or a SQuAD file)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from qa.cli.session import open_engine
from qa.errors import QAError
from qa.paths import default_eval_dir
from qa.safe import one_line

if TYPE_CHECKING:
    from qa.models import Answer


def cmd_eval(args: argparse.Namespace) -> int:
    from qa.answering import evaluate

    path: Path = args.gold
    if not path.is_file():
        raise QAError(f"Gold file {path} does not exist.")
    squad = evaluate.is_squad(path)
    if squad:
        ws = evaluate.squad_workspace(path, args.workdir or default_eval_dir())
        items = evaluate.load_squad(path, ws / "corpus")
        corpus, index = ws / "corpus", ws / "index"
    else:
        items = evaluate.load_gold(path, args.split)
        corpus, index = args.corpus, args.index
    docs: list[list[str] | None] | None = None
    if args.scoped:
        # Each question of its own document only: what a reader asking about one
        # trial gets, with "which article?" taken out of the measure.
        missing = [i for i in items if not i.doc]
        if missing:
            raise QAError(
                f"--scoped asks each question of its own document, but {len(missing)} of the {len(items)} gold "
                f"questions name none (the first: {missing[0].id!r}).",
                hint='A gold JSONL row names its document with "doc"; SQuAD files always do.',
            )
        docs = [[i.doc] for i in items if i.doc]
    t0 = time.perf_counter()
    engine = open_engine(args, corpus=corpus, index=index)
    index_seconds = time.perf_counter() - t0

    def answer(questions: list[str], ids: list[str]) -> list[Answer]:
        # evaluate.run asks the items' questions in their order, so docs lines up.
        return engine.ask_many(questions, k=evaluate.MRR_DEPTH, ids=ids, docs=docs)

    report = evaluate.run(answer, path.name + (" (scoped)" if args.scoped else ""), items)
    report.index_seconds = index_seconds
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print("\n".join(report.lines()))
        if args.show_misses:
            for m in report.misses:
                print(f"  miss {m['id']} (gold at rank {m['rank']}): {one_line(m['question'])}")
                print(f"      gold:  {one_line(m['gold'])}")
                print(f"      cited: {one_line(m['cited'] or '-')}")
    return 0

