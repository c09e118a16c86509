"""The content of the decision pack, in words and figures; no HTML.

:func:`build_pack_content` turns a ranking (and optionally its robustness) into
one frozen :class:`PackContent`: the header, the summary, the top buurten with
why, the robustness texts, the weights and distance tables, the method, the
sources and the disclaimer, every figure already formatted for the language.
:mod:`layers.decision_pack` renders it through an autoescaping template and adds
the maps; it does not call back into ``geo``. Given a
:class:`geo.decide.schools.SchoolsResult`, the pack also has a *Scholen* section
(:class:`SchoolsSection`): the branches with the highest gap score and the gap
cards (:mod:`geo.report.school_card`) of the first few and of a chosen school.

Each sentence is written once, as a ``(Dutch, English)`` template filled by one
code path (:func:`geo.lang.pick`). Concept names (priority score, need index,
access gap, rank, buurt, children, robust …) come from :mod:`geo.terms`; the
pack's own headings are in :data:`_WORDS`. All texts are plain text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pandas as pd

from geo import schema
from geo.catalog import INDICATORS
from geo.decide.explain import explain_buurt
from geo.decide.pipeline import PipelineResult
from geo.decide.robustness import robust_counts
from geo.decide.schools import SchoolsResult
from geo.errors import MissingColumnError, ParameterError
from geo.lang import check_lang, format_date, format_number, pick
from geo.report.method import MethodSection, join_words, lower_first, method_sections, n_buurten
from geo.report.record import access_measure_rows, data_sources, municipality_name, preset_description
from geo.report.school_card import (
    GapCard,
    card_word,
    eligible_estimate_note,
    gap_card,
    ranked_by_gap,
    reach_measure_note,
)
from geo.terms import group_name, measure_label, term

__all__ = [
    "AccessRow",
    "PackContent",
    "Robustness",
    "SchoolRow",
    "SchoolsSection",
    "SourceRow",
    "TopRow",
    "WeightRow",
    "build_pack_content",
    "check_robustness",
    "map_title",
    "robustness_headline",
    "robustness_parts",
    "robustness_summary",
    "schools_section",
    "top_buurten",
    "unpack_robustness",
    "weights_table",
]


#: The pack's own headings and fixed lines (concept names come from geo.terms).
_WORDS = MappingProxyType(
    {
        "doc": ("Beslisdocument", "Decision pack"),
        "title": ("Rijke schooldag: waar eerst investeren?", "Rich school day: where to invest first?"),
        "share_link": ("Deze weging in de app", "This weighting in the app"),
        "no_share_link": ("geen link meegegeven", "no link given"),
        "app_version": ("Versie van de planner", "Planner version"),
        "unknown": ("onbekend", "unknown"),
        "summary": ("Samenvatting", "Summary"),
        "map": ("Kaart", "Map"),
        "top": ("De buurten met de hoogste prioriteit", "The buurten with the highest priority"),
        "method": ("Methode", "Method"),
        "weights": ("Gewichten", "Weights"),
        "indicator": ("Indicator", "Indicator"),
        "group": ("Groep", "Group"),
        "direction": ("Richting", "Direction"),
        "imputed": ("Mediaan ingevuld", "Median filled in"),
        "measure": ("Gemeten als", "Measured as"),
        "access": ("Afstanden per voorziening", "Distances per facility type"),
        "facility_type": ("Voorziening", "Facility type"),
        "n_facilities": ("Locaties", "Locations"),
        "n_buurten_value": ("Buurten met waarde", "Buurten with a value"),
        "sources": ("Gegevens en licenties", "Data and licences"),
        "source": ("Bron", "Source"),
        "publisher": ("Uitgever", "Publisher"),
        "year": ("Jaar", "Year"),
        "licence": ("Licentie", "Licence"),
        "attribution": ("Naamsvermelding", "Attribution"),
        "build_notes": ("Bij het samenstellen van de gegevens", "When the data were built"),
        "interactive": ("Interactieve kaart", "Interactive map"),
        "schools_top": ("Scholen met de hoogste tekortscore", "Schools with the highest gap score"),
    }
)

#: Sentences, each once in both languages; ``{...}`` are filled in by the code below.
_SENTENCES = MappingProxyType(
    {
        "page_title": ("{doc}: {title} — {municipality} ({date})", "{doc}: {title} — {municipality} ({date})"),
        "map_title": ("Rijke schooldag — {municipality}", "Rijke schooldag — {municipality}"),
        "map_note": ("{date} · {weighting}: {preset}", "{date} · {weighting}: {preset}"),
        # summary
        "ranked": ("{n_ranked} van de {n_all} buurten zijn gerangschikt", "{n_ranked} of {n_all} buurten are ranked"),
        "excluded": ("; {n} zonder inwoners tellen niet mee.", "; {n} without inhabitants are left out."),
        "highest": ("Hoogste prioriteit: {names}.", "Highest priority: {names}."),
        "children": (
            "In de top {n} wonen {children} kinderen van 0–14 jaar, {share}% van alle kinderen in de "
            "gerangschikte buurten.",
            "The top {n} is home to {children} children aged 0–14, {share}% of all children in the ranked buurten.",
        ),
        "combines": (
            "De {score} combineert {n} indicatoren ({weighting}: {preset}).",
            "The {score} combines {n} indicators ({weighting}: {preset}).",
        ),
        "unused": (
            "Niet meegeteld omdat gegevens ontbreken: {names}.",
            "Not counted because data are missing: {names}.",
        ),
        # the top table
        "score_note": (
            "{score}, {need} en {gap} zijn gestandaardiseerde scores: 0 = gemiddelde buurt, 1 = één "
            "standaardafwijking meer behoefte.",
            "{score}, {need} and {gap} are standardised scores: 0 = the average buurt, 1 = one standard deviation "
            "more need.",
        ),
        "other_weightings": ("Bij andere wegingen: {detail}.", "Under other weightings: {detail}."),
        "not_used": ("niet gebruikt: {reason}", "not used: {reason}"),
        "disclaimer": (
            "Gemaakt met de Rijke Schooldag Planner. De rangorde is een hulpmiddel bij het kiezen, geen besluit: "
            "weeg de cijfers samen met wat de scholen en de buurt zelf weten.",
            "Made with the Rijke Schooldag Planner. The ranking helps to choose; it is not a decision: weigh the "
            "figures together with what schools and the buurt itself know.",
        ),
        # sources
        "years": ("Statistiek {stat}, buurtgrenzen {geom}.", "Statistics {stat}, buurt boundaries {geom}."),
        "osm": (
            "Kaartachtergrond in de interactieve kaart: © OpenStreetMap-bijdragers (ODbL), alleen online. "
            "Kaartbibliotheek: Leaflet 1.9.4 (BSD-2-Clause).",
            "Background map in the interactive map: © OpenStreetMap contributors (ODbL), online only. "
            "Map library: Leaflet 1.9.4 (BSD-2-Clause).",
        ),
        # robustness
        "rob_not_computed": (
            "Niet berekend: voor dit document is niet doorgerekend hoe de rangorde verandert bij andere "
            "gewichten. Lees de volgorde daarom als één weging, niet als vaststaand.",
            "Not computed: this document does not include how the ranking changes under other weights. Read "
            "the order as the result of one weighting, not as settled.",
        ),
        "rob_summary": (
            "Doorgerekend met{draws} wegingen rond de gekozen weging (elk gewicht willekeurig wat hoger of lager). "
            "{n_robust} van de {n_known} buurten in de top {n} blijven daarbij in de top {n} ({robust})",
            "Recomputed with{draws} weightings around the chosen one (each weight randomly somewhat higher or "
            "lower). {n_robust} of the {n_known} buurten in the top {n} stay in the top {n} ({robust})",
        ),
        "rob_sensitive": ("; {count} {verb} af van de weging: {names}", "; {count} {verb} on the weighting: {names}"),
        "rob_share": (
            ". Het percentage bij elke buurt is het aandeel wegingen waarin zij in de top {n} staat.",
            ". The percentage with each buurt is the share of weightings that put it in the top {n}.",
        ),
        "rob_missing": (" Voor {buurten} ontbreekt de berekening.", " The computation is missing for {buurten}."),
        "rob_headline_not_computed": (
            "Robuustheid bij andere gewichten: niet berekend.",
            "Robustness under other weights: not computed.",
        ),
        "rob_headline": (
            "Bij andere gewichten blijven {n_robust} van de {n_known} buurten in de top; {count} {verb} af van de "
            "weging.",
            "Under other weights {n_robust} of the {n_known} buurten stay in the top; {count} {verb} on the "
            "weighting.",
        ),
        "in_the_top": ("in de top", "in the top"),
        # schools
        "schools_intro": (
            "{n} basisscholen (DUO) in {municipality}, naar tekortscore: per school de domeinen zonder aanbieder "
            "binnen {m} minuten lopen × de relatieve achterstandsscore × de leerlingen.",
            "{n} primary-school branches (DUO) in {municipality}, by gap score: per school the domains without a "
            "provider within a {m}-minute walk × the relative disadvantage score × the pupils.",
        ),
        "schools_cards": (
            "Op de volgende bladzijden de tekortkaart van {which}, elk op een eigen bladzijde.",
            "The following pages hold the gap card of {which}, each on a page of its own.",
        ),
        "schools_top_cards": (
            "de {n} scholen met de hoogste tekortscore",
            "the {n} schools with the highest gap score",
        ),
        "schools_top_card": ("de school met de hoogste tekortscore", "the school with the highest gap score"),
        "schools_selected": ("de gekozen school", "the selected school"),
        "schools_no_score": (
            "{n} scholen hebben geen CBS-achterstandsscore (nieuwe scholen) en dus geen tekortscore; zij staan "
            "onderaan, niet op 0.",
            "{n} branches have no CBS disadvantage score (new schools) and so no gap score; they are listed last, "
            "not as 0.",
        ),
        "schools_none": (
            "Deze dataset heeft geen basisscholen (DUO).",
            "This dataset has no primary-school branches (DUO).",
        ),
    }
)
#: "hangt/hangen (af)", "depends/depend (on)": singular and plural.
_DEPEND_VERB = MappingProxyType({1: ("hangt", "depends"), 2: ("hangen", "depend")})


def _say(key: str, lang: str, **fields: object) -> str:
    text = pick(_SENTENCES[key], lang)
    return text.format(**fields) if fields else text


def _depend_verb(count: int, lang: str) -> str:
    return pick(_DEPEND_VERB[1 if count == 1 else 2], lang)


def _num(value: object, lang: str, decimals: int | None = 2) -> str:
    return format_number(value, lang=lang, decimals=decimals)  # type: ignore[arg-type]


def _is_nan(value: object) -> bool:
    try:
        return value is None or value is pd.NA or math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- the map's title box


def map_title(result: PipelineResult, *, lang: str = "nl", created: datetime | None = None) -> tuple[str, str]:
    """Title and note of the standalone map's title box: municipality; date, weighting and data sources."""
    created = created or datetime.now(UTC)
    attributions = [str(s.get("attribution", "")) for s in data_sources(result)]
    sources = "; ".join(dict.fromkeys(a for a in attributions if a))
    title = _say("map_title", lang, municipality=municipality_name(result))
    note = _say(
        "map_note",
        lang,
        date=format_date(created.date(), lang),
        weighting=term("weighting", lang),
        preset=preset_description(result, lang),
    )
    return title, f"{note} · {sources}" if sources else note


