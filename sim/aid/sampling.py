"""The aid model's random inputs for one block of draws, drawn from the aid's own generator.

Everything random in the aid model is drawn here, in a fixed order, so that the event engine and
the vectorized engine can be fed exactly the same numbers: whether each pledge is honoured
(Bernoulli with the donor's reliability), each pledge's contracting lag and each pool's
purchase-to-delivery lag (triangular, rounded to whole months), each year's need, and the
fraction of each honoured pledge that arrives (a Beta per pledge with the donor's mean; none
drawn for a donor whose mean is 1 or 0).

A budget line's worth comes from the same block's spending paths: a share of the donor's
simulated GDP or core defence spending, or a published amount grown with its nominal GDP. So the
aid budgets move with growth and with the spending scenario, draw by draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from sim.scenario.aid import AidModel, Lag

if TYPE_CHECKING:
    from sim.spending.engine import Paths
    from sim.spending.inputs import ModelInputs


@attrs.frozen(eq=False)
class AidDraws:
    """One block's sampled aid inputs."""

    honoured: np.ndarray  # (draws, pledges) bool: the donor follows through
    lag_months: np.ndarray  # (draws, pledges) int: contracting lag
    pool_lag_months: np.ndarray  # (draws, pools) int: purchase to delivery or production queue
    needs_usd: np.ndarray  # (draws, years) Ukraine's need each calendar year
    value_usd: np.ndarray  # (draws, pledges) what an honoured pledge is worth: its line's USD
    # in the draw times the fraction delivered
    units: np.ndarray  # (draws, pledges) int64 units of the pledge's item an honoured pledge gives

    @property
    def draws(self) -> int:
        return self.honoured.shape[0]

    def draw(self, k: int) -> AidDraws:
        """Draw ``k`` alone, as a block of one (what the event engine runs)."""
        return AidDraws(*(getattr(self, f.name)[k:k + 1] for f in attrs.fields(AidDraws)))


def _lags(lags: list[Lag], rng: np.random.Generator, draws: int) -> np.ndarray:
    """Whole-month lags, triangular per column; fixed lags consume no randomness."""
    out = np.zeros((draws, len(lags)), dtype=np.int64)  # (draws, columns)
    for j, lag in enumerate(lags):
        if lag.low == lag.high:
            out[:, j] = lag.low
        else:
            out[:, j] = np.rint(rng.triangular(lag.low, lag.mode, lag.high, draws))
    return out


def line_usd(model: AidModel, draws: int, inputs: ModelInputs | None = None,
             paths: Paths | None = None) -> np.ndarray:
    """Each pledge's USD in each draw, before delivery: its written value, or its budget line's
    share of the draw's GDP or core spending. Shape (draws, pledges)."""
    usd = np.tile(np.array([p.usd for p in model.pledges], dtype=float),
                  (draws, 1))  # (draws, pledges)
    policy: dict[tuple[str, str, int], list[int]] = {}  # (kind, donor, year): its tranches
    for j, pledge in enumerate(model.pledges):
        line = pledge.line
        if line is None or line.kind == "usd":
            continue
        if line.kind in ("fill", "floor"):
            policy.setdefault((line.kind, pledge.donor, line.year), []).append(j)
            continue
        if inputs is None or paths is None:
            raise ValueError("budget lines that follow GDP need the block's spending paths")
        a = inputs.codes.index(pledge.donor)
        t, to = line.year - inputs.years[0], line.to_year - inputs.years[0]
        gdp = paths.gdp_usd[:, :, a]  # (years, draws) current USD
        if line.kind == "share_of_gdp":
            usd[:, j] = line.value / 100.0 * gdp[t]
        elif line.kind == "share_of_defence":
            usd[:, j] = line.value / 100.0 * paths.core_share[t, :, a] / 100.0 * gdp[t]
        else:  # "grown"
            usd[:, j] = line.value * gdp[to] / gdp[t]
    if policy:
        assert inputs is not None and paths is not None  # policy lines follow GDP
        _policy_lines(model, usd, policy, inputs, paths)
    return usd


