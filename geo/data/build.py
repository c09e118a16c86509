"""Build a dataset folder for one municipality from national-format open data.

``python -m geo build --gemeente GM0855 --kwb kwb-2023.xlsx [--kwb kwb-2024.xlsx …] --buurten wijkenbuurten.gpkg
[--nabijheid nabijheid.csv] [--facilities sport.gpkg …] [--schools DUO.csv …] --out data/tilburg`` reads files a
planner downloads by hand (CBS kerncijfers wijken en buurten, CBS buurt polygons, CBS nabijheid, DUO schools,
facility points), keeps the rows of one municipality, validates them with the loaders of :mod:`geo.data.files`
and writes the dataset folder the app and ``rank`` read: ``dataset.gpkg`` (layers ``buurten`` and ``facilities``,
EPSG:28992) and ``dataset.json`` (sources, years per indicator, access measures, what is missing, build notes).

Several kwb files may be given: per CBS variable the newest year that has values for the municipality is used,
and ``dataset.json`` records it (``variable_years``, and per catalog indicator ``indicator_years``).

``python -m geo build-default [--shared DIR] [--out DIR]`` is :func:`build_dataset` with Utrecht's files from
the shared open data (:data:`SHARED_FILES`, see ``data/SOURCES.md``); it writes ``data/utrecht``.
The build is deterministic: the same inputs give the same files.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo import schema
from geo.catalog import ACCESS, FACILITY_TYPES, INDICATORS
from geo.data import files
from geo.data.networks import build_network
from geo.data.paths import NETWORKS_DIR
from geo.errors import DataFileError, MissingColumnError, ParameterError
from geo.network.graph import Network
from geo.network.ways import OSM_LICENCE, get_profile

MUNICIPALITY_CODE = "GM0344"
MUNICIPALITY_NAME = "Utrecht"
#: Facilities farther than this outside the municipality are treated as bad
#: coordinates (a children's trip does not cross that far) and reported.
MAX_OUTSIDE_M = 2_000.0
#: A buurt polygon smaller than this (m², once repaired) is a simplification artefact, not a shape.
MIN_BUURT_AREA_M2 = 1_000.0
#: Up to this many dropped facilities are named one by one in the build notes; more are summarised.
MAX_NAMED_DROPS = 10

#: CBS Nabijheid 2023 columns (StatLine export) -> facility type. The values are
#: CBS road distances (km), averaged over the addresses of the buurt. Its values are the facility types CBS
#: publishes a distance for: :func:`describe_missing` lists only these, and the OData crosswalk of
#: :mod:`geo.data.cbs` takes its titles from here. (Nabijheid also has a distance to a museum, not read yet;
#: it is empty for every Utrecht buurt in 2023.)
NABIJHEID_COLUMNS = {
    "Kinderopvang/Kinderdagverblijf/Afstand tot kinderdagverblijf (km)": "childcare",
    "Kinderopvang/Buitenschoolse opvang/Afstand tot buitenschoolse opvang (km)": "after_school_care",
    "Vrije tijd en cultuur/Afstand tot bibliotheek (km)": "library",
    "Vrije tijd en cultuur/Sport/Afstand tot zwembad (km)": "swimming_pool",
    "Onderwijs/Basisonderwijs/Afstand tot school (km)": "primary_school",
    "Vrije tijd en cultuur/Podiumkunsten (excl. festivals)/Afstand tot podiumkunsten totaal (km)": "culture",
}

#: kwb variables always kept when a kwb file has them (even when empty in that release) because indicators use
#: them. A variable no file has is not invented: it is listed under ``missing`` in ``dataset.json``.
KWB_REQUIRED = (
    "a_inw", "a_00_14", "a_15_24", "a_25_44", "a_45_64", "a_65_oo", "a_nl_all", "a_eur_al", "a_neu_al",
    "a_hh", "a_1p_hh", "a_hh_z_k", "a_hh_m_k", "g_hhgro", "bev_dich", "a_woning", "g_wozbag", "p_koopw",
    "p_huurw", "p_wcorpw", "a_soz_wb", "a_soz_ao", "a_soz_ww", "a_soz_ow", "g_ink_pi", "p_hh_li",
    "p_hh_osm", "a_opp_ha", "a_lan_ha", "a_wat_ha", "ste_mvs", "ste_oad",
)
#: Without these no ranking is possible: a build without them stops.
KWB_ESSENTIAL = ("a_inw", "a_00_14")

#: CBS StatLine export labels (table "Kerncijfers wijken en buurten", CSV download) -> kwb short names, so that
#: a StatLine CSV and a kwb xlsx give the same columns. Labels not listed here are kept as they are.
STATLINE_KWB_NAMES = {
    "Wijken en buurten": "regio",
    "Regioaanduiding/Gemeentenaam (naam)": "gm_naam",
    "Regioaanduiding/Soort regio (omschrijving)": "recs",
    "Regioaanduiding/Indelingswijziging gemeente, wijk, buurt (code)": "ind_wbi",
    "Regioaanduiding/Indelingswijziging wijken en buurten (code)": "ind_wbi",
    "Bevolking/Aantal inwoners (aantal)": "a_inw",
    "Bevolking/Geslacht/Mannen (aantal)": "a_man",
    "Bevolking/Geslacht/Vrouwen (aantal)": "a_vrouw",
    "Bevolking/Leeftijdsgroepen/0 tot 15 jaar (aantal)": "a_00_14",
    "Bevolking/Leeftijdsgroepen/15 tot 25 jaar (aantal)": "a_15_24",
    "Bevolking/Leeftijdsgroepen/25 tot 45 jaar (aantal)": "a_25_44",
    "Bevolking/Leeftijdsgroepen/45 tot 65 jaar (aantal)": "a_45_64",
    "Bevolking/Leeftijdsgroepen/65 jaar of ouder (aantal)": "a_65_oo",
}

#: Utrecht's files in the shared open data (``build-default``).
SHARED_FILES = {
    "buurten": "utrecht_buurten_gemeente_2013/buurt.geojson",
    "gemeente": "utrecht_buurten_gemeente_2013/gemeente.geojson",
    "kwb": "utrecht_cbs_kwb_2023_2024/CBS-Utrecht-kwb-2023.xlsx",
    "nabijheid": "utrecht_cbs_kwb_2023_2024/CBS-Utrecht_Nabijheid_voorzieningen_buurt_2023.csv",
    "mulier": "utrecht_sport_mulier/mulier-instituut_sportaccomodaties_Utrecht.csv",
    "duo_addresses": "duo_basisonderwijs/utrecht_schoolvestigingen_basisonderwijs.csv",
    "duo_pupils": "duo_basisonderwijs/utrecht_leerlingen_per_vestiging_1996_2025.csv",
    "duo_points": "duo_basisonderwijs_geocoded/utrecht_basisscholen_geocoded.gpkg",
}

SOURCES = [
    {
        "id": "cbs_kwb_2023",
        "title": "Kerncijfers wijken en buurten 2023 (eerste release)",
        "publisher": "Centraal Bureau voor de Statistiek (CBS)",
        "year": 2023,
        "licence": "CC BY 4.0",
        "attribution": "Bron: CBS",
        "url": "https://www.cbs.nl/nl-nl/maatwerk/2023/35/kerncijfers-wijken-en-buurten-2023",
    },
    {
        "id": "cbs_nabijheid_2023",
        "title": "Nabijheid voorzieningen; afstand locatie, wijk- en buurtcijfers 2023",
        "publisher": "Centraal Bureau voor de Statistiek (CBS)",
        "year": 2023,
        "licence": "CC BY 4.0",
        "attribution": "Bron: CBS",
        "url": "https://opendata.cbs.nl/statline/",
    },
    {
        "id": "utrecht_buurten_2013",
        "title": "Buurtgrenzen gemeente Utrecht",
        "publisher": "Gemeente Utrecht (via github.com/bartvde/geojson)",
        "year": 2013,
        "licence": "Open data Gemeente Utrecht (verify before redistribution)",
        "attribution": "Gemeente Utrecht",
        "url": "https://github.com/bartvde/geojson/tree/master/utrecht",
    },
    {
        "id": "mulier_sport",
        "title": "Sportaccommodaties in Nederland (extract Utrecht)",
        "publisher": "Mulier Instituut",
        "year": 2024,
        "licence": "Reuse with attribution (terms to verify)",
        "attribution": "Bron: Mulier Instituut",
        "url": "https://www.sportenbewegenincijfers.nl",
    },
    {
        "id": "duo_bo",
        "title": "Alle vestigingen basisonderwijs; Aantal leerlingen per vestiging",
        "publisher": "Dienst Uitvoering Onderwijs (DUO)",
        "year": 2025,
        "licence": "CC0 1.0",
        "attribution": "DUO Open Onderwijsdata",
        "url": "https://duo.nl/open_onderwijsdata/",
    },
    {
        "id": "pc4_centroids",
        "title": "Postcodetabel PC4-centroïden (offline geocoding of schools)",
        "publisher": "drikusroor/dutch-postal-code-city-coordinates",
        "year": 2016,
        "licence": "MIT",
        "attribution": "© 2022 Drikus Roor",
        "url": "https://github.com/drikusroor/dutch-postal-code-city-coordinates",
    },
]

#: Columns the CBS achterstandsscores add to each primary school (``--school-scores``).
DISADVANTAGE_SCORE = "disadvantage_score"
DISADVANTAGE_PER_PUPIL = "disadvantage_score_per_pupil"
DISADVANTAGE_PUPILS = "disadvantage_pupils"
DISADVANTAGE_UNRELIABLE = "disadvantage_unreliable"
DISADVANTAGE_COLUMNS = (DISADVANTAGE_SCORE, DISADVANTAGE_PER_PUPIL, DISADVANTAGE_PUPILS, DISADVANTAGE_UNRELIABLE)

#: What a dataset may lack, grouped the way a planner thinks of it: (id, catalog indicators, (nl, en)).
MISSING_THEMES: tuple[tuple[str, tuple[str, ...], tuple[str, str]], ...] = (
    ("income", ("income_per_inhabitant_keur", "share_low_income_hh_pct", "share_social_minimum_hh_pct"),
     ("Inkomen (gemiddeld inkomen, huishoudens met een laag inkomen of rond het sociaal minimum)",
      "Income (average income, low-income and social-minimum households)")),
    ("benefits", ("benefits_bijstand_per_1000", "benefits_ao_per_1000", "benefits_ww_per_1000"),
     ("Uitkeringen (bijstand, arbeidsongeschiktheid, WW)", "Benefits (social assistance, disability, unemployment)")),
    ("woz", ("woz_mean_keur",), ("WOZ-waarde van woningen", "WOZ value of dwellings")),
    ("housing", ("share_social_rent_pct", "share_rent_pct"),
     ("Woningvoorraad (corporatie- en huurwoningen)", "Housing stock (housing-corporation and rented dwellings)")),
    ("households", ("share_hh_with_children_pct",), ("Huishoudens met kinderen", "Households with children")),
    ("migration", ("share_non_western_migration_pct",), ("Migratieachtergrond", "Migration background")),
    ("density", ("density_per_km2",), ("Bevolkingsdichtheid", "Population density")),
)
_MISSING_NABIJHEID = ("CBS-afstanden over de weg (Nabijheid voorzieningen) tot", "CBS road distances (Nabijheid) to")
_MISSING_POINTS = ("Locaties (punten) van", "Locations (points) of")
_MISSING_NETWORK = (
    "Een straten-netwerk voor lopen en fietsen: afstanden tot punten zijn hemelsbreed (benadering)",
    "A street network for walking and cycling: distances to points are straight-line (approximation)",
)
#: The label of a network made from car roads only (an osmnx 'drive' graph): times on it are approximations.
CAR_ROADS_APPROXIMATION = (
    "Loop- en fietstijden zijn benaderingen: het netwerk bevat alleen wegen voor auto's (OpenStreetMap, "
    "'drive'); voet- en fietspaden, fietsbruggen en doorsteken ontbreken, dus echte routes zijn vaak korter.",
    "Walking and cycling times are approximations: the network holds car roads only (OpenStreetMap, 'drive'); "
    "footpaths, cycle paths, cycle bridges and shortcuts are missing, so real routes are often shorter.",
)
#: OSM highway values a walk or bike network has and a car-road ('drive') network lacks.
FOOT_AND_CYCLE_HIGHWAYS = frozenset({"footway", "cycleway", "path", "pedestrian", "steps", "track", "bridleway"})

_CODE = re.compile(r"^GM\d{4}$")
_YEAR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(?!\d)")
_VARIABLE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class KwbFile:
    """A CBS kerncijfers wijken en buurten table (kwb xlsx/csv or StatLine CSV) and its year."""

    path: Path
    year: int


@dataclass(frozen=True)
class BuurtenFile:
    """Buurt polygons: national (CBS codes ``BU…``) or municipal with local codes and a ``code_prefix``."""

    path: Path
    layer: str | None = None
    code_column: str | None = None
    name_column: str | None = None
    #: Put before every code (a municipal file with local codes, e.g. Utrecht's ``KODE`` '0111' → 'BU03440111').
    code_prefix: str = ""
    #: CRS to assume when the file has none (the national 2014 TopoJSON is lon/lat without a CRS member).
    crs: str | None = None
    #: Year of the buurt division, when known.
    year: int | None = None


@dataclass(frozen=True)
class FacilityFile:
    """Facility points; ``facility_type`` for a file without a ``facility_type`` column. Mulier files are detected."""

    path: Path
    facility_type: str | None = None


@dataclass(frozen=True)
class SchoolFiles:
    """DUO primary-school branches (``VESTIGINGSCODE``) with optional pupils, points and CBS achterstandsscores.

    ``addresses``: DUO "Alle vestigingen basisonderwijs" (or a geocoded copy with ``x_rd``/``y_rd`` or
    ``lon``/``lat`` and ``geocode_precision``); ``pupils``: DUO "aantal leerlingen per vestiging"
    (``LEERLINGEN_<year>``; the newest year with values is used); ``points``: a point layer keyed on
    ``VESTIGINGSCODE`` (used instead of coordinates in ``addresses``); ``scores``: CBS achterstandsscores per
    vestiging (the derived CSV of ``cbs_achterstandsscores_basisscholen_2019``).
    """

    addresses: Path
    pupils: Path | None = None
    points: Path | None = None
    scores: Path | None = None


@dataclass(frozen=True)
class BuildInputs:
    """Everything :func:`build_dataset` reads for one municipality."""

    municipality_code: str
    kwb: tuple[KwbFile, ...]
    buurten: BuurtenFile
    nabijheid: Path | None = None
    facilities: tuple[FacilityFile, ...] = ()
    schools: SchoolFiles | None = None
    #: Municipality polygon for the facility check (default: the union of its buurten).
    area: Path | None = None
    #: Dataset name (default: the municipality name in the newest kwb file).
    name: str | None = None
    #: Source records for ``dataset.json`` (default: made from the kinds of input given).
    sources: tuple[dict, ...] | None = None
    #: A street network file (osmnx GraphML, OSM extract, Overpass JSON): walk and bike networks are built from it.
    network: Path | None = None

    def all_paths(self) -> list[Path]:
        paths = [k.path for k in self.kwb] + [self.buurten.path] + [f.path for f in self.facilities]
        paths += [p for p in (self.nabijheid, self.area, self.network) if p is not None]
        if self.schools is not None:
            s = self.schools
            paths += [p for p in (s.addresses, s.pupils, s.points, s.scores) if p is not None]
        return paths


def utrecht_inputs(shared_dir: str | Path) -> BuildInputs:
    """The inputs of ``build-default``: Utrecht's files in the shared open data."""
    shared = Path(shared_dir)
    paths = {k: shared / v for k, v in SHARED_FILES.items()}
    return BuildInputs(
        municipality_code=MUNICIPALITY_CODE,
        name=MUNICIPALITY_NAME,
        kwb=(KwbFile(paths["kwb"], 2023),),
        buurten=BuurtenFile(paths["buurten"], code_column="KODE", name_column="NAAM", code_prefix="BU0344",
                            year=2013),
        nabijheid=paths["nabijheid"],
        facilities=(FacilityFile(paths["mulier"], "sport"),),
        schools=SchoolFiles(paths["duo_addresses"], pupils=paths["duo_pupils"], points=paths["duo_points"]),
        area=paths["gemeente"],
        sources=tuple(SOURCES),
    )


