"""The report of a sweep: which assumptions matter most, and under which ranges a goal fails.

``summit report SWEEP_DIR`` reads only the sweep's folder — ``manifest.json`` for the design
(:class:`sim.sweeps.record.SweepRecord`) and ``results.parquet`` (or ``results.csv``) for the
variants — and builds a :class:`sim.reports.page.Page` with four sections:

- the sweep: its design, its parameters and how many variants ran, failed or are missing;
- global sensitivity (``design = "sobol"`` only): Sobol first- and total-order indices with 95%
  intervals of each headline probability (:mod:`sim.sweeps.sensitivity`), as tables and one bar
  chart;
- scenario discovery (any design): the PRIM box of the variants where the chosen metric falls
  below the user's threshold (:mod:`sim.sweeps.discovery`), its limits, coverage, density and mass;
- the chosen metric against each parameter, one scatter panel each, the threshold drawn.

:func:`write_sweep_report` writes the page with :func:`sim.reports.page.write_page`: PNG files, a
self-contained ``report.html`` and a ``report.md`` summary beside them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure as MplFigure

from sim.errors import OptionError, ResultsError
from sim.files import HTML_NAME, INTERACTIVE_NAME, MARKDOWN_NAME
from sim.reports.page import Chart, Page, Section, Table, new_figure, sections, write_page
from sim.schema import did_you_mean
from sim.sweeps.discovery import PrimBox, prim_box
from sim.sweeps.record import SweepRecord
from sim.sweeps.sensitivity import check_saltelli, sobol_indices

#: The probability a sweep's report explains, and the value PRIM looks for it to fall below,
#: unless the reader chooses others (``summit report --metric --threshold``).
METRIC, THRESHOLD = "alliance_meets_goal", 0.5
#: The metrics whose Sobol indices every Sobol report shows (with Ukraine's needs when swept).
SOBOL_METRICS = ("alliance_meets_goal", "all_allies_meet_goal", "alliance_meets_core")
_WORDS = {
    "all_allies_meet_goal": "P(every ally meets the goal)",
    "all_allies_meet_core": "P(every ally meets the core goal)",
    "alliance_meets_goal": "P(alliance meets goal)",
    "alliance_meets_core": "P(alliance meets the core goal)",
    "alliance_credible_path": "P(alliance on a credible path)",
}
_TABLES = ("results.parquet", "results.csv")
#: What a sweep report writes, but for each metric's scatter chart (named by its metric): an
#: earlier report's are removed before a new one is written.
SWEEP_REPORT_FILES = (HTML_NAME, MARKDOWN_NAME, "sobol-indices.png", "prim-box.png",
                      INTERACTIVE_NAME)
_FIXED = ("index", "status", "error")
_OK, _FAIL, _BOX = "#4c72b0", "#c44e52", "#dd8452"


def metric_words(metric: str) -> str:
    """A metric column in the planner's words: ``P(alliance meets goal)``."""
    if metric in _WORDS:
        return _WORDS[metric]
    if metric.startswith("ukraine_needs_met_"):
        return f"P(Ukraine's {metric.removeprefix('ukraine_needs_met_')} needs delivered)"
    if metric.startswith("p_meet_goal_"):
        return f"P({metric.removeprefix('p_meet_goal_')} meets the goal)"
    return metric


def parameter_words(key: str) -> str:
    """A dotted key without the ``defaults.`` every ally shares: ``policy.adjustment``."""
    return key.removeprefix("defaults.")


def read_sweep(sweep_dir: str | Path) -> tuple[SweepRecord, pd.DataFrame]:
    """The sweep's recorded design and its results table, checked against each other."""
    folder = Path(sweep_dir)
    if not folder.is_dir():
        raise ResultsError(folder, None, "no such folder: give a folder summit sweep wrote")
    record = SweepRecord.from_folder(folder)
    path = next((folder / name for name in _TABLES if (folder / name).is_file()),
                folder / _TABLES[0])
    try:
        table = (pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(
            path, keep_default_na=False, na_values=[""]))
    except FileNotFoundError:
        raise ResultsError(path, None, "missing (nor results.csv): summit sweep writes it when "
                           "the sweep ends; finish it with summit sweep FILE --out DIR "
                           "--resume") from None
    except (OSError, ValueError) as err:
        raise ResultsError(path, None, f"cannot be read: {' '.join(str(err).split())}"
                           ) from None
    for column in (*_FIXED, *(p.key for p in record.parameters)):
        if column not in table.columns:
            raise ResultsError(path, column, "missing column")
    return record, table


