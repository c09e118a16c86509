"""Day nurseries (KDV) and after-school care (BSO) from the Landelijk Register Kinderopvang open data (CC0).

``GET {LRK}/export_opendata_lrk.csv`` (``GEO_URL_LRK`` replaces
``https://www.landelijkregisterkinderopvang.nl/opendata``): one national CSV, ``;``-separated, about
31.8k rows, refreshed twice a week. The server answers HTTP 400 to the default Python User-Agent; the
one client (:mod:`geo.data.http`) always sends an identifying one. Columns used: ``lrk_id``,
``type_oko`` (KDV, BSO, VGO, GOB, PSZ), ``actuele_naam_oko``, ``aantal_kindplaatsen``, ``status``,
``opvanglocatie_adres`` (street and number), ``opvanglocatie_postcode``, ``opvanglocatie_woonplaats``,
``verantwoordelijke_gemeente``; ``cbs_code`` and ``naam_houder`` when present. No coordinates: each
location is placed by :class:`geo.data.geocode.Geocoder` on its postcode and house number.

Kept: ``status == "Ingeschreven"`` and ``type_oko`` KDV → ``childcare``, BSO → ``after_school_care``.
Other types (gastouders VGO, gastouderbureaus GOB, old PSZ registrations) are counted in the notes.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import schema
from geo.data import files
from geo.data.duo import ErrorType, read_table
from geo.data.geocode import Geocoder, normalise_postcode, parse_house_number
from geo.data.http import Client, service_url
from geo.errors import DataFileError, DownloadError

LRK_FILE = "export_opendata_lrk.csv"
#: Columns the product reads (names as in the LRK open-data export).
REQUIRED_COLUMNS = (
    "lrk_id", "type_oko", "actuele_naam_oko", "aantal_kindplaatsen", "status", "opvanglocatie_adres",
    "opvanglocatie_postcode", "opvanglocatie_woonplaats", "verantwoordelijke_gemeente",
)
#: LRK ``type_oko`` → facility type of :data:`geo.catalog.FACILITY_TYPES`.
TYPE_MAP = {"KDV": "childcare", "BSO": "after_school_care"}
REGISTERED = "Ingeschreven"
SOURCE_ID = "lrk"

# Names that differ between the register and common use (compared after normalisation).
_ALIASES = {"den haag": "s gravenhage", "den bosch": "s hertogenbosch"}
_CODE = re.compile(r"^(?:GM)?(\d{3,4})$", re.IGNORECASE)


def normalise_gemeente(name: object) -> str:
    """A municipality name for comparison: no accents, case, quotes, hyphens or extra spaces.

    ``"'s-Gravenhage"``, ``"s-Gravenhage"`` and ``"Den Haag"`` all become ``"s gravenhage"``.
    """
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"[\"'`’]", "", text)
    text = " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())
    return _ALIASES.get(text, text)


def read_lrk(data: bytes, *, source: str = LRK_FILE, error: ErrorType = DataFileError) -> pd.DataFrame:
    """The LRK export as text columns, checked for :data:`REQUIRED_COLUMNS`."""
    return read_table(data, source=source, required=REQUIRED_COLUMNS, error=error, kind="an LRK export")


def fetch_childcare(
    client: Client, gemeente: str, geocoder: Geocoder
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """The registered KDV and BSO locations of ``gemeente`` (its name, e.g. ``"Utrecht"``), placed.

    Returns the facilities (ids ``lrk-<lrk_id>``, capacity = ``aantal_kindplaatsen``), the source
    record and notes (types not used, locations that could not be placed).
    """
    url = service_url("LRK", LRK_FILE)
    table = read_lrk(client.get(url, what=f"LRK {LRK_FILE}"), source=f"LRK {url}", error=DownloadError)
    return childcare_frame(table, gemeente, geocoder, url=url, error=DownloadError)


def childcare_from_file(
    path: str | Path, gemeente: str, geocoder: Geocoder
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """:func:`fetch_childcare` from an LRK export on disk."""
    p = files.check_file(path)
    return childcare_frame(read_lrk(p.read_bytes(), source=p.name), gemeente, geocoder, url=str(p))


def _in_gemeente(table: pd.DataFrame, gemeente: str) -> pd.Series:
    code = _CODE.match(gemeente.strip())
    if code and "cbs_code" in table.columns:
        return table["cbs_code"].str.zfill(4) == f"{int(code.group(1)):04d}"
    wanted = normalise_gemeente(gemeente)
    return table["verantwoordelijke_gemeente"].map(normalise_gemeente) == wanted


def childcare_frame(
    table: pd.DataFrame, gemeente: str, geocoder: Geocoder, *, url: str, error: ErrorType = DataFileError
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """The facility frame of the KDV/BSO locations of ``gemeente`` in an LRK table (see :func:`fetch_childcare`)."""
    local = table[_in_gemeente(table, gemeente)]
    if local.empty:
        known = sorted(set(table["verantwoordelijke_gemeente"]) - {""})
        raise error(
            f"LRK: no location has verantwoordelijke_gemeente {gemeente!r}; expected a municipality name as the "
            f"register writes it (e.g. {', '.join(known[:3]) or 'Utrecht'})."
        )
    notes: list[str] = []
    registered = local[local["status"].str.casefold() == REGISTERED.casefold()]
    if len(registered) < len(local):
        states = Counter(local.loc[~local.index.isin(registered.index), "status"])
        notes.append(
            f"LRK: {len(local) - len(registered)} locations in {gemeente} not registered (left out): "
            + ", ".join(f"{n} {s or 'no status'}" for s, n in sorted(states.items()))
        )
    types = registered["type_oko"].str.upper()
    used = registered[types.isin(list(TYPE_MAP))]
    other = Counter(types[~types.isin(list(TYPE_MAP))])
    if other:
        notes.append(
            f"LRK: {sum(other.values())} registered locations of other types not used: "
            + ", ".join(f"{n} {t or 'no type'}" for t, n in sorted(other.items()))
        )
    before, notes_before = dict(geocoder.counts), len(geocoder.notes)
    rows, xs, ys, unplaced = [], [], [], []
    for _, r in used.iterrows():
        ident = f"lrk-{r['lrk_id']}"
        number, addition = parse_house_number(r["opvanglocatie_adres"]) or (None, None)
        loc = geocoder.locate(r["opvanglocatie_postcode"], number, addition)
        if loc is None:
            unplaced.append(f"{ident} '{r['actuele_naam_oko']}' ({r['opvanglocatie_adres']}, "
                            f"{r['opvanglocatie_postcode'] or 'no postcode'})")
            continue
        pc = normalise_postcode(r["opvanglocatie_postcode"])
        pretty_pc = f"{pc[:4]} {pc[4:]}" if len(pc) == 6 else pc
        kind = r["type_oko"].upper()
        houder = r.get("naam_houder", "")
        rows.append(
            {
                schema.FACILITY_ID: ident,
                schema.FACILITY_TYPE: TYPE_MAP[kind],
                schema.FACILITY_NAME: r["actuele_naam_oko"],
                schema.FACILITY_CAPACITY: pd.to_numeric(r["aantal_kindplaatsen"], errors="coerce"),
                schema.FACILITY_ADDRESS: f"{r['opvanglocatie_adres']}, {pretty_pc} {r['opvanglocatie_woonplaats']}"
                .strip(", "),
                schema.FACILITY_POSTCODE: pretty_pc,
                schema.FACILITY_DETAIL: f"{kind}; houder {houder}" if houder else kind,
                schema.LOCATION_PRECISION: loc.precision,
                schema.FACILITY_SOURCE: SOURCE_ID,
            }
        )
        xs.append(loc.x)
        ys.append(loc.y)
    placed = {k: geocoder.counts.get(k, 0) - before.get(k, 0) for k in geocoder.counts}
    by_type = Counter(TYPE_MAP[t] for t in used["type_oko"].str.upper())
    notes.append(
        f"LRK: {len(used)} registered KDV/BSO locations in {gemeente} ("
        + ", ".join(f"{n} {t}" for t, n in sorted(by_type.items()))
        + "); placed "
        + ", ".join(f"{placed.get(p, 0)} by {p}" for p in ("address", "pc6", "pc4_centroid"))
    )
    if unplaced:
        notes.append(f"LRK: {len(unplaced)} locations could not be placed and are left out: {'; '.join(unplaced)}")
    notes.extend(geocoder.notes[notes_before:])
    if not rows:
        raise error(f"LRK: none of the {len(used)} KDV/BSO locations of {gemeente} could be placed; {notes[-1]}")
    out = files.facilities_from_points(rows, xs, ys, source=f"LRK kinderopvang ({gemeente})", rows_read=len(used))
    source = {
        "id": SOURCE_ID,
        "title": "Landelijk Register Kinderopvang, open data export (KDV en BSO)",
        "publisher": "Landelijk Register Kinderopvang (DUO, ministerie van SZW)",
        "year": None,
        "licence": "CC0 1.0",
        "attribution": "Landelijk Register Kinderopvang",
        "url": url,
        "n_facilities": int(len(out)),
        "notes": notes,
    }
    return out, source, notes