# --------------------------------------------------------------------------- robustness


@dataclass(frozen=True)
class Robustness:
    """A robustness table with what it was computed from (both optional)."""

    table: pd.DataFrame
    #: Number of weight draws behind the table.
    n_draws: int | None = None
    #: *N* of ``share_top_n`` and ``weight_sensitive``.
    top_n: int | None = None


def unpack_robustness(robustness: object, result: PipelineResult) -> Robustness | None:
    """Accept a robustness table in any of the forms the app has at hand.

    ``robustness`` may be ``None`` (then the ranking table's own robustness
    columns are used when it has all of them), a DataFrame with
    :data:`geo.schema.ROBUSTNESS_COLUMNS`, a :class:`Robustness`, or an
    object with ``table`` and optionally ``n_draws`` and ``top_n`` attributes
    (:class:`geo.decide.robustness.RobustnessResult`).
    """
    if robustness is None:
        table = result.table
        if all(c in table.columns for c in schema.ROBUSTNESS_COLUMNS):
            frame = table[[*schema.ROBUSTNESS_COLUMNS]].set_axis(table[schema.BUURT_CODE].astype(str).to_numpy())
            return Robustness(frame)
        return None
    if isinstance(robustness, Robustness):
        return robustness
    if isinstance(robustness, pd.DataFrame):
        return Robustness(robustness)
    frame = getattr(robustness, "table", None)
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(
            f"robustness: expected a table with {', '.join(schema.ROBUSTNESS_COLUMNS)}; "
            f"found {type(robustness).__name__}."
        )
    return Robustness(frame, getattr(robustness, "n_draws", None), getattr(robustness, "top_n", None))


