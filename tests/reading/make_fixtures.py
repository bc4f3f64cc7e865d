"""Regenerate the reader test fixtures in tests/reading/fixtures/.

    .venv/bin/python tests/reading/make_fixtures.py

Needs the dev-only packages typst (typesets the PDFs) and pypdf (the encrypted
and empty PDFs); the tests themselves need only pypdfium2 and lxml. The PDFs
are typeset from the sources below, so what they must contain is known here:
a two-column article with a full-width title, running headers, page numbers,
headings, justified and hyphenated text, a ligature, superscript citations
and a table; a single-column report in another font with numbered and run-in
headings, bullets, a footnote and a table without cell borders; then an encrypted copy, a truncated copy, a PDF without pages and
one with only a drawn rectangle. The XML and HTML fixtures are written out
as they are.
"""

from __future__ import annotations

import io
from pathlib import Path

HERE = Path(__file__).resolve().parent / "fixtures"

# Words long enough that justified narrow columns break some of them at line ends.
LONG = ["pharmacokinetically", "immunohistochemistry", "gastroenterological", "electroencephalography",
        "interdisciplinary", "cardiovascular", "hypoglycaemia", "randomisation", "methodological"]


def _paragraph(tag: str, n: int) -> str:
    """Distinct sentences, each led by a tag the tests find the reading order by."""
    out = []
    for i in range(n):
        w = LONG[(i + len(tag)) % len(LONG)]
        v = LONG[(i * 3 + 1) % len(LONG)]
        out.append(f"{tag}{i} The {w} assessment of participant group {i} was repeated with {v} "
                   f"care in every placebo-controlled visit of the study.")
    return " ".join(out)


def article_typst() -> str:
    return rf"""
#set page(paper: "a4", columns: 2, margin: (x: 1.6cm, y: 2.2cm),
  header: context {{ if counter(page).get().first() > 1 [#text(size: 7pt)[_Journal of Reading Tests_ #h(1fr) Tester et al.]] }},
  numbering: "1")
#set text(size: 9pt, hyphenate: true, lang: "en")
#set par(justify: true, spacing: 0.9em)
#show heading.where(level: 1): set text(size: 11pt)
#show heading.where(level: 2): set text(size: 9.5pt)
#place(top + center, float: true, scope: "parent")[
  #text(size: 16pt, weight: "bold")[Liraglutide versus placebo in adults with type two diabetes]
  #v(4pt)
  Ada Tester, Bo Reader
  #v(8pt)
]
= Introduction
ALPHA Randomised trials are the basis of evidence in multiple myeloma#super(typographic: false)[1] and in
diabetes#super(typographic: false)[2,3]. The eﬃcacy of the drug was signiﬁcant in earlier work.
{_paragraph("INTRO", 20)}

= Methods
== Participants
BRAVO Adults with type two diabetes were enrolled at twelve centres. {_paragraph("METH", 24)}

== Outcomes
CHARLIE The primary outcome was the change in HbA1c at week 26. {_paragraph("OUT", 16)}

= Results
DELTA HbA1c fell more with liraglutide than with placebo (Table 1). {_paragraph("RES", 14)}

#figure(
  table(columns: 3, stroke: 0.5pt, inset: 4pt,
    table.header([*Outcome*], [*Liraglutide*], [*Placebo*]),
    [HbA1c change (%)], [-1.2], [-0.1],
    [Weight change (kg)], [-2.5], [0.3],
    [Hypoglycaemia, n (%)], [12 (5.0)], [8 (3.3)],
    [Withdrawals, n], [7], [9],
  ),
  caption: [Primary and secondary outcomes at week 26],
)

ECHO After the table the text goes on. {_paragraph("POST", 16)}

= Discussion
FOXTROT The results agree with earlier trials. {_paragraph("DISC", 24)}

= References
+ Smith J. Liraglutide in type two diabetes. Lancet. 2001;357:1–10.
+ Jones K, Brown L. Placebo-controlled trials. BMJ. 2005;330:20–25.
+ Lee M. Hypoglycaemia in practice. Diabetes Care. 2010;33:5–9.
"""


