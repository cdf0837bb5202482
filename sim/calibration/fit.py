"""Fitting the spending and growth models to 2014–2026 history, and the parameter file.

`summit calibrate` runs :func:`calibrate` on :func:`sim.data.history.load_history` and writes
``calibration/parameters.toml``; the scenario loader fills every value a scenario leaves unset
from that file (:func:`sim.data.parameters.calibrated_table`). Calibration never imports the
engines.

Spending (SPEC 3.2). From 2014 every ally intended the Wales pledge: 2% of GDP by 2024, a straight
line from its 2014 share (an ally already above 2% intends to hold its share). On top of that,
**threat events** hit the whole alliance at once, in any year with probability ``rate``: in an
event year every ally's intended share rises for good by ``size`` pp of GDP, and its spending
rises at once by its own ``jump``, normal with mean ``size`` and sd ``spread`` across allies
(supplementary budgets, as in 2024-2025); the part of a jump above or below ``size`` is not in
intent and fades at the ally's adjustment speed. The 2014 Wales pledge is itself the response to
one such event (Crimea), so 2014 counts as an observed event whose jumps are the rises in intent
the pledge asked of each ally (2% less its 2014 share, or nothing); later events are latent and
found by a hidden-Markov filter over the number of events so far (the likelihood is exact):

    c[i,t] = c[i,t-1] + adjustment[i] * (wales[i,t] + size * events[t-1] - c[i,t-1])
             + jump[i,t] * new_event[t] + noise[i] * z[i,t]

Step one fits a pooled adjustment, ``rate``, ``size``, ``spread`` and each ally's noise by
maximum likelihood (``scipy.optimize.minimize``, then Newton steps on the exact gradient); step
two regresses each ally's changes on its gap to intent (the smoothed event count filled in) and
shrinks the per-ally adjustment and log noise toward the alliance mean by empirical Bayes (a
normal hierarchy whose mean and spread maximise the marginal likelihood), so allies with short or
noisy series borrow strength from the others.

Commitment (the planning model, PLANNING.md; :func:`fit_commitment`). The same years refitted
with the commitment layer in place of a per-ally adjustment: each ally's intent moves from its
2014 share toward 2% by 2024 with a per-ally credibility ``kappa`` (logit-normal across allies),
slowed by fiscal stress (``elasticity`` times the IMF WEO pressure index, capped at 1), and
spending follows intent at one alliance-wide speed ``follow``, with the threat events refitted
jointly. Step one fits ``follow``, the events, each ally's noise and logit ``kappa`` by maximum
likelihood at each elasticity of a grid (the best one is kept: stress's kink makes the
likelihood's derivative in the elasticity jump); step two is the empirical-Bayes hierarchy of
logit ``kappa``, each ally's likelihood profiled over a grid. The elasticity is not identified
by 2014-2026 (its profile is flat within 0.8 of log-likelihood): the README says so and gives
the assumption the baseline uses.

Growth (SPEC 3.1). An AR(1) per ally around its historical mean with a pooled persistence and a
pooled loading on one common factor, fitted by Gaussian maximum likelihood on the derived real
growth series; each ally's volatility is shrunk the same way. The medium-term mean used in
projections stays the IMF WEO projection (:mod:`sim.data.base`).

Both fits end where the exact gradient vanishes, to within its rounding, not where a line search
stops improving: so the parameter file's six decimals do not depend on the last bits of the
machine's arithmetic (another CPU's vector instructions, another BLAS). The file's header records
the sha256 of the code and data and the Python, NumPy and SciPy versions that fitted it;
``summit calibrate --check`` refits and names each figure that differs (:func:`check_parameters`).

Standard errors of pooled values come from the inverse Hessian of the negative log-likelihood
(central differences of the exact gradient) in the optimiser's coordinates, mapped back by the
delta method, holding each ally's noise at its estimate; per-ally values report the
empirical-Bayes posterior standard deviation.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from scipy import optimize, special, stats

from sim.data.fiscal import FISCAL_FILE, load_fiscal
from sim.data.history import HISTORY_FILES, History, load_history
from sim.data.rules import RULES_FILE, debt_brake, escape_clause
from sim.data.threats import EVENTS_FILE, FRONTLINE_FILE, frontline_flags, known_events
from sim.environment import FIT_PACKAGES, versions
from sim.errors import DataError
from sim.resources import calibration_dir

#: The code the fitted values depend on, whose digests the parameter file records: this module
#: and the readers of the history and the fiscal data it fits.
_CODE_FILES = (Path(__file__), *(Path(__file__).parent.parent / "data" / name
                                  for name in ("history.py", "fiscal.py", "rules.py",
                                               "threats.py")))
_PACKAGE_ROOT = Path(__file__).parent.parent.parent
WALES_YEAR, WALES_TARGET = 2024, 2.0  # "2% within a decade" of the 2014 Wales Summit
#: A negative log-likelihood in the optimiser's coordinates: its value and exact gradient.
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
# L-BFGS-B runs until rounding stops it (its default stops at a relative change in the objective
# of 2e-9, which leaves the optimum uncertain in the 5th digit); Newton steps then polish.
_LBFGSB = {"ftol": 0.0, "gtol": 1e-10, "maxiter": 10_000, "maxls": 50}
_NEWTON_STEPS = 6
_NEWTON_REACH = 1e-2  # a larger step means L-BFGS-B stopped far from the optimum: no polish
_NEWTON_DONE = 1e-12  # a step this small is rounding
_AT_BOUND = 1e-8  # a coordinate this close to a bound is held there
_HESSIAN_STEP = 1e-5  # in the optimiser's coordinates (logs, logits), all of order one
# PLANNING's fiscal pressure: the Maastricht reference values, debt counted per 10 pp.
DEBT_THRESHOLD, DEBT_STEP, DEFICIT_LIMIT = 60.0, 10.0, 3.0
ESCAPE_REFERENCE_YEAR = 2021  # the escape clause relieves defence spending above 2021's
# The SGP general escape clause: activated by the Council on 23 March 2020, deactivated at the
# end of 2023 (European Commission, fiscal policy guidance for 2024, 8 March 2023).
GENERAL_ESCAPE = (2020, 2023)
#: Logit kappa on which each ally's likelihood is profiled and integrated (step 0.1).
KAPPA_GRID = np.linspace(-8.0, 8.0, 161)
#: Elasticities at which the likelihood is profiled; the fit takes the best. Stress is
#: min(1, elasticity * pressure), whose kinks make the likelihood's derivative in the
#: elasticity jump, so it is profiled rather than differentiated.
ELASTICITY_GRID = (0.0, 0.05, 0.1, 0.2, 0.4, 1.0)
#: The largest exposure the fit considers: a frontline ally's events up to 21 times the others'.
EXPOSURE_MAX = 20.0
# Enough to rank the profile (to about 0.003 in log-likelihood; its steps are 0.1 or more).
_PROFILE = {"ftol": 1e-12, "gtol": 1e-8, "maxiter": 10_000}


@attrs.frozen
class Estimate:
    """A fitted value and its standard error, in the unit of the quantity."""

    value: float
    se: float


@attrs.frozen
class SpendingFit:
    """Fitted spending parameters: pooled values, then per ally in ``codes`` order."""

    codes: tuple[str, ...]
    adjustment: Estimate  # pooled, fraction of the gap closed a year
    rate: Estimate  # threat events a year
    size: Estimate  # pp of GDP added to intent by one event, mean over allies
    spread: Estimate  # pp of GDP, sd of that rise across allies
    ally_adjustment: tuple[Estimate, ...]
    ally_noise: tuple[Estimate, ...]  # pp of GDP
    adjustment_spread: float  # sd of adjustment across allies (empirical Bayes)
    events: tuple[float, ...]  # (years,) smoothed expected number of events since 2014
    events_now: tuple[float, ...]  # P(k events since 2014 | data), last fitted year, k = 0, 1...


@attrs.frozen
class CommitmentFit:
    """Fitted commitment, fiscal-stress and threat-event parameters of the planning model.

    Per-ally tuples are in ``codes`` order; an ally at or above 2% in 2014 (``pledged`` False)
    was asked nothing by the Wales pledge: its kappa is the alliance's distribution.
    """

    codes: tuple[str, ...]
    follow: Estimate  # fraction of the gap to commitment intent closed a year, alliance-wide
    rate: Estimate  # threat events a year, fitted with the commitment
    size: Estimate  # pp of GDP
    spread: Estimate  # pp of GDP, sd of an event's jump across allies
    elasticity: Estimate  # stress per unit of fiscal pressure (1 / pressure point)
    #: A frontline ally's extra rise in intent per event, as a fraction of ``size``: an event
    #: raises an ally's intent by ``size * (1 + exposure * frontline)`` pp of GDP.
    exposure: Estimate
    frontline: tuple[bool, ...]  # per ally: a land border with Russia (sim.data.threats)
    credibility: Estimate  # median kappa across allies (expit of the mean logit kappa)
    credibility_spread: Estimate  # sd of logit kappa across allies
    pledged: tuple[bool, ...]
    ally_credibility: tuple[Estimate, ...]  # expit of the posterior mean logit; sd of kappa
    ally_logit: tuple[tuple[float, float], ...]  # posterior mean and sd of logit kappa
    ally_noise: tuple[Estimate, ...]  # pp of GDP
    events: tuple[float, ...]  # (years,) smoothed expected number of events since 2014
    events_now: tuple[float, ...]  # P(k events since 2014 | data), last fitted year
    elasticity_profile: tuple[float, ...]  # minus log-likelihood at ELASTICITY_GRID less best's

    @property
    def ally_size(self) -> np.ndarray:
        """Each ally's rise in intent per event, (allies,) pp of GDP."""
        return self.size.value * (1.0 + self.exposure.value * np.array(self.frontline, float))


