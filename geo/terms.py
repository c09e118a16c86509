"""The one nl/en vocabulary of the product.

Every name a user reads for a concept — in the app, the map, the CSV/GeoPackage
exports and the decision pack — comes from this module (indicator and facility
type names from :mod:`geo.catalog`, which is part of the same vocabulary).
A concept has exactly one Dutch and one English name here; other modules import
:func:`term` / :func:`column_label` instead of writing the word again.

Sentences are written once as bilingual templates (``{"nl": ..., "en": ...}`` or
``(nl, en)``) next to the code that fills them and chosen with
:func:`geo.lang.pick`; this table holds the names they use.
"""

from __future__ import annotations

from types import MappingProxyType

from geo import schema
from geo.catalog import ACCESS, DOMAINS, INDICATORS, NEED, REACH, domain_label, get_facility_type
from geo.lang import check_lang, pick

#: (Dutch, English) name of each concept, by key.
TERMS = MappingProxyType(
    {
        # the ranking and its sub-scores
        "priority_score": ("Prioriteitsscore", "Priority score"),
        "need_index": ("Behoefte-index", "Need index"),
        "access_gap": ("Afstandsachterstand", "Access gap"),
        "reach_score": ("Bereik (kinderen)", "Reach (children)"),
        "rank": ("Plaats", "Rank"),
        "status": ("Status", "Status"),
        # places and people
        "buurt": ("Buurt", "Buurt"),
        "buurt_code": ("Buurtcode", "Buurt code"),
        "wijk": ("Wijk", "District"),
        "wijk_code": ("Wijkcode", "District code"),
        "municipality": ("Gemeente", "Municipality"),
        "inhabitants": ("Inwoners", "Inhabitants"),
        "children": (INDICATORS["children_0_14"].label_nl, INDICATORS["children_0_14"].label_en),
        # explanation columns (templates: the indicator name goes in {})
        "contribution_of": ("Bijdrage: {}", "Contribution: {}"),
        "score_of": ("Score: {}", "Score: {}"),
        "percentile_of": ("Percentiel: {}", "Percentile: {}"),
        # a facility type with the rijke-schooldag domain its providers offer (map legends)
        "type_with_domain": ("{type} — {domain}", "{type} — {domain}"),
        # direction of an indicator
        "more_is_need": ("meer = meer behoefte", "more = more need"),
        "less_is_need": ("minder = meer behoefte", "less = more need"),
        # weighting
        "weighting": ("Weging", "Weighting"),
        "weight": ("Gewicht", "Weight"),
        # robustness (geo.decide.robustness.robust_counts is the one definition)
        "robustness": ("Robuustheid", "Robustness"),
        "robust": ("robuust", "robust"),
        "depends_on_weights": ("hangt af van de weging", "depends on the weighting"),
        "not_computed": ("niet berekend", "not computed"),
        # missing data
        "no_data": ("geen gegevens in deze dataset", "no data in this dataset"),
        "no_variation": ("geen verschil tussen buurten", "no variation between buurten"),
        "median": ("mediaan", "median"),
        "no_inhabitants": ("geen inwoners – niet gerangschikt", "no inhabitants – not ranked"),
        # schools (geo.decide.schools)
        "schools": ("Scholen", "Schools"),
        "school": ("School", "School"),
        "school_code": ("Vestigingscode", "Branch code"),
        "pupils": ("Leerlingen", "Pupils"),
        "pupils_year": ("Jaar leerlingen", "Pupils year"),
        "pupils_trend_pct": ("Trend leerlingen (5 jaar, %)", "Pupil trend (5 years, %)"),
        "achterstandsscore": ("Achterstandsscore (CBS)", "Disadvantage score (CBS)"),
        "relative_score": ("Relatieve achterstandsscore", "Relative disadvantage score"),
        "score_unreliable": ("Score onbetrouwbaar (≤ 40 leerlingen)", "Score unreliable (≤ 40 pupils)"),
        "national_rank": ("Plaats landelijk", "National rank"),
        "national_percentile": ("Landelijk percentiel (leerlingen)", "National percentile (pupils)"),
        "local_rank": ("Plaats in de gemeente", "Rank in the municipality"),
        "eligible_like": ("Vergelijkbaar met categorie A (schatting)", "Comparable to category A (estimate)"),
        "eligible_listed": ("Op de lijst van de gemeente", "On the municipality's list"),
        "domains_known": ("Domeinen met gegevens", "Domains with data"),
        "domains_missing": ("Domeinen zonder aanbieder binnen bereik", "Domains without a provider in reach"),
        "gap_score": ("Tekortscore", "Gap score"),
        "catchment_buurten": ("Buurten rond de school", "Buurten around the school"),
        "catchment_children_0_14": ("Kinderen 0–14 rond de school", "Children 0–14 around the school"),
        "catchment_need_index": ("Behoefte-index rond de school", "Need index around the school"),
        "gap_card": ("Tekortkaart", "Gap card"),
        "domain": ("Domein", "Domain"),
        "in_reach": ("binnen bereik", "in reach"),
        "out_of_reach": ("niet binnen bereik", "not in reach"),
        "unknown": ("onbekend", "unknown"),
        "nearest_provider": ("Dichtstbijzijnde aanbieder", "Nearest provider"),
        "candidate_partner": ("Mogelijke partner", "Candidate partner"),
    }
)