def build_default(shared_dir: str | Path, out_dir: str | Path) -> dict:
    """Build the default dataset (Utrecht); return the metadata written to ``dataset.json``."""
    return build_dataset(utrecht_inputs(shared_dir), out_dir)


def parse_kwb_argument(text: str) -> KwbFile:
    """``YEAR=PATH`` or a path whose name holds the year (``kwb-2023.xlsx``)."""
    year_text, sep, rest = text.partition("=")
    if sep and year_text.strip().isdigit():
        return KwbFile(Path(rest), _check_year(int(year_text), text))
    found = _YEAR.findall(Path(text).name)
    if len(set(found)) != 1:
        raise ParameterError(
            f"--kwb '{text}': expected the year in the file name (e.g. kwb-2023.xlsx) or YEAR=FILE, "
            f"found {'no year' if not found else 'several years: ' + ', '.join(sorted(set(found)))}."
        )
    return KwbFile(Path(text), _check_year(int(found[0]), text))


def parse_facility_argument(text: str) -> FacilityFile:
    """``TYPE=PATH`` (a file without a facility_type column) or ``PATH``."""
    kind, sep, rest = text.partition("=")
    if sep and kind in FACILITY_TYPES:
        return FacilityFile(Path(rest), kind)
    if sep and not Path(text).exists():
        raise ParameterError(
            f"--facilities '{text}': unknown facility type '{kind}'; expected one of: {', '.join(FACILITY_TYPES)}."
        )
    return FacilityFile(Path(text))


