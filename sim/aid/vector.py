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
order k of the queue has received ``clip(P - (units ahead of it), 0, its units)``. A pool that
buys whenever it can has bought ``floor(money received / package)`` packages by each month's end.
"""

from __future__ import annotations

import numpy as np

from sim.aid.conditions import resolve_both
from sim.aid.outcome import AidOutcome
from sim.aid.sampling import AidDraws
from sim.scenario.aid import AidModel


def simulate(model: AidModel, draws: AidDraws) -> AidOutcome:
    """Simulate one block of draws; see the module docstring for the rules."""
    n_draws, n_pledges = draws.honoured.shape
    months, n_pools, n_items = model.months, len(model.pools), len(model.items)
    rows = np.arange(n_draws)
    greatest, least = resolve_both(model, draws)
    chosen = greatest if model.resolution == "greatest" else least
    active = chosen.fired & draws.honoured  # (draws, pledges)
    start = np.array([p.start for p in model.pledges], dtype=np.int64)  # (pledges,)
    paid = start + draws.lag_months  # (draws, pledges)

    pledge_delivered = np.zeros((n_draws, n_pledges))  # (draws, pledges) USD

    # Working arrays are month-major, (months, ..., draws): a running sum or minimum over the
    # months is then one vector operation per month, about ten times faster at this size than
    # accumulating along a short last axis. Month ``months`` is an overflow row for whatever
    # falls after the last month; it is dropped.
    into_pool = [j for j, p in enumerate(model.pledges) if p.pool is not None]
    pool_of = np.array([model.pledges[j].pool for j in into_pool], dtype=np.int64)
    where = (np.minimum(paid[:, into_pool], months) * n_pools + pool_of) * n_draws + rows[:, None]
    # Each bincount reads its pieces pledge by pledge (``.T``), so that consecutive pieces land
    # on neighbouring draws of one month: cache-friendly writes.
    pool_in = np.bincount(
        where.T.ravel(), weights=np.where(active[:, into_pool], chosen.pledged_usd[:, into_pool],
                                          0.0).T.ravel(),
        minlength=(months + 1) * n_pools * n_draws,
    ).reshape(months + 1, n_pools, n_draws)[:months]  # (months, pools, draws) USD received

    # Money delivered as money: ``spread`` equal parts from the payment month. Each pledge adds
    # its part to the monthly rate at its first month and takes it off after its last; a
    # running sum over the months gives the schedule.
    as_money = [j for j, p in enumerate(model.pledges) if p.pool is None and p.item is None]
    spread = np.array([model.pledges[j].spread for j in as_money], dtype=np.int64)
    part = np.where(active[:, as_money], chosen.pledged_usd[:, as_money] / spread,
                    0.0)  # (draws, money pledges)
    first = paid[:, as_money]  # (draws, money pledges)
    pledge_delivered[:, as_money] = part * np.clip(months - first, 0, spread)
    cash_change = [(np.minimum(first, months) * n_draws + rows[:, None], part),
                   (np.minimum(first + spread, months) * n_draws + rows[:, None], -part)]

    # Orders for each item's production line: (ready month, units) columns, in queue-tie order.
    orders: list[list[tuple[np.ndarray, np.ndarray, int]]] = [[] for _ in model.items]
    for j, p in enumerate(model.pledges):
        if p.item is not None:
            orders[p.item].append((np.where(active[:, j], paid[:, j], months),
                                   np.where(active[:, j], chosen.units[:, j], 0), j))

    pool_packages = np.zeros((n_draws, n_pools, months), dtype=np.int64)  # the result's layout
    packages = pool_packages.transpose(2, 1, 0)  # (months, pools, draws) view written through
    spent = np.zeros((n_draws, n_pools))  # (draws, pools) USD
    pool_delivered = np.zeros((n_draws, n_pools))  # (draws, pools) USD
    for i, pool in enumerate(model.pools):
        lag = draws.pool_lag_months[:, i]  # (draws,)
        per_package = (0 if pool.item is None
                       else int(pool.package_usd // model.items[pool.item].unit_cost_usd))
        # Buying whenever the balance allows, a pool has bought floor(received / package)
        # packages by the end of each month: no month-by-month balance is needed.
        bought_by = _running_sum(pool_in[:, i])  # (months, draws) USD received so far
        bought_by /= pool.package_usd
        np.floor(bought_by, out=bought_by)  # packages bought so far
        packages[0, i] = bought_by[0]
        np.subtract(bought_by[1:], bought_by[:-1], out=packages[1:, i], casting="unsafe")
        spent[:, i] = bought_by[-1] * pool.package_usd
        if pool.item is None:
            # Purchases are few: each is money for one month, ``lag`` months after buying.
            month, draw = np.nonzero(packages[:, i])
            usd = packages[month, i, draw] * pool.package_usd
            arrives = np.minimum(month + lag[draw], months)
            np.add.at(pool_delivered[:, i], draw[arrives < months], usd[arrives < months])
            cash_change.append((arrives * n_draws + draw, usd))
            cash_change.append((np.minimum(arrives + 1, months) * n_draws + draw, -usd))
        else:
            for m in range(months):
                # A pool's orders are numbered -1 - pool, apart from the pledges' 0, 1...
                orders[pool.item].append((m + lag, packages[m, i] * per_package, -1 - i))

    changes = np.bincount(np.concatenate([w.T.ravel() for w, _ in cash_change]),
                          weights=np.concatenate([u.T.ravel() for _, u in cash_change]),
                          minlength=(months + 1) * n_draws).reshape(months + 1, n_draws)
    cash = _running_sum(changes[:months])  # (months, draws) USD
    delivered_units = np.zeros((n_draws, n_items, months), dtype=np.int64)  # result's layout
    units = delivered_units.transpose(2, 1, 0)  # (months, items, draws) view written through
    for i, item in enumerate(model.items):
        if not orders[i]:
            continue
        ready = np.stack([o[0] for o in orders[i]], axis=1)  # (draws, orders)
        ordered = np.stack([o[1] for o in orders[i]], axis=1).astype(np.int64)  # (draws, orders)
        # Queue position: by ready month, ties in the order the orders were listed.
        ahead = _units_ahead(ready * len(orders[i]) + np.arange(len(orders[i])),
                             ordered)  # (draws, orders)
        # A[m], units ordered by the end of month m: a running sum of what arrives each month.
        arrived = _running_sum(np.bincount(
            (np.minimum(ready, months) * n_draws + rows[:, None]).T.ravel(),
            weights=ordered.T.ravel(), minlength=(months + 1) * n_draws,
        ).reshape(months + 1, n_draws)[:months])  # (months, draws); whole numbers, exact
        produced = np.empty_like(arrived)  # (months, draws) P[m]
        previous = np.zeros(n_draws)  # (draws,) P[m-1]
        for m in range(months):
            previous = np.minimum(previous + item.capacity_in(m), arrived[m], out=produced[m])
        units[0, i] = produced[0]
        np.subtract(produced[1:], produced[:-1], out=units[1:, i], casting="unsafe")
        made = produced[-1].astype(np.int64)[:, None]  # (draws, 1)
        by_order = np.clip(made - ahead, 0, ordered)  # (draws, orders) received
        for column, (_, _, j) in enumerate(orders[i]):
            if j >= 0:
                pledge_delivered[:, j] = by_order[:, column] * item.unit_cost_usd
            else:
                pool_delivered[:, -1 - j] += by_order[:, column] * item.unit_cost_usd

    return AidOutcome(
        fired=chosen.fired,
        fired_greatest=greatest.fired,
        fired_least=least.fired,
        pledged_usd=chosen.pledged_usd,
        paid_month=np.where(active, paid, -1),
        delivered_units=delivered_units,
        delivered_cash_usd=np.ascontiguousarray(cash.T),
        pledge_delivered_usd=pledge_delivered,
        pool_in_usd=pool_in.sum(axis=0).T,
        pool_spent_usd=spent,
        pool_packages=pool_packages,
        pool_delivered_usd=pool_delivered,
        # Sums over the short pledges axis as products: far faster than .sum(axis=1) here.
        coordination_gap_usd=(greatest.pledged_usd - least.pledged_usd) @ np.ones(n_pledges),
    )


def _units_ahead(key: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Units queued ahead of each order: those of orders with a smaller ``key``. (draws, orders)

    A few orders are compared pairwise, one vector operation per pair; many are sorted.
    """
    n_orders = key.shape[1]
    if n_orders <= 8:
        ahead = np.zeros_like(ordered)  # (draws, orders)
        for k in range(n_orders):
            for other in range(n_orders):
                if other != k:
                    ahead[:, k] += np.where(key[:, other] < key[:, k], ordered[:, other], 0)
        return ahead
    queue = np.argsort(key, axis=1, kind="stable")  # (draws, orders)
    in_queue = np.take_along_axis(ordered, queue, axis=1)  # (draws, orders)
    ahead = np.empty_like(ordered)
    np.put_along_axis(ahead, queue, np.cumsum(in_queue, axis=1) - in_queue, axis=1)
    return ahead


def _running_sum(monthly: np.ndarray) -> np.ndarray:
    """Running sum over the first (months) axis, as floats: one vector addition per month."""
    total = np.array(monthly, dtype=float)  # (months, ...)
    for m in range(1, len(total)):
        total[m] += total[m - 1]
    return total
