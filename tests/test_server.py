"""Serving the app to a team: the Dockerfile, its .dockerignore and the Streamlit settings of a server.

No container engine runs where the tests run, so the image is not built here. These tests read the
Dockerfile as a reviewer would: the image runs as a user without root rights, its health check really
says healthy only when Streamlit answers (run here against a stand-in server), everything it copies
exists and is not left out of the build context, and it carries what the app reads at run time.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import math
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config

from geo.data import upload
from geo.data.paths import DATA_DIR, LEAFLET_DIR, PROJECT_ROOT
from layers import build_base_map
from tests.helpers import Loopback, Reply, town_dataset
from ui.schools_view import LIST_MAX_MB
from ui.serving import STREAMLIT_MB, leaflet_base
from ui.share import BASE_URL_PATH_OPTION

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
STREAMLIT_CONFIG = PROJECT_ROOT / ".streamlit" / "config.toml"
HEALTH_PATH = "/_stcore/health"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction: comments dropped, continued lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        keyword, _, args = whole.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends in a continued line"
    return out


def args_of(keyword: str) -> list[str]:
    return [args for kw, args in instructions() if kw == keyword]


def exec_form(args: str) -> list[str]:
    """A JSON-array instruction (``CMD ["a", "b"]``) as its list; shell form is refused (signals, no shell)."""
    parsed = json.loads(args)
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), args
    return parsed


def ignored(rel: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves ``rel`` (or a folder above it) out of the build context (last match wins)."""
    parts = Path(rel).parts
    result = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").strip("/")
        heads = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        hit = any(fnmatch.fnmatch(h, pattern) or fnmatch.fnmatch(h, pattern.replace("**/", "")) for h in heads)
        if hit:
            result = not negate
    return result


