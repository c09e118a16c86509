"""Read OpenStreetMap files (pyosmium extracts, osmnx GraphML) into a :class:`geo.network.graph.Network`."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import shapely

from geo.errors import DataFileError
from geo.network.graph import Network, from_edges
from geo.network.ways import (
    PROFILE_TAG_KEYS,
    OsmWays,
    build_network_from_ways,
    get_profile,
    to_rd,
)

# --------------------------------------------------------------------------- OSM files (pyosmium)

#: File name endings pyosmium reads, with the format name it takes.
OSM_FORMATS = {".osm.pbf": "pbf", ".pbf": "pbf", ".osm.gz": "osm.gz", ".osm.bz2": "osm.bz2", ".osm": "osm"}


def osm_format(path: str | Path) -> str | None:
    """The pyosmium format of ``path`` from its name (``pbf``, ``osm``, ``osm.gz``, ``osm.bz2``), else ``None``."""
    name = Path(path).name.lower()
    for ending, fmt in OSM_FORMATS.items():
        if name.endswith(ending):
            return fmt
    return None


def read_osm_ways(path: str | Path) -> OsmWays:
    """Read the ``highway`` ways and their node positions from an OSM file with pyosmium.

    Raises :class:`DataFileError` for a missing, empty, unreadable or truncated
    file, or an unknown extension.
    """
    import osmium  # only needed to read OSM files

    p = Path(path)
    fmt = osm_format(p)
    if fmt is None:
        raise DataFileError(
            f"'{p.name}': unknown OSM file type; expected one of {', '.join(OSM_FORMATS)}."
        )
    if not p.is_file():
        raise DataFileError(f"OSM file not found: expected '{p}'.")
    if p.stat().st_size == 0:
        raise DataFileError(f"OSM file '{p.name}' is empty (0 bytes); expected an OSM extract ({fmt}).")
    way_ids: list[int] = []
    tags: list[dict[str, str]] = []
    refs: list[list[int]] = []
    positions: dict[int, tuple[float, float]] = {}
    newest = 0.0
    try:
        processor = (
            osmium.FileProcessor(osmium.io.File(str(p), fmt), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way):
                continue
            way_ids.append(obj.id)
            tags.append({t.k: t.v for t in obj.tags if t.k in PROFILE_TAG_KEYS})
            way_refs = []
            for node in obj.nodes:
                way_refs.append(node.ref)
                if node.location.valid():
                    positions[node.ref] = (node.location.lon, node.location.lat)
            refs.append(way_refs)
            ts = obj.timestamp
            if ts is not None and ts.year > 1970:
                newest = max(newest, ts.timestamp())
    except RuntimeError as exc:  # libosmium reports format, gzip and truncation errors as RuntimeError
        raise DataFileError(
            f"Could not read '{p.name}' as an OSM file ({fmt}): {str(exc).splitlines()[0]}. "
            "The file may be truncated or in another format."
        ) from None
    stamp = _dt.datetime.fromtimestamp(newest, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if newest else None
    return OsmWays.from_lists(
        way_ids, tags, refs, positions, source=p.name, source_format=fmt, data_timestamp=stamp
    )


def build_network_from_osm(path: str | Path, *, mode: str, polygon: shapely.Geometry | None = None) -> Network:
    """Read an OSM extract (``.osm.pbf``/``.osm``/``.osm.gz``/``.osm.bz2``) as a :class:`Network` for ``mode``.

    Parameters
    ----------
    path
        The extract. Ways need their nodes in the file (as in any extract made
        with ``osmium extract`` or exported from openstreetmap.org).
    mode
        ``"walk"`` or ``"bike"``: the :class:`Profile` that chooses ways and directions.
    polygon
        Optional clip area in EPSG:28992 (ways with a node inside, kept whole).

    Raises
    ------
    DataFileError
        Missing, empty, unreadable or truncated file, or no way usable for ``mode``.
    """
    get_profile(mode)  # a bad mode is reported before a long read
    return build_network_from_ways(read_osm_ways(path), mode=mode, polygon=polygon)


# --------------------------------------------------------------------------- osmnx GraphML


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
        for px, py in zip(gx[1:-1], gy[1:-1], strict=True):
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
