"""The briefing of a run: plots, tables and plain sentences drawn from a run folder.

``summit report RUN_DIR`` reads what ``summit run --out`` wrote (``summary.json``, ``allies.csv``'s
sibling ``bands.csv``, and ``aid.csv`` for a scenario with aid) and never reruns the simulation.
It builds a :class:`~sim.reports.page.Page`: the alliance fan chart against the goal lines, per-ally
small multiples with 50% and 90% bands, P(goal) per ally with its interval, the USD shortfall per
ally, and for aid the delivered value against needs and each pledge's probability of delivering.
A one-paragraph headline (spending and aid) and what it rests on (threat events, assumed related
spending, the US and aid assumptions) come first; probabilities read as percentages.
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
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim import fields
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
from sim.reports.page import (
    Chart,
    Page,
    Section,
    Table,
    new_figure,
    percent,
    percent_interval,
    sections,
    write_page,
)
from sim.reports.run_files import BAND_QUANTILES, quantile_label
from sim.spending.tally import SHARE_MAX

CORE_COLOUR, TOTAL_COLOUR, NEEDS_COLOUR = "#1f4e9c", "#d9822b", "#6b6b6b"
_BAND_COLUMNS = [quantile_label(q) for q in BAND_QUANTILES]  # p05 p25 p50 p75 p95


#: The columns of ``aid.csv`` the briefing reads.
_AID_COLUMNS = ["year", "p_needs_met", "p_needs_met_lo", "p_needs_met_hi",
                *(f"{name}_{q}" for name in ("needs_usd", "delivered_usd") for q in _BAND_COLUMNS)]


class RunFolder:
    """A run folder's files, read once and checked (:mod:`sim.fields`), with the
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


#: Opaque band colours (light: 90% band, mid: 50% band), so where the core and the
#: core + related bands overlap one covers the other instead of mixing into a third colour.
_BAND_SHADES = {CORE_COLOUR: ("#cdd8ee", "#8fa8d8"), TOTAL_COLOUR: ("#f9e1c8", "#f0b781")}
#: The words for the two measures, the same in every chart, legend and sentence.
CORE_WORDS, TOTAL_WORDS = "core", "core + related"


def _draw_band(axes: Axes, years: np.ndarray, band: pd.DataFrame, colour: str, label: str,
               *, layer: int = 0) -> None:
    """A median line with its 50% and 90% bands (columns ``p05`` … ``p95``); ``layer`` puts one
    measure's bands above another's, every median line above all bands."""
    light, mid = _BAND_SHADES[colour]
    axes.fill_between(years, band["p05"], band["p95"], color=light, linewidth=0,
                      label=f"{label}: 90% band", zorder=1 + 2 * layer)
    axes.fill_between(years, band["p25"], band["p75"], color=mid, linewidth=0,
                      label=f"{label}: 50% band", zorder=2 + 2 * layer)
    axes.plot(years, band["p50"], color=colour, linewidth=2, label=f"{label}: median", zorder=6)


def _draw_measures(axes: Axes, run: RunFolder, entity: str) -> np.ndarray:
    """Core + related under core, the core + related 90% band's edges drawn over both so none
    of it hides; returns the years drawn."""
    total = run.band(entity, "total")
    years = total.index.to_numpy()  # (years,)
    _draw_band(axes, years, total, TOTAL_COLOUR, TOTAL_WORDS, layer=0)
    _draw_band(axes, years, run.band(entity, "core"), CORE_COLOUR, CORE_WORDS, layer=1)
    for edge in ("p05", "p95"):
        axes.plot(years, total[edge], color=TOTAL_COLOUR, linewidth=0.6, linestyle=":",
                  zorder=5)
    return years


