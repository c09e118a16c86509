"""The national base layer: every Dutch municipality from small files shipped in ``data/national/``.

What it holds (see ``data/national/SOURCES.md``): CBS kerncijfers wijken en buurten 2024 for all 342
gemeenten and 14,574 buurten (inhabitants, sex and age groups incl. 0–14), the CBS buurt shapes of 2014
(coarse) for the buurten whose code still exists in 2024, and every DUO primary-school branch at
postcode-4 precision with its pupils and CBS achterstandsscore. No income, benefits, WOZ, housing, CBS
distances, other facilities or street network: :func:`load_base_dataset` says so in ``meta["missing"]``.

``python -m geo build-national [--shared DIR] [--out DIR]`` writes the files again from the shared open data
(:func:`build_national`; deterministic: the same inputs give the same tables).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import build, files
from geo.data.paths import DATA_DIR
from geo.errors import ParameterError
from geo.lang import format_number

#: Where the base layer lives in the repository.
NATIONAL_DIR = DATA_DIR / "national"
#: PC4 centroids (EPSG:28992) of the whole country: the geocoder's last fallback (MIT, © 2014 Bob den Otter, 4pp).
PC4_FILE = NATIONAL_DIR / "pc4_centroids.csv"
BUURTEN_FILE = "buurten_kwb_2024.parquet"
SHAPES_FILE = "buurt_shapes_2014.parquet"
SCHOOLS_FILE = "schools_duo_2025.parquet"
GEMEENTEN_FILE = "gemeenten_2024.csv"
#: Every branch of the CBS achterstandsscores (2019, all 6,295, incl. branches closed since): the national
#: reference a branch's percentile is computed on.
SCORES_FILE = "achterstandsscores_2019.parquet"
#: DUO pupils per branch over the last ten years (file 06), for the trend.
PUPILS_HISTORY_FILE = "pupils_duo_history.parquet"
MANIFEST_FILE = "manifest.json"

#: The shared open data the base layer is built from (``--shared`` root + these paths).
SHARED_INPUTS = {
    "kwb": "cbs_kwb_2024_bevolking_leeftijd_national/Kerncijfers_wijken_en_buurten_2024_geslachten.csv",
    "shapes": "cbs_buurt_wijk_2014_national_topojson/Buurt_2014_layer_q1e3.json",
    "schools": "duo_basisonderwijs_geocoded/nl_basisonderwijs_vestigingen_pc4.csv",
    "pupils": "duo_basisonderwijs/06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv",
    "scores": "cbs_achterstandsscores_basisscholen_2019/achterstandsscores_basisscholen_2019_derived.csv",
}

STATISTICS_YEAR = 2024
GEOMETRY_YEAR = 2014
#: kwb variables of the base layer (CBS 2024, population and age), as ``files.load_cbs_table`` names them.
VARIABLES = ("a_inw", "a_man", "a_vrouw", "a_00_14", "a_15_24", "a_25_44", "a_45_64", "a_65_oo")
#: Column of the base buurten: the year of the shape (2014) or empty when the buurt has none.
SHAPE_YEAR = "shape_year"

_BUILD_SOURCES = {s["id"]: s for s in build.SOURCES}
SOURCES = (
    {
        "id": "cbs_kwb_2024",
        "title": "Kerncijfers wijken en buurten 2024 (85984NED): bevolking en leeftijdsgroepen",
        "publisher": "Centraal Bureau voor de Statistiek (CBS)",
        "year": 2024,
        "licence": "CC BY 4.0",
        "attribution": "Bron: CBS",
        "url": "https://opendata.cbs.nl/statline/#/CBS/nl/dataset/85984NED",
    },
    {
        "id": "cbs_buurten_2014",
        "title": "CBS wijk- en buurtindeling 2014 (vereenvoudigd, TopoJSON)",
        "publisher": "CBS / Kadaster via PDOK (TopoJSON by github.com/ties/cbs_gebiedsindelingen_topojson)",
        "year": 2014,
        "licence": "CC BY 4.0",
        "attribution": "Bron: CBS, Kadaster",
        "url": "https://github.com/ties/cbs_gebiedsindelingen_topojson",
    },
    _BUILD_SOURCES['duo_bo'],  # the same record as the Utrecht build
    _BUILD_SOURCES['pc4_centroids'],  # the same record as the Utrecht build
    {
        "id": "cbs_achterstandsscores",
        "title": "Achterstandsscores basisscholen 2019 (score zonder drempel)",
        "publisher": "Centraal Bureau voor de Statistiek (CBS)",
        "year": 2019,
        "licence": "CC BY 4.0",
        "attribution": "Bron: CBS",
        "url": "https://www.cbs.nl/",
    },
)

#: What the app and exports may show about a base-layer dataset (nl, en).
NOTICE = (
    "Basislaag: alleen inwoners en leeftijd (CBS 2024); buurtvormen van 2014 (grof, niet voor elke buurt); "
    "basisscholen op het midden van hun postcodegebied (PC4). Geen inkomen, uitkeringen, WOZ, woningen, "
    "CBS-afstanden, andere voorzieningen of straten-netwerk.",
    "Base layer: inhabitants and age only (CBS 2024); buurt shapes of 2014 (coarse, not for every buurt); "
    "primary schools at the centre of their postcode area (PC4). No income, benefits, WOZ, housing, "
    "CBS distances, other facilities or street network.",
)
#: What the whole country (:func:`load_country`) holds (nl, en); ``{full}`` is the sentence on full datasets.
COUNTRY_NOTICE = (
    "Heel Nederland: {n} buurten van {m} gemeenten. Basislaag: alleen inwoners en leeftijd (CBS 2024) en "
    "basisscholen op het midden van hun postcodegebied (PC4); {full} Buurtvormen van 2014 voor {n_shape} van de "
    "{n} buurten (ongeveer {share}%): de andere buurten worden wel gerangschikt, maar niet op de kaart getekend.",
    "The whole Netherlands: {n} buurten of {m} municipalities. Base layer: inhabitants and age only (CBS 2024) and "
    "primary schools at the centre of their postcode area (PC4); {full} Buurt shapes of 2014 for {n_shape} of the "
    "{n} buurten (about {share}%): the others are ranked, but not drawn on the map.",
)
COUNTRY_FULL = ("volledige datasets gebruikt voor {names}.", "full datasets used for {names}.")
COUNTRY_NO_FULL = ("geen volledige datasets.", "no full datasets.")


# --------------------------------------------------------------------------- reading the base layer


@lru_cache(maxsize=4)
def _tables(directory: str) -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    d = Path(directory)
    for name in (BUURTEN_FILE, SHAPES_FILE, SCHOOLS_FILE, GEMEENTEN_FILE):
        files.check_file(d / name)
    buurten = pd.read_parquet(d / BUURTEN_FILE)
    shapes = gpd.read_parquet(d / SHAPES_FILE)
    schools = pd.read_parquet(d / SCHOOLS_FILE)
    gemeenten = pd.read_csv(d / GEMEENTEN_FILE, dtype={"code": str, "name": str}, encoding="utf-8")
    return buurten, shapes, schools, gemeenten


@lru_cache(maxsize=2)
def school_scores(directory: str | Path = NATIONAL_DIR) -> pd.DataFrame:
    """The CBS achterstandsscores of every branch in the country (index ``VESTIGINGSCODE``).

    Columns as :func:`geo.data.build.school_scores` makes them (score without threshold, per pupil, funded pupils,
    unreliable flag); ``attrs["year"]`` is the peildatum year.
    """
    path = files.check_file(Path(directory) / SCORES_FILE)
    t = pd.read_parquet(path).set_index("VESTIGINGSCODE")
    t.attrs["year"] = int(t.pop("year").iloc[0]) if "year" in t.columns and len(t) else None
    return t


@lru_cache(maxsize=2)
def pupil_history(directory: str | Path = NATIONAL_DIR) -> pd.DataFrame:
    """DUO pupils per branch (index ``VESTIGINGSCODE``) and year (integer columns); missing = not open."""
    path = files.check_file(Path(directory) / PUPILS_HISTORY_FILE)
    t = pd.read_parquet(path).set_index("VESTIGINGSCODE")
    t.columns = [int(c) for c in t.columns]
    return t


def municipalities(directory: str | Path = NATIONAL_DIR) -> pd.DataFrame:
    """All 342 municipalities of 2024: ``code`` (GM0855), ``name``, ``n_buurten`` (2024), ``n_with_shape``.

    Sorted by name (case and a leading ``'s-`` ignored, as in a Dutch list: :func:`name_sort_key`).
    """
    gemeenten = _tables(str(directory))[3]
    out = gemeenten[["code", "name", "n_buurten", "n_with_shape"]].copy()
    out["n_buurten"] = out["n_buurten"].astype(int)
    out["n_with_shape"] = out["n_with_shape"].astype(int)
    order = out["name"].map(name_sort_key).argsort(kind="mergesort")
    return out.iloc[order].reset_index(drop=True)


def name_sort_key(name: str) -> str:
    """Sort key of a municipality name in a Dutch list: case and a leading ``'s-`` ignored ('s-Hertogenbosch at H)."""
    text = str(name).casefold()
    return text[3:] if text.startswith("'s-") else text


def resolve_municipality(text: str, directory: str | Path = NATIONAL_DIR) -> tuple[str, str]:
    """``(code, name)`` for a CBS code (``GM0855``, ``gm0855``, ``0855``, ``855``) or a name (``Tilburg``).

    Raises :class:`ParameterError` naming the closest municipalities when nothing matches.
    """
    table = municipalities(directory)
    by_code = dict(zip(table["code"], table["name"], strict=True))
    query = str(text).strip()
    digits = query[2:] if query.upper().startswith("GM") else query
    if digits.isdigit() and len(digits) <= 4:
        code = f"GM{int(digits):04d}"
        if code in by_code:
            return code, by_code[code]
    by_name = {n.casefold(): c for c, n in by_code.items()}
    if query.casefold() in by_name:
        code = by_name[query.casefold()]
        return code, by_code[code]
    close_names = difflib.get_close_matches(query.casefold(), list(by_name), n=5, cutoff=0.6)
    suggestions = [f"{by_code[by_name[n]]} ({by_name[n]})" for n in close_names]
    if not suggestions:
        close_codes = difflib.get_close_matches(query.upper(), list(by_code), n=5, cutoff=0.6)
        suggestions = [f"{by_code[c]} ({c})" for c in close_codes]
    hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
    raise ParameterError(
        f"Unknown municipality '{text}': expected a CBS code like GM0855 or the name of one of the "
        f"{len(by_code)} municipalities of {STATISTICS_YEAR}{hint}."
    )


#: CBS's code and name of the whole country: ``load_base_dataset(COUNTRY_CODE)`` is every municipality at once.
COUNTRY_CODE = "NL01"
COUNTRY_NAME = "Nederland"


def is_country(code: str) -> bool:
    """True for the whole country: ``NL01``, ``NL``, ``Nederland``, ``all`` (any case)."""
    return str(code).strip().lower() in {COUNTRY_CODE.lower(), "nl", COUNTRY_NAME.lower(), "all", "netherlands"}


def load_base_dataset(code: str, directory: str | Path = NATIONAL_DIR) -> files.Dataset:
    """One municipality from the base layer, as the :class:`~geo.data.files.Dataset` the app and ``rank`` read;
    with :data:`COUNTRY_CODE` every buurt of the country (``municipality_code`` says whose each is).

    ``buurten``: every 2024 buurt with the kwb population and age variables (``a_inw``, ``a_00_14`` …) and
    its 2014 shape where one exists (``shape_year`` 2014). Buurten without a shape are kept with an empty
    geometry, so they are ranked, but they cannot be drawn: ``meta["without_shape"]`` lists them.
    ``facilities``: the DUO primary schools of the municipality (PC4 centroids, capacity = pupils, with the
    CBS achterstandsscore columns). ``meta["kind"]`` is ``"base_layer"``; ``meta["missing"]`` lists what a
    full dataset has and this one lacks.
    """
    country = is_country(code)
    municipality_code, name = (COUNTRY_CODE, COUNTRY_NAME) if country else resolve_municipality(code, directory)
    buurten_all, shapes, schools_all, _ = _tables(str(directory))
    rows = buurten_all if country else buurten_all.loc[buurten_all[schema.MUNICIPALITY_CODE] == municipality_code]
    rows = rows.sort_values(schema.BUURT_CODE, kind="mergesort")
    codes = rows[schema.BUURT_CODE].to_numpy(dtype=object)
    geometry = shapes.set_index(schema.BUURT_CODE).geometry.reindex(codes)
    table = pd.DataFrame({c: rows[c].to_numpy(dtype=object) for c in schema.BUURT_ID_COLUMNS}, index=codes)
    for col in VARIABLES:
        table[col] = rows[col].to_numpy(dtype="float64")
    has_shape = geometry.notna().to_numpy()
    table[SHAPE_YEAR] = np.where(has_shape, float(GEOMETRY_YEAR), np.nan)
    buurten = gpd.GeoDataFrame(table, geometry=list(geometry.to_numpy()), crs=schema.WORK_CRS)
    buurten.index = pd.Index(codes, dtype=object)

    facilities = _schools(schools_all, None if country else municipality_code)
    without = [
        {"buurt_code": str(c), "buurt_name": str(n), "a_inw": float(i), "a_00_14": float(k)}
        for c, n, i, k, s in zip(codes, table[schema.BUURT_NAME], table["a_inw"], table["a_00_14"], has_shape,
                                 strict=True)
        if not s
    ]
    notes = [
        f"National base layer: {len(buurten)} buurten of {name} ({municipality_code}) in CBS kwb {STATISTICS_YEAR}, "
        f"{int(has_shape.sum())} with a {GEOMETRY_YEAR} shape (same buurt code; boundaries may have changed since).",
    ]
    if without:
        shown = ", ".join(f"{b['buurt_code']} {b['buurt_name']}" for b in without[:8])
        notes.append(
            f"{len(without)} buurten have no {GEOMETRY_YEAR} shape (new or re-coded since): ranked, but not on the "
            f"map: {shown}{' …' if len(without) > 8 else ''}."
        )
    n_none = int(facilities[build.DISADVANTAGE_SCORE].isna().sum()) if len(facilities) else 0
    notes.append(
        f"{len(facilities)} DUO primary-school branches at their postcode-4 centroid (about 0.5 km off)"
        + (f"; {n_none} without a 2019 achterstandsscore (newer schools)" if n_none else "") + "."
    )
    notes.extend(_lost_schools(schools_all, None if country else municipality_code))
    meta = {
        "name": name,
        "kind": "base_layer",
        "municipality_code": municipality_code,
        "statistics_year": STATISTICS_YEAR,
        "geometry_year": GEOMETRY_YEAR,
        "network_name": build.slug(name),
        "n_buurten": int(len(buurten)),
        "n_with_shape": int(has_shape.sum()),
        "without_shape": without,
        "n_facilities": {k: int(v) for k, v in facilities[schema.FACILITY_TYPE].value_counts().sort_index().items()},
        "access_sources": {
            key: {"cbs_buurten_with_value": 0, "points": int((facilities[schema.FACILITY_TYPE] == key).sum())}
            for key in FACILITY_TYPES
        },
        "variable_years": {v: STATISTICS_YEAR for v in VARIABLES},
        "indicator_years": build.indicator_years({v: STATISTICS_YEAR for v in VARIABLES}),
        "missing": build.describe_missing(buurten, facilities, network=False),
        "notice": {"nl": NOTICE[0], "en": NOTICE[1]},
        "build_notes": notes,
        "sources": [dict(s) for s in SOURCES],
    }
    return files.Dataset(buurten=buurten, facilities=facilities, meta=meta, directory=str(directory))


def load_country(data_dir: str | Path | None = DATA_DIR, directory: str | Path = NATIONAL_DIR) -> files.Dataset:
    """Every buurt of the country: the base layer, with the rows of each municipality that has a full dataset in
    ``data_dir`` taken from that dataset (its fuller indicators and facilities; ``None``: the base layer only).

    ``meta["notice"]`` says what it holds (:data:`COUNTRY_NOTICE`); ``meta["n_buurten"]``, ``["n_with_shape"]`` and
    ``["without_shape"]`` count the rows loaded (a full dataset has a shape for every buurt)."""
    base = load_base_dataset(COUNTRY_CODE, directory)
    full: list[files.Dataset] = []
    root = Path(data_dir) if data_dir is not None else None
    for meta_path in sorted(root.glob(f"*/{files.DATASET_META}")) if root is not None and root.is_dir() else []:
        if (meta_path.parent / files.DATASET_FILE).is_file():
            ds = files.load_dataset(meta_path.parent)
            if str(ds.meta.get("municipality_code", "")).startswith("GM"):
                full.append(ds)
    if not full:
        return files.Dataset(buurten=base.buurten, facilities=base.facilities,
                             meta=_country_meta(base.meta, base.buurten), directory=base.directory)
    codes = {str(ds.meta["municipality_code"]) for ds in full}
    # A full dataset's buurten replace the base layer's; a buurt the dataset lacks (no polygon when it was built)
    # stays as the base layer has it, so the country keeps every buurt.
    in_full = set().union(*(set(ds.buurten[schema.BUURT_CODE]) for ds in full))
    keep = ~base.buurten[schema.BUURT_CODE].isin(in_full)
    buurten = pd.concat([base.buurten.loc[keep], *(ds.buurten for ds in full)])
    buurten = gpd.GeoDataFrame(buurten, geometry="geometry", crs=schema.WORK_CRS).sort_index(kind="mergesort")
    # The base layer's schools of those municipalities give way to the dataset's own (no branch twice).
    schools_all = _tables(str(directory))[2]
    theirs = set(schools_all.loc[schools_all[schema.MUNICIPALITY_CODE].isin(codes), schema.FACILITY_ID])
    own = ~base.facilities[schema.FACILITY_ID].isin(theirs)
    facilities = pd.concat([base.facilities.loc[own], *(ds.facilities for ds in full)], ignore_index=True)
    facilities = gpd.GeoDataFrame(facilities, geometry="geometry", crs=schema.WORK_CRS)
    # Indexed by id, as every dataset's facilities are (a buurt's nearest facility is looked up by its id).
    facilities.index = pd.Index(facilities[schema.FACILITY_ID].to_numpy(dtype=object))
    meta = dict(base.meta)
    meta["full_datasets"] = sorted(f"{ds.meta['municipality_code']} {ds.name}" for ds in full)
    meta["build_notes"] = [*base.meta.get("build_notes", []),
                           f"Full datasets used instead of the base layer for: {', '.join(meta['full_datasets'])}."]
    return files.Dataset(buurten=buurten, facilities=facilities, meta=_country_meta(meta, buurten),
                         directory=str(directory))


def _country_meta(meta: dict, buurten: gpd.GeoDataFrame) -> dict:
    """The base layer's meta for the whole country: counts of the rows actually loaded and what they hold."""
    out = dict(meta)
    geoms = buurten.geometry
    has_shape = (geoms.notna() & ~geoms.is_empty).to_numpy()
    n, n_shape = len(buurten), int(has_shape.sum())
    out["n_buurten"], out["n_with_shape"] = int(n), n_shape
    shapeless = set(buurten.index[~has_shape])
    out["without_shape"] = [b for b in meta.get("without_shape", []) if b["buurt_code"] in shapeless]
    names = [name.split(" ", 1)[-1] for name in out.get("full_datasets", [])]
    m = int(buurten[schema.MUNICIPALITY_CODE].nunique())
    notice = {}
    for i, lang in enumerate(("nl", "en")):
        full = COUNTRY_FULL[i].format(names=", ".join(names)) if names else COUNTRY_NO_FULL[i]
        notice[lang] = COUNTRY_NOTICE[i].format(
            n=format_number(n, lang=lang), m=format_number(m, lang=lang), full=full,
            n_shape=format_number(n_shape, lang=lang), share=format_number(100 * n_shape / max(n, 1), lang=lang),
        )
    out["notice"] = notice
    return out


