"""Exports: ranking CSV + method sidecar, GeoPackage metadata, standalone map HTML, decision pack.

All on the real Utrecht default (``geo.decide.pipeline.run()``). The HTML is read back
with the standard library's parser (tags balanced, resources listed, table
cells read), so the checks do not depend on how the HTML is spelled.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo import schema
from geo.catalog import INDICATORS
from geo.data.paths import detect_app_version
from geo.decide.explain import explain_buurt
from geo.decide.pipeline import output_columns, run
from geo.errors import MissingColumnError, ParameterError
from geo.lang import format_number
from geo.report.record import (
    METHOD_FORMAT,
    method_record,
    ranking_zip_bytes,
    top_buurten,
)
from layers.export import (
    ExportError,
    build_standalone_map_html,
    inline_leaflet,
    write_exports,
)
from layers.report import build_decision_pack_html, write_decision_pack_pdf

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_LINK = "https://planner.example/?preset=rijke_schooldag&w=dist_sport_m:2<script>alert('x')</script>"
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# SVG elements that may be written self-closing (<circle .../>).
_SELF_CLOSING_OK = {"circle", "rect", "path"}


class Doc(HTMLParser):
    """Reads an HTML page: checks that tags nest, lists resources, collects table cells and SVG paths."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.resources: list[tuple[str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.svg_paths = 0
        self.svg_titles: list[str] = []
        self.iframe_srcdoc: list[str] = []
        self.inline_scripts = 0
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_map_svg = False
        self._in_title = False
        self.feed(html)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack[-5:]}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("src", "href"):
            if key in a and tag in ("script", "link", "img", "iframe"):
                self.resources.append((tag, a[key]))
        if tag == "script" and "src" not in a:
            self.inline_scripts += 1
        if tag == "iframe" and "srcdoc" in a:
            self.iframe_srcdoc.append(a["srcdoc"])
        if tag == "svg" and "map" in a.get("class", "").split():
            self._in_map_svg = True
        if self._in_map_svg and tag == "path" and self.stack and self.stack[-1] == "g":
            self.svg_paths += 1
        if self._in_map_svg and tag == "title":
            self._in_title = True
            self.svg_titles.append("")
        if tag == "table":
            self._table = a.get("class", "")
            self.tables.setdefault(self._table, [])
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell = []
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID and tag not in _SELF_CLOSING_OK:
            self.errors.append(f"self-closing <{tag}/>")
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and "href" in a:
            self.resources.append((tag, a["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "svg":
            self._in_map_svg = False
        if tag == "title":
            self._in_title = False
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title and self.svg_titles:
            self.svg_titles[-1] += data


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def result():
    return run()


@pytest.fixture(scope="module")
def facility_types(result) -> list[str]:
    return sorted(set(result.prepared.dataset.facilities[schema.FACILITY_TYPE]))


@pytest.fixture(scope="module")
def exported(result, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    link = "https://planner.example/?preset=rijke_schooldag"
    return write_exports(result, out, share_link=link, app_version="abc123")


@pytest.fixture(scope="module")
def pack_html(exported) -> str:
    return exported["decision_pack"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def hostile(result):
    """The ranking with the name of the #1 buurt replaced by HTML, as a user's file could have it."""
    table = result.table.copy()
    table.iloc[0, table.columns.get_loc(schema.BUURT_NAME)] = HOSTILE_NAME
    return dataclasses.replace(result, table=table)


@pytest.fixture(scope="module")
def hostile_pack(hostile) -> str:
    return build_decision_pack_html(hostile, share_link=HOSTILE_LINK)


# --------------------------------------------------------------------------- ranking CSV, sidecar, GeoPackage


def test_exports_are_all_written(exported):
    assert set(exported) == {"csv", "method_json", "gpkg", "map_html", "decision_pack"}
    for path in exported.values():
        assert path.is_file() and path.stat().st_size > 0, path
    assert exported["method_json"].name == exported["csv"].name.replace(".csv", ".method.json")


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
    assert unused == {"share_low_income_hh_pct": "no_data", "dist_culture_m": "no_data"}


def test_zip_bundles_csv_and_sidecar(result):
    data = ranking_zip_bytes(result, basename="r", app_version="v1")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["r.csv", "r.method.json"]
        csv = pd.read_csv(io.BytesIO(zf.read("r.csv")))
        record = json.loads(zf.read("r.method.json"))
    assert len(csv) == 111
    assert record["weights"] == dict(result.params.weights)
    assert record["app_version"] == "v1"


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


# --------------------------------------------------------------------------- standalone map


def test_standalone_map_needs_nothing_from_the_internet(exported, result):
    html = exported["map_html"].read_text(encoding="utf-8")
    doc = Doc(html)
    assert doc.errors == []
    # No script, stylesheet, image or frame is loaded from anywhere: Leaflet is inline.
    assert doc.resources == []
    assert doc.inline_scripts >= 2
    assert "leafletjs.com" in html and ".leaflet-pane" in html
    for cdn in ("cdn.jsdelivr", "code.jquery", "bootstrapcdn", "cdnjs", "unpkg", "/app/static"):
        assert cdn not in html
    # The only tile URL is the optional OpenStreetMap layer.
    tiles = set(re.findall(r"https?://[a-z.]*tile[^\"']*", html))
    assert tiles == {"https://tile.openstreetmap.org/{z}/{x}/{y}.png"}


def test_standalone_map_has_all_buurten_layers_and_legends(result, facility_types):
    html = build_standalone_map_html(
        result.table,
        map_column=schema.PRIORITY_SCORE,
        facilities=result.prepared.dataset.facilities,
        facility_types=facility_types,
        lang="nl",
        measures=result.prepared.access.measures,
    )
    for code in result.table[schema.BUURT_CODE]:
        assert f'"id": "{code}"' in html
    assert "Prioriteitsscore" in html  # legend title
    assert "Voorzieningen" in html  # facility legend
    assert "Basisschool (98)" in html and "Sportaccommodatie (257)" in html  # layer names
    assert "Lichte achtergrond (offline)" in html


def test_standalone_map_in_english_labels_distances(result):
    html = build_standalone_map_html(
        result.table,
        map_column="dist_sport_m",
        facilities=None,
        facility_types=(),
        lang="en",
        measures=result.prepared.access.measures,
    )
    assert "Distance to sports facility (straight line from a point in the buurt (approximation))" in html
    assert '<html lang="en">' in html


def test_standalone_map_escapes_buurt_names(hostile):
    html = build_standalone_map_html(
        hostile.table, map_column=schema.PRIORITY_SCORE, facilities=None, facility_types=()
    )
    assert "<img src=x" not in html
    # HTML-escaped for the tooltip, then JSON-encoded into the script (& as \u0026).
    assert escape(HOSTILE_NAME).replace("&", "\\u0026") in html


def test_inline_leaflet_refuses_a_page_without_the_local_links():
    with pytest.raises(ExportError, match="expected one Leaflet script"):
        inline_leaflet('<html><script src="https://cdn.example/leaflet.js"></script></html>')


# --------------------------------------------------------------------------- decision pack


def test_decision_pack_parses_and_loads_nothing(pack_html):
    doc = Doc(pack_html)
    assert doc.errors == []
    assert doc.resources == []
    assert pack_html.startswith("<!DOCTYPE html>")
    assert '<html lang="nl">' in pack_html
    assert "@media print" in pack_html and "size: A4" in pack_html


def test_decision_pack_title_has_municipality_and_date(pack_html):
    doc = Doc(pack_html)
    assert "Utrecht" in pack_html
    months = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
    assert re.search(rf"<title>Beslisdocument: .*Utrecht \(\d{{1,2}} ({months}) \d{{4}}\)</title>", pack_html)
    assert doc.errors == []


def test_decision_pack_names_the_top_buurten_and_why(pack_html, result):
    top = result.table[result.table[schema.STATUS] == schema.STATUS_RANKED].head(10)
    rows = Doc(pack_html).tables["top-table"]
    names_in_table = [r[1] for r in rows[1:] if len(r) > 2]
    for name in top[schema.BUURT_NAME].head(5):
        assert escape(name) in pack_html
        assert any(cell.startswith(name) for cell in names_in_table)
    first = explain_buurt(
        result.table, result.ranking, top[schema.BUURT_CODE].iloc[0], measures=result.prepared.access.measures
    )
    assert escape(first.sentence) in pack_html
    assert first.sentence in [r[-1] for r in rows if len(r) == 2]
    # Rank, score, need, access gap and children of #1, in Dutch number style.
    first_row = rows[1]
    assert first_row[0] == "1"
    assert first_row[2] == format_number(top[schema.PRIORITY_SCORE].iloc[0], lang="nl", decimals=2)
    assert first_row[5] == format_number(top[schema.CHILDREN_0_14].iloc[0], lang="nl")


def test_decision_pack_lists_every_weight_and_measure(pack_html, result):
    tables = Doc(pack_html).tables
    weights = {r[0]: r for r in tables["grid"][1:]} if "grid" in tables else {}
    # Both method tables share the class "grid": rows with 6 cells are the weights.
    weight_rows = {r[0].split(" (niet gebruikt")[0]: r for r in weights.values() if len(r) == 6}
    for key, w in result.params.weights:
        label = INDICATORS[key].label("nl")
        assert label in weight_rows, label
        assert weight_rows[label][3] == format_number(w, lang="nl", decimals=1)
    assert "hemelsbreed (benadering)" in weight_rows["Afstand tot sportaccommodatie"][5]
    assert "niet gebruikt" in weight_rows["Aandeel huishoudens met laag inkomen"][0]
    assert "mediaan" in pack_html


def test_decision_pack_lists_sources_with_licence_and_year(pack_html, result):
    rows = Doc(pack_html).tables["grid sources-table"]
    sources = result.prepared.dataset.meta["sources"]
    assert len(rows) == len(sources) + 1
    for s, row in zip(sources, rows[1:], strict=True):
        assert row[2] == str(s["year"])
        assert row[3] == s["licence"]
        assert row[4] == s["attribution"]
    assert "OpenStreetMap" in pack_html and "ODbL" in pack_html


def test_decision_pack_has_a_static_map_of_every_buurt(pack_html, result):
    doc = Doc(pack_html)
    assert doc.svg_paths == len(result.table) == 111
    assert set(doc.svg_titles) == set(result.table[schema.BUURT_NAME])
    # And the interactive map, for the screen.
    assert len(doc.iframe_srcdoc) == 1
    assert Doc(doc.iframe_srcdoc[0]).resources == []


def test_decision_pack_says_robustness_was_not_computed(pack_html):
    assert "Niet berekend" in pack_html


def test_decision_pack_shows_robustness_per_buurt(result):
    codes = result.table[schema.BUURT_CODE]
    rank = result.table[schema.RANK].to_numpy(dtype=float)
    rob = pd.DataFrame(
        {
            "rank_median": rank,
            "rank_p05": np.maximum(1, rank - 2),
            "rank_p95": rank + 3,
            "share_top_n": np.where(rank <= 5, 0.95, 0.4),
            "weight_sensitive": rank > 5,
        },
        index=codes.to_numpy(),
    )
    html = build_decision_pack_html(result, robustness=rob, robustness_draws=200, interactive_map=False)
    table = Doc(html).tables["top-table"][1:]
    rows = [r for r in table if len(r) > 2]
    assert rows[0][-1] == "robuust"
    assert table[1][-1].endswith("Bij andere wegingen: plaats 1–4, 95% in de top 10.")
    assert rows[6][-1] == "hangt af van de weging"
    assert "Doorgerekend met 200 wegingen rond de gekozen weging" in html
    assert "5 van de 10 buurten in de top 10 blijven daarbij in de top 10 (robuust); 5 hangen af van de weging" in html
    assert "Bij andere gewichten blijven 5 van de 10 buurten in de top; 5 hangen af van de weging." in html
    assert "Niet berekend" not in html


def test_decision_pack_takes_a_robustness_result_or_the_table_columns(result):
    robustness = pytest.importorskip("geo.decide.robustness")
    rob = robustness.compute_robustness(result.ranking, result.params, n_draws=200, top_n=10, seed=1)
    html = build_decision_pack_html(result, robustness=rob, interactive_map=False)
    sensitive = rob.table.loc[rob.table[schema.RANK_P05] <= 10, schema.WEIGHT_SENSITIVE]
    assert "Doorgerekend met 200 wegingen" in html
    rows = [r for r in Doc(html).tables["top-table"][1:] if len(r) > 2]
    first = result.table[schema.BUURT_CODE].iloc[0]
    verdict = "hangt af van de weging" if bool(sensitive.get(first, False)) else "robuust"
    assert rows[0][-1] == verdict
    # The same columns joined into the ranking table are picked up without being passed.
    joined = dataclasses.replace(result, table=result.table.join(rob.table))
    assert build_decision_pack_html(joined, interactive_map=False).count('class="rob ') == len(rows)


def test_robustness_table_without_its_columns_is_refused(result):
    with pytest.raises(MissingColumnError, match="weight_sensitive"):
        top_buurten(result, robustness=pd.DataFrame({"rank_median": [1.0]}, index=["BU03440000"]))


def test_top_buurten_keeps_ties_and_refuses_nonsense(result):
    top = top_buurten(result, n=3)
    assert list(top[schema.RANK]) == [1, 2, 3]
    assert top["explanation"].str.contains("staat op").all()
    with pytest.raises(ParameterError):
        top_buurten(result, n=0)


def test_decision_pack_escapes_data_and_the_share_link(hostile_pack):
    assert "<img src=x" not in hostile_pack
    assert "<script>alert" not in hostile_pack
    assert escape(HOSTILE_NAME) in hostile_pack
    # The link is shown and clickable, with & and < escaped.
    assert escape(HOSTILE_LINK) in hostile_pack
    assert f'href="{escape(HOSTILE_LINK)}"' in hostile_pack
    doc = Doc(hostile_pack)
    assert doc.errors == []
    assert HOSTILE_NAME in doc.svg_titles  # the text itself survives, as text
    assert Doc(doc.iframe_srcdoc[0]).errors == []


def test_decision_pack_does_not_link_a_script_url(result):
    html = build_decision_pack_html(result, share_link="javascript:alert(1)", interactive_map=False)
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in html


def test_decision_pack_in_english(result):
    html = build_decision_pack_html(result, lang="en", interactive_map=False)
    assert '<html lang="en">' in html
    assert "Decision pack" in html and "Not computed" in html
    assert "ranks 1 of 110, mainly because of" in html
    assert "Data and licences" in html


def test_pdf_without_weasyprint_says_what_to_do(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as when it is not installed
    with pytest.raises(ParameterError, match="print it to PDF"):
        write_decision_pack_pdf("<html></html>", tmp_path / "x.pdf")


def test_pdf_with_weasyprint(pack_html, tmp_path):
    pytest.importorskip("weasyprint")
    path = write_decision_pack_pdf(pack_html, tmp_path / "pack.pdf")
    assert path.read_bytes().startswith(b"%PDF")


def test_method_record_marks_adjusted_weights(result):
    from geo.decide.pipeline import rank
    from geo.decide.ranking import RankingParams

    params = RankingParams.from_preset("rijke_schooldag", {"dist_sport_m": 3.0})
    adjusted = rank(result.prepared, params)
    record = method_record(adjusted)
    assert record["weights"]["dist_sport_m"] == 3.0
    assert record["preset_label"] == "Rich school day (default) (adjusted)"


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
