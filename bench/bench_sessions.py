"""Session benchmark: the running app (``streamlit run app.py``) under several browser sessions at once.

Measures, against a real server subprocess and headless Chromium (Playwright, async API):

1. the cold first session on a fresh server (time to map, server CPU), which also warms the caches;
2. N sessions opened at once (separate browser contexts, ``asyncio.gather``): time from ``page.goto`` to
   the folium map drawn (every buurt polygon of the choropleth attached inside the streamlit-folium iframe),
   p50/p95, and the server's CPU seconds per session (``/proc/<pid>/stat`` utime+stime of the server
   process tree, before/after, divided by N);
3. weight changes in one session: server CPU per change and the time until the map shows new colours;
4. ``--soak``: random weight/layer/buurt changes in one session, then sessions opened and closed in turn;
   the server's RSS curve, its growth after warm-up, exceptions on the page and in the server's stderr.

``--baseline DIR`` runs a second server from another checkout and measures both alternately (the same
step on the baseline, then on the current app), printing them side by side with ratios.

    python -m bench.bench_sessions                       # N = 1, 5, 10 and weight changes (≈ 4 min)
    python -m bench.bench_sessions --quick --soak        # N = 1, 5; a 100-step soak
    python -m bench.bench_sessions --app-dir /work/wt/bench --baseline /work/wt/baseline --soak

See bench/README.md, "Session benchmark".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import random
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from playwright.async_api import Browser, Frame, Page, ViewportSize, async_playwright
from playwright.async_api import Error as PlaywrightError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as `python bench/bench_sessions.py`

from bench.proc import free_port, healthy, status_kb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results_sessions.md"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}
#: The results map: the streamlit-folium frame that is not the Scholen tab's (as tests/browser/app_page.py).
_FOLIUM = 'iframe[title="streamlit_folium.st_folium"]'
MAP_IFRAME = f"{_FOLIUM}:not(.st-key-schools_map_box {_FOLIUM})"
#: Buurt polygons in the default data (Utrecht): the map counts as drawn when this many are attached.
N_BUURTEN = 111
STARTUP_TIMEOUT_S = 120.0
SESSION_TIMEOUT_S = 240.0
STEP_TIMEOUT_S = 90.0
POLL_S = 0.1
#: A weight change counts as "no new colours" when the page has been idle this long with the old ones.
UNCHANGED_AFTER_IDLE_S = 15.0
TICKS = os.sysconf("SC_CLK_TCK")
SLIDER_LABEL = re.compile(r"^(Afstand tot sportaccommodatie|Distance to sports facility)")
LAYER_LABEL = re.compile(r"^(Kaartlaag|Map layer)")
PICK_LABEL = re.compile(r"^(Kies een buurt|Pick a buurt)")
SLIDER_KEYS = ("ArrowRight", "ArrowLeft", "Home", "End", "ArrowRight", "ArrowLeft")
TARGETS = {
    "cpu_session": 0.3,  # s of server CPU per new session, warm caches
    "cpu_change": 0.25,  # s of server CPU per weight change
    "first_map": 2.5,  # s to the first map for one user
    "map_p95_10": 10.0,  # s, p95 time to map with 10 sessions at once
    "rss_growth": 100.0,  # MB of RSS growth over the soak after warm-up
}

# The GeoJSON layers of the map frame: folium's window globals (the base map, and the whole map of an app that draws
# it in one piece) and the groups streamlit-folium swaps on a drawn map (``window.feature_group``: where the app
# draws its buurten since issue 13, so that new weights recolour the map in place).
_JS_LAYERS = """
  const geoJsonLayers = () => {
    const found = new Set();
    for (const k of Object.keys(window)) {
      let v; try { v = window[k]; } catch (e) { continue; }
      if (v instanceof L.GeoJSON) found.add(v);
    }
    for (const g of window.feature_group || []) g.eachLayer(l => { if (l instanceof L.GeoJSON) found.add(l); });
    return [...found];
  };
