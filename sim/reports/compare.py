"""Two runs side by side: every probability of the spending and aid models, each ally's, and the
key medians, with the difference B − A and whether it exceeds the Monte Carlo noise.

A probability in ``summary.json`` is a count of draws. Two runs with the same seed, draws and
block size draw the same random numbers, draw for draw (common random numbers); when both
folders hold their per-draw outcomes (``outcomes.npz``, :mod:`sim.draw_outcomes`), a difference
is measured on the pairs: with ``n`` draws, ``b_only`` of them meeting the measure in B alone
and ``a_only`` in A alone, it is ``(b_only - a_only) / n``, and its 95% interval is Newcombe's
hybrid score interval for paired proportions (:func:`paired_interval`), narrower than the
independent one by as much as the runs move together. Otherwise (different seeds, draws or block
sizes, or a folder without the file) the runs are compared as independent samples: Newcombe's
hybrid score interval for two independent proportions (statsmodels'
``confint_proportions_2indep(method="newcomb")``), and the output says why they were not paired.
A difference *exceeds the noise* when its 95% interval leaves out zero. Two folders of the same
run (the same scenario file, seed, draws and version, every draw's outcome alike) differ by
exactly 0, with the interval [0, 0]: by construction, not by estimate.

The medians (the alliance's core and core + related shares and shortfalls in the goal year, the
median year it reaches the core goal, aid delivered each year) are read from the binned
histograms; their difference is given without an interval, and labelled so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from sim import fields
from sim.data.base import ALLIES
from sim.draw_outcomes import ALLY_DRAWS_LIMIT, DrawOutcomes
from sim.errors import ResultsError
from sim.files import OUTCOMES_NAME, SUMMARY_NAME, folder_kind, read_json
from sim.statistics import wilson_interval

if TYPE_CHECKING:
    from sim.reports.page import Chart

#: The comparison's columns (the CSV's): ``measure`` and ``entity`` as ``summary.json`` names
#: them, ``kind`` (``probability`` or ``median``), ``unit``, each run's value and 95% interval
#: (none for a median), ``difference`` B − A with its interval, ``exceeds_noise``, and
#: ``interval``: ``paired``, ``independent`` or ``none`` (a median).
COLUMNS = ("measure", "entity", "kind", "unit", "a", "a_lo", "a_hi", "b", "b_lo", "b_hi",
           "difference", "difference_lo", "difference_hi", "exceeds_noise", "interval")
#: The console's and the chart's words for each probability; ``{goal}`` and ``{review}`` are
#: the goal and review years, ``{ally}`` an ally's name.
_LABELS = {
    "all_allies_meet_goal": "every ally meets the goal in {goal}",
    "all_allies_meet_core": "every ally meets the core goal in {goal}",
    "alliance_meets_goal": "alliance meets the goal in {goal}",
    "alliance_meets_core": "alliance meets the core goal in {goal}",
    "alliance_credible_path": "alliance on a credible path in {review}",
    "alliance_meets_core_without_threat_events": "alliance meets the core goal, no threat events",
    "alliance_meets_goal_without_threat_events": "alliance meets the goal, no threat events",
    "ukraine_needs_met_every_year": "Ukraine's needs met every year",
    "alliance_meets_goal_and_ukraine_needs_met": "alliance meets the goal and Ukraine's needs",
    "alliance_meets_core_and_ukraine_needs_met": "alliance meets core goal and Ukraine's needs",
    "p_meet_core": "{ally} meets the core goal in {goal}",
    "p_meet_goal": "{ally} meets the goal in {goal}",
    "p_credible_path": "{ally} on a credible path in {review}",
}
#: The alliance's medians compared: ``summary.json``'s key (``{goal}``: the goal year), unit,
#: and words.
_ALLIANCE_MEDIANS = (
    ("core_{goal}", "% of GDP", "median core share in {goal}, alliance"),
    ("total_{goal}", "% of GDP", "median core + related share in {goal}, alliance"),
    ("core_shortfall_usd_{goal}", "USD", "median shortfall to the core goal in {goal}"),
    ("total_shortfall_usd_{goal}", "USD", "median shortfall to the goal in {goal}"),
)

Key = tuple[str, str]


@attrs.frozen
class _Run:
    """A run folder read for a comparison: its summary, draws and per-draw outcomes if kept."""

    folder: Path
    summary: dict[str, Any] = attrs.field(repr=False)
    draws: int
    outcomes: DrawOutcomes | None = attrs.field(repr=False)

    @property
    def path(self) -> Path:
        return self.folder / SUMMARY_NAME

    @classmethod
    def read(cls, folder: str | Path) -> _Run:
        path = Path(folder)
        if folder_kind(path) != "run":
            raise ResultsError(path, None, "is a sweep folder; compare takes two run folders")
        summary = read_json(path / SUMMARY_NAME)
        draws = fields.whole(summary, "draws", path / SUMMARY_NAME, lowest=1)
        outcomes = None
        if (path / OUTCOMES_NAME).exists() or (path / OUTCOMES_NAME).is_symlink():
            outcomes = DrawOutcomes.from_file(path / OUTCOMES_NAME)
            seed = summary.get("seed")
            if (outcomes.seed, outcomes.draws) != (seed, draws):
                raise ResultsError(path / OUTCOMES_NAME, None, f"holds seed {outcomes.seed}, "
                                   f"{outcomes.draws:,} draws, but {SUMMARY_NAME} says seed "
                                   f"{seed}, {draws:,} draws: the files are of different runs")
        return cls(path, summary, draws, outcomes)


def paired_interval(both: int, b_only: int, a_only: int, neither: int) -> tuple[float, float]:
    """The 95% interval of ``p_B - p_A`` from paired draws: Newcombe's (1998) hybrid score
    interval for the difference of paired proportions (his method 10).

    ``both`` draws met the measure in both runs, ``b_only`` in B alone, ``a_only`` in A alone,
    ``neither`` in neither. Each run's Wilson interval is combined as for independent samples
    ("square and add"), less the part the pairs' correlation ``phi`` (with Newcombe's
    correction towards zero by ``n / 2``) says the two share.
    """
    n = both + b_only + a_only + neither
    p_b, p_a = (both + b_only) / n, (both + a_only) / n
    low_b, high_b = wilson_interval(both + b_only, n)
    low_a, high_a = wilson_interval(both + a_only, n)
    margins = (both + b_only) * (a_only + neither) * (both + a_only) * (b_only + neither)
    phi = 0.0
    if margins > 0:
        cross = both * neither - b_only * a_only
        if cross > n / 2:
            phi = (cross - n / 2) / math.sqrt(margins)
        elif cross < 0:
            phi = cross / math.sqrt(margins)
    below = (p_b - low_b) ** 2 + (high_a - p_a) ** 2 - 2 * phi * (p_b - low_b) * (high_a - p_a)
    above = (p_a - low_a) ** 2 + (high_b - p_b) ** 2 - 2 * phi * (p_a - low_a) * (high_b - p_b)
    difference = p_b - p_a
    return difference - math.sqrt(max(below, 0.0)), difference + math.sqrt(max(above, 0.0))


def _probabilities(run: _Run) -> dict[Key, tuple[float, float, float]]:
    """Every probability of a run as ``(p, low, high)``, keyed by (measure, entity):
    ``alliance`` for the headline, ``aid`` for a needs year; each checked
    (:mod:`sim.fields`)."""
    summary, path = run.summary, run.path
    found: dict[Key, tuple[float, float, float]] = {}
    for name, value in fields.table(summary, "probabilities", path).items():
        if name == "ukraine_needs_met":
            years = fields.checked_table(value, f"probabilities.{name}", path)
            found.update({(f"ukraine_needs_met_{year}", "aid"): fields.checked_probability(
                p, f"probabilities.{name}.{year}", path) for year, p in years.items()})
        else:
            found[name, "alliance"] = fields.checked_probability(value, f"probabilities.{name}",
                                                                 path)
    review = fields.whole(summary, "goal.review_year", path)
    for code, ally in fields.table(summary, "allies", path).items():
        ally = fields.checked_table(ally, f"allies.{code}", path)
        if ally.get("assessed", True) is True:
            for measure, name in (("p_meet_core", "p_meet_core"), ("p_meet_goal", "p_meet_goal"),
                                  ("p_credible_path", f"p_credible_path_{review}")):
                if measure == "p_credible_path" and name not in ally:
                    continue  # a run folder of an earlier version: compared where both hold it
                found[measure, code] = fields.checked_probability(
                    fields.member(ally, name, f"allies.{code}", path), f"allies.{code}.{name}",
                    path)
    return found


def _median(value: Any, dotted: str, path: Path) -> float | None:
    """A median read at ``dotted``: a finite number, or ``None`` (JSON's ``null``: above the
    range of the histograms, or a year never reached)."""
    return None if value is None else fields.checked_number(value, dotted, path)


def _medians(run: _Run) -> dict[Key, tuple[str, str, float | None]]:
    """The key medians of a run as (unit, words, value), keyed by (measure, entity)."""
    summary, path = run.summary, run.path
    goal = fields.whole(summary, "goal.year", path)
    alliance = fields.table(summary, "alliance", path)
    found: dict[Key, tuple[str, str, float | None]] = {}
    for key, unit, words in _ALLIANCE_MEDIANS:
        name = key.format(goal=goal)
        bands = fields.checked_table(fields.member(alliance, name, "alliance", path),
                                     f"alliance.{name}", path)
        value = fields.member(bands, "p50", f"alliance.{name}", path)
        found[f"{name}_p50", "alliance"] = unit, words.format(goal=goal), _median(
            value, f"alliance.{name}.p50", path)
    year = fields.member(alliance, "median_year_core_reached", "alliance", path)
    if year is not None:
        fields.whole(summary, "alliance.median_year_core_reached", path)
    found["median_year_core_reached", "alliance"] = (
        "year", "median year the alliance reaches the core goal", year)
    if "aid" in summary:
        years = fields.table(summary, "aid.years", path)
        for need_year, figures in years.items():
            dotted = f"aid.years.{need_year}.delivered_usd"
            bands = fields.checked_table(fields.member(fields.checked_table(
                figures, f"aid.years.{need_year}", path), "delivered_usd",
                f"aid.years.{need_year}", path), dotted, path)
            found[f"delivered_usd_{need_year}_p50", "aid"] = (
                "USD", f"median aid delivered to Ukraine in {need_year}",
                _median(fields.member(bands, "p50", dotted, path), f"{dotted}.p50", path))
    return found


def _label(key: Key, summary: dict[str, Any]) -> str:
    """A probability's words, with the goal and review years of run A."""
    measure, entity = key
    goal, review = summary["goal"]["year"], summary["goal"]["review_year"]
    if entity == "aid":
        return f"Ukraine's needs met in {measure.rsplit('_', 1)[-1]}"
    words = _LABELS.get(measure)
    if words is None:  # a measure of a newer version: its own name
        return measure if entity == "alliance" else f"{entity}: {measure}"
    return words.format(goal=goal, review=review, ally=ALLIES.get(entity, entity))


