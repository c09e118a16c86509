"""Fetch a whole dataset for any Dutch municipality from the official services.

``python -m geo fetch --gemeente GM0855 [--year 2023] [--out data/tilburg] [--no-network]`` asks,
through the one polite client (:mod:`geo.data.http`), for:

============================  =====================================================  ==============
layer                         source                                                 module
============================  =====================================================  ==============
buurt polygons                PDOK OGC API *CBS Wijken en Buurten <year>*            ``pdok``
kwb indicators                CBS Kerncijfers wijken en buurten (OData v4, v3)        ``cbs``
CBS road distances            CBS Nabijheid voorzieningen (OData v4, v3)             ``cbs``
primary schools + pupils      DUO open onderwijsdata, geocoded (PDOK Locatieserver)  ``duo``
day nurseries, BSO            LRK register, geocoded                                 ``lrk``
libraries, culture, sport …   OpenStreetMap via Overpass                             ``osm_facilities``
============================  =====================================================  ==============

and writes the dataset folder the app and ``rank`` read (``dataset.gpkg`` + ``dataset.json`` with
sources, years per indicator, licences and what is missing). A layer that fails after the client's
retries does not stop the fetch: the dataset is written with what was obtained, the missing layer
is named in ``dataset.json`` (``missing_layers``) and the exit code is :data:`EXIT_PARTIAL`.
Without buurt polygons there is no dataset (exit :data:`EXIT_FAILED`).

Every answer is cached (``data/cache``): running again is instant, works offline (``offline=True``)
and resumes a fetch that was stopped, because every finished request is already on disk. The
dataset itself is written to a temporary folder and moved into place when complete.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import cbs, duo, lrk, osm_facilities, pdok
from geo.data.files import write_dataset
from geo.data.geocode import Geocoder
from geo.data.http import Client
from geo.data.paths import DATA_DIR
from geo.errors import DownloadError, PlanningError

#: Exit codes of ``python -m geo fetch``.
EXIT_OK = 0
EXIT_FAILED = 2
#: The dataset was written, but one or more layers could not be fetched (named in dataset.json and printed).
EXIT_PARTIAL = 3

#: The layers of a fetch, in the order they are fetched.
LAYERS = ("buurten", "kwb", "nabijheid", "schools", "childcare", "osm")

#: ``progress(layer, message)``: one line per step, e.g. ``("kwb", "111 buurten, 32 indicators")``.
StepProgress = Callable[[str, str], None]


@dataclass
class FetchReport:
    """What a fetch obtained, what it could not, and where it wrote the dataset."""

    code: str
    name: str
    out_dir: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)
    missing_layers: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.out_dir is None:
            return EXIT_FAILED
        return EXIT_PARTIAL if self.missing_layers else EXIT_OK

    def lines(self) -> list[str]:
        """The report for a terminal: one line per layer, then the notes."""
        out = [f"{self.name} ({self.code})"]
        for layer in LAYERS:
            if layer in self.missing_layers:
                out.append(f"  {layer:<10} MISSING: {self.missing_layers[layer]}")
            elif layer in self.counts:
                out.append(f"  {layer:<10} {self.counts[layer]:,}")
        out += [f"  note: {n}" for n in self.notes]
        if self.out_dir is not None:
            out.append(f"written: {self.out_dir}" + (" (partial)" if self.missing_layers else ""))
        return out


def slug(name: str) -> str:
    """A folder name for a municipality: ``'s-Hertogenbosch`` → ``s-hertogenbosch``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "gemeente"


