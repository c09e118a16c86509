"""Ranked table, detail panel, method, sources and downloads."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import schema
from geo.catalog import FACILITY_TYPES, INDICATORS
from geo.data import files
from geo.decide.explain import explain_buurt
from geo.decide.pipeline import PipelineResult, output_columns
from geo.decide.ranking import n_municipalities
from geo.lang import format_number, format_value, pick
from geo.report.record import EXPORT_BASENAME, gpkg_metadata, ranking_csv_bytes
from geo.schema import STRAIGHT_LINE
from geo.terms import group_score_name
from ui.charts import rows_y, show_row_chart
from ui.i18n import t
from ui.markdown import md_escape


def buurt_names(table: pd.DataFrame) -> dict[str, str]:
    """The name of every buurt as a list shows it: with its municipality when the table holds several
    (the country has many a 'Centrum')."""
    names = table[schema.BUURT_NAME].astype(str)
    if n_municipalities(table) > 1:
        names = names + " · " + table[schema.MUNICIPALITY_NAME].fillna(table[schema.MUNICIPALITY_CODE]).astype(str)
    return dict(zip(table[schema.BUURT_CODE], names, strict=True))


def render_ranking_table(result: PipelineResult, lang: str) -> str | None:
    """The ranked table; returns the buurt code of a row the user selected, if any.

    A table of several municipalities (the country, 14,000 rows) adds the municipality and, when ranked within
    each municipality, the rank there; the columns are whole arrays, so the table stays quick to build.
    """
    tbl = result.table
    several = n_municipalities(tbl) > 1
    places: dict[str, pd.Series] = {}
    if several and schema.RANK_IN_MUNICIPALITY in tbl.columns:
        places[t("local_rank", lang)] = tbl[schema.RANK_IN_MUNICIPALITY]
    where = {t("municipality", lang): tbl[schema.MUNICIPALITY_NAME]} if several else {
        t("wijk", lang): tbl[schema.WIJK_NAME]}
    # The rank, then the name and where it is (in a narrow column the name must not scroll out of sight).
    view = pd.DataFrame(
        {
            t("rank", lang): tbl[schema.RANK],
            t("buurt", lang): tbl[schema.BUURT_NAME],
            **where,
            **places,
            t("children", lang): tbl[schema.CHILDREN_0_14],
            t("priority_score", lang): tbl[schema.PRIORITY_SCORE].round(2),
            t("need_index", lang): tbl[schema.NEED_INDEX].round(2),
            t("access_gap", lang): tbl[schema.ACCESS_GAP].round(2),
        }
    )
    view.index = tbl[schema.BUURT_CODE].to_numpy()
    event = st.dataframe(
        view,
        height=420,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="ranking_table",
        column_config={t("children", lang): st.column_config.NumberColumn(format="%d")},
    )
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    return str(view.index[rows[0]]) if rows else None


def render_detail(result: PipelineResult, code: str, lang: str, *, key: tuple) -> None:
    """Explain why buurt ``code`` ranks where it does (``key``: the ranking's cache key, for the chart)."""
    expl = explain_buurt(result.table, result.ranking, code, lang=lang, measures=result.prepared.access.measures)
    table = result.table
    row = table.loc[code]
    several = n_municipalities(table) > 1
    within = several and result.params.normalisation == "municipality"
    st.markdown(f"#### {md_escape(expl.buurt_name)}")
    cells = iter(st.columns(5 if within else 4))
    next(cells).metric(t("national_rank" if several else "rank", lang),
                       f"{format_number(expl.rank, lang=lang)} / {format_number(expl.n_ranked, lang=lang)}"
                       if expl.rank else "–")
    municipality = str(row.get(schema.MUNICIPALITY_NAME) or row.get(schema.MUNICIPALITY_CODE) or "")
    same = table[schema.MUNICIPALITY_CODE] == row.get(schema.MUNICIPALITY_CODE) if several else None
    n_local = int((same & (table[schema.STATUS] == schema.STATUS_RANKED)).sum()) if same is not None else 0
    if within:
        local = row.get(schema.RANK_IN_MUNICIPALITY)
        next(cells).metric(t("local_rank", lang), f"{local} / {n_local}" if expl.rank and pd.notna(local) else "–")
    next(cells).metric(t("priority_score", lang), format_number(row[schema.PRIORITY_SCORE], lang=lang, decimals=2))
    next(cells).metric(t("need_index", lang), format_number(row[schema.NEED_INDEX], lang=lang, decimals=2))
    next(cells).metric(t("children", lang), format_number(row[schema.CHILDREN_0_14], lang=lang))
    st.info(md_escape(expl.sentence))
    if several:
        key = "detail_normalised_municipality" if within else "detail_normalised_national"
        st.caption(t(key, lang, name=md_escape(expl.buurt_name), municipality=md_escape(municipality),
                     n=format_number(n_local if within else expl.n_ranked, lang=lang)))
    _render_nearest_school(result, code, lang)
    if expl.rows.empty or expl.rank is None:
        return
    rows = expl.rows.copy()
    rows["label"] = rows["label"].astype(str)
    show_row_chart(("contributions", key, code, lang), lambda: _contribution_chart(rows, lang), len(rows))
    measures = result.prepared.access.measures
    table = pd.DataFrame(
        {
            t("indicator", lang): [
                r.label + (_measure_suffix(measures, r.key, lang)) for r in rows.itertuples()
            ],
            t("value", lang): [format_value(r.value, r.unit, lang=lang) for r in rows.itertuples()],
            t("percentile_national" if several and not within else "percentile", lang): [
                format_number(r.percentile, lang=lang) for r in rows.itertuples()
            ],
            t("direction", lang): [
                t("more_is_need" if r.direction > 0 else "less_is_need", lang) for r in rows.itertuples()
            ],
            t("weight", lang): [format_number(r.weight, lang=lang, decimals=1) for r in rows.itertuples()],
            t("group_contribution", lang): [
                f"{format_number(r.group_contribution, lang=lang, decimals=3)} · {group_score_name(r.group, lang)}"
                for r in rows.itertuples()
            ],
            t("contribution", lang): [format_number(r.contribution, lang=lang, decimals=3) for r in rows.itertuples()],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def _contribution_chart(rows: pd.DataFrame, lang: str) -> dict:
    """One bar per indicator: what it adds to (red) or takes from (blue) the buurt's priority score."""
    values = [{"label": str(label), "contribution": float(c)}
              for label, c in zip(rows["label"], rows["contribution"], strict=True)]
    return {
        "title": t("contrib_chart", lang),
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "contribution", "type": "quantitative", "title": t("contribution", lang)},
            "y": rows_y("label"),
            "color": {"condition": {"test": "datum.contribution > 0", "value": "#b2182b"}, "value": "#2166ac"},
            "tooltip": [{"field": "label", "type": "nominal", "title": t("indicator", lang)},
                        {"field": "contribution", "type": "quantitative", "format": ".3f"}],
        },
    }


def _render_nearest_school(result: PipelineResult, code: str, lang: str) -> None:
    """The nearest primary school with its pupils and how precise its location is."""
    col = schema.nearest_col("primary_school")
    if col not in result.table.columns or not isinstance(result.table.at[code, col], str):
        return
    fac = result.prepared.dataset.facilities
    school = fac.loc[result.table.at[code, col]]
    dist = format_number(result.table.at[code, schema.dist_col("primary_school")], lang=lang)
    pupils = format_number(school.get(schema.FACILITY_CAPACITY), lang=lang)
    precision = {
        "pc4_centroid": t("precision_pc4", lang),
        "pc6": t("precision_pc6", lang),
    }.get(str(school.get(schema.LOCATION_PRECISION)), "")
    measure = result.prepared.access.measures.get("primary_school")
    how = measure.label(lang) if measure is not None else ""
    time_col = minutes_col(result.table, "primary_school")
    if time_col and pd.notna(result.table.at[code, time_col]):
        how += f", {format_number(result.table.at[code, time_col], lang=lang)} min"
    st.caption(
        t("nearest_school", lang, name=md_escape(school[schema.FACILITY_NAME]), pupils=pupils, dist=dist, measure=how)
        + (f" ⚠️ {precision}" if precision else "")
    )


def minutes_col(table, facility_type: str) -> str | None:
    """The travel-time column of a facility type when a network measured it."""
    col = schema.time_col(facility_type)
    return col if col in table.columns else None


def _measure_suffix(measures: dict, key: str, lang: str) -> str:
    ind = INDICATORS[key]
    if ind.facility_type is None or ind.facility_type not in measures:
        return ""
    m = measures[ind.facility_type]
    return f" [{m.label(lang)}]"


def render_network_status(prepared, access, lang: str) -> None:
    """Say plainly whether distances are over a street network or straight-line."""
    engine = prepared.engine
    name = prepared.dataset.name
    if engine is None:
        if prepared.dataset.meta.get("kind") == "base_layer":  # no folder to point a download at: fetch instead
            country = n_municipalities(prepared.dataset.buurten) > 1  # nothing to fetch for the country at once
            st.info(t("no_network_country" if country else "no_network_base", lang,
                      mode=t(f"mode_{access.mode}", lang).lower(), name=md_escape(name)))
            return
        st.info(
            t(
                "no_network", lang, mode=t(f"mode_{access.mode}", lang).lower(), name=md_escape(name),
                polygon=_relative(Path(prepared.dataset.directory) / "dataset.gpkg"),
                slug=name.lower().replace(" ", "_"),
            )
        )
        return
    net = engine.network
    speed = pick((f"{access.speed_kmh:g}".replace(".", ","), f"{access.speed_kmh:g}"), lang)
    st.caption(
        t(
            "network_used", lang, mode=t(f"mode_{net.mode}", lang).lower(), speed=speed,
            nodes=format_number(net.n_nodes, lang=lang),
            source=md_escape(str(net.meta.get("source") or t("unknown", lang))),
        )
    )
    approximation = net.meta.get("approximation")
    if isinstance(approximation, dict) and set(approximation) >= {"nl", "en"}:
        st.warning(md_escape(pick(approximation, lang)))  # e.g. a car-road network used for walking


def _relative(path: Path) -> str:
    """A path as the user would type it from the project folder (absolute when elsewhere)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def render_notes(result: PipelineResult, lang: str) -> None:
    """Plain notices: unused indicators, imputed values, excluded buurten, approximations."""
    uses = result.ranking
    unused = [f"{INDICATORS[u.key].label(lang)} ({t(u.reason, lang)})" for u in uses.unused]
    if unused:
        st.warning(f"**{t('not_used', lang)}:** " + "; ".join(unused))
    imputed = [f"{INDICATORS[u.key].label(lang)}: {format_number(u.n_imputed, lang=lang)}" for u in uses.used
               if u.n_imputed]
    if imputed:
        st.caption(f"{t('imputed', lang)} — " + "; ".join(imputed) + " buurt(en).")
    if uses.n_excluded:
        st.caption(f"{format_number(uses.n_excluded, lang=lang)} {t('excluded', lang)}.")
    weighted_access = [
        INDICATORS[u.key].facility_type for u in uses.used if INDICATORS[u.key].facility_type is not None
    ]
    straight = [k for k in weighted_access if result.prepared.access.measures[k].method == STRAIGHT_LINE]
    if straight:
        names = ", ".join(FACILITY_TYPES[k].label(lang).lower() for k in straight)
        st.caption(f"⚠️ {t('straight_line_warning', lang)} ({names})")


def render_access_measures(result: PipelineResult, lang: str) -> None:
    rows = []
    for key, m in result.prepared.access.measures.items():
        rows.append(
            {
                t("facility_types", lang): FACILITY_TYPES[key].label(lang),
                t("measure", lang): m.label(lang)
                + (f" — {m.caveat_nl if lang == 'nl' else m.caveat_en}" if m.caveat_nl else ""),
                t("facilities_n", lang): m.n_facilities,
                t("buurten_with_value", lang): m.n_buurten_with_value,
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def render_sources(result: PipelineResult, lang: str) -> None:
    meta = result.prepared.dataset.meta
    lines = []
    for s in meta.get("sources", []):
        lines.append(
            f"- **{md_escape(s.get('title', ''))}** — {md_escape(s.get('publisher', ''))}, "
            f"{md_escape(s.get('year', ''))}. "
            f"{t('licence', lang)}: {md_escape(s.get('licence', ''))}. {md_escape(s.get('attribution', ''))}."
            + (f" <{s['url']}>" if str(s.get("url", "")).startswith(("http://", "https://")) else "")
        )
    lines.append("- " + t("osm_background", lang))
    st.markdown("\n".join(lines))
    notes = meta.get("build_notes", [])
    if notes:
        st.caption(t("build_notes", lang) + ": " + " · ".join(md_escape(n) for n in notes))


def render_downloads(result: PipelineResult, lang: str) -> None:
    # Made when clicked, not on every rerun.
    st.download_button(t("download_csv", lang), lambda: ranking_csv_bytes(result),
                       file_name=f"{EXPORT_BASENAME}.csv", mime="text/csv")
    st.download_button(
        t("download_gpkg", lang),
        lambda: _gpkg_bytes(result),
        file_name=f"{EXPORT_BASENAME}.gpkg",
        mime="application/geopackage+sqlite3",
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _gpkg_bytes_cached(_result: PipelineResult, key: tuple) -> bytes:
    table = _result.table
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ranking.gpkg"
        meta = gpkg_metadata(_result)
        files.write_table(table[[*output_columns(table), "geometry"]], path, metadata=meta)
        return path.read_bytes()


def _gpkg_bytes(result: PipelineResult) -> bytes:
    return _gpkg_bytes_cached(result, (result.prepared.dataset.directory, result.params))
