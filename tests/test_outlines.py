"""layers/outlines.py: one municipal boundary per municipality with a buurt shape, drawn as a thin line layer that
leaves the mouse to the buurten."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
import shapely.geometry

from geo import schema
from geo.errors import CrsError, MissingColumnError
from layers.outlines import BOUNDARY_COLOR, build_outline_layer, municipality_outlines
from tests.helpers import HOSTILE_NAME, OTHER_MUNICIPALITY, map_with, two_municipalities


@pytest.fixture(scope="module")
def buurten() -> gpd.GeoDataFrame:
    return two_municipalities()


def test_one_outline_per_municipality_with_shapes_covering_its_buurten(buurten: gpd.GeoDataFrame) -> None:
    outlines = municipality_outlines(buurten, tolerance_m=0)
    assert outlines[schema.MUNICIPALITY_CODE].tolist() == ["GM0344", OTHER_MUNICIPALITY]
    assert outlines[schema.MUNICIPALITY_NAME].tolist() == ["Utrecht", HOSTILE_NAME]
    assert outlines.crs.to_epsg() == 28992
    for row in outlines.itertuples():
        own = buurten[(buurten[schema.MUNICIPALITY_CODE] == row.municipality_code) & buurten.geometry.notna()]
        union = shapely.union_all(own.geometry.values)
        # Unsimplified, the outline is the union of its buurten (holes filled: there are none here).
        assert row.geometry.symmetric_difference(union).area < 1e-6 * union.area
        assert shapely.get_num_interior_rings(row.geometry) == 0 if row.geometry.geom_type == "Polygon" else True


def test_a_municipality_without_any_shape_has_no_outline(buurten: gpd.GeoDataFrame) -> None:
    only_shapeless = buurten.copy()
    only_shapeless.loc[only_shapeless[schema.MUNICIPALITY_CODE] == "GM0344", "geometry"] = None
    outlines = municipality_outlines(only_shapeless)
    assert outlines[schema.MUNICIPALITY_CODE].tolist() == [OTHER_MUNICIPALITY]


def test_holes_are_filled_and_the_display_tolerance_simplifies(buurten: gpd.GeoDataFrame) -> None:
    holed = buurten.copy()
    inner = holed.geometry.iloc[3].centroid.buffer(30)
    holed.loc[holed.index[3], "geometry"] = holed.geometry.iloc[3].difference(inner)  # a buurt with a hole
    outline = municipality_outlines(holed, tolerance_m=0).set_index(schema.MUNICIPALITY_CODE).geometry["GM0344"]
    assert all(shapely.get_num_interior_rings(p) == 0 for p in shapely.get_parts(outline))
    assert outline.contains(inner.centroid)
    coarse = municipality_outlines(buurten, tolerance_m=200)
    fine = municipality_outlines(buurten, tolerance_m=0)
    assert shapely.get_num_coordinates(coarse.geometry.values).sum() < shapely.get_num_coordinates(
        fine.geometry.values).sum()


def test_the_layer_is_thin_lines_without_fill_that_ignore_the_mouse(buurten: gpd.GeoDataFrame) -> None:
    layer = build_outline_layer(municipality_outlines(buurten), lang="en")
    features = layer.data["features"]
    assert [f["id"] for f in features] == ["GM0344", OTHER_MUNICIPALITY]
    assert all(f["properties"] == {} for f in features)  # nothing shown, nothing sent (not even the hostile name)
    style = layer.style_function(features[0])
    assert style["fill"] is False and style["color"] == BOUNDARY_COLOR and style["weight"] < 2
    assert layer.options["interactive"] is False
    assert layer.layer_name == "Municipal boundaries"
    html = map_with(layer).get_root().render()
    assert HOSTILE_NAME not in html
    xy = shapely.get_coordinates(shapely.geometry.shape(features[0]["geometry"]))
    assert ((xy[:, 0] > 3) & (xy[:, 0] < 8) & (xy[:, 1] > 50) & (xy[:, 1] < 54)).all()  # lon/lat in the Netherlands


def test_wrong_input_is_refused_plainly(buurten: gpd.GeoDataFrame) -> None:
    with pytest.raises(MissingColumnError, match="municipality_code"):
        municipality_outlines(buurten.drop(columns=[schema.MUNICIPALITY_CODE]))
    with pytest.raises(CrsError, match="28992"):
        municipality_outlines(buurten.to_crs(4326))
