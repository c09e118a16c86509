"""The results map as one standalone HTML file that opens offline.

The map is :func:`layers.results_map.build_results_map`, the same map as in the
app; only the way Leaflet arrives differs. folium links Leaflet, jQuery,
Bootstrap and Font Awesome from CDNs; :func:`layers.basemap.build_base_map`
already replaces all of them by the vendored Leaflet, and here that Leaflet
(script, stylesheet and the stylesheet's images) is copied into the page, so
the file needs no server and no internet. The OpenStreetMap tiles stay as an
optional base layer: offline, the map shows on its plain background.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from geo import schema
from geo.data.paths import LEAFLET_DIR
from geo.decide.pipeline import PipelineResult
from geo.report.pack import map_title
from layers.results_map import INLINE_LEAFLET_BASE, build_results_map

if TYPE_CHECKING:
    from geo.decide.access import AccessMeasure

__all__ = [
    "ExportError",
    "build_standalone_map_html",
    "external_resources",
    "inline_leaflet",
    "result_map_html",
]

_CSS_URL = re.compile(r"url\((['\"]?)images/([A-Za-z0-9_.-]+\.png)\1\)")
# Any resource the page would fetch: <script src>, <link href>, <img src>, <iframe src>.
_RESOURCE = re.compile(
    r"<(script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*(['\"])(.*?)\2", re.IGNORECASE | re.DOTALL
)


class ExportError(RuntimeError):
    """The standalone HTML would still load something from the internet (a bug, not a user error)."""


def inline_leaflet(html: str, *, base_url: str = INLINE_LEAFLET_BASE, leaflet_dir: Path = LEAFLET_DIR) -> str:
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
    fac = result.prepared.dataset.facilities
    types = list(facility_types) if facility_types is not None else sorted(set(fac[schema.FACILITY_TYPE]))
    title, note = map_title(result, lang=lang, created=created) if titled else (None, None)
    return build_standalone_map_html(
        result.table,
        map_column=map_column,
        facilities=fac,
        facility_types=types,
        lang=lang,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
        measures=result.prepared.access.measures,
        title=title,
        note=note,
        collapsed_control=collapsed_control,
    )
