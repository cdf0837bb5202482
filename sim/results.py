"""Results of a run: probabilities with confidence intervals and quantiles, labelled by ally/year.

:class:`Results` wraps the run's :class:`~sim.spending.tally.Tally` with the scenario and the seed,
and answers the planner's questions: P(an ally meets the core goal), P(the alliance meets the goal),
quantile bands of the shares, the median year the core goal is first reached, USD shortfalls.
Every probability is a :class:`~sim.statistics.Probability` with a 95% Wilson interval.
"""

from __future__ import annotations

import difflib
import html
import math
import numbers
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from sim.data.base import ALLIES, NOT_ASSESSED
from sim.errors import OptionError
from sim.scenario import Scenario
from sim.spending.inputs import ModelInputs
from sim.spending.tally import SHARE_BIN, SHARE_BINS, Tally, gap_bounds, share_bounds
from sim.statistics import Probability, histogram_quantiles
from sim.statistics import wilson_interval as wilson_interval  # re-exported for callers

if TYPE_CHECKING:
    import pandas as pd

    from sim.aid.tally import AidTally
    from sim.draw_outcomes import DrawOutcomes

Share = Literal["core", "total"]
SHARES: tuple[Share, ...] = ("core", "total")
QUANTILES = (0.05, 0.5, 0.95)
#: The quantiles of the share bands: ``bands.csv``, :meth:`Results.bands` and the tidy frame.
BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: The tidy frame's columns (:meth:`Results.frame`): a share quantile has ``quantile`` and no
#: interval; a probability has no ``quantile`` and its 95% Wilson interval.
FRAME_COLUMNS = ("entity", "measure", "year", "quantile", "value", "ci95_lo", "ci95_hi")
#: One probability of a run: entity (ISO3 or ``alliance``), measure, year (None where it spans
#: years), p, and the interval's ends.
ProbabilityRecord = tuple[str, str, "int | None", float, float, float]


def quantile_label(q: float) -> str:
    """A band quantile's column name: 0.05 is ``p05``."""
    return f"p{round(q * 100):02d}"


