"""The settings and the engine a command works with, from its arguments."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from qa.cli.output import describe, err, warn_all

if TYPE_CHECKING:
    from qa.answering.engine import Engine
    from qa.config import Settings


def settings_of(args: argparse.Namespace) -> Settings:
    """The default settings with what --model and --device change."""
    from qa.config import Settings

    return Settings().with_(model=getattr(args, "model", None), device=getattr(args, "device", None))


def open_engine(args: argparse.Namespace, *, corpus: Path | None = None, index: Path | None = None) -> Engine:
    """An engine on the command's corpus and index, opened (built if needed), saying so on stderr."""
    from qa.answering.engine import Engine

    engine = Engine(corpus or args.corpus, index or args.index, settings_of(args))
    report = engine.open(progress=err)
    if report.action != "loaded":
        err(describe(report))
    warn_all(report.warnings)
    return engine
