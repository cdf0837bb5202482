"""Proper scores against known answers; the naive baselines built by hand; lazy scoringrules."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.calibration.scores import (
    BASELINES,
    NormalForecast,
    baselines,
    crps_draws,
    crps_normal,
    interval_score,
    pit,
    random_walk_spread,
)

ROOT = Path(__file__).resolve().parents[2]


def test_crps_of_two_member_ensembles_by_hand():
    # CRPS = E|X - y| - E|X - X'| / 2 over the ensemble's empirical distribution.
    # {-1, 1} at 0: 1 - (0 + 2 + 2 + 0) / 4 / 2 = 0.5; {0, 1} at 0.3: 0.5 - 0.5 / 2 = 0.25;
    # {2, 2} at 0.5: a point forecast scores its absolute error, 1.5.
    actual = np.array([0.0, 0.3, 0.5])
    ensemble = np.array([[-1.0, 1.0], [0.0, 1.0], [2.0, 2.0]])  # (forecasts, members)
    np.testing.assert_allclose(crps_draws(actual, ensemble, axis=1), [0.5, 0.25, 1.5])


@given(members=arrays(float, st.integers(1, 12), elements=st.floats(-5, 5)),
       actual=st.floats(-6, 6))
def test_crps_of_an_ensemble_is_the_energy_form(members, actual):
    by_hand = (np.abs(members - actual).mean()
               - np.abs(members[:, None] - members[None, :]).mean() / 2)
    score = crps_draws(np.array([actual]), members[None, :], axis=1)[0]
    assert score == pytest.approx(by_hand, abs=1e-9)


def test_crps_of_a_normal_in_closed_form_and_from_a_large_ensemble():
    # Gneiting & Raftery (2007): CRPS(N(mu, s), y) = s (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)).
    mean, sd, actual = 1.0, 0.5, 1.8
    z, unit = (actual - mean) / sd, NormalDist()
    closed = sd * (z * (2 * unit.cdf(z) - 1) + 2 * unit.pdf(z) - 1 / math.sqrt(math.pi))
    assert crps_normal(np.array(actual), mean, sd) == pytest.approx(closed, rel=1e-9)
    draws = np.random.default_rng(np.random.SeedSequence(5)).normal(mean, sd, 200_000)
    assert crps_draws(np.array([actual]), draws[None, :], axis=1)[0] == \
        pytest.approx(closed, rel=5e-3)


def test_interval_score_by_hand():
    # Width 1; 90% (alpha 0.1): 3.0 lies 2 above, 1 + 2 / 0.1 * 2 = 41; 50% (alpha 0.5): 0.5
    # lies 0.5 below [1, 2], 1 + 2 / 0.5 * 0.5 = 3; inside an interval only its width counts.
    assert interval_score(np.array([3.0]), np.array([0.0]), np.array([1.0]), 0.9)[0] == \
        pytest.approx(41.0)
    assert interval_score(np.array([0.5, 1.5]), np.array([1.0, 1.0]), np.array([2.0, 2.0]),
                          0.5).tolist() == pytest.approx([3.0, 1.0])


def test_pit_counts_draws_below_and_ties_half():
    draws = np.array([[1.0, 2.0, 3.0, 4.0]])  # (forecasts, draws)
    assert pit(np.array([2.0]), draws, axis=1).tolist() == [0.375]  # 1 below, 1 tied
    assert pit(np.array([0.0]), draws, axis=1).tolist() == [0.0]
    assert pit(np.array([9.0]), draws, axis=1).tolist() == [1.0]


def test_baselines_built_by_hand():
    # Two allies seen 2019-2021: one rising 0.1 a year to 1.2, one flat at 2.5.
    seen = np.array([[1.0, 2.5], [1.1, 2.5], [1.2, 2.5]])  # (years, allies)
    ahead = np.array([1, 2, 3, 4])  # 2022-2025
    persistence, trend, pledge = baselines(seen, 2021, ahead)
    assert (persistence.name, trend.name, pledge.name) == BASELINES
    sigma = np.std([0.1, 0.1, 0.0, 0.0], ddof=1)
    assert random_walk_spread(seen) == pytest.approx(sigma)
    np.testing.assert_allclose(persistence.sd[:, 0], sigma * np.sqrt(ahead))
    np.testing.assert_allclose(persistence.mean, [[1.2, 2.5]] * 4)
    np.testing.assert_allclose(trend.mean[:, 0], 1.2 + 0.1 * ahead)
    np.testing.assert_allclose(trend.mean[:, 1], 2.5)
    # The pledge: 1.2 to 2.0 in the three years to 2024, then held; the ally above holds.
    np.testing.assert_allclose(pledge.mean[:, 0], [1.2 + 0.8 / 3, 1.2 + 1.6 / 3, 2.0, 2.0])
    np.testing.assert_allclose(pledge.mean[:, 1], 2.5)
    for forecast in (trend, pledge):
        np.testing.assert_array_equal(forecast.sd, persistence.sd)


def test_pledge_baseline_after_the_deadline_reaches_two_percent_the_next_year():
    (_, _, pledge) = baselines(np.array([[1.0], [1.2], [1.5]]), 2024, np.array([1, 2]))
    np.testing.assert_allclose(pledge.mean[:, 0], [2.0, 2.0])


def test_normal_forecast_scores_and_intervals():
    forecast = NormalForecast("x", np.array([[1.0]]), np.array([[0.5]]))
    low, high = forecast.interval(0.9)
    assert (low[0, 0], high[0, 0]) == pytest.approx((1 - 1.6448536 * 0.5, 1 + 1.6448536 * 0.5))
    assert forecast.crps(np.array([[1.8]]))[0, 0] == \
        pytest.approx(crps_normal(np.array(1.8), 1.0, 0.5))


def test_scoringrules_is_imported_only_when_scoring():
    # It compiles with Numba on import (seconds): the backtest module must not pay that until
    # it scores.
    probe = ("import json, sys\nimport sim.calibration.backtest\n"
             "print(json.dumps('scoringrules' in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) is False
