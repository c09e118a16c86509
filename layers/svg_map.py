"""The static print map: the choropleth as an SVG drawing, coloured exactly like the interactive map.

Used by the decision pack (:mod:`layers.decision_pack`), where it prints without
JavaScript and numbers the top buurten. The buurten are drawn in RD
coordinates (metres, north up): a flat drawing of one municipality needs no
reprojection. The geometry is computed here; the markup comes from the
autoescaping template ``templates/choropleth_map.svg.j2``, so buurt names
reach the page only as escaped text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.errors import GeometryError
from layers.choropleth import NO_DATA_COLOR, OUTLINE_COLOR, build_choropleth_layer
from layers.facilities import APPROXIMATE_PRECISIONS
from layers.geometry import drawable, require_work_crs, simplify_polygons
from layers.labels import check_lang, higher_is_more_need, word
from layers.legend import Legend
from layers.render import render

__all__ = ["SVG_WIDTH", "build_choropleth_svg"]

#: Width of the SVG map in user units (it scales to the page width).
SVG_WIDTH = 1000
_SIMPLIFY_M = 8.0
_BACKGROUND = "#f2f1ec"
_UNKNOWN_FACILITY_COLOR = "#555555"
#: Padding around the buurten, as a share of the larger side.
_PAD = 0.02
#: Length of the scale bar in metres.
_SCALE_BAR_M = 1000


@dataclass(frozen=True)
class _Frame:
    """RD metres → SVG user units: the padded bounds of the buurten, north up, ``width`` wide."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    width: int

    @classmethod
    def around(cls, geometry: gpd.GeoSeries, width: int) -> _Frame:
        minx, miny, maxx, maxy = geometry.total_bounds
        pad = _PAD * max(maxx - minx, maxy - miny)
        return cls(minx - pad, miny - pad, maxx + pad, maxy + pad, width)

    @property
    def scale(self) -> float:
        return self.width / (self.maxx - self.minx)

    @property
    def height(self) -> float:
        return (self.maxy - self.miny) * self.scale

    def to_svg(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """RD coordinates (arrays) → SVG user units; SVG's y axis points down."""
        return (x - self.minx) * self.scale, (self.maxy - y) * self.scale

    def point(self, x: float, y: float) -> tuple[float, float]:
        px, py = self.to_svg(np.asarray(x), np.asarray(y))
        return float(px), float(py)

    def ring(self, coords: np.ndarray) -> str:
        """One closed ring as SVG path data."""
        px, py = self.to_svg(coords[:, 0], coords[:, 1])
        points = " L".join(f"{x:.1f} {y:.1f}" for x, y in zip(px, py, strict=True))
        return f"M{points}Z"


@dataclass(frozen=True)
class _Shape:
    d: str
    fill: str
    title: str


@dataclass(frozen=True)
class _Dot:
    cx: float
    cy: float
    color: str
    approximate: bool


@dataclass(frozen=True)
class _Marker:
    cx: float
    cy: float
    r: float
    number: int


@dataclass(frozen=True)
class _ScaleBar:
    x: float
    y: float
    length: float
    font: float
    text: str


def _fills(table: gpd.GeoDataFrame, column: str, label: str, lang: str) -> tuple[dict[str, str], Legend]:
    """Fill colour per buurt code and the legend, from the interactive layer's own style function."""
    layer, legend = build_choropleth_layer(
        table, column=column, label=label, lang=lang, higher_is_more_need=higher_is_more_need(column)
    )
    return {f["id"]: layer.style_function(f)["fillColor"] for f in layer.data["features"]}, legend


def _title(code: str, name: object) -> str:
    """The buurt's name, or its code when it has none."""
    return code if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)


def _buurt_shapes(table: gpd.GeoDataFrame, fills: Mapping[str, str], frame: _Frame) -> list[_Shape]:
    geometry = simplify_polygons(table.geometry, _SIMPLIFY_M)
    codes = table[schema.BUURT_CODE].astype(str).to_numpy()
    names = table[schema.BUURT_NAME].to_numpy()
    shapes = []
    for code, name, geom in zip(codes, names, geometry.to_numpy(), strict=True):
        rings = [
            frame.ring(np.asarray(ring.coords))
            for part in shapely.get_parts(geom)
            if not part.is_empty and part.geom_type == "Polygon"
            for ring in (part.exterior, *part.interiors)
        ]
        shapes.append(_Shape("".join(rings), fills.get(code, NO_DATA_COLOR), _title(code, name)))
    return shapes


def _facility_dots(facilities: gpd.GeoDataFrame | None, facility_types: Sequence[str], frame: _Frame) -> list[_Dot]:
    if facilities is None or not len(facility_types):
        return []
    require_work_crs(facilities, "decision-pack map facilities")
    inside = facilities[facilities[schema.FACILITY_TYPE].isin(list(facility_types))]
    xs, ys = inside.geometry.x, inside.geometry.y
    inside = inside[xs.between(frame.minx, frame.maxx) & ys.between(frame.miny, frame.maxy)]
    precision = inside.get(schema.LOCATION_PRECISION, pd.Series("", index=inside.index))
    return [
        _Dot(
            *frame.point(x, y),
            FACILITY_TYPES[ftype].color if ftype in FACILITY_TYPES else _UNKNOWN_FACILITY_COLOR,
            p in APPROXIMATE_PRECISIONS,
        )
        for ftype, x, y, p in zip(
            inside[schema.FACILITY_TYPE], inside.geometry.x, inside.geometry.y, precision, strict=True
        )
    ]


def _rank_markers(table: gpd.GeoDataFrame, numbered: Mapping[str, int] | None, frame: _Frame) -> list[_Marker]:
    if not numbered:
        return []
    # Marker size in user units: readable when the drawing is about 14 cm wide on paper.
    radius = frame.width * 0.016
    where = table.set_index(table[schema.BUURT_CODE].astype(str)).geometry
    markers = []
    # Highest rank drawn last, so it is on top where markers overlap.
    for code, number in sorted(numbered.items(), key=lambda kv: -kv[1]):
        if code in where.index:
            point = where[code].point_on_surface()
            markers.append(_Marker(*frame.point(point.x, point.y), radius, int(number)))
    return markers


def _scale_bar(frame: _Frame, lang: str) -> _ScaleBar:
    font = frame.width * 0.018
    margin = frame.width * 0.025
    return _ScaleBar(margin, frame.height - margin, _SCALE_BAR_M * frame.scale, font, word("scale_bar", lang))


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
) -> tuple[Markup, Legend]:
    """A static SVG of the choropleth, coloured exactly like the interactive map, and its legend.

    Parameters
    ----------
    table
        Buurten in EPSG:28992 with ``buurt_code``, ``buurt_name`` and ``column``.
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
    (Markup, Legend)
        The ``<svg>`` element as safe markup (one ``<path>`` per buurt, with the
        escaped name as ``<title>``) and the legend of the classes.
    """
    check_lang(lang)
    require_work_crs(table, "decision-pack map")
    table = drawable(table)
    if table.empty:
        raise GeometryError("decision-pack map: expected at least one buurt; found none.")
    fills, legend = _fills(table, column, label, lang)
    frame = _Frame.around(table.geometry, width)
    svg = render(
        "choropleth_map.svg.j2",
        frame=frame,
        label=label,
        background=_BACKGROUND,
        outline=OUTLINE_COLOR,
        shapes=_buurt_shapes(table, fills, frame),
        dots=_facility_dots(facilities, facility_types, frame),
        markers=_rank_markers(table, numbered, frame),
        scale_bar=_scale_bar(frame, lang),
    )
    return Markup(svg.strip()), legend
