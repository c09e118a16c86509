"""A street network for one travel mode, stored compactly as CSR arrays.

The graph is directed (cycling one-way rules), its nodes have coordinates in
EPSG:28992 and every edge is a straight segment between its two nodes, so the
geometry of any part of an edge is known from the node coordinates alone.
Builders (``geo.network.ways``) guarantee: no self-loops, no duplicate (u, v) pairs
(the shortest is kept), and every length is ≥ :data:`MIN_EDGE_M`.

Saved as a ``.npz`` file (numpy arrays + a JSON metadata string); loading a
network of 100k nodes takes a few tens of milliseconds.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from geo.errors import DataFileError, ParameterError
from geo.units import MODES

#: Shortest edge length kept: scipy's csgraph would read an explicit 0 as "no edge" in some paths.
MIN_EDGE_M = 0.01
FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class Network:
    """Directed network: node coordinates (EPSG:28992) and CSR adjacency with lengths in metres.

    Attributes
    ----------
    x, y
        Node coordinates, float64, metres (EPSG:28992).
    indptr, indices, length_m
        CSR adjacency: the edges leaving node ``i`` go to ``indices[indptr[i]:indptr[i+1]]``
        with lengths ``length_m[indptr[i]:indptr[i+1]]``.
    mode
        ``"walk"`` or ``"bike"``.
    node_id
        OSM node id per node (int64; -1 for nodes made by splitting curved edges).
    meta
        Where the network came from (source file, profile, counts), JSON-serialisable.
    """

    x: np.ndarray
    y: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    length_m: np.ndarray
    mode: str
    node_id: np.ndarray
    meta: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n = len(self.x)
        if self.mode not in MODES:
            raise ParameterError(f"Unknown mode '{self.mode}'; expected one of: {', '.join(MODES)}.")
        if len(self.y) != n or len(self.node_id) != n or len(self.indptr) != n + 1:
            raise DataFileError(
                f"Network arrays disagree: {n} x, {len(self.y)} y, {len(self.node_id)} ids, "
                f"{len(self.indptr)} indptr (expected n + 1)."
            )
        if len(self.indices) != len(self.length_m) or self.indptr[-1] != len(self.indices):
            raise DataFileError("Network arrays disagree: indices, lengths and indptr[-1] must match.")

    # ------------------------------------------------------------------ basics
    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def n_edges(self) -> int:
        return len(self.indices)

    def matrix(self) -> sparse.csr_matrix:
        """Adjacency as a CSR matrix (row = from-node), weights in metres. Cached."""
        if "matrix" not in self._cache:
            self._cache["matrix"] = sparse.csr_matrix(
                (self.length_m, self.indices, self.indptr), shape=(self.n_nodes, self.n_nodes)
            )
        return self._cache["matrix"]

    def reverse_matrix(self) -> sparse.csr_matrix:
        """Transposed adjacency (row = to-node): searches *towards* a set of nodes. Cached."""
        if "reverse" not in self._cache:
            self._cache["reverse"] = self.matrix().T.tocsr()
        return self._cache["reverse"]

    def edge_from(self) -> np.ndarray:
        """From-node of every edge (the row of each CSR entry)."""
        if "edge_from" not in self._cache:
            self._cache["edge_from"] = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))
        return self._cache["edge_from"]

    def largest_component(self) -> np.ndarray:
        """Boolean mask of the nodes in the largest strongly connected component. Cached.

        Origins and facilities are snapped only to this component, so nobody is
        snapped onto an island (across a canal, onto a motorway service road).
        """
        if "lcc" not in self._cache:
            n_comp, labels = csgraph.connected_components(self.matrix(), directed=True, connection="strong")
            counts = np.bincount(labels, minlength=n_comp)
            self._cache["lcc"] = labels == int(np.argmax(counts))
        return self._cache["lcc"]

    def subset(self, keep: np.ndarray) -> Network:
        """The network on the nodes where ``keep`` is True, with the edges between two kept nodes.

        A path that lies wholly within a region keeps every node and edge, so a search bounded by a distance
        ``B`` from points inside an area gives the same answers on the network clipped to that area grown by
        ``B`` (:func:`geo.batch` partitions use this).
        """
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (self.n_nodes,):
            raise ParameterError(f"subset: expected one flag per node ({self.n_nodes}), found {keep.shape}.")
        new_index = np.full(self.n_nodes, -1, dtype=np.int64)
        new_index[keep] = np.arange(int(keep.sum()))
        src, dst = self.edge_from(), self.indices.astype(np.int64)
        both = keep[src] & keep[dst]
        meta = dict(self.meta)
        meta["subset_of_nodes"] = self.n_nodes
        return from_edges(self.x[keep], self.y[keep], new_index[src[both]], new_index[dst[both]],
                          self.length_m[both], mode=self.mode, node_id=self.node_id[keep], meta=meta)

    def segments(self) -> dict[str, np.ndarray]:
        """Undirected segments ``u < v`` with length and which directions exist. Cached.

        Returns a dict of arrays: ``u``, ``v``, ``length_m``, ``fwd`` (edge u→v exists),
        ``bwd`` (edge v→u exists). The length is the shorter of the two directions.
        """
        if "segments" not in self._cache and self.n_edges == 0:
            empty_i, empty_b = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
            self._cache["segments"] = {
                "u": empty_i, "v": empty_i, "length_m": np.zeros(0), "fwd": empty_b, "bwd": empty_b,
            }
        if "segments" not in self._cache:
            src, dst, w = self.edge_from(), self.indices.astype(np.int64), self.length_m
            lo, hi = np.minimum(src, dst), np.maximum(src, dst)
            key = lo * self.n_nodes + hi
            order = np.lexsort((w, key))
            key_sorted = key[order]
            first = np.r_[True, key_sorted[1:] != key_sorted[:-1]]
            uniq = order[first]
            group = np.cumsum(first) - 1
            fwd = np.zeros(first.sum(), dtype=bool)
            bwd = np.zeros(first.sum(), dtype=bool)
            is_fwd = src[order] < dst[order]
            np.logical_or.at(fwd, group, is_fwd)
            np.logical_or.at(bwd, group, ~is_fwd)
            self._cache["segments"] = {
                "u": lo[uniq],
                "v": hi[uniq],
                "length_m": w[uniq],
                "fwd": fwd,
                "bwd": bwd,
            }
        return self._cache["segments"]

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | Path) -> Path:
        """Write the network as a compressed ``.npz`` file."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "mode": self.mode, "format_version": FORMAT_VERSION, "crs": "EPSG:28992"}
        np.savez_compressed(
            p,
            x=self.x,
            y=self.y,
            indptr=self.indptr,
            indices=self.indices,
            length_m=self.length_m,
            node_id=self.node_id,
            meta=np.array(json.dumps(meta)),
        )
        return p

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a network written by :meth:`save`."""
        p = Path(path)
        if not p.exists():
            raise DataFileError(f"Network file not found: expected '{p}'.")
        try:
            with np.load(p, allow_pickle=False) as z:
                meta: dict[str, Any] = json.loads(str(z["meta"]))
                arrays = {k: z[k] for k in ("x", "y", "indptr", "indices", "length_m", "node_id")}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # BadZipFile: a truncated copy
            raise DataFileError(
                f"'{p.name}' is not a network file written by this product (.npz with CSR arrays): {exc}"
            ) from None
        if meta.get("format_version") != FORMAT_VERSION:
            raise DataFileError(
                f"'{p.name}' has network format {meta.get('format_version')!r}; expected {FORMAT_VERSION}. Rebuild it."
            )
        return cls(mode=meta["mode"], meta=meta, **arrays)


def from_edges(
    x: np.ndarray,
    y: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    length_m: np.ndarray,
    *,
    mode: str,
    node_id: np.ndarray | None = None,
    meta: dict | None = None,
) -> Network:
    """Build a :class:`Network` from directed edge lists (drops self-loops, keeps the shortest duplicate)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    w = np.maximum(np.asarray(length_m, dtype=np.float64), MIN_EDGE_M)
    keep = src != dst
    src, dst, w = src[keep], dst[keep], w[keep]
    n = len(x)
    # Sort by (src, dst, length) and keep the first of each (src, dst): the shortest.
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])] if len(src) else np.zeros(0, bool)
    src, dst, w = src[first], dst[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr)
    idx_dtype = np.int32 if n < 2**31 - 1 else np.int64
    return Network(
        x=np.asarray(x, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64),
        indptr=indptr,
        indices=dst.astype(idx_dtype),
        length_m=w,
        mode=mode,
        node_id=np.full(n, -1, dtype=np.int64) if node_id is None else np.asarray(node_id, dtype=np.int64),
        meta=dict(meta or {}),
    )