def check_robustness(robustness: pd.DataFrame, result: PipelineResult) -> pd.DataFrame:
    """Validate a robustness table and index it by buurt code.

    ``robustness`` has the :data:`geo.schema.ROBUSTNESS_COLUMNS` and either a
    ``buurt_code`` column or buurt codes as its index.
    """
    frame = robustness.set_index(schema.BUURT_CODE) if schema.BUURT_CODE in robustness.columns else robustness
    missing = [c for c in schema.ROBUSTNESS_COLUMNS if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"robustness: expected column(s) {', '.join(missing)}; found: {', '.join(map(str, frame.columns))}."
        )
    frame = frame.copy()
    frame.index = frame.index.astype(str)
    unknown = sorted(set(frame.index) - set(result.table[schema.BUURT_CODE].astype(str)))
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise ParameterError(f"robustness: {len(unknown)} buurt code(s) are not in the ranking: {shown}.")
    return frame


def robustness_parts(
    robustness: pd.DataFrame | None, code: str, lang: str = "nl", *, top_n: int | None = None
) -> tuple[str, str]:
    """('robuust', 'plaats 1–3, 98% in de top 10') for one buurt; ('', '') when not computed.

    ``rank_p05``–``rank_p95`` is the range of ranks over the weightings tried;
    ``share_top_n`` the share of weightings with the buurt in the top ``top_n``.
    """
    if robustness is None or code not in robustness.index:
        return "", ""
    row = robustness.loc[code]
    if _is_nan(row["weight_sensitive"]):
        return "", ""
    verdict = term("depends_on_weights" if bool(row["weight_sensitive"]) else "robust", lang)
    low, high = row["rank_p05"], row["rank_p95"]
    parts = []
    if not _is_nan(low) and not _is_nan(high):
        low_text, high_text = f"{float(low):.0f}", f"{float(high):.0f}"
        span = low_text if low_text == high_text else f"{low_text}–{high_text}"
        parts.append(f"{term('rank', lang).lower()} {span}")
    share = row["share_top_n"]
    if not _is_nan(share):
        where = _say("in_the_top", lang) + (f" {top_n}" if top_n else "")
        parts.append(f"{100 * float(share):.0f}% {where}")
    return verdict, ", ".join(parts)


