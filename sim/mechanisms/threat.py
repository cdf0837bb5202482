"""Threat events: rare alliance-wide jumps in intended core spending (``[defaults.shocks]``).

The first mechanism (:mod:`sim.mechanisms`), and the example the README's "Adding a
mechanism" walks. Off unless a scenario enables them. In a year with an event, an ally's intended
core share rises for good by ``size`` pp of GDP, and its core share rises at once by a jump
``size + spread*v`` rather than by ``adjustment`` of the rise in intent, then is floored. One
uniform number per year and draw is shared by all allies: an ally sees an event when it falls
below its ``rate``, so with equal rates every ally sees the same events.

In the model's terms (SPEC 3.2 with ``a`` the core adjustment), year ``t`` of a draw:

    new[i]    = 1 if u[t] < rate[i] else 0;   events[i] += new[i]
    c[i]      = max(c[i]*(1 - a) + a*p[t] + events[i]*(a*size) + z*noise, floor)
    c[i]      = max(c[i] + (v[i,t]*spread + size*(1 - a))*new[i], floor)

This module declares the table (:class:`ThreatEvents`), lays it out as arrays
(:func:`arrays`), draws from its own stream (:data:`STREAM`, :func:`sample`), and supplies the
reference step (:func:`reference_step`, whole NumPy arrays) and the compiled step
(:func:`compiled_step`, a loop that :mod:`sim.spending.kernels` compiles with Numba). It imports
neither Numba nor the engine: the scenario loader reads its table.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs
import numpy as np

from sim import schema
from sim.data.threats import frontline_flags
from sim.schema import POINTS
from sim.workspace import Workspace

#: The mechanism's name in the engine, and its table's key under ``[defaults]`` and
#: ``[allies.X]`` in a scenario file (the user's interface: it stays ``shocks``).
NAME, KEY = "threat", "shocks"
#: Its generator for block ``b`` is ``SeedSequence(seed, spawn_key=(b, STREAM))``: apart from the
#: spending model's ``(b,)`` and aid's ``(b, 1)``, so turning it on changes no other number.
STREAM: int | None = 2
#: Its draws depend on their shape only (years, draws, allies), never on the terms' values, so
#: runs of one seed that share their random numbers share these too
#: (:class:`sim.montecarlo.SharedDraws`); a mechanism without the flag draws for every run.
SHAPE_ONLY_DRAWS = True


@attrs.frozen
class ThreatEvents:
    """Threat events: rare alliance-wide jumps in intended core spending (``[defaults.shocks]``).

    Off unless ``enabled``. In a year with an event, the ally's intended core share rises for
    good by ``size`` pp of GDP (``size * (1 + exposure)`` for an ally bordering Russia), and
    its actual core share rises that year by a jump, normal with that mean and sd ``spread``
    (the jump's own part fades at the adjustment speed). One
    uniform number per year and draw is shared by all allies: an ally reacts when it falls below
    its ``rate``, so with equal rates every ally sees the same events. Calibrated from 2014-2026
    history (see :mod:`sim.calibration.fit`).
    """

    enabled: bool = schema.boolean(False)
    # Fitted 0.23 a year (2014 and 2022 in 13 years); one event every two years is more than
    # NATO has seen in any decade since 1949.
    rate: float = schema.number(0.0, 0.0, 1.0, typical=(0.0, 0.5), unit="events a year")
    # For an ally not on the frontline; a frontline ally's is size * (1 + exposure). Fitted
    # 0.33 pp (mean) and 0.43 pp (sd across allies); 2 pp per event is six times that.
    size: float = schema.number(0.0, 0.0, 10.0, typical=(0.0, 2.0), unit=POINTS)
    spread: float = schema.number(0.0, 0.0, 10.0, typical=(0.0, 2.0), unit=POINTS)
    # A frontline ally's (a land border with Russia: calibration/data/frontline.csv) extra
    # rise per event, as a fraction of size; fitted 1.2 on 2014-2026. No effect elsewhere.
    exposure: float = schema.number(0.0, 0.0, 20.0, typical=(0.0, 5.0), unit="fraction")


#: The scenario table the loader adds under ``[defaults]`` and ``[allies.X]`` as :data:`KEY`.
Table: type[ThreatEvents] = ThreatEvents


class ThreatArrays(NamedTuple):
    """The mechanism's per-ally terms (allies,), in the engine's ally order."""

    rate: np.ndarray  # events a year
    pull: np.ndarray  # adjustment * size: pp of GDP each event so far adds to the pull
    jump_size: np.ndarray  # size * (1 - adjustment): pp of GDP the event year adds at once
    spread: np.ndarray  # pp of GDP, sd of the jump


class ThreatDraws(NamedTuple):
    """One block's draws from the mechanism's stream, year-major."""

    uniform: np.ndarray  # (steps, draws) decides the events
    jump: np.ndarray  # (steps, draws, allies) standard normals of each ally's jump


def arrays(scenario: Any) -> ThreatArrays | None:
    """The terms of a resolved scenario, None when no ally has threat events enabled (off: the
    engine skips the mechanism). The speed at which an event's rise in intent passes into
    spending is the ally's ``commitment.follow`` where commitment is on, else its
    ``policy.adjustment``."""
    allies = scenario.allies
    tables = [getattr(ally, KEY) for ally in allies]
    if not any(table.enabled for table in tables):
        return None
    adjustment = np.array([ally.commitment.follow if ally.commitment.enabled
                           else ally.policy.adjustment for ally in allies])  # (allies,)
    frontline = frontline_flags([ally.code for ally in allies])  # (allies,) 1 or 0
    size = np.array([table.size * (1.0 + table.exposure * front)
                     for table, front in zip(tables, frontline, strict=True)])  # (allies,)
    return ThreatArrays(
        rate=np.array([table.rate if table.enabled else 0.0 for table in tables], dtype=float),
        pull=adjustment * size,  # the adjustment's share of a rise in intent
        jump_size=size * (1.0 - adjustment),  # the rest, at once
        spread=np.array([table.spread for table in tables], dtype=float),
    )


def sample(terms: ThreatArrays, rng: np.random.Generator, steps: int, draws: int,
           workspace: Workspace | None = None) -> ThreatDraws:
    """One block's draws; the order of the two calls is fixed for reproducibility.

    With a ``workspace``, drawn into its arrays (the same numbers: a generator fills an array in
    order, given or new), valid until its next block.
    """
    allies = terms.rate.size
    if workspace is None:
        return ThreatDraws(rng.random((steps, draws)), rng.standard_normal((steps, draws, allies)))
    uniform = workspace.array("threat.uniform", (steps, draws))
    jump = workspace.array("threat.jump", (steps, draws, allies))
    rng.random(out=uniform)
    rng.standard_normal(out=jump)
    return ThreatDraws(uniform, jump)


# --- the reference step (NumPy, whole arrays: sim.spending.reference) --------------------------


def reference_start(terms: ThreatArrays, draws: int) -> dict[str, np.ndarray]:
    """The state carried from year to year: events so far, (draws, allies)."""
    return {"events": np.zeros((draws, terms.rate.size))}


def reference_step(state: dict[str, np.ndarray], terms: ThreatArrays, drawn: ThreatDraws,
                   t: int) -> tuple[np.ndarray, np.ndarray]:
    """Year ``t``'s contribution to the core share, (draws, allies) each: what the events so
    far add to the pull toward intent, and the jump added after the floor."""
    new = (drawn.uniform[t - 1][:, None] < terms.rate).astype(float)
    state["events"] = state["events"] + new
    raised = state["events"] * terms.pull
    jump = (drawn.jump[t - 1] * terms.spread + terms.jump_size) * new
    return raised, jump


# --- the compiled step (compiled by sim.spending.kernels with its options) ---------------------


class ThreatTerms(NamedTuple):
    """What the compiled step reads: the per-ally terms and the block's draws, C-ordered."""

    rate: np.ndarray  # (allies,)
    pull: np.ndarray  # (allies,)
    jump_size: np.ndarray  # (allies,)
    spread: np.ndarray  # (allies,)
    uniform: np.ndarray  # (steps, draws)
    jump: np.ndarray  # (steps, draws * allies) flat draw-major rows of every ally


def compiled_terms(terms: ThreatArrays | None, drawn: ThreatDraws | None) -> ThreatTerms:
    """The compiled step's record; empty arrays when the mechanism is off."""
    if terms is None or drawn is None:
        none = np.empty(0)
        return ThreatTerms(none, none, none, none, np.empty((0, 0)), np.empty((0, 0)))
    steps, draws, allies = drawn.jump.shape
    rate, pull, jump_size, spread = (np.ascontiguousarray(array, dtype=float) for array in terms)
    return ThreatTerms(rate, pull, jump_size, spread,
                       np.ascontiguousarray(drawn.uniform, dtype=float),
                       np.ascontiguousarray(drawn.jump, dtype=float).reshape(steps,
                                                                             draws * allies))


def compiled_step(terms: ThreatTerms, t: int, first: int, n_draws: int, events: np.ndarray,
                  raised: np.ndarray, jump: np.ndarray) -> None:
    """:func:`reference_step` for draws ``first`` to ``first + n_draws`` of year ``t``, one
    operation at a time: adds this year's events to ``events`` and fills ``raised`` and
    ``jump``, flat (n_draws * allies,) draw-major rows of every ally."""
    allies = terms.rate.size
    low = first * allies
    for d in range(n_draws):
        uniform = terms.uniform[t - 1, first + d]
        for a in range(allies):
            k = d * allies + a
            new = 1.0 if uniform < terms.rate[a] else 0.0
            count = events[k] + new
            events[k] = count
            raised[k] = count * terms.pull[a]
            jump[k] = (terms.jump[t - 1, low + k] * terms.spread[a] + terms.jump_size[a]) * new
