"""Browser-test fixtures: one app server per session on a free port, one headless Chromium.

Everything here skips with one clear message when no Chromium (or no Playwright)
is installed, before the app server is started. The browser is the system's
Chromium (Debian package ``chromium``) driven by Playwright; set ``RSP_CHROMIUM``
to use another binary.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: How long the app server may take to answer its health check.
STARTUP_TIMEOUT_S = 60.0
#: Names tried on PATH when ``RSP_CHROMIUM`` is not set.
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_BROWSER = (
    "no Chromium browser found: install Debian 'chromium' (apt-get install chromium) or set RSP_CHROMIUM "
    "to a Chromium/Chrome binary"
)
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # No internet in tests: every host name except localhost fails at once (the OSM
    # background tiles are optional; the app and the export must work without them).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_LOG = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the running app in headless Chromium (tests/browser)")


def find_chromium() -> str | None:
    """``RSP_CHROMIUM`` if it names an executable file, else the first Chromium/Chrome on PATH.

    An ``RSP_CHROMIUM`` that is set but not executable means "no browser" (so
    ``RSP_CHROMIUM=/nonexistent`` shows the skip), not "look elsewhere".
    """
    wanted = os.environ.get("RSP_CHROMIUM")
    if wanted is not None:
        path = shutil.which(wanted)
        return path if path and os.access(path, os.X_OK) else None
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of the Chromium binary; skips every browser test with one clear message when there is none."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip(
            f"{NO_BROWSER} (and the Python package 'playwright' is not installed: pip install -r requirements-dev.txt)"
        )
    path = find_chromium()
    if path is None:
        pytest.skip(NO_BROWSER)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def app_server(
    chromium_executable: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Start ``streamlit run app.py`` on a free port; yield its base URL; stop it afterwards.

    Depends on ``chromium_executable`` so that nothing starts when the tests skip.
    The server's output goes to a temporary log file, shown when startup fails
    and attached to the report of every failed browser test.
    """
    port = free_port()
    log_path = tmp_path_factory.mktemp("app-server") / "streamlit.log"
    request.config.stash[SERVER_LOG] = log_path
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        # Other people edit the sources while tests run: no reruns or banners on file changes.
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(base + "_stcore/health"):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (
                    f"exited with code {proc.returncode}"
                    if proc.poll() is not None
                    else f"no answer in {STARTUP_TIMEOUT_S:.0f} s"
                )
                log_text = log_path.read_text(encoding="utf-8", errors="replace")
                print(f"--- streamlit log ({log_path}) ---\n{log_text}")
                pytest.fail(f"the app server did not start ({why}): {' '.join(cmd)}\n{log_text[-3000:]}", pytrace=False)
            time.sleep(0.25)
        yield base
    finally:
        _stop(proc)


@pytest.fixture(scope="package")
def browser(chromium_executable: str) -> Iterator[object]:
    """One headless Chromium for the browser tests.

    Package scope: Playwright's sync API must be stopped before other tests start their own.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable, args=BROWSER_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, **context_options):
    """A ``Page`` in a fresh browser context (own cookies and storage, so its own app session).

    The page gets ``page.dialogs`` (every JavaScript dialog it opened, as
    "type: message"; each is dismissed at once) and ``page.errors`` (uncaught
    JavaScript errors). Close it with ``page.context.close()``.
    """
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, **context_options)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.dialogs = []
    page.errors = []
    page.on("dialog", lambda d: (page.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


@pytest.fixture(scope="package")
def page_opener(browser, app_server: str) -> Callable[..., object]:
    """``page_opener(**context_options)`` → :func:`open_page` on the session's browser (caller closes it)."""
    return lambda **context_options: open_page(browser, **context_options)


@pytest.fixture
def new_page(page_opener) -> Iterator[Callable[..., object]]:
    """Factory: ``new_page(**context_options)`` → :func:`open_page`; all its contexts close at teardown."""
    pages = []

    def make(**context_options):
        pages.append(page_opener(**context_options))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach the tail of the app server's log to every failed browser test."""
    report = yield
    log_path = item.config.stash.get(SERVER_LOG, None)
    if report.failed and log_path is not None and log_path.exists():
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-5000:]
        report.sections.append(("streamlit server log (tail)", tail))
    return report
