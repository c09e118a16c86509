"""Column names and constants shared by the whole product.

Column names are defined once here so that loaders, computation, layers and
the app agree. Units are part of the name (``_m``, ``_km2``, ``_pct``).
"""

from __future__ import annotations

#: The working CRS: Amersfoort / RD New, metres. Every geometry inside ``geo/``
#: is in this CRS; ``layers/`` converts to EPSG:4326 at the map edge only.
WORK_CRS = "EPSG:28992"
#: The CRS of web maps (folium / Leaflet). Used only in ``layers/``.
MAP_CRS = "EPSG:4326"

#: RD bounds (x0, y0, x1, y1, metres) of the Netherlands with a margin: every RD geometry the
#: product accepts (buurten, facilities, clip polygons, share-link coordinates) lies inside.
NL_BOUNDS_RD = (-10_000.0, 280_000.0, 310_000.0, 640_000.0)

#: Markers CBS uses for privacy-suppressed or unknown values.
CBS_MISSING_MARKERS = (".", "-99999999", "-99999997", "-99999995", "")
#: Numeric sentinels CBS uses in some releases (read as numbers by Excel).
CBS_MISSING_NUMBERS = (-99999999, -99999997, -99999995)

# --- buurten ---------------------------------------------------------------
BUURT_CODE = "buurt_code"
BUURT_NAME = "buurt_name"
WIJK_CODE = "wijk_code"
WIJK_NAME = "wijk_name"
MUNICIPALITY_CODE = "municipality_code"
MUNICIPALITY_NAME = "municipality_name"
GEOMETRY = "geometry"
BUURT_ID_COLUMNS = (BUURT_CODE, BUURT_NAME, WIJK_CODE, WIJK_NAME, MUNICIPALITY_CODE, MUNICIPALITY_NAME)

# --- facilities ------------------------------------------------------------
FACILITY_ID = "facility_id"
FACILITY_TYPE = "facility_type"
FACILITY_NAME = "name"
FACILITY_CAPACITY = "capacity"
FACILITY_ADDRESS = "address"
FACILITY_POSTCODE = "postcode"
FACILITY_DETAIL = "detail"
FACILITY_SOURCE = "source"
#: How precise the point is: ``source`` (coordinates from the publisher),
#: ``address`` (geocoded on the exact address), ``pc6`` (postcode-6 area),
#: ``pc4_centroid`` (centre of a 4-digit postcode, ~0.5 km off on average).
LOCATION_PRECISION = "location_precision"

# --- indicators --------------------------------------------------------------
INHABITANTS = "inhabitants"
CHILDREN_0_14 = "children_0_14"
#: The disadvantage of the schools around a buurt (geo.decide.schools.school_disadvantage_nearby).
SCHOOL_DISADVANTAGE_NEARBY = "school_disadvantage_nearby"

# --- ranking output ------------------------------------------------------------
NEED_INDEX = "need_index"
ACCESS_GAP = "access_gap"
REACH_SCORE = "reach_score"
PRIORITY_SCORE = "priority_score"
RANK = "rank"
#: The rank among the buurten of the same municipality (a table of several municipalities).
RANK_IN_MUNICIPALITY = "rank_in_municipality"
STATUS = "status"
#: Prefix of the per-indicator contribution to the priority score.
CONTRIB_PREFIX = "contrib_"
#: Prefix of the per-indicator contribution to its group score (need index, access gap or reach score).
GROUP_CONTRIB_PREFIX = "gcontrib_"
#: Prefix of the standardised (need-oriented) indicator score.
SCORE_PREFIX = "z_"
#: Prefix of the per-indicator percentile in the municipality.
PERCENTILE_PREFIX = "pct_"

#: The scores of a buurt (the map's first layers, the summary columns).
SCORE_COLUMNS = (PRIORITY_SCORE, NEED_INDEX, ACCESS_GAP, REACH_SCORE)

#: Columns every ranking output (CLI, download) has, in this order.
RANKING_COLUMNS = (
    BUURT_CODE,
    BUURT_NAME,
    CHILDREN_0_14,
    NEED_INDEX,
    ACCESS_GAP,
    PRIORITY_SCORE,
    RANK,
)

#: Status values of a buurt in the ranking.
STATUS_RANKED = "ranked"
STATUS_NO_INHABITANTS = "no_inhabitants"

