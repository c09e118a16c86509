"""Share links: the whole view in the URL query string, and back again.

The core is pure: :func:`encode` turns a :class:`ShareState` into query
parameters and :func:`decode` turns any query parameters – including hostile
ones – back into a state plus a list of :class:`Notice` for everything it had
to reject. :func:`decode` never raises, never evaluates anything (plain regular
expressions and ``float`` on ASCII digits only), and every piece of URL text
that reaches the screen goes through :func:`escape_url_text`. The Streamlit
part is three thin functions at the end (:func:`read_query_params`,
:func:`write_query_params`, :func:`render_notices` / :func:`render_share_link`).

Parameters (only values that differ from the defaults are written)
------------------------------------------------------------------
=======  ==================  =====================================================
name     field               format
=======  ==================  =====================================================
``ds``   dataset             a dataset name, e.g. ``utrecht``
``lang`` lang                ``nl`` or ``en``
``p``    preset              a preset key, e.g. ``need_only``
``w``    weights             repeated, ``<indicator>~<number>``: overrides of the
                             preset's weights, e.g. ``w=dist_sport_m~2.5``
``norm`` normalisation       ``m`` (within each municipality, the default) or
                             ``n`` (national): where z-scores are taken
``map``  map_column          a summary column or an indicator key
``ft``   facility_types      ``~``-joined facility types, ``-`` for none
``mode`` mode                ``walk`` or ``bike``
``tr``   traveller           ``child`` or ``adult``
``kmh``  speed_kmh           a number (overrides the traveller's speed)
``min``  minutes             ``~``-joined isochrone bands, e.g. ``5~10~15``
``iso``  show_isochrones     ``1`` or ``0``
``b``    buurt               a buurt code, e.g. ``BU03440111``
``add``  added               repeated, ``<type>~<x>~<y>[~<capacity>]``, x/y in
                             EPSG:28992 metres
``rm``   removed             repeated, a facility id
``school`` school            a DUO branch code (VESTIGINGSCODE), e.g. ``00AP00``:
                             the school whose gap card is open (Scholen tab)
``smin`` school_minutes      walking minutes a domain must be in reach in: ``5``,
                             ``10`` or ``15``
=======  ==================  =====================================================

Numbers are written as Python's shortest round-trip ``repr`` of the float
without a trailing ``.0`` (``2.5``, ``2``, ``136000.25``, ``1e-05``), so a link
restores the exact same float. A value ``-`` means "explicitly empty" (no
facility types, no weight overrides, no buurt or school, the traveller's own speed). An
empty value counts as absent. Unknown parameter names are ignored without a
notice, so that links passed through tracking (``fbclid``, ``utm_*``) still open.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from geo import schema
from geo.catalog import DEFAULT_PRESET, FACILITY_TYPES, INDICATORS, PRESETS
from geo.data.files import SCHOOL_CODE_PATTERN
from geo.decide.ranking import NORMALISATIONS
from geo.decide.scenario import ScenarioFacility
from geo.decide.schools import DEFAULT_MINUTES, REACH_BANDS_MIN
from geo.errors import ParameterError
from geo.lang import LANGUAGES, pick
from geo.units import BAND_CHOICES_MIN, MODES, TRAVELLERS
from ui.markdown import escape_url_text, md_escape, printable

__all__ = [
    "Notice",
    "ShareState",
    "Validation",
    "decode",
    "encode",
    "escape_url_text",
    "public_base_url",
    "share_url",
    "state_from_app",
    "to_query_string",
    "validate",
    "widget_values",
]

# --------------------------------------------------------------------------- names

P_DATASET = "ds"
P_LANG = "lang"
P_PRESET = "p"
P_WEIGHT = "w"
P_NORM = "norm"
P_MAP = "map"
P_TYPES = "ft"
P_MODE = "mode"
P_TRAVELLER = "tr"
P_SPEED = "kmh"
P_BANDS = "min"
P_ISO = "iso"
P_BUURT = "b"
P_ADD = "add"
P_REMOVE = "rm"
P_SCHOOL = "school"
P_SCHOOL_MINUTES = "smin"
#: Every parameter this module reads or writes, in the order it writes them.
PARAMS = (
    P_DATASET, P_LANG, P_PRESET, P_WEIGHT, P_NORM, P_MAP, P_TYPES, P_MODE, P_TRAVELLER, P_SPEED, P_BANDS, P_ISO,
    P_BUURT, P_ADD, P_REMOVE, P_SCHOOL, P_SCHOOL_MINUTES,
)

#: Separator inside one value. Unreserved in URLs (RFC 3986), so never percent-encoded.
SEP = "~"
#: A value meaning "explicitly empty / none".
NONE = "-"

DEFAULT_DATASET = "utrecht"
#: The summary columns offered as map layers (same as ``ui.sidebar.SUMMARY_COLUMNS``).
SUMMARY_COLUMNS = schema.SCORE_COLUMNS
#: Weights a slider (and so a link) can hold, inclusive.
WEIGHT_RANGE = (0.0, 5.0)
#: How a link spells each normalisation of the ranking (``geo.decide.ranking.NORMALISATIONS``).
NORMALISATION_CODES = {"municipality": "m", "national": "n"}
if set(NORMALISATION_CODES) != set(NORMALISATIONS):  # a new normalisation needs a spelling here
    raise ImportError(f"ui.share spells normalisations {sorted(NORMALISATION_CODES)}, the ranking has {NORMALISATIONS}")

# Plain syntax, ASCII only ([0-9] rather than \d, which also matches other scripts' digits).
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,4})?")
_BUURT = re.compile(r"[A-Za-z0-9_]{1,32}")
_FACILITY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


# --------------------------------------------------------------------------- state


def _canonical_weights(preset: str, pairs: Sequence[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """Sorted overrides without duplicates (last wins) and without no-ops (equal to the preset)."""
    base = PRESETS.get(preset, {})
    merged = {str(k): float(w) + 0.0 for k, w in pairs}  # + 0.0 turns -0.0 into 0.0
    return tuple(sorted((k, w) for k, w in merged.items() if w != base.get(k, 0.0)))


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class ShareState:
    """Everything a share link restores. Frozen, hashable, compared by value.

    Construction puts the collections in one canonical form (so that equal
    views compare equal): ``weights`` sorted, without duplicates and without
    entries equal to the preset's weight; ``minutes`` sorted and unique;
    ``facility_types`` and ``removed`` without duplicates (order kept). It does
    not check names or ranges: that is :func:`validate`'s job.

    Attributes
    ----------
    dataset
        Name of the dataset (municipality), e.g. ``"utrecht"``.
    lang
        ``"nl"`` or ``"en"``.
    preset
        Key of the weight preset the sliders start from.
    weights
        ``(indicator, weight)`` overrides of the preset (the sliders the user moved).
    normalisation
        Where the ranking takes its z-scores: ``"municipality"`` (within each) or ``"national"``.
    map_column
        Column shown on the map.
    facility_types
        Facility types shown on the map; None means all types present in the data.
    mode, traveller
        Travel mode (``walk``/``bike``) and traveller (``child``/``adult``).
    speed_kmh
        Speed override in km/h; None means the traveller's default speed.
    minutes
        Isochrone bands in minutes.
    show_isochrones
        Whether isochrones are drawn.
    buurt
        Selected buurt code, or None for the app's default (the top-ranked buurt).
    added
        Scenario facilities added by the user.
    removed
        Ids of facilities removed in the scenario.
    school
        DUO branch code of the school whose gap card is open, or None for the app's default.
    school_minutes
        Walking minutes (at child speed) within which a domain counts as in reach of a school.
    """

    dataset: str = DEFAULT_DATASET
    lang: str = "nl"
    preset: str = DEFAULT_PRESET
    weights: tuple[tuple[str, float], ...] = ()
    normalisation: str = NORMALISATIONS[0]
    map_column: str = schema.PRIORITY_SCORE
    facility_types: tuple[str, ...] | None = None
    mode: str = "walk"
    traveller: str = "child"
    speed_kmh: float | None = None
    minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
    show_isochrones: bool = True
    buurt: str | None = None
    added: tuple[ScenarioFacility, ...] = ()
    removed: tuple[str, ...] = ()
    school: str | None = None
    school_minutes: float = DEFAULT_MINUTES

    def __post_init__(self) -> None:
        # Frozen dataclass: canonicalise through object.__setattr__ (runs once, at construction).
        object.__setattr__(self, "weights", _canonical_weights(self.preset, self.weights))
        object.__setattr__(self, "minutes", tuple(sorted({float(m) for m in self.minutes})))
        if self.facility_types is not None:
            object.__setattr__(self, "facility_types", _unique(self.facility_types))
        object.__setattr__(self, "removed", _unique(self.removed))
        object.__setattr__(self, "school_minutes", float(self.school_minutes) + 0.0)
        object.__setattr__(
            self, "added", tuple(a if isinstance(a, ScenarioFacility) else ScenarioFacility(*a) for a in self.added)
        )

    def effective_weights(self) -> dict[str, float]:
        """The weight of every indicator: the preset's, then the overrides (0 when neither has one)."""
        weights = dict.fromkeys(INDICATORS, 0.0)
        weights.update(PRESETS.get(self.preset, {}))
        weights.update(self.weights)
        return weights


