"""What an export records about a ranking, and the content of the decision pack.

Pure: a :class:`~geo.decide.pipeline.PipelineResult` in; dicts, strings, bytes and
frames out. Nothing here writes files (``layers/export.py`` does) or draws
(``layers/report.py`` turns this content into HTML, map and all).

A CSV file cannot hold metadata, so the ranking travels with a sidecar
``<name>.method.json`` (:func:`method_json`) that records the preset, the
weights, the missing-value policy, the distance measure per facility type,
the dataset and its sources, the date and the app version. The GeoPackage
carries the same record in its layer metadata (:func:`gpkg_metadata`).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo import schema
from geo.catalog import (
    FACILITY_TYPES,
    INDICATORS,
    PRESET_LABELS,
    get_preset,
)
from geo.decide.explain import explain_buurt
from geo.decide.robustness import robust_counts
from geo.errors import MissingColumnError, ParameterError
from geo.lang import check_lang, format_number, pick
from geo.terms import group_name, measure_label, term

if TYPE_CHECKING:
    from geo.decide.pipeline import PipelineResult

#: File name (without extension) of the ranking downloads.
EXPORT_BASENAME = "rangorde_rijke_schooldag"
#: Suffix of the sidecar that records the method of a CSV ranking.
METHOD_SIDECAR_SUFFIX = ".method.json"
#: Identifies the layout of :func:`method_record`; raise the number when it changes incompatibly.
METHOD_FORMAT = "rijke-schooldag-planner/method/1"

_MISSING_POLICY_TEXT = {
    "median": (
        ("Een ontbrekende waarde van een buurt met inwoners wordt vervangen door de mediaan van de andere buurten; "
        "de buurt gaat er op die indicator dan niet op vooruit en niet op achteruit."),
        ("A missing value of a buurt with inhabitants is replaced by the median of the other buurten, so the buurt "
        "neither gains nor loses on that indicator."),
    ),
}


def preset_description(result: PipelineResult, lang: str = "nl") -> str:
    """The preset's label, with '(aangepast)' / '(adjusted)' when the weights differ from it."""
    preset = result.params.preset
    if preset is None or preset not in PRESET_LABELS:
        return pick(("eigen weging", "custom weights"), lang)
    label = pick(PRESET_LABELS[preset], lang)
    preset_weights = {k: float(v) for k, v in get_preset(preset).items() if v > 0}
    used = {k: float(v) for k, v in result.params.weights if v > 0}
    if used != preset_weights:
        label += pick((" (aangepast)", " (adjusted)"), lang)
    return label


# --------------------------------------------------------------------------- method record


