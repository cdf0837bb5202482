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

from sim.aid.sampling import AidDraws
from sim.scenario.aid import AidModel


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
    return _Conditions(model, draws).resolve(resolution)


def resolve_both(model: AidModel, draws: AidDraws) -> tuple[Resolution, Resolution]:
    """The greatest and the least fixed points, sharing the work that does not depend on them."""
    conditions = _Conditions(model, draws)
    greatest = conditions.resolve("greatest")
    # When no condition counts a conditional pledge, one step from any start is the fixed
    # point: the greatest and the least are the same.
    if not any(mask.any() for mask in conditions.counted_conditional):
        return greatest, greatest
    return greatest, conditions.resolve("least")


class _Conditions:
    """The conditional pledges of one block, with everything the fixed point iterates on.

    Unconditional pledges always fire, so what they add to each condition's total is computed
    once; the iteration only revisits the C conditional pledges.
    """

    def __init__(self, model: AidModel, draws: AidDraws) -> None:
        pledges = model.pledges
        self.model, self.draws = model, draws
        # What each pledge is worth if it fires, in each draw: its line's USD, as delivered.
        self.base_usd = draws.value_usd  # (draws, pledges)
        self.base_units = draws.units  # (draws, pledges) int64
        self.conditional = [j for j, p in enumerate(pledges) if p.condition is not None]
        cond = self.conditional
        start = np.array([p.start for p in pledges])  # (pledges,)
        arrival = start + draws.lag_months  # (draws, pledges) month the money is paid
        matching = {j for j in cond if model.condition_of(j).kind == "matching"}
        honoured = draws.honoured  # (draws, pledges)
        unconditional = np.array([p.condition is None for p in pledges])  # (pledges,)
        # For each conditional pledge c: which pledges its condition counts — (pledges,) or, for
        # pools, (draws, pledges) since arrival depends on the lag — the part of its total the
        # unconditional pledges give, (draws,), and the mask over the conditional ones.
        self.counted_conditional: list[np.ndarray] = []
        self.fixed_total: list[np.ndarray] = []
        for c in cond:
            p, condition = pledges[c], model.condition_of(c)
            if condition.kind == "pool_at_least":
                into = np.array([q.pool == condition.pool for q in pledges])  # (pledges,)
                counted = into & (arrival <= condition.deadline)  # (draws, pledges)
                fixed = into & unconditional  # (pledges,)
                self.fixed_total.append(np.einsum(
                    "dp,dp->d", honoured[:, fixed] & counted[:, fixed],
                    self.base_usd[:, fixed]))
                self.counted_conditional.append(counted[:, cond])  # (draws, C)
                continue
            counted = np.array([q.donor != p.donor and q.program == condition.program
                                and q.month <= condition.deadline
                                and not (condition.kind == "matching" and j in matching)
                                for j, q in enumerate(pledges)])  # (pledges,)
            fixed = counted & unconditional  # (pledges,)
            # Whole units are exact in float64, so one product serves units and USD.
            base = self.base_units if condition.unit == "units" else self.base_usd
            self.fixed_total.append(np.einsum("dp,dp->d", honoured[:, fixed],
                                              base[:, fixed].astype(float)))
            self.counted_conditional.append(counted[cond])  # (C,)
        self.honoured = honoured[:, cond]  # (draws, C)

    def worth(self, fired: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """USD and units of the fired conditional pledges (draws, C); matching as matched."""
        model, cond = self.model, self.conditional
        usd = np.where(fired, self.base_usd[:, cond], 0.0)  # (draws, C)
        units = np.where(fired, self.base_units[:, cond], 0)  # (draws, C)
        for k, c in enumerate(cond):
            p, condition = model.pledges[c], model.condition_of(c)
            if condition.kind != "matching":
                continue
            # Matching counts non-matching pledges only, whose worth does not depend on it.
            given = self._total(k, usd, units)  # (draws,)
            if condition.unit == "units":
                assert p.item is not None  # matching in units: a pledge of an item's units
                matched = np.minimum(np.floor(condition.ratio * given).astype(np.int64),
                                     self.base_units[:, c])  # (draws,)
                units[:, k] = np.where(fired[:, k], matched, 0)
                usd[:, k] = units[:, k] * model.items[p.item].unit_cost_usd
            else:
                usd[:, k] = np.where(fired[:, k],
                                     np.minimum(condition.ratio * given, self.base_usd[:, c]),
                                     0.0)
                if p.item is not None:
                    units[:, k] = (usd[:, k] // model.items[p.item].unit_cost_usd).astype(
                        np.int64)
        return usd, units

    def _total(self, k: int, usd: np.ndarray, units: np.ndarray) -> np.ndarray:
        """What conditional pledge k's condition counts, given the conditional pledges' worth."""
        condition = self.model.condition_of(self.conditional[k])
        amount = units if condition.unit == "units" else usd
        given = np.where(self.honoured, amount, 0)  # (draws, C)
        counted = self.counted_conditional[k]
        if counted.ndim == 2:
            return self.fixed_total[k] + (given * counted).sum(axis=1)
        return self.fixed_total[k] + given @ counted

    def step(self, fired: np.ndarray) -> np.ndarray:
        usd, units = self.worth(fired)
        holds = np.empty_like(fired)  # (draws, C)
        for k, c in enumerate(self.conditional):
            condition = self.model.condition_of(c)
            total = self._total(k, usd, units)
            holds[:, k] = total > 0 if condition.kind == "matching" else \
                total >= condition.threshold
        return holds

    def resolve(self, resolution: str) -> Resolution:
        n_draws, n_pledges = self.draws.honoured.shape
        cond = self.conditional
        fired = np.full((n_draws, len(cond)), resolution == "greatest")  # (draws, C)
        # Monotone: each step before the fixed point changes at least one pledge in some draw.
        for _ in range(len(cond) + 1):
            following = self.step(fired)
            if np.array_equal(following, fired):
                break
            fired = following
        usd, units = self.worth(fired)
        all_fired = np.ones((n_draws, n_pledges), dtype=bool)  # (draws, pledges)
        all_fired[:, cond] = fired
        pledged_usd = self.base_usd.copy()  # (draws, pledges)
        pledged_usd[:, cond] = usd
        all_units = self.base_units.copy()  # (draws, pledges)
        all_units[:, cond] = units
        return Resolution(fired=all_fired, pledged_usd=pledged_usd, units=all_units)
