"""Files a planner uploads in the app: checked, read and turned into a dataset (no Streamlit here).

An upload arrives as a name and bytes. :func:`read_upload` refuses it when it is too large, when its
content is not what its extension says (a PNG or an HTML page named ``.geojson``, a zip named ``.gpkg``),
or when it has more features than the app reads; otherwise it writes the bytes to a per-session folder
and reads them with the loaders of :mod:`geo.data.files`, exactly as ``python -m geo check`` does.
Facility files get one more step: the column names real exports use (``soort``, ``categorie``,
``amenity``, ``id``, ``naam`` …) and their type *values* (``sporthal``, ``bieb``, ``kdv``, OSM
``community_centre`` …) are mapped onto the product's facility types by one alias table,
:data:`TYPE_ALIASES`; rows whose type is not recognised are left out and counted per value.

:func:`combine` turns the uploads into a dataset for the session (uploaded facilities added to the
current dataset's, or uploaded buurten + CBS table as a dataset of their own); :func:`save_dataset`
writes it to ``data/uploads/<name>/``. Nothing here touches the shipped data.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import Transformer

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import files
from geo.data.build import KWB_REQUIRED, MAX_OUTSIDE_M
from geo.data.paths import DATA_DIR, DEFAULT_DATA_DIR
from geo.errors import (
    CrsError,
    DataFileError,
    DuplicateCodeError,
    InvalidValueError,
    MissingColumnError,
    ParameterError,
)

__all__ = [
    "ACCEPTED_SUFFIXES",
    "BUURTEN",
    "CBS",
    "FACILITIES",
    "KINDS",
    "LONLAT",
    "RD",
    "TYPE_ALIASES",
    "TYPE_COLUMNS",
    "UPLOADS_DIR",
    "Limits",
    "SessionData",
    "Upload",
    "UploadReport",
    "check_content",
    "check_size",
    "check_slug",
    "combine",
    "detect_coordinates",
    "limits_from_env",
    "map_facility_type",
    "read_upload",
    "save_dataset",
    "sniff",
    "write_session_dataset",
]

# --------------------------------------------------------------------------- kinds, limits

BUURTEN, CBS, FACILITIES = "buurten", "cbs", "facilities"
KINDS = (BUURTEN, CBS, FACILITIES)

#: File types accepted per kind of upload (a ``.zip`` holds a Shapefile).
ACCEPTED_SUFFIXES = MappingProxyType(
    {
        BUURTEN: (".gpkg", ".geojson", ".json", ".zip"),
        CBS: (".xlsx", ".csv"),
        FACILITIES: (".gpkg", ".geojson", ".json", ".csv", ".xlsx"),
    }
)
_WHAT = MappingProxyType(
    {BUURTEN: "buurt polygons", CBS: "a CBS table (kwb export)", FACILITIES: "facility points"}
)

#: Environment variables that change the bounds (operators of a shared server may lower them).
MAX_MB_ENV = "GEO_UPLOAD_MAX_MB"
MAX_FEATURES_ENV = "GEO_UPLOAD_MAX_FEATURES"
#: Defaults a council's own files fit in (all Dutch buurten, ~14,500 polygons, are about 40 MB as GeoPackage).
DEFAULT_MAX_MB = 50.0
DEFAULT_MAX_FEATURES = 200_000

#: Where "save as dataset" writes: one folder per saved dataset, never the shipped ``data/<name>``.
UPLOADS_DIR = DATA_DIR / "uploads"
#: The ``source`` of uploaded facilities (also the id of their entry in ``dataset.json``'s sources).
UPLOAD_SOURCE = "upload"
#: Prefix of the ids of uploaded facilities, so they never clash with the dataset's own.
ID_PREFIX = "upload-"


@dataclass(frozen=True)
class Limits:
    """The largest upload the app reads: bytes per file and features (or table rows) per file."""

    max_bytes: int
    max_features: int

    @property
    def max_mb(self) -> float:
        return self.max_bytes / 1_000_000


def limits_from_env(environ: Mapping[str, str] | None = None) -> Limits:
    """The bounds from ``GEO_UPLOAD_MAX_MB`` and ``GEO_UPLOAD_MAX_FEATURES`` (defaults 50 MB, 200,000)."""
    env = os.environ if environ is None else environ

    def positive(name: str, default: float) -> float:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise ParameterError(f"{name} must be a positive number, found '{raw}'.")
        return value

    return Limits(
        max_bytes=int(positive(MAX_MB_ENV, DEFAULT_MAX_MB) * 1_000_000),
        max_features=int(positive(MAX_FEATURES_ENV, DEFAULT_MAX_FEATURES)),
    )


def _size_text(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:.1f} MB" if n_bytes >= 100_000 else f"{max(1, round(n_bytes / 1000))} kB"


def check_size(name: str, n_bytes: int, limits: Limits) -> None:
    """Refuse a file larger than ``limits.max_bytes`` (before anything is written or read)."""
    if n_bytes > limits.max_bytes:
        raise DataFileError(
            f"'{name}' is {_size_text(n_bytes)}; the app reads files up to {limits.max_mb:g} MB "
            f"(set {MAX_MB_ENV} to change it). Nothing was loaded: cut the file to your municipality "
            "or save it as GeoPackage, which is smaller than GeoJSON."
        )


def _check_features(name: str, n: int, limits: Limits, what: str = "features") -> None:
    if n > limits.max_features:
        raise DataFileError(
            f"'{name}' has {n:,} {what}; the app reads at most {limits.max_features:,} per file "
            f"(set {MAX_FEATURES_ENV} to change it). Nothing was loaded: cut the file to your municipality."
        )


# --------------------------------------------------------------------------- content vs extension

#: What the first bytes of a file say it is, checked in this order.
_MAGIC = (
    (b"SQLite format 3\x00", "sqlite"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"%PDF", "pdf"),
    (b"\x1f\x8b", "gzip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"PAR1", "parquet"),
)
#: How each content kind is named in a message ("… but its content looks like <label>").
CONTENT_LABELS = MappingProxyType(
    {
        "empty": "an empty file",
        "sqlite": "a SQLite database (a GeoPackage)",
        "xlsx": "an Excel workbook (.xlsx)",
        "shapefile_zip": "a zipped Shapefile",
        "zip": "a zip archive (neither an Excel workbook nor a Shapefile)",
        "png": "a PNG image",
        "jpeg": "a JPEG image",
        "gif": "a GIF image",
        "pdf": "a PDF document",
        "gzip": "a gzip-compressed file",
        "ole": "an old Office file (.xls or .doc)",
        "parquet": "a Parquet file",
        "html": "an HTML or XML page (perhaps a download or login page saved instead of the data)",
        "json": "JSON text (GeoJSON)",
        "text": "plain text (a CSV table)",
        "binary": "binary data",
    }
)
#: The content each extension must have, and the format named in the message.
_EXPECTED = MappingProxyType(
    {
        ".gpkg": ("sqlite", "a GeoPackage"),
        ".xlsx": ("xlsx", "an Excel workbook (.xlsx)"),
        ".zip": ("shapefile_zip", "a zip with one Shapefile (.shp, .shx, .dbf, .prj)"),
        ".geojson": ("json", "GeoJSON"),
        ".json": ("json", "GeoJSON"),
        ".csv": ("text", "a CSV table (text)"),
    }
)


def sniff(data: bytes) -> str:
    """What ``data`` looks like, from its first bytes: a key of :data:`CONTENT_LABELS`."""
    if not data:
        return "empty"
    kind = next((k for magic, k in _MAGIC if data.startswith(magic)), None)
    if kind == "zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = [n.lower() for n in zf.namelist()]
        except zipfile.BadZipFile:
            return "zip"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "shapefile_zip" if any(n.endswith(".shp") for n in names) else "zip"
    if kind is not None:
        return kind
    head = data[:4096]
    if b"\x00" in head:
        return "binary"
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("<"):
        return "html"
    if text[:1] in ("{", "["):
        return "json"
    return "text"


def check_content(name: str, data: bytes) -> str:
    """Refuse ``data`` when its content is not what the extension of ``name`` says; return what it is."""
    suffix = Path(name).suffix.lower()
    found = sniff(data)
    expected = _EXPECTED.get(suffix)
    if expected is not None and found != expected[0]:
        raise DataFileError(
            f"'{name}' is named {suffix} ({expected[1]}) but its content looks like {CONTENT_LABELS[found]}. "
            f"Export the data again as {expected[1]}, or give the file the extension that matches its content."
        )
    return found


# --------------------------------------------------------------------------- storing an upload


def _safe_name(name: str) -> str:
    """A file name without folders or odd characters, keeping the (lower-cased) extension."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "upload"
    return stem[:80] + suffix