def method_record(
    result: PipelineResult,
    *,
    created: datetime | None = None,
    app_version: str | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce or judge a ranking, as JSON-ready data.

    Parameters
    ----------
    result
        The ranking to describe.
    created
        When the export was made (default: now, UTC).
    app_version
        Version or git commit of the app (``None`` when unknown).

    Returns
    -------
    dict
        Keys ``format, created, app_version, dataset, method, preset, weights,
        indicators, access_measures, buurten, columns``.
    """
    from geo.decide.pipeline import output_columns

    params = result.params
    ranking = result.ranking
    meta = result.prepared.dataset.meta
    measures = result.prepared.access.measures
    created = created or datetime.now(UTC)
    table = result.table
    n_ranked = int((table[schema.STATUS] == schema.STATUS_RANKED).sum())
    indicators = []
    for use in ranking.uses:
        ind = INDICATORS[use.key]
        entry: dict[str, Any] = {
            "key": use.key,
            "label_nl": ind.label_nl,
            "label_en": ind.label_en,
            "group": ind.group,
            "direction": ind.direction,
            "unit": ind.unit,
            "definition": ind.definition,
            "weight": use.weight,
            "used": use.used,
            "n_imputed": use.n_imputed,
        }
        if not use.used:
            entry["reason"] = use.reason
        if ind.facility_type is not None and ind.facility_type in measures:
            entry["access_measure"] = measures[ind.facility_type].method
        indicators.append(entry)
    return {
        "format": METHOD_FORMAT,
        "created": created.isoformat(timespec="seconds"),
        "app_version": app_version,
        "dataset": {
            "name": result.prepared.dataset.name,
            "municipality_code": meta.get("municipality_code"),
            "statistics_year": meta.get("statistics_year"),
            "geometry_year": meta.get("geometry_year"),
            "sources": [dict(s) for s in meta.get("sources", [])],
        },
        "method": {
            "score": "priority_score = sum over used indicators of weight × z / sum of used weights",
            "standardising": (
                f"z-score over the ranked buurten (scikit-learn StandardScaler) × direction, "
                f"clipped to ±{params.clip_z:g}"
            ),
            "groups": "need_index, access_gap, reach_score = weighted mean of the z-scores within the group",
            "rank": "1 = highest priority score; equal scores (to 1e-9) share a rank",
            "missing_policy": params.missing_policy,
            "missing_policy_text": _MISSING_POLICY_TEXT.get(params.missing_policy, ("", ""))[1],
            "clip_z": params.clip_z,
            "ranked_buurten": "buurten with inhabitants > 0",
        },
        "preset": params.preset,
        "preset_label": preset_description(result, "en"),
        "weights": {k: w for k, w in params.weights},
        "indicators": indicators,
        "access_measures": {
            key: {
                "method": m.method,
                "label_nl": m.label("nl"),
                "label_en": m.label("en"),
                "approximation": m.is_approximation,
                "n_facilities": m.n_facilities,
                "n_buurten_with_value": m.n_buurten_with_value,
                "caveat_en": m.caveat_en or None,
                "mode": m.mode,
                "speed_kmh": m.speed_kmh,
            }
            for key, m in measures.items()
        },
        "buurten": {"n": len(table), "n_ranked": n_ranked, "n_excluded": int(ranking.n_excluded)},
        "columns": output_columns(table),
    }


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def method_json(result: PipelineResult, **kwargs: Any) -> str:
    """:func:`method_record` as indented JSON (the ``.method.json`` sidecar of a CSV export)."""
    return json.dumps(method_record(result, **kwargs), ensure_ascii=False, indent=2, default=_json_default) + "\n"


def gpkg_metadata(result: PipelineResult, **kwargs: Any) -> dict[str, str]:
    """Layer metadata for a GeoPackage export: readable key/value pairs plus the full record.

    Pass it as ``metadata=`` to :func:`geo.data.files.write_table`. The short keys
    (``preset``, ``weights``, ``missing_policy``, ``access_measures``,
    ``dataset``, ``created``, ``app_version``) can be read in QGIS's layer
    properties; ``method_json`` holds the whole :func:`method_record`.
    """
    record = method_record(result, **kwargs)
    return {
        "method": "z-scores × direction (median imputation, clipped), weighted sum; see method_json",
        "preset": str(record["preset"]),
        "weights": ";".join(f"{k}={w:g}" for k, w in record["weights"].items()),
        "missing_policy": record["method"]["missing_policy"],
        "access_measures": ";".join(f"{k}={m['method']}" for k, m in record["access_measures"].items()),
        "dataset": str(record["dataset"]["name"]),
        "created": record["created"],
        "app_version": str(record["app_version"] or "unknown"),
        "method_json": json.dumps(record, ensure_ascii=False, default=_json_default),
    }


def ranking_csv_bytes(result: PipelineResult) -> bytes:
    """The ranking as CSV (UTF-8), the same columns as the CLI's ``rank --out x.csv``."""
    from geo.decide.pipeline import output_columns

    table = result.table
    return table[output_columns(table)].to_csv(index=False).encode("utf-8")


def ranking_zip_bytes(
    result: PipelineResult,
    *,
    basename: str = EXPORT_BASENAME,
    created: datetime | None = None,
    app_version: str | None = None,
) -> bytes:
    """A zip with ``<basename>.csv`` and its ``<basename>.method.json`` sidecar, for one download."""
    created = created or datetime.now(UTC)
    buffer = io.BytesIO()
    # The entries carry the export time rather than the clock: one ranking and one time give the same bytes.
    stamp = created.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(f"{basename}.csv", stamp), ranking_csv_bytes(result))
        zf.writestr(
            zipfile.ZipInfo(f"{basename}{METHOD_SIDECAR_SUFFIX}", stamp),
            method_json(result, created=created, app_version=app_version).encode("utf-8"),
        )
    return buffer.getvalue()


# --------------------------------------------------------------------------- decision-pack content


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
            f"robustness: expected a table with {', '.join(schema.ROBUSTNESS_COLUMNS)}; found {type(robustness).__name__}."
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
    ranked = table[table[schema.STATUS] == schema.STATUS_RANKED].sort_values([schema.RANK, schema.BUURT_CODE], kind="mergesort")
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
    if bool(row["weight_sensitive"]):
        verdict = pick(("hangt af van de weging", "depends on weighting"), lang)
    else:
        verdict = pick(("robuust", "robust"), lang)
    low, high = row["rank_p05"], row["rank_p95"]
    parts = []
    if not _is_nan(low) and not _is_nan(high):
        low_text, high_text = f"{float(low):.0f}", f"{float(high):.0f}"
        span = low_text if low_text == high_text else f"{low_text}–{high_text}"
        parts.append(pick((f"plaats {span}", f"rank {span}"), lang))
    share = row["share_top_n"]
    if not _is_nan(share):
        pct = f"{100 * float(share):.0f}%"
        where = pick(("in de top", "in the top"), lang) + (f" {top_n}" if top_n else "")
        parts.append(f"{pct} {where}")
    return verdict, ", ".join(parts)