"""

# The buurt polygons drawn in the map frame (Leaflet GeoJSON features with a buurt_code) and, as a fallback
# for a map without that property, the number of interactive SVG paths.
_JS_COUNT = """() => {
""" + _JS_LAYERS + """  const paths = document.querySelectorAll('path.leaflet-interactive').length;
  if (typeof L === 'undefined') return {buurten: 0, paths};
  let buurten = 0;
  for (const v of geoJsonLayers()) {
    v.eachLayer(l => {
      const p = (l.feature || {}).properties || {};
      if (p.buurt_code && l._path && l._path.isConnected) buurten++;
    });
  }
  return {buurten, paths};
}"""

# The colours the map shows: "code=fill" of every drawn buurt polygon, sorted.
_JS_COLOURS = """() => {
""" + _JS_LAYERS + """  if (typeof L === 'undefined') return '';
  const out = [];
  for (const v of geoJsonLayers()) {
    v.eachLayer(l => {
      const p = (l.feature || {}).properties || {};
      if (p.buurt_code && l._path && l._path.isConnected) out.push(p.buurt_code + '=' + l._path.getAttribute('fill'));
    });
  }
  out.sort();
  return out.join(',');
}"""

# No run in progress: no stale elements, no running icon (as tests/browser/app_page.py:wait_idle).
_JS_IDLE = """() => !document.querySelector(
  '[data-stale="true"], [data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]')"""

T = TypeVar("T")


# --------------------------------------------------------------------------- the server process


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from field 3 (state) on; None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every live process (from /proc/<pid>/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    """``root`` and its live descendants."""
    children = _children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) of the process tree, including its reaped children (cutime, cstime)."""
    ticks = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields is not None:  # fields 14-17 of stat: utime stime cutime cstime
            ticks += sum(int(f) for f in fields[11:15])
    return ticks / TICKS


def tree_rss_mb(root: int) -> float:
    """Resident set (VmRSS) of the process tree in MB."""
    return sum(status_kb("VmRSS", pid) or 0 for pid in process_tree(root)) / 1024


class Server:
    """``streamlit run app.py`` in ``app_dir`` as its own process group, its output in log files."""

    def __init__(self, label: str, app_dir: Path, python: str, log_dir: Path) -> None:
        self.label = label
        self.app_dir = app_dir
        self.python = python
        self.stdout_path = log_dir / f"{label}.stdout.log"
        self.stderr_path = log_dir / f"{label}.stderr.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.startup_s = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.port = free_port()
        cmd = [
            self.python, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # Its own session (process group): stop() ends the server and anything it started.
            self.proc = subprocess.Popen(
                cmd, cwd=self.app_dir, stdout=out, stderr=err, env=env, start_new_session=True
            )

    async def wait_healthy(self) -> None:
        t0 = time.monotonic()
        while not await asyncio.to_thread(healthy, self.url + "_stcore/health"):
            assert self.proc is not None
            if self.proc.poll() is not None or time.monotonic() - t0 > STARTUP_TIMEOUT_S:
                raise RuntimeError(f"{self.label}: the app server did not start; stderr:\n{self.stderr_text()[-3000:]}")
            await asyncio.sleep(0.25)
        self.startup_s = time.monotonic() - t0

    def cpu_s(self) -> float:
        return tree_cpu_s(self.pid)

    def rss_mb(self) -> float:
        return tree_rss_mb(self.pid)

    def stderr_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return ""

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after 10 s."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def stderr_problems(text: str) -> dict[str, int]:
    """Tracebacks and error/exception lines in a server's stderr."""
    lines = text.splitlines()
    return {
        "tracebacks": sum(1 for ln in lines if ln.startswith("Traceback")),
        "error_lines": sum(1 for ln in lines if re.search(r"\b(ERROR|Error|Exception)\b", ln)),
    }


# --------------------------------------------------------------------------- one browser page


@dataclass
class Session:
    """One app session in its own browser context."""

    page: Page
    t_map: float | None = None  # s from goto to the map drawn
    t_idle: float | None = None  # s from goto to the page idle after that
    error: str | None = None
    page_errors: list[str] = field(default_factory=list)

    async def close(self) -> None:
        with contextlib.suppress(PlaywrightError):
            await self.page.context.close()


async def map_frame(page: Page) -> Frame | None:
    handle = await page.query_selector(MAP_IFRAME)
    return await handle.content_frame() if handle else None


async def in_map(page: Page, js: str) -> Any:
    """Evaluate ``js`` in the map frame; None while there is no map frame (or it re-renders under us)."""
    try:
        frame = await map_frame(page)
        return None if frame is None else await frame.evaluate(js)
    except PlaywrightError:
        return None


async def wait_map(page: Page, *, n: int, timeout_s: float) -> None:
    """Wait until the map frame holds ``n`` buurt polygons (or ``n`` interactive paths without buurt codes)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = await in_map(page, _JS_COUNT)
        if got and (got["buurten"] >= n or (got["buurten"] == 0 and got["paths"] >= n)):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no map with {n} buurten after {timeout_s:.0f} s (last count {got})")
        await asyncio.sleep(POLL_S)


async def wait_idle(page: Page, *, timeout_s: float = STEP_TIMEOUT_S, quiet_polls: int = 4) -> None:
    """Wait until no run is in progress for a few polls in a row."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < quiet_polls:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app was still running after {timeout_s:.0f} s")
        quiet = quiet + 1 if await page.evaluate(_JS_IDLE) else 0
        await asyncio.sleep(POLL_S)