def national_schools(directory: str | Path = NATIONAL_DIR) -> gpd.GeoDataFrame:
    """Every placed DUO primary-school branch of the country as facilities (PC4 centroids, EPSG:28992)."""
    _, _, schools_all, _ = _tables(str(directory))
    return _schools(schools_all, None)


def _schools(schools_all: pd.DataFrame, code: str | None) -> gpd.GeoDataFrame:
    mine = schools_all[schema.MUNICIPALITY_CODE] == code if code is not None else True
    rows = schools_all.loc[mine & schools_all["x"].notna()]
    rows = rows.sort_values(schema.FACILITY_ID)
    columns = [
        schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME, schema.FACILITY_CAPACITY,
        schema.FACILITY_ADDRESS, schema.FACILITY_POSTCODE, schema.FACILITY_DETAIL, schema.LOCATION_PRECISION,
        schema.FACILITY_SOURCE, *build.DISADVANTAGE_COLUMNS,
    ]
    table = rows[columns].reset_index(drop=True)
    table[schema.FACILITY_CAPACITY] = table[schema.FACILITY_CAPACITY].astype("float64")
    points = gpd.points_from_xy(rows["x"].to_numpy(), rows["y"].to_numpy())
    out = gpd.GeoDataFrame(table, geometry=points, crs=schema.WORK_CRS)
    out.index = pd.Index(out[schema.FACILITY_ID].to_numpy(dtype=object))
    return out