def _goal_lines(axes: Axes, run: RunFolder, *, labels: bool = True) -> None:
    """The goal's two lines, the review year and the goal year."""
    core, total = run.core, run.total
    axes.axhline(core, color=CORE_COLOUR, linestyle="--", linewidth=1, zorder=7,
                 label=f"{core:g}% {CORE_WORDS} goal" if labels else None)
    axes.axhline(total, color=TOTAL_COLOUR, linestyle="--", linewidth=1, zorder=7,
                 label=f"{total:g}% {TOTAL_WORDS} goal" if labels else None)
    review = run.goal.get("review_year")
    if isinstance(review, int) and not isinstance(review, bool):
        axes.axvline(review, color="#444444", linestyle="-.", linewidth=0.9, zorder=7,
                     label=f"{review} review of the path" if labels else None)
    if labels:  # the goal year is the fan chart's last tick; the small panels end there
        axes.axvline(run.year, color="black", linewidth=0.9, zorder=7,
                     label=f"{run.year}: the goal year")


def _every_year(axes: Axes, years: np.ndarray, *, labels: bool = True) -> None:
    """A tick and a label at every year, the first and last with room either side."""
    axes.set_xticks(years, [str(y) for y in years] if labels else [])
    axes.set_xlim(years.min() - 0.4, years.max() + 0.4)


def alliance_fan(run: RunFolder) -> Chart:
    drawing = new_figure(10, 5.8)
    axes = drawing.add_subplot()
    years = _draw_measures(axes, run, "alliance")
    _goal_lines(axes, run)
    _every_year(axes, years)
    axes.set(xlabel="year", ylabel="% of GDP (assessed allies' spending over their summed GDP)",
             title=f"Alliance defence spending, {run.scenario}: median, 50% and 90% "
                   f"bands against the Hague goal for {run.year}")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", fontsize=8, ncols=2)
    axes.grid(alpha=0.3)
    return Chart.draw("alliance-fan", "Alliance aggregate share against the goal", drawing,
                      f"Blue: {CORE_WORDS} (NATO definition); orange: {CORE_WORDS} plus "
                      "defence- and security-related spending. Shares of the assessed allies' "
                      "summed GDP; the dotted orange lines are the edges of the core + related "
                      "90% band where the core band covers it.")


#: Columns of the small multiples; 31 allies make 7 rows, the last beside the legend.
MULTIPLES_COLUMNS = 5


def ally_multiples(run: RunFolder) -> Chart:
    """Every assessed ally's two measures, most likely to meet the goal first."""
    codes = sorted(run.assessed, key=lambda c: (-run.probability(f"allies.{c}.p_meet_goal")[0],
                                                c))
    columns = MULTIPLES_COLUMNS
    rows = math.ceil(len(codes) / columns)
    drawing = new_figure(15, 2.05 * rows + 1.0)
    grid = drawing.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for n, (axes, code) in enumerate(zip(grid.flat, codes, strict=False)):
        years = _draw_measures(axes, run, code)
        _goal_lines(axes, run, labels=False)
        # Years under every column's lowest panel, not only under the full last row.
        _every_year(axes, years)
        axes.tick_params(labelbottom=n + columns >= len(codes), labelsize=7)
        for label in axes.get_xticklabels():
            label.set_rotation(90)
        p_goal = run.probability(f"allies.{code}.p_meet_goal")[0]
        axes.set_title(f"{code} {str(run.get(f'allies.{code}.name'))[:18]}: P(goal) "
                       f"{percent(p_goal)}%", fontsize=9)
        axes.grid(alpha=0.3)
    spare = grid.flat[len(codes):]
    for axes in spare:
        axes.set_axis_off()
    grid.flat[0].set_ylim(bottom=0)
    # The fan chart's legend, so its words are the same; in the last row's empty cells, where
    # there are any, so the last ally does not stand alone.
    handles, labels = _legend_of(run)
    if len(spare) >= 2:
        legend = spare[0].legend(handles, labels, loc="center left", ncols=len(spare) - 1,
                                 fontsize=9, title="every panel", title_fontsize=9)
        legend.set_in_layout(False)  # it spans the empty cells: no column widens for it
    else:
        drawing.legend(handles, labels, loc="outside lower center", ncols=5, fontsize=9)
    drawing.suptitle(f"Each ally's {CORE_WORDS} and {TOTAL_WORDS} share of GDP (%), most "
                     f"likely to meet the goal first; dashed: the "
                     f"{run.core:g}% and {run.total:g}% goals; dash-dot: the "
                     f"{run.goal.get('review_year')} review")
    return Chart.draw("allies-small-multiples", "Each ally's core and core + related share",
                      drawing)


