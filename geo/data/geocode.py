"""Addresses to RD points with the PDOK Locatieserver, falling back to the postcode and to PC4 centroids.

:class:`Geocoder` asks the Locatieserver ``free`` endpoint (BAG, CC0) through the one HTTP client
(:mod:`geo.data.http`, so every answer is cached on disk, per address):

1. ``q="<PC6> <number><addition>"``, ``fq=type:adres`` → a doc is accepted **only** when its
   ``postcode`` and ``huisnummer`` (and the addition, when one is asked for) equal the query. The
   Locatieserver's fuzzy matcher always returns *something*, often another address first, so a
   score threshold is not enough (dossier 1c). Precision ``address``.
2. ``q="<PC6>"``, ``fq=type:postcode`` → only a doc with exactly that postcode. Precision ``pc6``.
3. The centroid of the 4-digit postcode from a PC4 table (:func:`load_pc4_table`). Precision
   ``pc4_centroid`` (about 0.5 km off in Utrecht).
4. Otherwise ``None``: the caller says which rows could not be placed.

Coordinates come as WKT (``"centroide_rd": "POINT(133230.698 448750.088)"``); an answer whose WKT
does not parse, or lies outside the Netherlands, counts as no hit and is named in :attr:`Geocoder.notes`.
"""

from __future__ import annotations

import json
import numbers
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pyproj import Transformer

from geo import schema
from geo.data.http import Client, service_url
from geo.errors import DataFileError, DownloadError

#: Location precisions, best first (``geo.schema.LOCATION_PRECISION`` values).
ADDRESS, PC6, PC4 = "address", "pc6", "pc4_centroid"
PRECISIONS = (ADDRESS, PC6, PC4)
#: The key of :attr:`Geocoder.counts` for rows that could not be placed.
NOT_PLACED = "none"
#: Fields asked of the Locatieserver (``fl``); all are in its OpenAPI spec.
FIELDS = "id,type,weergavenaam,postcode,huisnummer,huisletter,huisnummertoevoeging,centroide_rd"
#: Docs asked per query: the exact address is not always the first one the fuzzy matcher returns.
ROWS = 5

_PC6 = re.compile(r"^(\d{4})([A-Z]{2})$")
_PC4 = re.compile(r"^\d{4}$")
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_WKT_POINT = re.compile(rf"^\s*POINT\s*\(\s*({_NUMBER})\s+({_NUMBER})\s*\)\s*$", re.IGNORECASE)
# The house number at the end of an address line, with an optional letter or addition ("12", "12A", "12 A",
# "12-bis", "1-C", "12-2", "26-28"); a second number counts as an addition only after a hyphen or slash.
_HOUSE = re.compile(r"(\d+)(?:\s*[-/]\s*([A-Za-z0-9]{1,4})|\s*([A-Za-z]{1,4}))?\s*$")


@dataclass(frozen=True)
class Location:
    """A point in EPSG:28992, how precise it is (:data:`PRECISIONS`) and what it is (shown to the user)."""

    x: float
    y: float
    precision: str
    label: str


def normalise_postcode(text: object) -> str:
    """``'3512 xg'`` → ``'3512XG'`` (upper case, no spaces); ``''`` for nothing."""
    return re.sub(r"\s+", "", str(text or "")).upper()


def _normalise_addition(text: object) -> str:
    return re.sub(r"[\s\-/]+", "", str(text or "")).upper()


def parse_house_number(text: object) -> tuple[int, str | None] | None:
    """The house number and addition at the end of ``text``; ``None`` when there is no number.

    ``'3'`` → ``(3, None)``; ``'1-A'`` → ``(1, 'A')``; ``'Oudegracht 245 bis'`` → ``(245, 'BIS')``;
    ``'12-2'`` → ``(12, '2')``. DUO writes a building on two numbers as a range (``'26-28'``): a numeric
    suffix larger than the number is read as such a range, and the first number is used.
    """
    match = _HOUSE.search(str(text or "").strip())
    if match is None:
        return None
    number, addition = int(match.group(1)), match.group(2) or match.group(3)
    if addition is None:
        return number, None
    if addition.isdigit() and int(addition) > number:
        return number, None  # "26-28": a range of numbers, not an addition
    return number, addition.upper()


def parse_wkt_point(text: object) -> tuple[float, float] | None:
    """``'POINT(133230.698 448750.088)'`` → ``(133230.698, 448750.088)``; ``None`` for anything else."""
    match = _WKT_POINT.match(str(text or "")) if isinstance(text, str) else None
    if match is None:
        return None
    return float(match.group(1)), float(match.group(2))


def _doc_addition(doc: Mapping[str, Any]) -> tuple[str, str]:
    """The (huisletter, huisnummertoevoeging) of a Locatieserver doc, normalised ('' when absent)."""
    return _normalise_addition(doc.get("huisletter")), _normalise_addition(doc.get("huisnummertoevoeging"))


def _in_nl(x: float, y: float) -> bool:
    x0, y0, x1, y1 = schema.NL_BOUNDS_RD
    return x0 <= x <= x1 and y0 <= y <= y1


