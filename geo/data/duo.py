"""Primary schools of any municipality from DUO open onderwijsdata (CC0), placed with the geocoder.

Two national CSV files (``GEO_URL_DUO`` replaces ``https://duo.nl/open_onderwijsdata/images``):

- ``02.-alle-schoolvestigingen-basisonderwijs.csv``: one row per vestiging (BO, SBO, SO): ``VESTIGINGSCODE``
  (BRIN + 2), ``VESTIGINGSNAAM``, ``STRAATNAAM``, ``HUISNUMMER-TOEVOEGING`` (``3``, ``1-A``, ``26-28``),
  ``POSTCODE`` (``3512 XG``), ``PLAATSNAAM``, ``GEMEENTENUMMER`` (``0344``), ``GEMEENTENAAM``,
  ``DENOMINATIE`` … No coordinates. cp1252, ``;``, CRLF, names with ``"`` quoted CSV-style.
- ``06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv``: ``VESTIGINGSCODE`` and
  ``LEERLINGEN_1996`` … ``LEERLINGEN_<newest>``; ``GEMEENTECODE_VESTIGING`` without leading zeros (``344``).
  UTF-8 with BOM, ``;``.

The branches of the municipality are those with its ``GEMEENTENUMMER``; capacity is the number of pupils
in the newest year of file 06 (joined on ``VESTIGINGSCODE``); each address is placed by
:class:`geo.data.geocode.Geocoder` (exact address, postcode, PC4 centroid), and a branch that cannot be
placed at all is left out and named in the notes. Both readers also take the comma-separated UTF-8
extracts of the shared data (``utrecht_schoolvestigingen_basisonderwijs.csv``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema
from geo.data import files
from geo.data.geocode import Geocoder, parse_house_number
from geo.data.http import Client, base_url, service_url
from geo.data.pdok import gemeente_code
from geo.errors import DataFileError, DownloadError, PlanningError

ADDRESSES_FILE = "02.-alle-schoolvestigingen-basisonderwijs.csv"
PUPILS_FILE = "06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv"
#: Columns of file 02 the product reads.
ADDRESS_COLUMNS = (
    "VESTIGINGSCODE", "VESTIGINGSNAAM", "STRAATNAAM", "HUISNUMMER-TOEVOEGING", "POSTCODE", "PLAATSNAAM",
    "GEMEENTENUMMER", "GEMEENTENAAM", "DENOMINATIE",
)
FACILITY_TYPE = "primary_school"
SOURCE_ID = "duo_bo"

_PUPIL_YEAR = re.compile(r"^LEERLINGEN_(\d{4})$")

ErrorType = type[PlanningError]


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else cp1252 (DUO's file 02)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def read_table(
    data: bytes, *, source: str, required: tuple[str, ...], error: ErrorType = DataFileError, kind: str = "a DUO CSV"
) -> pd.DataFrame:
    """An open-data CSV as text columns (``;`` or ``,``, UTF-8 or cp1252), checked for ``required`` columns.

    ``kind`` names the expected file in messages ("a DUO CSV", "an LRK export").
    """
    text = _decode(data)
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") >= first.count(",") else ","
    found = [c.strip().strip('"') for c in first.strip().split(sep)]
    missing = [c for c in required if c not in found]
    if missing:
        start = text[:80].replace("\r", " ").replace("\n", " ").strip()
        raise error(
            f"{source}: expected {kind} with the columns {', '.join(required[:4])} …; "
            f"missing {', '.join(missing[:6])}{' …' if len(missing) > 6 else ''} "
            f"(the answer starts with {start!r})."
        )
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise error(f"{source}: could not read {kind}: {exc}") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table.apply(lambda s: s.str.strip())


def read_addresses(data: bytes, *, source: str = ADDRESSES_FILE, error: ErrorType = DataFileError) -> pd.DataFrame:
    """File 02 (all vestigingen) as text columns."""
    return read_table(data, source=source, required=ADDRESS_COLUMNS, error=error)


def read_pupils(data: bytes, *, source: str = PUPILS_FILE, error: ErrorType = DataFileError) -> tuple[pd.Series, int]:
    """File 06: pupils of the newest year per ``VESTIGINGSCODE`` (NaN when empty), and that year."""
    table = read_table(data, source=source, required=("VESTIGINGSCODE",), error=error)
    years = sorted(int(m.group(1)) for c in table.columns if (m := _PUPIL_YEAR.match(c)))
    if not years:
        raise error(
            f"{source}: expected pupil columns LEERLINGEN_<year> (e.g. LEERLINGEN_2025); "
            f"found {', '.join(table.columns[:8])}."
        )
    newest = years[-1]
    values = pd.to_numeric(table[f"LEERLINGEN_{newest}"].replace("", np.nan), errors="coerce")
    pupils = pd.Series(values.to_numpy(dtype=float), index=pd.Index(table["VESTIGINGSCODE"]), name=newest)
    return pupils[~pupils.index.duplicated(keep="first")], newest


def fetch_schools(
    client: Client, gemeente: str, geocoder: Geocoder
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """The primary-school branches of ``gemeente`` (``GM0344``) from DUO's national files, placed.

    Returns the facilities (``primary_school``, ids ``duo-<VESTIGINGSCODE>``, capacity = pupils of the
    newest year, address, postcode, location precision from the geocoder), the source record and notes.
    """
    code = gemeente_code(gemeente)
    url_02, url_06 = service_url("DUO", ADDRESSES_FILE), service_url("DUO", PUPILS_FILE)
    addresses = read_addresses(
        client.get(url_02, what=f"DUO {ADDRESSES_FILE}"), source=f"DUO {url_02}", error=DownloadError
    )
    body_06 = client.get(url_06, what=f"DUO {PUPILS_FILE}")
    pupils, year = read_pupils(body_06, source=f"DUO {url_06}", error=DownloadError)
    return schools_frame(addresses, pupils, year, code, geocoder, url=base_url("DUO"), error=DownloadError)


def schools_from_files(
    addresses_csv: str | Path, pupils_csv: str | Path, gemeente: str, geocoder: Geocoder
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """:func:`fetch_schools` from files on disk (the national files or a municipality's extract)."""
    code = gemeente_code(gemeente)
    a, p = files.check_file(addresses_csv), files.check_file(pupils_csv)
    addresses = read_addresses(a.read_bytes(), source=a.name)
    pupils, year = read_pupils(p.read_bytes(), source=p.name)
    return schools_frame(addresses, pupils, year, code, geocoder, url=str(a))


def schools_frame(
    addresses: pd.DataFrame,
    pupils: pd.Series,
    year: int,
    code: str,
    geocoder: Geocoder,
    *,
    url: str,
    error: ErrorType = DataFileError,
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """The facility frame of the branches of municipality ``code`` (see :func:`fetch_schools`)."""
    gm_number = code[2:]
    branches = addresses[addresses["GEMEENTENUMMER"].str.zfill(4) == gm_number]
    if branches.empty:
        raise error(
            f"DUO vestigingen basisonderwijs: no branch has GEMEENTENUMMER {gm_number} ({code}); "
            f"expected at least one (the file has {len(addresses):,} rows)."
        )
    notes: list[str] = []
    before, notes_before = dict(geocoder.counts), len(geocoder.notes)
    rows, xs, ys, unplaced = [], [], [], []
    for _, r in branches.iterrows():
        number, addition = parse_house_number(r["HUISNUMMER-TOEVOEGING"]) or (None, None)
        loc = geocoder.locate(r["POSTCODE"], number, addition)
        ident = f"duo-{r['VESTIGINGSCODE']}"
        if loc is None:
            unplaced.append(f"{ident} '{r['VESTIGINGSNAAM']}' ({r['STRAATNAAM']} {r['HUISNUMMER-TOEVOEGING']}, "
                            f"{r['POSTCODE']})")
            continue
        rows.append(
            {
                schema.FACILITY_ID: ident,
                schema.FACILITY_TYPE: FACILITY_TYPE,
                schema.FACILITY_NAME: r["VESTIGINGSNAAM"],
                schema.FACILITY_CAPACITY: pupils.get(r["VESTIGINGSCODE"], np.nan),
                schema.FACILITY_ADDRESS: f"{r['STRAATNAAM']} {r['HUISNUMMER-TOEVOEGING']}, {r['POSTCODE']} "
                f"{r['PLAATSNAAM'].title()}".strip(),
                schema.FACILITY_POSTCODE: r["POSTCODE"],
                schema.FACILITY_DETAIL: f"leerlingen {year}; {r['DENOMINATIE']}",
                schema.LOCATION_PRECISION: loc.precision,
                schema.FACILITY_SOURCE: SOURCE_ID,
            }
        )
        xs.append(loc.x)
        ys.append(loc.y)
    placed = {k: geocoder.counts.get(k, 0) - before.get(k, 0) for k in geocoder.counts}
    notes.append(
        f"DUO: {len(branches)} primary-school branches in {code}; placed "
        + ", ".join(f"{placed.get(p, 0)} by {p}" for p in ("address", "pc6", "pc4_centroid"))
    )
    if unplaced:
        notes.append(f"DUO: {len(unplaced)} branches could not be placed and are left out: {'; '.join(unplaced)}")
    no_pupils = [row[schema.FACILITY_ID] for row in rows if np.isnan(row[schema.FACILITY_CAPACITY])]
    if no_pupils:
        notes.append(f"DUO: no pupil count for {year} for {len(no_pupils)} branches: {', '.join(no_pupils[:10])}")
    notes.extend(geocoder.notes[notes_before:])
    if not rows:
        raise error(f"DUO: none of the {len(branches)} branches of {code} could be placed; {notes[-1]}")
    out = files.facilities_from_points(
        rows, xs, ys, source=f"DUO vestigingen basisonderwijs ({code})", rows_read=len(branches)
    )
    source = {
        "id": SOURCE_ID,
        "title": "Alle vestigingen basisonderwijs; Aantal leerlingen per vestiging",
        "publisher": "Dienst Uitvoering Onderwijs (DUO)",
        "year": int(year),
        "licence": "CC0 1.0",
        "attribution": "DUO Open Onderwijsdata",
        "url": url,
        "n_facilities": int(len(out)),
        "notes": notes,
    }
    return out, source, notes
