"""Fitting: known parameters recovered from simulated data, the event filter against enumeration,
exact gradients, fits that rounding does not move, partial pooling's bounds, and the committed
parameter file reproduced from the committed data.

The fit on the committed data is made once a session (``committed_fit``) and shared.
"""

from __future__ import annotations

import itertools
import platform
import re
from pathlib import Path

import attrs
import numpy as np
import pytest
import scipy
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from sim.calibration import fit as calibrate
from sim.calibration.fit import (
    FiscalRecord,
    _chain_totals,
    _commitment_objective,
    _event_loglik,
    _forward_backward,
    _growth_objective,
    _shrink,
    _spending_objective,
    fit_commitment,
    fit_growth,
    fit_spending,
    intent_step,
    run_calibration,
    wales_intent,
)
from sim.cli import main
from sim.data.history import History
from sim.data.parameters import calibrated_table, load_parameters
from sim.environment import FIT_PACKAGES, versions
from sim.errors import DataError
from sim.resources import calibration_dir

YEARS = np.arange(2014, 2027)


@pytest.fixture(scope="session")
def committed_fit():
    """The fit of the committed data and the parameter file text it gives, made once."""
    return run_calibration()


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


def test_spending_fit_puts_a_known_event_in_its_year():
    # Quiet data but for 2022, whose event is on record: the filter puts it there, and only
    # there, however small its jumps.
    rng = np.random.default_rng(5)
    share = _simulate_spending(rng, 0.3, 0.08, 0.6, 0.25, event_years=())
    fit = fit_spending(_history(share), event_years=(2022,))
    events = np.asarray(fit.events)
    assert events[YEARS < 2022].max() < 0.05
    assert events[YEARS >= 2022] == pytest.approx(1.0, abs=0.05)
    assert fit.rate.value == pytest.approx(2 / 13, abs=0.03)  # 2014 and 2022


def _simulate_commitment(rng, follow, noise, size, exposure, spread, frontline, event_years):
    """Core shares from the planning model's spending equation with kappa 1 and no stress:
    intent moves to 2% by 2024 (held above), plus ``size * (1 + exposure * frontline)`` per
    event, spending follows it at ``follow``."""
    allies = frontline.size
    sizes = size * (1 + exposure * frontline)  # (allies,)
    start = np.maximum(2.0 - (sizes + spread * rng.standard_normal(allies)), 0.3)
    share = np.empty((len(YEARS), allies))  # (years, allies)
    share[0] = start
    intent, events = start.copy(), 0
    for t in range(1, len(YEARS)):
        new = YEARS[t] in event_years
        intent = intent_step(intent, np.ones(allies), np.zeros(allies), int(YEARS[t]))
        jump = (sizes + spread * rng.standard_normal(allies)) * new
        share[t] = (share[t - 1] + follow * (intent + sizes * events - share[t - 1]) + jump
                    + noise * rng.standard_normal(allies))
        events += new
    return share


def test_commitment_fit_recovers_the_frontline_exposure():
    rng = np.random.default_rng(20220224)
    frontline = (np.arange(31) % 4 == 0).astype(float)  # (allies,) 8 frontline allies
    follow, noise, size, exposure, spread = 0.35, 0.06, 0.4, 1.5, 0.2
    share = _simulate_commitment(rng, follow, noise, size, exposure, spread, frontline,
                                 event_years=(2022, 2025))
    history = _history(share)
    # No fiscal pressure: debt and deficit nil, no rule relieves anything.
    record = FiscalRecord(debt=np.zeros_like(share), deficit=np.zeros_like(share),
                          escape_cap=np.zeros_like(share),
                          brake_floor=np.full_like(share, np.inf),
                          deficit_limit=np.full(len(YEARS), np.inf))
    fit = fit_commitment(history, record, frontline, event_years=(2022,))
    assert abs(fit.exposure.value - exposure) < 3 * fit.exposure.se
    assert abs(fit.size.value - size) < 3 * fit.size.se
    assert fit.ally_size == pytest.approx(size * (1 + exposure * frontline), rel=0.3)
    # Without frontline allies the exposure has nothing to act on, and stays 0.
    assert fit_commitment(history, record, np.zeros(31)).exposure.value == 0.0


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
    known = rng.random(steps) < 0.3  # (steps,) years with an event on record
    loglik = _event_loglik(change, gap, adjustment, size, spread, noise, known)
    total, smoothed, filtered = _forward_backward(loglik, rate)
    paths, weights = [], []
    # Every history, those without an event in a known year at probability 0 (its no-event
    # density is -inf there).
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
    assert all(smoothed[t, 0] == 0.0 for t in range(steps) if known[:t + 1].any())


