"""Reading and writing files: CBS tables, buurt polygons, facility points, datasets.

Every loader validates what it reads, reports what it changed or dropped (a
:class:`LoadReport`), and returns data in the working CRS (EPSG:28992). Bad
input raises a :class:`~geo.errors.PlanningError` subclass whose message says
what was expected and what was found.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from geo import schema
from geo.errors import (
    CrsError,
    DataFileError,
    DuplicateCodeError,
    GeometryError,
    InvalidValueError,
    MissingColumnError,
)

#: Column names accepted (case-insensitive) for the buurt code, in order of preference.
BUURT_CODE_CANDIDATES = (
    "buurt_code", "bu_code", "buurtcode", "statcode", "gwb_code_10", "gwb_code", "code",
)
BUURT_NAME_CANDIDATES = ("buurt_name", "bu_naam", "buurtnaam", "statnaam", "regio", "naam", "name")

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".parquet", ".geoparquet"}
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls"}

_CODE_PATTERN = re.compile(r"^(BU|WK|GM)\d{4,8}$")
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


@dataclass
class LoadReport:
    """What a loader read, changed and dropped. Shown to the user, never hidden."""

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    #: Per column: number of values that were a CBS suppression marker or empty.
    suppressed: dict[str, int] = field(default_factory=dict)
    #: Reason -> identifiers of rows that were dropped.
    dropped: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, ids: list[str]) -> None:
        if ids:
            self.dropped.setdefault(reason, []).extend(ids)

    @property
    def n_dropped(self) -> int:
        return sum(len(v) for v in self.dropped.values())

    def summary(self) -> str:
        """One paragraph a user can read."""
        parts = [f"{self.source}: {self.rows_read} rows read, {self.rows_kept} kept"]
        for reason, ids in self.dropped.items():
            shown = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
            parts.append(f"dropped {len(ids)} ({reason}: {shown})")
        n_sup = sum(self.suppressed.values())
        if n_sup:
            parts.append(f"{n_sup} suppressed or empty values read as missing")
        parts.extend(self.notes)
        return "; ".join(parts) + "."


@dataclass
class Loaded:
    """A loaded frame and the report of how it was loaded."""

    frame: Any
    report: LoadReport


# --------------------------------------------------------------------------- helpers


def check_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise DataFileError(f"File not found: expected a file at '{p}', found nothing there.")
    if p.is_dir():
        raise DataFileError(f"Expected a file but '{p}' is a directory.")
    if p.stat().st_size == 0:
        raise DataFileError(f"File '{p.name}' is empty (0 bytes): expected a table or a map layer.")
    return p


def find_column(columns: pd.Index, candidates: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    for cand in candidates:
        if cand.lower() in lower:
            return lower[cand.lower()]
    return None


def _clean_cbs_values(frame: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Turn CBS suppression markers into NaN, count them, and make numbers numeric.

    A column becomes numeric only if every non-missing value parses as a number;
    otherwise it stays text, so codes such as ``0344`` keep their leading zeros.
    """
    out = {}
    markers = set(schema.CBS_MISSING_MARKERS)
    for col in frame.columns:
        s = frame[col].astype("string").str.strip()
        is_marker = s.isna() | s.isin(markers)
        s = s.mask(is_marker)
        non_missing = s.dropna()
        fixed = non_missing.where(
            ~non_missing.str.match(DECIMAL_COMMA), non_missing.str.replace(",", ".", regex=False)
        )
        num = pd.to_numeric(fixed, errors="coerce")
        if len(non_missing) and num.notna().all() and not _looks_like_code(non_missing):
            values = pd.Series(np.nan, index=s.index, dtype="float64")
            values.loc[num.index] = num.astype("float64")
            sentinel = values.isin(schema.CBS_MISSING_NUMBERS)
            values = values.mask(sentinel)
            n_missing = int(is_marker.sum() + sentinel.sum())
            out[col] = values
        elif not len(non_missing):
            # Entirely suppressed: a numeric column with nothing in it.
            out[col] = pd.Series(np.nan, index=s.index, dtype="float64")
            n_missing = int(is_marker.sum())
        else:
            out[col] = s.astype(object).where(s.notna(), None)
            n_missing = int(is_marker.sum())
        if n_missing:
            report.suppressed[str(col)] = n_missing
    return pd.DataFrame(out, index=frame.index)


