"""Every export of a ranking: the folder the CLI writes, and the bytes behind the app's download buttons.

``python -m geo export`` calls :func:`write_exports`; the app's export panel
(:mod:`ui.exports_view`) calls :func:`map_html_bytes`, :func:`decision_pack_bytes`
and :func:`geo.report.record.ranking_zip_bytes`. The files themselves are built
by :mod:`geo.report.record` (CSV, method record, GeoPackage metadata),
:mod:`layers.standalone` (the offline map) and :mod:`layers.decision_pack`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd

from geo import schema
from geo.data import files
from geo.data.paths import detect_app_version
from geo.decide.pipeline import PipelineResult, output_columns
from geo.decide.schools import SchoolsResult
from geo.errors import DataFileError
from geo.lang import check_lang, pick
from geo.report.record import (
    EXPORT_BASENAME,
    METHOD_SIDECAR_SUFFIX,
    gpkg_metadata,
    method_json,
    ranking_csv_bytes,
)
from layers.decision_pack import build_decision_pack_html
from layers.standalone import result_map_html

__all__ = ["DOWNLOAD_NAMES", "decision_pack_bytes", "export_paths", "map_html_bytes", "write_exports"]

#: File names of the app's downloads.
DOWNLOAD_NAMES = MappingProxyType(
    {
        "map_html": "rijke_schooldag_kaart.html",
        "decision_pack": "rijke_schooldag_beslisdocument.html",
        "ranking_zip": "rijke_schooldag_rangorde.zip",
    }
)
#: How the HTML files of a folder export end, per language.
_HTML_SUFFIXES = MappingProxyType({"map_html": ("kaart", "map"), "decision_pack": ("beslisdocument", "decision_pack")})


def export_paths(out_dir: str | Path, lang: str = "nl") -> dict[str, Path]:
    """Where :func:`write_exports` puts each file in ``out_dir``."""
    check_lang(lang)
    out = Path(out_dir)
    base = out / EXPORT_BASENAME
    return {
        "csv": base.with_suffix(".csv"),
        "method_json": out / f"{EXPORT_BASENAME}{METHOD_SIDECAR_SUFFIX}",
        "gpkg": base.with_suffix(".gpkg"),
        **{kind: out / f"{EXPORT_BASENAME}_{pick(pair, lang)}.html" for kind, pair in _HTML_SUFFIXES.items()},
    }


def map_html_bytes(
    result: PipelineResult,
    *,
    map_column: str = schema.PRIORITY_SCORE,
    facility_types: Sequence[str] | None = None,
    lang: str = "nl",
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
) -> bytes:
    """The offline map (:func:`layers.standalone.result_map_html`) as UTF-8, for a download button."""
    return result_map_html(
        result,
        map_column=map_column,
        facility_types=facility_types,
        lang=lang,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
    ).encode("utf-8")


def decision_pack_bytes(
    result: PipelineResult,
    *,
    lang: str = "nl",
    share_link: str | None = None,
    robustness: object = None,
    map_column: str = schema.PRIORITY_SCORE,
    facility_types: Sequence[str] | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
    app_version: str | None = None,
    schools: SchoolsResult | None = None,
    selected_school: str | None = None,
) -> bytes:
    """The decision pack (:func:`layers.decision_pack.build_decision_pack_html`) as UTF-8.

    ``app_version`` defaults to the git commit (:func:`geo.data.paths.detect_app_version`); ``schools`` and
    ``selected_school`` add the Scholen section with its gap cards.
    """
    return build_decision_pack_html(
        result,
        lang=lang,
        share_link=share_link,
        robustness=robustness,
        map_column=map_column,
        facility_types=facility_types,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
        app_version=app_version if app_version is not None else detect_app_version(),
        schools=schools,
        selected_school=selected_school,
    ).encode("utf-8")


def write_exports(
    result: PipelineResult,
    out_dir: str | Path,
    *,
    lang: str = "nl",
    map_column: str = schema.PRIORITY_SCORE,
    facility_types: Sequence[str] | None = None,
    share_link: str | None = None,
    robustness: object = None,
    robustness_draws: int | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
    top_n: int = 10,
    created: datetime | None = None,
    app_version: str | None = None,
    schools: SchoolsResult | None = None,
    selected_school: str | None = None,
) -> dict[str, Path]:
    """Write every export of ``result`` into ``out_dir`` (which must exist).

    Files: ``<base>.csv`` with its ``<base>.method.json`` sidecar,
    ``<base>.gpkg`` (method in the layer metadata), ``<base>_kaart.html``
    (standalone map) and ``<base>_beslisdocument.html`` (decision pack), with
    ``<base>`` = :data:`geo.report.record.EXPORT_BASENAME`; in English the HTML
    files end in ``_map`` and ``_decision_pack`` (:func:`export_paths`).

    Parameters
    ----------
    result
        The ranking to export.
    out_dir
        An existing folder; files of the same name are overwritten.
    lang
        ``"nl"`` or ``"en"`` for the HTML files.
    map_column, facility_types, isochrones, isochrone_mode
        What the maps show (as in :func:`layers.standalone.build_standalone_map_html`).
    share_link, robustness, robustness_draws, top_n, schools, selected_school
        For the decision pack (see :func:`layers.decision_pack.build_decision_pack_html`).
    created
        Export time recorded in the files (default: now, UTC).
    app_version
        Recorded in the files; default: the git commit (:func:`geo.data.paths.detect_app_version`).

    Returns
    -------
    dict
        Path per kind: ``csv, method_json, gpkg, map_html, decision_pack``.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise DataFileError(f"exports: expected an existing folder, found no folder '{out}'.")
    paths = export_paths(out, lang)
    created = created or datetime.now(UTC)
    if app_version is None:
        app_version = detect_app_version()
    paths["csv"].write_bytes(ranking_csv_bytes(result))
    paths["method_json"].write_text(method_json(result, created=created, app_version=app_version), encoding="utf-8")
    table = result.table
    files.write_table(
        table[[*output_columns(table), "geometry"]],
        paths["gpkg"],
        metadata=gpkg_metadata(result, created=created, app_version=app_version),
    )
    map_html = result_map_html(
        result,
        map_column=map_column,
        facility_types=facility_types,
        lang=lang,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
        created=created,
    )
    paths["map_html"].write_text(map_html, encoding="utf-8")
    pack = build_decision_pack_html(
        result,
        lang=lang,
        share_link=share_link,
        robustness=robustness,
        robustness_draws=robustness_draws,
        map_column=map_column,
        facility_types=facility_types,
        top_n=top_n,
        created=created,
        app_version=app_version,
        isochrones=isochrones,
        isochrone_mode=isochrone_mode,
        schools=schools,
        selected_school=selected_school,
    )
    paths["decision_pack"].write_text(pack, encoding="utf-8")
    return paths
