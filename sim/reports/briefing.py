"""The briefing of a run: plots, tables and plain sentences drawn from a run folder.

``summit report RUN_DIR`` reads what ``summit run --out`` wrote (``summary.json``, ``allies.csv``'s
sibling ``bands.csv``, and ``aid.csv`` for a scenario with aid) and never reruns the simulation.
It builds a :class:`~sim.reports.page.Page`: the alliance fan chart against the goal lines, per-ally
small multiples with 50% and 90% bands, P(goal) per ally with its interval, the USD shortfall per
ally, and for aid the delivered value against needs and the pledges' trigger probabilities.
:func:`sim.reports.page.write_page` turns it into PNG files, a self-contained HTML page and
Markdown.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from sim.data.base import load_base
from sim.errors import DataError, ResultsError
from sim.files import (
    AID_NAME,
    BANDS_NAME,
    REPORT_FILES,
    SUMMARY_NAME,
    check_report_out,
    lookup,
    read_json,
    read_table,
)
from sim.reports import fields
from sim.reports.page import Chart, Page, Section, Table, new_figure, sections, write_page
from sim.reports.run_files import BAND_QUANTILES, quantile_label
from sim.spending.tally import SHARE_MAX

CORE_COLOUR, TOTAL_COLOUR, NEEDS_COLOUR = "#1f4e9c", "#d9822b", "#6b6b6b"
_BAND_COLUMNS = [quantile_label(q) for q in BAND_QUANTILES]  # p05 p25 p50 p75 p95


#: The columns of ``aid.csv`` the briefing reads.
_AID_COLUMNS = ["year", "p_needs_met", "p_needs_met_lo", "p_needs_met_hi",
                *(f"{name}_{q}" for name in ("needs_usd", "delivered_usd") for q in _BAND_COLUMNS)]


class RunFolder:
    """A run folder's files, read once and checked (:mod:`sim.reports.fields`), with the
    lookups the charts need: a value of the wrong kind names its file and key."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.summary_path = self.folder / SUMMARY_NAME
        self.summary = read_json(self.summary_path)
        path = self.summary_path
        self.goal = fields.table(self.summary, "goal", path)
        self.core, self.total = (fields.number(self.summary, f"goal.{k}", path)
                                 for k in ("core", "total"))
        self.year = fields.whole(self.summary, "goal.year", path)
        self.scenario = fields.text(self.summary, "scenario", path)
        self.draws = fields.whole(self.summary, "draws", path, lowest=1)
        self.base_year = fields.whole(self.summary, "base_year", path)
        bands_path = self.folder / BANDS_NAME
        self.bands = read_table(bands_path, ["entity", "measure", "year", *_BAND_COLUMNS])
        # A share at or above the histograms' range is a blank quantile.
        fields.numeric_columns(self.bands, _BAND_COLUMNS, bands_path, blanks=True)
        fields.numeric_columns(self.bands, ["year"], bands_path)
        self.aid = self.summary.get("aid")
        self.aid_years = None
        if self.aid is not None:
            fields.checked_table(self.aid, "aid", path)
            self.aid_years = read_table(self.folder / AID_NAME, _AID_COLUMNS)
            fields.numeric_columns(self.aid_years, _AID_COLUMNS, self.folder / AID_NAME)
        self.assessed = []
        for code, ally in fields.table(self.summary, "allies", path).items():
            assessed = fields.checked_table(ally, f"allies.{code}", path).get("assessed", True)
            if not isinstance(assessed, bool):
                raise ResultsError(path, f"allies.{code}.assessed",
                                   f"must be true or false, got {assessed!r:.40}")
            if assessed:
                self.assessed.append(code)
        for entity in ("alliance", *self.assessed):
            for measure in ("core", "total"):
                self.band(entity, measure)

    def get(self, dotted: str) -> Any:
        return lookup(self.summary, dotted, self.summary_path)

    def probability(self, dotted: str) -> tuple[float, float, float]:
        """``(p, low, high)`` of a probability of the summary."""
        return fields.probability(self.summary, dotted, self.summary_path)

    def quantiles(self, dotted: str) -> dict[str, float]:
        """The 5%, 50% and 95% quantiles at ``dotted``."""
        return fields.quantiles(self.summary, dotted, self.summary_path)

    def share_quantiles(self, dotted: str) -> dict[str, float | None]:
        """The 5%, 50% and 95% quantiles of a share at ``dotted``: ``None`` for one at or above
        the histograms' range (``null`` in summary.json)."""
        value = fields.table(self.summary, dotted, self.summary_path)
        return {q: None if value.get(q, 0.0) is None else fields.checked_number(
                    fields.member(value, q, dotted, self.summary_path), f"{dotted}.{q}",
                    self.summary_path)
                for q in ("p05", "p50", "p95")}

    def band(self, entity: str, measure: str) -> pd.DataFrame:
        """The quantile band of one entity's share by year: index year, columns p05..p95."""
        rows = self.bands[(self.bands["entity"] == entity) & (self.bands["measure"] == measure)]
        if rows.empty:
            raise ResultsError(self.folder / BANDS_NAME, None,
                               f"has no rows of entity {entity!r} and measure {measure!r}")
        return rows.set_index("year")[_BAND_COLUMNS]


