"""What the product knows about: facility types, indicators and weight presets.

This is data, not computation: labels (Dutch and English), the development
domain of the *rijke schooldag* each facility type serves, each indicator's
direction and group, and the presets a planner starts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from geo import schema
from geo.errors import ParameterError
from geo.lang import pick

# --------------------------------------------------------------------------- domains

#: The five development domains of the rijke schooldag (School en Omgeving).
DOMAINS = MappingProxyType(
    {
        "sport_health": ("Sport, bewegen en gezondheid", "Sport, movement and health"),
        "culture": ("Cultuur", "Culture"),
        "cognitive": ("Cognitieve ontwikkeling", "Cognitive development"),
        "social_emotional": ("Sociaal-emotionele ontwikkeling", "Social-emotional development"),
        "orientation": ("Oriëntatie op jezelf en de wereld", "Orientation on yourself and the world"),
    }
)


@dataclass(frozen=True)
class FacilityType:
    """A kind of facility a child needs around school."""

    key: str
    label_nl: str
    label_en: str
    #: The rijke-schooldag domain a provider of this type can offer (:data:`DOMAINS`); ``None`` when the type is
    #: not a partner for school-age activities (a day nursery is for children under 4, a school is the school).
    domain: str | None
    #: Marker colour on the map, one per type, from the Okabe–Ito and Paul Tol colour-blind-safe sets, chosen so
    #: that every two types differ by at least ΔE 12 (CAM02-UCS) in normal vision and under
    #: simulated protanopia, deuteranopia and tritanopia (tests/test_colour_vision.py).
    color: str
    #: Font Awesome 4 icon name used by folium markers.
    icon: str

    def label(self, lang: str = "nl") -> str:
        return pick((self.label_nl, self.label_en), lang)


FACILITY_TYPES = MappingProxyType(
    {
        ft.key: ft
        for ft in (
            FacilityType("sport", "Sportaccommodatie", "Sports facility", "sport_health", "#EE6677", "futbol-o"),
            FacilityType("swimming_pool", "Zwembad", "Swimming pool", "sport_health", "#56B4E9", "tint"),
            FacilityType("library", "Bibliotheek", "Library", "cognitive", "#99DDFF", "book"),
            FacilityType("primary_school", "Basisschool", "Primary school", None, "#AAAA00", "graduation-cap"),
            FacilityType("childcare", "Kinderdagverblijf", "Day nursery", None, "#CC79A7", "child"),
            FacilityType(
                "after_school_care", "Buitenschoolse opvang (bso)", "After-school care", "social_emotional", "#555555",
                "home",
            ),
            # theatre, arts centre, music school (a museum is a type of its own, below)
            FacilityType("culture", "Cultuurvoorziening", "Culture venue", "culture", "#9467BD", "music"),
            FacilityType("community_centre", "Buurthuis", "Community centre", "social_emotional", "#000000", "users"),
            FacilityType("playground", "Speeltuin", "Playground", "social_emotional", "#F0E442", "child"),
            FacilityType(
                "youth_work", "Jongerenwerk / jongerencentrum", "Youth work / youth centre", "social_emotional",
                "#FFAABB", "gamepad",
            ),
            # a nature reserve or a kinderboerderij (petting farm)
            FacilityType("nature", "Natuur en kinderboerderij", "Nature and petting farm", "orientation", "#117733",
                         "leaf"),
            FacilityType("museum", "Museum", "Museum", "orientation", "#332288", "university"),
            FacilityType("makerspace", "Techniek en makerspace", "Technology and makerspace", "orientation", "#661100",
                         "wrench"),
        )
    }
)


def _check_domain(domain: str) -> None:
    if domain not in DOMAINS:
        raise ParameterError(f"Unknown domain '{domain}'; expected one of: {', '.join(DOMAINS)}.")


def domain_label(domain: str, lang: str = "nl") -> str:
    """The name of a development domain (a key of :data:`DOMAINS`) in ``lang``."""
    _check_domain(domain)
    return pick(DOMAINS[domain], lang)


def domain_facility_types(domain: str) -> tuple[str, ...]:
    """The facility types whose providers offer ``domain`` (catalogue order)."""
    _check_domain(domain)
    return tuple(ft.key for ft in FACILITY_TYPES.values() if ft.domain == domain)


def get_facility_type(key: str) -> FacilityType:
    try:
        return FACILITY_TYPES[key]
    except KeyError:
        raise ParameterError(
            f"Unknown facility type '{key}'; expected one of: {', '.join(FACILITY_TYPES)}."
        ) from None


# --------------------------------------------------------------------------- indicators

NEED = "need"
ACCESS = "access"
REACH = "reach"
GROUPS = (NEED, ACCESS, REACH)


@dataclass(frozen=True)
class Indicator:
    """One per-buurt indicator a planner can weigh.

    ``direction`` is +1 when a higher value means more need for investment
    (e.g. benefits per 1,000 inhabitants, distance to a library) and -1 when a
    higher value means less need (e.g. average WOZ value).
    """

    key: str
    label_nl: str
    label_en: str
    group: str
    direction: int
    unit: str
    #: How the value is derived from CBS variables (shown in the method text).
    definition: str
    #: Facility type for access indicators.
    facility_type: str | None = None

    def label(self, lang: str = "nl") -> str:
        return pick((self.label_nl, self.label_en), lang)


def _access(ft: FacilityType) -> Indicator:
    return Indicator(
        key=schema.dist_col(ft.key),
        label_nl=f"Afstand tot {ft.label_nl.lower()}",
        label_en=f"Distance to {ft.label_en.lower()}",
        group=ACCESS,
        direction=+1,
        unit="m",
        definition=(
            f"distance from the buurt to the nearest {ft.label_en.lower()} (the measure used is listed per type)"
        ),
        facility_type=ft.key,
    )


INDICATORS = MappingProxyType(
    {
        ind.key: ind
        for ind in (
            Indicator("children_0_14", "Kinderen 0–14", "Children 0–14", REACH, +1, "count",
                      "a_00_14 (CBS kwb: inhabitants aged 0 to 14)"),
            Indicator("share_children_0_14_pct", "Aandeel kinderen 0–14", "Share of children 0–14", NEED, +1, "%",
                      "100 × a_00_14 / a_inw"),
            Indicator("benefits_bijstand_per_1000", "Bijstandsuitkeringen per 1.000 inwoners",
                      "Social assistance benefits per 1,000 inhabitants", NEED, +1, "per 1,000",
                      "1000 × a_soz_wb / a_inw (bijstand, Participatiewet)"),
            Indicator("benefits_ao_per_1000", "Arbeidsongeschiktheidsuitkeringen per 1.000 inwoners",
                      "Disability benefits per 1,000 inhabitants", NEED, +1, "per 1,000",
                      "1000 × a_soz_ao / a_inw"),
            Indicator("benefits_ww_per_1000", "WW-uitkeringen per 1.000 inwoners",
                      "Unemployment benefits per 1,000 inhabitants", NEED, +1, "per 1,000",
                      "1000 × a_soz_ww / a_inw"),
            Indicator("woz_mean_keur", "Gemiddelde WOZ-waarde", "Average WOZ property value", NEED, -1, "× € 1.000",
                      "g_wozbag (mean WOZ value of dwellings, thousands of euros)"),
            Indicator("share_social_rent_pct", "Aandeel corporatiewoningen", "Share of housing-corporation dwellings",
                      NEED, +1, "%", "p_wcorpw"),
            Indicator("share_rent_pct", "Aandeel huurwoningen", "Share of rented dwellings", NEED, +1, "%", "p_huurw"),
            Indicator("income_per_inhabitant_keur", "Gemiddeld inkomen per inwoner", "Average income per inhabitant",
                      NEED, -1, "× € 1.000", "g_ink_pi"),
            Indicator("share_low_income_hh_pct", "Aandeel huishoudens met laag inkomen",
                      "Share of low-income households", NEED, +1, "%", "p_hh_li"),
            Indicator("share_social_minimum_hh_pct", "Aandeel huishoudens rond sociaal minimum",
                      "Share of households at or below the social minimum", NEED, +1, "%", "p_hh_osm"),
            Indicator("share_hh_with_children_pct", "Aandeel huishoudens met kinderen",
                      "Share of households with children", NEED, +1, "%", "100 × a_hh_m_k / a_hh"),
            Indicator("share_non_western_migration_pct", "Aandeel met niet-Europese migratieachtergrond",
                      "Share with a non-European migration background", NEED, +1, "%", "100 × a_neu_al / a_inw"),
            Indicator("density_per_km2", "Bevolkingsdichtheid", "Population density", NEED, +1, "per km²", "bev_dich"),
            Indicator(schema.SCHOOL_DISADVANTAGE_NEARBY, "Achterstandsscore van scholen in de buurt",
                      "Disadvantage score of nearby schools", NEED, +1, "per leerling",
                      "pupil-weighted mean relative CBS achterstandsscore (score without threshold / funded pupils, "
                      "2019) of the primary schools within 1,000 m (straight line) of the buurt, else of the "
                      "nearest school"),
            *(_access(ft) for ft in FACILITY_TYPES.values()),
        )
    }
)


def get_indicator(key: str) -> Indicator:
    try:
        return INDICATORS[key]
    except KeyError:
        raise ParameterError(f"Unknown indicator '{key}'; expected one of: {', '.join(INDICATORS)}.") from None


# --------------------------------------------------------------------------- presets

#: Weight presets. A weight is a relative importance (0 = not used); weights of
#: indicators without data are ignored and reported.
PRESETS = MappingProxyType(
    {
        "rijke_schooldag": MappingProxyType(
            {
                # children reached
                "children_0_14": 2.0,
                # deprivation (need)
                "benefits_bijstand_per_1000": 2.0,
                "share_low_income_hh_pct": 2.0,
                "woz_mean_keur": 1.0,
                "share_social_rent_pct": 1.0,
                "share_children_0_14_pct": 1.0,
                # access gap to the facilities of a rich school day
                "dist_sport_m": 1.0,
                "dist_library_m": 1.0,
                "dist_culture_m": 1.0,
                "dist_after_school_care_m": 1.0,
                "dist_swimming_pool_m": 0.5,
                # Orientation on yourself and the world: nature and petting farms are neighbourhood-scale places a
                # class walks to, so their distance tells buurten apart; a small weight, because they come only
                # from OpenStreetMap (no CBS distance). Museums (mostly in the centre, so their distance is close to
                # the distance to the centre) and makerspaces (few, and patchily mapped) get no weight, nor do youth
                # work (mostly for over-12s, and often outreach without a building), community centres and
                # playgrounds (social-emotional is weighed through after-school care). A dataset without nature
                # points ignores this weight and says so: its ranking is the one it had without it.
                "dist_nature_m": 0.5,
            }
        ),
        "need_only": MappingProxyType(
            {
                "children_0_14": 1.0,
                "benefits_bijstand_per_1000": 2.0,
                "share_low_income_hh_pct": 2.0,
                "woz_mean_keur": 1.0,
                "share_social_rent_pct": 1.0,
            }
        ),
        # The indicators the national base layer holds for every buurt of the country (children and the
        # disadvantage of the schools around them), plus the distance to a primary school.
        "national": MappingProxyType(
            {
                "children_0_14": 2.0,
                "share_children_0_14_pct": 1.0,
                schema.SCHOOL_DISADVANTAGE_NEARBY: 2.0,
                "dist_primary_school_m": 0.5,
            }
        ),
        "access_first": MappingProxyType(
            {
                "children_0_14": 1.0,
                "benefits_bijstand_per_1000": 1.0,
                "dist_sport_m": 2.0,
                "dist_library_m": 2.0,
                "dist_culture_m": 2.0,
                "dist_after_school_care_m": 2.0,
                "dist_swimming_pool_m": 1.0,
                "dist_primary_school_m": 1.0,
                "dist_nature_m": 1.0,  # twice its default weight, as the other distances (see rijke_schooldag)
            }
        ),
    }
)

PRESET_LABELS = MappingProxyType(
    {
        "rijke_schooldag": ("Rijke schooldag (standaard)", "Rich school day (default)"),
        "need_only": ("Alleen achterstand", "Deprivation only"),
        "access_first": ("Bereikbaarheid voorop", "Access first"),
        "national": ("Landelijk: kinderen en schoolachterstand", "National: children and school disadvantage"),
    }
)
DEFAULT_PRESET = "rijke_schooldag"


def get_preset(name: str) -> dict[str, float]:
    try:
        return dict(PRESETS[name])
    except KeyError:
        raise ParameterError(f"Unknown preset '{name}'; expected one of: {', '.join(PRESETS)}.") from None
