"""Conditional pledges resolved as a fixed point, for every draw of a block at once.

A conditional pledge fires when its condition holds at its deadline, and conditions can rest on
one another (Germany's interceptors wait for thirty from others; another donor may wait for
Germany). Firing is monotone: the more pledges fire, the larger every total a condition looks
at. So the conditions define a monotone map on sets of fired pledges, and by Knaster–Tarski it
has a greatest and a least fixed point:

- ``greatest``: start from "everything fires" and drop what cannot hold, until stable — every
  pledge that can consistently fire does (the coordinated outcome; a two-pledge cycle fires);
- ``least``: start from "nothing conditional fires" and add what holds, until stable — only what
  fires without anyone relying on another conditional pledge (a two-pledge cycle does not).

What a condition counts, in the planner's terms:

- ``others_total_at_least``: other donors' pledges to the program made by the deadline, that
  fire and are honoured, in units of items or in USD, reach ``threshold``;
- ``pool_at_least``: the money the pool has received by the deadline (contributions that fire,
  are honoured and have passed their contracting lag) reaches ``threshold`` USD;
- ``matching``: the pledge gives ``ratio`` times other donors' non-matching pledges to the
  program (made by the deadline, fired, honoured), up to its own amount (the cap); it fires when
  there is anything to match. Matching pledges do not match one another, which keeps the amounts
  a function of the fired set.

Each iteration is monotone, so either start reaches its fixed point in at most one step per
conditional pledge.
"""

from __future__ import annotations

import attrs
import numpy as np

from .model import AidModel
from .sampling import AidDraws


@attrs.frozen(eq=False)
class Resolution:
    """Which pledges fire in each draw, and what each is worth if it does."""

    fired: np.ndarray  # (draws, pledges) bool; unconditional pledges always fire
    pledged_usd: np.ndarray  # (draws, pledges) value of fired pledges, 0 if not fired
    units: np.ndarray  # (draws, pledges) int64 units of the pledge's item, 0 if none or not fired


def resolve(model: AidModel, draws: AidDraws, resolution: str) -> Resolution:
    """The ``greatest`` or ``least`` fixed point of the conditions, per draw."""
    if resolution not in ("greatest", "least"):
        raise ValueError(f"resolution must be 'greatest' or 'least', got {resolution!r}")
    pledges = model.pledges
    n_draws, n_pledges = draws.honoured.shape
    unconditional = np.array([p.condition is None for p in pledges])  # (pledges,)
    base_usd = np.array([p.usd for p in pledges])  # (pledges,)
    base_units = np.array([p.quantity for p in pledges], dtype=np.int64)  # (pledges,)
    start = np.array([p.start for p in pledges])  # (pledges,)
    arrival = start + draws.lag_months  # (draws, pledges) month the money is paid
    matching = [i for i, p in enumerate(pledges)
                if p.condition is not None and p.condition.kind == "matching"]
    not_matching = np.ones(n_pledges, dtype=bool)
    not_matching[matching] = False

    # Which pledges each condition counts, apart from whether they fire: (pledges,) masks, and
    # for pools a (draws, pledges) mask since arrival depends on the sampled lag.
    counted: dict[int, np.ndarray] = {}
    for c, p in enumerate(pledges):
        cond = p.condition
        if cond is None:
            continue
        if cond.kind == "pool_at_least":
            counted[c] = (np.array([q.pool == cond.pool for q in pledges])
                          & (arrival <= cond.deadline))
        else:
            counted[c] = np.array([q.donor != p.donor and q.program == cond.program
                                   and q.month <= cond.deadline for q in pledges])
            if cond.kind == "matching":
                counted[c] &= not_matching

    def worth(fired: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """USD and units of every fired pledge, matching amounts computed from the others."""
        usd = np.where(fired, base_usd, 0.0)  # (draws, pledges)
        units = np.where(fired, base_units, 0)  # (draws, pledges)
        given_usd = np.where(draws.honoured, usd, 0.0)  # (draws, pledges) what others count
        given_units = np.where(draws.honoured, units, 0)  # (draws, pledges)
        for m in matching:
            p, cond = pledges[m], pledges[m].condition
            if cond.unit == "units":
                matched = np.minimum(
                    np.floor(cond.ratio * (given_units @ counted[m])).astype(np.int64),
                    p.quantity)  # (draws,)
                units[:, m] = np.where(fired[:, m], matched, 0)
                usd[:, m] = units[:, m] * model.items[p.item].unit_cost_usd
            else:
                matched_usd = np.minimum(cond.ratio * (given_usd @ counted[m]), p.usd)
                usd[:, m] = np.where(fired[:, m], matched_usd, 0.0)
                if p.item is not None:
                    units[:, m] = (usd[:, m] // model.items[p.item].unit_cost_usd).astype(
                        np.int64)
        return usd, units

    def step(fired: np.ndarray) -> np.ndarray:
        usd, units = worth(fired)
        given_usd = np.where(draws.honoured, usd, 0.0)  # (draws, pledges)
        given_units = np.where(draws.honoured, units, 0)  # (draws, pledges)
        holds = np.broadcast_to(unconditional, fired.shape).copy()  # (draws, pledges)
        for c, mask in counted.items():
            cond = pledges[c].condition
            if cond.kind == "pool_at_least":
                holds[:, c] = (given_usd * mask).sum(axis=1) >= cond.threshold
            elif cond.kind == "matching":
                amount = given_units if cond.unit == "units" else given_usd
                holds[:, c] = (amount @ mask) > 0
            else:
                amount = given_units if cond.unit == "units" else given_usd
                holds[:, c] = (amount @ mask) >= cond.threshold
        return holds

    fired = np.full((n_draws, n_pledges), resolution == "greatest")  # (draws, pledges)
    for _ in range(len(counted) + 2):
        following = step(fired)
        if np.array_equal(following, fired):
            break
        fired = following
    usd, units = worth(fired)
    return Resolution(fired=fired, pledged_usd=usd, units=units)