def _looks_like_code(values: pd.Series) -> bool:
    """True for identifier-like text such as '0344' or '03' (leading zeros matter)."""
    return bool(values.str.match(r"^0\d+$").any())


def read_any_table(p: Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    suffix = p.suffix.lower()
    try:
        if suffix in {".xlsx", ".xls"}:
            return pd.read_excel(p, sheet_name=sheet if sheet is not None else 0, dtype=str)
        with open(p, "rb") as fh:
            head = fh.read(4096)
        if b"\x00" in head:
            raise DataFileError(f"'{p.name}' is not a text table: it contains binary data.")
        text_head = head.decode("utf-8-sig", errors="replace")
        first_line = text_head.splitlines()[0] if text_head.splitlines() else ""
        sep = ";" if first_line.count(";") > first_line.count(",") else ","
        try:
            return pd.read_csv(p, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except UnicodeDecodeError:
            return pd.read_csv(p, sep=sep, dtype=str, encoding="cp1252", keep_default_na=False)
    except DataFileError:
        raise
    except pd.errors.EmptyDataError:
        # pandas says "No columns to parse from file", which does not tell a user what is wrong.
        raise DataFileError(
            f"'{p.name}' has no header line: expected a table with column names and one row per item, "
            "found only blank lines."
        ) from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataFileError(f"Could not read '{p.name}' as a table ({suffix}): {exc}") from None


def _code_column(frame: pd.DataFrame, preferred: str | None, source: str) -> str:
    if preferred is not None:
        if preferred not in frame.columns:
            raise MissingColumnError(
                f"'{source}': expected a region code column '{preferred}'; found columns: {_list_cols(frame)}."
            )
        return preferred
    named = find_column(
        frame.columns, BUURT_CODE_CANDIDATES + ("Regioaanduiding/Codering (code)", "Codering_3", "WijkenEnBuurten")
    )
    if named is not None and frame[named].astype(str).str.strip().str.match(_CODE_PATTERN).any():
        return named
    for col in frame.columns:
        vals = frame[col].dropna().astype(str).str.strip()
        if len(vals) and vals.str.match(_CODE_PATTERN).mean() > 0.8:
            return col
    raise MissingColumnError(
        f"'{source}': expected a column with CBS region codes (e.g. 'gwb_code_10' with values like 'BU03440111'); "
        f"found none among: {_list_cols(frame)}."
    )


def _list_cols(frame: pd.DataFrame, limit: int = 12) -> str:
    cols = [str(c) for c in frame.columns]
    return ", ".join(cols[:limit]) + (f" … ({len(cols)} in all)" if len(cols) > limit else "")


def raise_duplicates(codes: pd.Series, what: str, source: str) -> None:
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        uniq = sorted(set(dup.astype(str)))
        shown = ", ".join(uniq[:5]) + (" …" if len(uniq) > 5 else "")
        raise DuplicateCodeError(
            f"{source}: expected each {what} once, found {len(uniq)} duplicated: {shown}."
        )


# --------------------------------------------------------------------------- CBS tables


def load_cbs_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    code_column: str | None = None,
    level: str = "buurt",
) -> Loaded:
    """Read a CBS table (kwb xlsx/csv, StatLine csv export) at one regional level.

    Parameters
    ----------
    path
        ``.xlsx``/``.xls`` or ``.csv`` (``;`` or ``,`` separated, UTF-8 or cp1252).
    sheet
        Sheet name or number for Excel files (default: the first sheet).
    code_column
        Column with CBS region codes; detected when not given.
    level
        ``"buurt"`` (codes ``BU…``), ``"wijk"`` (``WK…``) or ``"gemeente"`` (``GM…``).

    Returns
    -------
    Loaded
        ``frame`` indexed by region code (named ``buurt_code`` for buurten), every
        suppressed value (``.``, ``-99999999``, empty) as NaN and counted in
        ``report.suppressed``; rows of other levels are listed in ``report.dropped``.
    """
    p = check_file(path)
    raw = read_any_table(p, sheet=sheet)
    if raw.empty or raw.shape[1] == 0:
        raise DataFileError(f"'{p.name}' has no data rows: expected a CBS table with one row per region.")
    raw.columns = [str(c).strip() for c in raw.columns]
    report = LoadReport(source=p.name, rows_read=len(raw))
    col = _code_column(raw, code_column, p.name)
    codes = raw[col].astype(str).str.strip()
    prefix = {"buurt": "BU", "wijk": "WK", "gemeente": "GM"}.get(level)
    if prefix is None:
        raise ValueError(f"level must be 'buurt', 'wijk' or 'gemeente', not {level!r}")
    keep = codes.str.startswith(prefix)
    for other in sorted(set(codes[~keep].str[:2])):
        report.drop(
            f"not a {level} row (code starts with {other!r})", codes[~keep & codes.str.startswith(other)].tolist()
        )
    if not keep.any():
        raise DataFileError(
            f"'{p.name}': expected {level} rows (codes starting with {prefix}), found none "
            f"(codes look like: {', '.join(codes.head(3))})."
        )
    table = raw.loc[keep].copy()
    table[col] = codes[keep]
    raise_duplicates(table[col], f"{level} code", p.name)
    idx_name = schema.BUURT_CODE if level == "buurt" else f"{level}_code"
    table = table.set_index(col)
    table.index.name = idx_name
    cleaned = _clean_cbs_values(table, report)
    report.rows_kept = len(cleaned)
    return Loaded(cleaned, report)


# --------------------------------------------------------------------------- geometry


def read_vector(p: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    suffix = p.suffix.lower()
    try:
        if suffix in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if suffix == ".json" and b'"Topology"' in p.read_bytes()[-2000:]:
                return gpd.read_file(f"TopoJSON:{p}", layer=layer)
            return gpd.read_file(p, layer=layer)
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable input
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataFileError(f"Could not read '{p.name}' as a map layer: {msg}") from None


def to_work_crs(gdf: gpd.GeoDataFrame, *, source: str) -> tuple[gpd.GeoDataFrame, str | None]:
    """Check the CRS of ``gdf`` and reproject it to EPSG:28992.

    Raises :class:`CrsError` when the CRS is missing, or when the coordinates do not
    fit the CRS the file claims (e.g. RD metres labelled as EPSG:4326), or when
    the data does not lie in the Netherlands.
    Returns the reprojected frame and a note when a reprojection happened.
    """
    if gdf.crs is None:
        raise CrsError(
            f"{source}: the layer has no coordinate reference system. Expected EPSG:28992 (RD New) "
            "or EPSG:4326; set it in the file (e.g. save as GeoPackage with a CRS) and load it again."
        )
    try:
        crs = CRS.from_user_input(gdf.crs)
    except PyprojCRSError as exc:
        raise CrsError(f"{source}: unknown CRS {gdf.crs!r}: {exc}") from None
    finite = gdf.geometry[~gdf.geometry.is_empty & gdf.geometry.notna()]
    if len(finite) == 0:
        raise GeometryError(f"{source}: every geometry is empty; expected polygons or points.")
    minx, miny, maxx, maxy = finite.total_bounds
    if crs.is_geographic and (abs(minx) > 180 or abs(maxx) > 180 or abs(miny) > 90 or abs(maxy) > 90):
        raise CrsError(
            f"{source}: the file says {crs.to_string()} (degrees) but the coordinates are in the range "
            f"x {minx:.0f}–{maxx:.0f}, y {miny:.0f}–{maxy:.0f}, which looks like metres (RD New). "
            "Set the CRS of the file to EPSG:28992 instead."
        )
    note = None
    if crs.to_epsg() != 28992:
        gdf = gdf.to_crs(schema.WORK_CRS)
        note = f"reprojected from {crs.to_string()} to EPSG:28992"
    minx, miny, maxx, maxy = gdf.geometry[~gdf.geometry.is_empty].total_bounds
    bx0, by0, bx1, by1 = schema.NL_BOUNDS_RD
    if not (
        np.isfinite([minx, miny, maxx, maxy]).all() and minx >= bx0 and maxx <= bx1 and miny >= by0 and maxy <= by1
    ):
        raise CrsError(
            f"{source}: after conversion to EPSG:28992 the data lies at x {minx:.0f}–{maxx:.0f}, "
            f"y {miny:.0f}–{maxy:.0f}, outside the Netherlands (x {bx0:.0f}–{bx1:.0f}, y {by0:.0f}–{by1:.0f}). "
            "The CRS in the file is probably wrong (e.g. lat/lon swapped, or RD coordinates labelled as another CRS)."
        )
    gdf = gdf.set_crs(schema.WORK_CRS, allow_override=True)
    return gdf, note


def load_buurten(
    path: str | Path,
    *,
    layer: str | None = None,
    code_column: str | None = None,
    name_column: str | None = None,
) -> Loaded:
    """Read buurt polygons (GeoPackage, GeoJSON, TopoJSON, Shapefile, GeoParquet).

    Returns a GeoDataFrame in EPSG:28992 indexed by ``buurt_code`` with at least
    ``buurt_code``, ``buurt_name`` and ``geometry``. Invalid polygons are repaired
    with ``make_valid`` (reported); empty or non-polygon geometries and duplicate
    codes raise.
    """
    p = check_file(path)
    if p.suffix.lower() not in VECTOR_SUFFIXES:
        raise DataFileError(
            f"'{p.name}': expected a map layer ({', '.join(sorted(VECTOR_SUFFIXES))}), "
            f"found '{p.suffix or 'no extension'}'."
        )
    gdf = read_vector(p, layer=layer)
    report = LoadReport(source=p.name, rows_read=len(gdf))
    if len(gdf) == 0:
        raise DataFileError(f"'{p.name}': expected buurt polygons, found 0 features.")
    code_col = code_column or find_column(gdf.columns, BUURT_CODE_CANDIDATES)
    if code_col is None or code_col not in gdf.columns:
        raise MissingColumnError(
            f"'{p.name}': expected a buurt code column (one of {', '.join(BUURT_CODE_CANDIDATES)}); "
            f"found columns: {_list_cols(gdf)}."
        )
    codes = gdf[code_col].astype("string").str.strip()
    if codes.isna().any() or (codes == "").any():
        raise MissingColumnError(
            f"'{p.name}': {int((codes.isna() | (codes == '')).sum())} buurten have no code in '{code_col}'."
        )
    raise_duplicates(codes, "buurt code", p.name)
    name_col = name_column or find_column(gdf.drop(columns=[code_col]).columns, BUURT_NAME_CANDIDATES)
    names = gdf[name_col].astype("string") if name_col else codes
    if name_col is None:
        report.notes.append("no name column found; the buurt code is used as name")
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        raise GeometryError(
            f"'{p.name}': expected a polygon for every buurt; {int(empty.sum())} have none: "
            f"{', '.join(codes[empty].astype(str).head(5))}."
        )
    kinds = set(geom.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise GeometryError(
            f"'{p.name}': expected buurt polygons, found {', '.join(sorted(kinds))}. "
            "Point layers belong in the facilities input."
        )
    gdf, note = to_work_crs(gdf, source=p.name)
    if note:
        report.notes.append(note)
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf = gdf.set_geometry(shapely.make_valid(gdf.geometry.values))
        gdf = gdf.set_geometry(gdf.geometry.apply(polygonal_part))
        report.notes.append(f"repaired {int(invalid.sum())} invalid polygons with make_valid")
    other = gdf.drop(columns=[c for c in (code_col, name_col) if c] + [gdf.geometry.name])
    out = gpd.GeoDataFrame(
        {schema.BUURT_CODE: codes.to_numpy(dtype=object), schema.BUURT_NAME: names.to_numpy(dtype=object)},
        geometry=gdf.geometry.values,
        crs=schema.WORK_CRS,
    )
    for col in other.columns:
        if col not in out.columns:
            out[col] = other[col].to_numpy()
    # A plain index: pd.Index(series, name=None) keeps the series name, and an index
    # named like a column makes sort_values/groupby on that column ambiguous.
    out.index = pd.Index(out[schema.BUURT_CODE].to_numpy(dtype=object))
    report.rows_kept = len(out)
    return Loaded(out, report)


def polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal part of a make_valid result (it may add lines)."""
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in {"Polygon", "MultiPolygon"}]
    return shapely.union_all(polys) if polys else geom


# --------------------------------------------------------------------------- facilities

X_CANDIDATES = ("x", "x_rd", "rd_x", "xcoord")
Y_CANDIDATES = ("y", "y_rd", "rd_y", "ycoord")
LON_CANDIDATES = ("lon", "lng", "longitude", "lengtegraad")
LAT_CANDIDATES = ("lat", "latitude", "breedtegraad")


def load_facilities(
    path: str | Path,
    *,
    layer: str | None = None,
    facility_type: str | None = None,
    crs: str | None = None,
    require_name: bool = True,
    allow_empty: bool = False,
) -> Loaded:
    """Read facility points: GeoPackage/GeoJSON/GeoParquet, or CSV with x/y or lon/lat.

    ``allow_empty``: a layer with no features is an empty (typed) frame instead of an error — a dataset whose
    facility sources all failed still opens (its distances then come from CBS or are missing).

    Required columns: ``name`` and ``facility_type`` (or pass ``facility_type=``
    for a file with one type). With ``require_name=False`` (batch routing, where
    no popup shows a name) a missing name becomes the facility id, noted in the
    report. ``facility_id`` is made from the row number when absent. CSV files
    with ``x``/``y`` are read as EPSG:28992 and with ``lon``/``lat`` as
    EPSG:4326 unless ``crs`` says otherwise. Rows without coordinates are
    dropped and listed in the report. Polygon features (e.g. a sports park) are
    reduced to a point inside the polygon, which is reported.
    """
    p = check_file(path)
    suffix = p.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        table = read_any_table(p)
        report = LoadReport(source=p.name, rows_read=len(table))
        if table.empty:
            raise DataFileError(f"'{p.name}' has no rows: expected one row per facility.")
        gdf = _points_from_table(table, source=p.name, crs=crs, report=report)
    elif suffix in VECTOR_SUFFIXES:
        gdf = read_vector(p, layer=layer)
        report = LoadReport(source=p.name, rows_read=len(gdf))
        if len(gdf) == 0 and allow_empty:
            columns = (schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME)
            empty = gpd.GeoDataFrame(
                {c: pd.Series(dtype="object") for c in columns},
                geometry=gpd.GeoSeries([], crs=schema.WORK_CRS), crs=schema.WORK_CRS,
            )
            empty[schema.FACILITY_CAPACITY] = pd.Series(dtype="float64")
            return Loaded(frame=empty, report=report)
        if len(gdf) == 0:
            raise DataFileError(f"'{p.name}': expected facility points, found 0 features.")
        if crs is not None:
            gdf = gdf.set_crs(crs, allow_override=True)
    else:
        raise DataFileError(
            f"'{p.name}': expected a GeoPackage, GeoJSON, GeoParquet or CSV file, found '{p.suffix or 'no extension'}'."
        )
    return Loaded(
        validate_facilities(gdf, source=p.name, facility_type=facility_type, report=report, require_name=require_name),
        report,
    )


def _points_from_table(table: pd.DataFrame, *, source: str, crs: str | None, report: LoadReport) -> gpd.GeoDataFrame:
    table.columns = [str(c).strip() for c in table.columns]
    xcol, ycol = find_column(table.columns, X_CANDIDATES), find_column(table.columns, Y_CANDIDATES)
    loncol, latcol = find_column(table.columns, LON_CANDIDATES), find_column(table.columns, LAT_CANDIDATES)
    if xcol and ycol:
        cx, cy, default_crs = xcol, ycol, schema.WORK_CRS
    elif loncol and latcol:
        cx, cy, default_crs = loncol, latcol, schema.MAP_CRS
    else:
        raise MissingColumnError(
            f"'{source}': expected coordinate columns x and y (EPSG:28992) or lon and lat (EPSG:4326); "
            f"found columns: {_list_cols(table)}."
        )

    def parse(col: str) -> pd.Series:
        s = table[col].astype("string").str.strip()
        s = s.where(~s.str.match(DECIMAL_COMMA).fillna(False), s.str.replace(",", ".", regex=False))
        return pd.to_numeric(s.mask(s.isin(schema.CBS_MISSING_MARKERS)), errors="coerce")

    xs, ys = parse(cx), parse(cy)
    bad = (xs.isna() | ys.isna()).to_numpy()
    if schema.FACILITY_ID not in table.columns:
        # Before dropping rows, so that an id names the same row of the file in the
        # report and in the result (row n of the file is data row n - 1).
        table[schema.FACILITY_ID] = [f"{source.rsplit('.', 1)[0]}-{i + 1}" for i in range(len(table))]
        report.notes.append("no facility_id column; ids made from the row number")
    ident = table[schema.FACILITY_ID].astype(str).to_numpy()
    report.drop("no valid coordinates", [f"row {i + 2} ({ident[i]})" for i in np.flatnonzero(bad)])
    if bad.all():
        raise GeometryError(
            f"'{source}': expected numbers in '{cx}' and '{cy}', found none in any of the {len(table)} rows."
        )
    table = table.loc[~bad].drop(columns=[cx, cy])
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(xs[~bad], ys[~bad]), crs=crs or default_crs)


def facilities_from_points(
    rows: list[dict], xs: list[float], ys: list[float], *, source: str, rows_read: int
) -> gpd.GeoDataFrame:
    """Facility records with their RD coordinates as a validated facility frame (as :func:`load_facilities` makes)."""
    frame = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(xs, ys), crs=schema.WORK_CRS)
    return validate_facilities(frame, source=source, facility_type=None, report=LoadReport(source=source,
                                                                                             rows_read=rows_read))


def validate_facilities(
    gdf: gpd.GeoDataFrame, *, source: str, facility_type: str | None, report: LoadReport, require_name: bool = True
) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    gdf.columns = [str(c).strip() if c != gdf.geometry.name else c for c in gdf.columns]
    if facility_type is not None:
        gdf[schema.FACILITY_TYPE] = facility_type
    name_col = find_column(gdf.columns, ("name", "naam", "accommodatie naam", "vestigingsnaam"))
    if name_col is None and not require_name:
        id_col = schema.FACILITY_ID if schema.FACILITY_ID in gdf.columns else ("id" if "id" in gdf.columns else None)
        gdf[schema.FACILITY_NAME] = gdf[id_col].astype(str) if id_col else [f"{i + 1}" for i in range(len(gdf))]
        name_col = schema.FACILITY_NAME
        report.notes.append("no name column; names made from the ids")
    missing = [
        c
        for c, ok in ((schema.FACILITY_NAME, name_col), (schema.FACILITY_TYPE, schema.FACILITY_TYPE in gdf.columns))
        if not ok
    ]
    if missing:
        hint = " (or pass a facility type for the whole file)" if schema.FACILITY_TYPE in missing else ""
        raise MissingColumnError(
            f"'{source}': expected columns {', '.join(missing)}{hint}; "
            f"found columns: {_list_cols(gdf.drop(columns=gdf.geometry.name))}."
        )
    if name_col != schema.FACILITY_NAME:
        gdf = gdf.rename(columns={name_col: schema.FACILITY_NAME})
    if schema.FACILITY_ID not in gdf.columns:
        gdf[schema.FACILITY_ID] = [f"{source.rsplit('.', 1)[0]}-{i + 1}" for i in range(len(gdf))]
        report.notes.append("no facility_id column; ids made from the row number")
    gdf[schema.FACILITY_ID] = gdf[schema.FACILITY_ID].astype(str)
    raise_duplicates(gdf[schema.FACILITY_ID], "facility_id", source)
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    report.drop("no geometry", gdf.loc[empty, schema.FACILITY_ID].tolist())
    gdf = gdf.loc[~empty]
    if len(gdf) == 0:
        raise GeometryError(f"'{source}': no facility has a location.")
    gdf, note = to_work_crs(gdf, source=source)
    if note:
        report.notes.append(note)
    kinds = set(gdf.geometry.geom_type)
    if kinds - {"Point"}:
        non_point = gdf.geometry.geom_type != "Point"
        multipoint = gdf.geometry.geom_type == "MultiPoint"
        gdf = gdf.set_geometry(gdf.geometry.where(~non_point, gdf.geometry.representative_point()))
        report.notes.append(
            f"{int(non_point.sum())} non-point features ({', '.join(sorted(kinds - {'Point'}))}) "
            f"reduced to a point inside them{' (multipoints: first representative point)' if multipoint.any() else ''}"
        )
    gdf[schema.FACILITY_TYPE] = gdf[schema.FACILITY_TYPE].astype(str).str.strip()
    if schema.FACILITY_CAPACITY in gdf.columns:
        cap = pd.to_numeric(gdf[schema.FACILITY_CAPACITY], errors="coerce")
        bad_cap = cap.notna() & (cap < 0)
        if bad_cap.any():
            raise InvalidValueError(
                f"'{source}': capacity must be zero or more; found negative values for "
                f"{', '.join(gdf.loc[bad_cap, schema.FACILITY_ID].head(5))}."
            )
        gdf[schema.FACILITY_CAPACITY] = cap
    if schema.LOCATION_PRECISION not in gdf.columns:
        gdf[schema.LOCATION_PRECISION] = "source"
    gdf.index = pd.Index(gdf[schema.FACILITY_ID].to_numpy(dtype=object))
    report.rows_kept = len(gdf)
    return gdf


# --------------------------------------------------------------------------- datasets


@dataclass(frozen=True)
class Dataset:
    """Everything the pipeline needs for one municipality.

    ``buurten`` holds polygons and CBS figures (raw CBS variable names plus
    ``cbs_dist_*_m`` proximity distances); ``facilities`` holds points of every
    type; ``meta`` is the parsed ``dataset.json`` (name, sources, notes).
    """

    buurten: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    meta: dict
    directory: str

    @property
    def name(self) -> str:
        return str(self.meta.get("name", Path(self.directory).name))


DATASET_FILE = "dataset.gpkg"
DATASET_META = "dataset.json"


def load_dataset(directory: str | Path) -> Dataset:
    """Load a dataset directory written by :func:`write_dataset` (e.g. ``data/utrecht``)."""
    d = Path(directory)
    gpkg, meta_path = d / DATASET_FILE, d / DATASET_META
    for f in (gpkg, meta_path):
        if not f.exists():
            raise DataFileError(
                f"Dataset folder '{d}' is incomplete: expected '{f.name}' there. "
                "Build the default with 'python -m geo build-default'."
            )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"'{meta_path}' is not valid JSON: {exc}") from None
    buurten = load_buurten(gpkg, layer="buurten", code_column=schema.BUURT_CODE, name_column=schema.BUURT_NAME).frame
    facilities = load_facilities(gpkg, layer="facilities", allow_empty=True).frame
    return Dataset(buurten=buurten, facilities=facilities, meta=meta, directory=str(d))


def write_dataset(
    dataset_buurten: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, meta: dict, directory: str | Path
) -> Path:
    """Write buurten and facilities as one GeoPackage (two layers) plus ``dataset.json``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    gpkg = d / DATASET_FILE
    if gpkg.exists():
        gpkg.unlink()
    dataset_buurten.to_file(gpkg, layer="buurten", driver="GPKG", index=False)
    facilities.to_file(gpkg, layer="facilities", driver="GPKG", index=False)
    (d / DATASET_META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return gpkg


def write_table(
    frame: pd.DataFrame | gpd.GeoDataFrame,
    path: str | Path,
    *,
    layer: str = "ranking",
    metadata: dict | None = None,
) -> Path:
    """Write a result as ``.csv`` (no geometry) or ``.gpkg``/``.geojson`` (chosen by extension)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        out = frame.drop(columns=[c for c in frame.columns if c == "geometry"])
        out.to_csv(p, index=False, encoding="utf-8")
    elif suffix in {".gpkg", ".geojson"}:
        if not isinstance(frame, gpd.GeoDataFrame):
            raise DataFileError(f"Cannot write '{p.name}': the result has no geometry; use .csv.")
        if p.exists():
            p.unlink()
        kwargs: dict[str, Any] = {"driver": "GPKG" if suffix == ".gpkg" else "GeoJSON", "index": False}
        if suffix == ".gpkg":
            kwargs["layer"] = layer
            if metadata:
                kwargs["metadata"] = {k: str(v) for k, v in metadata.items()}
        frame.to_file(p, **kwargs)
    else:
        raise DataFileError(f"Unknown output format '{p.suffix}': use .csv or .gpkg (or .geojson).")
    return p


# --------------------------------------------------------------------------- sniffing a file


def guess_kind(path: Path) -> str:
    """``buurten``, ``facilities`` or ``cbs``: what a file most likely holds, from its type and header."""
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xls"}:
        return "cbs"
    if suffix in TABLE_SUFFIXES:
        check_file(path)
        header = path.read_bytes()[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
        cols = {c.strip().strip('"').lower() for c in (header[0].replace(";", ",").split(",") if header else [])}
        return "facilities" if cols & {"x", "lon", "lng", "longitude", "x_rd"} else "cbs"
    if suffix in VECTOR_SUFFIXES:
        check_file(path)
        try:
            info = pyogrio.read_info(path)
        except Exception as exc:  # unreadable vector file: report, don't trace
            raise DataFileError(f"Could not read '{path.name}' as a map layer: {str(exc).splitlines()[0]}") from None
        gtype = str(info.get("geometry_type") or "")
        return "facilities" if "Point" in gtype else "buurten"
    raise DataFileError(
        f"'{path.name}': unknown file type '{suffix or 'no extension'}'; expected .gpkg, .geojson, .csv or .xlsx."
    )


def has_column(path: Path, column: str) -> bool:
    """Whether a table or map layer has ``column``, from its header only.

    True when unreadable (the loader reports it).
    """
    try:
        if path.suffix.lower() in TABLE_SUFFIXES:
            head = path.read_bytes()[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
            return bool(head) and column in [c.strip().strip('"') for c in head[0].replace(";", ",").split(",")]
        return column in list(pyogrio.read_info(path)["fields"])
    except Exception:  # unreadable: let the loader report it properly
        return True


def load_area(path_text: str | Path, *, what: str = "--polygon") -> shapely.Geometry:
    """All polygons of a map layer merged into one (Multi)Polygon in EPSG:28992 (a municipality area).

    ``what`` names the input in messages (the CLI passes its option name).
    """
    path = check_file(path_text)
    if path.suffix.lower() not in VECTOR_SUFFIXES:
        raise DataFileError(
            f"{what}: expected a map layer ({', '.join(sorted(VECTOR_SUFFIXES))}), "
            f"found '{path.suffix or 'no extension'}'."
        )
    frame, _ = to_work_crs(read_vector(path), source=path.name)
    geoms = [shapely.make_valid(g) for g in frame.geometry if g is not None and not g.is_empty]
    polygons = [g for g in shapely.get_parts(shapely.union_all(geoms)) if g.geom_type == "Polygon"] if geoms else []
    if not polygons:
        kinds = sorted({g.geom_type for g in geoms}) or ["nothing"]
        raise GeometryError(f"{what} '{path.name}': expected polygons (a municipality area), found {', '.join(kinds)}.")
    return shapely.union_all(polygons)


# --------------------------------------------------------------------------- lists of school branches

#: A DUO branch code: BRIN (4 characters) + vestiging number (2 digits), e.g. ``00AP00``.
SCHOOL_CODE_PATTERN = re.compile(r"^[0-9A-Z]{4}[0-9]{2}$")
_SCHOOL_CODE_COLUMNS = ("vestigingscode", "brin6", "brin_vestiging", "vestiging", "code")


def parse_school_codes(values: Any) -> tuple[frozenset[str], list[str]]:
    """Valid DUO branch codes among ``values`` (stripped, upper-cased) and the non-empty values that are not codes."""
    good: set[str] = set()
    bad: list[str] = []
    for v in values:
        text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().upper()
        if not text:
            continue
        if SCHOOL_CODE_PATTERN.match(text):
            good.add(text)
        else:
            bad.append(str(v).strip())
    return frozenset(good), bad


def load_school_codes(path: str | Path) -> tuple[frozenset[str], list[str]]:
    """A municipality's list of eligible branches: a CSV/XLSX with a ``VESTIGINGSCODE`` column, or a text file
    with one code per line. Returns the codes and the lines that are not codes; raises when there is no code."""
    p = check_file(Path(path))
    if p.suffix.lower() in (".txt", ""):
        try:
            values: list[Any] = p.read_text(encoding="utf-8-sig").splitlines()
        except UnicodeDecodeError:
            raise DataFileError(f"'{p.name}' is not UTF-8 text; save the list as UTF-8 (one code per line).") from None
        if values and values[0].strip().lower() in _SCHOOL_CODE_COLUMNS:
            values = values[1:]  # a header line
    else:
        table = read_any_table(p)
        lower = {str(c).strip().lower(): c for c in table.columns}
        col = next((lower[c] for c in _SCHOOL_CODE_COLUMNS if c in lower), None)
        if col is None and len(table.columns) == 1:
            col = table.columns[0]
        if col is None:
            raise MissingColumnError(
                f"'{p.name}': expected a column VESTIGINGSCODE with DUO branch codes (e.g. 00AP00); "
                f"found: {', '.join(map(str, table.columns[:8]))}."
            )
        values = [col, *table[col].tolist()] if SCHOOL_CODE_PATTERN.match(str(col).strip().upper()) else \
            table[col].tolist()
    codes, bad = parse_school_codes(values)
    if not codes:
        raise InvalidValueError(
            f"'{p.name}': no DUO branch code found (expected codes like 00AP00, one per row)."
        )
    return codes, bad