def year_in_name(path: str | Path) -> int | None:
    """The one year (19xx/20xx) in a file name, else None."""
    found = set(_YEAR.findall(Path(path).name))
    return int(found.pop()) if len(found) == 1 else None


def _check_year(year: int, text: str) -> int:
    if not 1990 <= year <= 2100:
        raise ParameterError(f"--kwb '{text}': expected a year between 1990 and 2100, found {year}.")
    return year


def slug(name: str) -> str:
    """A folder and network name for a municipality: ``'s-Hertogenbosch`` → ``s_hertogenbosch``, ``Aa en Hunze`` →
    ``aa_en_hunze`` (what :func:`geo.data.networks.find_network` makes of a plain name)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")


def municipality_digits(code: str) -> str:
    """``GM0344`` → ``0344`` (after checking the form of the code)."""
    if not _CODE.match(code):
        raise ParameterError(f"Expected a CBS municipality code like GM0344, found '{code}'.")
    return code[2:]


# --------------------------------------------------------------------------- the build


def build_dataset(inputs: BuildInputs, out_dir: str | Path, *, network_dir: str | Path = NETWORKS_DIR) -> dict:
    """Build one municipality's dataset folder; return the metadata written to ``dataset.json``."""
    code = inputs.municipality_code
    digits = municipality_digits(code)
    if not inputs.kwb:
        raise ParameterError("Expected at least one kwb file (--kwb).")
    years = [k.year for k in inputs.kwb]
    if len(set(years)) != len(years):
        raise ParameterError(f"--kwb: expected one file per year, found years {', '.join(map(str, sorted(years)))}.")
    if not inputs.facilities and inputs.schools is None:
        raise ParameterError(
            "Expected at least one facility file (--facilities or --schools): a dataset without facilities "
            "cannot be read back."
        )
    for path in inputs.all_paths():
        files.check_file(path)
    notes: list[str] = []

    kwb_notes: list[str] = []
    kwb = read_kwb(inputs.kwb, code, kwb_notes)
    name = inputs.name or kwb.name or code
    buurten = build_buurten(inputs, kwb, name, notes, kwb_notes)
    without_shape = [
        {"buurt_code": c, "buurt_name": str(kwb.names.get(c, "")), "a_inw": _number(kwb.stats, c, "a_inw"),
         "a_00_14": _number(kwb.stats, c, "a_00_14")}
        for c in sorted(set(kwb.newest_codes) - set(buurten.index))
    ]
    if inputs.area is not None:
        municipality = gpd.read_file(inputs.area).to_crs(schema.WORK_CRS).geometry.union_all()
    else:
        municipality = shapely.union_all(shapely.make_valid(buurten.geometry.values))
    facilities = build_facilities(inputs, digits, name, municipality, notes)

    access_measures = {}
    for key in FACILITY_TYPES:
        col = schema.cbs_dist_col(key)
        n_cbs = int(buurten[col].notna().sum()) if col in buurten else 0
        n_points = int((facilities[schema.FACILITY_TYPE] == key).sum())
        access_measures[key] = {"cbs_buurten_with_value": n_cbs, "points": n_points}
    suppressed = {
        c: int(buurten[c].isna().sum()) for c in buurten.columns if c not in (*schema.BUURT_ID_COLUMNS, "geometry")
    }
    network_meta = None
    if inputs.network is not None:
        network_meta = build_networks(inputs.network, name=slug(name), out_dir=network_dir)
    meta: dict = {
        "name": name,
        "municipality_code": code,
        "statistics_year": max(years),
        "geometry_year": inputs.buurten.year,
        "n_buurten": int(len(buurten)),
        "n_facilities": {k: int(v) for k, v in facilities[schema.FACILITY_TYPE].value_counts().sort_index().items()},
        "access_sources": access_measures,
        "missing_per_column": {k: v for k, v in suppressed.items() if v},
        "variable_years": {c: kwb.years[c] for c in buurten.columns if c in kwb.years},
        "indicator_years": indicator_years(kwb.years),
        "without_shape": without_shape,
        "missing": describe_missing(buurten, facilities, network=network_meta is not None),
    }
    if network_meta is not None:
        meta["network_name"] = network_meta["name"]
        meta["network"] = network_meta
        if network_meta.get("approximation"):
            meta["approximation"] = network_meta["approximation"]
    if without_shape:
        shown = ", ".join(f"{b['buurt_code']} {b['buurt_name']}" for b in without_shape[:10])
        notes.append(
            f"{len(without_shape)} buurten of the kwb table have no polygon in '{inputs.buurten.path.name}' and are "
            f"not in the dataset: {shown}" + (" …" if len(without_shape) > 10 else "")
        )
    meta["build_notes"] = notes
    meta["sources"] = list(inputs.sources) if inputs.sources is not None else default_sources(inputs, kwb)
    files.write_dataset(buurten, facilities, meta, out_dir)
    return meta


def _number(frame: pd.DataFrame, code: str, column: str) -> float | None:
    if column not in frame.columns or code not in frame.index:
        return None
    value = frame.at[code, column]
    return None if pd.isna(value) else float(value)


# --------------------------------------------------------------------------- kwb tables


@dataclass
class KwbData:
    """The kwb variables of one municipality's buurten, merged over the years given."""

    #: Buurt code → kwb variables (numeric), the newest year with values per variable.
    stats: pd.DataFrame
    #: Variable → year its values come from (variables with values only).
    years: dict[str, int]
    #: Buurt code → name (newest file that has the buurt).
    names: pd.Series
    #: Wijk code → name without the "Wijk 01 " prefix.
    wijk_names: pd.Series
    #: The municipality's name in the newest file, if it has a gemeente row.
    name: str | None
    #: Buurt codes of the newest file (the current division).
    newest_codes: list[str] = field(default_factory=list)