def _lost_schools(schools_all: pd.DataFrame, code: str | None) -> list[str]:
    mine = schools_all[schema.MUNICIPALITY_CODE] == code if code is not None else True
    lost = schools_all.loc[mine & schools_all["x"].isna()]
    if lost.empty:
        return []
    shown = ", ".join(f"{i} {n}" for i, n in zip(lost[schema.FACILITY_ID], lost[schema.FACILITY_NAME], strict=True))
    return [f"{len(lost)} school branches have no coordinates (postcode newer than the PC4 table) and are left out: "
            f"{shown}."]


def find_dataset_dir(code: str, data_dir: str | Path = DATA_DIR) -> Path | None:
    """A dataset folder in ``data_dir`` whose ``dataset.json`` names municipality ``code``, else None.

    ``data/<slug of the name>/`` is looked at first, then every other folder (sorted).
    """
    municipality_code, name = resolve_municipality(code)
    root = Path(data_dir)
    if not root.is_dir():
        return None
    first = root / build.slug(name)
    for folder in [first] + sorted(p for p in root.iterdir() if p.is_dir() and p != first):
        meta_path = folder / files.DATASET_META
        if not (meta_path.is_file() and (folder / files.DATASET_FILE).is_file()):
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("municipality_code") == municipality_code:
            return folder
    return None


