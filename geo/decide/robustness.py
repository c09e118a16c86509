"""How much a buurt's rank depends on the weighting: re-ranking under perturbed weights.

Method (also for the app and the README)
----------------------------------------
1. **Point ranking**: the ranking the planner chose (:func:`geo.decide.ranking.rank_buurten`).
   Its standardised scores ``z_<key>`` are reused as they are, so only the
   weights change; the missing-value policy, the standardising and the
   clipping stay exactly as in the point ranking.
2. **Weight draws**: with *p* the chosen weights of the used indicators divided
   by their sum and *c* the ``concentration``, every draw is a weight vector
   from a Dirichlet distribution with parameters ``c × p``, scaled back to the
   chosen total. The mean of each drawn weight is the chosen weight and its
   coefficient of variation (standard deviation / mean) is
   ``sqrt((1 − p_i) / (p_i × (c + 1)))`` (see :func:`weight_spread`). With the
   default ``c = 100`` and about ten indicators of similar weight each weight
   varies by about ±30 %; a weight that carries a fifth of the total by about
   ±20 %. A larger *c* means smaller changes; ``c = inf`` keeps the weights.
3. **Re-ranking**: per draw the priority score is ``Σ w_i z_i / Σ w`` and the
   rank follows the rule of the point ranking (1 = highest score; scores equal
   to 1e-9 share the lower rank number). Only ranked buurten take part; the
   others get no value.
4. **Summary per buurt** over the *d* draws, with ``r_(0) ≤ … ≤ r_(d−1)`` its
   sorted ranks:

   - ``rank_median``: the median rank (the mean of the two middle ranks when
     *d* is even, so it can end in .5);
   - ``rank_p05`` = ``r_(⌊0.05 (d − 1)⌋)`` and ``rank_p95`` = ``r_(⌈0.95 (d − 1)⌉)``:
     at least 90 % of the draws lie in between. The interval is then widened to
     include the rank at the chosen weights when that rank falls outside it
     (possible when the chosen weights are themselves an unusual draw, e.g. a
     buurt that only reaches its rank at exactly these weights), so the rank
     shown in the table always lies in its interval;
   - ``share_top_n``: the share of draws in which the buurt is in the top *N*
     (rank ≤ *N*, ties at place *N* count as in);
   - ``weight_sensitive``: its place in the top *N* depends on the weighting,
     i.e. the rank interval straddles the top-*N* line:
     ``rank_p05 ≤ N < rank_p95``. Such a buurt is in the top *N* under some
     plausible weightings (at least about 5 % of draws, or at the chosen
     weights) and outside it under others.
5. **Leave one out** (optional): the point ranking again with one indicator's
   weight set to 0 at a time, the other weights as chosen; one rank column per
   indicator. This is exactly what :func:`geo.decide.ranking.rank_buurten` gives with
   that weight set to 0.

The computation is vectorised over draws (a matrix product and a row-wise
argsort per chunk of draws) and deterministic for a given ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import schema
from geo.decide.ranking import SCORE_DECIMALS, RankingParams, RankingResult
from geo.errors import InvalidValueError, MissingColumnError, ParameterError
from geo.schema import (
    RANK_MEDIAN,
    RANK_P05,
    RANK_P95,
    RANK_WITHOUT_PREFIX,
    ROBUSTNESS_COLUMNS,
    SHARE_TOP_N,
    WEIGHT_SENSITIVE,
)

# The column names live in geo.schema; re-exported for callers of this module.
__all__ = [
    "RANK_MEDIAN", "RANK_P05", "RANK_P95", "RANK_WITHOUT_PREFIX", "ROBUSTNESS_COLUMNS", "SHARE_TOP_N",
    "WEIGHT_SENSITIVE", "RobustnessResult", "compute_robustness", "robust_counts", "weight_spread",
]

#: Default Dirichlet concentration: about ±30 % per weight with ten similar weights.
DEFAULT_CONCENTRATION = 100.0
#: Score-matrix cells per chunk of draws (bounds the temporary memory to a few tens of MB).
_CHUNK_CELLS = 1 << 20
_Q_LOW, _Q_HIGH = 0.05, 0.95


@dataclass(frozen=True)
class RobustnessResult:
    """Rank intervals of every buurt under perturbed weights.

    Attributes
    ----------
    table
        Same index as the ranking table; columns :data:`ROBUSTNESS_COLUMNS`.
        Buurten that are not ranked have no values (NaN / <NA>).
    leave_one_out
        Same index; per used indicator a column ``rank_without_<key>`` (Int64)
        with the rank when that indicator's weight is 0. None unless asked for.
        With a single used indicator its column is empty: nothing is left to rank.
    weight_draws
        One row per draw, one column per used indicator: the drawn weights,
        scaled to the chosen total.
    weights
        The chosen weights of the used indicators (the centre of the draws).
    """

    table: pd.DataFrame
    leave_one_out: pd.DataFrame | None
    weight_draws: pd.DataFrame
    weights: tuple[tuple[str, float], ...]
    n_draws: int
    seed: int
    top_n: int
    concentration: float
    n_ranked: int
    #: Buurten whose 5–95 % interval of the draws was widened to include their point rank.
    n_widened: int

    @property
    def n_sensitive(self) -> int:
        """Number of buurten flagged as ``weight_sensitive``."""
        return int(self.table[WEIGHT_SENSITIVE].sum())


def robust_counts(table: pd.DataFrame) -> tuple[int, list[str], int]:
    """The one definition of *robust*, used by the app's tab and the decision pack.

    A buurt is **robust** when it is not ``weight_sensitive``: its 90 % interval of
    ranks over the weight draws stays on one side of the top-*N* line. Returns
    (number robust, names of the weight-sensitive buurten, number without a value)
    for the rows of ``table`` (typically the current top *N*).
    """
    if WEIGHT_SENSITIVE not in table.columns:
        raise MissingColumnError(
            f"Robustness table: expected a '{WEIGHT_SENSITIVE}' column, found {list(table.columns)}."
        )
    flags = table[WEIGHT_SENSITIVE]
    known = flags.notna()
    flagged = flags.fillna(False).astype(bool)
    names = (
        table[schema.BUURT_NAME] if schema.BUURT_NAME in table.columns else pd.Series(table.index, index=table.index)
    )
    sensitive = names.loc[known & flagged].astype(str).tolist()
    return int((known & ~flagged).sum()), sensitive, int((~known).sum())


def weight_spread(weights: Mapping[str, float], concentration: float = DEFAULT_CONCENTRATION) -> pd.Series:
    """Coefficient of variation of each drawn weight.

    Parameters
    ----------
    weights
        Chosen weights (only those > 0 take part).
    concentration
        Dirichlet concentration *c* > 0 (``math.inf``: no variation).

    Returns
    -------
    pandas.Series
        Per indicator key ``sqrt((1 − p_i) / (p_i (c + 1)))`` with
        ``p_i = w_i / Σ w``: the standard deviation of the drawn weight divided
        by the chosen weight. Named ``weight_cv``.
    """
    _check_concentration(concentration)
    w = pd.Series({k: float(v) for k, v in weights.items() if v > 0}, dtype="float64", name="weight_cv")
    if w.empty:
        raise ParameterError("All weights are zero: give at least one indicator a weight above zero.")
    p = w / w.sum()
    if math.isinf(concentration):
        return p * 0.0
    return np.sqrt((1.0 - p) / (p * (concentration + 1.0)))


def compute_robustness(
    ranking: RankingResult | pd.DataFrame,
    params: RankingParams,
    *,
    n_draws: int = 1000,
    seed: int = 0,
    top_n: int = 10,
    concentration: float = DEFAULT_CONCENTRATION,
    leave_one_out: bool = False,
) -> RobustnessResult:
    """Re-rank the buurten under weights drawn around the chosen ones.

    Parameters
    ----------
    ranking
        The point ranking: a :class:`~geo.decide.ranking.RankingResult`, or a table that
        holds its columns (``rank``, ``priority_score`` and ``z_<key>`` for
        every used indicator), e.g. the table of :func:`geo.decide.pipeline.rank`.
    params
        The parameters the point ranking was made with. Their weights are the
        centre of the draws.
    n_draws
        Number of weight draws (≥ 1). The ranks of all draws are kept while
        summarising: about ``4 × n_draws × n_ranked`` bytes (ranks and a sorted
        copy, 16 bits each below 65,535 ranked buurten), plus a few tens of MB
        for one chunk of draws.
    seed
        Seed of the random generator (``numpy.random.PCG64``); the same seed
        gives the same result.
    top_n
        *N* of ``share_top_n`` and ``weight_sensitive`` (≥ 1).
    concentration
        Dirichlet concentration *c* > 0; larger means weights closer to the
        chosen ones, ``math.inf`` keeps them (see :func:`weight_spread`).
    leave_one_out
        Also rank once with each used indicator left out.

    Returns
    -------
    RobustnessResult

    Raises
    ------
    ParameterError
        A bad option, or a table that these ``params`` did not produce.
    MissingColumnError
        The table lacks ``rank`` or the ``z_<key>`` column of a used indicator.
    """
    n_draws, seed, top_n = _check_int("n_draws", n_draws, 1), _check_int("seed", seed, 0), _check_int("top_n", top_n, 1)
    _check_concentration(concentration)
    table, keys = _used_indicators(ranking, params)
    weight_map = params.weight_map
    base = np.array([weight_map[k] for k in keys], dtype="float64")

    ranked = table[schema.RANK].notna().to_numpy()
    n_ranked = int(ranked.sum())
    if n_ranked == 0:
        raise ParameterError("The ranking table has no ranked buurt: there is nothing to re-rank.")
    z = table[[f"{schema.SCORE_PREFIX}{k}" for k in keys]].to_numpy(dtype="float64")[ranked]
    if not np.isfinite(z).all():
        raise InvalidValueError(
            "The z-scores of ranked buurten must all be numbers; found missing values. "
            "Pass the table of rank_buurten unchanged."
        )
    point = table[schema.RANK].to_numpy(dtype="float64")[ranked].astype("int64")
    given = (
        table[schema.PRIORITY_SCORE].to_numpy(dtype="float64")[ranked]
        if schema.PRIORITY_SCORE in table.columns
        else None
    )
    _check_reproduces(z, base, point, given)

    # Draw all weights first, in one call, so the result does not depend on chunking.
    p = base / base.sum()
    if len(keys) == 1 or math.isinf(concentration):
        shares = np.tile(p, (n_draws, 1))
    else:
        rng = np.random.Generator(np.random.PCG64(seed))
        shares = rng.dirichlet(concentration * p, size=n_draws)
    weight_draws = pd.DataFrame(shares * base.sum(), columns=list(keys))
    weight_draws.index.name = "draw"

    if len(keys) == 1 or math.isinf(concentration):
        # Every draw is the chosen weighting: every rank is the point rank.
        ranks = np.broadcast_to(point.astype(_rank_dtype(n_ranked)), (n_draws, n_ranked))
    else:
        ranks = _rank_draws(z, shares)

    # Ranks of 16 bits sort fastest with the stable (radix) sort; any sort gives the same values.
    ordered = np.sort(ranks, axis=0, kind="stable")
    q_low = ordered[math.floor(_Q_LOW * (n_draws - 1))].astype("int64")
    q_high = ordered[math.ceil(_Q_HIGH * (n_draws - 1))].astype("int64")
    median = (ordered[(n_draws - 1) // 2].astype("float64") + ordered[n_draws // 2]) / 2.0
    low, high = np.minimum(q_low, point), np.maximum(q_high, point)
    share_top = (ranks <= top_n).mean(axis=0)

    out = pd.DataFrame(
        {
            RANK_MEDIAN: _spread(median, ranked, "float64"),
            RANK_P05: _spread(low, ranked, "Int64"),
            RANK_P95: _spread(high, ranked, "Int64"),
            SHARE_TOP_N: _spread(share_top, ranked, "float64"),
            WEIGHT_SENSITIVE: _spread((low <= top_n) & (top_n < high), ranked, "boolean"),
        },
        index=table.index,
    )

    loo = _leave_one_out(table.index, ranked, z, keys, base) if leave_one_out else None
    return RobustnessResult(
        table=out,
        leave_one_out=loo,
        weight_draws=weight_draws,
        weights=tuple(zip(keys, (float(w) for w in base), strict=True)),
        n_draws=n_draws,
        seed=seed,
        top_n=top_n,
        concentration=float(concentration),
        n_ranked=n_ranked,
        n_widened=int(((low < q_low) | (high > q_high)).sum()),
    )


# ----------------------------------------------------------------------------- internals


def _used_indicators(
    ranking: RankingResult | pd.DataFrame, params: RankingParams
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The ranking table and the sorted keys of the indicators the point ranking used."""
    weighted = {k: w for k, w in params.weights if w > 0}
    if not weighted:
        raise ParameterError("All weights are zero: give at least one indicator a weight above zero.")
    if isinstance(ranking, RankingResult):
        table = ranking.table
        keys = tuple(sorted(u.key for u in ranking.used))
        differ = [u.key for u in ranking.used if weighted.get(u.key) != u.weight]
        if differ:
            raise ParameterError(
                f"The ranking was made with other weights than these parameters (differ for: {', '.join(differ)})."
            )
    elif isinstance(ranking, pd.DataFrame):
        table = ranking
        keys = tuple(sorted(k for k in weighted if f"{schema.SCORE_PREFIX}{k}" in table.columns))
    else:
        raise ParameterError(
            f"Expected a RankingResult or a ranking table (DataFrame), found {type(ranking).__name__}."
        )
    if schema.RANK not in table.columns:
        raise MissingColumnError(
            f"The ranking table needs a '{schema.RANK}' column (from rank_buurten); "
            f"found: {', '.join(map(str, table.columns))}."
        )
    needed = [f"{schema.SCORE_PREFIX}{k}" for k in (keys or sorted(weighted))]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise MissingColumnError(
            "The ranking table needs the z-score column of every used indicator (from rank_buurten); "
            f"missing: {', '.join(missing)}."
        )
    return table, keys


