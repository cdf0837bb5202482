"""Estimates from counts: a probability with its 95% Wilson interval, quantiles of histograms.

The statistics every tally shares (:mod:`sim.spending.tally` and :mod:`sim.aid.tally` count;
:mod:`sim.results` and :class:`sim.aid.tally.AidTally` read the counts through these), kept apart
from both so that neither stage imports the other.
"""

from __future__ import annotations

import math
from typing import Any, SupportsInt

import attrs
import numpy as np


@attrs.frozen
class Probability:
    """An estimated probability: ``successes`` of ``trials`` draws, with a 95% Wilson interval."""

    p: float
    ci95: tuple[float, float]
    successes: int
    trials: int

    @classmethod
    def from_counts(cls, successes: SupportsInt, trials: SupportsInt) -> Probability:
        """From counts: Python or NumPy integers, or a tally's 0-d count arrays."""
        successes, trials = int(successes), int(trials)
        return cls(successes / trials, wilson_interval(successes, trials), successes, trials)

    def as_dict(self) -> dict[str, Any]:
        return {"p": self.p, "ci95": list(self.ci95)}


#: The standard normal's 97.5% quantile, ``scipy.stats.norm.ppf(0.975)``.
_Z95 = 1.959963984540054


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a binomial proportion (no continuity correction).

    The closed form that ``scipy.stats.binomtest(...).proportion_ci(method="wilson")`` gives
    (the tests hold them equal), without the exact test ``binomtest`` also computes, which cost
    more than a whole small run.
    """
    z2 = _Z95 * _Z95
    centre = (successes + z2 / 2) / (trials + z2)
    half = _Z95 * math.sqrt(successes * (trials - successes) / trials + z2 / 4) / (trials + z2)
    # The interval holds the estimate exactly; rounding can leave a bound a hair short of it
    # (29 successes in 29 trials gave an upper bound of 1 - 2**-53).
    estimate = successes / trials
    return max(0.0, min(centre - half, estimate)), min(1.0, max(centre + half, estimate))


def histogram_quantiles(counts: np.ndarray, bounds: tuple[np.ndarray, np.ndarray],
                        q: float) -> np.ndarray:
    """The ``q`` quantile of binned data, interpolating linearly inside the bin (any leading dims).

    ``bounds`` holds each bin's lower and upper value; a zero-width bin (the "no shortfall"
    point mass) yields its value exactly, and a quantile in a bin without an upper bound (shares
    of 20% of GDP and above) is ``inf``: above the histogram's range, its value unknown.
    """
    cumulative = counts.cumsum(axis=-1)
    total = cumulative[..., -1:]
    target = q * total
    index = (cumulative < target).sum(axis=-1, keepdims=True)
    index = np.minimum(index, counts.shape[-1] - 1)
    below = np.where(index > 0, np.take_along_axis(cumulative, np.maximum(index - 1, 0), -1), 0)
    inside = np.take_along_axis(counts, index, -1)
    fraction = np.divide(target - below, inside, out=np.zeros(target.shape), where=inside > 0)
    low, high = bounds[0][index], bounds[1][index]
    bounded = np.isfinite(high)
    width = np.where(bounded, high - low, 0.0)  # no inf - low, nor 0 * inf, to warn about
    return np.where(bounded, low + np.clip(fraction, 0.0, 1.0) * width, np.inf)[..., 0]