def _store(kind: str, name: str, data: bytes, folder: Path, limits: Limits) -> Path:
    """Check size, extension and content, then write ``data`` to ``folder/<kind>/`` (a fresh folder)."""
    if kind not in KINDS:
        raise ParameterError(f"Unknown upload kind '{kind}'; expected one of: {', '.join(KINDS)}.")
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES[kind]:
        raise DataFileError(
            f"'{name}': expected {_WHAT[kind]} as {', '.join(ACCEPTED_SUFFIXES[kind])}, "
            f"found '{suffix or 'no extension'}'."
        )
    check_size(name, len(data), limits)
    target = Path(folder) / kind
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    path = target / _safe_name(name)
    path.write_bytes(data)
    files.check_file(path)
    check_content(name, data)
    if suffix == ".zip":
        path = _unpack_shapefile(path, name, target / "shapefile", limits)
    return path


_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _unpack_shapefile(path: Path, name: str, out: Path, limits: Limits) -> Path:
    """The one Shapefile in a zip, unpacked (only its own parts, flat, sizes bounded)."""
    with zipfile.ZipFile(path) as zf:
        members = [
            m for m in zf.infolist()
            if not m.is_dir() and "__macosx" not in m.filename.lower()
            and Path(m.filename).suffix.lower() in _SHAPEFILE_PARTS
        ]
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        if len(shps) != 1:
            raise DataFileError(
                f"'{name}': expected one Shapefile in the zip, found {len(shps)} .shp files "
                f"({', '.join(Path(m.filename).name for m in shps[:5])}). Zip one layer at a time."
            )
        stem = Path(shps[0].filename).stem.lower()
        parts = {Path(m.filename).suffix.lower(): m for m in members if Path(m.filename).stem.lower() == stem}
        missing = [s for s in (".shx", ".dbf") if s not in parts]
        if missing:
            raise DataFileError(
                f"'{name}': the Shapefile '{Path(shps[0].filename).name}' needs its {' and '.join(missing)} "
                "file beside it in the zip."
            )
        check_size(name, sum(m.file_size for m in parts.values()), limits)
        out.mkdir(parents=True)
        safe = _safe_name(Path(shps[0].filename).stem + ".shp")[: -len(".shp")]
        for suffix, member in parts.items():
            (out / f"{safe}{suffix}").write_bytes(zf.read(member))
    return out / f"{safe}.shp"


