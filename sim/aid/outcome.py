"""What an aid engine returns: the delivery schedule of a block of draws, month by month.

Both engines (:mod:`~sim.aid.vector` and :mod:`~sim.aid.event`) return an :class:`AidOutcome`
with the same arrays, so that they can be compared number for number and tallied alike. Items
are counted in whole units, so their schedules agree exactly; money is in USD.
"""

from __future__ import annotations

import attrs
import numpy as np

from sim.scenario.aid import AidModel


@attrs.frozen(eq=False)
class AidOutcome:
    """A block's aid flows. ``months`` run from January of ``AidModel.first_year``."""

    fired: np.ndarray  # (draws, pledges) bool: condition held, under the scenario's resolution
    fired_greatest: np.ndarray  # (draws, pledges) bool
    fired_least: np.ndarray  # (draws, pledges) bool
    pledged_usd: np.ndarray  # (draws, pledges) value of fired pledges (matching: as matched)
    paid_month: np.ndarray  # (draws, pledges) int: month the donor pays; -1 if it never does
    delivered_units: np.ndarray  # (draws, items, months) int64 units off the production lines
    delivered_cash_usd: np.ndarray  # (draws, months) money and pool packages without an item
    pledge_delivered_usd: np.ndarray  # (draws, pledges) delivered within the months simulated
    pool_in_usd: np.ndarray  # (draws, pools) contributions received
    pool_spent_usd: np.ndarray  # (draws, pools) spent on packages
    pool_packages: np.ndarray  # (draws, pools, months) int64 packages bought each month
    pool_delivered_usd: np.ndarray  # (draws, pools) value of the pools' packages delivered
    coordination_gap_usd: np.ndarray  # (draws,) pledged under greatest minus under least

    @property
    def draws(self) -> int:
        return self.fired.shape[0]

    def delivered_usd(self, model: AidModel) -> np.ndarray:
        """Value delivered each month, USD. Shape (draws, months)."""
        cost = np.array([item.unit_cost_usd for item in model.items])  # (items,)
        return self.delivered_cash_usd + np.einsum("dim,i->dm", self.delivered_units, cost)

    def delivered_by_year(self, model: AidModel) -> np.ndarray:
        """Value delivered in each needs year, USD. Shape (draws, years)."""
        monthly = self.delivered_usd(model)  # (draws, months)
        years = monthly.reshape(self.draws, -1, 12).sum(axis=2)  # (draws, all years simulated)
        first = model.needs[0].year - model.first_year
        return years[:, first:]

    def delivered_by_pledge(self, model: AidModel) -> np.ndarray:
        """USD each pledge delivered within the months simulated, money paid into a pool
        included: the pool's deliveries shared among its contributions by what each paid in.
        Shape (draws, pledges)."""
        delivered = self.pledge_delivered_usd.copy()  # (draws, pledges)
        paid = (self.paid_month >= 0) & (self.paid_month < model.months)  # (draws, pledges)
        for j, pledge in enumerate(model.pledges):
            if pledge.pool is None:
                continue
            into = self.pool_in_usd[:, pledge.pool]  # (draws,)
            share = np.divide(np.where(paid[:, j], self.pledged_usd[:, j], 0.0), into,
                              out=np.zeros(self.draws), where=into > 0)
            delivered[:, j] = share * self.pool_delivered_usd[:, pledge.pool]
        return delivered

    def pool_balance_usd(self) -> np.ndarray:
        """Money left in each pool at the end, USD. Shape (draws, pools)."""
        return self.pool_in_usd - self.pool_spent_usd
