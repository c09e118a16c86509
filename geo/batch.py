"""Every municipality at once: the app's pipeline per municipality, one Dask task each.

``python -m geo batch --gemeenten all|GM0344,GM0503,… --out national.parquet [--workers N | --scheduler URL]``

A *partition* is one municipality **plus a buffer**: the facilities (and the street network) within the longest
travel band outside its border take part, because children cross municipal borders. Every distance the batch
reports is *censored* at that band (:attr:`BatchSettings.buffer_m`): a facility farther than the buffer cannot be
nearer than one inside it, and a path no longer than the buffer stays inside it, so every figure up to the band
is exactly what a single run on the union of all municipalities gives, and every figure beyond it reads "beyond
the band" in both. The ranking is normalised within the municipality (as a council ranks); a national ranking
over the written file is :func:`geo.decide.ranking` with ``normalisation="national"``.

Each partition is computed by :func:`run_partition` from a small picklable description: the task loads its own
data (a dataset folder, the national base layer, or a generator for benchmarks), so nothing large travels
between processes except the shared facility pool (scattered once). Results do not depend on the number of
workers: each partition is computed alone, and rows are written sorted by code.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema, units
from geo.catalog import DEFAULT_PRESET
from geo.data import files, national
from geo.data.networks import find_network
from geo.data.paths import DATA_DIR, NETWORKS_DIR
from geo.decide import schools
from geo.decide.access import AccessEngine, NetworkEngine, StraightLineEngine
from geo.decide.pipeline import PipelineResult, prepare, rank
from geo.decide.ranking import RankingParams
from geo.errors import ParameterError, PlanningError
from geo.network.graph import Network

#: Per point-measured facility type: True where the nearest one is beyond the longest band (distance = the band).
CENSORED_PREFIX = "beyond_band_"
#: Extra network kept around a partition's buffer (metres): longer than almost every street segment.
NETWORK_MARGIN_M = 1_000.0


@dataclass(frozen=True)
class BatchSettings:
    """What every partition computes with (one object for the whole run)."""

    mode: str = "walk"
    traveller: str = "child"
    bands_min: tuple[float, ...] = units.DEFAULT_BANDS_MIN
    preset: str = DEFAULT_PRESET
    school_minutes: float = schools.DEFAULT_MINUTES

    def __post_init__(self) -> None:
        units.default_speed_kmh(self.mode, self.traveller)
        if not self.bands_min or any(not b > 0 for b in self.bands_min):
            raise ParameterError(f"Travel bands must be positive minutes; found {self.bands_min!r}.")
        if self.school_minutes > max(self.bands_min):
            raise ParameterError("The school band must not exceed the longest travel band (the buffer).")

    @property
    def speed_kmh(self) -> float:
        return units.default_speed_kmh(self.mode, self.traveller)

    @property
    def buffer_m(self) -> float:
        """How far outside its border a partition looks: the longest band at the travel speed, metres."""
        return float(units.metres(max(self.bands_min), self.speed_kmh))

    def params(self) -> RankingParams:
        return RankingParams.from_preset(self.preset)


@dataclass(frozen=True, eq=False)
class PartitionInput:
    """What a partition's task works on: the municipality's dataset and, optionally, its street network."""

    dataset: files.Dataset
    network: Network | None = None


@dataclass(frozen=True)
class PartitionSpec:
    """A municipality to compute: its code and name, and a picklable function that loads its data."""

    code: str
    name: str
    load: Callable[[], PartitionInput]
    #: "dataset" (a full data/ folder), "base_layer" (the national files) or "synthetic".
    kind: str = "dataset"


@dataclass(frozen=True, eq=False)
class PartitionResult:
    """One municipality's rows: buurten (with geometry) and school branches."""

    code: str
    buurten: gpd.GeoDataFrame
    schools: pd.DataFrame
    seconds: float
    n_nodes: int = 0
    n_facilities: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class BatchResult:
    """All partitions that succeeded, and the ones that failed (code → message)."""

    results: tuple[PartitionResult, ...]
    failures: dict[str, str] = field(default_factory=dict)
    wall_seconds: float = 0.0
    workers: int = 1

    def buurten(self) -> gpd.GeoDataFrame:
        frames = [r.buurten for r in sorted(self.results, key=lambda r: r.code)]
        if not frames:
            return gpd.GeoDataFrame(geometry=[], crs=schema.WORK_CRS)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=schema.WORK_CRS)

    def schools(self) -> pd.DataFrame:
        frames = [r.schools for r in sorted(self.results, key=lambda r: r.code) if not r.schools.empty]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --------------------------------------------------------------------------- what to compute


