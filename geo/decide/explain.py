"""Why a buurt ranks where it does: per-indicator table and one plain sentence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import schema
from geo.catalog import INDICATORS
from geo.decide.access import AccessMeasure
from geo.decide.ranking import RankingResult
from geo.lang import format_number, format_value, pick
from geo.schema import STRAIGHT_LINE


@dataclass(frozen=True)
class Explanation:
    """Everything the detail panel shows for one buurt."""

    buurt_code: str
    buurt_name: str
    rank: int | None
    n_ranked: int
    #: One row per used indicator: key, label, group, value, unit, percentile,
    #: direction, weight, z, contribution (to the priority score), group_contribution
    #: (to the need index, access gap or reach score) (sorted by |contribution|).
    rows: pd.DataFrame
    sentence: str


def explain_buurt(
    table: pd.DataFrame,
    ranking: RankingResult,
    code: str,
    *,
    lang: str = "nl",
    measures: Mapping[str, AccessMeasure] | None = None,
) -> Explanation:
    """Explain the rank of buurt ``code`` in a ranked ``table`` (from :func:`geo.decide.pipeline.rank`).

    ``measures`` (from the access step) adds to each distance how it was measured,
    so a straight-line approximation is never shown as if it were a travel distance.
    """
    row = table.loc[code]
    name = str(row.get(schema.BUURT_NAME, code))
    n_ranked = int((table[schema.STATUS] == schema.STATUS_RANKED).sum())
    records = []
    for use in ranking.used:
        ind = INDICATORS[use.key]
        records.append(
            {
                "key": use.key,
                "label": ind.label(lang),
                "group": ind.group,
                "value": row.get(use.key, np.nan),
                "unit": ind.unit,
                "percentile": row.get(f"{schema.PERCENTILE_PREFIX}{use.key}", np.nan),
                "direction": ind.direction,
                "weight": use.weight,
                "z": row.get(f"{schema.SCORE_PREFIX}{use.key}", np.nan),
                "contribution": row.get(f"{schema.CONTRIB_PREFIX}{use.key}", np.nan),
                "group_contribution": row.get(f"{schema.GROUP_CONTRIB_PREFIX}{use.key}", np.nan),
                "measure": _measure_note(ind.facility_type, measures, lang),
            }
        )
    rows = pd.DataFrame.from_records(records)
    if len(rows):
        order = rows["contribution"].abs().sort_values(ascending=False, kind="mergesort").index
        rows = rows.reindex(order).reset_index(drop=True)
    if row.get(schema.STATUS) != schema.STATUS_RANKED:
        sentence = pick(_SENTENCES["not_ranked"], lang).format(name=name)
        return Explanation(code, name, None, n_ranked, rows, sentence)
    rank = int(row[schema.RANK])
    sentence = _sentence(name, rank, n_ranked, rows, lang)
    return Explanation(code, name, rank, n_ranked, rows, sentence)


#: Every sentence of an explanation, once, in both languages (filled by one code path).
_SENTENCES = {
    "not_ranked": (
        "{name} heeft geen inwoners volgens CBS en krijgt daarom geen plaats in de rangorde.",
        "{name} has no inhabitants according to CBS and is therefore not ranked.",
    ),
    "ranked": (
        "{name} staat op {rank} van {n}, vooral door {drivers}.",
        "{name} ranks {rank} of {n}, mainly because of {drivers}.",
    ),
    "higher": (
        "{label} ({value}; hoger dan in {share}% van de buurten)",
        "{label} ({value}; higher than in {share}% of buurten)",
    ),
    "lower": (
        "{label} ({value}; lager dan in {share}% van de buurten)",
        "{label} ({value}; lower than in {share}% of buurten)",
    ),
    "missing": ("{label} (waarde ontbreekt, mediaan gebruikt)", "{label} (value missing, median used)"),
    "straight_line": ("hemelsbreed", "straight-line"),
    "and": (" en ", " and "),
}


def _measure_note(facility_type: str | None, measures: Mapping[str, AccessMeasure] | None, lang: str) -> str:
    """'hemelsbreed' for straight-line distances, '' otherwise."""
    if facility_type is None or not measures or facility_type not in measures:
        return ""
    if measures[facility_type].method == STRAIGHT_LINE:
        return pick(_SENTENCES["straight_line"], lang)
    return ""


def _phrase(r: pd.Series, lang: str) -> str:
    """'veel bijstandsuitkeringen per 1.000 inwoners (80,2; meer dan 96% van de buurten)'."""
    value = format_value(r["value"], r["unit"], lang=lang)
    if r.get("measure"):
        value = f"{value} {r['measure']}"
    pct = r["percentile"]
    high = (r["z"] * r["direction"]) > 0  # raw value above the mean
    label = str(r["label"])
    label_lc = label[0].lower() + label[1:]
    if np.isnan(pct):
        return pick(_SENTENCES["missing"], lang).format(label=label_lc)
    share = format_number(pct if high else 100 - pct, lang=lang)
    template = _SENTENCES["higher" if high else "lower"]
    return pick(template, lang).format(label=label_lc, value=value, share=share)


def _sentence(name: str, rank: int, n: int, rows: pd.DataFrame, lang: str) -> str:
    shown_rank, shown_n = format_number(rank, lang=lang), format_number(n, lang=lang)  # 'van 14.079', not 14079
    if rows.empty:
        return f"{name}: {shown_rank}/{shown_n}."
    upper = rank <= max(1, n // 2)
    # Top half: explain with what pushes the buurt up; bottom half: with what holds it down.
    sign = 1.0 if upper else -1.0
    drivers = rows.loc[rows["contribution"] * sign > 0].head(2)
    if drivers.empty:
        drivers = rows.head(1)
    phrases = [_phrase(r, lang) for _, r in drivers.iterrows()]
    joined = pick(_SENTENCES["and"], lang).join(phrases)
    return pick(_SENTENCES["ranked"], lang).format(name=name, rank=shown_rank, n=shown_n, drivers=joined)
