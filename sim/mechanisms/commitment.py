"""Commitment beyond the plan: intent moves toward the Hague line with an uncertain credibility.

A planning layer (SPEC 3.5; :mod:`sim.mechanisms`), off unless ``[defaults.commitment]``
enables it. After an ally's plan ends (:mod:`sim.mechanisms.plans`; from the base year for an
ally without one), its intent ``q`` starts from the plan's last intent (or its base-year share)
and each year closes a fraction of the gap to the line ``H`` (``policy.target``, the goal's core
share by default) that would reach it in the goal year, scaled by its credibility ``kappa`` and
slowed by fiscal stress (:mod:`sim.mechanisms.fiscal`, 0 when that is off):

    q[t] = q[t-1] + kappa * max(H - q[t-1], 0) * (1 - stress[t]) / max(1, T - t + 1)
    p[t] = q[t] * coef[t] * Y[ref[t]] / Y[t]
    c[t] = max(c[t-1]*(1 - follow) + follow*p[t] + noise*z[t], floor)

The share ``q`` is budgeted in money ``plans.lag`` years ahead on the GDP then forecast, as a plan
in shares is (:func:`sim.mechanisms.plans.budget_terms`), so growth other than the forecast
moves the share spent, ``p``.

With ``kappa = 1`` and no stress, ``q`` runs straight to ``H`` in the goal year ``T``; with
``kappa = 0`` the ally holds its last plan. ``kappa`` is drawn once per draw and ally, logit-normal
around the ally's ``credibility`` (its median), with sd ``spread`` on the logit scale and
correlation ``common`` across allies through one alliance-wide factor: ``kappa =
expit(logit(credibility) + spread*(sqrt(common)*F + sqrt(1 - common)*e))``. The credibility,
its spread and ``follow`` are fitted on how allies met the Wales pledge (2% by 2024) by and after
its deadline (:mod:`sim.calibration.fit`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs
import numpy as np

from sim import schema
from sim.kept import Kept
from sim.mechanisms import plans
from sim.workspace import Workspace

NAME, KEY = "commitment", "commitment"
#: Block ``b`` draws the credibilities from ``SeedSequence(seed, spawn_key=(b, 3))``.
STREAM: int | None = 3


@attrs.frozen
class Commitment:
    """Commitment beyond the plan (``[defaults.commitment]``); off unless ``enabled``."""

    enabled: bool = schema.boolean(False)
    # A median of 0 or 1 is certainty, not credibility: kept strictly inside.
    credibility: float = schema.number(0.5, 0.0, 1.0, lo_open=True, hi_open=True,
                                       typical=(0.01, 0.99),
                                       unit="median share of the gap to the line closed")
    # On the logit scale: 1 spreads a median of 0.5 over about 0.12-0.88 (90%); above 3 nearly
    # every draw is 0 or 1.
    spread: float = schema.number(1.0, 0.0, 10.0, typical=(0.0, 3.0), unit="sd of logit")
    common: float = schema.number(0.5, 0.0, 1.0, typical=(0.0, 1.0),
                                  unit="correlation across allies")
    follow: float = schema.number(0.35, 0.0, 1.0, lo_open=True, typical=(0.05, 1.0),
                                  unit="fraction of the gap to intent closed a year")


Table: type[Commitment] = Commitment


class CommitmentArrays(NamedTuple):
    """The per-ally terms (allies,), engine order; ``remaining`` (years,)."""

    location: np.ndarray  # logit of credibility
    spread: np.ndarray
    common: np.ndarray
    keep: np.ndarray  # 1 - follow
    follow: np.ndarray
    target: np.ndarray  # H, % of GDP
    start: np.ndarray  # int64: first year index after the plan (1 without one)
    remaining: np.ndarray  # (years,) max(1, T - t + 1): years left to close the gap
    coef: np.ndarray  # (years, allies) the budget's expected growth since its reference year
    ref: np.ndarray  # (years, allies) int64: the year index whose GDP the budget was set on


class CommitmentDraws(NamedTuple):
    kappa: np.ndarray  # (draws, allies) credibility in (0, 1)


class CommitmentNormals(NamedTuple):
    """A block's standard normals behind the credibilities: a function of their shape only,
    so runs that share their random numbers share them (:class:`sim.montecarlo.SharedDraws`)."""

    factor: np.ndarray  # (draws,) the alliance-wide factor
    own: np.ndarray  # (draws, allies) each ally's own normal


def arrays(scenario: Any) -> CommitmentArrays | None:
    """The terms of a resolved scenario, None when no ally has commitment enabled; an ally
    with it off never leaves its plan or SPEC 3.2 path (its start lies past the horizon)."""
    allies = scenario.allies
    tables = [getattr(ally, KEY) for ally in allies]
    if not any(table.enabled for table in tables):
        return None
    # Only where each plan ends: laying the plans out is plans.arrays' work.
    ends = plans.plan_ends(scenario)
    years = len(scenario.years)
    start = np.ones(len(allies), dtype=np.int64) if ends is None else ends + 1
    start = np.where([table.enabled for table in tables], start, years)
    credibility = np.array([table.credibility for table in tables], dtype=float)  # (allies,)
    follow = np.array([table.follow for table in tables], dtype=float)  # (allies,)
    goal = scenario.goal.year - scenario.base_year
    coef, ref = _budgets(allies, scenario.base_year, years)
    return CommitmentArrays(
        location=np.log(credibility / (1.0 - credibility)),
        spread=np.array([table.spread for table in tables], dtype=float),
        common=np.array([table.common for table in tables], dtype=float),
        keep=1.0 - follow,
        follow=follow,
        target=np.array([ally.policy.target for ally in allies], dtype=float),
        start=start.astype(np.int64),
        remaining=np.maximum(1.0, goal - np.arange(years) + 1.0),
        coef=coef,
        ref=ref,
    )


#: Every ally's budget terms stacked before, by what they are made of (:func:`_budgets`): a
#: sweep's variants stack the same terms again. Emptied when full. Never written into.
_BUDGETS = Kept(1024)


def _budgets(allies: Any, base_year: int, years: int) -> tuple[np.ndarray, np.ndarray]:
    """``coef`` and ``ref`` (years, allies) of every ally's :func:`plans.budget_terms`, as
    copies of those stacked before from the same lags, growth and inflation (by ``repr``, which
    tells -0.0 from 0.0) and years."""
    def stacked() -> tuple[np.ndarray, np.ndarray]:
        budgets = [plans.budget_terms(ally, base_year, years) for ally in allies]
        return (np.column_stack([coef for coef, _ in budgets]),  # (years, allies)
                np.column_stack([ref for _, ref in budgets]).astype(np.int64))  # (years, allies)

    kept = _BUDGETS.made(stacked, (base_year, years, *(
        (repr(getattr(ally, plans.KEY).lag), repr(plans.forecast_growth(ally, base_year)),
         repr(ally.growth.inflation)) for ally in allies)))
    # Copies: the caller's arrays are its own.
    return kept[0].copy(), kept[1].copy()


def sample(terms: CommitmentArrays, rng: np.random.Generator, steps: int, draws: int,
           workspace: Workspace | None = None) -> CommitmentDraws:
    """One block's credibilities: :func:`normals` through :func:`from_normals`.

    With a ``workspace``, drawn and made in its arrays (the same numbers: a generator fills an
    array in order, given or new), valid until its next block: new arrays each block cost the
    run ~3 ms of fresh pages a block of 4,096 draws.
    """
    drawn = normals(rng, steps, draws, terms.location.size, workspace)
    if workspace is None:
        return from_normals(terms, drawn)
    shape = drawn.own.shape  # (draws, allies)
    return from_normals(terms, drawn, CommitmentDraws(workspace.array("commitment.kappa", shape)),
                        workspace.array("commitment.scratch", shape))


def normals(rng: np.random.Generator, steps: int, draws: int, allies: int,
            workspace: Workspace | None = None) -> CommitmentNormals:
    """One block's normals: the common factor (draws,), then each ally's own normal (draws,
    allies), in that order for reproducibility; into ``workspace``'s arrays when given (the
    same numbers), valid until its next block."""
    if workspace is None:
        return CommitmentNormals(rng.standard_normal(draws), rng.standard_normal((draws, allies)))
    drawn = CommitmentNormals(workspace.array("commitment.factor", (draws,)),
                              workspace.array("commitment.own", (draws, allies)))
    for out in drawn:
        rng.standard_normal(out=out)
    return drawn


#: The terms :func:`from_normals` reads: runs whose terms agree on these make the same
#: credibilities of the same normals (:class:`sim.montecarlo.SharedDraws` keeps them).
FROM_NORMALS_TERMS = ("location", "spread", "common")


def from_normals(terms: CommitmentArrays, drawn: CommitmentNormals,
                 into: CommitmentDraws | None = None,
                 scratch: np.ndarray | None = None) -> CommitmentDraws:
    """The credibilities the run's terms make of a block's normals,
    ``expit(location + spread * (sqrt(common) * factor + sqrt(1 - common) * own))``, written
    into the arrays of ``into`` when given (of the same shape), with ``scratch`` (draws, allies)
    for the common factor's part when given; the logistic is NumPy's (its last bit depends on
    the maths library, so it is not recomputed in compiled code)."""
    # In place in one array, each step the same operation on the same numbers as the formula
    # (a sum or product of two numbers is the same in either order).
    kappa = np.multiply(drawn.own, np.sqrt(1.0 - terms.common),  # (draws, allies)
                        out=None if into is None else into.kappa)
    kappa += np.multiply(drawn.factor[:, None], np.sqrt(terms.common), out=scratch)
    kappa *= terms.spread
    kappa += terms.location
    np.negative(kappa, out=kappa)
    np.exp(kappa, out=kappa)
    kappa += 1.0
    np.divide(1.0, kappa, out=kappa)
    return CommitmentDraws(kappa)


# --- the reference step (NumPy, whole arrays: sim.spending.reference) --------------------------


def reference_intent(terms: CommitmentArrays, drawn: CommitmentDraws, intent: np.ndarray,
                     stress: np.ndarray, t: int) -> np.ndarray:
    """Year ``t``'s commitment intent ``q[t]`` from ``q[t-1]`` (``intent``), (draws, allies)."""
    gap = np.maximum(terms.target - intent, 0.0)
    step = drawn.kappa * gap
    step = step * (1.0 - stress)
    step = step / terms.remaining[t]
    return intent + step


