"""From a scenario to arrays: the engine's fixed parameters and each block's random draws.

:class:`ModelInputs` holds every per-ally parameter as an array in engine order, with the policy
paths laid out year by year, and each mechanism's arrays (:mod:`sim.mechanisms`).
:func:`sample_draws` draws one block's standard normals of SPEC 3.1 and 3.2 from a generator; it
and the mechanisms' ``sample`` are the only places the spending model consumes randomness, so the
order of draws here is part of the reproducibility contract (same seed, same block, same
numbers).
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from sim.kept import Kept
from sim.mechanisms import MECHANISMS
from sim.scenario import Policy, Scenario
from sim.workspace import Workspace


@attrs.frozen(eq=False)
class ModelInputs:
    """Parameters of the spending and growth model as arrays (allies in ``codes`` order).

    Shares are % of GDP; growth and inflation are fractions per year; GDP is current USD.
    Year index 0 is the base year.
    """

    codes: tuple[str, ...]
    years: tuple[int, ...]
    goal_index: int
    review_index: int
    goal_core: float
    goal_total: float
    core_base: np.ndarray  # (allies,)
    related_base: np.ndarray  # (allies,)
    gdp_base: np.ndarray  # (allies,) USD
    core_path: np.ndarray  # (years, allies) intended core share p[i,t]
    related_path: np.ndarray  # (years, allies)
    core_adjustment: np.ndarray  # (allies,)
    core_noise: np.ndarray  # (allies,)
    core_floor: np.ndarray  # (allies,)
    related_adjustment: np.ndarray  # (allies,)
    related_noise: np.ndarray  # (allies,)
    related_floor: np.ndarray  # (allies,)
    growth_mean: np.ndarray  # (allies,)
    growth_sd: np.ndarray  # (allies,)
    growth_persistence: np.ndarray  # (allies,)
    growth_common: np.ndarray  # (allies,)
    inflation: np.ndarray  # (allies,)
    review_line: np.ndarray  # (allies,) core share on the straight base-to-goal line, review year
    review_tolerance: float
    #: Each mechanism's arrays by its NAME (sim.mechanisms), None where it is off.
    mechanisms: dict[str, Any] = attrs.field(factory=dict)

    @property
    def n_allies(self) -> int:
        return len(self.codes)

    @property
    def n_steps(self) -> int:
        """Projected years after the base year."""
        return len(self.years) - 1

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> ModelInputs:
        """Lay a validated scenario's parameters out as arrays."""
        allies = scenario.allies
        years = np.arange(scenario.base_year, scenario.horizon + 1)
        goal = scenario.goal

        def column(get: Any) -> np.ndarray:
            return np.array([get(a) for a in allies], dtype=float)

        core_path = np.column_stack([  # (years, allies)
            _kept_path(a.policy, a.core_base, years, goal.year) for a in allies
        ])
        related_path = np.column_stack([  # (years, allies)
            _kept_path(a.related, a.related_base, years, goal.year) for a in allies
        ])
        core_base = column(lambda a: a.core_base)
        fraction = (goal.review_year - scenario.base_year) / (goal.year - scenario.base_year)
        return cls(
            codes=scenario.codes,
            years=tuple(int(y) for y in years),
            goal_index=goal.year - scenario.base_year,
            review_index=goal.review_year - scenario.base_year,
            goal_core=goal.core,
            goal_total=goal.total,
            core_base=core_base,
            related_base=column(lambda a: a.related_base),
            gdp_base=column(lambda a: a.gdp_base),
            core_path=core_path,
            related_path=related_path,
            core_adjustment=column(lambda a: a.policy.adjustment),
            core_noise=column(lambda a: a.policy.noise),
            core_floor=column(lambda a: a.policy.floor),
            related_adjustment=column(lambda a: a.related.adjustment),
            related_noise=column(lambda a: a.related.noise),
            related_floor=column(lambda a: a.related.floor),
            growth_mean=column(lambda a: a.growth.mean),
            growth_sd=column(lambda a: a.growth.sd),
            growth_persistence=column(lambda a: a.growth.persistence),
            growth_common=column(lambda a: a.growth.common),
            inflation=column(lambda a: a.growth.inflation),
            review_line=core_base + (goal.core - core_base) * fraction,
            review_tolerance=goal.review_tolerance,
            mechanisms={mechanism.NAME: mechanism.arrays(scenario) for mechanism in MECHANISMS},
        )


