"""Funding and competing-interest statements of a JATS article: what a reviewer
extracts, and what JATS keeps out of the article's text, in the metadata's
<funding-group> and in footnotes typed as such. The JATS reader lays them out
as the document's last sections.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from qa.reading.markup import local_name as _local

FUNDING_NOTES = frozenset({"financial-disclosure", "supported-by", "funding", "funding-statement"})
INTEREST_NOTES = frozenset({"conflict", "coi-statement", "competing-interests", "conflict-of-interest"})

Found = list[tuple[str, str]]
"""(block kind, text) in document order."""


def declarations(root: etree._Element, meta: etree._Element | None,
                 text_of: Callable[[etree._Element], str]) -> list[tuple[str, Found]]:
    """("Funding", ...) and ("Competing interests", ...): the funding group's statement,
    else each award as "source (award id)", and the footnotes that state either."""
    funding: Found = []
    groups = [e for e in meta.iter() if _local(e) == "funding-group"] if meta is not None else []
    for group in groups:
        stated = [("paragraph", text_of(e)) for e in group.iter() if _local(e) == "funding-statement"]
        if not stated:
            for award in (e for e in group if _local(e) == "award-group"):
                source = "; ".join(text_of(e) for e in award.iter() if _local(e) == "funding-source")
                ids = ", ".join(text_of(e) for e in award.iter() if _local(e) == "award-id")
                stated.append(("item", f"{source} ({ids})" if source and ids else source or ids))
        funding += stated
    interests: Found = []
    for fn in (e for e in root.iter() if _local(e) == "fn"):
        kind = (fn.get("fn-type") or "").lower()
        if kind in FUNDING_NOTES:
            funding.append(("paragraph", text_of(fn)))
        elif kind in INTEREST_NOTES:
            interests.append(("paragraph", text_of(fn)))
    return [("Funding", funding), ("Competing interests", interests)]