def reference_spent(terms: CommitmentArrays, intent: np.ndarray, gdp: np.ndarray,
                    t: int) -> np.ndarray:
    """The share the year's budget for ``intent`` (draws, allies) buys of the GDP realised,
    from the (years, draws, allies) GDP paths."""
    allies = np.arange(terms.target.size)
    return intent * terms.coef[t] * (gdp[terms.ref[t], :, allies].T / gdp[t])


# --- the compiled step (compiled by sim.spending.kernels with its options) ---------------------


class CommitmentTerms(NamedTuple):
    """What the compiled step reads, C-ordered, as made here; the kernel tiles ``keep``,
    ``follow``, ``target``, ``start`` and ``coef`` to a chunk of draws before the step reads
    them."""

    keep: np.ndarray  # (allies,)
    follow: np.ndarray  # (allies,)
    target: np.ndarray  # (allies,)
    start: np.ndarray  # (allies,) int64
    remaining: np.ndarray  # (years,)
    coef: np.ndarray  # (years, allies)
    ref: np.ndarray  # (years, allies) int64
    kappa: np.ndarray  # (draws * allies,) flat draw-major rows


def compiled_terms(terms: CommitmentArrays | None,
                   drawn: CommitmentDraws | None) -> CommitmentTerms:
    """The compiled step's record; empty arrays when the mechanism is off."""
    if terms is None or drawn is None:
        none = np.empty(0)
        table = np.empty((0, 0))
        return CommitmentTerms(none, none, none, np.empty(0, dtype=np.int64), none, table,
                               np.empty((0, 0), dtype=np.int64), none)
    return CommitmentTerms(
        np.ascontiguousarray(terms.keep, dtype=float),
        np.ascontiguousarray(terms.follow, dtype=float),
        np.ascontiguousarray(terms.target, dtype=float),
        np.ascontiguousarray(terms.start, dtype=np.int64),
        np.ascontiguousarray(terms.remaining, dtype=float),
        np.ascontiguousarray(terms.coef, dtype=float),
        np.ascontiguousarray(terms.ref, dtype=np.int64),
        np.ascontiguousarray(drawn.kappa, dtype=float).reshape(-1))


