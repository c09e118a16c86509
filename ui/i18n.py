"""UI text in Dutch (default) and English. Data labels live in ``geo.catalog``."""

from __future__ import annotations

LANGUAGES = {"nl": "Nederlands", "en": "English"}

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Rijke Schooldag Planner", "Rich School Day Planner"),
    "subtitle": (
        "Ongelijk investeren voor gelijke kansen: waar hebben kinderen de meeste behoefte aan een rijke schooldag "
        "en zijn de voorzieningen het verst weg?",
        "Invest unequally for equal opportunities: where do children need a rich school day most, and are the "
        "facilities furthest away?",
    ),
    "language": ("Taal / Language", "Taal / Language"),
    "dataset": ("Gegevens", "Data"),
    "preset": ("Uitgangspunt (gewichten)", "Starting point (weights)"),
    "weights": ("Gewichten", "Weights"),
    "weights_help": (
        "Relatief belang van elke indicator (0 = telt niet mee). De gewichten worden samen op 1 geschaald.",
        "Relative importance of each indicator (0 = not used). Weights are scaled to sum to 1.",
    ),
    "group_reach": ("Bereik: kinderen", "Reach: children"),
    "group_need": ("Achterstand (behoefte)", "Deprivation (need)"),
    "group_access": ("Afstand tot voorzieningen", "Distance to facilities"),
    "map_layer": ("Kaartlaag", "Map layer"),
    "facility_types": ("Voorzieningen op de kaart", "Facilities on the map"),
    "priority_score": ("Prioriteitsscore", "Priority score"),
    "need_index": ("Behoefte-index", "Need index"),
    "access_gap": ("Afstandsachterstand", "Access gap"),
    "reach_score": ("Bereik (kinderen)", "Reach (children)"),
    "rank": ("Plaats", "Rank"),
    "buurt": ("Buurt", "Buurt"),
    "wijk": ("Wijk", "District"),
    "children": ("Kinderen 0–14", "Children 0–14"),
    "inhabitants": ("Inwoners", "Inhabitants"),
    "ranking_title": ("Rangorde voor investering", "Ranking for investment"),
    "detail_title": ("Waarom staat deze buurt hier?", "Why does this buurt rank here?"),
    "select_buurt": ("Kies een buurt (of klik op de kaart)", "Pick a buurt (or click the map)"),
    "contrib_chart": ("Bijdrage per indicator aan de prioriteitsscore", "Contribution of each indicator to the priority score"),
    "indicator": ("Indicator", "Indicator"),
    "value": ("Waarde", "Value"),
    "percentile": ("Percentiel in gemeente", "Percentile in municipality"),
    "direction": ("Richting", "Direction"),
    "weight": ("Gewicht", "Weight"),
    "contribution": ("Bijdrage aan prioriteit", "Contribution to priority"),
    "group_contribution": ("Bijdrage aan deelscore", "Contribution to sub-score"),
    "sub_need": ("behoefte-index", "need index"),
    "sub_access": ("toegangskloof", "access gap"),
    "sub_reach": ("bereik", "reach"),
    "more_is_need": ("meer = meer behoefte", "more = more need"),
    "less_is_need": ("minder = meer behoefte", "less = more need"),
    "download_csv": ("Download rangorde (CSV)", "Download ranking (CSV)"),
    "download_gpkg": ("Download rangorde (GeoPackage)", "Download ranking (GeoPackage)"),
    "method": ("Methode", "Method"),
    "sources": ("Bronnen en licenties", "Sources and licences"),
    "access_measures": ("Hoe is de afstand gemeten?", "How was distance measured?"),
    "not_used": ("Niet meegeteld (geen bruikbare gegevens)", "Not used (no usable data)"),
    "no_data": ("geen gegevens in deze dataset", "no data in this dataset"),
    "no_variation": ("overal dezelfde waarde", "same value everywhere"),
    "imputed": (
        "Ontbrekende waarden vervangen door de mediaan",
        "Missing values replaced by the median",
    ),
    "excluded": (
        "buurt(en) zonder inwoners krijgen geen plaats",
        "buurt(en) without inhabitants are not ranked",
    ),
    "straight_line_warning": (
        "Hemelsbrede afstanden zijn een benadering: er is voor deze gemeente geen straten-netwerk geladen.",
        "Straight-line distances are an approximation: no street network is loaded for this municipality.",
    ),
    "no_inhabitants": ("geen inwoners – niet gerangschikt", "no inhabitants – not ranked"),
    "error_title": ("Er ging iets mis met de invoer", "Something is wrong with the input"),
    "map_caption": (
        "Kaartachtergrond (OpenStreetMap) is optioneel en laadt alleen met internet; buurten en voorzieningen staan er altijd op.",
        "The background map (OpenStreetMap) is optional and needs internet; buurten and facilities always show.",
    ),
    "schools_note": (
        "Scholen: {n_pc4} van {n} locaties zijn het midden van een postcodegebied (PC4, gemiddeld ~0,5 km afwijking).",
        "Schools: {n_pc4} of {n} locations are postcode-area (PC4) centroids (~0.5 km off on average).",
    ),
    "measure": ("Meting", "Measure"),
    "travel": ("Reizen", "Travel"),
    "mode": ("Vervoerwijze", "Mode"),
    "mode_walk": ("Lopen", "Walking"),
    "mode_bike": ("Fietsen", "Cycling"),
    "traveller": ("Wie reist?", "Who travels?"),
    "traveller_child": ("Kind", "Child"),
    "traveller_adult": ("Volwassene", "Adult"),
    "bands": ("Reistijden (isochronen)", "Travel times (isochrones)"),
    "show_isochrones": ("Isochronen op de kaart", "Isochrones on the map"),
    "no_network": (
        "Er is geen straten-netwerk ({mode}) geladen voor {name}. Afstanden tot sport en scholen zijn daarom "
        "hemelsbreed (een benadering) en er zijn geen isochronen. Met internet: "
        "`python -m geo network download --polygon {polygon} --name {slug}` en herstart de app.",
        "No street network ({mode}) is loaded for {name}. Distances to sport and schools are therefore straight-line "
        "(an approximation) and there are no isochrones. With internet: "
        "`python -m geo network download --polygon {polygon} --name {slug}` and restart the app.",
    ),
    "network_used": (
        "Reistijden over het straten-netwerk: {mode}, {speed} km/u ({nodes} knooppunten; bron: {source}).",
        "Travel times over the street network: {mode}, {speed} km/h ({nodes} nodes; source: {source}).",
    ),
    "unknown": ("onbekend", "unknown"),
    "nearest_school": (
        "Dichtstbijzijnde basisschool: {name} ({pupils} leerlingen in 2025), {dist} m {measure}.",
        "Nearest primary school: {name} ({pupils} pupils in 2025), {dist} m {measure}.",
    ),
    "precision_pc4": (
        "De locatie van deze school is het midden van haar postcodegebied (PC4): gemiddeld ~0,5 km afwijking.",
        "This school is placed at the centre of its postcode area (PC4): ~0.5 km off on average.",
    ),
    "precision_pc6": (
        "De locatie van deze school is het midden van haar postcode (PC6).",
        "This school is placed at the centre of its postcode (PC6).",
    ),
    "facilities_n": ("Aantal punten", "Points"),
    "buurten_with_value": ("Buurten met waarde", "Buurten with a value"),
    "migration_note": (
        "Migratieachtergrond is beschikbaar als kaartlaag en indicator, maar telt standaard niet mee: het is geen "
        "achterstand op zich, het zegt iets over afkomst in plaats van over omstandigheden, en het overlapt sterk met "
        "inkomen en uitkeringen die al meetellen. Ook de onderwijsachterstandenindicator van CBS/OCW gebruikt het niet "
        "meer; gebruik het alleen bewust en met uitleg.",
        "Migration background is available as a map layer and indicator but is not in the default index: it is not "
        "a disadvantage in itself, it describes origin rather than circumstances, and it overlaps strongly with income "
        "and benefits that already count. The CBS/OCW school-disadvantage indicator no longer uses it either; use it "
        "only deliberately and with an explanation.",
    ),
}


def t(key: str, lang: str = "nl", **kwargs: object) -> str:
    """The text for ``key`` in ``lang`` (falls back to Dutch), formatted with ``kwargs``."""
    nl, en = _TEXT[key]
    text = en if lang == "en" else nl
    return text.format(**kwargs) if kwargs else text
