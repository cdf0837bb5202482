"""The track record: the backtests of every cut-off as one briefing page.

``summit backtest --out DIR`` fits and projects from each cut-off (``sim.calibration.backtest``)
and writes this page into DIR: the scores by cut-off beside the naive baselines and the model's
skill against each, coverage by years ahead, a reliability diagram (nominal against empirical
coverage of central intervals from 10% to 95%), the PIT histograms of each cut-off, the count of
allies at or above 2% against its intervals, and the ally-years that fell outside the 90%
interval, named. :func:`sim.reports.page.write_page` writes it (PNG files, one self-contained
HTML page, Markdown), each file atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.backtest import (
    PIT_BINS,
    RELIABILITY_LEVELS,
    Backtest,
    pooled_by_horizon,
)
from sim.errors import OptionError
from sim.files import SUMMARY_NAME, check_run_out
from sim.reports.page import Chart, Page, Section, Table, new_figure, write_page

#: Every chart this page can write, for removing those of an earlier page that this one lacks.
TRACK_RECORD_CHARTS = ("reliability.png", "pit-histograms.png", "skill.png")


def scores_table(results: list[Backtest]) -> pd.DataFrame:
    """One row per cut-off: coverage, the model's scores, each baseline's CRPS and the skill."""
    rows = []
    for result in results:
        scores = result.scores()
        row = {"ally-years": result.actual.size, "coverage 50%": scores["coverage50"],
               "coverage 90%": scores["coverage90"], "CRPS": scores["crps"],
               "interval score 50%": scores["interval_score50"],
               "interval score 90%": scores["interval_score90"]}
        row |= {f"CRPS {name}": v["crps"] for name, v in scores["baselines"].items()}
        row |= {f"skill vs {name}": v for name, v in scores["skill"].items()}
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index([r.fit_until for r in results], name="fit to"))


def horizon_table(results: list[Backtest]) -> pd.DataFrame:
    """Coverage, CRPS and skill per years ahead, every cut-off pooled."""
    pooled = pooled_by_horizon(results)
    rows = []
    for row in pooled:
        shown = {"ally-years": row["ally_years"], "coverage 50%": row["coverage50"],
                 "coverage 90%": row["coverage90"], "CRPS": row["crps"]}
        shown |= {f"skill vs {name}": v for name, v in row["skill"].items()}
        rows.append(shown)
    return pd.DataFrame(rows, index=pd.Index([r["years_ahead"] for r in pooled],
                                             name="years ahead"))


def count_table(results: list[Backtest]) -> pd.DataFrame:
    """The count of allies at or above 2% per cut-off and year: actual, median, intervals."""
    rows = []
    for result in results:
        q = result.count_quantiles
        for t, year in enumerate(result.years):
            rows.append({"fit to": result.fit_until, "year": year,
                         "actual": int(result.count_actual[t]), "median": float(q[2, t]),
                         "50% interval": f"{q[1, t]:.0f}–{q[3, t]:.0f}",
                         "90% interval": f"{q[0, t]:.0f}–{q[4, t]:.0f}",
                         "in 50%": bool(q[1, t] <= result.count_actual[t] <= q[3, t]),
                         "in 90%": bool(q[0, t] <= result.count_actual[t] <= q[4, t])})
    return pd.DataFrame(rows).set_index("fit to")


def misses_table(results: list[Backtest]) -> pd.DataFrame:
    """Every ally-year outside its 90% interval, by cut-off: the ally, the side, how far."""
    rows = [{"fit to": r.fit_until, "year": miss["year"], "ally": miss["ally"],
             "actual % GDP": miss["actual"], "90% interval": "{:.2f}–{:.2f}".format(
                 *miss["interval90"]), "side": miss["side"], "by pp": miss["by"]}
            for r in results for miss in r.misses()]
    columns = ["fit to", "year", "ally", "actual % GDP", "90% interval", "side", "by pp"]
    return pd.DataFrame(rows, columns=columns).set_index("fit to")


def reliability_chart(results: list[Backtest]) -> Chart:
    """Nominal against empirical coverage of central intervals, one line per cut-off."""
    figure = new_figure(7.0, 6.0)
    axes = figure.subplots()
    levels = np.array(RELIABILITY_LEVELS)
    axes.plot([0, 1], [0, 1], color="#6b6b6b", linestyle="--", linewidth=1, label="calibrated")
    for result in results:
        axes.plot(levels, [result.coverage_at(level) for level in levels], marker="o",
                  markersize=3, linewidth=1.2, label=f"fit to {result.fit_until}")
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="nominal coverage of the central interval",
             ylabel="share of ally-years inside")
    axes.legend(fontsize="small", loc="upper left")
    return Chart.draw("reliability", "Reliability diagram", figure,
                      "Above the diagonal the intervals are too wide, below too narrow.")


def pit_chart(results: list[Backtest]) -> Chart:
    """One PIT histogram per cut-off, as shares of its ally-years (flat at 1/bins if
    calibrated)."""
    columns = min(4, max(1, len(results)))
    rows = -(-max(1, len(results)) // columns)
    figure = new_figure(3.0 * columns + 1.0, 2.6 * rows + 0.6)
    grid = np.atleast_1d(figure.subplots(rows, columns, sharex=True, sharey=True)).ravel()
    edges = np.linspace(0.0, 1.0, PIT_BINS + 1)
    for axes, result in zip(grid, results, strict=False):
        values = result.pit().ravel()
        axes.hist(values, bins=edges, weights=np.full(values.size, 1 / values.size),
                  color="#1f4e9c", alpha=0.8)
        axes.axhline(1 / PIT_BINS, color="#6b6b6b", linestyle="--", linewidth=1)
        axes.set_title(f"fit to {result.fit_until}", fontsize="small")
    for axes in grid[len(results):]:
        axes.set_visible(False)
    return Chart.draw("pit-histograms", "PIT histograms", figure,
                      "The predictive CDF at each actual share. Mass at the ends: outcomes "
                      "outside the band; a hump in the middle: bands too wide.")


def skill_chart(results: list[Backtest]) -> Chart:
    """The model's skill against each baseline by cut-off, as grouped bars."""
    table = scores_table(results)
    names = [c for c in table.columns if c.startswith("skill vs ")]
    figure = new_figure(9.0, 5.0)
    axes = figure.subplots()
    width = 0.8 / max(1, len(names))
    x = np.arange(len(table))
    for k, name in enumerate(names):
        axes.bar(x + (k - (len(names) - 1) / 2) * width, table[name], width,
                 label=name.removeprefix("skill vs "))
    axes.axhline(0.0, color="#1a1a1a", linewidth=0.8)
    axes.set(xticks=x, xticklabels=[str(i) for i in table.index], xlabel="fit to",
             ylabel="skill: 1 − CRPS / baseline's")
    axes.legend(fontsize="small")
    return Chart.draw("skill", "Skill against the naive baselines", figure,
                      "Above zero the model's CRPS is lower than the baseline's.")


