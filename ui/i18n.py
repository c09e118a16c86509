"""The app's own sentences and widget texts in Dutch (default) and English.

Names of concepts (priority score, need index, access gap, rank, …) are not
written here: :func:`t` takes them from :mod:`geo.terms`, the one vocabulary
shared with the map, the exports and the decision pack.
"""

from __future__ import annotations

from geo.lang import LANGUAGE_NAMES, pick
from geo.terms import TERMS

#: Language picker options (code → name in that language).
LANGUAGES = LANGUAGE_NAMES

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Rijke Schooldag Planner", "Rich School Day Planner"),
    "subtitle": (
        "Ongelijk investeren voor gelijke kansen: waar hebben kinderen de meeste behoefte aan een rijke schooldag "
        "en zijn de voorzieningen het verst weg?",
        "Invest unequally for equal opportunities: where do children need a rich school day most, and are the "
        "facilities furthest away?",
    ),
    "language": ("Taal / Language", "Taal / Language"),
    "municipality_picker": ("Gemeente", "Municipality"),
    "municipality_picker_help": (
        "Heel Nederland bovenaan (elke buurt van het land); dan de volledige datasets; de andere gemeenten komen "
        "uit de landelijke basislaag (kinderen, scholen, schoolachterstand) en kunnen met internet volledig worden "
        "opgehaald.",
        "The whole Netherlands at the top (every buurt of the country); then the full datasets; the other "
        "municipalities come from the national base layer (children, schools, school disadvantage) and can be "
        "fetched in full with internet.",
    ),
    "whole_country": ("Heel Nederland", "The whole Netherlands"),
    "normalisation": ("Normaliseren", "Normalise"),
    "normalisation_municipality": ("binnen elke gemeente (standaard)", "within each municipality (default)"),
    "normalisation_national": ("landelijk", "national"),
    "normalisation_help": (
        "Binnen elke gemeente: een buurt wordt vergeleken met de andere buurten van haar eigen gemeente, zoals een "
        "gemeenteraad rangschikt. Landelijk: met alle buurten van het land tegelijk, voor een landelijke financier.",
        "Within each municipality: a buurt is compared with the other buurten of its own municipality, as a council "
        "ranks. National: with every buurt of the country at once, for a national funder.",
    ),
    "detail_normalised_municipality": (
        "Genormaliseerd binnen elke gemeente: {name} is vergeleken met de {n} buurten van {municipality}; de "
        "plaats landelijk zet de buurten van alle gemeenten op één lijst.",
        "Normalised within each municipality: {name} is compared with the {n} buurten of {municipality}; the "
        "national rank puts the buurten of every municipality on one list.",
    ),
    "detail_normalised_national": (
        "Landelijk genormaliseerd: {name} ({municipality}) is vergeleken met alle {n} gerangschikte buurten van het "
        "land.",
        "Normalised nationally: {name} ({municipality}) is compared with all {n} ranked buurten of the country.",
    ),
    "percentile_national": ("Percentiel landelijk", "Percentile nationally"),
    "zoom_municipality": ("Zoom naar gemeente", "Zoom to municipality"),
    "zoom_help": (
        "Zoomt de kaart in op de gemeente en kiest haar buurt met de hoogste plaats.",
        "Zooms the map to the municipality and picks its highest-ranked buurt.",
    ),
    "zoom_not_drawn": ("{name} (niet op de kaart)", "{name} (not on the map)"),
    "national_map_note": (
        "Landelijke kaart: buurten met een vorm van 2014, de grenzen van de gemeenten als lijn; voorzieningen en "
        "isochronen staan er niet op (kies de gemeente zelf bij ‘Gemeente’ om ze te zien).",
        "National map: buurten with a 2014 shape, municipal boundaries as lines; facilities and isochrones are not "
        "drawn (pick the municipality itself under ‘Municipality’ to see them).",
    ),
    "base_layer_short": ("basislaag", "base layer"),
    "no_network_base": (
        "Er is geen straten-netwerk ({mode}) voor {name} in de basislaag: afstanden tot scholen zijn hemelsbreed "
        "(een benadering) en er zijn geen isochronen. Haal de gegevens op (met internet) voor meer.",
        "There is no street network ({mode}) for {name} in the base layer: distances to schools are straight-line "
        "(an approximation) and there are no isochrones. Fetch the data (with internet) for more.",
    ),
    "no_network_country": (
        "Er is geen straten-netwerk ({mode}) voor heel {name}: afstanden tot scholen zijn hemelsbreed (een "
        "benadering) en er zijn geen isochronen. Kies één gemeente om haar gegevens op te halen.",
        "There is no street network ({mode}) for the whole of {name}: distances to schools are straight-line (an "
        "approximation) and there are no isochrones. Pick one municipality to fetch its data.",
    ),
    "base_layer_missing": ("Ontbreekt in de basislaag:", "Missing from the base layer:"),
    "fetch_button": ("Haal gegevens op voor {name}", "Fetch the data for {name}"),
    "fetch_help": (
        "Haalt buurtgrenzen (PDOK), CBS-kerncijfers en -afstanden, scholen (DUO), kinderopvang (LRK) en "
        "voorzieningen (OpenStreetMap) op. Duurt enkele minuten; werkt alleen met internet.",
        "Fetches buurt boundaries (PDOK), CBS key figures and distances, schools (DUO), childcare (LRK) and "
        "facilities (OpenStreetMap). Takes a few minutes; needs internet.",
    ),
    "fetch_starting": ("Gegevens ophalen …", "Fetching data …"),
    "fetch_failed": ("Ophalen lukte niet:", "Fetching failed:"),
    "fetch_offline_hint": (
        "Zonder internet blijft de basislaag zichtbaar; probeer het later opnieuw of gebruik `python -m geo build` "
        "met zelf gedownloade landelijke bestanden.",
        "Without internet the base layer stays; try again later or use `python -m geo build` with national files "
        "you downloaded yourself.",
    ),
    "fetch_partial": (
        "Niet alles kon worden opgehaald; deze lagen ontbreken: {layers}.",
        "Not everything could be fetched; these layers are missing: {layers}.",
    ),
    "map_no_shapes": (
        "Voor deze buurten zijn geen buurtgrenzen beschikbaar in de basislaag (codes van na 2014); de rangorde "
        "hieronder telt ze wel mee. Haal de gegevens op voor de actuele grenzen.",
        "No buurt boundaries are available in the base layer for these buurten (codes newer than 2014); the ranking "
        "below does include them. Fetch the data for the current boundaries.",
    ),
    "licence": ("Licentie", "Licence"),
    "osm_background": (
        "Kaartachtergrond: © OpenStreetMap contributors (ODbL), alleen online.",
        "Background map: © OpenStreetMap contributors (ODbL), online only.",
    ),
    "build_notes": ("Bouwnotities", "Build notes"),
    "spinner_access": ("Bereikbaarheid berekenen …", "Computing access …"),
    "spinner_isochrones": ("Isochronen berekenen …", "Computing isochrones …"),
    "spinner_map": ("Kaart voorbereiden …", "Preparing the map …"),
    "spinner_scenario": ("Scenario doorrekenen …", "Computing the scenario …"),
    "spinner_budget": ("Budget verdelen …", "Allocating the budget …"),
    "spinner_robustness": ("Robuustheid berekenen …", "Computing robustness …"),
    "share_notices": ("Niet alles uit de link kon worden gebruikt:", "Not everything in the link could be used:"),
    "share_more": ("… en nog {n} andere", "… and {n} more"),
    "share_link": (
        "Link naar deze weergave (kopieer met het icoon rechts)",
        "Link to this view (copy with the icon on the right)",
    ),
    "public_url_bad": (
        "Het openbare adres van de app ({env}) is verkeerd ingesteld, dus begint deze link bij het adres in uw "
        "browser. Vraag de beheerder van de server het te verbeteren:",
        "The app's public address ({env}) is set wrongly, so this link starts from the address in your browser. "
        "Ask the server's administrator to correct it:",
    ),
    "dataset": ("Gegevens", "Data"),
    "preset": ("Uitgangspunt (gewichten)", "Starting point (weights)"),
    "weights": ("Gewichten", "Weights"),
    "weights_help": (
        "Relatief belang van elke indicator (0 = telt niet mee). De gewichten worden samen op 1 geschaald.",
        "Relative importance of each indicator (0 = not used). Weights are scaled to sum to 1.",
    ),
    "map_layer": ("Kaartlaag", "Map layer"),
    "facility_types": ("Voorzieningen op de kaart", "Facilities on the map"),
    "ranking_title": ("Rangorde voor investering", "Ranking for investment"),
    "detail_title": ("Waarom staat deze buurt hier?", "Why does this buurt rank here?"),
    "select_buurt": ("Kies een buurt (of klik op de kaart)", "Pick a buurt (or click the map)"),
    "contrib_chart": (
        "Bijdrage per indicator aan de prioriteitsscore",
        "Contribution of each indicator to the priority score",
    ),
    "indicator": ("Indicator", "Indicator"),
    "value": ("Waarde", "Value"),
    "percentile": ("Percentiel in gemeente", "Percentile in municipality"),
    "direction": ("Richting", "Direction"),
    "contribution": ("Bijdrage aan prioriteit", "Contribution to priority"),
    "group_contribution": ("Bijdrage aan deelscore", "Contribution to sub-score"),
    "download_csv": ("Download rangorde (CSV)", "Download ranking (CSV)"),
    "download_gpkg": ("Download rangorde (GeoPackage)", "Download ranking (GeoPackage)"),
    "method": ("Methode", "Method"),
    "sources": ("Bronnen en licenties", "Sources and licences"),
    "access_measures": ("Hoe is de afstand gemeten?", "How was distance measured?"),
    "not_used": ("Niet meegeteld (geen bruikbare gegevens)", "Not used (no usable data)"),
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
    "error_title": ("Er ging iets mis met de invoer", "Something is wrong with the input"),
    "map_caption": (
        "Kaartachtergrond (OpenStreetMap) is optioneel en laadt alleen met internet; "
        "buurten en voorzieningen staan er altijd op.",
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


# Decisions: equity, scenarios, budget, robustness.
_TEXT.update({
    "tab_robustness": TERMS["robustness"],
    "robust_intro": (
        "De rangorde opnieuw berekend met gewichten die willekeurig rond de gekozen gewichten liggen (Dirichlet). "
        "Een buurt die bijna altijd in de top blijft, staat daar niet door toeval in de weging.",
        "The ranking recomputed with weights drawn at random around the chosen ones (Dirichlet). A buurt that almost "
        "always stays in the top is not there by accident of the weighting.",
    ),
    "robust_top_n": ("Top N", "Top N"),
    "robust_draws": ("Aantal trekkingen", "Number of draws"),
    "robust_spread": ("Spreiding van de gewichten", "Spread of the weights"),
    "spread_small": ("klein (±15%)", "small (±15%)"),
    "spread_medium": ("middel (±30%)", "medium (±30%)"),
    "spread_large": ("groot (±55%)", "large (±55%)"),
    "robust_loo": ("Ook elke indicator één keer weglaten", "Also leave out each indicator once"),
    "robust_summary": (
        "Van de top {top} blijven er {robust} zeker in de top {top} (robuust): hun 90%-interval van plaatsen over de "
        "{draws} trekkingen blijft erbinnen. "
        "{sensitive} buurt(en) hangen af van de weging: hun 90%-interval gaat over de grens van de top {top}.",
        "Of the top {top}, {robust} stay in the top {top} for sure (robust): "
        "their 90% rank interval over the {draws} draws stays within it. "
        "{sensitive} buurt(en) depend on the weighting: their 90% rank interval crosses the top-{top} line.",
    ),
    "rank_median": ("Mediane plaats", "Median rank"),
    "rank_interval": ("90%-interval", "90% interval"),
    "rank_interval_axis": ("Plaats (lijn: 90%-interval, punt: mediaan, streep: huidige plaats)",
                           "Rank (line: 90% interval, dot: median, tick: current rank)"),
    "share_top": ("In top {n}", "In top {n}"),
    "robust_flag": ("Oordeel", "Verdict"),
    "robust_loo_title": ("Plaats als één indicator wegvalt", "Rank with one indicator left out"),
    "without": ("zonder {name}", "without {name}"),
    "robust_method": (
        "{draws} trekkingen uit een Dirichlet-verdeling rond de gekozen gewichten (seed {seed}, dus herhaalbaar); "
        "het interval is het 5e–95e percentiel van de plaatsen, zo nodig verbreed tot de huidige plaats.",
        "{draws} draws from a Dirichlet distribution around the chosen weights (seed {seed}, so repeatable); the "
        "interval is the 5th–95th percentile of the ranks, widened to the current rank where needed.",
    ),
    "exports_title": ("Exporteren", "Export"),
    "exports_caption": (
        "De kaart als los HTML-bestand (werkt offline), het beslisdocument om af te drukken of als PDF te bewaren "
        "(Afdrukken → Opslaan als PDF), en de rangorde (CSV) met de methode en gewichten (JSON) in één zip.",
        "The map as a standalone HTML file (works offline), the decision pack to print or save as PDF "
        "(Print → Save as PDF), and the ranking (CSV) with its method and weights (JSON) in one zip.",
    ),
    "download_map_html": ("Kaart (HTML)", "Map (HTML)"),
    "download_pack": ("Beslisdocument (HTML, afdrukbaar)", "Decision pack (HTML, printable)"),
    "download_zip": ("Rangorde + methode (zip)", "Ranking + method (zip)"),
    "share_title": ("Deel deze weergave (link)", "Share this view (link)"),
    "tab_equity": ("Gelijkheid", "Equity"),
    "tab_scenarios": ("Scenario's", "Scenarios"),
    "tab_budget": ("Budget", "Budget"),
    "facility_type": ("Soort voorziening", "Facility type"),
    "within_minutes": ("Binnen (minuten)", "Within (minutes)"),
    "concentration_index": ("Concentratie-index (bereik naar behoefte)", "Concentration index (access by need)"),
    "ci_none": ("De concentratie-index is niet te berekenen "
                "(niemand of iedereen binnen bereik, of geen behoefte-index).",
                "The concentration index cannot be computed (no one or everyone within reach, or no need index)."),
    "ci_even": ("Index {value}: bereik is ongeveer gelijk verdeeld over buurten met weinig en veel behoefte.",
                "Index {value}: access is spread about evenly over low- and high-need buurten."),
    "ci_pro_need": ("Index {value} > 0: kinderen in buurten met veel behoefte hebben vaker een voorziening "
                    "binnen bereik.",
                    "Index {value} > 0: children in high-need buurten more often have a facility within reach."),
    "ci_against_need": ("Index {value} < 0: kinderen in buurten met veel behoefte hebben minder vaak een voorziening "
                        "binnen bereik — hier valt winst te halen.",
                        "Index {value} < 0: children in high-need buurten less often have a facility within reach — "
                        "room for gain."),
    "equity_no_types": (
        "Geen soort voorziening met afstanden in deze gegevens.",
        "No facility type with distances in this data.",
    ),
    "quintile_label": ("Q{q}", "Q{q}"),
    "need_quintile_axis": ("Behoefte-kwintiel (Q1 = minste, Q5 = meeste behoefte)",
                           "Need quintile (Q1 = least, Q5 = most need)"),
    "need_quintile": ("Behoefte-kwintiel", "Need quintile"),
    "n_buurten": ("Buurten", "Buurten"),
    "mean_time": ("Gem. reistijd (min)", "Mean travel time (min)"),
    "share_within": ("% kinderen binnen {m} min", "% children within {m} min"),
    "equity_caption": (
        "Kwintielen van de behoefte-index, gewogen naar kinderen 0–14 (elk kwintiel ongeveer een vijfde van de "
        "kinderen). Afstand: {measure}; reistijd = afstand / {speed} km/u. Concentratie-index > 0: bereik ligt vooral "
        "bij buurten met veel behoefte.",
        "Quintiles of the need index, weighted by children 0–14 (each about a fifth of the children). Distance: "
        "{measure}; travel time = distance / {speed} km/h. Concentration index > 0: access lies mostly with high-need "
        "buurten.",
    ),
    "scenario_intro": (
        "Voeg een denkbeeldige voorziening toe (coördinaten in RD, of klik eerst op de kaart) of haal er een weg. "
        "De app rekent bereikbaarheid, rangorde en gelijkheid opnieuw uit en zet scenario's naast elkaar.",
        "Add a hypothetical facility (RD coordinates, or click the map first) or remove one. "
        "The app recomputes access, ranking and equity and sets scenarios side by side.",
    ),
    "scenario_new": ("Nieuw scenario", "New scenario"),
    "scenario_name": ("Naam", "Name"),
    "capacity": ("Capaciteit", "Capacity"),
    "scenario_xy_help": (
        "Standaard het punt van de gekozen buurt, of het laatst aangeklikte punt op de kaart (EPSG:28992, meters).",
        "Defaults to the point of the selected buurt, or the last point clicked on the map (EPSG:28992, metres).",
    ),
    "scenario_more": ("Meer voorzieningen, één per regel: SOORT,X,Y[,CAPACITEIT]",
                      "More facilities, one per line: TYPE,X,Y[,CAPACITY]"),
    "scenario_remove": ("Bestaande voorzieningen weghalen", "Remove existing facilities"),
    "scenario_add_point": ("Voorziening op X, Y toevoegen", "Add the facility at X, Y"),
    "scenario_save": ("Scenario doorrekenen", "Compute scenario"),
    "scenario_empty": ("Het scenario verandert niets: voeg een voorziening toe of kies er een om weg te halen.",
                       "The scenario changes nothing: add a facility or pick one to remove."),
    "scenario": ("Scenario", "Scenario"),
    "scenario_changes": ("Wijzigingen", "Changes"),
    "rank_changes": ("Buurten met een andere plaats", "Buurten whose rank changes"),
    "children_newly_within": ("Kinderen nieuw binnen {m} min", "Children newly within {m} min"),
    "ci_change": ("Verandering concentratie-index", "Change in concentration index"),
    "scenario_side_by_side": ("Scenario's naast elkaar", "Scenarios side by side"),
    "scenario_details": ("Details van scenario", "Details of scenario"),
    "scenario_delete": ("Verwijderen", "Delete"),
    "scenario_no_rank_change": ("Geen enkele buurt verandert van plaats.", "No buurt changes rank."),
    "rank_before": ("Plaats vóór", "Rank before"),
    "rank_after": ("Plaats na", "Rank after"),
    "rank_change_col": ("Verschil (+ = lager op de lijst)", "Change (+ = lower on the list)"),
    "who_gains": ("Wie wint er?", "Who gains?"),
    "children_newly": ("Kinderen nieuw binnen bereik", "Children newly within reach"),
    "buurten_newly": ("Buurten nieuw binnen bereik", "Buurten newly within reach"),
    "children_lost": ("Kinderen niet meer binnen bereik", "Children no longer within reach"),
    "budget_intro": (
        "Geef een budget en de kosten per ingreep; de app stelt voor welke buurten (programma) of plekken (nieuwe "
        "voorziening) de meeste kinderen met behoefte bereiken, stap voor stap uitgelegd. De standaardkosten zijn "
        "aannames: vul de eigen bedragen in.",
        "Enter a budget and the cost per intervention; the app proposes which buurten (programme) or sites (new "
        "facility) reach the most children in need, explained step by step. Default costs are assumptions: enter "
        "your own.",
    ),
    "budget_eur": ("Budget (€)", "Budget (€)"),
    "programme_cost": ("Kosten rijke-schooldagprogramma per buurt (€)", "Cost of a programme per buurt (€)"),
    "need_strength": ("Gewicht van behoefte", "Weight of need"),
    "need_strength_help": (
        "Een kind in de buurt met de meeste behoefte telt 1 + dit getal keer zo zwaar als een kind in de buurt met de "
        "minste behoefte (0 = elk kind telt even zwaar).",
        "A child in the neediest buurt counts 1 + this number times as much as a child in the least needy buurt "
        "(0 = every child counts the same).",
    ),
    "budget_facilities": ("Ook nieuwe voorzieningen overwegen", "Also consider new facilities"),
    "facility_cost": ("Kosten per nieuwe voorziening (€)", "Cost per new facility (€)"),
    "budget_spent": ("Besteed", "Spent"),
    "budget_left": ("Over: {left}", "Left: {left}"),
    "children_reached": ("Kinderen bereikt", "Children reached"),
    "guarantee": ("Zeker van het optimum", "Share of the optimum, at least"),
    "guarantee_help": (
        "Bewezen ondergrens: dit plan haalt minstens dit deel van de best mogelijke waarde (bovengrens uit de "
        "gegevens zelf).",
        "Proven lower bound: this plan reaches at least this share of the best possible value (upper bound from the "
        "data itself).",
    ),
    "budget_nothing": ("Met dit budget is niets te financieren.", "Nothing can be funded with this budget."),
    "budget_steps": ("Voorstel, stap voor stap", "Proposal, step by step"),
    "intervention": ("Ingreep", "Intervention"),
    "cost": ("Kosten", "Cost"),
    "marginal_gain": ("Extra waarde", "Marginal gain"),
    "gain_per_million": ("Waarde per € 1 mln", "Gain per € 1m"),
    "cumulative_cost": ("Totaal besteed", "Cumulative cost"),
    "remaining": ("Over", "Left"),
    "budget_method": ("Methode en grenzen", "Method and limits"),
    "budget_method_text": (
        "**Waarde** = kinderen 0–14 × behoeftegewicht (1 + gewicht × percentiel van de behoefte-index). Een programma "
        "bereikt de kinderen van zijn eigen buurt; een nieuwe voorziening de buurten binnen 10 minuten lopen "
        "(hemelsbreed, 4 km/u) die nu nog niet zo dichtbij een voorziening van die soort liggen. Elke buurt telt één "
        "keer per soort ingreep.\n\n"
        "**Methode**: steeds de betaalbare ingreep met de meeste extra waarde per euro (gretig), vergeleken met de "
        "grootste enkele betaalbare ingreep. Bij gelijke kosten en geen overlap is dat het optimum; bij ongelijke "
        "kosten is het gegarandeerd minstens de helft ervan, bij overlappende voorzieningen minstens (1 − 1/e)/2 "
        "(Khuller, Moss & Naor 1999). De app toont daarnaast een bewezen ondergrens voor deze gegevens.\n\n"
        "**Grenzen**: geen deelnamegraad of capaciteit, behoefte als buurtgemiddelde, buurtpunten niet naar bevolking "
        "gewogen, programma's per buurt en niet per school; "
        "budget en kosten moeten in dezelfde eenheid (bijv. per jaar).",
        "**Value** = children 0–14 × need weight (1 + weight × percentile of the need index). A programme reaches its "
        "own buurt's children; a new facility the buurten within 10 minutes' walk (straight line, 4 km/h) that are not "
        "yet that close to a facility of that type. Each buurt counts once per kind of intervention.\n\n"
        "**Method**: repeatedly the affordable intervention with the most marginal value per euro (greedy), compared "
        "with the largest single affordable intervention. With equal costs and no overlap this is optimal; with "
        "unequal costs it is guaranteed at least half the optimum, with overlapping facilities at least (1 − 1/e)/2 "
        "(Khuller, Moss & Naor 1999). The app also shows a proven lower bound for this data.\n\n"
        "**Limits**: no participation rate or capacity, need as a buurt average, buurt points not population-weighted, "
        "programmes per buurt rather than per school; budget and costs must be in one unit (e.g. per year).",
    ),
})


# Your own files: uploads checked like `python -m geo check` (ui/upload_view.py, geo/data/upload.py).
_TEXT.update({
    "upload_title": ("Eigen bestanden", "Your own files"),
    "upload_intro": (
        "Upload eigen buurten, een CBS-tabel of voorzieningen. Ze worden gecontroleerd zoals `python -m geo check` "
        "doet, blijven alleen in deze sessie en vervangen de meegeleverde gegevens niet. Tot {mb} MB en {n} objecten "
        "per bestand.",
        "Upload your own buurten, a CBS table or facilities. They are checked as `python -m geo check` does, stay in "
        "this session only and do not replace the data that ships with the app. Up to {mb} MB and {n} features per "
        "file.",
    ),
    "upload_buurten": ("Buurten (GeoPackage, GeoJSON of gezipte Shapefile)", "Buurten (GeoPackage, GeoJSON or zipped "
                       "Shapefile)"),
    "upload_cbs": ("CBS-tabel (kerncijfers wijken en buurten, xlsx of csv)", "CBS table (key figures by district and "
                   "buurt, xlsx or csv)"),
    "upload_facilities": ("Voorzieningen (GeoPackage, GeoJSON, CSV of xlsx)", "Facilities (GeoPackage, GeoJSON, CSV or "
                          "xlsx)"),
    "upload_help_buurten": (
        "Verwacht: polygonen met per buurt een CBS-buurtcode (kolom `bu_code`, `buurtcode`, `statcode` of "
        "`gwb_code_10`, bijv. BU03440111) en liefst een naam, met een coördinatenstelsel (RD New of WGS84). Een "
        "Shapefile zipt u met .shp, .shx, .dbf en .prj samen.",
        "Expected: polygons with a CBS buurt code per buurt (column `bu_code`, `buurtcode`, `statcode` or "
        "`gwb_code_10`, e.g. BU03440111) and preferably a name, with a coordinate system (RD New or WGS84). Zip a "
        "Shapefile with its .shp, .shx, .dbf and .prj.",
    ),
    "upload_help_cbs": (
        "Verwacht: een export van CBS Kerncijfers wijken en buurten, één rij per regio met de CBS-code (BU…) en de "
        "variabelen zoals `a_inw` en `a_00_14`; '.', -99999999 en lege cellen tellen als ontbrekend.",
        "Expected: an export of CBS Key figures by district and buurt, one row per region with the CBS code (BU…) and "
        "variables such as `a_inw` and `a_00_14`; '.', -99999999 and empty cells count as missing.",
    ),
    "upload_help_facilities": (
        "Verwacht: één rij of punt per voorziening. Soort uit de kolom `type`, `soort`, `categorie` of `amenity` "
        "(bijv. sporthal, zwembad, bibliotheek, bso, buurthuis), naam uit `naam` of `name`, id uit `id`, coördinaten "
        "uit `x`/`y` of `lon`/`lat` (`longitude`/`latitude`); RD of graden wordt afgeleid uit de waarden. CSV met ; "
        "of , en een decimale komma mag.",
        "Expected: one row or point per facility. Type from the column `type`, `soort`, `categorie` or `amenity` "
        "(e.g. sporthal, zwembad, library, bso, community_centre), name from `naam` or `name`, id from `id`, "
        "coordinates from `x`/`y` or `lon`/`lat` (`longitude`/`latitude`); RD or degrees is decided from the values. "
        "CSV with ; or , and decimal commas is fine.",
    ),
    "upload_type_for_file": ("Soort voor het hele bestand", "Type for the whole file"),
    "upload_type_from_column": ("uit een kolom van het bestand", "from a column of the file"),
    "upload_refused": ("{name} is niet geladen.", "{name} was not loaded."),
    "upload_fix": (
        "Pas het bestand aan en upload het opnieuw; de app werkt intussen verder met de andere gegevens.",
        "Fix the file and upload it again; meanwhile the app carries on with the other data.",
    ),
    "upload_limits_bad": ("De uploadgrenzen zijn verkeerd ingesteld:", "The upload limits are set wrongly:"),
    "upload_server_smaller": (
        "De server neemt bestanden aan tot {mb} MB ({option}), minder dan {env} toestaat: een groter bestand wordt "
        "geweigerd. Vraag de beheerder beide even hoog te zetten.",
        "The server accepts files up to {mb} MB ({option}), less than {env} allows: a larger file is refused. Ask "
        "the administrator to set both to the same size.",
    ),
    "upload_read": ("**{name}**: {kept} van {read} rijen gebruikt.", "**{name}**: {kept} of {read} rows used."),
    "upload_crs_file": ("Coördinatenstelsel van het bestand: {crs}.", "Coordinate system of the file: {crs}."),
    "upload_crs_rd": (
        "Kolommen {x} en {y} gelezen als RD New (EPSG:28992, meters): daar passen de waarden bij.",
        "Columns {x} and {y} read as RD New (EPSG:28992, metres): that is what the values fit.",
    ),
    "upload_crs_lonlat": (
        "Kolommen {x} en {y} gelezen als lengte- en breedtegraad (WGS84, EPSG:4326): daar passen de waarden bij.",
        "Columns {x} and {y} read as longitude and latitude (WGS84, EPSG:4326): that is what the values fit.",
    ),
    "upload_columns": ("Kolommen gebruikt: {cols}.", "Columns used: {cols}."),
    "upload_role_type": ("soort", "type"),
    "upload_role_id": ("id", "id"),
    "upload_role_name": ("naam", "name"),
    "upload_per_type": ("Per soort: {counts}.", "Per type: {counts}."),
    "upload_suppressed": (
        "{n} waarden onderdrukt of leeg (gelezen als ontbrekend).",
        "{n} values suppressed or empty (read as missing).",
    ),
    "upload_unrecognised": (
        "Niet herkende soorten; deze rijen zijn niet gebruikt:",
        "Types not recognised; these rows were not used:",
    ),
    "upload_rows": ("{n} rijen", "{n} rows"),
    "upload_row": ("1 rij", "1 row"),
    "upload_empty_value": ("(leeg)", "(empty)"),
    "upload_known_words": (
        "Herkend worden de namen van de soorten en woorden als {words}.",
        "Recognised are the names of the types and words such as {words}.",
    ),
    "upload_dropped": ("Weggelaten door de controle", "Left out by the checks"),
    "upload_notes": ("Opmerkingen bij het lezen", "Notes from reading"),
    "upload_wait_cbs": (
        "Buurten gelezen. Upload ook een CBS-tabel met dezelfde buurtcodes om ze als eigen gegevens te gebruiken.",
        "Buurten read. Upload a CBS table with the same buurt codes as well to use them as your own data.",
    ),
    "upload_wait_buurten": (
        "CBS-tabel gelezen. Upload ook de buurten (polygonen) met dezelfde buurtcodes om ze te gebruiken.",
        "CBS table read. Upload the buurten (polygons) with the same buurt codes as well to use it.",
    ),
    "upload_active_own": (
        "De app rekent nu met uw eigen buurten en CBS-cijfers ({n} buurten) en {m} voorzieningen in of bij die "
        "buurten. CBS-nabijheidsafstanden zitten niet in een upload: elke afstand is gemeten vanaf de punten.",
        "The app now works on your own buurten and CBS figures ({n} buurten) and {m} facilities in or near those "
        "buurten. CBS proximity distances are not part of an upload: every distance is measured from the points.",
    ),
    "upload_active_extra": (
        "De app rekent nu met {name}: de meegeleverde voorzieningen plus {n} geüploade, in de rangorde en op de kaart.",
        "The app now works on {name}: the facilities that ship with it plus {n} uploaded ones, in the ranking and on "
        "the map.",
    ),
    "upload_outside": (
        "{n} geüploade voorziening(en) liggen meer dan {km} km buiten de buurten en zijn niet gebruikt.",
        "{n} uploaded facilities lie more than {km} km outside the buurten and were not used.",
    ),
    "upload_cbs_road": (
        "Voor {types} rekent de rangorde zonder straten-netwerk met de CBS-afstand over de weg; de geüploade punten "
        "staan op de kaart maar veranderen die afstand niet.",
        "For {types} the ranking uses the CBS road distance when no street network is loaded; the uploaded points are "
        "on the map but do not change that distance.",
    ),
    "upload_session_only": (
        "Alleen in deze sessie: sluit u het tabblad, dan zijn de geüploade bestanden weg.",
        "This session only: close the tab and the uploaded files are gone.",
    ),
    "upload_save_title": ("Bewaren als dataset", "Save as dataset"),
    "upload_save_name": ("Naam van de dataset (letters, cijfers, - en _)", "Dataset name (letters, digits, - and _)"),
    "upload_save_button": ("Bewaar als dataset", "Save as dataset"),
    "upload_saved": (
        "Bewaard in {path}. De meegeleverde gegevens zijn niet veranderd. Openen met:",
        "Saved in {path}. The data that ships with the app was not changed. Open it with:",
    ),
    "upload_save_needs": (
        "Bewaren kan zodra voorzieningen, of buurten én een CBS-tabel, gelezen zijn.",
        "Saving is possible once facilities, or buurten and a CBS table, have been read.",
    ),
    # the Scholen tab (ui/schools_view.py)
    "spinner_schools": ("Bereik vanaf de scholen berekenen …", "Computing reach from the schools …"),
    "schools_intro": (
        "De regeling **School en Omgeving** is voor basisschoolvestigingen met de hoogste relatieve "
        "CBS-achterstandsscores. Per vestiging: welke van de vijf ontwikkeldomeinen hebben een aanbieder op "
        "loopafstand **vanaf de school**, en waar zit het tekort? *{eligible}* is een **schatting** op de "
        "CBS-scores van {year} (de vestigingen met de hoogste relatieve score die samen {share}% van de leerlingen "
        "in het land hebben), geen besluit over wie in aanmerking komt.",
        "The **School en Omgeving** scheme is for primary-school branches with the highest relative CBS "
        "disadvantage scores. Per branch: which of the five development domains have a provider within walking "
        "distance **from the school**, and where is the gap? *{eligible}* is an **estimate** on the CBS scores of "
        "{year} (the branches with the highest relative scores that together hold {share}% of the country's "
        "pupils), not a decision on who qualifies.",
    ),
    "schools_none": (
        "Er staan geen basisscholen (DUO) in de gegevens van {name}: er is niets per school te tonen.",
        "The data of {name} holds no primary schools (DUO): there is nothing to show per school.",
    ),
    "schools_minutes": ("Binnen bereik: lopend binnen", "In reach: walking within"),
    "schools_minutes_help": (
        "Een domein is binnen bereik als er een aanbieder is op zoveel minuten lopen in kindertempo vanaf de "
        "school. Los van de keuze voor reizen in de zijbalk.",
        "A domain is in reach when a provider is within this many minutes' walk at a child's pace from the "
        "school. Independent of the travel choice in the sidebar.",
    ),
    "schools_upload": (
        "Lijst van de gemeente: vestigingen die in aanmerking komen (CSV, XLSX of TXT)",
        "The municipality's list of eligible branches (CSV, XLSX or TXT)",
    ),
    "schools_upload_help": (
        "Een tabel met een kolom VESTIGINGSCODE (of een tekstbestand met één code per regel), codes zoals "
        "00AP00. De lijst wordt alleen in deze sessie gebruikt.",
        "A table with a VESTIGINGSCODE column (or a text file with one code per line), codes like 00AP00. The "
        "list is used in this session only.",
    ),
    "schools_upload_not_text": (
        "'{name}' is geen leesbaar tekstbestand (UTF-8): verwacht één vestigingscode per regel.",
        "'{name}' is not a readable text file (UTF-8): expected one branch code per line.",
    ),
    "schools_list_matched": (
        "**{name}**: {matched} van de {n} codes horen bij een vestiging in deze gegevens ({branches} vestigingen).",
        "**{name}**: {matched} of the {n} codes belong to a branch in this data ({branches} branches).",
    ),
    "schools_list_unknown": (
        "Niet gevonden onder de vestigingen van {name}: {codes}",
        "Not found among the branches of {name}: {codes}",
    ),
    "schools_list_not_codes": (
        "Geen vestigingscode, genegeerd: {values}",
        "Not a branch code, ignored: {values}",
    ),
    "schools_measure": (
        "Bereik vanaf de school: lopen in kindertempo ({speed} km/u), {measure}.",
        "Reach from the school: walking at a child's pace ({speed} km/h), {measure}.",
    ),
    "schools_notes": ("Opmerkingen bij de scholen", "Notes on the schools"),
    "schools_pick": ("Kies een school (of klik op de kaart)", "Pick a school (or click the map)"),
    "schools_table_title": ("Alle vestigingen", "All branches"),
    "schools_table_caption": (
        "Klik op een kolomkop om te sorteren, op een rij om de tekortkaart van die school te openen.",
        "Click a column header to sort, a row to open that school's gap card.",
    ),
    "schools_card_download": ("Tekortkaart (HTML, afdrukbaar)", "Gap card (HTML, printable)"),
    "schools_download_csv": ("Alle vestigingen (CSV)", "All branches (CSV)"),
    "schools_no_score": ("geen score", "no score"),
})

# The map as tables (ui/map_table.py).
_TEXT.update({
    "map_table": ("Kaart als tabel", "Map as table"),
    "map_table_intro": (
        "Alles wat de kaart laat zien, ook als tabel: de buurten met de waarde van de kaartlaag, de voorzieningen "
        "op de kaart en, met isochronen, welke buurten binnen bereik liggen.",
        "Everything the map shows, also as a table: the buurten with the value of the map layer, the facilities on "
        "the map and, with isochrones, which buurten are within reach.",
    ),
    "map_table_pick_municipality": (
        "Kies hierboven een gemeente bij '{zoom}' om haar buurten als tabel te zien.",
        "Choose a municipality under '{zoom}' above to see its buurten as a table.",
    ),
    "map_table_buurten": ("Buurten — {layer}", "Buurten — {layer}"),
    "map_table_name": ("Naam", "Name"),
    "map_table_outside": ("buiten de buurten op de kaart", "outside the buurten on the map"),
    "map_table_location": ("Locatie", "Location"),
    "map_table_band": ("Reistijd", "Travel time"),
    "map_table_band_value": ("{minutes} min {mode}", "{minutes} min {mode}"),
    "map_table_buurten_in": ("Buurten binnen bereik", "Buurten within reach"),
    "map_table_buurt_names": ("Welke buurten", "Which buurten"),
})

# A concept is named in geo.terms only; a key in both tables is a programming error caught on import.
_TWICE = sorted(set(_TEXT) & set(TERMS))
if _TWICE:
    raise ImportError(f"ui.i18n repeats names that geo.terms defines: {', '.join(_TWICE)}")


def t(key: str, lang: str = "nl", **kwargs: object) -> str:
    """The text for ``key`` in ``lang``, formatted with ``kwargs``; concept names come from :mod:`geo.terms`.

    An unknown language raises :class:`geo.errors.ParameterError`, as everywhere
    in the product (the share link turns a bad ``lang`` into a notice first).
    """
    text = pick(_TEXT[key] if key in _TEXT else TERMS[key], lang)
    return text.format(**kwargs) if kwargs else text
