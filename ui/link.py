"""The share link in the app: restore the view from the URL once, then keep the URL in step with the view.

The parsing and checking is :mod:`ui.share` (pure); this module only moves
values between the URL, ``st.session_state`` (which seeds the widgets) and the
scenario list.

1. :func:`restore_from_url` – first run of a session, before any widget: the
   link's language, travel choice, preset and weights go into session state.
2. :func:`restore_data_dependent` – once the data is loaded: the buurt, map
   layer, facility types, scenario facilities and school are checked against it.
3. :func:`publish` – every run, at the end: the current view goes into the URL
   and the sidebar shows the link.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace

import streamlit as st

from geo import schema
from geo.decide.pipeline import Prepared
from geo.decide.scenario import DEFAULT_MARGIN_M, Scenario
from geo.decide.schools import school_code, school_facilities
from geo.errors import ParameterError, PlanningError
from ui import share
from ui.i18n import t
from ui.markdown import escape_url_text, md_escape
from ui.scenario_view import SCENARIOS
from ui.serving import base_url_path
from ui.sidebar import map_options, present_types
from ui.state import AppParams

_STATE = "share_state"
_NOTICES = "share_notices"
_PENDING = "share_pending"
#: Widget keys seeded only after the data is loaded (their options depend on it).
_DATA_KEYS = (
    "map_column", "facility_types", "buurt_select", share.WIDGET_KEYS["school"], share.WIDGET_KEYS["open_tab"],
)
LINK_SCENARIO = "link"


#: The datasets a link may name (the picker's keys), set once per run by :func:`restore_from_url`.
_DATASETS = "share_datasets"


def validation(dataset_slug: str) -> share.Validation:
    datasets = tuple(st.session_state.get(_DATASETS) or ()) or (dataset_slug,)
    return share.Validation(datasets=datasets)


def restore_from_url(dataset_slug: str, datasets: tuple[str, ...] = ()) -> None:
    """Seed the data-independent widgets (and the municipality picker) from the URL (first run of a session)."""
    st.session_state[_DATASETS] = datasets or (dataset_slug,)
    if _STATE in st.session_state:
        return
    state, notices = share.decode(read_query_params(), valid=validation(dataset_slug),
                                  defaults=replace(share.DEFAULT_STATE, dataset=dataset_slug))
    seed = share.widget_values(state)
    for key in _DATA_KEYS:
        seed.pop(key, None)
    st.session_state.update(seed)
    st.session_state[_STATE] = state
    st.session_state[_NOTICES] = notices
    st.session_state[_PENDING] = True


def restore_data_dependent(prepared: Prepared, dataset_slug: str) -> None:
    """Check the link's buurt, map layer, types, scenario and school against the loaded data (once)."""
    if not st.session_state.pop(_PENDING, False):
        return
    b = prepared.dataset.buurten
    x0, y0, x1, y1 = b.total_bounds
    margin = DEFAULT_MARGIN_M
    valid = replace(
        validation(dataset_slug),
        map_columns=tuple(map_options(prepared)),
        facility_types=tuple(present_types(prepared)),
        buurt_codes=frozenset(map(str, b.index)),
        facility_ids=frozenset(map(str, prepared.dataset.facilities.index)),
        usable_indicators=frozenset(k for k, ok in prepared.indicators.notna().any().items() if ok),
        school_codes=frozenset(school_facilities(prepared.dataset.facilities)[schema.FACILITY_ID].map(school_code)),
        bbox=(x0 - margin, y0 - margin, x1 + margin, y1 + margin),
    )
    state, more = share.validate(st.session_state[_STATE], valid=valid)
    seed = share.widget_values(state)
    st.session_state.update({k: seed[k] for k in _DATA_KEYS if k in seed})
    st.session_state[_STATE] = state
    st.session_state[_NOTICES] = [*st.session_state.get(_NOTICES, []), *more]
    if state.added or state.removed:
        try:
            scenario = Scenario(
                name=LINK_SCENARIO,
                added=state.added,
                removed=state.removed,
            )
        except PlanningError:  # validated above; a type without data is refused later, plainly
            return
        st.session_state[SCENARIOS] = [scenario]
        st.session_state["scenario_pick"] = LINK_SCENARIO


def render_notices(lang: str) -> None:
    """What the link could not restore, as long as the view is still the one the link opened."""
    notices = st.session_state.get(_NOTICES) or []
    if notices:
        warn_notices(notices, lang)


