"""The aid model's random inputs for one block of draws, drawn from the aid's own generator.

Everything random in the aid model is drawn here, in a fixed order, so that the event engine and
the vectorized engine can be fed exactly the same numbers: whether each pledge is honoured
(Bernoulli with the donor's reliability), each pledge's contracting lag and each pool's
purchase-to-delivery lag (triangular, rounded to whole months), and each year's need.
"""

from __future__ import annotations

import attrs
import numpy as np

from sim.scenario.aid import AidModel, Lag


@attrs.frozen(eq=False)
class AidDraws:
    """One block's sampled aid inputs."""

    honoured: np.ndarray  # (draws, pledges) bool: the donor follows through
    lag_months: np.ndarray  # (draws, pledges) int: contracting lag
    pool_lag_months: np.ndarray  # (draws, pools) int: purchase to delivery or production queue
    needs_usd: np.ndarray  # (draws, years) Ukraine's need each calendar year

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


def sample_aid(model: AidModel, rng: np.random.Generator, draws: int) -> AidDraws:
    """Draw one block's aid inputs; the order of the draws is part of reproducibility."""
    reliability = np.array([model.donor_of(p).reliability for p in model.pledges])  # (pledges,)
    honoured = rng.random((draws, len(model.pledges))) < reliability  # (draws, pledges)
    lag_months = _lags([model.donor_of(p).lag for p in model.pledges], rng, draws)
    pool_lag_months = _lags([pool.lag for pool in model.pools], rng, draws)
    mean = np.array([n.mean_usd for n in model.needs])  # (years,)
    sd = np.array([n.sd_usd for n in model.needs])  # (years,)
    needs_usd = np.maximum(mean + sd * rng.standard_normal((draws, len(model.needs))), 0.0)
    return AidDraws(honoured=honoured, lag_months=lag_months, pool_lag_months=pool_lag_months,
                    needs_usd=needs_usd)
