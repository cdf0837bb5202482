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
intervals and about nine in ten inside the 90% intervals. Coverage alone rewards wide intervals,
so each cut-off is also scored with proper scores (:mod:`sim.calibration.scores`: CRPS of every
ally-year's predictive distribution, interval scores of the 50% and 90% intervals) beside three
naive forecasts scored the same way; the model's skill against each is
``1 - CRPS_model / CRPS_baseline``. The predictive draws are kept for the scores: 4,000 draws of
31 allies over 9 years are 1.1 million floats (9 MB) a cut-off.
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
from sim.calibration.scores import NormalForecast, baselines, crps_draws, interval_score, pit
from sim.data.history import History
from sim.data.threats import frontline_flags, known_events
from sim.errors import OptionError

#: Quantiles reported per ally and year: the 90% and 50% central intervals and the median.
LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
THRESHOLD = 2.0  # % of GDP: the count of allies at or above the Wales pledge
#: Nominal coverages of the reliability diagram: central intervals from 10% to 95%.
RELIABILITY_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
PIT_BINS = 10  # equal bins of [0, 1] for the PIT histograms


@attrs.frozen
class Backtest:
    """One cut-off's backtest. Arrays are (years after the cut-off, allies) in ``codes`` order.

    Scores are in percentage points of GDP, averaged over every ally-year; lower is better.
    """

    fit_until: int
    codes: tuple[str, ...]
    years: tuple[int, ...]
    actual: np.ndarray  # (years, allies) % of GDP, NATO July 2026 edition
    quantiles: np.ndarray  # (levels, years, allies) predictive quantiles, LEVELS order
    count_actual: np.ndarray  # (years,) allies at or above 2% of GDP
    count_quantiles: np.ndarray  # (levels, years) predictive quantiles of that count
    fit: CommitmentFit
    share: np.ndarray = attrs.field(repr=False)  # (years, draws, allies) predictive draws, %
    baselines: tuple[NormalForecast, ...] = ()  # BASELINES order

    @classmethod
    def from_draws(cls, fit_until: int, codes: tuple[str, ...], years: tuple[int, ...],
                   actual: np.ndarray, share: np.ndarray, fit: CommitmentFit,
                   baselines: tuple[NormalForecast, ...]) -> Backtest:
        """The backtest of predictive draws ``share`` (years, draws, allies) against ``actual``."""
        count = (share >= THRESHOLD).sum(axis=-1)  # (years, draws)
        return cls(fit_until=fit_until, codes=codes, years=years, actual=actual,
                   quantiles=np.quantile(share, LEVELS, axis=1),
                   count_actual=(actual >= THRESHOLD).sum(axis=-1),
                   count_quantiles=np.quantile(count, LEVELS, axis=1), fit=fit, share=share,
                   baselines=baselines)

    @property
    def years_ahead(self) -> np.ndarray:
        """(years,) years after the cut-off: 1, 2, ..."""
        return np.asarray(self.years) - self.fit_until

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

    def coverage_at(self, level: float) -> float:
        """Share of ally-years inside the central ``level`` predictive interval (0.9 for 90%)."""
        lower, upper = np.quantile(self.share, (0.5 - level / 2, 0.5 + level / 2), axis=1)
        return float(inside(self.actual, lower, upper).mean())

    def crps_by_ally_year(self) -> np.ndarray:
        """(years, allies) CRPS of each ally-year's predictive distribution, pp of GDP."""
        return crps_draws(self.actual, self.share, axis=1)

    def interval_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """(years, allies) interval scores of the 50% and of the 90% intervals, pp of GDP."""
        q = self.quantiles
        return (interval_score(self.actual, q[1], q[3], 0.5),
                interval_score(self.actual, q[0], q[4], 0.9))

    def pit(self) -> np.ndarray:
        """(years, allies) the predictive CDF at each actual share."""
        return pit(self.actual, self.share, axis=1)

    def misses(self) -> list[dict[str, Any]]:
        """Ally-years outside the 90% interval, by year then ally: which side and by how much."""
        q = self.quantiles
        rows = []
        for t, year in enumerate(self.years):
            for i, code in enumerate(self.codes):
                low, high, actual = q[0, t, i], q[4, t, i], self.actual[t, i]
                if low <= actual <= high:
                    continue
                side = "above" if actual > high else "below"
                rows.append({"ally": code, "year": year, "actual": float(actual),
                             "interval90": [float(low), float(high)], "side": side,
                             "by": float(actual - high if side == "above" else low - actual)})
        return rows

    def scores(self) -> dict[str, Any]:
        """The proper scores, the baselines' CRPS and the skill against each: over the cut-off's
        ally-years, then per year (``by_year``), JSON-ready."""
        crps = self.crps_by_ally_year()
        is50, is90 = self.interval_scores()
        base = {b.name: b.crps(self.actual) for b in self.baselines}  # each (years, allies)

        def summary(rows: slice | int) -> dict[str, Any]:
            model = float(crps[rows].mean())
            means = {name: float(value[rows].mean()) for name, value in base.items()}
            return {"coverage50": float(self.inside50[rows].mean()),
                    "coverage90": float(self.inside90[rows].mean()),
                    "crps": model, "interval_score50": float(is50[rows].mean()),
                    "interval_score90": float(is90[rows].mean()),
                    "baselines": {name: {"crps": value} for name, value in means.items()},
                    "skill": {name: skill(model, value) for name, value in means.items()}}

        return {**summary(slice(None)),
                "by_year": [{"year": year, **summary(t)} for t, year in enumerate(self.years)]}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record: scores and coverage by cut-off, year and years ahead, the
        calibration (reliability, PIT), the misses, then per ally and year."""
        q, c = self.quantiles, self.count_quantiles
        scores = self.scores()
        pits = self.pit()
        by_year = [
            {**row, "allies_at_2pct_actual": int(self.count_actual[t]),
             "allies_at_2pct_p50": float(c[2, t]),
             "allies_at_2pct_interval50": [float(c[1, t]), float(c[3, t])],
             "allies_at_2pct_interval90": [float(c[0, t]), float(c[4, t])]}
            for t, row in enumerate(scores.pop("by_year"))
        ]
        # One cut-off's years ahead are its years, renamed: both views are given.
        by_horizon = [{"years_ahead": int(h), **{k: v for k, v in row.items() if k != "year"}}
                      for h, row in zip(self.years_ahead, by_year, strict=True)]
        rows = [
            {"ally": code, "year": year, "actual": float(self.actual[t, i]),
             "p50": float(q[2, t, i]), "interval50": [float(q[1, t, i]), float(q[3, t, i])],
             "interval90": [float(q[0, t, i]), float(q[4, t, i])],
             "inside50": bool(self.inside50[t, i]), "inside90": bool(self.inside90[t, i]),
             "pit": float(pits[t, i])}
            for t, year in enumerate(self.years) for i, code in enumerate(self.codes)
        ]
        return {
            "fit_until": self.fit_until,
            "ally_years": int(self.actual.size),
            **scores,
            "by_year": by_year,
            "by_horizon": by_horizon,
            "reliability": [{"level": level, "coverage": self.coverage_at(level)}
                            for level in RELIABILITY_LEVELS],
            "pit_histogram": np.histogram(pits, bins=PIT_BINS, range=(0.0, 1.0))[0].tolist(),
            "misses90": self.misses(),
            "fitted": {"follow": self.fit.follow.value,
                       "credibility": self.fit.credibility.value,
                       "credibility_spread": self.fit.credibility_spread.value,
                       "elasticity": self.fit.elasticity.value, "rate": self.fit.rate.value,
                       "size": self.fit.size.value, "spread": self.fit.spread.value,
                       "exposure": self.fit.exposure.value},
            "allies": rows,
        }


def skill(model: float, baseline: float) -> float:
    """``1 - model / baseline`` of two mean scores: above 0 where the model scores better."""
    return 1.0 - model / baseline


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
    follow, spread = fit.follow.value, fit.spread.value
    size = fit.ally_size  # (allies,) each ally's rise in intent per event
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
    # Threat events on record by the cut-off are known to the fit, as they were to a planner.
    fit = fit_commitment(seen, fiscal_record(seen.codes, seen.years), frontline_flags(seen.codes),
                         [year for year in known_events() if year <= fit_until])
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    cut = history.years.index(fit_until)
    # Events found before the cut-off, drawn from the filter's distribution.
    known = rng.choice(len(fit.events_now), size=draws, p=np.asarray(fit.events_now))
    share = project(history, fit, fiscal_record(history.codes, history.years), cut, known, rng)
    years = tuple(history.years[cut + 1:])
    ahead = np.asarray(years) - fit_until  # (years,)
    return Backtest.from_draws(fit_until, history.codes, years, history.core_share[cut + 1:],
                               share, fit, baselines(seen.core_share, fit_until, ahead))


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


def pooled_by_horizon(results: list[Backtest]) -> list[dict[str, Any]]:
    """Coverage and CRPS (the model's and each baseline's) per years ahead, pooling the
    ally-years of every cut-off that reaches that far."""
    scored = [(r, r.crps_by_ally_year(), {b.name: b.crps(r.actual) for b in r.baselines})
              for r in results]
    rows = []
    for h in sorted({int(h) for r in results for h in r.years_ahead}):
        parts = [(r, t, crps, base) for r, crps, base in scored
                 for t in np.flatnonzero(r.years_ahead == h)]
        model = float(np.concatenate([crps[t] for _, t, crps, _ in parts]).mean())
        names = [b.name for b in results[0].baselines]
        means = {n: float(np.concatenate([base[n][t] for _, t, _, base in parts]).mean())
                 for n in names}
        rows.append({
            "years_ahead": h, "cut_offs": [r.fit_until for r, *_ in parts],
            "ally_years": sum(r.actual[t].size for r, t, *_ in parts),
            "coverage50": float(np.concatenate([r.inside50[t] for r, t, *_ in parts]).mean()),
            "coverage90": float(np.concatenate([r.inside90[t] for r, t, *_ in parts]).mean()),
            "crps": model, "baselines": {n: {"crps": v} for n, v in means.items()},
            "skill": {n: skill(model, v) for n, v in means.items()},
        })
    return rows


def format_backtests(results: list[Backtest]) -> str:
    """The record as text: scores per cut-off, the count of allies at 2% per cut-off and year,
    and coverage and CRPS per years ahead over every cut-off."""
    names = [b.name for b in results[0].baselines] if results else []
    short = {"persistence": "persist", "trend": "trend", "pledge": "pledge"}
    heads = "".join(f" {short.get(n, n)[:7]:>7}" for n in names)
    lines = [
        "Backtest of core defence shares (NATO July 2026 edition), projected from each cut-off",
        "Scores in pp of GDP over every ally-year (lower is better); skill = 1 - CRPS / "
        "baseline's",
        f"{'fit to':>6} {'ally-yr':>7} {'cover50':>8} {'cover90':>8} {'CRPS':>6} {'IS50':>6} "
        f"{'IS90':>6} |{' CRPS of' if names else ''}{heads} | skill vs{heads}",
    ]
    for result in results:
        sc = result.scores()
        baseline_crps = "".join(f" {sc['baselines'][n]['crps']:7.3f}" for n in names)
        skills = "".join(f" {sc['skill'][n]:+7.2f}" for n in names)
        lines.append(
            f"{result.fit_until:>6} {result.actual.size:>7} {sc['coverage50']:8.2f} "
            f"{sc['coverage90']:8.2f} {sc['crps']:6.3f} {sc['interval_score50']:6.3f} "
            f"{sc['interval_score90']:6.3f} |{'        ' if names else ''}{baseline_crps} | "
            f"        {skills}")
    lines += [
        "",
        f"{'fit to':>6} {'year':>5} {'cover50':>8} {'cover90':>8} {'CRPS':>6}  "
        f"{'allies >= 2%: actual':>20} {'predicted p50 [p25-p75] [p05-p95]':>34}",
    ]
    for result in results:
        crps = result.crps_by_ally_year()
        for t, year in enumerate(result.years):
            q = result.count_quantiles[:, t]
            lines.append(
                f"{result.fit_until:>6} {year:>5} {result.inside50[t].mean():8.2f} "
                f"{result.inside90[t].mean():8.2f} {crps[t].mean():6.3f}  "
                f"{int(result.count_actual[t]):>20} "
                f"{f'{q[2]:.0f} [{q[1]:.0f}-{q[3]:.0f}] [{q[0]:.0f}-{q[4]:.0f}]':>34}")
        lines.append(f"{result.fit_until:>6} {'all':>5} {result.coverage50:8.2f} "
                     f"{result.coverage90:8.2f} {crps.mean():6.3f}  (target 0.50 and 0.90; "
                     f"{result.actual.size} ally-years)")
    if results:
        lines += ["", "By years ahead, every cut-off pooled",
                  f"{'ahead':>6} {'ally-yr':>7} {'cover50':>8} {'cover90':>8} {'CRPS':>6} "
                  f"| skill vs{heads}"]
        for row in pooled_by_horizon(results):
            skills = "".join(f" {row['skill'][n]:+7.2f}" for n in names)
            lines.append(f"{row['years_ahead']:>6} {row['ally_years']:>7} "
                         f"{row['coverage50']:8.2f} {row['coverage90']:8.2f} "
                         f"{row['crps']:6.3f} |         {skills}")
    return "\n".join(lines)
