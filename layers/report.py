"""The decision pack: one print-ready HTML page with the map, the top buurten and why, and the method.

Why HTML and not PDF: a PDF needs either a browser binary (Chromium via
Playwright, which a municipal laptop cannot always fetch) or WeasyPrint,
which needs the Pango system libraries (not installable with pip on
Windows). The page is laid out for A4 (``@page``, page breaks, colours kept
in print), so the browser's *Print → Save as PDF* gives the PDF;
:func:`write_decision_pack_pdf` does it directly where WeasyPrint is installed.

The map appears twice: as a static SVG drawn from the buurt polygons (prints
without JavaScript, numbered top buurten) and, on screen only, as the
interactive standalone map of :mod:`layers.export` in an ``<iframe srcdoc>``.
Every text that comes from data or from the caller is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema
from geo.catalog import FACILITY_TYPES, INDICATORS
from geo.errors import GeometryError, ParameterError
from geo.lang import format_date, format_number
from geo.report import record
from layers.choropleth import NO_DATA_COLOR, OUTLINE_COLOR, build_choropleth_layer
from layers.export import higher_is_more_need, map_label, result_map_html
from layers.facilities import APPROXIMATE_PRECISIONS
from layers.geometry import require_work_crs, simplify_polygons
from layers.labels import check_lang, word
from layers.legend import Legend

if TYPE_CHECKING:
    from geo.decide.pipeline import PipelineResult

#: Width of the SVG map in user units (it scales to the page width).
SVG_WIDTH = 1000
_SVG_SIMPLIFY_M = 8.0

_T = {
    "doc": ("Beslisdocument", "Decision pack"),
    "title": ("Rijke schooldag: waar eerst investeren?", "Rich school day: where to invest first?"),
    "weighting": ("Weging", "Weighting"),
    "share_link": ("Deze weging in de app", "This weighting in the app"),
    "no_share_link": ("geen link meegegeven", "no link given"),
    "app_version": ("Versie van de planner", "Planner version"),
    "unknown": ("onbekend", "unknown"),
    "summary": ("Samenvatting", "Summary"),
    "map": ("Kaart", "Map"),
    "top": ("De buurten met de hoogste prioriteit", "The buurten with the highest priority"),
    "why": ("Waarom", "Why"),
    "robustness": ("Robuustheid", "Robustness"),
    "method": ("Methode", "Method"),
    "weights": ("Gewichten", "Weights"),
    "indicator": ("Indicator", "Indicator"),
    "group": ("Groep", "Group"),
    "direction": ("Richting", "Direction"),
    "weight": ("Gewicht", "Weight"),
    "imputed": ("Mediaan ingevuld", "Median filled in"),
    "measure": ("Gemeten als", "Measured as"),
    "not_used": ("Niet gebruikt", "Not used"),
    "access": ("Afstanden per voorziening", "Distances per facility type"),
    "facility_type": ("Voorziening", "Facility type"),
    "n_facilities": ("Locaties", "Locations"),
    "n_buurten_value": ("Buurten met waarde", "Buurten with a value"),
    "sources": ("Gegevens en licenties", "Data and licences"),
    "source": ("Bron", "Source"),
    "publisher": ("Uitgever", "Publisher"),
    "year": ("Jaar", "Year"),
    "licence": ("Licentie", "Licence"),
    "attribution": ("Naamsvermelding", "Attribution"),
    "interactive": ("Interactieve kaart", "Interactive map"),
    "interactive_note": (
        ("Lagen aan- en uitzetten rechtsboven; beweeg over een buurt voor de cijfers. Werkt zonder internet "
        "(de OpenStreetMap-achtergrond alleen online)."),
        ("Switch layers at the top right; hover over a buurt for its figures. Works without internet (the "
        "OpenStreetMap background only online)."),
    ),
    "rank": ("Plaats", "Rank"),
    "buurt": ("Buurt", "Buurt"),
    "children": ("Kinderen 0–14", "Children 0–14"),
    "score": ("Prioriteit", "Priority"),
    "need": ("Achterstand", "Need"),
    "gap": ("Bereikbaarheid", "Access gap"),
    "not_computed": ("niet berekend", "not computed"),
    "other_weightings": ("Bij andere wegingen", "Under other weightings"),
    "osm": (
        ("Kaartachtergrond in de interactieve kaart: © OpenStreetMap-bijdragers (ODbL), alleen online. "
        "Kaartbibliotheek: Leaflet 1.9.4 (BSD-2-Clause)."),
        ("Background map in the interactive map: © OpenStreetMap contributors (ODbL), online only. "
        "Map library: Leaflet 1.9.4 (BSD-2-Clause)."),
    ),
    "build_notes": ("Bij het samenstellen van de gegevens", "When the data were built"),
    "years": (
        "Statistiek {stat}, buurtgrenzen {geom}.",
        "Statistics {stat}, buurt boundaries {geom}.",
    ),
    "scale": ("1 km", "1 km"),
    "map_caption": (
        ("Kleur: {label}, in klassen (kwantielen); donkerder = meer behoefte. Cijfers: plaats in de top {n}. "
        "Buurtgrenzen vereenvoudigd voor de afdruk."),
        ("Colour: {label}, in classes (quantiles); darker = more need. Numbers: rank in the top {n}. Buurt "
        "boundaries simplified for print."),
    ),
    "disclaimer": (
        ("Gemaakt met de Rijke Schooldag Planner. De rangorde is een hulpmiddel bij het kiezen, geen besluit: "
        "weeg de cijfers samen met wat de scholen en de buurt zelf weten."),
        ("Made with the Rijke Schooldag Planner. The ranking helps to choose; it is not a decision: weigh the "
        "figures together with what schools and the buurt itself know."),
    ),
}


def _t(key: str, lang: str, **kwargs: object) -> str:
    nl, en = _T[key]
    text = nl if lang == "nl" else en
    return text.format(**kwargs) if kwargs else text


def _e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape(str(value), quote=True)


def _num(value: object, lang: str, decimals: int | None = 2) -> str:
    return format_number(value, lang=lang, decimals=decimals)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- static SVG map


def build_choropleth_svg(
    table: gpd.GeoDataFrame,
    *,
    column: str,
    label: str,
    lang: str = "nl",
    numbered: Mapping[str, int] | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    facility_types: Sequence[str] = (),
    width: int = SVG_WIDTH,
) -> tuple[str, Legend]:
    """A static SVG of the choropleth, coloured exactly like the interactive map, and its legend.

    Parameters
    ----------
    table
        Buurten in EPSG:28992 with ``buurt_code``, ``buurt_name`` and ``column``.
        Drawn in RD coordinates (metres, north up): no reprojection is needed
        for a flat drawing of one municipality.
    column, label
        Column to colour by and its title.
    lang
        ``"nl"`` or ``"en"``.
    numbered
        Buurt code → number to print on the buurt (e.g. its rank in the top).
    facilities, facility_types
        Facility points to draw as small dots in their catalogue colour.
    width
        Width of the drawing in SVG user units.

    Returns
    -------
    (str, Legend)
        The ``<svg>`` element (one ``<path>`` per buurt, with the name as
        ``<title>``) and the legend of the classes.
    """
    check_lang(lang)
    require_work_crs(table, "decision-pack map")
    if table.empty:
        raise GeometryError("decision-pack map: expected at least one buurt; found none.")
    layer, legend = build_choropleth_layer(
        table, column=column, label=label, lang=lang, higher_is_more_need=higher_is_more_need(column)
    )
    # The colours come from the interactive layer's own style function, so print and screen agree.
    fill = {f["id"]: layer.style_function(f)["fillColor"] for f in layer.data["features"]}

    geometry = simplify_polygons(table.geometry, _SVG_SIMPLIFY_M)
    minx, miny, maxx, maxy = table.geometry.total_bounds
    pad = 0.02 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = width / (maxx - minx)
    height = (maxy - miny) * scale

    def xy(coords: np.ndarray) -> str:
        px = (coords[:, 0] - minx) * scale
        py = (maxy - coords[:, 1]) * scale
        return " L".join(f"{x:.1f} {y:.1f}" for x, y in zip(px, py, strict=True))

    paths = []
    codes = table[schema.BUURT_CODE].astype(str).to_numpy()
    names = table[schema.BUURT_NAME].to_numpy()
    for code, name, geom in zip(codes, names, geometry.to_numpy(), strict=True):
        rings = []
        for part in shapely.get_parts(geom):
            if part.is_empty or part.geom_type != "Polygon":
                continue
            for ring in (part.exterior, *part.interiors):
                rings.append(f"M{xy(np.asarray(ring.coords))}Z")
        title = code if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
        paths.append(
            f'<path d="{"".join(rings)}" fill="{_e(fill.get(code, NO_DATA_COLOR))}">'
            f"<title>{_e(title)}</title></path>"
        )

    dots = []
    if facilities is not None and len(facility_types):
        require_work_crs(facilities, "decision-pack map facilities")
        inside = facilities[facilities[schema.FACILITY_TYPE].isin(list(facility_types))]
        inside = inside[inside.geometry.x.between(minx, maxx) & inside.geometry.y.between(miny, maxy)]
        for ftype, x, y, precision in zip(
            inside[schema.FACILITY_TYPE],
            inside.geometry.x,
            inside.geometry.y,
            inside.get(schema.LOCATION_PRECISION, pd.Series("", index=inside.index)),
            strict=True,
        ):
            color = FACILITY_TYPES[ftype].color if ftype in FACILITY_TYPES else "#555555"
            dash = ' stroke-dasharray="2 1.5" fill-opacity="0.4"' if precision in APPROXIMATE_PRECISIONS else ""
            dots.append(
                f'<circle cx="{(x - minx) * scale:.1f}" cy="{(maxy - y) * scale:.1f}" r="3.2" '
                f'fill="{_e(color)}" stroke="#222" stroke-width="0.6"{dash}/>'
            )

    labels = []
    # Marker size in user units: readable when the drawing is about 14 cm wide on paper.
    r_num = width * 0.016
    if numbered:
        where = table.set_index(table[schema.BUURT_CODE].astype(str)).geometry
        # Highest rank drawn last, so it is on top where markers overlap.
        for code, number in sorted(numbered.items(), key=lambda kv: -kv[1]):
            if code not in where.index:
                continue
            point = where[code].point_on_surface()
            cx, cy = (point.x - minx) * scale, (maxy - point.y) * scale
            labels.append(
                f'<g class="num"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r_num:.1f}" fill="#ffffff" stroke="#111" '
                f'stroke-width="{r_num / 7:.1f}"/><text x="{cx:.1f}" y="{cy + r_num * 0.4:.1f}" '
                f'text-anchor="middle" font-size="{r_num * 1.15:.1f}" fill="#111">'
                f"{_e(number)}</text></g>"
            )

    bar = 1000 * scale  # 1 km
    font = width * 0.018
    sx, sy = width * 0.025, height - width * 0.025
    scalebar = (
        f'<g class="scalebar"><rect x="{sx - font / 2:.1f}" y="{sy - 1.9 * font:.1f}" width="{bar + font:.1f}" '
        f'height="{2.4 * font:.1f}" fill="#ffffff" fill-opacity="0.8"/>'
        f'<path d="M{sx:.1f} {sy:.1f} L{sx + bar:.1f} {sy:.1f}" stroke="#111" stroke-width="{font / 5:.1f}"/>'
        f'<text x="{sx + bar / 2:.1f}" y="{sy - font / 2:.1f}" text-anchor="middle" font-size="{font:.1f}" fill="#111">'
        f'{_e(_t("scale", lang))}</text></g>'
    )
    svg = (
        f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'role="img" aria-label="{_e(label)}">'
        f'<rect width="{width}" height="{height:.0f}" fill="#f2f1ec"/>'
        f'<g class="buurten" stroke="{OUTLINE_COLOR}" stroke-width="0.7" fill-rule="evenodd">{"".join(paths)}</g>'
        f'<g class="facilities">{"".join(dots)}</g>'
        f'<g class="labels">{"".join(labels)}</g>{scalebar}</svg>'
    )
    return svg, legend


def _legend_html(legend: Legend, extra: Sequence[tuple[str, str, bool]] = ()) -> str:
    """A legend as HTML with SVG swatches (SVG fills print without 'background graphics')."""
    rows = []
    for entry in legend.entries:
        count = f' <span class="count">({entry.count})</span>' if entry.count is not None else ""
        rows.append(
            f'<li class="class-row"><svg width="14" height="14" aria-hidden="true">'
            f'<rect x="0.5" y="0.5" width="13" height="13" '
            f'fill="{_e(entry.color)}" stroke="#666"/></svg>{_e(entry.label)}{count}</li>'
        )
    for text, color, dashed in extra:
        dash = ' stroke-dasharray="2 1.5" fill-opacity="0.35"' if dashed else ""
        rows.append(
            f'<li><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="4.5" fill="{_e(color)}" '
            f'stroke="#222"{dash}/></svg>{_e(text)}</li>'
        )
    note = f'<p class="legend-note">{_e(legend.note)}</p>' if legend.note else ""
    return f'<div class="legend"><p class="legend-title">{_e(legend.title)}</p><ul>{"".join(rows)}</ul>{note}</div>'


# --------------------------------------------------------------------------- the page


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
) -> str:
    """The decision pack of a ranking as one self-contained, print-ready HTML page.

    Parameters
    ----------
    result
        The ranking (:func:`geo.decide.pipeline.rank`).
    lang
        ``"nl"`` (default) or ``"en"``.
    share_link
        The app's link to this exact view (shown as text and link; escaped).
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
        A standalone map (:func:`layers.export.result_map_html`) to embed;
        built here when ``None`` and ``interactive_map`` is true.
    interactive_map
        Embed the interactive map (screen only; print uses the SVG map).
    isochrones, isochrone_mode
        Isochrone bands for the interactive map.

    Returns
    -------
    str
        A complete HTML document with no external resources.
    """
    check_lang(lang)
    if top_n < 1:
        raise ParameterError(f"Number of top buurten must be at least 1; found {top_n}.")
    created = created or datetime.now(UTC)
    table = result.table
    fac = result.prepared.dataset.facilities
    types = list(facility_types) if facility_types is not None else sorted(set(fac[schema.FACILITY_TYPE]))
    measures = result.prepared.access.measures
    rob = record.unpack_robustness(robustness, result)
    top = record.top_buurten(result, n=top_n, lang=lang, robustness=None if rob is None else rob.table)
    draws = robustness_draws or (rob.n_draws if rob else None)
    rob_top_n = (rob.top_n if rob else None) or top_n
    municipality = record.municipality_name(result)
    label = map_label(map_column, lang, measures)
    svg, legend = build_choropleth_svg(
        table,
        column=map_column,
        label=label,
        lang=lang,
        numbered={code: int(r) for code, r in top[schema.RANK].items()},
        facilities=fac,
        facility_types=types,
    )
    fac_entries = [
        (FACILITY_TYPES[k].label(lang), FACILITY_TYPES[k].color, False) for k in types if k in FACILITY_TYPES
    ]
    if schema.LOCATION_PRECISION in fac.columns and fac.loc[fac[schema.FACILITY_TYPE].isin(types), schema.LOCATION_PRECISION].isin(
        APPROXIMATE_PRECISIONS
    ).any():
        fac_entries.append((word("approximate_legend", lang), "#888888", True))

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

    date_text = format_date(created.date(), lang)
    title = f"{_t('title', lang)} — {municipality}"
    parts = [
        _header_html(result, lang=lang, municipality=municipality, date_text=date_text,
                     share_link=share_link, app_version=app_version),
        _summary_html(result, top, lang=lang),
        '<section class="map-section"><h2>' + _e(_t("map", lang)) + "</h2>"
        f'<div class="map-wrap">{svg}{_legend_html(legend, fac_entries)}</div>'
        f'<p class="caption">{_e(_t("map_caption", lang, label=label, n=len(top)))}</p></section>',
        # Robustness on the first page, next to the map: the one-page summary then says how firm the order is.
        _robustness_html(top, lang=lang, draws=draws, top_n=rob_top_n),
        _top_html(top, lang=lang, top_n=rob_top_n),
        _method_html(result, lang=lang),
        _sources_html(result, lang=lang),
    ]
    if interactive_map and map_html:
        parts.append(
            '<section class="screen-only interactive"><h2>' + _e(_t("interactive", lang)) + "</h2>"
            f'<p class="caption">{_e(_t("interactive_note", lang))}</p>'
            f'<iframe title="{_e(_t("interactive", lang))}" srcdoc="{_e(map_html)}"></iframe></section>'
        )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(_t('doc', lang))}: {_e(title)} ({_e(date_text)})</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n" + "\n".join(parts) + "\n</main>\n</body>\n</html>\n"
    )


def _header_html(
    result: PipelineResult,
    *,
    lang: str,
    municipality: str,
    date_text: str,
    share_link: str | None,
    app_version: str | None,
) -> str:
    if share_link:
        link = share_link.strip()
        # Only web links become clickable; anything else (e.g. 'javascript:') stays plain text.
        shown = (
            f'<a href="{_e(link)}">{_e(link)}</a>' if link.lower().startswith(("http://", "https://")) else _e(link)
        )
    else:
        shown = f'<span class="muted">{_e(_t("no_share_link", lang))}</span>'
    rows = [
        (_t("weighting", lang), _e(record.preset_description(result, lang))),
        (_t("share_link", lang), f'<span class="link">{shown}</span>'),
        (_t("app_version", lang), _e(app_version or _t("unknown", lang))),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        f'<header><p class="kicker">{_e(_t("doc", lang))} · {_e(municipality)}</p>'
        f"<h1>{_e(_t('title', lang))}</h1>"
        f'<p class="subtitle">{_e(municipality)} · {_e(date_text)}</p><dl class="meta">{dl}</dl></header>'
    )


def _summary_html(result: PipelineResult, top: pd.DataFrame, *, lang: str) -> str:
    table = result.table
    ranked = table[table[schema.STATUS] == schema.STATUS_RANKED]
    children_all = float(pd.to_numeric(ranked[schema.CHILDREN_0_14], errors="coerce").sum())
    children_top = float(pd.to_numeric(top[schema.CHILDREN_0_14], errors="coerce").sum())
    share = 100 * children_top / children_all if children_all else float("nan")
    n_excl = len(table) - len(ranked)
    names = ", ".join(top[schema.BUURT_NAME].head(3).astype(str))
    used = list(result.ranking.used)
    unused = [INDICATORS[u.key].label(lang).lower() for u in result.ranking.unused]
    if lang == "nl":
        items = [
            f"{len(ranked)} van de {len(table)} buurten zijn gerangschikt"
            + (f"; {n_excl} zonder inwoners tellen niet mee." if n_excl else "."),
            f"Hoogste prioriteit: {names}.",
            (f"In de top {len(top)} wonen {_num(children_top, lang, 0)} kinderen van 0–14 jaar, "
            f"{_num(share, lang, 0)}% van alle kinderen in de gerangschikte buurten."),
            f"De score combineert {len(used)} indicatoren (weging: {record.preset_description(result, lang)}).",
        ]
        if unused:
            items.append(f"Niet meegeteld omdat gegevens ontbreken: {', '.join(unused)}.")
    else:
        items = [
            f"{len(ranked)} of {len(table)} buurten are ranked"
            + (f"; {n_excl} without inhabitants are left out." if n_excl else "."),
            f"Highest priority: {names}.",
            (f"The top {len(top)} is home to {_num(children_top, lang, 0)} children aged 0–14, "
            f"{_num(share, lang, 0)}% of all children in the ranked buurten."),
            f"The score combines {len(used)} indicators (weighting: {record.preset_description(result, lang)}).",
        ]
        if unused:
            items.append(f"Not counted because data are missing: {', '.join(unused)}.")
    items.append(record.robustness_headline(top, lang=lang))
    lis = "".join(f"<li>{_e(i)}</li>" for i in items)
    return f'<section class="summary"><h2>{_e(_t("summary", lang))}</h2><ul>{lis}</ul></section>'


def _top_html(top: pd.DataFrame, *, lang: str, top_n: int) -> str:
    has_rob = "weight_sensitive" in top.columns
    head = [_t("rank", lang), _t("buurt", lang), _t("score", lang), _t("need", lang), _t("gap", lang),
            _t("children", lang)]
    if has_rob:
        head.append(_t("robustness", lang))
    ncol = len(head)
    rows = []
    for code, r in top.iterrows():
        wijk = r.get(schema.WIJK_NAME)
        # No break between the dot and the wijk: a line may end before the dot, not after it.
        wijk_html = f' <span class="wijk">·&nbsp;{_e(wijk)}</span>' if isinstance(wijk, str) and wijk else ""
        cells = [
            f'<td class="rank">{_e(int(r[schema.RANK]))}</td>',
            f'<td class="name"><strong>{_e(r[schema.BUURT_NAME])}</strong>{wijk_html}</td>',
            f'<td class="num">{_e(_num(r[schema.PRIORITY_SCORE], lang))}</td>',
            f'<td class="num">{_e(_num(r[schema.NEED_INDEX], lang))}</td>',
            f'<td class="num">{_e(_num(r[schema.ACCESS_GAP], lang))}</td>',
            f'<td class="num">{_e(_num(r[schema.CHILDREN_0_14], lang, 0))}</td>',
        ]
        detail_html = ""
        if has_rob:
            verdict, detail = record.robustness_parts(top, str(code), lang, top_n=top_n)
            flag = r.get("weight_sensitive")
            cls = "sensitive" if flag is not None and not pd.isna(flag) and bool(flag) else "robust"
            cells.append(f'<td class="rob {cls}">{_e(verdict or _t("not_computed", lang))}</td>')
            # The figures behind the verdict go under the explanation, where there is room for them.
            if detail:
                detail_html = f' <span class="rob-detail">{_e(_t("other_weightings", lang))}: {_e(detail)}.</span>'
        rows.append(
            f'<tbody class="buurt"><tr>{"".join(cells)}</tr>'
            f'<tr class="why"><td></td><td colspan="{ncol - 1}">{_e(r["explanation"])}{detail_html}</td></tr>'
            "</tbody>"
        )
    ths = "".join(
        f'<th class="{"num" if 2 <= i <= 5 else ""}">{_e(h)}</th>' for i, h in enumerate(head)
    )
    note = (
        "Prioriteit, achterstand en bereikbaarheid zijn gestandaardiseerde scores: 0 = gemiddelde buurt, "
        "1 = één standaardafwijking meer behoefte."
        if lang == "nl"
        else "Priority, need and access gap are standardised scores: 0 = the average buurt, 1 = one standard "
        "deviation more need."
    )
    return (
        f'<section class="top"><h2>{_e(_t("top", lang))}</h2>'
        f'<table class="top-table"><thead><tr>{ths}</tr></thead>{"".join(rows)}</table>'
        f'<p class="caption">{_e(note)}</p><p class="disclaimer">{_e(_t("disclaimer", lang))}</p></section>'
    )


def _robustness_html(top: pd.DataFrame, *, lang: str, draws: int | None, top_n: int) -> str:
    text = record.robustness_summary(top, lang=lang, n_draws=draws, top_n=top_n)
    cls = "" if "weight_sensitive" in top.columns else ' class="not-computed"'
    return f'<section class="robustness"><h2>{_e(_t("robustness", lang))}</h2><p{cls}>{_e(text)}</p></section>'


def _method_html(result: PipelineResult, *, lang: str) -> str:
    paras = "".join(f"<p>{_e(p)}</p>" for p in record.method_paragraphs(result, lang))
    weights = record.weights_table(result, lang)
    head = [_t("indicator", lang), _t("group", lang), _t("direction", lang), _t("weight", lang),
            _t("imputed", lang), _t("measure", lang)]
    rows = []
    for r in weights.itertuples():
        measure = _e(r.measure_short) if r.measure_short else ""
        if r.approximation:
            measure = f'<span class="approx">&#9888; {measure}</span>'
        status = ""
        if not r.used:
            status = f' <span class="muted">({_e(_t("not_used", lang).lower())}: {_e(r.status)})</span>'
        imputed = _e(_num(r.n_imputed, lang, 0)) if r.used and r.n_imputed else ("–" if r.used else "")
        rows.append(
            f'<tr class="{"" if r.used else "unused"}"><td>{_e(r.label)}{status}</td>'
            f'<td class="nowrap">{_e(r.group)}</td>'
            f'<td class="nowrap">{_e(r.direction)}</td><td class="num">{_e(_num(r.weight, lang, 1))}</td>'
            f'<td class="num">{imputed}</td><td class="measure">{measure}</td></tr>'
        )
    ths = "".join(f'<th class="{"num" if i in (3, 4) else ""}">{_e(h)}</th>' for i, h in enumerate(head))
    access_rows = []
    for a in record.access_measure_rows(result, lang):
        measure = _e(a["measure"]) + (f' <span class="muted">— {_e(a["caveat"])}</span>' if a["caveat"] else "")
        if a["approximation"]:
            measure = f'<span class="approx">&#9888;</span> {measure}'
        access_rows.append(
            f'<tr><td>{_e(a["label"])}</td><td>{measure}</td><td class="num">{_e(a["n_facilities"])}</td>'
            f'<td class="num">{_e(a["n_buurten_with_value"])}</td></tr>'
        )
    access_head = "".join(
        f'<th class="{"num" if i >= 2 else ""}">{_e(h)}</th>'
        for i, h in enumerate(
            (_t("facility_type", lang), _t("measure", lang), _t("n_facilities", lang), _t("n_buurten_value", lang))
        )
    )
    return (
        f'<section class="method page-break"><h2>{_e(_t("method", lang))}</h2>{paras}'
        f'<h3>{_e(_t("weights", lang))}</h3><table class="grid"><thead><tr>{ths}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>'
        f'<h3>{_e(_t("access", lang))}</h3><table class="grid"><thead><tr>{access_head}</tr></thead>'
        f'<tbody>{"".join(access_rows)}</tbody></table></section>'
    )


def _sources_html(result: PipelineResult, *, lang: str) -> str:
    meta = result.prepared.dataset.meta
    rows = []
    for s in record.data_sources(result):
        url = str(s.get("url", ""))
        title = _e(s.get("title", ""))
        if url.lower().startswith(("http://", "https://")):
            title = f'{title}<br><a class="url" href="{_e(url)}">{_e(url)}</a>'
        rows.append(
            f"<tr><td>{title}</td><td>{_e(s.get('publisher', ''))}</td><td>{_e(s.get('year', ''))}</td>"
            f"<td>{_e(s.get('licence', ''))}</td><td>{_e(s.get('attribution', ''))}</td></tr>"
        )
    head = "".join(
        f"<th>{_e(_t(k, lang))}</th>" for k in ("source", "publisher", "year", "licence", "attribution")
    )
    years = ""
    if meta.get("statistics_year") or meta.get("geometry_year"):
        text = _t("years", lang, stat=meta.get("statistics_year", "?"), geom=meta.get("geometry_year", "?"))
        years = f"<p>{_e(text)}</p>"
    notes = meta.get("build_notes") or []
    notes_html = (
        f'<h3>{_e(_t("build_notes", lang))}</h3><ul class="notes">'
        + "".join(f"<li>{_e(n)}</li>" for n in notes)
        + "</ul>"
        if notes
        else ""
    )
    return (
        f'<section class="sources"><h2>{_e(_t("sources", lang))}</h2>{years}'
        f'<table class="grid sources-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<p class="caption">{_e(_t("osm", lang))}</p>{notes_html}</section>'
    )


def write_decision_pack_pdf(html: str, path: str | Path) -> Path:
    """Write the decision pack as PDF with WeasyPrint, where it is installed.

    WeasyPrint needs the Pango system libraries (present on most Linux
    desktops, a separate install on Windows and macOS); it is therefore not a
    dependency of the planner. The PDF shows the static SVG map (WeasyPrint
    runs no JavaScript, and the interactive map is screen-only anyway).

    Raises
    ------
    geo.errors.ParameterError
        When WeasyPrint cannot be imported; print the HTML from a browser instead.
    """
    try:
        import weasyprint  # type: ignore[import-not-found]
    except (ImportError, OSError) as exc:  # OSError: the package is there but Pango is not
        raise ParameterError(
            "PDF output needs WeasyPrint (pip install weasyprint, plus the Pango libraries); "
            f"it could not be loaded ({exc}). Open the HTML decision pack in a browser and print it to PDF."
        ) from None
    p = Path(path)
    weasyprint.HTML(string=html).write_pdf(p)
    return p


_CSS = """
:root { --ink: #1d1d1b; --muted: #5f5f5a; --rule: #d9d7cf; --accent: #b3361b; --soft: #f6f5f0; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #e9e8e3; color: var(--ink);
       font: 15px/1.45 "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
main { max-width: 210mm; margin: 24px auto; background: #fff; padding: 16mm 16mm 12mm;
       box-shadow: 0 1px 6px rgba(0,0,0,0.15); }
header { border-bottom: 3px solid var(--accent); padding-bottom: 10px; margin-bottom: 14px; }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: 0.06em; font-size: 12px; color: var(--accent);
          font-weight: 600; }