def read_kwb_table(path: str | Path, *, level: str = "buurt") -> files.Loaded:
    """:func:`geo.data.files.load_cbs_table` with StatLine labels renamed to kwb short names."""
    loaded = files.load_cbs_table(path, level=level)
    rename = {c: STATLINE_KWB_NAMES[c] for c in loaded.frame.columns if c in STATLINE_KWB_NAMES}
    if rename:
        loaded.frame = loaded.frame.rename(columns=rename)
        loaded.report.suppressed = {rename.get(k, k): v for k, v in loaded.report.suppressed.items()}
    return loaded


def _level(path: Path, level: str, prefix: str) -> pd.DataFrame | None:
    try:
        frame = read_kwb_table(path, level=level).frame
    except DataFileError:
        return None
    return frame.loc[frame.index.str.startswith(prefix)]


def strip_wijk(names: pd.Series) -> pd.Series:
    return names.astype(str).str.replace(r"^Wijk \d+\s+", "", regex=True)


def read_kwb(kwb_files: Sequence[KwbFile], code: str, notes: list[str]) -> KwbData:
    """Read each kwb file, keep the municipality's buurten and take per variable the newest year with values."""
    digits = municipality_digits(code)
    tables: list[tuple[int, pd.DataFrame]] = []
    wijk_names = pd.Series(dtype=object)
    name = None
    for kf in sorted(kwb_files, key=lambda k: k.year, reverse=True):
        loaded = read_kwb_table(kf.path)
        frame = loaded.frame
        mine = frame.index.str.startswith("BU" + digits)
        if not mine.any():
            others = sorted({c[2:6] for c in frame.index})
            raise DataFileError(
                f"'{kf.path.name}': expected buurten of {code} (codes BU{digits}…), found none; the file has buurten "
                f"of {len(others)} other municipalities (GM{', GM'.join(others[:5])}{' …' if len(others) > 5 else ''})."
            )
        frame = frame.loc[mine]
        n_sup = int(frame.isna().sum().sum())
        notes.append(
            f"{loaded.report.source}: {loaded.report.rows_read} rows read, {len(frame)} kept; "
            f"{n_sup} suppressed values read as missing."
        )
        tables.append((kf.year, frame))
        if name is None:
            gm = _level(kf.path, "gemeente", code)
            if gm is not None and len(gm) and "regio" in gm.columns and gm["regio"].notna().any():
                name = str(gm["regio"].dropna().iloc[0]).strip()
        wijk = _level(kf.path, "wijk", "WK" + digits)
        if wijk is not None and "regio" in wijk.columns:
            new = strip_wijk(wijk["regio"])
            wijk_names = pd.concat([wijk_names, new[~new.index.isin(wijk_names.index)]])

    order: list[str] = []
    for _, frame in tables:
        order += [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c]) and c not in order]
    codes = pd.Index(sorted(set().union(*(set(f.index) for _, f in tables))))
    stats = pd.DataFrame(index=codes)
    years: dict[str, int] = {}
    for col in order:
        having = [(y, f) for y, f in tables if col in f.columns]
        with_values = [(y, f) for y, f in having if f[col].notna().any()]
        if not with_values and col not in KWB_REQUIRED:
            continue
        year, frame = (with_values or having)[0]
        if with_values:
            years[col] = year
        stats[col] = frame[col].reindex(codes)
    names = pd.Series(dtype=object)
    for _, frame in tables:
        if "regio" in frame.columns:
            names = names.combine_first(frame["regio"]) if len(names) else frame["regio"].copy()
    missing = [c for c in KWB_ESSENTIAL if c not in years]
    if missing:
        raise MissingColumnError(
            f"kwb: expected values of {', '.join(KWB_ESSENTIAL)} for the buurten of {code}; "
            f"found none of {', '.join(missing)} in {', '.join(k.path.name for k in kwb_files)}."
        )
    if len(tables) > 1:
        newest = tables[0][0]
        for year, frame in tables[1:]:
            taken = [c for c, y in years.items() if y == year]
            if taken:
                absent = sorted(set(tables[0][1].index) - set(frame.index))
                notes.append(
                    f"kwb {year} used for {len(taken)} variables without values in kwb {newest} "
                    f"({', '.join(taken[:12])}{' …' if len(taken) > 12 else ''})"
                    + (f"; {len(absent)} buurten of {newest} have no code in kwb {year}, so these variables are "
                       f"missing there" if absent else "")
                )
    return KwbData(stats=stats, years=years, names=names, wijk_names=wijk_names, name=name,
                   newest_codes=sorted(tables[0][1].index))


def indicator_variables(key: str) -> tuple[str, ...]:
    """The CBS variables a catalog indicator is computed from (named in its definition)."""
    return tuple(dict.fromkeys(_VARIABLE.findall(INDICATORS[key].definition)))


def indicator_years(variable_years: dict[str, int]) -> dict[str, int]:
    """Per catalog indicator computed from kwb variables: the year of its data (the oldest of its variables)."""
    out = {}
    for key, ind in INDICATORS.items():
        variables = indicator_variables(key)
        if ind.group == ACCESS or not variables or any(v not in variable_years for v in variables):
            continue
        out[key] = min(variable_years[v] for v in variables)
    return out


def describe_missing(buurten: pd.DataFrame, facilities: pd.DataFrame, *, network: bool) -> list[dict]:
    """What this dataset lacks that a full one has: indicators without data, CBS distances, points, a network."""
    out: list[dict] = []

    def has(variable: str) -> bool:
        return variable in buurten.columns and bool(pd.to_numeric(buurten[variable], errors="coerce").notna().any())

    for theme, keys, (nl, en) in MISSING_THEMES:
        lacking = [k for k in keys if not all(has(v) for v in indicator_variables(k))]
        if lacking:
            out.append({"id": theme, "kind": "indicators", "keys": lacking, "nl": nl, "en": en})
    # Only the types CBS publishes a distance for: CBS has none to sport, playgrounds, youth work, nature …
    published = set(NABIJHEID_COLUMNS.values())
    no_cbs = [k for k in FACILITY_TYPES if k in published and not has(schema.cbs_dist_col(k))]
    if no_cbs:
        out.append(_facility_item("nabijheid", "cbs_distances", no_cbs, _MISSING_NABIJHEID))
    types = set(facilities[schema.FACILITY_TYPE]) if len(facilities) else set()
    no_points = [k for k in FACILITY_TYPES if k not in types]
    if no_points:
        out.append(_facility_item("facility_points", "facility_points", no_points, _MISSING_POINTS))
    if not network:
        out.append({"id": "street_network", "kind": "street_network", "keys": [],
                    "nl": _MISSING_NETWORK[0], "en": _MISSING_NETWORK[1]})
    return out


def _facility_item(item_id: str, kind: str, keys: list[str], lead: tuple[str, str]) -> dict:
    labels_nl = ", ".join(FACILITY_TYPES[k].label_nl.lower() for k in keys)
    labels_en = ", ".join(FACILITY_TYPES[k].label_en.lower() for k in keys)
    return {"id": item_id, "kind": kind, "keys": keys, "nl": f"{lead[0]}: {labels_nl}", "en": f"{lead[1]}: {labels_en}"}


# --------------------------------------------------------------------------- buurten