def load_real(code: str, data_dir: str | None, network_dir: str, mode: str) -> PartitionInput:
    """A municipality's fullest data: its folder in ``data/`` (with its network if built), else the base layer."""
    if data_dir is not None:
        dataset = files.load_dataset(data_dir)
        path = find_network(dataset, mode, network_dir)
        return PartitionInput(dataset, Network.load(path) if path is not None else None)
    return PartitionInput(national.load_base_dataset(code))


def plan_partitions(
    codes: str | Iterable[str],
    *,
    data_dir: str | Path = DATA_DIR,
    network_dir: str | Path = NETWORKS_DIR,
    mode: str = "walk",
) -> list[PartitionSpec]:
    """The partitions of ``codes`` (``"all"``: every municipality of the base layer), sorted by code.

    A municipality with a dataset folder in ``data_dir`` is computed from it (and its network); every other one
    from the national base layer.
    """
    table = national.municipalities()
    if isinstance(codes, str) and codes.strip().lower() == "all":
        wanted = list(table["code"])
    else:
        parts = codes.split(",") if isinstance(codes, str) else list(codes)
        wanted = [national.resolve_municipality(c.strip())[0] for c in parts if str(c).strip()]
        if not wanted:
            raise ParameterError("--gemeenten: expected 'all' or municipality codes such as GM0344,GM0503.")
    names = dict(zip(table["code"], table["name"], strict=True))
    specs = []
    for code in sorted(set(wanted)):
        folder = national.find_dataset_dir(code, data_dir)
        load = partial(load_real, code, str(folder) if folder else None, str(network_dir), mode)
        specs.append(PartitionSpec(code, names.get(code, code), load, "dataset" if folder else "base_layer"))
    return specs