def _pairing(a: _Run, b: _Run) -> tuple[bool, str]:
    """Whether the runs' draws pair up, and the words saying so (or why not)."""
    missing = [label for label, run in (("A", a), ("B", b)) if run.outcomes is None]
    if missing:
        return False, (f"independent (Newcombe): not paired, {' and '.join(missing)} "
                       f"{'has' if len(missing) == 1 else 'have'} no {OUTCOMES_NAME} (written "
                       "by `summit run --out`)")
    assert a.outcomes is not None and b.outcomes is not None
    differ = [f"{what} ({x:,} vs {y:,})" for what, x, y in (
        ("seeds", a.outcomes.seed, b.outcomes.seed),
        ("draws", a.outcomes.draws, b.outcomes.draws),
        ("block sizes", a.outcomes.block_size, b.outcomes.block_size)) if x != y]
    if differ:
        return False, (f"independent (Newcombe): not paired, the runs have different "
                       f"{' and '.join(differ)}, so they do not share their draws")
    return True, (f"paired (the runs share their draws): seed {a.outcomes.seed}, "
                  f"{a.draws:,} draws; each difference from the draw-by-draw pairs (Newcombe's "
                  "paired score interval)")


def _pairs(a: DrawOutcomes, b: DrawOutcomes, key: Key) -> tuple[int, int, int, int]:
    """(both, B only, A only, neither): the draws of measure ``key`` in the two runs."""
    bits_a, bits_b = a.bits[a.keys.index(key)], b.bits[b.keys.index(key)]
    both = int(np.bitwise_count(bits_a & bits_b).sum())
    b_only = int(np.bitwise_count(bits_b & ~bits_a).sum())
    a_only = int(np.bitwise_count(bits_a & ~bits_b).sum())
    return both, b_only, a_only, a.draws - both - b_only - a_only