def _check_reproduces(z: np.ndarray, base: np.ndarray, point: np.ndarray, given: np.ndarray | None) -> None:
    """Guard: the chosen weights must give the table's priority score (when present) and rank back."""
    score = _score_as_ranking(z, base)
    if given is not None and not np.allclose(score, given, rtol=0.0, atol=1e-9):
        raise ParameterError(
            "These weights do not reproduce the table's priority score: rank the table with the same parameters first."
        )
    if not np.array_equal(_rank_min(score), point):
        raise ParameterError(
            "These weights do not reproduce the table's ranks: rank the table with the same parameters first."
        )


def _score_as_ranking(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Priority score summed exactly as geo.decide.ranking does (same order, same rounding)."""
    keep = w > 0
    total = sum(float(x) for x in w[keep])
    score = np.zeros(z.shape[0])
    for j in np.flatnonzero(keep):
        score = score + w[j] * z[:, j] / total
    return score


def _rank_min(score: np.ndarray) -> np.ndarray:
    """Rank 1 = highest, ties (to 1e-9) share the lower number: pandas ``rank(method='min')``."""
    return pd.Series(np.round(score, SCORE_DECIMALS)).rank(method="min", ascending=False).to_numpy(dtype="int64")


def _rank_dtype(n: int) -> type[np.unsignedinteger]:
    return np.uint16 if n < np.iinfo(np.uint16).max else np.uint32


def _rank_draws(z: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Ranks of the ``n`` buurten under each of the ``d`` weight vectors: shape (d, n).

    ``shares`` rows sum to 1, so ``shares @ z.T`` is the priority score. Per row:
    argsort of the rounded scores (descending), a running maximum of the
    position where each new distinct score starts gives the 'min' rank in
    sorted order, and a scatter puts it back in buurt order.
    """
    n = z.shape[0]
    d = shares.shape[0]
    dtype = _rank_dtype(n)
    ranks = np.empty((d, n), dtype=dtype)
    positions = np.arange(1, n + 1, dtype=dtype)
    chunk = max(1, _CHUNK_CELLS // n)
    zt = np.ascontiguousarray(z.T)
    for start in range(0, d, chunk):
        stop = min(d, start + chunk)
        rows = stop - start
        # Negate so an ascending sort puts the highest score first.
        neg = np.round(shares[start:stop] @ zt, SCORE_DECIMALS)
        np.negative(neg, out=neg)
        order = np.argsort(neg, axis=1)
        srt = np.take_along_axis(neg, order, axis=1)
        new = np.empty((rows, n), dtype=bool)
        new[:, 0] = True
        np.not_equal(srt[:, 1:], srt[:, :-1], out=new[:, 1:])
        rank_sorted = np.where(new, positions, dtype(0))
        np.maximum.accumulate(rank_sorted, axis=1, out=rank_sorted)
        flat = (order + (np.arange(rows) * n)[:, None]).ravel()
        block = ranks[start:stop].reshape(-1)
        block[flat] = rank_sorted.ravel()
    return ranks


def _leave_one_out(
    index: pd.Index, ranked: np.ndarray, z: np.ndarray, keys: tuple[str, ...], base: np.ndarray
) -> pd.DataFrame:
    """Point rank with each used indicator's weight set to 0 (exactly as rank_buurten would)."""
    cols = {}
    for j, key in enumerate(keys):
        w = base.copy()
        w[j] = 0.0
        # With one indicator nothing is left to rank: the column stays empty.
        ranks = _rank_min(_score_as_ranking(z, w)) if (w > 0).any() else None
        cols[f"{RANK_WITHOUT_PREFIX}{key}"] = _spread(ranks, ranked, "Int64")
    return pd.DataFrame(cols, index=index)


def _spread(values: np.ndarray | None, ranked: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """Values of the ranked rows placed in a column for all rows (missing for the others and when None)."""
    if dtype == "float64":
        full = np.full(len(ranked), np.nan)
        if values is not None:
            full[ranked] = values
        return full
    data = np.zeros(len(ranked), dtype="int64" if dtype == "Int64" else bool)
    if values is not None:
        data[ranked] = values
    mask = ~ranked if values is not None else np.ones(len(ranked), dtype=bool)
    cls = pd.arrays.IntegerArray if dtype == "Int64" else pd.arrays.BooleanArray
    return cls(data, mask)


def _check_int(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be a whole number ≥ {minimum}, found {value!r}.")
    return int(value)


def _check_concentration(concentration: float) -> None:
    is_number = isinstance(concentration, (int, float, np.floating, np.integer)) and not isinstance(concentration, bool)
    if not is_number or not concentration > 0:
        raise ParameterError(
            f"concentration must be a number > 0 (math.inf keeps the weights), found {concentration!r}."
        )
