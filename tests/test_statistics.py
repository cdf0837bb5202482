"""Statistics of counts: the Wilson interval of a probability, quantiles of a histogram."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.stats import binomtest

from sim.spending.tally import gap_bin, gap_bounds, share_bin, share_bounds
from sim.statistics import Probability, histogram_quantiles, wilson_interval


@given(successes=st.integers(0, 500), extra=st.integers(0, 500))
@example(successes=29, extra=0)  # rounding once put the upper bound just below 1
def test_probability_interval_contains_the_estimate(successes, extra):
    trials = successes + extra
    if trials == 0:
        return
    p = Probability.from_counts(successes, trials)
    assert 0.0 <= p.ci95[0] <= p.p <= p.ci95[1] <= 1.0


def test_histogram_quantiles_of_a_uniform_sample():
    values = np.random.default_rng(3).uniform(1.0, 3.0, 200_000)
    counts = np.bincount(share_bin(values), minlength=len(share_bounds()[0]))
    for q in (0.05, 0.5, 0.95):
        assert histogram_quantiles(counts, share_bounds(), q) == pytest.approx(1 + 2 * q, abs=0.01)


def test_shortfall_point_mass_at_zero_is_exactly_zero():
    usd = np.array([0.0] * 30 + [5e9] * 70)
    counts = np.bincount(gap_bin(usd), minlength=len(gap_bounds()[0]))
    assert histogram_quantiles(counts, gap_bounds(), 0.1) == 0.0
    assert histogram_quantiles(counts, gap_bounds(), 0.5) == pytest.approx(5e9, rel=0.025)


@given(successes=st.integers(0, 10**6), extra=st.integers(0, 10**6))
def test_wilson_interval_is_scipys(successes, extra):
    trials = successes + extra
    if trials == 0:
        return
    expected = binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    low, high = wilson_interval(successes, trials)
    assert low == pytest.approx(expected.low, rel=1e-9, abs=1e-12)
    assert high == pytest.approx(expected.high, rel=1e-9, abs=1e-12)


def test_wilson_interval_at_the_boundaries():
    assert wilson_interval(0, 50)[0] == 0.0
    assert wilson_interval(50, 50)[1] == 1.0
    assert 0.0 < wilson_interval(0, 20_000)[1] < 2e-4
