"""Indicators from real CBS kwb-2023 rows, checked against hand computation."""

import numpy as np
import pandas as pd
import pytest

from geo.data import files
from geo.decide.indicators import compute_indicators
from geo.errors import MissingColumnError


@pytest.fixture(scope="module")
def kwb(data_root) -> pd.DataFrame:
    return files.load_cbs_table(data_root / "utrecht_cbs_kwb_2023_2024" / "CBS-Utrecht-kwb-2023.xlsx").frame


def test_kanaleneiland_zuid_by_hand(kwb):
    ind = compute_indicators(kwb).loc["BU03440831"]
    # CBS kwb-2023: a_inw 8980, a_00_14 1695, a_soz_wb 720, g_wozbag 309, p_wcorpw 54
    assert ind["inhabitants"] == 8980
    assert ind["children_0_14"] == 1695
    assert ind["share_children_0_14_pct"] == pytest.approx(100 * 1695 / 8980)
    assert ind["benefits_bijstand_per_1000"] == pytest.approx(1000 * 720 / 8980)
    assert ind["woz_mean_keur"] == 309
    assert ind["share_social_rent_pct"] == 54


def test_suppressed_values_stay_missing_not_zero(kwb):
    ind = compute_indicators(kwb)
    suppressed = kwb["a_soz_wb"].isna()
    assert suppressed.sum() == 4  # CBS '.' for small buurten
    assert ind.loc[suppressed, "benefits_bijstand_per_1000"].isna().all()
    # Income is '.' for every buurt in this provisional release: all missing, never 0.
    assert ind["share_low_income_hh_pct"].isna().all()
    assert ind["income_per_inhabitant_keur"].isna().all()


def test_no_inhabitants_gives_missing_ratios(kwb):
    ind = compute_indicators(kwb)
    empty = ind["inhabitants"] == 0
    assert empty.sum() == 1  # Bedrijvengebied Strijkviertel
    assert ind.loc[empty, ["share_children_0_14_pct", "benefits_bijstand_per_1000"]].isna().all().all()


def test_shares_are_percentages(kwb):
    ind = compute_indicators(kwb)
    for col in [c for c in ind.columns if c.endswith("_pct")]:
        vals = ind[col].dropna()
        assert ((vals >= 0) & (vals <= 100)).all(), col
    assert np.isclose(ind["children_0_14"].sum(), kwb["a_00_14"].sum())


def test_missing_required_variable_is_an_error(kwb):
    with pytest.raises(MissingColumnError, match="a_00_14"):
        compute_indicators(kwb.drop(columns=["a_00_14"]))