# One column, another font, numbered headings, bold run-in headings, a footnote, bullets
# and a table ruled only above, below and under its header (no cell borders).
SINGLE_TYPST = r"""
#set page(paper: "us-letter", margin: 2.5cm, numbering: "1",
  footer: context [#h(1fr) Page #counter(page).display() #h(1fr)])
#set text(font: "DejaVu Sans", size: 10pt)
#set heading(numbering: "1.1")
#text(size: 18pt)[A single-column report of a trial]

*Background.* Asthma is common in children. Inhaled steroids reduce attacks.#footnote[A footnote about steroids.]

*Objective:* To compare budesonide with placebo.

= Introduction
Asthma affects many children worldwide and causes missed school days.
- first bullet point about dosing
- second bullet point about adherence

= Methods
== Design
This was a double-blind trial. Children aged 6 to 12 years were included.
== Outcomes
The primary outcome was the number of attacks.

#figure(
  table(columns: 3, stroke: none, align: (left, right, right),
    table.hline(),
    [Outcome], [Budesonide], [Placebo],
    table.hline(stroke: 0.5pt),
    [Attacks per year], [1.2], [2.4],
    [School days missed], [3.1], [5.6],
    [Hospital admissions], [2], [7],
    table.hline(),
  ),
  caption: [Outcomes after one year],
)

= Results
Attacks were fewer with budesonide than with placebo (1.2 versus 2.4 per year).
"""

IMAGE_ONLY_TYPST = r"""
#set page(paper: "a5")
#rect(width: 6cm, height: 4cm, fill: rgb("#888888"))
"""

JATS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2 20190208//EN" "JATS-archivearticle1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article">
<front><journal-meta><journal-title-group><journal-title>Journal of Reading Tests</journal-title></journal-title-group></journal-meta>
<article-meta>
<title-group><article-title>Bortezomib in <italic>multiple</italic> myeloma: a randomised trial</article-title></title-group>
<contrib-group><contrib><name><surname>Tester</surname><given-names>Ada</given-names></name><xref ref-type="aff" rid="a1">1</xref></contrib></contrib-group>
<abstract>
<sec><title>Background</title><p>Myeloma is a cancer of plasma cells<xref ref-type="bibr" rid="b1">1</xref>.</p></sec>
<sec><title>Methods</title><p>We randomised 120 patients to bortezomib or placebo.</p></sec>
</abstract>
</article-meta></front>
<body>
<sec><title>Introduction</title>
<p>Treatment of myeloma<xref ref-type="bibr" rid="b1">1</xref> has improved, as shown before [<xref ref-type="bibr" rid="b2">2</xref>, <xref ref-type="bibr" rid="b3">3</xref>].
The response rate was 10<sup>9</sup> cells per litre in H<sub>2</sub>O and <italic>in vitro</italic> findings agreed.<fn id="f1"><p>A footnote that is clutter.</p></fn></p>
</sec>
<sec><title>Methods</title>
<sec><label>2.1</label><title>Participants</title>
<p>Eligible patients had:
<list list-type="bullet">
<list-item><p>measurable disease</p></list-item>
<list-item><p>adequate renal function</p></list-item>
</list>
and gave consent.</p>
</sec>
</sec>
<sec><title>Results</title>
<p>The outcomes are in <xref ref-type="table" rid="t1">Table 1</xref> and <xref ref-type="fig" rid="f1">Figure 1</xref>.</p>
<table-wrap id="t1"><label>Table 1</label><caption><title>Outcomes at 12 weeks</title></caption>
<table>
<thead><tr><th>Outcome</th><th>Bortezomib (n = 60)</th><th>Placebo (n = 60)</th></tr></thead>
<tbody>
<tr><td>Overall response, n (%)</td><td>32 (53)</td><td>12 (20)</td></tr>
<tr><td rowspan="2">Adverse events</td><td>Grade 3: 10</td><td>Grade 3: 4</td></tr>
<tr><td>Grade 4: 2</td><td>Grade 4: 1</td></tr>
<tr><td colspan="3">Safety population</td></tr>
<tr><td>Deaths</td><td>1</td><td>2</td></tr>
</tbody>
</table>
<table-wrap-foot><fn><p>Values are numbers of patients.</p></fn></table-wrap-foot>
</table-wrap>
<fig id="f1"><label>Figure 1</label><caption><title>Trial profile</title><p>Patients screened and randomised.</p></caption><graphic xlink:href="f1.jpg"/></fig>
</sec>
</body>
<back>
<ack><p>We thank the patients.</p></ack>
<ref-list><title>References</title>
<ref id="b1"><label>1</label><element-citation publication-type="journal"><person-group person-group-type="author"><name><surname>Smith</surname><given-names>J</given-names></name><name><surname>Jones</surname><given-names>K</given-names></name></person-group><article-title>Myeloma today</article-title><source>Lancet</source><year>2001</year><volume>357</volume><fpage>1</fpage><lpage>10</lpage></element-citation></ref>
<ref id="b2"><label>2</label><mixed-citation publication-type="journal"><string-name><surname>Lee</surname> <given-names>M</given-names></string-name>. Bortezomib. <source>BMJ</source>. 2005;330:20.</mixed-citation></ref>
<ref id="b3"><label>3</label><mixed-citation>Brown L. Placebo. Blood. 2010.</mixed-citation></ref>
</ref-list>
<fn-group><fn><p>Conflicts: none.</p></fn></fn-group>
</back>
</article>
"""

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<article><front><article-meta><title-group><article-title>&lol9;</article-title></title-group></article-meta></front></article>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE article [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<article><front><article-meta><title-group><article-title>Leak &secret;</article-title></title-group></article-meta></front>
<body><p>Text &secret; here.</p></body></article>
"""