def _draw_band(axes: Axes, years: np.ndarray, band: pd.DataFrame, colour: str, label: str,
               *, prefix: str = "p") -> None:
    """A median line with its 50% and 90% bands (columns ``<prefix>05`` … ``<prefix>95``)."""
    axes.fill_between(years, band[f"{prefix}05"], band[f"{prefix}95"], color=colour, alpha=0.15,
                      linewidth=0, label=f"{label}: 90% band")
    axes.fill_between(years, band[f"{prefix}25"], band[f"{prefix}75"], color=colour, alpha=0.3,
                      linewidth=0, label=f"{label}: 50% band")
    axes.plot(years, band[f"{prefix}50"], color=colour, linewidth=2, label=f"{label}: median")


def _goal_lines(axes: Axes, run: RunFolder, *, labels: bool = True) -> None:
    core, total = run.core, run.total
    axes.axhline(core, color=CORE_COLOUR, linestyle="--", linewidth=1,
                 label=f"{core:g}% core goal" if labels else None)
    axes.axhline(total, color=TOTAL_COLOUR, linestyle="--", linewidth=1,
                 label=f"{total:g}% total goal" if labels else None)


def alliance_fan(run: RunFolder) -> Chart:
    drawing = new_figure(10, 5.5)
    axes = drawing.add_subplot()
    for measure, colour, label in (("core", CORE_COLOUR, "core"),
                                   ("total", TOTAL_COLOUR, "core + related")):
        band = run.band("alliance", measure)
        _draw_band(axes, band.index.to_numpy(), band, colour, label)
    _goal_lines(axes, run)
    axes.axvline(run.year, color="black", linewidth=0.8, alpha=0.5)
    axes.set(xlabel="year", ylabel="% of GDP (USD-weighted, assessed allies)",
             title=f"Alliance defence spending, {run.scenario}: median, 50% and 90% "
                   f"bands against the Hague goal for {run.year}")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", fontsize=8, ncols=2)
    axes.grid(alpha=0.3)
    return Chart.draw("alliance-fan", "Alliance aggregate share against the goal", drawing,
                      "Core (NATO definition) and core plus defence- and security-related "
                      "spending, as a share of the assessed allies' summed GDP.")