#: The name of each indicator group (the sidebar's weight sections, the pack's weights table).
GROUP_NAMES = MappingProxyType(
    {
        REACH: ("Bereik: kinderen", "Reach: children"),
        NEED: ("Achterstand (behoefte)", "Deprivation (need)"),
        ACCESS: ("Afstand tot voorzieningen", "Distance to facilities"),
    }
)
#: The sub-score each indicator group feeds.
GROUP_SCORES = MappingProxyType({NEED: schema.NEED_INDEX, ACCESS: schema.ACCESS_GAP, REACH: schema.REACH_SCORE})

#: How a distance was measured (by :data:`geo.schema.MEASURES`): the full label shown with every figure.
MEASURE_LABELS = MappingProxyType(
    {
        schema.CBS_ROAD: (
            "CBS-afstand over de weg (gemiddeld over adressen)",
            "CBS road distance (mean over addresses)",
        ),
        schema.STRAIGHT_LINE: (
            "hemelsbreed vanaf een punt in de buurt (benadering)",
            "straight line from a point in the buurt (approximation)",
        ),
        schema.NETWORK: ("over het straten-netwerk", "over the street network"),
        schema.NO_DATA: ("geen gegevens", "no data"),
    }
)
#: The same measures, short, for narrow table cells.
MEASURE_SHORT = MappingProxyType(
    {
        schema.CBS_ROAD: ("CBS, over de weg", "CBS, by road"),
        schema.STRAIGHT_LINE: ("hemelsbreed (benadering)", "straight line (approximation)"),
        schema.NETWORK: ("over het straten-netwerk", "over the street network"),
        schema.NO_DATA: ("geen gegevens", "no data"),
    }
)
#: Travel modes (``geo.units.MODES``) as a verb.
MODE_NAMES = MappingProxyType({"walk": ("lopen", "walking"), "bike": ("fietsen", "cycling")})

#: Notes shown with a facility whose point is not its exact location, by ``location_precision``.
PRECISION_NOTES = MappingProxyType(
    {
        "pc4_centroid": (
            "locatie bij benadering: midden van postcodegebied (PC4), gemiddeld ~0,5 km afwijking",
            "approximate location: centre of the postcode area (PC4), on average ~0.5 km off",
        ),
        "pc6": (
            "locatie bij benadering: midden van postcode (PC6), meestal binnen ~100 m",
            "approximate location: centre of the postcode (PC6), usually within ~100 m",
        ),
    }
)

