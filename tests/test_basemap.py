"""The base map (layers.basemap): no tiles needed, OpenStreetMap as an option, fitted to the buurten."""

from __future__ import annotations

import folium
import pytest

from geo.errors import CrsError
from layers import build_base_map, finish_map
from layers.basemap import BACKGROUND_COLOR, OSM_LAYER_NAME
from tests.helpers import utrecht_buurten


@pytest.fixture(scope="module")
def ranking():
    return utrecht_buurten()


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


def test_the_map_page_lets_the_reader_zoom(ranking):
    # WCAG 2.1 1.4.4 (axe rule meta-viewport): folium's header forbids zooming; the app's map does not.
    m = finish_map(build_base_map(ranking))
    page = m.get_root().render()
    assert 'name="viewport"' in page
    assert "user-scalable=no" not in page and "maximum-scale" not in page
    m.render()  # streamlit-folium renders the map again and reads the header on its own
    header = m.get_root().header.render()
    assert header.count('name="viewport"') == 1 and "user-scalable=no" not in header