def facility_pool(data_dir: str | Path = DATA_DIR) -> gpd.GeoDataFrame:
    """Every facility the country's partitions can reach: the national DUO schools and the facilities of every
    full dataset in ``data_dir`` (a dataset's own record wins over the base layer's for the same id)."""
    frames = []
    root = Path(data_dir)
    for meta in sorted(root.glob(f"*/{files.DATASET_META}")) if root.is_dir() else []:
        if (meta.parent / files.DATASET_FILE).is_file():
            frames.append(files.load_dataset(meta.parent).facilities)
    frames.append(national.national_schools())
    cols = [schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME, schema.FACILITY_CAPACITY,
            schema.LOCATION_PRECISION, "geometry"]
    pool = pd.concat([f[[c for c in cols if c in f.columns]] for f in frames], ignore_index=True)
    pool = pool.drop_duplicates(schema.FACILITY_ID, keep="first")
    pool = gpd.GeoDataFrame(pool, geometry="geometry", crs=schema.WORK_CRS)
    return pool.sort_values(schema.FACILITY_ID, kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- one partition


def _area(buurten: gpd.GeoDataFrame) -> shapely.Geometry | None:
    geom = buurten.geometry
    drawn = geom[geom.notna() & ~geom.is_empty]
    return shapely.union_all(drawn.to_numpy()) if len(drawn) else None


def run_partition(
    spec: PartitionSpec, settings: BatchSettings, pool: gpd.GeoDataFrame | None = None
) -> PartitionResult:
    """The pipeline for one municipality plus its buffer (see the module docstring)."""
    t0 = time.perf_counter()
    data = spec.load()
    ds = data.dataset
    area = _area(ds.buurten)
    buffer_m = settings.buffer_m
    region = area.buffer(buffer_m) if area is not None else None
    # The network keeps a margin beyond the buffer so that a facility near the buffer's edge snaps to the same
    # street segment as in a run on the whole country.
    net_region = area.buffer(buffer_m + NETWORK_MARGIN_M) if area is not None else None
    facilities = ds.facilities
    if pool is not None and region is not None:
        inside = pool.geometry.within(region).to_numpy()
        outside_own = ~pool[schema.FACILITY_ID].isin(set(ds.facilities[schema.FACILITY_ID])).to_numpy()
        extra = pool.loc[inside & outside_own]
        facilities = gpd.GeoDataFrame(pd.concat([ds.facilities, extra], ignore_index=True), crs=schema.WORK_CRS)
    engine: AccessEngine = StraightLineEngine()
    n_nodes = 0
    notes: list[str] = []
    if data.network is not None:
        net = data.network
        if net_region is not None:
            shapely.prepare(net_region)
            net = net.subset(shapely.contains_xy(net_region, net.x, net.y))
        n_nodes = net.n_nodes
        engine = NetworkEngine(net, speed_kmh=settings.speed_kmh)
        approx = net.meta.get("approximation")
        if isinstance(approx, dict) and "en" in approx:
            notes.append(str(approx["en"]))
    dataset = files.Dataset(buurten=ds.buurten, facilities=facilities, meta=ds.meta, directory=ds.directory)
    result = rank(prepare(dataset, engine=engine), settings.params())
    pool_types = frozenset(pool[schema.FACILITY_TYPE]) if pool is not None else frozenset()
    buurten = _censored_buurten(result, buffer_m, pool_types, engine)
    own_schools = schools.school_facilities(ds.facilities)
    school_rows = pd.DataFrame()
    if len(own_schools):
        reach_settings = schools.ReachSettings(minutes=settings.school_minutes, bands=settings.bands_min)
        branches = schools.school_branches(own_schools, scores=national.school_scores(),
                                           history=national.pupil_history())
        reach = schools.domain_reach(branches, facilities, ds.buurten, engine=engine, settings=reach_settings)
        beyond = reach[schools.REACH_DIST] > buffer_m
        reach.loc[beyond, [schools.REACH_DIST, schools.REACH_TIME]] = np.nan
        reach.loc[beyond, [schools.REACH_NEAREST_ID, schools.REACH_NEAREST_NAME, schools.REACH_NEAREST_TYPE]] = None
        branches = branches.join(schools.gap_scores(branches, reach))
        wide = schools.reach_wide(reach, reach_settings).reindex(branches.index)
        school_rows = pd.DataFrame(branches.drop(columns="geometry")).join(wide)
        school_rows.insert(0, schema.MUNICIPALITY_CODE, spec.code)
        school_rows = school_rows[[schema.MUNICIPALITY_CODE, *schools.csv_columns(school_rows)]]
        school_rows = school_rows.sort_values(schema.SCHOOL_CODE, kind="mergesort").reset_index(drop=True)
    return PartitionResult(code=spec.code, buurten=buurten, schools=school_rows,
                           seconds=time.perf_counter() - t0, n_nodes=n_nodes, n_facilities=len(facilities),
                           notes=tuple(notes))


def _censored_buurten(
    result: PipelineResult, buffer_m: float, pool_types: frozenset[str], engine: AccessEngine
) -> gpd.GeoDataFrame:
    """The ranking table's rows with point-based distances beyond the buffer read as 'beyond the band'.

    A type the country's pool has but the partition's buffer does not is beyond the band everywhere (not "no
    data": there are such facilities, none within reach).
    """
    t = result.table.copy()
    for key, measure in result.prepared.access.measures.items():
        col = schema.dist_col(key)
        if measure.method == schema.NO_DATA and key in pool_types:
            t[col] = np.inf
            t[schema.method_col(key)] = engine.name
        elif measure.method not in (schema.NETWORK, schema.STRAIGHT_LINE):
            continue
        beyond = ~(t[col] <= buffer_m) & t[col].notna()
        t[f"{CENSORED_PREFIX}{key}"] = beyond
        t.loc[beyond, col] = buffer_m
        tcol = schema.time_col(key)
        if engine.routes_over_network and engine.speed_kmh:
            if tcol not in t.columns:
                t[tcol] = np.nan
            t.loc[beyond, tcol] = units.minutes(buffer_m, engine.speed_kmh)
    keep = [c for c in schema.BUURT_ID_COLUMNS if c in t.columns]
    rest = [c for c in t.columns if c not in keep and c != "geometry"]
    out = gpd.GeoDataFrame(t[keep + rest], geometry=t.geometry.to_numpy(), crs=schema.WORK_CRS)
    return out.sort_values(schema.BUURT_CODE, kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- many partitions


def _safe_run(spec: PartitionSpec, settings: BatchSettings, pool: gpd.GeoDataFrame | None) -> PartitionResult:
    return run_partition(spec, settings, pool)


def run_batch(
    specs: Sequence[PartitionSpec],
    settings: BatchSettings = BatchSettings(),
    *,
    pool: gpd.GeoDataFrame | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    memory_limit: str | None = None,
    retries: int = 1,
    progress: Callable[[str], None] | None = print,
    local: bool = False,
) -> BatchResult:
    """Run every partition as one Dask task (``local=True``: a plain loop in this process, the baseline).

    ``scheduler`` (``tcp://host:port``) uses an existing Dask cluster; otherwise a ``LocalCluster`` of ``workers``
    processes (default 2) with one thread each and ``memory_limit`` per worker is started and closed. A partition
    that raises is retried ``retries`` times and then reported in :attr:`BatchResult.failures`; the others are kept.
    """
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    done: list[PartitionResult] = []
    failures: dict[str, str] = {}
    n = len(specs)
    if local:
        for k, spec in enumerate(specs, start=1):
            for attempt in range(retries + 1):
                try:
                    done.append(run_partition(spec, settings, pool))
                    say(_line(k, n, spec, done[-1]))
                    break
                except Exception as exc:  # a failed municipality must not stop the others
                    if attempt == retries:
                        failures[spec.code] = _message(exc)
                        say(f"[{k}/{n}] {spec.code} {spec.name}: FAILED – {failures[spec.code]}")
        return BatchResult(tuple(done), failures, time.perf_counter() - t0, 1)

    # Dask is imported only for a distributed run (it takes a second to import, and the app never needs it).
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        # Worker logs are silenced: a failing municipality is reported once, below, not as a worker traceback.
        cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                               memory_limit=memory_limit or "auto", dashboard_address=_dashboard(),
                               silence_logs=logging.CRITICAL)
        client = Client(cluster)
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or (workers or 1)
        link = client.dashboard_link if _dashboard() else None
        say(f"Dask: {n_workers} workers" + (f", dashboard {link}" if link else "") + f"; {n} municipalities.")
        pool_ref = client.scatter(pool, broadcast=True) if pool is not None else None
        futures = {}
        for spec in specs:
            fut = client.submit(_safe_run, spec, settings, pool_ref, key=f"partition-{spec.code}",
                                retries=retries, pure=False)
            futures[fut] = spec
        for k, fut in enumerate(as_completed(futures), start=1):
            spec = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # reported, the others go on
                failures[spec.code] = _message(exc)
                say(f"[{k}/{n}] {spec.code} {spec.name}: FAILED after {retries + 1} tries – {failures[spec.code]}")
                continue
            done.append(res)
            say(_line(k, n, spec, res))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    done.sort(key=lambda r: r.code)
    return BatchResult(tuple(done), failures, time.perf_counter() - t0, n_workers)


def _dashboard() -> str | None:
    """The dashboard address when bokeh (the dashboard's dependency) is installed, else none."""
    try:
        import bokeh  # noqa: F401  (optional: only to decide whether to start the dashboard)
    except ImportError:
        return None
    return ":0"


def _line(k: int, n: int, spec: PartitionSpec, res: PartitionResult) -> str:
    net = f", network {res.n_nodes:,} nodes" if res.n_nodes else ""
    return (f"[{k}/{n}] {spec.code} {spec.name}: {len(res.buurten)} buurten, {len(res.schools)} schools"
            f"{net}, {res.seconds:.1f} s")


def _message(exc: BaseException) -> str:
    if isinstance(exc, PlanningError):
        return str(exc)
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:300]


