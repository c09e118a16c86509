"""The base map: a plain light background that works offline, OpenStreetMap as an option.

Tiles from the internet may be unreachable (CI, a municipal network, a
laptop on a train). The default base layer is therefore an empty layer on a
light background colour, so buurten and facilities always show; the
OpenStreetMap tiles are a second base layer the user can pick.
"""

from __future__ import annotations

import re

import folium
import geopandas as gpd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo.errors import GeometryError
from layers.geometry import lonlat_bounds, require_work_crs
from layers.labels import check_lang, pick, word

BACKGROUND_COLOR = "#f2f1ec"
OSM_LAYER_NAME = "OpenStreetMap (online)"
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-bijdragers'
OSM_ATTRIBUTION_EN = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


class _Background(MacroElement):
    """Sets the map container's background colour from the map's own script.

    Done in JavaScript rather than page CSS so that it also applies when the
    map is embedded (streamlit-folium renders the map's scripts).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.getContainer().style.background = {{ this.color|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, color: str) -> None:
        super().__init__()
        self._name = "Background"
        self.color = color


#: The part of folium's viewport tag that stops a reader zooming the map page (WCAG 2.1 1.4.4, axe
#: rule ``meta-viewport``): ``maximum-scale=1.0, user-scalable=no``.
_NO_ZOOM = re.compile(r",\s*maximum-scale=[0-9.]+,\s*user-scalable=no")


class ZoomableMap(folium.Map):
    """A :class:`folium.Map` whose page lets the reader zoom in (pinch or browser zoom).

    folium's header declares ``maximum-scale=1.0, user-scalable=no``; this map
    keeps the rest of the header and drops only that, after folium has rendered it.
    """

    def render(self, **kwargs):  # (branca's own signature; MacroElement.render returns nothing)
        super().render(**kwargs)
        root = self.get_root()
        if not isinstance(root, Figure):  # folium's render has already refused a map outside a figure
            return
        header = root.header
        own = header._children.get(self.get_name())
        if own is not None:
            header.add_child(Element(_NO_ZOOM.sub("", own.render())), name=self.get_name())


#: Where the app serves the vendored Leaflet (``static/leaflet`` via Streamlit static serving).
APP_LEAFLET_BASE = "/app/static/leaflet"


def use_local_leaflet(m: folium.Map, base_url: str = APP_LEAFLET_BASE) -> folium.Map:
    """Load Leaflet from ``base_url`` instead of public CDNs, and nothing else.

    folium's defaults pull Leaflet, jQuery, Bootstrap and Font Awesome from CDNs;
    without internet the map would then not appear at all. The layers here use
    only Leaflet itself.
    """
    base = base_url.rstrip("/")
    m.default_js = [("leaflet", f"{base}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    return m


#: From this many features on the map, Leaflet draws on one canvas instead of SVG paths.
CANVAS_FROM = 2_000


def build_base_map(
    bounds_gdf: gpd.GeoDataFrame, *, lang: str = "nl", tiles: bool = True, leaflet_base: str | None = None
) -> folium.Map:
    """A map fitted to ``bounds_gdf`` with a light offline background.

    Parameters
    ----------
    bounds_gdf
        Any layer in EPSG:28992 (usually the buurten); the map opens on its extent.
    lang
        ``"nl"`` or ``"en"``: names in the layer control.
    tiles
        Offer OpenStreetMap tiles as an optional (not default) base layer.
        They need internet access; without it the map still works on the
        plain background.
    leaflet_base
        URL folder to load Leaflet from (e.g. :data:`APP_LEAFLET_BASE` in the
        app); ``None`` keeps folium's CDN links.

    Returns
    -------
    folium.Map
        Add layers to it, then call :func:`finish_map`.
    """
    check_lang(lang)
    require_work_crs(bounds_gdf, "map extent")
    if bounds_gdf.empty or bounds_gdf.geometry.is_empty.all():
        raise GeometryError("map extent: expected at least one geometry; found none.")
    (south, west), (north, east) = lonlat_bounds(bounds_gdf)
    m = ZoomableMap(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=True,
        # Thousands of SVG paths (a province, the country) make the browser slow to draw and pan;
        # one canvas is much lighter. A municipality keeps SVG (crisper, and each buurt a DOM path).
        prefer_canvas=len(bounds_gdf) > CANVAS_FROM,
    )
    _Background(BACKGROUND_COLOR).add_to(m)
    # An empty base layer: the "no tiles" choice in the layer control, shown by default.
    folium.FeatureGroup(name=word("plain_background", lang), overlay=False, show=True).add_to(m)
    if tiles:
        folium.TileLayer(
            tiles=OSM_TILES,
            attr=pick((OSM_ATTRIBUTION, OSM_ATTRIBUTION_EN), lang),
            name=OSM_LAYER_NAME,
            overlay=False,
            show=False,
            max_zoom=19,
        ).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    if leaflet_base is not None:
        use_local_leaflet(m, leaflet_base)
    return m


def finish_map(m: folium.Map, *, collapsed: bool = False) -> folium.Map:
    """Add the layer control; call this after all layers are on the map.

    The control lists only layers added before it, so it must come last.
    """
    folium.LayerControl(position="topright", collapsed=collapsed).add_to(m)
    return m
