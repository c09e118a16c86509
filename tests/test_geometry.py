"""layers/geometry.py: the display shapes a map is drawn from (made once per dataset) and the view that fits an area."""

from __future__ import annotations

import shapely
import shapely.geometry

from geo import schema
from layers.geometry import (
    MAX_ZOOM,
    display_shapes,
    display_tolerance_m,
    drawable,
    fitted_view,
    fitted_views,
    lonlat_bounds,
    lonlat_box,
)
from layers.outlines import municipality_outlines
from tests.helpers import OTHER_MUNICIPALITY, SHAPELESS, two_municipalities, utrecht_buurten


def test_display_shapes_are_lonlat_geometry_of_every_buurt_with_a_shape() -> None:
    table = two_municipalities()
    shapes = display_shapes(table)
    assert set(shapes) == set(drawable(table)[schema.BUURT_CODE]) and SHAPELESS not in shapes
    for code, geometry in shapes.items():
        shape = shapely.geometry.shape(geometry)
        assert shape.is_valid and not shape.is_empty
        exact = table.loc[[code]].to_crs(schema.MAP_CRS).geometry.iloc[0]
        assert shape.symmetric_difference(exact).area < 0.01 * exact.area  # 5 m on a buurt: a sliver at most
    xy = shapely.get_coordinates(shapely.geometry.shape(next(iter(shapes.values()))))
    assert (abs(xy * 1e5 - (xy * 1e5).round()) < 1e-6).all()  # 5 decimals at the 5 m tolerance of a municipality


def test_a_coarser_tolerance_keeps_fewer_points() -> None:
    table = utrecht_buurten()
    fine, coarse = display_shapes(table, 0.0), display_shapes(table, 100.0)

    def points(shapes):
        return sum(len(shapely.get_coordinates(shapely.geometry.shape(g))) for g in shapes.values())

    assert points(coarse) < points(fine)
    assert display_tolerance_m(table) == 5.0


def test_the_box_bounds_hold_the_exact_bounds() -> None:
    table = utrecht_buurten()
    (s, w), (n, e) = lonlat_box(table)
    (s0, w0), (n0, e0) = lonlat_bounds(table)
    assert s <= s0 < n0 <= n and w <= w0 < e0 <= e
    assert max(s0 - s, w0 - w, n - n0, e - e0) < 0.005


def test_a_fitted_view_centres_the_area_at_the_largest_zoom_that_holds_it() -> None:
    table = utrecht_buurten()  # about 3 × 4 km
    (lat, lon), zoom = fitted_view(table, width_px=640, height_px=560)
    (s, w), (n, e) = lonlat_bounds(table)
    assert s < lat < n and w < lon < e
    assert 12 <= zoom <= 14
    # Twice as wide a map holds it one level closer in, or the same (whole zoom levels only).
    assert fitted_view(table, width_px=1280, height_px=1120)[1] in (zoom, zoom + 1)
    # A single small buurt stops at the closest level the app allows.
    assert fitted_view(table.iloc[:1].assign(geometry=table.geometry.iloc[:1].centroid.buffer(1)),
                       width_px=640, height_px=560)[1] == MAX_ZOOM


def test_fitted_views_give_each_municipality_its_own() -> None:
    outlines = municipality_outlines(two_municipalities())
    views = fitted_views(outlines, schema.MUNICIPALITY_CODE, width_px=640, height_px=560)
    assert set(views) == {"GM0344", OTHER_MUNICIPALITY}
    for code, view in views.items():
        assert view == fitted_view(outlines[outlines[schema.MUNICIPALITY_CODE] == code], width_px=640, height_px=560)
