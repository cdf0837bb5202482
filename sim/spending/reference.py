"""The spending model written once, readably: SPEC 3.1 and 3.2 and threat events, in NumPy.

This is the model; the compiled loops of :mod:`sim.spending.kernels` are a fast transcription of
it, tested bit for bit against it (``tests/spending/test_kernels.py``), as the event engine
:mod:`sim.aid.event` is for aid. The backtest (:mod:`sim.calibration.backtest`) projects with
:func:`core_step`.

Each step works on whole arrays, one NumPy operation per operation of the model, in the order
the SPEC writes it, so that every intermediate is rounded to double exactly as the kernels round
it (nothing fused, nothing reassociated):

- growth ``g[t] = (g[t-1] - mu)*rho + mu + e[t]*own + f[t]*loading`` with
  ``own = sd*sqrt(1 - common^2)`` and ``loading = sd*common``; USD GDP grows by
  ``(1 + g) * (1 + inflation)``;
- a share ``c[t] = max(c[t-1]*(1 - a) + a*p[t] + z[t]*noise, floor)``;
- with plans (:mod:`sim.mechanisms.plans`), in a plan year the speed is the plan's ``f`` and
  the intent ``coef[t] * Y[ref[t]] / Y[t]``; with fiscal space (:mod:`sim.mechanisms.fiscal`)
  each year's stress comes from last year's debt and deficit; with commitment
  (:mod:`sim.mechanisms.commitment`), after the plan the intent steps toward the line and the
  speed is ``follow``;
- with threat events, the core share adds ``events so far * a*size`` to its pull before the
  noise, is floored, then rises by the jump ``v*spread + size*(1 - a)`` in an event year and is
  floored again (:mod:`sim.mechanisms.threat`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim import mechanisms
from sim.spending.tally import GAP_BINS, SHARE_BINS, gap_bin, share_bin


def growth_step(growth: np.ndarray, mu: np.ndarray, rho: np.ndarray, own: np.ndarray,
                loading: np.ndarray, own_normals: np.ndarray,
                common_normals: np.ndarray) -> np.ndarray:
    """SPEC 3.1 for one year: (draws, allies) growth from last year's; ``common_normals`` is
    the year's alliance factor (draws,)."""
    return ((growth - mu) * rho + mu + own_normals * own
            + common_normals[:, None] * loading)


def share_step(before: np.ndarray, keep: np.ndarray, pull: np.ndarray, normals: np.ndarray,
               noise: np.ndarray, floor: np.ndarray,
               raised: np.ndarray | None = None) -> np.ndarray:
    """SPEC 3.2 for one year: ``max(before*keep + pull [+ raised] + normals*noise, floor)``.

    ``keep`` is ``1 - adjustment`` and ``pull`` ``adjustment * p[t]``; ``raised``, when given,
    is what mechanisms add to the pull toward intent (threat events' ``events * a*size``).
    """
    share = before * keep + pull
    if raised is not None:
        share = share + raised
    return np.maximum(share + normals * noise, floor)