def load_pc4_table(path: str | Path) -> pd.DataFrame:
    """A PC4 → (x, y) table in EPSG:28992, indexed by the 4-digit postcode (a string).

    Reads the three files of the shared ``nl_pc4_centroids`` folder:

    - a CSV with ``pc4`` and ``x_rd``/``y_rd`` (``utrecht_pc4_centroids.csv``);
    - a CSV with ``postcode``, ``latitude``, ``longitude`` (``4pp.csv``);
    - the postcodetabel JSON ``{"3512": {"city": …, "c": [lat, lon]}, …}``.

    PO-box-only codes (``soort == 'Postbus'``) are left out: their "centroid" is not a place.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"PC4 table: expected a file at '{p}', found nothing there.")
    if p.suffix.lower() == ".json":
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
            rows = [(str(k), float(v["c"][1]), float(v["c"][0])) for k, v in raw.items()]
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise DataFileError(
                f"'{p.name}': expected a postcodetabel JSON object {{\"3512\": {{\"c\": [lat, lon]}}}} ({exc})."
            ) from None
        lonlat = pd.DataFrame(rows, columns=["pc4", "lon", "lat"])
    else:
        try:
            table = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            raise DataFileError(f"Could not read the PC4 table '{p.name}': {exc}") from None
        if "soort" in table.columns:
            table = table[table["soort"].str.strip() != "Postbus"]
        if {"pc4", "x_rd", "y_rd"} <= set(table.columns):
            out = pd.DataFrame(
                {"x": pd.to_numeric(table["x_rd"], errors="coerce"), "y": pd.to_numeric(table["y_rd"], errors="coerce")}
            )
            out.index = pd.Index(table["pc4"].str.strip().str.zfill(4), name="pc4")
            return _checked_pc4(out, p.name)
        if not {"postcode", "latitude", "longitude"} <= set(table.columns):
            raise DataFileError(
                f"'{p.name}': expected columns pc4, x_rd, y_rd (RD) or postcode, latitude, longitude; "
                f"found {', '.join(table.columns[:10])}."
            )
        lonlat = pd.DataFrame(
            {
                "pc4": table["postcode"].str.strip().str.zfill(4),
                "lon": pd.to_numeric(table["longitude"], errors="coerce"),
                "lat": pd.to_numeric(table["latitude"], errors="coerce"),
            }
        )
    to_rd = Transformer.from_crs(schema.MAP_CRS, schema.WORK_CRS, always_xy=True)
    x, y = to_rd.transform(lonlat["lon"].to_numpy(), lonlat["lat"].to_numpy())
    out = pd.DataFrame({"x": x, "y": y}, index=pd.Index(lonlat["pc4"], name="pc4"))
    return _checked_pc4(out, p.name)


def _checked_pc4(table: pd.DataFrame, source: str) -> pd.DataFrame:
    table = table[table.index.str.match(_PC4) & table["x"].notna() & table["y"].notna()]
    table = table[~table.index.duplicated(keep="first")]
    if table.empty:
        raise DataFileError(f"'{source}': expected PC4 centroids, found no rows with a 4-digit code and coordinates.")
    return table.astype(float)


class Geocoder:
    """Places Dutch addresses: exact address, else the postcode (PC6), else the PC4 centroid.

    Parameters
    ----------
    client
        The HTTP client (its disk cache makes asking again for an address free).
    pc4_table
        PC4 → ``x``, ``y`` (EPSG:28992), indexed by the 4-digit postcode, e.g. from :func:`load_pc4_table`;
        without it there is no PC4 fallback.
    """

    def __init__(self, client: Client, *, pc4_table: pd.DataFrame | None = None) -> None:
        self.client = client
        if pc4_table is not None:
            if not {"x", "y"} <= set(pc4_table.columns):
                raise DataFileError(
                    f"PC4 table: expected columns x and y (EPSG:28992), found {', '.join(map(str, pc4_table.columns))}."
                )
            pc4_table = pc4_table.set_axis(pc4_table.index.astype(str).str.strip().str.zfill(4))  # 3512 → "3512"
        self.pc4_table = pc4_table
        #: Located rows per precision (:data:`PRECISIONS`, :data:`NOT_PLACED`), for the report.
        self.counts: Counter[str] = Counter()
        #: Answers that could not be used (bad WKT, points outside the Netherlands).
        self.notes: list[str] = []
        self._memo: dict[tuple[str, int | None, str], Location | None] = {}

    # ------------------------------------------------------------------ public
    def locate(self, postcode: object, number: object, addition: object = None) -> Location | None:
        """The best point for (postcode, house number, addition), or ``None``.

        ``number`` may be an int or text such as ``'1-A'`` (then the addition is taken from it).
        A 4-digit postcode goes straight to the PC4 table.
        """
        pc = normalise_postcode(postcode)
        num: int | None
        add = _normalise_addition(addition)
        if isinstance(number, numbers.Integral) and not isinstance(number, bool):
            num = int(number)
        elif isinstance(number, numbers.Real) and float(number).is_integer():
            num = int(float(number))  # a number read as float by pandas (3.0)
        else:
            parsed = parse_house_number(number)
            num = parsed[0] if parsed else None
            if parsed and not add:
                add = _normalise_addition(parsed[1])
        key = (pc, num, add)
        if key not in self._memo:
            self._memo[key] = self._locate(pc, num, add)
        found = self._memo[key]
        self.counts[found.precision if found else NOT_PLACED] += 1
        return found

    def locate_many(self, rows: Iterable[Sequence[object] | Mapping[str, object]]) -> list[Location | None]:
        """:meth:`locate` for each row: ``(postcode, number[, addition])`` or a mapping with those keys."""
        out: list[Location | None] = []
        for row in rows:
            if isinstance(row, Mapping):
                out.append(self.locate(row.get("postcode"), row.get("number"), row.get("addition")))
            else:
                out.append(self.locate(*row[:3]))
        return out

    def summary(self) -> str:
        """``'23 on the address, 17 on the postcode (PC6), 58 on a PC4 centroid, 0 not placed'``."""
        words = {ADDRESS: "on the address", PC6: "on the postcode (PC6)", PC4: "on a PC4 centroid"}
        parts = [f"{self.counts.get(p, 0)} {words[p]}" for p in PRECISIONS]
        return ", ".join([*parts, f"{self.counts.get(NOT_PLACED, 0)} not placed"])

    # ------------------------------------------------------------------ steps
    def _locate(self, pc: str, number: int | None, addition: str) -> Location | None:
        if _PC6.match(pc):
            if number is not None:
                hit = self._address(pc, number, addition)
                if hit is not None:
                    return hit
            hit = self._postcode(pc)
            if hit is not None:
                return hit
        return self._pc4(pc[:4])

    def _address(self, pc: str, number: int, addition: str) -> Location | None:
        what = f"PDOK Locatieserver, address {pc} {number}{addition}"
        docs = self._docs(f"{pc} {number}{addition}", "type:adres", what=what)
        matches = [d for d in docs if self._same_address(d, pc, number, addition)]
        if not addition:  # prefer "3" over "3A" when no addition was asked for
            matches.sort(key=lambda d: any(_doc_addition(d)))
        for doc in matches:
            point = self._point(doc, what)
            if point is not None:
                return Location(*point, ADDRESS, str(doc.get("weergavenaam") or f"{pc} {number}{addition}"))
        return None

    def _postcode(self, pc: str) -> Location | None:
        what = f"PDOK Locatieserver, postcode {pc}"
        for doc in self._docs(pc, "type:postcode", what=what):
            if normalise_postcode(doc.get("postcode")) == pc:
                point = self._point(doc, what)
                if point is not None:
                    return Location(*point, PC6, str(doc.get("weergavenaam") or pc))
        return None

    def _pc4(self, pc4: str) -> Location | None:
        if self.pc4_table is None or not _PC4.match(pc4) or pc4 not in self.pc4_table.index:
            return None
        row = self.pc4_table.loc[pc4]
        return Location(float(row["x"]), float(row["y"]), PC4, f"PC4 {pc4} (centroid)")

    # ------------------------------------------------------------------ the service
    def _docs(self, q: str, fq: str, *, what: str) -> list[dict[str, Any]]:
        url = service_url("LOCATIESERVER", "free", {"q": q, "fq": fq, "fl": FIELDS, "rows": ROWS})
        body = self.client.get_json(url, what=what)
        response = body.get("response") if isinstance(body, dict) else None
        docs = response.get("docs") if isinstance(response, dict) else None
        if not isinstance(docs, list):
            found = f"keys {', '.join(map(str, body))}" if isinstance(body, dict) else type(body).__name__
            raise DownloadError(
                f"{what}: expected a Locatieserver answer {{\"response\": {{\"docs\": [...]}}}} from {url}, "
                f"found {found}."
            )
        return [d for d in docs if isinstance(d, dict)]

    @staticmethod
    def _same_address(doc: Mapping[str, Any], pc: str, number: int, addition: str) -> bool:
        if doc.get("type") not in (None, "adres"):
            return False
        if normalise_postcode(doc.get("postcode")) != pc:
            return False
        try:
            if int(str(doc.get("huisnummer")).strip()) != number:
                return False
        except ValueError:
            return False
        if not addition:
            return True
        letter, extra = _doc_addition(doc)
        return addition in {letter + extra, letter, extra} - {""}

    def _point(self, doc: Mapping[str, Any], what: str) -> tuple[float, float] | None:
        wkt = doc.get("centroide_rd")
        point = parse_wkt_point(wkt)
        if point is None:
            self.notes.append(f"{what}: centroide_rd {str(wkt)[:60]!r} is not a WKT point; answer not used")
            return None
        if not _in_nl(*point):
            self.notes.append(f"{what}: centroide_rd {wkt!r} lies outside the Netherlands (RD); answer not used")
            return None
        return point