def robustness_summary(
    top: pd.DataFrame, *, lang: str = "nl", n_draws: int | None = None, top_n: int | None = None
) -> str:
    """One paragraph on how stable the top is when the weights change; says so when it was not computed.

    ``top`` is :func:`top_buurten` with a robustness table; ``top_n`` is the
    *N* the robustness was computed for (default: the length of ``top``).
    """
    if "weight_sensitive" not in top.columns:
        return _say("rob_not_computed", lang)
    n_robust, sensitive, n_missing = robust_counts(top)
    n = top_n or len(top)
    text = _say(
        "rob_summary",
        lang,
        draws=f" {format_number(n_draws, lang=lang)}" if n_draws else "",
        n_robust=n_robust,
        n_known=len(top) - n_missing,
        n=n,
        robust=term("robust", lang),
    )
    if sensitive:
        verb = _depend_verb(len(sensitive), lang)
        text += _say("rob_sensitive", lang, count=len(sensitive), verb=verb, names=", ".join(sensitive))
    text += _say("rob_share", lang, n=n)
    if n_missing:
        text += _say("rob_missing", lang, buurten=n_buurten(n_missing))
    return text


def robustness_headline(top: pd.DataFrame, *, lang: str = "nl") -> str:
    """One line for the summary: how many of the top stay there under other weights, or 'not computed'."""
    if "weight_sensitive" not in top.columns:
        return _say("rob_headline_not_computed", lang)
    n_robust, sensitive, n_missing = robust_counts(top)
    return _say(
        "rob_headline",
        lang,
        n_robust=n_robust,
        n_known=len(top) - n_missing,
        count=len(sensitive),
        verb=_depend_verb(len(sensitive), lang),
    )


# --------------------------------------------------------------------------- tables