async def page_exceptions(page: Page) -> list[str]:
    """Texts of the Streamlit exception boxes (``data-testid="stException"``) on the page."""
    try:
        return await page.get_by_test_id("stException").all_inner_texts()
    except PlaywrightError:
        return []


async def open_session(browser: Browser, url: str, *, n_buurten: int, timeout_s: float = SESSION_TIMEOUT_S) -> Session:
    """A new browser context and page; goto, wait for the map (``t_map``) and then for the page idle."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    session = Session(page)
    page.on("pageerror", lambda e: session.page_errors.append(str(e)))
    t0 = time.monotonic()
    try:
        await page.goto(url, timeout=timeout_s * 1000)
        await wait_map(page, n=n_buurten, timeout_s=timeout_s - (time.monotonic() - t0))
        session.t_map = time.monotonic() - t0
        await wait_idle(page, timeout_s=max(10.0, timeout_s - (time.monotonic() - t0)))
        session.t_idle = time.monotonic() - t0
    except (PlaywrightError, TimeoutError) as exc:
        session.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return session


async def open_expanders(page: Page) -> None:
    """Unfold every sidebar expander, so that every weight slider can be reached (client side only)."""
    for expander in await page.get_by_test_id("stSidebar").get_by_test_id("stExpander").all():
        if await expander.locator("details[open]").count() == 0:
            with contextlib.suppress(PlaywrightError):
                await expander.locator("summary").click()


# --------------------------------------------------------------------------- measurements


def pct(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Concurrent:
    n: int
    t_map: list[float]
    t_idle: list[float]
    cpu_per_session: float
    browser_cpu_per_session: float
    errors: list[str]
    exceptions: int
    page_errors: int
    wall_s: float
    load: str


def browser_cpu_s(servers: Sequence[Server]) -> float:
    """CPU seconds of this benchmark's other children: the Playwright driver and Chromium (not the servers)."""
    skip = {s.pid for s in servers}
    return sum(tree_cpu_s(pid) for pid in _children().get(os.getpid(), []) if pid not in skip)


async def measure_concurrent(
    browser: Browser, server: Server, n: int, *, n_buurten: int, servers: Sequence[Server] = ()
) -> Concurrent:
    """Open ``n`` sessions at once; time to map per session, server (and browser) CPU per session."""
    load = loadavg()
    servers = servers or [server]
    bcpu0 = browser_cpu_s(servers)
    cpu0 = server.cpu_s()
    t0 = time.monotonic()
    sessions = await asyncio.gather(*(open_session(browser, server.url, n_buurten=n_buurten) for _ in range(n)))
    wall = time.monotonic() - t0
    cpu1 = server.cpu_s()
    bcpu1 = browser_cpu_s(servers)
    exceptions = 0
    for s in sessions:
        exceptions += len(await page_exceptions(s.page))
    await asyncio.gather(*(s.close() for s in sessions))
    return Concurrent(
        n=n,
        t_map=[s.t_map for s in sessions if s.t_map is not None],
        t_idle=[s.t_idle for s in sessions if s.t_idle is not None],
        cpu_per_session=(cpu1 - cpu0) / n,
        browser_cpu_per_session=(bcpu1 - bcpu0) / n,
        errors=[s.error for s in sessions if s.error],
        exceptions=exceptions,
        page_errors=sum(len(s.page_errors) for s in sessions),
        wall_s=wall,
        load=load,
    )


def merge(runs: list[Concurrent]) -> Concurrent:
    """Several runs of the same N as one (sequential single sessions for N = 1)."""
    return Concurrent(
        n=runs[0].n,
        t_map=[t for r in runs for t in r.t_map],
        t_idle=[t for r in runs for t in r.t_idle],
        cpu_per_session=statistics.mean(r.cpu_per_session for r in runs),
        browser_cpu_per_session=statistics.mean(r.browser_cpu_per_session for r in runs),
        errors=[e for r in runs for e in r.errors],
        exceptions=sum(r.exceptions for r in runs),
        page_errors=sum(r.page_errors for r in runs),
        wall_s=sum(r.wall_s for r in runs),
        load=runs[-1].load,
    )


@dataclass
class WeightChanges:
    cpu: list[float] = field(default_factory=list)
    t_colours: list[float] = field(default_factory=list)
    t_idle: list[float] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    load: str = ""


async def find_slider(page: Page) -> Any:
    """The sports-distance weight slider (the one the browser tests move), else the first weight slider."""
    sidebar = page.get_by_test_id("stSidebar")
    named = sidebar.get_by_role("slider", name=SLIDER_LABEL)
    return named.first if await named.count() else sidebar.get_by_role("slider").first


