"""Command line: the same pipeline as the app, for batch runs.

    python -m geo build-default [--shared DIR] [--out DIR]
    python -m geo build --gemeente GM0855 --kwb FILE [--kwb FILE ...] --buurten FILE [--nabijheid FILE]
                        [--facilities [TYPE=]FILE ...] [--schools FILE] [--network FILE] --out DIR
    python -m geo build-national [--shared DIR] [--out DIR]
    python -m geo rank --out FILE.csv|FILE.gpkg [--data DIR | --gemeente CODE] [--preset NAME] [--weight NAME=VALUE ...]
    python -m geo check FILE [--kind buurten|facilities|cbs]
    python -m geo network build --osm FILE --mode walk|bike --out FILE.npz [--polygon FILE]
    python -m geo network download --polygon FILE --name NAME [--modes walk,bike] [--url URL] [--out-dir DIR]
    python -m geo access --network FILE --facilities FILE [--origins FILE]
                         [--method nearest|cumulative|2sfca] --out FILE.csv
    python -m geo isochrones --network FILE --facilities FILE [--minutes 5,10,15] [--dissolve] --out FILE.gpkg
    python -m geo scenario --add TYPE,X,Y[,CAPACITY] ... [--remove ID ...] --out FILE.csv

    python -m geo fetch --gemeente GM0855|Tilburg [--year 2023] [--out DIR] [--no-network]

Exit codes: 0 success, 2 bad input (one line on stderr, no traceback); ``fetch`` also 3: the dataset
was written but some layers could not be fetched (they are named on stdout and in dataset.json).

Each command imports the modules it needs inside its handler: this is a front
end, and ``python -m geo check`` or ``--help`` should not pay for scipy,
rasterio, folium and the decision modules they do not use (start-up speed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from geo import schema
from geo.catalog import DEFAULT_PRESET, INDICATORS, PRESETS
from geo.data import files
from geo.data.paths import NETWORKS_DIR, SHARED_DATA_DIR
from geo.errors import EXIT_BAD_INPUT, EXIT_PARTIAL, ParameterError, PlanningError
from geo.network.routing import MAX_SNAP_M
from geo.units import MODES

if TYPE_CHECKING:

    from geo.network.graph import Network



def _parse_weight(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise ParameterError(f"--weight expects NAME=VALUE (e.g. dist_sport_m=2), found '{text}'.")
    name = name.strip()
    if name not in INDICATORS:
        raise ParameterError(f"--weight: unknown indicator '{name}'; expected one of: {', '.join(INDICATORS)}.")
    try:
        return name, float(value)
    except ValueError:
        raise ParameterError(f"--weight {name}: expected a number, found '{value}'.") from None


def _ranking_params(args: argparse.Namespace):
    """--preset with its --weight overrides."""
    from geo.decide.ranking import RankingParams

    normalisation = getattr(args, "normalisation", "municipality")
    return RankingParams.from_preset(args.preset, dict(_parse_weight(w) for w in args.weight),
                                     normalisation=normalisation)


def _check_output(path: Path) -> None:
    """Fail before the (slow) pipeline runs, not after, when the result cannot be written."""
    if path.suffix.lower() not in {".csv", ".gpkg", ".geojson"}:
        raise files.DataFileError(f"--out: expected a .csv, .gpkg or .geojson file, found '{path.name}'.")
    if not path.parent.is_dir():
        raise files.DataFileError(
            f"--out: expected an existing folder for '{path.name}', found no folder '{path.parent}'."
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description="Rijke Schooldag Planner – batch commands")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build-default", help="build data/utrecht from the shared open data")
    b.add_argument("--shared", default=str(SHARED_DATA_DIR),
                   help="folder with the shared open data (default: ../shared/data)")
    b.add_argument("--out", default=None, help="output folder (default: data/utrecht)")

    bd = sub.add_parser("build", help="build a dataset folder for one municipality from national-format files")
    bd.add_argument("--gemeente", required=True, metavar="CODE",
                    help="CBS municipality code (e.g. GM0855) or name")
    bd.add_argument("--kwb", action="append", required=True, metavar="[YEAR=]FILE",
                    help="CBS kerncijfers wijken en buurten (xlsx/csv, StatLine CSV); repeatable: per variable the "
                         "newest year with values is used. The year comes from the file name or YEAR=")
    bd.add_argument("--buurten", required=True, metavar="FILE",
                    help="buurt polygons with CBS codes (e.g. wijkenbuurten_2023.gpkg, GeoJSON, TopoJSON)")
    bd.add_argument("--buurten-layer", default=None, help="layer of a multi-layer file (default: the buurt layer)")
    bd.add_argument("--buurten-crs", default=None, metavar="CRS",
                    help="CRS to assume when the buurten file has none (e.g. EPSG:4326 for a TopoJSON)")
    bd.add_argument("--buurten-year", type=int, default=None, help="year of the buurt division (default: from name)")
    bd.add_argument("--nabijheid", default=None, metavar="FILE", help="CBS Nabijheid voorzieningen (StatLine CSV)")
    bd.add_argument("--facilities", action="append", default=[], metavar="[TYPE=]FILE",
                    help="facility points (.gpkg/.geojson/.csv; Mulier files recognised); TYPE= for a file "
                         "without a facility_type column (repeatable)")
    bd.add_argument("--schools", default=None, metavar="FILE",
                    help="DUO 'Alle vestigingen basisonderwijs' with coordinates (x_rd/y_rd or lon/lat) or with "
                         "--school-points")
    bd.add_argument("--school-pupils", default=None, metavar="FILE", help="DUO pupils per branch (LEERLINGEN_<year>)")
    bd.add_argument("--school-points", default=None, metavar="FILE", help="school points keyed on VESTIGINGSCODE")
    bd.add_argument("--school-scores", default=None, metavar="FILE",
                    help="CBS achterstandsscores per branch (derived CSV)")
    bd.add_argument("--area", default=None, metavar="FILE",
                    help="municipality polygon for the facility check (default: the union of its buurten)")
    bd.add_argument("--name", default=None, help="dataset name (default: the municipality name in the kwb file)")
    bd.add_argument("--network", default=None, metavar="FILE",
                    help="street network (.graphml, .osm.pbf, …): writes <network-dir>/<name>_{walk,bike}.npz")
    bd.add_argument("--network-dir", default=None, help="folder for the networks (default: data/networks)")
    bd.add_argument("--out", required=True, help="output dataset folder, e.g. data/tilburg")

    bn = sub.add_parser("build-national", help="build the national base layer data/national from the shared data")
    bn.add_argument("--shared", default=str(SHARED_DATA_DIR),
                    help="folder with the shared open data (default: ../shared/data)")
    bn.add_argument("--out", default=None, help="output folder (default: data/national)")

    r = sub.add_parser("rank", help="rank buurten for investment and write the result")
    r.add_argument("--out", required=True, help="output file, .csv or .gpkg (chosen by extension)")
    r.add_argument("--data", default=None, help="dataset folder (default: the embedded Utrecht data)")
    r.add_argument("--gemeente", default=None, metavar="CODE",
                   help="a municipality by CBS code or name: its dataset in data/ if one is there, else the "
                        "national base layer (population and age only)")
    r.add_argument("--national", action="store_true",
                   help="every buurt of the country: the base layer, with the full datasets in data/ for their "
                        "municipalities")
    r.add_argument("--normalisation", choices=("municipality", "national"), default="municipality",
                   help="z-scores within each municipality (default, as a council ranks) or over the whole "
                        "country (for a national funder)")
    r.add_argument("--preset", default=None, choices=sorted(PRESETS),
                   help=f"weight preset (default {DEFAULT_PRESET}; with --national: national)")
    r.add_argument("--weight", action="append", default=[], metavar="NAME=VALUE",
                   help="override one weight (repeatable); NAME is an indicator key")
    r.add_argument("--robustness", type=int, default=0, metavar="N",
                   help="re-rank with N weight draws around the chosen weights (adds rank_median, rank_p05, "
                        "rank_p95, share_top_n, weight_sensitive)")
    r.add_argument("--seed", type=int, default=0, help="seed of the weight draws (default 0)")
    r.add_argument("--top", type=int, default=10, metavar="N", help="top N for share_top_n (default 10)")
    r.add_argument("--lang", choices=("nl", "en"), default="nl", help="language of the 'explanation' column")

    c = sub.add_parser("check", help="validate a buurten, facilities or CBS file")
    c.add_argument("file")
    c.add_argument("--kind", choices=("auto", "buurten", "facilities", "cbs"), default="auto")
    c.add_argument("--code-column", default=None, help="buurt code column of a buurten file (default: detected)")
    c.add_argument("--facility-type", default=None, help="facility type for a file without a facility_type column")

    n = sub.add_parser("network", help="build or download a walk/bike street network (.npz)")
    nsub = n.add_subparsers(dest="network_command", required=True)
    nb = nsub.add_parser("build", help="build a network from an OSM extract, Overpass JSON or osmnx GraphML file")
    nb.add_argument("--osm", required=True, metavar="FILE",
                    help=".osm.pbf, .osm, .osm.gz, .osm.bz2, Overpass .json or osmnx .graphml")
    nb.add_argument("--mode", required=True, choices=("walk", "bike"))
    nb.add_argument("--out", required=True, metavar="FILE.npz", help="network file to write")
    nb.add_argument("--polygon", default=None, metavar="FILE",
                    help="keep only ways with a node inside this area (.gpkg/.geojson; all features merged)")
    nd = nsub.add_parser("download", help="download a municipality's streets from Overpass and build networks")
    nd.add_argument("--polygon", required=True, metavar="FILE",
                    help="municipality area, .gpkg/.geojson (all features merged)")
    nd.add_argument("--name", required=True, help="network name: writes <out-dir>/<name>_<mode>.npz")
    nd.add_argument("--modes", default="walk,bike", help="comma-separated modes (default: walk,bike)")
    nd.add_argument("--url", default=None, help="Overpass interpreter URL (default: https://overpass-api.de/api/interpreter)")
    nd.add_argument("--out-dir", default=None, help="output folder (default: data/networks)")
    nd.add_argument("--timeout", type=int, default=180, help="server-side query time limit, seconds (default 180)")
    nd.add_argument("--buffer-m", type=float, default=0.0, help="grow the area by this many metres (default 0)")
    nd.add_argument("--refresh", action="store_true", help="download again even when the answer is cached")

    a = sub.add_parser("access", help="network access from origins to facilities (nearest, cumulative, 2SFCA)")
    _network_inputs(a)
    a.add_argument("--origins", default=None,
                   help="points with an 'id' column, or buurt polygons "
                        "(default: the embedded buurten around the facilities)")
    a.add_argument("--method", choices=("nearest", "cumulative", "2sfca"), default="nearest")
    a.add_argument("--demand-column", default=None,
                   help="origin column with demand for 2SFCA (default: children 0-14 for buurten, else 1)")
    a.add_argument("--out", required=True, help="output .csv")

    i = sub.add_parser("isochrones", help="5/10/15-minute isochrone polygons per facility over the network")
    _network_inputs(i)
    i.add_argument("--dissolve", action="store_true",
                   help="one polygon per band (and facility type) instead of per facility")
    i.add_argument("--out", required=True, help="output .gpkg (or .geojson)")

    e = sub.add_parser("export", help="write the ranking (CSV + method JSON, GeoPackage), the offline map (HTML) "
                                     "and the decision pack (print-ready HTML) into a folder")
    e.add_argument("--out-dir", required=True, help="existing output folder")
    e.add_argument("--data", default=None, help="dataset folder (default: the embedded Utrecht data)")
    e.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS), help="weight preset")
    e.add_argument("--weight", action="append", default=[], metavar="NAME=VALUE", help="override one weight")
    e.add_argument("--lang", choices=("nl", "en"), default="nl")
    e.add_argument("--map-column", default=schema.PRIORITY_SCORE,
                   help="column shown on the map (default priority_score)")
    e.add_argument("--share-link", default=None, help="link to the same view in the app, printed in the pack")
    e.add_argument("--robustness", type=int, default=1000, metavar="N",
                   help="weight draws for the robustness summary (0 = leave it out; default 1000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--top", type=int, default=10, metavar="N", help="top N in the pack and robustness (default 10)")
    e.add_argument("--school", default=None, metavar="CODE",
                   help="also print this branch's gap card in the pack's Scholen section")
    e.add_argument("--no-schools", action="store_true", help="leave the Scholen section out of the pack")

    sc = sub.add_parser("scenario", help="add or remove facilities and compare access and ranking before/after")
    sc.add_argument("--add", action="append", default=[], metavar="TYPE,X,Y[,CAPACITY]",
                    help="a hypothetical facility, X and Y in EPSG:28992 metres (repeatable)")
    sc.add_argument("--remove", action="append", default=[], metavar="FACILITY_ID",
                    help="remove an existing facility by its id (repeatable)")
    sc.add_argument("--cbs-rule", choices=("combine", "points"), default="combine",
                    help="types measured by CBS road distance: combine CBS with the new facility (default) "
                         "or measure to points before and after (needed to remove)")
    sc.add_argument("--data", default=None, help="dataset folder (default: the embedded Utrecht data)")
    sc.add_argument("--network", default=None, help="street network (.npz/.osm/.graphml) for travel over streets "
                                                    "(default: the dataset's own if built, else straight line)")
    sc.add_argument("--mode", choices=("walk", "bike"), default="walk")
    sc.add_argument("--speed-kmh", type=float, default=None, help="speed in km/h (default: a child's: walk 4, bike 12)")
    sc.add_argument("--minutes", default="5,10,15", help="travel-time bands for 'newly within' (default 5,10,15)")
    sc.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS), help="weight preset")
    sc.add_argument("--weight", action="append", default=[], metavar="NAME=VALUE", help="override one weight")
    sc.add_argument("--out", required=True, help="output .csv (one row per buurt, before/after columns)")

    f = sub.add_parser("fetch", help="fetch a municipality's dataset from CBS, PDOK, DUO, LRK and OpenStreetMap")
    f.add_argument("--gemeente", required=True, help="municipality code (GM0855, 0855) or name (Tilburg)")
    f.add_argument("--year", type=int, default=None, help="newest CBS year to use (default: the newest published)")
    f.add_argument("--out", default=None, help="dataset folder to write (default: data/<municipality>)")
    f.add_argument("--no-network", action="store_true",
                   help="use only what is in the download cache (data/cache); nothing is downloaded")
    f.add_argument("--refresh", action="store_true", help="download again even what is in the cache")
    f.add_argument("--cache-dir", default=None, help="download cache (default: data/cache)")
    f.add_argument("--pc4", default=None,
                   help="PC4 centroid table for addresses the geocoder cannot place "
                        "(default: the shipped data/national/pc4_centroids.csv)")
    sh = sub.add_parser("schools", help="the rijke schooldag by school: disadvantage, domains within walking reach, "
                                        "gap score and catchment per primary-school branch (CSV), or one gap card")
    sh.add_argument("--out", required=True, help="output: .csv (one row per branch), or .html with --card")
    sh.add_argument("--data", default=None, help="dataset folder (default: the embedded Utrecht data)")
    sh.add_argument("--gemeente", default=None, metavar="CODE",
                    help="a municipality by CBS code or name (its dataset in data/, else the national base layer)")
    sh.add_argument("--network", default=None, metavar="FILE|none",
                    help="walking network (.npz/.osm/.graphml); default: the dataset's own walk network if built, "
                         "else straight line; 'none' forces straight line")
    sh.add_argument("--minutes", type=float, default=10.0,
                    help="walking minutes (child speed) a domain must be reached in (default 10)")
    sh.add_argument("--eligible", default=None, metavar="FILE",
                    help="the municipality's list of eligible branches (CSV/XLSX with VESTIGINGSCODE, or TXT)")
    sh.add_argument("--card", default=None, metavar="CODE", help="write the printable gap card of this branch")
    sh.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS),
                    help="weight preset for the catchment need index")
    sh.add_argument("--weight", action="append", default=[], metavar="NAME=VALUE", help="override one weight")
    sh.add_argument("--lang", choices=("nl", "en"), default="nl", help="language of the gap card")
    bt = sub.add_parser("batch", help="every municipality at once on Dask: the app's pipeline per municipality "
                                      "(+ a buffer across the border) into one national file")
    bt.add_argument("--gemeenten", required=True, metavar="all|GM0344,GM0503,…",
                    help="'all' (the 342 municipalities of the base layer) or municipality codes/names")
    bt.add_argument("--out", required=True, metavar="DIR.parquet",
                    help="GeoParquet folder partitioned by municipality; <out>.csv and <out>_schools.csv beside it")
    how = bt.add_mutually_exclusive_group()
    how.add_argument("--workers", type=int, default=None, help="local Dask worker processes (default 2)")
    how.add_argument("--scheduler", default=None, metavar="tcp://host:port", help="an existing Dask scheduler")
    how.add_argument("--no-dask", action="store_true", help="a plain loop in this process (baseline, debugging)")
    bt.add_argument("--memory-limit", default=None, metavar="2GB", help="memory limit per local worker")
    bt.add_argument("--retries", type=int, default=1, help="tries again per failed municipality (default 1)")
    bt.add_argument("--mode", choices=("walk", "bike"), default="walk", help="travel mode (child speed)")
    bt.add_argument("--minutes", default="5,10,15", help="travel bands; the longest is the buffer (default 5,10,15)")
    bt.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS), help="weight preset")
    bt.add_argument("--data-dir", default=None, help="folder of full datasets (default: data/)")
    return parser


def _network_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--network", required=True,
                   help="network: .npz (from 'network build'), .osm(.gz/.bz2/.pbf) or .graphml")
    p.add_argument("--facilities", required=True, help="facility points: .gpkg, .geojson or .csv (x/y or lon/lat)")
    p.add_argument("--facility-type", default=None,
                   help="use only this type (or: the type of every row when the file has no facility_type column)")
    p.add_argument("--mode", choices=MODES, default=None,
                   help="travel mode (default: the network's own, else walk)")
    p.add_argument("--speed-kmh", type=float, default=None, help="speed in km/h (default: a child's: walk 4, bike 12)")
    p.add_argument("--minutes", default="5,10,15", help="comma-separated travel-time bands (default 5,10,15)")
    p.add_argument("--max-snap-m", type=float, default=MAX_SNAP_M,
                   help=f"farthest a point may be from the network (default {MAX_SNAP_M:g} m)")


def cmd_build_default(args: argparse.Namespace) -> int:
    from geo.data.build import build_default
    from geo.data.paths import DEFAULT_DATA_DIR

    out = args.out or DEFAULT_DATA_DIR
    meta = build_default(args.shared, out)
    counts = ", ".join(f"{k} {v}" for k, v in meta["n_facilities"].items())
    print(f"Wrote {out}: {meta['n_buurten']} buurten; facilities: {counts}.")
    for note in meta["build_notes"]:
        print(f"  - {note}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from geo.data import build

    schools = None
    if args.schools:
        schools = build.SchoolFiles(
            Path(args.schools),
            pupils=Path(args.school_pupils) if args.school_pupils else None,
            points=Path(args.school_points) if args.school_points else None,
            scores=Path(args.school_scores) if args.school_scores else None,
        )
    elif args.school_pupils or args.school_points or args.school_scores:
        raise ParameterError("--school-pupils, --school-points and --school-scores need --schools.")
    code = args.gemeente.strip().upper()
    if not code.startswith("GM"):  # a name or a bare number: the national base layer knows every municipality
        from geo.data.national import resolve_municipality

        code = resolve_municipality(args.gemeente)[0]
    inputs = build.BuildInputs(
        municipality_code=code,
        kwb=tuple(build.parse_kwb_argument(k) for k in args.kwb),
        buurten=build.BuurtenFile(
            Path(args.buurten), layer=args.buurten_layer, crs=args.buurten_crs,
            year=args.buurten_year or build.year_in_name(args.buurten),
        ),
        nabijheid=Path(args.nabijheid) if args.nabijheid else None,
        facilities=tuple(build.parse_facility_argument(f) for f in args.facilities),
        schools=schools,
        area=Path(args.area) if args.area else None,
        name=args.name,
        network=Path(args.network) if args.network else None,
    )
    meta = build.build_dataset(inputs, args.out, network_dir=args.network_dir or NETWORKS_DIR)
    counts = ", ".join(f"{k} {v}" for k, v in meta["n_facilities"].items())
    print(f"Wrote {args.out}: {meta['name']} ({meta['municipality_code']}), {meta['n_buurten']} buurten; "
          f"facilities: {counts}.")
    years = sorted(set(meta["indicator_years"].values()))
    print(f"  statistics of {', '.join(map(str, years))}; missing: {', '.join(m['id'] for m in meta['missing'])}")
    if meta.get("network"):
        modes = ", ".join(f"{m['file']} ({m['nodes']:,} nodes)" for m in meta["network"]["modes"].values())
        print(f"  networks: {modes}")
    for note in meta["build_notes"]:
        print(f"  - {note}")
    return 0


def cmd_build_national(args: argparse.Namespace) -> int:
    from geo.data.national import NATIONAL_DIR, build_national

    out = args.out or NATIONAL_DIR
    manifest = build_national(args.shared, out)
    c = manifest["counts"]
    print(f"Wrote {out}: {c['municipalities']} municipalities, {c['buurten']:,} buurten "
          f"({c['buurten_with_shape']:,} with a 2014 shape), {c['school_branches']:,} school branches.")
    for note in manifest["notes"]:
        print(f"  - {note}")
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    from geo.decide.pipeline import output_columns, prepare, rank, run

    _check_output(Path(args.out))
    args.preset = args.preset or ("national" if args.national else DEFAULT_PRESET)
    params = _ranking_params(args)
    if args.robustness < 0 or args.top < 1:
        raise ParameterError(f"--robustness must be ≥ 0 and --top ≥ 1, found {args.robustness} and {args.top}.")
    if sum(bool(x) for x in (args.gemeente, args.data, args.national)) > 1:
        raise ParameterError("Give one of --data, --gemeente and --national.")
    if args.national:
        import time

        from geo.data.national import load_country

        dataset = load_country()
        t0 = time.perf_counter()
        result = rank(prepare(dataset), params)
        print(f"Nederland: {len(dataset.buurten):,} buurten of {dataset.buurten[schema.MUNICIPALITY_CODE].nunique()} "
              f"municipalities ranked in {time.perf_counter() - t0:.2f} s, normalised "
              f"{'within each municipality' if params.normalisation == 'municipality' else 'over the country'}.")
    elif args.gemeente:
        from geo.data.national import load_municipality

        dataset = load_municipality(args.gemeente)
        kind = "national base layer" if dataset.meta.get("kind") == "base_layer" else f"dataset {dataset.directory}"
        print(f"{dataset.name} ({dataset.meta.get('municipality_code')}): {kind}.")
        result = rank(prepare(dataset), params)
    else:
        result = run(args.data, params)
    table = result.table
    table = table.assign(explanation=explanation_column(result, args.lang))
    if args.robustness:
        from geo.decide.robustness import compute_robustness

        rb = compute_robustness(result.ranking, params, n_draws=args.robustness, seed=args.seed, top_n=args.top)
        table = table.join(rb.table)
    out = table[output_columns(table) + ["geometry"]]
    from geo.report.record import gpkg_metadata, method_json

    meta = gpkg_metadata(result)
    if args.robustness:
        meta["robustness"] = f"{args.robustness} Dirichlet weight draws, seed {args.seed}, top {args.top}"
    files.write_table(out, args.out, metadata=meta)
    if Path(args.out).suffix.lower() == ".csv":  # a CSV cannot hold metadata: the method goes beside it
        Path(args.out).with_suffix(".method.json").write_text(method_json(result), encoding="utf-8")
    ranked = int((table[schema.STATUS] == schema.STATUS_RANKED).sum())
    print(f"Wrote {args.out}: {ranked} buurten ranked, {len(table) - ranked} without inhabitants (not ranked).")
    unused = [f"{u.key} ({u.reason})" for u in result.ranking.unused]
    if unused:
        print(f"Not used (no usable data): {', '.join(unused)}")
    without = result.prepared.dataset.meta.get("without_shape") or []
    if without:
        where = "not on a map" if result.prepared.dataset.meta.get("kind") == "base_layer" else "not in this dataset"
        print(f"Without a buurt shape ({where}): {len(without)} buurten, e.g. "
              + ", ".join(f"{b['buurt_code']} {b['buurt_name']}" for b in without[:5]))
    missing = result.prepared.dataset.meta.get("missing") or []
    if args.gemeente and missing:
        print(f"Missing in this dataset: {'; '.join(m['en'] for m in missing)}")
    return 0


def explanation_column(result, lang: str) -> list[str]:
    """One plain sentence per buurt: why it ranks where it does (as in the app's detail panel)."""
    from geo.decide.explain import explanation_sentences

    return explanation_sentences(result.table, result.ranking, lang=lang, measures=result.prepared.access.measures)


def cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.file)
    kind = args.kind
    if kind == "auto":
        kind = files.guess_kind(path)
    if kind == "buurten":
        loaded = files.load_buurten(path, code_column=args.code_column)
    elif kind == "facilities":
        loaded = files.load_facilities(path, facility_type=args.facility_type)
    else:
        loaded = files.load_cbs_table(path)
    print(f"OK ({kind}): {loaded.report.summary()}")
    return 0