def _vector_info(path: Path, name: str) -> dict:
    try:
        return dict(pyogrio.read_info(path, force_feature_count=True))
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable input
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataFileError(f"Could not read '{name}' as a map layer: {msg}") from None


def _crs_text(info: dict) -> str:
    crs = info.get("crs")
    return str(crs) if crs else ""


# --------------------------------------------------------------------------- reports


@dataclass
class UploadReport:
    """What was read from one upload: shown in the app next to the file."""

    kind: str
    file_name: str
    size_bytes: int
    rows_read: int = 0
    rows_kept: int = 0
    #: The CRS the data was read in (``EPSG:4326`` …); for a table, the one assumed from the values.
    crs: str = ""
    #: For tables with coordinates: :data:`RD` or :data:`LONLAT`, decided from the values of ``coordinate_columns``.
    crs_assumed: str | None = None
    coordinate_columns: tuple[str, str] | None = None
    #: Role (``type``, ``id``, ``name``) → the column of the file it was read from.
    columns: dict[str, str] = field(default_factory=dict)
    #: Facility type → rows kept.
    type_counts: dict[str, int] = field(default_factory=dict)
    #: Type value not recognised → rows (those rows are left out). ``""`` is an empty cell.
    unrecognised: dict[str, int] = field(default_factory=dict)
    #: From the loader: reason → ids of the rows it dropped.
    dropped: dict[str, list[str]] = field(default_factory=dict)
    #: From the loader (reprojection, repairs, made-up ids …), in English like ``python -m geo check``.
    notes: list[str] = field(default_factory=list)
    #: CBS tables: values that were a suppression marker or empty.
    suppressed: int = 0
    #: The loader's one-paragraph summary (``python -m geo check`` prints the same).
    summary: str = ""


@dataclass(frozen=True)
class Upload:
    """One uploaded file, read and validated: the frame in EPSG:28992 (or the CBS table) and its report."""

    kind: str
    frame: pd.DataFrame
    report: UploadReport
    #: SHA-256 of the bytes and the options used: identifies this upload.
    digest: str
    #: CBS tables: wijk code → name, from the table's own wijk rows (empty when it has none).
    wijk_names: Mapping[str, str] = field(default_factory=dict)


def _report(kind: str, name: str, data: bytes, loaded: files.LoadReport, **extra) -> UploadReport:
    return UploadReport(
        kind=kind,
        file_name=name,
        size_bytes=len(data),
        rows_read=loaded.rows_read,
        rows_kept=loaded.rows_kept,
        dropped={k: list(v) for k, v in loaded.dropped.items()},
        notes=list(loaded.notes),
        suppressed=sum(loaded.suppressed.values()),
        summary=loaded.summary(),
        **extra,
    )


def _digest(data: bytes, *options: object) -> str:
    h = hashlib.sha256(data)
    h.update(repr(options).encode("utf-8"))
    return h.hexdigest()


# --------------------------------------------------------------------------- facility types and columns

#: Columns (case-insensitive, in this order) a facility type is read from.
TYPE_COLUMNS = (schema.FACILITY_TYPE, "type", "soort", "categorie", "category", "amenity", "voorziening")
#: Columns (case-insensitive) a facility id is read from when the file has no ``facility_id``.
ID_COLUMNS = ("id", "identificatie", "code")