def metrics_of(table: pd.DataFrame, record: SweepRecord) -> list[str]:
    """The probability columns of a sweep table, without their interval bounds."""
    keys = {p.key for p in record.parameters}
    return [c for c in table.columns if c not in keys and c not in _FIXED
            and not c.endswith(("_lo", "_hi"))]


def sweep_page(sweep_dir: str | Path, *, metric: str = METRIC,
               threshold: float = THRESHOLD) -> Page:
    """The report of the sweep in ``sweep_dir``, for ``metric`` below ``threshold`` as failure.

    ``metric`` is a probability column of the sweep table (``alliance_meets_goal``,
    ``ukraine_needs_met_2026``, ``p_meet_goal_DEU`` …) and ``threshold`` a probability in (0, 1):
    a variant *fails* where its estimated probability is below it. Raises
    :class:`~sim.errors.ResultsError` for a folder without a readable manifest or table and
    :class:`~sim.errors.OptionError` for an unknown metric or a threshold outside (0, 1).
    """
    if (isinstance(threshold, bool) or not isinstance(threshold, int | float)
            or not 0 < threshold < 1):
        raise OptionError(f"threshold: must be a probability strictly between 0 and 1, got "
                          f"{threshold!r}")
    record, table = read_sweep(sweep_dir)
    metrics = metrics_of(table, record)
    if metric not in metrics:
        raise OptionError(f"metric: {metric!r} is not in this sweep's table"
                          + did_you_mean(metric, metrics) + f"; it has {', '.join(metrics)}")
    ok = table[table["status"] == "ok"]
    return Page(
        title=f"Sweep of {record.base}: what matters for {metric_words(metric)}",
        subtitle=(f"{len(ok)} variants of the {record.base} scenario on a {record.design} design, "
                  f"{record.draws:,} Monte Carlo draws each; {Path(sweep_dir)}"),
        sections=sections(
            _design_section(record, table),
            _sobol_section(record, table, metric, metrics),
            _discovery_section(record, ok, metric, threshold),
            _scatter_section(record, ok, metric, threshold),
        ),
        footnotes=(
            "The swept ranges are the sweep file's assumptions; every finding holds within them "
            "and for the base scenario's other settings only.",
            f"Each variant's probability is a Monte Carlo estimate from {record.draws:,} draws, "
            "with the 95% Wilson interval in the results table.",
        ),
    )


def write_sweep_report(sweep_dir: str | Path, out_dir: str | Path | None = None, *,
                       metric: str = METRIC, threshold: float = THRESHOLD) -> list[Path]:
    """Write the sweep's report (PNGs, ``report.html``, ``report.md``) into ``out_dir``.

    ``out_dir`` defaults to the sweep's folder. Returns the written paths, the HTML page first.
    """
    page = sweep_page(sweep_dir, metric=metric, threshold=threshold)
    # An earlier report's interactive page, Sobol or PRIM chart is of other settings (another
    # metric or threshold), or of an earlier table: not left beside this one.
    return write_page(page, Path(sweep_dir) if out_dir is None else Path(out_dir),
                      stale=SWEEP_REPORT_FILES)


# --- the sweep ---------------------------------------------------------------------------------


def _design_section(record: SweepRecord, table: pd.DataFrame) -> Section:
    parameters = pd.DataFrame(
        [{"parameter": p.key, "varied over": p.describe(),
          "in the variants": _span(table[p.key])} for p in record.parameters]
    ).set_index("parameter")
    status = table["status"].value_counts()
    missing = record.variants - len(table)
    counts = pd.DataFrame({"variants": [int(status.get("ok", 0)), int(status.get("failed", 0)),
                                        max(missing, 0)]},
                          index=pd.Index(["ok", "failed", "missing"], name="status"))
    failed = table[table["status"] != "ok"]
    paragraphs = [f"The {record.design} design ({_design_words(record)}) gives "
                  f"{record.variants} variants; {len(table)} are in the table."]
    if len(failed):
        paragraphs.append(f"{len(failed)} variants failed and are left out of what follows; "
                          f"the first (variant {failed['index'].iloc[0]}): "
                          f"{failed['error'].iloc[0]}")
    if missing > 0:
        paragraphs.append(f"{missing} variants have not run: the sweep stopped early "
                          "(finish it with summit sweep FILE --out DIR --resume).")
    return Section("The sweep", tuple(paragraphs), tables=(
        Table("Parameters", parameters), Table("Variants", counts)))


def _design_words(record: SweepRecord) -> str:
    if record.design == "sobol":
        return (f"{record.samples} base samples × ({len(record.parameters)} parameters + 2), "
                f"seed {record.seed}")
    if record.design == "lhs":
        return f"a Latin hypercube of {record.samples} points, seed {record.seed}"
    return "every combination of the values"


