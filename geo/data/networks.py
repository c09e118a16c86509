"""Network files on disk: open any supported format as a Network, and find the one built for a dataset."""

from __future__ import annotations

from pathlib import Path

import shapely

from geo.data.files import Dataset
from geo.data.osm_files import build_network_from_osm, load_graphml_network, osm_format
from geo.data.overpass import build_network_from_overpass_json
from geo.data.paths import NETWORKS_DIR
from geo.errors import DataFileError, ParameterError
from geo.network.graph import Network
from geo.network.ways import get_profile


def build_network(path: str | Path, *, mode: str, polygon: shapely.Geometry | None = None) -> Network:
    """Any network file as a :class:`Network`, chosen by extension.

    ``.graphml`` (osmnx) → :func:`load_graphml_network`; ``.osm.pbf``/``.pbf``/``.osm``/
    ``.osm.gz``/``.osm.bz2`` → :func:`build_network_from_osm`; ``.json`` (Overpass JSON)
    → ``geo.data.overpass.build_network_from_overpass_json``; ``.npz`` → :meth:`Network.load`
    (its mode must be ``mode``). ``polygon`` applies to OSM and Overpass files only.
    """
    get_profile(mode)
    p = Path(path)
    suffix = p.suffix.lower()
    if osm_format(p) is not None:
        return build_network_from_osm(p, mode=mode, polygon=polygon)
    if suffix == ".json":
        return build_network_from_overpass_json(p, mode=mode, polygon=polygon)
    if polygon is not None and suffix in {".graphml", ".npz"}:
        raise ParameterError(
            f"'{p.name}': a clip polygon applies to OSM extracts and Overpass JSON, not to {suffix} files."
        )
    if suffix == ".graphml":
        return load_graphml_network(p, mode=mode)
    if suffix == ".npz":
        network = Network.load(p)
        if network.mode != mode:
            raise DataFileError(f"'{p.name}' holds a {network.mode} network; expected a {mode} network.")
        return network
    raise DataFileError(
        f"'{p.name}': unknown network file type '{suffix or 'no extension'}'; expected .osm.pbf, .osm, "
        ".osm.gz, .osm.bz2, .json (Overpass), .graphml (osmnx) or .npz."
    )


def find_network(dataset: Dataset, mode: str, network_dir: str | Path = NETWORKS_DIR) -> Path | None:
    """The network file for ``dataset`` and ``mode`` if one has been built or downloaded, else None.

    The name is ``dataset.json``'s ``network_name`` or the dataset name in lower
    case: ``data/networks/utrecht_walk.npz`` for the default.
    """
    name = str(dataset.meta.get("network_name") or dataset.name).lower().replace(" ", "_")
    path = Path(network_dir) / f"{name}_{mode}.npz"
    return path if path.exists() else None