def track_record_page(results: list[Backtest]) -> Page:
    """The page of the backtests ``results`` (one per cut-off, in the order given)."""
    if not results:
        raise ValueError("a track record needs at least one backtest")
    cutoffs = ", ".join(str(r.fit_until) for r in results)
    scores = Section(
        "Scores by cut-off",
        ("Each cut-off's fit sees the core shares up to that year only; every ally is projected "
         "from its actual share then and scored against NATO's July 2026 edition. CRPS and "
         "interval scores are in percentage points of GDP over every ally-year (lower is "
         "better). The baselines are normal forecasts: persistence (the cut-off share held), "
         "trend (each ally's slope over the fitted years), pledge (straight to 2% by 2024), "
         "each with a random walk's spread from the one-year changes seen.",),
        charts=(skill_chart(results),),
        tables=(Table("Scores", scores_table(results),
                      "Targets: coverage 90% within 0.85–0.95, 50% within 0.35–0.65, skill "
                      "above 0 against every baseline."),),
    )
    calibration = Section(
        "Calibration",
        ("Coverage of the central intervals at levels from 10% to 95%, and by years ahead over "
         "every cut-off.",),
        charts=(reliability_chart(results), pit_chart(results)),
        tables=(Table("By years ahead", horizon_table(results)),),
    )
    counts = Section("Allies at or above 2% of GDP",
                     tables=(Table("Count of allies at or above 2%", count_table(results)),))
    missed = misses_table(results)
    misses = Section(
        "Misses",
        (f"{len(missed)} ally-years fell outside their 90% interval.",),
        tables=(Table("Ally-years outside the 90% interval", missed),),
    )
    return Page("Track record of the spending model",
                f"Backtests from the cut-offs {cutoffs}", (scores, calibration, counts, misses),
                ("Core shares: NATO, Defence Expenditure of NATO Countries, July 2026 edition. "
                 "Fiscal pressure after each cut-off is read from the IMF WEO October 2025 "
                 "figures: the backtest's one look-ahead.",))


def check_track_record_out(out: str | Path) -> None:
    """Refuse ``out`` for the page if it is a file, a run's folder or a sweep's (OptionError)."""
    folder = Path(out)
    check_run_out(folder)
    if (folder / SUMMARY_NAME).exists():
        raise OptionError(f"--out: {folder} holds a run ({SUMMARY_NAME}); write the track "
                          "record into a folder of its own")


def write_track_record(results: list[Backtest], out: str | Path) -> list[Path]:
    """Write the track-record page into ``out`` (checked first); return the written paths,
    the HTML page first."""
    check_track_record_out(out)
    return write_page(track_record_page(results), Path(out), stale=TRACK_RECORD_CHARTS)
