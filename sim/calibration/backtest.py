"""Backtests: fit on history up to a cut-off year, project the years after, compare with NATO's.

:func:`backtest` fits the spending model (:func:`sim.calibration.fit.fit_spending`) on the core
shares up to ``fit_until`` only, projects every ally from its actual share that year to 2026 with
the fitted adjustment, noise and threat events (SPEC 3.2 with threat events on, as the baseline
runs it: the steps of the reference model, :mod:`sim.spending.reference`), and sets the
predictive quantiles beside the shares NATO's July 2026 edition reports. Intent is the Wales
pledge (2% by 2024, then held), the policy in force over the whole span, plus any threat events
the fit found before the cut-off and those drawn after it.

Calibrated uncertainty is the goal: about half of the actual shares should fall inside the 50%
intervals and about nine in ten inside the 90% intervals.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from sim.calibration.fit import SpendingFit, fit_spending, wales_intent
from sim.data.history import History
from sim.errors import OptionError
from sim.mechanisms import threat
from sim.spending import reference

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
    fit: SpendingFit

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
            "fitted": {"adjustment": self.fit.adjustment.value, "rate": self.fit.rate.value,
                       "size": self.fit.size.value, "spread": self.fit.spread.value},
            "allies": rows,
        }


def inside(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Whether each actual value lies in its closed interval ``[lower, upper]``."""
    return (lower <= actual) & (actual <= upper)


def backtest(history: History, fit_until: int, *, draws: int = 4000,
             seed: int = 0) -> Backtest:
    """Fit on ``history`` up to ``fit_until``, project to its last year, compare (% of GDP)."""
    first, last = history.years[0], history.years[-1]
    if not first + 3 <= fit_until < last:
        raise OptionError(f"--fit-until: must be between {first + 3} and {last - 1} (the fit "
                          f"needs four years and the test at least one), got {fit_until}")
    fit = fit_spending(history.until(fit_until))
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    cut = history.years.index(fit_until)
    years = np.asarray(history.years)
    steps, allies = len(years) - cut - 1, len(history.codes)
    wales = wales_intent(history.core_share, years)[cut + 1:]  # (steps, allies)
    adjustment = np.array([e.value for e in fit.ally_adjustment])  # (allies,)
    noise = np.array([e.value for e in fit.ally_noise])  # (allies,)
    # Events found before the cut-off, drawn from the filter's distribution, then new events
    # (threat events' own terms and draws, the same rate for every ally: alliance-wide events).
    known = rng.choice(len(fit.events_now), size=draws, p=np.asarray(fit.events_now))
    size, rate, spread = fit.size.value, np.full(allies, fit.rate.value), fit.spread.value
    terms = threat.ThreatArrays(rate=rate, pull=adjustment * size,
                                jump_size=size * (1.0 - adjustment),
                                spread=np.full(allies, spread))
    drawn = threat.ThreatDraws(uniform=rng.random((steps, draws)),
                               jump=rng.standard_normal((steps, draws, allies)))
    z = rng.standard_normal((steps, draws, allies))
    state = {"events": np.broadcast_to(known[:, None], (draws, allies)).astype(float)}
    floor = np.zeros(allies)
    share = np.empty((steps, draws, allies))  # (years, draws, allies)
    previous = np.broadcast_to(history.core_share[cut], (draws, allies))
    for t in range(steps):
        # The reference model's step (SPEC 3.2 with threat events, as the engine runs it).
        raised, jump = threat.reference_step(state, terms, drawn, t + 1)
        previous = reference.share_step(previous, 1.0 - adjustment, adjustment * wales[t], z[t],
                                        noise, floor, raised)
        previous = np.maximum(previous + jump, floor)
        share[t] = previous
    count = (share >= THRESHOLD).sum(axis=-1)  # (years, draws)
    actual = history.core_share[cut + 1:]
    return Backtest(
        fit_until=fit_until, codes=history.codes, years=tuple(int(y) for y in years[cut + 1:]),
        actual=actual, quantiles=np.quantile(share, LEVELS, axis=1),
        count_actual=(actual >= THRESHOLD).sum(axis=-1),
        count_quantiles=np.quantile(count, LEVELS, axis=1), fit=fit,
    )


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