@dataclass(frozen=True)
class Validation:
    """What :func:`decode` accepts. Pass the app's real options; the defaults are the catalogue's.

    Collections that depend on the loaded data (``facility_types`` shown,
    ``map_columns`` with data, ``buurt_codes``, ``facility_ids``,
    ``usable_indicators``, ``school_codes``) can be narrowed once the data is loaded and a state
    re-checked with :func:`validate`. ``None`` for a set means "syntax only".

    Attributes
    ----------
    weight_range
        Allowed weights, inclusive. The default upper bound is the sidebar
        sliders' maximum (``ui.sidebar.WEIGHT_MAX``): a slider seeded outside
        its range is an error in Streamlit.
    band_choices
        Allowed isochrone bands: the options of the bands multiselect.
    school_minute_choices
        Allowed walking minutes of the Scholen tab: the options of its minutes widget.
    bbox
        Allowed area for scenario facilities, EPSG:28992 (x_min, y_min, x_max, y_max).
    max_scenario
        Most facilities that can be added, and most that can be removed.
    max_value_len
        Longest accepted value of one parameter (characters).
    max_repeats
        Most values read for one repeated parameter (``w``, ``add``, ``rm``).
    """

    datasets: tuple[str, ...] = (DEFAULT_DATASET,)
    languages: tuple[str, ...] = LANGUAGES
    presets: tuple[str, ...] = tuple(PRESETS)
    indicators: tuple[str, ...] = tuple(INDICATORS)
    map_columns: tuple[str, ...] = (*SUMMARY_COLUMNS, *INDICATORS)
    facility_types: tuple[str, ...] = tuple(FACILITY_TYPES)
    scenario_types: tuple[str, ...] = tuple(FACILITY_TYPES)
    modes: tuple[str, ...] = MODES
    travellers: tuple[str, ...] = TRAVELLERS
    band_choices: tuple[float, ...] = BAND_CHOICES_MIN
    buurt_codes: frozenset[str] | None = None
    facility_ids: frozenset[str] | None = None
    usable_indicators: frozenset[str] | None = None
    school_codes: frozenset[str] | None = None
    school_minute_choices: tuple[float, ...] = REACH_BANDS_MIN
    weight_range: tuple[float, float] = WEIGHT_RANGE
    speed_range_kmh: tuple[float, float] = (1.0, 40.0)
    capacity_range: tuple[float, float] = (0.0, 1_000_000.0)
    bbox: tuple[float, float, float, float] = schema.NL_BOUNDS_RD
    max_scenario: int = 20
    max_value_len: int = 200
    max_repeats: int = 64