def ally_multiples(run: RunFolder) -> Chart:
    codes = run.assessed
    columns = 6
    rows = math.ceil(len(codes) / columns)
    drawing = new_figure(14, 2.1 * rows + 0.6)
    grid = drawing.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for n, (axes, code) in enumerate(zip(grid.flat, codes, strict=False)):
        # Years under every column's lowest panel, not only under the full last row.
        axes.tick_params(labelbottom=n + columns >= len(codes))
        for measure, colour in (("core", CORE_COLOUR), ("total", TOTAL_COLOUR)):
            band = run.band(code, measure)
            _draw_band(axes, band.index.to_numpy(), band, colour, measure)
        _goal_lines(axes, run, labels=False)
        axes.set_title(f"{code} {run.get(f'allies.{code}.name')}"[:24], fontsize=9)
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.3)
    for axes in grid.flat[len(codes):]:
        axes.set_axis_off()
    first = grid.flat[0]
    first.set_ylim(bottom=0)
    handles, labels = first.get_legend_handles_labels()
    drawing.legend(handles, labels, loc="outside lower center", ncols=6, fontsize=8)
    drawing.suptitle("Core and total share of GDP by ally (%): median, 50% and 90% bands; "
                     f"dashed: the {run.core:g}% and {run.total:g}% goals")
    return Chart.draw("allies-small-multiples", "Each ally's core and total share", drawing)


def _whisker_bars(axes: Axes, positions: np.ndarray, value: pd.Series, low: pd.Series,
                  high: pd.Series, colour: Any, label: str | None = None) -> None:
    """Horizontal bars of ``value`` with whiskers from ``low`` to ``high``."""
    axes.barh(positions, value, color=colour, height=0.7, xerr=[value - low, high - value],
              error_kw={"elinewidth": 0.8, "capsize": 2}, label=label)


def _probability_frame(run: RunFolder) -> pd.DataFrame:
    rows = []
    for code in run.assessed:
        goal, core = run.probability(f"allies.{code}.p_meet_goal"), \
            run.probability(f"allies.{code}.p_meet_core")
        rows.append((code, *goal, *core))
    return pd.DataFrame(rows, columns=["ally", "goal", "goal_lo", "goal_hi", "core", "core_lo",
                                       "core_hi"]).set_index("ally")


