"""Streaming aggregation of simulated paths: counts and fine histograms, never the draws.

A :class:`Tally` holds only integer counts, so merging two tallies is exact and independent of
order: results are bit-identical however blocks are batched or spread over workers, and memory
does not grow with the number of draws.

Shares are binned at 0.01 percentage point on [0, 20) % of GDP (higher values fall in the last
bin); USD shortfalls on a log scale, 100 bins a decade from 1 million to 10 trillion USD, with a
bin of their own for "no shortfall". Quantiles are read from these bins by linear interpolation,
so they are accurate to one bin; probabilities are exact counts.
"""

from __future__ import annotations

import attrs
import numpy as np

from .engine import Paths
from .inputs import ModelInputs

SHARE_BIN = 0.01  # percentage points
SHARE_BINS = 2000  # covers [0, 20) % of GDP
GAP_DECADES = (6, 13)  # log10 USD range of shortfall bins
GAP_PER_DECADE = 100
GAP_BINS = 1 + (GAP_DECADES[1] - GAP_DECADES[0]) * GAP_PER_DECADE  # bin 0: no shortfall


def share_bounds() -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the share bins, % of GDP."""
    edges = np.arange(SHARE_BINS + 1) * SHARE_BIN
    return edges[:-1], edges[1:]


def gap_bounds() -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the shortfall bins, USD; bin 0 is the point mass at zero."""
    edges = 10.0 ** (GAP_DECADES[0] + np.arange(GAP_BINS) / GAP_PER_DECADE)
    return np.concatenate([[0.0], edges[:-1]]), np.concatenate([[0.0], edges[1:]])


def share_bin(values: np.ndarray) -> np.ndarray:
    """Bin index of shares (% of GDP)."""
    index = (values * (1.0 / SHARE_BIN)).astype(np.intp)
    return np.clip(index, 0, SHARE_BINS - 1, out=index)


def gap_bin(usd: np.ndarray) -> np.ndarray:
    """Bin index of USD shortfalls; zero or negative shortfalls go to bin 0."""
    positive = usd > 0
    logs = np.log10(np.where(positive, usd, 1.0))
    index = 1 + np.floor((logs - GAP_DECADES[0]) * GAP_PER_DECADE).astype(np.intp)
    np.clip(index, 1, GAP_BINS - 1, out=index)
    return np.where(positive, index, 0)


def _grouped_counts(bins: np.ndarray, n_bins: int) -> np.ndarray:
    """Histogram of ``bins`` (groups..., draws, allies?) per group, summed over the draws axis.

    ``bins`` has shape (years, draws, allies) or (years, draws); the result drops the draws axis
    and appends a bins axis.
    """
    if bins.ndim == 2:
        bins = bins[:, :, None]
    years, _, allies = bins.shape
    group = (np.arange(years)[:, None, None] * allies + np.arange(allies)[None, None, :]) * n_bins
    flat = (bins + group).ravel()
    counts = np.bincount(flat, minlength=years * allies * n_bins)
    return counts.reshape(years, allies, n_bins)