async def weight_change(page: Page, slider: Any, key: str, server: Server, out: WeightChanges) -> None:
    """Press ``key`` on the slider; time to new map colours and to idle, server CPU until idle."""
    before = await in_map(page, _JS_COLOURS)
    cpu0 = server.cpu_s()
    t0 = time.monotonic()
    try:
        await slider.focus()
        await slider.press(key)
        t_colours = idle_since = None
        deadline = t0 + STEP_TIMEOUT_S
        while time.monotonic() < deadline:
            now = await in_map(page, _JS_COLOURS)
            if now and now != before:
                t_colours = time.monotonic() - t0
                break
            # The frame draws the new map after the run has sent it, possibly after the page is idle: give up
            # on new colours only when the page has been idle for a while.
            if idle_since is None and await page.evaluate(_JS_IDLE):
                idle_since = time.monotonic()
            elif idle_since is not None and time.monotonic() - idle_since > UNCHANGED_AFTER_IDLE_S:
                break
            await asyncio.sleep(POLL_S / 2)
        await wait_idle(page)
        t_idle = time.monotonic() - t0
    except (PlaywrightError, TimeoutError) as exc:
        out.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return
    out.cpu.append(server.cpu_s() - cpu0)
    out.t_idle.append(t_idle)
    if t_colours is None:
        out.unchanged += 1
    else:
        out.t_colours.append(t_colours)


# --------------------------------------------------------------------------- soak


@dataclass
class Soak:
    rss: list[tuple[int, str, float]] = field(default_factory=list)  # (step, phase, RSS MB)
    exception_steps: int = 0
    exception_texts: set[str] = field(default_factory=set)
    step_errors: list[str] = field(default_factory=list)
    reloads: int = 0  # the soak page reloaded after a failed step left it without its sidebar
    session_t_map: list[float] = field(default_factory=list)
    stderr: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0