DEFAULT_STATE = ShareState()
DEFAULT_VALIDATION = Validation()


# --------------------------------------------------------------------------- notices

_WHY: dict[str, tuple[str, str]] = {
    "not_text": ("geen tekst", "not text"),
    "too_long": ("te lang (meer dan {n} tekens)", "too long (over {n} characters)"),
    "too_many": ("te veel waarden (meer dan {n})", "too many values (over {n})"),
    "unknown": ("onbekend of niet beschikbaar; verwacht: {allowed}", "unknown or not available; expected: {allowed}"),
    "number": ("geen getal tussen {lo} en {hi}", "not a number between {lo} and {hi}"),
    "format": ("onleesbaar; verwacht {fmt}", "unreadable; expected {fmt}"),
    "bbox": ("ligt buiten het gebied", "lies outside the area"),
    "all_zero": (
        "hiermee zou geen enkele bruikbare indicator meetellen; de gewichten van het uitgangspunt worden gebruikt.",
        "with these no usable indicator would count; the starting point's weights are used.",
    ),
    "not_a_mapping": ("de link kon niet gelezen worden", "the link could not be read"),
}
_DEFAULT_USED = ("; standaardwaarde gebruikt.", "; default used.")
_IGNORED = ("; genegeerd.", "; ignored.")
_REST = ("; de rest is genegeerd.", "; the rest is ignored.")