@attrs.frozen
class GrowthFit:
    """Fitted growth parameters (fractions per year)."""

    codes: tuple[str, ...]
    persistence: Estimate
    common: Estimate
    ally_sd: tuple[Estimate, ...]
    ally_mean: tuple[float, ...]  # historical mean, for reference only


@attrs.frozen
class Calibration:
    spending: SpendingFit
    growth: GrowthFit
    commitment: CommitmentFit
    years: tuple[int, int]


# --- spending ---------------------------------------------------------------------------------


def wales_intent(core_share: np.ndarray, years: np.ndarray) -> np.ndarray:
    """The Wales pledge as a path, (years, allies): 2014 share straight to 2% in 2024, then held."""
    start = core_share[0]
    target = np.maximum(WALES_TARGET, start)
    fraction = np.clip((years - years[0]) / (WALES_YEAR - years[0]), 0.0, 1.0)[:, None]
    return start + (target - start) * fraction


def _event_loglik(change: np.ndarray, gap: np.ndarray, adjustment: np.ndarray | float,
                  size: float | np.ndarray, spread: float, noise: np.ndarray,
                  known: np.ndarray) -> np.ndarray:
    """log P(year t's changes | k events before it, and none or one in it), (2, steps, k).

    With ``k`` earlier events spending moves ``adjustment`` of the way to intent raised by
    ``size * k``; in an event year it also rises at once by a jump ~ N(size, spread^2).
    ``size`` is one for every ally or each ally's own, (allies,). In a ``known`` year, (steps,)
    bool, an event is observed to have happened: the case of none has probability 0.
    """
    return _observed(_ally_event_logpdf(change, gap, adjustment, size, spread, noise).sum(
        axis=-1), known)


