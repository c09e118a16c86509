"""geo/data/fetch.py end to end: ONE loopback server plays all seven services, for Utrecht and for Delft.

Every request is a real HTTP request to 127.0.0.1 through the ``GEO_URL_*`` variables (``tests/helpers.py``:
``point_env``/``service_env``, one ``serve_<service>`` per service). What is served (see each folder's PROVENANCE.md
under ``tests/fixtures/services``):

- **Utrecht (GM0344)**: PDOK buurten (three pages) and wijken, CBS kwb 2024 + 2023 and nabijheid 2023 (OData v4
  and v3) and CBS's list of municipalities, the DUO national-file subset, the recorded Locatieserver answers, the
  LRK export (constructed format-test rows) and, as the geocoder's fallback, the Utrecht PC4 table.
- **Overpass**: no OpenStreetMap extract of Utrecht ships, so the Overpass answer is the envelope of the recorded
  Maastricht answer (``version``, ``generator``, ``osm3s`` with its real timestamp) holding only the ``out count``
  element of one gemeente relation and no objects: the real shape of an answer for an existing gemeente without
  facilities. The OSM layer of these fetches is therefore present and empty.
- **Delft (GM0503)**: PDOK's Delft pages (coarse 2014 shapes), the kwb 2024 ages of the national CBS file, the Delft
  lines of DUO's national files and the Delft PC4 rows of the national 4pp table (``fixtures/services/delft``).

The faults (each makes a partial dataset, exit 3, with the layer named): Overpass 429 with ``Retry-After`` on every
try, LRK 500s, the Locatieserver timing out, CBS nabijheid truncated JSON, DUO connection reset mid-body; PDOK down
(nothing written, exit 2); and a CLI fetch killed with SIGKILL and resumed. Clients have small time-outs and a
recording ``sleep``; the CLI runs (which take the default client) are the fault-free fetch, one fault, the resume and
``--no-network``.

The CLI gives the geocoder the shipped national PC4 table (``data/national/pc4_centroids.csv``, ``--pc4``), so the
addresses the Locatieserver does not find land on their PC4 centroid and a CLI fetch of these fixtures is complete.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest
import shapely
import shapely.geometry

from geo import schema
from geo.data import fetch, files, geocode, http
from geo.data.fetch import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, fetch_dataset
from geo.decide import pipeline
from geo.errors import DownloadError, ParameterError
from tests.helpers import (
    DUO_ADDRESSES_FILE,
    DUO_IMAGES,
    DUO_PUPILS_FILE,
    LOCATIESERVER_FREE,
    LRK_CSV_PATH,
    OVERPASS_FIXTURES,
    OVERPASS_INTERPRETER,
    PDOK_BUURTEN,
    PDOK_WIJKEN,
    SERVICE_FIXTURES,
    SERVICE_PATHS,
    UTRECHT_PC4_CSV,
    Reply,
    StrictUserAgent,
    geojson_reply,
    pdok_page,
    point_env,
    serve_cbs,
    serve_duo,
    serve_locatieserver,
    serve_lrk,
    serve_overpass,
    serve_pdok,
    service_env,
)

REPO = Path(__file__).resolve().parents[1]
DELFT = SERVICE_FIXTURES / "delft"
MAX_TRIES = 2
#: What the fixtures give Utrecht through fetch_dataset with the PC4 table.
UTRECHT_COUNTS = {"buurten": 111, "kwb": 111, "nabijheid": 109, "schools": 98, "childcare": 6, "osm": 0}
#: The two buurten the real kwb 2024 gives 0 inhabitants (kwb 2023: De Wetering 5).
NO_INHABITANTS_2024 = {"BU03440911", "BU03440952"}


# --------------------------------------------------------------------------- one server for all services


@pytest.fixture
def server(monkeypatch):
    """The loopback server as every service (LRK refuses a default Python User-Agent, as the real one does)."""
    s = StrictUserAgent()
    point_env(monkeypatch, s)
    yield s
    s.close()


@pytest.fixture(scope="module")
def pc4() -> pd.DataFrame:
    return geocode.load_pc4_table(UTRECHT_PC4_CSV)


def overpass_without_objects() -> bytes:
    """The real envelope of an Overpass answer for an existing gemeente without facilities (see the docstring)."""
    data = json.loads((OVERPASS_FIXTURES / "maastricht_gm0935.json").read_bytes())
    data["elements"] = [e for e in data["elements"] if e["type"] == "count"]
    assert data["elements"] == [
        {"type": "count", "id": 0, "tags": {"nodes": "0", "ways": "0", "relations": "1", "areas": "0", "total": "1"}}
    ]
    return json.dumps(data).encode()


def serve_utrecht(server) -> None:
    serve_pdok(server, "utrecht", "GM0344", 3)
    serve_cbs(server, "85984NED", "85618NED", "85830NED")
    serve_locatieserver(server)
    serve_duo(server)
    serve_lrk(server)
    serve_overpass(server, overpass_without_objects())


def make_client(cache: Path, **kwargs) -> http.Client:
    waits: list[float] = []
    options = {"timeout_s": 2.0, "backoff_s": 0.01, "max_tries": MAX_TRIES, **kwargs}
    client = http.Client(cache_dir=cache, sleep=waits.append, **options)
    client.waits = waits  # type: ignore[attr-defined]  # the recorded waits, for the assertions
    return client


def fetch_utrecht(out: Path, client: http.Client, pc4_table: pd.DataFrame | None, **kwargs) -> fetch.FetchReport:
    steps: list[tuple[str, str]] = []
    report = fetch_dataset("GM0344", out_dir=out, client=client, pc4_table=pc4_table,
                           progress=lambda layer, message: steps.append((layer, message)), **kwargs)
    report.steps = steps  # type: ignore[attr-defined]  # the progress lines, for the assertions
    return report


def service_of(path: str) -> str:
    """The service a loopback request went to."""
    if path.startswith("/cbs/wijken-en-buurten-"):
        return "PDOK_OGC"
    return next(name for name, prefix in SERVICE_PATHS.items() if prefix and path.startswith(prefix + "/"))


def services_asked(requests: list) -> set[str]:
    return {service_of(r[1]) for r in requests}


def request_url(server, path: str, query: dict[str, str]) -> str:
    """The URL the client built for a recorded request (``service_url`` encodes with ``quote``, in order)."""
    return server.url + path + ("?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else "")


def temp_folders(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def run_cli(server, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, **service_env(server)}
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def assert_same_dataset(a: Path, b: Path) -> None:
    one, two = files.load_dataset(a), files.load_dataset(b)
    pd.testing.assert_frame_equal(pd.DataFrame(one.buurten), pd.DataFrame(two.buurten))
    pd.testing.assert_frame_equal(pd.DataFrame(one.facilities), pd.DataFrame(two.facilities))
    assert {**one.meta, "fetched": None} == {**two.meta, "fetched": None}


# --------------------------------------------------------------------------- complete fetches


def test_a_complete_fetch_of_utrecht_is_a_dataset_the_pipeline_ranks(server, tmp_path, pc4):
    serve_utrecht(server)
    out = tmp_path / "utrecht"
    report = fetch_utrecht(out, make_client(tmp_path / "cache"), pc4)

    assert report.exit_code == EXIT_OK and report.missing_layers == {} and report.out_dir == out
    assert report.counts == UTRECHT_COUNTS
    assert [layer for layer, _ in report.steps] == [  # type: ignore[attr-defined]
        "gemeente", "buurten", "kwb", "nabijheid", "schools", "childcare", "osm", "dataset"
    ]
    lines = report.lines()
    assert lines[0] == "Utrecht (GM0344)" and "  buurten    111" in lines and "  schools    98" in lines
    assert lines[-1] == f"written: {out}" and not any("MISSING" in line for line in lines)
    assert any(line.startswith("  note: geocoding: 23 on the address, 17 on the postcode (PC6), 64 on a PC4 centroid")
               for line in lines)
    assert sorted(p.name for p in out.iterdir()) == ["dataset.gpkg", "dataset.json"] and temp_folders(tmp_path) == []

    meta = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    assert (meta["kind"], meta["name"], meta["municipality_code"]) == ("fetched", "Utrecht", "GM0344")
    assert meta["missing_layers"] == {} and meta["geometry_year"] == 2023 and meta["n_buurten"] == 111
    # Newest year per indicator: 2024 for the ages, 2023 where the provisional 2024 release is empty.
    years = meta["indicator_years"]
    assert years["a_inw"] == years["a_00_14"] == 2024 and years["g_wozbag"] == years["a_soz_wb"] == 2023
    assert years["cbs_dist_library_m"] == 2023 and "g_ink_pi" not in years and meta["statistics_year"] == 2024
    assert meta["n_facilities"] == {"after_school_care": 3, "childcare": 3, "primary_school": 98}
    licences = {s["id"]: s["licence"] for s in meta["sources"]}
    assert licences == {
        "pdok_cbs_wijkenbuurten_2023": "CC BY 4.0", "cbs_kwb_2024": "CC BY 4.0", "cbs_kwb_2023": "CC BY 4.0",
        "cbs_nabijheid_2023": "CC BY 4.0", "duo_bo": "CC0 1.0", "lrk": "CC0 1.0", "osm_facilities_gm0344": "ODbL 1.0",
    }
    assert all(s["attribution"] and s["publisher"] for s in meta["sources"])
    assert "requests" not in json.dumps(meta["build_notes"])  # the request counts are printed, not kept

    dataset = files.load_dataset(out)
    buurten, facilities = dataset.buurten, dataset.facilities
    assert len(buurten) == 111 and buurten.crs.to_epsg() == 28992 and buurten.index.is_unique
    assert buurten["a_inw"].sum() == 374_200 and buurten.loc["BU03440831", "a_inw"] == 9095.0  # real kwb 2024
    assert buurten.loc["BU03440831", schema.WIJK_NAME] == "Zuidwest"
    assert len(facilities) == 104 and facilities.crs.to_epsg() == 28992 and facilities.index.is_unique
    assert facilities[schema.LOCATION_PRECISION].value_counts().to_dict() == {
        "pc4_centroid": 64, "address": 23, "pc6": 17
    }
    assert facilities.loc["duo-03LX00", schema.FACILITY_CAPACITY] == 603.0  # pupils 2025, Drie Koningenschool

    result = pipeline.run(out)
    status = result.table[schema.STATUS]
    assert (status == schema.STATUS_RANKED).sum() == 109
    assert set(status.index[status == schema.STATUS_NO_INHABITANTS]) == NO_INHABITANTS_2024

    ranked = run_cli(server, "rank", "--data", str(out), "--out", str(tmp_path / "r.csv"))
    assert ranked.returncode == 0, ranked.stderr
    table = pd.read_csv(tmp_path / "r.csv")
    assert len(table) == 111 and table[schema.RANK].notna().sum() == 109


def test_year_2023_ranks_110_of_111_as_the_embedded_dataset(server, tmp_path, pc4):
    serve_utrecht(server)
    report = fetch_utrecht(tmp_path / "u2023", make_client(tmp_path / "cache"), pc4, year=2023)
    assert report.exit_code == EXIT_OK
    meta = json.loads((tmp_path / "u2023" / "dataset.json").read_text(encoding="utf-8"))
    assert set(meta["indicator_years"].values()) == {2023} and meta["geometry_year"] == 2023
    assert not any(path.startswith(f"{SERVICE_PATHS['CBS_ODATA4']}/85984NED/Observations")
                   for _, path, *_ in server.requests)  # 2024 is newer than asked for
    status = pipeline.run(tmp_path / "u2023").table[schema.STATUS]
    assert (status == schema.STATUS_RANKED).sum() == 110
    assert list(status.index[status == schema.STATUS_NO_INHABITANTS]) == ["BU03440952"]


def test_offline_rebuilds_the_same_dataset_from_the_cache_without_a_request(server, tmp_path, pc4):
    serve_utrecht(server)
    online = fetch_utrecht(tmp_path / "online", make_client(tmp_path / "cache"), pc4)
    assert online.exit_code == EXIT_OK and online.requests["downloaded"] > 200
    asked = len(server.requests)
    offline = fetch_utrecht(tmp_path / "offline", make_client(tmp_path / "cache", offline=True), pc4)
    assert len(server.requests) == asked  # not one request
    assert offline.exit_code == EXIT_OK and offline.counts == online.counts and offline.notes == online.notes
    absent = len(list((tmp_path / "cache").rglob("*.404")))  # the "not there" answers, remembered
    assert absent == 16  # CBS: 2025, 2022, 2021 kwb and 2024, 2022, 2021 nabijheid, v4 and v3; PDOK: 2025, 2024
    assert offline.requests["downloaded"] == 0
    assert offline.requests["cached"] == online.requests["downloaded"] + online.requests["cached"] + absent
    assert_same_dataset(tmp_path / "online", tmp_path / "offline")
    # Online again: also the answers that said "not there" (CBS 2025, PDOK 2025 …) are not asked twice.
    again = fetch_utrecht(tmp_path / "online", make_client(tmp_path / "cache"), pc4)
    assert again.exit_code == EXIT_OK and len(server.requests) == asked


# --------------------------------------------------------------------------- the command line


def test_the_cli_fetches_by_name_then_rebuilds_offline_without_a_request(server, tmp_path):
    serve_utrecht(server)
    cache = tmp_path / "cache"
    done = run_cli(server, "fetch", "--gemeente", "Utrecht", "--out", str(tmp_path / "a"), "--cache-dir", str(cache))
    assert "Traceback" not in done.stderr, done.stderr
    # The name was looked up in CBS's list of municipalities (the national 2024 file).
    assert any(r[1].endswith("/85984NED/WijkenEnBuurtenCodes") and "'GM'" in r[2].get("$filter", "")
               for r in server.requests)
    lines = done.stdout.splitlines()
    assert lines[0] == "Utrecht (GM0344)"
    assert lines[1:5] == ["  buurten    111", "  kwb        111", "  nabijheid  109", "  schools    98"]
    # The shipped PC4 table places what the Locatieserver does not find: the fetch is complete.
    assert done.returncode == EXIT_OK, done.stdout
    assert "  osm        0" in lines and "  childcare  6" in lines
    # only the fixture's one LRK row with a postcode no PC4 table has (3599SS) stays unplaced, and is named
    assert "64 on a PC4 centroid, 1 not placed" in done.stdout and "'Formaattest KDV zonder plek'" in done.stdout
    assert lines[-1] == f"written: {tmp_path / 'a'}" and lines[-2].startswith("requests: ")
    assert "buurten    111 buurten (2023)" in done.stderr and "nabijheid  6 columns" in done.stderr
    meta = json.loads((tmp_path / "a" / "dataset.json").read_text(encoding="utf-8"))
    assert meta["missing_layers"] == {}

    asked = len(server.requests)
    offline = run_cli(server, "fetch", "--gemeente", "GM0344", "--out", str(tmp_path / "b"), "--cache-dir", str(cache),
                      "--no-network")
    assert len(server.requests) == asked  # not one request
    assert offline.returncode == EXIT_OK and "Traceback" not in offline.stderr
    assert offline.stdout.splitlines()[:-2] == lines[:-2]
    assert offline.stdout.splitlines()[-2].startswith("requests: 0 downloaded")
    assert_same_dataset(tmp_path / "a", tmp_path / "b")


def test_the_cli_names_a_layer_cbs_sent_truncated_and_keeps_nothing_corrupt(server, tmp_path):
    truncated = {"odata4/85830NED/Observations~BU0344~1.json.gz", "odata3/85830NED/TypedDataSet~BU0344.json.gz"}
    serve_cbs(server, "85830NED", tweak=lambda name, data: Reply(data[: len(data) // 2]) if name in truncated else None)
    serve_utrecht(server)
    done = run_cli(server, "fetch", "--gemeente", "GM0344", "--out", str(tmp_path / "u"), "--cache-dir",
                   str(tmp_path / "cache"))
    assert done.returncode == EXIT_PARTIAL and "Traceback" not in done.stderr, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("  nabijheid ")]
    assert line.startswith("  nabijheid  MISSING: CBS nabijheid 2023 (85830NED) for the buurten of GM0344 could not "
                           "be read: OData v4: ") and "not complete JSON" in line and "OData v3: " in line
    assert "kwb        111" in done.stdout
    meta = json.loads((tmp_path / "u" / "dataset.json").read_text(encoding="utf-8"))
    assert set(meta["missing_layers"]) == {"nabijheid"}
    assert not any(c.startswith("cbs_dist_") for c in files.load_dataset(tmp_path / "u").buurten.columns)
    assert_no_truncated_answer_cached(server, tmp_path / "cache")


def assert_no_truncated_answer_cached(server, cache: Path) -> None:
    """The two truncated answers left no cache file; the table description asked just before them did."""
    client = http.Client(cache_dir=cache)
    urls = {
        (path.rsplit("/", 1)[1], request_url(server, path, query))
        for _, path, query, _, _ in server.requests if "/85830NED/" in path and "$skip" not in query
    }
    by_endpoint: dict[str, list[str]] = {}
    for endpoint, url in urls:
        by_endpoint.setdefault(endpoint, []).append(url)
    assert len(by_endpoint["Observations"]) == 1 and len(by_endpoint["TypedDataSet"]) == 1
    assert client.cache_file(by_endpoint["Properties"][0]).is_file()  # the URLs are rebuilt right
    assert not client.cache_file(by_endpoint["Observations"][0]).exists()
    assert not client.cache_file(by_endpoint["TypedDataSet"][0]).exists()
    for body in cache.rglob("*.bin"):  # every answer kept is whole
        data = body.read_bytes()
        if data[:1] in (b"{", b"["):
            json.loads(data)


# --------------------------------------------------------------------------- faults: a partial dataset, then whole


def _overpass_busy(server) -> None:
    serve_overpass(server, Reply(b"<html><body>rate limited</body></html>", status=429, headers={"Retry-After": "7"}))


def _lrk_down(server) -> None:
    server.route(LRK_CSV_PATH, Reply(b"<html>Internal Server Error</html>", status=500))


def _locatieserver_silent(server) -> None:
    server.route(LOCATIESERVER_FREE, Reply(fault="timeout"))


def _nabijheid_truncated(server) -> None:
    cut = {"odata4/85830NED/Observations~BU0344~1.json.gz", "odata3/85830NED/TypedDataSet~BU0344.json.gz"}
    serve_cbs(server, "85830NED", tweak=lambda name, data: Reply(data[: len(data) // 2]) if name in cut else None)


def _duo_reset(server) -> None:
    data = (SERVICE_FIXTURES / "duo" / DUO_ADDRESSES_FILE).read_bytes()
    server.route(f"{DUO_IMAGES}/{DUO_ADDRESSES_FILE}", Reply(data, fault="reset"))


FAULTS = {
    # name: (route the fault, the layer named, words of its message, services the re-run asks, waits)
    "overpass_429_retry_after": (_overpass_busy, "osm", ["HTTP 429", "gave up after 2 tries"], {"OVERPASS"}, [7.0]),
    "lrk_500": (_lrk_down, "childcare", ["LRK export_opendata_lrk.csv: the server answered HTTP 500"],
                {"LRK", "LOCATIESERVER"}, [0.01]),
    "locatieserver_timeout": (_locatieserver_silent, "addresses",
                              ["the PDOK Locatieserver failed", "no answer within 0.3 s", "on their PC4 centroid"],
                              {"LOCATIESERVER"}, [0.01]),
    "nabijheid_truncated_json": (_nabijheid_truncated, "nabijheid", ["not complete JSON", "OData v3"],
                                 {"CBS_ODATA4", "CBS_ODATA3"}, []),
    "duo_reset_mid_body": (_duo_reset, "schools", ["DUO 02.-alle-schoolvestigingen-basisonderwijs.csv: the "],
                           {"DUO", "LOCATIESERVER"}, [0.01]),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_makes_a_partial_dataset_and_a_rerun_completes_it(server, tmp_path, pc4, fault):
    route_fault, layer, words, rerun_services, waits = FAULTS[fault]
    route_fault(server)  # first: the first route that matches answers
    serve_utrecht(server)
    out, cache = tmp_path / "utrecht", tmp_path / "cache"
    client = make_client(cache, timeout_s=0.3 if fault == "locatieserver_timeout" else 2.0)
    report = fetch_utrecht(out, client, pc4)

    assert report.exit_code == EXIT_PARTIAL and report.out_dir == out
    assert list(report.missing_layers) == [layer]
    message = report.missing_layers[layer]
    assert all(w in message for w in words), message
    assert f"  {layer:<10} MISSING: {message}" in report.lines()
    assert report.lines()[-1] == f"written: {out} (partial)"
    assert (layer, f"MISSING: {message}") in report.steps  # type: ignore[attr-defined]
    assert client.waits == waits  # type: ignore[attr-defined]
    meta = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    assert meta["missing_layers"] == {layer: message}
    dataset = files.load_dataset(out)  # the partial dataset is a dataset
    assert len(dataset.buurten) == 111 and temp_folders(tmp_path) == []
    others = {k: v for k, v in UTRECHT_COUNTS.items() if k != layer}
    if fault == "locatieserver_timeout":
        # Two tries, then not one more lookup: every school and childcare location on its PC4 centroid.
        assert server.hits(LOCATIESERVER_FREE) == MAX_TRIES
        assert report.counts == UTRECHT_COUNTS
        assert set(dataset.facilities[schema.LOCATION_PRECISION]) == {"pc4_centroid"} and len(dataset.facilities) == 104
        assert "98 by pc4_centroid" in " ".join(report.notes)
    else:
        assert {k: report.counts[k] for k in others} == others and layer not in report.counts
    if fault == "nabijheid_truncated_json":
        assert_no_truncated_answer_cached(server, cache)
    if fault == "duo_reset_mid_body":
        url = http.service_url("DUO", DUO_ADDRESSES_FILE)
        assert server.hits(f"{DUO_IMAGES}/{DUO_ADDRESSES_FILE}") == MAX_TRIES and not client.cache_file(url).exists()

    # The fault is fixed: the same fetch again asks only for what it did not have, and the dataset is complete.
    server.routes.clear()
    serve_utrecht(server)
    before = len(server.requests)
    again = fetch_utrecht(out, make_client(cache), pc4)
    assert again.exit_code == EXIT_OK and again.counts == UTRECHT_COUNTS and again.missing_layers == {}
    assert services_asked(server.requests[before:]) == rerun_services
    assert json.loads((out / "dataset.json").read_text(encoding="utf-8"))["missing_layers"] == {}
    assert len(files.load_dataset(out).facilities) == 104 and temp_folders(tmp_path) == []


def test_a_fetch_without_any_facility_is_still_a_dataset(server, tmp_path, pc4):
    for path in (f"{DUO_IMAGES}/{DUO_ADDRESSES_FILE}", LRK_CSV_PATH, OVERPASS_INTERPRETER):
        server.route(path, Reply(b"<html>Internal Server Error</html>", status=500))
    serve_utrecht(server)
    report = fetch_utrecht(tmp_path / "utrecht", make_client(tmp_path / "cache"), pc4)
    assert report.exit_code == EXIT_PARTIAL and set(report.missing_layers) == {"schools", "childcare", "osm"}
    assert json.loads((tmp_path / "utrecht" / "dataset.json").read_text(encoding="utf-8"))["n_facilities"] == {}
    dataset = files.load_dataset(tmp_path / "utrecht")
    assert len(dataset.facilities) == 0
    assert pipeline.run(tmp_path / "utrecht").table[schema.RANK].notna().sum() > 100  # still ranks, on CBS distances


def test_pdok_down_writes_nothing_and_says_so_plainly(server, tmp_path, pc4, monkeypatch):
    serve_utrecht(server)
    monkeypatch.setenv("GEO_URL_PDOK_OGC", closed_port_url())
    client = make_client(tmp_path / "cache")
    report = fetch_utrecht(tmp_path / "utrecht", client, pc4)
    assert report.exit_code == EXIT_FAILED and report.out_dir is None
    assert not (tmp_path / "utrecht").exists() and temp_folders(tmp_path) == []
    message = report.missing_layers["buurten"]
    assert message.startswith("PDOK CBS wijken en buurten 2025, buurten of GM0344: could not connect")
    assert "gave up after 2 tries" in message and client.waits == [0.01]  # type: ignore[attr-defined]
    assert "2024" not in message  # an outage is not a missing year: older years are not tried
    assert report.lines()[-1] == "nothing written: without buurt polygons there is no dataset"
    assert f"  buurten    MISSING: {message}" in report.lines()
    assert services_asked(server.requests) == {"CBS_ODATA4", "CBS_ODATA3"}  # the list of municipalities only


def closed_port_url() -> str:
    with socket.socket() as probe:  # a port on which nobody listens
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_cbs_down_a_code_still_fetches_with_pdok_s_name_a_name_cannot(server, tmp_path, pc4, monkeypatch):
    serve_utrecht(server)
    monkeypatch.setenv("GEO_URL_CBS_ODATA4", closed_port_url())
    monkeypatch.setenv("GEO_URL_CBS_ODATA3", closed_port_url())
    with pytest.raises(DownloadError, match="Cannot look up the municipality 'Utrecht' by name: .*needs no list"):
        fetch_dataset("Utrecht", out_dir=tmp_path / "by-name", client=make_client(tmp_path / "cache"))
    report = fetch_utrecht(tmp_path / "by-code", make_client(tmp_path / "cache"), pc4)
    assert report.exit_code == EXIT_PARTIAL and (report.code, report.name) == ("GM0344", "Utrecht")  # PDOK's name
    assert set(report.missing_layers) == {"kwb", "nabijheid"} and "could not connect" in report.missing_layers["kwb"]
    assert report.notes[0].startswith("the CBS list of municipalities could not be had (")
    assert {k: report.counts[k] for k in ("buurten", "schools", "childcare")} == {
        "buurten": 111, "schools": 98, "childcare": 6
    }
    assert files.load_dataset(tmp_path / "by-code").name == "Utrecht"


def test_an_output_folder_with_other_files_is_refused_before_any_request(server, tmp_path, pc4):
    serve_utrecht(server)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"holds other files \(notes.txt\)"):
        fetch_utrecht(mine, make_client(tmp_path / "cache"), pc4)
    built = tmp_path / "built"  # a dataset folder that no fetch wrote, e.g. the embedded default
    built.mkdir()
    (built / "dataset.json").write_text(json.dumps({"name": "Utrecht"}), encoding="utf-8")
    with pytest.raises(ParameterError, match="a dataset that was not fetched"):
        fetch_utrecht(built, make_client(tmp_path / "cache"), pc4)
    assert server.requests == [] and (mine / "notes.txt").read_text(encoding="utf-8") == "mine"


# --------------------------------------------------------------------------- a killed fetch, resumed


def test_a_killed_fetch_resumes_without_asking_again_what_it_had(server, tmp_path):
    data = (SERVICE_FIXTURES / "duo" / DUO_ADDRESSES_FILE).read_bytes()
    # The DUO file answers slowly the first time, so the fetch is surely busy with it when it is killed.
    server.route(f"{DUO_IMAGES}/{DUO_ADDRESSES_FILE}", Reply(data, delay_s=3.0), Reply(data))
    serve_utrecht(server)
    out, cache = tmp_path / "utrecht", tmp_path / "cache"
    args = [sys.executable, "-m", "geo", "fetch", "--gemeente", "GM0344", "--out", str(out), "--cache-dir", str(cache)]
    env = {**os.environ, **service_env(server)}
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: list[bytes] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(lambda: proc.stderr.read1(4096), b"")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while b"nabijheid  " not in b"".join(seen) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert b"nabijheid  6 columns" in b"".join(seen), b"".join(seen).decode(errors="replace")
    while not server.hits(f"{DUO_IMAGES}/{DUO_ADDRESSES_FILE}") and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # after the CBS layers, while the DUO file is being asked for
    proc.wait(timeout=10)
    reader.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    first = list(server.requests)
    assert service_of(first[-1][1]) == "DUO"
    assert not out.exists() and temp_folders(tmp_path) == []  # no half-written dataset
    assert not list(cache.rglob(".part-*"))  # no half-written cache file
    stale = tmp_path / ".utrecht.fetch-k1ll3d00"  # as a fetch killed while writing would leave it
    stale.mkdir()
    (stale / "dataset.gpkg").write_bytes(b"half")

    done = run_cli(server, "fetch", "--gemeente", "GM0344", "--out", str(out), "--cache-dir", str(cache))
    assert done.returncode == EXIT_OK and "Traceback" not in done.stderr
    second = server.requests[len(first):]
    # What the killed fetch had finished is not asked again: the list of municipalities, PDOK, CBS (404s included).
    assert services_asked(first[:-1]) == {"CBS_ODATA4", "CBS_ODATA3", "PDOK_OGC"}
    assert services_asked(second) == {"DUO", "LOCATIESERVER", "LRK", "OVERPASS"}
    assert server.hits(f"{DUO_IMAGES}/{DUO_ADDRESSES_FILE}") == 2
    assert sorted(p.name for p in out.iterdir()) == ["dataset.gpkg", "dataset.json"] and temp_folders(tmp_path) == []
    assert len(files.load_dataset(out).buurten) == 111


# --------------------------------------------------------------------------- Delft


def serve_delft(server, *, buurten_features: list | None = None) -> None:
    """Delft's answers; ``buurten_features`` replaces the features of the PDOK page."""
    page = pdok_page("delft_buurten_p1.json.gz", server.url)
    if buurten_features is not None:
        page = {**page, "features": buurten_features, "numberReturned": len(buurten_features)}
    server.route(PDOK_BUURTEN, geojson_reply(page), query={"gemeentecode": "GM0503"})
    server.route(PDOK_WIJKEN, geojson_reply(pdok_page("delft_wijken_p1.json.gz", server.url)),
                 query={"gemeentecode": "GM0503"})
    serve_cbs(server, "85984NED", apis=("odata4",), regions=("BU0503", "GM"))
    serve_locatieserver(server)
    serve_duo(server, (DELFT / DUO_ADDRESSES_FILE).read_bytes(), (DELFT / DUO_PUPILS_FILE).read_bytes())
    serve_lrk(server)
    serve_overpass(server, overpass_without_objects())