#: Words (besides each type's key and its Dutch and English label) that name a facility type.
_COMMON_WORDS = MappingProxyType(
    {
        "sport": (
            "sport", "sporthal", "sportzaal", "sportveld", "sportpark", "sportcomplex", "sportcentrum", "gymzaal",
            "sports centre", "sports center", "sports hall", "sports_centre", "pitch", "stadium",
        ),
        "swimming_pool": ("zwembad", "zwembaden", "zwemmen", "swimming pool", "swimming_pool", "swimming"),
        "library": ("bibliotheek", "bieb", "openbare bibliotheek", "library", "public library"),
        "primary_school": ("basisschool", "basisscholen", "basisonderwijs", "primary school", "primary_school"),
        "childcare": (
            "kinderdagverblijf", "kdv", "peuterspeelzaal", "peuteropvang", "day nursery", "nursery", "childcare",
            "kindergarten",
        ),
        "after_school_care": (
            "bso", "buitenschoolse opvang", "naschoolse opvang", "after-school care", "after school care",
            "after_school_care", "out of school care",
        ),
        "culture": (
            "cultuur", "cultuurcentrum", "theater", "theatre", "schouwburg", "muziekschool", "music school",
            "poppodium", "concertzaal", "concert hall", "concert_hall", "arts centre", "arts center", "arts_centre",
            "kunstencentrum", "centrum voor de kunsten",
        ),
        "community_centre": (
            "buurthuis", "wijkcentrum", "buurtcentrum", "wijkgebouw", "community centre", "community center",
            "community_centre", "social centre", "social_centre",
        ),
        "youth_work": (
            "jongerenwerk", "jongerencentrum", "jongerenhuis", "jeugdhuis", "jeugdcentrum", "youth work",
            "youth centre", "youth center", "youth_centre", "youth club",
        ),
        "nature": (
            "natuur", "natuurgebied", "natuurreservaat", "kinderboerderij", "stadsboerderij", "nature reserve",
            "nature_reserve", "petting zoo", "petting_zoo", "city farm", "children's farm",
        ),
        "museum": ("musea", "museums"),
        "makerspace": (
            "techniek", "makerspace", "maker space", "hackerspace", "fablab", "fab lab", "maakplaats",
        ),
    }
)


def _norm(text: object) -> str:
    """A type value as the alias table keys it: lower case, ``_``/``-`` as spaces, single spaces."""
    return " ".join(re.sub(r"[_\-]+", " ", str(text).strip().lower()).split())


def _alias_table() -> Mapping[str, str]:
    table: dict[str, str] = {}
    for key, ft in FACILITY_TYPES.items():
        for word in (key, ft.label_nl, ft.label_en, *_COMMON_WORDS.get(key, ())):
            norm = _norm(word)
            if table.get(norm, key) != key:
                raise ValueError(f"type alias '{word}' names both '{table[norm]}' and '{key}'")
            table[norm] = key
    return MappingProxyType(table)


#: The one alias table: a type value (normalised by :func:`_norm`) → a key of :data:`geo.catalog.FACILITY_TYPES`.
TYPE_ALIASES = _alias_table()