def p_goal_chart(run: RunFolder, probabilities: pd.DataFrame) -> Chart:
    frame = probabilities.sort_values(["goal", "core"])
    positions = np.arange(len(frame))  # (allies,)
    drawing = new_figure(9, 0.26 * len(frame) + 1.8)
    axes = drawing.add_subplot()
    _whisker_bars(axes, positions, frame["goal"], frame["goal_lo"], frame["goal_hi"],
                  TOTAL_COLOUR,
                  f"P(goal: {run.core:g}% core and {run.total:g}% total)")
    axes.errorbar(frame["core"], positions,
                  xerr=[frame["core"] - frame["core_lo"], frame["core_hi"] - frame["core"]],
                  fmt="o", color=CORE_COLOUR, markersize=4, elinewidth=0.8,
                  label=f"P(core goal: {run.core:g}%)")
    axes.set_yticks(positions, frame.index, fontsize=8)
    alliance = run.probability("probabilities.alliance_meets_goal")
    axes.set(xlim=(0, 1), xlabel=f"probability in {run.year}, with 95% interval",
             title=f"P(each ally meets the goal in {run.year}); the alliance as a whole: "
                   f"{alliance[0]:.2f} [{alliance[1]:.2f}-{alliance[2]:.2f}]")
    axes.legend(loc="lower right", fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    return Chart.draw("p-goal", "Probability each ally meets the goal", drawing)


def _shortfall_frame(run: RunFolder) -> pd.DataFrame:
    rows = []
    for code in run.assessed:
        total = run.quantiles(f"allies.{code}.total_shortfall_usd_{run.year}")
        core = run.quantiles(f"allies.{code}.core_shortfall_usd_{run.year}")
        rows.append((code, *(total[k] / 1e9 for k in ("p05", "p50", "p95")),
                     core["p50"] / 1e9))
    return pd.DataFrame(rows, columns=["ally", "p05", "p50", "p95", "core_p50"]) \
        .set_index("ally")


def shortfall_chart(run: RunFolder, shortfall: pd.DataFrame) -> Chart:
    frame = shortfall.sort_values(["p50", "p95"])
    positions = np.arange(len(frame))  # (allies,)
    drawing = new_figure(9, 0.26 * len(frame) + 1.8)
    axes = drawing.add_subplot()
    _whisker_bars(axes, positions, frame["p50"], frame["p05"], frame["p95"], TOTAL_COLOUR,
                  f"to {run.total:g}% total: median, 5-95% whiskers")
    axes.plot(frame["core_p50"], positions, "o", color=CORE_COLOUR, markersize=4,
              label=f"to {run.core:g}% core: median")
    axes.set_yticks(positions, frame.index, fontsize=8)
    # The largest economies' tails (the USA's reaches hundreds of $bn) would flatten every
    # other bar on a linear axis; symlog stays linear below $1bn, where zero must show.
    axes.set_xscale("symlog", linthresh=1.0)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))
    axes.set(xlabel=f"USD bn (current) in {run.year}; log scale above $1bn",
             title=f"Shortfall to the goal in {run.year} by ally (0 where the goal is met)")
    axes.legend(loc="lower right", fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    return Chart.draw("shortfall", "USD shortfall to the goal per ally", drawing)


def aid_chart(aid_years: pd.DataFrame) -> Chart:
    """Aid delivered against needs, and P(needs met), from the rows of ``aid.csv``."""
    table = aid_years.set_index("year")
    years = table.index.to_numpy()
    drawing = new_figure(10, 6.5)
    top, bottom = drawing.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    # Bars side by side per year rather than bands over time: a one-year aid horizon (the
    # common case) would leave a band no width to show.
    for offset, name, colour, label in ((-0.18, "needs_usd", NEEDS_COLOUR, "needed"),
                                        (0.18, "delivered_usd", CORE_COLOUR, "delivered")):
        q = {label_q: table[f"{name}_{label_q}"].to_numpy() / 1e9 for label_q in _BAND_COLUMNS}
        top.bar(years + offset, q["p50"], width=0.34, color=colour, alpha=0.85,
                label=f"{label}: median, 50% (thick) and 90% (thin) ranges")
        top.vlines(years + offset, q["p25"], q["p75"], color="black", linewidth=4)
        top.vlines(years + offset, q["p05"], q["p95"], color="black", linewidth=1)
        for year, value, high in zip(years, q["p50"], q["p95"], strict=True):
            top.annotate(f"${value:,.1f}bn", (year + offset, high), textcoords="offset points",
                         xytext=(0, 4), ha="center", fontsize=8)
    top.set(ylabel="USD bn (current)", title="Military aid to Ukraine delivered (not pledged) "
            "against yearly needs")
    top.set_ylim(0, 1.25 * float(table.filter(like="_usd_p95").to_numpy().max()) / 1e9)
    top.set_xlim(years.min() - 0.75, years.max() + 0.75)
    top.legend(fontsize=8, loc="upper right")
    top.grid(alpha=0.3)
    met = table["p_needs_met"]
    bottom.bar(years, met, color=CORE_COLOUR, width=0.6,
               yerr=[met - table["p_needs_met_lo"], table["p_needs_met_hi"] - met], capsize=3)
    for year, p in met.items():
        bottom.annotate(f"{p:.2f}", (year, p), textcoords="offset points", xytext=(0, 4),
                        ha="center", fontsize=8)
    bottom.set(ylim=(0, 1.1), ylabel="P(needs met)", xlabel="year", xticks=years)
    bottom.grid(axis="y", alpha=0.3)
    return Chart.draw("aid-delivered", "Aid delivered against needs", drawing)


def _trigger_frame(run: RunFolder) -> pd.DataFrame:
    rows = []
    path = run.summary_path
    for pledge_id, pledge in fields.table(run.summary, "aid.pledges", path).items():
        key = f"aid.pledges.{pledge_id}"
        pledge = fields.checked_table(pledge, key, path)

        def probability(name: str, pledge: dict[str, Any] = pledge,
                        key: str = key) -> tuple[float, float, float]:
            return fields.checked_probability(fields.member(pledge, name, key, path),
                                              f"{key}.{name}", path)

        pledged = pledge.get("pledged_usd", math.nan)
        rows.append((pledge_id, str(pledge.get("donor")), pledge.get("conditional") is True,
                     (fields.checked_number(pledged, f"{key}.pledged_usd", path)
                      if pledged is not math.nan else pledged) / 1e9,
                     *probability("p_triggered"), probability("p_triggered_greatest")[0],
                     probability("p_triggered_least")[0]))
    return pd.DataFrame(rows, columns=["pledge", "donor", "conditional", "pledged_usd_bn",
                                       "p_triggered", "lo", "hi", "greatest", "least"]) \
        .set_index("pledge")


def trigger_chart(triggers: pd.DataFrame) -> Chart:
    frame = triggers.sort_values("p_triggered")
    positions = np.arange(len(frame))  # (pledges,)
    drawing = new_figure(9, 0.3 * len(frame) + 1.8)
    axes = drawing.add_subplot()
    colours = [TOTAL_COLOUR if c else CORE_COLOUR for c in frame["conditional"]]
    _whisker_bars(axes, positions, frame["p_triggered"], frame["lo"], frame["hi"], colours)
    differs = frame["greatest"] != frame["least"]
    axes.plot(frame["least"][differs], positions[differs.to_numpy()], "x", color="black",
              label="if no one relies on another conditional pledge (least)")
    axes.set_yticks(positions, [f"{i} ({d})" for i, d in zip(frame.index, frame["donor"],
                                                              strict=True)], fontsize=8)
    axes.set(xlim=(0, 1.05), xlabel="probability the pledge fires, with 95% interval",
             title="Pledges: probability each fires (orange: conditional, blue: unconditional)")
    if differs.any():
        axes.legend(loc="lower right", fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    return Chart.draw("aid-triggers", "Trigger probability of each pledge", drawing)


def _interval(p: float, low: float, high: float) -> str:
    return f"{p:.2f} [{low:.2f}-{high:.2f}]"


def _rests_on(run: RunFolder) -> tuple[str, ...]:
    """What the headline rests on, before it: the US assumption, related spending where it is
    assumed, and the headline with threat events switched off on the same draws (summary.json
    of a run from before the planning model has none of these: nothing is said)."""
    notes = run.summary.get("assumptions") or {}
    probabilities = fields.table(run.summary, "probabilities", run.summary_path)
    said = []
    if "united_states" in notes:
        said.append(f"US assumption: {notes['united_states']}.")
    assumed = notes.get("related_spending_assumed") or []
    if assumed:
        said.append(f"Related spending (up to {run.total - run.core:g}% of GDP) "
                    f"is an assumption for {len(assumed)} of {len(run.assessed)} assessed "
                    "allies, so the full goal's probability rests on it.")
    if "alliance_meets_core_without_threat_events" in probabilities:
        core_calm, goal_calm = (run.probability(f"probabilities.alliance_meets_{k}"
                                                "_without_threat_events")
                                for k in ("core", "goal"))
        said.append("Without threat events (the same draws, events switched off) the alliance "
                    f"reaches {run.core:g}% core with probability "
                    f"{_interval(*core_calm)} and the full goal with {_interval(*goal_calm)}.")
    return tuple(said)


def _headline(run: RunFolder) -> Section:
    y, core, total = run.year, run.core, run.total
    names = {"alliance_meets_goal": f"alliance reaches {total:g}% (with {core:g}% core)",
             "alliance_meets_core": f"alliance reaches {core:g}% core",
             "alliance_credible_path": f"alliance on a credible path in "
                                       f"{run.goal.get('review_year')}",
             "all_allies_meet_core": f"every ally reaches {core:g}% core",
             "all_allies_meet_goal": f"every ally reaches the {total:g}% goal"}
    rows = [(text, *run.probability(f"probabilities.{key}")) for key, text in names.items()
            if key in fields.table(run.summary, "probabilities", run.summary_path)]
    frame = pd.DataFrame(rows, columns=["in " + str(y), "p", "95% low", "95% high"]) \
        .set_index(f"in {y}")
    goal, core_p = (run.probability(f"probabilities.{k}")
                    for k in ("alliance_meets_goal", "alliance_meets_core"))
    median_core = run.band("alliance", "core").loc[y, "p50"]
    likely = [c for c in run.assessed if run.probability(f"allies.{c}.p_meet_goal")[0] >= 0.5]
    paragraphs = (
        f"The alliance reaches {core:g}% of GDP on core defence in {y} with probability "
        f"{_interval(*core_p)}, and the full {total:g}% goal with probability "
        f"{_interval(*goal)}; its median core share in {y} is "
        f"{_share_text(None if math.isnan(median_core) else median_core)}% of GDP.",
        f"{len(likely)} of {len(run.assessed)} assessed allies are more likely than not to meet "
        f"the goal" + (f": {', '.join(likely)}." if likely else "."),
        *_rests_on(run),
        f"Scenario {run.scenario} (sha256 {str(run.get('scenario_sha256'))[:12]}), "
        f"{run.draws:,} draws, seed {run.get('seed')}, summit-sim "
        f"{run.get('version')}.",
    )
    return Section("Headline", paragraphs, (alliance_fan(run),),
                   (Table("Probabilities with 95% intervals", frame),))


def _allies_section(run: RunFolder) -> Section:
    y = run.year
    probabilities, shortfall = _probability_frame(run), _shortfall_frame(run)
    rows = []
    for code in run.assessed:
        core, total = (run.share_quantiles(f"allies.{code}.{measure}_{y}")
                       for measure in ("core", "total"))
        rows.append({"ally": code, "core base %": fields.number(
                         run.summary, f"allies.{code}.core_base", run.summary_path),
                     f"core {y} p50": _share_value(core["p50"]),
                     f"core {y} p05-p95": f"{_share_text(core['p05'])}-"
                                          f"{_share_text(core['p95'])}",
                     f"total {y} p50": _share_value(total["p50"]),
                     "P(core goal)": probabilities.loc[code, "core"],
                     "P(goal)": probabilities.loc[code, "goal"],
                     "P(goal) 95% CI": f"{probabilities.loc[code, 'goal_lo']:.3f}-"
                                       f"{probabilities.loc[code, 'goal_hi']:.3f}",
                     "shortfall $bn p50": shortfall.loc[code, "p50"]})
    frame = pd.DataFrame(rows).set_index("ally").sort_values("P(goal)", ascending=False)
    above = frame[[f"core {y} p50", f"total {y} p50"]].isna().any(axis=None) or \
        frame[f"core {y} p05-p95"].str.contains(ABOVE_RANGE).any()
    note = (f"Blank or {ABOVE_RANGE}: a share at or above {SHARE_MAX:g}% of GDP, where the "
            "histograms end; its value is not known." if above else "")
    return Section("Allies", (
        "Shares are % of GDP in the goal year; the shortfall is the USD spending missing to "
        f"reach {run.total:g}% of GDP (zero when met).",),
        (ally_multiples(run), p_goal_chart(run, probabilities), shortfall_chart(run, shortfall)),
        (Table(f"Each ally in {y}", frame, note),))


#: How a share quantile at or above SHARE_MAX (``null`` in summary.json) reads in the tables.
ABOVE_RANGE = f"above {SHARE_MAX:g}"


def _share_value(value: float | None) -> float:
    """A share quantile of summary.json as a number; NaN (a blank cell) for ``null``."""
    return math.nan if value is None else float(value)


def _share_text(value: float | None) -> str:
    """A share quantile of summary.json in words: two decimals, or ``above 20``."""
    return ABOVE_RANGE if value is None else f"{value:.2f}"


def _aid_section(run: RunFolder) -> Section | None:
    if run.aid_years is None:
        return None
    table = run.aid_years.set_index("year")
    frame = pd.DataFrame({
        "needs $bn p50": table["needs_usd_p50"] / 1e9,
        "delivered $bn p50": table["delivered_usd_p50"] / 1e9,
        "delivered $bn p05": table["delivered_usd_p05"] / 1e9,
        "delivered $bn p95": table["delivered_usd_p95"] / 1e9,
        "P(needs met)": table["p_needs_met"],
        "95% low": table["p_needs_met_lo"], "95% high": table["p_needs_met_hi"]})
    gap = run.probability("aid.coordination_gap.p_differs")
    triggers = _trigger_frame(run)
    return Section("Aid to Ukraine", (
        f"What counts is aid delivered in the year, after donor reliability, contracting lags "
        f"and production capacity; conditional pledges are resolved by the "
        f"{run.get('aid.resolution')} fixed point.",
        f"The coordinated and the uncoordinated outcome fire different pledges with probability "
        f"{_interval(*gap)} (the coordination gap).",
    ), (aid_chart(run.aid_years), trigger_chart(triggers)),
        (Table("Needs and deliveries by year", frame),
         Table("Pledges", triggers[["donor", "conditional", "pledged_usd_bn", "p_triggered",
                                    "lo", "hi"]])))


def _footnotes(run: RunFolder) -> tuple[str, ...]:
    notes = []
    try:
        base = load_base(run.base_year)
    except DataError:
        base = {}
    sources = sorted({figure.source for code in run.assessed if code in base
                      for figure in (base[code].core_share, base[code].gdp_usd,
                                     base[code].growth_mean) if figure is not None})
    if sources:
        notes.append("Base-year data (unless the scenario overrides it): " + "; ".join(sources)
                     + ".")
    notes += [
        "Defence- and security-related spending (the 1.5%): NATO publishes no per-ally series; "
        "its base value and adjustment are the scenario's stated assumptions, so P(goal) rests on "
        "them while P(core goal) does not.",
        "Quantiles are read from 0.01 percentage-point histograms (USD from log-scale bins) and "
        "are accurate to one bin; probabilities are exact counts with 95% Wilson intervals.",
    ]
    if run.bands[_BAND_COLUMNS].isna().any(axis=None):
        notes.append(f"Some shares are at or above {SHARE_MAX:g}% of GDP, where the histograms "
                     "end: their quantiles are not known, and are left out of the charts and "
                     f"shown blank or as {ABOVE_RANGE} in the tables.")
    return tuple(notes)


def run_page(run_dir: str | Path) -> Page:
    """The briefing page of a run folder written by ``summit run --out``."""
    run = RunFolder(run_dir)
    return Page(
        title=f"summit-sim briefing: {run.scenario}",
        subtitle=f"The Hague goal of {run.core:g}% core and {run.total:g}% total "
                 f"of GDP by {run.year}: {run.draws:,} Monte Carlo draws from "
                 f"{run.base_year}",
        sections=sections(_headline(run), _allies_section(run), _aid_section(run)),
        footnotes=_footnotes(run))


def write_run_report(run_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write the run's briefing (``report.html``, ``report.md``, PNGs) into ``out_dir``.

    ``out_dir`` defaults to the run folder itself; another run's folder or a sweep folder is
    refused (:class:`~sim.errors.OptionError`), and the charts of an earlier run report there
    that this one does not draw are removed. Returns the written paths, HTML first.
    """
    out = Path(run_dir if out_dir is None else out_dir)
    check_report_out(Path(run_dir), out)
    return write_page(run_page(run_dir), out, stale=REPORT_FILES)