def fetch_dataset(
    gemeente: str,
    *,
    year: int | None = None,
    out_dir: str | Path | None = None,
    client: Client | None = None,
    municipalities: pd.DataFrame | None = None,
    progress: StepProgress | None = None,
) -> FetchReport:
    """Fetch every layer for ``gemeente`` (code ``GM0855``/``0855`` or a name) and write the dataset folder.

    ``municipalities`` (columns ``code``, ``name``) resolves names offline; by default CBS's own
    list is asked for. ``year`` is the newest kwb year to consider (default: the newest there is);
    older years fill indicators the newest release leaves empty.
    """
    client = client or Client()
    say = progress or (lambda layer, message: None)
    table = municipalities if municipalities is not None else cbs.municipalities(client)
    code, name = cbs.resolve_gemeente(gemeente, table)
    report = FetchReport(code=code, name=name)
    years = tuple(y for y in sorted(cbs.KWB_TABLES, reverse=True) if year is None or y <= year)
    sources: list[dict[str, Any]] = []

    # 1. buurten: without them there is no dataset.
    geometry_year = years[0] if years else None
    try:
        buurten, source = _buurten(client, code, years)
        buurten = buurten.set_index(buurten[schema.BUURT_CODE].astype(str).to_numpy())  # codes index, as loaded
        geometry_year = int(source.get("year", geometry_year or 0)) or geometry_year
        sources.append(source)
        report.counts["buurten"] = len(buurten)
        say("buurten", f"{len(buurten):,} buurten")
    except PlanningError as exc:
        report.missing_layers["buurten"] = str(exc)
        say("buurten", f"MISSING: {exc}")
        return report

    # 2–3. CBS figures, newest year per indicator.
    indicator_years: dict[str, int] = {}
    for layer, fetch in (("kwb", cbs.fetch_kwb), ("nabijheid", cbs.fetch_nabijheid)):
        try:
            result = fetch(client, code, years=years)
        except PlanningError as exc:
            report.missing_layers[layer] = str(exc)
            say(layer, f"MISSING: {exc}")
            continue
        frame = result.frame.drop(columns=[c for c in result.frame.columns if c in buurten.columns], errors="ignore")
        buurten = buurten.join(frame)
        indicator_years.update(result.years)
        sources.extend(result.sources)
        report.notes.extend(result.notes)
        report.counts[layer] = int(frame.notna().any(axis=1).sum())
        say(layer, f"{frame.shape[1]} columns for {report.counts[layer]:,} buurten")

    # 4–6. facilities: each layer on its own, so one failing source leaves the others.
    geocoder = Geocoder(client)
    area = buurten.geometry.union_all()
    parts: list[gpd.GeoDataFrame] = []
    fetchers: dict[str, Callable[[], tuple[gpd.GeoDataFrame, dict, list[str]]]] = {
        "schools": lambda: duo.fetch_schools(client, code, geocoder),
        "childcare": lambda: lrk.fetch_childcare(client, name, geocoder),
        "osm": lambda: osm_facilities.fetch_facilities(client, code, polygon=area),
    }
    for layer, fetch_layer in fetchers.items():
        try:
            frame, source, notes = fetch_layer()
        except PlanningError as exc:
            report.missing_layers[layer] = str(exc)
            say(layer, f"MISSING: {exc}")
            continue
        parts.append(frame)
        sources.append(source)
        report.notes.extend(notes)
        report.counts[layer] = len(frame)
        say(layer, f"{len(frame):,} locations")
    facilities = _facilities(parts)

    meta = _meta(report, buurten, facilities, sources, indicator_years, geometry_year, years)
    report.out_dir = _write_atomically(buurten, facilities, meta, Path(out_dir) if out_dir else DATA_DIR / slug(name))
    return report


def _buurten(client: Client, code: str, years: tuple[int, ...]) -> tuple[gpd.GeoDataFrame, dict]:
    """The newest PDOK buurt geometry of the years asked for that the service has."""
    last: PlanningError | None = None
    for year in years:
        try:
            return pdok.fetch_buurten(client, code, year)
        except DownloadError as exc:
            last = exc
    raise last or DownloadError(f"No buurt geometry year to ask PDOK for ({code}).")


def _facilities(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """All facility layers as one frame in the product's columns (an empty, typed frame when there are none)."""
    columns = [
        schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME, schema.FACILITY_CAPACITY,
        schema.FACILITY_ADDRESS, schema.FACILITY_POSTCODE, schema.FACILITY_DETAIL, schema.FACILITY_SOURCE,
        schema.LOCATION_PRECISION,
    ]
    kept = [p for p in parts if len(p)]
    if not kept:
        return gpd.GeoDataFrame({c: pd.Series(dtype="object") for c in columns}, geometry=[], crs=schema.WORK_CRS)
    frame = pd.concat([p.reset_index(drop=p.index.name != schema.FACILITY_ID) for p in kept], ignore_index=True)
    frame = frame.drop_duplicates(subset=schema.FACILITY_ID, keep="first")
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=schema.WORK_CRS)
    return out[[c for c in columns if c in out.columns] + ["geometry"]]


def _meta(
    report: FetchReport,
    buurten: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    sources: list[dict[str, Any]],
    indicator_years: dict[str, int],
    geometry_year: int | None,
    years: tuple[int, ...],
) -> dict[str, Any]:
    access = {}
    for key in FACILITY_TYPES:
        col = schema.cbs_dist_col(key)
        access[key] = {
            "cbs_buurten_with_value": int(buurten[col].notna().sum()) if col in buurten else 0,
            "points": int((facilities[schema.FACILITY_TYPE] == key).sum()) if len(facilities) else 0,
        }
    values = [c for c in buurten.columns if c not in (*schema.BUURT_ID_COLUMNS, "geometry")]
    missing = {c: int(buurten[c].isna().sum()) for c in values if buurten[c].isna().any()}
    return {
        "name": report.name,
        "municipality_code": report.code,
        "kind": "fetched",
        "fetched": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "statistics_year": max(indicator_years.values()) if indicator_years else (years[0] if years else None),
        "indicator_years": dict(sorted(indicator_years.items())),
        "geometry_year": geometry_year,
        "n_buurten": int(len(buurten)),
        "n_facilities": _type_counts(facilities),
        "access_sources": access,
        "missing_per_column": missing,
        "missing_layers": report.missing_layers,
        "build_notes": report.notes,
        "sources": sources,
    }


def _type_counts(facilities: gpd.GeoDataFrame) -> dict[str, int]:
    if not len(facilities):
        return {}
    return {str(k): int(v) for k, v in facilities[schema.FACILITY_TYPE].value_counts().sort_index().items()}


def _write_atomically(buurten: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, meta: dict, out: Path) -> Path:
    """Write the dataset next to ``out`` and swap it in: a stopped fetch never leaves half a dataset."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}-"))
    try:
        write_dataset(buurten.reset_index(drop=True), facilities, meta, tmp)
        old = out.with_name(f".{out.name}-old")
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
