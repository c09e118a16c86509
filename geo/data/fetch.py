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

Addresses (schools, childcare) are placed by :class:`geo.data.geocode.Geocoder`: the exact address,
else the postcode, else the centroid of the 4-digit postcode from ``pc4_table``, **which the caller
provides** (e.g. :func:`geo.data.geocode.load_pc4_table` of the national PC4 file); without it an
address the Locatieserver does not find is left out (named in the notes). When the Locatieserver
itself fails, the addresses after that are placed from the cache or on their PC4 centroid, and
``addresses`` is named in ``missing_layers`` (:data:`EXIT_PARTIAL`: run again when it is back).

Every answer is cached (``data/cache``): running again is instant, works offline (``offline=True``)
and resumes a fetch that was stopped, because every finished request is already on disk. "Not
there" answers (HTTP 404: a CBS table or PDOK year not published) are remembered too, so a rerun
asks nothing twice and an offline run skips them as the online one did. The dataset itself is
written to a temporary folder and moved into place when complete; a fetch replaces only a folder
that an earlier fetch wrote (or an empty one).
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import geopandas as gpd
import pandas as pd

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import cbs, duo, lrk, osm_facilities, pdok
from geo.data.build import slug
from geo.data.files import DATASET_FILE, DATASET_META, write_dataset
from geo.data.geocode import Geocoder
from geo.data.http import Client
from geo.data.paths import DATA_DIR
from geo.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_PARTIAL, DownloadError, ParameterError, PlanningError

#: Exit codes of ``python -m geo fetch`` (:mod:`geo.errors`): EXIT_PARTIAL = the dataset was written, but one or
#: more layers could not be fetched (named in dataset.json and printed); EXIT_FAILED = nothing written.
EXIT_FAILED = EXIT_BAD_INPUT

#: The layers of a fetch, in the order they are fetched. ``addresses`` is the geocoding of the schools and
#: the childcare locations (PDOK Locatieserver); it is named only when the Locatieserver failed.
LAYERS = ("buurten", "kwb", "nabijheid", "schools", "childcare", "addresses", "osm")

#: ``progress(layer, message)``: one line per step, e.g. ``("kwb", "111 buurten, 32 indicators")``.
StepProgress = Callable[[str, str], None]

#: How long (seconds) a remembered "not there" answer (HTTP 404) is trusted online; offline always.
ABSENT_TTL_S = 24 * 3600.0
#: The Overpass query's own time limit (seconds); the request waits a little longer than that for the answer.
OVERPASS_TIMEOUT_S = osm_facilities.DEFAULT_TIMEOUT_S
_OVERPASS_MARGIN_S = 30.0
#: What the geocoder is told after the Locatieserver failed: no hit, so it falls back to the PC4 centroid.
_NO_HIT = {"response": {"numFound": 0, "start": 0, "docs": []}}


@dataclass
class FetchReport:
    """What a fetch obtained, what it could not, and where it wrote the dataset."""

    code: str
    name: str
    out_dir: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)
    missing_layers: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: The client's request counts (``downloaded``, ``cached``, ``retries``); printed, not kept in dataset.json.
    requests: dict[str, int] = field(default_factory=dict)

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
        if self.requests:
            out.append(
                f"requests: {self.requests.get('downloaded', 0):,} downloaded, "
                f"{self.requests.get('cached', 0):,} from the cache, {self.requests.get('retries', 0):,} retries"
            )
        if self.out_dir is not None:
            out.append(f"written: {self.out_dir}" + (" (partial)" if self.missing_layers else ""))
        else:
            out.append("nothing written: without buurt polygons there is no dataset")
        return out


# --------------------------------------------------------------------------- the client of one fetch


def _is_absent(exc: DownloadError) -> bool:
    """The client's message for an answer the service does not have (HTTP 404)."""
    return "HTTP 404 " in str(exc)


