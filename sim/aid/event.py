"""The event aid engine: one draw on SimPy, the readable reference with a full event trace.

Processes, in the planner's terms: a **donor** process per pledge (waits for the pledge month or
its condition's deadline, follows through or not, waits out the contracting lag, pays), a
**deadline** process per conditional pledge (reports whether its condition held), a **pool**
process per money pool (buys packages when it holds enough), a **package** process per purchase
(waits the pool's lag) and a **production line** process per item (delivers up to its monthly
capacity, first come first served). Within a month, payments come first (time ``m``), pool
purchases next (``m + 0.5``), production last (``m + 0.9``), which is the order the vectorized
engine assumes. No process draws a random number: the draw's randomness is sampled beforehand
(:mod:`~sim.aid.sampling`), which is what lets both engines see exactly the same inputs.

Conditions are resolved by :mod:`~sim.aid.conditions` — the fixed point is a property of all
pledges together, not of one moment — and the deadline processes report the outcome. Fed the
same :class:`~sim.aid.sampling.AidDraws`, this engine and :mod:`~sim.aid.vector` give the same
:class:`~sim.aid.outcome.AidOutcome`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import attrs
import numpy as np
import simpy

from sim.aid.conditions import Resolution, resolve
from sim.aid.outcome import AidOutcome
from sim.aid.sampling import AidDraws
from sim.scenario.aid import AidModel, Pledge

POOL_PHASE = 0.5  # pools buy after the month's payments have arrived
PRODUCTION_PHASE = 0.9  # lines produce after the month's orders and packages are in


@attrs.define
class Order:
    """Units waiting for a production line."""

    ready: int  # month the order joined the queue
    tie: int  # queue order among orders ready the same month
    units: int
    pledge: int | None  # index of the pledge, None for a pool package
    label: str
    remaining: int = 0
    pool: int | None = None  # index of the pool, for a pool package


@attrs.define
class State:
    """One draw's mutable state, shared by the processes."""

    model: AidModel
    draws: AidDraws  # a block of one draw
    chosen: Resolution
    queues: list[list[Order]]
    cash: np.ndarray  # (months,) USD
    units: np.ndarray  # (items, months)
    pledge_delivered: np.ndarray  # (pledges,) USD
    pool_in: np.ndarray  # (pools, months) USD
    packages: np.ndarray  # (pools, months)
    spent: np.ndarray  # (pools,) USD
    pool_delivered: np.ndarray  # (pools,) USD of packages delivered
    trace: list[str] | None

    def log(self, env: simpy.Environment, text: str) -> None:
        if self.trace is not None:
            self.trace.append(f"{self.model.month_label(int(env.now))}  {text}")


def _usd(value: float) -> str:
    return f"${value / 1e6:,.1f}m" if value < 1e9 else f"${value / 1e9:,.2f}bn"


def donor(env: simpy.Environment, state: State, j: int) -> Generator[Any, Any, None]:
    """A donor's pledge: effect, follow-through, contracting lag, payment, delivery."""
    model, pledge = state.model, state.model.pledges[j]
    yield env.timeout(pledge.start)
    if pledge.condition is None:
        state.log(env, f"pledge {pledge.id}: {pledge.donor} pledges {_describe(model, pledge)} "
                       f"({pledge.channel}, {pledge.program})")
    if not state.chosen.fired[0, j]:
        return
    if not state.draws.honoured[0, j]:
        state.log(env, f"pledge {pledge.id}: {pledge.donor} does not follow through")
        return
    lag = int(state.draws.lag_months[0, j])
    yield env.timeout(lag)
    usd = float(state.chosen.pledged_usd[0, j])
    # Partial delivery: the share of the pledge that arrives, where it differs from the whole.
    share = (f" ({usd / pledge.usd:.0%} of the pledge)"
             if pledge.usd > 0 and abs(usd - pledge.usd) > 1e-9 * pledge.usd else "")
    state.log(env, f"pledge {pledge.id}: {pledge.donor} pays {_usd(usd)}{share} after a "
                   f"{lag}-month contracting lag")
    months = model.months
    if pledge.pool is not None:
        state.pool_in[pledge.pool, int(env.now)] += usd
        state.log(env, f"pool {model.pools[pledge.pool].name} receives {_usd(usd)} from "
                       f"{pledge.donor}")
    elif pledge.item is not None:
        units = int(state.chosen.units[0, j])
        state.queues[pledge.item].append(Order(int(env.now), j, units, j, pledge.id, units))
        state.log(env, f"pledge {pledge.id}: {units} units of {model.items[pledge.item].name} "
                       "ordered")
    else:
        part = usd / pledge.spread
        for k in range(pledge.spread):
            if int(env.now) >= months:
                return
            state.cash[int(env.now)] += part
            state.pledge_delivered[j] += part
            state.log(env, f"pledge {pledge.id}: {_usd(part)} delivered"
                           + (f" (part {k + 1} of {pledge.spread})" if pledge.spread > 1 else ""))
            yield env.timeout(1)


