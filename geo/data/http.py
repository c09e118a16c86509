"""The one HTTP client for the official data services: polite, cached, resumable, testable.

Every download from CBS, PDOK, DUO, LRK or Overpass goes through :class:`Client`:

- **Base URLs are configurable** per service with an environment variable
  (:data:`SERVICES`: ``GEO_URL_CBS_ODATA4`` …). The variable replaces the scheme, host and
  path prefix of that service; the rest of each request stays what the real service
  expects, so tests and mirrors see real requests.
- **Polite**: an identifying User-Agent (LRK refuses the default one), at most
  :data:`MAX_PER_HOST` requests at a time per host, ``Retry-After`` honoured on 429/503,
  exponential back-off on timeouts, resets and 5xx, and a bounded number of tries.
- **Cached on disk**: every successful answer is kept under ``cache_dir`` in a file named
  after a hash of the request; it is written to a temporary file and renamed when complete,
  so a cache file is never half-written. Running again (or offline) reuses it; a killed
  fetch resumes where it stopped because every finished request is already cached.
- A failure after the retries is a :class:`geo.errors.DownloadError` with a one-line,
  plain message (what, where, why, what to try).
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from geo.data.paths import DATA_DIR
from geo.errors import DownloadError, ParameterError

#: The official base URL of each service, by the suffix of its environment variable ``GEO_URL_<NAME>``.
SERVICES = MappingProxyType(
    {
        "CBS_ODATA4": "https://datasets.cbs.nl/odata/v1/CBS",
        "CBS_ODATA3": "https://opendata.cbs.nl/ODataApi/odata",
        "PDOK_OGC": "https://api.pdok.nl",
        "LOCATIESERVER": "https://api.pdok.nl/bzk/locatieserver/search/v3_1",
        "DUO": "https://duo.nl/open_onderwijsdata/images",
        "LRK": "https://www.landelijkregisterkinderopvang.nl/opendata",
        "OVERPASS": "https://overpass-api.de/api",
    }
)
#: Sent with every request: who asks (LRK answers 400 to anonymous clients). ``$GEO_CONTACT`` (an e-mail
#: address or URL) is added when set, as Overpass and PDOK ask of heavy users.
USER_AGENT = "RijkeSchooldagPlanner/1.0 (planning software for Dutch municipalities; Python urllib)"


def user_agent() -> str:
    """:data:`USER_AGENT`, with ``$GEO_CONTACT`` when set."""
    contact = os.environ.get("GEO_CONTACT", "").strip()
    return f"{USER_AGENT[:-1]}; {contact})" if contact else USER_AGENT
#: Where downloads are cached by default.
DEFAULT_CACHE_DIR = DATA_DIR / "cache"
#: At most this many requests run at the same time against one host (Overpass allows 2 slots per IP).
MAX_PER_HOST = 2
#: Tries per request (the first one included).
MAX_TRIES = 5
#: First back-off wait in seconds; doubled after every failed try.
BACKOFF_S = 1.0
#: Longest wait the client accepts from a ``Retry-After`` header, seconds.
MAX_RETRY_AFTER_S = 120.0
#: Seconds without a byte before a request counts as timed out.
DEFAULT_TIMEOUT_S = 60.0
_CHUNK = 64 * 1024
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})

#: ``progress(service, done_bytes, total_bytes_or_None)`` while a response streams in.
Progress = Callable[[str, int, int | None], None]

_host_slots: dict[str, threading.BoundedSemaphore] = {}
_host_lock = threading.Lock()


def base_url(service: str) -> str:
    """The base URL of ``service``: ``$GEO_URL_<SERVICE>`` when set, else the official one (no trailing ``/``)."""
    if service not in SERVICES:
        raise ParameterError(f"Unknown data service '{service}'; expected one of: {', '.join(SERVICES)}.")
    value = os.environ.get(f"GEO_URL_{service}", "").strip() or SERVICES[service]
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParameterError(
            f"GEO_URL_{service}: expected an http(s) URL such as {SERVICES[service]}, found '{value}'."
        )
    return value.rstrip("/")


def service_url(service: str, path: str = "", params: Mapping[str, object] | None = None) -> str:
    """``base_url(service)`` + ``/path`` + ``?query`` (values URL-encoded as the real service expects)."""
    url = base_url(service) + ("/" + path.lstrip("/") if path else "")
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(
            {k: str(v) for k, v in params.items() if v is not None}, quote_via=urllib.parse.quote
        )
    return url


def _slot(host: str) -> threading.BoundedSemaphore:
    with _host_lock:
        if host not in _host_slots:
            _host_slots[host] = threading.BoundedSemaphore(MAX_PER_HOST)
        return _host_slots[host]


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), capped; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, when.timestamp() - now), MAX_RETRY_AFTER_S)


class _RetryableError(Exception):
    """One try failed in a way worth trying again; ``wait`` overrides the back-off."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


