"""Batch benchmark: the national Dask batch (``geo.batch``) against a plain single-process loop.

Run from the repository root::

    python -m bench.bench_batch            # real networks (3 repeats) + the synthetic national run (342, 5 M nodes)
    python -m bench.bench_batch --quick    # real networks (1 repeat) + 34 partitions, 0.5 M nodes

It prints markdown tables and writes them to ``bench/results_batch.md`` (``--out``). What is measured, and how, is
described in ``bench/README.md``; in short:

- *Synthetic national run*: one partition per Dutch municipality (the 342 of the shipped base layer), each a street
  grid whose node count is the municipality's share of the inhabitants times ``--total-nodes`` (5 M), a square-ish
  block of boxes for its real buurten (their real CBS 2024 inhabitants and age groups) and facilities of 13 types at
  seeded random nodes with densities like real ones. Each partition is generated *inside* the task from a
  ``functools.partial`` of a code, a node count and a seed, so only a few bytes travel. It runs as a plain loop
  (``run_batch(local=True)``), on a Dask ``LocalCluster`` of 1 worker and of 2 workers, in the same process.
- *Real networks as partitions*: the Delft whole-municipality graph with the Delft dataset's real buurten, and the
  Delft centre, Amsterdam centre and Enschede core OSM extracts with synthetic buurten over their extent; all with
  the same synthetic facilities. Time per partition and per node: the per-node cost for the paper estimate.

Wall times are ``time.perf_counter``; peak memory is the resident set (Linux ``VmHWM``/``ru_maxrss``) of the loop's
process and of each Dask worker process.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import heapq
import importlib
import json
import logging
import math
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as `python bench/bench_batch.py`

from bench.proc import status_kb, trim
from geo import batch, schema
from geo.data import files, national
from geo.data.networks import build_network
from geo.data.paths import DATA_DIR, NETWORKS_DIR, PROJECT_ROOT, SHARED_DATA_DIR
from geo.network.graph import Network, from_edges

ROOT = PROJECT_ROOT
SETTINGS = batch.BatchSettings()  # walking at a child's speed, bands 5/10/15 min: a 1,000 m buffer
#: Lower-left corner of every synthetic partition (RD New, metres): inside the Netherlands. The partitions have no
#: neighbours (``pool=None``), so they may all lie on the same spot.
X0, Y0 = 120_000.0, 450_000.0
#: Street grid block, metres (≈ 1,600 nodes/km², as in bench_network; the OSM fixtures have 1,900–2,500).
SPACING_M = 25.0
#: Each street's length is the block × U(1, 1.2) (seeded), the same both ways, so shortest paths are not all ties.
DETOUR = (1.0, 1.2)
SEED = 20_240_601
#: The synthetic national run: network nodes over all 342 municipalities (``--quick``: every 10th, 0.5 M).
TOTAL_NODES = 5_000_000
QUICK_TOTAL_NODES = 500_000
QUICK_EVERY = 10
#: Inhabitants per facility of each synthetic type (at least one of each per partition); rough national ratios
#: (e.g. ≈ 6,200 primary-school branches, ≈ 700 swimming pools, ≈ 750 library branches for 17.9 M inhabitants).
INHABITANTS_PER = {
    "primary_school": 2_000,
    "sport": 1_500,
    "playground": 1_000,
    "childcare": 2_000,
    "after_school_care": 2_500,
    "community_centre": 5_000,
    "culture": 10_000,
    "nature": 10_000,
    "youth_work": 10_000,
    "library": 20_000,
    "swimming_pool": 25_000,
    "museum": 25_000,
    "makerspace": 50_000,
}
#: Pupils (capacity) of a synthetic school: U(80, 400); other facilities have capacity 100.
PUPILS = (80, 400)
#: Synthetic buurten over a real network's extent: boxes of this side, metres.
REAL_BUURT_M = 500.0
#: Real networks as partitions: (label, municipality whose buurt figures are used, how the network is read,
#: path below the shared data or None for the Delft dataset's own network).
REAL = (
    ("Delft whole municipality (car graph, data/networks)", "GM0503", "dataset", None),
    ("Delft centre walk (GraphML)", "GM0503", "file", "osm_delft_centre_walk_graphml/delft_centre_walk.graphml"),
    ("Amsterdam centre walk (.osm.gz)", "GM0363", "file", "osm_amsterdam_fixtures/amsterdam_centre.osm.gz"),
    ("Enschede core (overpass-turbo KML → Overpass JSON)", "GM0153", "kml",
     "osm_enschede_core_highways_overpass_2023/export.kml"),
)
#: The largest partitions whose memory is measured one at a time (after the timed runs).
N_LARGEST = 6
#: The workers counts of the Dask runs.
DASK_WORKERS = (1, 2)
#: Workers the paper estimate is written for.
PAPER_WORKERS = (1, 2, 8, 32)


# --------------------------------------------------------------------------- memory and CPU of a process
def reset_peak() -> bool:
    """Trim the heap and reset ``VmHWM`` to the current resident set (Linux ``/proc/self/clear_refs``)."""
    trim()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_s() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def sched_s() -> tuple[float, float]:
    """Seconds this process's live threads have run on a CPU, and waited on a run queue while ready to run
    (``/proc/self/task/*/schedstat``): the wait is the time other processes held the cores."""
    run = wait = 0
    for stat in Path("/proc/self/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().split()
            run, wait = run + int(fields[0]), wait + int(fields[1])
    return run / 1e9, wait / 1e9


def process_stats() -> dict[str, float]:
    """This process: pid, resident set and its peak (MB), CPU seconds, run-queue wait. Also run on every worker."""
    rss, hwm = status_kb("VmRSS"), status_kb("VmHWM")
    _, wait = sched_s()
    return {"pid": os.getpid(), "rss_mb": (rss or 0) / 1024, "hwm_mb": (hwm or 0) / 1024, "cpu_s": cpu_s(),
            "wait_s": wait}


class LoadSampler:
    """The 1-minute load average, sampled every ``every_s`` seconds in a thread while a run goes on."""

    def __init__(self, every_s: float = 2.0) -> None:
        self.every_s = every_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            with contextlib.suppress(OSError):
                self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples)) if self.samples else math.nan


def warm_up() -> float:
    """What every process reads once before its first partition (imports, the national tables); seconds."""
    t0 = time.perf_counter()
    national.municipalities()
    national.school_scores()
    national.pupil_history()
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- synthetic partitions


def grid_shape(n_nodes: int) -> tuple[int, int]:
    """(columns, rows) of a square-ish grid with at least ``n_nodes`` nodes (at least 3 × 3)."""
    cols = max(3, math.ceil(math.sqrt(n_nodes)))
    rows = max(3, math.ceil(n_nodes / cols))
    return cols, rows


def street_grid(cols: int, rows: int, rng: np.random.Generator) -> Network:
    """A two-way ``cols × rows`` street grid from (X0, Y0): blocks of :data:`SPACING_M`, each street
    :data:`SPACING_M` × U(1, 1.2) long (seeded), the same both ways (like ``tests.helpers.grid_network``)."""
    gx, gy = np.meshgrid(X0 + np.arange(cols) * SPACING_M, Y0 + np.arange(rows) * SPACING_M)
    ids = np.arange(cols * rows).reshape(rows, cols)
    e = np.vstack([np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()]),
                   np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])])
    length = SPACING_M * rng.uniform(*DETOUR, len(e))
    src, dst = np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]]
    return from_edges(gx.ravel(), gy.ravel(), src, dst, np.r_[length, length], mode="walk",
                      meta={"source": f"synthetic grid {cols}x{rows}"})


def buurt_boxes(n: int, bounds: tuple[float, float, float, float]) -> list[shapely.Polygon]:
    """``n`` equal boxes filling ``bounds`` row by row: a square-ish block (the last row may be short)."""
    x0, y0, x1, y1 = bounds
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    w, h = (x1 - x0) / cols, (y1 - y0) / rows
    return [shapely.box(x0 + (k % cols) * w, y0 + (k // cols) * h, x0 + (k % cols + 1) * w, y0 + (k // cols + 1) * h)
            for k in range(n)]


def random_facilities(net: Network, inhabitants: float, rng: np.random.Generator, prefix: str) -> gpd.GeoDataFrame:
    """Facilities of every type of :data:`INHABITANTS_PER` (at least one each) at distinct random nodes."""
    ids: list[str] = []
    types: list[str] = []
    caps: list[np.ndarray] = []
    nodes: list[np.ndarray] = []
    for key, per in INHABITANTS_PER.items():
        k = min(net.n_nodes, max(1, round(inhabitants / per)))
        nodes.append(rng.choice(net.n_nodes, size=k, replace=False))
        caps.append(rng.integers(*PUPILS, size=k).astype(float) if key == "primary_school" else np.full(k, 100.0))
        # A school's id is a DUO-like code (``duo-…``): the school part of the batch reads it as a branch code.
        ids += [f"duo-{prefix}{j:05d}" if key == "primary_school" else f"{key}-{prefix}-{j}" for j in range(k)]
        types += [key] * k
    at = np.concatenate(nodes)
    return gpd.GeoDataFrame(
        {schema.FACILITY_ID: ids, schema.FACILITY_TYPE: types, schema.FACILITY_NAME: ids,
         schema.FACILITY_CAPACITY: np.concatenate(caps)},
        geometry=gpd.points_from_xy(net.x[at], net.y[at]), crs=schema.WORK_CRS,
    )


def load_synthetic(code: str, n_nodes: int, seed: int) -> batch.PartitionInput:
    """Municipality ``code`` as a synthetic partition: a street grid of about ``n_nodes`` nodes, its real buurten
    (CBS 2024 inhabitants and age groups of the base layer) as a block of boxes over the grid, random facilities.

    Module-level, so ``partial(load_synthetic, code, n, seed)`` pickles to a few bytes and the data is made inside
    the task."""
    rng = np.random.default_rng(seed)
    base = national.load_base_dataset(code)
    cols, rows = grid_shape(n_nodes)
    net = street_grid(cols, rows, rng)
    bounds = (X0, Y0, X0 + (cols - 1) * SPACING_M, Y0 + (rows - 1) * SPACING_M)
    buurten = gpd.GeoDataFrame(base.buurten.drop(columns="geometry"),
                               geometry=buurt_boxes(len(base.buurten), bounds), crs=schema.WORK_CRS)
    facilities = random_facilities(net, float(buurten["a_inw"].fillna(0).sum()), rng, code[2:])
    meta = {"name": base.meta["name"], "municipality_code": code, "kind": "synthetic"}
    return batch.PartitionInput(files.Dataset(buurten=buurten, facilities=facilities, meta=meta, directory=""), net)


def national_plan(total_nodes: int, every: int = 1) -> pd.DataFrame:
    """Every ``every``-th municipality by code: code, name, buurten, inhabitants, children and its node count, its
    share of the inhabitants (of the municipalities taken) times ``total_nodes`` (at least 9)."""
    t = national.municipalities()
    counts = pd.read_csv(national.NATIONAL_DIR / national.GEMEENTEN_FILE, dtype={"code": str}, encoding="utf-8")
    t = t.merge(counts[["code", "a_inw", "a_00_14"]], on="code").sort_values("code").reset_index(drop=True)
    t = t.iloc[::every].reset_index(drop=True)
    t["n_nodes"] = np.maximum(9, np.round(total_nodes * t["a_inw"] / t["a_inw"].sum())).astype(int)
    return t


def synthetic_specs(plan: pd.DataFrame) -> list[batch.PartitionSpec]:
    """One spec per row of :func:`national_plan`, in code order; its load is a partial of three small values."""
    return [batch.PartitionSpec(str(r.code), str(r.name),
                                partial(load_synthetic, str(r.code), int(r.n_nodes), SEED + int(str(r.code)[2:])),
                                "synthetic")
            for r in plan.itertuples()]


# --------------------------------------------------------------------------- real networks as partitions


def kml_to_overpass_json(kml: Path, out: Path) -> dict[str, int]:
    """An overpass-turbo KML export of highway ways as Overpass JSON (nodes with ids, ways with tags and refs).

    KML has no node ids: ways are noded where they share an exact coordinate (a shared OSM node). A closed way
    drawn as a polygon (a pedestrian area) keeps its outer ring; multipolygon relations are left out (Overpass
    ``way[highway]; out geom;`` returns ways only)."""
    g = gpd.read_file(kml)
    kml_fields = {"id", "Name", "description", "timestamp", "begin", "end", "altitudeMode", "tessellate",
                  "extrude", "visibility", "drawOrder", "icon", "_id", "geometry"}
    tag_cols = [c for c in g.columns if c not in kml_fields]
    node_ids: dict[tuple[float, float], int] = {}
    ways = []
    skipped = 0
    values = {c: g[c].to_numpy(dtype=object) for c in tag_cols}
    for k, (osm_id, geom) in enumerate(zip(g["_id"].astype(str), g.geometry, strict=True)):
        if not osm_id.startswith("way/") or geom is None or geom.is_empty:
            skipped += 1
            continue
        line = geom.exterior if geom.geom_type == "Polygon" else geom
        if line.geom_type != "LineString":
            skipped += 1
            continue
        refs = [node_ids.setdefault((round(x, 7), round(y, 7)), len(node_ids) + 1) for x, y in line.coords]
        tags = {}
        for c in tag_cols:
            v = values[c][k]
            if isinstance(v, str) and v:
                tags["name" if c == "name2" else c] = v
        ways.append({"type": "way", "id": int(osm_id[4:]), "nodes": refs, "tags": tags})
    nodes = [{"type": "node", "id": i, "lon": xy[0], "lat": xy[1]} for xy, i in node_ids.items()]
    doc = {"version": 0.6, "generator": "bench_batch from overpass-turbo KML",
           "osm3s": {"timestamp_osm_base": "2023-12-24T11:30:45Z"}, "elements": nodes + ways}
    out.write_text(json.dumps(doc), encoding="utf-8")
    return {"ways": len(ways), "nodes": len(nodes), "skipped": skipped}


def load_real(code: str, network_npz: str, dataset_dir: str | None, seed: int) -> batch.PartitionInput:
    """A real network as one partition: the Delft dataset's own buurten (``dataset_dir``), or boxes of
    :data:`REAL_BUURT_M` over the network's extent carrying a seeded sample of municipality ``code``'s real buurt
    figures; random facilities at the network's nodes (as for the synthetic partitions)."""
    rng = np.random.default_rng(seed)
    net = Network.load(network_npz)
    base = national.load_base_dataset(code)
    if dataset_dir is not None:
        buurten = files.load_dataset(dataset_dir).buurten
    else:
        x0, y0, x1, y1 = float(net.x.min()), float(net.y.min()), float(net.x.max()), float(net.y.max())
        nx_, ny_ = max(1, round((x1 - x0) / REAL_BUURT_M)), max(1, round((y1 - y0) / REAL_BUURT_M))
        boxes = buurt_boxes(nx_ * ny_, (x0, y0, x1, y1))
        pick = np.sort(rng.choice(len(base.buurten), size=len(boxes), replace=len(boxes) > len(base.buurten)))
        rows = base.buurten.drop(columns="geometry").iloc[pick].copy()
        rows[schema.BUURT_CODE] = [f"{c}{k:04d}" for k, c in enumerate(rows[schema.BUURT_CODE])]  # unique codes
        rows.index = pd.Index(rows[schema.BUURT_CODE].to_numpy(dtype=object))
        buurten = gpd.GeoDataFrame(rows, geometry=boxes, crs=schema.WORK_CRS)
    facilities = random_facilities(net, float(buurten["a_inw"].fillna(0).sum()), rng, code[2:])
    meta = {"name": base.meta["name"], "municipality_code": code, "kind": "benchmark"}
    return batch.PartitionInput(files.Dataset(buurten=buurten, facilities=facilities, meta=meta, directory=""), net)


def shared_dir(given: str | None) -> Path:
    """The shared open data: ``--shared``, else ``../shared/data`` next to this checkout, else next to the main
    checkout of a linked git worktree (``.git`` is then a file naming the main repository)."""
    if given:
        return Path(given)
    if SHARED_DATA_DIR.is_dir():
        return SHARED_DATA_DIR
    git = ROOT / ".git"
    try:
        if git.is_file():
            wt = (ROOT / git.read_text(encoding="utf-8").split(":", 1)[1].strip()).resolve()
            common = (wt / (wt / "commondir").read_text(encoding="utf-8").strip()).resolve()
            return common.parent.parent / "shared" / "data"
    except (OSError, IndexError):
        pass
    return SHARED_DATA_DIR


@dataclass
class RealRow:
    label: str
    source: str
    build_s: float | None
    n_nodes: int = 0
    n_edges: int = 0
    n_buurten: int = 0
    n_facilities: int = 0
    n_schools: int = 0
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: float | None = None

    @property
    def median_s(self) -> float:
        return float(np.median(self.seconds)) if self.seconds else math.nan

    @property
    def cpu_s(self) -> float:
        return float(np.median(self.cpu)) if self.cpu else math.nan


def bench_real(shared: Path, repeat: int, work: Path) -> tuple[list[RealRow], dict[str, float]]:
    """Each real network as one partition, ``repeat`` times; also the counts the paper estimate needs."""
    rows: list[RealRow] = []
    facts: dict[str, float] = {}
    delft = files.load_dataset(DATA_DIR / "delft")
    facts["delft_inhabitants"] = float(delft.buurten["a_inw"].sum())
    car_path = NETWORKS_DIR / "delft_walk.npz"
    for label, code, how, rel in REAL:
        if how == "dataset":
            if not car_path.is_file() or not (DATA_DIR / "delft").is_dir():
                print(f"Skipping {label}: {car_path} or data/delft not found.", file=sys.stderr)
                continue
            npz, dataset_dir, build_s, source = car_path, str(DATA_DIR / "delft"), None, "data/networks/delft_walk.npz"
        else:
            path = shared / str(rel)
            if not path.is_file():
                print(f"Skipping {label}: {path} not found.", file=sys.stderr)
                continue
            t0 = time.perf_counter()
            if how == "kml":
                converted = work / "enschede_core.json"
                info = kml_to_overpass_json(path, converted)
                print(f"  {path.name}: {info['ways']:,} ways, {info['nodes']:,} nodes → {converted.name} "
                      f"({info['skipped']} relations/other left out)", flush=True)
                net = build_network(converted, mode="walk")
            else:
                net = build_network(path, mode="walk")
            build_s = time.perf_counter() - t0
            npz = net.save(work / f"real_{len(rows)}_walk.npz")
            dataset_dir, source = None, f"../shared/data/{rel}"
            if "Delft centre" in label:
                hull = shapely.MultiPoint(np.column_stack([net.x, net.y])).convex_hull
                facts["delft_centre_walk_nodes"] = float(net.n_nodes)
                facts["delft_centre_hull_km2"] = hull.area / 1e6
                if car_path.is_file():
                    car = Network.load(car_path)
                    facts["delft_car_nodes"] = float(car.n_nodes)
                    facts["delft_car_nodes_in_centre"] = float(shapely.contains_xy(hull, car.x, car.y).sum())
            if "Amsterdam" in label:
                hull = shapely.MultiPoint(np.column_stack([net.x, net.y])).convex_hull
                facts["amsterdam_centre_walk_nodes"] = float(net.n_nodes)
                facts["amsterdam_centre_hull_km2"] = hull.area / 1e6
        spec = batch.PartitionSpec(code, label, partial(load_real, code, str(npz), dataset_dir, SEED), "benchmark")
        row = RealRow(label, source, build_s)
        for _ in range(repeat):
            ok = reset_peak()
            before, c0 = status_kb("VmRSS"), time.process_time()
            res = batch.run_partition(spec, SETTINGS)
            row.cpu.append(time.process_time() - c0)
            hwm = status_kb("VmHWM")
            if ok and hwm is not None and before is not None:
                row.peak_mb = max(row.peak_mb or 0.0, (hwm - before) / 1024)
            row.seconds.append(res.seconds)
        data = spec.load()
        row.n_nodes, row.n_edges = res.n_nodes, data.network.n_edges if data.network is not None else 0
        row.n_buurten, row.n_facilities, row.n_schools = len(res.buurten), res.n_facilities, len(res.schools)
        print(f"  {label}: {row.n_nodes:,} nodes, {row.median_s:.2f} s (median of {len(row.seconds)})", flush=True)
        rows.append(row)
    return rows, facts


# --------------------------------------------------------------------------- the synthetic national run


@dataclass
class Run:
    """One run of the whole national batch."""

    label: str
    workers: int  # 0: the plain loop
    wall_s: float
    result: batch.BatchResult
    startup_s: float | None = None
    warmup_s: float | None = None
    close_s: float | None = None
    cpu_main_s: float = 0.0
    #: Per computing process (the loop's, or each worker): CPU seconds, run-queue wait, RSS before and peak (MB).
    cpu_s: list[float] = field(default_factory=list)
    wait_s: list[float] = field(default_factory=list)
    idle_mb: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    #: Per worker: seconds inside tasks, and the time from its last task's end to the end of the run (Dask only).
    busy_s: list[float] = field(default_factory=list)
    tail_s: list[float] = field(default_factory=list)
    load: float = math.nan
    round: int = 1

    @property
    def task_s(self) -> float:
        return float(sum(r.seconds for r in self.result.results))

    @property
    def cpu_bound_s(self) -> float:
        """The wall time had every computing process had a core to itself, as far as CPU seconds tell: the
        largest CPU time of one process plus its idle tail (a lower bound: it leaves out scheduling gaps)."""
        if not self.cpu_s:
            return math.nan
        k = int(np.argmax(self.cpu_s))
        return self.cpu_s[k] + (self.tail_s[k] if k < len(self.tail_s) else 0.0)


def run_loop(specs: list[batch.PartitionSpec]) -> Run:
    warm = warm_up()
    reset_peak()
    before = process_stats()
    t0 = time.perf_counter()
    with LoadSampler() as load:
        res = batch.run_batch(specs, SETTINGS, pool=None, local=True, progress=None)
    wall = time.perf_counter() - t0
    after = process_stats()
    return Run("plain loop (`run_batch(local=True)`)", 0, wall, res, warmup_s=warm,
               cpu_s=[after["cpu_s"] - before["cpu_s"]], wait_s=[after["wait_s"] - before["wait_s"]],
               idle_mb=[before["rss_mb"]], peak_mb=[after["hwm_mb"]], load=load.mean)


def _worker_reset() -> dict[str, float]:
    reset_peak()
    return process_stats()


def run_dask(specs: list[batch.PartitionSpec], n_workers: int) -> Run:
    """A ``LocalCluster`` as ``run_batch`` starts one (processes, one thread each, ``memory_limit="auto"``), timed
    on its own; then ``run_batch(scheduler=…)`` on it. Worker memory and CPU are read in the workers, and the
    scheduler's task stream says which worker ran what when."""
    from dask.distributed import Client, LocalCluster, get_task_stream  # noqa: PLC0415  (a Dask run only)

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, memory_limit="auto",
                           dashboard_address=None, silence_logs=logging.CRITICAL)
    client = Client(cluster)
    client.wait_for_workers(n_workers)
    startup = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        client.run(warm_up)
        warm = time.perf_counter() - t1
        before = client.run(_worker_reset)
        main_before = cpu_s()
        done = [0]

        def say(line: str) -> None:
            done[0] += 1
            if done[0] % max(1, len(specs) // 5) == 0:
                print(f"    {done[0]}/{len(specs)} partitions", flush=True)

        with get_task_stream(client=client) as stream:
            t2, epoch = time.perf_counter(), time.time()
            with LoadSampler() as load:
                res = batch.run_batch(specs, SETTINGS, pool=None, scheduler=cluster.scheduler_address, progress=say)
            wall, end = time.perf_counter() - t2, time.time()
        main_cpu = cpu_s() - main_before
        after = client.run(process_stats)
    finally:
        t3 = time.perf_counter()
        client.close()
        cluster.close()
        close = time.perf_counter() - t3
    addrs = sorted(before)
    busy = dict.fromkeys(addrs, 0.0)
    last = dict.fromkeys(addrs, epoch)
    for task in stream.data:
        for ss in task.get("startstops", ()):
            if ss.get("action") == "compute" and task.get("worker") in busy:
                busy[task["worker"]] += ss["stop"] - ss["start"]
                last[task["worker"]] = max(last[task["worker"]], ss["stop"])
    return Run(f"Dask, {n_workers} worker{'s' if n_workers > 1 else ''}", n_workers, wall, res, startup_s=startup,
               warmup_s=warm, close_s=close, cpu_main_s=main_cpu,
               cpu_s=[after[a]["cpu_s"] - before[a]["cpu_s"] for a in addrs],
               wait_s=[after[a]["wait_s"] - before[a]["wait_s"] for a in addrs],
               idle_mb=[before[a]["rss_mb"] for a in addrs], peak_mb=[after[a]["hwm_mb"] for a in addrs],
               busy_s=[busy[a] for a in addrs], tail_s=[max(0.0, end - last[a]) for a in addrs], load=load.mean)


def partition_memory(plan: pd.DataFrame, k: int) -> dict[str, float]:
    """Peak growth of this process's resident set (MB) while each of the ``k`` largest partitions runs alone
    (an untimed pass after the runs; the heap is trimmed and the peak reset before each)."""
    peaks: dict[str, float] = {}
    for spec in synthetic_specs(plan.sort_values("n_nodes", ascending=False).head(k)):
        ok = reset_peak()
        before = status_kb("VmRSS")
        batch.run_partition(spec, SETTINGS)
        hwm = status_kb("VmHWM")
        if ok and hwm is not None and before is not None:
            peaks[spec.code] = (hwm - before) / 1024
    return peaks


def same_rows(a: batch.BatchResult, b: batch.BatchResult) -> str:
    try:
        pd.testing.assert_frame_equal(a.buurten(), b.buurten())
        pd.testing.assert_frame_equal(a.schools(), b.schools())
    except AssertionError as exc:
        return "DIFFER: " + " ".join(str(exc).split())[:120]
    return "identical"


def task_seconds(runs: list[Run], workers: int) -> dict[str, float]:
    """Per partition, the median over the rounds of its seconds in the runs with ``workers`` (0: the loop)."""
    times: dict[str, list[float]] = {}
    for run in runs:
        if run.workers == workers:
            for r in run.result.results:
                times.setdefault(r.code, []).append(r.seconds)
    return {code: float(np.median(v)) for code, v in times.items()}


def dask_overhead(runs: list[Run]) -> float:
    """Dask's cost per task: the 1-worker runs' wall time less their Σ task s, per task (median over rounds)."""
    per = [(r.wall_s - r.task_s) / len(r.result.results) for r in runs if r.workers == 1 and r.result.results]
    return max(0.0, float(np.median(per))) if per else 0.0


def cost_fit(plan: pd.DataFrame, seconds: dict[str, float]) -> tuple[float, float, float]:
    """Least squares ``seconds = a + b × nodes`` over the partitions: (a s, b µs/node, R²)."""
    nodes = plan.set_index("code")["n_nodes"]
    x = np.array([float(nodes[c]) for c in seconds])
    y = np.array(list(seconds.values()))
    if len(x) < 2:
        return math.nan, math.nan, math.nan
    b, a = np.polyfit(x, y, 1)
    r2 = 1 - float(np.sum((y - (a + b * x)) ** 2)) / max(float(np.sum((y - y.mean()) ** 2)), 1e-300)
    return float(a), float(b) * 1e6, r2


# --------------------------------------------------------------------------- report


def _s(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:.3g}" if x < 100 else f"{x:,.0f}"


def _mb(x: float | None) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:,.0f}"


def _each(xs: Sequence[float], fmt: Callable[[float | None], str] = _s) -> str:
    return " / ".join(fmt(x) for x in xs) if xs else "–"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def real_table(rows: list[RealRow], fixed_s: float) -> str:
    out = []
    for r in rows:
        per = r.median_s / r.n_nodes * 1e6 if r.n_nodes else math.nan
        net_per = (r.median_s - fixed_s) / r.n_nodes * 1e6 if r.n_nodes and np.isfinite(fixed_s) else math.nan
        out.append([r.label, f"`{r.source}`", f"{r.n_nodes:,}", f"{r.n_edges:,}", f"{r.n_buurten:,}",
                    f"{r.n_facilities:,}", f"{r.n_schools:,}", _s(r.build_s),
                    f"{_s(r.median_s)} (n={len(r.seconds)})", _s(r.cpu_s), _s(per), _s(net_per), _mb(r.peak_mb)])
    return table(["network", "file", "nodes (partition)", "edges", "buurten", "facilities", "schools",
                  "build s (once)", "partition s (median)", "CPU s (median)", "µs/node",
                  "µs/node above the fixed cost", "peak RSS growth MB"], out)


def plan_table(plan: pd.DataFrame) -> str:
    n = plan["n_nodes"]
    top = plan.sort_values("n_nodes", ascending=False).iloc[0]
    return table(
        ["partitions", "nodes total", "nodes min / median / max", "largest", "buurten", "inhabitants",
         "children 0–14", "facilities"],
        [[f"{len(plan)}", f"{int(n.sum()):,}", f"{int(n.min()):,} / {int(n.median()):,} / {int(n.max()):,}",
          f"{top['name']} ({int(top.n_nodes):,} nodes)", f"{int(plan.n_buurten.sum()):,}",
          f"{int(plan.a_inw.sum()):,}", f"{int(plan.a_00_14.sum()):,}",
          f"{sum(max(1, round(i / p)) for i in plan.a_inw for p in INHABITANTS_PER.values()):,}"]],
    )


def _in_round(runs: list[Run], rnd: int, workers: int) -> Run | None:
    return next((r for r in runs if r.round == rnd and r.workers == workers), None)


def runs_table(runs: list[Run]) -> str:
    """One row per run; speed-ups against the loop and the 1-worker run of the same round."""
    first_loop = next((r for r in runs if r.workers == 0), None)
    rounds = len({r.round for r in runs}) > 1
    out = []
    for r in runs:
        loop, one = _in_round(runs, r.round, 0), _in_round(runs, r.round, 1)
        vs_loop = f"{loop.wall_s / r.wall_s:.2f}×" if loop else "–"
        vs_one = f"{one.wall_s / r.wall_s:.2f}×" if one and r.workers else "–"
        e2e = r.wall_s + (r.startup_s or 0) + (r.warmup_s or 0) + (r.close_s or 0)
        vs_loop_e2e = f"{(loop.wall_s + (loop.warmup_s or 0)) / e2e:.2f}×" if loop else "–"
        cpu_ratio = f"{loop.cpu_bound_s / r.cpu_bound_s:.2f}×" if loop else "–"
        check = same_rows(first_loop.result, r.result) if first_loop and r is not first_loop else "–"
        out.append([
            r.label + (f", round {r.round}" if rounds else ""),
            f"{len(r.result.results)} (+{len(r.result.failures)} failed)",
            _s(r.startup_s), _s(r.warmup_s), _s(r.close_s), _s(r.wall_s), _s(r.task_s), _each(r.busy_s),
            _each(r.tail_s), _each(r.cpu_s), _s(r.cpu_main_s) if r.workers else "–", _each(r.wait_s),
            f"{r.load:.1f}", vs_loop, vs_one, vs_loop_e2e, cpu_ratio,
            _each(r.idle_mb, _mb), _each(r.peak_mb, _mb), check,
        ])
    return table(["run", "partitions", "cluster start-up s", "warm-up s", "close s", "wall s", "Σ task s",
                  "busy s (per worker)", "idle tail s (per worker)", "CPU s (per process)",
                  "CPU s scheduler + client", "run-queue wait s (per process)", "load avg during run",
                  "speed-up vs loop", "speed-up vs 1 worker", "end-to-end speed-up vs loop",
                  "CPU-time speed-up vs loop", "RSS before MB (per process)", "peak RSS MB (per process)",
                  "rows vs loop"], out)


def summary_table(runs: list[Run]) -> str:
    """Per configuration over the rounds: median wall time, and the speed-ups of each round (loop and run of the
    same round), median and range."""
    out = []
    for w in sorted({r.workers for r in runs}):
        mine = [r for r in runs if r.workers == w]
        label = mine[0].label
        ratios = [loop.wall_s / r.wall_s for r in mine if (loop := _in_round(runs, r.round, 0)) is not None]
        cpu = [loop.cpu_bound_s / r.cpu_bound_s for r in mine if (loop := _in_round(runs, r.round, 0)) is not None]
        peak = max((x for r in mine for x in r.peak_mb), default=math.nan)
        spread = f" ({min(ratios):.2f}–{max(ratios):.2f})" if len(ratios) > 1 else ""
        out.append([label, f"{len(mine)}", _s(float(np.median([r.wall_s for r in mine]))),
                    f"{np.median(ratios):.2f}×{spread}" if ratios else "–",
                    f"{np.median(cpu):.2f}×" if cpu else "–",
                    _s(float(np.median([r.startup_s for r in mine if r.startup_s is not None]))) if w else "–",
                    _mb(peak)])
    return table(["run", "rounds", "wall s (median)", "speed-up vs loop (median, range)",
                  "CPU-time speed-up (median)", "cluster start-up s (median)", "largest peak RSS of a process MB"],
                 out)


def largest_table(plan: pd.DataFrame, runs: list[Run], peaks: dict[str, float], k: int) -> str:
    by = {w: task_seconds(runs, w) for w in {r.workers for r in runs}}
    big = plan.sort_values("n_nodes", ascending=False).head(k)
    out = []
    for r in big.itertuples():
        peak = peaks.get(str(r.code))
        secs = [by[w].get(str(r.code)) for w in sorted(by)]
        out.append([f"{r.code} {r.name}", f"{r.n_buurten}", f"{int(r.a_inw):,}", f"{r.n_nodes:,}",
                    *[_s(s) for s in secs], _mb(peak), _s(peak * 1024 / r.n_nodes) if peak else "–"])
    labels = ["loop s" if w == 0 else f"{w} worker{'s' if w > 1 else ''} s" for w in sorted(by)]
    return table(["municipality", "buurten", "inhabitants", "nodes", *labels, "peak RSS growth MB (alone)",
                  "kB/node"], out)


def makespan(durations: Sequence[float], k: int) -> float:
    """Wall time of tasks of these durations on ``k`` workers, each task taken in this order by the worker that is
    free first (what the Dask scheduler does with independent tasks of equal priority, up to its overheads)."""
    free = [0.0] * k
    for d in durations:
        heapq.heappush(free, heapq.heappop(free) + d)
    return max(free)


def schedule_rows(seconds: dict[str, float], sizes: dict[str, float], overhead_s: float,
                  workers: Sequence[int]) -> list[list[str]]:
    """Simulated wall time per worker count: the partitions in code order (as ``run_batch`` submits them) and
    largest first, each task ``overhead_s`` longer (the Dask cost per task), against the lower bound."""
    codes = sorted(seconds)
    by_code = [seconds[c] + overhead_s for c in codes]
    largest_first = [seconds[c] + overhead_s for c in sorted(codes, key=lambda c: (-sizes.get(c, 0.0), c))]
    total, big = sum(by_code), max(by_code, default=0.0)
    rows = []
    for k in workers:
        a, b = makespan(by_code, k), makespan(largest_first, k)
        rows.append([f"{k}", _t(a), f"{total / a:.2f}×", _t(b), f"{total / b:.2f}×", _t(max(total / k, big)),
                     "largest partition" if big >= total / k else "total / workers"])
    return rows


def _t(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


SCHEDULE_HEADER = ["workers", "code order", "speed-up", "largest first", "speed-up", "lower bound", "bound by"]


@dataclass
class Paper:
    """The national estimate with real OSM walk networks, from this run's measurements."""

    text: str
    rows: list[list[str]]


def paper_estimate(facts: dict[str, float], real: list[RealRow], fixed_s: float, grid_us: float,
                   runs: list[Run], plan: pd.DataFrame, peaks: dict[str, float]) -> Paper:
    need = ("delft_centre_walk_nodes", "delft_car_nodes_in_centre", "delft_car_nodes")
    if not all(k in facts for k in need) or not real or not np.isfinite(fixed_s):
        return Paper("The Delft networks or the synthetic loop were not run: no estimate.", [])
    lines: list[str] = []
    walk_per_car = facts["delft_centre_walk_nodes"] / facts["delft_car_nodes_in_centre"]
    delft_walk = walk_per_car * facts["delft_car_nodes"]
    per_inh = delft_walk / facts["delft_inhabitants"]
    everyone = national_plan(1)
    n_nl = per_inh * float(everyone.a_inw.sum())
    lines.append(
        f"- **Nodes.** The Delft centre walk graph has {facts['delft_centre_walk_nodes']:,.0f} nodes where the Delft "
        f"car graph has {facts['delft_car_nodes_in_centre']:,.0f} (the walk graph's convex hull, "
        f"{facts['delft_centre_hull_km2']:.2f} km²): {walk_per_car:.2f} walk nodes per car node. The "
        f"whole-municipality car graph ({facts['delft_car_nodes']:,.0f} nodes) → ≈ {delft_walk:,.0f} walk nodes for "
        f"Delft, {per_inh:.3f} per inhabitant ({facts['delft_inhabitants']:,.0f}); × {everyone.a_inw.sum():,.0f} "
        f"inhabitants → **≈ {n_nl / 1e6:.1f} M nodes** for the country.")
    # Per-node cost on a real network: the largest real partition, less the fixed cost per partition.
    big = max(real, key=lambda r: r.n_nodes)
    real_us = (big.median_s - fixed_s) / big.n_nodes * 1e6
    us = max(real_us, grid_us)
    seconds = {str(r.code): fixed_s + us * 1e-6 * per_inh * float(r.a_inw) for r in everyone.itertuples()}
    cpu = sum(seconds.values())
    overhead = dask_overhead(runs)
    lines.append(
        f"- **Time.** {fixed_s:.2f} s per partition (the intercept of the synthetic fit) + {us:.1f} µs per node (the "
        f"larger of the grid fit, {grid_us:.1f}, and {big.label}, {real_us:.1f} above the fixed cost) → "
        f"{_t(cpu)} of computing for 342 partitions and {n_nl / 1e6:.1f} M nodes, "
        f"{342 * fixed_s / cpu:.0%} of it the fixed cost. Dask adds {overhead * 1e3:.0f} ms per task (1 worker: wall "
        "less Σ task). The table schedules these partition times on K workers.")
    ams = everyone.loc[everyone.code == "GM0363"].iloc[0]
    ams_nodes = per_inh * float(ams.a_inw)
    kb_node = max([v * 1024 / float(plan.set_index("code").n_nodes[c]) for c, v in peaks.items()]
                  + [r.peak_mb * 1024 / r.n_nodes for r in real if r.peak_mb and r.n_nodes > 10_000], default=math.nan)
    idle = max((x for r in runs for x in r.idle_mb), default=math.nan)
    lines.append(
        f"- **Memory.** The largest partition, Amsterdam ({float(ams.a_inw):,.0f} inhabitants): ≈ {ams_nodes:,.0f} "
        f"walk nodes → {seconds['GM0363']:.0f} s alone; at {kb_node:.1f} kB per node (the largest measured "
        f"partitions' peak RSS growth per node) ≈ {ams_nodes * kb_node / 1024:,.0f} MB above a worker's "
        f"{idle:,.0f} MB at rest: **≈ {(ams_nodes * kb_node / 1024 + idle) / 1024:.1f} GB per worker** is the bound "
        "(a worker holds one partition at a time).")
    rows = schedule_rows(seconds, dict(zip(everyone.code, everyone.a_inw.astype(float), strict=True)), overhead,
                         PAPER_WORKERS)
    return Paper("\n".join(lines), rows)


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    with contextlib.suppress(OSError, StopIteration):
        mem = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                       if ln.startswith("MemTotal")).split()[1])
    dask_v = importlib.import_module("dask").__version__
    return (f"{os.cpu_count()} CPUs (`nproc`), {cpu}, {mem / 2**20:.0f} GB RAM; Python {platform.python_version()}, "
            f"numpy {np.__version__}, scipy {scipy.__version__}, pandas {pd.__version__}, "
            f"geopandas {gpd.__version__}, dask/distributed {dask_v}")


def idle_share(seconds: float = 10.0) -> float:
    """The share of all CPUs' time that was idle over ``seconds`` (``/proc/stat``)."""
    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields[:8])  # idle + iowait, all but guest time

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(total1 - total0, 1)


def wait_idle(minutes: float, share: float = 0.85) -> str:
    """Wait until the CPUs were ≥ ``share`` idle in two 10-second samples in a row, at most ``minutes``."""
    deadline, calm = time.monotonic() + 60 * minutes, 0
    while time.monotonic() < deadline:
        idle = idle_share()
        calm = calm + 1 if idle >= share else 0
        print(f"  waiting for idle CPUs: {idle:.0%} idle", flush=True)
        if calm >= 2:
            return f" The CPUs were ≥ {share:.0%} idle before the runs (`--wait-idle`)."
    return f" The CPUs did not become idle within {minutes:g} minutes (`--wait-idle`): other jobs ran."


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help=f"every {QUICK_EVERY}th municipality, {QUICK_TOTAL_NODES:,} nodes; real networks once")
    p.add_argument("--total-nodes", type=int, help=f"nodes of the synthetic run (default {TOTAL_NODES:,})")
    p.add_argument("--every", type=int, help="take every n-th municipality by code (default 1: all 342)")
    p.add_argument("--repeat", type=int, help="runs of each real-network partition (default 3; --quick 1)")
    p.add_argument("--runs", default=",".join(["loop", *(str(w) for w in DASK_WORKERS)]),
                   help="the national runs, in this order: 'loop' and Dask worker counts (default loop,1,2)")
    p.add_argument("--rounds", type=int, default=1,
                   help="repeat the national runs this many times, each round in --runs order (default 1)")
    p.add_argument("--wait-idle", type=float, default=0.0, metavar="MIN",
                   help="first wait up to MIN minutes until the CPUs are idle (other jobs on a shared machine)")
    p.add_argument("--no-real", action="store_true", help="skip the real networks")
    p.add_argument("--no-synthetic", action="store_true", help="skip the synthetic national run")
    p.add_argument("--shared", help="the shared open data (default ../shared/data)")
    p.add_argument("--out", default=str(ROOT / "bench" / "results_batch.md"), help="markdown file to write")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    total = args.total_nodes or (QUICK_TOTAL_NODES if args.quick else TOTAL_NODES)
    every = args.every or (QUICK_EVERY if args.quick else 1)
    repeat = args.repeat or (1 if args.quick else 3)
    order = [w.strip() for w in args.runs.split(",") if w.strip()]
    if any(w != "loop" and not (w.isdigit() and int(w) > 0) for w in order):
        print(f"--runs: expected 'loop' and worker counts such as 1,2; found {args.runs!r}.", file=sys.stderr)
        return 2
    idle_note = wait_idle(args.wait_idle) if args.wait_idle > 0 else ""
    started = time.perf_counter()
    load_start = _load()
    plan = national_plan(total, every)
    specs = synthetic_specs(plan)
    runs: list[Run] = []
    if not args.no_synthetic:
        print(f"Synthetic national run: {len(specs)} partitions, {int(plan.n_nodes.sum()):,} nodes.", flush=True)
        for rnd in range(1, args.rounds + 1):
            for what in order:
                print(f"  round {rnd}: {what} …", flush=True)
                runs.append(run_loop(specs) if what == "loop" else run_dask(specs, int(what)))
                runs[-1].round = rnd
                print(f"  round {rnd}: {runs[-1].label}: {runs[-1].wall_s:.1f} s", flush=True)
        runs.sort(key=lambda r: (r.workers, r.round))  # loop, 1 worker, 2 workers whatever the order run
    peaks: dict[str, float] = {}
    if runs:
        print(f"  memory of the {N_LARGEST} largest partitions, one at a time …", flush=True)
        peaks = partition_memory(plan, N_LARGEST)
    real: list[RealRow] = []
    facts: dict[str, float] = {}
    if not args.no_real:
        print("Real networks as partitions …", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench_batch_") as work:
            real, facts = bench_real(shared_dir(args.shared), repeat, Path(work))

    loop_s = task_seconds(runs, 0)
    fixed_s, grid_us, r2 = cost_fit(plan, loop_s) if loop_s else (math.nan, math.nan, math.nan)
    paper = paper_estimate(facts, real, fixed_s, grid_us, runs, plan, peaks)
    wall = time.perf_counter() - started
    cmd = "python -m bench.bench_batch" + (" " + " ".join(sys.argv[1:]) if argv is None and sys.argv[1:] else "")
    parts = [
        "# Batch benchmark results",
        (f"Command: `{cmd}` · run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} · total {wall:.0f} s wall · "
         f"load average (1/5/15 min) at start {load_start}, at end {_load()}.{idle_note}"
         f" National runs in the order {', '.join(order)}."),
        f"Machine: {machine()}.",
        (f"Settings: walking at a child's speed ({SETTINGS.speed_kmh:g} km/h), bands {SETTINGS.bands_min} min, "
         f"buffer {SETTINGS.buffer_m:,.0f} m; `pool=None`; {len(INHABITANTS_PER)} facility types. Times are wall "
         "seconds (`time.perf_counter`); the national run was run {args.rounds}× per configuration "
         f"({'once' if args.rounds == 1 else 'in rounds, each configuration once per round'}), the real networks "
         f"{repeat}× (median)."),
    ]
    if runs:
        parts += [
            "## Synthetic national run\n\n" + plan_table(plan),
            "### Runs\n\n" + runs_table(runs),
            "### Summary over the rounds\n\n" + summary_table(runs),
            ("### Largest partitions (seconds: median over the rounds)\n\n"
             + largest_table(plan, runs, peaks, N_LARGEST)),
        ]
        if loop_s:
            parts.append("### Cost per partition (least squares over the loop's partitions, median over the rounds)"
                         f"\n\nseconds ≈ {fixed_s:.3f} + {grid_us:.2f} µs × nodes (R² = {r2:.3f}).")
            overhead = dask_overhead(runs)
            secs = loop_s
            sizes = dict(zip(plan.code, plan.n_nodes.astype(float), strict=True))
            parts.append(
                "### The loop's partition times scheduled on K workers (simulated)\n\n"
                f"Each partition takes its time in the loop + {overhead * 1e3:.0f} ms Dask cost per task (the 1-worker "
                "run's wall time less its Σ task s, per task); the worker that is free first takes the next one.\n\n"
                + table(SCHEDULE_HEADER, schedule_rows(secs, sizes, overhead, PAPER_WORKERS)))
    if real:
        parts.append("## Real networks as partitions\n\n" + real_table(real, fixed_s))
    if paper.rows:
        parts.append("## On paper: a national run with real OSM walk networks\n\n" + paper.text + "\n\n"
                     + table(SCHEDULE_HEADER, paper.rows))
    parts.append("See `bench/README.md` for what each column means.")
    report = "\n\n".join(parts) + "\n"
    print("\n" + report)
    out = Path(args.out)
    out.write_text(report, encoding="utf-8")
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    # Run the importable module's main: the partitions' load functions then pickle by reference
    # (bench.bench_batch.load_synthetic), not by value as functions of __main__ would.
    raise SystemExit(importlib.import_module("bench.bench_batch").main())
