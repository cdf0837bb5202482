"""The vectorized aid engine: every draw of a block at once, month by month, in NumPy.

Given a block's :class:`~sim.aid.sampling.AidDraws` it produces the same delivery schedule as the
event engine, by the same rules (SPEC 3.3):

1. conditional pledges are resolved as a fixed point (:mod:`~sim.aid.conditions`);
2. a fired pledge the donor honours is paid ``lag`` months after it takes effect (its month, or
   its deadline if conditional);
3. money without an item is delivered in ``spread`` equal monthly parts from then; money into a
   pool is received by the pool; units of an item join that item's production queue;
4. at each month a pool buys as many packages as its balance allows; a package is delivered
   (or joins its item's queue) ``pool lag`` months later;
5. a production line delivers at most its capacity each month, first come first served: by the
   month an order is ready, ties broken by pledge order, pool packages after pledges.

First come first served at monthly resolution is a fluid queue: units produced by the end of
month m are ``P[m] = min(P[m-1] + capacity[m], A[m])``, A[m] the units ordered by month m, and
order k of the queue has received ``clip(P - (units ahead of it), 0, its units)``.
"""

from __future__ import annotations

import numpy as np

from .conditions import resolve
from .model import AidModel
from .outcome import AidOutcome
from .sampling import AidDraws


def simulate(model: AidModel, draws: AidDraws) -> AidOutcome:
    """Simulate one block of draws; see the module docstring for the rules."""
    n_draws, n_pledges = draws.honoured.shape
    months, n_pools, n_items = model.months, len(model.pools), len(model.items)
    rows = np.arange(n_draws)
    greatest = resolve(model, draws, "greatest")
    least = resolve(model, draws, "least")
    chosen = greatest if model.resolution == "greatest" else least
    active = chosen.fired & draws.honoured  # (draws, pledges)
    start = np.array([p.start for p in model.pledges], dtype=np.int64)  # (pledges,)
    paid = start + draws.lag_months  # (draws, pledges)

    cash = np.zeros((n_draws, months))  # (draws, months) USD
    pledge_delivered = np.zeros((n_draws, n_pledges))  # (draws, pledges) USD
    pool_in = np.zeros((n_draws, n_pools, months))  # (draws, pools, months) USD
    # Orders for each item's production line: (ready month, units) columns, in queue-tie order.
    orders: list[list[tuple[np.ndarray, np.ndarray, int]]] = [[] for _ in model.items]
    for j, p in enumerate(model.pledges):
        if p.pool is not None:
            on_time = active[:, j] & (paid[:, j] < months)
            pool_in[rows[on_time], p.pool, paid[on_time, j]] += chosen.pledged_usd[on_time, j]
        elif p.item is not None:
            orders[p.item].append((np.where(active[:, j], paid[:, j], months),
                                   np.where(active[:, j], chosen.units[:, j], 0), j))
        else:
            part = chosen.pledged_usd[:, j] / p.spread  # (draws,)
            for k in range(p.spread):
                month = paid[:, j] + k  # (draws,)
                on_time = active[:, j] & (month < months)
                cash[rows[on_time], month[on_time]] += part[on_time]
                pledge_delivered[on_time, j] += part[on_time]

    packages = np.zeros((n_draws, n_pools, months), dtype=np.int64)  # (draws, pools, months)
    spent = np.zeros((n_draws, n_pools))  # (draws, pools) USD
    for i, pool in enumerate(model.pools):
        balance = np.zeros(n_draws)  # (draws,) USD
        lag = draws.pool_lag_months[:, i]  # (draws,)
        per_package = (0 if pool.item is None
                       else int(pool.package_usd // model.items[pool.item].unit_cost_usd))
        for m in range(months):
            balance += pool_in[:, i, m]
            bought = np.floor(balance / pool.package_usd).astype(np.int64)  # (draws,)
            balance -= bought * pool.package_usd
            spent[:, i] += bought * pool.package_usd
            packages[:, i, m] = bought
            if pool.item is None:
                on_time = (bought > 0) & (m + lag < months)
                cash[rows[on_time], (m + lag)[on_time]] += bought[on_time] * pool.package_usd
        if pool.item is not None:
            for m in range(months):
                orders[pool.item].append((m + lag, packages[:, i, m] * per_package, -1))

    units = np.zeros((n_draws, n_items, months), dtype=np.int64)  # (draws, items, months)
    for i, item in enumerate(model.items):
        if not orders[i]:
            continue
        ready = np.stack([o[0] for o in orders[i]], axis=1)  # (draws, orders)
        ordered = np.stack([o[1] for o in orders[i]], axis=1).astype(np.int64)  # (draws, orders)
        # Queue position: by ready month, ties in the order the orders were listed.
        queue = np.argsort(ready * len(orders[i]) + np.arange(len(orders[i])), axis=1,
                           kind="stable")  # (draws, orders)
        ordered_in_queue = np.take_along_axis(ordered, queue, axis=1)  # (draws, orders)
        ahead = np.cumsum(ordered_in_queue, axis=1) - ordered_in_queue  # (draws, orders)
        produced = np.zeros(n_draws, dtype=np.int64)  # (draws,) P[m]
        for m in range(months):
            arrived = (ordered * (ready <= m)).sum(axis=1)  # (draws,) A[m]
            now = np.minimum(produced + item.capacity_in(m), arrived)
            units[:, i, m] = now - produced
            produced = now
        received = np.clip(produced[:, None] - ahead, 0, ordered_in_queue)  # (draws, orders)
        by_order = np.empty_like(received)
        np.put_along_axis(by_order, queue, received, axis=1)
        for column, (_, _, j) in enumerate(orders[i]):
            if j >= 0:
                pledge_delivered[:, j] = by_order[:, column] * item.unit_cost_usd

    return AidOutcome(
        fired=chosen.fired,
        fired_greatest=greatest.fired,
        fired_least=least.fired,
        pledged_usd=chosen.pledged_usd,
        paid_month=np.where(active, paid, -1),
        delivered_units=units,
        delivered_cash_usd=cash,
        pledge_delivered_usd=pledge_delivered,
        pool_in_usd=pool_in.sum(axis=2),
        pool_spent_usd=spent,
        pool_packages=packages,
        coordination_gap_usd=greatest.pledged_usd.sum(axis=1) - least.pledged_usd.sum(axis=1),
    )
