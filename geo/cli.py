"""Command line: the same pipeline as the app, for batch runs.

    python -m geo build-default [--shared DIR] [--out DIR]
    python -m geo rank --out FILE.csv|FILE.gpkg [--data DIR] [--preset NAME] [--weight NAME=VALUE ...]
    python -m geo check FILE [--kind buurten|facilities|cbs]

Exit codes: 0 success, 2 bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import io
from geo import schema as S
from geo.catalog import DEFAULT_PRESET, INDICATORS, PRESETS
from geo.errors import ParameterError, PlanningError

EXIT_BAD_INPUT = 2


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


def _check_output(path: Path) -> None:
    """Fail before the (slow) pipeline runs, not after, when the result cannot be written."""
    if path.suffix.lower() not in {".csv", ".gpkg", ".geojson"}:
        raise io.DataFileError(f"--out: expected a .csv, .gpkg or .geojson file, found '{path.name}'.")
    if not path.parent.is_dir():
        raise io.DataFileError(f"--out: expected an existing folder for '{path.name}', found no folder '{path.parent}'.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description="Rijke Schooldag Planner – batch commands")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build-default", help="build data/utrecht from the shared open data")
    b.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"),
                   help="folder with the shared open data (default: ../shared/data)")
    b.add_argument("--out", default=None, help="output folder (default: data/utrecht)")

    r = sub.add_parser("rank", help="rank buurten for investment and write the result")
    r.add_argument("--out", required=True, help="output file, .csv or .gpkg (chosen by extension)")
    r.add_argument("--data", default=None, help="dataset folder (default: the embedded Utrecht data)")
    r.add_argument("--preset", default=DEFAULT_PRESET, choices=sorted(PRESETS), help="weight preset")
    r.add_argument("--weight", action="append", default=[], metavar="NAME=VALUE",
                   help="override one weight (repeatable); NAME is an indicator key")

    c = sub.add_parser("check", help="validate a buurten, facilities or CBS file")
    c.add_argument("file")
    c.add_argument("--kind", choices=("auto", "buurten", "facilities", "cbs"), default="auto")
    c.add_argument("--code-column", default=None, help="buurt code column of a buurten file (default: detected)")
    c.add_argument("--facility-type", default=None, help="facility type for a file without a facility_type column")
    return parser


def cmd_build_default(args: argparse.Namespace) -> int:
    from geo.build import build_default
    from geo.pipeline import DEFAULT_DATA_DIR

    out = args.out or DEFAULT_DATA_DIR
    meta = build_default(args.shared, out)
    counts = ", ".join(f"{k} {v}" for k, v in meta["n_facilities"].items())
    print(f"Wrote {out}: {meta['n_buurten']} buurten; facilities: {counts}.")
    for note in meta["build_notes"]:
        print(f"  - {note}")
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    from geo.pipeline import output_columns, run
    from geo.ranking import RankingParams

    _check_output(Path(args.out))
    overrides = dict(_parse_weight(w) for w in args.weight)
    params = RankingParams.from_preset(args.preset, overrides)
    result = run(args.data, params)
    table = result.table
    out = table[output_columns(table) + ["geometry"]]
    meta = {
        "method": "z-scores (median imputation, clipped ±3) × direction, weighted sum; see README 'Method'",
        "preset": args.preset,
        "weights": ";".join(f"{k}={v:g}" for k, v in params.weights),
        "access_measures": ";".join(f"{k}={m.method}" for k, m in result.prepared.access.measures.items()),
        "dataset": result.prepared.dataset.name,
    }
    io.write_table(out, args.out, metadata=meta)
    ranked = int((table[S.STATUS] == S.STATUS_RANKED).sum())
    print(f"Wrote {args.out}: {ranked} buurten ranked, {len(table) - ranked} without inhabitants (not ranked).")
    unused = [f"{u.key} ({u.reason})" for u in result.ranking.unused]
    if unused:
        print(f"Not used (no usable data): {', '.join(unused)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.file)
    kind = args.kind
    if kind == "auto":
        kind = _guess_kind(path)
    if kind == "buurten":
        loaded = io.load_buurten(path, code_column=args.code_column)
    elif kind == "facilities":
        loaded = io.load_facilities(path, facility_type=args.facility_type)
    else:
        loaded = io.load_cbs_table(path)
    print(f"OK ({kind}): {loaded.report.summary()}")
    return 0


def _guess_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xls"}:
        return "cbs"
    if suffix in io.TABLE_SUFFIXES:
        io._check_file(path)
        header = path.read_bytes()[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
        cols = {c.strip().strip('"').lower() for c in (header[0].replace(";", ",").split(",") if header else [])}
        return "facilities" if cols & {"x", "lon", "lng", "longitude", "x_rd"} else "cbs"
    if suffix in io.VECTOR_SUFFIXES:
        import pyogrio

        io._check_file(path)
        try:
            info = pyogrio.read_info(path)
        except Exception as exc:  # unreadable vector file: report, don't trace
            raise io.DataFileError(f"Could not read '{path.name}' as a map layer: {str(exc).splitlines()[0]}") from None
        gtype = str(info.get("geometry_type") or "")
        return "facilities" if "Point" in gtype else "buurten"
    raise io.DataFileError(f"'{path.name}': unknown file type '{suffix or 'no extension'}'; expected .gpkg, .geojson, .csv or .xlsx.")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"build-default": cmd_build_default, "rank": cmd_rank, "check": cmd_check}
    try:
        return handlers[args.command](args)
    except PlanningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