def map_facility_type(value: object) -> str | None:
    """The facility type a value names (``"Sporthal"`` → ``sport``, ``"bieb"`` → ``library``), else None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return TYPE_ALIASES.get(_norm(value))


def _find(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    lower = {str(c).strip().lower(): str(c) for c in columns}
    return next((lower[c.lower()] for c in candidates if c.lower() in lower), None)


# --------------------------------------------------------------------------- coordinates

RD, LONLAT = "rd", "lonlat"
#: The Netherlands in degrees: the RD bounds of :data:`geo.schema.NL_BOUNDS_RD` converted to longitude/latitude.
NL_BOUNDS_LONLAT = tuple(
    Transformer.from_crs(schema.WORK_CRS, schema.MAP_CRS, always_xy=True).transform_bounds(*schema.NL_BOUNDS_RD)
)


def detect_coordinates(xs: Sequence[float] | pd.Series, ys: Sequence[float] | pd.Series) -> str | None:
    """:data:`RD` or :data:`LONLAT`: what the values of two coordinate columns are, from their ranges.

    Decided by the medians (a few bad rows do not change it; the loader then checks every row against
    the Netherlands). None when no row has two numbers (the loader reports that). Latitudes in the
    x column and longitudes in the y column (swapped columns) raise :class:`InvalidValueError`;
    values that fit neither raise :class:`CrsError`.
    """
    x = pd.to_numeric(pd.Series(list(xs), dtype="object"), errors="coerce")
    y = pd.to_numeric(pd.Series(list(ys), dtype="object"), errors="coerce")
    ok = x.notna() & y.notna()
    if not ok.any():
        return None
    mx, my = float(x[ok].median()), float(y[ok].median())
    lon0, lat0, lon1, lat1 = NL_BOUNDS_LONLAT
    if lon0 <= mx <= lon1 and lat0 <= my <= lat1:
        return LONLAT
    if lat0 <= mx <= lat1 and lon0 <= my <= lon1:
        raise InvalidValueError(
            f"The x/longitude column holds values around {mx:g} and the y/latitude column around {my:g}: "
            "latitude and longitude look swapped. Swap the two column names and upload the file again."
        )
    bx0, by0, bx1, by1 = schema.NL_BOUNDS_RD
    if bx0 <= mx <= bx1 and by0 <= my <= by1:
        return RD
    raise CrsError(
        f"Coordinates around x {mx:g}, y {my:g} are neither RD New (EPSG:28992, metres: x {bx0:,.0f} to "
        f"{bx1:,.0f}, y {by0:,.0f} to {by1:,.0f}) nor longitude/latitude in the Netherlands (lon {lon0:.1f} to "
        f"{lon1:.1f}, lat {lat0:.1f} to {lat1:.1f}). Export the points in one of these two systems."
    )


def _numbers(values: pd.Series) -> pd.Series:
    """Numbers from text cells, a Dutch decimal comma read as a point (as the loader reads them)."""
    s = values.astype("string").str.strip()
    s = s.where(~s.str.match(files.DECIMAL_COMMA).fillna(False), s.str.replace(",", ".", regex=False))
    return pd.to_numeric(s, errors="coerce")


def _coordinate_columns(table: pd.DataFrame) -> tuple[str, str] | None:
    """The columns the loader takes the coordinates from: x/y when present, else lon/lat."""
    cols = pd.Index([str(c).strip() for c in table.columns])
    x, y = files.find_column(cols, files.X_CANDIDATES), files.find_column(cols, files.Y_CANDIDATES)
    if x and y:
        return str(x), str(y)
    lon, lat = files.find_column(cols, files.LON_CANDIDATES), files.find_column(cols, files.LAT_CANDIDATES)
    return (str(lon), str(lat)) if lon and lat else None


# --------------------------------------------------------------------------- reading each kind


def read_upload(
    kind: str,
    name: str,
    data: bytes,
    folder: str | Path,
    *,
    facility_type: str | None = None,
    limits: Limits | None = None,
) -> Upload:
    """Check and read one uploaded file of ``kind`` (:data:`BUURTEN`, :data:`CBS` or :data:`FACILITIES`).

    Parameters
    ----------
    kind
        What the file should hold.
    name, data
        The file's name as uploaded and its bytes.
    folder
        The session's temporary folder; the file is written to ``folder/<kind>/`` (replacing the last one).
    facility_type
        Facilities only: one type for every row (overrides a type column).
    limits
        Size and feature bounds (default: :func:`limits_from_env`).

    Raises
    ------
    geo.errors.PlanningError
        With what is wrong and how to fix it; nothing is kept.
    """
    limits = limits or limits_from_env()
    path = _store(kind, name, data, Path(folder), limits)
    if kind == BUURTEN:
        return _read_buurten(path, name, data, limits)
    if kind == CBS:
        return _read_cbs(path, name, data, limits)
    return _read_facilities(path, name, data, limits, facility_type)


def _read_buurten(path: Path, name: str, data: bytes, limits: Limits) -> Upload:
    info = _vector_info(path, name)
    _check_features(name, int(info.get("features") or 0), limits)
    loaded = files.load_buurten(path)
    report = _report(BUURTEN, name, data, loaded.report, crs=_crs_text(info))
    return Upload(BUURTEN, loaded.frame, report, _digest(data, BUURTEN))


def _read_cbs(path: Path, name: str, data: bytes, limits: Limits) -> Upload:
    if path.suffix.lower() == ".csv":
        _check_features(name, data.count(b"\n"), limits, "rows")
        if files.guess_kind(path) == FACILITIES:
            raise DataFileError(
                f"'{name}' has coordinate columns (x/y or lon/lat): it looks like facility points, not a CBS "
                "table. Upload it under facilities."
            )
    loaded = files.load_cbs_table(path)
    _check_features(name, loaded.report.rows_read, limits, "rows")
    try:
        wijk = files.load_cbs_table(path, level="wijk").frame
        wijk_names = {str(k): str(v) for k, v in wijk["regio"].dropna().items()} if "regio" in wijk else {}
    except (DataFileError, MissingColumnError, DuplicateCodeError):
        wijk_names = {}
    report = _report(CBS, name, data, loaded.report)
    return Upload(CBS, loaded.frame, report, _digest(data, CBS), wijk_names=wijk_names)


def _read_facilities(path: Path, name: str, data: bytes, limits: Limits, facility_type: str | None) -> Upload:
    if facility_type is not None and facility_type not in FACILITY_TYPES:
        raise ParameterError(f"Unknown facility type '{facility_type}'; expected one of: {', '.join(FACILITY_TYPES)}.")
    crs: str | None = None
    extra: dict = {}
    if path.suffix.lower() in files.TABLE_SUFFIXES:
        if path.suffix.lower() == ".csv":
            _check_features(name, data.count(b"\n"), limits, "rows")
        table = files.read_any_table(path)
        _check_features(name, len(table), limits, "rows")
        columns = [str(c).strip() for c in table.columns]
        coords = _coordinate_columns(table)
        if coords is not None:
            table.columns = columns
            assumed = detect_coordinates(_numbers(table[coords[0]]), _numbers(table[coords[1]]))
            if assumed is not None:
                crs = schema.WORK_CRS if assumed == RD else schema.MAP_CRS
                extra = {"crs": crs, "crs_assumed": assumed, "coordinate_columns": coords}
    else:
        info = _vector_info(path, name)
        _check_features(name, int(info.get("features") or 0), limits)
        columns = [str(c) for c in info.get("fields", [])]
        extra = {"crs": _crs_text(info)}

    exact = schema.FACILITY_TYPE in columns
    type_col = schema.FACILITY_TYPE if exact else _find(columns, TYPE_COLUMNS)
    if facility_type is None and type_col is None:
        raise MissingColumnError(
            f"'{name}': expected a column with the facility type (one of: {', '.join(TYPE_COLUMNS)}), "
            f"found columns: {', '.join(columns[:12])}. Add such a column, or choose one type for the whole file."
        )
    # The loader needs a 'facility_type' column: when the type is in another column (or chosen for the whole
    # file) it gets a placeholder, and the file's own column, which the loader keeps, is mapped below.
    placeholder = facility_type if facility_type is not None else (None if exact else "")
    loaded = files.load_facilities(path, facility_type=placeholder, crs=crs, require_name=False)
    frame = loaded.frame
    roles: dict[str, str] = {}
    if facility_type is None and type_col is not None:
        raw = frame[type_col].astype("string").str.strip().fillna("")
        roles["type"] = type_col
    else:
        raw = pd.Series(facility_type, index=frame.index, dtype="string")
    name_col = files.find_column(pd.Index(columns), ("name", "naam", "accommodatie naam", "vestigingsnaam"))
    if name_col is not None:
        roles["name"] = str(name_col)

    ids = frame[schema.FACILITY_ID].astype(str)
    id_col = None if schema.FACILITY_ID in columns else _find([c for c in frame.columns if c != "geometry"], ID_COLUMNS)
    if id_col is not None:
        ids = frame[id_col].astype("string").str.strip()
        if ids.isna().any() or (ids == "").any():
            ids = ids.fillna("").mask(ids.fillna("") == "", frame[schema.FACILITY_ID].astype(str))
        dup = ids[ids.duplicated(keep=False)]
        if len(dup):
            shown = ", ".join(sorted(set(dup.astype(str)))[:5])
            raise DuplicateCodeError(f"'{name}': expected each id in '{id_col}' once, found duplicates: {shown}.")
        roles["id"] = id_col
    elif schema.FACILITY_ID in columns:
        roles["id"] = schema.FACILITY_ID

    mapped = raw.map(map_facility_type)
    unknown = mapped.isna()
    unrecognised = dict(Counter(raw[unknown].astype(str)).most_common())
    if unknown.all():
        shown = ", ".join(f"'{v}' ({n})" for v, n in list(unrecognised.items())[:8])
        raise InvalidValueError(
            f"'{name}': no row has a facility type the app knows; found in '{type_col}': {shown}. "
            f"Use one of: {', '.join(FACILITY_TYPES)} (or a Dutch or English name such as 'sporthal', "
            "'bibliotheek', 'zwembad', 'bso', 'buurthuis')."
        )
    keep = ~unknown
    out = gpd.GeoDataFrame(
        {
            schema.FACILITY_ID: (ID_PREFIX + ids[keep].astype(str)).to_numpy(dtype=object),
            schema.FACILITY_TYPE: mapped[keep].astype(str).to_numpy(dtype=object),
            schema.FACILITY_NAME: frame.loc[keep, schema.FACILITY_NAME].astype(str).to_numpy(dtype=object),
        },
        geometry=frame.geometry[keep].to_numpy(),
        crs=schema.WORK_CRS,
    )
    for col in (schema.FACILITY_CAPACITY, schema.FACILITY_ADDRESS, schema.FACILITY_POSTCODE):
        if col in frame.columns:
            out[col] = frame.loc[keep, col].to_numpy()
    out[schema.LOCATION_PRECISION] = frame.loc[keep, schema.LOCATION_PRECISION].astype(str).to_numpy()
    out[schema.FACILITY_SOURCE] = UPLOAD_SOURCE
    out.index = pd.Index(out[schema.FACILITY_ID].to_numpy(dtype=object))
    report = _report(FACILITIES, name, data, loaded.report, columns=roles, unrecognised=unrecognised, **extra)
    if id_col is not None:
        report.notes = [n for n in report.notes if "facility_id" not in n]
    report.rows_kept = len(out)
    report.type_counts = {k: int(v) for k, v in out[schema.FACILITY_TYPE].value_counts().items()}
    return Upload(FACILITIES, out, report, _digest(data, FACILITIES, facility_type))


# --------------------------------------------------------------------------- a dataset for the session


@dataclass(frozen=True)
class SessionData:
    """The dataset the uploads make: written to the session folder for the app, or saved on request."""

    buurten: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    meta: dict
    #: True when the buurten (and CBS figures) are the uploaded ones; False when facilities were added to the base.
    own_buurten: bool
    #: Uploaded facilities left out because they lie farther than ``MAX_OUTSIDE_M`` outside the buurten.
    outside: tuple[str, ...]
    digest: str


def _display_name(text: object) -> str:
    """A dataset name made from file or data text: letters, digits, spaces and ``.,'()+-_`` only (no markup)."""
    return re.sub(r"[^\w .,'()+-]+", "", str(text)).strip()[:80] or "upload"


