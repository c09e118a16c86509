"""What the browser tests read from and do to the running app (a small page object).

How state is read from the page, and why this way:

- *finished running*: Streamlit greys out elements of a run in progress
  (``data-stale="true"``) and shows a running icon in ``stStatusWidget``; the
  app is idle when neither is present for a few polls in a row. Tests still
  wait for the *expected change* (a heading, a cell) first, because a rerun
  may not have started yet right after a click.
- *ranking order*: ``st.dataframe`` draws its cells on a canvas (glide-data-grid),
  but glide also keeps an ARIA table of the rows and columns it has drawn
  (``[role=row][aria-rowindex]`` / ``[role=gridcell][aria-colindex]``); the
  first rows are always drawn. The table is found by its key (the
  ``st-key-ranking_table`` class), its columns by their headers.
- *selected buurt*: the detail heading (``####`` → ``h4``), the explanation
  sentence (the ``st.info`` with "staat op … van" / "ranks … of") and the
  value of the "Kies een buurt" combobox ("<rank>. <name>").
- *map*: the ``streamlit_folium.st_folium`` iframe. Buurt polygons are found
  through Leaflet itself (the ``L.GeoJSON`` layer whose features carry
  ``buurt_code``), so a click lands on a known buurt at a point where that
  polygon is the topmost element (not under a facility marker or the legend).
- *weights*: sliders are ``input[type=range]`` (implicit role ``slider``)
  named by their label; the keyboard moves them (``End`` = maximum).
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FrameLocator, Locator, Page, expect

TITLES = {"nl": "Rijke Schooldag Planner", "en": "Rich School Day Planner"}
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
SENTENCE = re.compile(r"\s(staat op|ranks) \d+ (van|of) \d+")
PICK_LABEL = re.compile(r"^(Kies een buurt|Pick a buurt)")
FACILITIES_LABEL = re.compile(r"Voorzieningen op de kaart|Facilities on the map")
N_BUURTEN = 111
#: Timeout for one rerun of the app to show its effect (ms).
RUN_TIMEOUT_MS = 45_000

# JavaScript run inside the map frame (folium puts its layers in window globals).
_JS_BUURTEN = """() => {
  if (typeof L === 'undefined') return [];
  const out = [];
  for (const k of Object.keys(window)) {
    let v; try { v = window[k]; } catch (e) { continue; }
    if (!(v instanceof L.GeoJSON)) continue;
    v.eachLayer(l => {
      const p = (l.feature || {}).properties || {};
      if (p.buurt_code && l._path && l._path.isConnected) out.push({code: p.buurt_code, name: p.buurt_name});
    });
  }
  return out;
}"""

# A point (in frame coordinates) where the buurt's own polygon is the topmost element.
_JS_CLICK_POINT = """(code) => {
  for (const k of Object.keys(window)) {
    let v; try { v = window[k]; } catch (e) { continue; }
    if (!(v instanceof L.GeoJSON)) continue;
    let found = null;
    v.eachLayer(l => { if (((l.feature || {}).properties || {}).buurt_code === code) found = l; });
    if (!found || !found._path) continue;
    const path = found._path, r = path.getBoundingClientRect(), n = 15;
    const cands = [];
    for (let i = 1; i < n; i++) for (let j = 1; j < n; j++)
      cands.push([r.left + r.width * i / n, r.top + r.height * j / n]);
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    cands.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
    for (const [x, y] of cands) {
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
      if (document.elementFromPoint(x, y) === path) return {x, y};
    }
  }
  return null;
}"""


class AppPage:
    """The Rijke Schooldag Planner in one browser page."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    # ------------------------------------------------------------------ loading and waiting

    def open(self, query: str = "", *, wait_map: bool = True) -> AppPage:
        """Open the app (``query`` like ``"?lang=en"``) and wait until it has rendered."""
        self.goto(query)
        self.wait_rendered(wait_map=wait_map)
        return self

    def goto(self, query: str = "") -> AppPage:
        """Navigate only (the app then runs on its own; see :meth:`wait_rendered`)."""
        self.page.goto(self.base_url + query.lstrip("/"))
        return self

    def wait_rendered(self, *, wait_map: bool = True) -> None:
        """Wait for a complete run: the title and the explanation (or an exception), then idle."""
        # An exception box ends the wait at once (a crash before the title shows no title).
        crashed = self.page.get_by_test_id("stException")
        title = self.page.get_by_role("heading", level=1).filter(has_text=re.compile("|".join(TITLES.values())))
        expect(title.or_(crashed).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
        expect(self.sentence_locator().or_(crashed).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
        self.wait_idle()
        if self.exceptions():
            raise AssertionError("the app shows an exception:\n" + "\n---\n".join(self.exceptions())[:3000])
        if wait_map:
            self.wait_map()

    def wait_idle(self, *, timeout_s: float = RUN_TIMEOUT_MS / 1000, quiet_polls: int = 4) -> None:
        """Wait until no run is in progress (no stale elements, no running icon) for a few polls in a row."""
        js = """() => !document.querySelector(
            '[data-stale="true"], [data-testid="stStatusWidgetRunningIcon"], '
            + '[data-testid="stStatusWidgetRunningManIcon"]')"""
        deadline = time.monotonic() + timeout_s
        quiet = 0
        while quiet < quiet_polls:
            if time.monotonic() > deadline:
                raise AssertionError(f"the app was still running after {timeout_s:.0f} s")
            quiet = quiet + 1 if self.page.evaluate(js) else 0
            self.page.wait_for_timeout(100)

    def exceptions(self) -> list[str]:
        """Texts of Streamlit exception boxes (a crash of the script shows one)."""
        return self.page.get_by_test_id("stException").all_inner_texts()

    # ------------------------------------------------------------------ what the page shows

    def title(self) -> str:
        return self.page.get_by_role("heading", level=1).first.inner_text().strip()

    def heading(self) -> Locator:
        """The detail panel's heading: the selected buurt's name."""
        return self.page.get_by_role("heading", level=4).first

    def sentence_locator(self) -> Locator:
        return self.page.get_by_test_id("stAlert").filter(has_text=SENTENCE).first

    def sentence(self) -> str:
        return self.sentence_locator().inner_text().strip()

    def picker(self) -> Locator:
        """The "Kies een buurt" / "Pick a buurt" combobox (selectbox key ``buurt_select``)."""
        return self.page.locator(".st-key-buurt_select").get_by_role("combobox", name=PICK_LABEL)

    def picked(self) -> str:
        """The picker's current text, "<rank>. <name>"."""
        return self.picker().input_value()

    def ranking_table(self) -> Locator:
        """The ranked table: the dataframe with key ``ranking_table`` (Streamlit adds ``st-key-<key>``).

        Found by key, not by its headers: other tables (robustness, in a tab) also
        have "Buurt" and "Rank" columns, and glide adds a table's ARIA rows only
        once it has drawn it, so a header-based search can find the wrong one first.
        """
        return self.page.locator(".st-key-ranking_table").get_by_test_id("stDataFrame")

    def ranking(self, n: int = 5) -> list[tuple[str, str, str]]:
        """The first ``n`` rows of the ranked table as ``(buurt_code, rank, name)``, top first.

        Columns are found by their headers ('' for the index, "Plaats"/"Rank", "Buurt").
        """
        table = self.ranking_table()
        expect(table.locator("[role=row][aria-rowindex='2'] [role=gridcell]").first).to_be_attached(
            timeout=RUN_TIMEOUT_MS
        )
        rows = table.evaluate(
            """(t, n) => {
                 const col = {};
                 for (const h of t.querySelectorAll('[role=columnheader]')) {
                   const text = h.textContent.trim(), i = h.getAttribute('aria-colindex');
                   if (text === '') col.code = i; else if (text === 'Plaats' || text === 'Rank') col.rank = i;
                   else if (text === 'Buurt') col.name = i;
                 }
                 return [...t.querySelectorAll('[role=row][aria-rowindex]')]
                   .filter(r => r.querySelector('[role=gridcell]'))
                   .sort((a, b) => +a.getAttribute('aria-rowindex') - +b.getAttribute('aria-rowindex'))
                   .slice(0, n)
                   .map(r => ['code', 'rank', 'name'].map(k => {
                      const c = r.querySelector(`[role=gridcell][aria-colindex="${col[k]}"]`);
                      return c ? c.textContent.trim() : null;
                   }));
               }""",
            n,
        )
        assert rows and all(None not in r for r in rows), f"ranking table columns not found: {rows}"
        return [tuple(r) for r in rows]

    # ------------------------------------------------------------------ sidebar

    def sidebar(self) -> Locator:
        return self.page.get_by_test_id("stSidebar")

    def choose_language(self, label: str) -> None:
        """Click a language radio option ("Nederlands" / "English")."""
        self.sidebar().get_by_test_id("stRadio").get_by_text(label, exact=True).click()

    def facility_types_shown(self) -> list[str]:
        """The chips of the "Voorzieningen op de kaart" / "Facilities on the map" multiselect."""
        box = self.sidebar().get_by_test_id("stMultiSelect").filter(has_text=FACILITIES_LABEL)
        return [t.strip() for t in box.locator("[data-tag]").all_inner_texts()]

    def open_expander(self, title: str) -> None:
        expander = self.sidebar().get_by_test_id("stExpander").filter(has_text=title).first
        if expander.locator("details[open]").count() == 0:
            expander.locator("summary").click()
        expect(expander.locator("details[open]")).to_have_count(1)

    def slider(self, group: str, label: str | re.Pattern) -> Locator:
        """The weight slider called ``label`` in the sidebar expander ``group`` (opened if folded)."""
        self.open_expander(group)
        slider = self.sidebar().get_by_role("slider", name=label)
        expect(slider).to_have_count(1)
        return slider

    @staticmethod
    def slider_value(slider: Locator) -> float:
        return float(slider.input_value())

    # ------------------------------------------------------------------ detail picker

    def pick(self, name: str) -> None:
        """Choose buurt ``name`` in the picker (type to filter, click the option)."""
        box = self.picker()
        box.click()
        box.fill(name)
        self.page.get_by_role("option").filter(has_text=re.compile(rf"^\d+\. {re.escape(name)}$")).first.click()

    def expect_selected(self, name: str) -> None:
        """The detail panel explains ``name``: heading, sentence and picker all name it."""
        expect(self.heading()).to_have_text(name, timeout=RUN_TIMEOUT_MS)
        expect(self.sentence_locator()).to_contain_text(re.compile(rf"^{re.escape(name)} (staat op|ranks) "))
        expect(self.picker()).to_have_value(re.compile(rf"^\d+\. {re.escape(name)}$"))

    # ------------------------------------------------------------------ map

    def map_iframe(self) -> Locator:
        return self.page.locator(MAP_IFRAME)

    def map_frame(self) -> FrameLocator:
        return self.page.frame_locator(MAP_IFRAME)  # (Locator.content_frame needs Playwright 1.43)

    def map_legend(self, title: str | re.Pattern) -> Locator:
        """The map legend box (``.rsp-legend``) with this title."""
        return self.map_frame().locator(".rsp-legend").filter(has_text=title).first

    def wait_map(self, *, n: int = N_BUURTEN) -> None:
        """Wait until the map iframe holds at least ``n`` buurt polygons."""
        expect(self.map_iframe()).to_be_visible(timeout=RUN_TIMEOUT_MS)
        deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
        while len(self.map_buurten()) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"the map shows {len(self.map_buurten())} buurt polygons, expected {n}")
            self.page.wait_for_timeout(200)

    def map_buurten(self) -> list[dict]:
        """``[{code, name}]`` of the buurt polygons drawn in the map (via Leaflet's GeoJSON layer)."""
        handle = self.map_iframe().element_handle()
        frame = handle.content_frame() if handle else None
        if frame is None:
            return []
        try:
            return frame.evaluate(_JS_BUURTEN)
        except PlaywrightError:  # the frame navigated or re-rendered under us: try again later
            return []

    def click_buurt_on_map(self, code: str) -> None:
        """A real mouse click on buurt ``code``, at a point where its polygon is on top."""
        iframe = self.map_iframe()
        iframe.scroll_into_view_if_needed()
        frame = iframe.element_handle().content_frame()
        point = frame.evaluate(_JS_CLICK_POINT, code)
        assert point is not None, f"buurt {code} has no clickable point on the map"
        box = iframe.bounding_box()
        self.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
