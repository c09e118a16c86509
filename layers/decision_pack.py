"""The decision pack: one print-ready HTML page with the map, the top buurten and why, and the method.

Why HTML and not PDF: a PDF needs either a browser binary (Chromium via
Playwright, which a municipal laptop cannot always fetch) or WeasyPrint,
which needs the Pango system libraries (not installable with pip on
Windows). The page is laid out for A4 (``@page``, page breaks, colours kept
in print), so the browser's *Print → Save as PDF* gives the PDF.

What the pack says comes from :func:`geo.report.pack.build_pack_content` as one
frozen object; this module adds the maps and renders it through the autoescaping
template ``templates/decision_pack.html.j2`` (its CSS, ``decision_pack.css``, is
inlined; with schools, the gap cards' ``school_card.css`` too). The map appears
twice: as a static SVG drawn from the buurt polygons (:mod:`layers.svg_map`:
prints without JavaScript, numbered top buurten) and, on screen only, as the
interactive standalone map of :mod:`layers.standalone` in an ``<iframe srcdoc>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import geopandas as gpd

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.decide.pipeline import PipelineResult
from geo.decide.schools import SchoolsResult
from geo.report.pack import build_pack_content
from layers.facilities import APPROXIMATE_PRECISIONS
from layers.labels import facility_type_with_domain, map_label, word
from layers.render import render
from layers.school_card import STATUS_SYMBOLS
from layers.standalone import result_map_html
from layers.svg_map import build_choropleth_svg

__all__ = ["build_decision_pack_html"]

_APPROXIMATE_DOT_COLOR = "#888888"


@dataclass(frozen=True)
class _LegendDot:
    """A facility row under the print map's legend."""

    text: str
    color: str
    dashed: bool


def _facility_rows(facilities: gpd.GeoDataFrame, types: Sequence[str], lang: str) -> list[_LegendDot]:
    known = [FACILITY_TYPES[k] for k in types if k in FACILITY_TYPES]
    rows = [_LegendDot(facility_type_with_domain(ft.key, lang), ft.color, False) for ft in known]
    if schema.LOCATION_PRECISION in facilities.columns:
        shown = facilities.loc[facilities[schema.FACILITY_TYPE].isin(types), schema.LOCATION_PRECISION]
        if shown.isin(APPROXIMATE_PRECISIONS).any():
            rows.append(_LegendDot(word("approximate_legend", lang), _APPROXIMATE_DOT_COLOR, True))
    return rows


def build_decision_pack_html(
    result: PipelineResult,
    *,
    lang: str = "nl",
    share_link: str | None = None,
    robustness: object = None,
    robustness_draws: int | None = None,
    map_column: str = schema.PRIORITY_SCORE,
    facility_types: Sequence[str] | None = None,
    top_n: int = 10,
    created: datetime | None = None,
    app_version: str | None = None,
    map_html: str | None = None,
    interactive_map: bool = True,
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
    schools: SchoolsResult | None = None,
    selected_school: str | None = None,
) -> str:
    """The decision pack of a ranking as one self-contained, print-ready HTML page.

    Parameters
    ----------
    result
        The ranking (:func:`geo.decide.pipeline.rank`).
    lang
        ``"nl"`` (default) or ``"en"``.
    share_link
        The app's link to this exact view (shown as text, and as a link when it is a web link).
    robustness
        Weight sensitivity: a :class:`geo.decide.robustness.RobustnessResult`, or a
        table indexed by buurt code (or with a ``buurt_code`` column) with
        :data:`geo.schema.ROBUSTNESS_COLUMNS`. ``None``: the ranking table's
        own robustness columns if it has them, else the pack says robustness
        was not computed.
    robustness_draws
        Number of weightings behind a robustness table (a result object says so itself).
    map_column
        Column the map is coloured by.
    facility_types
        Facility types on the maps (default: every type with points).
    top_n
        Number of buurten in the table (ties at the last place are all shown).
    created
        Date of the pack (default: now).
    app_version
        Version or git commit of the planner, shown in the header.
    map_html
        A standalone map (:func:`layers.standalone.result_map_html`) to embed;
        built here when ``None`` and ``interactive_map`` is true.
    interactive_map
        Embed the interactive map (screen only; print uses the SVG map).
    isochrones, isochrone_mode
        Isochrone bands for the interactive map.
    schools
        The dataset's schools (:func:`geo.decide.schools.analyse_schools`): adds the Scholen section (the
        branches by gap score and, each on its own printed page, the gap cards of the first three).
    selected_school
        A branch code whose gap card is printed too.

    Returns
    -------
    str
        A complete HTML document with no external resources.
    """
    created = created or datetime.now(UTC)
    content = build_pack_content(
        result,
        robustness,
        lang,
        robustness_draws=robustness_draws,
        top_n=top_n,
        share_link=share_link,
        app_version=app_version,
        created=created,
        schools=schools,
        selected_school=selected_school,
    )
    fac = result.prepared.dataset.facilities
    types = list(facility_types) if facility_types is not None else sorted(set(fac[schema.FACILITY_TYPE]))
    label = map_label(map_column, lang, result.prepared.access.measures)
    svg, legend = build_choropleth_svg(
        result.table,
        column=map_column,
        label=label,
        lang=lang,
        numbered=content.numbered,
        facilities=fac,
        facility_types=types,
    )
    if interactive_map and map_html is None:
        map_html = result_map_html(
            result,
            map_column=map_column,
            facility_types=types,
            lang=lang,
            isochrones=isochrones,
            isochrone_mode=isochrone_mode,
            created=created,
            titled=False,
            collapsed_control=True,
        )
    page = render(
        "decision_pack.html.j2",
        content=content,
        svg=svg,
        legend=legend,
        facility_rows=_facility_rows(fac, types, lang),
        map_caption=word("print_map_caption", lang, label=label, n=len(content.top)),
        interactive_note=word("interactive_note", lang),
        # A plain str, so the template escapes the whole page into the srcdoc attribute.
        map_html=str(map_html) if interactive_map and map_html else None,
        symbols=STATUS_SYMBOLS,
    )
    return str(page)
