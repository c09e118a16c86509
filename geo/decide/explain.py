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
    position = table.index.get_loc(code)
    if not isinstance(position, int):
        raise KeyError(code)
    ctx = _Context.of(table, ranking, lang, measures)
    records = ctx.records(position)
    rows = pd.DataFrame.from_records(records, columns=_RECORD_COLUMNS)
    rank = ctx.rank[position]
    return Explanation(code, ctx.names[position], None if rank is None else int(rank), ctx.n_ranked, rows,
                       ctx.sentence(position, records))


def explanation_sentences(
    table: pd.DataFrame,
    ranking: RankingResult,
    *,
    lang: str = "nl",
    measures: Mapping[str, AccessMeasure] | None = None,
) -> list[str]:
    """The explanation sentence of every buurt of ``table`` (in its order): the same sentence
    :func:`explain_buurt` gives, built in one pass (a national table has 14,000 buurten)."""
    ctx = _Context.of(table, ranking, lang, measures)
    return [ctx.sentence(i, ctx.records(i)) for i in range(len(table))]


_RECORD_COLUMNS = ["key", "label", "group", "value", "unit", "percentile", "direction", "weight", "z",
                   "contribution", "group_contribution", "measure"]


@dataclass(frozen=True)
class _Context:
    """The columns an explanation reads, as plain arrays (row access on a wide frame is slow)."""

    lang: str
    names: list[str]
    status: np.ndarray
    rank: list[int | None]
    n_ranked: int
    #: Per used indicator: (IndicatorUse, value, percentile, z, contribution, group contribution, measure note).
    columns: list[tuple]
    #: With several municipalities normalised apart: name, rank within and size of each buurt's municipality.
    local: tuple[np.ndarray, np.ndarray, np.ndarray] | None

    @classmethod
    def of(cls, table: pd.DataFrame, ranking: RankingResult, lang: str,
           measures: Mapping[str, AccessMeasure] | None) -> _Context:
        n = len(table)

        def col(name: str) -> np.ndarray:
            return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float) if name in table.columns \
                else np.full(n, np.nan)

        names = (table[schema.BUURT_NAME].astype(str).tolist() if schema.BUURT_NAME in table.columns
                 else [str(c) for c in table.index])
        status = table[schema.STATUS].to_numpy(dtype=object)
        rank = [None if pd.isna(r) else int(r) for r in table[schema.RANK]]
        columns = []
        for use in ranking.used:
            ind = INDICATORS[use.key]
            columns.append((use, col(use.key), col(f"{schema.PERCENTILE_PREFIX}{use.key}"),
                            col(f"{schema.SCORE_PREFIX}{use.key}"), col(f"{schema.CONTRIB_PREFIX}{use.key}"),
                            col(f"{schema.GROUP_CONTRIB_PREFIX}{use.key}"),
                            _measure_note(ind.facility_type, measures, lang)))
        local = None
        if schema.RANK_IN_MUNICIPALITY in table.columns and schema.MUNICIPALITY_CODE in table.columns:
            ranked = pd.Series(status == schema.STATUS_RANKED, index=table.index)
            size = ranked.groupby(table[schema.MUNICIPALITY_CODE]).transform("sum").to_numpy()
            town = (table[schema.MUNICIPALITY_NAME] if schema.MUNICIPALITY_NAME in table.columns
                    else table[schema.MUNICIPALITY_CODE]).astype(str).to_numpy(dtype=object)
            local = (town, table[schema.RANK_IN_MUNICIPALITY].to_numpy(dtype=object), size)
        return cls(lang, names, status, rank, int((status == schema.STATUS_RANKED).sum()), columns, local)

    def records(self, i: int) -> list[dict]:
        """One record per used indicator of row ``i``, largest |contribution| first."""
        out = []
        for use, value, pct, z, contrib, gcontrib, note in self.columns:
            ind = INDICATORS[use.key]
            out.append({"key": use.key, "label": ind.label(self.lang), "group": ind.group, "value": value[i],
                        "unit": ind.unit, "percentile": pct[i], "direction": ind.direction, "weight": use.weight,
                        "z": z[i], "contribution": contrib[i], "group_contribution": gcontrib[i], "measure": note})
        # A stable sort by |contribution| (NaN last), as the detail table shows them.
        return sorted(out, key=lambda r: -abs(r["contribution"]) if np.isfinite(r["contribution"]) else np.inf)

    def sentence(self, i: int, records: list[dict]) -> str:
        name = self.names[i]
        rank = self.rank[i]
        if self.status[i] != schema.STATUS_RANKED or rank is None:
            return pick(_SENTENCES["not_ranked"], self.lang).format(name=name)
        if self.local is None:
            return _sentence(name, rank, self.n_ranked, records, self.lang)
        town, local_rank, size = self.local
        return _sentence(name, int(local_rank[i]), int(size[i]), records, self.lang,
                         town=str(town[i]), national=(rank, self.n_ranked))


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
    "ranked_in": (
        "{name} staat op {rank} van {n} in {town} (landelijk {national} van {n_national}), vooral door {drivers}.",
        "{name} ranks {rank} of {n} in {town} ({national} of {n_national} nationally), mainly because of {drivers}.",
    ),
    "higher": (
        "{label} ({value}; hoger dan in {share}% van de buurten)",
        "{label} ({value}; higher than in {share}% of buurten)",
    ),
    "lower": (
        "{label} ({value}; lager dan in {share}% van de buurten)",
        "{label} ({value}; lower than in {share}% of buurten)",
    ),
    "higher_local": (
        "{label} ({value}; hoger dan in {share}% van de buurten van de gemeente)",
        "{label} ({value}; higher than in {share}% of the municipality's buurten)",
    ),
    "lower_local": (
        "{label} ({value}; lager dan in {share}% van de buurten van de gemeente)",
        "{label} ({value}; lower than in {share}% of the municipality's buurten)",
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


def _phrase(r: Mapping, lang: str, local: bool = False) -> str:
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
    template = _SENTENCES[("higher" if high else "lower") + ("_local" if local else "")]
    return pick(template, lang).format(label=label_lc, value=value, share=share)


def _sentence(name: str, rank: int, n: int, records: list[dict], lang: str, *, town: str | None = None,
              national: tuple[int, int] | None = None) -> str:
    def num(v: int) -> str:
        return format_number(v, lang=lang)  # 'van 14.079', not 14079

    if not records:
        return f"{name}: {num(rank)}/{num(n)}."
    upper = rank <= max(1, n // 2)
    # Top half: explain with what pushes the buurt up; bottom half: with what holds it down.
    sign = 1.0 if upper else -1.0
    drivers = [r for r in records if r["contribution"] * sign > 0][:2] or records[:1]
    joined = pick(_SENTENCES["and"], lang).join(_phrase(r, lang, local=town is not None) for r in drivers)
    if town is not None and national is not None:
        return pick(_SENTENCES["ranked_in"], lang).format(name=name, rank=num(rank), n=num(n), town=town,
                                                          national=num(national[0]), n_national=num(national[1]),
                                                          drivers=joined)
    return pick(_SENTENCES["ranked"], lang).format(name=name, rank=num(rank), n=num(n), drivers=joined)