@dataclass
class _FetchClient(Client):
    """The caller's client (same cache, settings and stats dict) that also remembers "not there" answers.

    An HTTP 404 is kept next to the cached answers as ``<key>.404`` (the message); it is answered from
    there offline always and online for :data:`ABSENT_TTL_S`, so a rerun or a resumed fetch does not ask
    again and ``offline`` skips a table or year exactly as the online run did. ``refresh`` ignores it.
    """

    @classmethod
    def of(cls, client: Client) -> Self:
        return cls(**{f.name: getattr(client, f.name) for f in dataclasses.fields(Client) if f.init})

    def absent_file(self, url: str, body: bytes | None = None) -> Path:
        return self.cache_file(url, body).with_suffix(".404")

    def get(
        self, url: str, *, what: str, data: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> bytes:
        marker = self.absent_file(url, data)
        if not self.refresh and not self.is_cached(url, data) and self._remembered(marker):
            self.stats["cached"] += 1
            raise DownloadError(marker.read_text(encoding="utf-8"))
        try:
            body = super().get(url, what=what, data=data, headers=headers)
        except DownloadError as exc:
            if _is_absent(exc) and not self.offline:
                _write_text(marker, str(exc))
            raise
        marker.unlink(missing_ok=True)
        return body

    def _remembered(self, marker: Path) -> bool:
        """A "not there" answer that still counts: offline always, online for :data:`ABSENT_TTL_S`."""
        return marker.is_file() and (self.offline or time.time() - marker.stat().st_mtime < ABSENT_TTL_S)


@dataclass
class _GeocoderClient(_FetchClient):
    """The client the geocoder asks the Locatieserver through: its first failure is kept in ``failure``, and from
    then on only cached answers are used; any other lookup gets "no hit", so the address falls back to PC4."""

    failure: str | None = None

    def get_json(self, url: str, *, what: str, data: bytes | None = None) -> Any:
        try:
            return super().get_json(url, what=what, data=data)
        except DownloadError as exc:
            if self.failure is None:
                self.failure = str(exc)
                self.offline = True
            return json.loads(json.dumps(_NO_HIT))


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- the fetch


def fetch_dataset(
    gemeente: str,
    *,
    year: int | None = None,
    out_dir: str | Path | None = None,
    client: Client | None = None,
    municipalities: pd.DataFrame | None = None,
    progress: StepProgress | None = None,
    pc4_table: pd.DataFrame | None = None,
) -> FetchReport:
    """Fetch every layer for ``gemeente`` (code ``GM0855``/``0855`` or a name) and write the dataset folder.

    ``municipalities`` (columns ``code``, ``name``) resolves names offline; by default CBS's own
    list is asked for (when CBS cannot give it, a code still works: the name is then PDOK's).
    ``year`` is the newest kwb year to consider (default: the newest there is); older years fill
    indicators the newest release leaves empty. ``pc4_table`` (PC4 → ``x``, ``y`` in EPSG:28992, from
    :func:`geo.data.geocode.load_pc4_table`) is the geocoder's last fallback; the caller provides it.
    ``out_dir`` (default ``data/<name>``) must be new, empty or a folder an earlier fetch wrote.

    Raises :class:`~geo.errors.ParameterError` for an unknown municipality or an ``out_dir`` that holds
    other files, and :class:`~geo.errors.DownloadError` when a name cannot be resolved because CBS's
    list cannot be had; a layer that fails is reported in the returned :class:`FetchReport` instead.
    """
    years = tuple(y for y in sorted(cbs.KWB_TABLES, reverse=True) if year is None or y <= year)
    if not years:
        raise ParameterError(f"No CBS kwb year up to {year}; known: {', '.join(map(str, sorted(cbs.KWB_TABLES)))}.")
    out = Path(out_dir) if out_dir else None
    if out is not None:
        _check_out_dir(out)  # before any request
    client = _FetchClient.of(client or Client())
    say = progress or (lambda layer, message: None)
    code, name, note = _resolve(gemeente, client, municipalities)
    report = FetchReport(code=code, name=name or code)
    if note:
        report.notes.append(note)
    say("gemeente", f"{report.name} ({code})")
    sources: list[dict[str, Any]] = []

    # 1. buurten: without them there is no dataset.
    try:
        buurten, source = _buurten(client, code, years)
    except PlanningError as exc:
        report.missing_layers["buurten"] = str(exc)
        report.requests = dict(client.stats)
        say("buurten", f"MISSING: {exc}")
        return report
    buurten.index = pd.Index(buurten[schema.BUURT_CODE].astype(str).to_numpy(dtype=object))  # codes, as loaded
    geometry_year = int(source.get("year") or years[0])
    if name is None:
        found = buurten[schema.MUNICIPALITY_NAME].dropna()
        report.name = str(found.iloc[0]) if len(found) else code
    if out is None:
        out = DATA_DIR / slug(report.name)
        _check_out_dir(out)
    sources.append(source)
    report.notes.extend(f"PDOK: {n}" for n in source.get("notes", []))
    report.counts["buurten"] = len(buurten)
    say("buurten", f"{len(buurten):,} buurten ({geometry_year})")

    # 2–3. CBS figures, newest year per indicator.
    indicator_years: dict[str, int] = {}
    for layer, fetch in (("kwb", cbs.fetch_kwb), ("nabijheid", cbs.fetch_nabijheid)):
        try:
            result = fetch(client, code, years=years)
        except PlanningError as exc:
            report.missing_layers[layer] = str(exc)
            say(layer, f"MISSING: {exc}")
            continue
        frame = result.frame.drop(columns=[c for c in result.frame.columns if c in buurten.columns])
        buurten = _joined(buurten, frame, f"CBS {layer}", geometry_year, report.notes)
        indicator_years.update(result.years)
        sources.extend(result.sources)
        report.notes.extend(result.notes)
        report.counts[layer] = int(buurten[list(frame.columns)].notna().any(axis=1).sum())
        say(layer, f"{frame.shape[1]} columns, values for {report.counts[layer]:,} buurten")

    # 4–6. facilities: each layer on its own, so one failing source leaves the others.
    addresses = _GeocoderClient.of(client)
    geocoder = Geocoder(addresses, pc4_table=pc4_table)
    overpass = _FetchClient.of(client)
    overpass.timeout_s = max(client.timeout_s, OVERPASS_TIMEOUT_S + _OVERPASS_MARGIN_S)  # it answers when done
    area = buurten.geometry.union_all()
    parts: list[gpd.GeoDataFrame] = []
    fetchers: dict[str, Callable[[], tuple[gpd.GeoDataFrame, dict, list[str]]]] = {
        "schools": lambda: duo.fetch_schools(client, code, geocoder),
        "childcare": lambda: lrk.fetch_childcare(client, report.name, geocoder),
        "osm": lambda: osm_facilities.fetch_facilities(overpass, code, polygon=area, timeout_s=OVERPASS_TIMEOUT_S),
    }
    for layer, fetch_layer in fetchers.items():
        try:
            frame, source, notes = fetch_layer()
        except PlanningError as exc:
            report.missing_layers[layer] = str(exc)
            say(layer, f"MISSING: {exc}")
        else:
            parts.append(frame)
            sources.append(source)
            report.notes.extend(notes)
            report.counts[layer] = len(frame)
            say(layer, f"{len(frame):,} locations")
        if layer == "childcare":
            _geocoding(addresses, geocoder, pc4_table is not None, report, say)
    facilities = _facilities(parts)

    report.requests = dict(client.stats)
    meta = _meta(report, buurten, facilities, sources, indicator_years, geometry_year, years)
    report.out_dir = _write_atomically(buurten, facilities, meta, out)
    say("dataset", f"written to {report.out_dir}")
    return report


def _resolve(
    gemeente: str, client: Client, table: pd.DataFrame | None
) -> tuple[str, str | None, str | None]:
    """(code, name or None when only PDOK will know it, a note) of the municipality asked for."""
    if table is not None:
        return (*cbs.resolve_gemeente(gemeente, table), None)
    try:
        table = cbs.municipalities(client)
    except DownloadError as exc:
        try:
            code = pdok.gemeente_code(gemeente)
        except ParameterError:
            raise DownloadError(
                f"Cannot look up the municipality '{gemeente}' by name: {exc} A CBS code (e.g. GM0855) needs no list."
            ) from None
        return code, None, f"the CBS list of municipalities could not be had ({exc}); {code} is used as given"
    return (*cbs.resolve_gemeente(gemeente, table), None)


def _buurten(client: Client, code: str, years: tuple[int, ...]) -> tuple[gpd.GeoDataFrame, dict]:
    """The newest PDOK buurt geometry of the years asked for that the service has.

    An older year is asked only when a newer one is not there (HTTP 404, no buurten; offline: not
    cached); any other failure (PDOK down, a broken answer) ends the search with that error.
    """
    skipped: list[str] = []
    for year in years:
        try:
            return pdok.fetch_buurten(client, code, year)
        except DownloadError as exc:
            if not (_is_absent(exc) or "has no buurten for" in str(exc) or client.offline):
                raise
            skipped.append(str(exc))
    raise DownloadError(
        f"PDOK CBS wijken en buurten: no buurt polygons of {code} for {', '.join(map(str, years))} "
        f"(the last answer: {skipped[-1] if skipped else 'none'})"
    )


def _joined(buurten: gpd.GeoDataFrame, frame: pd.DataFrame, what: str, year: int, notes: list[str]) -> gpd.GeoDataFrame:
    """``buurten`` with the columns of ``frame`` (indexed by buurt code); codes that do not match are noted."""
    frame = frame[~frame.index.duplicated(keep="first")]
    out = buurten.copy()
    for column in frame.columns:
        out[column] = frame[column].reindex(out.index).to_numpy()
    extra = sorted(set(frame.index) - set(out.index))
    if extra:
        notes.append(
            f"{what}: {len(extra)} buurt codes are not in the {year} buurt polygons and are left out "
            f"(changed boundaries?): {', '.join(extra[:5])}{' …' if len(extra) > 5 else ''}"
        )
    lacking = sorted(set(out.index) - set(frame.index))
    if lacking:
        notes.append(
            f"{what}: no row for {len(lacking)} of the {len(out)} buurten: "
            f"{', '.join(lacking[:5])}{' …' if len(lacking) > 5 else ''}"
        )
    return out


def _geocoding(
    addresses: _GeocoderClient, geocoder: Geocoder, has_pc4: bool, report: FetchReport, say: StepProgress
) -> None:
    """Report how the schools and childcare were placed; name ``addresses`` when the Locatieserver failed."""
    if not sum(geocoder.counts.values()) and addresses.failure is None:
        return
    summary = geocoder.summary()
    if not has_pc4:
        summary += " (no PC4 table was given, so an address the Locatieserver does not find is left out)"
    report.notes.append(f"geocoding: {summary}")
    if addresses.failure is not None:
        fallback = "their PC4 centroid" if has_pc4 else "nothing (no PC4 table)"
        report.missing_layers["addresses"] = (
            f"the PDOK Locatieserver failed: {addresses.failure} From then on addresses were placed from the cache "
            f"or on {fallback}: {summary}. Fetch again when the Locatieserver is back."
        )
        say("addresses", f"MISSING: {report.missing_layers['addresses']}")


def _facilities(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """All facility layers as one frame in the product's columns (an empty, typed frame when there are none)."""
    columns = [
        schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME, schema.FACILITY_CAPACITY,
        schema.FACILITY_ADDRESS, schema.FACILITY_POSTCODE, schema.FACILITY_DETAIL, schema.FACILITY_SOURCE,
        schema.LOCATION_PRECISION,
    ]
    kept = [p for p in parts if len(p)]
    if not kept:
        empty = {c: pd.Series(dtype="float64" if c == schema.FACILITY_CAPACITY else "object") for c in columns}
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=schema.WORK_CRS), crs=schema.WORK_CRS)
    # Each frame carries its ids in FACILITY_ID (and as its index): the index is dropped, never turned into a column.
    frame = pd.concat([p.reset_index(drop=True) for p in kept], ignore_index=True)
    frame = frame.drop_duplicates(subset=schema.FACILITY_ID, keep="first")
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=schema.WORK_CRS)
    out = out[[c for c in columns if c in out.columns] + ["geometry"]]
    out.index = pd.Index(out[schema.FACILITY_ID].to_numpy(dtype=object))
    return out


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