#: Policy paths laid out before, by the resolved policy (the same object for the same policy,
#: :mod:`sim.scenario`; kept with the entry) and the base share, years and goal year: a sweep's
#: variants lay the same paths out again. Emptied when full. Never written into.
_PATHS = Kept(4096)


def _kept_path(policy: Policy, base: float, years: np.ndarray, goal_year: int) -> np.ndarray:
    """:func:`policy_path`, or the path it gave before for the same policy object and values."""
    return _PATHS.made(lambda: policy_path(policy, base, years, goal_year),
                       (repr(base), int(years[0]), len(years), goal_year), (policy,))


def policy_path(policy: Policy, base: float, years: np.ndarray, goal_year: int) -> np.ndarray:
    """The intended share ``p[t]`` for each year (% of GDP), starting at ``base`` in year 0.

    ``linear`` runs straight from the base share to the target in the goal year and holds it
    after; an ally already above its target holds its base share (no planner intends to cut
    down to the goal). ``flat`` holds the base share. ``custom`` interpolates the scenario's
    ``(year, share)`` points from the base share and holds the last one. ``announced`` is
    ``custom`` with the ally's published plan as points, or ``linear`` where it has none.
    """
    base_year = int(years[0])
    if policy.path == "flat":
        return np.full(len(years), base, dtype=float)
    if policy.path == "linear" or (policy.path == "announced" and not policy.custom):
        if policy.target is None:
            raise ValueError("policy target unresolved: the scenario loader sets it")
        target = max(float(policy.target), base)
        fraction = np.clip((years - base_year) / (goal_year - base_year), 0.0, 1.0)
        return base + (target - base) * fraction
    if policy.path in ("custom", "announced"):
        points_x = [base_year, *(year for year, _ in policy.custom)]
        points_y = [base, *(share for _, share in policy.custom)]
        return np.interp(years, points_x, points_y)
    raise ValueError(f"unknown path {policy.path!r}")


@attrs.frozen(eq=False)
class Draws:
    """One block's random numbers, year-major so each year's slice is contiguous: the standard
    normals of SPEC 3.1 and 3.2, and the draws of each mechanism that is on."""

    common: np.ndarray  # (steps, draws) alliance growth factor f[t]
    growth: np.ndarray  # (steps, draws, allies) idiosyncratic growth e[i,t]
    core: np.ndarray  # (steps, draws, allies) execution noise z[i,t] of core spending
    related: np.ndarray  # (steps, draws, allies) execution noise of related spending
    #: Each mechanism's draws by its NAME, from its own stream; only those that are on.
    mechanisms: dict[str, Any] = attrs.field(factory=dict)

    @property
    def draws(self) -> int:
        return int(self.common.shape[1])


def sample_draws(inputs: ModelInputs, rng: np.random.Generator, draws: int,
                 workspace: Workspace | None = None) -> Draws:
    """Draw one block's standard normals; the order of the four calls is fixed for
    reproducibility. The mechanisms draw from streams of their own (:func:`sample_mechanisms`).

    With a ``workspace`` the numbers are drawn into its arrays (the same numbers: a generator
    fills an array in order, given or new) and are valid until its next block.
    """
    steps, allies = inputs.n_steps, inputs.n_allies
    if workspace is None:
        return Draws(
            common=rng.standard_normal((steps, draws)),
            growth=rng.standard_normal((steps, draws, allies)),
            core=rng.standard_normal((steps, draws, allies)),
            related=rng.standard_normal((steps, draws, allies)),
        )
    common = workspace.array("inputs.common", (steps, draws))
    growth, core, related = workspace.array("inputs.normals", (3, steps, draws, allies))
    for out in (common, growth, core, related):
        rng.standard_normal(out=out)
    return Draws(common=common, growth=growth, core=core, related=related)


def sample_mechanisms(inputs: ModelInputs, drawn: Draws, generator: Any,
                      workspace: Workspace | None = None) -> Draws:
    """``drawn`` with the draws of every mechanism that is on and draws; ``generator(stream)``
    gives the block's generator of a mechanism's stream."""
    mechanisms = {mechanism.NAME: mechanism.sample(terms, generator(mechanism.STREAM),
                                                   inputs.n_steps, drawn.draws, workspace)
                  for mechanism in MECHANISMS if mechanism.STREAM is not None
                  and (terms := inputs.mechanisms[mechanism.NAME]) is not None}
    return attrs.evolve(drawn, mechanisms=mechanisms) if mechanisms else drawn
