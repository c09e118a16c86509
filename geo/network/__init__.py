"""Street networks in EPSG:28992: the graph, walking/cycling profiles, routing and isochrones.

Readers in :mod:`geo.data` produce a :class:`Network`; this package never opens
a file other than a network's own ``.npz``.
"""

from geo.network.graph import Network
from geo.network.isochrones import facility_isochrones
from geo.network.routing import MAX_SNAP_M, nearest_facility, snap_points, two_step_fca
from geo.network.ways import BIKE, WALK, Profile, build_network_from_ways

__all__ = [
    "BIKE",
    "MAX_SNAP_M",
    "WALK",
    "Network",
    "Profile",
    "build_network_from_ways",
    "facility_isochrones",
    "nearest_facility",
    "snap_points",
    "two_step_fca",
]