def _observed(loglik: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``loglik`` (2, ..., steps, k) with the no-event case ruled out in the ``known`` years."""
    loglik[0][..., known, :] = -np.inf
    return loglik


def _ally_event_logpdf(change: np.ndarray, gap: np.ndarray, adjustment: np.ndarray | float,
                       size: float | np.ndarray, spread: float, noise: np.ndarray) -> np.ndarray:
    """:func:`_event_loglik` ally by ally, (2, steps, k, allies)."""
    k = np.arange(change.shape[0] + 1)[None, :, None]
    mean = adjustment * (gap[:, None, :] + size * k)  # (steps, events, allies)
    quiet = stats.norm.logpdf(change[:, None, :], mean, noise)
    event = stats.norm.logpdf(change[:, None, :], mean + size, np.hypot(noise, spread))
    return np.stack([quiet, event])


def _passes(loglik: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """The forward and backward passes of the chain, (steps, k) each, in logs."""
    quiet, event = loglik[0], loglik[1]  # (steps, k before the year) each
    steps, states = quiet.shape
    stay, move = np.log1p(-rate), np.log(rate)
    none = np.array([-np.inf])
    forward = np.full((steps, states), -np.inf)  # log P(data to t, k events to t)
    previous = np.full(states, -np.inf)
    previous[0] = 0.0  # no event after 2014 yet when the series starts
    for t in range(steps):
        arrive = np.concatenate([none, (previous + move + event[t])[:-1]])
        previous = np.logaddexp(previous + stay + quiet[t], arrive)
        forward[t] = previous
    backward = np.zeros((steps, states))  # log P(data after t | k events to t)
    for t in range(steps - 2, -1, -1):
        later = backward[t + 1]
        backward[t] = np.logaddexp(stay + quiet[t + 1] + later,
                                   np.concatenate([(move + event[t + 1])[:-1] + later[1:], none]))
    return forward, backward


def _forward_backward(loglik: np.ndarray, rate: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, smoothed and last filtered P(k events so far), (steps, k), of the chain."""
    forward, backward = _passes(loglik, rate)
    total = special.logsumexp(forward[-1])
    smoothed = np.exp(forward + backward - total)
    filtered = np.exp(forward[-1] - total)
    return float(total), smoothed, filtered


def _year_posterior(loglik: np.ndarray, rate: float) -> tuple[float, np.ndarray]:
    """Log-likelihood and P(k events before year t, none or one in it | data), (2, steps, k)."""
    forward, backward = _passes(loglik, rate)
    total = special.logsumexp(forward[-1])
    states = forward.shape[1]
    start = np.full((1, states), -np.inf)
    start[0, 0] = 0.0
    before = np.vstack([start, forward[:-1]])  # (steps, k) log P(data before t, k before t)
    # (steps, k) log P(data after t | k + 1 events to t): the event year's successor state.
    after_event = np.hstack([backward[:, 1:], np.full((len(backward), 1), -np.inf)])
    quiet = before + np.log1p(-rate) + loglik[0] + backward
    event = before + np.log(rate) + loglik[1] + after_event
    return float(total), np.exp(np.stack([quiet, event]) - total)


def wales_jumps(core_share: np.ndarray) -> np.ndarray:
    """The 2014 event's jumps, (allies,): the rise in intent the Wales pledge asked of each ally."""
    return np.maximum(WALES_TARGET - core_share[0], 0.0)


def _chain_gradient(change: np.ndarray, gap: np.ndarray, adjustment: float, rate: float,
                    size: float | np.ndarray, spread: float, noise: np.ndarray,
                    wales: np.ndarray, known: np.ndarray
                    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The chain's log-likelihood, its gradient, and its derivatives in the gap to intent and
    in each ally's event size.

    The gradient, (4 + allies,), is in the optimiser's coordinates of (adjustment, rate, size,
    spread, each ally's noise): logit, logit, pp, log, log; its size entry moves every ally's
    size together. ``size`` is one for every ally or each ally's own, (allies,). The
    derivatives in ``gap``, (steps, allies), and in each ally's size, (allies,), let a model
    whose intent or sizes have parameters of their own chain to them.
    The gradient of the chain's log-likelihood is the posterior expectation of the gradient of
    each year's log density (Fisher's identity), so one forward-backward pass gives both.
    """
    loglik = _event_loglik(change, gap, adjustment, size, spread, noise, known)
    total, posterior = _year_posterior(loglik, rate)
    quiet_w, event_w = posterior[0][..., None], posterior[1][..., None]  # (steps, k, 1) each
    k = np.arange(change.shape[0] + 1)[None, :, None]
    towards = gap[:, None, :] + size * k  # (steps, k, allies) gap to intent with k events
    quiet_r = change[:, None, :] - adjustment * towards  # (steps, k, allies) residuals
    event_r = quiet_r - size
    variance = noise**2 + spread**2  # (allies,) of a change in an event year
    # d log density / d mean and / d variance, weighted by the posterior of each case.
    quiet_dm = quiet_w * quiet_r / noise**2
    event_dm = event_w * event_r / variance
    event_dv = event_w * 0.5 * (event_r**2 / variance**2 - 1 / variance)
    grad = np.empty(4 + noise.size)  # of the log-likelihood, 2014's terms included
    grad[0] = adjustment * (1 - adjustment) * ((quiet_dm + event_dm) * towards).sum()
    grad[1] = (1 - rate) * event_w.sum() - rate * quiet_w.sum() + (1 - rate)
    d_size = (((quiet_dm + event_dm) * adjustment * k).sum(axis=(0, 1))
              + event_dm.sum(axis=(0, 1)) + (wales - size) / spread**2)  # (allies,)
    grad[2] = d_size.sum()
    grad[3] = 2 * spread**2 * event_dv.sum() + ((wales - size)**2 / spread**2 - 1).sum()
    grad[4:] = ((quiet_w * (quiet_r**2 / noise**2 - 1)).sum(axis=(0, 1))
                + 2 * noise**2 * event_dv.sum(axis=(0, 1)))
    d_gap = adjustment * (quiet_dm + event_dm).sum(axis=1)  # (steps, allies)
    # 2014 is an observed event: its occurrence and its jumps enter the likelihood.
    total += np.log(rate) + stats.norm.logpdf(wales, size, spread).sum()
    return total, grad, d_gap, d_size


def _spending_objective(theta: np.ndarray, change: np.ndarray, gap: np.ndarray,
                        wales: np.ndarray, known: np.ndarray) -> tuple[float, np.ndarray]:
    """The spending negative log-likelihood and its exact gradient in ``theta``."""
    adjustment, rate = special.expit(theta[0]), special.expit(theta[1])
    size, spread, noise = theta[2], np.exp(theta[3]), np.exp(theta[4:])
    total, grad, _, _ = _chain_gradient(change, gap, adjustment, rate, size, spread, noise,
                                        wales, known)
    return -total, -grad


def _shrink(estimates: np.ndarray, variances: np.ndarray) -> tuple[np.ndarray, np.ndarray, float,
                                                                       float]:
    """Empirical Bayes in a normal hierarchy: posterior means and sds, the mean and the spread.

    The mean and spread maximise the marginal likelihood. Given the spread's square ``s2`` the
    best mean is the precision-weighted mean, so ``s2`` is where the profile likelihood's
    derivative vanishes (the envelope theorem gives it without the mean's), found by bracketing
    to the last bit rather than by a simplex search, whose end point moved by 1e-9 with the
    last bits of its inputs (and so the parameter file's sixth decimal where a value lay near
    a rounding edge); 0 where the derivative is negative from the start.
    """

    def best_mean(s2: float) -> float:
        weight = 1.0 / (s2 + variances)
        return float((weight * estimates).sum() / weight.sum())

    def slope(s2: float) -> float:  # d log-likelihood / d s2 at the best mean
        total = s2 + variances
        return float((((estimates - best_mean(s2)) ** 2 / total - 1.0) / total).sum())

    spread2 = 0.0
    if slope(0.0) > 0:
        upper = float(estimates.var() + variances.max()) + 1.0
        while slope(upper) > 0:
            upper *= 4.0
        spread2 = optimize.brentq(slope, 0.0, upper, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                                  maxiter=500)
    mean = best_mean(spread2)
    weight = spread2 / (spread2 + variances)
    return (weight * estimates + (1 - weight) * mean, np.sqrt(weight * variances),
            float(mean), float(np.sqrt(spread2)))


def _shrunk_noise(noise: np.ndarray, dof: int) -> tuple[Estimate, ...]:
    """Each ally's execution noise (allies,) shrunk toward the alliance's on the log scale (a
    log sd estimated from ``dof`` changes has variance about 1 / (2 dof)), with its sd."""
    post_log_s, sd_log_s, _, _ = _shrink(np.log(noise), np.full(noise.size, 1 / (2 * dof)))
    return tuple(Estimate(float(s), float(s * d))
                 for s, d in zip(np.exp(post_log_s), sd_log_s, strict=True))


def _hessian(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """The Hessian, (n, n), by central differences of the objective's exact gradient."""
    step = _HESSIAN_STEP * np.eye(theta.size)  # (n, n) one coordinate's step a row
    columns = [objective(theta + h)[1] - objective(theta - h)[1] for h in step]
    hess = np.asarray(columns) / (2 * _HESSIAN_STEP)  # (n, n)
    return (hess + hess.T) / 2


def _minimize(objective: Objective, start: np.ndarray,
              bounds: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """The minimum of ``objective`` (a value and its exact gradient), and the Hessian there.

    L-BFGS-B ends where rounding in the objective stops its line search, about 1e-6 from the
    optimum in the optimiser's coordinates: that is where the last bits of another CPU or BLAS
    would move a 6-decimal value. Newton steps on the exact gradient then go to where the
    gradient vanishes, within the gradient's own rounding, away from any bound L-BFGS-B holds.
    """
    fit = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                            options=_LBFGSB)
    theta = fit.x
    low, high = np.asarray(bounds).T  # (n,) each
    free = (theta > low + _AT_BOUND) & (theta < high - _AT_BOUND)  # (n,)
    hess = _hessian(objective, theta)
    steps = 0
    while steps < _NEWTON_STEPS and free.any():  # every coordinate at a bound: done
        inner = hess[np.ix_(free, free)]
        if not np.all(np.linalg.eigvalsh(inner) > 0):
            break  # not a minimum's neighbourhood: L-BFGS-B's point stands
        step = np.linalg.solve(inner, objective(theta)[1][free])
        target = theta[free] - step
        beyond = (target < low[free]) | (target > high[free])
        if beyond.any():
            # A coordinate whose likelihood is nearly flat toward its bound (a kappa near 1)
            # L-BFGS-B leaves short of it, where rounding decides how short: it is held at the
            # bound the Newton step crosses, and the others polished without it.
            held = np.flatnonzero(free)[beyond]
            theta = theta.copy()
            theta[held] = np.clip(target[beyond], low[held], high[held])
            free[held] = False
            hess = _hessian(objective, theta)
            continue
        steps += 1
        if np.abs(step).max() > _NEWTON_REACH:
            break
        theta = theta.copy()
        theta[free] = np.clip(theta[free] - step, low[free], high[free])
        hess = _hessian(objective, theta)
        if np.abs(step).max() < _NEWTON_DONE:
            break
    return theta, hess


def _standard_errors(hess: np.ndarray, free: int) -> np.ndarray:
    """Standard errors of the first ``free`` coordinates, the rest held at their estimates."""
    covariance = np.linalg.pinv(hess[:free, :free])
    return np.sqrt(np.clip(np.diag(covariance), 0.0, None))


def known_steps(years: Sequence[int], event_years: Sequence[int]) -> np.ndarray:
    """(steps,) bool: which of the changes after ``years[0]`` fall in a year of a known
    threat event."""
    return np.isin(np.asarray(years)[1:], np.asarray(event_years, dtype=int))


def fit_spending(history: History, event_years: Sequence[int] = ()) -> SpendingFit:
    """Fit adjustment, noise and the threat-event mechanism to the core share history; an
    event is known to have happened in each year of ``event_years``."""
    share = history.core_share
    years = np.asarray(history.years)
    if len(years) < 4:
        raise DataError(f"calibration needs at least 4 years of core shares, got {len(years)}")
    wales = wales_intent(share, years)
    change = np.diff(share, axis=0)  # (steps, allies)
    gap = wales[1:] - share[:-1]  # (steps, allies) distance to intent with no event since 2014
    observed = wales_jumps(share)
    noise0 = np.log(np.maximum(change.std(axis=0), 0.02))
    start = np.concatenate([[special.logit(0.3), special.logit(0.1), observed.mean(),
                             np.log(observed.std())], noise0])
    known = known_steps(history.years, event_years)
    objective = functools.partial(_spending_objective, change=change, gap=gap, wales=observed,
                                  known=known)
    theta, hess = _minimize(objective, start, [(-8, 8), (-8, 3), (0.0, 5.0), (-6, 2)]
                            + [(-6, 2)] * len(noise0))
    adjustment, rate, size = special.expit(theta[0]), special.expit(theta[1]), theta[2]
    spread = np.exp(theta[3])
    se = _standard_errors(hess, 4)
    noise = np.exp(theta[4:])
    loglik = _event_loglik(change, gap, adjustment, size, spread, noise, known)
    _, smoothed, filtered = _forward_backward(loglik, rate)
    events = smoothed @ np.arange(smoothed.shape[1])  # (steps,) E[events so far]
    before = np.concatenate([[0.0], events[:-1]])  # (steps,) E[events before the year]

    # Step two: each ally's own adjustment, then partial pooling; event jumps are taken out.
    x = gap + size * before[:, None]  # (steps, allies) gap to the smoothed intent
    y = change - size * (events - before)[:, None]
    sxx = (x**2).sum(axis=0)
    own = (x * y).sum(axis=0) / sxx
    residual = y - own * x
    dof = change.shape[0] - 1
    own_noise = np.sqrt((residual**2).sum(axis=0) / dof)
    post_a, sd_a, _, adjustment_spread = _shrink(own, own_noise**2 / sxx)
    # Noise from step one, whose likelihood tells event-year jumps from execution noise.
    return SpendingFit(
        codes=history.codes,
        adjustment=Estimate(float(adjustment), float(se[0] * adjustment * (1 - adjustment))),
        rate=Estimate(float(rate), float(se[1] * rate * (1 - rate))),
        size=Estimate(float(size), float(se[2])),
        spread=Estimate(float(spread), float(se[3] * spread)),
        ally_adjustment=tuple(Estimate(float(np.clip(a, 0.0, 1.0)), float(s))
                              for a, s in zip(post_a, sd_a, strict=True)),
        ally_noise=_shrunk_noise(noise, dof),
        adjustment_spread=adjustment_spread,
        events=(0.0, *(float(e) for e in events)),
        events_now=tuple(float(p) for p in filtered),
    )


# --- commitment and fiscal stress ------------------------------------------------------------


@attrs.frozen
class FiscalRecord:
    """The fiscal history stress is computed from; arrays are (years, allies), % of GDP."""

    debt: np.ndarray  # general government gross debt, IMF WEO
    deficit: np.ndarray  # minus the overall balance
    escape_cap: np.ndarray  # relief the EU escape clause allows in the year, 0 where none
    brake_floor: np.ndarray  # share above which Germany's brake exempts defence, inf where none
    deficit_limit: np.ndarray  # (years,) the deficit that counts as stress; inf while suspended


def fiscal_record(codes: Sequence[str], years: Sequence[int],
                  data_dir: Path | None = None) -> FiscalRecord:
    """The IMF WEO debt and deficits and the fiscal rules for ``codes`` in ``years``."""
    positions = load_fiscal(data_dir)
    clauses, brake = escape_clause(data_dir), debt_brake(data_dir)
    shape = (len(years), len(codes))
    debt, deficit = np.empty(shape), np.empty(shape)  # (years, allies) each
    cap, floor = np.zeros(shape), np.full(shape, np.inf)
    for i, code in enumerate(codes):
        for t, year in enumerate(years):
            position = positions[code][year]
            debt[t, i], deficit[t, i] = position.debt, -position.overall_balance
            clause = clauses.get(code)
            if clause is not None and clause.covers(year):
                cap[t, i] = clause.cap
            if code == brake.code and brake.covers(year):
                floor[t, i] = brake.threshold
    limit = np.array([np.inf if GENERAL_ESCAPE[0] <= year <= GENERAL_ESCAPE[1] else DEFICIT_LIMIT
                      for year in years])  # (years,)
    return FiscalRecord(debt=debt, deficit=deficit, escape_cap=cap, brake_floor=floor,
                        deficit_limit=limit)


def fiscal_pressure(record: FiscalRecord, t: int, share_before: np.ndarray,
                    escape_reference: np.ndarray) -> np.ndarray:
    """Fiscal pressure on year ``t``'s budget (t >= 1, an index into the record's years),
    (..., allies).

    PLANNING's index on last year's figures: debt above 60% of GDP, if it rose, per 10 pp, plus
    the deficit beyond 3% of GDP less the relief the rules give defence. The escape clause
    relieves the rise in the defence share since 2021 (``escape_reference``), up to its cap
    (all of the rise deficit-financed); Germany's brake the share above 1% of GDP; where both
    apply the larger. The first year has no debt the year before last: its debt counts as rising.
    Deficits run while the Stability and Growth Pact's general escape clause suspended the
    deficit limit (fiscal years 2020-2023) count as none: the pandemic's deficits were not a
    constraint on defence, and counting them makes the alliance-wide stall of 2020-2022 look
    like fiscal stress (the elasticity then runs to its bound).
    """
    debt, deficit = record.debt[t - 1], record.deficit[t - 1]
    rising = debt > record.debt[t - 2] if t >= 2 else np.ones_like(debt, dtype=bool)
    relief = np.maximum(np.minimum(record.escape_cap[t], np.maximum(0.0, share_before
                                                                    - escape_reference)),
                        np.maximum(0.0, share_before - record.brake_floor[t]))
    return (rising * np.maximum(0.0, debt - DEBT_THRESHOLD) / DEBT_STEP
            + np.maximum(0.0, deficit - relief - record.deficit_limit[t - 1]))


def history_pressure(history: History, record: FiscalRecord) -> np.ndarray:
    """Pressure on each year's budget from the record and the shares observed, (years, allies).

    Row 0 (2014) is zero: no step starts there.
    """
    years = history.years
    reference = (history.core_share[years.index(ESCAPE_REFERENCE_YEAR)]
                 if ESCAPE_REFERENCE_YEAR in years else history.core_share[-1])
    pressure = np.zeros_like(history.core_share)  # (years, allies)
    for t in range(1, len(years)):
        pressure[t] = fiscal_pressure(record, t, history.core_share[t - 1], reference)
    return pressure


def intent_step(intent: np.ndarray, kappa: np.ndarray, stress: np.ndarray, year: int,
                target: float = WALES_TARGET, deadline: int = WALES_YEAR) -> np.ndarray:
    """PLANNING's commitment intent one year on (% of GDP): ``kappa`` of the way a year still
    needed to reach ``target`` by ``deadline``, slowed by fiscal stress, then toward it."""
    return intent + (1 - stress) * kappa * np.maximum(0.0, target - intent) / max(
        1, deadline - year + 1)


def _commitment_path(start: np.ndarray, kappa: np.ndarray, elasticity: float,
                     pressure: np.ndarray, years: Sequence[int]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intent under the Wales pledge from the 2014 shares, (years, ...allies), and its
    derivatives in kappa and in the elasticity, each the same shape.

    ``kappa`` is (..., allies); ``pressure`` (years, allies), row 0 unused. An ally at or
    above 2% in 2014 holds its share whatever its kappa.
    """
    shape = (len(years), *np.broadcast_shapes(kappa.shape, start.shape))
    intent, d_kappa, d_elasticity = np.empty(shape), np.zeros(shape), np.zeros(shape)
    intent[0] = start
    for t in range(1, len(years)):
        raw = elasticity * pressure[t]  # (allies,)
        stress = np.minimum(1.0, raw)
        slope = np.where(raw < 1.0, pressure[t], 0.0)  # d stress / d elasticity
        per_year = 1.0 / max(1, WALES_YEAR - years[t] + 1)
        short = WALES_TARGET - intent[t - 1]
        below = short > 0
        short = np.maximum(0.0, short)
        step = (1 - stress) * kappa * per_year  # fraction of the shortfall closed this year
        intent[t] = intent[t - 1] + step * short
        d_kappa[t] = d_kappa[t - 1] * (1 - step * below) + (1 - stress) * per_year * short
        d_elasticity[t] = (d_elasticity[t - 1] * (1 - step * below)
                           - slope * kappa * per_year * short)
    return intent, d_kappa, d_elasticity


#: The commitment fit's pooled coordinates, in ``theta`` order before each ally's log noise and
#: logit kappa: logit follow, logit rate, size, log spread, elasticity, exposure.
_POOLED = 6


@attrs.frozen
class _CommitmentTheta:
    """The commitment model's values at a point ``theta`` of its optimiser's coordinates."""

    follow: float
    rate: float
    size: float  # pp of GDP: a non-frontline ally's rise in intent per event
    spread: float
    elasticity: float
    exposure: float  # a frontline ally's extra rise, as a fraction of ``size``
    noise: np.ndarray  # (allies,)
    kappa: np.ndarray  # (allies,) 0.5 for the allies that held (their kappa has no effect)
    sizes: np.ndarray  # (allies,) each ally's rise in intent per event: size * weight
    weight: np.ndarray  # (allies,) 1 + exposure * frontline

    @classmethod
    def at(cls, theta: np.ndarray, pledged: np.ndarray,
           frontline: np.ndarray) -> _CommitmentTheta:
        allies = pledged.size
        kappa = np.full(allies, 0.5)
        kappa[pledged] = special.expit(theta[_POOLED + allies:])
        weight = 1.0 + theta[5] * frontline
        return cls(follow=special.expit(theta[0]), rate=special.expit(theta[1]), size=theta[2],
                   spread=np.exp(theta[3]), elasticity=theta[4], exposure=theta[5],
                   noise=np.exp(theta[_POOLED:_POOLED + allies]), kappa=kappa,
                   sizes=theta[2] * weight, weight=weight)


def _commitment_objective(theta: np.ndarray, share: np.ndarray, pressure: np.ndarray,
                          years: tuple[int, ...], pledged: np.ndarray, wales: np.ndarray,
                          frontline: np.ndarray, known: np.ndarray) -> tuple[float, np.ndarray]:
    """The commitment model's negative log-likelihood and its exact gradient in ``theta``.

    ``theta``: the :data:`_POOLED` coordinates, each ally's log noise, then the logit kappa of
    each ally that pledged (below 2% in 2014), in ``codes`` order. An event raises an ally's
    intent by ``size * (1 + exposure * frontline)``.
    """
    allies = share.shape[1]
    at = _CommitmentTheta.at(theta, pledged, frontline)
    intent, d_kappa, d_elasticity = _commitment_path(share[0], at.kappa, at.elasticity,
                                                     pressure, years)
    gap = intent[1:] - share[:-1]  # (steps, allies)
    total, chain, d_gap, d_size = _chain_gradient(np.diff(share, axis=0), gap, at.follow,
                                                  at.rate, at.sizes, at.spread, at.noise,
                                                  wales, known)
    grad = np.empty_like(theta)
    grad[:4], grad[_POOLED:_POOLED + allies] = chain[:4], chain[4:]
    grad[2] = (d_size * at.weight).sum()
    grad[4] = (d_gap * d_elasticity[1:]).sum()
    grad[5] = at.size * (d_size * frontline).sum()
    grad[_POOLED + allies:] = ((d_gap * d_kappa[1:]).sum(axis=0) * at.kappa
                               * (1 - at.kappa))[pledged]
    return -total, -grad


def _chain_totals(loglik: np.ndarray, rate: float) -> np.ndarray:
    """The chain's log-likelihood of many data sets at once, (batch,), from (2, batch, steps, k)
    log densities (the forward pass of :func:`_passes`, batched; 2014's terms left out)."""
    quiet, event = loglik[0], loglik[1]
    batch, steps, states = quiet.shape
    stay, move = np.log1p(-rate), np.log(rate)
    none = np.full((batch, 1), -np.inf)
    previous = np.full((batch, states), -np.inf)  # (batch, k)
    previous[:, 0] = 0.0
    for t in range(steps):
        arrive = np.hstack([none, (previous + move + event[:, t])[:, :-1]])
        previous = np.logaddexp(previous + stay + quiet[:, t], arrive)
    return special.logsumexp(previous, axis=1)


def _kappa_profiles(theta: np.ndarray, share: np.ndarray, pressure: np.ndarray,
                    years: tuple[int, ...], pledged: np.ndarray, frontline: np.ndarray,
                    known: np.ndarray) -> np.ndarray:
    """Each pledging ally's log-likelihood with its logit kappa on :data:`KAPPA_GRID` and every
    other value at the fit, less the fit's, (pledging allies, grid)."""
    allies = share.shape[1]
    at = _CommitmentTheta.at(theta, pledged, frontline)
    change = np.diff(share, axis=0)
    grid = np.broadcast_to(special.expit(KAPPA_GRID)[:, None], (KAPPA_GRID.size, allies))
    fitted, _, _ = _commitment_path(share[0], at.kappa, at.elasticity, pressure, years)
    tried, _, _ = _commitment_path(share[0], grid, at.elasticity, pressure,
                                   years)  # (years, G, A)
    own = _ally_event_logpdf(change, fitted[1:] - share[:-1], at.follow, at.sizes, at.spread,
                             at.noise)
    # (2, G, steps, k, allies): every ally at each grid value at once; allies are independent
    # given the events, so ally i's trial swaps only its own column.
    trial = np.stack([_ally_event_logpdf(change, tried[1:, g] - share[:-1], at.follow,
                                         at.sizes, at.spread, at.noise)
                      for g in range(KAPPA_GRID.size)], axis=1)
    rest = own.sum(axis=-1)[..., None] - own  # (2, steps, k, allies) the others' densities
    swapped = rest[:, None][..., pledged] + trial[..., pledged]  # (2, G, steps, k, P)
    batch = np.moveaxis(swapped, -1, 1).reshape(2, -1, *swapped.shape[2:4])  # (2, P*G, s, k)
    base = _chain_totals(_observed(own.sum(axis=-1)[:, None], known), at.rate)[0]
    return (_chain_totals(_observed(batch, known), at.rate)
            - base).reshape(pledged.sum(), KAPPA_GRID.size)


def _kappa_objective(phi: np.ndarray, profiles: np.ndarray) -> tuple[float, np.ndarray]:
    """Minus the marginal log-likelihood of the logit-normal hierarchy of kappa, and its gradient
    in (mean, log sd) of logit kappa, integrating each ally's profile over the grid."""
    mean, sd = phi[0], np.exp(phi[1])
    z = (KAPPA_GRID - mean) / sd  # (grid,)
    joint = profiles + stats.norm.logpdf(z) - phi[1]  # (allies, grid)
    marginal = special.logsumexp(joint, axis=1, keepdims=True)  # (allies, 1)
    weight = np.exp(joint - marginal)  # (allies, grid) posterior of each ally's logit kappa
    grad = np.array([-(weight * z / sd).sum(), -(weight * (z**2 - 1)).sum()])
    return -float(marginal.sum()), grad


def _errors_of(hess: np.ndarray, theta: np.ndarray, bounds: Sequence[tuple[float, float]],
               first: int) -> np.ndarray:
    """Standard errors of the first ``first`` coordinates, every other free coordinate
    integrated out (the inverse of the free block of the Hessian); 0 for one at a bound."""
    low, high = np.asarray(bounds).T
    free = (theta > low + _AT_BOUND) & (theta < high - _AT_BOUND)
    covariance = np.zeros_like(hess)
    covariance[np.ix_(free, free)] = np.linalg.pinv(hess[np.ix_(free, free)])
    return np.sqrt(np.clip(np.diag(covariance)[:first], 0.0, None))


def fit_commitment(history: History, record: FiscalRecord, frontline: np.ndarray,
                   event_years: Sequence[int] = ()) -> CommitmentFit:
    """Fit commitment credibility, follow, fiscal stress and threat events to the core shares.

    ``record`` is the fiscal history of ``history``'s allies and years (:func:`fiscal_record`);
    ``frontline`` (allies,) is 1 for an ally bordering Russia, else 0
    (:func:`sim.data.threats.frontline_flags`), whose events' size the fit lets differ; an
    event is known to have happened in each year of ``event_years``.
    """
    share = history.core_share
    years = history.years
    if len(years) < 4:
        raise DataError(f"calibration needs at least 4 years of core shares, got {len(years)}")
    allies = share.shape[1]
    pressure = history_pressure(history, record)  # (years, allies)
    pledged = share[0] < WALES_TARGET  # (allies,)
    observed = wales_jumps(share)
    change = np.diff(share, axis=0)
    noise0 = np.log(np.maximum(change.std(axis=0), 0.02))
    frontline = np.asarray(frontline, dtype=float)
    known = known_steps(history.years, event_years)
    start = np.concatenate([[special.logit(0.3), special.logit(0.1), observed.mean(),
                             np.log(observed.std()), 0.0, 0.0], noise0,
                            np.full(pledged.sum(), special.logit(0.7))])
    objective = functools.partial(_commitment_objective, share=share, pressure=pressure,
                                  years=years, pledged=pledged, wales=observed,
                                  frontline=frontline, known=known)
    # Exposure from 0 up: a frontline ally's events are at least the others'. Before 2022 the
    # only event is 2014, whose "jumps" are the rises the Wales pledge asked, small for the
    # frontline allies already near 2% (Estonia, Poland): its arithmetic, not their exposure,
    # would make the estimate negative. With no frontline ally it has no effect: held at 0.
    exposure_bounds = (0.0, EXPOSURE_MAX) if frontline.any() else (0.0, 0.0)

    def bounds_at(value: float) -> list[tuple[float, float]]:
        return ([(-8, 8), (-8, 3), (0.0, 5.0), (-6, 2), (value, value), exposure_bounds]
                + [(-6, 2)] * allies + [(KAPPA_GRID[0], KAPPA_GRID[-1])] * int(pledged.sum()))

    # The profile by L-BFGS-B, each elasticity started where the last ended; the best is
    # then polished (the profile's other values only rank the grid).
    starts, profile = [], []
    for value in ELASTICITY_GRID:
        start = start.copy()
        start[4] = value
        found = optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                                  bounds=bounds_at(value), options=_PROFILE)
        starts.append(found.x)
        profile.append(float(found.fun))
        start = found.x
    best = int(np.argmin(profile))
    bounds = bounds_at(ELASTICITY_GRID[best])
    theta, hess = _minimize(objective, starts[best], bounds)
    profile[best] = min(profile[best], float(objective(theta)[0]))
    se = _errors_of(hess, theta, bounds, _POOLED)
    # The elasticity's uncertainty from its profile: half the span of the grid values whose
    # likelihood is within 0.5 of the best (a one-sd interval for a regular likelihood).
    near = np.asarray(ELASTICITY_GRID)[np.asarray(profile) <= profile[best] + 0.5]
    se[4] = (near.max() - near.min()) / 2
    at = _CommitmentTheta.at(theta, pledged, frontline)
    follow, rate, size, spread = at.follow, at.rate, at.size, at.spread
    intent, _, _ = _commitment_path(share[0], at.kappa, at.elasticity, pressure, years)
    loglik = _event_loglik(change, intent[1:] - share[:-1], follow, at.sizes, spread, at.noise,
                           known)
    _, smoothed, filtered = _forward_backward(loglik, rate)
    events = smoothed @ np.arange(smoothed.shape[1])  # (steps,) E[events so far]

    # Step two: the hierarchy of logit kappa across allies, by empirical Bayes on each ally's
    # likelihood profile (the grid's spacing cancels from every posterior).
    profiles = _kappa_profiles(theta, share, pressure, years, pledged, frontline,
                               known)  # (pledged, grid)
    phi, hess_phi = _minimize(functools.partial(_kappa_objective, profiles=profiles),
                              np.array([0.0, 0.0]), [(-6.0, 6.0), (-5.0, 2.0)])
    se_phi = _errors_of(hess_phi, phi, [(-6.0, 6.0), (-5.0, 2.0)], 2)
    mean, sd = phi[0], np.exp(phi[1])
    joint = profiles + stats.norm.logpdf((KAPPA_GRID - mean) / sd)
    weight = np.exp(joint - special.logsumexp(joint, axis=1, keepdims=True))  # (pledged, grid)
    logit_mean = np.full(allies, mean)  # (allies,) held allies keep the alliance's prior
    logit_sd = np.full(allies, sd)
    logit_mean[pledged] = weight @ KAPPA_GRID
    logit_sd[pledged] = np.sqrt(np.clip(weight @ KAPPA_GRID**2 - logit_mean[pledged]**2, 0.0,
                                        None))
    prior = stats.norm.pdf((KAPPA_GRID - mean) / sd)
    prior_weight = np.broadcast_to(prior / prior.sum(), (allies, KAPPA_GRID.size)).copy()
    prior_weight[pledged] = weight
    level = special.expit(KAPPA_GRID)
    kappa_sd = np.sqrt(np.clip(prior_weight @ level**2 - (prior_weight @ level)**2, 0.0, None))
    credibility = special.expit(mean)
    dof = change.shape[0] - 1
    return CommitmentFit(
        codes=history.codes,
        follow=Estimate(float(follow), float(se[0] * follow * (1 - follow))),
        rate=Estimate(float(rate), float(se[1] * rate * (1 - rate))),
        size=Estimate(float(size), float(se[2])),
        spread=Estimate(float(spread), float(se[3] * spread)),
        elasticity=Estimate(float(at.elasticity), float(se[4])),
        exposure=Estimate(float(at.exposure), float(se[5])),
        frontline=tuple(bool(f) for f in frontline),
        credibility=Estimate(float(credibility),
                             float(se_phi[0] * credibility * (1 - credibility))),
        credibility_spread=Estimate(float(sd), float(se_phi[1] * sd)),
        pledged=tuple(bool(p) for p in pledged),
        ally_credibility=tuple(Estimate(float(special.expit(m)), float(s))
                               for m, s in zip(logit_mean, kappa_sd, strict=True)),
        ally_logit=tuple((float(m), float(s)) for m, s in zip(logit_mean, logit_sd,
                                                                strict=True)),
        ally_noise=_shrunk_noise(at.noise, dof),
        events=(0.0, *(float(e) for e in events)),
        events_now=tuple(float(p) for p in filtered),
        # To 2 decimals: the profile's points other than the best are ranked, not polished
        # (their optimiser stops within about 0.003 of log-likelihood).
        elasticity_profile=tuple(round(float(v - profile[best]), 2) for v in profile),
    )


# --- growth -----------------------------------------------------------------------------------


def _growth_objective(theta: np.ndarray, growth: np.ndarray) -> tuple[float, np.ndarray]:
    """The growth negative log-likelihood and its exact gradient in ``theta``."""
    rho, common, sd = np.tanh(theta[0]), special.expit(theta[1]), np.exp(theta[2:])
    centred = growth - growth.mean(axis=0)
    residual = centred[1:] - rho * centred[:-1]  # (steps - 1, allies)
    loading = sd * common
    covariance = np.outer(loading, loading) + np.diag(sd**2 * (1 - common**2))
    nll = -stats.multivariate_normal.logpdf(residual, cov=covariance).sum()
    precision = np.linalg.inv(covariance)  # (allies, allies)
    scaled = residual @ precision  # (steps - 1, allies)
    # d nll / d covariance, for a symmetric change of it.
    dcov = 0.5 * (len(residual) * precision - scaled.T @ scaled)  # (allies, allies)
    grad = np.empty_like(theta)  # (2 + allies,)
    grad[0] = -(scaled * centred[:-1]).sum() * (1 - rho**2)
    grad[1] = 2 * common * (sd @ dcov @ sd - (np.diag(dcov) * sd**2).sum()) * common * (1 - common)
    grad[2:] = 2 * np.diag(dcov @ covariance)
    return nll, grad


def fit_growth(history: History) -> GrowthFit:
    """Fit persistence, common-factor loading and volatility to the derived real growth."""
    growth = history.real_growth  # (steps, allies)
    start = np.concatenate([[np.arctanh(0.3), 0.0], np.log(growth.std(axis=0))])
    objective = functools.partial(_growth_objective, growth=growth)
    theta, hess = _minimize(objective, start,
                            [(-3, 3), (-6, 6)] + [(-9, 0)] * growth.shape[1])
    rho, common = np.tanh(theta[0]), special.expit(theta[1])
    se = _standard_errors(hess, 2)
    n = growth.shape[0] - 1
    log_sd, sd_log_sd, _, _ = _shrink(theta[2:], np.full(theta.size - 2, 1 / (2 * n)))
    sd = np.exp(log_sd)
    return GrowthFit(
        codes=history.codes,
        persistence=Estimate(float(rho), float(se[0] * (1 - rho**2))),
        common=Estimate(float(common), float(se[1] * common * (1 - common))),
        ally_sd=tuple(Estimate(float(s), float(s * d)) for s, d in zip(sd, sd_log_sd,
                                                                         strict=True)),
        ally_mean=tuple(float(m) for m in growth.mean(axis=0)),
    )


def calibrate(history: History, record: FiscalRecord, frontline: np.ndarray,
              known: Sequence[int] = ()) -> Calibration:
    """Fit every calibrated parameter on ``history``, its fiscal ``record``, which of its
    allies are on the frontline and the years of ``known`` threat events."""
    return Calibration(spending=fit_spending(history, known), growth=fit_growth(history),
                       commitment=fit_commitment(history, record, frontline, known),
                       years=(history.years[0], history.years[-1]))


# --- the parameter file -----------------------------------------------------------------------


_WRITTEN_WITH = "# Written with "
_DIGEST = "#   "
#: How many differing figures ``--check`` lists one by one; beyond, the largest and a summary.
_CHECK_LINES = 12


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _environment_line() -> str:
    """The header line naming the versions that fit: ``# Written with python 3.11.7, ...``."""
    return _WRITTEN_WITH + ", ".join(f"{name} {version}" for name, version
                                     in versions(FIT_PACKAGES).items()) + "."


def parameters_toml(result: Calibration, data_files: list[Path]) -> str:
    """The parameter file's text: fixed float format, sorted keys, a header naming its inputs."""
    from sim import __version__

    s, g = result.spending, result.growth
    tables: dict[str, dict[str, float]] = {
        "alliance.policy": {"adjustment": s.adjustment.value, "adjustment_se": s.adjustment.se,
                            "adjustment_spread": s.adjustment_spread},

        "alliance.growth": {"persistence": g.persistence.value,
                            "persistence_se": g.persistence.se,
                            "common": g.common.value, "common_se": g.common.se},
    }
    c = result.commitment
    tables["alliance.commitment"] = {
        "follow": c.follow.value, "follow_se": c.follow.se,
        "credibility": c.credibility.value, "credibility_se": c.credibility.se,
        "spread": c.credibility_spread.value, "spread_se": c.credibility_spread.se}
    tables["alliance.fiscal"] = {"elasticity": c.elasticity.value,
                                 "elasticity_se": c.elasticity.se}
    # Threat events from the planning model's fit, with the commitment they pass through and
    # the 2022 invasion on record (the adjustment model's own fit differs little: README).
    tables["alliance.shocks"] = {"rate": c.rate.value, "rate_se": c.rate.se,
                                 "size": c.size.value, "size_se": c.size.se,
                                 "spread": c.spread.value, "spread_se": c.spread.se,
                                 "exposure": c.exposure.value, "exposure_se": c.exposure.se}
    for i, code in enumerate(c.codes):
        tables[f"allies.{code}.commitment"] = {"credibility": c.ally_credibility[i].value,
                                               "credibility_se": c.ally_credibility[i].se}
    for i, code in enumerate(s.codes):
        tables[f"allies.{code}.policy"] = {
            "adjustment": s.ally_adjustment[i].value, "adjustment_se": s.ally_adjustment[i].se,
            "noise": s.ally_noise[i].value, "noise_se": s.ally_noise[i].se}
        tables[f"allies.{code}.growth"] = {"sd": g.ally_sd[i].value, "sd_se": g.ally_sd[i].se}
    lines = [
        "# Calibrated parameters of summit-sim, written by `summit calibrate`. Do not edit by",
        "# hand: change the data or the code, re-run, and review the diff.",
        f"# Code: sim.calibration.fit, summit-sim {__version__}. Fitted on {result.years[0]}-"
        f"{result.years[1]} (NATO July 2026 edition, core definition).",
        _environment_line(),
        "# Code and data (sha256):",
        *(f"#   {p.relative_to(_PACKAGE_ROOT).as_posix()} {_sha256(p)}" for p in _CODE_FILES),
        *(f"#   {p.name} {_sha256(p)}" for p in sorted(data_files)),
        "# Units: adjustment is the fraction of the gap to intent closed a year; noise, size and",
        "# spread are pp of GDP; rate is threat events a year; growth sd is a fraction a year;",
        "# exposure is a frontline ally's extra rise per event as a fraction of size.",
        "# Commitment (planning model): follow is the fraction of the gap to commitment intent",
        "# closed a year; credibility is the median kappa (fraction of the way to the pledge a",
        "# year still needed), spread the sd of logit kappa across allies; an ally's",
        "# credibility_se is the sd of its kappa. Fiscal elasticity is stress per point of",
        "# pressure; it is not identified by 2014-2026 (see the README, Calibration).",
        "# Each value has its standard error beside it (*_se).",
    ]
    for name in sorted(tables):
        lines += ["", f"[{name}]"]
        lines += [f"{key} = {value:.6f}" for key, value in sorted(tables[name].items())]
    return "\n".join(lines) + "\n"


def _written_with(text: str) -> dict[str, str] | None:
    """The versions a parameter file's header says wrote it, or None if it does not say."""
    for line in text.splitlines():
        if line.startswith(_WRITTEN_WITH) and line.endswith("."):
            items = (item.partition(" ") for item in line[len(_WRITTEN_WITH):-1].split(", "))
            return {name: version for name, _, version in items}
    return None


def _digests(text: str) -> dict[str, str]:
    """The code and data files a parameter file's header names, with their sha256."""
    pairs = (line[len(_DIGEST):].split() for line in text.splitlines()
             if line.startswith(_DIGEST))
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def _figures(text: str) -> dict[str, float]:
    """A parameter file's values by dotted key (``alliance.growth.common``)."""

    def flat(table: dict[str, Any], prefix: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, value in table.items():
            if isinstance(value, dict):
                out.update(flat(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = value
        return out

    return flat(tomllib.loads(text), "")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _gap(old: Any, new: float) -> float:
    """How far a file's value is from the refit's; infinite if the file's is not a number."""
    return abs(new - old) if _is_number(old) else np.inf


def _version_report(written: dict[str, str] | None, now: dict[str, str] | None) -> str:
    here = ", ".join(f"{name} {version}" for name, version in (now or {}).items())
    if written is None:
        return f"package versions: the file does not record those that wrote it; here {here}"
    if written == now:
        return f"package versions: the same as wrote the file ({here})"
    changed = ", ".join(f"{name} {written.get(name, 'unrecorded')} (here {version})"
                        for name, version in (now or {}).items()
                        if written.get(name) != version)
    return (f"package versions differ from those that wrote the file: {changed}; `make test` "
            "or `uv sync --locked` installs the locked ones")


def check_parameters(path: Path, fresh: str) -> tuple[bool, list[str]]:
    """Whether the file at ``path`` holds what a fresh fit writes (``fresh``), and what to say.

    The file is reproduced when its text is the fresh text, or differs only in the versions that
    wrote it; the lines then say so. Otherwise they name each figure that differs (dotted key,
    the file's value, the refit's, the difference; the largest first, the rest summarised), the
    code and data changed since the file was written, and whether the package versions differ
    from those that wrote it.
    """
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    written, now = _written_with(current), _written_with(fresh)
    if current == fresh:
        return True, [f"{path}: reproduced exactly"]

    def without_versions(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith(_WRITTEN_WITH)]

    if without_versions(current) == without_versions(fresh):
        return True, [f"{path}: reproduced exactly, every figure; {_version_report(written, now)}"]
    try:
        held = _figures(current)
    except tomllib.TOMLDecodeError as err:
        return False, [f"{path}: differs from a fresh fit of the data: not valid TOML ({err}); "
                       "run `summit calibrate`"]
    fitted = _figures(fresh)
    differ = sorted(((key, held[key], fitted[key]) for key in fitted.keys() & held.keys()
                     if held[key] != fitted[key]),
                    key=lambda item: (-_gap(item[1], item[2]), item[0]))
    lines = [f"{path}: differs from a fresh fit of the data"
             + (f" in {len(differ)} of {len(fitted)} figures" if differ else "")]
    shown = differ if len(differ) <= _CHECK_LINES else differ[:_CHECK_LINES - 2]
    for key, old, new in shown:
        if _is_number(old):
            lines.append(f"  {key}: file {old:.6f}, refit {new:.6f}, difference {new - old:+.6f}")
        else:
            lines.append(f"  {key}: file {old!r}, refit {new:.6f}: the file's is not a number")
    if len(shown) < len(differ):
        rest = differ[len(shown):]
        lines.append(f"  ... and {len(rest)} more, each within "
                     f"{max(_gap(old, new) for _, old, new in rest):.6f}")
    for keys, where in ((fitted.keys() - held.keys(), "missing from the file"),
                        (held.keys() - fitted.keys(), "in the file, not in a fresh fit")):
        if keys:
            names = sorted(keys)
            lines.append(f"  {where}: {', '.join(names[:5])}"
                         + (f" and {len(names) - 5} more" if len(names) > 5 else ""))
    old_digests = _digests(current)
    changed = [name for name, digest in _digests(fresh).items() if old_digests.get(name) != digest]
    if changed:
        lines.append(f"code or data changed since the file was written: {', '.join(changed)}")
    if len(lines) == 1:
        lines[0] += " in its text only (the same figures, code and data)"
    lines += [_version_report(written, now), "run `summit calibrate` to rewrite it"]
    return False, lines


def run_calibration(data_dir: Path | None = None) -> tuple[Calibration, str]:
    """Fit on the data in ``data_dir`` (default: shipped); the fit and the parameter file text."""
    data_dir = data_dir or calibration_dir() / "data"
    history = load_history(data_dir)
    result = calibrate(history, fiscal_record(history.codes, history.years, data_dir),
                       frontline_flags(history.codes, data_dir), known_events(data_dir))
    files = [data_dir / name for name in (*HISTORY_FILES, FISCAL_FILE, RULES_FILE,
                                          FRONTLINE_FILE, EVENTS_FILE)]
    return result, parameters_toml(result, files)
