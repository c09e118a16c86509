"""The folder export (layers.exports.write_exports) and the app's download bytes, on the real Utrecht default."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geo import schema
from geo.data.paths import detect_app_version
from geo.decide.pipeline import output_columns, run
from geo.errors import DataFileError, ParameterError
from geo.report.record import METHOD_FORMAT
from layers.exports import DOWNLOAD_NAMES, decision_pack_bytes, export_paths, map_html_bytes, write_exports
from tests.helpers import Doc


@pytest.fixture(scope="module")
def result():
    return run()


@pytest.fixture(scope="module")
def exported(result, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    link = "https://planner.example/?preset=rijke_schooldag"
    return write_exports(result, out, share_link=link, app_version="abc123")


def test_exports_are_all_written(exported):
    assert set(exported) == {"csv", "method_json", "gpkg", "map_html", "decision_pack"}
    for path in exported.values():
        assert path.is_file() and path.stat().st_size > 0, path
    assert exported["method_json"].name == exported["csv"].name.replace(".csv", ".method.json")


def test_export_file_names_follow_the_language(tmp_path):
    nl, en = export_paths(tmp_path, "nl"), export_paths(tmp_path, "en")
    assert nl["map_html"].name == "rangorde_rijke_schooldag_kaart.html"
    assert nl["decision_pack"].name == "rangorde_rijke_schooldag_beslisdocument.html"
    assert en["map_html"].name == "rangorde_rijke_schooldag_map.html"
    assert en["decision_pack"].name == "rangorde_rijke_schooldag_decision_pack.html"
    assert nl["csv"] == en["csv"]
    with pytest.raises(ParameterError):
        export_paths(tmp_path, "de")


def test_exports_refuse_a_missing_folder(result, tmp_path):
    with pytest.raises(DataFileError, match="existing folder"):
        write_exports(result, tmp_path / "nowhere")


def test_csv_has_every_buurt_and_the_ranking_columns(exported, result):
    csv = pd.read_csv(exported["csv"], dtype={schema.BUURT_CODE: str})
    assert len(csv) == 111
    assert list(csv.columns) == output_columns(result.table)
    assert list(csv.columns[:7]) == list(schema.RANKING_COLUMNS)
    assert set(csv[schema.BUURT_CODE]) == set(result.table[schema.BUURT_CODE])
    # Every distance says how it was measured.
    assert (csv["dist_sport_method"] == "straight_line").all()


def test_sidecar_records_method_weights_policy_measures_and_sources(exported, result):
    record = json.loads(exported["method_json"].read_text(encoding="utf-8"))
    assert record["format"] == METHOD_FORMAT
    assert record["preset"] == "rijke_schooldag"
    assert record["weights"] == dict(result.params.weights)
    assert record["method"]["missing_policy"] == "median"
    assert record["method"]["clip_z"] == 3.0
    assert record["access_measures"]["sport"]["method"] == "straight_line"
    assert record["access_measures"]["sport"]["approximation"] is True
    assert record["access_measures"]["library"]["method"] == "cbs_road"
    assert record["dataset"]["name"] == "Utrecht"
    assert {s["licence"] for s in record["dataset"]["sources"]} >= {"CC BY 4.0", "CC0 1.0", "MIT"}
    assert record["app_version"] == "abc123"
    assert record["buurten"] == {"n": 111, "n_ranked": 110, "n_excluded": 1}
    unused = {i["key"]: i["reason"] for i in record["indicators"] if not i["used"]}
    assert unused == {"share_low_income_hh_pct": "no_data", "dist_culture_m": "no_data", "dist_nature_m": "no_data"}


def test_geopackage_metadata_holds_the_method(exported, result):
    info = pyogrio.read_info(exported["gpkg"], layer="ranking")
    assert info["features"] == 111
    meta = info["layer_metadata"]
    assert meta["preset"] == "rijke_schooldag"
    assert meta["missing_policy"] == "median"
    assert "dist_sport_m=1" in meta["weights"].split(";")
    assert "sport=straight_line" in meta["access_measures"].split(";")
    record = json.loads(meta["method_json"])
    assert record["weights"] == dict(result.params.weights)
    assert record["dataset"]["sources"]


def test_exported_html_files_are_the_map_and_the_pack(exported):
    map_html = exported["map_html"].read_text(encoding="utf-8")
    pack = exported["decision_pack"].read_text(encoding="utf-8")
    assert Doc(map_html).resources == [] and "Rijke schooldag — Utrecht" in map_html
    assert Doc(pack).errors == [] and "abc123" in pack and "https://planner.example/?preset=rijke_schooldag" in pack


def test_download_bytes_are_utf8_html_with_fixed_names(result):
    pack = decision_pack_bytes(result, share_link="https://x/?a=1", app_version="v9").decode("utf-8")
    assert pack.startswith("<!DOCTYPE html>") and "v9" in pack
    page = map_html_bytes(result, lang="en").decode("utf-8")
    assert '<html lang="en">' in page
    assert DOWNLOAD_NAMES == {
        "map_html": "rijke_schooldag_kaart.html",
        "decision_pack": "rijke_schooldag_beslisdocument.html",
        "ranking_zip": "rijke_schooldag_rangorde.zip",
    }


def test_app_version_is_read_from_git_without_running_git(tmp_path):
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("0123456789abcdef0123456789abcdef01234567\n")
    assert detect_app_version(tmp_path) == "0123456789ab"
    (git / "refs" / "heads" / "main").unlink()
    (git / "packed-refs").write_text("# pack-refs\nfedcba9876543210fedcba9876543210fedcba98 refs/heads/main\n")
    assert detect_app_version(tmp_path) == "fedcba987654"
    assert detect_app_version(tmp_path / "nowhere") is None


# --------------------------------------------------------------------------- in a real browser


def _chromium() -> str | None:
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if Path(path).exists():
            return path
    return None


def test_standalone_map_and_pack_render_offline_in_chromium(exported):
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium binary on this machine")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=args)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            outside: list[str] = []
            errors: list[str] = []
            # Offline: every request that is not the file itself (or inline data) fails.
            page.route(
                "**/*",
                lambda route: route.continue_()
                if route.request.url.startswith(("file:", "data:", "about:"))
                else (outside.append(route.request.url), route.abort()),
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(exported["map_html"].as_uri())
            page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length >= 111")
            assert page.locator(".rsp-legend").count() == 3  # choropleth, facilities, title box
            assert page.locator(".leaflet-control-layers").is_visible()
            assert outside == [] and errors == []

            page.goto(exported["decision_pack"].as_uri())
            assert page.locator("svg.map g.buurten path").count() == 111
            frame = page.frame_locator("iframe")
            frame.locator("path.leaflet-interactive").first.wait_for()
            page.emulate_media(media="print")
            assert not page.locator("section.interactive").is_visible()
            assert outside == [] and errors == []
        finally:
            browser.close()
