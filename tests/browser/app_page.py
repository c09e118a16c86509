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
- *national map* (``?ds=NL01``): thousands of buurten on one canvas, so no DOM path per buurt; the map is
  read through Leaflet (``window.map``: zoom and centre; the buurt layer, whose features carry
  ``buurt_code``; the boundary layer, whose feature ids are ``GM`` codes; the selected outline, the layer
  streamlit-folium swaps in ``window.feature_group``). A mark set in the frame's ``window`` tells whether
  the map was drawn again (the mark is gone) or only moved (the mark is still there).
- *Scholen tab*: runs only while open (``st.tabs(on_change="rerun")``). Its map
  is the ``st_folium`` frame inside the ``st-key-schools_map_box`` container
  (the results map is the other one); school circles are found through the
  Leaflet ``L.GeoJSON`` layer whose features carry ``school_code``. The gap
  card is the ``st.html`` fragment ``.gap-card-fragment``; the school picker is
  the selectbox ``school_select`` ("<name> (<code>)").
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FrameLocator, Locator, Page, expect

TITLES = {"nl": "Rijke Schooldag Planner", "en": "Rich School Day Planner"}
_FOLIUM = 'iframe[title="streamlit_folium.st_folium"]'
#: The Scholen tab's map: the folium frame in the container ``schools_map_box`` (ui/schools_view.py).
SCHOOLS_MAP_IFRAME = f".st-key-schools_map_box {_FOLIUM}"
#: The results map: the other folium frame.
MAP_IFRAME = f"{_FOLIUM}:not({SCHOOLS_MAP_IFRAME})"
SCHOOL_PICK_LABEL = re.compile(r"^(Kies een school|Pick a school)")
TABS = {"schools": {"nl": "Scholen", "en": "Schools"}}
SENTENCE = re.compile(r"\s(staat op|ranks) \d[\d.,]* (van|of) \d[\d.,]*")  # 14.079 / 14,079 for the country
PICK_LABEL = re.compile(r"^(Kies een buurt|Pick a buurt)")
FACILITIES_LABEL = re.compile(r"Voorzieningen op de kaart|Facilities on the map")
N_BUURTEN = 111
#: Timeout for one rerun of the app to show its effect (ms).
RUN_TIMEOUT_MS = 45_000

# JavaScript run inside the map frame. folium puts the base map's layers in window globals; the groups
# streamlit-folium swaps on the drawn map (the buurten, the selected outline) are in ``window.feature_group``.
_GEOJSONS = """
  const rspGeoJsons = () => {
    const found = new Set();
    for (const k of Object.keys(window)) {
      let v; try { v = window[k]; } catch (e) { continue; }
      if (typeof L !== 'undefined' && v instanceof L.GeoJSON) found.add(v);
    }
    for (const g of window.feature_group || []) g.eachLayer(l => {
      if (l instanceof L.GeoJSON) { l._rspSwapped = true; found.add(l); }
    });
    return [...found];
  };
"""
_JS_BUURTEN = """() => {
""" + _GEOJSONS + """  if (typeof L === 'undefined') return [];
  const out = [];
  for (const v of rspGeoJsons()) {
    v.eachLayer(l => {
      const p = (l.feature || {}).properties || {};
      if (p.buurt_code && l._path && l._path.isConnected) out.push({code: p.buurt_code, name: p.buurt_name});
    });
  }
  return out;
}"""

