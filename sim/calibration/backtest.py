"""Backtests: fit on history up to a cut-off year, project the years after, compare with NATO's.

:func:`backtest` fits the planning model's commitment layer
(:func:`sim.calibration.fit.fit_commitment`: credibility, follow, fiscal stress and threat
events) on the core shares up to ``fit_until`` only, projects every ally from its actual share
that year to 2026 and sets the predictive quantiles beside the shares NATO's July 2026 edition
reports. The pledge is the Wales line (2% by 2024, then toward 2%), the policy in force over the
whole span; each draw takes every ally's kappa from its fitted logit-normal posterior, runs its
intent from 2014 (PLANNING's commitment step, slowed by fiscal stress), and adds any threat
events the fit found before the cut-off and those drawn after it:

    q[t] = q[t-1] + (1 - stress[t]) * kappa * max(0, 2 - q[t-1]) / max(1, 2024 - year + 1)
    c[t] = max(c[t-1] + follow * (q[t] + size * events[t-1] - c[t-1]) + noise * z, 0)
           + jump * new_event[t]

Fiscal pressure after the cut-off is read from the IMF WEO October 2025 figures (outturns to
2024, then the IMF's projections), not simulated: the backtest tests the spending model given
the fiscal path, and this is its one look-ahead. :func:`predictive_counts` runs the same
projection from 2014 with fresh events, the fitted model's account of how many allies met the
pledge by and after its deadline.

Calibrated uncertainty is the goal: about half of the actual shares should fall inside the 50%
intervals and about nine in ten inside the 90% intervals.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from sim.calibration.fit import (
    ESCAPE_REFERENCE_YEAR,
    CommitmentFit,
    FiscalRecord,
    fiscal_pressure,
    fiscal_record,
    fit_commitment,
    intent_step,
)
from sim.data.history import History
from sim.errors import OptionError

#: Quantiles reported per ally and year: the 90% and 50% central intervals and the median.
LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
THRESHOLD = 2.0  # % of GDP: the count of allies at or above the Wales pledge


@attrs.frozen
class Backtest:
    """One cut-off's backtest. Arrays are (years after the cut-off, allies) in ``codes`` order."""

    fit_until: int
    codes: tuple[str, ...]
    years: tuple[int, ...]
    actual: np.ndarray  # (years, allies) % of GDP, NATO July 2026 edition
    quantiles: np.ndarray  # (levels, years, allies) predictive quantiles, LEVELS order
    count_actual: np.ndarray  # (years,) allies at or above 2% of GDP
    count_quantiles: np.ndarray  # (levels, years) predictive quantiles of that count
    fit: CommitmentFit

    @property
    def inside50(self) -> np.ndarray:
        """(years, allies) True where the actual share lies in the 50% interval."""
        return inside(self.actual, self.quantiles[1], self.quantiles[3])

    @property
    def inside90(self) -> np.ndarray:
        """(years, allies) True where the actual share lies in the 90% interval."""
        return inside(self.actual, self.quantiles[0], self.quantiles[4])

    @property
    def coverage50(self) -> float:
        return float(self.inside50.mean())

    @property
    def coverage90(self) -> float:
        return float(self.inside90.mean())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record: per ally and year, then coverage and counts."""
        q = self.quantiles
        rows = [
            {"ally": code, "year": year, "actual": float(self.actual[t, i]),
             "p50": float(q[2, t, i]), "interval50": [float(q[1, t, i]), float(q[3, t, i])],
             "interval90": [float(q[0, t, i]), float(q[4, t, i])],
             "inside50": bool(self.inside50[t, i]), "inside90": bool(self.inside90[t, i])}
            for t, year in enumerate(self.years) for i, code in enumerate(self.codes)
        ]
        return {
            "fit_until": self.fit_until,
            "coverage50": self.coverage50,
            "coverage90": self.coverage90,
            "by_year": [
                {"year": year, "coverage50": float(self.inside50[t].mean()),
                 "coverage90": float(self.inside90[t].mean()),
                 "allies_at_2pct_actual": int(self.count_actual[t]),
                 "allies_at_2pct_p50": float(self.count_quantiles[2, t]),
                 "allies_at_2pct_interval90": [float(self.count_quantiles[0, t]),
                                               float(self.count_quantiles[4, t])]}
                for t, year in enumerate(self.years)
            ],
            "fitted": {"follow": self.fit.follow.value,
                       "credibility": self.fit.credibility.value,
                       "credibility_spread": self.fit.credibility_spread.value,
                       "elasticity": self.fit.elasticity.value, "rate": self.fit.rate.value,
                       "size": self.fit.size.value, "spread": self.fit.spread.value},
            "allies": rows,
        }


def inside(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Whether each actual value lies in its closed interval ``[lower, upper]``."""
    return (lower <= actual) & (actual <= upper)


