"""The HTML fact-sheet viewer: article text with every fact's evidence highlighted.

`render_viewer` builds one self-contained page; the building blocks in `html`,
`segments` and `facts` are shared with the eval report.
"""

from extract.view.facts import EvidenceView, FactView, fact_view, sheet_facts
from extract.view.load import ViewArticle, load_folder, load_sheet
from extract.view.render import render_viewer
from extract.view.segments import Segment, Span, segments

__all__ = [
    "EvidenceView",
    "FactView",
    "Segment",
    "Span",
    "ViewArticle",
    "fact_view",
    "load_folder",
    "load_sheet",
    "render_viewer",
    "segments",
    "sheet_facts",
]
