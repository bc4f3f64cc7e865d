"""Answering: a question in, a cited answer (or an abstention) out.

This package owns everything between a question and the Answer the front ends
show: reading the question (`query`, with the clinical `vocabulary`, `spelling`
for its typos and `followup` for elliptical follow-ups), the candidate units (`candidates`,
within a `scope`), the ranking features and the trained models that score them
(`ranking`, `learned`), the calibrated confidence and the decision to abstain
(`confidence`, `abstention`), the short value read off the cited sentence
(`extract`), the reported finding of a comparison (`finding`, a cross-encoder of
`cross`), the `Engine` that ties them to one corpus and its index (`engine`),
and scoring against gold questions (`evaluate`). It searches through `qa.index`
and never imports a front end.
"""