# --------------------------------------------------------------------------- the dataset folder


def _check_out_dir(out: Path) -> None:
    """A fetch replaces the whole folder: only a new or empty one, or one an earlier fetch wrote, is accepted."""
    if out.exists() and not out.is_dir():
        raise ParameterError(f"Cannot write the dataset to '{out}': expected a folder, found a file.")
    if not out.is_dir():
        return
    names = sorted(p.name for p in out.iterdir())
    other = [n for n in names if n not in (DATASET_FILE, DATASET_META)]
    kind = None
    if DATASET_META in names:
        try:
            kind = json.loads((out / DATASET_META).read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None
    if other or (names and kind != "fetched"):
        found = f"other files ({', '.join(other[:5])}{' …' if len(other) > 5 else ''})" if other else (
            "a dataset that was not fetched (e.g. the embedded default)"
        )
        raise ParameterError(
            f"Cannot write the dataset to '{out}': the folder is replaced as a whole, and it holds {found}. "
            "Expected a new or empty folder, or one an earlier fetch wrote; choose another output folder."
        )


def _write_atomically(buurten: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, meta: dict, out: Path) -> Path:
    """Write the dataset next to ``out`` and swap it in: a stopped fetch never leaves half a dataset.

    The dataset is written to ``.<name>.fetch-<random>`` beside ``out``; the folder it replaces is moved to
    ``.<name>.old`` for the swap. Such folders that a killed fetch left behind are removed after the swap.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    _check_out_dir(out)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.fetch-"))
    old = out.with_name(f".{out.name}.old")
    try:
        write_dataset(buurten.reset_index(drop=True), facilities.reset_index(drop=True), meta, tmp)
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.is_dir() and not out.exists():
            old.rename(out)  # the earlier dataset stays
        raise
    for leftover in (old, *out.parent.glob(f".{glob.escape(out.name)}.fetch-*")):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    return out