def current_state(
    params: AppParams, prepared: Prepared, dataset_slug: str, selected: str | None, school: str | None = None
) -> share.ShareState:
    """The view on screen, including the scenario whose details are open and the school whose card is open."""
    added: tuple = ()
    removed: tuple = ()
    kept = st.session_state.get(SCENARIOS) or []
    if kept:
        picked = st.session_state.get("scenario_pick")
        scenario = next((s for s in kept if s.name == picked), kept[-1])
        added = scenario.added
        removed = scenario.removed
    return share.state_from_app(
        params, dataset=dataset_slug, traveller=st.session_state.get("traveller", "child"), buurt=selected,
        present_types=present_types(prepared), added=added, removed=removed, school=school,
        school_minutes=st.session_state.get(share.WIDGET_KEYS["school_minutes"], share.DEFAULT_STATE.school_minutes),
    )


def view_url(
    params: AppParams, prepared: Prepared, dataset_slug: str, selected: str | None, school: str | None = None
) -> str:
    """The link to the view on screen (what :func:`publish` writes and shows), without showing anything."""
    return state_url(current_state(params, prepared, dataset_slug, selected, school))


def publish(
    params: AppParams, prepared: Prepared, dataset_slug: str, selected: str | None, lang: str,
    school: str | None = None,
) -> str:
    """Write the view into the URL, show the link in the sidebar and return it."""
    state = current_state(params, prepared, dataset_slug, selected, school)
    if state != st.session_state.get(_STATE):
        # The view moved on from what the link opened: its notices no longer apply.
        st.session_state[_NOTICES] = []
    write_query_params(state)
    with st.sidebar.expander(t("share_title", lang)):
        return render_share_link(state, lang)


# --------------------------------------------------------------------------- URL and sidebar (Streamlit)


def read_query_params() -> dict[str, list[str]]:
    """The current URL's parameters, every value as a list (repeated parameters kept)."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def write_query_params(state: share.ShareState, defaults: share.ShareState = share.DEFAULT_STATE) -> bool:
    """Put ``state`` in the browser's URL (replacing all parameters) if it is not there yet.

    Returns True when the URL was changed. Setting query parameters does not rerun the app.
    """
    wanted = share.encode(state, defaults)
    if share.as_lists(wanted) == read_query_params():
        return False
    st.query_params.from_dict(wanted)
    return True


def warn_notices(notices: Sequence[share.Notice], lang: str = "nl", *, max_shown: int = 8) -> None:
    """One warning listing what the link could not restore (all URL text escaped)."""
    if not notices:
        return
    lines = [f"- {n.markdown(lang)}" for n in notices[:max_shown]]
    if len(notices) > max_shown:
        lines.append("- " + md_escape(t("share_more", lang, n=len(notices) - max_shown)))
    st.warning(md_escape(t("share_notices", lang)) + "\n\n" + "\n".join(lines))


def configured_base(environ: Mapping[str, str] | None = None) -> tuple[str | None, ParameterError | None]:
    """The public address from ``PLANNER_PUBLIC_URL`` (and ``server.baseUrlPath``), and what is wrong with it.

    ``(None, None)`` when it is not set; ``(None, error)`` when it is set wrongly (the links then fall back).
    """
    env = os.environ if environ is None else environ
    try:
        return share.public_base_url(env.get(share.PUBLIC_URL_ENV, ""), base_url_path()), None
    except ParameterError as exc:
        return None, exc


def base_url() -> str:
    """Where every link starts: the configured public address, else the browser's address ('' when unknown)."""
    public, _problem = configured_base()
    return public or st.context.url or ""


def state_url(state: share.ShareState, defaults: share.ShareState = share.DEFAULT_STATE) -> str:
    """The link to ``state`` from the app's public address (only the query string when the address is unknown)."""
    base = base_url()
    return share.share_url(base, state, defaults) if base else "?" + share.to_query_string(state, defaults)


def render_share_link(
    state: share.ShareState, lang: str = "nl", *, defaults: share.ShareState = share.DEFAULT_STATE
) -> str:
    """Show the link to ``state`` in a code box (Streamlit adds a copy button); returns the link.

    A wrongly set public address is said above the link, which then starts from the browser's address.
    """
    _public, problem = configured_base()
    if problem is not None:
        st.warning(md_escape(t("public_url_bad", lang, env=share.PUBLIC_URL_ENV)) + " "
                   + escape_url_text(str(problem), limit=share.PUBLIC_URL_MAX_CHARS))
    url = state_url(state, defaults)
    st.caption(t("share_link", lang))
    st.code(url, language=None, wrap_lines=True)
    return url
