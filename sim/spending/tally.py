"""Streaming aggregation of simulated paths: counts and fine histograms, never the draws.

A :class:`Tally` holds only integer counts, so merging two tallies is exact and independent of
order: results are bit-identical however blocks are batched or spread over workers, and memory
does not grow with the number of draws.

Shares are binned at 0.01 percentage point on [0, 20) % of GDP, with one bin more for shares of
20% and above (``SHARE_MAX``), whose values the tally does not keep: a quantile that falls in it is
reported as ``inf``, known only to be above the range, never as 20. USD shortfalls are binned on a
log scale, 100 bins a decade from 1 million to 10 trillion USD, with a bin of their own for "no
shortfall". Quantiles are read from these bins by linear interpolation, so they are accurate to
one bin; probabilities are exact counts.
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np

from sim.spending.engine import Paths
from sim.spending.inputs import ModelInputs
from sim.workspace import Workspace

SHARE_BIN = 0.01  # percentage points
SHARE_MAX = 20.0  # % of GDP: the upper edge of the share bins of width SHARE_BIN
#: Share bins: 2000 on [0, 20) % of GDP, then the last for 20% and above.
SHARE_BINS = round(SHARE_MAX / SHARE_BIN) + 1
GAP_DECADES = (6, 13)  # log10 USD range of shortfall bins
GAP_PER_DECADE = 100
GAP_BINS = 1 + (GAP_DECADES[1] - GAP_DECADES[0]) * GAP_PER_DECADE  # bin 0: no shortfall
_BINS_PER_POINT = 1.0 / SHARE_BIN
_SMALLEST_POSITIVE = np.nextafter(0.0, 1.0)


def share_bounds() -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the share bins, % of GDP; the last bin's upper bound is inf."""
    lower = np.arange(SHARE_BINS) * SHARE_BIN  # (SHARE_BINS,)
    return lower, np.append(lower[1:], np.inf)