def dockerignore() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY, flags such as --chown dropped."""
    out = []
    for args in args_of("COPY"):
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        out.append((words[:-1], words[-1]))
    return out


def copied_top_levels() -> set[str]:
    return {Path(src.rstrip("/")).parts[0] for sources, _ in copies() for src in sources}


# --------------------------------------------------------------------------- the image


def test_the_image_is_slim_python_311_and_installs_requirements_txt_as_wheels() -> None:
    assert args_of("FROM") == ["python:3.11-slim"]
    assert any(sources == ["requirements.txt"] for sources, _ in copies())
    installs = [run for run in args_of("RUN") if "pip install" in run]
    assert len(installs) == 1
    assert "-r requirements.txt" in installs[0] and "--only-binary=:all:" in installs[0]


def test_the_app_runs_as_a_user_without_root_rights() -> None:
    order = [kw for kw, _ in instructions()]
    users = args_of("USER")
    assert users, "no USER: the app would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    # The user is switched to before the app starts, and nothing after that runs as root again.
    assert len(order) - 1 - order[::-1].index("USER") < order.index("CMD")


def test_the_server_listens_on_every_interface_of_the_exposed_port_without_watching_files() -> None:
    cmd = exec_form(args_of("CMD")[-1])
    assert cmd[:3] == ["streamlit", "run", "app.py"]
    flags = dict(f.removeprefix("--").split("=", 1) for f in cmd[3:])
    assert flags["server.address"] == "0.0.0.0"
    assert args_of("EXPOSE") == [flags["server.port"]] == ["8501"]
    assert flags["server.fileWatcherType"] == "none"
    # Every flag is an option this Streamlit knows (a typo would stop the server from starting).
    known = set(st_config.get_config_options())
    assert set(flags) <= known, set(flags) - known


@pytest.fixture
def stand_in() -> Iterator[Loopback]:
    server = Loopback()
    yield server
    server.close()


def _health(stand_in: Loopback, base_path: str = "") -> int:
    """Run the image's health check against ``stand_in`` (its port put in place of the image's)."""
    check = exec_form(args_of("HEALTHCHECK")[-1].partition("CMD ")[2])
    assert check[:2] == ["python", "-c"], "the health check needs nothing but Python (no curl in slim)"
    code = check[2]
    assert "http://127.0.0.1:8501/" in code
    port = stand_in.url.rsplit(":", 1)[1]
    env = {"STREAMLIT_SERVER_BASE_URL_PATH": base_path} if base_path else {}
    done = subprocess.run([sys.executable, "-c", code.replace(":8501/", f":{port}/")], env=env,
                          capture_output=True, timeout=60, check=False)
    return done.returncode


def test_the_health_check_says_healthy_only_when_streamlit_answers_ok(stand_in: Loopback) -> None:
    assert "--start-period=" in args_of("HEALTHCHECK")[-1]  # the data loads before the first answer
    stand_in.route(HEALTH_PATH, Reply(b"ok"))
    assert _health(stand_in) == 0
    stand_in.routes.clear()
    stand_in.route(HEALTH_PATH, Reply(b"unavailable", status=503))
    assert _health(stand_in) != 0


def test_the_health_check_follows_the_base_path(stand_in: Loopback) -> None:
    stand_in.route("/rsp" + HEALTH_PATH, Reply(b"ok"))
    assert _health(stand_in, "/rsp/") == 0
    assert _health(stand_in) != 0  # the root path is not the app's under a base path


def test_the_health_check_says_unhealthy_when_nothing_answers(stand_in: Loopback) -> None:
    stand_in.close()
    assert _health(stand_in) != 0


# --------------------------------------------------------------------------- what goes in


def test_every_copied_file_exists_and_is_in_the_build_context() -> None:
    patterns = dockerignore()
    for sources, _ in copies():
        for src in sources:
            assert (PROJECT_ROOT / src).exists(), f"COPY {src}: no such file in the repository"
            assert not ignored(src.rstrip("/"), patterns), f"COPY {src}: .dockerignore leaves it out"


def test_the_image_carries_what_the_app_reads_at_run_time() -> None:
    top = copied_top_levels()
    # The repository's own modules app.py imports (geo, layers, ui) ...
    tree = ast.parse((PROJECT_ROOT / "app.py").read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    local = {name for name in imported if (PROJECT_ROOT / name).is_dir() or (PROJECT_ROOT / f"{name}.py").is_file()}
    assert local and local <= top, local - top
    # ... the embedded data, the vendored Leaflet and the Streamlit settings.
    for folder in (DATA_DIR, LEAFLET_DIR, STREAMLIT_CONFIG.parent):
        assert folder.relative_to(PROJECT_ROOT).parts[0] in top, folder
    assert "app.py" in top


def test_tests_benchmarks_and_local_state_stay_out_of_the_image() -> None:
    patterns = dockerignore()
    for rel in ("tests/test_server.py", "bench/README.md", ".venv/bin/python", ".git/HEAD", ".ci/run",
                "geo/__pycache__/x.pyc", "data/uploads/mine/dataset.gpkg", "data/cache/x"):
        assert ignored(rel, patterns), rel
    for rel in ("app.py", "geo/data/paths.py", "data/utrecht/dataset.gpkg", "data/SOURCES.md", "static/leaflet"):
        assert not ignored(rel, patterns), rel
    assert not {"tests", "bench"} & copied_top_levels()


def test_only_the_data_folder_is_writable_by_the_app_user() -> None:
    user = args_of("USER")[-1]
    owned = [args for args in args_of("COPY") if "--chown=" in args]
    assert owned == [f"--chown={user}:{user} data/ data/"]


# --------------------------------------------------------------------------- the Streamlit settings


def settings() -> dict:
    return tomllib.loads(STREAMLIT_CONFIG.read_text(encoding="utf-8"))


def test_the_settings_are_those_of_a_server() -> None:
    server = settings()["server"]
    assert server["headless"] is True
    # Uploads need the page's own token, and cross-origin access stays limited with it.
    assert server["enableXsrfProtection"] is True and server["enableCORS"] is True
    assert server["enableStaticServing"] is True  # the map's Leaflet comes from static/
    assert settings()["browser"]["gatherUsageStats"] is False
    known = set(st_config.get_config_options())
    given = {f"{section}.{name}" for section, values in settings().items() for name in values}
    assert given <= known, given - known


def test_the_server_accepts_every_file_the_app_reads_and_nothing_much_larger() -> None:
    # Streamlit counts megabytes of 2**20 bytes, the app of 10**6: the server's limit is the app's, rounded up.
    server_mb = settings()["server"]["maxUploadSize"]
    assert server_mb == math.ceil(upload.DEFAULT_MAX_MB)
    assert server_mb * STREAMLIT_MB >= upload.limits_from_env({}).max_bytes
    assert server_mb >= LIST_MAX_MB  # the Scholen tab's list of eligible branches


# --------------------------------------------------------------------------- under a base path


@pytest.fixture
def base_url_path() -> Iterator[None]:
    """Serve "under /rsp/" for one test, as ``--server.baseUrlPath rsp`` does."""
    before = st_config.get_option(BASE_URL_PATH_OPTION)
    st_config.set_option(BASE_URL_PATH_OPTION, "/rsp/")
    yield
    st_config.set_option(BASE_URL_PATH_OPTION, before)


def test_maps_load_leaflet_from_where_the_server_serves_it() -> None:
    # Streamlit's static serving puts static/ at /app/static/ under the base path.
    assert (LEAFLET_DIR / "leaflet.js").is_file()
    assert leaflet_base() == "/app/static/leaflet"


@pytest.mark.usefixtures("base_url_path")
def test_under_a_base_path_the_maps_still_find_leaflet() -> None:
    # An absolute /app/static/... would miss the server's /rsp/app/static/ and leave the map blank.
    assert leaflet_base() == "/rsp/app/static/leaflet"
    html = build_base_map(town_dataset().buurten, leaflet_base=leaflet_base()).get_root().render()
    assert 'src="/rsp/app/static/leaflet/leaflet.js"' in html
