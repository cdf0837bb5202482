"""Fitting: known parameters recovered from simulated data, the event filter against enumeration,
partial pooling's bounds, and the committed parameter file reproduced from the committed data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from sim.calibrate import (
    _event_loglik,
    _forward_backward,
    _shrink,
    fit_growth,
    fit_spending,
    wales_intent,
)
from sim.cli import main
from sim.errors import DataError
from sim.history import History
from sim.parameters import calibrated_table, load_parameters

YEARS = np.arange(2014, 2027)


def _history(core_share: np.ndarray, const_usd: np.ndarray | None = None) -> History:
    """A History of synthetic arrays (years 2014 on), with no source rows."""
    years, allies = core_share.shape
    ones = np.ones((years, allies))
    return History(codes=tuple(f"A{i:02d}" for i in range(allies)),
                   years=tuple(range(2014, 2014 + years)), core_share=core_share,
                   estimate=np.zeros((years, allies), dtype=bool), core_usd=ones,
                   core_usd_const2021=ones if const_usd is None else const_usd,
                   gdp_usd=ones, rows=())


def _simulate_spending(rng, adjustment, noise, size, spread, event_years, allies=31):
    """Core shares from the calibrated model with events in the given years."""
    # 2014's jumps are the rises the Wales pledge asked: 2% less the 2014 share.
    start = 2.0 - (size + spread * rng.standard_normal(allies))
    share = np.empty((len(YEARS), allies))  # (years, allies)
    share[0] = start
    wales = wales_intent(share[:1].repeat(len(YEARS), axis=0), YEARS)
    events = 0
    for t in range(1, len(YEARS)):
        new = YEARS[t] in event_years
        jump = (size + spread * rng.standard_normal(allies)) * new
        intent = wales[t] + size * events
        share[t] = (share[t - 1] + adjustment * (intent - share[t - 1]) + jump
                    + noise * rng.standard_normal(allies))
        events += new
    return share


def test_spending_fit_recovers_known_parameters():
    rng = np.random.default_rng(20140905)
    adjustment, noise, size, spread = 0.3, 0.08, 0.6, 0.25
    share = _simulate_spending(rng, adjustment, noise, size, spread, event_years=(2022, 2025))
    fit = fit_spending(_history(share))
    assert abs(fit.adjustment.value - adjustment) < 3 * fit.adjustment.se
    assert abs(fit.size.value - size) < 3 * fit.size.se
    assert abs(fit.spread.value - spread) < 3 * fit.spread.se
    # Three events (2014 observed, two found) in thirteen years.
    assert abs(fit.rate.value - 3 / 13) < 3 * fit.rate.se
    assert fit.events[-1] == pytest.approx(2.0, abs=0.05)
    assert fit.events[YEARS.tolist().index(2021)] == pytest.approx(0.0, abs=0.05)
    for estimate in fit.ally_adjustment:
        assert abs(estimate.value - adjustment) < 3 * max(estimate.se, fit.adjustment.se)
    noises = np.array([e.value for e in fit.ally_noise])
    assert np.median(noises) == pytest.approx(noise, rel=0.3)


def test_spending_fit_finds_no_event_in_quiet_data():
    rng = np.random.default_rng(5)
    share = _simulate_spending(rng, 0.3, 0.08, 0.6, 0.25, event_years=())
    fit = fit_spending(_history(share))
    assert max(fit.events) < 0.05
    assert fit.rate.value == pytest.approx(1 / 13, abs=0.02)  # only the 2014 event


def test_growth_fit_recovers_known_parameters():
    rng = np.random.default_rng(1949)
    years, allies = 60, 31
    persistence, common = 0.4, 0.6
    sd = rng.uniform(0.01, 0.03, allies)
    mean = rng.uniform(0.01, 0.03, allies)
    growth = np.empty((years, allies))  # (years, allies)
    growth[0] = mean
    for t in range(1, years):
        shock = common * rng.standard_normal() + np.sqrt(1 - common**2) * rng.standard_normal(
            allies)
        growth[t] = mean + persistence * (growth[t - 1] - mean) + sd * shock
    level = np.vstack([np.ones(allies), np.cumprod(1 + growth, axis=0)])  # (years + 1, allies)
    fit = fit_growth(_history(np.ones_like(level), const_usd=level))
    assert abs(fit.persistence.value - persistence) < 3 * fit.persistence.se
    assert abs(fit.common.value - common) < 3 * fit.common.se
    fitted_sd = np.array([e.value for e in fit.ally_sd])
    assert np.abs(np.log(fitted_sd / sd)).mean() < 0.15


@given(seed=st.integers(0, 2**32 - 1), rate=st.floats(0.01, 0.99),
       size=st.floats(0.0, 1.5), spread=st.floats(0.0, 1.0), adjustment=st.floats(0.0, 1.0))
def test_event_filter_matches_enumeration_of_every_event_history(seed, rate, size, spread,
                                                                 adjustment):
    rng = np.random.default_rng(seed)
    steps, allies = 4, 3
    change = rng.normal(0.2, 0.4, (steps, allies))
    gap = rng.normal(0.3, 0.3, (steps, allies))
    noise = rng.uniform(0.1, 0.5, allies)
    loglik = _event_loglik(change, gap, adjustment, size, spread, noise)
    total, smoothed, filtered = _forward_backward(loglik, rate)
    paths, weights = [], []
    for jumps in itertools.product((0, 1), repeat=steps):
        before = np.concatenate([[0], np.cumsum(jumps)[:-1]])
        log_p = sum(np.log(rate if j else 1 - rate) + loglik[j, t, before[t]]
                    for t, j in enumerate(jumps))
        paths.append(np.cumsum(jumps))
        weights.append(log_p)
    weights = np.asarray(weights)
    assert total == pytest.approx(special.logsumexp(weights), rel=1e-9, abs=1e-9)
    posterior = np.exp(weights - special.logsumexp(weights))
    counts = np.asarray(paths)  # (histories, steps)
    for t in range(steps):
        for k in range(steps + 1):
            expected = posterior[counts[:, t] == k].sum()
            assert smoothed[t, k] == pytest.approx(expected, abs=1e-9)
    np.testing.assert_allclose(filtered, smoothed[-1], atol=1e-12)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 40))
def test_partial_pooling_lies_between_each_estimate_and_the_mean(seed, n):
    rng = np.random.default_rng(seed)
    estimates = rng.normal(0.3, 0.2, n)
    variances = rng.uniform(0.001, 0.1, n)
    posterior, sd, mean, spread = _shrink(estimates, variances)
    low, high = np.minimum(estimates, mean), np.maximum(estimates, mean)
    assert ((low - 1e-12 <= posterior) & (posterior <= high + 1e-12)).all()
    assert (sd <= np.sqrt(variances) + 1e-12).all() and spread >= 0
    # Noisier estimates are pulled further toward the mean.
    pull = np.abs(posterior - estimates) / np.maximum(np.abs(mean - estimates), 1e-12)
    order = np.argsort(variances)
    assert np.all(np.diff(pull[order]) >= -1e-9)


def test_summit_calibrate_reproduces_the_committed_parameter_file(capsys):
    with pytest.raises(SystemExit) as done:
        main(["calibrate", "--check"])
        raise SystemExit(0)
    assert (done.value.code or 0) == 0, capsys.readouterr().err
    assert "reproduced exactly" in capsys.readouterr().err


def test_calibrate_check_fails_on_a_stale_file(capsys, tmp_path):
    stale = tmp_path / "parameters.toml"
    stale.write_text("# stale\n", encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["calibrate", "--check", "--out", str(stale)])
    assert done.value.code == 1
    assert "differs from a fresh fit" in capsys.readouterr().err


def test_parameter_file_problems_are_clear(tmp_path):
    with pytest.raises(DataError, match="parameter file is missing; run `summit calibrate`"):
        load_parameters(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[alliance\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.toml: not valid TOML"):
        load_parameters(bad)
    partial = tmp_path / "partial.toml"
    partial.write_text("[alliance.policy]\nadjustment = 0.2\n[allies.DEU.policy]\n"
                       "adjustment = 0.2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"partial\.toml: allies\.DEU or alliance: missing"):
        calibrated_table("DEU", partial)