def _check_counts(run: _Run, found: dict[Key, tuple[float, float, float]]) -> None:
    """Refuse a folder whose per-draw outcomes do not count what its summary says."""
    assert run.outcomes is not None
    for key, count in zip(run.outcomes.keys, run.outcomes.counts(), strict=True):
        if key in found and round(found[key][0] * run.draws) != count:
            raise ResultsError(run.folder / OUTCOMES_NAME, ".".join(key),
                               f"{count:,} draws met it, {SUMMARY_NAME} says "
                               f"{round(found[key][0] * run.draws):,}: the files are of "
                               "different runs")


@attrs.frozen
class Comparison:
    """Two runs compared: ``table`` has one row per probability and median both hold
    (:data:`COLUMNS`, then ``label``, the measure in words); ``paired`` says whether the
    probabilities were compared draw by draw; ``notes`` say what the runs were and what to keep
    in mind reading the differences."""

    table: pd.DataFrame = attrs.field(repr=False)
    paired: bool
    notes: tuple[str, ...]
    scenarios: tuple[str, str] = ("A", "B")  # the runs' scenario names, A's first

    def csv_table(self) -> pd.DataFrame:
        """The table as the CSV holds it: raw names, no words."""
        return self.table[list(COLUMNS)]


def compare_runs(a: str | Path, b: str | Path) -> Comparison:
    """The probabilities and key medians both runs hold, with their difference (b minus a).

    Probabilities are 0 to 1; a median is in its ``unit`` (% of GDP, USD, a year).
    """
    run_a, run_b = _Run.read(a), _Run.read(b)
    found_a, found_b = _probabilities(run_a), _probabilities(run_b)
    medians_a, medians_b = _medians(run_a), _medians(run_b)
    paired, pairing = _pairing(run_a, run_b)
    shared: set[Key] = set()
    if paired:
        assert run_a.outcomes is not None and run_b.outcomes is not None
        _check_counts(run_a, found_a)
        _check_counts(run_b, found_b)
        shared = set(run_a.outcomes.keys) & set(run_b.outcomes.keys)
    pairs = {key: _pairs(run_a.outcomes, run_b.outcomes, key)  # type: ignore[arg-type]
             for key in found_a if key in found_b and key in shared}
    same_run = bool(pairs) and all(pair[1] == pair[2] == 0 for pair in pairs.values()) and all(
        run_a.summary.get(name) == run_b.summary.get(name)
        for name in ("scenario_sha256", "version", "seed", "draws", "block_size"))
    rows: list[tuple[Any, ...]] = []
    for key in (k for k in found_a if k in found_b):
        first, second = found_a[key], found_b[key]
        difference = second[0] - first[0]
        if same_run:
            low, high, how = 0.0, 0.0, "paired"
        elif key in pairs:
            low, high = paired_interval(*pairs[key])
            how = "paired"
        else:
            # p is a count over the draws: recover the count exactly before comparing.
            count_a, count_b = round(first[0] * run_a.draws), round(second[0] * run_b.draws)
            low, high = (float(end) for end in confint_proportions_2indep(
                count_b, run_b.draws, count_a, run_a.draws, method="newcomb", compare="diff"))
            how = "independent"
        rows.append((*key, "probability", "", *first, *second, difference, low, high,
                     bool(low > 0 or high < 0), how, _label(key, run_a.summary)))
    for key in (k for k in medians_a if k in medians_b):
        (unit, words, value_a), (_, _, value_b) = medians_a[key], medians_b[key]
        difference = math.nan if value_a is None or value_b is None else value_b - value_a
        rows.append((*key, "median", unit, _value(value_a), math.nan, math.nan, _value(value_b),
                     math.nan, math.nan, difference, math.nan, math.nan, None, "none", words))
    notes = [f"{label}: {run.folder} | scenario {run.summary.get('scenario')} | "
             f"{run.summary.get('draws'):,} draws | seed {run.summary.get('seed')}"
             for label, run in (("A", run_a), ("B", run_b))]
    notes.append(pairing)
    if same_run:
        notes.append("note: the same run twice (same scenario file, seed, draws and version, "
                     "every draw alike): every difference is exactly 0")
    elif paired and len(pairs) < sum(1 for k in found_a if k in found_b):
        notes.append("note: measures without per-draw outcomes in both folders (allies' beyond "
                     f"{ALLY_DRAWS_LIMIT:,} draws) are compared as independent")
    if not paired and run_a.summary.get("seed") == run_b.summary.get("seed"):
        notes.append("note: same seed, so the runs share random numbers; the independent "
                     "interval is conservative (a flagged difference is real)")
    if run_a.summary.get("goal") != run_b.summary.get("goal"):
        notes.append(f"note: the runs set different goals ({run_a.summary.get('goal')} vs "
                     f"{run_b.summary.get('goal')}); a difference is partly the goal's")
    table = pd.DataFrame(rows, columns=[*COLUMNS, "label"])
    return Comparison(table, paired, tuple(notes), (str(run_a.summary.get("scenario")),
                                                    str(run_b.summary.get("scenario"))))


