# The Rijke Schooldag Planner as a server: docker build -t rijke-schooldag . && docker run -p 8501:8501 rijke-schooldag
# See "Op een server" in README.md (public address, reverse proxy, base path, health check, memory).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (their layer is reused while only the code changes); wheels only, so no compiler is needed.
COPY requirements.txt ./
RUN pip install --only-binary=:all: -r requirements.txt

# A user without rights on the code; it owns only data/, where the app writes fetched municipalities,
# saved uploads (data/uploads) and its download cache (data/cache).
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin planner

# What the app reads at run time: its code, the vendored Leaflet, its settings and the embedded data.
COPY app.py ./
COPY geo/ geo/
COPY layers/ layers/
COPY ui/ ui/
COPY static/ static/
COPY .streamlit/ .streamlit/
COPY --chown=planner:planner data/ data/
RUN python -m compileall -q app.py geo layers ui

USER planner
EXPOSE 8501

# Healthy when Streamlit answers "ok" on /_stcore/health (under the base path when one is set). No curl in slim.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; base = os.environ.get('STREAMLIT_SERVER_BASE_URL_PATH', '').strip('/'); url = 'http://127.0.0.1:8501/' + (base + '/' if base else '') + '_stcore/health'; sys.exit(0 if urllib.request.urlopen(url, timeout=5).read() == b'ok' else 1)"]

# .streamlit/config.toml holds the rest (headless, XSRF/CORS, upload limit). Here: listen on every interface
# of the container, never watch files, and show a visitor only the kind of an unexpected error (the log has it all).
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.fileWatcherType=none", "--client.showErrorDetails=type"]