def robustness_text(
    robustness: pd.DataFrame | None, code: str, lang: str = "nl", *, top_n: int | None = None
) -> str:
    """'robuust (plaats 1–3, 98% in de top 10)' for one buurt, or '' when not computed."""
    verdict, detail = robustness_parts(robustness, code, lang, top_n=top_n)
    return f"{verdict} ({detail})" if verdict and detail else verdict


def robustness_summary(
    top: pd.DataFrame, *, lang: str = "nl", n_draws: int | None = None, top_n: int | None = None
) -> str:
    """One paragraph on how stable the top is when the weights change; says so when it was not computed.

    ``top`` is :func:`top_buurten` with a robustness table; ``top_n`` is the
    *N* the robustness was computed for (default: the length of ``top``).
    """
    if "weight_sensitive" not in top.columns:
        return pick(
            (
                ("Niet berekend: voor dit document is niet doorgerekend hoe de rangorde verandert bij andere "
                "gewichten. Lees de volgorde daarom als één weging, niet als vaststaand."),
                ("Not computed: this document does not include how the ranking changes under other weights. Read "
                "the order as the result of one weighting, not as settled."),
            ),
            lang,
        )
    n_robust, sensitive, n_missing = robust_counts(top)
    n = top_n or len(top)
    draws = f" {format_number(n_draws, lang=lang)}" if n_draws else ""
    if lang == "nl":
        text = (
            f"Doorgerekend met{draws} wegingen rond de gekozen weging (elk gewicht willekeurig wat hoger of "
            f"lager). {n_robust} van de {len(top) - n_missing} buurten in de top {n} blijven daarbij in de top "
            f"{n} (robuust)"
        )
        if sensitive:
            verb = "hangt" if len(sensitive) == 1 else "hangen"
            text += f"; {len(sensitive)} {verb} af van de weging: {', '.join(sensitive)}"
        text += f". Het percentage bij elke buurt is het aandeel wegingen waarin zij in de top {n} staat."
    else:
        text = (
            f"Recomputed with{draws} weightings around the chosen one (each weight randomly somewhat higher or "
            f"lower). {n_robust} of the {len(top) - n_missing} buurten in the top {n} stay in the top {n} "
            f"(robust)"
        )
        if sensitive:
            verb = "depends" if len(sensitive) == 1 else "depend"
            text += f"; {len(sensitive)} {verb} on the weighting: {', '.join(sensitive)}"
        text += f". The percentage with each buurt is the share of weightings that put it in the top {n}."
    if n_missing:
        text += pick(
            (f" Voor {_buurten(n_missing)} ontbreekt de berekening.",
             f" The computation is missing for {n_missing} buurt(en)."),
            lang,
        )
    return text


def robustness_headline(top: pd.DataFrame, *, lang: str = "nl") -> str:
    """One line for the summary: how many of the top stay there under other weights, or 'not computed'."""
    if "weight_sensitive" not in top.columns:
        return pick(
            ("Robuustheid bij andere gewichten: niet berekend.", "Robustness under other weights: not computed."),
            lang,
        )
    n_robust, sensitive, n_missing = robust_counts(top)
    n_known = len(top) - n_missing
    if lang == "nl":
        verb = "hangt" if len(sensitive) == 1 else "hangen"
        return (
            f"Bij andere gewichten blijven {n_robust} van de {n_known} buurten in de top; "
            f"{len(sensitive)} {verb} af van de weging."
        )
    verb = "depends" if len(sensitive) == 1 else "depend"
    return (
        f"Under other weights {n_robust} of the {n_known} buurten stay in the top; "
        f"{len(sensitive)} {verb} on the weighting."
    )


def _is_nan(value: object) -> bool:
    try:
        return value is None or value is pd.NA or math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


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
        if ind.facility_type is not None and ind.facility_type in measures:
            m = measures[ind.facility_type]
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
                "approximation": bool(
                    ind.facility_type is not None
                    and ind.facility_type in measures
                    and measures[ind.facility_type].is_approximation
                ),
            }
        )
    frame = pd.DataFrame.from_records(rows)
    if frame.empty:
        return frame
    order = frame.assign(_u=~frame["used"], _w=-frame["weight"]).sort_values(["_u", "_w", "key"], kind="mergesort")
    return frame.loc[order.index].reset_index(drop=True)


def _buurten(n: int) -> str:
    return f"{n} buurt" if n == 1 else f"{n} buurten"