def _policy_lines(model: AidModel, usd: np.ndarray,
                  policy: dict[tuple[str, str, int], list[int]], inputs: ModelInputs,
                  paths: Paths) -> None:
    """Fill in the policy options' tranches of ``usd`` (draws, pledges), in place: first
    Europe filling the US gap, then the floor on what each ally then gives."""
    donor = np.array([p.donor for p in model.pledges])  # (pledges,)
    line_year = np.array([-1 if p.line is None else p.line.to_year
                          for p in model.pledges])  # (pledges,)

    def given(code: str, year: int) -> np.ndarray:
        """What ``code``'s lines give in ``year`` so far, USD. (draws,)"""
        return usd[:, (donor == code) & (line_year == year)].sum(axis=1)

    def gdp(code: str, year: int) -> np.ndarray:
        return paths.gdp_usd[year - inputs.years[0], :, inputs.codes.index(code)]  # (draws,)

    def share(tranches: list[int]) -> float:
        """The option's share of GDP, % (every tranche of it carries the same)."""
        line = model.pledges[tranches[0]].line
        assert line is not None  # a policy tranche is a line
        return line.value

    fills = {(code, year): tranches for (kind, code, year), tranches in policy.items()
             if kind == "fill"}
    for year in sorted({year for _, year in fills}):
        gap = np.maximum(model.us_reference_usd - given("USA", year), 0.0)  # (draws,)
        fillers = [code for code, y in fills if y == year]
        europe_gdp = sum(gdp(code, year) for code in fillers)  # (draws,)
        for code in fillers:
            tranches = fills[code, year]
            cap = share(tranches) / 100.0 * gdp(code, year)  # (draws,)
            part = np.minimum(gap * gdp(code, year) / europe_gdp, cap)  # (draws,)
            usd[:, tranches] = (part / len(tranches))[:, None]
    for (kind, code, year), tranches in policy.items():
        if kind != "floor":
            continue
        floor = share(tranches) / 100.0 * gdp(code, year)  # (draws,)
        usd[:, tranches] = 0.0
        usd[:, tranches] = (np.maximum(floor - given(code, year), 0.0) / len(tranches))[:, None]


def sample_aid(model: AidModel, rng: np.random.Generator, draws: int,
               inputs: ModelInputs | None = None, paths: Paths | None = None) -> AidDraws:
    """Draw one block's aid inputs; the order of the draws is part of reproducibility.

    ``inputs`` and ``paths`` (the same block's spending) are needed when a budget line follows
    the donor's GDP or defence budget.
    """
    reliability = np.array([model.donor_of(p).reliability for p in model.pledges])  # (pledges,)
    honoured = rng.random((draws, len(model.pledges))) < reliability  # (draws, pledges)
    lag_months = _lags([model.donor_of(p).lag for p in model.pledges], rng, draws)
    pool_lag_months = _lags([pool.lag for pool in model.pools], rng, draws)
    mean = np.array([n.mean_usd for n in model.needs])  # (years,)
    sd = np.array([n.sd_usd for n in model.needs])  # (years,)
    needs_usd = np.maximum(mean + sd * rng.standard_normal((draws, len(model.needs))), 0.0)
    for y, need in enumerate(model.needs):
        if need.triangle is not None:
            low, mode, high = need.triangle
            needs_usd[:, y] = low if low == high else rng.triangular(low, mode, high, draws)
    fraction = np.ones((draws, len(model.pledges)))  # (draws, pledges)
    for j, pledge in enumerate(model.pledges):
        donor = model.donor_of(pledge)
        if pledge.pool is not None:
            continue  # money paid into a pool up front: what degrades is what it can buy
        if 0.0 < donor.delivered < 1.0:
            c = donor.concentration
            fraction[:, j] = rng.beta(donor.delivered * c, (1.0 - donor.delivered) * c, draws)
        elif donor.delivered == 0.0:
            fraction[:, j] = 0.0
    value_usd = line_usd(model, draws, inputs, paths)  # (draws, pledges)
    value_usd *= fraction
    units = np.zeros((draws, len(model.pledges)), dtype=np.int64)  # (draws, pledges)
    for j, pledge in enumerate(model.pledges):
        if pledge.item is None:
            continue
        cost = model.items[pledge.item].unit_cost_usd
        if pledge.amount is None:  # a quantity of units: whole units of it arrive
            units[:, j] = np.floor(pledge.quantity * fraction[:, j] + 1e-9)
            value_usd[:, j] = units[:, j] * cost
        else:  # money for an item: as many whole units as the money buys
            units[:, j] = np.floor_divide(value_usd[:, j], cost)
    return AidDraws(honoured=honoured, lag_months=lag_months, pool_lag_months=pool_lag_months,
                    needs_usd=needs_usd, value_usd=value_usd, units=units)
