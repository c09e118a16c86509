"""Build the embedded default dataset (Utrecht, GM0344) from the shared open data.

``python -m geo build-default [--shared DIR] [--out DIR]`` reads the real CBS,
Gemeente Utrecht, Mulier and DUO files (see ``data/SOURCES.md``) and writes
``data/utrecht/dataset.gpkg`` (layers ``buurten`` and ``facilities``, EPSG:28992)
and ``data/utrecht/dataset.json`` (sources, access measures, what was missing).
The build is deterministic: the same inputs give the same files.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import files

MUNICIPALITY_CODE = "GM0344"
MUNICIPALITY_NAME = "Utrecht"
#: Facilities farther than this outside the municipality are treated as bad
#: coordinates (a children's trip does not cross that far) and reported.
MAX_OUTSIDE_M = 2_000.0

#: CBS Nabijheid 2023 columns (StatLine export) -> facility type. The values are
#: CBS road distances (km), averaged over the addresses of the buurt.
NABIJHEID_COLUMNS = {
    "Kinderopvang/Kinderdagverblijf/Afstand tot kinderdagverblijf (km)": "childcare",
    "Kinderopvang/Buitenschoolse opvang/Afstand tot buitenschoolse opvang (km)": "after_school_care",
    "Vrije tijd en cultuur/Afstand tot bibliotheek (km)": "library",
    "Vrije tijd en cultuur/Sport/Afstand tot zwembad (km)": "swimming_pool",
    "Onderwijs/Basisonderwijs/Afstand tot school (km)": "primary_school",
    "Vrije tijd en cultuur/Podiumkunsten (excl. festivals)/Afstand tot podiumkunsten totaal (km)": "culture",
}

#: kwb variables always kept (even when empty in this release) because indicators use them.
KWB_REQUIRED = (
    "a_inw", "a_00_14", "a_15_24", "a_25_44", "a_45_64", "a_65_oo", "a_nl_all", "a_eur_al", "a_neu_al",
    "a_hh", "a_1p_hh", "a_hh_z_k", "a_hh_m_k", "g_hhgro", "bev_dich", "a_woning", "g_wozbag", "p_koopw",
    "p_huurw", "p_wcorpw", "a_soz_wb", "a_soz_ao", "a_soz_ww", "a_soz_ow", "g_ink_pi", "p_hh_li",
    "p_hh_osm", "a_opp_ha", "a_lan_ha", "a_wat_ha", "ste_mvs", "ste_oad",
)

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


def build_default(shared_dir: str | Path, out_dir: str | Path) -> dict:
    """Build the default dataset; return the metadata written to ``dataset.json``."""
    shared = Path(shared_dir)
    paths = {k: shared / v for k, v in SHARED_FILES.items()}
    notes: list[str] = []

    buurten = build_buurten(paths, notes)
    municipality = gpd.read_file(paths["gemeente"]).to_crs(schema.WORK_CRS).geometry.union_all()
    facilities = build_facilities(paths, municipality, notes)

    access_measures = {}
    for key in FACILITY_TYPES:
        col = schema.cbs_dist_col(key)
        n_cbs = int(buurten[col].notna().sum()) if col in buurten else 0
        n_points = int((facilities[schema.FACILITY_TYPE] == key).sum())
        access_measures[key] = {"cbs_buurten_with_value": n_cbs, "points": n_points}
    suppressed = {
        c: int(buurten[c].isna().sum()) for c in buurten.columns if c not in (*schema.BUURT_ID_COLUMNS, "geometry")
    }
    meta = {
        "name": "Utrecht",
        "municipality_code": MUNICIPALITY_CODE,
        "statistics_year": 2023,
        "geometry_year": 2013,
        "n_buurten": int(len(buurten)),
        "n_facilities": {k: int(v) for k, v in facilities[schema.FACILITY_TYPE].value_counts().sort_index().items()},
        "access_sources": access_measures,
        "missing_per_column": {k: v for k, v in suppressed.items() if v},
        "build_notes": notes,
        "sources": SOURCES,
    }
    files.write_dataset(buurten, facilities, meta, out_dir)
    return meta


def build_buurten(paths: dict[str, Path], notes: list[str]) -> gpd.GeoDataFrame:
    geo = files.load_buurten(paths["buurten"], code_column="KODE", name_column="NAAM")
    notes.append(geo.report.summary())
    g = geo.frame
    g[schema.BUURT_CODE] = "BU0344" + g[schema.BUURT_CODE].astype(str)
    g[schema.WIJK_CODE] = "WK0344" + g["WIJKKODE"].astype(str)
    g.index = pd.Index(g[schema.BUURT_CODE])

    kwb = files.load_cbs_table(paths["kwb"])
    n_suppressed = sum(kwb.report.suppressed.values())
    notes.append(kwb.report.summary().split(";")[0] + f"; {n_suppressed} suppressed values read as missing.")
    wijk = files.load_cbs_table(paths["kwb"], level="wijk").frame
    nab = files.load_cbs_table(paths["nabijheid"])
    notes.append(nab.report.summary().split(";")[0] + ".")

    stats = kwb.frame
    numeric = [c for c in stats.columns if pd.api.types.is_float_dtype(stats[c])]
    keep = [c for c in numeric if stats[c].notna().any() or c in KWB_REQUIRED]
    missing_required = [c for c in KWB_REQUIRED if c not in stats.columns]
    if missing_required:
        raise files.MissingColumnError(f"kwb table lacks required variables: {', '.join(missing_required)}")

    codes_geo, codes_cbs = set(g.index), set(stats.index)
    if codes_geo != codes_cbs:
        notes.append(
            f"buurt codes only in geometry: {sorted(codes_geo - codes_cbs)}; "
            f"only in CBS: {sorted(codes_cbs - codes_geo)}"
        )
    out = g[[schema.BUURT_CODE, schema.WIJK_CODE, "geometry"]].copy()
    out[schema.BUURT_NAME] = stats["regio"].reindex(out.index).fillna(g[schema.BUURT_NAME])
    wijk_names = wijk["regio"].astype(str).str.replace(r"^Wijk \d+\s+", "", regex=True)
    out[schema.WIJK_NAME] = out[schema.WIJK_CODE].map(wijk_names)
    out[schema.MUNICIPALITY_CODE] = MUNICIPALITY_CODE
    out[schema.MUNICIPALITY_NAME] = MUNICIPALITY_NAME
    out = out.join(stats[keep])

    nab_frame = nab.frame
    for column, key in NABIJHEID_COLUMNS.items():
        if column not in nab_frame.columns:
            raise files.MissingColumnError(f"nabijheid table lacks '{column}'")
        out[schema.cbs_dist_col(key)] = (nab_frame[column] * 1000.0).reindex(out.index)
    ordered = [
        *schema.BUURT_ID_COLUMNS,
        *[c for c in out.columns if c not in (*schema.BUURT_ID_COLUMNS, "geometry")],
        "geometry",
    ]
    out = gpd.GeoDataFrame(out[ordered], geometry="geometry", crs=schema.WORK_CRS).sort_index()
    return out


def build_facilities(
    paths: dict[str, Path], municipality: shapely.Geometry, notes: list[str]
) -> gpd.GeoDataFrame:
    sport = _mulier_facilities(paths["mulier"])
    schools = _duo_schools(paths)
    fac = pd.concat([sport, schools], ignore_index=True)
    fac = gpd.GeoDataFrame(fac, geometry="geometry", crs=schema.WORK_CRS)
    dist = fac.geometry.distance(municipality)
    far = dist > MAX_OUTSIDE_M
    for _, row in fac.loc[far].iterrows():
        notes.append(
            f"dropped facility {row[schema.FACILITY_ID]} '{row[schema.FACILITY_NAME]}': "
            f"{dist[_] / 1000:.1f} km outside the "
            "municipality (bad coordinate in the source)"
        )
    near_outside = (dist > 0) & ~far
    if near_outside.any():
        notes.append(
            f"kept {int(near_outside.sum())} facilities just outside the municipality "
            f"(< {MAX_OUTSIDE_M / 1000:.0f} km)"
        )
    fac = fac.loc[~far].sort_values([schema.FACILITY_TYPE, schema.FACILITY_ID]).reset_index(drop=True)
    return fac


def _mulier_facilities(path: Path) -> pd.DataFrame:
    table = files.load_facilities(path, facility_type="sport").frame
    cols = {c: re.sub(r"\s+", "_", c.strip().lower()) for c in table.columns if c != "geometry"}
    t = table.rename(columns=cols)
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


def _duo_schools(paths: dict[str, Path]) -> pd.DataFrame:
    addresses = pd.read_csv(paths["duo_addresses"], dtype=str, keep_default_na=False)
    pupils = pd.read_csv(paths["duo_pupils"], dtype=str, keep_default_na=False)
    points = gpd.read_file(paths["duo_points"]).to_crs(schema.WORK_CRS)
    pupils_2025 = pd.to_numeric(
        pupils.set_index("VESTIGINGSCODE")["LEERLINGEN_2025"].replace("", np.nan), errors="coerce"
    )
    pts = points.set_index("VESTIGINGSCODE")
    a = addresses.set_index("VESTIGINGSCODE")
    missing_pts = sorted(set(a.index) - set(pts.index))
    if missing_pts:
        raise files.GeometryError(f"no school point for DUO branches {missing_pts[:5]}")
    addr = (
        a["STRAATNAAM"] + " " + a["HUISNUMMER-TOEVOEGING"] + ", " + a["POSTCODE"] + " " + a["PLAATSNAAM"].str.title()
    ).str.strip()
    return pd.DataFrame(
        {
            schema.FACILITY_ID: "duo-" + a.index,
            schema.FACILITY_TYPE: "primary_school",
            schema.FACILITY_NAME: a["VESTIGINGSNAAM"],
            schema.FACILITY_CAPACITY: pupils_2025.reindex(a.index).astype(float),
            schema.FACILITY_ADDRESS: addr,
            schema.FACILITY_POSTCODE: a["POSTCODE"],
            schema.FACILITY_DETAIL: "leerlingen 2025; " + a["DENOMINATIE"],
            schema.LOCATION_PRECISION: pts["geocode_precision"].reindex(a.index).map(_PRECISION),
            schema.FACILITY_SOURCE: "duo_bo",
            "geometry": pts.geometry.reindex(a.index),
        }
    ).reset_index(drop=True)
