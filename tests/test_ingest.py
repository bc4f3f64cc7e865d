from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from qa.reading.files import corpus_files, decode
from qa.reading.plain import label_path
from qa.reading.units import section_label, units_of
from tests.conftest import SEED_CORPUS


def storm_text() -> str:
    return next(SEED_CORPUS.glob("*.txt")).read_text("utf-8")


def test_every_unit_is_a_verbatim_slice_in_reading_order() -> None:
    text = storm_text()
    units = units_of(0, text)
    assert len(units) > 25
    for u in units:
        assert text[u.start : u.end] == u.text
        assert u.text == u.text.strip()
    starts = [u.start for u in units]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(units))


def test_bullets_carry_their_heading_path() -> None:
    units = {u.text: u for u in units_of(0, storm_text())}
    dor = units["Median duration of response in responders (n=32): 4.4 months (95% CI, 3.7–10.8)"]
    assert dor.kind == "bullet"
    assert section_label(dor) == "Efficacy"
    nested = next(u for t, u in units.items() if t.startswith("Two complete responses (CR)"))
    assert section_label(nested) == "Efficacy › Overall response rate"
    assert section_label(units["Mortality during study: n=28"]) == "Safety (n=123)"
    # Label bullets are headings, not citable units.
    assert "Patients" not in units and "Efficacy" not in units


def test_boilerplate_is_never_a_unit_and_references_are_marked() -> None:
    units = units_of(0, storm_text())
    texts = " ".join(u.text for u in units)
    for chrome in ("Download this article", "Download as PDF", "Was this article informative", "Adobe PDF"):
        assert chrome not in texts
    refs = [u for u in units if u.kind == "reference"]
    assert len(refs) == 2
    assert refs[0].text.startswith("Chari A. et al.") and "DOI: 10.1056/NEJMoa1903455" in refs[0].text
    assert refs[1].text.startswith("U.S. Food and Drug Administration.")


def test_sentences_of_a_paragraph_split_at_glued_reference_markers() -> None:
    units = units_of(0, storm_text())
    first = units[0]
    assert first.text.startswith("Ajai Chari from Mount Sinai Hospital")
    assert first.text.endswith("triple-class refractory myeloma.1")
    assert units[1].text.startswith("This formed part two of the STORM study")


def test_markdown_headings_and_nested_lists() -> None:
    text = "# Trial\n\nIntro sentence one. Intro two.\n\n## Results\n\n- Efficacy\n  - ORR was 40%.\n  - CR in 3 patients.\n- Safety was acceptable overall.\n"
    units = units_of(0, text)
    by_text = {u.text: u for u in units}
    assert by_text["ORR was 40%."].section == ("Trial", "Results", "Efficacy")
    assert by_text["Safety was acceptable overall."].section == ("Trial", "Results")
    assert all(text[u.start : u.end] == u.text for u in units)


PIPE_TABLE = """# Trial

## Results

Weight fell in every arm.
Table 2. Outcomes at week 72

| Outcome | 5 mg | 15 mg | Placebo |
|:---|---:|---:|---:|
| Mean change in body weight | -15.0% | -20.9% | -3.1% |
|Weight reduction of 5% or more|85%|91%|35%|

A line with a | in it is no table.
"""


def test_a_markdown_pipe_table_is_read_row_by_row() -> None:
    from qa.reading.plain import read_text

    doc = read_text(PIPE_TABLE, "markdown")
    blocks = [(b.kind, PIPE_TABLE[b.start : b.end], b.table, b.context) for b in doc.blocks]
    base = "Table 2: Outcomes at week 72"
    assert blocks[2:] == [
        ("paragraph", "Weight fell in every arm.", None, ""),
        ("caption", "Table 2. Outcomes at week 72", "Table 2", ""),
        ("row", "Outcome | 5 mg | 15 mg | Placebo", "Table 2", base),
        ("row", "Mean change in body weight | -15.0% | -20.9% | -3.1%", "Table 2", f"{base} — Outcome | 5 mg | 15 mg | Placebo"),
        ("row", "Weight reduction of 5% or more|85%|91%|35%", "Table 2", f"{base} — Outcome | 5 mg | 15 mg | Placebo"),
        ("paragraph", "A line with a | in it is no table.", None, ""),
    ]