def load_buurten_file(spec: BuurtenFile) -> files.Loaded:
    """:func:`geo.data.files.load_buurten` on ``spec``, with its buurt-layer choice and CRS assumption.

    Buurten with an empty or zero-area geometry (national files simplified so far that small buurten vanish)
    are left out and named in the report, so they count as buurten without a shape; every other check is the loader's.
    """
    path = files.check_file(spec.path)
    layer = spec.layer or _buurt_layer(path)
    frame = files.read_vector(path, layer=layer)
    assumed = frame.crs is None and spec.crs is not None
    if assumed:
        frame = frame.set_crs(spec.crs)
    cleaned, n_degenerate = _without_degenerate_parts(frame.geometry)
    if n_degenerate:
        frame = frame.set_geometry(gpd.GeoSeries(cleaned, index=frame.index, crs=frame.crs))
    empty = _collapsed(frame.geometry)
    if not assumed and not empty.any() and not n_degenerate:
        return files.load_buurten(path, layer=layer, code_column=spec.code_column, name_column=spec.name_column)
    dropped: list[str] = []
    if empty.any() and not empty.all():
        code_col = spec.code_column or files.find_column(frame.columns, files.BUURT_CODE_CANDIDATES)
        dropped = frame.loc[empty, code_col].astype(str).tolist() if code_col else [str(i) for i in frame.index[empty]]
        frame = frame.loc[~empty]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / f"{path.stem}.parquet"
        frame.to_parquet(copy)
        loaded = files.load_buurten(copy, code_column=spec.code_column, name_column=spec.name_column)
    loaded.report.source = path.name
    loaded.report.rows_read = len(empty)
    loaded.report.drop(
        f"empty or collapsed geometry, under {MIN_BUURT_AREA_M2:,.0f} m² once repaired",
        [spec.code_prefix + c for c in dropped],
    )
    if assumed:
        loaded.report.notes.insert(0, f"no CRS in the file, {spec.crs} assumed")
    if n_degenerate:
        loaded.report.notes.append(f"removed zero-area parts from {n_degenerate} multipolygons")
    return loaded


def _collapsed(geoms: gpd.GeoSeries) -> np.ndarray:
    """Empty geometries, and polygons that a coarse simplification collapsed to (almost) nothing.

    Measured in EPSG:28992 after ``make_valid``: a collapsed buurt becomes a line or a sliver of a few m², far
    below any real buurt (the national 2014 file has 732 such, none between 1,000 and 20,000 m²).
    """
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    if geoms.crs is None:
        return missing
    present = ~missing
    area = np.full(len(geoms), np.inf)
    rd = geoms[present].to_crs(schema.WORK_CRS).to_numpy()
    try:
        area[present] = shapely.area(shapely.make_valid(rd))
    except shapely.errors.GEOSException:  # a geometry make_valid cannot take: let the loader report it
        return missing
    return missing | (np.nan_to_num(area, nan=np.inf) < MIN_BUURT_AREA_M2)


def _without_degenerate_parts(geoms: gpd.GeoSeries) -> tuple[list, int]:
    """Multipolygons without their zero-area parts (a ring collapsed to a point breaks ``make_valid``)."""
    out: list = []
    changed = 0
    for g in geoms:
        if g is not None and g.geom_type == "MultiPolygon":
            parts = [p for p in g.geoms if p.area > 0]
            if len(parts) < len(g.geoms):
                changed += 1
                g = shapely.MultiPolygon(parts) if parts else shapely.MultiPolygon()
        out.append(g)
    return out, changed


def _buurt_layer(path: Path) -> str | None:
    """The buurt layer of a multi-layer GeoPackage (CBS wijkenbuurten files hold gemeenten, wijken and buurten)."""
    if path.suffix.lower() != ".gpkg":
        return None
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception:  # unreadable: let the loader report it
        return None
    if len(layers) <= 1:
        return None
    buurt = [name for name in layers if "buurt" in name.lower()]
    if len(buurt) != 1:
        raise ParameterError(
            f"'{path.name}' has {len(layers)} layers ({', '.join(layers)}); name the buurt layer with --buurten-layer."
        )
    return buurt[0]


def build_buurten(
    inputs: BuildInputs, kwb: KwbData, name: str, notes: list[str], kwb_notes: Sequence[str] = ()
) -> gpd.GeoDataFrame:
    """Buurt polygons of the municipality joined with the kwb variables and CBS nabijheid distances."""
    code = inputs.municipality_code
    digits = municipality_digits(code)
    loaded = load_buurten_file(inputs.buurten)
    notes.append(loaded.report.summary())
    notes.extend(kwb_notes)
    nab_frame = None
    if inputs.nabijheid is not None:
        nab = files.load_cbs_table(inputs.nabijheid)
        nab_frame = nab.frame.loc[nab.frame.index.str.startswith("BU" + digits)]
        notes.append(f"{nab.report.source}: {nab.report.rows_read} rows read, {len(nab_frame)} kept.")
    g = loaded.frame
    g[schema.BUURT_CODE] = inputs.buurten.code_prefix + g[schema.BUURT_CODE].astype(str)
    mine = g[schema.BUURT_CODE].str.startswith("BU" + digits)
    if not mine.any():
        raise DataFileError(
            f"'{inputs.buurten.path.name}': expected buurten of {code} (codes BU{digits}…), found none "
            f"(codes look like: {', '.join(g[schema.BUURT_CODE].head(3))})."
        )
    if not mine.all():
        notes.append(f"kept the {int(mine.sum())} of {len(g)} buurt polygons that belong to {code}")
        g = g.loc[mine]
    g[schema.WIJK_CODE] = "WK" + g[schema.BUURT_CODE].str[2:8]
    g.index = pd.Index(g[schema.BUURT_CODE])

    stats = kwb.stats
    only_geo = sorted(set(g.index) - set(kwb.newest_codes))
    if only_geo:  # the other way round (kwb rows without a polygon) is listed as ``without_shape``
        notes.append(f"buurt polygons without a row in the newest kwb table (no figures): {only_geo}")
    out = g[[schema.BUURT_CODE, schema.WIJK_CODE, "geometry"]].copy()
    out[schema.BUURT_NAME] = kwb.names.reindex(out.index).fillna(g[schema.BUURT_NAME])
    out[schema.WIJK_NAME] = out[schema.WIJK_CODE].map(kwb.wijk_names)
    out[schema.MUNICIPALITY_CODE] = code
    out[schema.MUNICIPALITY_NAME] = name
    out = out.join(stats)

    if nab_frame is not None:
        for column, key in NABIJHEID_COLUMNS.items():
            if column not in nab_frame.columns:
                raise MissingColumnError(f"nabijheid table lacks '{column}'")
            out[schema.cbs_dist_col(key)] = (nab_frame[column] * 1000.0).reindex(out.index)
    ordered = [
        *schema.BUURT_ID_COLUMNS,
        *[c for c in out.columns if c not in (*schema.BUURT_ID_COLUMNS, "geometry")],
        "geometry",
    ]
    return gpd.GeoDataFrame(out[ordered], geometry="geometry", crs=schema.WORK_CRS).sort_index()


# --------------------------------------------------------------------------- facilities


def build_facilities(
    inputs: BuildInputs, digits: str, name: str, municipality: shapely.Geometry, notes: list[str]
) -> gpd.GeoDataFrame:
    """Every facility file and the DUO schools, checked against the municipality area."""
    parts = [facility_file(f, name, notes) for f in inputs.facilities]
    if inputs.schools is not None:
        parts.append(duo_schools(inputs.schools, notes, municipality_number=int(digits)))
    fac = pd.concat(parts, ignore_index=True)
    fac = gpd.GeoDataFrame(fac, geometry="geometry", crs=schema.WORK_CRS)
    dup = fac[schema.FACILITY_ID][fac[schema.FACILITY_ID].duplicated()]
    if len(dup):
        raise files.DuplicateCodeError(f"facilities: expected each facility_id once, found {', '.join(dup[:5])}.")
    dist = fac.geometry.distance(municipality)
    far = dist > MAX_OUTSIDE_M
    if int(far.sum()) <= MAX_NAMED_DROPS:
        for _, row in fac.loc[far].iterrows():
            notes.append(
                f"dropped facility {row[schema.FACILITY_ID]} '{row[schema.FACILITY_NAME]}': "
                f"{dist[_] / 1000:.1f} km outside the "
                "municipality (bad coordinate in the source)"
            )
    else:
        shown = ", ".join(fac.loc[far, schema.FACILITY_ID].head(5))
        notes.append(
            f"dropped {int(far.sum())} facilities more than {MAX_OUTSIDE_M / 1000:.0f} km outside the municipality "
            f"({shown} …)"
        )
    near_outside = (dist > 0) & ~far
    if near_outside.any():
        notes.append(
            f"kept {int(near_outside.sum())} facilities just outside the municipality "
            f"(< {MAX_OUTSIDE_M / 1000:.0f} km)"
        )
    fac = fac.loc[~far].sort_values([schema.FACILITY_TYPE, schema.FACILITY_ID]).reset_index(drop=True)
    if fac.empty:
        raise DataFileError("No facility lies in or near the municipality: check the facility files and --gemeente.")
    return fac


