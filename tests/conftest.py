"""Fixtures shared by all test modules: where the real open data and the small fixture files are."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` next to the project (the real open data); tests needing it skip without it."""
    path = TESTS.parent.parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"shared open data not found at {path}")
    return path


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """``tests/fixtures`` (``good/`` and ``bad/`` input files, made by ``make_fixtures.py``)."""
    return TESTS / "fixtures"