def load_municipality(code: str, data_dir: str | Path = DATA_DIR) -> files.Dataset:
    """The fullest dataset of a municipality: its folder in ``data/`` (:func:`find_dataset_dir`), else the base
    layer (:func:`load_base_dataset`)."""
    folder = find_dataset_dir(code, data_dir)
    return files.load_dataset(folder) if folder is not None else load_base_dataset(code)


# --------------------------------------------------------------------------- building the base layer


def build_national(shared_dir: str | Path, out_dir: str | Path = NATIONAL_DIR) -> dict:
    """Write the base-layer files from the shared open data; return the manifest (also ``manifest.json``)."""
    shared = Path(shared_dir)
    paths = {k: shared / v for k, v in SHARED_INPUTS.items()}
    for path in paths.values():
        files.check_file(path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    buurten, gemeenten = _national_kwb(paths["kwb"])
    shapes = _national_shapes(paths["shapes"], set(buurten[schema.BUURT_CODE]))
    has_shape = buurten[schema.BUURT_CODE].isin(set(shapes[schema.BUURT_CODE]))
    per_gm = buurten.assign(has_shape=has_shape).groupby(schema.MUNICIPALITY_CODE)
    gemeenten["n_buurten"] = gemeenten["code"].map(per_gm.size()).fillna(0).astype(int)
    gemeenten["n_with_shape"] = gemeenten["code"].map(per_gm["has_shape"].sum()).fillna(0).astype(int)

    notes: list[str] = []
    schools = build.duo_schools(
        build.SchoolFiles(paths["schools"], pupils=paths["pupils"], scores=paths["scores"]), notes, keep_unplaced=True
    )
    schools = _school_table(schools)
    scores = build.school_scores(paths["scores"]).sort_index()
    scores["year"] = build.scores_year(paths["scores"])
    history = build.pupil_history(paths["pupils"], schools[schema.FACILITY_ID].str.removeprefix("duo-"))
    history.columns = [str(c) for c in history.columns]

    buurten.to_parquet(out / BUURTEN_FILE, index=False, compression="zstd")
    shapes.to_parquet(out / SHAPES_FILE, index=False, compression="zstd")
    schools.to_parquet(out / SCHOOLS_FILE, index=False, compression="zstd")
    gemeenten.to_csv(out / GEMEENTEN_FILE, index=False, encoding="utf-8", lineterminator="\n")
    scores.reset_index().to_parquet(out / SCORES_FILE, index=False, compression="zstd")
    history.astype("Int32").reset_index().to_parquet(out / PUPILS_HISTORY_FILE, index=False, compression="zstd")
    manifest = {
        "built_by": "python -m geo build-national",
        "statistics_year": STATISTICS_YEAR,
        "geometry_year": GEOMETRY_YEAR,
        "counts": {
            "municipalities": int(len(gemeenten)),
            "buurten": int(len(buurten)),
            "buurten_with_shape": int(has_shape.sum()),
            "shapes_2014_kept": int(shapes.attrs.get("kept", 0)),
            "school_branches": int(len(schools)),
            "school_branches_without_location": int(schools["x"].isna().sum()),
            "school_branches_with_score": int(schools[build.DISADVANTAGE_SCORE].notna().sum()),
            "score_branches_national": int(len(scores)),
            "pupil_history_years": [int(history.columns[0]), int(history.columns[-1])],
        },
        "notes": notes,
        "inputs": {k: {"path": v, "sha256": _sha256(paths[k])} for k, v in SHARED_INPUTS.items()},
        "files": {name: {"bytes": (out / name).stat().st_size}
                  for name in (BUURTEN_FILE, SHAPES_FILE, SCHOOLS_FILE, GEMEENTEN_FILE, SCORES_FILE,
                               PUPILS_HISTORY_FILE)},
        "sources": [dict(s) for s in SOURCES],
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _tables.cache_clear()
    school_scores.cache_clear()
    pupil_history.cache_clear()
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _national_kwb(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Buurt rows (ids + population/age) and gemeente rows (code, name) of the national kwb 2024 export."""
    b = build.read_kwb_table(path).frame
    w = build.read_kwb_table(path, level="wijk").frame
    g = build.read_kwb_table(path, level="gemeente").frame
    missing = [v for v in VARIABLES if v not in b.columns]
    if missing:
        raise files.MissingColumnError(f"'{path.name}': expected kwb variables {', '.join(missing)}.")
    names = g["regio"].astype(str).str.strip()
    codes = b.index.to_numpy(dtype=object)
    wijk_codes = np.array(["WK" + c[2:8] for c in codes], dtype=object)
    gm_codes = np.array(["GM" + c[2:6] for c in codes], dtype=object)
    buurten = pd.DataFrame({
        schema.BUURT_CODE: codes,
        schema.BUURT_NAME: b["regio"].astype(str).to_numpy(dtype=object),
        schema.WIJK_CODE: wijk_codes,
        schema.WIJK_NAME: pd.Series(wijk_codes).map(build.strip_wijk(w["regio"])).to_numpy(dtype=object),
        schema.MUNICIPALITY_CODE: gm_codes,
        schema.MUNICIPALITY_NAME: pd.Series(gm_codes).map(names).to_numpy(dtype=object),
    })
    for v in VARIABLES:
        values = b[v].to_numpy(dtype="float64")
        if np.isnan(values).any():
            raise files.InvalidValueError(f"'{path.name}': {v} has empty values; the base layer expects counts.")
        buurten[v] = values.astype("int32")
    buurten = buurten.sort_values(schema.BUURT_CODE, kind="mergesort").reset_index(drop=True)
    gemeenten = pd.DataFrame({"code": names.index.to_numpy(dtype=object), "name": names.to_numpy(dtype=object)})
    gemeenten["a_inw"] = g["a_inw"].to_numpy(dtype="float64").astype("int64")
    gemeenten["a_00_14"] = g["a_00_14"].to_numpy(dtype="float64").astype("int64")
    gemeenten = gemeenten.sort_values("code", kind="mergesort").reset_index(drop=True)
    return buurten, gemeenten


def _national_shapes(path: Path, codes_2024: set[str]) -> gpd.GeoDataFrame:
    """The 2014 buurt polygons whose code is a 2024 buurt, in EPSG:28992, repaired by the loader, not simplified."""
    loaded = build.load_buurten_file(build.BuurtenFile(path, crs=schema.MAP_CRS, year=GEOMETRY_YEAR))
    frame = loaded.frame
    keep = frame[schema.BUURT_CODE].isin(codes_2024).to_numpy()
    out = gpd.GeoDataFrame(
        {schema.BUURT_CODE: frame.loc[keep, schema.BUURT_CODE].to_numpy(dtype=object),
         "buurt_name_2014": frame.loc[keep, schema.BUURT_NAME].astype(str).to_numpy(dtype=object)},
        geometry=frame.geometry.values[keep], crs=schema.WORK_CRS,
    )
    out = out.sort_values(schema.BUURT_CODE, kind="mergesort").reset_index(drop=True)
    out.attrs["kept"] = len(frame)
    return out


def _school_table(schools: pd.DataFrame) -> pd.DataFrame:
    """The DUO schools as a plain table (x/y in EPSG:28992), one row per branch, sorted by id."""
    geometry = schools.pop("geometry")
    ok = geometry.notna().to_numpy()
    xs = np.full(len(schools), np.nan)
    ys = np.full(len(schools), np.nan)
    xy = shapely.get_coordinates(np.asarray(geometry[ok].to_numpy(), dtype=object))
    xs[ok], ys[ok] = np.round(xy[:, 0], 2), np.round(xy[:, 1], 2)
    out = schools.assign(x=xs, y=ys)
    return out.sort_values(schema.FACILITY_ID, kind="mergesort").reset_index(drop=True)
