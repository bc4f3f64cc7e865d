"""qa: cited answers from clinical and scientific articles, offline."""

__version__ = "0.1.0"
