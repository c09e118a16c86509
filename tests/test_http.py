"""geo/data/http.py against a loopback server: base URLs, caching, retries, faults, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.data import http
from geo.errors import DownloadError, ParameterError
from tests.helpers import Reply

OK = json.dumps({"value": [{"Measure": "T001036", "Value": 1810.0}]}).encode()


@pytest.fixture
def client(tmp_path: Path) -> http.Client:
    waits: list[float] = []
    c = http.Client(cache_dir=tmp_path / "cache", timeout_s=1.0, sleep=waits.append, backoff_s=0.5)
    c.waits = waits  # type: ignore[attr-defined]  # the recorded back-off waits, for the assertions
    return c


def test_base_url_follows_the_environment(monkeypatch):
    assert http.base_url("CBS_ODATA4") == "https://datasets.cbs.nl/odata/v1/CBS"
    monkeypatch.setenv("GEO_URL_CBS_ODATA4", "http://127.0.0.1:9/mirror/")
    assert http.service_url("CBS_ODATA4", "85618NED/Observations", {"$top": 5}) == (
        "http://127.0.0.1:9/mirror/85618NED/Observations?%24top=5"
    )
    monkeypatch.setenv("GEO_URL_CBS_ODATA4", "ftp://x")
    with pytest.raises(ParameterError, match="GEO_URL_CBS_ODATA4"):
        http.base_url("CBS_ODATA4")
    with pytest.raises(ParameterError, match="Unknown data service"):
        http.base_url("NOPE")


def test_answer_is_cached_and_reused_offline(loopback, client, tmp_path):
    loopback.route("/x", Reply(OK, headers={"Content-Type": "application/json"}))
    url = loopback.url + "/x"
    assert client.get_json(url, what="test") == json.loads(OK)
    assert client.get_json(url, what="test") == json.loads(OK)
    assert loopback.hits("/x") == 1 and client.stats["cached"] == 1
    offline = http.Client(cache_dir=tmp_path / "cache", offline=True)
    assert offline.get_json(url, what="test") == json.loads(OK)
    with pytest.raises(DownloadError, match="not in the download cache and working offline"):
        offline.get(loopback.url + "/other", what="test")
    ua = loopback.requests[0][3]["User-Agent"]
    assert ua.startswith("RijkeSchooldagPlanner/") and "urllib" in ua


def test_429_with_retry_after_is_waited_out(loopback, client):
    loopback.route("/x", Reply(b"busy", status=429, headers={"Retry-After": "7"}), Reply(OK))
    assert client.get_json(loopback.url + "/x", what="test") == json.loads(OK)
    assert client.waits == [7.0] and loopback.hits("/x") == 2


def test_500_then_reset_then_truncation_back_off_and_succeed(loopback, client):
    loopback.route("/x", Reply(b"oops", status=500), Reply(OK, fault="reset"), Reply(OK, fault="truncate"), Reply(OK))
    assert client.get_json(loopback.url + "/x", what="test") == json.loads(OK)
    assert client.waits == [0.5, 1.0, 2.0] and client.stats["retries"] == 3


def test_bounded_tries_then_a_plain_error_and_nothing_cached(loopback, client):
    loopback.route("/x", Reply(b"down", status=503))
    with pytest.raises(DownloadError, match=r"HTTP 503.*gave up after 5 tries"):
        client.get(loopback.url + "/x", what="CBS kwb")
    assert loopback.hits("/x") == 5
    assert not list(client.cache_dir.rglob("*.bin"))


def test_timeout_is_retried(loopback, client):
    loopback.route("/x", Reply(OK, fault="timeout", delay_s=1.5), Reply(OK))
    assert client.get(loopback.url + "/x", what="test") == OK
    assert client.stats["retries"] == 1


def test_truncated_json_is_an_error_and_not_cached(loopback, client):
    loopback.route("/x", Reply(OK[: len(OK) // 2]))
    with pytest.raises(DownloadError, match="not complete JSON"):
        client.get_json(loopback.url + "/x", what="test")
    assert not client.is_cached(loopback.url + "/x")


def test_a_404_is_not_retried(loopback, client):
    with pytest.raises(DownloadError, match="HTTP 404"):
        client.get(loopback.url + "/missing", what="test")
    assert loopback.hits("/missing") == 1


def test_no_partial_cache_file_is_left(client, tmp_path):
    path = client.cache_file("http://example.invalid/a")
    client._store(path, b"abc", "http://example.invalid/a")
    assert path.read_bytes() == b"abc"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".part-")]