h1 { font-size: 26px; line-height: 1.2; margin: 4px 0 2px; }
.subtitle { margin: 0 0 10px; color: var(--muted); font-size: 16px; }
h2 { font-size: 18px; margin: 22px 0 8px; padding-bottom: 3px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 16px 0 6px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; font-size: 13px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.link, .url { word-break: break-all; }
a { color: #0b5394; }
.muted { color: var(--muted); }
.summary ul { margin: 0; padding-left: 20px; }
.summary li { margin: 2px 0; }
.map-wrap { display: flex; gap: 12px; align-items: flex-start; }
svg.map { flex: 1 1 auto; width: 100%; max-width: 76%; height: auto; border: 1px solid var(--rule); }
svg.map .num text { font-family: Arial, sans-serif; font-weight: bold; }
svg.map .scalebar text { font-family: Arial, sans-serif; }
.legend { flex: 0 0 24%; font-size: 12px; }
.legend-title { font-weight: 600; margin: 0 0 4px; }
.legend ul { list-style: none; margin: 0; padding: 0; }
.legend li { display: flex; align-items: flex-start; gap: 6px; margin: 2px 0; }
.legend li svg { flex: 0 0 14px; margin-top: 1px; }
.legend .count { color: var(--muted); }
.legend li.class-row { white-space: nowrap; }
.legend-note { color: var(--muted); font-size: 11px; margin: 4px 0 0; }
.caption { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; font-weight: 600; border-bottom: 2px solid var(--ink); padding: 4px 6px;
     vertical-align: bottom; }
td { padding: 4px 6px; vertical-align: top; }
th.num, td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.top-table tbody.buurt { break-inside: avoid; page-break-inside: avoid; }
.top-table tbody.buurt tr:first-child td { border-top: 1px solid var(--rule); padding-top: 6px; }
.top-table td.rank { font-weight: 700; font-size: 16px; width: 2.2em; }
.top-table td.name { width: 32%; }
.top-table td.name .wijk { color: var(--muted); font-size: 12px; }
.top-table tr.why td { color: #333; font-size: 12.5px; padding-top: 0; padding-bottom: 7px; }
td.rob { font-size: 12px; font-weight: 600; max-width: 9em; }
td.rob.sensitive { color: var(--accent); }
.rob-detail { color: var(--muted); }
p.not-computed { background: var(--soft); border-left: 4px solid var(--rule); padding: 6px 10px; }
table.grid td, table.grid th { border-bottom: 1px solid var(--rule); }
table.grid tr.unused td { color: var(--muted); }
tr { break-inside: avoid; page-break-inside: avoid; }
td.nowrap { white-space: nowrap; }
td.measure { min-width: 8.5em; }
.approx { color: #8a3b00; }
.sources-table td:nth-child(3) { white-space: nowrap; }
ul.notes { font-size: 12px; color: var(--muted); padding-left: 18px; }
iframe { width: 100%; height: 560px; border: 1px solid var(--rule); }
.disclaimer { margin: 10px 0 0; padding: 6px 10px; border-left: 4px solid var(--accent); background: var(--soft);
              font-size: 13px; }
@page { size: A4; margin: 14mm 13mm 14mm 13mm; }
@media print {
  body { background: #fff; font-size: 10pt; }
  h1 { font-size: 19pt; }
  header { margin-bottom: 6px; }
  .robustness { break-inside: avoid; page-break-inside: avoid; }
  main { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  .screen-only { display: none; }
  .page-break, section.top { break-before: page; page-break-before: always; }
  .top-table { line-height: 1.3; }
  .top-table td { padding: 2px 5px; }
  .top-table tr.why td { font-size: 8.3pt; padding-bottom: 4px; }
  .top-table tbody.buurt tr:first-child td { padding-top: 4px; }
  td.rob { font-size: 8.5pt; }
  .top-table td.rank { font-size: 12pt; }
  h2 { margin-top: 14px; }
  .sources-table, ul.notes { font-size: 8.5pt; }
  svg.map { max-width: 72%; }
  .legend { flex-basis: 24%; font-size: 8.5pt; }
  .robustness p { font-size: 9.5pt; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .map-section { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  table { font-size: 9.5pt; }
}
@media screen and (max-width: 720px) {
  main { padding: 14px; margin: 0; }
  .map-wrap { flex-direction: column; }
  svg.map { max-width: 100%; }
}
"""
