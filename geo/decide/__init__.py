"""The decisions a planner reasons about: indicators, access, ranking and its explanation,
robustness, equity, scenarios and the budget plan.

Works on validated frames (:mod:`geo.data`) and distances (:mod:`geo.network`);
never reads files itself except through :func:`run` and never writes any.
"""

from geo.decide.access import AccessEngine, NetworkEngine, StraightLineEngine, compute_access
from geo.decide.budget import BudgetParams, allocate_budget
from geo.decide.explain import explain_buurt
from geo.decide.pipeline import PipelineResult, Prepared, prepare, rank, run
from geo.decide.ranking import RankingParams
from geo.decide.robustness import compute_robustness, robust_counts
from geo.decide.scenario import Scenario, ScenarioFacility, run_scenario

__all__ = [
    "AccessEngine",
    "BudgetParams",
    "NetworkEngine",
    "PipelineResult",
    "Prepared",
    "RankingParams",
    "Scenario",
    "ScenarioFacility",
    "StraightLineEngine",
    "allocate_budget",
    "compute_access",
    "compute_robustness",
    "explain_buurt",
    "prepare",
    "rank",
    "robust_counts",
    "run",
    "run_scenario",
]