# --------------------------------------------------------------------------- writing


def write_batch(result: BatchResult, out: str | Path) -> dict[str, Path]:
    """GeoParquet of the buurten partitioned by municipality (``out/municipality_code=GM…/part-0.parquet``),
    the same rows as a national CSV (``<out>.csv``, without geometry), and the school branches (``<out>
    _schools.csv``). Existing partitions of the municipalities written are replaced."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for res in sorted(result.results, key=lambda r: r.code):
        part = root / f"{schema.MUNICIPALITY_CODE}={res.code}"
        part.mkdir(exist_ok=True)
        frame = res.buurten.drop(columns=[schema.MUNICIPALITY_CODE], errors="ignore")
        frame.to_parquet(part / "part-0.parquet", index=False, compression="zstd")
    buurten = result.buurten()
    csv_path = root.with_name(root.stem + ".csv") if root.suffix else root.with_suffix(".csv")
    pd.DataFrame(buurten.drop(columns="geometry", errors="ignore")).to_csv(
        csv_path, index=False, encoding="utf-8", lineterminator="\n")
    written["parquet"] = root
    written["csv"] = csv_path
    school_path = csv_path.with_name(csv_path.stem + "_schools.csv")
    result.schools().to_csv(school_path, index=False, encoding="utf-8", lineterminator="\n")
    written["schools_csv"] = school_path
    return written


def read_batch(out: str | Path) -> gpd.GeoDataFrame:
    """The buurten of a written batch (all partitions, sorted by buurt code), with ``municipality_code``."""
    root = Path(out)
    frames = []
    for part in sorted(root.glob(f"{schema.MUNICIPALITY_CODE}=*")):
        f = gpd.read_parquet(part / "part-0.parquet")
        f[schema.MUNICIPALITY_CODE] = part.name.split("=", 1)[1]
        frames.append(f)
    if not frames:
        raise files.DataFileError(f"'{root}': no partitions ({schema.MUNICIPALITY_CODE}=GM…) found.")
    out_frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=schema.WORK_CRS)
    return out_frame.sort_values(schema.BUURT_CODE, kind="mergesort").reset_index(drop=True)
