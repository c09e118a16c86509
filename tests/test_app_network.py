"""The app with a street network present (a synthetic grid over Utrecht: no real Utrecht network ships)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.data import files
from geo.data.paths import DEFAULT_DATA_DIR
from tests.helpers import grid_network

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def network_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("networks")
    net = grid_network(files.load_dataset(DEFAULT_DATA_DIR).buurten.total_bounds, 200.0)
    net.meta["source"] = "test grid 200 m"
    net.save(folder / "utrecht_walk.npz")
    return folder


@pytest.fixture
def app(network_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("RSP_NETWORK_DIR", str(network_dir))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _map_script(at: AppTest) -> str:
    """The Leaflet script handed to the st_folium component."""
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        args = getattr(proto, "json_args", "") if proto is not None else ""
        if args and "L.map" in args:
            return json.loads(args)["script"]
    raise AssertionError("no map on the page")


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def test_network_replaces_straight_line_and_says_so(app: AppTest) -> None:
    captions = " ".join(c.value for c in app.caption)
    assert "Reistijden over het straten-netwerk: lopen, 4 km/u" in captions
    assert "test grid 200 m" in captions
    # No "no network" notice, and the nearest school is measured over the network, in minutes.
    assert not any("Er is geen straten-netwerk" in i.value for i in app.info)
    school = next(c.value for c in app.caption if "Dichtstbijzijnde basisschool" in c.value)
    assert "over het straten-netwerk (lopen, 4 km/u)" in school and " min" in school
    assert "hemelsbreed" not in school


def test_isochrones_are_a_layer_on_the_map(app: AppTest) -> None:
    script = _map_script(app)
    assert "Isochronen" in script or "isochron" in script.lower()
    app.checkbox(key="show_isochrones").set_value(False).run()
    assert not app.exception
    assert "isochron" not in _map_script(app).lower()


def test_bike_without_a_bike_network_falls_back_plainly(app: AppTest) -> None:
    app.radio(key="mode").set_value("bike").run()
    assert not app.exception
    notice = app.info[0].value.replace("\\", "")
    assert "Er is geen straten-netwerk (fietsen) geladen voor Utrecht" in notice