# No internal subset, but an external DTD that names a local file: never loaded.
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE article SYSTEM "file:///etc/passwd">
<article><front><article-meta><title-group><article-title>External DTD only</article-title></title-group></article-meta></front>
<body><p>The body text&nbsp;stays.</p></body></article>
"""

HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Liraglutide trial | Journal site</title>
<script>var ads = "<p>Buy now</p>"; document.write("<p>Injected</p>");</script>
<script type="application/ld+json">{"headline": "Not the text"}</script>
<style>p { color: red } .x::before { content: "Styled away" }</style>
<link rel="stylesheet" href="https://example.org/site.css">
</head>
<body>
<header><nav><a href="/">Home</a> <a href="/journals">Journals</a> <a href="/login">Log in</a></nav>
<form action="/search"><input name="q" value="Search the site"><button>Go</button></form></header>
<aside class="sidebar"><p>Subscribe to our newsletter for weekly updates.</p></aside>
<noscript><p>Please enable JavaScript.</p></noscript>
<main>
<article>
<header><h1>Liraglutide in type 2 diabetes: a randomised trial</h1><p class="byline">Ada Tester, Bo Reader</p></header>
<section><h2>Abstract</h2>
<h3>Methods</h3><p>We randomised 120 adults to liraglutide or placebo<sup><a href="#r1">1</a></sup>.</p>
<h3>Results</h3><p>HbA1c fell by 1.2%<sup>2,3</sup> with liraglutide; 10<sup>9</sup> cells per litre were counted.</p>
</section>
<section><h2>Results</h2>
<p>Outcomes are shown in <b>Table 2</b>.</p>
<ul><li>Liraglutide was well tolerated.</li><li>No deaths occurred.</li></ul>
<figure class="table"><figcaption>Table 2. Change from baseline at week 26</figcaption>
<table><thead><tr><th>Outcome</th><th>Liraglutide</th><th>Placebo</th></tr></thead>
<tbody><tr><td>HbA1c (%)</td><td>-1.2</td><td>-0.1</td></tr>
<tr><td>Weight (kg)</td><td>-2.5</td><td>0.3</td></tr></tbody></table></figure>
<div style="display: none"><p>Hidden promotional text.</p></div>
<p hidden>Also hidden.</p>
<figure><img src="flow.png" alt=""><figcaption>Figure 1. Flow of participants.</figcaption></figure>
</section>
<section><h2>References</h2><ol><li id="r1">Smith J. Liraglutide. Lancet. 2001.</li></ol></section>
<footer class="article-footer"><p>Share this article</p></footer>
</article>
</main>
<footer><p>Copyright 2024 Example Publisher. All rights reserved.</p><script>track();</script></footer>
<script>window.onload = function () {{ console.log("<h2>Not a heading</h2>"); }};</script>
</body></html>
"""


def main() -> None:
    import typst
    from pypdf import PdfReader, PdfWriter

    HERE.mkdir(parents=True, exist_ok=True)
    article = typst.compile(article_typst().encode("utf-8"), format="pdf", timestamp=0)
    (HERE / "article.pdf").write_bytes(article)  # timestamp=0: the same bytes every time

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(article)))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    (HERE / "encrypted.pdf").write_bytes(buf.getvalue())

    (HERE / "truncated.pdf").write_bytes(article[: len(article) // 3])

    buf = io.BytesIO()
    PdfWriter().write(buf)
    (HERE / "empty.pdf").write_bytes(buf.getvalue())

    (HERE / "single.pdf").write_bytes(typst.compile(SINGLE_TYPST.encode("utf-8"), format="pdf", timestamp=0))
    (HERE / "image_only.pdf").write_bytes(typst.compile(IMAGE_ONLY_TYPST.encode("utf-8"), format="pdf", timestamp=0))

    for name, text in (("article.nxml", JATS), ("bomb.xml", BOMB), ("xxe.xml", XXE),
                       ("external_dtd.xml", EXTERNAL_DTD), ("page.html", HTML.replace("{{", "{").replace("}}", "}"))):
        (HERE / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(list(HERE.iterdir()))} fixtures to {HERE}")


if __name__ == "__main__":
    main()
