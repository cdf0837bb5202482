"""Streaming counts of aid outcomes: needs met, delivered vs needs, triggers, coordination gap.

Like :class:`sim.spending.tally.Tally`, an :class:`AidTally` holds only integer counts, so tallies
merge exactly in any order and results are bit-identical across workers and batchings. Delivered
value over needs is binned at 0.001 on [0, 3) (higher values in the last bin); USD amounts use the
spending tally's log bins (100 a decade from 1 million to 10 trillion USD, bin 0 for zero); an
ally's aid as a share of its core defence spending is binned at 0.01 percentage point on [0, 100].
"""

from __future__ import annotations

import attrs
import numpy as np

from sim.aid.outcome import AidOutcome
from sim.aid.sampling import AidDraws
from sim.errors import OptionError
from sim.scenario.aid import AidModel
from sim.spending.engine import Paths
from sim.spending.inputs import ModelInputs
from sim.spending.tally import GAP_BINS, gap_bin, gap_bounds
from sim.statistics import Probability, histogram_quantiles

RATIO_BIN = 0.001
RATIO_BINS = 3000  # delivered / needs on [0, 3)
CORE_BIN = 0.01  # percentage points of core spending
CORE_BINS = 10001  # [0, 100.01): the last bin holds 100%


def ratio_bounds() -> tuple[np.ndarray, np.ndarray]:
    edges = np.arange(RATIO_BINS + 1) * RATIO_BIN
    return edges[:-1], edges[1:]


def core_bounds() -> tuple[np.ndarray, np.ndarray]:
    edges = np.arange(CORE_BINS + 1) * CORE_BIN
    return edges[:-1], edges[1:]


def delivered_by_donor(model: AidModel, by_pledge: np.ndarray) -> np.ndarray:
    """USD each donor's pledges delivered within the months simulated, from the (draws,
    pledges) ``AidOutcome.delivered_by_pledge`` (money paid into a pool: its share of what the
    pool delivered). Shape (donors, draws), in ``model.donor_names`` order."""
    names = model.donor_names
    owner = np.zeros((len(model.pledges), len(names)))  # (pledges, donors) 1 where its donor's
    owner[np.arange(len(model.pledges)), [names.index(p.donor) for p in model.pledges]] = 1.0
    return (by_pledge @ owner).T


def _bincount_rows(index: np.ndarray, n_bins: int) -> np.ndarray:
    """Histogram of each row of ``index`` (rows, draws) -> (rows, n_bins)."""
    rows = index.shape[0]
    flat = (index + np.arange(rows)[:, None] * n_bins).ravel()
    return np.bincount(flat, minlength=rows * n_bins).reshape(rows, n_bins)


