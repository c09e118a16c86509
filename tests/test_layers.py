"""Tests of the map layers: what a user sees on the map, and that data text cannot inject HTML."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.errors import CrsError, MissingColumnError, ParameterError
from layers import (
    build_base_map,
    build_choropleth_layer,
    build_facility_layer,
    build_facility_legend,
    finish_map,
    format_number,
)
from layers.basemap import BACKGROUND_COLOR, OSM_LAYER_NAME
from layers.choropleth import NO_DATA_COLOR, SELECTED_COLOR

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BUURTEN_GPKG = SHARED / "utrecht_buurten_gemeente_2013" / "utrecht_buurten_kwb2023_rd.gpkg"
MULIER_CSV = SHARED / "utrecht_sport_mulier" / "mulier-instituut_sportaccomodaties_Utrecht.csv"

#: Six real buurten and the priority score we give each (Oog in Al has no value).
PRIORITY = {
    "BU03440831": 2.5,  # Kanaleneiland-Zuid: highest need
    "BU03440832": 1.8,  # Kanaleneiland-Noord
    "BU03440812": 0.9,  # Rivierenwijk
    "BU03440123": 0.1,  # Lombok-West
    "BU03440121": -0.6,  # Lombok-Oost
    "BU03440112": np.nan,  # Oog in Al
}
HIGHEST = "BU03440831"
MISSING = "BU03440112"
XSS_BUURT = "<img src=x onerror=alert(1)>"
XSS_FACILITY = "<script>alert(1)</script>"

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def ranking() -> gpd.GeoDataFrame:
    raw = gpd.read_file(BUURTEN_GPKG, layer="buurten", where=f"bu_code IN {tuple(PRIORITY)}")
    assert raw.crs.to_epsg() == 28992
    gdf = gpd.GeoDataFrame(
        {
            schema.BUURT_CODE: raw["bu_code"],
            schema.BUURT_NAME: raw["bu_naam"],
            schema.WIJK_NAME: np.where(raw["bu_code"].str.startswith("BU034408"), "Zuidwest", "West"),
            schema.CHILDREN_0_14: raw["a_00_14"].astype(float),
            "woz_mean_keur": raw["g_wozbag"],
            schema.PRIORITY_SCORE: raw["bu_code"].map(PRIORITY),
        },
        geometry=raw.geometry,
        crs=raw.crs,
    )
    gdf[schema.NEED_INDEX] = gdf[schema.PRIORITY_SCORE] * 0.6
    gdf[schema.ACCESS_GAP] = gdf[schema.PRIORITY_SCORE] * 0.4
    gdf[schema.RANK] = gdf[schema.PRIORITY_SCORE].rank(ascending=False, method="min").astype("Int64")
    gdf[schema.STATUS] = np.where(gdf[schema.PRIORITY_SCORE].isna(), schema.STATUS_NO_INHABITANTS, schema.STATUS_RANKED)
    gdf.index = gdf[schema.BUURT_CODE].rename(None)
    assert len(gdf) == 6
    return gdf


@pytest.fixture(scope="module")
def facilities() -> gpd.GeoDataFrame:
    # Three real sports accommodations (RD coordinates, sometimes with a decimal comma) …
    sport = pd.read_csv(MULIER_CSV, sep=";", dtype=str).drop_duplicates("accommodatie_id")
    names = ["Sportcentrum Olympos", "Gymzaal Ridderlaan", "skipiste nieuwegein"]
    sport = sport[sport["accommodatie naam"].isin(names)]
    rows = [
        {
            schema.FACILITY_ID: f"mulier-{r['accommodatie_id']}",
            schema.FACILITY_TYPE: "sport",
            schema.FACILITY_NAME: r["accommodatie naam"],
            schema.FACILITY_CAPACITY: float(r["aantal voorzieningen"]),
            schema.FACILITY_ADDRESS: f"{r['adres']}, {r['postcode'].upper()} Utrecht",
            schema.FACILITY_DETAIL: r["sport"],
            schema.LOCATION_PRECISION: "source",
            "x": float(r["X"].replace(",", ".")),
            "y": float(r["Y"].replace(",", ".")),
        }
        for _, r in sport.iterrows()
    ]
    # … and schools at a PC4 centre, a PC6 centre and an exact address, one with a hostile name.
    rows += [
        {schema.FACILITY_ID: "duo-1", schema.FACILITY_TYPE: "primary_school", schema.FACILITY_NAME: "De Pijlstaart",
         schema.FACILITY_CAPACITY: 1050.0, schema.FACILITY_ADDRESS: "Marshallaan 2, 3527 TK Utrecht", schema.FACILITY_DETAIL: None,
         schema.LOCATION_PRECISION: "pc4_centroid", "x": 134300.0, "y": 454400.0},
        {schema.FACILITY_ID: "duo-2", schema.FACILITY_TYPE: "primary_school", schema.FACILITY_NAME: "Lombokschool",
         schema.FACILITY_CAPACITY: np.nan, schema.FACILITY_ADDRESS: None, schema.FACILITY_DETAIL: None,
         schema.LOCATION_PRECISION: "pc6", "x": 134700.0, "y": 455700.0},
        {schema.FACILITY_ID: "duo-3", schema.FACILITY_TYPE: "primary_school", schema.FACILITY_NAME: XSS_FACILITY,
         schema.FACILITY_CAPACITY: 200.0, schema.FACILITY_ADDRESS: "<b>Straat</b> 1", schema.FACILITY_DETAIL: "<i>x</i>`${1}`",
         schema.LOCATION_PRECISION: "address", "x": 135000.0, "y": 455000.0},
        {schema.FACILITY_ID: "pool-1", schema.FACILITY_TYPE: "swimming_pool", schema.FACILITY_NAME: "Zwembad Kanaleneiland",
         schema.FACILITY_CAPACITY: np.nan, schema.FACILITY_ADDRESS: "Vasco da Gamalaan 1, 3526 TA Utrecht",
         schema.FACILITY_DETAIL: None, schema.LOCATION_PRECISION: "source", "x": 134100.0, "y": 453700.0},
    ]
    df = pd.DataFrame(rows)
    assert (df[schema.FACILITY_TYPE] == "sport").sum() == 3
    return gpd.GeoDataFrame(
        df.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(df["x"], df["y"]), crs=schema.WORK_CRS
    )


def _full_map(ranking: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, **choropleth_kwargs) -> folium.Map:
    m = build_base_map(ranking)
    layer, legend = build_choropleth_layer(
        ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", **choropleth_kwargs
    )
    layer.add_to(m)
    legend.add_to(m)
    for key in ("sport", "primary_school", "swimming_pool"):
        build_facility_layer(facilities, facility_type=key).add_to(m)
    build_facility_legend(["sport", "primary_school", "swimming_pool"], approximate=True).add_to(m)
    return finish_map(m)


def _feature(layer: folium.GeoJson, code: str) -> dict:
    return next(f for f in layer.data["features"] if f["id"] == code)


def _coordinates(layer: folium.GeoJson) -> np.ndarray:
    shapes = shapely.from_geojson([json.dumps(f["geometry"]) for f in layer.data["features"]])
    return shapely.get_coordinates(shapes)


# --------------------------------------------------------------------------- base map


def test_base_map_works_without_tiles_and_offers_osm_as_option(ranking):
    m = build_base_map(ranking)
    tile_layers = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert [t.layer_name for t in tile_layers] == [OSM_LAYER_NAME]
    assert tile_layers[0].show is False and tile_layers[0].overlay is False
    assert "OpenStreetMap" in tile_layers[0].options["attribution"]
    html_out = finish_map(m).get_root().render()
    assert BACKGROUND_COLOR in html_out
    assert "Lichte achtergrond (offline)" in html_out

    offline = build_base_map(ranking, tiles=False).get_root().render()
    assert "openstreetmap.org/{z}" not in offline


def test_base_map_is_fitted_to_utrecht(ranking):
    m = build_base_map(ranking)
    fit = next(c for c in m._children.values() if type(c).__name__ == "FitBounds")
    (south, west), (north, east) = fit.bounds
    assert 52.0 < south < north < 52.2
    assert 5.0 < west < east < 5.2


def test_base_map_rejects_wrong_crs(ranking):
    with pytest.raises(CrsError, match="EPSG:28992"):
        build_base_map(ranking.to_crs(4326))


# --------------------------------------------------------------------------- choropleth


def test_choropleth_shows_every_buurt_with_lonlat_coordinates(ranking):
    layer, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore")
    rendered = _map_with(layer).get_root().render()
    for name in ranking[schema.BUURT_NAME]:
        assert html.escape(name) in rendered
    xy = _coordinates(layer)
    assert xy[:, 0].min() > 5.0 and xy[:, 0].max() < 5.2
    assert xy[:, 1].min() > 52.0 and xy[:, 1].max() < 52.2


def test_choropleth_sends_only_needed_properties(ranking):
    layer, _ = build_choropleth_layer(
        ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", tooltip_fields=(schema.WIJK_NAME, schema.RANK)
    )
    for feature in layer.data["features"]:
        assert set(feature["properties"]) == {schema.BUURT_CODE, schema.BUURT_NAME, schema.PRIORITY_SCORE, schema.WIJK_NAME, schema.RANK}
    props = _feature(layer, HIGHEST)["properties"]
    assert props[schema.PRIORITY_SCORE] == "2,50"
    assert props[schema.RANK] == "1"
    assert _feature(layer, MISSING)["properties"][schema.PRIORITY_SCORE] == "Geen gegevens"


def test_choropleth_legend_has_k_classes_and_no_data_count(ranking):
    _, legend = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", k=3)
    labels = [e.label for e in legend.entries]
    assert len(labels) == 4
    assert legend.entries[-1].label == "Geen gegevens"
    assert legend.entries[-1].count == 1
    assert legend.entries[-1].color == NO_DATA_COLOR
    assert sum(e.count for e in legend.entries) == len(ranking)
    assert legend.title == "Prioriteitsscore"
    assert "Geen gegevens" in legend.html and "(1)" in legend.html
    # Most need first, with a real minus sign for negative values.
    assert labels[0].endswith("2,50")
    assert labels[2].startswith("\N{MINUS SIGN}0,60")


def test_highest_need_buurt_gets_the_darkest_colour(ranking):
    layer, legend = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore")
    darkest = legend.entries[0].color
    assert layer.style_function(_feature(layer, HIGHEST))["fillColor"] == darkest
    assert layer.style_function(_feature(layer, MISSING))["fillColor"] == NO_DATA_COLOR
    lightest = legend.entries[-2].color
    assert layer.style_function(_feature(layer, "BU03440121"))["fillColor"] == lightest
    assert _luminance(darkest) < _luminance(lightest)


def test_rank_map_is_darkest_at_rank_one(ranking):
    layer, legend = build_choropleth_layer(
        ranking, column=schema.RANK, label="Rang", higher_is_more_need=False, scheme="equal_interval", k=5
    )
    rank_one = layer.style_function(_feature(layer, HIGHEST))["fillColor"]
    assert rank_one == legend.entries[0].color
    assert legend.entries[0].label == "1"  # whole numbers, no overlapping ranges
    assert [e.label for e in legend.entries[:-1]] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_fewer_distinct_values_than_classes_reduces_k(ranking, scheme):
    gdf = ranking.copy()
    gdf["few"] = [1.0, 1.0, 2.0, 2.0, np.nan, 1.0]
    _, legend = build_choropleth_layer(gdf, column="few", label="Weinig waarden", scheme=scheme, k=5)
    classes = [e for e in legend.entries if e.label != "Geen gegevens"]
    assert 1 <= len(classes) <= 5
    assert sum(e.count for e in classes) == 5

    gdf["same"] = 7.0
    _, legend = build_choropleth_layer(gdf, column="same", label="Overal gelijk", scheme=scheme)
    assert [(e.label, e.count) for e in legend.entries] == [("7", 6)]


def test_legend_uses_dutch_or_english_number_style(ranking):
    gdf = ranking.copy()
    gdf["big"] = [1234.5, 2500.25, 12000.0, 900.0, 4321.75, np.nan]
    _, nl = build_choropleth_layer(gdf, column="big", label="Groot", k=2)
    _, en = build_choropleth_layer(gdf, column="big", label="Big", k=2, lang="en")
    assert any("12.000" in e.label for e in nl.entries)
    assert any("12,000" in e.label for e in en.entries)
    assert en.entries[-1].label == "No data"


def test_selected_buurt_is_outlined_and_drawn_last(ranking):
    layer, _ = build_choropleth_layer(
        ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", selected_code="BU03440123"
    )
    assert layer.data["features"][-1]["id"] == "BU03440123"
    selected = layer.style_function(_feature(layer, "BU03440123"))
    other = layer.style_function(_feature(layer, HIGHEST))
    assert selected["color"] == SELECTED_COLOR and selected["weight"] > 2 * other["weight"]
    assert other["weight"] > 0  # outlines are always drawn


def test_geometry_is_simplified_but_keeps_its_shape(ranking):
    layer, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="P")
    exact, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="P", simplify_m=0)
    assert len(_coordinates(layer)) < len(_coordinates(exact))
    for simple, full in zip(layer.data["features"], exact.data["features"], strict=True):
        a, b = (shapely.from_geojson(json.dumps(f["geometry"])) for f in (simple, full))
        assert a.is_valid
        assert a.symmetric_difference(b).area / b.area < 0.01


def test_choropleth_rejects_bad_input(ranking):
    with pytest.raises(MissingColumnError, match="nope"):
        build_choropleth_layer(ranking, column="nope", label="x")
    with pytest.raises(CrsError):
        build_choropleth_layer(ranking.to_crs(4326), column=schema.PRIORITY_SCORE, label="x")
    with pytest.raises(ParameterError, match="scheme"):
        build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="x", scheme="jenks")
    with pytest.raises(ParameterError, match="classes"):
        build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="x", k=1)
    with pytest.raises(ParameterError, match="numeric"):
        build_choropleth_layer(ranking, column=schema.BUURT_NAME, label="x")


def test_legend_follows_its_layer(ranking):
    shown_layer, shown = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="P")
    hidden_layer, hidden = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Q", show=False)
    m = _map_with(shown_layer, shown, hidden_layer, hidden)
    rendered = m.get_root().render()
    assert rendered.count("div.style.display = 'none';") == 1
    assert rendered.count("overlayremove overlayadd") == 2
    assert f"e.layer === {hidden_layer.get_name()}" in rendered


# --------------------------------------------------------------------------- facilities


def test_each_facility_type_is_its_own_toggleable_layer(ranking, facilities):
    m = _full_map(ranking, facilities)
    control = next(c for c in m._children.values() if isinstance(c, folium.LayerControl))
    m.get_root().render()
    overlays = list(control.overlays)
    for key, count in (("sport", 3), ("primary_school", 3), ("swimming_pool", 1)):
        label = FACILITY_TYPES[key].label_nl
        assert sum(label in name and f"({count})" in name for name in overlays) == 1
    assert "Prioriteitsscore" in overlays
    assert list(control.base_layers) == ["Lichte achtergrond (offline)", OSM_LAYER_NAME]


def test_facility_markers_use_the_catalog_colour(facilities):
    group = build_facility_layer(facilities, facility_type="swimming_pool")
    geojson = next(iter(group._children.values()))
    feature = geojson.data["features"][0]
    assert geojson.style_function(feature)["fillColor"] == FACILITY_TYPES["swimming_pool"].color
    lon, lat = feature["geometry"]["coordinates"]
    assert 5.0 < lon < 5.2 and 52.0 < lat < 52.2


def test_facility_popup_shows_details_and_location_notes(facilities):
    group = build_facility_layer(facilities, facility_type="primary_school")
    geojson = next(iter(group._children.values()))
    props = {f["properties"][schema.FACILITY_ID]: f["properties"] for f in geojson.data["features"]}
    pc4, pc6, exact = props["duo-1"], props["duo-2"], props["duo-3"]
    note_pc4 = "locatie bij benadering: midden van postcodegebied (PC4), gemiddeld ~0,5 km afwijking"
    assert note_pc4 in pc4["tooltip"] and note_pc4 in pc4["popup"]
    assert "Capaciteit: 1.050" in pc4["popup"]
    assert "Marshallaan 2, 3527 TK Utrecht" in pc4["popup"]
    assert "Basisschool" in pc4["popup"] and "De Pijlstaart" in pc4["tooltip"]
    assert "PC6" in pc6["popup"] and "Capaciteit" not in pc6["popup"] and "Adres" not in pc6["popup"]
    assert "bij benadering" not in exact["popup"]
    # A PC4 point is drawn dashed and translucent, an exact one solid.
    approx = geojson.style_function({"properties": pc4})
    solid = geojson.style_function({"properties": exact})
    assert approx.get("dashArray") and approx["fillOpacity"] < solid["fillOpacity"]
    assert "dashArray" not in solid


def test_facility_layer_in_english(facilities):
    group = build_facility_layer(facilities, facility_type="primary_school", lang="en")
    assert "Primary school (3)" in group.layer_name
    geojson = next(iter(group._children.values()))
    popups = " ".join(f["properties"]["popup"] for f in geojson.data["features"])
    assert "centre of the postcode area (PC4)" in popups and "Capacity: 1,050" in popups


def test_facility_legend_lists_types_with_colours():
    legend = build_facility_legend(["sport", "library"], counts={"sport": 3}, approximate=True)
    assert [(e.label, e.color, e.count) for e in legend.entries] == [
        ("Sportaccommodatie", FACILITY_TYPES["sport"].color, 3),
        ("Bibliotheek", FACILITY_TYPES["library"].color, 0),
    ]
    assert "gestippelde rand" in legend.html
    with pytest.raises(ParameterError):
        build_facility_legend(["cinema"])


def test_unknown_facility_type_is_an_error(facilities):
    with pytest.raises(ParameterError, match="cinema"):
        build_facility_layer(facilities, facility_type="cinema")


# --------------------------------------------------------------------------- escaping


def test_data_text_is_escaped_everywhere(ranking, facilities):
    gdf = ranking.copy()
    gdf.loc[HIGHEST, schema.BUURT_NAME] = XSS_BUURT
    gdf.loc["BU03440832", schema.WIJK_NAME] = "<svg onload=alert(2)>"
    m = build_base_map(gdf)
    layer, legend = build_choropleth_layer(gdf, column=schema.PRIORITY_SCORE, label="<b>Score</b>")
    layer.add_to(m)
    legend.add_to(m)
    group = build_facility_layer(facilities, facility_type="primary_school")
    group.add_to(m)
    rendered = finish_map(m).get_root().render()

    for raw in (XSS_BUURT, XSS_FACILITY, "<svg onload", "<b>Straat</b>", "<b>Score</b>", "<i>x</i>"):
        assert raw not in rendered
    # What the browser inserts as HTML (GeoJSON properties, tooltip aliases, legend) is escaped text.
    assert _feature(layer, HIGHEST)["properties"][schema.BUURT_NAME] == html.escape(XSS_BUURT)
    tooltip = next(c for c in layer._children.values() if isinstance(c, folium.GeoJsonTooltip))
    assert tooltip.aliases[1] == "&lt;b&gt;Score&lt;/b&gt;"
    assert html.escape("<b>Score</b>") in legend.html
    popup = next(
        f["properties"]["popup"]
        for f in next(iter(group._children.values())).data["features"]
        if f["properties"][schema.FACILITY_ID] == "duo-3"
    )
    assert html.escape(XSS_FACILITY) in popup and "&lt;b&gt;Straat&lt;/b&gt;" in popup


def test_rendered_map_scripts_are_valid_javascript(ranking, facilities, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    rendered = _full_map(ranking, facilities, selected_code=HIGHEST).get_root().render()
    scripts = re.findall(r"<script>(.*?)</script>", rendered, flags=re.DOTALL)
    assert scripts
    path = tmp_path / "map.js"
    path.write_text("\n".join(scripts), encoding="utf-8")
    result = subprocess.run([node, "--check", str(path)], check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- number format


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234.5, "nl", 1, "1.234,5"),
        (1234.5, "en", 1, "1,234.5"),
        (1234567, "nl", 0, "1.234.567"),
        (-0.6, "nl", 2, "\N{MINUS SIGN}0,60"),
        (-0.001, "nl", 1, "0,0"),
        (0.123, "nl", None, "0,12"),
        (np.nan, "nl", None, ""),
    ],
)
def test_format_number(value, lang, decimals, expected):
    assert format_number(value, lang=lang, decimals=decimals) == expected


# --------------------------------------------------------------------------- helpers


def _map_with(*layers) -> folium.Map:
    m = folium.Map(tiles=None)
    for layer in layers:
        layer.add_to(m)
    return m


def _luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b



def test_scenario_layer_escapes_names_and_marks_added_and_removed() -> None:
    import folium

    from geo.data.files import load_dataset
    from geo.data.paths import DEFAULT_DATA_DIR
    from geo.decide.scenario import Scenario, ScenarioFacility
    from layers.scenario import build_scenario_layer

    fac = load_dataset(DEFAULT_DATA_DIR).facilities
    removed = fac.index[0]
    sc = Scenario(name="<img src=x onerror=alert(1)>", added=(ScenarioFacility("sport", 136000, 456000),),
                  removed=(removed,))
    m = folium.Map()
    build_scenario_layer([sc], fac, lang="nl").add_to(m)
    html = m.get_root().render()
    # folium JSON-encodes properties (< as \u003c); the name inside is HTML-escaped first.
    assert "<img src=x" not in html and "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    assert "toegevoegd in" in html and "weggehaald in" in html
    assert html.count('"added": true') == 1 and html.count('"added": false') == 1