def _central_gradient(value, theta: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """The gradient of ``value`` by central differences, (n,)."""
    return np.array([(value(theta + h) - value(theta - h)) / (2 * step)
                     for h in step * np.eye(theta.size)])


@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(2, 6), allies=st.integers(1, 5))
def test_spending_gradient_is_the_derivative_of_the_likelihood(seed, steps, allies):
    rng = np.random.default_rng(seed)
    change = rng.normal(0.1, 0.3, (steps, allies))  # (steps, allies)
    gap = rng.normal(0.3, 0.3, (steps, allies))
    wales = rng.uniform(0.0, 1.0, allies)
    theta = np.concatenate([rng.uniform(-3, 3, 2), rng.uniform(0.0, 1.0, 1),
                            rng.uniform(-2, 0.5, 1 + allies)])

    known = rng.random(change.shape[0]) < 0.3  # (steps,) years with an event on record

    def value(x):
        return _spending_objective(x, change, gap, wales, known)[0]

    _, grad = _spending_objective(theta, change, gap, wales, known)
    np.testing.assert_allclose(grad, _central_gradient(value, theta), rtol=1e-5, atol=1e-5)


@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(2, 6), allies=st.integers(1, 5))
def test_commitment_gradient_is_the_derivative_of_the_likelihood(seed, steps, allies):
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.5, 2.5, (steps + 1, allies))  # (years, allies)
    share[0, 0] = 1.0  # at least one ally pledged
    pledged = share[0] < 2.0
    pressure = rng.uniform(0.0, 2.0, (steps + 1, allies))  # stress stays below 1
    wales = np.maximum(2.0 - share[0], 0.0)
    years = tuple(range(2018, 2019 + steps))  # the deadline, 2024, inside some draws
    frontline = (rng.random(allies) < 0.5).astype(float)  # (allies,)
    known = rng.random(steps) < 0.3  # (steps,) years with an event on record
    theta = np.concatenate([rng.uniform(-3, 3, 2), rng.uniform(0.0, 1.0, 1),
                            rng.uniform(-2, 0.5, 1), rng.uniform(0.0, 0.4, 1),
                            rng.uniform(0.0, 2.0, 1),
                            rng.uniform(-2, 0.5, allies), rng.uniform(-3, 3, pledged.sum())])

    def value(x):
        return _commitment_objective(x, share, pressure, years, pledged, wales, frontline,
                                     known)[0]

    _, grad = _commitment_objective(theta, share, pressure, years, pledged, wales, frontline,
                                    known)
    np.testing.assert_allclose(grad, _central_gradient(value, theta), rtol=1e-5, atol=1e-5)


@given(seed=st.integers(0, 2**32 - 1), rate=st.floats(0.01, 0.99))
def test_batched_chain_totals_match_the_forward_backward_pass(seed, rate):
    rng = np.random.default_rng(seed)
    loglik = rng.normal(-2.0, 1.0, (2, 3, 5, 6))  # (2, batch, steps, k)
    totals = _chain_totals(loglik, rate)
    for b in range(3):
        assert totals[b] == pytest.approx(_forward_backward(loglik[:, b], rate)[0], rel=1e-12)


