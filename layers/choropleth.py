"""The buurt choropleth: one numeric column in classes, darker = more need.

Classes come from mapclassify (quantiles, natural breaks or equal intervals).
Buurten without a value get a grey fill and their own legend row. Only the
properties the tooltip needs travel to the browser, HTML-escaped, because
folium's :class:`~folium.GeoJsonTooltip` inserts property values as HTML.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from branca.utilities import color_brewer

from geo import schema
from geo.errors import DuplicateCodeError, GeometryError, ParameterError
from layers.format import format_number, is_missing, legend_decimals
from layers.geometry import display_shapes, lonlat_box, require_columns, require_geometry, require_work_crs
from layers.labels import check_lang, column_label, word
from layers.legend import Legend, LegendEntry

#: Classification schemes by name, with the mapclassify classifier behind each.
SCHEMES = {
    "quantiles": mapclassify.Quantiles,
    "natural_breaks": mapclassify.FisherJenks,
    "equal_interval": mapclassify.EqualInterval,
}
#: ColorBrewer sequential ramps have 3 to 9 colours; 2 classes use the ends of the 3-colour ramp.
MIN_K, MAX_K = 2, 9

DEFAULT_PALETTE = "OrRd"
NO_DATA_COLOR = "#bdbdbd"
OUTLINE_COLOR = "#4d4d4d"
#: How opaque the class colours are drawn over the map's background. At 0.85 neighbouring classes of the
#: 5-class ramp stay apart for colour-blind readers too (tests/test_colour_vision.py); at 0.75 they came closer.
FILL_OPACITY = 0.85
SELECTED_COLOR = "#0057b8"
DEFAULT_TOOLTIP_FIELDS = (schema.WIJK_NAME, schema.CHILDREN_0_14, schema.PRIORITY_SCORE, schema.RANK)
#: The tooltip of a map of many municipalities (the country): only what tells buurten apart there. With the code,
#: the name and the mapped value these are all the properties a feature carries (thousands of them travel).
NATIONAL_TOOLTIP_FIELDS = (schema.MUNICIPALITY_NAME, schema.RANK)
#: Columns holding whole numbers: shown without decimals.
INTEGER_COLUMNS = frozenset({schema.RANK, schema.CHILDREN_0_14, schema.INHABITANTS})


class BoundedGeoJson(folium.GeoJson):
    """folium's GeoJson layer told its bounds (lon/lat, Leaflet order) instead of finding them.

    folium, and streamlit-folium on every rerun of the app, would otherwise walk every coordinate in Python
    to find them (most of a second for the country's buurten).
    """

    def __init__(self, data: Any, *, bounds: list[list[float]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self._bounds: list[list[float | None]] = [list(corner) for corner in bounds]

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds


@dataclass(frozen=True)
class Classes:
    """The result of classifying one column.

    ``class_of`` holds each row's class (0 = lowest values) or -1 for a missing
    value; ``lower``/``upper`` are the ranges to show per class; ``colors`` the
    fill per class; ``integral`` is true when every value is a whole number.
    """

    class_of: np.ndarray
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    colors: tuple[str, ...]
    integral: bool = False

    @property
    def k(self) -> int:
        return len(self.upper)


def classify(
    values: np.ndarray,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    higher_is_more_need: bool = True,
    palette: str = DEFAULT_PALETTE,
) -> Classes:
    """Put finite ``values`` into at most ``k`` classes and give each class a colour.

    Fewer distinct values than ``k`` lower the number of classes instead of
    failing. Colours run light to dark in the direction of more need.
    """
    if scheme not in SCHEMES:
        raise ParameterError(f"Unknown classification scheme '{scheme}'; expected one of: {', '.join(SCHEMES)}.")
    if not isinstance(k, (int, np.integer)) or not MIN_K <= k <= MAX_K:
        raise ParameterError(f"Number of classes must be a whole number from {MIN_K} to {MAX_K}; found {k!r}.")
    valid = np.isfinite(values)
    class_of = np.full(len(values), -1, dtype=int)
    distinct = np.unique(values[valid])
    if len(distinct) == 0:
        return Classes(class_of, (), (), ())
    integral = bool(np.all(distinct == np.round(distinct)))
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    if len(distinct) == 1:
        class_of[valid] = 0
        lower, upper = (float(distinct[0]),), (float(distinct[0]),)
    else:
        with warnings.catch_warnings():
            # mapclassify warns when it lowers k for ties (we accept that) and
            # when numba is missing (the pure-Python path is fast enough here).
            warnings.simplefilter("ignore", UserWarning)
            classifier = SCHEMES[scheme](values[valid], k=min(int(k), len(distinct)))
        bins = [float(b) for b in classifier.bins]
        class_of[valid] = np.asarray(classifier.yb, dtype=int)
        upper = tuple(bins)
        lower = (float(distinct[0]), *bins[:-1])
        if integral:
            lower, upper = _whole_number_ranges(lower, upper)
    colors = _ramp(palette, len(upper))
    if not higher_is_more_need:
        colors = colors[::-1]
    return Classes(class_of, lower, upper, tuple(colors), integral)


def build_choropleth_layer(
    gdf: gpd.GeoDataFrame,
    *,
    column: str,
    label: str,
    lang: str = "nl",
    scheme: str = "quantiles",
    k: int = 5,
    higher_is_more_need: bool = True,
    tooltip_fields: Sequence[str] = DEFAULT_TOOLTIP_FIELDS,
    selected_code: str | None = None,
    palette: str = DEFAULT_PALETTE,
    simplify_m: float | None = None,
    show: bool = True,
    shapes: Mapping[str, dict] | None = None,
    edge_weight: float = 0.8,
) -> tuple[folium.GeoJson, Legend]:
    """Build a choropleth of ``column`` over the buurten and its legend.

    Parameters
    ----------
    gdf
        One row per buurt in EPSG:28992 with ``buurt_code``, ``buurt_name``,
        ``column`` and the ``tooltip_fields``; (Multi)Polygon geometry.
    column
        Numeric column to colour by. NaN and infinite values are "no data".
    label
        Name of the layer in the layer control and title of the legend.
    lang
        ``"nl"`` or ``"en"``: labels and number style.
    scheme
        ``"quantiles"`` (default), ``"natural_breaks"`` (Fisher–Jenks) or ``"equal_interval"``.
    k
        Number of classes (2–9); lowered when there are fewer distinct values.
    higher_is_more_need
        ``True`` if a higher value means more need (darker); ``False`` for
        e.g. ``rank`` where 1 is the highest priority.
    tooltip_fields
        Columns shown in the hover tooltip after the buurt name and ``column``.
    selected_code
        Buurt code to outline thickly (drawn last, so on top of its neighbours);
        a code that is not in ``gdf`` selects nothing.
    palette
        ColorBrewer sequential ramp name, light to dark.
    simplify_m
        Simplification tolerance in metres (0 = none), applied before conversion to lon/lat.
        Default: :func:`layers.geometry.display_tolerance_m` – 5 m for a municipality,
        coarser for a province or the whole country (what a screen can show).
    show
        Whether the layer is switched on when the map opens.
    shapes
        The display geometry of every buurt (:func:`layers.geometry.display_shapes`: code → GeoJSON geometry in
        lon/lat), made once per dataset by the caller; ``simplify_m`` is then not used. Default: made here.
    edge_weight
        Width (px) of the line between buurten; thinner on a map of thousands, or the edges hide the colours.

    Returns
    -------
    (folium.GeoJson, Legend)
        Add both to the map; the legend hides when the layer is switched off.
    """
    check_lang(lang)
    fields = [f for f in dict.fromkeys(tooltip_fields) if f not in (column, schema.BUURT_NAME, schema.BUURT_CODE)]
    require_columns(gdf, [schema.BUURT_CODE, schema.BUURT_NAME, column, *fields], "choropleth")
    require_work_crs(gdf, "choropleth")
    if gdf.empty:
        raise GeometryError("choropleth: expected at least one buurt; found none.")
    require_geometry(gdf, "choropleth", schema.BUURT_CODE)
    codes = gdf[schema.BUURT_CODE].astype(str)
    if codes.duplicated().any():
        dupes = sorted(set(codes[codes.duplicated()]))
        raise DuplicateCodeError(f"choropleth: expected unique buurt codes; found duplicates: {', '.join(dupes)}.")

    values = _as_float(gdf[column], column)
    classes = classify(values, scheme=scheme, k=k, higher_is_more_need=higher_is_more_need, palette=palette)
    fill_by_code = {
        code: (classes.colors[c] if c >= 0 else NO_DATA_COLOR)
        for code, c in zip(codes, classes.class_of, strict=True)
    }

    if shapes is None:
        shapes = display_shapes(gdf, simplify_m)
    unshaped = [c for c in codes if c not in shapes]
    if unshaped:
        raise GeometryError(f"choropleth: no display shape for {len(unshaped)} buurt(en): {', '.join(unshaped[:5])}.")
    no_data = word("no_data", lang)
    displayed = {f: _display_values(gdf[f], f, lang, no_data) for f in (column, *fields)}
    # A buurt without a name is shown by its code rather than as a blank tooltip.
    names = [code if is_missing(n) else str(n) for code, n in zip(codes, gdf[schema.BUURT_NAME], strict=True)]
    features = []
    for i, code in enumerate(codes):
        properties = {
            schema.BUURT_CODE: escape(code),
            schema.BUURT_NAME: escape(names[i]),
            **{f: displayed[f][i] for f in (column, *fields)},
        }
        features.append(
            {"type": "Feature", "id": code, "properties": properties, "geometry": shapes[code]}
        )
    if selected_code is not None:
        # Leaflet draws features in order: the selected buurt goes last so that
        # no neighbour's outline covers its highlighted edge.
        features.sort(key=lambda f: f["id"] == selected_code)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        selected = feature["id"] == selected_code
        return {
            "fillColor": fill_by_code[feature["id"]],
            "fillOpacity": FILL_OPACITY,
            "color": SELECTED_COLOR if selected else OUTLINE_COLOR,
            "weight": 4 if selected else edge_weight,
            "opacity": 1.0,
        }

    def highlight(feature: dict[str, Any]) -> dict[str, Any]:
        return {"weight": 3, "color": "#111111", "fillOpacity": 0.9}

    aliases = [
        column_label(schema.BUURT_NAME, lang),
        label,
        *(column_label(f, lang) for f in fields),
    ]
    layer = BoundedGeoJson(
        {"type": "FeatureCollection", "features": features},
        bounds=lonlat_box(gdf),
        name=escape(label),
        style_function=style,
        highlight_function=highlight,
        tooltip=folium.GeoJsonTooltip(
            fields=[schema.BUURT_NAME, column, *fields],
            # Aliases are inserted as HTML too.
            aliases=[escape(a) for a in aliases],
            sticky=True,
        ),
        show=show,
    )
    legend = _build_legend(
        classes, label=label, lang=lang, higher_is_more_need=higher_is_more_need, column=column, layer=layer
    )
    return layer, legend


def build_selected_layer(shapes: Mapping[str, dict], code: str | None, *, name: str = "selected"
                         ) -> folium.FeatureGroup:
    """The outline of the selected buurt on its own (thick, no fill, not clickable), in a feature group.

    The app draws the choropleth without a selection and hands this group to streamlit-folium, which swaps it on
    a drawn map: picking another buurt then moves one outline instead of drawing thousands of buurten again.
    ``shapes`` as in :func:`build_choropleth_layer`; a code without a shape (or None) gives an empty group.
    """
    group = folium.FeatureGroup(name=name, control=False)
    if code is not None and code in shapes:
        folium.GeoJson(
            {"type": "Feature", "geometry": shapes[code], "properties": {}},
            style_function=lambda _: {"color": SELECTED_COLOR, "weight": 4, "fill": False, "opacity": 1.0},
            interactive=False,
            control=False,
        ).add_to(group)
    return group


def _build_legend(
    classes: Classes,
    *,
    label: str,
    lang: str,
    higher_is_more_need: bool,
    column: str,
    layer: folium.GeoJson,
) -> Legend:
    integral = classes.integral or column in INTEGER_COLUMNS
    decimals = 0 if integral else legend_decimals((*classes.lower, *classes.upper))
    counts = np.bincount(classes.class_of[classes.class_of >= 0], minlength=classes.k)
    entries = []
    for i in range(classes.k):
        low = format_number(classes.lower[i], lang=lang, decimals=decimals)
        high = format_number(classes.upper[i], lang=lang, decimals=decimals)
        text = low if low == high else f"{low} – {high}"
        entries.append(LegendEntry(text, classes.colors[i], int(counts[i])))
    # Most need on top: that is what a planner reads first.
    if higher_is_more_need:
        entries.reverse()
    n_missing = int((classes.class_of < 0).sum())
    if n_missing:
        entries.append(LegendEntry(word("no_data", lang), NO_DATA_COLOR, n_missing))
    return Legend(label, entries, note=word("more_need", lang), position="bottomright", layer=layer)


def _whole_number_ranges(
    lower: tuple[float, ...], upper: tuple[float, ...]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Class ranges of whole numbers that do not overlap: "1 – 22, 23 – 44" rather than "1 – 22, 22 – 44".

    Classes are half-open, (lower, upper]; with whole numbers the first value
    in a class is ``floor(lower) + 1``. A class too narrow to hold a whole
    number keeps its plain edges.
    """
    new_lower, new_upper = [lower[0]], [float(np.floor(upper[0]))]
    for low, high in zip(lower[1:], upper[1:], strict=True):
        first, last = float(np.floor(low) + 1), float(np.floor(high))
        if first > last:
            first, last = low, high
        new_lower.append(first)
        new_upper.append(last)
    return tuple(new_lower), tuple(new_upper)


def _ramp(palette: str, n: int) -> list[str]:
    try:
        if n >= 3:
            return list(color_brewer(palette, n))
        three = color_brewer(palette, 3)
    except ValueError as exc:
        raise ParameterError(f"Unknown colour palette '{palette}': {exc}") from None
    return [three[1]] if n == 1 else [three[0], three[2]]


def _as_float(series: pd.Series, column: str) -> np.ndarray:
    try:
        numeric = pd.to_numeric(series, errors="raise")
    except (TypeError, ValueError):
        raise ParameterError(f"choropleth: column '{column}' must be numeric; found {series.dtype}.") from None
    values = numeric.to_numpy(dtype="float64", na_value=np.nan, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def _display_values(series: pd.Series, column: str, lang: str, no_data: str) -> list[str]:
    """Tooltip text for every row of ``series``: numbers in ``lang`` style, text escaped."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        decimals = 0 if column in INTEGER_COLUMNS else None
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return [
            format_number(v, lang=lang, decimals=decimals) if np.isfinite(v) else no_data
            for v in values
        ]
    return [escape(str(v)) if not is_missing(v) else no_data for v in series]