def deadline(env: simpy.Environment, state: State, j: int) -> Generator[Any, Any, None]:
    """Report at a conditional pledge's deadline whether its condition held."""
    pledge, cond = state.model.pledges[j], state.model.condition_of(j)
    yield env.timeout(cond.deadline)
    verdict = "holds: the pledge fires" if state.chosen.fired[0, j] else "fails: no pledge"
    if cond.kind == "pool_at_least":
        assert cond.pool is not None  # a pool_at_least condition names its pool
        what = f"pool {state.model.pools[cond.pool].name} holds at least {_usd(cond.threshold)}"
    elif cond.kind == "matching":
        what = f"others pledge to {cond.program} (matched x{cond.ratio:g})"
    else:
        what = f"others' pledges to {cond.program} reach {cond.threshold:g} {cond.unit}"
    state.log(env, f"deadline {pledge.id}: {pledge.donor} pledged {_describe(state.model, pledge)}"
                   f" if {what}; condition {verdict} ({state.model.resolution} fixed point)")


def pool(env: simpy.Environment, state: State, i: int) -> Generator[Any, Any, None]:
    """A money pool: each month, buy as many packages as the balance allows."""
    model, spec = state.model, state.model.pools[i]
    received, bought_before = 0.0, 0
    yield env.timeout(POOL_PHASE)
    for m in range(model.months):
        received += state.pool_in[i, m]
        # Packages bought so far, floor(received / package): the balance never reaches one more.
        bought = int(np.floor(received / spec.package_usd)) - bought_before
        bought_before += bought
        if bought:
            state.spent[i] += bought * spec.package_usd
            state.packages[i, m] = bought
            balance = received - bought_before * spec.package_usd
            state.log(env, f"pool {spec.name} buys {bought} package(s) of "
                           f"{_usd(spec.package_usd)}; balance {_usd(balance)}")
            env.process(package(env, state, i, m, bought))
        yield env.timeout(1)


