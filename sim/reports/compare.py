"""Two runs side by side: each headline probability and each ally's, with the difference and
whether it exceeds the Monte Carlo noise.

A probability in ``summary.json`` is a count of draws, so each difference gets Newcombe's hybrid
score interval for the difference of two independent proportions (statsmodels'
``confint_proportions_2indep(method="newcomb")``), built from the two runs' Wilson intervals. A
difference *exceeds the noise* when that 95% interval leaves out zero. Two runs with the same seed
share their random numbers (common random numbers), so their estimates move together and the
independent-samples interval is wider than it needs to be: a difference it flags is real, and a
small one it misses may be real too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from sim.errors import ResultsError
from sim.files import SUMMARY_NAME, folder_kind, read_json
from sim.reports import fields

_COLUMNS = ("measure", "entity", "p_a", "lo_a", "hi_a", "p_b", "lo_b", "hi_b", "difference",
            "difference_lo", "difference_hi", "exceeds_noise")


def _run_summary(folder: str | Path) -> tuple[Path, dict[str, Any]]:
    path = Path(folder)
    if folder_kind(path) != "run":
        raise ResultsError(path, None, "is a sweep folder; compare takes two run folders")
    return path / SUMMARY_NAME, read_json(path / SUMMARY_NAME)


def _probabilities(summary: dict[str, Any],
                   path: Path) -> dict[tuple[str, str], tuple[float, float, float]]:
    """Every probability of a run as ``(p, low, high)``, keyed by (measure, entity):
    ``alliance`` for the headline; each checked (:mod:`sim.reports.fields`)."""
    found: dict[tuple[str, str], tuple[float, float, float]] = {}
    for name, value in fields.table(summary, "probabilities", path).items():
        if name == "ukraine_needs_met":
            years = fields.checked_table(value, f"probabilities.{name}", path)
            found.update({(f"ukraine_needs_met_{year}", "aid"): fields.checked_probability(
                p, f"probabilities.{name}.{year}", path) for year, p in years.items()})
        else:
            found[name, "alliance"] = fields.checked_probability(value, f"probabilities.{name}",
                                                                 path)
    for code, ally in fields.table(summary, "allies", path).items():
        ally = fields.checked_table(ally, f"allies.{code}", path)
        if ally.get("assessed", True) is True:
            for name in ("p_meet_core", "p_meet_goal"):
                found[name, code] = fields.checked_probability(
                    fields.member(ally, name, f"allies.{code}", path), f"allies.{code}.{name}",
                    path)
    return found


@attrs.frozen
class Comparison:
    """Two runs compared: ``table`` has one row per probability both hold; ``notes`` say what
    the runs were and what to keep in mind reading the differences."""

    table: pd.DataFrame = attrs.field(repr=False)
    notes: tuple[str, ...]


def compare_runs(a: str | Path, b: str | Path) -> Comparison:
    """The probabilities both runs hold, with their difference (b minus a).

    The table's columns: ``measure``, ``entity`` (``alliance``, ``aid`` or an ISO3 code), each
    run's ``p`` and 95% interval, ``difference`` with its 95% interval, and ``exceeds_noise``.
    """
    (path_a, summary_a), (path_b, summary_b) = _run_summary(a), _run_summary(b)
    draws_a = fields.whole(summary_a, "draws", path_a, lowest=1)
    draws_b = fields.whole(summary_b, "draws", path_b, lowest=1)
    found_a = _probabilities(summary_a, path_a)
    found_b = _probabilities(summary_b, path_b)
    rows = []
    for key in (k for k in found_a if k in found_b):
        first, second = found_a[key], found_b[key]
        # p is a count over the draws: recover the count exactly before comparing.
        count_a, count_b = round(first[0] * draws_a), round(second[0] * draws_b)
        low, high = confint_proportions_2indep(count_b, draws_b, count_a, draws_a,
                                               method="newcomb", compare="diff")
        rows.append((*key, *first, *second, second[0] - first[0], float(low), float(high),
                     bool(low > 0 or high < 0)))
    notes = [f"{label}: {folder} | scenario {s.get('scenario')} | {s.get('draws'):,} draws | "
             f"seed {s.get('seed')}"
             for label, folder, s in (("A", a, summary_a), ("B", b, summary_b))]
    if summary_a.get("goal") != summary_b.get("goal"):
        notes.append(f"note: the runs set different goals ({summary_a.get('goal')} vs "
                     f"{summary_b.get('goal')}); a difference is partly the goal's")
    if summary_a.get("seed") == summary_b.get("seed"):
        notes.append("note: same seed, so the runs share random numbers; the noise test is "
                     "conservative (a flagged difference is real)")
    return Comparison(pd.DataFrame(rows, columns=list(_COLUMNS)), tuple(notes))


def format_comparison(comparison: Comparison) -> str:
    """The comparison as a fixed-width table; ``*`` marks a difference beyond the noise."""
    table = comparison.table
    lines = [*comparison.notes, "",
             f"{'measure':<28} {'entity':<9} {'A p [95% CI]':<19} {'B p [95% CI]':<19} "
             "B - A [95% CI]"]
    for row in table.itertuples(index=False):
        mark = " *" if row.exceeds_noise else ""
        lines.append(
            f"{row.measure:<28} {row.entity:<9} "
            f"{row.p_a:5.3f} [{row.lo_a:.3f}-{row.hi_a:.3f}] "
            f"{row.p_b:5.3f} [{row.lo_b:.3f}-{row.hi_b:.3f}] "
            f"{row.difference:+6.3f} [{row.difference_lo:+.3f} {row.difference_hi:+.3f}]{mark}")
    flagged = int(table["exceeds_noise"].sum())
    lines += ["", f"{flagged} of {len(table)} differences exceed the Monte Carlo noise (*: the "
              "95% interval of B - A leaves out zero; Newcombe's score interval)"]
    return "\n".join(lines)
