"""Built-in question sets for the grid, kept as data: qa/bulk/presets/<name>.csv.

A preset is an ordinary question file (the `id,question` CSV that `qa grid`
and `qa batch` read), so `qa grid --preset rct --print > mine.csv` gives an
editable copy that `qa grid mine.csv` reads back; changing a preset is editing
a CSV file, not code. `rct` holds what a systematic reviewer extracts from a
randomised trial (design, population, number randomised, intervention,
comparator, primary outcome and its result, follow-up, adverse events,
funding, registration), phrased so that today's ranking finds the sentences.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from qa.bulk.questions import Row, parse_questions, split_usable
from qa.errors import QAError

SUFFIX = ".csv"


def names() -> list[str]:
    """The presets there are."""
    folder = resources.files(__package__ or "qa.bulk") / "presets"
    return sorted(p.name[: -len(SUFFIX)] for p in folder.iterdir() if p.name.endswith(SUFFIX))


def preset_text(name: str) -> str:
    """A preset's question file, as written (what --print prints)."""
    if name not in names():
        raise QAError(f"No question preset {name!r}.", hint=f"Presets: {', '.join(names())}.")
    return (resources.files(__package__ or "qa.bulk") / "presets" / f"{name}{SUFFIX}").read_text("utf-8")


def preset_rows(name: str) -> list[Row]:
    """A preset's questions, read like any question file (a bad row is a bug in the preset)."""
    source = Path(f"preset {name}")
    good, bad = split_usable(parse_questions(preset_text(name), SUFFIX, source), source)
    if bad:
        raise QAError(f"The preset {name!r} is broken: {bad[0]}")
    return good