def compiled_step(terms: CommitmentTerms, t: int, first: int, n_draws: int, gdp: np.ndarray,
                  ratio: np.ndarray, stress: np.ndarray, intent: np.ndarray, keep: np.ndarray,
                  pull: np.ndarray, scratch: np.ndarray) -> None:
    """:func:`reference_intent` and :func:`reference_spent` for draws ``first`` to ``first +
    n_draws`` of year ``t``, for the allies past their plan: updates ``intent`` and sets
    ``keep`` and ``pull``, flat (n_draws * allies,) draw-major rows; ``gdp`` is the block's
    (years, draws * allies) GDP and ``ratio`` the chunk's ``Y[t-1]/Y[t]``. ``terms`` are tiled
    to a chunk of draws (``keep``, ``follow``, ``target``, ``start`` and ``coef``'s rows; each
    per-ally term repeated draw after draw, as the kernel tiles its own), so that the step is
    one flat loop of selects rather than branches, which the compiler turns into vector
    instructions; ``scratch`` (chunk * allies,) holds ``Y[ref]/Y[t]`` where a budget was set
    other than a year ahead."""
    allies = terms.ref.shape[1]
    n = n_draws * allies
    low = first * allies
    remaining = terms.remaining[t]
    coef = terms.coef[t]
    # Y[ref]/Y[t]: the chunk's ratio where every budget was set a year ahead (as with lag 1)
    lagged = True
    for a in range(allies):
        lagged = lagged and terms.ref[t, a] == t - 1
    growth = ratio
    if not lagged:
        growth = scratch
        for a in range(allies):
            ref = terms.ref[t, a]
            for d in range(n_draws):
                k = d * allies + a
                growth[k] = ratio[k] if ref == t - 1 else gdp[ref, low + k] / gdp[t, low + k]
    for k in range(n):
        q = intent[k]
        gap = terms.target[k] - q
        gap = 0.0 if gap < 0.0 else gap
        step = terms.kappa[low + k] * gap
        step = step * (1.0 - stress[k])
        step = step / remaining
        q = q + step
        spent = q * coef[k] * growth[k]
        past = t >= terms.start[k]
        intent[k] = q if past else intent[k]
        keep[k] = terms.keep[k] if past else keep[k]
        pull[k] = terms.follow[k] * spent if past else pull[k]