@attrs.define(eq=False)
class Tally:
    """Counts accumulated over blocks of draws. Shapes use A allies and Y years (base included)."""

    draws: int
    core_hist: np.ndarray  # (Y, A, SHARE_BINS)
    total_hist: np.ndarray  # (Y, A, SHARE_BINS)
    alliance_core_hist: np.ndarray  # (Y, SHARE_BINS)
    alliance_total_hist: np.ndarray  # (Y, SHARE_BINS)
    meet_core: np.ndarray  # (A,) core share >= goal.core in the goal year
    meet_goal: np.ndarray  # (A,) ... and core + related >= goal.total
    credible: np.ndarray  # (A,) on a credible path in the review year
    first_core: np.ndarray  # (A, Y + 1) first year core >= goal.core; last column: never
    core_gap_hist: np.ndarray  # (A, GAP_BINS) USD short of goal.core in the goal year
    total_gap_hist: np.ndarray  # (A, GAP_BINS) USD short of goal.total in the goal year
    alliance_first_core: np.ndarray  # (Y + 1,)
    alliance_core_gap_hist: np.ndarray  # (GAP_BINS,)
    alliance_total_gap_hist: np.ndarray  # (GAP_BINS,)
    # Scalar counts, as 0-d arrays so merging is uniform.
    all_meet_core: np.ndarray
    all_meet_goal: np.ndarray
    alliance_meets_core: np.ndarray
    alliance_meets_goal: np.ndarray
    alliance_credible: np.ndarray

    @classmethod
    def empty(cls, inputs: ModelInputs) -> Tally:
        years, allies = len(inputs.years), inputs.n_allies
        zeros = {
            f.name: np.zeros(0, dtype=np.int64) for f in attrs.fields(cls) if f.name != "draws"
        }
        shapes = {
            "core_hist": (years, allies, SHARE_BINS),
            "total_hist": (years, allies, SHARE_BINS),
            "alliance_core_hist": (years, SHARE_BINS),
            "alliance_total_hist": (years, SHARE_BINS),
            "meet_core": (allies,),
            "meet_goal": (allies,),
            "credible": (allies,),
            "first_core": (allies, years + 1),
            "core_gap_hist": (allies, GAP_BINS),
            "total_gap_hist": (allies, GAP_BINS),
            "alliance_first_core": (years + 1,),
            "alliance_core_gap_hist": (GAP_BINS,),
            "alliance_total_gap_hist": (GAP_BINS,),
        }
        for name in zeros:
            zeros[name] = np.zeros(shapes.get(name, ()), dtype=np.int64)
        return cls(draws=0, **zeros)

    def merge(self, other: Tally) -> None:
        """Add another tally's counts to this one (exact, order-independent)."""
        self.draws += other.draws
        for field in attrs.fields(type(self)):
            if field.name != "draws":
                getattr(self, field.name).__iadd__(getattr(other, field.name))

    def add(self, inputs: ModelInputs, paths: Paths) -> None:
        """Count one block of simulated paths."""
        core, gdp = paths.core_share, paths.gdp_usd  # (years, draws, allies)
        total = core + paths.related_share  # (years, draws, allies)
        self.draws += core.shape[1]
        self.core_hist += _grouped_counts(share_bin(core), SHARE_BINS)
        self.total_hist += _grouped_counts(share_bin(total), SHARE_BINS)

        gdp_sum = gdp.sum(axis=2)  # (years, draws)
        alliance_core = np.einsum("yda,yda->yd", core, gdp) / gdp_sum  # (years, draws) % of GDP
        alliance_total = np.einsum("yda,yda->yd", total, gdp) / gdp_sum  # (years, draws)
        self.alliance_core_hist += _grouped_counts(share_bin(alliance_core), SHARE_BINS)[:, 0]
        self.alliance_total_hist += _grouped_counts(share_bin(alliance_total), SHARE_BINS)[:, 0]

        goal = inputs.goal_index
        meets_core = core[goal] >= inputs.goal_core  # (draws, allies)
        meets_goal = meets_core & (total[goal] >= inputs.goal_total)  # (draws, allies)
        self.meet_core += meets_core.sum(axis=0)
        self.meet_goal += meets_goal.sum(axis=0)
        self.all_meet_core += int(meets_core.all(axis=1).sum())
        self.all_meet_goal += int(meets_goal.all(axis=1).sum())
        self.alliance_meets_core += int((alliance_core[goal] >= inputs.goal_core).sum())
        self.alliance_meets_goal += int(
            ((alliance_core[goal] >= inputs.goal_core)
             & (alliance_total[goal] >= inputs.goal_total)).sum()
        )

        review = inputs.review_index
        line = inputs.review_line - inputs.review_tolerance  # (allies,)
        self.credible += (core[review] >= line).sum(axis=0)
        alliance_base = alliance_core[0, 0]
        fraction = review / goal
        alliance_line = alliance_base + (inputs.goal_core - alliance_base) * fraction
        self.alliance_credible += int(
            (alliance_core[review] >= alliance_line - inputs.review_tolerance).sum()
        )

        reached = core >= inputs.goal_core  # (years, draws, allies)
        first = np.where(reached.any(axis=0), reached.argmax(axis=0), len(inputs.years))
        self.first_core += _grouped_counts(first.T[:, :, None], len(inputs.years) + 1)[:, 0]
        alliance_reached = alliance_core >= inputs.goal_core  # (years, draws)
        alliance_first = np.where(alliance_reached.any(axis=0), alliance_reached.argmax(axis=0),
                                  len(inputs.years))
        self.alliance_first_core += np.bincount(alliance_first, minlength=len(inputs.years) + 1)

        gdp_goal = gdp[goal]  # (draws, allies)
        core_gap = (inputs.goal_core - core[goal]) / 100.0 * gdp_goal  # (draws, allies) USD
        total_gap = (inputs.goal_total - total[goal]) / 100.0 * gdp_goal  # (draws, allies) USD
        self.core_gap_hist += _grouped_counts(gap_bin(core_gap).T[:, :, None], GAP_BINS)[:, 0]
        self.total_gap_hist += _grouped_counts(gap_bin(total_gap).T[:, :, None], GAP_BINS)[:, 0]
        self.alliance_core_gap_hist += np.bincount(
            gap_bin((inputs.goal_core - alliance_core[goal]) / 100.0 * gdp_sum[goal]),
            minlength=GAP_BINS,
        )
        self.alliance_total_gap_hist += np.bincount(
            gap_bin((inputs.goal_total - alliance_total[goal]) / 100.0 * gdp_sum[goal]),
            minlength=GAP_BINS,
        )