_STANDARD_FACILITY_COLUMNS = (
    schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME, schema.FACILITY_CAPACITY,
    schema.FACILITY_ADDRESS, schema.FACILITY_POSTCODE, schema.FACILITY_DETAIL, schema.LOCATION_PRECISION,
    schema.FACILITY_SOURCE,
)


def _is_mulier(path: Path) -> bool:
    return path.suffix.lower() in files.TABLE_SUFFIXES and files.has_column(path, "accommodatie_id") and (
        files.has_column(path, "sport")
    )


def facility_file(spec: FacilityFile, name: str, notes: list[str]) -> pd.DataFrame:
    """One facility file in the dataset's facility columns (Mulier sports files are recognised)."""
    if spec.facility_type is not None and spec.facility_type not in FACILITY_TYPES:
        raise ParameterError(
            f"Unknown facility type '{spec.facility_type}'; expected one of: {', '.join(FACILITY_TYPES)}."
        )
    if _is_mulier(spec.path):
        return mulier_facilities(spec.path, municipality_name=name, notes=notes)
    has_type = files.has_column(spec.path, schema.FACILITY_TYPE)
    loaded = files.load_facilities(spec.path, facility_type=None if has_type else spec.facility_type)
    notes.append(loaded.report.summary())
    table = loaded.frame.reset_index(drop=True)
    unknown = sorted(set(table[schema.FACILITY_TYPE]) - set(FACILITY_TYPES))
    if unknown:
        raise ParameterError(
            f"'{spec.path.name}': unknown facility types {', '.join(unknown)}; expected: {', '.join(FACILITY_TYPES)}."
        )
    out = pd.DataFrame(index=table.index)
    for col in _STANDARD_FACILITY_COLUMNS:
        out[col] = table[col] if col in table.columns else (np.nan if col == schema.FACILITY_CAPACITY else "")
    out[schema.FACILITY_CAPACITY] = pd.to_numeric(out[schema.FACILITY_CAPACITY], errors="coerce").astype(float)
    out[schema.FACILITY_SOURCE] = f"file_{spec.path.stem}"
    out["geometry"] = table.geometry.to_numpy()
    return out


def _normal_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower())


def mulier_facilities(path: Path, *, municipality_name: str | None = None, notes: list[str] | None = None
                      ) -> pd.DataFrame:
    """Mulier sports accommodations (one row per accommodation) and the swimming pools among them.

    A file with several municipalities in its ``gemeente`` column is cut to ``municipality_name``.
    """
    table = files.load_facilities(path, facility_type="sport").frame
    cols = {c: re.sub(r"\s+", "_", c.strip().lower()) for c in table.columns if c != "geometry"}
    t = table.rename(columns=cols)
    if municipality_name and "gemeente" in t.columns and t["gemeente"].nunique() > 1:
        mine = t["gemeente"].map(_normal_name) == _normal_name(municipality_name)
        if not mine.any():
            raise DataFileError(
                f"'{path.name}': expected rows with gemeente '{municipality_name}', found none "
                f"(e.g. {', '.join(sorted(t['gemeente'].dropna().astype(str).unique())[:5])})."
            )
        if notes is not None:
            notes.append(f"{path.name}: kept the {int(mine.sum())} of {len(t)} rows of gemeente {municipality_name}")
        t = t.loc[mine]
    t["accommodatie_id"] = t["accommodatie_id"].astype(str)
    t["n_voorzieningen"] = pd.to_numeric(t["aantal_voorzieningen"], errors="coerce")
    grouped = t.groupby("accommodatie_id", sort=True)
    first = grouped.first()
    sports = grouped["sport"].agg(lambda s: ", ".join(sorted(set(s.dropna().astype(str)))))
    addr = (
        first["adres"].fillna("")
        + ", "
        + first["postcode"].fillna("").str.upper()
        + " "
        + first["plaatsnaam"].fillna("").str.title()
    ).str.strip(", ")
    base = pd.DataFrame(
        {
            schema.FACILITY_ID: "mulier-" + first.index,
            schema.FACILITY_TYPE: "sport",
            schema.FACILITY_NAME: first[schema.FACILITY_NAME].astype(str),
            schema.FACILITY_CAPACITY: first["n_voorzieningen"].astype(float),
            schema.FACILITY_ADDRESS: addr,
            schema.FACILITY_POSTCODE: first["postcode"].fillna("").str.upper(),
            schema.FACILITY_DETAIL: sports,
            schema.LOCATION_PRECISION: "source",
            schema.FACILITY_SOURCE: "mulier_sport",
            "geometry": first["geometry"],
        },
    )
    pools = base.loc[sports.str.split(", ").apply(lambda xs: "zwemmen" in xs)].copy()
    pools[schema.FACILITY_ID] = pools[schema.FACILITY_ID] + "-zwembad"
    pools[schema.FACILITY_TYPE] = "swimming_pool"
    pools[schema.FACILITY_CAPACITY] = np.nan
    return pd.concat([base, pools], ignore_index=True)


_PRECISION = {"address_mulier": "address", "pc6_mulier": "pc6", "pc4_centroid": "pc4_centroid"}
_KNOWN_PRECISION = frozenset({"source", "address", "pc6", "pc4_centroid"})


def _text_table(path: Path) -> pd.DataFrame:
    table = files.read_any_table(files.check_file(path))
    table.columns = [str(c).strip() for c in table.columns]
    if "VESTIGINGSCODE" not in table.columns:
        raise MissingColumnError(
            f"'{path.name}': expected a DUO column VESTIGINGSCODE (BRIN + vestiging, e.g. 00AP00); "
            f"found: {', '.join(table.columns[:12])}."
        )
    table["VESTIGINGSCODE"] = table["VESTIGINGSCODE"].astype(str).str.strip()
    return table


def _newest_pupils(pupils: pd.DataFrame, branches: pd.Index) -> tuple[pd.Series, int | None]:
    """Pupils per branch from the newest ``LEERLINGEN_<year>`` column with a value for any of ``branches``."""
    by_year = sorted(
        ((int(m.group(1)), c) for c in pupils.columns if (m := re.fullmatch(r"(?i)leerlingen_(\d{4})", c))),
        reverse=True,
    )
    if pupils.index.has_duplicates:
        raise files.DuplicateCodeError("DUO pupils: expected each VESTIGINGSCODE once.")
    for year, col in by_year:
        values = pd.to_numeric(pupils[col].replace("", np.nan), errors="coerce")
        if values.reindex(branches).notna().any():
            return values, year
    return pd.Series(np.nan, index=pupils.index, dtype=float), None


def pupil_history(path: Path, branches: Iterable[str] | None = None, *, years: int = 10) -> pd.DataFrame:
    """Pupils per branch and year (the last ``years`` ``LEERLINGEN_<year>`` columns of DUO file 06).

    Rows are ``VESTIGINGSCODE``; columns are the years as integers; a 0 in DUO's file (branch not open that
    year) reads as missing, never as an empty school.
    """
    t = _text_table(path).set_index("VESTIGINGSCODE")
    if t.index.has_duplicates:
        raise files.DuplicateCodeError(f"'{path.name}': expected each VESTIGINGSCODE once.")
    by_year = sorted(
        (int(m.group(1)), c) for c in t.columns if (m := re.fullmatch(r"(?i)leerlingen_(\d{4})", c))
    )[-years:]
    if not by_year:
        raise MissingColumnError(f"'{path.name}': expected DUO columns LEERLINGEN_<year>.")
    out = pd.DataFrame(
        {y: pd.to_numeric(t[c].replace("", np.nan), errors="coerce") for y, c in by_year}, index=t.index
    )
    out = out.where(out > 0)
    if branches is not None:
        out = out.loc[out.index.isin(list(branches))]
    out.index.name = "VESTIGINGSCODE"
    return out.sort_index()