def _upload_source(up: Upload) -> dict:
    return {
        "id": f"{UPLOAD_SOURCE}_{up.kind}",
        "title": up.report.file_name,
        "publisher": "Uploaded in the app",
        "year": "",
        "licence": "unknown: check the terms of the original before sharing",
        "attribution": "",
        "url": "",
    }


def combine(
    base: files.Dataset, uploads: Mapping[str, Upload], *, required_cbs: Sequence[str] = ()
) -> SessionData | None:
    """The dataset the uploads make, or None when they change nothing yet.

    - buurten **and** a CBS table uploaded: a dataset of their own (polygons joined with the CBS figures on
      the buurt code), with the uploaded facilities and the base dataset's facilities within
      ``MAX_OUTSIDE_M`` of the buurten;
    - otherwise uploaded facilities are added to the base dataset's (same buurten, same types).

    ``required_cbs`` are the CBS variables the indicators need (``geo.decide.indicators.REQUIRED_CBS``);
    a table without them is refused here rather than later in the pipeline.
    """
    fac_up = uploads.get(FACILITIES)
    own = BUURTEN in uploads and CBS in uploads
    if not own and fac_up is None:
        return None
    if own:
        buurten, notes = _join_buurten_cbs(uploads[BUURTEN], uploads[CBS], required_cbs)
    else:
        buurten, notes = base.buurten, []
    area = buurten.geometry.union_all()
    outside: tuple[str, ...] = ()
    parts = []
    if fac_up is not None:
        far = fac_up.frame.geometry.distance(area) > MAX_OUTSIDE_M
        outside = tuple(fac_up.frame.loc[far, schema.FACILITY_ID].astype(str))
        parts.append(fac_up.frame.loc[~far])
    base_fac = base.facilities
    if own:
        base_fac = base_fac.loc[base_fac.geometry.distance(area) <= MAX_OUTSIDE_M]
    parts.insert(0, base_fac)
    facilities = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=schema.WORK_CRS)
    if facilities.empty:
        raise DataFileError(
            f"No facilities lie in or within {MAX_OUTSIDE_M / 1000:g} km of the uploaded buurten: "
            "upload facility points for this area as well."
        )
    facilities = facilities.sort_values([schema.FACILITY_TYPE, schema.FACILITY_ID], kind="mergesort")
    facilities.index = pd.Index(facilities[schema.FACILITY_ID].to_numpy(dtype=object))

    used_sources = set(facilities[schema.FACILITY_SOURCE].dropna().astype(str)) if (
        schema.FACILITY_SOURCE in facilities.columns) else set()
    base_sources = [dict(s) for s in base.meta.get("sources", [])]
    if own:
        base_sources = [s for s in base_sources if s.get("id") in used_sources]
    sources = base_sources + [_upload_source(up) for up in uploads.values() if own or up.kind == FACILITIES]
    upload_notes = [up.report.summary for up in uploads.values() if own or up.kind == FACILITIES]
    if outside:
        upload_notes.append(
            f"left out {len(outside)} uploaded facilities more than {MAX_OUTSIDE_M / 1000:g} km outside the buurten"
        )
    counts = facilities[schema.FACILITY_TYPE].value_counts().sort_index()
    if own:
        b, c = uploads[BUURTEN].report.file_name, uploads[CBS].report.file_name
        names = buurten[schema.MUNICIPALITY_NAME].dropna().unique()
        meta: dict = {
            # The name also names the street network ('<name>_walk.npz', see geo.data.networks.find_network).
            "name": f"{_display_name(names[0] if len(names) == 1 else Path(b).stem)} upload",
            "municipality_code": ", ".join(sorted(buurten[schema.MUNICIPALITY_CODE].dropna().unique())),
            "statistics_year": None,
            "geometry_year": None,
            "build_notes": notes + upload_notes,
            "uploaded": {BUURTEN: b, CBS: c, **({FACILITIES: fac_up.report.file_name} if fac_up else {})},
        }
    else:
        assert fac_up is not None
        # Still the base dataset (same name, so the same street network and share link), with more points.
        meta = {
            **base.meta,
            "build_notes": [*base.meta.get("build_notes", []), *upload_notes],
            "uploaded": {FACILITIES: fac_up.report.file_name},
        }
    meta.update(
        n_buurten=int(len(buurten)),
        n_facilities={str(k): int(v) for k, v in counts.items()},
        sources=sources,
    )
    digest = hashlib.sha256(
        repr((str(base.directory), sorted((k, u.digest) for k, u in uploads.items()))).encode("utf-8")
    ).hexdigest()
    return SessionData(buurten, facilities, meta, own, outside, digest)


