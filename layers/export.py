"""The map as one standalone HTML file that opens offline, and writing all exports to a folder.

The standalone map is built from the same layer builders as the app's map
(:mod:`layers.basemap`, :mod:`layers.choropleth`, :mod:`layers.facilities`,
:mod:`layers.isochrones`); only the way Leaflet arrives differs. folium links
Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; :func:`build_base_map`
already replaces all of them by the vendored Leaflet, and here that Leaflet
(script, stylesheet and the stylesheet's images) is copied into the page, so
the file needs no server and no internet. The OpenStreetMap tiles stay as an
optional base layer: offline, the map shows on its plain background.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import geopandas as gpd

from geo import schema
from geo.catalog import INDICATORS
from geo.data.paths import LEAFLET_DIR, detect_app_version
from geo.decide.access import AccessMeasure
from layers.basemap import build_base_map, finish_map
from layers.choropleth import DEFAULT_TOOLTIP_FIELDS, build_choropleth_layer
from layers.facilities import (
    APPROXIMATE_PRECISIONS,
    build_facility_layer,
    build_facility_legend,
)
from layers.isochrones import build_isochrone_layer
from layers.labels import check_lang, column_label
from layers.legend import Legend

if TYPE_CHECKING:

    from geo.decide.pipeline import PipelineResult

#: The vendored Leaflet 1.9.4 (BSD-2-Clause).

# A URL folder that cannot occur in real output: build_base_map links Leaflet
# from here, and inline_leaflet replaces exactly these two links.
_INLINE_BASE = "rsp-inline-leaflet:"
_CSS_URL = re.compile(r"url\((['\"]?)images/([A-Za-z0-9_.-]+\.png)\1\)")
# Any resource the page would fetch: <script src>, <link href>, <img src>, <iframe src>.
_RESOURCE = re.compile(
    r"<(script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*(['\"])(.*?)\2", re.IGNORECASE | re.DOTALL
)


class ExportError(RuntimeError):
    """The standalone HTML would still load something from the internet (a bug, not a user error)."""


def inline_leaflet(html: str, *, base_url: str = _INLINE_BASE, leaflet_dir: Path = LEAFLET_DIR) -> str:
    """Replace the ``<script>``/``<link>`` that load Leaflet from ``base_url`` by the files' contents.

    The stylesheet's images (layer-control icon, default marker) become
    ``data:`` URIs so nothing is fetched.
    """
    base = base_url.rstrip("/")
    js = (leaflet_dir / "leaflet.js").read_text(encoding="utf-8")
    css = (leaflet_dir / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        data = base64.b64encode((leaflet_dir / "images" / match.group(2)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = _CSS_URL.sub(data_uri, css)
    # A literal "</script" or "</style" inside the code would end the element early.
    js = js.replace("</script", "<\\/script")
    css = css.replace("</style", "<\\/style")
    script_tag = re.compile(
        rf"<script[^>]*\bsrc=(['\"]){re.escape(base)}/leaflet\.js\1[^>]*>\s*</script>", re.IGNORECASE
    )
    link_tag = re.compile(rf"<link[^>]*\bhref=(['\"]){re.escape(base)}/leaflet\.css\1[^>]*/?>", re.IGNORECASE)
    html, n_js = script_tag.subn(lambda _m: f"<script>{js}</script>", html, count=1)
    html, n_css = link_tag.subn(lambda _m: f"<style>{css}</style>", html, count=1)
    if n_js != 1 or n_css != 1:
        raise ExportError(
            f"standalone map: expected one Leaflet script and one stylesheet under '{base}'; "
            f"found {n_js} script(s) and {n_css} stylesheet(s)."
        )
    return html


def external_resources(html: str) -> list[str]:
    """URLs of scripts, stylesheets, images and frames the page would load from elsewhere.

    Links the user may click (``<a href>``) and tile URL templates inside
    scripts are not resources the page needs in order to work.
    """
    urls = []
    for match in _RESOURCE.finditer(html):
        url = match.group(3).strip()
        if not url.startswith(("data:", "#")):
            urls.append(url)
    return urls


def map_label(column: str, lang: str = "nl", measures: Mapping[str, AccessMeasure] | None = None) -> str:
    """Layer and legend title of ``column``; a distance says how it was measured."""
    label = column_label(column, lang)
    ind = INDICATORS.get(column)
    if ind is not None and ind.facility_type is not None and measures and ind.facility_type in measures:
        label = f"{label} ({measures[ind.facility_type].label(lang)})"
    return label


def higher_is_more_need(column: str) -> bool:
    """Whether a higher value of ``column`` means more need (darker on the map)."""
    if column in INDICATORS:
        return INDICATORS[column].direction > 0
    # Rank 1 is the highest priority: a low rank number is the most need.
    return column != schema.RANK


def build_results_map(
    table: gpd.GeoDataFrame,
    *,
    map_column: str,
    facilities: gpd.GeoDataFrame | None,
    facility_types: Sequence[str],
    lang: str = "nl",
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
    label: str | None = None,
    measures: Mapping[str, AccessMeasure] | None = None,
    title: str | None = None,
    note: str | None = None,
    selected_code: str | None = None,
    collapsed_control: bool = False,
    leaflet_base: str | None = _INLINE_BASE,
    extra_layers: Sequence[folium.map.Layer] = (),
) -> folium.Map:
    """The map of the results (choropleth, facilities, isochrones, legends, layer control) as a folium Map.

    The app (``ui.map_view``, with ``leaflet_base`` = the app's static folder) and
    the standalone export draw the same map with this. Parameters are those of
    :func:`build_standalone_map_html`; ``leaflet_base`` is where the page links
    Leaflet from; ``extra_layers`` (e.g. scenario facilities) go on top before
    the layer control is added.
    """
    check_lang(lang)
    label = label or map_label(map_column, lang, measures)
    m = build_base_map(table, lang=lang, leaflet_base=leaflet_base)
    layer, legend = build_choropleth_layer(
        table,
        column=map_column,
        label=label,
        lang=lang,
        higher_is_more_need=higher_is_more_need(map_column),
        tooltip_fields=DEFAULT_TOOLTIP_FIELDS,
        selected_code=selected_code,
    )
    layer.add_to(m)
    legend.add_to(m)
    shown: list[str] = []
    if facilities is not None and len(facility_types):
        present = set(facilities[schema.FACILITY_TYPE])
        shown = [k for k in dict.fromkeys(facility_types) if k in present]
    if isochrones is not None and not isochrones.empty:
        for key in dict.fromkeys(facility_types):
            build_isochrone_layer(isochrones, facility_type=key, mode=isochrone_mode, lang=lang).add_to(m)
    if facilities is not None and shown:
        for key in shown:
            build_facility_layer(facilities, facility_type=key, lang=lang).add_to(m)
        rows = facilities[facilities[schema.FACILITY_TYPE].isin(shown)]
        approximate = schema.LOCATION_PRECISION in rows.columns and bool(
            rows[schema.LOCATION_PRECISION].isin(APPROXIMATE_PRECISIONS).any()
        )
        counts = {k: int((facilities[schema.FACILITY_TYPE] == k).sum()) for k in shown}
        build_facility_legend(shown, lang=lang, counts=counts, approximate=approximate).add_to(m)
    if title:
        # A legend without rows is a titled box: the map says what it shows even when printed or shared alone.
        Legend(title, [], note=note, position="topleft").add_to(m)
        m.get_root().title = escape(title)
    for layer in extra_layers:
        layer.add_to(m)
    finish_map(m, collapsed=collapsed_control)
    return m


def build_standalone_map_html(
    result_table: gpd.GeoDataFrame,
    *,
    map_column: str,
    facilities: gpd.GeoDataFrame | None,
    facility_types: Sequence[str],
    lang: str = "nl",
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
    label: str | None = None,
    measures: Mapping[str, AccessMeasure] | None = None,
    title: str | None = None,
    note: str | None = None,
    selected_code: str | None = None,
    collapsed_control: bool = False,
) -> str:
    """The map as one HTML file that opens offline, with the app's layers and legends.

    Parameters
    ----------
    result_table
        The ranked table (:attr:`geo.decide.pipeline.PipelineResult.table`), EPSG:28992.
    map_column
        Column to colour the buurten by (e.g. ``priority_score``).
    facilities
        Facility points in EPSG:28992 (``None``: no points).
    facility_types
        Facility types to draw as toggleable layers (types without points are skipped).
    lang
        ``"nl"`` or ``"en"``.
    isochrones
        Dissolved isochrone bands (``facility_type, minutes, geometry``) to draw per facility type.
    isochrone_mode
        ``"walk"`` or ``"bike"``: named in the isochrone layers.
    label
        Layer and legend title (default: the column's label with its distance measure).
    measures
        Access measure per facility type, to label distances (e.g. 'hemelsbreed').
    title, note
        A title box at the top left (e.g. municipality and date) and a line under it.
    selected_code
        A buurt to outline.
    collapsed_control
        Fold the layer control into an icon (for small embeds); open by default.

    Returns
    -------
    str
        A complete HTML document. Leaflet is inlined; the only URLs left are
        the optional OpenStreetMap tile template and attribution link.
    """
    m = build_results_map(
        result_table,
        map_column=map_column,
        facilities=facilities,
        facility_types=facility_types,
        lang=lang,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
        label=label,
        measures=measures,
        title=title,
        note=note,
        selected_code=selected_code,
        collapsed_control=collapsed_control,
    )
    html = inline_leaflet(m.get_root().render())
    html = html.replace("<html>", f'<html lang="{lang}">', 1)
    remaining = external_resources(html)
    if remaining:
        raise ExportError(f"standalone map: still loads {len(remaining)} resource(s) from elsewhere: {remaining[:3]}.")
    return html


def result_map_html(
    result: PipelineResult,
    *,
    map_column: str = schema.PRIORITY_SCORE,
    facility_types: Sequence[str] | None = None,
    lang: str = "nl",
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
    created: datetime | None = None,
    titled: bool = True,
    collapsed_control: bool = False,
) -> str:
    """:func:`build_standalone_map_html` for a pipeline result, titled with municipality, date and sources.

    ``titled=False`` leaves out the title box (for a map embedded in a page that has its own title).
    """
    from geo.lang import format_date
    from geo.report.record import municipality_name, preset_description

    fac = result.prepared.dataset.facilities
    types = list(facility_types) if facility_types is not None else sorted(set(fac[schema.FACILITY_TYPE]))
    created = created or datetime.now(UTC)
    attributions = [str(s.get("attribution", "")) for s in result.prepared.dataset.meta.get("sources", [])]
    sources = "; ".join(dict.fromkeys(a for a in attributions if a))
    title = f"Rijke schooldag — {municipality_name(result)}"
    weighting = "Weging" if lang == "nl" else "Weighting"
    note = f"{format_date(created.date(), lang)} · {weighting}: {preset_description(result, lang)}"
    if sources:
        note += f" · {sources}"
    return build_standalone_map_html(
        result.table,
        map_column=map_column,
        facilities=fac,
        facility_types=types,
        lang=lang,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
        measures=result.prepared.access.measures,
        title=title if titled else None,
        note=note if titled else None,
        collapsed_control=collapsed_control,
    )


def write_exports(
    result: PipelineResult,
    out_dir: str | Path,
    *,
    lang: str = "nl",
    map_column: str = schema.PRIORITY_SCORE,
    facility_types: Sequence[str] | None = None,
    share_link: str | None = None,
    robustness: object = None,
    robustness_draws: int | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
    top_n: int = 10,
    created: datetime | None = None,
    app_version: str | None = None,
) -> dict[str, Path]:
    """Write every export of ``result`` into ``out_dir`` (which must exist).

    Files: ``<base>.csv`` with its ``<base>.method.json`` sidecar,
    ``<base>.gpkg`` (method in the layer metadata), ``<base>_kaart.html``
    (standalone map) and ``<base>_beslisdocument.html`` (decision pack), with
    ``<base>`` = :data:`geo.report.record.EXPORT_BASENAME`; in English the HTML
    files end in ``_map`` and ``_decision_pack``.

    Parameters
    ----------
    result
        The ranking to export.
    out_dir
        An existing folder; files of the same name are overwritten.
    lang
        ``"nl"`` or ``"en"`` for the HTML files.
    map_column, facility_types, isochrones, isochrone_mode
        What the maps show (as in :func:`build_standalone_map_html`).
    share_link, robustness, robustness_draws, top_n
        For the decision pack (see :func:`layers.report.build_decision_pack_html`).
    created
        Export time recorded in the files (default: now, UTC).
    app_version
        Recorded in the files; default: the git commit (:func:`detect_app_version`).

    Returns
    -------
    dict
        Path per kind: ``csv, method_json, gpkg, map_html, decision_pack``.
    """
    from geo.data import files
    from geo.decide.pipeline import output_columns
    from geo.errors import DataFileError
    from geo.report.record import (
        EXPORT_BASENAME,
        METHOD_SIDECAR_SUFFIX,
        gpkg_metadata,
        method_json,
        ranking_csv_bytes,
    )
    from layers.report import build_decision_pack_html

    out = Path(out_dir)
    if not out.is_dir():
        raise DataFileError(f"exports: expected an existing folder, found no folder '{out}'.")
    created = created or datetime.now(UTC)
    if app_version is None:
        app_version = detect_app_version()
    base = out / EXPORT_BASENAME
    paths = {
        "csv": base.with_suffix(".csv"),
        "method_json": out / f"{EXPORT_BASENAME}{METHOD_SIDECAR_SUFFIX}",
        "gpkg": base.with_suffix(".gpkg"),
        "map_html": out / f"{EXPORT_BASENAME}_{'kaart' if lang == 'nl' else 'map'}.html",
        "decision_pack": out / f"{EXPORT_BASENAME}_{'beslisdocument' if lang == 'nl' else 'decision_pack'}.html",
    }
    paths["csv"].write_bytes(ranking_csv_bytes(result))
    paths["method_json"].write_text(method_json(result, created=created, app_version=app_version), encoding="utf-8")
    table = result.table
    files.write_table(
        table[[*output_columns(table), "geometry"]],
        paths["gpkg"],
        metadata=gpkg_metadata(result, created=created, app_version=app_version),
    )
    map_html = result_map_html(
        result,
        map_column=map_column,
        facility_types=facility_types,
        lang=lang,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
        created=created,
    )
    paths["map_html"].write_text(map_html, encoding="utf-8")
    pack = build_decision_pack_html(
        result,
        lang=lang,
        share_link=share_link,
        robustness=robustness,
        robustness_draws=robustness_draws,
        map_column=map_column,
        facility_types=facility_types,
        top_n=top_n,
        created=created,
        app_version=app_version,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
    )
    paths["decision_pack"].write_text(pack, encoding="utf-8")
    return paths
