"""Where the server serves the app: Streamlit's base path (``--server.baseUrlPath``) and what lives under it.

Behind a reverse proxy the app may live under a path (``https://host/rsp/``): then Streamlit serves
everything – the page, ``/_stcore/health``, the static files – under ``/rsp/``, and an absolute
``/app/static/...`` no longer reaches them. The share link's public address is :mod:`ui.link`'s.
"""

from __future__ import annotations

import streamlit as st

from layers.basemap import APP_LEAFLET_BASE
from ui.share import BASE_URL_PATH_OPTION


def base_url_path() -> str:
    """Streamlit's base path without slashes around it (``"rsp"``), ``""`` when the app is served at the root."""
    return str(st.get_option(BASE_URL_PATH_OPTION) or "").strip("/")


def leaflet_base() -> str:
    """Where the app's maps load the vendored Leaflet from: :data:`APP_LEAFLET_BASE` under the base path."""
    path = base_url_path()
    return f"/{path}{APP_LEAFLET_BASE}" if path else APP_LEAFLET_BASE


#: Streamlit's option for the largest uploaded file, in its megabytes (:data:`STREAMLIT_MB` bytes each).
MAX_UPLOAD_OPTION = "server.maxUploadSize"
STREAMLIT_MB = 2**20


def server_upload_mb() -> int:
    """The largest file the server accepts (``server.maxUploadSize``), in Streamlit's megabytes."""
    return int(st.get_option(MAX_UPLOAD_OPTION))