def test_delft_with_the_2014_shapes_pdok_cannot_repair_writes_nothing(server, tmp_path):
    serve_delft(server)
    report = fetch_dataset("Delft", out_dir=tmp_path / "delft", client=make_client(tmp_path / "cache"))
    assert (report.code, report.name) == ("GM0503", "Delft")
    assert report.exit_code == EXIT_FAILED and not (tmp_path / "delft").exists()
    assert ": 15 buurt polygons have no area left after repair: BU0503" in report.missing_layers["buurten"]


def test_delft_from_the_national_files_is_a_partial_dataset_that_ranks(server, tmp_path):
    """The 76 Delft buurten whose 2014 shape survives repair (selected here, as in test_pdok.py)."""
    full = pdok_page("delft_buurten_p1.json.gz", server.url)["features"]
    kept = [f for f in full if shapely.make_valid(shapely.geometry.shape(f["geometry"])).area > 0]
    assert len(full) == 91 and len(kept) == 76
    serve_delft(server, buurten_features=kept)
    pc4 = geocode.load_pc4_table(DELFT / "delft_pc4_centroids.csv")
    report = fetch_dataset("Delft", out_dir=tmp_path / "delft", client=make_client(tmp_path / "cache"),
                           pc4_table=pc4)
    assert report.exit_code == EXIT_PARTIAL and (report.code, report.name) == ("GM0503", "Delft")
    assert set(report.missing_layers) == {"nabijheid", "childcare"}
    assert "no table of 2024 (86134NED), 2023 (85830NED)" in report.missing_layers["nabijheid"]
    assert "no location has verantwoordelijke_gemeente 'Delft'" in report.missing_layers["childcare"]
    assert report.counts == {"buurten": 76, "kwb": 75, "schools": 25, "osm": 0}
    notes = " | ".join(report.notes)
    assert "PDOK: repaired 6 invalid polygons with make_valid" in notes
    assert "CBS kwb: 16 buurt codes are not in the 2023 buurt polygons and are left out" in notes  # 2014 vs 2024
    assert "CBS kwb: no row for 1 of the 76 buurten: BU05032701" in notes
    assert "DUO: 25 primary-school branches in GM0503; placed 0 by address, 0 by pc6, 25 by pc4_centroid" in notes

    dataset = files.load_dataset(tmp_path / "delft")
    assert dataset.meta["missing_layers"] == report.missing_layers
    assert set(dataset.meta["indicator_years"]) == {"a_inw", "a_00_14", "a_15_24", "a_25_44", "a_45_64", "a_65_oo"}
    assert dataset.buurten.loc["BU05031101", "a_inw"] == 1035.0  # the national kwb 2024 file
    assert len(dataset.facilities) == 25 and set(dataset.facilities[schema.FACILITY_TYPE]) == {"primary_school"}
    schools = dataset.facilities
    assert schools.geometry.within(dataset.buurten.geometry.union_all().buffer(2000)).all()
    status = pipeline.run(tmp_path / "delft").table[schema.STATUS]
    assert (status == schema.STATUS_RANKED).sum() == 70 and len(status) == 76