# Robustness of the ranking (geo.decide.robustness): rank over weight draws around the chosen weights.
RANK_MEDIAN = "rank_median"
RANK_P05 = "rank_p05"
RANK_P95 = "rank_p95"
SHARE_TOP_N = "share_top_n"
WEIGHT_SENSITIVE = "weight_sensitive"
RANK_WITHOUT_PREFIX = "rank_without_"
ROBUSTNESS_COLUMNS = (RANK_MEDIAN, RANK_P05, RANK_P95, SHARE_TOP_N, WEIGHT_SENSITIVE)

# --- per facility type: access columns ----------------------------------------------
# Each facility type (``geo.catalog.FACILITY_TYPES``) gets these columns in the
# access table and the ranking output; these functions are the only place that
# spells them.


def dist_col(facility_type: str) -> str:
    """Distance (m) to the nearest facility of the type, by the best available measure."""
    return f"dist_{facility_type}_m"


def time_col(facility_type: str) -> str:
    """Travel time (min) to the nearest facility, only where distances follow a street network."""
    return f"time_{facility_type}_min"


def method_col(facility_type: str) -> str:
    """Which measure gave :func:`dist_col` (one of :data:`MEASURES`)."""
    return f"dist_{facility_type}_method"


def nearest_col(facility_type: str) -> str:
    """The ``facility_id`` of the nearest facility (point measures only)."""
    return f"nearest_{facility_type}_id"


def cbs_dist_col(facility_type: str) -> str:
    """The CBS *nabijheid* road distance (m, mean over the buurt's addresses), as loaded with the buurten."""
    return f"cbs_dist_{facility_type}_m"


# --- distance measures ------------------------------------------------------------
#: CBS nabijheid: road distance averaged over all addresses in the buurt.
CBS_ROAD = "cbs_road"
#: Straight line from a point in the buurt to the nearest facility (an approximation).
STRAIGHT_LINE = "straight_line"
#: Shortest path over a walking or cycling street network.
NETWORK = "network"
#: No figure for this facility type.
NO_DATA = "none"
MEASURES = (NETWORK, CBS_ROAD, STRAIGHT_LINE, NO_DATA)

# --- schools (the rijke schooldag by school) ------------------------------------
#: DUO branch code: BRIN + 2-digit vestiging number (``00AP00``); facility ids of DUO schools are ``duo-<code>``.
SCHOOL_CODE = "school_code"
SCHOOL_NAME = "school_name"
PUPILS = "pupils"
PUPILS_YEAR = "pupils_year"
#: Change in pupils over the last five DUO years, percent (e.g. 2020 → 2025).
PUPILS_TREND_PCT = "pupils_trend_pct"
#: CBS achterstandsscore without threshold (absolute: grows with school size) and per pupil.
SCHOOL_SCORE = "achterstandsscore"
RELATIVE_SCORE = "relative_score"
#: True when CBS marks the score unreliable (≤ 40 pupils).
SCORE_UNRELIABLE = "score_unreliable"
SCORE_YEAR = "score_year"
#: Position by relative score among all branches of the CBS file (1 = highest).
NATIONAL_RANK = "national_rank"
#: Pupil-weighted percentile: the share of the country's pupils at branches with a lower relative score.
NATIONAL_PERCENTILE = "national_percentile"
#: Position by relative score among the branches of the dataset (1 = highest).
LOCAL_RANK = "local_rank"
#: Among the branches with the highest relative scores that together hold 10 % of pupils (estimate).
ELIGIBLE_LIKE = "eligible_like"
#: On the municipality's own list of eligible branches (None: no list loaded).
ELIGIBLE_LISTED = "eligible_listed"
DOMAINS_KNOWN = "domains_known"
DOMAINS_MISSING = "domains_missing"
GAP_SCORE = "gap_score"
CATCHMENT_BUURTEN = "catchment_buurten"
CATCHMENT_CHILDREN = "catchment_children_0_14"
CATCHMENT_NEED = "catchment_need_index"
#: Per domain: the reach status of a school.
REACH_IN = "in_reach"
REACH_OUT = "out_of_reach"
REACH_UNKNOWN = "unknown"
REACH_STATUSES = (REACH_IN, REACH_OUT, REACH_UNKNOWN)


def domain_col(domain: str, what: str) -> str:
    """Per-domain column of the school table: ``<domain>_<what>`` (``what``: dist_m, time_min, n_within, status)."""
    return f"{domain}_{what}"
