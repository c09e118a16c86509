"""Per-buurt indicators derived from CBS variables.

Pure computation: a buurten frame with raw CBS variables in, a new frame with
one column per :data:`geo.catalog.INDICATORS` key (need and reach groups) out,
same index. Ratios are missing (NaN), never zero, when the numerator is
suppressed or the buurt has no inhabitants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import schema
from geo.errors import MissingColumnError

#: CBS variables without which no indicator can be computed.
REQUIRED_CBS = ("a_inw", "a_00_14")


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A CBS variable as float, or all-NaN when this release does not have it."""
    if name in frame.columns:
        return pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=frame.index, dtype="float64")


def _ratio(num: pd.Series, den: pd.Series, scale: float) -> pd.Series:
    out = scale * num / den.where(den > 0)
    return out.astype("float64")


def compute_indicators(buurten: pd.DataFrame) -> pd.DataFrame:
    """Compute need and reach indicators for every buurt.

    Parameters
    ----------
    buurten
        Frame with CBS kwb variables (``a_inw``, ``a_00_14``, ``a_soz_wb``, …),
        indexed by buurt code.

    Returns
    -------
    pandas.DataFrame
        Same index; columns ``inhabitants`` and one per need/reach indicator key.
    """
    missing = [c for c in REQUIRED_CBS if c not in buurten.columns]
    if missing:
        raise MissingColumnError(
            f"Expected CBS variables {', '.join(REQUIRED_CBS)} in the buurten table; missing: {', '.join(missing)}."
        )
    inw = _col(buurten, "a_inw")
    out = pd.DataFrame(index=buurten.index)
    out[schema.INHABITANTS] = inw
    out[schema.CHILDREN_0_14] = _col(buurten, "a_00_14")
    out["share_children_0_14_pct"] = _ratio(_col(buurten, "a_00_14"), inw, 100.0)
    out["benefits_bijstand_per_1000"] = _ratio(_col(buurten, "a_soz_wb"), inw, 1000.0)
    out["benefits_ao_per_1000"] = _ratio(_col(buurten, "a_soz_ao"), inw, 1000.0)
    out["benefits_ww_per_1000"] = _ratio(_col(buurten, "a_soz_ww"), inw, 1000.0)
    out["woz_mean_keur"] = _col(buurten, "g_wozbag")
    out["share_social_rent_pct"] = _col(buurten, "p_wcorpw")
    out["share_rent_pct"] = _col(buurten, "p_huurw")
    out["income_per_inhabitant_keur"] = _col(buurten, "g_ink_pi")
    out["share_low_income_hh_pct"] = _col(buurten, "p_hh_li")
    out["share_social_minimum_hh_pct"] = _col(buurten, "p_hh_osm")
    out["share_hh_with_children_pct"] = _ratio(_col(buurten, "a_hh_m_k"), _col(buurten, "a_hh"), 100.0)
    out["share_non_western_migration_pct"] = _ratio(_col(buurten, "a_neu_al"), inw, 100.0)
    out["density_per_km2"] = _col(buurten, "bev_dich")
    # Shares above 100 % can only come from rounding of tiny counts: cap them.
    for c in [c for c in out.columns if c.endswith("_pct")]:
        out[c] = out[c].clip(upper=100.0)
    return out
