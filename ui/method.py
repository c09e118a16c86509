"""The method expander of the app: the method text of :mod:`geo.report.method` as Markdown.

The text is the same as in the decision pack and is filled from the current
result, so the distances paragraph names the measure each facility type
actually used (CBS road distance, the street network with its mode and speed,
or a straight line).
"""

from __future__ import annotations

from geo.decide.pipeline import PipelineResult
from geo.report.method import method_sections
from ui.markdown import md_escape


def method_text(result: PipelineResult, lang: str) -> str:
    """The method of ``result`` as Markdown: one paragraph per section, its heading in bold."""
    return "\n\n".join(f"**{md_escape(s.heading)}** {md_escape(s.text)}" for s in method_sections(result, lang))