def project(history: History, fit: CommitmentFit, record: FiscalRecord, cut: int,
            known: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Core shares after year index ``cut``, (years after, draws, allies), % of GDP.

    Shares up to ``cut`` are the history's; ``known`` is each draw's number of events since
    2014 by then, (draws,). ``record`` covers every year of ``history``.
    """
    draws, allies = known.size, len(history.codes)
    years = history.years
    logit = np.array(fit.ally_logit)  # (allies, 2) posterior mean and sd of logit kappa
    kappa = 1 / (1 + np.exp(-(logit[:, 0] + logit[:, 1] * rng.standard_normal((draws, allies)))))
    follow, size, spread = fit.follow.value, fit.size.value, fit.spread.value
    noise = np.array([e.value for e in fit.ally_noise])  # (allies,)
    elasticity = fit.elasticity.value
    steps = len(years) - cut - 1
    new = rng.random((steps, draws)) < fit.rate.value  # (steps, draws)
    jump = size + spread * rng.standard_normal((steps, draws, allies))
    z = rng.standard_normal((steps, draws, allies))
    share = np.empty((len(years), draws, allies))  # (years, draws, allies)
    share[:cut + 1] = history.core_share[:cut + 1, None, :]
    intent = np.broadcast_to(history.core_share[0], (draws, allies)).copy()  # (draws, allies)
    events = known.astype(float)[:, None]  # (draws, 1)
    reference_year = years.index(ESCAPE_REFERENCE_YEAR) if ESCAPE_REFERENCE_YEAR in years else 0
    for t in range(1, len(years)):
        # Relief from the escape clause is measured from 2021's share: simulated if after cut.
        reference = share[reference_year] if reference_year <= t - 1 else share[t - 1]
        stress = np.minimum(1.0, elasticity * fiscal_pressure(record, t, share[t - 1],
                                                              reference))
        intent = intent_step(intent, kappa, stress, years[t])
        if t <= cut:
            continue
        s = t - cut - 1
        moved = share[t - 1] + follow * (intent + size * events - share[t - 1]) + noise * z[s]
        share[t] = np.maximum(np.maximum(moved, 0.0) + jump[s] * new[s][:, None], 0.0)
        events = events + new[s][:, None]
    return share[cut + 1:]


def backtest(history: History, fit_until: int, *, draws: int = 4000,
             seed: int = 0) -> Backtest:
    """Fit on ``history`` up to ``fit_until``, project to its last year, compare (% of GDP)."""
    first, last = history.years[0], history.years[-1]
    if not first + 3 <= fit_until < last:
        raise OptionError(f"--fit-until: must be between {first + 3} and {last - 1} (the fit "
                          f"needs four years and the test at least one), got {fit_until}")
    seen = history.until(fit_until)
    fit = fit_commitment(seen, fiscal_record(seen.codes, seen.years))
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    cut = history.years.index(fit_until)
    # Events found before the cut-off, drawn from the filter's distribution.
    known = rng.choice(len(fit.events_now), size=draws, p=np.asarray(fit.events_now))
    share = project(history, fit, fiscal_record(history.codes, history.years), cut, known, rng)
    count = (share >= THRESHOLD).sum(axis=-1)  # (years, draws)
    actual = history.core_share[cut + 1:]
    years = history.years
    return Backtest(
        fit_until=fit_until, codes=history.codes, years=tuple(years[cut + 1:]),
        actual=actual, quantiles=np.quantile(share, LEVELS, axis=1),
        count_actual=(actual >= THRESHOLD).sum(axis=-1),
        count_quantiles=np.quantile(count, LEVELS, axis=1), fit=fit,
    )


def predictive_counts(history: History, fit: CommitmentFit, *, draws: int = 4000,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Allies at or above 2% each year after 2014 under ``fit``, projected from 2014 with every
    later event drawn afresh: the actual counts (years - 1,) and the predictive quantiles at
    :data:`LEVELS`, (levels, years - 1)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    share = project(history, fit, fiscal_record(history.codes, history.years), 0,
                    np.zeros(draws, dtype=int), rng)
    count = (share >= THRESHOLD).sum(axis=-1)  # (years - 1, draws)
    return ((history.core_share[1:] >= THRESHOLD).sum(axis=-1),
            np.quantile(count, LEVELS, axis=1))


def format_backtests(results: list[Backtest]) -> str:
    """The coverage table: per cut-off and year, coverage and the count of allies at 2%."""
    lines = [
        "Backtest of core defence shares (NATO July 2026 edition), projected from each cut-off",
        f"{'fit to':>6} {'year':>5} {'cover50':>8} {'cover90':>8}  "
        f"{'allies >= 2%: actual':>20} {'predicted p50 [p05-p95]':>24}",
    ]
    for result in results:
        for t, year in enumerate(result.years):
            q = result.count_quantiles[:, t]
            lines.append(
                f"{result.fit_until:>6} {year:>5} {result.inside50[t].mean():8.2f} "
                f"{result.inside90[t].mean():8.2f}  {int(result.count_actual[t]):>20} "
                f"{f'{q[2]:.0f} [{q[0]:.0f}-{q[4]:.0f}]':>24}")
        lines.append(f"{result.fit_until:>6} {'all':>5} {result.coverage50:8.2f} "
                     f"{result.coverage90:8.2f}  (target 0.50 and 0.90; "
                     f"{result.actual.size} ally-years)")
    return "\n".join(lines)