def duo_schools(
    school: SchoolFiles,
    notes: list[str] | None = None,
    *,
    municipality_number: int | None = None,
    keep_unplaced: bool = False,
) -> pd.DataFrame:
    """DUO school branches as facilities (``primary_school``), pupils as capacity, achterstandsscores as columns.

    ``municipality_number`` (344 for Utrecht) keeps the branches whose ``GEMEENTENUMMER`` is that number; without
    it every branch is kept, with a ``municipality_code`` column. Branches without a location are dropped
    (kept with an empty geometry with ``keep_unplaced``) and listed in ``notes``.
    """
    notes = notes if notes is not None else []
    a = _text_table(school.addresses)
    if municipality_number is not None:
        if "GEMEENTENUMMER" not in a.columns:
            raise MissingColumnError(f"'{school.addresses.name}': expected a DUO column GEMEENTENUMMER.")
        mine = pd.to_numeric(a["GEMEENTENUMMER"], errors="coerce") == municipality_number
        if not mine.all():
            notes.append(
                f"{school.addresses.name}: kept the {int(mine.sum())} of {len(a)} school branches of "
                f"GM{municipality_number:04d}"
            )
        a = a.loc[mine]
    a = a.set_index("VESTIGINGSCODE")
    if a.index.has_duplicates:
        raise files.DuplicateCodeError(f"'{school.addresses.name}': expected each VESTIGINGSCODE once.")
    precision: pd.Series
    if school.points is not None:
        points = gpd.read_file(school.points).to_crs(schema.WORK_CRS)
        pts = points.set_index("VESTIGINGSCODE")
        missing_pts = sorted(set(a.index) - set(pts.index))
        if missing_pts:
            raise files.GeometryError(f"no school point for DUO branches {missing_pts[:5]}")
        geometry = pts.geometry.reindex(a.index)
        precision = pts["geocode_precision"].reindex(a.index).map(_PRECISION)
    else:
        geometry, precision = _school_points(a, school.addresses.name)
        missing = geometry.isna()
        if missing.any():
            shown = ", ".join(f"{c} {a.at[c, 'VESTIGINGSNAAM']}" for c in a.index[missing][:7])
            notes.append(
                f"{school.addresses.name}: {int(missing.sum())} school branches have no coordinates and are not on "
                f"the map ({shown}{' …' if missing.sum() > 7 else ''})"
            )
    if school.pupils is not None:
        pupils, year = _newest_pupils(_text_table(school.pupils).set_index("VESTIGINGSCODE"), a.index)
    else:
        own = [c for c in a.columns if re.fullmatch(r"(?i)leerlingen_\d{4}", c)]
        pupils, year = _newest_pupils(a[own], a.index) if own else (pd.Series(np.nan, index=a.index), None)
    addr = (
        a["STRAATNAAM"] + " " + a["HUISNUMMER-TOEVOEGING"] + ", " + a["POSTCODE"] + " " + a["PLAATSNAAM"].str.title()
    ).str.strip()
    out = pd.DataFrame(
        {
            schema.FACILITY_ID: "duo-" + a.index,
            schema.FACILITY_TYPE: "primary_school",
            schema.FACILITY_NAME: a["VESTIGINGSNAAM"],
            schema.FACILITY_CAPACITY: pupils.reindex(a.index).astype(float),
            schema.FACILITY_ADDRESS: addr,
            schema.FACILITY_POSTCODE: a["POSTCODE"],
            schema.FACILITY_DETAIL: (f"leerlingen {year}; " if year else "") + a["DENOMINATIE"],
            schema.LOCATION_PRECISION: precision,
            schema.FACILITY_SOURCE: "duo_bo",
            "geometry": geometry,
        }
    )
    if municipality_number is None:
        out[schema.MUNICIPALITY_CODE] = "GM" + pd.to_numeric(a["GEMEENTENUMMER"]).astype(int).map("{:04d}".format)
    if school.scores is not None:
        scores = school_scores(school.scores)
        joined = scores.reindex(a.index)
        for col in DISADVANTAGE_COLUMNS:
            out[col] = joined[col].to_numpy()
        n_none = int(joined[DISADVANTAGE_SCORE].isna().sum())
        if n_none:
            notes.append(
                f"{school.scores.name}: no achterstandsscore for {n_none} of {len(a)} school branches "
                "(opened after the peildatum; missing, not 0)"
            )
    if not keep_unplaced:
        out = out.loc[out["geometry"].notna()]
    return out.reset_index(drop=True)


def _school_points(a: pd.DataFrame, source: str) -> tuple[pd.Series, pd.Series]:
    """Points from ``x_rd``/``y_rd`` (EPSG:28992) or ``lon``/``lat`` columns of a geocoded DUO table."""
    cols = {c.lower(): c for c in a.columns}
    if "x_rd" in cols and "y_rd" in cols:
        x = pd.to_numeric(a[cols["x_rd"]].replace("", np.nan), errors="coerce")
        y = pd.to_numeric(a[cols["y_rd"]].replace("", np.nan), errors="coerce")
        crs = schema.WORK_CRS
    elif "lon" in cols and "lat" in cols:
        x = pd.to_numeric(a[cols["lon"]].replace("", np.nan), errors="coerce")
        y = pd.to_numeric(a[cols["lat"]].replace("", np.nan), errors="coerce")
        crs = schema.MAP_CRS
    else:
        raise MissingColumnError(
            f"'{source}': expected school coordinates (x_rd/y_rd or lon/lat, e.g. the geocoded DUO file) or "
            "a points layer (--school-points); found none."
        )
    ok = (x.notna() & y.notna()).to_numpy()
    pts = gpd.GeoSeries(gpd.points_from_xy(x.where(ok, 0.0), y.where(ok, 0.0)), index=a.index, crs=crs)
    if crs != schema.WORK_CRS:
        pts = pts.to_crs(schema.WORK_CRS)
    geometry = pd.Series(np.where(ok, pts.to_numpy(), None), index=a.index, dtype=object)
    raw = a[cols["geocode_precision"]] if "geocode_precision" in cols else pd.Series("source", index=a.index)
    precision = raw.map(lambda v: _PRECISION.get(v, v if v in _KNOWN_PRECISION else "source")).where(ok, None)
    return geometry, precision


def school_scores(path: Path) -> pd.DataFrame:
    """CBS achterstandsscores per vestiging: the score without threshold where given, per pupil, unreliable flag."""
    t = _text_table(path).set_index("VESTIGINGSCODE")
    score_col = next((c for c in ("achterstandsscore_zonder_drempel", "achterstandsscore") if c in t.columns), None)
    if score_col is None or "aantal_bekostigde_leerlingen" not in t.columns:
        raise MissingColumnError(
            f"'{path.name}': expected CBS columns achterstandsscore_zonder_drempel (or achterstandsscore) and "
            "aantal_bekostigde_leerlingen (the derived CSV of 'Achterstandsscores scholen')."
        )
    score = pd.to_numeric(t[score_col].replace("", np.nan), errors="coerce")
    pupils = pd.to_numeric(t["aantal_bekostigde_leerlingen"].replace("", np.nan), errors="coerce")
    notes_col = "voetnoten_tabel2" if score_col.endswith("zonder_drempel") else "voetnoot_tabel1"
    flags = t[notes_col] if notes_col in t.columns else pd.Series("", index=t.index)
    return pd.DataFrame(
        {
            DISADVANTAGE_SCORE: score,
            DISADVANTAGE_PER_PUPIL: (score / pupils.where(pupils > 0)).round(4),
            DISADVANTAGE_PUPILS: pupils,
            DISADVANTAGE_UNRELIABLE: flags.fillna("").astype(str).str.contains("a"),
        },
        index=t.index,
    )


