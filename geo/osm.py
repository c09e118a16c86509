"""Street networks from OpenStreetMap data: osmnx GraphML files and OSM extracts.

Every builder returns a :class:`geo.network.Network` in EPSG:28992 whose edges
are straight segments. Curved edges (GraphML ``geometry``) are split at their
vertices; the new vertices are shared by both directions of a street.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from geo.errors import DataFileError
from geo.network import Network, from_edges

_TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)


def to_rd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) to RD New x/y (metres)."""
    x, y = _TO_RD.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def load_graphml_network(path: str | Path, *, mode: str) -> Network:
    """Read an osmnx GraphML file (EPSG:4326, edge ``length`` in metres) as a :class:`Network`.

    Edge lengths are osmnx's own ``length`` values; a curved edge is split at its
    vertices and its ``length`` shared over the pieces in proportion to their
    RD length, so shortest-path distances between the original nodes are exactly
    those of the GraphML graph.
    """
    import osmnx  # heavy import: only when a GraphML file is read

    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        raise DataFileError(f"GraphML file '{p}' is missing or empty.")
    try:
        graph = osmnx.load_graphml(p)
    except Exception as exc:  # networkx/osmnx raise many types on malformed XML
        raise DataFileError(f"Could not read '{p.name}' as an osmnx GraphML file: {str(exc).splitlines()[0]}") from None
    crs = str(graph.graph.get("crs", "epsg:4326")).lower()
    if crs not in {"epsg:4326", "wgs84"}:
        raise DataFileError(f"'{p.name}': expected an unprojected osmnx graph (crs epsg:4326), found crs {crs!r}.")
    if graph.number_of_nodes() == 0:
        raise DataFileError(f"'{p.name}' has no nodes.")

    osm_ids = list(graph.nodes)
    index = {nid: i for i, nid in enumerate(osm_ids)}
    lon = np.array([graph.nodes[n]["x"] for n in osm_ids], dtype=float)
    lat = np.array([graph.nodes[n]["y"] for n in osm_ids], dtype=float)
    x, y = to_rd(lon, lat)
    xs, ys = list(x), list(y)
    ids = [int(n) if str(n).lstrip("-").isdigit() else -1 for n in osm_ids]
    # Interior vertices of curved edges, keyed on their rounded RD position so
    # that the two directions of one street share them.
    extra: dict[tuple[float, float], int] = {}
    src: list[int] = []
    dst: list[int] = []
    length: list[float] = []
    for u, v, data in graph.edges(data=True):
        total = float(data.get("length", np.nan))
        geom = data.get("geometry")
        if geom is None or len(geom.coords) <= 2:
            if not np.isfinite(total):
                total = float(np.hypot(x[index[v]] - x[index[u]], y[index[v]] - y[index[u]]))
            src.append(index[u])
            dst.append(index[v])
            length.append(total)
            continue
        coords = np.asarray(shapely.get_coordinates(geom))
        gx, gy = to_rd(coords[:, 0], coords[:, 1])
        chain = [index[u]]
        for px, py in zip(gx[1:-1], gy[1:-1]):
            key = (round(float(px), 2), round(float(py), 2))
            if key not in extra:
                extra[key] = len(xs)
                xs.append(float(px))
                ys.append(float(py))
                ids.append(-1)
            chain.append(extra[key])
        chain.append(index[v])
        cx = np.array([xs[i] for i in chain])
        cy = np.array([ys[i] for i in chain])
        pieces = np.hypot(np.diff(cx), np.diff(cy))
        scale = total / pieces.sum() if np.isfinite(total) and pieces.sum() > 0 else 1.0
        src.extend(chain[:-1])
        dst.extend(chain[1:])
        length.extend((pieces * scale).tolist())
    meta = {
        "source": p.name,
        "source_format": "graphml",
        "created_with": graph.graph.get("created_with"),
        "created_date": graph.graph.get("created_date"),
        "graphml_nodes": graph.number_of_nodes(),
        "graphml_edges": graph.number_of_edges(),
    }
    return from_edges(
        np.array(xs), np.array(ys), np.array(src), np.array(dst), np.array(length),
        mode=mode, node_id=np.array(ids, dtype=np.int64), meta=meta,
    )