def _legend_of(run: RunFolder) -> tuple[list[Any], list[str]]:
    """The handles and labels of the fan chart's legend but the goal year, from a throwaway
    drawing."""
    scratch = new_figure(1, 1).add_subplot()
    _draw_measures(scratch, run, "alliance")
    _goal_lines(scratch, run)
    handles, labels = scratch.get_legend_handles_labels()
    kept = [n for n, label in enumerate(labels) if "goal year" not in label]
    return [handles[n] for n in kept], [labels[n] for n in kept]


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
                  f"P(goal: {run.core:g}% {CORE_WORDS} and {run.total:g}% {TOTAL_WORDS})")
    axes.errorbar(frame["core"], positions,
                  xerr=[frame["core"] - frame["core_lo"], frame["core_hi"] - frame["core"]],
                  fmt="o", color=CORE_COLOUR, markersize=4, elinewidth=0.8,
                  label=f"P({run.core:g}% {CORE_WORDS} goal)")
    axes.set_yticks(positions, frame.index, fontsize=8)
    alliance = run.probability("probabilities.alliance_meets_goal")
    axes.set(xlim=(0, 1), xlabel=f"probability in {run.year}, with 95% interval",
             title=f"P(each ally meets the goal in {run.year}); the alliance as a whole: "
                   f"{percent_interval(*alliance)}")
    axes.xaxis.set_major_formatter(PercentFormatter(xmax=1))  # as the text writes them
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


def shortfall_axis_end(shortfall: pd.DataFrame) -> float:
    """Where the shortfall chart's linear axis ends, USD bn: twice the largest median, so every
    median reads on one scale; the largest 95% quantile when every median is zero."""
    largest = float(shortfall["p50"].max())
    end = 2.0 * largest if largest > 0 else float(shortfall["p95"].max())
    return max(end, 0.1)


