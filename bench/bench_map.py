"""Map payload and time-to-map: Utrecht (one municipality) and the whole country, before and after trimming.

    python bench/bench_map.py [--repeat 3] [--no-browser]

For each case it builds the map as one standalone HTML file, reports the HTML size and the GeoJSON part of
it, the Python build time (median), and – when Chromium is installed – the time from opening the file
until every buurt is drawn (median).

Cases, all in the same run:

- ``Utrecht``: the app's default municipality (111 buurten), with its facility points.
- ``national, before``: the whole country as the app ranks it (``geo.data.national.load_country``: the base
  layer with the full datasets of ``data/``; 7,300 buurten with a 2014 shape, real scores), drawn the way a
  municipality is drawn – what the map did before the national view: every tooltip field (wijk, children,
  score, rank) as feature properties, 0.8 px edges, no municipal boundaries, and every facility point the
  app would have passed (the country's 6,381 primary schools, with their popups).
- ``national, before, no schools``: the same without the facility points (what the trimming alone changes).
- ``national, after``: the same table through :func:`layers.results_map.build_results_map`, as the app and
  the export draw it now: properties trimmed to code, name, municipality, value and rank, 0.2 px edges, the
  municipal boundaries (dissolved per municipality, simplified) on top, no facility points. Its build time
  leaves out the shapes and boundaries, which the app makes once per dataset (printed under the table);
  ``before`` simplified the shapes on every build, as the app did on every rerun.
- ``national, after, 5 m``: the same with 5 m simplification instead of the display tolerance for the
  national extent (``layers.geometry.display_tolerance_m``): what that tolerance saves.

A second table times what the app does on every rerun with the national map: build the map and hand it to
streamlit-folium (its browser component is replaced by a stub that keeps the arguments), before (every school,
the selection inside the choropleth, streamlit-folium's own render pass) and after (no schools, the geometry
made once, the selection as a separate layer, no extra render). It reports the map script sent to the browser
and, for a new selection, what changes: before, the script (so the browser draws the map again); after, only
the small selected-outline layer (and centre and zoom), on the map already drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import streamlit_folium
from streamlit_folium import st_folium

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/bench_map.py`

from geo import schema
from geo.data import national
from geo.decide.pipeline import prepare, rank, run
from geo.decide.ranking import RankingParams
from layers.basemap import APP_LEAFLET_BASE
from layers.choropleth import build_selected_layer
from layers.geometry import display_shapes, display_tolerance_m, drawable
from layers.outlines import municipality_outlines
from layers.results_map import build_results_map
from layers.standalone import build_standalone_map_html, inline_leaflet

ROOT = Path(__file__).resolve().parents[1]


def _national():
    dataset = national.load_country(ROOT / "data")
    return rank(prepare(dataset), RankingParams.from_preset("rijke_schooldag")).table, dataset.facilities


def _geojson_bytes(html: str) -> int:
    """Size of the GeoJSON handed to Leaflet (the ``…_add({"features": …})`` calls): what grows with the buurten."""
    return sum(len(m.group(1)) for m in re.finditer(r'_add\((\{"features".*?)\);\n', html, re.DOTALL))


def _before(table, facilities) -> str:
    """The national table drawn as one municipality is: without its municipality column the map cannot tell."""
    types = tuple(sorted(set(facilities[schema.FACILITY_TYPE]))) if facilities is not None else ()
    return build_standalone_map_html(table.drop(columns=[schema.MUNICIPALITY_CODE]), map_column=schema.PRIORITY_SCORE,
                                     facilities=facilities, facility_types=types, lang="nl")


def _after(table, geometry) -> str:
    """The national map as the app and the export draw it, from shapes and boundaries made beforehand."""
    shapes, outlines = geometry
    m = build_results_map(
        table, map_column=schema.PRIORITY_SCORE, facilities=None, facility_types=(), lang="nl",
        shapes=shapes, outlines=outlines,
    )
    return inline_leaflet(m.get_root().render())


def _geometry(table, tolerance_m: float):
    """What the app makes once per dataset (``ui.state.load_map_geometry``): display shapes and boundaries."""
    return display_shapes(table, tolerance_m), municipality_outlines(table, tolerance_m)


@contextlib.contextmanager
def _stub_component():
    """streamlit-folium without its browser component: the arguments it would send are kept in the list."""
    sent: list[dict] = []
    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kwargs: sent.append(kwargs) or {}
    try:
        yield sent
    finally:
        streamlit_folium._component_func = original


def _app_rerun(table, facilities, geometry, repeat: int) -> list[tuple[str, float, float, str]]:
    """Seconds per rerun for the national map in the app, before and after, with what a new selection changes."""
    types = tuple(sorted(set(facilities[schema.FACILITY_TYPE])))
    shapes, outlines = geometry
    objects = ["last_active_drawing", "last_clicked"]

    def before(code: str) -> None:  # the country as one municipality, the selection drawn into the choropleth
        m = build_results_map(table.drop(columns=[schema.MUNICIPALITY_CODE]), map_column=schema.PRIORITY_SCORE,
                              facilities=facilities, facility_types=types, selected_code=code,
                              collapsed_control=True, leaflet_base=APP_LEAFLET_BASE)
        st_folium(m, key="map", returned_objects=objects)

    def after(code: str) -> None:  # as ui.map_view draws it
        m = build_results_map(table, map_column=schema.PRIORITY_SCORE, facilities=facilities, facility_types=types,
                              collapsed_control=True, leaflet_base=APP_LEAFLET_BASE, shapes=shapes, outlines=outlines)
        st_folium(m, key="map", render=False, returned_objects=objects,
                  feature_group_to_add=build_selected_layer(shapes, code))

    first, second = (str(c) for c in drawable(table).index[:2])
    rows = []
    with _stub_component() as sent:
        for name, draw in (("before", before), ("after", after)):
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                draw(first)
                times.append(time.perf_counter() - t0)
            one = sent[-1]
            draw(second)
            other = sent[-1]
            changed = (f"script ({len(other['script']) / 1e6:.2f} MB): drawn again" if one["key"] != other["key"]
                       else f"selected outline only ({len(other['feature_group'] or '') / 1e3:.1f} kB)")
            rows.append((name, statistics.median(times), len(one["script"]) / 1e6, changed))
    return rows


def _time_to_map(html_path: Path, n_polygons: int, repeat: int) -> float | None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright  # optional: the benchmark runs without a browser
    except ImportError:
        return None
    if exe is None:
        return None
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t0 = time.perf_counter()
            page.goto(html_path.as_uri())
            # SVG: one DOM path per buurt; canvas (large sets): every buurt layer added to the map, then a frame.
            page.wait_for_function(
                f"""() => {{
                    if (document.querySelectorAll('path.leaflet-interactive').length >= {n_polygons}) return true;
                    const c = document.querySelector('canvas.leaflet-zoom-animated');
                    if (!c) return false;
                    let n = 0;
                    for (const k in window) {{
                        const v = window[k];
                        if (v && v._layers && v.feature === undefined && v.getLayers && v.options
                                && k.startsWith('geo_json')) {{
                            n = Math.max(n, v.getLayers().length);
                        }}
                    }}
                    return n >= {n_polygons};
                }}""",
                timeout=120_000,
            )
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            times.append(time.perf_counter() - t0)
            page.close()
        browser.close()
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args(argv)

    utrecht = run()
    fac = utrecht.prepared.dataset.facilities
    types = tuple(sorted(set(fac[schema.FACILITY_TYPE])))
    country, schools = _national()
    tol = display_tolerance_m(drawable(country))
    t0 = time.perf_counter()
    geometry = _geometry(country, tol)
    once = time.perf_counter() - t0
    geometry_5m = _geometry(country, 5.0)
    cases = [
        ("Utrecht", len(drawable(utrecht.table)), display_tolerance_m(utrecht.table),
         lambda: build_standalone_map_html(utrecht.table, map_column=schema.PRIORITY_SCORE, facilities=fac,
                                           facility_types=types, lang="nl")),
        ("national, before", len(drawable(country)), tol, lambda: _before(country, schools)),
        ("national, before, no schools", len(drawable(country)), tol, lambda: _before(country, None)),
        ("national, after", len(drawable(country)), tol, lambda: _after(country, geometry)),
        ("national, after, 5 m", len(drawable(country)), 5.0, lambda: _after(country, geometry_5m)),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, n, tolerance, build in cases:
            times, html = [], ""
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                html = build()
                times.append(time.perf_counter() - t0)
            path = Path(tmp) / f"{re.sub(r'[^a-z0-9]+', '_', name.lower())}.html"
            path.write_text(html, encoding="utf-8")
            ttm = None if args.no_browser else _time_to_map(path, n, args.repeat)
            rows.append((name, n, tolerance, len(html.encode()) / 1e6, _geojson_bytes(html) / 1e6,
                         statistics.median(times), ttm))
    print("| map | buurten drawn | simplify (m) | HTML MB | GeoJSON MB | build s (median) | time to map s (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, n, tolerance, mb, gj, build_s, ttm in rows:
        ttm_text = "no browser" if ttm is None else f"{ttm:.2f}"
        print(f"| {name} | {n:,} | {tolerance:.0f} | {mb:.2f} | {gj:.2f} | {build_s:.2f} | {ttm_text} |")
    print(f"\nNational shapes and municipal boundaries, made once per dataset (not in 'build s' of 'after'): "
          f"{once:.2f} s; {len(geometry[1])} municipalities with a shape.")
    print("\n| national map in the app | s per rerun (median) | map script MB | a new selection sends |")
    print("|---|---:|---:|---|")
    for name, seconds, script_mb, changed in _app_rerun(country, schools, geometry, args.repeat):
        print(f"| {name} | {seconds:.2f} | {script_mb:.2f} | {changed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