def _value(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _median_text(unit: str, value: float, difference: bool = False) -> str:
    """A median, or a difference of medians, in its unit."""
    if math.isnan(value):
        return "n/a" if difference else "none"
    sign = ("+" if value >= 0 else "-") if difference else ""
    if unit == "% of GDP":
        return f"{sign}{abs(value):.2f} pp" if difference else f"{value:.2f}%"
    if unit == "USD":
        return f"{sign}${abs(value) / 1e9:,.1f}bn"
    return f"{sign}{abs(value):.0f} years" if difference else f"{value:.0f}"


def format_comparison(comparison: Comparison) -> str:
    """The comparison as fixed-width tables, the measures in words; ``*`` marks a difference
    beyond the noise."""
    table = comparison.table
    probabilities = table[table["kind"] == "probability"]
    medians = table[table["kind"] == "median"]
    width = max([len("measure"), *(len(label) for label in table["label"])])
    lines = [*comparison.notes, "",
             f"{'measure':<{width}}  {'A p [95% CI]':<19} {'B p [95% CI]':<19} B - A [95% CI]"]
    for row in probabilities.itertuples(index=False):
        mark = " *" if row.exceeds_noise else ""
        pairing = "" if (row.interval == "paired") == comparison.paired else f" ({row.interval})"
        lines.append(
            f"{row.label:<{width}}  {row.a:5.3f} [{row.a_lo:.3f}-{row.a_hi:.3f}] "
            f"{row.b:5.3f} [{row.b_lo:.3f}-{row.b_hi:.3f}] "
            f"{row.difference:+6.3f} [{row.difference_lo:+.3f} {row.difference_hi:+.3f}]"
            f"{mark}{pairing}")
    flagged = int(probabilities["exceeds_noise"].sum())
    method = ("paired score interval" if comparison.paired
              else "score interval for independent runs")
    lines += ["", f"{flagged} of {len(probabilities)} differences exceed the Monte Carlo noise "
              f"(*: the 95% interval of B - A leaves out zero; Newcombe's {method})"]
    if len(medians):
        lines += ["", f"{'median (B - A without an interval)':<{width}}  {'A':<19} {'B':<19} "
                  "B - A"]
        for row in medians.itertuples(index=False):
            lines.append(f"{row.label:<{width}}  {_median_text(row.unit, row.a):<19} "
                         f"{_median_text(row.unit, row.b):<19} "
                         f"{_median_text(row.unit, row.difference, difference=True)}")
    return "\n".join(lines)


def difference_chart(comparison: Comparison) -> Chart:
    """Each probability's difference B − A with its 95% interval, a zero line, the measures in
    words, and whether the runs were paired in the title (``compare.png``)."""
    from sim.reports.page import Chart, new_figure  # here: only --out draws (Matplotlib)

    table = comparison.table[comparison.table["kind"] == "probability"]
    rows = len(table)
    figure = new_figure(10.0, 1.6 + 0.24 * rows)
    axes = figure.add_subplot()
    position = np.arange(rows)[::-1]  # (rows,) the first measure at the top
    flagged = table["exceeds_noise"].to_numpy(dtype=bool)
    for mask, colour, name in ((flagged, "#b2182b", "beyond the noise"),
                               (~flagged, "#4d4d4d", "within the noise")):
        if mask.any():
            axes.errorbar(table["difference"][mask], position[mask],
                          xerr=[(table["difference"] - table["difference_lo"])[mask],
                                (table["difference_hi"] - table["difference"])[mask]],
                          fmt="o", color=colour, markersize=4, capsize=2, label=name)
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.set_yticks(position, list(table["label"]))
    axes.set_ylim(-0.7, rows - 0.3)
    axes.set_xlabel("B − A, difference of probabilities (linear scale), with its 95% interval")
    how = ("paired: the runs share their draws" if comparison.paired
           else "independent runs (Newcombe's interval)")
    axes.set_title(f"B ({comparison.scenarios[1]}) minus A ({comparison.scenarios[0]}); {how}",
                   fontsize=10)
    axes.grid(axis="x", color="#dddddd")
    axes.legend(loc="lower right", fontsize=8)
    caption = ("Each measure's difference of probabilities, B − A, with its 95% interval; a "
               f"difference beyond the noise is red. {how.capitalize()}.")
    return Chart.draw("compare", "B − A", figure, caption)


def write_comparison(comparison: Comparison, out: Path) -> Sequence[Path]:
    """Write ``compare.png`` (:func:`difference_chart`) and ``compare.csv`` into the folder
    ``out`` (made if missing); return their paths."""
    from sim.files import atomic_write_bytes, atomic_write_text, csv_text

    chart = difference_chart(comparison)  # drawn before anything is written
    text = csv_text(comparison.csv_table())
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "compare.png", chart.png)
    atomic_write_text(out / "compare.csv", text)
    return out / "compare.png", out / "compare.csv"