def shortfall_chart(run: RunFolder, shortfall: pd.DataFrame) -> Chart:
    frame = shortfall.sort_values(["p50", "p95"])
    positions = np.arange(len(frame))  # (allies,)
    end = shortfall_axis_end(frame)
    drawing = new_figure(9, 0.26 * len(frame) + 1.8)
    axes = drawing.add_subplot()
    # One linear scale: a whisker past the axis' end is cut there and its end written beside
    # it, rather than a log scale that cannot show the zeros or squeezes the large bars.
    high = frame["p95"].clip(upper=end)
    _whisker_bars(axes, positions, frame["p50"], frame["p05"].clip(upper=end), high,
                  TOTAL_COLOUR,
                  f"to {run.total:g}% {TOTAL_WORDS}: median (bar), 5–95% range (whisker)")
    for position, value in zip(positions, frame["p95"], strict=True):
        if value > end:
            axes.annotate(f"→ 95%: ${value:,.0f}bn", (end, position), xytext=(-4, 0),
                          textcoords="offset points", ha="right", va="center", fontsize=7,
                          bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    axes.plot(frame["core_p50"], positions, "o", color=CORE_COLOUR, markersize=4,
              label=f"to {run.core:g}% {CORE_WORDS}: median")
    axes.set_yticks(positions, [f"{code}  ${value:,.1f}bn" for code, value in
                                zip(frame.index, frame["p50"], strict=True)], fontsize=8)
    axes.set_xlim(0, end)
    axes.set(xlabel=f"USD bn (current) in {run.year}, linear scale; whiskers past "
                    f"${end:,.0f}bn are cut at the edge, their end written",
             title=f"Shortfall to the goal in {run.year} by ally, median beside each name "
                   "(0 where the goal is met)")
    axes.legend(loc="lower right", fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    return Chart.draw("shortfall", "USD shortfall to the goal per ally", drawing)


def _needs_fixed(table: pd.DataFrame) -> bool:
    """Whether every year's need is one number (the scenario fixes it, no range to show)."""
    return bool((table["needs_usd_p05"] == table["needs_usd_p95"]).all())


def aid_chart(aid_years: pd.DataFrame) -> Chart:
    """Aid delivered against needs by year, each year's P(needs met) under it, from the rows of
    ``aid.csv``."""
    table = aid_years.set_index("year")
    years = table.index.to_numpy()  # (years,)
    fixed = _needs_fixed(table)
    drawing = new_figure(10, 5.5)
    axes = drawing.add_subplot()
    # Bars side by side per year rather than bands over time: a one-year aid horizon (the
    # common case) would leave a band no width to show.
    for offset, name, colour, label, ranged in (
            (-0.18, "needs_usd", NEEDS_COLOUR,
             "needed: fixed by the scenario" if fixed else
             "needed: median, 50% (thick) and 90% (thin) ranges", not fixed),
            (0.18, "delivered_usd", CORE_COLOUR,
             "delivered: median, 50% (thick) and 90% (thin) ranges", True)):
        q = {label_q: table[f"{name}_{label_q}"].to_numpy() / 1e9 for label_q in _BAND_COLUMNS}
        axes.bar(years + offset, q["p50"], width=0.34, color=colour, alpha=0.85, label=label)
        if ranged:
            axes.vlines(years + offset, q["p25"], q["p75"], color="black", linewidth=4)
            axes.vlines(years + offset, q["p05"], q["p95"], color="black", linewidth=1)
        tops = q["p95"] if ranged else q["p50"]
        for year, value, top in zip(years, q["p50"], tops, strict=True):
            axes.annotate(f"${value:,.1f}bn", (year + offset, top), textcoords="offset points",
                          xytext=(0, 4), ha="center", fontsize=8)
    axes.set(ylabel="USD bn (current)", title="Military aid to Ukraine delivered (not pledged) "
             "against each year's need; under each year, P(the need is met)")
    axes.set_ylim(0, 1.25 * float(table.filter(like="_usd_p95").to_numpy().max()) / 1e9)
    axes.set_xlim(years.min() - 0.75, years.max() + 0.75)
    met = table[["p_needs_met", "p_needs_met_lo", "p_needs_met_hi"]].to_numpy()  # (years, 3)
    axes.set_xticks(years, [f"{year}\nP(need met): {percent_interval(*row)}"
                            for year, row in zip(years, met, strict=True)], fontsize=8)
    axes.legend(fontsize=8, loc="upper right")
    axes.grid(axis="y", alpha=0.3)
    return Chart.draw("aid-delivered", "Aid delivered against needs", drawing,
                      "P(need met): the share of draws in which the aid delivered in the year "
                      "reaches the year's need, with its 95% interval; <0.1% means in almost "
                      "no draw.")


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
        delivered = fields.quantiles(run.summary, f"{key}.delivered_usd", path)
        rows.append((pledge_id, str(pledge.get("donor")), pledge.get("conditional") is True,
                     (fields.checked_number(pledged, f"{key}.pledged_usd", path)
                      if pledged is not math.nan else pledged) / 1e9,
                     *probability("p_triggered"), probability("p_triggered_greatest")[0],
                     probability("p_triggered_least")[0], *probability("p_delivered_any"),
                     delivered["p50"] / 1e9))
    return pd.DataFrame(rows, columns=["pledge", "donor", "conditional", "pledged_usd_bn",
                                       "p_triggered", "lo", "hi", "greatest", "least",
                                       "p_delivered", "delivered_lo", "delivered_hi",
                                       "delivered_usd_bn"]).set_index("pledge")


def delivery_chart(run: RunFolder, triggers: pd.DataFrame) -> Chart:
    """Each pledge's probability of delivering anything in the months, beside the probability
    it fires: a pledge that fires is still honoured only with its donor's delivered share and
    after its lags."""
    frame = triggers.sort_values(["p_delivered", "p_triggered"])
    positions = np.arange(len(frame))  # (pledges,)
    drawing = new_figure(9, 0.3 * len(frame) + 2.0)
    axes = drawing.add_subplot()
    colours = [TOTAL_COLOUR if c else CORE_COLOUR for c in frame["conditional"]]
    _whisker_bars(axes, positions, frame["p_delivered"], frame["delivered_lo"],
                  frame["delivered_hi"], colours)
    axes.plot(frame["p_triggered"], positions, "|", color="black", markersize=12,
              markeredgewidth=2, label="P(the pledge fires)")
    handles, _ = axes.get_legend_handles_labels()
    handles += [Patch(color=CORE_COLOUR, label="P(delivered): unconditional pledge"),
                Patch(color=TOTAL_COLOUR, label="P(delivered): conditional pledge")]
    axes.set_yticks(positions, [f"{i} ({d})" for i, d in zip(frame.index, frame["donor"],
                                                              strict=True)], fontsize=8)
    months = run.get("aid.months")
    axes.set(xlim=(0, 1.05), xlabel=f"probability, with 95% interval (bars); months "
                                    f"{months[0]} to {months[-1]}",
             title="Pledges: probability anything of each is delivered (bar) and that it "
                   "fires (tick)")
    axes.xaxis.set_major_formatter(PercentFormatter(xmax=1))
    drawing.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8)
    axes.grid(axis="x", alpha=0.3)
    return Chart.draw("aid-triggers", "Probability each pledge delivers", drawing)


def _p_text(run: RunFolder, dotted: str) -> str:
    return percent_interval(*run.probability(dotted))


def _chance(run: RunFolder, p: float, low: float, high: float) -> str:
    """``with probability 84.1% (83.6–84.6%)``; a probability of exactly zero in words."""
    if p == 0:
        return f"in none of the {run.draws:,} draws (95% interval 0–{percent(high)}%)"
    return f"with probability {percent_interval(p, low, high)}"


#: The resolution of conditional pledges in plain words.
_RESOLUTION_WORDS = {
    "greatest": "as if donors coordinate: every conditional pledge whose conditions can be "
                "met together fires",
    "least": "as if no donor counts on another's conditional pledge: one fires only when "
             "unconditional pledges alone meet its condition",
}


def _aid_sentence(run: RunFolder) -> str:
    """The aid half of the headline: the first year's delivery against its need, and every
    year's need met when the horizon is longer."""
    if run.aid_years is None:
        return "This scenario does not model aid to Ukraine."
    table = run.aid_years.set_index("year")
    first = table.index[0]
    row = table.loc[first]
    said = (f"For Ukraine in {first}, a median ${row['delivered_usd_p50'] / 1e9:,.1f}bn of "
            f"military aid is delivered (90% range ${row['delivered_usd_p05'] / 1e9:,.1f}–"
            f"{row['delivered_usd_p95'] / 1e9:,.1f}bn) against a need of "
            f"${row['needs_usd_p50'] / 1e9:,.1f}bn; the need is met "
            f"{_chance(run, row['p_needs_met'], row['p_needs_met_lo'], row['p_needs_met_hi'])}")
    if len(table) > 1 and "p_needs_met_every_year" in table.columns:
        every = (row[f"p_needs_met_every_year{end}"] for end in ("", "_lo", "_hi"))
        said += f", and every year's need {first}–{table.index[-1]} {_chance(run, *every)}"
    return said + "."


def _headline_text(run: RunFolder) -> str:
    """The one paragraph a reader takes away: spending, then aid."""
    y, core, total = run.year, run.core, run.total
    median_core = run.band("alliance", "core").loc[y, "p50"]
    likely = [c for c in run.assessed if run.probability(f"allies.{c}.p_meet_goal")[0] >= 0.5]
    return (
        f"In {y} the alliance reaches {core:g}% of GDP on {CORE_WORDS} defence with probability "
        f"{_p_text(run, 'probabilities.alliance_meets_core')}, and the full {total:g}% goal "
        f"({core:g}% {CORE_WORDS} and {total:g}% {TOTAL_WORDS}) with "
        f"{_p_text(run, 'probabilities.alliance_meets_goal')}; its median {CORE_WORDS} share in "
        f"{y} is {_share_text(None if math.isnan(median_core) else median_core)}% of GDP. "
        f"{len(likely)} of {len(run.assessed)} assessed allies are more likely than not to meet "
        f"the goal" + (f" ({', '.join(likely)})" if likely else "") + ". "
        + _aid_sentence(run))


def _rests_on(run: RunFolder) -> tuple[str, ...]:
    """What the headline rests on, beside it: threat events' share, the assumed related
    spending, the US assumption and, for aid, its assumptions (summary.json of a run from
    before the planning model has the first three not: nothing is said of them)."""
    notes = run.summary.get("assumptions") or {}
    probabilities = fields.table(run.summary, "probabilities", run.summary_path)
    said = []
    if "alliance_meets_core_without_threat_events" in probabilities:
        core_p = run.probability("probabilities.alliance_meets_core")[0]
        calm = run.probability("probabilities.alliance_meets_core_without_threat_events")
        goal_calm = run.probability("probabilities.alliance_meets_goal_without_threat_events")
        share = "most of" if calm[0] < core_p / 2 else "part of"
        said.append(
            f"Threat events (crises like 2014 and 2022 that raise budgets, at their fitted rate) "
            f"carry {share} the answer: without them, on the same draws, the alliance reaches "
            f"{run.core:g}% {CORE_WORDS} with probability {percent_interval(*calm)} instead of "
            f"{percent(core_p)}%, and the full goal {_chance(run, *goal_calm)}.")
    assumed = notes.get("related_spending_assumed") or []
    if assumed:
        core_median = run.band("alliance", "core").loc[run.year, "p50"]
        total_median = run.band("alliance", "total").loc[run.year, "p50"]
        said.append(
            f"Related spending (defence- and security-related, up to {run.total - run.core:g}% "
            f"of GDP) has no NATO series: it is an assumption for {len(assumed)} of "
            f"{len(run.assessed)} assessed allies (a ramp toward {run.total - run.core:g}% by "
            f"{run.year}). The alliance's median {TOTAL_WORDS} share in {run.year} is "
            f"{_share_text(_share_value(total_median))}% against "
            f"{_share_text(_share_value(core_median))}% {CORE_WORDS}: the {run.total:g}% goal "
            f"rests on this assumption, P({run.core:g}% {CORE_WORDS}) does not.")
    if "united_states" in notes:
        said.append(f"US assumption (the largest economy, so the largest lever): "
                    f"{notes['united_states']}.")
    if run.aid is not None:
        said.append(_aid_assumptions(run))
    return tuple(said)


def _aid_assumptions(run: RunFolder) -> str:
    """The aid assumptions to read before quoting an aid number, from summary.json."""
    table = run.aid_years.set_index("year") if run.aid_years is not None else None
    needs = ""
    if table is not None:
        fixed = _needs_fixed(table)
        needs = ("needs fixed by the scenario at " if fixed else "needs drawn around medians of ") \
            + ", ".join(f"${table.loc[y, 'needs_usd_p50'] / 1e9:,.1f}bn in {y}"
                        for y in table.index) + "; "
    months = run.get("aid.months")
    resolution = str(run.get("aid.resolution"))
    inside = run.summary["aid"].get("counts_in_core") is True
    return (f"Aid to Ukraine: {needs}only aid delivered from {months[0]} to {months[-1]} "
            "counts, after each donor's delivered share (how much of what it promises it has "
            "delivered in the past), contracting lags and production capacity, all the "
            "scenario's assumptions (README, Aid to Ukraine: Assumptions); conditional pledges "
            f"are settled {_RESOLUTION_WORDS.get(resolution, resolution)}"
            + ("; aid paid counts in the donors' core spending." if inside else "."))


def _headline(run: RunFolder) -> Section:
    y, core, total = run.year, run.core, run.total
    names = {"alliance_meets_core": f"Alliance reaches {core:g}% {CORE_WORDS}",
             "alliance_meets_goal": f"Alliance reaches {total:g}% (with {core:g}% "
                                    f"{CORE_WORDS})",
             "alliance_meets_core_without_threat_events":
                 f"Alliance reaches {core:g}% {CORE_WORDS}, without threat events",
             "alliance_meets_goal_without_threat_events":
                 f"Alliance reaches {total:g}%, without threat events",
             "alliance_credible_path": f"Alliance on a credible path in "
                                       f"{run.goal.get('review_year')}",
             "all_allies_meet_core": f"Every ally reaches {core:g}% {CORE_WORDS}",
             "all_allies_meet_goal": f"Every ally reaches the {total:g}% goal"}
    present = fields.table(run.summary, "probabilities", run.summary_path)
    rows = [(text, _p_text(run, f"probabilities.{key}")) for key, text in names.items()
            if key in present]
    frame = pd.DataFrame(rows, columns=[f"In {y}", "Probability (95% interval)"]) \
        .set_index(f"In {y}")
    return Section(
        "Headline",
        (_headline_text(run),
         f"Scenario {run.scenario} (sha256 {str(run.get('scenario_sha256'))[:12]}), "
         f"{run.draws:,} draws, seed {run.get('seed')}, summit-sim {run.get('version')}."),
        (alliance_fan(run),), (Table("Probabilities with 95% intervals", frame),),
        points_title="What the answer rests on", points=_rests_on(run))


def _allies_section(run: RunFolder) -> Section:
    y = run.year
    probabilities, shortfall = _probability_frame(run), _shortfall_frame(run)
    rows = []
    for code in run.assessed:
        core, total = (run.share_quantiles(f"allies.{code}.{measure}_{y}")
                       for measure in ("core", "total"))
        p = probabilities.loc[code]
        base = fields.number(run.summary, f"allies.{code}.core_base", run.summary_path)
        rows.append({
            "Ally": code,
            f"Core {run.base_year}, % of GDP": f"{base:.2f}",
            f"Core {y}, % of GDP: median (90% range)":
                f"{_share_text(core['p50'])} ({_share_text(core['p05'])}–"
                f"{_share_text(core['p95'])})",
            f"Core + related {y}, % of GDP: median": _share_text(total["p50"]),
            f"P({run.core:g}% core)": percent_interval(p["core"], p["core_lo"], p["core_hi"]),
            f"P({run.total:g}% goal)": percent_interval(p["goal"], p["goal_lo"], p["goal_hi"]),
            f"Shortfall to {run.total:g}% in {y}, $bn: median":
                f"{shortfall.loc[code, 'p50']:,.1f}",
            "_order": p["goal"]})
    frame = pd.DataFrame(rows).set_index("Ally").sort_values("_order", ascending=False) \
        .drop(columns="_order")
    above = frame.apply(lambda column: column.str.contains(ABOVE_RANGE)).any(axis=None)
    note = (f"{ABOVE_RANGE}: a share at or above {SHARE_MAX:g}% of GDP, where the "
            "histograms end; its value is not known." if above else "")
    return Section("Allies", (
        "Shares are % of GDP in the goal year; the shortfall is the USD spending missing to "
        f"reach {run.total:g}% of GDP (zero when met). Allies are ordered by their probability "
        "of meeting the goal.",),
        (ally_multiples(run), p_goal_chart(run, probabilities), shortfall_chart(run, shortfall)),
        (Table(f"Each ally in {y}", frame, note),))


#: How a share quantile at or above SHARE_MAX (``null`` in summary.json) reads in the tables.
ABOVE_RANGE = f"above {SHARE_MAX:g}"


def _share_value(value: float | None) -> float | None:
    """A share quantile as a number, ``None`` for one at or above the histograms' range."""
    return None if value is None or math.isnan(value) else float(value)


def _share_text(value: float | None) -> str:
    """A share quantile of summary.json in words: two decimals, or ``above 20``."""
    return ABOVE_RANGE if value is None else f"{value:.2f}"


def _aid_section(run: RunFolder) -> Section | None:
    if run.aid_years is None:
        return None
    table = run.aid_years.set_index("year")
    fixed = _needs_fixed(table)
    frame = pd.DataFrame({
        "Year": table.index.astype(str),
        "Need, $bn": [f"{v / 1e9:,.1f}" + (" (fixed)" if fixed else f" ({lo / 1e9:,.1f}–"
                                                                   f"{hi / 1e9:,.1f})")
                      for v, lo, hi in zip(table["needs_usd_p50"], table["needs_usd_p05"],
                                           table["needs_usd_p95"], strict=True)],
        "Delivered, $bn: median (90% range)": [
            f"{v / 1e9:,.1f} ({lo / 1e9:,.1f}–{hi / 1e9:,.1f})" for v, lo, hi in
            zip(table["delivered_usd_p50"], table["delivered_usd_p05"],
                table["delivered_usd_p95"], strict=True)],
        "P(need met)": [percent_interval(*row) for row in table[
            ["p_needs_met", "p_needs_met_lo", "p_needs_met_hi"]].to_numpy()],
    }).set_index("Year")
    triggers = _trigger_frame(run)
    pledges = pd.DataFrame({
        "Pledge": triggers.index, "Donor": triggers["donor"],
        "Conditional": ["yes" if c else "no" for c in triggers["conditional"]],
        "Pledged, $bn": [f"{v:,.3f}" for v in triggers["pledged_usd_bn"]],
        "P(fires)": [percent_interval(*row) for row in
                     triggers[["p_triggered", "lo", "hi"]].to_numpy()],
        "P(anything delivered)": [percent_interval(*row) for row in triggers[
            ["p_delivered", "delivered_lo", "delivered_hi"]].to_numpy()],
        "Delivered, $bn: median": [f"{v:,.3f}" for v in triggers["delivered_usd_bn"]],
    }).set_index("Pledge")
    gap = run.probability("aid.coordination_gap.p_differs")
    resolution = str(run.get("aid.resolution"))
    return Section("Aid to Ukraine", (
        "What counts is aid delivered in the year, after each donor's delivered share, "
        "contracting lags and production capacity. A conditional pledge fires only if its "
        "condition on others' pledges holds; this scenario settles them "
        f"{_RESOLUTION_WORDS.get(resolution, resolution)}.",
        "Whether donors coordinate or each waits for the others changes which pledges fire in "
        f"{percent_interval(*gap)} of draws.",
    ), (aid_chart(run.aid_years), delivery_chart(run, triggers)),
        (Table("Needs and deliveries by year", frame),
         Table("Pledges", pledges,
               "P(fires): the pledge's condition holds (always, for an unconditional pledge); "
               "P(anything delivered): some of it arrives within the months modelled, after "
               "the donor's delivered share and the lags.")))


def _footnotes(run: RunFolder) -> tuple[str, ...]:
    notes = []
    try:
        base = load_base(run.base_year)
    except DataError:
        base = {}
    figures = [figure for code in run.assessed if code in base
               for figure in (base[code].core_share, base[code].gdp_usd, base[code].growth_mean)
               if figure is not None]
    sources = sorted({figure.source for figure in figures})
    if sources:
        notes.append("Sources of the base-year data (publisher, document, date; unless the "
                     "scenario overrides a figure): " + "; ".join(sources) + ".")
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
                     f"shown as {ABOVE_RANGE} in the tables.")
    routes = sorted({figure.via for figure in figures if figure.via})
    if routes:
        notes.append("How the sources were read (for checking; the NATO tables were transcribed "
                     "from public copies that parsed NATO's files, not re-read from nato.int): "
                     + "; ".join(routes) + ".")
    return tuple(notes)


def run_page(run_dir: str | Path) -> Page:
    """The briefing page of a run folder written by ``summit run --out``."""
    run = RunFolder(run_dir)
    return Page(
        title=f"summit-sim briefing: {run.scenario}",
        subtitle=f"The Hague goal of {run.core:g}% of GDP on core defence and {run.total:g}% "
                 f"with related spending (core + related) by {run.year}: {run.draws:,} Monte "
                 f"Carlo draws from {run.base_year}",
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