def _span(column: pd.Series) -> str:
    if not pd.api.types.is_numeric_dtype(column):
        return ", ".join(str(v) for v in pd.unique(column))
    return f"{column.min():.4g} to {column.max():.4g}"


# --- global sensitivity ------------------------------------------------------------------------


def _sobol_section(record: SweepRecord, table: pd.DataFrame, metric: str,
                   metrics: list[str]) -> Section:
    heading = "Which assumptions matter most (Sobol indices)"
    if record.design != "sobol":
        return Section(heading, (f"Sobol indices need a sweep on Saltelli's scheme: set design = "
                                 f"\"sobol\" in the sweep file (this one is {record.design}).",))
    keys = [p.key for p in record.parameters]
    try:
        check_saltelli(table, keys)
    except OptionError as err:
        return Section(heading, (f"No Sobol indices: {err}",))
    wanted = [m for m in (*SOBOL_METRICS, *(m for m in metrics
                                           if m.startswith("ukraine_needs_met_")))
              if m in metrics]
    if metric not in wanted:
        wanted.insert(0, metric)
    found: dict[str, pd.DataFrame] = {}
    paragraphs = []
    for name in wanted:
        try:
            found[name] = sobol_indices(table, keys, name, seed=record.seed)
        except OptionError as err:
            paragraphs.append(f"{metric_words(name)}: no indices, "
                              f"{str(err).removeprefix('metric: ')}.")
    if metric in found:
        ranked = found[metric].sort_values("ST", ascending=False)
        top = ranked.iloc[0]
        paragraphs.insert(0, (
            f"The assumption that matters most for {metric_words(metric)} is "
            f"{parameter_words(ranked.index[0])}: alone it explains {top['S1']:.0%} of the "
            f"metric's variance across the swept ranges, {top['ST']:.0%} with its interactions "
            f"(total-order index). Next: " + "; ".join(
                f"{parameter_words(k)} {row['ST']:.0%}" for k, row in ranked.iloc[1:].iterrows())
            + "."))
    width = float((table[f"{metric}_hi"] - table[f"{metric}_lo"]).mean())
    paragraphs.append(
        "S1 (first order) is the share of the variance across variants a parameter explains on "
        "its own; ST (total order) adds what it does together with the others. Bars show 95% "
        "bootstrap intervals. Caveat: each variant's probability carries Monte Carlo noise "
        f"(its 95% interval is {width:.3f} wide on average for {metric_words(metric)}); the "
        "noise belongs to no parameter, so it slightly raises the indices of parameters that "
        "hardly matter and an index within about that noise of zero means 'no effect found'.")
    tables = tuple(Table(f"Sobol indices of {metric_words(name)}", _sobol_table(frame))
                   for name, frame in found.items())
    charts = (Chart.draw("sobol-indices", "Sobol indices", _sobol_figure(found),
                         "First-order (S1) and total-order (ST) indices with 95% intervals, "
                         "one panel per metric."),) if found else ()
    return Section(heading, tuple(paragraphs), charts, tables)