@given(seed=st.integers(0, 2**32 - 1), years=st.integers(4, 12), allies=st.integers(1, 5))
def test_growth_gradient_is_the_derivative_of_the_likelihood(seed, years, allies):
    rng = np.random.default_rng(seed)
    growth = rng.normal(0.02, 0.02, (years, allies))  # (years, allies)
    theta = np.concatenate([rng.uniform(-1.5, 1.5, 2), rng.uniform(-5, -3, allies)])

    def value(x):
        return _growth_objective(x, growth)[0]

    _, grad = _growth_objective(theta, growth)
    np.testing.assert_allclose(grad, _central_gradient(value, theta), rtol=1e-5, atol=1e-4)


def _rounding_noise(objective, salt: int):
    """``objective`` with its value and gradient off by up to 1e-12 relative at each point.

    The noise stands for another machine's last bits: it is fixed at each point, as rounding is.
    """

    def noisy(theta, *args, **kwargs):
        value, grad = objective(theta, *args, **kwargs)
        rng = np.random.default_rng([*theta.view(np.uint64).tolist(), salt])
        return (value * (1 + 1e-12 * rng.uniform(-1, 1)),
                grad * (1 + 1e-12 * rng.uniform(-1, 1, grad.size)))

    return noisy


def _figures(fit) -> np.ndarray:
    """Every number of a calibration, flat."""

    def numbers(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from numbers(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from numbers(item)
        elif isinstance(value, float):
            yield value

    return np.fromiter(numbers(attrs.asdict(fit)), dtype=float)


@pytest.mark.parametrize("salt", [1, 2])
def test_rounding_in_the_objective_does_not_move_the_parameter_file(committed_fit, monkeypatch,
                                                                     salt):
    fit, text = committed_fit
    monkeypatch.setattr(calibrate, "_spending_objective",
                        _rounding_noise(calibrate._spending_objective, salt))
    monkeypatch.setattr(calibrate, "_growth_objective",
                        _rounding_noise(calibrate._growth_objective, salt))
    monkeypatch.setattr(calibrate, "_commitment_objective",
                        _rounding_noise(calibrate._commitment_objective, salt))
    again, again_text = run_calibration()
    # Six decimals are written: the figures agree far inside half of the last one.
    np.testing.assert_allclose(_figures(again), _figures(fit), rtol=0, atol=5e-8)
    assert again_text == text


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


@pytest.fixture
def shared_fit(committed_fit, monkeypatch):
    """``summit calibrate`` with the session's fit of the committed data, not a fresh one."""
    fresh = calibrate.run_calibration

    def run(data_dir=None):
        return committed_fit if data_dir is None else fresh(data_dir)

    monkeypatch.setattr(calibrate, "run_calibration", run)


def _check(capsys, out=None) -> tuple[int, str]:
    """``summit calibrate --check`` on ``out`` (default: the committed file): status, stderr."""
    with pytest.raises(SystemExit) as done:
        main(["calibrate", "--check", *(["--out", str(out)] if out else [])])
        raise SystemExit(0)
    return done.value.code or 0, capsys.readouterr().err


def test_summit_calibrate_reproduces_the_committed_parameter_file(shared_fit, capsys):
    status, err = _check(capsys)
    assert status == 0, err
    assert err.splitlines()[-1].endswith("parameters.toml: reproduced exactly")


def test_the_parameter_file_records_the_versions_that_wrote_it(committed_fit):
    _, text = committed_fit
    line = (f"# Written with python {platform.python_version()}, numpy {np.__version__}, "
            f"scipy {scipy.__version__}.")
    assert line in text.splitlines()[:6]
    assert calibrate._written_with(text) == versions(FIT_PACKAGES)


def _committed_copy(tmp_path, edit) -> Path:
    path = tmp_path / "parameters.toml"
    text = (calibration_dir() / "parameters.toml").read_text(encoding="utf-8")
    path.write_text(edit(text), encoding="utf-8")
    return path


def test_calibrate_check_names_a_changed_figure_and_by_how_much(shared_fit, capsys, tmp_path):
    _, text = calibrate.run_calibration()
    common = calibrate._figures(text)["alliance.growth.common"]
    path = _committed_copy(tmp_path, lambda t: t.replace(f"\ncommon = {common:.6f}\n",
                                                         f"\ncommon = {common + 0.000123:.6f}\n"))
    status, err = _check(capsys, path)
    assert status == 1
    lines = err.splitlines()
    assert f"{path}: differs from a fresh fit of the data in 1 of 271 figures" in lines
    assert (f"  alliance.growth.common: file {common + 0.000123:.6f}, refit {common:.6f}, "
            "difference -0.000123") in lines
    assert any(line.startswith("package versions: the same as wrote the file (python ")
               for line in lines)
    assert "code or data changed" not in err


def test_calibrate_check_names_a_figure_that_is_not_a_number(shared_fit, capsys, tmp_path):
    path = _committed_copy(tmp_path, lambda t: re.sub(r"^persistence = .*$", 'persistence = "high"',
                                                      t, flags=re.MULTILINE))
    status, err = _check(capsys, path)
    assert status == 1
    assert re.search(r"^  alliance\.growth\.persistence: file 'high', refit 0\.\d{6}: the file's "
                     r"is not a number$", err, flags=re.MULTILINE)


def test_calibrate_check_summarises_many_changed_figures(shared_fit, capsys, tmp_path):
    def nudge(text: str) -> str:
        def up(match: re.Match) -> str:
            return f"{match[1]} = {float(match[2]) + 0.000001 * (1 + len(match[1]) % 3):.6f}"

        return re.sub(r"^(\w+) = ([-\d.]+)$", up, text, flags=re.MULTILINE)

    status, err = _check(capsys, _committed_copy(tmp_path, nudge))
    assert status == 1
    lines = err.splitlines()
    assert any(line.endswith("in 271 of 271 figures") for line in lines)
    listed = [line for line in lines if line.startswith("  ") and ": file " in line]
    assert len(listed) == 10 and listed[0].endswith("difference -0.000003")
    assert "  ... and 261 more, each within 0.000003" in lines


def test_calibrate_check_says_the_package_versions_differ(shared_fit, capsys, tmp_path):
    numpy_now = versions(FIT_PACKAGES)["numpy"]
    path = _committed_copy(tmp_path, lambda t: t.replace(f", numpy {numpy_now},",
                                                         ", numpy 1.26.0,"))
    status, err = _check(capsys, path)
    # The same figures under other versions: reproduced, with the versions named.
    assert status == 0, err
    assert "reproduced exactly, every figure; package versions differ from those that wrote " \
           f"the file: numpy 1.26.0 (here {numpy_now})" in err


def test_calibrate_check_fails_on_a_stale_file(shared_fit, capsys, tmp_path):
    stale = tmp_path / "parameters.toml"
    stale.write_text("# stale\n", encoding="utf-8")
    status, err = _check(capsys, stale)
    assert status == 1
    assert "differs from a fresh fit" in err
    assert "missing from the file: alliance.commitment.credibility, " in err
    assert "code or data changed since the file was written: sim/calibration/fit.py, " in err
    assert "the file does not record those that wrote it" in err


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


def test_calibrated_table_gives_each_ally_its_commitment_and_the_fiscal_elasticity():
    parameters = load_parameters()
    table = calibrated_table("DEU")
    assert table["commitment"] == {
        "follow": parameters["alliance"]["commitment"]["follow"],
        "credibility": parameters["allies"]["DEU"]["commitment"]["credibility"],
        "spread": parameters["alliance"]["commitment"]["spread"]}
    assert table["fiscal"] == {"elasticity": parameters["alliance"]["fiscal"]["elasticity"]}
    # An ally asked nothing by the Wales pledge (above 2% in 2014) has the alliance's median.
    assert (calibrated_table("USA")["commitment"]["credibility"]
            == parameters["alliance"]["commitment"]["credibility"])
