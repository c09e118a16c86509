"""The jinja2 environment of the documents the planner writes (decision pack, print map).

Autoescaping is on for every template, so text from data or from the caller
(buurt names, links, sources) is always HTML-escaped; markup built elsewhere
goes in only as :class:`markupsafe.Markup`. A missing variable is an error
(``StrictUndefined``), not an empty string. The templates and their static CSS
are in ``layers/templates/``.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["TEMPLATES_DIR", "render"]

#: Templates and the static files they inline.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _fixed(value: float, decimals: int = 1) -> str:
    """A coordinate or size for SVG: a plain decimal point, ``decimals`` digits."""
    return f"{float(value):.{decimals}f}"


_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["fixed"] = _fixed


def render(template: str, **context: object) -> Markup:
    """Render ``template`` (a file in :data:`TEMPLATES_DIR`) with autoescaping; the result is safe markup."""
    return Markup(_ENV.get_template(template).render(**context))
