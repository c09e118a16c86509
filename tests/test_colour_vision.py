"""Colours that colour-blind readers can tell apart: the choropleth classes and the facility-type markers.

Each colour is drawn as it appears on the map (blended with the map background at its fill opacity), then
seen through a simulation of full protanopia, deuteranopia and tritanopia (Machado, Oliveira and Fernandes
2009, severity 100, as implemented by ``colorspacious``) and in normal vision. Two colours count as
different when their distance in CAM02-UCS (Luo, Cui and Li 2006) is at least a threshold in all four.

Why CAM02-UCS and these thresholds: CAM02-UCS is built so that Euclidean distance follows perceived
difference (better than CIELAB ΔE*ab, about as well as CIEDE2000); 1 unit is about a just-noticeable
difference between two large patches side by side. A map is read by matching a polygon or a marker with a
legend swatch some distance away, and small marks need a larger difference than large patches (Stone,
Szafir and Setlur 2014), so the thresholds are ten and twelve times that: areas (buurt classes, large) at
least 10 from the neighbouring class and from "no data"; markers (facility types, a few pixels) at least
12 from every other type.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geo.catalog import FACILITY_TYPES
from layers.basemap import BACKGROUND_COLOR
from layers.choropleth import DEFAULT_PALETTE, FILL_OPACITY, MIN_K, NO_DATA_COLOR, classify
from layers.facilities import MARKER_FILL_OPACITY
from layers.schools_map import SCHOOL_CLASSES, SCHOOL_FILL_OPACITY, SCHOOL_PALETTE

colorspacious = pytest.importorskip(
    "colorspacious", reason="the Python package 'colorspacious' is not installed (pip install -r requirements-dev.txt)"
)

#: Neighbouring classes of a choropleth, and "no data" against any class (areas).
MIN_DELTA_E_CLASSES = 10.0
#: Any two facility types (markers).
MIN_DELTA_E_MARKERS = 12.0
#: Normal vision and the three dichromacies.
VISIONS = (None, "protanomaly", "deuteranomaly", "tritanomaly")
#: The classes the app draws (``classify``'s default, and the schools map's).
APP_K = 5


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0


def _drawn(hex_color: str, opacity: float) -> np.ndarray:
    """The colour as it shows on the map: ``hex_color`` at ``opacity`` over the map background (sRGB 0–1)."""
    return opacity * _rgb(hex_color) + (1 - opacity) * _rgb(BACKGROUND_COLOR)


def _seen(rgb: np.ndarray, vision: str | None) -> np.ndarray:
    """``rgb`` in CAM02-UCS as a reader with ``vision`` sees it (None: normal vision)."""
    if vision is not None:
        cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
        rgb = np.clip(colorspacious.cspace_convert(rgb, cvd, "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CAM02-UCS")


def delta_e(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """The CAM02-UCS distance between two drawn colours, per vision."""
    return {str(v): float(np.linalg.norm(_seen(a, v) - _seen(b, v))) for v in VISIONS}


def _too_close(pairs: dict[str, tuple[np.ndarray, np.ndarray]], threshold: float) -> dict[str, dict[str, float]]:
    """The pairs whose distance is below ``threshold`` for some vision, with their distances."""
    out = {}
    for name, (a, b) in pairs.items():
        d = delta_e(a, b)
        if min(d.values()) < threshold:
            out[name] = {v: round(x, 1) for v, x in d.items()}
    return out


def test_simulation_is_the_standard_one():
    # Sanity checks of the simulation itself: a red and a green far apart in normal vision come much closer for
    # a deuteranope; a neutral grey looks the same to everyone.
    red, green = _rgb("#d62728"), _rgb("#2ca02c")
    d = delta_e(red, green)
    assert d["None"] > 30 and d["deuteranomaly"] < d["None"] / 2
    grey = _rgb("#808080")
    for vision in VISIONS:
        assert np.allclose(_seen(grey, vision), _seen(grey, None), atol=0.5)


def _ramp(palette: str, k: int) -> tuple[str, ...]:
    return classify(np.arange(k, dtype=float), k=k, palette=palette).colors


@pytest.mark.parametrize(
    ("palette", "opacity"),
    [(DEFAULT_PALETTE, FILL_OPACITY), (SCHOOL_PALETTE, SCHOOL_FILL_OPACITY)],
    ids=["buurt-choropleth", "school-circles"],
)
@pytest.mark.parametrize("k", range(MIN_K, APP_K + 1))
def test_neighbouring_classes_and_no_data_stay_apart_for_colour_blind_readers(palette, opacity, k):
    colors = _ramp(palette, k)
    assert len(colors) == k
    drawn = [_drawn(c, opacity) for c in colors]
    pairs = {f"class {i + 1}–{i + 2} ({colors[i]}/{colors[i + 1]})": (drawn[i], drawn[i + 1]) for i in range(k - 1)}
    no_data = _drawn(NO_DATA_COLOR, opacity)
    pairs |= {f"no data–class {i + 1} ({c})": (no_data, drawn[i]) for i, c in enumerate(colors)}
    assert _too_close(pairs, MIN_DELTA_E_CLASSES) == {}


def test_schools_map_draws_the_classes_tested_here():
    assert SCHOOL_CLASSES <= APP_K


def test_every_two_facility_types_stay_apart_for_colour_blind_readers():
    drawn = {ft.key: _drawn(ft.color, MARKER_FILL_OPACITY) for ft in FACILITY_TYPES.values()}
    pairs = {f"{a}–{b}": (drawn[a], drawn[b]) for a, b in itertools.combinations(drawn, 2)}
    assert _too_close(pairs, MIN_DELTA_E_MARKERS) == {}


def test_library_and_culture_no_longer_look_alike():
    # The known gap: for a protanope the library's blue (#0072B2) and culture's purple (#9467BD) were 2.3 apart.
    d = delta_e(_rgb(FACILITY_TYPES["library"].color), _rgb(FACILITY_TYPES["culture"].color))
    assert min(d.values()) >= MIN_DELTA_E_MARKERS, d
