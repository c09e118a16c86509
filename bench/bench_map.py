"""Map payload and time-to-map: Utrecht (111 buurten) and the national 2014 buurten (11,146 with a polygon).

    python bench/bench_map.py [--repeat 3] [--no-browser]

For each area it builds the map the app shows (choropleth of the priority
score with tooltips, outlines, legend; Utrecht also its facility points),
reports the HTML size and the GeoJSON part of it, the Python build time
(median), and – when Chromium is installed – the time from opening the
standalone HTML file until every buurt polygon is drawn (median).

The national set has no CBS statistics in ../shared, so its "priority score" is
a seeded random number per buurt: the payload and the drawing cost do not
depend on the values. Geometry is simplified for display with the tolerance
the app uses (layers.geometry.display_tolerance_m: 5 m for Utrecht, ~75 m for
the country); the row "national, 5 m" shows what that saves.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as `python bench/bench_map.py`

from geo import schema
from geo.decide.pipeline import run
from layers.geometry import display_tolerance_m
from layers.standalone import build_standalone_map_html

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = ROOT.parent / "shared" / "data" / "cbs_buurt_wijk_2014_national_topojson" / "Buurt_2014_layer_q1e3.json"


def _national_table():
    # Read directly: the quantised file has 545 buurten whose polygon collapsed to nothing, which
    # the project's loader (rightly) refuses; for a payload benchmark they are simply left out.
    raw = gpd.read_file(f"TopoJSON:{NATIONAL}").set_crs(schema.MAP_CRS, allow_override=True)
    raw = raw[~(raw.geometry.isna() | raw.geometry.is_empty)]
    buurten = raw.rename(columns={"statcode": schema.BUURT_CODE, "statnaam": schema.BUURT_NAME}).to_crs(schema.WORK_CRS)
    buurten = buurten[[schema.BUURT_CODE, schema.BUURT_NAME, "geometry"]]
    rng = np.random.default_rng(0)
    table = buurten.copy()
    table[schema.PRIORITY_SCORE] = rng.normal(size=len(table))
    table[schema.RANK] = table[schema.PRIORITY_SCORE].rank(ascending=False, method="min").astype("Int64")
    table[schema.CHILDREN_0_14] = rng.integers(0, 2000, size=len(table)).astype(float)
    table[schema.WIJK_NAME] = ""
    if schema.BUURT_NAME not in table.columns:
        table[schema.BUURT_NAME] = table[schema.BUURT_CODE]
    return table.reset_index(drop=True)


def _geojson_bytes(html: str) -> int:
    """Size of the GeoJSON handed to Leaflet (the ``…_add({"features": …})`` calls): what grows with the buurten."""
    return sum(len(m.group(1)) for m in re.finditer(r'_add\((\{"features".*?)\);\n', html, re.DOTALL))


def _build(table, facilities, types, simplify_m):
    from layers import choropleth

    original = choropleth.build_choropleth_layer.__kwdefaults__["simplify_m"]
    choropleth.build_choropleth_layer.__kwdefaults__["simplify_m"] = simplify_m
    try:
        return build_standalone_map_html(
            table, map_column=schema.PRIORITY_SCORE, facilities=facilities, facility_types=types, lang="nl",
        )
    finally:
        choropleth.build_choropleth_layer.__kwdefaults__["simplify_m"] = original


def _time_to_map(html_path: Path, n_polygons: int, repeat: int) -> float | None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
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
    national = _national_table()
    cases = [
        (
            "Utrecht",
            utrecht.table,
            fac,
            tuple(sorted(set(fac[schema.FACILITY_TYPE]))),
            display_tolerance_m(utrecht.table),
        ),
        ("national", national, None, (), display_tolerance_m(national)),
        ("national, 5 m", national, None, (), 5.0),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, table, facilities, types, tol in cases:
            times, html = [], ""
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                html = _build(table, facilities, types, tol)
                times.append(time.perf_counter() - t0)
            path = Path(tmp) / f"{name.replace(' ', '_').replace(',', '')}.html"
            path.write_text(html, encoding="utf-8")
            ttm = None if args.no_browser else _time_to_map(path, len(table), args.repeat)
            rows.append((name, len(table), tol, len(html.encode()) / 1e6, _geojson_bytes(html) / 1e6,
                         statistics.median(times), ttm))
    print("| area | buurten | simplify (m) | HTML MB | GeoJSON MB | build s (median) | time to map s (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, n, tol, mb, gj, build, ttm in rows:
        ttm_text = "no browser" if ttm is None else f"{ttm:.2f}"
        print(f"| {name} | {n:,} | {tol:.0f} | {mb:.2f} | {gj:.2f} | {build:.2f} | {ttm_text} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