def test_a_pipe_table_without_a_caption_is_numbered_and_its_cells_answer() -> None:
    from qa.answering.extract import short_answer
    from qa.answering.query import analyse
    from qa.reading.plain import read_text

    text = "Results\n\nArm | Responders\n--- | ---\nDrug | 12 of 40\nPlacebo | 3 of 41\n"
    rows = [b for b in read_text(text, "markdown").blocks if b.kind == "row"]
    assert [(text[b.start : b.end], b.table) for b in rows] == [
        ("Arm | Responders", "Table 1"), ("Drug | 12 of 40", "Table 1"), ("Placebo | 3 of 41", "Table 1")]
    corner = "|  | 5 mg | Placebo |\n|---|---|---|\n| Nausea | 12% | 4% |\n"
    rows = [b for b in read_text(corner, "markdown").blocks if b.kind == "row"]
    assert [corner[b.start : b.end] for b in rows] == ["| 5 mg | Placebo", "Nausea | 12% | 4%"]
    assert rows[1].context == "Table 1 — 5 mg | Placebo"
    row = "Mean change in body weight | -15.0% | -20.9% | -3.1%"
    span = short_answer(analyse("What was the mean weight change with placebo?"), row,
                        "Table 2: Outcomes — Outcome | 5 mg | 15 mg | Placebo")
    assert span is not None and row[span[0] : span[1]] == "-3.1%"


def test_decoding_falls_back_and_says_which_encoding() -> None:
    assert decode("naïve".encode()) == ("naïve", "utf-8")
    text, enc = decode("café – 5 µg".encode("cp1252"))
    assert enc == "cp1252" and text == "café – 5 µg"


def test_corpus_listing_skips_other_files_and_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A sentence here.")
    (tmp_path / "b.md").write_text("# B\n\nAnother one.")
    (tmp_path / "c.pdf").write_bytes(b"%PDF")
    (tmp_path / "e.docx").write_bytes(b"PK")
    (tmp_path / "f.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.txt").write_text("Nested sentence.")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    files, warnings = corpus_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.txt", "b.md", "c.pdf", "sub/d.txt"]
    assert any("symlink loop" in w for w in warnings)
    assert any("dangling.txt" in w for w in warnings)


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("BODY.RESULTS.PRIMARY OUTCOME:", (("Results", "Primary outcome"), True)),
        ("ABSTRACT.BACKGROUND:", (("Abstract", "Background"), True)),
        ("BODY.2.1. STUDY DESIGN:", (("2.1. Study design",), True)),
        ("BODY.HIV TESTING:", (("HIV testing",), True)),
        ("ABSTRACT.CLINICALTRIALS.GOV IDENTIFIER:", (("Abstract", "Clinicaltrials.gov identifier"), True)),
        ("TITLE:", (("TITLE",), True)),
        ("Results:", (("Results",), False)),
        ("Patients and Methods:", (("Patients and Methods",), False)),
        # Sentences that end with a colon are text, not labels.
        ("The following were measured:", None),
        ("Integration of (5) with the initial conditions (4) yields:", None),
        ("follows:", None),
        ("Results: the rate was 5%", None),
    ],
)
def test_label_lines(line: str, path: tuple[tuple[str, ...], bool] | None) -> None:
    assert label_path(line) == path


def test_a_label_line_is_a_heading_and_never_part_of_a_unit() -> None:
    text = "TITLE: \nA trial\n\nBODY.RECOVERY:\nSignificantly more PHR than control group patients recovered.\nResults:\nIt worked."
    units = units_of(0, text)
    assert [u.text for u in units] == ["Significantly more PHR than control group patients recovered.", "It worked."]
    assert [u.section for u in units] == [("A trial", "Recovery"), ("A trial", "Results")]