def gap_bounds() -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the shortfall bins, USD; bin 0 is the point mass at zero."""
    edges = 10.0 ** (GAP_DECADES[0] + np.arange(GAP_BINS) / GAP_PER_DECADE)
    return np.concatenate([[0.0], edges[:-1]]), np.concatenate([[0.0], edges[1:]])


def share_bin(values: np.ndarray) -> np.ndarray:
    """Bin index of shares (% of GDP): negative shares in the first, 20% and above the last."""
    values = np.asarray(values, dtype=float)
    index = np.empty(values.shape, dtype=np.intp)
    _share_bins(values, np.empty(values.shape), out=index)
    return index


def _share_bins(values: np.ndarray, scaled: np.ndarray, *, out: np.ndarray) -> None:
    """:func:`share_bin` into ``out`` (any integer dtype), with ``scaled`` as scratch."""
    np.multiply(values, _BINS_PER_POINT, out=scaled)
    _scaled_share_bins(scaled, out=out)


def _scaled_share_bins(scaled: np.ndarray, *, out: np.ndarray) -> None:
    """Bin index into ``out`` of shares already multiplied by ``_BINS_PER_POINT`` (clobbered).

    Clipped in floating point, then truncated by the cast: for every finite share the same
    bin as truncating first and clipping the integer, and the cast cannot overflow.
    """
    np.clip(scaled, 0, SHARE_BINS - 1, out=scaled)
    np.copyto(out, scaled, casting="unsafe")


def gap_bin(usd: np.ndarray) -> np.ndarray:
    """Bin index of USD shortfalls; zero or negative shortfalls go to bin 0."""
    logs = np.array(usd, dtype=float)
    index = np.empty(logs.shape, dtype=np.intp)
    _gap_bins(logs, np.empty(logs.shape, dtype=bool), out=index)
    return index


def _gap_bins(logs: np.ndarray, positive: np.ndarray, *, out: np.ndarray) -> None:
    """:func:`gap_bin` into ``out`` of the USD shortfalls in ``logs`` (overwritten).

    ``positive`` is scratch. The logarithm is taken of every number, so that NumPy uses its
    vectorized loop rather than a masked one, after raising the others (zero, negative, NaN)
    to the smallest positive number; they are sent to bin 0 at the end. As for shares, the
    bins are clipped in floating point before the cast.
    """
    np.greater(logs, 0, out=positive)
    np.fmax(logs, _SMALLEST_POSITIVE, out=logs)
    np.log10(logs, out=logs)
    logs -= GAP_DECADES[0]
    logs *= GAP_PER_DECADE
    np.floor(logs, out=logs)
    np.clip(logs, 0, GAP_BINS - 2, out=logs)
    logs += 1
    logs *= positive
    np.copyto(out, logs, casting="unsafe")


#: The tally's distributions: its share and shortfall histograms and first years.
DISTRIBUTIONS = ("core_hist", "total_hist", "alliance_core_hist", "alliance_total_hist",
                 "first_core", "core_gap_hist", "total_gap_hist", "alliance_first_core",
                 "alliance_core_gap_hist", "alliance_total_gap_hist")


@attrs.define(eq=False, repr=False)
class Tally:
    """Counts accumulated over blocks of draws. Shapes use A allies and Y years (base included).

    A :class:`ProbabilityTally` counts the probabilities only, and leaves the distributions
    (the share and shortfall histograms and the first years) at zero."""

    #: Whether :meth:`add` counts the distributions as well as the probabilities.
    distributions: ClassVar[bool] = True

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
    # The same two alliance counts with threat events switched off, on the same draws (equal to
    # the counts above when the scenario has none).
    alliance_meets_core_without_threat_events: np.ndarray
    alliance_meets_goal_without_threat_events: np.ndarray

    def __repr__(self) -> str:
        years, allies, _ = self.core_hist.shape
        return f"<Tally of {self.draws:,} draws: {allies} allies, {years} years>"

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
        if not cls.distributions:  # nothing is counted in them: no bins, no memory
            shapes.update({name: (*shapes[name][:-1], 0) for name in DISTRIBUTIONS})
        for name in zeros:
            zeros[name] = np.zeros(shapes.get(name, ()), dtype=np.int64)
        return cls(draws=0, **zeros)

    def merge(self, other: Tally | PackedTally) -> None:
        """Add another tally's counts to this one (exact, order-independent)."""
        if isinstance(other, Tally) and other.distributions != self.distributions:
            raise ValueError(f"cannot merge a {type(other).__name__} into a "
                             f"{type(self).__name__}: one counted distributions, the other not")
        self.draws += other.draws
        if isinstance(other, PackedTally):
            for name, (index, counts) in other.counts.items():
                # Each index once (non-zero entries), so the fancy += adds every count.
                getattr(self, name).reshape(-1, copy=False)[index] += counts
            return
        for field in attrs.fields(type(self)):
            if field.name != "draws":
                getattr(self, field.name).__iadd__(getattr(other, field.name))

    def pack(self) -> PackedTally:
        """This tally's non-zero counts, compact for shipping between processes."""
        dtype = np.int32 if self.draws <= np.iinfo(np.int32).max else np.int64
        counts = {}
        for field in attrs.fields(type(self)):
            if field.name != "draws":
                flat = getattr(self, field.name).reshape(-1)
                index = np.flatnonzero(flat)
                counts[field.name] = index.astype(np.int32), flat[index].astype(dtype)
        return PackedTally(draws=self.draws, counts=counts)

    def add(self, inputs: ModelInputs, paths: Paths, workspace: Workspace | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
        """Count one block of simulated paths, with scratch memory from ``workspace`` if given.

        Returns the block's per-draw alliance flags, (draws,) bool each: the alliance meets the
        core goal, and the whole goal, in the goal year (what the aid tally's joint
        probabilities count).
        """
        from sim.spending.compiled import kernels  # here: only commands that count load them

        workspace = Workspace() if workspace is None else workspace
        core, related, gdp = paths.core_share, paths.related_share, paths.gdp_usd
        years, draws, allies = core.shape  # (years, draws, allies) each
        self.draws += draws
        total = workspace.array("tally.total", (draws, allies))  # core + related, % of GDP
        first_year = workspace.array("tally.first_year", (draws, allies), np.int16)
        bins = workspace.array("tally.bins", (2, draws, allies), np.int32)
        line = inputs.review_line - inputs.review_tolerance
        # (3, years, draws): GDP USD, core and total % of GDP
        alliance = workspace.array("tally.alliance", (3, years, draws))
        # The probabilities read the base year (the alliance's credible line starts from its
        # share), the review year and the goal year; the distributions read every year.
        counted = (range(years) if self.distributions
                   else sorted({0, inputs.review_index, inputs.goal_index}))
        # Year by year, so that the alliance sums read each year's total while it is in cache.
        for t in counted:
            all_meet_core, all_meet_goal = kernels().count_year(
                t, years, core[t], related[t], total, inputs.goal_index, inputs.review_index,
                inputs.goal_core, inputs.goal_total, line, _BINS_PER_POINT, SHARE_BINS - 1,
                self.core_hist[t], self.total_hist[t], self.first_core, self.meet_core,
                self.meet_goal, self.credible, first_year, bins, self.distributions)
            self.all_meet_core += all_meet_core
            self.all_meet_goal += all_meet_goal
            if t == inputs.goal_index and self.distributions:
                self._add_gaps(inputs, core[t], total, gdp[t], workspace)
            gdp_sum, alliance_core, alliance_total = alliance[:, t]
            # The same sums, in the same order, as over whole (years, draws, allies) arrays.
            np.add.reduce(gdp[t], axis=1, out=gdp_sum)
            np.einsum("da,da->d", core[t], gdp[t], out=alliance_core)
            alliance_core /= gdp_sum
            np.einsum("da,da->d", total, gdp[t], out=alliance_total)
            alliance_total /= gdp_sum
        meets_core, meets_goal = self._add_alliance(inputs, alliance, workspace)
        if paths.core_share_without_threat_events is None:  # no events to switch off
            self.alliance_meets_core_without_threat_events += int(np.count_nonzero(meets_core))
            self.alliance_meets_goal_without_threat_events += int(np.count_nonzero(meets_goal))
        else:
            self._add_without_threat_events(inputs, paths, alliance[0, inputs.goal_index],
                                            workspace)
        return meets_core, meets_goal

    def _add_without_threat_events(self, inputs: ModelInputs, paths: Paths,
                                   gdp_sum: np.ndarray, workspace: Workspace) -> None:
        """Count whether the alliance meets the goals in one block with threat events switched
        off: its paths' core share without them (the block's same draws and GDP, so the
        goal year's (draws,) GDP sums ``gdp_sum`` are those counted with them on)."""
        assert paths.core_share_without_threat_events is not None  # simulated with events on
        goal = inputs.goal_index
        core, related, gdp = (p[goal] for p in (paths.core_share_without_threat_events,
                                                paths.related_share,
                                                paths.gdp_usd))  # (draws, allies) each
        draws, allies = core.shape
        # count_year's scratch, free after the last year: core + related, % of GDP
        total = np.add(core, related, out=workspace.array("tally.total", (draws, allies)))
        # (2, draws): the alliance's core and total shares, % of GDP
        alliance = workspace.array("tally.alliance_without_threat_events", (2, draws))
        alliance_core, alliance_total = alliance
        np.einsum("da,da->d", core, gdp, out=alliance_core)
        alliance_core /= gdp_sum
        np.einsum("da,da->d", total, gdp, out=alliance_total)
        alliance_total /= gdp_sum
        meets_core = alliance_core >= inputs.goal_core
        self.alliance_meets_core_without_threat_events += int(np.count_nonzero(meets_core))
        self.alliance_meets_goal_without_threat_events += int(
            np.count_nonzero(meets_core & (alliance_total >= inputs.goal_total)))

    def _add_gaps(self, inputs: ModelInputs, core: np.ndarray, total: np.ndarray,
                  gdp: np.ndarray, workspace: Workspace) -> None:
        """Count each ally's USD shortfalls from the goals, from goal-year (draws, allies)
        shares and GDP."""
        _count_gaps(inputs, core, total, gdp, self.core_gap_hist, self.total_gap_hist,
                    workspace)

    def _add_alliance(self, inputs: ModelInputs, alliance: np.ndarray,
                      workspace: Workspace) -> tuple[np.ndarray, np.ndarray]:
        """Count the alliance-wide events, from (3, years, draws) GDP and GDP-weighted shares;
        return which draws met the core goal and the whole goal, (draws,) bool each."""
        from sim.spending.compiled import kernels

        gdp_sum, alliance_core, alliance_total = alliance
        goal, review = inputs.goal_index, inputs.review_index
        alliance_base = alliance_core[0, 0]
        fraction = review / goal
        alliance_line = alliance_base + (inputs.goal_core - alliance_base) * fraction
        # (2, draws): the goal year's core goal met, whole goal met; fresh, as they are returned
        meets = np.empty((2, alliance_core.shape[1]), dtype=bool)
        meets_core, meets_goal, credible = kernels().count_alliance(
            alliance, goal, review, inputs.goal_core, inputs.goal_total,
            float(alliance_line - inputs.review_tolerance), _BINS_PER_POINT, SHARE_BINS - 1,
            self.alliance_core_hist, self.alliance_total_hist, self.alliance_first_core, meets,
            self.distributions)
        self.alliance_meets_core += meets_core
        self.alliance_meets_goal += meets_goal
        self.alliance_credible += credible
        if not self.distributions:
            return meets[0], meets[1]
        # The alliance as one ally: (draws, 1) shares and GDP, (1, GAP_BINS) histograms.
        _count_gaps(inputs, alliance_core[goal, :, None], alliance_total[goal, :, None],
                    gdp_sum[goal, :, None], self.alliance_core_gap_hist[None],
                    self.alliance_total_gap_hist[None], workspace)
        return meets[0], meets[1]


@attrs.define(eq=False, repr=False)
class ProbabilityTally(Tally):
    """A :class:`Tally` of the probabilities alone: every count the headline, each ally's and
    the credible paths' probabilities read, identical to a full tally's of the same draws, and
    none of the distributions, whose arrays have no bins (what a sweep's variants need: their
    rows hold probabilities, and counting the histograms of every year was a third of a
    variant's tally, allocating them a tenth). :class:`sim.results.Results` refuses the
    distributions of such a run."""

    distributions: ClassVar[bool] = False

    def __repr__(self) -> str:
        years, allies, _ = self.core_hist.shape
        return (f"<ProbabilityTally of {self.draws:,} draws: {allies} allies, {years} years, "
                "probabilities only>")


@attrs.frozen(eq=False, repr=False)
class PackedTally:
    """A :class:`Tally`'s non-zero counts, for :meth:`Tally.merge` in another process.

    A pool task's tally is ~10 MB of int64, three quarters of it zeros; packed, about 2.5 MB.
    Unpickling and adding the dense arrays on the pool's parent, where tasks finish together at
    the end of a run, took longer than packing them on the workers.
    """

    draws: int
    counts: dict[str, tuple[np.ndarray, np.ndarray]]  # field: (flat index, count), int32 mostly

    def __repr__(self) -> str:
        entries = sum(index.size for index, _ in self.counts.values())
        return f"<PackedTally of {self.draws:,} draws: {entries:,} non-zero counts>"


def _count_gaps(inputs: ModelInputs, core: np.ndarray, total: np.ndarray, gdp: np.ndarray,
                core_gap_hist: np.ndarray, total_gap_hist: np.ndarray, workspace: Workspace
                ) -> None:
    """Count the USD shortfalls from the goals of goal-year (draws, allies) core and total
    shares and GDP into (allies, GAP_BINS) histograms, each in the bin :func:`gap_bin` gives it."""
    from sim.spending.compiled import kernels

    # (2, draws, allies): USD short of the core goal and of the whole goal, then their logs
    gaps = workspace.array("tally.gaps", (2, *core.shape))
    positive = workspace.array("tally.positive", gaps.shape, bool)
    # The arithmetic and the counting compiled, the logarithm NumPy's (as _gap_bins takes
    # it), so that every bin is the one gap_bin gives.
    kernels().shortfalls(core, total, gdp, inputs.goal_core, inputs.goal_total,
                         _SMALLEST_POSITIVE, gaps, positive)
    np.log10(gaps, out=gaps)
    # (2, draws, allies) bins: count_year's scratch, free once it has counted its year
    bins = workspace.array("tally.bins", gaps.shape, np.int32)
    kernels().count_gaps(gaps, positive, float(GAP_DECADES[0]), float(GAP_PER_DECADE),
                         GAP_BINS - 1, core_gap_hist, total_gap_hist, bins)