#: Ranking columns with a name of their own (indicator columns are named by the catalog).
_COLUMN_TERMS = MappingProxyType(
    {
        schema.BUURT_CODE: "buurt_code",
        schema.BUURT_NAME: "buurt",
        schema.WIJK_CODE: "wijk_code",
        schema.WIJK_NAME: "wijk",
        schema.MUNICIPALITY_NAME: "municipality",
        schema.INHABITANTS: "inhabitants",
        schema.NEED_INDEX: "need_index",
        schema.ACCESS_GAP: "access_gap",
        schema.REACH_SCORE: "reach_score",
        schema.PRIORITY_SCORE: "priority_score",
        schema.RANK: "rank",
        schema.STATUS: "status",
        **{c: c for c in (
            schema.PUPILS, schema.PUPILS_YEAR, schema.PUPILS_TREND_PCT, schema.SCHOOL_SCORE, schema.RELATIVE_SCORE,
            schema.SCORE_UNRELIABLE, schema.NATIONAL_RANK, schema.NATIONAL_PERCENTILE, schema.LOCAL_RANK,
            schema.ELIGIBLE_LIKE, schema.ELIGIBLE_LISTED, schema.DOMAINS_KNOWN, schema.DOMAINS_MISSING,
            schema.GAP_SCORE, schema.CATCHMENT_BUURTEN, schema.CATCHMENT_CHILDREN, schema.CATCHMENT_NEED,
            schema.SCHOOL_CODE,
        )},
        schema.SCHOOL_NAME: "school",
    }
)
_PREFIX_TERMS = (
    (schema.CONTRIB_PREFIX, "contribution_of"),
    (schema.SCORE_PREFIX, "score_of"),
    (schema.PERCENTILE_PREFIX, "percentile_of"),
)


def term(key: str, lang: str) -> str:
    """The name of concept ``key`` (a key of :data:`TERMS`) in ``lang``."""
    return pick(TERMS[key], lang)


def group_name(group: str, lang: str) -> str:
    """The name of an indicator group (``need``, ``access``, ``reach``)."""
    return pick(GROUP_NAMES[group], lang)


def group_score_name(group: str, lang: str) -> str:
    """The name of the sub-score an indicator group feeds (need index, access gap, reach)."""
    return column_label(GROUP_SCORES[group], lang)


def facility_type_with_domain(key: str, lang: str) -> str:
    """A facility type's name with its domain ("Bibliotheek — Cognitieve ontwikkeling"); the name alone when the
    type serves no domain (the school itself, the day nursery)."""
    ftype = get_facility_type(key)
    if ftype.domain is None:
        return ftype.label(lang)
    return term("type_with_domain", lang).format(type=ftype.label(lang), domain=domain_label(ftype.domain, lang))


def measure_label(method: str, lang: str, *, short: bool = False) -> str:
    """How a distance was measured (``method`` one of :data:`geo.schema.MEASURES`)."""
    return pick((MEASURE_SHORT if short else MEASURE_LABELS)[method], lang)


def column_label(column: str, lang: str) -> str:
    """The name of a ranking or indicator column; the column name itself when it has none."""
    check_lang(lang)
    if column in _COLUMN_TERMS:
        return term(_COLUMN_TERMS[column], lang)
    if column in INDICATORS:
        return INDICATORS[column].label(lang)
    for prefix, key in _PREFIX_TERMS:
        if column.startswith(prefix) and column[len(prefix):] in INDICATORS:
            return term(key, lang).format(INDICATORS[column[len(prefix):]].label(lang))
    if column.endswith("_status") and column.removesuffix("_status") in DOMAINS:
        return domain_label(column.removesuffix("_status"), lang)
    return column


def precision_note(location_precision: object, lang: str) -> str | None:
    """The note for an approximate facility location, or ``None`` if the point is exact."""
    if isinstance(location_precision, str) and location_precision in PRECISION_NOTES:
        return pick(PRECISION_NOTES[location_precision], lang)
    check_lang(lang)
    return None