def check_share(share: object) -> Share:
    """``share`` if it is ``"core"`` or ``"total"``; otherwise an :class:`OptionError`."""
    if isinstance(share, str) and share in SHARES:
        return share  # type: ignore[return-value]
    hint = ""
    if share == "related":
        hint = " (related spending is tallied only inside the total: core + related)"
    elif isinstance(share, str):
        close = difflib.get_close_matches(share.lower(), SHARES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise OptionError(f"share: must be 'core' or 'total', got {share!r}{hint}")


def _real(q: object) -> float | None:
    """``q`` as a float if it is a real number other than a boolean, else ``None``."""
    if not isinstance(q, numbers.Real) or isinstance(q, bool):
        return None
    try:
        return float(q)
    except OverflowError:  # an integer beyond any float: far outside 0 to 1
        return math.inf


def check_quantile(q: object) -> float:
    """``q`` as a float if it is a number from 0 to 1; otherwise an :class:`OptionError`."""
    value = _real(q)
    if value is not None and 0 <= value <= 1:
        return value
    hint = ""
    if value is not None and 1 < value <= 100:
        hint = f" (a fraction, not a percent: {value / 100:g} for {q:g}%)"
    raise OptionError(f"q: must be a quantile from 0 to 1, got {q!r}{hint}")


#: The headline probabilities in words, for a first look at a run.
_HEADLINE_LABELS = {
    "alliance_meets_goal": "alliance meets the goal",
    "alliance_meets_core": "alliance meets the core goal",
    "alliance_credible_path": "alliance on a credible path in {review}",
    "all_allies_meet_goal": "every ally meets the goal",
    "all_allies_meet_core": "every ally meets the core goal",
}


def _interval_text(p: Probability) -> str:
    return f"{p.p:.3f} [{p.ci95[0]:.3f}-{p.ci95[1]:.3f}]"


@attrs.frozen(eq=False, repr=False)
class Results:
    """The outcome of :func:`sim.run`: the tally plus what produced it."""

    scenario: Scenario
    inputs: ModelInputs
    tally: Tally = attrs.field(repr=False)
    seed: int
    block_size: int
    #: Aid counts when the scenario has an ``[aid]`` table (:class:`sim.aid.tally.AidTally`).
    aid_tally: AidTally | None = attrs.field(default=None, repr=False)
    #: Allies whose aid is counted inside their core spending, in ``aid_core_quantile`` order.
    aid_allies: tuple[str, ...] = ()
    #: Each draw's headline outcomes, when the run kept them (``run(..., per_draw=True)``):
    #: what ``outcomes.npz`` holds, for comparisons that pair two runs' draws.
    draw_outcomes: DrawOutcomes | None = attrs.field(default=None, repr=False)

    @property
    def draws(self) -> int:
        return self.tally.draws

    def _distributions(self) -> Tally:
        """The tally, if it counted the distributions (histograms, shortfalls, first years);
        an :class:`OptionError` for a run of the probabilities alone."""
        if not self.tally.distributions:
            raise OptionError("distributions: this run counted the probabilities only "
                              "(run(..., distributions=False), as a sweep's variants are): "
                              "run it again without that for shares, shortfalls and years")
        return self.tally

    # --- a first look -------------------------------------------------------------------------

    def _facts(self) -> tuple[str, str, str]:
        """The run, its allies and years, and the goal in words: what the repr and the
        notebook table open with."""
        goal = self.scenario.goal
        return (f"{self.draws:,} draws, seed {self.seed}",
                f"{len(self.codes)} assessed allies, {self.years[0]}-{self.years[-1]}",
                f"{goal.core:g}% core and {goal.total:g}% total by {goal.year}")

    def _lines(self) -> list[tuple[str, Probability]]:
        """The headline probabilities, and Ukraine's needs met each year for aid, labelled."""
        review = self.scenario.goal.review_year
        lines = [(f"P({_HEADLINE_LABELS[name].format(review=review)})", p)
                 for name, p in self.headline().items() if name in _HEADLINE_LABELS]
        aid, counts = self.scenario.aid, self.aid_tally
        if aid is not None and counts is not None:
            lines += [(f"P(Ukraine's needs met in {year})", counts.p_needs_met(y))
                      for y, year in enumerate(aid.years)]
            goal = self.scenario.goal
            lines += [(f"P(alliance meets the goal in {goal.year} and every year's needs)",
                       counts.p_goal_and_needs_met()),
                      (f"P(alliance meets the core goal in {goal.year} and every year's needs)",
                       counts.p_core_and_needs_met())]
        return lines

    def __repr__(self) -> str:
        run, allies, goal = self._facts()
        lines = self._lines()
        width = max(len(label) for label, _ in lines)
        return "\n".join([f"<Results of scenario {self.scenario.name!r}: {run}",
                          f"  {allies}; goal {goal}",
                          *(f"  {label:<{width}}  {_interval_text(p)}" for label, p in lines)]
                         ) + ">"

    def _repr_html_(self) -> str:
        """A small table for notebooks: the run, the goal, the headline probabilities."""
        run, allies, goal = self._facts()
        cells = [("scenario", self.scenario.name), ("run", run), ("allies", allies),
                 ("goal", goal),
                 *((label, f"{p.p:.3f}  (95% CI {p.ci95[0]:.3f}-{p.ci95[1]:.3f})")
                   for label, p in self._lines())]
        rows = "".join(f'<tr><th style="text-align:left">{html.escape(label)}</th>'
                       f'<td style="text-align:left">{html.escape(value)}</td></tr>'
                       for label, value in cells)
        return f"<table><caption>summit-sim results</caption>{rows}</table>"

    @property
    def codes(self) -> tuple[str, ...]:
        """Assessed allies, in the order of every per-ally array."""
        return self.inputs.codes

    @property
    def years(self) -> tuple[int, ...]:
        """Base year to horizon, in the order of every per-year array."""
        return self.inputs.years

    @property
    def goal_year(self) -> int:
        return self.scenario.goal.year

    def _index(self, code: str) -> int:
        """The position of ally ``code`` in every per-ally array; an unknown or unassessed ally
        is an :class:`OptionError` saying why, with the closest code."""
        if not isinstance(code, str):
            raise OptionError(f"ally: must be an ISO3 code such as {self.codes[0]!r}, "
                              f"got {code!r}")
        if code in self.codes:
            return self.codes.index(code)
        if code in NOT_ASSESSED and code in self.scenario.members:
            raise OptionError(f"ally: {code} ({ALLIES[code]}) is not assessed: no armed forces "
                              "and no NATO spending figures")
        if code in ALLIES:
            shown = ", ".join(self.codes) if len(self.codes) <= 8 else \
                f"{len(self.codes)} allies, listed in results.codes"
            raise OptionError(f"ally: {code} ({ALLIES[code]}) is not in this run's scenario "
                              f"{self.scenario.name!r} ({shown})")
        by_name = {name.casefold(): iso3 for iso3, name in ALLIES.items()}
        close = ([by_name[code.casefold()]] if code.casefold() in by_name else
                 difflib.get_close_matches(code.upper(), self.codes, n=1))
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise OptionError(f"ally: must be the ISO3 code of one of this run's "
                          f"{len(self.codes)} assessed allies (results.codes), got "
                          f"{code!r}{hint}")

    # --- probabilities ------------------------------------------------------------------------

    def p_meet_core(self, code: str) -> Probability:
        """P(the ally's core share in the goal year is at least goal.core)."""
        return Probability.from_counts(self.tally.meet_core[self._index(code)], self.draws)

    def p_meet_goal(self, code: str) -> Probability:
        """P(core share >= goal.core and core + related >= goal.total in the goal year)."""
        return Probability.from_counts(self.tally.meet_goal[self._index(code)], self.draws)

    def p_credible(self, code: str) -> Probability:
        """P(core share in the review year at or above the base-to-goal line less tolerance)."""
        return Probability.from_counts(self.tally.credible[self._index(code)], self.draws)

    def assumptions(self) -> dict[str, Any]:
        """What the answer rests on, for the table and summary.json: the US assumption (where
        the US is assessed) and the allies whose related spending is an assumption."""
        from sim.mechanisms import plans

        scenario = self.scenario
        notes: dict[str, Any] = {"related_spending_assumed": [
            a.code for a in scenario.allies if not a.related_evidence]}
        if "USA" in scenario.codes:
            notes["united_states"] = plans.describe(scenario.ally("USA"), scenario.base_year,
                                                    scenario.horizon)
        return notes

    def headline(self) -> dict[str, Probability]:
        """The alliance-wide probabilities."""
        t, n = self.tally, self.draws
        return {
            "all_allies_meet_goal": Probability.from_counts(t.all_meet_goal, n),
            "all_allies_meet_core": Probability.from_counts(t.all_meet_core, n),
            "alliance_meets_goal": Probability.from_counts(t.alliance_meets_goal, n),
            "alliance_meets_core": Probability.from_counts(t.alliance_meets_core, n),
            "alliance_credible_path": Probability.from_counts(t.alliance_credible, n),
            "alliance_meets_core_without_threat_events": Probability.from_counts(
                t.alliance_meets_core_without_threat_events, n),
            "alliance_meets_goal_without_threat_events": Probability.from_counts(
                t.alliance_meets_goal_without_threat_events, n),
        }

    def p_share_at_least(self, code: str, share: float, year: int,
                         kind: Share = "core") -> Probability:
        """P(the ally's ``"core"`` or ``"total"`` share in ``year`` is at least ``share`` % of
        GDP): "how likely is Germany to reach 3.5% in 2029?". Counted from the share
        histograms, so ``share`` must lie on their 0.01-pp grid (exact there)."""
        value = _real(share)
        steps = None if value is None else value / SHARE_BIN
        if steps is None or not 0 <= steps <= SHARE_BINS - 1 or abs(steps - round(steps)) > 1e-9:
            raise OptionError(f"share: must be a share of GDP in 0.01-pp steps from 0 to "
                              f"{(SHARE_BINS - 1) * SHARE_BIN:g}, got {share!r}")
        if year not in self.years:
            raise OptionError(f"year: must be one of {self.years[0]}-{self.years[-1]}, "
                              f"got {year!r}")
        tally = self._distributions()
        hist = tally.core_hist if check_share(kind) == "core" else tally.total_hist
        counts = hist[self.years.index(year), self._index(code)]  # (SHARE_BINS,)
        return Probability.from_counts(int(counts[round(steps):].sum()), self.draws)

    # --- distributions ------------------------------------------------------------------------

    def share_quantiles(self, share: Share, q: float) -> np.ndarray:
        """Quantile ``q`` (0 to 1) of each ally's ``"core"`` or ``"total"`` share (% of GDP).
        Shape (allies, years).

        ``inf`` where the quantile is at or above 20% of GDP, beyond the histograms' range
        (:meth:`draws_above_range` counts the draws there).
        """
        tally = self._distributions()
        hist = tally.core_hist if check_share(share) == "core" else tally.total_hist
        return histogram_quantiles(hist, share_bounds(), check_quantile(q)).T

    def alliance_quantiles(self, share: Share, q: float) -> np.ndarray:
        """Quantile ``q`` of the alliance's USD-weighted share (% of GDP). Shape (years,).

        ``inf`` above the histograms' range, as in :meth:`share_quantiles`.
        """
        tally = self._distributions()
        hist = (tally.alliance_core_hist if check_share(share) == "core"
                else tally.alliance_total_hist)
        return histogram_quantiles(hist, share_bounds(), check_quantile(q))

    def draws_above_range(self, share: Share) -> np.ndarray:
        """Draws whose share is 20% of GDP or more, where the histograms end and a quantile is
        ``inf``: each ally's, shape (allies, years), then the alliance's as a last row."""
        tally, last = self._distributions(), SHARE_BINS - 1
        allies, alliance = ((tally.core_hist, tally.alliance_core_hist)
                            if check_share(share) == "core"
                            else (tally.total_hist, tally.alliance_total_hist))
        return np.vstack([allies[..., last].T, alliance[:, last]])  # (allies + 1, years)

    def shortfall_quantiles(self, share: Share, q: float) -> np.ndarray:
        """Quantile ``q`` of each ally's USD shortfall to the goal in the goal year. (allies,)"""
        tally = self._distributions()
        hist = (tally.core_gap_hist if check_share(share) == "core"
                else tally.total_gap_hist)
        return histogram_quantiles(hist, gap_bounds(), check_quantile(q))

    def alliance_shortfall_quantile(self, share: Share, q: float) -> float:
        """Quantile ``q`` of the alliance's USD shortfall to the goal in the goal year."""
        tally = self._distributions()
        hist = (tally.alliance_core_gap_hist if check_share(share) == "core"
                else tally.alliance_total_gap_hist)
        return float(histogram_quantiles(hist, gap_bounds(), check_quantile(q)))

    def median_year_core_reached(self, code: str | None = None) -> int | None:
        """Median first year the core share reaches goal.core; ``None`` if not by the horizon.

        ``code`` ``None`` asks the question of the alliance aggregate.
        """
        tally = self._distributions()
        counts = (tally.alliance_first_core if code is None
                  else tally.first_core[self._index(code)])
        index = int(np.searchsorted(counts.cumsum(), 0.5 * self.draws))
        return self.years[index] if index < len(self.years) else None

    # --- labelled views -----------------------------------------------------------------------

    def quantile_frame(self, share: Share, q: float = 0.5) -> pd.DataFrame:
        """Quantile ``q`` (0 to 1) of each ally's ``"core"`` or ``"total"`` share (% of GDP) as a
        DataFrame (rows: allies, columns: years); ``inf`` at or above 20% of GDP."""
        import pandas as pd

        return pd.DataFrame(self.share_quantiles(share, q),
                            index=pd.Index(self.codes, name="ally"),
                            columns=pd.Index(self.years, name="year"))

    def bands(self) -> pd.DataFrame:
        """Quantiles of the core and total share (% of GDP) per ally and year: ``bands.csv``.

        Long and tidy: columns ``entity`` (ISO3 or ``alliance``), ``measure`` (``core``,
        ``total``), ``year``, then ``p05 p25 p50 p75 p95``; one row per entity, measure and
        year, base year to horizon, allies in code order and the alliance (the USD-weighted
        aggregate) last. A quantile at or above 20% of GDP, beyond the histograms' range, is
        blank (NaN).
        """
        import pandas as pd

        entities, years = [*self.codes, "alliance"], self.years
        index = pd.MultiIndex.from_product([entities, SHARES, years],
                                           names=["entity", "measure", "year"])
        columns = {}
        for q in BAND_QUANTILES:
            # (entities, measures, years): each ally's rows, then the alliance's.
            values = np.stack([np.vstack([self.share_quantiles(m, q),
                                          self.alliance_quantiles(m, q)]) for m in SHARES],
                              axis=1)
            columns[quantile_label(q)] = np.where(np.isposinf(values), np.nan, values).ravel()
        return pd.DataFrame(columns, index=index).reset_index()

    def probability_records(self) -> list[ProbabilityRecord]:
        """Every probability of the run with its interval, as ``summary.json`` holds them."""
        goal, review = self.goal_year, self.scenario.goal.review_year
        records: list[ProbabilityRecord] = []

        def add(entity: str, measure: str, year: int | None, p: Probability) -> None:
            records.append((entity, measure, year, p.p, *p.ci95))

        for name, p in self.headline().items():
            add("alliance", name, review if name == "alliance_credible_path" else goal, p)
        aid, counts = self.scenario.aid, self.aid_tally
        if aid is not None and counts is not None:
            for y, year in enumerate(aid.years):
                add("alliance", "ukraine_needs_met", year, counts.p_needs_met(y))
            add("alliance", "ukraine_needs_met_every_year", None, counts.p_all_needs_met())
            add("alliance", "alliance_meets_goal_and_ukraine_needs_met", goal,
                counts.p_goal_and_needs_met())
            add("alliance", "alliance_meets_core_and_ukraine_needs_met", goal,
                counts.p_core_and_needs_met())
        for code in self.codes:
            add(code, "p_meet_core", goal, self.p_meet_core(code))
            add(code, "p_meet_goal", goal, self.p_meet_goal(code))
            add(code, "p_credible_path", review, self.p_credible(code))
        return records

    def frame(self) -> pd.DataFrame:
        """Every band quantile and probability of the run as one tidy DataFrame
        (:data:`FRAME_COLUMNS`): what ``bands.csv`` and ``summary.json`` hold, value for value."""
        return tidy_frame(self.bands(), self.probability_records())

    def to_xarray(self) -> Any:
        """:meth:`frame` as an xarray Dataset (needs the ``analysis`` extra): see
        :func:`frame_dataset`."""
        return frame_dataset(self.frame())

    def ally_rows(self) -> list[dict[str, Any]]:
        """One flat record per listed ally (Iceland marked not assessed): the CSV's rows."""
        y, review = self.goal_year, self.scenario.goal.review_year
        bands = {(s, q): self.share_quantiles(s, q)[:, self.inputs.goal_index]
                 for s in ("core", "total") for q in QUANTILES}
        gaps = {(s, q): self.shortfall_quantiles(s, q)
                for s in ("core", "total") for q in QUANTILES}
        rows = []
        for code in self.scenario.members:
            row: dict[str, Any] = {"iso3": code, "name": ALLIES[code]}
            if code in NOT_ASSESSED:
                row["assessed"] = False
                rows.append(row)
                continue
            i = self._index(code)
            ally = self.scenario.ally(code)
            row.update(assessed=True, core_base=ally.core_base, related_base=ally.related_base,
                       gdp_base_usd=ally.gdp_base)
            for s in ("core", "total"):
                for q in QUANTILES:
                    row[f"{s}_{y}_p{round(q * 100):02d}"] = float(bands[s, q][i])
            for name, prob in (("p_meet_core", self.p_meet_core(code)),
                               ("p_meet_goal", self.p_meet_goal(code)),
                               (f"p_credible_{review}", self.p_credible(code))):
                row[name], row[f"{name}_lo"], row[f"{name}_hi"] = prob.p, *prob.ci95
            row["median_year_core_reached"] = self.median_year_core_reached(code)
            for s in ("core", "total"):
                for q in QUANTILES:
                    row[f"{s}_shortfall_usd_{y}_p{round(q * 100):02d}"] = float(gaps[s, q][i])
            rows.append(row)
        return rows


def tidy_frame(bands: pd.DataFrame, records: list[ProbabilityRecord]) -> pd.DataFrame:
    """The tidy frame of a run from its bands (the ``bands.csv`` layout) and its probability
    records: one row per entity, measure, year and quantile, then one per probability."""
    import pandas as pd

    labels = {quantile_label(q): q for q in BAND_QUANTILES}
    shares = bands.melt(id_vars=["entity", "measure", "year"], value_vars=list(labels),
                        var_name="quantile", value_name="value")
    shares["quantile"] = shares["quantile"].map(labels)
    shares["ci95_lo"] = shares["ci95_hi"] = np.nan
    probabilities = pd.DataFrame.from_records(
        records, columns=["entity", "measure", "year", "value", "ci95_lo", "ci95_hi"])
    probabilities["quantile"] = np.nan
    frame = pd.concat([shares, probabilities], ignore_index=True)[list(FRAME_COLUMNS)]
    frame["year"] = frame["year"].astype("Int64")
    return frame.astype({"entity": str, "measure": str, "quantile": float, "value": float,
                         "ci95_lo": float, "ci95_hi": float})


def frame_dataset(frame: pd.DataFrame) -> Any:
    """A tidy frame (:func:`tidy_frame`) as an xarray Dataset over entity x year x quantile.

    Variables ``core`` and ``total`` (% of GDP, (entity, year, quantile)) hold the band
    quantiles; ``probability``, ``ci95_lo`` and ``ci95_hi`` ((entity, measure, year)) the
    probabilities, NaN where an entity has no such measure or year. A probability that spans
    years (every needs year met) has year -1. Needs the ``analysis`` extra (xarray).
    """
    try:
        import xarray as xr
    except ImportError:
        raise OptionError("to_xarray needs xarray: install summit-sim[analysis]") from None
    shares = frame[frame["quantile"].notna()]
    bands = shares.set_index(["measure", "entity", "year", "quantile"])["value"]
    variables: dict[str, Any] = {measure: bands.loc[measure].to_xarray() for measure in SHARES
                                 if measure in bands.index.get_level_values("measure")}
    probabilities = frame[frame["quantile"].isna()].copy()
    probabilities["year"] = probabilities["year"].fillna(-1).astype(int)
    table = probabilities.set_index(["entity", "measure", "year"])
    for column, name in (("value", "probability"), ("ci95_lo", "ci95_lo"),
                         ("ci95_hi", "ci95_hi")):
        variables[name] = table[column].to_xarray()
    return xr.merge([array.rename(name) for name, array in variables.items()],
                    join="outer", compat="no_conflicts")