def _describe_network(network: Network) -> str:
    lcc = int(network.largest_component().sum())
    share = 100.0 * lcc / network.n_nodes if network.n_nodes else 0.0
    return (f"{network.mode} network, {network.n_nodes:,} nodes, {network.n_edges:,} edges; "
            f"largest component {lcc:,} nodes ({share:.1f}%)")


def _parse_minutes(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ParameterError(f"--minutes expects numbers separated by commas (e.g. 5,10,15), found '{text}'.") from None
    if not values or any(not (0 < v <= 120) for v in values):
        raise ParameterError(f"--minutes: expected travel times between 0 and 120 minutes, found '{text}'.")
    return tuple(sorted(set(values)))


def _network_and_facilities(args: argparse.Namespace):
    from geo.data.networks import build_network
    from geo.network.graph import Network

    path = Path(args.network)
    mode = args.mode
    if mode is None and path.suffix.lower() == ".npz":
        mode = Network.load(path).mode
    mode = mode or "walk"
    network = build_network(path, mode=mode)
    has_type_col = files.has_column(Path(args.facilities), schema.FACILITY_TYPE)
    loaded = files.load_facilities(
        args.facilities, facility_type=None if has_type_col else args.facility_type, require_name=False
    )
    facilities = loaded.frame
    if args.facility_type and has_type_col:
        facilities = facilities[facilities[schema.FACILITY_TYPE] == args.facility_type]
        if facilities.empty:
            raise ParameterError(f"No facilities of type '{args.facility_type}' in '{Path(args.facilities).name}'.")
    return network, facilities, _speed(mode, args.speed_kmh)


def _speed(mode: str, speed_kmh: float | None) -> float:
    """--speed-kmh, or a child's speed for the mode; must be positive."""
    from geo.units import default_speed_kmh

    speed = speed_kmh if speed_kmh is not None else default_speed_kmh(mode)
    if not speed > 0:
        raise ParameterError(f"--speed-kmh must be > 0, found {speed}.")
    return speed


def _default_origins(facilities) -> tuple[object, str | None]:
    """Buurten of the embedded dataset around the facilities, with children as demand."""
    from geo.data.paths import DEFAULT_DATA_DIR
    from geo.decide.indicators import compute_indicators

    dataset = files.load_dataset(DEFAULT_DATA_DIR)
    b = dataset.buurten
    hull = facilities.geometry.union_all().convex_hull.buffer(2_000)
    near = b[b.intersects(hull)]
    if near.empty:
        raise ParameterError(
            f"The facilities are not in or near {dataset.name} (the embedded buurten); pass --origins with "
            "points (an 'id' column) or buurt polygons of their municipality."
        )
    origins = near[[schema.BUURT_CODE, "geometry"]].rename(columns={schema.BUURT_CODE: "origin_id"})
    origins["children_0_14"] = compute_indicators(near)["children_0_14"].to_numpy()
    return origins, "children_0_14"


def _load_origins(path: str):
    p = Path(path)
    if p.suffix.lower() in files.VECTOR_SUFFIXES:
        gdf = files.read_vector(p)
        if len(gdf) and set(gdf.geometry.geom_type) <= {"Polygon", "MultiPolygon"}:
            b = files.load_buurten(p).frame
            return b[[schema.BUURT_CODE, "geometry"]].rename(columns={schema.BUURT_CODE: "origin_id"})
    f = files.load_facilities(p, facility_type="origin", require_name=False).frame
    if "id" not in f.columns:
        raise files.MissingColumnError(
            f"'{p.name}': expected an 'id' column for the origins; found: {', '.join(map(str, f.columns))}."
        )
    return f.assign(origin_id=f["id"].astype(str))


def cmd_access(args: argparse.Namespace) -> int:
    from geo.decide.access import network_access_table

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise files.DataFileError(f"--out: expected a .csv file, found '{out.name}'.")
    minutes = _parse_minutes(args.minutes)
    network, facilities, speed = _network_and_facilities(args)
    if args.origins:
        origins, demand = _load_origins(args.origins), args.demand_column
    else:
        origins, demand = _default_origins(facilities)
        demand = args.demand_column or demand
    table = network_access_table(
        network, origins, facilities, speed_kmh=speed, method=args.method, minutes=minutes,
        demand_column=demand, max_snap_m=args.max_snap_m,
    )
    table.to_csv(out, index=False)
    n_unsnapped = int((~table["snapped"]).sum())
    print(f"Wrote {out}: {len(table)} origins, {len(facilities)} facilities, {network.mode} at {speed:g} km/h, "
          f"method {args.method}"
          + (f"; {n_unsnapped} origins farther than {args.max_snap_m:g} m from the network" if n_unsnapped else "")
          + ".")
    return 0


def cmd_isochrones(args: argparse.Namespace) -> int:
    from geo.network.isochrones import facility_isochrones

    out = Path(args.out)
    if out.suffix.lower() not in {".gpkg", ".geojson"}:
        raise files.DataFileError(f"--out: expected a .gpkg or .geojson file, found '{out.name}'.")
    minutes = _parse_minutes(args.minutes)
    network, facilities, speed = _network_and_facilities(args)
    gdf, unsnapped = facility_isochrones(
        network, facilities, minutes, speed, max_snap_m=args.max_snap_m, dissolve=args.dissolve
    )
    metadata = {"mode": network.mode, "speed_kmh": speed, "minutes": args.minutes}
    files.write_table(gdf, out, layer="isochrones", metadata=metadata)
    print(f"Wrote {out}: {len(gdf)} polygons ({network.mode}, {speed:g} km/h, bands {args.minutes} min)"
          + (f"; not placed on the network: {', '.join(unsnapped)}" if unsnapped else "") + ".")
    return 0


def _engine_for(dataset: files.Dataset, network_path: str | None, mode: str, speed_kmh: float | None):
    """Network engine from --network, else the dataset's own network if one was built, else None (straight line)."""
    from geo.data.networks import build_network, find_network
    from geo.decide.access import NetworkEngine

    path = Path(network_path) if network_path else find_network(dataset, mode)
    speed = _speed(mode, speed_kmh)
    if path is None:
        return None, speed
    return NetworkEngine(build_network(path, mode=mode), speed_kmh=speed), speed


def _dataset_arg(args: argparse.Namespace) -> files.Dataset:
    """--data or --gemeente (not both); default: the embedded Utrecht data."""
    from geo.data.paths import DEFAULT_DATA_DIR

    if args.gemeente and args.data:
        raise ParameterError("Give --data or --gemeente, not both.")
    if args.gemeente:
        from geo.data.national import load_municipality

        return load_municipality(args.gemeente)
    return files.load_dataset(args.data or DEFAULT_DATA_DIR)


def cmd_schools(args: argparse.Namespace) -> int:
    from geo.data import national
    from geo.decide import schools
    from geo.decide.pipeline import prepare, rank

    out = Path(args.out)
    want = ".html" if args.card else ".csv"
    if out.suffix.lower() != want:
        raise files.DataFileError(f"--out: expected a {want} file{' with --card' if args.card else ''}, "
                                  f"found '{out.name}'.")
    if not out.parent.is_dir():
        raise files.DataFileError(f"--out: expected an existing folder for '{out.name}', found no folder "
                                  f"'{out.parent}'.")
    settings = schools.ReachSettings(minutes=args.minutes)
    dataset = _dataset_arg(args)
    eligible = None
    if args.eligible:
        eligible, bad = files.load_school_codes(args.eligible)
        if bad:
            print(f"{args.eligible}: {len(bad)} lines are not branch codes and are ignored: {', '.join(bad[:5])}")
    engine = None
    if (args.network or "").lower() != "none":
        engine, _ = _engine_for(dataset, args.network, schools.REACH_MODE, settings.speed_kmh)
    result = schools.analyse_schools(dataset, scores=national.school_scores(), history=national.pupil_history(),
                                     engine=engine, settings=settings, eligible_codes=eligible)
    ranking = rank(prepare(dataset), _ranking_params(args))
    table = schools.with_need(result, ranking.table)
    how = (f"walking over the {engine.network.mode} network at {settings.speed_kmh:g} km/h" if engine is not None
           else "straight line (approximation)")
    if result.network_approximation:
        how += f" — {result.network_approximation[1]}"
    if args.card:
        from geo.report.school_card import gap_card
        from layers.school_card import card_html

        code = args.card.strip().upper()
        card = gap_card(result, code, ranking.table, args.lang, dataset_name=dataset.name)
        out.write_text(card_html(card, standalone=True), encoding="utf-8")
        print(f"Wrote {out}: gap card of {code} ({how}).")
        return 0
    columns = schools.csv_columns(table)
    table = table.round({schema.RELATIVE_SCORE: 4, schema.NATIONAL_PERCENTILE: 2})
    table[columns].to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
    n_score = int(table[schema.SCHOOL_SCORE].notna().sum())
    n_like = int(table[schema.ELIGIBLE_LIKE].fillna(False).sum())
    print(f"Wrote {out}: {len(table)} branches of {dataset.name}, {n_score} with a CBS achterstandsscore, "
          f"{n_like} comparable to category A (estimate); reach {how}, within {args.minutes:g} minutes.")
    for note in result.notes:
        print(f"  - {note}")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from geo import batch
    from geo.data.paths import DATA_DIR, NETWORKS_DIR

    out = Path(args.out)
    if not out.parent.is_dir():
        raise files.DataFileError(f"--out: expected an existing folder for '{out.name}', found no folder "
                                  f"'{out.parent}'.")
    if args.workers is not None and args.workers < 1:
        raise ParameterError(f"--workers must be ≥ 1, found {args.workers}.")
    if args.retries < 0:
        raise ParameterError(f"--retries must be ≥ 0, found {args.retries}.")
    bands = _parse_minutes(args.minutes)
    settings = batch.BatchSettings(mode=args.mode, bands_min=bands, preset=args.preset,
                                   school_minutes=min(10.0, max(bands)))
    data_dir = Path(args.data_dir) if args.data_dir else DATA_DIR
    specs = batch.plan_partitions(args.gemeenten, data_dir=data_dir, network_dir=NETWORKS_DIR, mode=args.mode)
    print(f"{len(specs)} municipalities ({sum(s.kind == 'dataset' for s in specs)} full datasets, the rest from "
          f"the national base layer); buffer {settings.buffer_m:,.0f} m ({max(bands):g} min {args.mode}).")
    result = batch.run_batch(specs, settings, pool=batch.facility_pool(data_dir), workers=args.workers,
                             scheduler=args.scheduler, memory_limit=args.memory_limit, retries=args.retries,
                             local=args.no_dask)
    if not result.results:
        print(f"error: every municipality failed ({len(result.failures)}); nothing written.", file=sys.stderr)
        return EXIT_BAD_INPUT
    paths = batch.write_batch(result, out)
    n = len(result.buurten())
    print(f"Wrote {paths['parquet']} ({len(result.results)} municipalities, {n:,} buurten), {paths['csv']}, "
          f"{paths['schools_csv']} in {result.wall_seconds:.1f} s on {result.workers} worker(s).")
    if result.failures:
        print(f"{len(result.failures)} municipalities failed and are not in the file:")
        for code, message in sorted(result.failures.items()):
            print(f"  - {code}: {message}")
        return EXIT_PARTIAL
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from geo.data.paths import detect_app_version
    from geo.decide.pipeline import run
    from layers.exports import write_exports

    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        raise files.DataFileError(f"--out-dir: expected an existing folder, found no folder '{out_dir}'.")
    if args.robustness < 0 or args.top < 1:
        raise ParameterError(f"--robustness must be ≥ 0 and --top ≥ 1, found {args.robustness} and {args.top}.")
    params = _ranking_params(args)
    result = run(args.data, params)
    if args.map_column not in result.table.columns:
        raise ParameterError(f"--map-column: unknown column '{args.map_column}'; try priority_score, need_index, "
                             "access_gap or an indicator key.")
    robustness = None
    if args.robustness:
        from geo.decide.robustness import compute_robustness

        robustness = compute_robustness(result.ranking, params, n_draws=args.robustness, seed=args.seed, top_n=args.top)
    school_result = None
    if not args.no_schools:
        from geo.data import national
        from geo.decide import schools

        dataset = result.prepared.dataset
        settings = schools.ReachSettings()
        engine, _ = _engine_for(dataset, None, schools.REACH_MODE, settings.speed_kmh)
        school_result = schools.analyse_schools(dataset, scores=national.school_scores(),
                                                history=national.pupil_history(), engine=engine, settings=settings)
        if school_result.branches.empty:
            school_result = None
    selected_school = args.school.strip().upper() if args.school else None
    if selected_school and (school_result is None or selected_school not in school_result.branches.index):
        raise ParameterError(f"--school: no primary-school branch '{selected_school}' in this dataset.")
    paths = write_exports(
        result, out_dir, lang=args.lang, map_column=args.map_column, share_link=args.share_link,
        robustness=robustness, robustness_draws=args.robustness or None, top_n=args.top,
        app_version=detect_app_version(), schools=school_result, selected_school=selected_school,
    )
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def cmd_scenario(args: argparse.Namespace) -> int:
    from geo.data.paths import DEFAULT_DATA_DIR
    from geo.decide.scenario import Scenario, ScenarioFacility, run_scenario

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise files.DataFileError(f"--out: expected a .csv file, found '{out.name}'.")
    _check_output(out)
    if not args.add and not args.remove:
        raise ParameterError("Nothing to compare: give at least one --add TYPE,X,Y[,CAPACITY] or --remove FACILITY_ID.")
    scenario = Scenario(
        name="cli", added=tuple(ScenarioFacility.parse(a) for a in args.add), removed=tuple(args.remove),
        cbs_rule=args.cbs_rule,
    )
    params = _ranking_params(args)
    minutes = _parse_minutes(args.minutes)
    dataset = files.load_dataset(args.data or DEFAULT_DATA_DIR)
    engine, speed = _engine_for(dataset, args.network, args.mode, args.speed_kmh)
    _, _, comparison = run_scenario(dataset, scenario, params, engine, speed_kmh=speed, minutes=minutes)
    comparison.table.drop(columns="geometry", errors="ignore").to_csv(out, index=False)
    how = f"{engine.network.mode} network at {speed:g} km/h" if engine is not None else "straight line (approximation)"
    print(f"Wrote {out}: {len(comparison.table)} buurten; access {how}; "
          f"{comparison.n_rank_changed} buurten change rank.")
    for row in comparison.reach.itertuples(index=False):
        print("  " + ", ".join(f"{k}={v}" for k, v in row._asdict().items()))
    for note in comparison.notes:
        print(f"  note: {note}")
    return 0


def cmd_network_build(args: argparse.Namespace) -> int:
    from geo.data.networks import build_network

    out = Path(args.out)
    if out.suffix.lower() != ".npz":
        raise files.DataFileError(f"--out: expected a .npz file, found '{out.name}'.")
    if not out.parent.is_dir():
        raise files.DataFileError(
            f"--out: expected an existing folder for '{out.name}', found no folder '{out.parent}'."
        )
    polygon = files.load_area(args.polygon) if args.polygon else None
    network = build_network(args.osm, mode=args.mode, polygon=polygon)
    network.save(out)
    print(f"Wrote {out}: {_describe_network(network)}.")
    dropped = network.meta.get("ways_dropped_by_profile") or {}
    if dropped:
        print(f"  ways used {network.meta['ways_kept']:,} of {network.meta['ways_read']:,}; not used: "
              + "; ".join(f"{k} ({v})" for k, v in dropped.items()))
    return 0


class _ByteProgress:
    """Bytes downloaded, on one stderr line redrawn at most five times a second."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.last = float("-inf")
        self.state: tuple[int, int | None] | None = None

    def __call__(self, done: int, total: int | None) -> None:
        import time

        self.state = (done, total)
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            self._draw()

    def _draw(self) -> None:
        if self.state is None:
            return
        done, total = self.state
        of = f" of {total / 1e6:.1f} MB" if total else ""
        self.stream.write(f"\rOverpass: downloaded {done / 1e6:.1f} MB{of}   ")
        self.stream.flush()

    def close(self, *, erase: bool = False) -> None:
        """End the line with the final count, or ``erase`` it (an error message follows)."""
        if self.state is None:
            return
        if erase:
            self.stream.write("\r" + " " * 60 + "\r")
        else:
            self._draw()
            self.stream.write("\n")
        self.stream.flush()


def cmd_network_download(args: argparse.Namespace) -> int:
    from geo.data import overpass
    from geo.network.graph import Network as _Network

    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    bad = [m for m in modes if m not in ("walk", "bike")]
    if bad or not modes:
        raise ParameterError(f"--modes: expected walk, bike or walk,bike, found '{args.modes}'.")
    area = files.load_area(args.polygon)
    progress = _ByteProgress()
    try:
        paths = overpass.download_network(
            area,
            name=args.name,
            modes=modes,
            data_dir=args.out_dir or NETWORKS_DIR,
            url=args.url or overpass.OVERPASS_URL,
            timeout=args.timeout,
            buffer_m=args.buffer_m,
            progress=progress,
            refresh=args.refresh,
        )
    except BaseException:
        progress.close(erase=True)
        raise
    progress.close()
    for path in paths.values():
        print(f"Wrote {path}: {_describe_network(_Network.load(path))}.")
    return 0


def cmd_network(args: argparse.Namespace) -> int:
    return {"build": cmd_network_build, "download": cmd_network_download}[args.network_command](args)


def cmd_fetch(args: argparse.Namespace) -> int:
    """Exit 0: complete; 3: written but with missing layers (named); 2: nothing written (see geo.data.fetch)."""
    from geo.data.fetch import fetch_dataset
    from geo.data.geocode import load_pc4_table
    from geo.data.http import DEFAULT_CACHE_DIR, Client
    from geo.data.national import PC4_FILE

    def show(layer: str, message: str) -> None:
        print(f"\r\033[K{layer:<10} {message}", file=sys.stderr, flush=True)  # ends a download progress line

    def bytes_in(what: str, done: int, total: int | None) -> None:
        size = f"{done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total else "")
        print(f"\r  {what[:60]:<60} {size}", end="", file=sys.stderr, flush=True)

    client = Client(cache_dir=Path(args.cache_dir) if args.cache_dir else DEFAULT_CACHE_DIR,
                    offline=args.no_network, refresh=args.refresh, progress=None if args.no_network else bytes_in)
    pc4 = load_pc4_table(Path(args.pc4) if args.pc4 else PC4_FILE)
    report = fetch_dataset(args.gemeente, year=args.year, out_dir=args.out, client=client, progress=show,
                           pc4_table=pc4)
    print("\n".join(report.lines()))
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "build-default": cmd_build_default, "build": cmd_build, "build-national": cmd_build_national,
        "rank": cmd_rank, "check": cmd_check, "network": cmd_network,
        "access": cmd_access, "isochrones": cmd_isochrones, "scenario": cmd_scenario, "export": cmd_export,
        "fetch": cmd_fetch, "schools": cmd_schools, "batch": cmd_batch,
    }
    try:
        return handlers[args.command](args)
    except PlanningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