def package(env: simpy.Environment, state: State, i: int, month: int,
            bought: int) -> Generator[Any, Any, None]:
    """Packages bought by a pool: after the pool's lag, delivered or queued for production."""
    model, spec = state.model, state.model.pools[i]
    lag = int(state.draws.pool_lag_months[0, i])
    yield env.timeout(lag)
    ready = month + lag
    if ready >= model.months:
        return
    if spec.item is None:
        state.cash[ready] += bought * spec.package_usd
        state.pool_delivered[i] += bought * spec.package_usd
        state.log(env, f"pool {spec.name}: {bought} package(s) delivered, "
                       f"{_usd(bought * spec.package_usd)}")
    else:
        units = bought * int(spec.package_usd // model.items[spec.item].unit_cost_usd)
        tie = len(model.pledges) + i * model.months + month
        state.queues[spec.item].append(
            Order(ready, tie, units, None, f"{spec.name} package", units, i))
        state.log(env, f"pool {spec.name}: {units} units of {model.items[spec.item].name} "
                       "ordered")


def production_line(env: simpy.Environment, state: State, i: int) -> Generator[Any, Any, None]:
    """An item's production line: up to capacity each month, first come first served."""
    model, item = state.model, state.model.items[i]
    yield env.timeout(PRODUCTION_PHASE)
    for m in range(model.months):
        capacity = item.capacity_in(m)
        queue = state.queues[i]
        queue.sort(key=lambda order: (order.ready, order.tie))
        for order in queue:
            if capacity == 0:
                break
            if order.remaining == 0:
                continue
            made = min(order.remaining, capacity)
            order.remaining -= made
            capacity -= made
            state.units[i, m] += made
            if order.pledge is not None:
                state.pledge_delivered[order.pledge] += made * item.unit_cost_usd
            if order.pool is not None:
                state.pool_delivered[order.pool] += made * item.unit_cost_usd
            state.log(env, f"line {item.name}: {made} delivered for {order.label}"
                           + (f" ({order.remaining} to go)" if order.remaining else ""))
        state.queues[i] = [order for order in queue if order.remaining]
        yield env.timeout(1)


def _describe(model: AidModel, pledge: Pledge) -> str:
    line = pledge.line
    if line is not None and line.kind != "usd":
        what = {"share_of_gdp": f"{line.value:.4f}% of its {line.year} GDP",
                "share_of_defence": f"{line.value:.3f}% of its {line.year} core defence spending",
                "grown": f"{_usd(line.value)} of {line.year} grown with its GDP"}[line.kind]
        return f"its {line.to_year} budget line, {what}"
    if pledge.item is not None and pledge.amount is None:
        return f"{pledge.quantity} units of {model.items[pledge.item].name}"
    written = f"{pledge.currency} {pledge.amount:,.0f}" if pledge.currency != "USD" else ""
    return _usd(pledge.usd) + (f" ({written})" if written else "")


def readable(model: AidModel, trace: list[str], donor: str | None = None) -> list[str]:
    """A trace for reading: a heading at each new year when it spans several, and with
    ``donor`` only that donor's events (its pledges, payments and deliveries)."""
    if donor is not None:
        ids = [p.id for p in model.pledges if p.donor == donor]
        marks = (*(f"pledge {i}:" for i in ids), *(f"for {i}" for i in ids), f"from {donor}")
        trace = [line for line in trace if any(mark in line for mark in marks)]
    if model.months <= 12:
        return trace
    out, year = [], None
    for line in trace:
        if line[:4] != year:
            year = line[:4]
            out.append(f"--- {year} ---")
        out.append(line)
    return out


def simulate(model: AidModel, draws: AidDraws, *,
             trace: list[str] | None = None) -> AidOutcome:
    """Simulate every draw of ``draws`` one at a time; append the event log to ``trace``."""
    outcomes = [_simulate_one(model, draws.draw(k), trace) for k in range(draws.draws)]
    return AidOutcome(*(np.concatenate([getattr(o, f.name) for o in outcomes])
                        for f in attrs.fields(AidOutcome)))


def _simulate_one(model: AidModel, draw: AidDraws, trace: list[str] | None) -> AidOutcome:
    greatest = resolve(model, draw, "greatest")
    least = resolve(model, draw, "least")
    months, n_pledges = model.months, len(model.pledges)
    state = State(
        model=model, draws=draw, chosen=greatest if model.resolution == "greatest" else least,
        queues=[[] for _ in model.items], cash=np.zeros(months),
        units=np.zeros((len(model.items), months), dtype=np.int64),
        pledge_delivered=np.zeros(n_pledges), pool_in=np.zeros((len(model.pools), months)),
        packages=np.zeros((len(model.pools), months), dtype=np.int64),
        spent=np.zeros(len(model.pools)), pool_delivered=np.zeros(len(model.pools)),
        trace=trace,
    )
    env = simpy.Environment()
    for j, pledge in enumerate(model.pledges):
        env.process(donor(env, state, j))
        if pledge.condition is not None:
            env.process(deadline(env, state, j))
    for i in range(len(model.pools)):
        env.process(pool(env, state, i))
    for i in range(len(model.items)):
        env.process(production_line(env, state, i))
    env.run(until=months)
    start = np.array([p.start for p in model.pledges])
    active = state.chosen.fired[0] & draw.honoured[0]
    return AidOutcome(
        fired=state.chosen.fired,
        fired_greatest=greatest.fired,
        fired_least=least.fired,
        pledged_usd=state.chosen.pledged_usd,
        paid_month=np.where(active, start + draw.lag_months[0], -1)[None],
        delivered_units=state.units[None],
        delivered_cash_usd=state.cash[None],
        pledge_delivered_usd=state.pledge_delivered[None],
        pool_in_usd=state.pool_in.sum(axis=1)[None],
        pool_spent_usd=state.spent[None],
        pool_packages=state.packages[None],
        pool_delivered_usd=state.pool_delivered[None],
        coordination_gap_usd=(greatest.pledged_usd.sum(axis=1) - least.pledged_usd.sum(axis=1)),
    )