@dataclass
class Client:
    """A polite, caching HTTP client for one fetch (see the module docstring).

    Parameters
    ----------
    cache_dir
        Folder for cached answers (created when needed).
    offline
        Never touch the network: a request that is not cached raises :class:`DownloadError` at once.
    refresh
        Ignore cached answers (and replace them when the new ones arrive).
    progress
        Called while a response streams in.
    sleep
        The wait between tries (tests pass a recorder to keep the suite fast).
    """

    cache_dir: Path = DEFAULT_CACHE_DIR
    offline: bool = False
    refresh: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_tries: int = MAX_TRIES
    backoff_s: float = BACKOFF_S
    progress: Progress | None = None
    sleep: Callable[[float], None] = time.sleep
    #: Requests answered, from the cache and from the network (for the fetch report).
    stats: dict[str, int] = field(default_factory=lambda: {"cached": 0, "downloaded": 0, "retries": 0})

    def __post_init__(self) -> None:
        self.cache_dir = Path(self.cache_dir)
        if self.max_tries < 1:
            raise ParameterError(f"max_tries must be ≥ 1, found {self.max_tries}.")

    # ------------------------------------------------------------------ cache
    def cache_file(self, url: str, body: bytes | None = None) -> Path:
        """Where the answer to (url, body) is cached."""
        key = hashlib.sha256(url.encode() + b"\n" + (body or b"")).hexdigest()[:32]
        host = urllib.parse.urlsplit(url).netloc.replace(":", "_") or "local"
        return self.cache_dir / host / f"{key}.bin"

    def is_cached(self, url: str, body: bytes | None = None) -> bool:
        return self.cache_file(url, body).is_file()

    def _store(self, path: Path, data: bytes, url: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)  # atomic: readers see the old file or the whole new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        meta = {"url": url, "bytes": len(data), "fetched": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")

    # ------------------------------------------------------------------ requests
    def get(self, url: str, *, what: str, data: bytes | None = None, headers: Mapping[str, str] | None = None) -> bytes:
        """The body of ``url`` (POST when ``data`` is given), from the cache or the network.

        ``what`` names the request in messages ("CBS kwb 2023, buurten of GM0855").
        Raises :class:`DownloadError` when it cannot be had (after the retries, or offline).
        """
        path = self.cache_file(url, data)
        if path.is_file() and not self.refresh:
            self.stats["cached"] += 1
            return path.read_bytes()
        if self.offline:
            raise DownloadError(f"{what}: not in the download cache and working offline ({url}).")
        body = self._fetch_with_retries(url, what=what, data=data, headers=headers or {})
        self._store(path, body, url)
        self.stats["downloaded"] += 1
        return body

    def get_json(self, url: str, *, what: str, data: bytes | None = None) -> Any:
        """:meth:`get` parsed as JSON; a truncated or non-JSON answer is a :class:`DownloadError` and is not cached."""
        path = self.cache_file(url, data)
        body = self.get(url, what=what, data=data, headers={"Accept": "application/json"})
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            path.unlink(missing_ok=True)  # never keep an answer that does not parse
            start = body[:80].decode("utf-8", errors="replace").strip()
            raise DownloadError(
                f"{what}: the answer from {url} is not complete JSON ({exc}); it starts with {start!r}. Try again."
            ) from None

    def _fetch_with_retries(self, url: str, *, what: str, data: bytes | None, headers: Mapping[str, str]) -> bytes:
        host = urllib.parse.urlsplit(url).netloc
        wait = self.backoff_s
        last = ""
        for attempt in range(1, self.max_tries + 1):
            try:
                with _slot(host):
                    return self._fetch_once(url, what=what, data=data, headers=headers)
            except _RetryableError as retry:
                last = retry.reason
                if attempt == self.max_tries:
                    break
                self.stats["retries"] += 1
                self.sleep(retry.wait if retry.wait is not None else wait)
                wait *= 2
        raise DownloadError(f"{what}: {last} (gave up after {self.max_tries} tries; {url}).")

    def _fetch_once(self, url: str, *, what: str, data: bytes | None, headers: Mapping[str, str]) -> bytes:
        request = urllib.request.Request(
            url, data=data, method="POST" if data is not None else "GET",
            headers={"User-Agent": user_agent(), "Accept-Encoding": "gzip", **headers},
        )
        received = 0
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                length = response.headers.get("Content-Length", "")
                total = int(length) if length.isdigit() else None
                gzipped = response.headers.get("Content-Encoding", "").lower() == "gzip"
                chunks: list[bytes] = []
                while chunk := response.read(_CHUNK):
                    received += len(chunk)
                    chunks.append(chunk)
                    if self.progress is not None:
                        self.progress(what, received, total)
                if total is not None and received < total:
                    raise _RetryableError(f"the answer was cut off after {received:,} of {total:,} bytes")
                body = b"".join(chunks)
                if gzipped:
                    inflate = zlib.decompressobj(wbits=31)
                    body = inflate.decompress(body) + inflate.flush()
                    if not inflate.eof:
                        raise _RetryableError(f"the compressed answer was cut off after {received:,} bytes")
                return body
        except urllib.error.HTTPError as exc:
            status = exc.code
            if status in _RETRY_STATUS:
                wait = _retry_after(exc.headers.get("Retry-After"), time.time()) if status in (429, 503) else None
                raise _RetryableError(f"the server answered HTTP {status} {exc.reason}", wait) from None
            raise DownloadError(f"{what}: the server answered HTTP {status} {exc.reason} ({url}).") from None
        except TimeoutError:
            raise _RetryableError(f"no answer within {self.timeout_s:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _RetryableError(f"no answer within {self.timeout_s:g} s") from None
            raise _RetryableError(f"could not connect ({exc.reason}); is there an internet connection?") from None
        except http.client.IncompleteRead:
            raise _RetryableError(
                f"the connection closed after {received:,} bytes, before the answer was complete"
            ) from None
        except (http.client.HTTPException, ConnectionError) as exc:
            raise _RetryableError(f"the connection broke off ({type(exc).__name__})") from None
        except zlib.error as exc:
            raise _RetryableError(f"the compressed answer is corrupt ({exc})") from None