def method_paragraphs(result: PipelineResult, lang: str = "nl") -> list[str]:
    """The method in a few plain-text paragraphs for this ranking (escape before putting them in HTML)."""
    params = result.params
    table = result.table
    n_ranked = int((table[schema.STATUS] == schema.STATUS_RANKED).sum())
    n_all = len(table)
    policy = pick(_MISSING_POLICY_TEXT.get(params.missing_policy, (params.missing_policy,) * 2), lang)
    policy_name = term(params.missing_policy, lang)
    imputed = [u for u in result.ranking.used if u.n_imputed]
    straight = [
        k for k, m in result.prepared.access.measures.items()
        if m.is_approximation and any(
            INDICATORS[u.key].facility_type == k for u in result.ranking.used
        )
    ]
    if lang == "nl":
        paras = [
            (f"Gerangschikt zijn de {n_ranked} van de {n_all} buurten met inwoners (CBS). Buurten zonder inwoners "
            "staan op de kaart maar krijgen geen plaats."),
            (f"Elke indicator wordt een z-score over deze buurten (gemiddelde 0, standaardafwijking 1), maal zijn "
            f"richting, afgekapt op ±{params.clip_z:g} zodat één uitschieter niet alles bepaalt. De bijdrage van "
            "een indicator is gewicht × z-score / som van de gebruikte gewichten; de prioriteitsscore is de som "
            "van de bijdragen. De achterstandsindex en het bereikbaarheidstekort zijn het gewogen gemiddelde van de "
            "z-scores binnen hun groep. Plaats 1 is de hoogste prioriteit; gelijke scores delen een plaats."),
            f"Ontbrekende waarden (beleid ‘{policy_name}’): {policy}"
            + (
                " Dit gebeurde voor: "
                + "; ".join(f"{INDICATORS[u.key].label('nl').lower()} ({_buurten(u.n_imputed)})" for u in imputed)
                + "."
                if imputed
                else ""
            ),
        ]
        if straight:
            names = ", ".join(FACILITY_TYPES[k].label("nl").lower() for k in straight)
            paras.append(
                f"Afstanden tot {names} zijn hemelsbreed gemeten vanaf een punt in de buurt: een benadering, "
                "geen reisafstand. De maat per voorziening staat in de tabel hieronder."
            )
        return paras
    paras = [
        (f"Ranked: the {n_ranked} of {n_all} buurten with inhabitants (CBS). Buurten without inhabitants are on the "
        "map but not ranked."),
        (f"Each indicator becomes a z-score over these buurten (mean 0, standard deviation 1), times its direction, "
        f"clipped to ±{params.clip_z:g} so that one outlier cannot decide everything. An indicator's contribution "
        "is weight × z-score / sum of the used weights; the priority score is the sum of the contributions. The need "
        "index and access gap are the weighted means of the z-scores within their group. Rank 1 is the highest "
        "priority; equal scores share a rank."),
        f"Missing values (policy ‘{policy_name}’): {policy}"
        + (
            " This happened for: "
            + "; ".join(f"{INDICATORS[u.key].label('en').lower()} ({_buurten(u.n_imputed)})" for u in imputed)
            + "."
            if imputed
            else ""
        ),
    ]
    if straight:
        names = ", ".join(FACILITY_TYPES[k].label("en").lower() for k in straight)
        paras.append(
            f"Distances to {names} are straight lines from a point in the buurt: an approximation, not a travel "
            "distance. The measure per facility type is in the table below."
        )
    return paras


def data_sources(result: PipelineResult) -> list[dict[str, Any]]:
    """The dataset's sources (title, publisher, year, licence, attribution, url) as recorded in ``dataset.json``."""
    return [dict(s) for s in result.prepared.dataset.meta.get("sources", [])]


def access_measure_rows(result: PipelineResult, lang: str = "nl") -> list[dict[str, Any]]:
    """Per facility type: the measure used, its caveat, and how many facilities and buurten have a value."""
    rows = []
    for key, m in result.prepared.access.measures.items():
        caveat = m.caveat_nl if lang == "nl" else m.caveat_en
        rows.append(
            {
                "facility_type": key,
                "label": FACILITY_TYPES[key].label(lang) if key in FACILITY_TYPES else key,
                "measure": m.label(lang),
                "approximation": m.is_approximation,
                "caveat": caveat or "",
                "n_facilities": int(m.n_facilities),
                "n_buurten_with_value": int(m.n_buurten_with_value),
            }
        )
    return rows


def municipality_name(result: PipelineResult) -> str:
    """The municipality of the ranking: the dataset name, else the table's municipality column."""
    name = result.prepared.dataset.name
    if name:
        return str(name)
    col = result.table.get(schema.MUNICIPALITY_NAME)
    if col is not None and col.notna().any():
        return str(col.dropna().iloc[0])
    return ""


def weights_mapping(result: PipelineResult) -> Mapping[str, float]:
    """The weights of the ranking by indicator key."""
    return dict(result.params.weights)
