"""The method text shown in the app (Dutch and English)."""

from __future__ import annotations

METHOD_NL = """
**Welke buurten tellen mee?** Alle buurten met inwoners (CBS). Buurten zonder inwoners staan wel op de kaart maar
krijgen geen plaats.

**Indicatoren.** Per buurt: kinderen 0–14 (aantal en aandeel), bijstandsuitkeringen per 1.000 inwoners,
gemiddelde WOZ-waarde, aandeel corporatiewoningen, inkomen en laag-inkomensaandeel (waar CBS ze publiceert), en de
afstand tot voorzieningen van een rijke schooldag. Elke indicator heeft een richting: *meer = meer behoefte*
(bijv. bijstand, afstand) of *minder = meer behoefte* (bijv. WOZ-waarde).

**Standaardiseren.** Elke indicator wordt een z-score over de buurten met inwoners (gemiddelde 0,
standaardafwijking 1; scikit-learn `StandardScaler`), maal de richting, afgekapt op −3 en +3 zodat één uitschieter
niet alles bepaalt.

**Ontbrekende waarden (beleid: mediaan).** CBS laat waarden weg in kleine buurten (privacy, teken `.`). Een
ontbrekende waarde wordt vervangen door de mediaan van de andere buurten: de buurt gaat er op die indicator dan niet
op vooruit en niet op achteruit. Het aantal buurten waarvoor dit gebeurde staat onder de kaart. Een indicator zonder
enige waarde in deze dataset telt niet mee (en dat staat er ook).

**Scores.** *Behoefte-index* = gewogen gemiddelde van de z-scores van de achterstandsindicatoren;
*afstandsachterstand* = idem voor de afstanden; *bereik* = idem voor het aantal kinderen. De *prioriteitsscore* is
de som van de bijdragen van alle indicatoren: bijdrage = gewicht × z-score / som van de gebruikte gewichten. Zo is
voor elke buurt precies te zien welke indicator hoeveel bijdraagt. Plaats 1 = hoogste prioriteit; gelijke scores
krijgen dezelfde plaats.

**Afstanden.** Waar CBS een afstand over de weg publiceert (kinderdagverblijf, bso, bibliotheek, zwembad) gebruiken
we die: het gemiddelde over alle adressen in de buurt. Voor puntlagen (sport, scholen) meten we hemelsbreed vanaf een
punt in de buurt — dat is een benadering en staat overal zo aangegeven, tot er een straten-netwerk is geladen.
"""

METHOD_EN = """
**Which buurten count?** All buurten with inhabitants (CBS). Buurten without inhabitants are shown on the map but
not ranked.

**Indicators.** Per buurt: children 0–14 (count and share), social-assistance benefits per 1,000 inhabitants,
average WOZ value, share of housing-corporation dwellings, income and low-income share (where CBS publishes them),
and the distance to the facilities of a rich school day. Each indicator has a direction: *more = more need*
(e.g. benefits, distance) or *less = more need* (e.g. WOZ value).

**Standardising.** Each indicator becomes a z-score over the buurten with inhabitants (mean 0, standard deviation 1;
scikit-learn `StandardScaler`), times its direction, clipped to −3…+3 so one outlier cannot decide everything.

**Missing values (policy: median).** CBS suppresses values in small buurten (privacy, marker `.`). A missing value
is replaced by the median of the other buurten, so the buurt neither gains nor loses on that indicator. The number
of buurten affected is shown below the map. An indicator with no value at all in this dataset is not used (and the
app says so).

**Scores.** *Need index* = weighted mean of the z-scores of the deprivation indicators; *access gap* = the same for
distances; *reach* = the same for the number of children. The *priority score* is the sum of the contributions of
all indicators: contribution = weight × z-score / sum of used weights, so every buurt's score can be taken apart
line by line. Rank 1 = highest priority; equal scores share a rank.

**Distances.** Where CBS publishes a road distance (day nursery, after-school care, library, swimming pool) we use
it: the mean over all addresses in the buurt. For point layers (sport, schools) we measure in a straight line from
a point in the buurt — an approximation, labelled as such everywhere, until a street network is loaded.
"""


def method_text(lang: str) -> str:
    return METHOD_NL if lang == "nl" else METHOD_EN