def scores_year(path: Path) -> int | None:
    """The year of the CBS achterstandsscores (from ``peildatum``, else the file name)."""
    t = _text_table(path)
    if "peildatum" in t.columns and t["peildatum"].astype(str).str.match(r"^\d{4}").any():
        return int(t["peildatum"].astype(str).str[:4].mode().iloc[0])
    return year_in_name(path)


# --------------------------------------------------------------------------- street networks


def build_networks(
    path: str | Path, *, name: str, out_dir: str | Path = NETWORKS_DIR, modes: Iterable[str] = ("walk", "bike")
) -> dict:
    """Walk and bike networks ``<out_dir>/<name>_<mode>.npz`` from one network file; return what was written.

    An osmnx GraphML file is first cut to the ways each mode's profile allows (``geo.network.ways``), both
    directions for walking, one-way rules for cycling. When it holds no footway, cycleway or path (a 'drive'
    graph) the network's ``meta["approximation"]`` says, in nl and en, that times on it are approximations.
    """
    p = files.check_file(path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict = {"name": name, "source": p.name, "licence": OSM_LICENCE, "modes": {}}
    approximation = None
    for mode in modes:
        if p.suffix.lower() == ".graphml":
            network, highways = _graphml_network(p, mode)
            if not highways & FOOT_AND_CYCLE_HIGHWAYS:
                approximation = {"nl": CAR_ROADS_APPROXIMATION[0], "en": CAR_ROADS_APPROXIMATION[1]}
        else:
            network = build_network(p, mode=mode)
        network.meta["source"] = p.name
        network.meta["licence"] = OSM_LICENCE
        if approximation:
            network.meta["approximation"] = approximation
        target = network.save(out / f"{name}_{mode}.npz")
        written["modes"][mode] = {"file": target.name, "nodes": network.n_nodes, "edges": network.n_edges}
    if approximation:
        written["approximation"] = approximation
    return written


def _first_tag(value: object) -> list[str]:
    """osmnx joins the tags of simplified ways into lists (``['residential', 'tertiary']``)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value or "")
    if text.startswith("["):
        return re.findall(r"'([^']*)'", text) or [text]
    return [text] if text else []


def _is_wgs84(crs: object) -> bool:
    try:
        return CRS.from_user_input(crs).equals(CRS.from_epsg(4326), ignore_axis_order=True)
    except (CRSError, TypeError):
        return False


def _graphml_network(path: Path, mode: str) -> tuple[Network, set[str]]:
    """A GraphML street graph cut to ``mode``'s profile, converted with :func:`build_network`."""
    import osmnx  # heavy import: only when a GraphML file is converted

    graph = osmnx.load_graphml(path)
    profile = get_profile(mode)
    kept = type(graph)()
    kept.graph.update(graph.graph)
    if _is_wgs84(kept.graph.get("crs")):
        # Old osmnx writes a proj string ('+proj=longlat +datum=WGS84 …'); the GraphML reader expects the EPSG code.
        kept.graph["crs"] = "epsg:4326"
    kept.add_nodes_from(graph.nodes(data=True))
    highways: set[str] = set()
    for u, v, data in graph.edges(data=True):
        values = _first_tag(data.get("highway"))
        highways.update(values)
        access = (_first_tag(data.get("access")) or [""])[0]
        usable = [h for h in values if profile.classify({"highway": h, "access": access})[0]]
        if not usable:
            continue
        kept.add_edge(u, v, **data)
        oneway = str(data.get("oneway", "")).lower() in {"true", "yes", "1"}
        _, backward = profile.directions({"oneway": "yes" if oneway else "no"})
        if backward and not kept.has_edge(v, u):
            reverse = dict(data)
            if reverse.get("geometry") is not None:
                reverse["geometry"] = shapely.reverse(reverse["geometry"])
            kept.add_edge(v, u, **reverse)
    kept.remove_nodes_from([n for n in list(kept.nodes) if kept.degree(n) == 0])
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        osmnx.save_graphml(kept, copy)
        network = build_network(copy, mode=mode)
    network.meta.update({
        "profile": profile.describe(),
        "graphml_edges_read": graph.number_of_edges(),
        "graphml_edges_kept": kept.number_of_edges(),
        "highways": sorted(highways),
    })
    return network, highways


# --------------------------------------------------------------------------- sources


def default_sources(inputs: BuildInputs, kwb: KwbData) -> list[dict]:
    """Source records for ``dataset.json`` made from the kinds of input given (CBS, DUO, OSM are certain)."""
    cbs = {"publisher": "Centraal Bureau voor de Statistiek (CBS)", "licence": "CC BY 4.0", "attribution": "Bron: CBS"}
    out = [
        {"id": f"cbs_kwb_{k.year}", "title": f"Kerncijfers wijken en buurten {k.year}", **cbs, "year": k.year,
         "url": "https://opendata.cbs.nl/statline/", "file": k.path.name}
        for k in sorted(inputs.kwb, key=lambda k: k.year, reverse=True)
    ]
    if inputs.nabijheid is not None:
        year = year_in_name(inputs.nabijheid)
        out.append({"id": "cbs_nabijheid", "title": "Nabijheid voorzieningen; afstand locatie, wijk- en buurtcijfers"
                    + (f" {year}" if year else ""), **cbs, "year": year, "url": "https://opendata.cbs.nl/statline/",
                    "file": inputs.nabijheid.name})
    b = inputs.buurten
    out.append({
        "id": "buurten", "title": f"Buurtgrenzen ({b.path.name})",
        "publisher": "CBS / Kadaster (Wijk- en Buurtkaart), as given in the file" if not b.code_prefix
        else "as given in the file",
        "year": b.year, "licence": "CC BY 4.0 (CBS Wijk- en Buurtkaart); check the terms of the file",
        "attribution": "Bron: CBS, Kadaster", "url": "https://www.pdok.nl/", "file": b.path.name,
    })
    for f in inputs.facilities:
        if _is_mulier(f.path):
            out.append({"id": "mulier_sport", "title": "Sportaccommodaties in Nederland",
                        "publisher": "Mulier Instituut", "year": year_in_name(f.path),
                        "licence": "Reuse with attribution (terms to verify)",
                        "attribution": "Bron: Mulier Instituut", "url": "https://www.sportenbewegenincijfers.nl",
                        "file": f.path.name})
        else:
            out.append({"id": f"file_{f.path.stem}", "title": f"Facilities ({f.path.name})",
                        "publisher": "supplied by the user", "year": year_in_name(f.path),
                        "licence": "not stated: check before publishing", "attribution": "", "file": f.path.name})
    s = inputs.schools
    if s is not None:
        out.append({"id": "duo_bo", "title": "Alle vestigingen basisonderwijs; Aantal leerlingen per vestiging",
                    "publisher": "Dienst Uitvoering Onderwijs (DUO)", "year": year_in_name(s.addresses),
                    "licence": "CC0 1.0", "attribution": "DUO Open Onderwijsdata",
                    "url": "https://duo.nl/open_onderwijsdata/",
                    "file": ", ".join(p.name for p in (s.addresses, s.pupils, s.points) if p is not None)})
        if files.has_column(s.addresses, "geocode_precision") and s.points is None:
            out.append({"id": "pc4_centroids", "title": "Postcode-4 centroids that place the schools (as in the file)",
                        "publisher": "see the provenance of the geocoded DUO file", "year": None,
                        "licence": "see the provenance of the geocoded DUO file", "attribution": "",
                        "file": s.addresses.name})
        if s.scores is not None:
            out.append({"id": "cbs_achterstandsscores", "title": "Achterstandsscores scholen (zonder drempel)",
                        **cbs, "year": scores_year(s.scores), "url": "https://www.cbs.nl/", "file": s.scores.name})
    if inputs.network is not None:
        out.append({"id": "osm_network", "title": f"Street network ({inputs.network.name})",
                    "publisher": "OpenStreetMap contributors", "year": None, "licence": "ODbL 1.0",
                    "attribution": "© OpenStreetMap contributors", "url": "https://www.openstreetmap.org/copyright",
                    "file": inputs.network.name})
    return out