# A point (in frame coordinates) where the buurt's own polygon is the topmost element.
_JS_CLICK_POINT = """(code) => {
""" + _GEOJSONS + """  for (const v of rspGeoJsons()) {
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


# The school circles drawn in the schools map: [{code, tooltip text}].
_JS_SCHOOLS = """() => {
""" + _GEOJSONS + """  if (typeof L === 'undefined') return [];
  const out = [];
  for (const v of rspGeoJsons()) {
    v.eachLayer(l => {
      const p = (l.feature || {}).properties || {};
      if (!p.school_code || !l._path || !l._path.isConnected) return;
      const tip = document.createElement('span');
      tip.innerHTML = l.getTooltip() ? l.getTooltip().getContent() : '';
      out.push({code: p.school_code, tooltip: tip.textContent});
    });
  }
  return out;
}"""

# A point (in frame coordinates) where the school's own circle is the topmost element.
_JS_SCHOOL_POINT = """(code) => {
""" + _GEOJSONS + """  for (const v of rspGeoJsons()) {
    let found = null;
    v.eachLayer(l => { if (((l.feature || {}).properties || {}).school_code === code) found = l; });
    if (!found || !found._path) continue;
    const path = found._path, r = path.getBoundingClientRect();
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    for (const [fx, fy] of [[0, 0], [0.2, 0], [-0.2, 0], [0, 0.2], [0, -0.2], [0.3, 0.3], [-0.3, -0.3]]) {
      const x = cx + fx * r.width, y = cy + fy * r.height;
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
      if (document.elementFromPoint(x, y) === path) return {x, y};
    }
  }
  return null;
}"""


# The national map through Leaflet: counts of buurten and boundaries, the view, the selected outline, a mark.
_JS_NATIONAL = """() => {
""" + _GEOJSONS + """  if (typeof L === 'undefined' || !window.map) return null;
  const out = {buurten: 0, boundaries: 0, selected: 0, zoom: window.map.getZoom(), mark: window.__rsp_mark || null};
  const c = window.map.getCenter();
  out.center = [c.lat, c.lng];
  for (const v of rspGeoJsons()) {
    if (!window.map.hasLayer(v)) continue;
    const layers = v.getLayers();
    if (!layers.length) continue;
    const f = layers[0].feature || {};
    if ((f.properties || {}).buurt_code) out.buurten = Math.max(out.buurten, layers.length);
    else if (String(f.id || '').startsWith('GM')) out.boundaries = Math.max(out.boundaries, layers.length);
    else if (v._rspSwapped) out.selected += 1;  // the selected outline: a swapped group's shape without a code
  }
  return out;
}"""

# The view of the results map and the fill of every buurt drawn: {zoom, center, mark, fills: {code: colour}}.
_JS_VIEW = """() => {
""" + _GEOJSONS + """  if (typeof L === 'undefined' || !window.map) return null;
  const c = window.map.getCenter(), fills = {};
  for (const v of rspGeoJsons()) v.eachLayer(l => {
    const p = (l.feature || {}).properties || {};
    if (p.buurt_code && l._path && l._path.isConnected) fills[p.buurt_code] = l.options.fillColor;
  });
  return {zoom: window.map.getZoom(), center: [c.lat, c.lng], mark: window.__rsp_mark || null, fills};
}"""

# The axes of every Vega-Lite chart on the page: [[{label (the axis' aria-label), shown: [text], boxes: [[top,
# bottom]]}]]. Vega keeps a label it drops for overlap in the SVG with opacity 0: only the visible ones count.
_JS_CHART_AXES = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart =>
  [...chart.querySelectorAll('g.role-axis')].map(axis => {
    const texts = [...axis.querySelectorAll('g.role-axis-label text')].filter(t =>
      t.getAttribute('opacity') !== '0' && getComputedStyle(t).opacity !== '0' && t.getBBox().height > 0);
    return {label: axis.getAttribute('aria-label') || '', shown: texts.map(t => t.textContent),
            boxes: texts.map(t => { const r = t.getBoundingClientRect(); return [r.top, r.bottom]; })};
  }).filter(a => a.label))"""


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

    def _in_map(self, script: str):
        """``script`` run in the results map's frame; None while there is no frame (or it is re-rendered)."""
        handle = self.map_iframe().element_handle()
        frame = handle.content_frame() if handle else None
        if frame is None:
            return None
        try:
            return frame.evaluate(script)
        except PlaywrightError:  # the frame navigated or re-rendered under us
            return None

    def national_map(self) -> dict | None:
        """The national map's state (see ``_JS_NATIONAL``), or None while it is not drawn."""
        return self._in_map(_JS_NATIONAL)

    def map_view(self) -> dict | None:
        """The results map's zoom, centre, mark and the fill colour of each buurt (see ``_JS_VIEW``)."""
        return self._in_map(_JS_VIEW)

    def zoom_map_in(self, levels: int = 2) -> None:
        """Zoom the results map in by ``levels`` around its centre, as a user's scroll wheel would."""
        self.map_iframe().element_handle().content_frame().evaluate(
            "(n) => window.map.setZoom(window.map.getZoom() + n, {animate: false})", levels)

    def chart_axes(self) -> list[list[dict]]:
        """The labelled axes of each chart on the page, top to bottom (see ``_JS_CHART_AXES``)."""
        return self.page.evaluate(_JS_CHART_AXES)

    def mark_map(self) -> None:
        """Set a mark in the map frame's window (gone when the map is drawn again)."""
        self.map_iframe().element_handle().content_frame().evaluate("() => { window.__rsp_mark = 'kept'; }")

    def zoom_to(self, name: str) -> None:
        """Pick municipality ``name`` in the "Zoom naar gemeente" / "Zoom to municipality" select box."""
        box = self.page.locator(".st-key-map_zoom").get_by_role("combobox")
        box.click()
        box.fill(name)
        self.page.get_by_role("option", name=name, exact=True).click()

    # ------------------------------------------------------------------ tabs and the Scholen tab

    def open_tab(self, label: str) -> None:
        """Click the tab called ``label`` (the tab reruns the app when opened) and wait until it has run."""
        tab = self.page.get_by_role("tab", name=label, exact=True)
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        self.wait_idle()

    def schools_map_iframe(self) -> Locator:
        return self.page.locator(SCHOOLS_MAP_IFRAME)

    def map_schools(self) -> list[dict]:
        """``[{code, tooltip}]`` of the school circles drawn in the schools map (empty until it is drawn)."""
        handle = self.schools_map_iframe().element_handle(timeout=RUN_TIMEOUT_MS)
        frame = handle.content_frame() if handle else None
        if frame is None:
            return []
        try:
            return frame.evaluate(_JS_SCHOOLS)
        except PlaywrightError:  # the frame navigated or re-rendered under us: try again later
            return []

    def wait_schools_map(self, *, n: int = 1) -> list[dict]:
        """Wait until the schools map holds at least ``n`` school circles; return them."""
        expect(self.schools_map_iframe()).to_be_visible(timeout=RUN_TIMEOUT_MS)
        deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
        while len(schools := self.map_schools()) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"the schools map shows {len(schools)} schools, expected {n}")
            self.page.wait_for_timeout(200)
        return schools

    def click_school_on_map(self, code: str) -> bool:
        """A real mouse click on school ``code``'s circle; False when no point of it is on top."""
        iframe = self.schools_map_iframe()
        iframe.scroll_into_view_if_needed()
        frame = iframe.element_handle().content_frame()
        point = frame.evaluate(_JS_SCHOOL_POINT, code)
        if point is None:
            return False
        box = iframe.bounding_box()
        self.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        return True

    def school_picker(self) -> Locator:
        return self.page.locator(".st-key-school_select").get_by_role("combobox", name=SCHOOL_PICK_LABEL)

    def gap_card(self) -> Locator:
        """The gap card on the page (the ``st.html`` fragment of ``layers.school_card``)."""
        return self.page.locator(".gap-card-fragment")

    def expect_card(self, name: str, code: str) -> None:
        """The gap card and the school picker show school ``name`` (``code``)."""
        expect(self.gap_card()).to_contain_text(name, timeout=RUN_TIMEOUT_MS)
        expect(self.gap_card()).to_contain_text(code)
        expect(self.school_picker()).to_have_value(f"{name} ({code})")

    def click_buurt_on_map(self, code: str) -> None:
        """A real mouse click on buurt ``code``, at a point where its polygon is on top."""
        iframe = self.map_iframe()
        iframe.scroll_into_view_if_needed()
        frame = iframe.element_handle().content_frame()
        point = frame.evaluate(_JS_CLICK_POINT, code)
        assert point is not None, f"buurt {code} has no clickable point on the map"
        box = iframe.bounding_box()
        self.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
