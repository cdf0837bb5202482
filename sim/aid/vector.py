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

from .conditions import resolve_both
from .model import AidModel
from .outcome import AidOutcome
from .sampling import AidDraws


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

    # Money into pools: summed by one bincount over (draw, pool, month); a payment after the
    # last month goes to an overflow month that is dropped.
    into_pool = [j for j, p in enumerate(model.pledges) if p.pool is not None]
    pool_of = np.array([model.pledges[j].pool for j in into_pool], dtype=np.int64)
    where = (rows[:, None] * n_pools + pool_of) * (months + 1) + np.minimum(
        paid[:, into_pool], months)  # (draws, pool pledges)
    pool_in = np.bincount(
        where.ravel(), weights=np.where(active[:, into_pool], chosen.pledged_usd[:, into_pool],
                                        0.0).ravel(),
        minlength=n_draws * n_pools * (months + 1),
    ).reshape(n_draws, n_pools, months + 1)[:, :, :months]  # (draws, pools, months) USD

    # Money delivered as money: ``spread`` equal parts from the payment month. Each pledge adds
    # its part at its first month and takes it off after its last, and a running sum over the
    # months gives the schedule; the overflow column collects what falls after the last month.
    as_money = [j for j, p in enumerate(model.pledges) if p.pool is None and p.item is None]
    spread = np.array([model.pledges[j].spread for j in as_money], dtype=np.int64)
    part = np.where(active[:, as_money], chosen.pledged_usd[:, as_money] / spread,
                    0.0)  # (draws, money pledges)
    first = paid[:, as_money]  # (draws, money pledges)
    pledge_delivered[:, as_money] = part * np.clip(months - first, 0, spread)
    row_start = rows[:, None] * (months + 1)
    cash_change = [(row_start + np.minimum(first, months), part),
                   (row_start + np.minimum(first + spread, months), -part)]

    # Orders for each item's production line: (ready month, units) columns, in queue-tie order.
    orders: list[list[tuple[np.ndarray, np.ndarray, int]]] = [[] for _ in model.items]
    for j, p in enumerate(model.pledges):
        if p.item is not None:
            orders[p.item].append((np.where(active[:, j], paid[:, j], months),
                                   np.where(active[:, j], chosen.units[:, j], 0), j))

    packages = np.zeros((n_draws, n_pools, months), dtype=np.int64)  # (draws, pools, months)
    spent = np.zeros((n_draws, n_pools))  # (draws, pools) USD
    for i, pool in enumerate(model.pools):
        lag = draws.pool_lag_months[:, i]  # (draws,)
        per_package = (0 if pool.item is None
                       else int(pool.package_usd // model.items[pool.item].unit_cost_usd))
        # Buying whenever the balance allows, a pool has bought floor(received / package)
        # packages by the end of each month: no month-by-month balance is needed.
        # In place throughout: at this size, fresh arrays cost more than the arithmetic.
        bought_by = np.cumsum(pool_in[:, i], axis=1, dtype=float)  # (draws, months) USD so far
        bought_by /= pool.package_usd
        np.floor(bought_by, out=bought_by)  # packages bought so far, whole numbers
        packages[:, i, 0] = bought_by[:, 0]
        np.subtract(bought_by[:, 1:], bought_by[:, :-1], out=packages[:, i, 1:],
                    casting="unsafe")
        spent[:, i] = bought_by[:, -1] * pool.package_usd
        if pool.item is None:
            # Purchases are few: each is money for one month, ``lag`` months after buying.
            draw, month = np.nonzero(packages[:, i])
            usd = packages[draw, i, month] * pool.package_usd
            arrives = np.minimum(month + lag[draw], months)
            cash_change.append((draw * (months + 1) + arrives, usd))
            cash_change.append((draw * (months + 1) + np.minimum(arrives + 1, months), -usd))
        else:
            for m in range(months):
                orders[pool.item].append((m + lag, packages[:, i, m] * per_package, -1))

    changes = np.bincount(np.concatenate([w.ravel() for w, _ in cash_change]),
                          weights=np.concatenate([u.ravel() for _, u in cash_change]),
                          minlength=n_draws * (months + 1)).reshape(n_draws, months + 1)
    cash = np.cumsum(changes[:, :months], axis=1, dtype=float)  # (draws, months) USD
    units = np.zeros((n_draws, n_items, months), dtype=np.int64)  # (draws, items, months)
    for i, item in enumerate(model.items):
        if not orders[i]:
            continue
        ready = np.stack([o[0] for o in orders[i]], axis=1)  # (draws, orders)
        ordered = np.stack([o[1] for o in orders[i]], axis=1).astype(np.int64)  # (draws, orders)
        # Queue position: by ready month, ties in the order the orders were listed.
        queue = (np.zeros((n_draws, 1), dtype=np.intp) if len(orders[i]) == 1 else
                 np.argsort(ready * len(orders[i]) + np.arange(len(orders[i])), axis=1,
                            kind="stable"))  # (draws, orders)
        ordered_in_queue = np.take_along_axis(ordered, queue, axis=1)  # (draws, orders)
        ahead = np.cumsum(ordered_in_queue, axis=1) - ordered_in_queue  # (draws, orders)
        # A[m], units ordered by the end of month m: a running sum of what arrives each month.
        arriving = np.bincount(
            (rows[:, None] * (months + 1) + np.minimum(ready, months)).ravel(),
            weights=ordered.ravel(), minlength=n_draws * (months + 1),
        ).reshape(n_draws, months + 1)[:, :months]  # (draws, months)
        # P[m] = min(P[m-1] + capacity[m], A[m]) unrolls to
        # P[m] = C[m] + min(0, min over j <= m of (A[j] - C[j])), C the cumulative capacity.
        # Whole numbers are exact in float64; in place for speed, as for the pools.
        built = np.cumsum([item.capacity_in(m) for m in range(months)])  # (months,) C[m]
        produced = np.cumsum(arriving, axis=1, dtype=float)  # (draws, months) A[m]
        produced -= built
        np.minimum.accumulate(produced, axis=1, out=produced)
        np.minimum(produced, 0.0, out=produced)
        produced += built  # (draws, months) P[m]
        units[:, i, 0] = produced[:, 0]
        np.subtract(produced[:, 1:], produced[:, :-1], out=units[:, i, 1:], casting="unsafe")
        made = produced[:, -1:].astype(np.int64)  # (draws, 1)
        received = np.clip(made - ahead, 0, ordered_in_queue)  # (draws, orders)
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