def simulate(inputs: Any, drawn: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Core share, related share and GDP, (years, draws, allies) each, of one block.

    ``inputs`` is a :class:`~sim.spending.inputs.ModelInputs`, ``drawn`` the block's
    :class:`~sim.spending.inputs.Draws`. Each mechanism that is on takes its arrays from
    ``inputs.mechanisms`` and its draws from ``drawn.mechanisms``: the planning layers set the
    core share's speed and intent where they apply (plans in plan years, commitment after, slowed
    by fiscal stress), and threat events add to its pull and, after the floor, a jump.
    """
    steps, draws, allies = drawn.growth.shape
    core, related, gdp = np.empty((3, steps + 1, draws, allies))
    core[0], related[0], gdp[0] = inputs.core_base, inputs.related_base, inputs.gdp_base
    mu, rho = inputs.growth_mean, inputs.growth_persistence
    own = inputs.growth_sd * np.sqrt(1.0 - inputs.growth_common**2)
    loading = inputs.growth_sd * inputs.growth_common
    core_a, related_a = inputs.core_adjustment, inputs.related_adjustment
    growth = np.broadcast_to(mu, (draws, allies))
    terms = {name: inputs.mechanisms[name] for name in ("plans", "fiscal", "commitment",
                                                       "threat")}
    planned, fiscal, committed, threat = terms.values()
    intent = np.broadcast_to(inputs.core_base, (draws, allies)).copy()  # q[t-1] of each draw
    fiscal_state = None if fiscal is None else mechanisms.fiscal.reference_start(fiscal, draws)
    threat_state = None if threat is None else mechanisms.threat.reference_start(threat, draws)
    stress = np.zeros((draws, allies))
    for t in range(1, steps + 1):
        growth = growth_step(growth, mu, rho, own, loading, drawn.growth[t - 1],
                             drawn.common[t - 1])
        gdp[t] = gdp[t - 1] * ((growth + 1.0) * (1.0 + inputs.inflation))
        keep = np.broadcast_to(1.0 - core_a, (draws, allies))
        pull = np.broadcast_to(core_a * inputs.core_path[t], (draws, allies))
        if planned is not None:
            in_plan = planned.follow[t] > 0.0
            p = mechanisms.plans.reference_intent(planned, gdp, t)
            intent = np.where(in_plan, p, intent)
            keep = np.where(in_plan, 1.0 - planned.follow[t], keep)
            pull = np.where(in_plan, planned.follow[t] * p, pull)
        if fiscal is not None:
            assert fiscal_state is not None
            stress = mechanisms.fiscal.reference_step(fiscal_state, fiscal, gdp, core[t - 1], t)
        if committed is not None:
            past = t >= committed.start
            q = mechanisms.commitment.reference_intent(committed, drawn.mechanisms["commitment"],
                                                       intent, stress, t)
            spent = mechanisms.commitment.reference_spent(committed, q, gdp, t)
            intent = np.where(past, q, intent)
            keep = np.where(past, committed.keep, keep)
            pull = np.where(past, committed.follow * spent, pull)
        raised = jump = None
        if threat is not None:
            assert threat_state is not None
            raised, jump = mechanisms.threat.reference_step(threat_state, threat,
                                                            drawn.mechanisms["threat"], t)
        c = share_step(core[t - 1], keep, pull, drawn.core[t - 1], inputs.core_noise,
                       inputs.core_floor, raised)
        if jump is not None:
            c = np.maximum(c + jump, inputs.core_floor)
        core[t] = c
        related[t] = share_step(related[t - 1], 1.0 - related_a,
                                related_a * inputs.related_path[t], drawn.related[t - 1],
                                inputs.related_noise, inputs.related_floor)
    return core, related, gdp


def counts(inputs: Any, core: np.ndarray, related: np.ndarray) -> dict[str, Any]:
    """The per-ally counts of a tally from (years, draws, allies) paths, by whole arrays: what
    :meth:`sim.spending.tally.Tally.add` counts, by name."""
    years, _, allies = core.shape
    total = core + related
    goal, review = inputs.goal_index, inputs.review_index

    def histograms(shares: np.ndarray) -> np.ndarray:  # (years, allies, SHARE_BINS)
        return np.array([[np.bincount(share_bin(shares[t, :, a]), minlength=SHARE_BINS)
                          for a in range(allies)] for t in range(years)])

    meets_core = core[goal] >= inputs.goal_core  # (draws, allies)
    meets_goal = meets_core & (total[goal] >= inputs.goal_total)
    reached = core >= inputs.goal_core  # (years, draws, allies)
    first = np.where(reached.any(axis=0), reached.argmax(axis=0), years)  # (draws, allies)
    return {
        "core_hist": histograms(core),
        "total_hist": histograms(total),
        "meet_core": meets_core.sum(axis=0),
        "meet_goal": meets_goal.sum(axis=0),
        "all_meet_core": meets_core.all(axis=1).sum(),
        "all_meet_goal": meets_goal.all(axis=1).sum(),
        "credible": (core[review] >= inputs.review_line - inputs.review_tolerance).sum(axis=0),
        "first_core": np.array([np.bincount(first[:, a], minlength=years + 1)
                                for a in range(allies)]),
    }


def gap_counts(inputs: Any, core: np.ndarray, related: np.ndarray, gdp: np.ndarray
               ) -> dict[str, np.ndarray]:
    """Each ally's histograms (allies, GAP_BINS) of its USD shortfalls from the core goal and
    the whole goal in the goal year, from (years, draws, allies) paths, by whole arrays: what
    :meth:`sim.spending.tally.Tally.add` counts, by name."""
    goal = inputs.goal_index
    allies = core.shape[2]
    gaps = {"core_gap_hist": (inputs.goal_core - core[goal]) / 100.0 * gdp[goal],
            "total_gap_hist": (inputs.goal_total - (core[goal] + related[goal])) / 100.0
            * gdp[goal]}  # (draws, allies) USD each
    return {name: np.array([np.bincount(gap_bin(gap[:, a]), minlength=GAP_BINS)
                            for a in range(allies)]) for name, gap in gaps.items()}
