"""CBS figures per buurt for any municipality: *Kerncijfers wijken en buurten* (kwb) and *Nabijheid voorzieningen*.

Everything goes through the one polite client (:mod:`geo.data.http`): OData v4 first
(``datasets.cbs.nl``, cells, stable measure ids), OData v3 as the fallback (``opendata.cbs.nl``,
one row per region, keys with a suffix that shifts between tables). Both answer in the product's
schema: the kwb short names the offline xlsx path (:func:`geo.data.files.load_cbs_table`) gives
(``a_inw``, ``a_00_14``, ``g_wozbag`` …) and ``cbs_dist_<type>_m`` (metres) for the nabijheid
distances, indexed by buurt code.

- **One crosswalk** (:data:`CROSSWALK`): product column ↔ v4 measure id ↔ v3 key stem ↔ unit
  conversion. A v3 key is found through the table's own ``DataProperties`` by its stem (the key
  without ``_<number>``), never by a hard-coded suffix.
- **Each table checks itself**: its ``Properties`` (v4) or ``TableInfos`` (v3) must name the kind
  and year asked for; a table that says otherwise is not used (the other API is tried, then a
  :class:`~geo.errors.DownloadError`). The title, ``Modified`` and period go into the source record.
- **Newest year per indicator**: tables are read newest first; each column takes the newest year
  with at least one value for the municipality (provisional releases leave income, WOZ and
  benefits empty, so those come from an older table), and :attr:`CbsResult.years` says which.
- **Missing is missing**: ``null``, absent cells, ``.`` and the ``-9999999x`` sentinels become NaN, never 0.
- Requests stay under CBS's cap of :data:`MAX_CELLS` cells (buurten × measures per request) and
  follow ``nextLink`` pages; a page that is not OData (no ``value`` list, HTML, cut off) is a plain
  :class:`~geo.errors.DownloadError` and is not kept in the cache.

Where the crosswalk comes from (nothing here was checked against the live services; see the
project's data-source dossier, section 1a):

- ``D``: the dossier (v4 ids of a_inw, a_00_14, g_wozbag, g_ink_pi, p_hh_li, a_soz_wb, a_hh_m_k,
  g_afs_kv, g_afs_sc, ste_mvs and the 85984NED v3 keys it quotes);
- ``X``: the public 86165NED/85984NED measure-id → kwb-mnemonic crosswalk the dossier cites
  (validated by its author against kwb2024.xlsx) for the other v4 ids;
- ``P``: v3 keys as listed by public clients of 85984NED (and of older tables for
  ``HuishOnderOfRondSociaalMinimum``); nabijheid keys and their order agree with the real
  nabijheid 2023 export in ``shared/data`` (e.g. ``AfstandTotKinderdagverblijf_52``);
- nabijheid v4 ids from public code for 84718NED (ids are said to be stable across years);
- titles and groups of the nabijheid measures are the real export's headers
  (:data:`geo.data.build.NABIJHEID_COLUMNS`).

No v4 id: ``p_hh_osm`` (in neither the v4 crosswalk nor the public 85984NED key listings, which carry
``PersonenInArmoede`` instead) and ``cbs_dist_culture_m``; they come from OData v3 only.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from geo import schema
from geo.data.build import NABIJHEID_COLUMNS
from geo.data.http import SERVICES, Client, base_url, service_url
from geo.errors import DownloadError, ParameterError

#: CBS table id of *Kerncijfers wijken en buurten* per year (2025: provisional).
KWB_TABLES: Mapping[int, str] = MappingProxyType(
    {2021: "85039NED", 2022: "85318NED", 2023: "85618NED", 2024: "85984NED", 2025: "86165NED"}
)
#: CBS table id of *Nabijheid voorzieningen; afstand locatie, wijk- en buurtcijfers* per year.
NABIJHEID_TABLES: Mapping[int, str] = MappingProxyType(
    {2021: "85231NED", 2022: "85560NED", 2023: "85830NED", 2024: "86134NED"}
)
PUBLISHER = "Centraal Bureau voor de Statistiek (CBS)"
LICENCE = "CC BY 4.0"
ATTRIBUTION = "Bron: CBS"
#: CBS answers at most this many cells per request (buurten × measures).
MAX_CELLS = 10_000
#: A paged answer longer than this many pages is treated as a loop.
MAX_PAGES = 1_000

_LABEL = MappingProxyType({"kwb": "kwb (Kerncijfers wijken en buurten)", "nabijheid": "Nabijheid voorzieningen"})
#: Words the table's own title must contain (compared case- and accent-insensitively).
_TITLE_WORDS = MappingProxyType({"kwb": ("wijken en buurten",), "nabijheid": ("nabijheid",)})
_APIS = MappingProxyType({"odata4": "CBS_ODATA4", "odata3": "CBS_ODATA3"})
_SUFFIX = re.compile(r"_\d+$")


@dataclass(frozen=True)
class Measure:
    """One row of the crosswalk: a product column and where CBS keeps it.

    ``v4`` is the OData v4 measure identifier (None: read from v3 only), ``v3`` the OData v3 key
    without its ``_<number>`` suffix, ``groups`` the titles of the v3 topic groups above it (they
    pick the right key when a stem occurs more than once, e.g. the four *Afstand tot school*),
    ``unit`` the source unit a conversion depends on (checked against the table's metadata) and
    ``factor`` what a source value is multiplied by (km → m: 1000).
    """

    column: str
    v4: str | None
    v3: str
    title: str
    kind: str = "kwb"
    groups: tuple[str, ...] = ()
    unit: str | None = None
    factor: float = 1.0


def _kwb(column: str, v4: str | None, v3: str, title: str) -> Measure:
    return Measure(column, v4, v3, title)


def _nabijheid(facility_type: str, v4: str | None, v3: str) -> Measure:
    """A nabijheid distance; its title, groups and unit are those of the real export header."""
    path = next(p for p, key in NABIJHEID_COLUMNS.items() if key == facility_type)
    *groups, last = path.split("/")
    found = re.fullmatch(r"(.*?)\s*\(([^()]+)\)", last)
    title, unit = (found.group(1), found.group(2)) if found else (last, None)
    return Measure(schema.cbs_dist_col(facility_type), v4, v3, title, "nabijheid", tuple(groups), unit, 1000.0)


#: The crosswalk (grounding per row, see the module docstring: v4 id / v3 stem).
CROSSWALK: tuple[Measure, ...] = (
    _kwb("a_inw", "T001036", "AantalInwoners", "Aantal inwoners"),  # D / D
    _kwb("a_00_14", "10680", "k_0Tot15Jaar", "0 tot 15 jaar"),  # D / D
    _kwb("a_15_24", "53050", "k_15Tot25Jaar", "15 tot 25 jaar"),  # X / P
    _kwb("a_25_44", "53310", "k_25Tot45Jaar", "25 tot 45 jaar"),  # X / P
    _kwb("a_45_64", "53715", "k_45Tot65Jaar", "45 tot 65 jaar"),  # X / P
    _kwb("a_65_oo", "80200", "k_65JaarOfOuder", "65 jaar of ouder"),  # X / P
    _kwb("a_nl_all", "1012600_1", "Nederland", "Herkomstland: Nederland"),  # X / P
    _kwb("a_eur_al", "H007933_1", "EuropaExclusiefNederland", "Herkomstland: Europa (exclusief Nederland)"),  # X / P
    _kwb("a_neu_al", "H008859_1", "BuitenEuropa", "Herkomstland: Buiten Europa"),  # X / P
    _kwb("a_hh", "1050010_2", "HuishoudensTotaal", "Huishoudens totaal"),  # X / P
    _kwb("a_1p_hh", "1050015", "Eenpersoonshuishoudens", "Eenpersoonshuishoudens"),  # X / P
    _kwb("a_hh_z_k", "1016040", "HuishoudensZonderKinderen", "Huishoudens zonder kinderen"),  # X / P
    _kwb("a_hh_m_k", "1016030", "HuishoudensMetKinderen", "Huishoudens met kinderen"),  # D / P
    _kwb("g_hhgro", "M000114", "GemiddeldeHuishoudensgrootte", "Gemiddelde huishoudensgrootte"),  # X / P
    _kwb("bev_dich", "M000100", "Bevolkingsdichtheid", "Bevolkingsdichtheid"),  # X / P
    _kwb("a_woning", "M000297", "Woningvoorraad", "Woningvoorraad"),  # X / P
    _kwb("g_wozbag", "M001642", "GemiddeldeWOZWaardeVanWoningen", "Gemiddelde WOZ-waarde van woningen"),  # D / D
    _kwb("p_koopw", "1014800", "Koopwoningen", "Koopwoningen"),  # X / P
    _kwb("p_huurw", "1014850_2", "HuurwoningenTotaal", "Huurwoningen totaal"),  # X / P
    _kwb("p_wcorpw", "A047047", "InBezitWoningcorporatie", "Huurwoningen in bezit woningcorporatie"),  # X / P
    _kwb("a_soz_wb", "D006842", "PersonenPerSoortUitkeringBijstand", "Personen per soort uitkering: Bijstand"),  # D / D
    _kwb("a_soz_ao", "D006837", "PersonenPerSoortUitkeringAO", "Personen per soort uitkering: AO"),  # X / P
    _kwb("a_soz_ww", "D001827", "PersonenPerSoortUitkeringWW", "Personen per soort uitkering: WW"),  # X / P
    _kwb("a_soz_ow", "D000193", "PersonenPerSoortUitkeringAOW", "Personen per soort uitkering: AOW"),  # X / P
    _kwb("g_ink_pi", "M000224", "GemiddeldInkomenPerInwoner", "Gemiddeld inkomen per inwoner"),  # D / D
    _kwb("p_hh_li", "D000186", "k_40HuishoudensMetLaagsteInkomen", "40% huishoudens met laagste inkomen"),  # D / P
    _kwb("p_hh_osm", None, "HuishOnderOfRondSociaalMinimum", "Huishoudens onder of rond sociaal minimum"),  # - / P
    _kwb("a_opp_ha", "T001455_2", "OppervlakteTotaal", "Oppervlakte totaal"),  # X / P
    _kwb("a_lan_ha", "A047044", "OppervlakteLand", "Oppervlakte land"),  # X / P
    _kwb("a_wat_ha", "A047040", "OppervlakteWater", "Oppervlakte water"),  # X / P
    _kwb("ste_mvs", "ST0001", "MateVanStedelijkheid", "Mate van stedelijkheid"),  # D / P
    _kwb("ste_oad", "ST0003", "Omgevingsadressendichtheid", "Omgevingsadressendichtheid"),  # X / P
    _kwb("g_afs_kv", "D000029", "AfstandTotKinderdagverblijf", "Afstand tot kinderdagverblijf"),  # D / D
    _kwb("g_afs_sc", "D000045", "AfstandTotSchool", "Afstand tot school"),  # D / D
    _nabijheid("childcare", "D000029", "AfstandTotKinderdagverblijf"),
    _nabijheid("after_school_care", "D000019", "AfstandTotBuitenschoolseOpvang"),
    _nabijheid("library", "D000015", "AfstandTotBibliotheek"),
    _nabijheid("swimming_pool", "D000058", "AfstandTotZwembad"),
    _nabijheid("primary_school", "D000045_1", "AfstandTotSchool"),
    _nabijheid("culture", None, "AfstandTotPodiumkunstenTotaal"),
)
#: The kwb rows and the nabijheid rows of the crosswalk.
KWB_MEASURES = tuple(m for m in CROSSWALK if m.kind == "kwb")
NABIJHEID_MEASURES = tuple(m for m in CROSSWALK if m.kind == "nabijheid")


def crosswalk_row(column: str) -> Measure:
    """The crosswalk row of a product column."""
    for m in CROSSWALK:
        if m.column == column:
            return m
    raise ParameterError(f"'{column}' is not in the CBS crosswalk; known: {', '.join(m.column for m in CROSSWALK)}.")


@dataclass(frozen=True)
class CbsResult:
    """CBS figures for the buurten of one municipality.

    ``frame``: indexed by buurt code (``BU…``), columns :data:`geo.schema.BUURT_NAME`,
    :data:`geo.schema.WIJK_CODE` and one float column per crosswalk row asked for (NaN = no value).
    ``years``: the table year each column with a value came from. ``sources``: one record per
    (table, API) that delivered a column. ``missing``: columns without a value in any year.
    """

    frame: pd.DataFrame
    years: Mapping[str, int]
    sources: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]
    missing: tuple[str, ...]


class _TableMismatchError(DownloadError):
    """A table whose own description does not say what was asked for (not an outage of the API)."""


@dataclass
class _State:
    """What one fetch learnt on the way: OData v4 failed (not merely lacked a table), so v3 is used from then on."""

    use_v4: bool = True


@dataclass
class _Part:
    """What one table gave: values per buurt, buurt names, source records, notes."""

    values: dict[str, pd.Series] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- public API


def fetch_kwb(client: Client, gemeente_code: str, *, years: Iterable[int] | None = None) -> CbsResult:
    """The kwb indicators (:data:`KWB_MEASURES`) of every buurt of ``gemeente_code``, newest year per indicator.

    ``years``: the table years to consider (default: every year in :data:`KWB_TABLES`), read
    newest first. Raises :class:`DownloadError` when a table cannot be read from either API (a
    table neither API has is skipped with a note) or when no table has buurten of the municipality.
    """
    return _fetch_layer(client, gemeente_code, years, "kwb")


def fetch_nabijheid(client: Client, gemeente_code: str, *, years: Iterable[int] | None = None) -> CbsResult:
    """The CBS road distances ``cbs_dist_<type>_m`` (metres) of every buurt, newest year per facility type.

    Same rules as :func:`fetch_kwb`; years without a nabijheid table are left out with a note.
    """
    return _fetch_layer(client, gemeente_code, years, "nabijheid")


def municipalities(client: Client) -> pd.DataFrame:
    """Every municipality (``code`` ``GM…``, ``name``) of the newest kwb table CBS answers for, v4 then v3."""
    errors: list[str] = []
    use_v4 = True
    for year in sorted(KWB_TABLES, reverse=True):
        table = KWB_TABLES[year]
        what = f"CBS kwb {year} ({table}), list of municipalities"
        attempts = (("odata4", _v4_gemeenten), ("odata3", _v3_gemeenten)) if use_v4 else (("odata3", _v3_gemeenten),)
        for api, read in attempts:
            try:
                rows = read(client, table, what)
            except DownloadError as exc:
                errors.append(str(exc))
                if api == "odata4" and not _absent(exc):
                    use_v4 = False
                continue
            if rows:
                frame = pd.DataFrame(sorted(rows.items()), columns=["code", "name"])
                frame.attrs["source"] = {"table_id": table, "year": year, "api": api}
                return frame
            errors.append(f"{what} via {api}: no municipality codes in the answer")
    raise DownloadError("The list of municipalities could not be fetched from CBS: " + " | ".join(errors[-4:]))


def resolve_gemeente(text: str, table: pd.DataFrame) -> tuple[str, str]:
    """``(code, name)`` of the municipality ``text`` names: ``GM0855``, ``0855``, ``855`` or a name.

    Names are compared without regard to case, spaces, punctuation and accents (``'s-Hertogenbosch``
    = ``s hertogenbosch``); only names in ``table`` count (columns ``code`` and ``name``, e.g. from
    :func:`municipalities`). Raises :class:`ParameterError` with close matches when there is none.
    """
    if not isinstance(table, pd.DataFrame) or not {"code", "name"} <= set(table.columns):
        found = list(table.columns) if isinstance(table, pd.DataFrame) else type(table).__name__
        raise ParameterError(f"The list of municipalities needs the columns 'code' and 'name'; found {found}.")
    given = text.strip() if isinstance(text, str) else ""
    if not given:
        raise ParameterError("Name a municipality: a CBS code such as GM0855 or a name such as Tilburg.")
    codes = [_table_code(c) for c in table["code"]]
    names = [str(n).strip() for n in table["name"]]
    as_code = re.fullmatch(r"(?:GM)?\s*(\d{1,4})", given, flags=re.IGNORECASE)
    if as_code:
        code = "GM" + as_code.group(1).zfill(4)
        for c, n in zip(codes, names, strict=True):
            if c == code:
                return code, n
        raise ParameterError(
            f"{code} is not a municipality in the CBS list ({len(codes)} municipalities); "
            "check the code (CBS gemeentecode, e.g. GM0855 for Tilburg) or give the name."
        )
    key = _fold(given)
    hits = [(c, n) for c, n in zip(codes, names, strict=True) if _fold(n) == key]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise ParameterError(f"'{given}' names more than one municipality: {_list(f'{n} ({c})' for c, n in hits)}.")
    folded = {_fold(n): f"{n} ({c})" for c, n in zip(codes, names, strict=True)}
    close = [folded[k] for k in difflib.get_close_matches(key, list(folded), n=5, cutoff=0.6)]
    close += [v for k, v in folded.items() if key and key in k and v not in close][: 5 - len(close)]
    hint = f" Did you mean: {_list(close)}?" if close else ""
    raise ParameterError(
        f"No municipality named '{given}' in the CBS list of {len(codes)} municipalities.{hint} "
        "A CBS code (e.g. GM0855) always works."
    )


# --------------------------------------------------------------------------- one layer, year by year


def _fetch_layer(client: Client, gemeente_code: str, years: Iterable[int] | None, kind: str) -> CbsResult:
    code = _gm_code(gemeente_code)
    tables = KWB_TABLES if kind == "kwb" else NABIJHEID_TABLES
    measures = KWB_MEASURES if kind == "kwb" else NABIJHEID_MEASURES
    notes: list[str] = []
    wanted = _years(years, tables, kind, notes)
    found: dict[str, tuple[int, pd.Series]] = {}
    names: dict[str, str] | None = None
    sources: list[dict[str, Any]] = []
    state = _State()
    fetched: list[int] = []
    for year in wanted:
        todo = [m for m in measures if m.column not in found]
        if not todo:
            break
        part = _fetch_table(client, code, kind, year, todo, state, notes)
        if part is None:
            continue
        notes.extend(part.notes)
        if not part.names:
            notes.append(f"CBS {kind} {year} ({tables[year]}) has no buurten of {code}; skipped.")
            continue
        fetched.append(year)
        if names is None:
            names = dict(part.names)
        else:
            unknown = sorted(set(names) - set(part.names))
            if unknown:
                notes.append(
                    f"CBS {kind} {year} ({tables[year]}) lacks {len(unknown)} buurt code(s) of the newer table "
                    f"(changed boundaries?), e.g. {_list(unknown[:3])}: no {year} values for them."
                )
        used: set[str] = set()
        for m in todo:
            series = part.values.get(m.column)
            if series is not None and series.notna().any():
                found[m.column] = (year, series)
                used.add(m.column)
        for source in part.sources:
            columns = [c for c in source["columns"] if c in used]
            if columns:
                titles = {c: t for c, t in source["measure_titles"].items() if c in used}
                sources.append({**source, "columns": columns, "measure_titles": titles})
    if names is None:
        asked = ", ".join(f"{y} ({tables[y]})" for y in wanted)
        raise DownloadError(
            f"CBS {_LABEL[kind]}: no table of {asked} has buurten of {code}; check the municipality code."
        )
    frame = _frame(names, measures, found)
    year_of = {c: y for c, (y, _) in found.items()}
    newest = wanted[0]
    for year in sorted({y for y in year_of.values() if y < newest}, reverse=True):
        columns = [m.column for m in measures if year_of.get(m.column) == year]
        newer = [f"{y} ({tables[y]})" for y in wanted if y > year]
        notes.append(
            f"CBS {kind}: {year} ({tables[year]}) used for {_list(columns)}: "
            f"{_list(newer)} {'has' if len(newer) == 1 else 'have'} no value for {code}."
        )
    missing = tuple(m.column for m in measures if m.column not in found)
    if missing:
        looked = _list(f"{y} ({tables[y]})" for y in fetched) or "no table"
        notes.append(f"CBS {kind}: no value for {code} in {looked} for {_list(missing)}.")
    return CbsResult(
        frame=frame,
        years=MappingProxyType(dict(year_of)),
        sources=tuple(sources),
        notes=tuple(notes),
        missing=missing,
    )


def _fetch_table(
    client: Client, code: str, kind: str, year: int, todo: Sequence[Measure], state: _State, notes: list[str]
) -> _Part | None:
    """One table through v4 (unless v4 failed before in this fetch), else v3; None when neither API has it."""
    table = (KWB_TABLES if kind == "kwb" else NABIJHEID_TABLES)[year]
    label = f"CBS {kind} {year} ({table})"
    errors: list[tuple[str, DownloadError]] = []
    if state.use_v4:
        try:
            return _v4_table(client, code, kind, year, table, todo, label)
        except DownloadError as exc:
            errors.append(("OData v4", exc))
            if isinstance(exc, _TableMismatchError):
                notes.append(f"{exc} OData v3 is asked instead.")
            elif not _absent(exc):
                state.use_v4 = False
                notes.append(f"{label}: CBS OData v4 failed ({exc}); OData v3 is used from here on.")
    try:
        part = _v3_table(client, code, kind, year, table, todo, label, names=None)
    except DownloadError as exc:
        errors.append(("OData v3", exc))
    else:
        if errors and _absent(errors[0][1]):
            part.notes.append(f"{label} is not on CBS OData v4; read from OData v3.")
        return part
    if all(_absent(e) for _, e in errors):
        asked = " and ".join(api for api, _ in errors)
        notes.append(f"{label} is not available on CBS OData (HTTP 404 from {asked}); skipped.")
        return None
    raise DownloadError(
        f"{label} for the buurten of {code} could not be read: "
        + "; ".join(f"{api}: {exc}" for api, exc in errors)
    )


# --------------------------------------------------------------------------- OData v4


def _v4_table(
    client: Client, code: str, kind: str, year: int, table: str, todo: Sequence[Measure], label: str
) -> _Part:
    prefix = "BU" + code[2:]
    props = _get_object(client, service_url("CBS_ODATA4", f"{table}/Properties"), f"{label}, table properties")
    meta = _check_table(props, kind, year, table, label, "OData v4")
    part = _Part()
    codes_url = service_url(
        "CBS_ODATA4", f"{table}/WijkenEnBuurtenCodes", {"$filter": f"startswith(Identifier,'{prefix}')"}
    )
    for row in _pages(client, codes_url, f"{label}, buurt codes of {code}", "CBS_ODATA4"):
        ident = _text(row.get("Identifier"))
        if ident.startswith(prefix):
            part.names[ident] = _text(row.get("Title"))
    if not part.names:
        return part
    measure_rows = {
        _text(r.get("Identifier")): r
        for r in _pages(client, service_url("CBS_ODATA4", f"{table}/MeasureCodes"), f"{label}, measures", "CBS_ODATA4")
    }
    usable: list[Measure] = []
    lacking: list[Measure] = []
    titles: dict[str, str] = {}
    for m in todo:
        if m.v4 is None or m.v4 not in measure_rows:
            lacking.append(m)
            continue
        row = measure_rows[m.v4]
        problem = _unit_problem(m, row.get("Unit"))
        if problem:
            part.notes.append(f"{label}: {m.column} ({m.v4}) {problem}; not used.")
            continue
        usable.append(m)
        titles[m.column] = _text(row.get("Title"))
    if usable:
        part.values.update(_v4_observations(client, table, prefix, usable, len(part.names), label))
        part.sources.append(_source(kind, year, table, "odata4", meta, [m.column for m in usable], titles))
    if lacking:
        with_id = [m.column for m in lacking if m.v4]
        if with_id:
            part.notes.append(f"{label}: OData v4 has no measure for {_list(with_id)}; OData v3 is asked.")
        try:
            extra = _v3_table(client, code, kind, year, table, lacking, label, names=part.names)
        except DownloadError as exc:
            part.notes.append(f"{label}: {_list(m.column for m in lacking)} not read from OData v3 ({exc}).")
        else:
            part.values.update(extra.values)
            part.sources.extend(extra.sources)
            part.notes.extend(extra.notes)
    return part


def _v4_observations(
    client: Client, table: str, prefix: str, measures: Sequence[Measure], n_buurten: int, label: str
) -> dict[str, pd.Series]:
    by_id = {m.v4: m for m in measures if m.v4}
    cells: dict[str, dict[str, float]] = {m.column: {} for m in measures}
    for chunk in _chunks(list(by_id), max(1, MAX_CELLS // max(n_buurten, 1))):
        which = " or ".join(f"Measure eq '{ident}'" for ident in chunk)
        url = service_url(
            "CBS_ODATA4",
            f"{table}/Observations",
            {
                "$filter": f"startswith(WijkenEnBuurten,'{prefix}') and ({which})",
                "$select": "Measure,WijkenEnBuurten,Value",
            },
        )
        wanted = set(chunk)
        for row in _pages(client, url, f"{label}, figures of {prefix}…", "CBS_ODATA4"):
            ident, buurt = _text(row.get("Measure")), _text(row.get("WijkenEnBuurten"))
            if ident in wanted and buurt.startswith(prefix):
                m = by_id[ident]
                cells[m.column].setdefault(buurt, _number(row.get("Value")) * m.factor)
    return {c: pd.Series(v, dtype="float64") for c, v in cells.items()}


def _v4_gemeenten(client: Client, table: str, what: str) -> dict[str, str]:
    url = service_url("CBS_ODATA4", f"{table}/WijkenEnBuurtenCodes", {"$filter": "startswith(Identifier,'GM')"})
    out = {}
    for row in _pages(client, url, what + " (OData v4)", "CBS_ODATA4"):
        ident = _text(row.get("Identifier"))
        if re.fullmatch(r"GM\d{4}", ident):
            out[ident] = _text(row.get("Title"))
    return out


# --------------------------------------------------------------------------- OData v3


def _v3_table(
    client: Client,
    code: str,
    kind: str,
    year: int,
    table: str,
    todo: Sequence[Measure],
    label: str,
    *,
    names: Mapping[str, str] | None,
) -> _Part:
    """``todo`` from OData v3; ``names`` given (from v4) means only the values are wanted."""
    prefix = "BU" + code[2:]
    json_only = {"$format": "json"}
    info = _get_list(client, service_url("CBS_ODATA3", f"{table}/TableInfos", json_only), f"{label}, table info")
    if not info:
        raise DownloadError(f"{label}, table info: the answer lists no table; try again later.")
    meta = _check_table(info[0], kind, year, table, label, "OData v3")
    props = _get_list(client, service_url("CBS_ODATA3", f"{table}/DataProperties", json_only), f"{label}, columns")
    part = _Part()
    keys = _v3_keys(props, todo, label, part.notes)
    region = _v3_region_keys(props)
    if names is None:
        url = service_url(
            "CBS_ODATA3", f"{table}/WijkenEnBuurten", {"$filter": f"startswith(Key,'{prefix}')", **json_only}
        )
        for row in _pages(client, url, f"{label}, buurt names of {code}", "CBS_ODATA3"):
            key = _text(row.get("Key"))
            if key.startswith(prefix):
                part.names[key] = _text(row.get("Title"))
        if not part.names:
            return part
    n_buurten = len(names if names is not None else part.names)
    fixed = ["WijkenEnBuurten", *region.values()]
    cells: dict[str, dict[str, float]] = {c: {} for c in keys}
    seen_region: str | None = None
    by_key = {key: col for col, key in keys.items()}
    factor = {m.column: m.factor for m in todo}
    per = max(1, MAX_CELLS // max(n_buurten, 1) - len(fixed))
    for chunk in _chunks(list(by_key), per):
        url = service_url(
            "CBS_ODATA3",
            f"{table}/TypedDataSet",
            {"$filter": f"startswith(WijkenEnBuurten,'{prefix}')", "$select": ",".join([*fixed, *chunk]), **json_only},
        )
        for row in _pages(client, url, f"{label}, figures of {prefix}…", "CBS_ODATA3"):
            buurt = _text(row.get("WijkenEnBuurten"))
            if not buurt.startswith(prefix):
                continue
            if "SoortRegio" in region and _text(row.get(region["SoortRegio"])) not in ("", "Buurt"):
                continue
            if "Gemeentenaam" in region:
                seen_region = seen_region or _text(row.get(region["Gemeentenaam"])) or None
            for key in chunk:
                col = by_key[key]
                cells[col].setdefault(buurt, _number(row.get(key)) * factor[col])
    part.values = {c: pd.Series(v, dtype="float64") for c, v in cells.items()}
    if keys:
        source = _source(kind, year, table, "odata3", meta, list(keys), _v3_titles(props, keys))
        source["keys"] = dict(keys)
        if seen_region:
            source["municipality_name"] = seen_region
        part.sources.append(source)
    return part


def _v3_keys(props: list[dict[str, Any]], todo: Sequence[Measure], label: str, notes: list[str]) -> dict[str, str]:
    """Column → v3 key of this table, through the stems of its DataProperties (never a fixed suffix)."""
    by_id = {p.get("ID"): p for p in props}
    topics = [p for p in props if p.get("Type") == "Topic" and _text(p.get("Key"))]
    out: dict[str, str] = {}
    lacking: list[str] = []
    for m in todo:
        candidates = [p for p in topics if _SUFFIX.sub("", _text(p.get("Key"))) == m.v3]
        if len(candidates) > 1 and m.groups:
            candidates = [p for p in candidates if _groups_match(_ancestors(p, by_id), m.groups)]
        if not candidates:
            lacking.append(f"{m.column} ({m.v3}_…)")
            continue
        if len(candidates) > 1:
            found = ", ".join(_text(p.get("Key")) for p in candidates)
            notes.append(f"{label}: {m.column} matches several OData v3 keys ({found}); not used.")
            continue
        problem = _unit_problem(m, candidates[0].get("Unit"))
        if problem:
            notes.append(f"{label}: {m.column} ({_text(candidates[0].get('Key'))}) {problem}; not used.")
            continue
        out[m.column] = _text(candidates[0].get("Key"))
    if lacking:
        notes.append(f"{label}: OData v3 has no column for {_list(lacking)}.")
    return out


def _v3_region_keys(props: list[dict[str, Any]]) -> dict[str, str]:
    """The keys of the region columns read (``SoortRegio_2``, ``Gemeentenaam_1``) when the table has them."""
    out: dict[str, str] = {}
    for p in props:
        key = _text(p.get("Key"))
        stem = _SUFFIX.sub("", key)
        if stem in ("SoortRegio", "Gemeentenaam") and stem != key:
            out.setdefault(stem, key)
    return out


def _v3_titles(props: list[dict[str, Any]], keys: Mapping[str, str]) -> dict[str, str]:
    title_of = {_text(p.get("Key")): _text(p.get("Title")) for p in props}
    return {col: title_of.get(key, "") for col, key in keys.items()}


def _ancestors(prop: Mapping[str, Any], by_id: Mapping[Any, Mapping[str, Any]]) -> list[str]:
    """The titles of the topic groups above ``prop``, outermost first."""
    out: list[str] = []
    parent = prop.get("ParentID")
    while parent is not None and parent in by_id and len(out) < 20:
        group = by_id[parent]
        out.insert(0, _text(group.get("Title")))
        parent = group.get("ParentID")
    return out


def _groups_match(found: Sequence[str], expected: Sequence[str]) -> bool:
    a, b = [_fold(t) for t in found], [_fold(t) for t in expected]
    n = min(len(a), len(b))
    return n > 0 and a[-n:] == b[-n:]


def _v3_gemeenten(client: Client, table: str, what: str) -> dict[str, str]:
    url = service_url("CBS_ODATA3", f"{table}/WijkenEnBuurten", {"$filter": "startswith(Key,'GM')", "$format": "json"})
    out = {}
    for row in _pages(client, url, what + " (OData v3)", "CBS_ODATA3"):
        key = _text(row.get("Key"))
        if re.fullmatch(r"GM\d{4}", key):
            out[key] = _text(row.get("Title"))
    return out


# --------------------------------------------------------------------------- answers, pages, checks


def _get_object(client: Client, url: str, what: str) -> dict[str, Any]:
    """A JSON object (a v4 ``Properties`` answer, also when wrapped in a one-element ``value``)."""
    data = client.get_json(url, what=what)
    if isinstance(data, dict) and isinstance(data.get("value"), list) and len(data["value"]) == 1:
        data = data["value"][0]
    if not isinstance(data, dict) or not data:
        _discard(client, url)
        raise DownloadError(f"{what}: the answer from {url} is not a description of a CBS table; try again later.")
    return data


def _get_list(client: Client, url: str, what: str) -> list[dict[str, Any]]:
    """The ``value`` rows of one OData answer (not paged)."""
    data = client.get_json(url, what=what)
    return _rows(client, url, what, data)


def _rows(client: Client, url: str, what: str, data: Any) -> list[dict[str, Any]]:
    rows = data.get("value") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        _discard(client, url)
        found = f"keys {', '.join(list(data)[:5])}" if isinstance(data, dict) else type(data).__name__
        raise DownloadError(
            f"{what}: the answer from {url} has no 'value' list of rows (found {found}), so it is not CBS OData; "
            "try again later."
        )
    return rows


def _pages(client: Client, url: str, what: str, service: str) -> Iterator[dict[str, Any]]:
    """Every row of a paged answer, following ``@odata.nextLink`` (v4) / ``odata.nextLink`` (v3)."""
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None:
        if next_url in seen or len(seen) >= MAX_PAGES:
            raise DownloadError(f"{what}: the pages of the answer do not end (page {len(seen) + 1}: {next_url}).")
        seen.add(next_url)
        data = client.get_json(next_url, what=what if len(seen) == 1 else f"{what}, page {len(seen)}")
        yield from _rows(client, next_url, what, data)
        link = data.get("@odata.nextLink", data.get("odata.nextLink"))
        next_url = _follow(link, next_url, service, what) if link else None


def _follow(link: Any, current: str, service: str, what: str) -> str:
    """The next page's URL, kept on the configured base URL (a mirror may hand back the official one)."""
    if not isinstance(link, str):
        raise DownloadError(f"{what}: the answer's next-page link is not a URL ({link!r}).")
    target = urllib.parse.urljoin(current, link)
    base, official = base_url(service), SERVICES[service]
    if target.startswith(base + "/"):
        return target
    if target.startswith(official + "/"):
        return base + target[len(official) :]
    raise DownloadError(f"{what}: the next page is at {target}, outside {base}; not followed.")


def _discard(client: Client, url: str) -> None:
    """Remove a cached answer that turned out not to be CBS data."""
    client.cache_file(url).unlink(missing_ok=True)


def _check_table(info: Mapping[str, Any], kind: str, year: int, table: str, label: str, api: str) -> dict[str, Any]:
    """The table's own description must say it is CBS ``kind`` for ``year``; returns what the source record keeps."""
    title = _text(info.get("Title"))
    ident = _text(info.get("Identifier")) or table
    period = _text(info.get("TemporalCoverage") or info.get("Period")) or None
    problems = []
    if ident.upper() != table.upper():
        problems.append(f"its identifier is {ident}")
    folded = _fold_words(title)
    if not title or not all(w in folded for w in _TITLE_WORDS[kind]):
        problems.append(f"its title is {title!r}, not a {_LABEL[kind]} table")
    title_years = set(re.findall(r"\b((?:19|20)\d{2})\b", title))
    if title_years and str(year) not in title_years:
        problems.append(f"its title is for {', '.join(sorted(title_years))}")
    elif not title_years and period and str(year) not in period:
        problems.append(f"its period is {period}")
    if problems:
        raise _TableMismatchError(
            f"{label} via {api}: the table describes itself differently ({'; '.join(problems)}), "
            f"so it is not used as {kind} {year}."
        )
    return {
        "title": title,
        "modified": _text(info.get("Modified")) or None,
        "period": period,
        "status": _text(info.get("Status") or info.get("OutputStatus")) or None,
    }


def _source(
    kind: str, year: int, table: str, api: str, meta: Mapping[str, Any], columns: list[str], titles: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "id": f"cbs_{kind}_{year}",
        "title": meta["title"],
        "publisher": PUBLISHER,
        "year": year,
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "url": f"https://opendata.cbs.nl/statline/#/CBS/nl/dataset/{table}",
        "api_url": f"{base_url(_APIS[api])}/{table}",
        "table_id": table,
        "api": api,
        "modified": meta["modified"],
        "period": meta["period"],
        "status": meta["status"],
        "columns": columns,
        "measure_titles": {c: titles.get(c, "") for c in columns},
    }


def _unit_problem(m: Measure, unit: Any) -> str | None:
    """Why the table's unit does not allow ``m.factor`` (None: fine or not stated)."""
    if m.unit is None or not _text(unit):
        return None
    if _fold_words(_text(unit)) != _fold_words(m.unit):
        return f"is in '{_text(unit)}', not '{m.unit}'"
    return None


def _absent(exc: DownloadError) -> bool:
    """The client's message for a table (or path) the service does not have."""
    return "HTTP 404" in str(exc)


# --------------------------------------------------------------------------- small helpers


def _frame(
    names: Mapping[str, str], measures: Sequence[Measure], found: Mapping[str, tuple[int, pd.Series]]
) -> pd.DataFrame:
    index = pd.Index(sorted(names), name=schema.BUURT_CODE, dtype="object")
    data: dict[str, Any] = {
        schema.BUURT_NAME: [names[c] or None for c in index],
        schema.WIJK_CODE: ["WK" + c[2:8] for c in index],
    }
    for m in measures:
        series = found[m.column][1] if m.column in found else None
        data[m.column] = (
            series.reindex(index).to_numpy(dtype="float64") if series is not None else np.full(len(index), np.nan)
        )
    return pd.DataFrame(data, index=index)


def _years(years: Iterable[int] | None, tables: Mapping[int, str], kind: str, notes: list[str]) -> list[int]:
    asked = sorted({int(y) for y in (tables if years is None else years)}, reverse=True)
    known = [y for y in asked if y in tables]
    unknown = [y for y in asked if y not in tables]
    if unknown:
        notes.append(f"CBS {kind}: no table known for {_list(str(y) for y in unknown)}; left out.")
    if not known:
        raise ParameterError(
            f"No CBS {kind} table for the years {_list(str(y) for y in asked) or '(none)'}; "
            f"known: {_list(str(y) for y in sorted(tables))}."
        )
    return known


def _gm_code(code: str) -> str:
    found = re.fullmatch(r"(?:GM)?(\d{1,4})", str(code).strip(), flags=re.IGNORECASE)
    if not found:
        raise ParameterError(f"Expected a CBS municipality code such as GM0855, found '{code}'.")
    return "GM" + found.group(1).zfill(4)


def _table_code(value: Any) -> str:
    text = _text(value).upper()
    return "GM" + text.zfill(4) if text.isdigit() else text


def _number(value: Any) -> float:
    """A CBS value as a float; every missing marker (None, ``.``, ``-99999999`` …) is NaN."""
    if value is None or isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if text in schema.CBS_MISSING_MARKERS:
            return math.nan
        try:
            number = float(text)
        except ValueError:
            return math.nan
    else:
        return math.nan
    if not math.isfinite(number) or number in schema.CBS_MISSING_NUMBERS:
        return math.nan
    return number


def _text(value: Any) -> str:
    """A CBS string without its space padding (``'GM0344    '`` → ``'GM0344'``); '' for None."""
    return "" if value is None else str(value).strip()


def _fold_words(text: str) -> str:
    """Lower case without accents, single spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


def _fold(text: str) -> str:
    """A name folded for comparing: no case, accents or punctuation (``'s-Hertogenbosch`` → ``shertogenbosch``)."""
    return re.sub(r"[^a-z0-9]+", "", _fold_words(text))


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _list(items: Iterable[str]) -> str:
    return ", ".join(items)
