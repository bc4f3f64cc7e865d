"""qa: cited answers from clinical and scientific articles, offline.

One package per stage of the data flow, each importing only the ones below it
(checked by import-linter, see pyproject.toml and docs/architecture.md):

    qa.cli        the `qa` command line: ask, batch, index, eval, chat
    qa.tui        the Textual chat (the only code that imports Textual)
    qa.answering  question -> candidates -> ranked passages -> answer or abstention
    qa.index      units -> the persisted, verified index (dense and BM25)
    qa.reading    corpus files -> documents -> citable units
    shared        qa.models, qa.config, qa.errors, qa.paths, qa.text, qa.safe:
                  plain data and helpers that every stage may use
"""

__version__ = "0.1.0"