def soak_actions(n: int, seed: int) -> list[tuple[str, int, str]]:
    """``n`` abstract changes (kind, index, key), the same for every server."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.choices(["weight", "layer", "buurt"], weights=[6, 2, 2])[0]
        out.append((kind, rng.randrange(1000), rng.choice(SLIDER_KEYS)))
    return out


async def choose_option(page: Page, label: re.Pattern[str], index: int) -> None:
    """Open the select box called ``label`` and click option ``index`` (modulo the options shown)."""
    box = page.get_by_role("combobox", name=label).first
    options = page.get_by_role("option")
    for attempt in range(3):
        # A click on a select box that still has the focus from the last choice may not open it: blur first.
        await box.evaluate("e => e.blur()")
        await box.click()
        try:
            await options.first.wait_for(timeout=5_000)
            break
        except PlaywrightError:
            await page.keyboard.press("Escape")
            if attempt == 2:
                raise
    count = await options.count()
    await options.nth(index % count).click()
    # A click that missed (the virtual list scrolled under it) leaves the menu open, and an open menu hides the
    # rest of the page from role queries (aria-hidden): close it.
    if await page.get_by_role("listbox").count():
        await page.keyboard.press("Escape")


async def soak_step(page: Page, action: tuple[str, int, str]) -> None:
    kind, index, key = action
    if kind == "weight":
        sliders = page.get_by_test_id("stSidebar").get_by_role("slider")
        await sliders.first.wait_for(timeout=10_000)  # (a page re-rendering may have none for a moment)
        slider = sliders.nth(index % await sliders.count())
        await slider.focus()
        await slider.press(key)
    elif kind == "layer":
        await choose_option(page, LAYER_LABEL, index)
    else:
        await choose_option(page, PICK_LABEL, index)
    await asyncio.sleep(0.3)  # let the rerun start
    await wait_idle(page)


async def sidebar_sliders(page: Page) -> int:
    try:
        return await page.get_by_test_id("stSidebar").get_by_role("slider").count()
    except PlaywrightError:
        return 0


async def record_exceptions(page: Page, soak: Soak) -> None:
    texts = await page_exceptions(page)
    if texts:
        soak.exception_steps += 1
        soak.exception_texts.update(t[:300] for t in texts)


# --------------------------------------------------------------------------- the run


@dataclass
class Result:
    label: str
    app_dir: Path
    startup_s: float = 0.0
    cold: Concurrent | None = None
    concurrent: dict[int, Concurrent] = field(default_factory=dict)
    weights: WeightChanges | None = None
    soak: Soak | None = None
    rss_start: float = 0.0
    stderr: dict[str, int] = field(default_factory=dict)


async def alternate(servers: list[Server], step: Callable[[Server, int], Awaitable[T]], turn: int) -> list[T]:
    """Run ``step`` on each server in turn, baseline first on even turns and last on odd ones."""
    order = list(range(len(servers)))
    if turn % 2:
        order.reverse()
    out: dict[int, T] = {}
    for i in order:
        out[i] = await step(servers[i], i)
    return [out[i] for i in range(len(servers))]


async def run(
    args: argparse.Namespace, servers: list[Server], results: list[Result], log: Callable[[str], None]
) -> None:
    for s in servers:
        s.start()
    await asyncio.gather(*(s.wait_healthy() for s in servers))
    for s, r in zip(servers, results, strict=True):
        r.startup_s = s.startup_s
        r.rss_start = s.rss_mb()
    log(f"servers up: {', '.join(f'{s.label} pid {s.pid} port {s.port} ({s.startup_s:.1f} s)' for s in servers)}")
    nb = args.buurten
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=args.chromium, args=BROWSER_ARGS)
        try:
            t0 = time.monotonic()
            for i, (s, r) in enumerate(zip(servers, results, strict=True)):
                r.cold = await measure_concurrent(browser, s, 1, n_buurten=nb, servers=servers)
                log(f"[{s.label}] cold first session: map {fmt(pct(r.cold.t_map, 50))} s, "
                    f"CPU {r.cold.cpu_per_session:.2f} s {r.cold.errors or ''}")
                if i == 0 and len(servers) > 1:
                    await asyncio.sleep(1)
            log(f"cold sessions: {time.monotonic() - t0:.0f} s")
            for turn, n in enumerate(args.sessions):
                t0 = time.monotonic()
                reps = args.single_repeat if n == 1 else 1

                async def step(s: Server, i: int, n: int = n, reps: int = reps) -> Concurrent:
                    runs = [await measure_concurrent(browser, s, n, n_buurten=nb, servers=servers) for _ in range(reps)]
                    await asyncio.sleep(1)
                    return merge(runs)

                for r, c in zip(results, await alternate(servers, step, turn), strict=True):
                    r.concurrent[n] = c
                    log(f"[{r.label}] N={n}: map p50 {fmt(pct(c.t_map, 50))} p95 {fmt(pct(c.t_map, 95))} s, "
                        f"CPU/session {c.cpu_per_session:.2f} s, load {c.load} {c.errors or ''}")
                log(f"N={n}: {time.monotonic() - t0:.0f} s")
            if args.changes:
                t0 = time.monotonic()
                await measure_weights(browser, servers, results, args, log)
                log(f"weight changes: {time.monotonic() - t0:.0f} s")
            if args.soak:
                t0 = time.monotonic()
                await measure_soak(browser, servers, results, args, log)
                log(f"soak: {time.monotonic() - t0:.0f} s")
        finally:
            with contextlib.suppress(PlaywrightError):
                await browser.close()
    for s, r in zip(servers, results, strict=True):
        r.stderr = stderr_problems(s.stderr_text())


async def measure_weights(
    browser: Browser, servers: list[Server], results: list[Result], args: argparse.Namespace,
    log: Callable[[str], None],
) -> None:
    sessions = []
    for s, r in zip(servers, results, strict=True):
        r.weights = WeightChanges(load=loadavg())
        session = await open_session(browser, s.url, n_buurten=args.buurten)
        if session.error:
            r.weights.errors.append(session.error)
        await open_expanders(session.page)
        sessions.append(session)
    try:
        sliders = [await find_slider(x.page) for x in sessions]
        for k in range(args.changes):
            key = "End" if k % 2 == 0 else "Home"

            async def step(s: Server, i: int, key: str = key) -> None:
                weights = results[i].weights
                assert weights is not None
                await weight_change(sessions[i].page, sliders[i], key, s, weights)

            await alternate(servers, step, k)
        for r in results:
            assert r.weights is not None
            log(f"[{r.label}] weight change: CPU median {fmt(pct(r.weights.cpu, 50))} s, colours p50 "
                f"{fmt(pct(r.weights.t_colours, 50))} s, unchanged {r.weights.unchanged} {r.weights.errors or ''}")
    finally:
        for x in sessions:
            await x.close()


async def measure_soak(
    browser: Browser, servers: list[Server], results: list[Result], args: argparse.Namespace,
    log: Callable[[str], None],
) -> None:
    actions = soak_actions(args.soak_steps, args.seed)
    soaks = [Soak() for _ in servers]
    for r, soak in zip(results, soaks, strict=True):
        r.soak = soak
    t_start = time.monotonic()
    pages = []
    for s, soak in zip(servers, soaks, strict=True):
        session = await open_session(browser, s.url, n_buurten=args.buurten)
        if session.error:
            soak.step_errors.append(f"open: {session.error}")
        await open_expanders(session.page)
        pages.append(session)
        soak.rss.append((0, "changes", s.rss_mb()))
    try:
        for k, action in enumerate(actions, start=1):

            async def step(s: Server, i: int, action: tuple[str, int, str] = action, k: int = k) -> None:
                page, soak = pages[i].page, soaks[i]
                try:
                    await soak_step(page, action)
                except (PlaywrightError, TimeoutError, ZeroDivisionError) as exc:
                    why = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:150]}"
                    soak.step_errors.append(f"step {k} {action[0]}: {why}")
                    with contextlib.suppress(PlaywrightError):
                        if len(soak.step_errors) <= 3:
                            await page.screenshot(path=s.stderr_path.with_name(f"{s.label}.soak-step-{k}.png"))
                        await page.keyboard.press("Escape")
                    if not await sidebar_sliders(page):  # the page lost its sidebar: reload it, go on
                        soak.reloads += 1
                        with contextlib.suppress(PlaywrightError, TimeoutError):
                            await page.goto(s.url)
                            await wait_map(page, n=args.buurten, timeout_s=SESSION_TIMEOUT_S)
                            await wait_idle(page)
                            await open_expanders(page)
                await record_exceptions(page, soak)
                if k % args.rss_every == 0 or k == len(actions):
                    soak.rss.append((k, "changes", s.rss_mb()))

            await alternate(servers, step, k)
            if k % 50 == 0:
                log(f"soak step {k}/{len(actions)}: RSS " + ", ".join(
                    f"{r.label} {sk.rss[-1][2]:.0f} MB" for r, sk in zip(results, soaks, strict=True)))
    finally:
        for x in pages:
            await x.close()
    base = len(actions)
    for j in range(1, args.soak_sessions + 1):

        async def open_close(s: Server, i: int, j: int = j) -> None:
            soak = soaks[i]
            session = await open_session(browser, s.url, n_buurten=args.buurten)
            if session.error:
                soak.step_errors.append(f"session {j}: {session.error}")
            if session.t_map is not None:
                soak.session_t_map.append(session.t_map)
            await record_exceptions(session.page, soak)
            await session.close()
            if j % max(1, args.rss_every // 2) == 0 or j == args.soak_sessions:
                await asyncio.sleep(0.5)
                soak.rss.append((base + j, "sessions", s.rss_mb()))

        await alternate(servers, open_close, j)
    for s, soak in zip(servers, soaks, strict=True):
        soak.wall_s = time.monotonic() - t_start
        soak.stderr = stderr_problems(s.stderr_text())


# --------------------------------------------------------------------------- report


def fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def sparkline(values: Sequence[float]) -> str:
    blocks = "▁▂▃▄▅▆▇█"
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    return "".join(blocks[min(7, int((v - lo) / span * 8))] for v in values)


def warm_rss(soak: Soak, warmup: int) -> tuple[float, float] | None:
    """(RSS at the first sample at or after step ``warmup``, RSS at the end)."""
    after = [mb for step, _, mb in soak.rss if step >= warmup]
    return (after[0], soak.rss[-1][2]) if after else None


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "**PASS**" if value <= target else "**FAIL**"


def metrics(r: Result, args: argparse.Namespace) -> list[tuple[str, float | None, float | None]]:
    """(name, value, target) rows for one app."""
    rows: list[tuple[str, float | None, float | None]] = [("server start to healthy, s", r.startup_s, None)]
    if r.cold:
        rows += [
            ("cold first session: time to map, s", pct(r.cold.t_map, 50), None),
            ("cold first session: time to idle, s", pct(r.cold.t_idle, 50), None),
            ("cold first session: server CPU, s", r.cold.cpu_per_session, None),
            ("cold first session: browser CPU, s", r.cold.browser_cpu_per_session, None),
        ]
    for n, c in r.concurrent.items():
        first = n == 1
        rows += [
            (f"N={n}: time to map p50, s", pct(c.t_map, 50), TARGETS["first_map"] if first else None),
            (f"N={n}: time to map p95, s", pct(c.t_map, 95), TARGETS["map_p95_10"] if n == 10 else None),
            (f"N={n}: time to map max, s", max(c.t_map) if c.t_map else None, None),
            (f"N={n}: time to idle p95, s", pct(c.t_idle, 95), None),
            (f"N={n}: server CPU per session, s", c.cpu_per_session, TARGETS["cpu_session"] if first else None),
            (f"N={n}: browser CPU per session, s", c.browser_cpu_per_session, None),
            (f"N={n}: failed sessions", float(len(c.errors)), None),
            (f"N={n}: exceptions on the pages", float(c.exceptions), None),
        ]
    if r.weights:
        w = r.weights
        rows += [
            ("weight change: server CPU median, s", pct(w.cpu, 50), TARGETS["cpu_change"]),
            ("weight change: server CPU mean, s", statistics.mean(w.cpu) if w.cpu else None, None),
            ("weight change: time to new colours p50, s", pct(w.t_colours, 50), None),
            ("weight change: time to new colours p95, s", pct(w.t_colours, 95), None),
            ("weight change: time to idle p50, s", pct(w.t_idle, 50), None),
            ("weight change: changes without new colours", float(w.unchanged), None),
            ("weight change: failed changes", float(len(w.errors)), None),
        ]
    if r.soak:
        s = r.soak
        wr = warm_rss(s, args.warmup)
        rows += [
            ("soak: RSS at start, MB", s.rss[0][2] if s.rss else None, None),
            (f"soak: RSS after warm-up (step {args.warmup}), MB", wr[0] if wr else None, None),
            ("soak: RSS at end, MB", s.rss[-1][2] if s.rss else None, None),
            ("soak: RSS max, MB", max(mb for *_, mb in s.rss) if s.rss else None, None),
            ("soak: RSS growth after warm-up, MB", wr[1] - wr[0] if wr else None, TARGETS["rss_growth"]),
            ("soak: steps showing an exception", float(s.exception_steps), None),
            ("soak: failed steps", float(len(s.step_errors)), None),
            ("soak: page reloads after a failed step", float(s.reloads), None),
            ("soak: server stderr tracebacks", float(s.stderr.get("tracebacks", 0)), None),
            ("soak: server stderr error lines", float(s.stderr.get("error_lines", 0)), None),
            ("soak: sessions' time to map p50, s", pct(s.session_t_map, 50), None),
            ("soak: wall time, s", s.wall_s, None),
        ]
    return rows


def report(results: list[Result], args: argparse.Namespace, started: dt.datetime, wall_s: float, load0: str) -> str:
    out = ["# Session benchmark results", ""]
    out.append(f"`python -m bench.bench_sessions {shlex.join(args.argv)}`")
    out.append("")
    out += [
        f"- started {started:%Y-%m-%d %H:%M} UTC, took {wall_s:.0f} s",
        f"- machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}",
        f"- load average (1/5/15 min) at start {load0}, at end {loadavg()}",
        "- apps: " + "; ".join(f"{r.label} = `{r.app_dir}`" + git_rev(r.app_dir) for r in results),
        f"- map drawn = {args.buurten} buurt polygons attached in the streamlit-folium frame; server CPU = "
        "utime+stime of the server process tree from /proc; N = 1 is "
        f"{args.single_repeat} single sessions in turn",
        "",
    ]
    per_app = [metrics(r, args) for r in results]
    if len(results) == 2:
        out += ["| metric | baseline | current | current / baseline | target | current vs target |",
                "|---|---:|---:|---:|---:|---|"]
        for (name, b, tgt), (_, c, _) in zip(per_app[0], per_app[1], strict=True):
            ratio = fmt(c / b) if b and c is not None else "–"
            out.append(f"| {name} | {fmt(b)} | {fmt(c)} | {ratio} | {fmt(tgt) if tgt else ''} | "
                       f"{verdict(c, tgt) if tgt else ''} |")
    else:
        out += ["| metric | value | target | result |", "|---|---:|---:|---|"]
        for name, v, tgt in per_app[0]:
            out.append(f"| {name} | {fmt(v)} | {fmt(tgt) if tgt else ''} | {verdict(v, tgt) if tgt else ''} |")
    out.append("")
    if any(r.concurrent for r in results):
        out.append("Load average (1 min) when each N started: " + "; ".join(
            f"{r.label}: " + ", ".join(f"N={n} {c.load.split('/')[0]}" for n, c in r.concurrent.items())
            for r in results))
        out.append("")
    for r in results:
        errors = [e for c in r.concurrent.values() for e in c.errors] + (r.weights.errors if r.weights else [])
        if r.cold:
            errors = r.cold.errors + errors
        if errors:
            out += [f"Errors ({r.label}):", ""] + [f"- {e}" for e in errors[:20]] + [""]
        if r.soak:
            out += soak_section(r, args)
    return "\n".join(out) + "\n"


def soak_section(r: Result, args: argparse.Namespace) -> list[str]:
    s = r.soak
    assert s is not None
    values = [mb for *_, mb in s.rss]
    out = [f"### Soak, {r.label}", ""]
    out += ["```", f"RSS MB {min(values):.0f} {sparkline(values)} {max(values):.0f}  "
            f"(steps 0–{s.rss[-1][0]}; changes to {args.soak_steps}, then sessions)", "```", ""]
    out += ["| step | phase | RSS MB |", "|---:|---|---:|"]
    out += [f"| {step} | {phase} | {mb:.1f} |" for step, phase, mb in s.rss]
    out.append("")
    if s.exception_texts:
        out += ["Exceptions shown on the page:", ""] + [f"- `{t.splitlines()[0]}`" for t in sorted(s.exception_texts)]
        out.append("")
    if s.step_errors:
        out += [f"Failed steps ({len(s.step_errors)}):", ""] + [f"- {e}" for e in s.step_errors[:20]] + [""]
    return out


def git_rev(path: Path) -> str:
    try:
        rev = subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" ({rev}{', modified' if dirty else ''})" if rev else ""


# --------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.bench_sessions", description=__doc__.split("\n")[0])
    p.add_argument("--app-dir", type=Path, default=ROOT, help="checkout to run app.py from (default: this repo)")
    p.add_argument("--baseline", type=Path, help="a second checkout, measured alternately with --app-dir")
    p.add_argument("--sessions", default=None, help="comma-separated N of sessions at once (default 1,5,10; '' = none)")
    p.add_argument("--single-repeat", type=int, default=3, help="single sessions in turn for N = 1 (default 3)")
    p.add_argument("--changes", type=int, default=None, help="weight changes K (default 10, --quick 6; 0 = none)")
    p.add_argument("--soak", action="store_true", help="run the soak too")
    p.add_argument("--soak-steps", type=int, default=None, help="random changes in the soak (default 500, quick 100)")
    p.add_argument("--soak-sessions", type=int, default=None, help="sessions in turn after them (default 50, quick 10)")
    p.add_argument("--rss-every", type=int, default=10, help="sample RSS every this many changes (default 10)")
    p.add_argument("--warmup", type=int, default=50, help="soak steps counted as warm-up for the RSS growth")
    p.add_argument("--seed", type=int, default=20241202)
    p.add_argument("--buurten", type=int, default=N_BUURTEN, help="buurt polygons that make a drawn map (111)")
    p.add_argument("--quick", action="store_true", help="N = 1,5; 6 weight changes; a 100-step soak")
    p.add_argument("--chromium", default=os.environ.get("RSP_CHROMIUM", CHROMIUM))
    p.add_argument("--python", default=sys.executable, help="Python that runs streamlit (default: this one)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results markdown (default {DEFAULT_OUT})")
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    sessions = ("1,5" if args.quick else "1,5,10") if args.sessions is None else args.sessions
    args.sessions = [int(x) for x in sessions.split(",") if x]
    args.changes = args.changes if args.changes is not None else (6 if args.quick else 10)
    args.soak_steps = args.soak_steps if args.soak_steps is not None else (100 if args.quick else 500)
    args.soak_sessions = args.soak_sessions if args.soak_sessions is not None else (10 if args.quick else 50)
    return args


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for d in [args.app_dir] + ([args.baseline] if args.baseline else []):
        if not (d / "app.py").is_file():
            print(f"no app.py in {d}", file=sys.stderr)
            return 2
    # Ctrl-C raises KeyboardInterrupt even when started with SIGINT ignored (a background job of a script);
    # SIGTERM does the same. Either way the finally below stops the servers, and asyncio.run the browser.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    started = dt.datetime.now(dt.UTC)
    load0 = loadavg()
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - t0:6.0f} s, load {loadavg()}] {msg}", flush=True)

    log_dir = Path(tempfile.mkdtemp(prefix="bench_sessions_"))
    apps = ([("baseline", args.baseline.resolve())] if args.baseline else []) + [("current", args.app_dir.resolve())]
    servers = [Server(label, d, args.python, log_dir) for label, d in apps]
    results = [Result(label, d) for label, d in apps]
    log(f"server logs in {log_dir}")
    status, note = 0, ""
    try:
        asyncio.run(run(args, servers, results, log))
    except KeyboardInterrupt:
        print("interrupted: stopping the servers", file=sys.stderr)
        status, note = 130, "**Interrupted**: the tables hold the parts that finished."
    except Exception:
        traceback.print_exc()
        status, note = 1, "**Failed** (see the traceback on stderr): the tables hold the parts that finished."
    finally:
        for s in servers:
            s.stop()
    text = report(results, args, started, time.monotonic() - t0, load0) + (f"\n{note}\n" if note else "")
    print(text)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}; server logs in {log_dir}")
    return status


if __name__ == "__main__":
    sys.exit(main())