def test_the_delft_fixtures_are_what_the_script_cuts(full_shared_data):
    spec = importlib.util.spec_from_file_location("make_delft_fixtures", DELFT / "make_delft_fixtures.py")
    assert spec and spec.loader
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    for name, data in maker.subset(full_shared_data).items():
        assert data == (DELFT / name).read_bytes(), name


# --------------------------------------------------------------------------- fetch and build agree


def test_fetch_gives_the_values_the_offline_build_gives_for_the_same_data(server, tmp_path, pc4):
    """The same CBS 2023 rows, boundaries and DUO files, once fetched and once built from files (data/utrecht)."""
    serve_utrecht(server)
    report = fetch_utrecht(tmp_path / "u2023", make_client(tmp_path / "cache"), pc4, year=2023)
    assert report.exit_code == EXIT_OK
    fetched, built = files.load_dataset(tmp_path / "u2023"), files.load_dataset(REPO / "data" / "utrecht")
    assert sorted(fetched.buurten.index) == sorted(built.buurten.index)
    for column in ("a_inw", "a_00_14", "a_soz_wb", "g_wozbag", "p_wcorpw", *[
        schema.cbs_dist_col(t) for t in ("childcare", "after_school_care", "library", "swimming_pool")
    ]):
        pd.testing.assert_series_equal(
            fetched.buurten[column].astype("float64").sort_index(),
            built.buurten[column].astype("float64").sort_index(),
            check_names=False, obj=column,
        )
    schools_f = fetched.facilities[fetched.facilities[schema.FACILITY_TYPE] == "primary_school"].sort_index()
    schools_b = built.facilities[built.facilities[schema.FACILITY_TYPE] == "primary_school"].sort_index()
    assert list(schools_f.index) == list(schools_b.index)  # the 98 DUO branches, same ids
    assert (schools_f[schema.FACILITY_CAPACITY].to_numpy() == schools_b[schema.FACILITY_CAPACITY].to_numpy()).all()
    assert (schools_f.geometry.distance(schools_b.geometry) < 1.0).all()  # same points, to the metre
    assert list(schools_f[schema.LOCATION_PRECISION]) == list(schools_b[schema.LOCATION_PRECISION])