@attrs.define(eq=False)
class AidTally:
    """Counts over blocks of draws. Y needs years, P pledges, A donor allies counted in core."""

    draws: int
    needs_met: np.ndarray  # (Y,) delivered in the year >= need
    ratio_hist: np.ndarray  # (Y, RATIO_BINS) delivered / needs
    delivered_hist: np.ndarray  # (Y, GAP_BINS) USD delivered in the year
    needs_hist: np.ndarray  # (Y, GAP_BINS) USD needed in the year
    fired: np.ndarray  # (P,) under the scenario's resolution
    fired_greatest: np.ndarray  # (P,)
    fired_least: np.ndarray  # (P,)
    delivered_pledges: np.ndarray  # (P,) draws where anything of the pledge was delivered
    pledge_delivered_hist: np.ndarray  # (P, GAP_BINS) USD of the pledge delivered in the months
    gap_draws: np.ndarray  # () draws where greatest and least fire different pledges
    gap_hist: np.ndarray  # (GAP_BINS,) USD pledged under greatest beyond least
    aid_core_hist: np.ndarray  # (A, Y, CORE_BINS) an ally's aid paid, % of its core spending
    donor_delivered_hist: np.ndarray  # (D, GAP_BINS) USD of a donor's pledges delivered
    all_needs_met: np.ndarray  # () draws where every needs year is met
    # Draws where the alliance meets the goal (the core goal) in the goal year and every needs
    # year is met: the joint question.
    goal_and_needs_met: np.ndarray  # ()
    core_and_needs_met: np.ndarray  # ()

    @classmethod
    def empty(cls, model: AidModel, allies: tuple[str, ...]) -> AidTally:
        """A zero tally; ``allies`` are the donors whose aid counts inside core spending."""
        years, pledges = len(model.needs), len(model.pledges)

        def zeros(*shape: int) -> np.ndarray:
            return np.zeros(shape, dtype=np.int64)

        return cls(draws=0, needs_met=zeros(years), ratio_hist=zeros(years, RATIO_BINS),
                   delivered_hist=zeros(years, GAP_BINS), needs_hist=zeros(years, GAP_BINS),
                   fired=zeros(pledges), fired_greatest=zeros(pledges), fired_least=zeros(pledges),
                   delivered_pledges=zeros(pledges),
                   pledge_delivered_hist=zeros(pledges, GAP_BINS), gap_draws=zeros(),
                   gap_hist=zeros(GAP_BINS),
                   aid_core_hist=zeros(len(allies), years, CORE_BINS),
                   donor_delivered_hist=zeros(len(model.donor_names), GAP_BINS),
                   all_needs_met=zeros(), goal_and_needs_met=zeros(), core_and_needs_met=zeros())

    def merge(self, other: AidTally) -> None:
        """Add another tally's counts (exact, order-independent)."""
        self.draws += other.draws
        for field in attrs.fields(type(self)):
            if field.name != "draws":
                getattr(self, field.name).__iadd__(getattr(other, field.name))

    def add(self, model: AidModel, draws: AidDraws, outcome: AidOutcome,
            allies: tuple[str, ...] = (), inputs: ModelInputs | None = None,
            paths: Paths | None = None,
            alliance: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Count one block. ``inputs`` and ``paths`` (the same draws' spending) are needed when
        ``allies`` is not empty, to express each ally's aid as a share of its core spending.
        ``alliance``: the same draws' (draws,) flags, the alliance meets the core goal and the
        whole goal (:meth:`sim.spending.tally.Tally.add`), for the joint probabilities."""
        delivered = outcome.delivered_by_year(model)  # (draws, years) USD
        needs = draws.needs_usd  # (draws, years) USD
        self.draws += outcome.draws
        met = delivered >= needs  # (draws, years)
        self.needs_met += met.sum(axis=0)
        every_year = met.all(axis=1)  # (draws,)
        self.all_needs_met += int(np.count_nonzero(every_year))
        if alliance is not None:
            meets_core, meets_goal = alliance
            self.core_and_needs_met += int(np.count_nonzero(meets_core & every_year))
            self.goal_and_needs_met += int(np.count_nonzero(meets_goal & every_year))
        ratio = np.divide(delivered, needs, out=np.full(needs.shape, np.inf), where=needs > 0)
        ratio_bin = np.minimum(ratio / RATIO_BIN, RATIO_BINS - 1).astype(np.intp)
        self.ratio_hist += _bincount_rows(ratio_bin.T, RATIO_BINS)
        self.delivered_hist += _bincount_rows(gap_bin(delivered).T, GAP_BINS)
        self.needs_hist += _bincount_rows(gap_bin(needs).T, GAP_BINS)
        self.fired += outcome.fired.sum(axis=0)
        self.fired_greatest += outcome.fired_greatest.sum(axis=0)
        self.fired_least += outcome.fired_least.sum(axis=0)
        by_pledge = outcome.delivered_by_pledge(model)  # (draws, pledges) USD, pools shared
        self.delivered_pledges += (by_pledge > 0).sum(axis=0)
        self.pledge_delivered_hist += _bincount_rows(gap_bin(by_pledge).T, GAP_BINS)
        by_donor = delivered_by_donor(model, by_pledge)  # (donors, draws) USD
        self.donor_delivered_hist += _bincount_rows(gap_bin(by_donor), GAP_BINS)
        self.gap_draws += int((outcome.fired_greatest != outcome.fired_least).any(axis=1).sum())
        self.gap_hist += np.bincount(gap_bin(outcome.coordination_gap_usd), minlength=GAP_BINS)
        if allies:
            if inputs is None or paths is None:
                raise OptionError("allies: counting aid in core spending needs the same draws' "
                                  "inputs and paths")
            self._add_aid_in_core(model, outcome, allies, inputs, paths)

    def _add_aid_in_core(self, model: AidModel, outcome: AidOutcome, allies: tuple[str, ...],
                         inputs: ModelInputs, paths: Paths) -> None:
        """Aid counts in the year the donor pays it (after the contracting lag)."""
        paid_year = np.where(outcome.paid_month >= 0,
                             model.first_year + outcome.paid_month // 12, -1)  # (draws, pledges)
        paid_usd = np.where(outcome.paid_month >= 0, outcome.pledged_usd, 0.0)  # (draws, pledges)
        for a, code in enumerate(allies):
            own = np.array([p.donor == code for p in model.pledges])  # (pledges,)
            column = inputs.codes.index(code)
            for y, year in enumerate(model.years):
                aid = (paid_usd * (own & (paid_year == year))).sum(axis=1)  # (draws,) USD
                t = year - inputs.years[0]
                if not 0 <= t < len(inputs.years):
                    continue
                core_usd = paths.core_share[t, :, column] / 100.0 * paths.gdp_usd[t, :, column]
                share = np.divide(100.0 * aid, core_usd, out=np.full(aid.shape, 100.0),
                                  where=core_usd > 0)  # (draws,) % of core
                index = np.clip(share / CORE_BIN, 0, CORE_BINS - 1).astype(np.intp)
                self.aid_core_hist[a, y] += np.bincount(index, minlength=CORE_BINS)

    # --- answers -----------------------------------------------------------------------------

    def p_all_needs_met(self) -> Probability:
        """P(every needs year's delivered value >= its need)."""
        return Probability.from_counts(self.all_needs_met, self.draws)

    def p_goal_and_needs_met(self) -> Probability:
        """P(the alliance meets the goal in the goal year and every needs year is met)."""
        return Probability.from_counts(self.goal_and_needs_met, self.draws)

    def p_core_and_needs_met(self) -> Probability:
        """P(the alliance meets the core goal in the goal year and every needs year is met)."""
        return Probability.from_counts(self.core_and_needs_met, self.draws)

    def donor_delivered_quantile(self, q: float) -> np.ndarray:
        """Quantile of USD each donor's pledges deliver within the months simulated (money into
        a pool: its share of what the pool delivered). Shape (donors,), in
        ``AidModel.donor_names`` order."""
        return histogram_quantiles(self.donor_delivered_hist, gap_bounds(), q)

    def p_needs_met(self, y: int) -> Probability:
        """P(value delivered in needs year index ``y`` >= that year's need)."""
        return Probability.from_counts(self.needs_met[y], self.draws)

    def p_triggered(self, j: int, resolution: str | None = None) -> Probability:
        """P(pledge ``j``'s condition holds); ``resolution`` None means the scenario's."""
        counts = {None: self.fired, "greatest": self.fired_greatest,
                  "least": self.fired_least}[resolution]
        return Probability.from_counts(counts[j], self.draws)

    def p_coordination_gap(self) -> Probability:
        """P(the greatest and least fixed points fire different pledges)."""
        return Probability.from_counts(self.gap_draws, self.draws)

    def delivered_quantile(self, q: float) -> np.ndarray:
        """Quantile of USD delivered in each needs year. Shape (years,)."""
        return histogram_quantiles(self.delivered_hist, gap_bounds(), q)

    def ratio_quantile(self, q: float) -> np.ndarray:
        """Quantile of delivered / needs in each needs year. Shape (years,)."""
        return histogram_quantiles(self.ratio_hist, ratio_bounds(), q)

    def pledge_delivered_quantile(self, q: float) -> np.ndarray:
        """Quantile of the USD each pledge delivers within the months simulated. Shape (P,).

        Money paid into a pool is delivered by the pool's packages: a contribution is credited
        with the pool's deliveries in proportion to what it paid in.
        """
        return histogram_quantiles(self.pledge_delivered_hist, gap_bounds(), q)

    def gap_quantile(self, q: float) -> float:
        """Quantile of the coordination gap, USD pledged under greatest beyond least."""
        return float(histogram_quantiles(self.gap_hist, gap_bounds(), q))

    def aid_core_quantile(self, q: float) -> np.ndarray:
        """Quantile of each counted ally's aid as % of its core spending. Shape (allies, years)."""
        return histogram_quantiles(self.aid_core_hist, core_bounds(), q)

    def needs_quantile(self, q: float) -> np.ndarray:
        """Quantile of the USD need in each needs year. Shape (years,)."""
        return histogram_quantiles(self.needs_hist, gap_bounds(), q)
