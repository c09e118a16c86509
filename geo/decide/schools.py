"""The rijke schooldag by school: disadvantage, domains within reach, gaps and catchments.

The *School en Omgeving* scheme funds primary-school branches with the highest relative CBS
achterstandsscores (category A: the branches with the highest scores per pupil that together hold 5 %,
later 10 %, of all pupils). A local coalition then asks, per school: which of the five development
domains has a provider within a short walk *from the school*, and where is the gap?

This module answers that on frames:

- :func:`national_ranking`: every branch of the CBS file ranked by relative score (score without threshold
  ÷ funded pupils), with the pupil-weighted national percentile and the 10 %-of-pupils estimate of
  category A (:data:`ELIGIBLE_PUPIL_SHARE`);
- :func:`school_branches`: the DUO branches of a dataset with pupils (latest year and five-year trend),
  location precision, the score and the ranks; a branch without a score is listed, never dropped;
- :func:`domain_reach`: per branch and domain the nearest provider and whether one is within 5/10/15
  minutes walking at child speed (over the street network when one is loaded, else straight line; where
  the dataset has no provider points but a CBS road distance for the school's buurt, that average is used,
  labelled); a domain without any data is ``unknown`` ("onbekend"), never "no provider";
- :func:`gap_scores`: domains without a provider in reach, weighted by disadvantage and pupils;
- :func:`school_catchment` / :func:`catchment_profile`: the buurten around each school and their need.

Everything is EPSG:28992 and metres; minutes come from :mod:`geo.units`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema, units
from geo.catalog import DOMAINS, FACILITY_TYPES, domain_facility_types
from geo.data import build, files
from geo.decide.access import AccessEngine, NetworkEngine, StraightLineEngine, compute_origin_points
from geo.errors import ParameterError

#: The facility type of a school branch.
SCHOOL_TYPE = "primary_school"
#: Category A as extended in 2024: the branches with the highest relative scores holding 10 % of pupils.
ELIGIBLE_PUPIL_SHARE = 0.10
#: Walking bands from the school (minutes) and the default band a domain must be reached in.
REACH_BANDS_MIN = (5.0, 10.0, 15.0)
DEFAULT_MINUTES = 10.0
#: Pupil trend: change over this many DUO years.
TREND_YEARS = 5
#: Who walks: children, at the child walking speed of :mod:`geo.units`.
REACH_MODE = "walk"
REACH_TRAVELLER = "child"

_PUPILS_YEAR = re.compile(r"leerlingen (\d{4})")

# Columns of the long reach table (one row per school and domain).
REACH_DOMAIN = "domain"
REACH_STATUS = "status"
REACH_METHOD = "method"
REACH_NEAREST_ID = "nearest_id"
REACH_NEAREST_NAME = "nearest_name"
REACH_NEAREST_TYPE = "nearest_type"
REACH_DIST = "dist_m"
REACH_TIME = "time_min"
REACH_COUNT = "n_within"
REACH_TYPES_WITH_DATA = "types_with_data"
REACH_TYPES_WITHOUT_DATA = "types_without_data"
# Columns of the catchment pairs.
CATCHMENT_REASON = "reason"
#: Why a buurt belongs to a school's catchment, strongest first.
CATCHMENT_REASONS = ("contains", "band", "nearest")


def within_col(minutes: float) -> str:
    """Column of the reach table: a provider within ``minutes`` walking (bool)."""
    return f"within_{minutes:g}min"


def school_code(facility_id: str) -> str:
    """The DUO branch code of a school facility id (``duo-00AP00`` → ``00AP00``)."""
    return str(facility_id).removeprefix("duo-")


# --------------------------------------------------------------------------- national ranking


def national_ranking(scores: pd.DataFrame) -> pd.DataFrame:
    """Every branch of the CBS file ranked by relative score, with the pupil-weighted percentile.

    ``scores`` is indexed by ``VESTIGINGSCODE`` with :data:`geo.data.build.DISADVANTAGE_SCORE` (the score
    without threshold) and :data:`~geo.data.build.DISADVANTAGE_PUPILS` (funded pupils), as
    :func:`geo.data.national.school_scores` returns it.

    - ``relative_score`` = score ÷ pupils (branches without pupils have none and are not ranked);
    - ``national_rank``: 1 = highest relative score; ties go to the lower code;
    - ``national_percentile`` = 100 × the pupils at branches ranked *below* ÷ all ranked pupils;
    - ``eligible_like``: the branches ranked first that together hold at most :data:`ELIGIBLE_PUPIL_SHARE` of
      all pupils — equivalently ``national_percentile ≥ 90`` — an estimate of category A from these scores.
    """
    for col in (build.DISADVANTAGE_SCORE, build.DISADVANTAGE_PUPILS):
        if col not in scores.columns:
            raise files.MissingColumnError(f"CBS achterstandsscores: expected a column '{col}'.")
    score = pd.to_numeric(scores[build.DISADVANTAGE_SCORE], errors="coerce")
    pupils = pd.to_numeric(scores[build.DISADVANTAGE_PUPILS], errors="coerce")
    ok = score.notna() & (pupils > 0)
    rel = (score / pupils).where(ok)
    ranked = pd.DataFrame({"rel": rel[ok], "pupils": pupils[ok], "code": scores.index[ok]}, index=scores.index[ok])
    ranked = ranked.sort_values(["rel", "code"], ascending=[False, True], kind="mergesort")
    cum = ranked["pupils"].cumsum()
    total = float(ranked["pupils"].sum())
    out = pd.DataFrame(index=scores.index)
    out[schema.SCHOOL_SCORE] = score
    out[schema.RELATIVE_SCORE] = rel
    out[schema.SCORE_UNRELIABLE] = (
        scores[build.DISADVANTAGE_UNRELIABLE].astype(bool)
        if build.DISADVANTAGE_UNRELIABLE in scores.columns
        else False
    )
    out["score_pupils"] = pupils
    out[schema.NATIONAL_RANK] = pd.Series(np.arange(1, len(ranked) + 1), index=ranked.index).reindex(out.index)
    out[schema.NATIONAL_PERCENTILE] = (100.0 * (total - cum) / total).reindex(out.index) if total else np.nan
    out[schema.ELIGIBLE_LIKE] = (cum <= ELIGIBLE_PUPIL_SHARE * total).reindex(out.index).fillna(False).astype(bool)
    out[schema.NATIONAL_RANK] = out[schema.NATIONAL_RANK].astype("Int64")
    return out


# --------------------------------------------------------------------------- the branch table


def school_facilities(facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The primary-school branches of a dataset's facilities (type :data:`SCHOOL_TYPE`)."""
    return facilities.loc[facilities[schema.FACILITY_TYPE] == SCHOOL_TYPE]