def _join_buurten_cbs(
    b_up: Upload, c_up: Upload, required: Sequence[str]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    geo_frame, stats = b_up.frame, c_up.frame
    b_name, c_name = b_up.report.file_name, c_up.report.file_name
    missing = [v for v in required if v not in stats.columns]
    if missing:
        raise MissingColumnError(
            f"'{c_name}': expected the CBS variables {', '.join(required)} (kerncijfers wijken en buurten); "
            f"missing: {', '.join(missing)}."
        )
    common = geo_frame.index.intersection(stats.index)
    if len(common) == 0:
        raise DataFileError(
            f"The buurt codes of '{b_name}' ({', '.join(map(str, geo_frame.index[:3]))} …) and of '{c_name}' "
            f"({', '.join(map(str, stats.index[:3]))} …) have nothing in common. Both need CBS buurt codes "
            "such as 'BU03440111' (one column, one code per buurt)."
        )
    notes = []
    only_geo = geo_frame.index.difference(stats.index)
    only_cbs = stats.index.difference(geo_frame.index)
    if len(only_geo):
        notes.append(f"{len(only_geo)} buurten without a row in '{c_name}' (no figures): "
                     f"{', '.join(map(str, only_geo[:5]))}")
    if len(only_cbs):
        notes.append(f"{len(only_cbs)} rows of '{c_name}' without a polygon left out: "
                     f"{', '.join(map(str, only_cbs[:5]))}")
    codes = pd.Series(geo_frame.index.astype(str), index=geo_frame.index)
    out = gpd.GeoDataFrame({schema.BUURT_CODE: codes.to_numpy(dtype=object)}, geometry=geo_frame.geometry.values,
                           crs=schema.WORK_CRS, index=geo_frame.index)
    regio = stats["regio"].reindex(out.index) if "regio" in stats.columns else None
    names = geo_frame[schema.BUURT_NAME].astype(object)
    out[schema.BUURT_NAME] = regio.fillna(names) if regio is not None else names
    out[schema.WIJK_CODE] = "WK" + codes.str[2:8]
    out[schema.WIJK_NAME] = out[schema.WIJK_CODE].map(dict(c_up.wijk_names)).fillna(out[schema.WIJK_CODE])
    out[schema.MUNICIPALITY_CODE] = "GM" + codes.str[2:6]
    gm = stats["gm_naam"].reindex(out.index) if "gm_naam" in stats.columns else None
    out[schema.MUNICIPALITY_NAME] = gm.fillna(out[schema.MUNICIPALITY_CODE]) if gm is not None else out[
        schema.MUNICIPALITY_CODE]
    # As the default build: the numeric variables with data, and the kwb variables indicators read even when empty.
    numeric = [
        c for c in stats.columns
        if pd.api.types.is_float_dtype(stats[c]) and c not in out.columns
        and (stats[c].notna().any() or c in KWB_REQUIRED)
    ]
    out = out.join(stats[numeric])
    ordered = [*[c for c in schema.BUURT_ID_COLUMNS if c in out.columns], *numeric, "geometry"]
    return gpd.GeoDataFrame(out[ordered], geometry="geometry", crs=schema.WORK_CRS).sort_index(), notes


def write_session_dataset(data: SessionData, folder: str | Path) -> Path:
    """Write ``data`` as a dataset folder under the session ``folder`` (once per distinct set of uploads)."""
    d = Path(folder) / f"dataset-{data.digest[:16]}"
    if not (d / files.DATASET_META).exists():
        files.write_dataset(data.buurten, data.facilities, data.meta, d)
    return d


# --------------------------------------------------------------------------- save as dataset

_SLUG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_slug(text: str) -> str:
    """The folder name a user typed, if it is safe: letters, digits, ``-`` and ``_``, not a shipped name."""
    slug = str(text).strip()
    if not _SLUG.match(slug):
        raise ParameterError(
            f"Dataset name '{slug}': use only letters, digits, '-' and '_' (1 to 64 characters), "
            "for example 'utrecht-eigen-2025'."
        )
    shipped = {DEFAULT_DATA_DIR.name.lower(), UPLOADS_DIR.name.lower()}
    if DATA_DIR.is_dir():
        shipped |= {p.name.lower() for p in DATA_DIR.iterdir() if p.is_dir()}
    if slug.lower() in shipped:
        raise ParameterError(f"'{slug}' is the name of data that ships with the app; choose another name.")
    return slug


def save_dataset(data: SessionData, name: str, *, root: str | Path = UPLOADS_DIR) -> Path:
    """Write ``data`` as ``<root>/<name>/`` (``dataset.gpkg`` + ``dataset.json``); never overwrites a folder."""
    slug = check_slug(name)
    root = Path(root)
    target = root / slug
    if target.exists():
        raise ParameterError(f"A saved dataset '{slug}' already exists; choose another name (nothing was overwritten).")
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{slug}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    files.write_dataset(data.buurten, data.facilities, {**data.meta, "name": slug}, tmp)
    tmp.rename(target)
    return target