@dataclass(frozen=True)
class Notice:
    """One value from the link that could not be used.

    ``value`` is the URL text truncated and with control characters replaced,
    but *not* Markdown-escaped: show it with :meth:`markdown` (or ``st.text``).
    """

    param: str
    value: str
    message_nl: str
    message_en: str

    def message(self, lang: str = "nl") -> str:
        return pick((self.message_nl, self.message_en), lang)

    def markdown(self, lang: str = "nl") -> str:
        """The notice as safe Markdown: every piece of text is escaped."""
        return f"**{escape_url_text(self.param)}** = {escape_url_text(self.value)}: {md_escape(self.message(lang))}"


def _allowed(options: Sequence[object], n: int = 6) -> str:
    shown = [_fmt(o) if isinstance(o, float) else str(o) for o in list(options)[:n]]
    return ", ".join(shown) + (", …" if len(options) > n else "")


# --------------------------------------------------------------------------- numbers


def _fmt(x: float) -> str:
    """Shortest text that round-trips ``x`` exactly: ``repr`` without ``.0`` or ``e+``."""
    text = repr(float(x) + 0.0)
    text = text.removesuffix(".0")
    return text.replace("e+", "e")


def _parse_number(text: str, lo: float, hi: float) -> float | None:
    """A finite number in [lo, hi] written in plain ASCII decimal notation, else None."""
    if len(text) > 48 or not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    if not math.isfinite(value) or not lo <= value <= hi:
        return None
    return value + 0.0


# --------------------------------------------------------------------------- encode


def encode(state: ShareState, defaults: ShareState = DEFAULT_STATE) -> dict[str, str | list[str]]:
    """Query parameters for ``state``: only the values that differ from ``defaults``.

    Parameters
    ----------
    state
        The view to share.
    defaults
        The state a link without parameters opens (must be the same in :func:`decode`).

    Returns
    -------
    dict
        Parameter name → value; ``w``, ``add`` and ``rm`` are lists (repeated
        parameters). Feed to ``urlencode(..., doseq=True)`` or ``st.query_params.from_dict``.
    """
    out: dict[str, str | list[str]] = {}
    for name, attr in ((P_DATASET, "dataset"), (P_LANG, "lang"), (P_PRESET, "preset"), (P_MAP, "map_column"),
                       (P_MODE, "mode"), (P_TRAVELLER, "traveller")):
        if getattr(state, attr) != getattr(defaults, attr):
            out[name] = str(getattr(state, attr))
    # Weights are overrides of the state's own preset: compare with what decode would make of no 'w'.
    if state.weights != _canonical_weights(state.preset, defaults.weights):
        out[P_WEIGHT] = [f"{k}{SEP}{_fmt(w)}" for k, w in state.weights] or [NONE]
    if state.normalisation != defaults.normalisation:
        out[P_NORM] = NORMALISATION_CODES[state.normalisation]
    # None ("all types present") has no spelling: it is always the default in practice.
    if state.facility_types != defaults.facility_types and state.facility_types is not None:
        out[P_TYPES] = SEP.join(state.facility_types) or NONE
    if state.speed_kmh != defaults.speed_kmh:
        out[P_SPEED] = NONE if state.speed_kmh is None else _fmt(state.speed_kmh)
    if state.minutes != defaults.minutes and state.minutes:
        out[P_BANDS] = SEP.join(_fmt(m) for m in state.minutes)
    if state.show_isochrones != defaults.show_isochrones:
        out[P_ISO] = "1" if state.show_isochrones else "0"
    if state.buurt != defaults.buurt:
        out[P_BUURT] = NONE if state.buurt is None else state.buurt
    if state.added != defaults.added:
        out[P_ADD] = [
            SEP.join([a.facility_type, _fmt(a.x), _fmt(a.y), *([] if a.capacity is None else [_fmt(a.capacity)])])
            for a in state.added
        ] or [NONE]
    if state.removed != defaults.removed:
        out[P_REMOVE] = list(state.removed) or [NONE]
    if state.school != defaults.school:
        out[P_SCHOOL] = NONE if state.school is None else state.school
    if state.school_minutes != defaults.school_minutes:
        out[P_SCHOOL_MINUTES] = _fmt(state.school_minutes)
    return {k: out[k] for k in PARAMS if k in out}


def to_query_string(state: ShareState, defaults: ShareState = DEFAULT_STATE) -> str:
    """``state`` as a query string without the leading ``?`` (empty for the defaults)."""
    return urlencode(encode(state, defaults), doseq=True)


