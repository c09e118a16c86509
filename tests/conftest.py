"""Fixtures shared by all test modules: where the real open data and the small fixture files are.

The tests read real open data from ``tests/fixtures/shared`` (whole copies of the small files of
``../shared/data``, same folder names), never from ``../shared`` itself, so a fresh clone runs the
whole suite. Plain helper functions (synthetic networks, ranking frames) are in ``tests/helpers.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.data.paths import SHARED_DATA_DIR
from geo.network.graph import Network

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
#: In-repo copies of the shared open data (see tests/fixtures/shared/README.md).
DATA_ROOT = FIXTURES / "shared"
DELFT_GRAPHML = DATA_ROOT / "osm_delft_centre_walk_graphml" / "delft_centre_walk.graphml"


@pytest.fixture(scope="session")
def data_root() -> Path:
    """Root of the real open data the tests read: ``tests/fixtures/shared``, laid out like ``../shared/data``."""
    return DATA_ROOT


@pytest.fixture(scope="session")
def full_shared_data() -> Path:
    """``../shared/data`` itself, for a test that needs more than the in-repo copy; skips without it."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(
            f"needs the full shared open data at {SHARED_DATA_DIR} (not in the repository); "
            "the rest of the suite reads the copies in tests/fixtures/shared"
        )
    return SHARED_DATA_DIR


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """``tests/fixtures`` (``good/`` and ``bad/`` input files, made by ``make_fixtures.py``)."""
    return FIXTURES


@pytest.fixture(scope="session")
def delft_graphml() -> Path:
    """The real osmnx GraphML walk network of Delft centre (1,257 nodes, 3,468 edges)."""
    return DELFT_GRAPHML


@pytest.fixture(scope="session")
def delft_walk(delft_graphml: Path) -> Network:
    """The Delft GraphML read once as a walk :class:`Network` (read-only: do not change its arrays or meta)."""
    from geo.data.osm_files import load_graphml_network

    return load_graphml_network(delft_graphml, mode="walk")


@pytest.fixture
def loopback():
    """A fresh :class:`tests.helpers.Loopback` server, shut down after the test."""
    from tests.helpers import Loopback

    server = Loopback()
    yield server
    server.close()
