"""Proper scores of a backtest's forecasts, and the naive forecasts the model must beat.

A forecast of an ally-year core share is scored against the share NATO reports with the
continuous ranked probability score (CRPS, in percentage points of GDP: the mean absolute error
of a point forecast, generalised to a distribution; lower is better) and the interval score of
its central intervals (the width, plus ``2 / alpha`` times any distance by which the actual
falls outside). The scores come from ``scoringrules``, a maintained library; it compiles with
Numba when imported, so it is imported here inside the scoring functions only, never when this
module is.

The baselines are what a planner could forecast with no model at all, each a normal
distribution in closed form (so its CRPS is exact, ``scoringrules.crps_normal``), centred on:

- ``persistence``: the share in the cut-off year, held;
- ``trend``: the cut-off share plus each ally's least-squares slope over the fitted years, per
  year ahead;
- ``pledge``: the Wales pledge kept, a straight line from the cut-off share to 2% in 2024 (in the
  year after the cut-off, for a cut-off at or past 2024), then held; an ally already at 2% holds
  its share.

All three share one spread, a random walk's: the standard deviation of every ally's one-year
changes up to the cut-off, pooled, times the square root of the years ahead.
"""

from __future__ import annotations

from statistics import NormalDist

import attrs
import numpy as np

from sim.calibration.fit import WALES_TARGET, WALES_YEAR

BASELINES = ("persistence", "trend", "pledge")


def crps_draws(actual: np.ndarray, draws: np.ndarray, axis: int) -> np.ndarray:
    """CRPS of the empirical distribution of ``draws`` along ``axis`` at each ``actual``.

    ``actual`` has ``draws``'s shape without ``axis``; the result has ``actual``'s shape, in
    the unit of the values.
    """
    import scoringrules as sr

    return np.asarray(sr.crps_ensemble(actual, draws, m_axis=axis))


def crps_normal(actual: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """CRPS of normal distributions ``N(mean, sd)`` at ``actual`` (closed form), elementwise."""
    import scoringrules as sr

    return np.asarray(sr.crps_normal(actual, mean, sd))


def interval_score(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                   level: float) -> np.ndarray:
    """Interval score of the central ``level`` intervals ``[lower, upper]`` (0.9 for 90%)."""
    import scoringrules as sr

    shape = np.broadcast_shapes(np.shape(actual), np.shape(lower), np.shape(upper))
    # scoringrules drops a trailing axis of length one (it reads it as one level): restore it.
    return np.asarray(sr.interval_score(actual, lower, upper, 1.0 - level)).reshape(shape)


def pit(actual: np.ndarray, draws: np.ndarray, axis: int) -> np.ndarray:
    """The predictive CDF at each actual: the share of draws below it, ties counted half.

    Over many forecasts, calibrated ones give values spread evenly on [0, 1].
    """
    below = (draws < np.expand_dims(actual, axis)).mean(axis=axis)
    equal = (draws == np.expand_dims(actual, axis)).mean(axis=axis)
    return below + 0.5 * equal


@attrs.frozen
class NormalForecast:
    """A baseline: a normal distribution per year ahead and ally, (years, allies), % of GDP."""

    name: str
    mean: np.ndarray  # (years, allies)
    sd: np.ndarray  # (years, allies)

    def crps(self, actual: np.ndarray) -> np.ndarray:
        """(years, allies) CRPS at the actual shares."""
        return crps_normal(actual, self.mean, self.sd)

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """The central ``level`` interval, (years, allies) lower and upper bounds."""
        z = NormalDist().inv_cdf(0.5 + level / 2)
        return self.mean - z * self.sd, self.mean + z * self.sd


def random_walk_spread(seen: np.ndarray) -> float:
    """The pooled standard deviation of one-year changes in ``seen`` (years, allies), pp."""
    return float(np.diff(seen, axis=0).std(ddof=1))


def baselines(seen: np.ndarray, fit_until: int,
              years_ahead: np.ndarray) -> tuple[NormalForecast, ...]:
    """The three naive forecasts from the shares seen up to ``fit_until``, (years seen, allies),
    for ``years_ahead`` (1, 2, ...), in :data:`BASELINES` order."""
    last = seen[-1]  # (allies,)
    ahead = years_ahead.astype(float)[:, None]  # (years, 1)
    sd = np.broadcast_to(random_walk_spread(seen) * np.sqrt(ahead), (ahead.size, last.size))
    slope = np.polyfit(np.arange(len(seen), dtype=float), seen, 1)[0]  # (allies,)
    reached = np.minimum(1.0, ahead / max(1, WALES_YEAR - fit_until))  # (years, 1)
    pledge = np.where(last < WALES_TARGET, last + (WALES_TARGET - last) * reached, last)
    means = (np.broadcast_to(last, sd.shape), last + slope * ahead, pledge)
    return tuple(NormalForecast(name, np.asarray(mean, dtype=float), sd)
                 for name, mean in zip(BASELINES, means, strict=True))