def share_url(base_url: str, state: ShareState, defaults: ShareState = DEFAULT_STATE) -> str:
    """The link that opens ``state``: ``base_url`` without its own query/fragment, plus the parameters."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", to_query_string(state, defaults), ""))


# --------------------------------------------------------------------------- the public address (a server)

#: Environment variable with the address the public reaches the app at (behind a reverse proxy), e.g.
#: ``https://planner.gemeente.nl/rsp/``: when set, the base of every share link and of the decision pack's link.
PUBLIC_URL_ENV = "PLANNER_PUBLIC_URL"
#: The Streamlit option that serves the app under a path (``streamlit run app.py --server.baseUrlPath rsp``).
BASE_URL_PATH_OPTION = "server.baseUrlPath"
#: Schemes a public address may have.
PUBLIC_URL_SCHEMES = ("http", "https")
#: Longest public address accepted (a share link adds its parameters to it).
PUBLIC_URL_MAX_CHARS = 500


def public_base_url(raw: str, base_url_path: str = "") -> str | None:
    """The checked public address share links start from, or None when ``raw`` is empty (not configured).

    ``raw`` must be an absolute ``http(s)`` address with a host and no user name, password, query or
    fragment. An address without a path (``https://host``) is completed with ``base_url_path``
    (Streamlit's ``server.baseUrlPath``); an address with a path is the whole public address, since a
    proxy may map any public path to the app's. The result always ends in ``/``.

    Raises
    ------
    ParameterError
        For anything else, saying what was found.
    """
    text = raw.strip()
    if not text:
        return None
    parts = urlsplit(text)
    # Never echo a password: the address is shown without its user part.
    shown = printable(text.replace(parts.netloc, parts.netloc.rpartition("@")[2], 1) if "@" in parts.netloc else text)

    def refuse(why: str) -> ParameterError:
        return ParameterError(
            f"{PUBLIC_URL_ENV} must be a full address such as https://planner.example.nl/rsp/, found '{shown}': {why}."
        )

    if len(text) > PUBLIC_URL_MAX_CHARS:
        raise refuse(f"it may be at most {PUBLIC_URL_MAX_CHARS} characters long")
    if not text.isprintable() or any(c.isspace() for c in text):
        raise refuse("it may not contain spaces or control characters")
    if parts.scheme.lower() not in PUBLIC_URL_SCHEMES:
        raise refuse("it must start with http:// or https://")
    if not parts.hostname:
        raise refuse("it must name a host")
    if parts.username is not None or parts.password is not None:
        raise refuse("it may not hold a user name or password")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise refuse("it may not have a query (?) or a fragment (#)")
    try:
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError:
        raise refuse("its port must be a number from 0 to 65535") from None
    path = parts.path.strip("/")
    if not path:
        path = base_url_path.strip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc, f"/{path}/" if path else "/", "", ""))


# --------------------------------------------------------------------------- decode


class _Reader:
    """Reads raw parameters defensively and collects notices."""

    def __init__(self, params: Mapping[str, Any], valid: Validation) -> None:
        self.params = params
        self.valid = valid
        self.notices: list[Notice] = []

    def notice(
        self, param: str, value: object, why: str, suffix: tuple[str, str] = _DEFAULT_USED, **kw: object
    ) -> None:
        nl, en = _WHY[why]
        self.notices.append(
            Notice(param, printable(str(value)), nl.format(**kw) + suffix[0], en.format(**kw) + suffix[1])
        )

    def raw(self, key: str, *, repeated: bool = False) -> list[str]:
        """The text values of ``key`` (the last one unless ``repeated``), empty ones dropped."""
        value = self.params.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            items: list[object] = [value]
        elif isinstance(value, (list, tuple)):
            if not value:
                return []
            items = list(value[: self.valid.max_repeats]) if repeated else [value[-1]]
            if repeated and len(value) > self.valid.max_repeats:
                self.notice(key, value[self.valid.max_repeats], "too_many", _REST, n=self.valid.max_repeats)
        else:
            self.notice(key, type(value).__name__, "not_text")
            return []
        out: list[str] = []
        for item in items:
            if not isinstance(item, str):
                self.notice(key, type(item).__name__, "not_text", _IGNORED)
            elif len(item) > self.valid.max_value_len:
                self.notice(key, item, "too_long", _IGNORED if repeated else _DEFAULT_USED, n=self.valid.max_value_len)
            elif item:
                out.append(item)
        return out

    def single(self, key: str) -> str | None:
        values = self.raw(key)
        return values[-1] if values else None

    def choice(self, key: str, options: Sequence[str], default: str) -> str:
        value = self.single(key)
        if value is None:
            return default
        if value not in options:
            self.notice(key, value, "unknown", allowed=_allowed(options))
            return default
        return value

    def number(self, key: str, lo: float, hi: float, default: float | None) -> float | None:
        value = self.single(key)
        if value is None:
            return default
        if value == NONE:
            return None
        parsed = _parse_number(value, lo, hi)
        if parsed is None:
            self.notice(key, value, "number", lo=_fmt(lo), hi=_fmt(hi))
            return default
        return parsed

    def items(self, key: str, parse: Callable[[str], Any | None], default: Any, limit: int) -> Any:
        """A repeated parameter: every value parsed, bad ones dropped with a notice, at most ``limit``."""
        values = self.raw(key, repeated=True)
        if not values:
            return default
        if values == [NONE]:
            return ()
        if len(values) > limit:
            self.notice(key, values[limit], "too_many", _REST, n=limit)
            values = values[:limit]
        return tuple(p for p in map(parse, values) if p is not None)


def _weight(r: _Reader, text: str) -> tuple[str, float] | None:
    key, sep, number = text.partition(SEP)
    if not sep:
        r.notice(P_WEIGHT, text, "format", _IGNORED, fmt="indicator~getal / indicator~number")
        return None
    if key not in r.valid.indicators:
        r.notice(P_WEIGHT, text, "unknown", _IGNORED, allowed=_allowed(r.valid.indicators))
        return None
    lo, hi = r.valid.weight_range
    value = _parse_number(number, lo, hi)
    if value is None:
        r.notice(P_WEIGHT, text, "number", _IGNORED, lo=_fmt(lo), hi=_fmt(hi))
        return None
    return key, value


def _added(r: _Reader, text: str) -> ScenarioFacility | None:
    parts = text.split(SEP)
    if len(parts) not in (3, 4):
        r.notice(P_ADD, text, "format", _IGNORED, fmt="type~x~y[~capacity]")
        return None
    if parts[0] not in r.valid.scenario_types:
        r.notice(P_ADD, text, "unknown", _IGNORED, allowed=_allowed(r.valid.scenario_types))
        return None
    x0, y0, x1, y1 = r.valid.bbox
    x, y = _parse_number(parts[1], x0, x1), _parse_number(parts[2], y0, y1)
    if x is None or y is None:
        r.notice(P_ADD, text, "bbox", _IGNORED)
        return None
    capacity = None
    if len(parts) == 4:
        lo, hi = r.valid.capacity_range
        capacity = _parse_number(parts[3], lo, hi)
        if capacity is None:
            r.notice(P_ADD, text, "number", _IGNORED, lo=_fmt(lo), hi=_fmt(hi))
            return None
    return ScenarioFacility(parts[0], x, y, capacity)


def _removed(r: _Reader, text: str) -> str | None:
    if not _FACILITY_ID.fullmatch(text):
        r.notice(P_REMOVE, text, "format", _IGNORED, fmt="id")
        return None
    if r.valid.facility_ids is not None and text not in r.valid.facility_ids:
        r.notice(P_REMOVE, text, "unknown", _IGNORED, allowed="id")
        return None
    return text


def _joined(r: _Reader, key: str, options: Sequence[Any], default: Any, convert: Callable[[str], Any]) -> Any:
    """A ``~``-joined list of options (``-``: empty); unknown entries dropped, none left → default."""
    value = r.single(key)
    if value is None:
        return default
    if value == NONE:
        return ()
    parts = value.split(SEP)
    if len(parts) > len(options):
        r.notice(key, value, "too_many", n=len(options))
        return default
    kept = []
    for part in parts:
        item = convert(part)
        if item is None or item not in options:
            r.notice(key, part, "unknown", _IGNORED, allowed=_allowed(options))
        else:
            kept.append(item)
    return tuple(kept) if kept else default


def _band(text: str) -> float | None:
    return _parse_number(text, 0.0, 1e6)


def decode(
    params: Mapping[str, str | list[str]],
    *,
    valid: Validation = DEFAULT_VALIDATION,
    defaults: ShareState = DEFAULT_STATE,
) -> tuple[ShareState, list[Notice]]:
    """The state a link describes, and a notice for every value that could not be used.

    Never raises for any mapping of parameters: a missing value gives the
    default silently; a bad one (unknown name, number out of range, wrong
    format, too long) gives the default – or, in a list, drops that one entry –
    with a :class:`Notice`. Nothing is evaluated.

    Parameters
    ----------
    params
        Parameter name → value or list of values (``st.query_params`` through
        :func:`read_query_params`, or ``urllib.parse.parse_qs``). Repeated
        single-valued parameters use the last value, as ``st.query_params`` does.
    valid
        What is accepted.
    defaults
        The state a link without parameters opens (assumed valid).

    Returns
    -------
    tuple
        ``(state, notices)``.
    """
    r = _Reader(params if isinstance(params, Mapping) else {}, valid)
    if not isinstance(params, Mapping):
        r.notice("?", type(params).__name__, "not_a_mapping")
    v, d = valid, defaults
    # Read in PARAMS order, so that notices come in the order of the link.
    dataset = r.choice(P_DATASET, v.datasets, d.dataset)
    lang = r.choice(P_LANG, v.languages, d.lang)
    preset = r.choice(P_PRESET, v.presets, d.preset)
    weights = r.items(P_WEIGHT, lambda t: _weight(r, t), d.weights, len(v.indicators))
    by_code = {code: name for name, code in NORMALISATION_CODES.items()}
    normalisation = by_code[r.choice(P_NORM, tuple(by_code), NORMALISATION_CODES[d.normalisation])]
    map_column = r.choice(P_MAP, v.map_columns, d.map_column)
    facility_types = _joined(r, P_TYPES, v.facility_types, d.facility_types, str)
    mode = r.choice(P_MODE, v.modes, d.mode)
    traveller = r.choice(P_TRAVELLER, v.travellers, d.traveller)
    speed_kmh = r.number(P_SPEED, *v.speed_range_kmh, d.speed_kmh)
    minutes = _joined(r, P_BANDS, v.band_choices, d.minutes, _band) or d.minutes
    iso = r.single(P_ISO)
    if iso not in (None, "0", "1"):
        r.notice(P_ISO, iso, "unknown", allowed="0, 1")
        iso = None
    buurt = r.single(P_BUURT)
    if buurt is None:
        buurt = d.buurt
    elif buurt == NONE:
        buurt = None
    elif not _BUURT.fullmatch(buurt) or (v.buurt_codes is not None and buurt not in v.buurt_codes):
        r.notice(P_BUURT, buurt, "unknown", allowed="buurtcode / buurt code")
        buurt = d.buurt
    added = r.items(P_ADD, lambda t: _added(r, t), d.added, v.max_scenario)
    removed = r.items(P_REMOVE, lambda t: _removed(r, t), d.removed, v.max_scenario)
    school = r.single(P_SCHOOL)
    if school is None:
        school = d.school
    elif school == NONE:
        school = None
    elif not SCHOOL_CODE_PATTERN.fullmatch(school) or (v.school_codes is not None and school not in v.school_codes):
        r.notice(P_SCHOOL, school, "unknown", allowed="vestigingscode / branch code")
        school = d.school
    school_minutes = d.school_minutes
    raw_minutes = r.single(P_SCHOOL_MINUTES)
    if raw_minutes is not None:
        parsed = _parse_number(raw_minutes, 0.0, 1e6)
        if parsed is None or parsed not in v.school_minute_choices:
            r.notice(P_SCHOOL_MINUTES, raw_minutes, "unknown", allowed=_allowed(v.school_minute_choices))
        else:
            school_minutes = parsed
    state = ShareState(
        dataset=dataset,
        lang=lang,
        preset=preset,
        weights=weights,
        normalisation=normalisation,
        map_column=map_column,
        facility_types=facility_types,
        mode=mode,
        traveller=traveller,
        speed_kmh=speed_kmh,
        minutes=minutes,
        show_isochrones=d.show_isochrones if iso is None else iso == "1",
        buurt=buurt,
        added=added,
        removed=removed,
        school=school,
        school_minutes=school_minutes,
    )
    # Weights that leave nothing to rank would stop the app with an error: keep the preset's instead.
    usable = v.usable_indicators if v.usable_indicators is not None else frozenset(v.indicators)
    if state.weights and not any(w > 0 for k, w in state.effective_weights().items() if k in usable):
        r.notice(P_WEIGHT, SEP.join(f"{k}{SEP}{_fmt(w)}" for k, w in state.weights), "all_zero", ("", ""))
        state = replace(state, weights=())
    return state, r.notices


def validate(
    state: ShareState, *, valid: Validation, defaults: ShareState = DEFAULT_STATE
) -> tuple[ShareState, list[Notice]]:
    """Re-check a state against a (narrower) :class:`Validation`, e.g. once the data is loaded.

    Same rules and notices as :func:`decode` (it is ``decode(encode(state))``).
    """
    return decode(encode(state, defaults), valid=valid, defaults=defaults)


# --------------------------------------------------------------------------- app glue (pure)

#: Widget keys in ``ui/sidebar.py`` and ``app.py`` that a state seeds.
WIDGET_KEYS = {
    "lang": "lang",
    "mode": "mode",
    "traveller": "traveller",
    "minutes": "bands",
    "show_isochrones": "show_isochrones",
    "preset": "preset",
    "normalisation": "normalisation",
    "map_column": "map_column",
    "facility_types": "facility_types",
    "buurt": "buurt_select",
    "dataset": "dataset",
    "school": "school_select",
    "school_minutes": "school_minutes",
    # Not a widget: the name of the tab app.py opens (a link with a school opens the Scholen tab).
    "open_tab": "open_tab",
}
#: The name of the tab that shows the schools (a key of ``geo.terms.TERMS``, as app.py names its tabs).
SCHOOLS_TAB = "schools"


def weight_key(preset: str, indicator: str) -> str:
    """Session-state key of a weight slider (the sidebar puts the preset in the key)."""
    return f"w_{preset}_{indicator}"


def widget_values(state: ShareState) -> dict[str, Any]:
    """Session-state values that make the widgets show ``state``.

    Set them *before* the widgets are created (once per session). Fields that
    mean "the widget's own default" (``facility_types``/``buurt`` None) are left out.
    """
    out: dict[str, Any] = {
        WIDGET_KEYS["dataset"]: state.dataset,
        WIDGET_KEYS["lang"]: state.lang,
        WIDGET_KEYS["mode"]: state.mode,
        WIDGET_KEYS["traveller"]: state.traveller,
        WIDGET_KEYS["minutes"]: list(state.minutes),
        WIDGET_KEYS["show_isochrones"]: state.show_isochrones,
        WIDGET_KEYS["preset"]: state.preset,
        WIDGET_KEYS["normalisation"]: state.normalisation,
        WIDGET_KEYS["map_column"]: state.map_column,
        WIDGET_KEYS["school_minutes"]: state.school_minutes,
    }
    out.update({weight_key(state.preset, k): w for k, w in state.effective_weights().items()})
    if state.facility_types is not None:
        out[WIDGET_KEYS["facility_types"]] = list(state.facility_types)
    if state.buurt is not None:
        out[WIDGET_KEYS["buurt"]] = state.buurt
    if state.school is not None:
        out[WIDGET_KEYS["school"]] = state.school
        out[WIDGET_KEYS["open_tab"]] = SCHOOLS_TAB
    return out


def state_from_app(
    params: Any,
    *,
    dataset: str,
    traveller: str,
    buurt: str | None = None,
    present_types: Sequence[str] | None = None,
    speed_kmh: float | None = None,
    added: Sequence[ScenarioFacility] = (),
    removed: Sequence[str] = (),
    school: str | None = None,
    school_minutes: float = DEFAULT_MINUTES,
) -> ShareState:
    """The state of the current view, from the sidebar's ``AppParams`` and a few extras.

    Parameters
    ----------
    params
        ``ui.state.AppParams`` (lang, ranking, map_column, facility_types, access).
    dataset, traveller, buurt
        Values the parameters object does not hold.
    present_types
        Facility types offered by the multiselect; when all are selected the
        state says None ("all"), so the link also works for another dataset.
    speed_kmh
        Speed override, None for the traveller's default.
    added, removed
        The scenario.
    school, school_minutes
        The Scholen tab: the school whose gap card is open, and the walking minutes.
    """
    ranking = params.ranking
    preset = ranking.preset or DEFAULT_PRESET
    # RankingParams leaves out indicators without a weight: they count as 0, not as the preset's value.
    weights = dict.fromkeys(INDICATORS, 0.0)
    weights.update(ranking.weights)
    types = tuple(params.facility_types)
    all_types = present_types is not None and set(types) == set(present_types)
    return ShareState(
        dataset=dataset,
        lang=params.lang,
        preset=preset,
        weights=tuple(weights.items()),
        normalisation=ranking.normalisation,
        map_column=params.map_column,
        facility_types=None if all_types else types,
        mode=params.access.mode,
        traveller=traveller,
        speed_kmh=speed_kmh,
        minutes=tuple(params.access.minutes),
        show_isochrones=params.access.show_isochrones,
        buurt=buurt,
        added=tuple(added),
        removed=tuple(removed),
        school=school,
        school_minutes=school_minutes,
    )


def as_lists(params: Mapping[str, str | list[str]]) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}