def _sobol_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Sobol indices with plain headers, each with its 95% interval in one cell."""
    shown = pd.DataFrame({
        words: [f"{row[index]:.2f} ({row[f'{index}_lo']:.2f} to {row[f'{index}_hi']:.2f})"
                for _, row in frame.iterrows()]
        for index, words in (("S1", "First order S1 (95% interval)"),
                             ("ST", "Total order ST (95% interval)"))},
        index=pd.Index([parameter_words(k) for k in frame.index], name="Parameter"))
    return shown


def _sobol_figure(found: dict[str, pd.DataFrame]) -> MplFigure:
    panels = len(found)
    columns = min(panels, 2)
    rows = math.ceil(panels / columns)
    first = next(iter(found.values()))
    figure = new_figure(10.0, 1.2 + rows * (0.6 + 0.55 * len(first)))
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, (name, frame) in zip(axes, found.items(), strict=False):
        y = np.arange(len(frame))  # one row per parameter, most important on top
        for shift, index, colour in ((-0.18, "S1", _OK), (0.18, "ST", _BOX)):
            value = frame[index].to_numpy()
            ax.barh(y + shift, value, height=0.34, color=colour, label=index)
            ax.errorbar(value, y + shift, xerr=[value - frame[f"{index}_lo"],
                                                frame[f"{index}_hi"] - value],
                        fmt="none", ecolor="#222222", capsize=3, linewidth=1)
        ax.set_yticks(y, [parameter_words(k) for k in frame.index])
        ax.invert_yaxis()
        ax.axvline(0.0, color="#888888", linewidth=0.8)
        ax.set_title(metric_words(name), fontsize=11)
        ax.grid(axis="x", alpha=0.3)
    # Small sweeps give wide intervals: show them whole, within reason.
    ends = [(f[f"{i}_lo"].min(), f[f"{i}_hi"].max()) for f in found.values() for i in ("S1", "ST")]
    low = max(min(-0.05, *(lo for lo, _ in ends)), -1.0) - 0.05
    high = min(max(1.05, *(hi for _, hi in ends)), 2.0) + 0.05
    for ax in axes[:panels]:
        ax.set_xlim(low, high)
        ax.set_xlabel("share of the variance across variants")
    for ax in axes[panels:]:
        ax.set_visible(False)
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=2,
                  fontsize=9)
    return figure


# --- scenario discovery ------------------------------------------------------------------------


def _discovery_section(record: SweepRecord, ok: pd.DataFrame, metric: str,
                       threshold: float) -> Section:
    heading = f"Where {metric_words(metric)} falls below {threshold:g} (PRIM)"
    numeric = [p.key for p in record.parameters if pd.api.types.is_numeric_dtype(ok[p.key])]
    words = metric_words(metric)
    failing = (ok[metric] < threshold).to_numpy()  # (ok variants,)
    share = failing.mean() if len(ok) else 0.0
    paragraphs = []
    left_out = [p.key for p in record.parameters if p.key not in numeric]
    if left_out:
        paragraphs.append("Left out of the search (not numbers): " + ", ".join(left_out) + ".")
    counted = (f"{words} falls below {threshold:g} in {share:.0%} of the {len(ok)} variants "
               f"that ran ({int(failing.sum())}).")
    if not numeric or not len(ok):
        return Section(heading, (counted, *paragraphs, "No parameter to search over."))
    box = prim_box(ok[numeric], failing)
    if not box.found:
        return Section(heading, (counted, *paragraphs, f"No box: {box.note}."))
    paragraphs.append(_box_sentence(box, words, threshold, share))
    paragraphs.append(
        "PRIM peels thin slices off the set of variants, each time the one that most raises the "
        "share of failures inside, and keeps the box of highest coverage whose density reaches "
        f"{box.threshold:.0%}. Coverage: the share of all failing variants inside the box; "
        "density: the share of variants inside the box that fail; mass: the share of all "
        "variants inside the box.")
    limits = pd.DataFrame(
        [{"parameter": parameter_words(limit.parameter),
          "varied over": next(p for p in record.parameters if p.key == limit.parameter
                              ).describe(),
          "box low": limit.low, "box high": limit.high,
          "restricts": "yes" if limit.restricted else ""} for limit in box.limits]
    ).set_index("parameter")
    stats = pd.DataFrame({"value": [f"{box.coverage:.0%}", f"{box.density:.0%}",
                                    f"{box.mass:.0%}", f"{round(box.mass * box.variants)}"]},
                         index=pd.Index(["coverage", "density", "mass", "variants in the box"],
                                        name="measure"))
    chart = Chart.draw("prim-box", "PRIM box and peeling trajectory", _box_figure(box),
                       "Left: each parameter's swept range (grey) and the box (orange), scaled "
                       "0 to 1. Right: coverage against density along the peeling trajectory; "
                       "the chosen box is marked.")
    return Section(heading, tuple(paragraphs), (chart,), (
        Table("Box limits", limits), Table("The box", stats)))


def _box_sentence(box: PrimBox, words: str, threshold: float, share: float) -> str:
    if share >= box.threshold:
        return (f"{words} falls below {threshold:g} in {share:.0%} of variants, already above "
                f"the {box.threshold:.0%} density a box must reach: the failure is the rule "
                "across the swept ranges, not a corner of them.")
    if not box.restricted:
        return (f"{words} falls below {threshold:g} in {share:.0%} of variants, spread over the "
                "swept ranges: no range of any parameter concentrates the failures significantly "
                "(PRIM's box, restrictions lifted, is the whole sweep).")
    where = " and ".join(limit.describe(parameter_words(limit.parameter))
                         for limit in box.restricted)
    sentence = (f"{words} falls below {threshold:g} in {share:.0%} of variants; where "
                f"{where}, it does so in {box.density:.0%} of variants (density), covering "
                f"{box.coverage:.0%} of all such variants (coverage).")
    if not box.meets_threshold:
        sentence += (f" Its density is below the {box.threshold:.0%} asked for: no box of the "
                     "swept ranges holds the failures that tightly.")
    if box.dropped:
        sentence += (" Restrictions on " + ", ".join(parameter_words(k) for k in box.dropped)
                     + " were lifted: they did not raise the density significantly.")
    return sentence


def _box_figure(box: PrimBox) -> MplFigure:
    figure = new_figure(10.0, max(3.5, 1.5 + 0.5 * len(box.limits)))
    bars, trade = figure.subplots(1, 2, width_ratios=(1.3, 1.0))
    for row, limit in enumerate(box.limits):
        span = (limit.swept_high - limit.swept_low) or 1.0
        low = (limit.low - limit.swept_low) / span
        high = (limit.high - limit.swept_low) / span
        bars.barh(row, 1.0, color="#dddddd", height=0.6)
        bars.barh(row, high - low, left=low, height=0.6,
                  color=_BOX if limit.restricted else "#f2c9a8")
        bars.text(-0.02, row, f"{limit.swept_low:.3g}", ha="right", va="center", fontsize=8)
        bars.text(1.02, row, f"{limit.swept_high:.3g}", ha="left", va="center", fontsize=8)
    bars.set_yticks(range(len(box.limits)), [
        f"{parameter_words(limit.parameter)}\n" + (f"box {limit.low:.3g} – {limit.high:.3g}"
                                                   if limit.restricted else "not restricted")
        for limit in box.limits])
    bars.invert_yaxis()
    bars.set_xlim(-0.25, 1.25)
    bars.set_xticks([0, 0.5, 1])
    bars.set_xlabel("position in the swept range")
    bars.set_title("box limits", fontsize=11)
    trajectory = box.trajectory
    points = trade.scatter(trajectory["coverage"], trajectory["density"],
                           c=trajectory["restricted"], cmap="viridis", s=18)
    figure.colorbar(points, ax=trade, label="parameters restricted",
                    ticks=range(int(trajectory["restricted"].max()) + 1))
    trade.plot(box.coverage, box.density, marker="o", markersize=12, markerfacecolor="none",
               markeredgecolor=_FAIL, markeredgewidth=2, linestyle="none", label="chosen box")
    trade.axhline(box.threshold, color="#888888", linestyle="--", linewidth=1,
                  label=f"density {box.threshold:.0%}")
    trade.set_xlabel("coverage")
    trade.set_ylabel("density")
    trade.set_xlim(0, 1.02)
    trade.set_ylim(0, 1.02)
    trade.legend(loc="lower left", fontsize=9)
    trade.set_title("peeling trajectory", fontsize=11)
    return figure


# --- the metric against each parameter ---------------------------------------------------------


def _scatter_section(record: SweepRecord, ok: pd.DataFrame, metric: str,
                     threshold: float) -> Section:
    words = metric_words(metric)
    chart = Chart.draw(f"scatter-{metric}", f"{words} against each parameter",
                       _scatter_figure(record, ok, metric, threshold),
                       f"One point per variant, with its 95% interval; red: below {threshold:g}.")
    return Section(f"{words} against each assumption", (
        "Each panel shows every variant once, against one parameter; the spread at a given "
        "value comes from the other parameters (and a little from Monte Carlo noise).",),
        (chart,))


def _scatter_figure(record: SweepRecord, ok: pd.DataFrame, metric: str,
                    threshold: float) -> MplFigure:
    panels = len(record.parameters)
    columns = 2 if panels in (2, 4) else min(panels, 3)  # no empty panel for 4 parameters
    rows = math.ceil(panels / columns)
    figure = new_figure(10.0, 0.5 + 3.2 * rows)
    axes = figure.subplots(rows, columns, sharey=True, squeeze=False).ravel()
    value = ok[metric].to_numpy()
    below = value < threshold  # (ok variants,)
    colours = np.where(below, _FAIL, _OK)
    for ax, parameter in zip(axes, record.parameters, strict=False):
        x = ok[parameter.key]
        if pd.api.types.is_numeric_dtype(x):
            ax.vlines(x, ok[f"{metric}_lo"], ok[f"{metric}_hi"], colors=colours, alpha=0.25,
                      linewidth=0.8)
        ax.scatter(x.astype(str) if not pd.api.types.is_numeric_dtype(x) else x, value,
                   c=colours, s=10)
        ax.axhline(threshold, color="#444444", linestyle="--", linewidth=1)
        ax.set_xlabel(parameter_words(parameter.key))
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
    for ax in axes[panels:]:
        ax.set_visible(False)
    for ax in axes[::columns]:
        ax.set_ylabel(metric_words(metric))
    return figure