def top_buurten(
    result: PipelineResult,
    *,
    n: int = 10,
    lang: str = "nl",
    robustness: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``n`` highest-priority buurten with their scores and why.

    Returns
    -------
    pandas.DataFrame
        Indexed by buurt code, in rank order; columns ``buurt_name,
        wijk_name, rank, priority_score, need_index, access_gap,
        children_0_14, explanation`` and, with ``robustness``, its
        :data:`geo.schema.ROBUSTNESS_COLUMNS`. Ties at place ``n`` are all kept.
    """
    check_lang(lang)
    if n < 1:
        raise ParameterError(f"Number of top buurten must be at least 1; found {n}.")
    table = result.table
    ranked = table[table[schema.STATUS] == schema.STATUS_RANKED].sort_values(
        [schema.RANK, schema.BUURT_CODE], kind="mergesort"
    )
    cutoff = ranked[schema.RANK].iloc[min(n, len(ranked)) - 1] if len(ranked) else 0
    top = ranked[ranked[schema.RANK] <= cutoff]
    measures = result.prepared.access.measures
    explanations = [
        explain_buurt(table, result.ranking, code, lang=lang, measures=measures).sentence
        for code in top[schema.BUURT_CODE]
    ]
    wijk = top[schema.WIJK_NAME] if schema.WIJK_NAME in top.columns else pd.Series("", index=top.index)
    out = pd.DataFrame(
        {
            schema.BUURT_NAME: top[schema.BUURT_NAME].astype(str).to_numpy(),
            schema.WIJK_NAME: wijk.to_numpy(),
            schema.RANK: top[schema.RANK].astype(int).to_numpy(),
            schema.PRIORITY_SCORE: top[schema.PRIORITY_SCORE].to_numpy(dtype=float),
            schema.NEED_INDEX: top[schema.NEED_INDEX].to_numpy(dtype=float),
            schema.ACCESS_GAP: top[schema.ACCESS_GAP].to_numpy(dtype=float),
            schema.CHILDREN_0_14: top[schema.CHILDREN_0_14].to_numpy(dtype=float),
            "explanation": explanations,
        },
        index=pd.Index(top[schema.BUURT_CODE].astype(str).to_numpy(), name=schema.BUURT_CODE),
    )
    if robustness is not None:
        rob = check_robustness(robustness, result)
        out = out.join(rob[list(schema.ROBUSTNESS_COLUMNS)], how="left")
    return out


def weights_table(result: PipelineResult, lang: str = "nl") -> pd.DataFrame:
    """One row per weighted indicator: label, group, direction, weight, used or why not, imputed, measure.

    ``measure`` is the full label of the distance measure, ``measure_short`` a
    few words for a table cell; both are empty for indicators that are not distances.

    Used indicators first (heaviest weight first), then the ones that could not be used.
    """
    measures = result.prepared.access.measures
    rows = []
    for use in result.ranking.uses:
        ind = INDICATORS[use.key]
        measure = short = ""
        m = measures.get(ind.facility_type) if ind.facility_type is not None else None
        if m is not None:
            measure = m.label(lang)
            short = measure_label(m.method, lang, short=True)
        rows.append(
            {
                "key": use.key,
                "label": ind.label(lang),
                "group": group_name(ind.group, lang),
                "direction": term("more_is_need" if ind.direction > 0 else "less_is_need", lang),
                "weight": float(use.weight),
                "used": bool(use.used),
                "status": "" if use.used else term(use.reason, lang),
                "n_imputed": int(use.n_imputed),
                "measure": measure,
                "measure_short": short,
                "approximation": bool(m is not None and m.is_approximation),
            }
        )
    frame = pd.DataFrame.from_records(rows)
    if frame.empty:
        return frame
    order = frame.assign(_u=~frame["used"], _w=-frame["weight"]).sort_values(["_u", "_w", "key"], kind="mergesort")
    return frame.loc[order.index].reset_index(drop=True)


# --------------------------------------------------------------------------- the content object


@dataclass(frozen=True)
class TopRow:
    """One of the top buurten, every figure formatted."""

    code: str
    rank: int
    name: str
    #: The wijk's name, or '' when the table has none.
    wijk: str
    priority_score: str
    need_index: str
    access_gap: str
    children: str
    #: The sentence that says why the buurt is here.
    why: str
    #: 'robuust' / 'hangt af van de weging' / 'niet berekend'; ``None`` when the pack has no robustness.
    robustness: str | None
    sensitive: bool
    #: 'Bij andere wegingen: plaats 1–4, 95% in de top 10.' or ''.
    robustness_detail: str


@dataclass(frozen=True)
class WeightRow:
    """One weighted indicator in the method's weights table."""

    label: str
    #: '' when used, else 'niet gebruikt: <reason>'.
    status: str
    group: str
    direction: str
    weight: str
    imputed: str
    measure: str
    approximation: bool
    used: bool


@dataclass(frozen=True)
class AccessRow:
    """How the distances to one facility type were measured."""

    label: str
    measure: str
    caveat: str
    approximation: bool
    n_facilities: str
    n_buurten_with_value: str


@dataclass(frozen=True)
class SourceRow:
    """One data source; ``url`` only when it is a web link."""

    title: str
    url: str
    publisher: str
    year: str
    licence: str
    attribution: str


@dataclass(frozen=True)
class SchoolRow:
    """One school in the pack's table of gap scores, every figure formatted."""

    rank: int
    code: str
    name: str
    pupils: str
    relative_score: str
    #: 'ja' / 'nee' / 'geen score (nieuwe school)': the estimate, labelled in the section's notes.
    eligible_like: str
    domains_missing: str
    gap_score: str


@dataclass(frozen=True)
class SchoolsSection:
    """The pack's Scholen section: the branches by gap score and the gap cards to print."""

    heading: str
    intro: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[SchoolRow, ...]
    #: The estimate's label, approximations, branches without a score.
    notes: tuple[str, ...]
    #: The gap cards, each printed on its own page: the first by gap score, then the selected school.
    cards: tuple[GapCard, ...]


@dataclass(frozen=True)
class PackContent:
    """Everything the decision pack says, in one language, as plain text (escape when rendering)."""

    lang: str
    #: The pack's headings (keys of :data:`_WORDS`, plus 'weighting' and 'robustness') in ``lang``.
    words: Mapping[str, str]
    page_title: str
    title: str
    municipality: str
    date: str
    weighting: str
    #: The app link as given (stripped), or ''; only a web link becomes clickable.
    share_link: str
    share_link_is_web: bool
    app_version: str
    summary: tuple[str, ...]
    robustness: str
    robustness_computed: bool
    top_headers: tuple[str, ...]
    top: tuple[TopRow, ...]
    score_note: str
    disclaimer: str
    method: tuple[MethodSection, ...]
    weights_headers: tuple[str, ...]
    weights: tuple[WeightRow, ...]
    access_headers: tuple[str, ...]
    access: tuple[AccessRow, ...]
    sources_headers: tuple[str, ...]
    sources: tuple[SourceRow, ...]
    #: 'Statistiek 2023, buurtgrenzen 2023.' or ''.
    years: str
    osm_note: str
    build_notes: tuple[str, ...]
    #: The Scholen section; ``None`` when the pack was made without schools.
    schools: SchoolsSection | None = None

    @property
    def numbered(self) -> dict[str, int]:
        """Buurt code → rank of the top buurten (the numbers on the print map)."""
        return {row.code: row.rank for row in self.top}


def _summary(result: PipelineResult, top: pd.DataFrame, lang: str) -> tuple[str, ...]:
    table = result.table
    ranked = table[table[schema.STATUS] == schema.STATUS_RANKED]
    children_all = float(pd.to_numeric(ranked[schema.CHILDREN_0_14], errors="coerce").sum())
    children_top = float(pd.to_numeric(top[schema.CHILDREN_0_14], errors="coerce").sum())
    share = 100 * children_top / children_all if children_all else float("nan")
    n_excluded = len(table) - len(ranked)
    ranked_text = _say("ranked", lang, n_ranked=len(ranked), n_all=len(table))
    items = [
        ranked_text + (_say("excluded", lang, n=n_excluded) if n_excluded else "."),
        _say("highest", lang, names=", ".join(top[schema.BUURT_NAME].head(3).astype(str))),
        _say("children", lang, n=len(top), children=_num(children_top, lang, 0), share=_num(share, lang, 0)),
        _say(
            "combines",
            lang,
            score=term("priority_score", lang).lower(),
            n=len(result.ranking.used),
            weighting=term("weighting", lang).lower(),
            preset=preset_description(result, lang),
        ),
    ]
    unused = [lower_first(INDICATORS[u.key].label(lang)) for u in result.ranking.unused]
    if unused:
        items.append(_say("unused", lang, names=", ".join(unused)))
    items.append(robustness_headline(top, lang=lang))
    return tuple(items)


def _top_rows(top: pd.DataFrame, lang: str, top_n: int) -> tuple[TopRow, ...]:
    has_rob = "weight_sensitive" in top.columns
    rows = []
    for code, r in top.iterrows():
        verdict, detail, sensitive = None, "", False
        if has_rob:
            verdict, detail = robustness_parts(top, str(code), lang, top_n=top_n)
            verdict = verdict or term("not_computed", lang)
            flag = r.get("weight_sensitive")
            sensitive = not _is_nan(flag) and bool(flag)
        wijk = r.get(schema.WIJK_NAME)
        rows.append(
            TopRow(
                code=str(code),
                rank=int(r[schema.RANK]),
                name=str(r[schema.BUURT_NAME]),
                wijk=wijk if isinstance(wijk, str) else "",
                priority_score=_num(r[schema.PRIORITY_SCORE], lang),
                need_index=_num(r[schema.NEED_INDEX], lang),
                access_gap=_num(r[schema.ACCESS_GAP], lang),
                children=_num(r[schema.CHILDREN_0_14], lang, 0),
                why=str(r["explanation"]),
                robustness=verdict,
                sensitive=sensitive,
                # The figures behind the verdict go under the explanation, where there is room for them.
                robustness_detail=_say("other_weightings", lang, detail=detail) if detail else "",
            )
        )
    return tuple(rows)


def _weight_rows(result: PipelineResult, lang: str) -> tuple[WeightRow, ...]:
    rows = []
    for r in weights_table(result, lang).itertuples():
        # A dash for a used indicator without filled-in values; nothing for one that was not used.
        imputed = (_num(r.n_imputed, lang, 0) if r.n_imputed else "–") if r.used else ""
        rows.append(
            WeightRow(
                label=r.label,
                status="" if r.used else _say("not_used", lang, reason=r.status),
                group=r.group,
                direction=r.direction,
                weight=_num(r.weight, lang, 1),
                imputed=imputed,
                measure=r.measure_short,
                approximation=bool(r.approximation),
                used=bool(r.used),
            )
        )
    return tuple(rows)


def _access_rows(result: PipelineResult, lang: str) -> tuple[AccessRow, ...]:
    return tuple(
        AccessRow(
            label=a["label"],
            measure=a["measure"],
            caveat=a["caveat"],
            approximation=bool(a["approximation"]),
            n_facilities=str(a["n_facilities"]),
            n_buurten_with_value=str(a["n_buurten_with_value"]),
        )
        for a in access_measure_rows(result, lang)
    )


def _source_rows(result: PipelineResult) -> tuple[SourceRow, ...]:
    rows = []
    for s in data_sources(result):
        url = str(s.get("url", ""))
        rows.append(
            SourceRow(
                title=str(s.get("title", "")),
                url=url if url.lower().startswith(("http://", "https://")) else "",
                publisher=str(s.get("publisher", "")),
                year=str(s.get("year", "")),
                licence=str(s.get("licence", "")),
                attribution=str(s.get("attribution", "")),
            )
        )
    return tuple(rows)


#: Schools in the pack's table, and gap cards printed for the first of them.
SCHOOL_TABLE_N = 10
SCHOOL_CARDS_N = 3


def schools_section(
    schools: SchoolsResult,
    result: PipelineResult,
    lang: str = "nl",
    *,
    selected_school: str | None = None,
    top_n: int = SCHOOL_TABLE_N,
    n_cards: int = SCHOOL_CARDS_N,
    created: datetime | None = None,
) -> SchoolsSection:
    """The Scholen section: the ``top_n`` branches by gap score and the cards of the first ``n_cards`` (+ selected).

    The cards take their catchment need from ``result`` (the ranking the pack is about); a ``selected_school``
    that is not a branch of ``schools`` is a :class:`~geo.errors.ParameterError` (from
    :func:`geo.report.school_card.gap_card`).
    """
    check_lang(lang)
    if top_n < 1 or n_cards < 0:
        raise ParameterError(f"Schools in the pack: expected top_n ≥ 1 and n_cards ≥ 0; found {top_n}, {n_cards}.")
    municipality = municipality_name(result)
    branches = schools.branches
    ordered = ranked_by_gap(schools)
    m = format_number(schools.settings.minutes, lang=lang, decimals=0 if float(schools.settings.minutes).is_integer()
                      else 1)
    rows = []
    for k, (code, r) in enumerate(ordered.head(top_n).iterrows(), start=1):
        like = r[schema.ELIGIBLE_LIKE]
        rows.append(
            SchoolRow(
                rank=k,
                code=str(code),
                name=str(r[schema.SCHOOL_NAME]),
                pupils=_num(r[schema.PUPILS], lang, 0),
                relative_score=_num(r[schema.RELATIVE_SCORE], lang, 2),
                eligible_like=card_word("no_score" if _is_nan(like) else "yes" if like else "no", lang),
                domains_missing=_num(r[schema.DOMAINS_MISSING], lang, 0),
                gap_score=_num(r[schema.GAP_SCORE], lang, 0),
            )
        )
    scored = ordered[ordered[schema.GAP_SCORE].notna()]

    def card(code: str) -> GapCard:
        return gap_card(schools, code, result.table, lang, dataset_name=municipality, created=created)

    cards = {str(code): card(str(code)) for code in scored.index[:n_cards]}
    if selected_school is not None:
        chosen = card(selected_school)
        cards.setdefault(chosen.code, chosen)
    intro = [_say("schools_intro", lang, n=len(branches), municipality=municipality, m=m)]
    if not len(branches):
        intro = [_say("schools_none", lang)]
    which = []
    n_top = min(n_cards, len(scored))
    if n_top:
        which.append(_say("schools_top_cards", lang, n=n_top) if n_top > 1 else _say("schools_top_card", lang))
    if selected_school is not None:
        which.append(_say("schools_selected", lang))
    if which:
        intro.append(_say("schools_cards", lang, which=join_words(which, lang)))
    listed = schema.ELIGIBLE_LISTED in branches.columns and branches[schema.ELIGIBLE_LISTED].notna().any()
    year = branches[schema.SCORE_YEAR].dropna().iloc[0] if branches[schema.SCORE_YEAR].notna().any() else None
    estimate = eligible_estimate_note(lang, year, list_loaded=bool(listed))
    notes = [f"{estimate[:1].upper()}{estimate[1:]}."]
    measure = reach_measure_note(schools, lang)
    if measure:
        notes.append(measure)
    n_none = int(branches[schema.RELATIVE_SCORE].isna().sum())
    if n_none:
        notes.append(_say("schools_no_score", lang, n=n_none))
    headers = (term("rank", lang), term("school", lang), term("pupils", lang), term("relative_score", lang),
               term("eligible_like", lang), term("domains_missing", lang), term("gap_score", lang))
    return SchoolsSection(
        heading=term("schools", lang),
        intro=tuple(intro),
        headers=headers,
        rows=tuple(rows),
        notes=tuple(notes),
        cards=tuple(cards.values()),
    )


def _words(lang: str) -> Mapping[str, str]:
    words: dict[str, Any] = {key: pick(pair, lang) for key, pair in _WORDS.items()}
    words["weighting"] = term("weighting", lang)
    words["robustness"] = term("robustness", lang)
    return MappingProxyType(words)


def build_pack_content(
    result: PipelineResult,
    robustness: object = None,
    lang: str = "nl",
    *,
    robustness_draws: int | None = None,
    top_n: int = 10,
    share_link: str | None = None,
    app_version: str | None = None,
    created: datetime | None = None,
    schools: SchoolsResult | None = None,
    selected_school: str | None = None,
) -> PackContent:
    """Everything the decision pack of ``result`` says, as one frozen object.

    Parameters
    ----------
    result
        The ranking (:func:`geo.decide.pipeline.rank`).
    robustness
        Any form :func:`unpack_robustness` accepts (``None``: the ranking
        table's own robustness columns, else 'not computed').
    lang
        ``"nl"`` or ``"en"``.
    robustness_draws
        Number of weightings behind a robustness table (a result object says so itself).
    top_n
        Number of buurten in the top table (ties at the last place are all kept).
    share_link, app_version, created
        Shown in the header (``created`` defaults to now).
    schools
        The dataset's schools (:func:`geo.decide.schools.analyse_schools`): adds the Scholen section
        (:func:`schools_section`); ``None``: the pack has no school section.
    selected_school
        A branch code whose gap card is printed too (with ``schools`` only).
    """
    check_lang(lang)
    if top_n < 1:
        raise ParameterError(f"Number of top buurten must be at least 1; found {top_n}.")
    created = created or datetime.now(UTC)
    meta = result.prepared.dataset.meta
    rob = unpack_robustness(robustness, result)
    top = top_buurten(result, n=top_n, lang=lang, robustness=None if rob is None else rob.table)
    draws = robustness_draws or (rob.n_draws if rob else None)
    rob_top_n = (rob.top_n if rob else None) or top_n
    words = _words(lang)
    municipality = municipality_name(result)
    date_text = format_date(created.date(), lang)
    link = (share_link or "").strip()
    top_headers = [term(k, lang) for k in ("rank", "buurt", "priority_score", "need_index", "access_gap", "children")]
    if "weight_sensitive" in top.columns:
        top_headers.append(words["robustness"])
    years = ""
    if meta.get("statistics_year") or meta.get("geometry_year"):
        years = _say("years", lang, stat=meta.get("statistics_year", "?"), geom=meta.get("geometry_year", "?"))
    return PackContent(
        lang=lang,
        words=words,
        page_title=_say("page_title", lang, doc=words["doc"], title=words["title"], municipality=municipality,
                        date=date_text),
        title=words["title"],
        municipality=municipality,
        date=date_text,
        weighting=preset_description(result, lang),
        share_link=link,
        share_link_is_web=link.lower().startswith(("http://", "https://")),
        app_version=app_version or words["unknown"],
        summary=_summary(result, top, lang),
        robustness=robustness_summary(top, lang=lang, n_draws=draws, top_n=rob_top_n),
        robustness_computed="weight_sensitive" in top.columns,
        top_headers=tuple(top_headers),
        top=_top_rows(top, lang, rob_top_n),
        score_note=_say(
            "score_note",
            lang,
            score=term("priority_score", lang),
            need=term("need_index", lang).lower(),
            gap=term("access_gap", lang).lower(),
        ),
        disclaimer=_say("disclaimer", lang),
        method=method_sections(result, lang),
        weights_headers=(words["indicator"], words["group"], words["direction"], term("weight", lang),
                         words["imputed"], words["measure"]),
        weights=_weight_rows(result, lang),
        access_headers=(words["facility_type"], words["measure"], words["n_facilities"], words["n_buurten_value"]),
        access=_access_rows(result, lang),
        sources_headers=tuple(words[k] for k in ("source", "publisher", "year", "licence", "attribution")),
        sources=_source_rows(result),
        years=years,
        osm_note=_say("osm", lang),
        build_notes=tuple(str(n) for n in meta.get("build_notes") or ()),
        schools=None if schools is None else schools_section(
            schools, result, lang, selected_school=selected_school, created=created
        ),
    )
