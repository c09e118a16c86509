"""Travel modes, speeds and the one conversion between metres and minutes.

Every place that turns a distance into a travel time (or back) calls
:func:`minutes` / :func:`metres`; nothing else writes ``* 1000 / 60``.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from geo.errors import ParameterError

#: Travel modes with a street-network profile (``geo.network.ways``).
MODES = ("walk", "bike")
#: Who travels: the product is about children; adults are a comparison.
TRAVELLERS = ("child", "adult")
#: Default speeds per mode and traveller, km/h.
SPEEDS_KMH = MappingProxyType(
    {
        "walk": MappingProxyType({"child": 4.0, "adult": 5.0}),
        "bike": MappingProxyType({"child": 12.0, "adult": 16.0}),
    }
)


#: Isochrone bands (minutes) a user can choose, and the default choice.
BAND_CHOICES_MIN = (5.0, 10.0, 15.0, 20.0)
DEFAULT_BANDS_MIN = (5.0, 10.0, 15.0)


def default_speed_kmh(mode: str, traveller: str = "child") -> float:
    """The default speed of ``traveller`` (``child``/``adult``) on ``mode`` (``walk``/``bike``), km/h."""
    if mode not in SPEEDS_KMH:
        raise ParameterError(f"Unknown mode '{mode}'; expected one of: {', '.join(MODES)}.")
    if traveller not in SPEEDS_KMH[mode]:
        raise ParameterError(f"Unknown traveller '{traveller}'; expected one of: {', '.join(TRAVELLERS)}.")
    return SPEEDS_KMH[mode][traveller]


def metres_per_minute(speed_kmh: float) -> float:
    """Metres covered in one minute at ``speed_kmh``; raises :class:`ParameterError` unless speed > 0."""
    if not speed_kmh > 0:
        raise ParameterError(f"Travel speed must be > 0 km/h; found {speed_kmh!r}.")
    return float(speed_kmh) * 1000.0 / 60.0


def minutes(dist_m: np.ndarray | float, speed_kmh: float) -> np.ndarray | float:
    """Travel time in minutes for a distance in metres at ``speed_kmh`` (inf and NaN stay as they are)."""
    return np.divide(dist_m, metres_per_minute(speed_kmh))


def metres(minutes: np.ndarray | float, speed_kmh: float) -> np.ndarray | float:
    """Distance in metres covered in ``minutes`` at ``speed_kmh``."""
    return np.multiply(minutes, metres_per_minute(speed_kmh))