def school_branches(
    facilities: gpd.GeoDataFrame,
    *,
    scores: pd.DataFrame | None,
    history: pd.DataFrame | None = None,
    eligible_codes: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """One row per primary-school branch of a dataset, with pupils, trend, score, ranks and eligibility.

    Parameters
    ----------
    facilities
        The dataset's facilities (EPSG:28992); the branches are those of type :data:`SCHOOL_TYPE`.
    scores
        The national CBS table (:func:`geo.data.national.school_scores`); ``None``: no scores.
    history
        DUO pupils per branch and year (:func:`geo.data.national.pupil_history`) for the trend.
    eligible_codes
        The municipality's own list of eligible branches (VESTIGINGSCODEs); ``None``: no list.

    Branches without a 2019 score keep their row with empty score columns (newer schools).
    """
    s = school_facilities(facilities)
    codes = s[schema.FACILITY_ID].map(school_code)
    out = gpd.GeoDataFrame(
        {
            schema.SCHOOL_CODE: codes.to_numpy(dtype=object),
            schema.SCHOOL_NAME: s[schema.FACILITY_NAME].astype(str).to_numpy(dtype=object),
            schema.FACILITY_ID: s[schema.FACILITY_ID].to_numpy(dtype=object),
            schema.FACILITY_ADDRESS: (s[schema.FACILITY_ADDRESS] if schema.FACILITY_ADDRESS in s.columns
                                      else pd.Series(None, index=s.index)).to_numpy(dtype=object),
            schema.PUPILS: pd.to_numeric(s[schema.FACILITY_CAPACITY], errors="coerce").to_numpy(dtype=float)
            if schema.FACILITY_CAPACITY in s.columns else np.full(len(s), np.nan),
            schema.LOCATION_PRECISION: (s[schema.LOCATION_PRECISION] if schema.LOCATION_PRECISION in s.columns
                                        else pd.Series("source", index=s.index)).to_numpy(dtype=object),
        },
        geometry=s.geometry.to_numpy(),
        crs=s.crs,
    )
    out.index = pd.Index(codes.to_numpy(dtype=object), name=None)
    if out.index.has_duplicates:
        raise files.DuplicateCodeError("Schools: expected each DUO branch code once among the facilities.")
    detail = s[schema.FACILITY_DETAIL] if schema.FACILITY_DETAIL in s.columns else pd.Series("", index=s.index)
    years = detail.astype(str).str.extract(_PUPILS_YEAR)[0]
    out[schema.PUPILS_YEAR] = pd.to_numeric(years, errors="coerce").to_numpy()
    out[schema.PUPILS_TREND_PCT] = _trend(out.index, history)
    if history is not None:
        # Branches without pupils in the facility file take the newest DUO year of the history.
        newest = history.reindex(out.index).ffill(axis=1).iloc[:, -1] if history.shape[1] else None
        if newest is not None:
            fill = out[schema.PUPILS].isna() & newest.notna()
            out.loc[fill, schema.PUPILS] = newest[fill]
            out.loc[fill, schema.PUPILS_YEAR] = history.columns[-1]
    if scores is not None:
        ranked = national_ranking(scores).reindex(out.index)
        for col in (schema.SCHOOL_SCORE, schema.RELATIVE_SCORE, schema.SCORE_UNRELIABLE, schema.NATIONAL_RANK,
                    schema.NATIONAL_PERCENTILE, schema.ELIGIBLE_LIKE):
            out[col] = ranked[col]
        out[schema.SCORE_UNRELIABLE] = out[schema.SCORE_UNRELIABLE].astype("boolean")
        out[schema.ELIGIBLE_LIKE] = out[schema.ELIGIBLE_LIKE].astype("boolean")
        out[schema.SCORE_YEAR] = scores.attrs.get("year")
    else:
        for col in (schema.SCHOOL_SCORE, schema.RELATIVE_SCORE, schema.NATIONAL_PERCENTILE):
            out[col] = np.nan
        out[schema.SCORE_UNRELIABLE] = pd.array([pd.NA] * len(out), dtype="boolean")
        out[schema.NATIONAL_RANK] = pd.array([pd.NA] * len(out), dtype="Int64")
        out[schema.ELIGIBLE_LIKE] = pd.array([pd.NA] * len(out), dtype="boolean")
        out[schema.SCORE_YEAR] = None
    rel = out[schema.RELATIVE_SCORE]
    order = out.assign(_rel=rel).sort_values(["_rel", schema.SCHOOL_CODE], ascending=[False, True],
                                            na_position="last", kind="mergesort")
    local = pd.Series(np.arange(1, len(order) + 1), index=order.index).where(order["_rel"].notna())
    out[schema.LOCAL_RANK] = local.reindex(out.index).astype("Int64")
    if eligible_codes is None:
        out[schema.ELIGIBLE_LISTED] = pd.array([pd.NA] * len(out), dtype="boolean")
    else:
        listed = {str(c).strip().upper() for c in eligible_codes}
        out[schema.ELIGIBLE_LISTED] = pd.array(out.index.isin(listed), dtype="boolean")
    return out.sort_values(schema.SCHOOL_CODE, kind="mergesort")


def _trend(codes: pd.Index, history: pd.DataFrame | None) -> np.ndarray:
    """Percent change in pupils from :data:`TREND_YEARS` years before the newest year to the newest year."""
    if history is None or history.shape[1] <= TREND_YEARS:
        return np.full(len(codes), np.nan)
    h = history.reindex(codes)
    last, first = h.iloc[:, -1].astype(float), h.iloc[:, -1 - TREND_YEARS].astype(float)
    return (100.0 * (last / first.where(first > 0) - 1.0)).round(1).to_numpy()


# --------------------------------------------------------------------------- reach from the school


@dataclass(frozen=True)
class ReachSettings:
    """How reach from a school is measured."""

    #: A domain is "in reach" when a provider is within this many minutes' walk; providers are counted here.
    minutes: float = DEFAULT_MINUTES
    bands: tuple[float, ...] = REACH_BANDS_MIN
    speed_kmh: float = units.default_speed_kmh(REACH_MODE, REACH_TRAVELLER)

    def __post_init__(self) -> None:
        if not self.minutes > 0 or any(not b > 0 for b in self.bands):
            raise ParameterError(f"Walking minutes must be > 0; found {self.minutes!r} and bands {self.bands!r}.")
        units.metres_per_minute(self.speed_kmh)

    @property
    def limit_m(self) -> float:
        """The farthest distance any band or the count needs, metres."""
        return float(units.metres(max((self.minutes, *self.bands)), self.speed_kmh))


def domain_reach(
    schools: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    buurten: gpd.GeoDataFrame | None = None,
    *,
    engine: AccessEngine | None = None,
    settings: ReachSettings = ReachSettings(),
) -> pd.DataFrame:
    """Per school and domain: the nearest provider, whether one is within each band, and how many are.

    Parameters
    ----------
    schools
        From :func:`school_branches` (index: branch code; point geometry, EPSG:28992).
    facilities
        The dataset's facilities; providers are those whose type belongs to a domain.
    buurten
        The dataset's buurten; their ``cbs_dist_<type>_m`` columns are the fallback for a domain without
        provider points (the CBS average road distance in the school's buurt).
    engine
        Distance engine: a walking network, or straight line (default, labelled as such by its name).

    Returns
    -------
    One row per (school, domain) in :data:`geo.catalog.DOMAINS` order: ``school_code``, ``domain``, ``status``
    (:data:`geo.schema.REACH_STATUSES`, judged at ``settings.minutes``), ``method`` (a measure id of
    :data:`geo.schema.MEASURES`), the nearest provider (id, name, type, metres, minutes), one bool column per
    band (:func:`within_col`) and ``n_within`` (providers within ``settings.minutes``; empty for a CBS average).
    """
    engine = engine or StraightLineEngine()
    speed = settings.speed_kmh
    count_m = float(units.metres(settings.minutes, speed))
    origins = schools.geometry
    placed = (origins.notna() & ~origins.is_empty).to_numpy()
    school_buurt = _school_buurt(schools, buurten) if buurten is not None else pd.Series(None, index=schools.index)
    parts = []
    for domain in DOMAINS:
        types = domain_facility_types(domain)
        targets = facilities.loc[facilities[schema.FACILITY_TYPE].isin(types)]
        with_points = tuple(t for t in types if (targets[schema.FACILITY_TYPE] == t).any())
        cbs_types = tuple(
            t for t in types
            if buurten is not None and schema.cbs_dist_col(t) in buurten.columns
            and buurten[schema.cbs_dist_col(t)].notna().any()
        )
        part = pd.DataFrame(index=schools.index)
        part[schema.SCHOOL_CODE] = schools.index.to_numpy(dtype=object)
        part[REACH_DOMAIN] = domain
        part[REACH_NEAREST_ID] = None
        part[REACH_NEAREST_NAME] = None
        part[REACH_NEAREST_TYPE] = None
        part[REACH_DIST] = np.nan
        part[REACH_COUNT] = np.nan
        if with_points:
            part[REACH_METHOD] = engine.name
            part[REACH_TYPES_WITH_DATA] = ",".join(with_points)
            part[REACH_TYPES_WITHOUT_DATA] = ",".join(t for t in types if t not in with_points)
            if placed.any():
                pts = origins[placed]
                d, i = engine.nearest(pts, targets.geometry)
                found = i >= 0
                rows = np.flatnonzero(placed)
                take = np.clip(i, 0, None)
                part.iloc[rows[found], part.columns.get_loc(REACH_DIST)] = d[found]
                for col, src in ((REACH_NEAREST_ID, schema.FACILITY_ID), (REACH_NEAREST_NAME, schema.FACILITY_NAME),
                                 (REACH_NEAREST_TYPE, schema.FACILITY_TYPE)):
                    values = targets[src].astype(str).to_numpy(dtype=object)[take]
                    part.iloc[rows[found], part.columns.get_loc(col)] = values[found]
                o, _, dd = engine.within(pts, targets.geometry, count_m)
                counts = np.bincount(o, minlength=len(pts))
                part.iloc[rows, part.columns.get_loc(REACH_COUNT)] = counts.astype(float)
            # Known only where the school itself can be placed on the engine's network (else unknown, not missing);
            # a placed school with no reachable provider is out of reach.
            on_engine = placed.copy()
            if placed.any():
                on_engine[placed] = ~engine.unsnapped(origins[placed])
            part[REACH_STATUS] = np.where(on_engine, schema.REACH_OUT, schema.REACH_UNKNOWN)
        elif cbs_types:
            part[REACH_METHOD] = schema.CBS_ROAD
            part[REACH_TYPES_WITH_DATA] = ",".join(cbs_types)
            part[REACH_TYPES_WITHOUT_DATA] = ",".join(t for t in types if t not in cbs_types)
            assert buurten is not None
            values = buurten[[schema.cbs_dist_col(t) for t in cbs_types]].astype(float)
            best = values.min(axis=1, skipna=True)
            has = values.notna().any(axis=1)
            best_type = values[has].idxmin(axis=1).reindex(values.index)
            d = school_buurt.map(best)
            part[REACH_DIST] = d.to_numpy(dtype=float)
            types_by_col = {schema.cbs_dist_col(t): t for t in cbs_types}
            part[REACH_NEAREST_TYPE] = school_buurt.map(best_type).map(types_by_col).to_numpy(dtype=object)
            part[REACH_STATUS] = np.where(np.isfinite(part[REACH_DIST]), schema.REACH_OUT, schema.REACH_UNKNOWN)
        else:
            part[REACH_METHOD] = schema.NO_DATA
            part[REACH_TYPES_WITH_DATA] = ""
            part[REACH_TYPES_WITHOUT_DATA] = ",".join(types)
            part[REACH_STATUS] = schema.REACH_UNKNOWN
        dist = part[REACH_DIST].to_numpy(dtype=float)
        part[REACH_TIME] = units.minutes(dist, speed)
        for band in settings.bands:
            part[within_col(band)] = np.where(np.isfinite(dist), dist <= units.metres(band, speed), False)
        known = part[REACH_STATUS] != schema.REACH_UNKNOWN
        part.loc[known & (dist <= count_m), REACH_STATUS] = schema.REACH_IN
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    order = {d: k for k, d in enumerate(DOMAINS)}
    out = out.sort_values([schema.SCHOOL_CODE, REACH_DOMAIN], key=lambda c: c.map(order) if c.name == REACH_DOMAIN
                          else c, kind="mergesort").reset_index(drop=True)
    return out


def _school_buurt(schools: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, *, strict: bool = False) -> pd.Series:
    """The buurt (its index label) each school lies in; without ``strict``, the nearest buurt for a point outside
    every polygon (a school on the border or at a postcode centroid just outside)."""
    out = pd.Series(None, index=schools.index, dtype=object)
    placed = schools.geometry.notna() & ~schools.geometry.is_empty
    if not placed.any() or buurten.empty:
        return out
    pts = gpd.GeoDataFrame(geometry=schools.geometry[placed], crs=schools.crs)
    polys = gpd.GeoDataFrame({"_code": buurten[schema.BUURT_CODE].to_numpy()}, geometry=buurten.geometry.to_numpy(),
                             crs=buurten.crs)
    polys = polys.loc[polys.geometry.notna() & ~polys.geometry.is_empty]
    if polys.empty:
        return out
    hit = gpd.sjoin(pts, polys, how="inner", predicate="within") if strict else gpd.sjoin_nearest(pts, polys)
    hit = hit[~hit.index.duplicated(keep="first")]
    out.loc[hit.index] = hit["_code"].to_numpy()
    buurt_index = pd.Series(buurten.index, index=buurten[schema.BUURT_CODE].to_numpy())
    return out.map(buurt_index)


# --------------------------------------------------------------------------- per buurt

#: Schools within this straight-line distance of a buurt make up its school-disadvantage indicator.
NEARBY_SCHOOLS_M = 1_000.0


def school_disadvantage_nearby(
    buurten: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, scores: pd.DataFrame | None
) -> pd.Series:
    """Per buurt: the pupil-weighted mean relative achterstandsscore of the primary schools within
    :data:`NEARBY_SCHOOLS_M` of its representative point (straight line), else that of its nearest school.

    Schools without a score (new since the CBS peildatum) take no part; a buurt without a shape has none.
    """
    out = pd.Series(np.nan, index=buurten.index, dtype=float, name=schema.SCHOOL_DISADVANTAGE_NEARBY)
    if scores is None:
        return out
    sch = school_facilities(facilities)
    if sch.empty:
        return out
    ranked = national_ranking(scores)
    codes = sch[schema.FACILITY_ID].map(school_code)
    rel = ranked[schema.RELATIVE_SCORE].reindex(codes).to_numpy(dtype=float)
    pupils = pd.to_numeric(sch[schema.FACILITY_CAPACITY], errors="coerce").to_numpy(dtype=float) \
        if schema.FACILITY_CAPACITY in sch.columns else np.ones(len(sch))
    pupils = np.where(np.isfinite(pupils) & (pupils > 0), pupils, 1.0)
    ok = np.isfinite(rel) & sch.geometry.notna().to_numpy() & ~sch.geometry.is_empty.to_numpy()
    if not ok.any():
        return out
    pts = sch.geometry[ok]
    rel, pupils = rel[ok], pupils[ok]
    drawn = buurten.geometry.notna() & ~buurten.geometry.is_empty
    if not drawn.any():
        return out
    origins = compute_origin_points(buurten.loc[drawn])
    engine = StraightLineEngine()
    o, f, _ = engine.within(origins, pts, NEARBY_SCHOOLS_M)
    num = np.bincount(o, weights=rel[f] * pupils[f], minlength=len(origins))
    den = np.bincount(o, weights=pupils[f], minlength=len(origins))
    value = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    _, nearest = engine.nearest(origins, pts)
    none = ~(den > 0) & (nearest >= 0)
    value[none] = rel[nearest[none]]
    out.loc[drawn[drawn].index] = np.round(value, 4)
    return out


# --------------------------------------------------------------------------- gaps


def reach_wide(reach: pd.DataFrame, settings: ReachSettings = ReachSettings()) -> pd.DataFrame:
    """The reach table with one row per school: per domain status, nearest metres and minutes, count."""
    wide = pd.DataFrame(index=pd.Index(reach[schema.SCHOOL_CODE].unique(), dtype=object))
    for domain in DOMAINS:
        r = reach.loc[reach[REACH_DOMAIN] == domain].set_index(schema.SCHOOL_CODE)
        wide[schema.domain_col(domain, "status")] = r[REACH_STATUS]
        wide[schema.domain_col(domain, "method")] = r[REACH_METHOD]
        wide[schema.domain_col(domain, "nearest")] = r[REACH_NEAREST_NAME]
        wide[schema.domain_col(domain, "dist_m")] = r[REACH_DIST].round(0)
        wide[schema.domain_col(domain, "time_min")] = r[REACH_TIME].round(1)
        wide[schema.domain_col(domain, f"n_within_{settings.minutes:g}min")] = r[REACH_COUNT]
    return wide


def gap_scores(branches: pd.DataFrame, reach: pd.DataFrame) -> pd.DataFrame:
    """Per branch: domains with data, domains without a provider in reach, and the gap score.

    ``gap_score`` = domains without a provider in reach × relative score × pupils: the disadvantage-weighted
    pupils a missing domain leaves unserved, once per missing domain. A branch without a score has none
    (its missing domains are still counted). Unknown domains never count as missing.
    """
    status = reach.pivot(index=schema.SCHOOL_CODE, columns=REACH_DOMAIN, values=REACH_STATUS).reindex(branches.index)
    known = (status != schema.REACH_UNKNOWN) & status.notna()
    missing = status == schema.REACH_OUT
    out = pd.DataFrame(index=branches.index)
    out[schema.DOMAINS_KNOWN] = known.sum(axis=1).astype(int)
    out[schema.DOMAINS_MISSING] = missing.sum(axis=1).astype(int)
    pupils = branches[schema.PUPILS].astype(float)
    rel = branches[schema.RELATIVE_SCORE].astype(float)
    # No known domain (e.g. a school without a location): no gap score, rather than a 0 that reads "all in reach".
    out[schema.GAP_SCORE] = (out[schema.DOMAINS_MISSING] * rel * pupils).where(out[schema.DOMAINS_KNOWN] > 0).round(1)
    return out


# --------------------------------------------------------------------------- catchment


def school_catchment(
    schools: gpd.GeoDataFrame,
    buurten: gpd.GeoDataFrame,
    *,
    engine: AccessEngine | None = None,
    limit_m: float,
) -> pd.DataFrame:
    """The buurten around each school, as (school, buurt) pairs with the strongest reason.

    A buurt belongs to a school when the school lies in it (``contains``), when its representative point is
    within ``limit_m`` of the school over the engine (``band``), or when this is the buurt's nearest school
    (``nearest``: the nearest-school area). Columns ``school_code``, ``buurt_code``, ``reason``, ``dist_m``
    (the buurt point → school distance, empty where only ``contains`` applies and the engine did not list it).
    """
    engine = engine or StraightLineEngine()
    placed = schools.loc[schools.geometry.notna() & ~schools.geometry.is_empty]
    cols = [schema.SCHOOL_CODE, schema.BUURT_CODE, CATCHMENT_REASON, REACH_DIST]
    drawn = buurten.loc[buurten.geometry.notna() & ~buurten.geometry.is_empty]
    if placed.empty or drawn.empty:
        return pd.DataFrame(columns=cols)
    origins = compute_origin_points(drawn)
    codes = drawn[schema.BUURT_CODE].to_numpy(dtype=object)
    school_codes = placed.index.to_numpy(dtype=object)
    rows = []
    b, s, d = engine.within(origins, placed.geometry, limit_m)
    rows.append(pd.DataFrame({schema.SCHOOL_CODE: school_codes[s], schema.BUURT_CODE: codes[b],
                              CATCHMENT_REASON: "band", REACH_DIST: d}))
    dn, i = engine.nearest(origins, placed.geometry)
    ok = i >= 0
    rows.append(pd.DataFrame({schema.SCHOOL_CODE: school_codes[i[ok]], schema.BUURT_CODE: codes[ok],
                              CATCHMENT_REASON: "nearest", REACH_DIST: dn[ok]}))
    inside = _school_buurt(placed, drawn, strict=True).dropna()
    rows.append(pd.DataFrame({schema.SCHOOL_CODE: inside.index.to_numpy(dtype=object),
                              schema.BUURT_CODE: drawn.loc[inside.to_numpy(), schema.BUURT_CODE].to_numpy(dtype=object),
                              CATCHMENT_REASON: "contains", REACH_DIST: np.nan}))
    pairs = pd.concat(rows, ignore_index=True)
    strength = {r: k for k, r in enumerate(CATCHMENT_REASONS)}
    pairs["_s"] = pairs[CATCHMENT_REASON].map(strength)
    dist = pairs.groupby([schema.SCHOOL_CODE, schema.BUURT_CODE])[REACH_DIST].min()
    pairs = pairs.sort_values([schema.SCHOOL_CODE, schema.BUURT_CODE, "_s"], kind="mergesort")
    pairs = pairs.drop_duplicates([schema.SCHOOL_CODE, schema.BUURT_CODE], keep="first").drop(columns="_s")
    keys = pd.MultiIndex.from_frame(pairs[[schema.SCHOOL_CODE, schema.BUURT_CODE]])
    pairs[REACH_DIST] = dist.reindex(keys).to_numpy()
    return pairs[cols].reset_index(drop=True)


def catchment_profile(pairs: pd.DataFrame, buurt_table: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Per school (``index``): buurten in the catchment, their children 0–14, and the children-weighted need index.

    ``buurt_table`` has ``buurt_code``, ``children_0_14`` and (from a ranking) ``need_index``; a buurt without a
    need index is left out of the mean, not counted as 0.
    """
    t = buurt_table.set_index(schema.BUURT_CODE)
    children = pd.to_numeric(t[schema.CHILDREN_0_14], errors="coerce") if schema.CHILDREN_0_14 in t else None
    need = pd.to_numeric(t[schema.NEED_INDEX], errors="coerce") if schema.NEED_INDEX in t else None
    p = pairs[[schema.SCHOOL_CODE, schema.BUURT_CODE]].copy()
    p["_c"] = p[schema.BUURT_CODE].map(children) if children is not None else np.nan
    p["_n"] = p[schema.BUURT_CODE].map(need) if need is not None else np.nan
    p["_w"] = p["_c"].fillna(0).where(p["_n"].notna(), 0.0)
    p["_nw"] = (p["_n"] * p["_w"]).fillna(0.0)
    g = p.groupby(schema.SCHOOL_CODE)
    out = pd.DataFrame(index=index)
    out[schema.CATCHMENT_BUURTEN] = g.size().reindex(index).fillna(0).astype(int)
    out[schema.CATCHMENT_CHILDREN] = g["_c"].sum(min_count=1).reindex(index)
    w = g["_w"].sum().reindex(index)
    out[schema.CATCHMENT_NEED] = (g["_nw"].sum().reindex(index) / w.where(w > 0)).round(3)
    return out


def schools_serving(pairs: pd.DataFrame) -> pd.Series:
    """Per buurt code: the branch codes whose catchment holds it (sorted)."""
    if pairs.empty:
        return pd.Series(dtype=object)
    return pairs.groupby(schema.BUURT_CODE)[schema.SCHOOL_CODE].agg(lambda s: tuple(sorted(s)))


# --------------------------------------------------------------------------- all together


@dataclass(frozen=True, eq=False)
class SchoolsResult:
    """Everything the Scholen view, the CLI and the decision pack show about a dataset's schools.

    ``branches`` holds no need columns: the need index depends on the weights, so :func:`with_need` adds them
    from a ranking (cheap), while this result (routing) is computed once per dataset and network.
    """

    branches: gpd.GeoDataFrame
    reach: pd.DataFrame
    catchment: pd.DataFrame
    settings: ReachSettings
    #: The measure id of the engine (``network`` or ``straight_line``) and its walking mode.
    method: str
    #: (nl, en) notes about the data (new schools without a score, no schools at all).
    notes: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    #: (nl, en) label when the network itself is an approximation (car roads only), else None.
    network_approximation: tuple[str, str] | None = None
    #: How many branches the national ranking holds (the "of N" of a national rank); None without scores.
    national_ranked: int | None = None

    def table(self) -> gpd.GeoDataFrame:
        """Branches with the per-domain summary (wide) and the gap columns."""
        wide = reach_wide(self.reach, self.settings).reindex(self.branches.index)
        return self.branches.join(wide)


def analyse_schools(
    dataset: files.Dataset,
    *,
    scores: pd.DataFrame | None,
    history: pd.DataFrame | None = None,
    engine: AccessEngine | None = None,
    settings: ReachSettings = ReachSettings(),
    eligible_codes: Iterable[str] | None = None,
) -> SchoolsResult:
    """Branches, reach per domain, gap scores and catchments of a dataset's primary schools."""
    engine = engine or StraightLineEngine()
    branches = school_branches(dataset.facilities, scores=scores, history=history, eligible_codes=eligible_codes)
    notes: list[tuple[str, str]] = []
    if branches.empty:
        notes.append(("Deze dataset heeft geen basisschoolvestigingen (DUO).",
                      "This dataset has no primary-school branches (DUO)."))
    if scores is not None:
        n_none = int(branches[schema.SCHOOL_SCORE].isna().sum())
        if n_none:
            notes.append((
                f"{n_none} van de {len(branches)} vestigingen hebben geen CBS-achterstandsscore (geopend na de "
                "peildatum): vermeld zonder score, nooit als 0.",
                f"{n_none} of {len(branches)} branches have no CBS achterstandsscore (opened after the "
                "peildatum): listed without a score, never as 0.",
            ))
    reach = domain_reach(branches, dataset.facilities, dataset.buurten, engine=engine, settings=settings)
    gaps = gap_scores(branches, reach)
    branches = branches.join(gaps)
    limit = float(units.metres(settings.minutes, settings.speed_kmh))
    catchment = school_catchment(branches, dataset.buurten, engine=engine, limit_m=limit)
    approximation = None
    if isinstance(engine, NetworkEngine):
        label = engine.network.meta.get("approximation")
        if isinstance(label, dict) and {"nl", "en"} <= set(label):
            approximation = (str(label["nl"]), str(label["en"]))
    n_ranked = None if scores is None else int(national_ranking(scores)[schema.NATIONAL_RANK].notna().sum())
    return SchoolsResult(branches=branches, reach=reach, catchment=catchment, settings=settings,
                         method=engine.name, notes=tuple(notes), network_approximation=approximation,
                         national_ranked=n_ranked)


def with_need(result: SchoolsResult, buurt_table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The school table plus the catchment profile from a ranking's buurt table (need index per buurt)."""
    table = result.table()
    return table.join(catchment_profile(result.catchment, buurt_table, table.index))


def csv_columns(table: pd.DataFrame) -> list[str]:
    """The columns of the one-row-per-branch CSV, in reading order (the CLI and the app's download)."""
    head = [schema.SCHOOL_CODE, schema.SCHOOL_NAME, schema.FACILITY_ADDRESS, schema.LOCATION_PRECISION,
            schema.PUPILS, schema.PUPILS_YEAR, schema.PUPILS_TREND_PCT, schema.SCHOOL_SCORE, schema.RELATIVE_SCORE,
            schema.SCORE_UNRELIABLE, schema.SCORE_YEAR, schema.NATIONAL_RANK, schema.NATIONAL_PERCENTILE,
            schema.LOCAL_RANK, schema.ELIGIBLE_LIKE, schema.ELIGIBLE_LISTED]
    per_domain = [c for d in DOMAINS for c in table.columns if c.startswith(f"{d}_")]
    tail = [schema.DOMAINS_KNOWN, schema.DOMAINS_MISSING, schema.GAP_SCORE, schema.CATCHMENT_BUURTEN,
            schema.CATCHMENT_CHILDREN, schema.CATCHMENT_NEED]
    return [c for c in (*head, *per_domain, *tail) if c in table.columns]


def facility_type_names(keys: str, lang: str) -> str:
    """A comma-joined list of facility type keys as names (for 'no data for …' notes)."""
    return ", ".join(FACILITY_TYPES[k].label(lang).lower() for k in keys.split(",") if k)
