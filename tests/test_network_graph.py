"""geo/network/graph.py: the Network (CSR arrays), from_edges, the .npz file and the largest component.

A wrong CSR layout or a lossy file round trip would give every travel time in the app
from the wrong street, so the small graphs here are checked edge by edge by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geo.errors import DataFileError, ParameterError
from geo.network.graph import FORMAT_VERSION, MIN_EDGE_M, Network, from_edges
from tests.helpers import straight_network


def edges(net: Network) -> dict[tuple[int, int], float]:
    """Every directed edge (from, to) → length, read back from the CSR arrays."""
    return {
        (int(u), int(v)): float(w)
        for u, v, w in zip(net.edge_from(), net.indices, net.length_m, strict=True)
    }


# ---------------------------------------------------------------------- from_edges


def test_from_edges_keeps_each_street_once_at_its_shortest() -> None:
    x, y = np.array([0.0, 100.0, 100.0]), np.array([0.0, 0.0, 50.0])
    net = from_edges(
        x, y,
        src=[1, 0, 0, 2, 2, 1],
        dst=[2, 1, 1, 2, 0, 0],
        length_m=[50.0, 120.0, 100.0, 5.0, 0.0, 100.0],
        mode="bike",
    )  # fmt: skip
    # 0→1 twice (120 m, 100 m): the shorter is kept; 2→2 is a self-loop: dropped;
    # 2→0 of 0 m is raised to MIN_EDGE_M (a zero would read as "no edge" in scipy).
    assert edges(net) == {(0, 1): 100.0, (1, 0): 100.0, (1, 2): 50.0, (2, 0): MIN_EDGE_M}
    assert (net.n_nodes, net.n_edges, net.mode) == (3, 4, "bike")
    assert net.indptr.tolist() == [0, 1, 3, 4]  # node 0 has 1 edge out, node 1 two, node 2 one
    assert (net.node_id == -1).all()  # made-up nodes have no OSM id
    np.testing.assert_array_equal(net.matrix().toarray(), [[0, 100, 0], [100, 0, 50], [MIN_EDGE_M, 0, 0]])
    np.testing.assert_array_equal(net.reverse_matrix().toarray(), net.matrix().toarray().T)


def test_from_edges_copies_meta_and_ids() -> None:
    meta = {"source": "hand-made"}
    net = from_edges([0.0, 1.0], [0.0, 0.0], [0], [1], [1.0], mode="walk", node_id=[11, 22], meta=meta)
    meta["source"] = "changed afterwards"
    assert net.meta == {"source": "hand-made"}
    assert net.node_id.tolist() == [11, 22] and net.node_id.dtype == np.int64


def test_empty_network_has_no_segments() -> None:
    net = from_edges([0.0], [0.0], [], [], [], mode="walk")
    assert (net.n_nodes, net.n_edges) == (1, 0)
    assert {k: len(v) for k, v in net.segments().items()} == {"u": 0, "v": 0, "length_m": 0, "fwd": 0, "bwd": 0}


def test_segments_say_which_way_a_street_can_be_used() -> None:
    # 0–1 two-way, 1→2 one-way, 3→2 one-way (against the u < v order of the segment).
    net = straight_network([0, 100, 200, 300], [0, 0, 0, 0], [(0, 1)], one_way=[(1, 2), (3, 2)])
    seg = net.segments()
    got = {(int(u), int(v)): (bool(f), bool(b), float(w))
           for u, v, f, b, w in zip(seg["u"], seg["v"], seg["fwd"], seg["bwd"], seg["length_m"], strict=True)}
    assert got == {(0, 1): (True, True, 100.0), (1, 2): (True, False, 100.0), (2, 3): (False, True, 100.0)}


def test_inconsistent_arrays_and_unknown_mode_are_errors() -> None:
    good = from_edges([0.0, 1.0], [0.0, 0.0], [0], [1], [1.0], mode="walk")
    parts = {k: getattr(good, k) for k in ("x", "y", "indptr", "indices", "length_m", "node_id")}
    with pytest.raises(DataFileError, match="expected n \\+ 1"):
        Network(**{**parts, "y": np.zeros(3)}, mode="walk")
    with pytest.raises(DataFileError, match="indices, lengths and indptr"):
        Network(**{**parts, "length_m": np.zeros(2)}, mode="walk")
    with pytest.raises(ParameterError, match="Unknown mode 'car'"):
        Network(**parts, mode="car")


# ---------------------------------------------------------------------- largest component


def test_largest_component_is_the_biggest_strongly_connected_part() -> None:
    # A two-way square 0-1-2-3, a one-way spur 3→4 (you cannot get back from 4),
    # and a separate two-way street 5–6 (an island across a canal).
    net = straight_network(
        [0, 100, 100, 0, 0, 500, 600], [0, 0, 100, 100, 200, 0, 0],
        [(0, 1), (1, 2), (2, 3), (3, 0), (5, 6)], one_way=[(3, 4)],
    )  # fmt: skip
    lcc = net.largest_component()
    assert lcc.tolist() == [True, True, True, True, False, False, False]
    assert net.largest_component() is lcc  # cached: snapping asks for it per call


# ---------------------------------------------------------------------- the .npz file


def test_save_and_load_give_back_the_same_network(tmp_path: Path) -> None:
    net = from_edges(
        [85_000.0, 85_100.0, 85_100.5], [447_000.0, 447_000.0, 447_080.25], [0, 1, 2, 1], [1, 2, 1, 0],
        [100.0, 80.3, 80.3, 100.0], mode="bike", node_id=[44, 45, -1], meta={"source": "delft.osm", "ways_kept": 2},
    )  # fmt: skip
    path = net.save(tmp_path / "nested" / "folder" / "delft_bike.npz")
    assert path == tmp_path / "nested" / "folder" / "delft_bike.npz" and path.is_file()
    back = Network.load(path)
    for key in ("x", "y", "indptr", "indices", "length_m", "node_id"):
        np.testing.assert_array_equal(getattr(back, key), getattr(net, key), err_msg=key)
        assert getattr(back, key).dtype == getattr(net, key).dtype, key
    assert back.mode == "bike"
    assert back.meta == {"source": "delft.osm", "ways_kept": 2, "mode": "bike", "format_version": FORMAT_VERSION,
                         "crs": "EPSG:28992"}
    assert edges(back) == edges(net)


def test_a_missing_or_foreign_file_is_a_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="Network file not found"):
        Network.load(tmp_path / "nope.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is a text file, not a network")
    with pytest.raises(DataFileError, match="'garbage.npz' is not a network file"):
        Network.load(garbage)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(2), y=np.zeros(2))  # an .npz, but not ours
    with pytest.raises(DataFileError, match="'other.npz' is not a network file"):
        Network.load(other)


def test_a_truncated_file_is_a_data_file_error(tmp_path: Path) -> None:
    """A copy or download cut off halfway must give the one-line file error, not a traceback."""
    path = straight_network([0, 1], [0, 0], [(0, 1)]).save(tmp_path / "cut.npz")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataFileError, match="'cut.npz' is not a network file"):
        Network.load(path)


def test_a_file_of_another_format_version_asks_for_a_rebuild(tmp_path: Path) -> None:
    path = straight_network([0, 1], [0, 0], [(0, 1)]).save(tmp_path / "old.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps({**meta, "format_version": FORMAT_VERSION + 1}))
    np.savez_compressed(path, **arrays)
    with pytest.raises(DataFileError, match=f"has network format {FORMAT_VERSION + 1}.*Rebuild it"):
        Network.load(path)
