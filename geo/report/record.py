"""What an export records about a ranking: the machine-readable method record and the ranking files.

Pure: a :class:`~geo.decide.pipeline.PipelineResult` in; dicts, strings and
bytes out. Nothing here writes files (:mod:`layers.exports` does) or words
the decision pack (:mod:`geo.report.pack` does).

A CSV file cannot hold metadata, so the ranking travels with a sidecar
``<name>.method.json`` (:func:`method_json`) that records the preset, the
weights, the missing-value policy, the distance measure per facility type,
the dataset and its sources, the date and the app version. The GeoPackage
carries the same record in its layer metadata (:func:`gpkg_metadata`).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from geo import schema
from geo.catalog import FACILITY_TYPES, INDICATORS, PRESET_LABELS, get_preset
from geo.decide.pipeline import PipelineResult, output_columns
from geo.lang import pick
from geo.report.method import MISSING_POLICY_TEXT

__all__ = [
    "EXPORT_BASENAME",
    "METHOD_FORMAT",
    "METHOD_SIDECAR_SUFFIX",
    "access_measure_rows",
    "data_sources",
    "gpkg_metadata",
    "method_json",
    "method_record",
    "municipality_name",
    "preset_description",
    "ranking_csv_bytes",
    "ranking_zip_bytes",
]

#: File name (without extension) of the ranking downloads.
EXPORT_BASENAME = "rangorde_rijke_schooldag"
#: Suffix of the sidecar that records the method of a CSV ranking.
METHOD_SIDECAR_SUFFIX = ".method.json"
#: Identifies the layout of :func:`method_record`; raise the number when it changes incompatibly.
METHOD_FORMAT = "rijke-schooldag-planner/method/1"


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
            "missing_policy_text": pick(MISSING_POLICY_TEXT.get(params.missing_policy, ("", "")), "en"),
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


def data_sources(result: PipelineResult) -> list[dict[str, Any]]:
    """The dataset's sources (title, publisher, year, licence, attribution, url) as recorded in ``dataset.json``."""
    return [dict(s) for s in result.prepared.dataset.meta.get("sources", [])]


def access_measure_rows(result: PipelineResult, lang: str = "nl") -> list[dict[str, Any]]:
    """Per facility type: the measure used, its caveat, and how many facilities and buurten have a value."""
    rows = []
    for key, m in result.prepared.access.measures.items():
        caveat = pick((m.caveat_nl, m.caveat_en), lang)
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
