"""The files of a run folder: ``summary.json``, ``allies.csv`` and the plot tables.

``bands.csv`` (and ``aid.csv`` when the scenario has aid) hold the per-year quantile bands the
briefing page (:mod:`sim.reports.briefing`) plots, so a report is drawn from the run folder alone
and never reruns the simulation.

A run folder is replaced as a whole (:func:`sim.files.replace_run_folder`), so an interrupted
run or a full disk leaves the earlier run whole, never its files beside the new run's. The
printed table is :mod:`sim.reports.tables`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import __version__
from sim.data.base import ALLIES, NOT_ASSESSED
from sim.files import (
    AID_NAME,
    ALLIES_NAME,
    BANDS_NAME,
    OUTCOMES_NAME,
    PROBABILITIES_NAME,
    REPORT_FILES,
    RUN_FILES,
    SUMMARY_NAME,
    check_run_folder,
    hold_folder,
    replace_run_folder,
    spreadsheet_safe,
)
from sim.results import BAND_QUANTILES, QUANTILES, Probability, Results, quantile_label

if TYPE_CHECKING:
    import pandas as pd

    from sim.aid.tally import AidTally
    from sim.scenario.aid import AidModel


def _bands(values: dict[float, float]) -> dict[str, float | None]:
    """The ``p05 p50 p95`` of a band; ``None`` (JSON's ``null``) for a share quantile at or
    above 20% of GDP, beyond the histograms' range, which JSON's numbers cannot say."""
    return {quantile_label(q): _finite(values[q]) for q in QUANTILES}


def _finite(value: float) -> float | None:
    """``value`` as a float, or ``None`` for the ``inf`` of a quantile above the range."""
    value = float(value)
    return None if value == math.inf else value


def summary(results: Results) -> dict[str, Any]:
    """The run's machine-readable summary (the ``summary.json`` contract of SPEC 4)."""
    from sim.environment import versions

    scenario, inputs = results.scenario, results.inputs
    y, goal_index = scenario.goal.year, inputs.goal_index
    review = scenario.goal.review_year
    core_q = {q: results.share_quantiles("core", q)[:, goal_index] for q in QUANTILES}
    total_q = {q: results.share_quantiles("total", q)[:, goal_index] for q in QUANTILES}
    core_gap = {q: results.shortfall_quantiles("core", q) for q in QUANTILES}
    total_gap = {q: results.shortfall_quantiles("total", q) for q in QUANTILES}
    allies: dict[str, Any] = {}
    for code in scenario.members:
        if code in NOT_ASSESSED:
            allies[code] = {"name": ALLIES[code], "assessed": False,
                            "note": "not assessed: no armed forces and no NATO spending figures"}
            continue
        i = results.codes.index(code)
        ally = scenario.ally(code)
        allies[code] = {
            "name": ALLIES[code],
            "assessed": True,
            "core_base": ally.core_base,
            "related_base": ally.related_base,
            "gdp_usd_base": ally.gdp_base,
            "calibrated": list(ally.calibrated),  # keys filled from calibration/parameters.toml
            "p_meet_core": results.p_meet_core(code).as_dict(),
            "p_meet_goal": results.p_meet_goal(code).as_dict(),
            f"p_credible_path_{review}": results.p_credible(code).as_dict(),
            f"core_{y}": _bands({q: v[i] for q, v in core_q.items()}),
            f"total_{y}": _bands({q: v[i] for q, v in total_q.items()}),
            "median_year_core_reached": results.median_year_core_reached(code),
            f"core_shortfall_usd_{y}": _bands({q: v[i] for q, v in core_gap.items()}),
            f"total_shortfall_usd_{y}": _bands({q: v[i] for q, v in total_gap.items()}),
        }
    gdp_base = float(inputs.gdp_base.sum())
    core_usd_base = float((inputs.core_base / 100.0 * inputs.gdp_base).sum())
    headline = results.headline()
    probabilities = {name: p.as_dict() for name, p in headline.items()}
    extra = {}
    if results.aid_tally is not None:
        probabilities["ukraine_needs_met"], extra["aid"] = _aid_summary(results)
        tally, aid = run_aid(results)
        probabilities["ukraine_needs_met_every_year"] = tally.p_all_needs_met().as_dict()
        probabilities["alliance_meets_goal_and_ukraine_needs_met"] = \
            tally.p_goal_and_needs_met().as_dict()
        probabilities["alliance_meets_core_and_ukraine_needs_met"] = \
            tally.p_core_and_needs_met().as_dict()
        for a, code in enumerate(results.aid_allies):
            allies[code]["aid_in_core_pct"] = {
                str(year): _bands({q: tally.aid_core_quantile(q)[a, y] for q in QUANTILES})
                for y, year in enumerate(aid.years)}
    return {
        "scenario": scenario.name,
        "scenario_file": scenario.source,
        "scenario_sha256": scenario.sha256,
        "seed": results.seed,
        "draws": results.draws,
        "block_size": results.block_size,
        "version": __version__,
        "environment": versions(),  # python and the packages the figures depend on
        "base_year": scenario.base_year,
        "horizon": scenario.horizon,
        "goal": {"core": scenario.goal.core, "total": scenario.goal.total, "year": y,
                 "review_year": review, "review_tolerance": scenario.goal.review_tolerance},
        "probabilities": probabilities,
        "assumptions": results.assumptions(),
        "alliance": {
            "allies_assessed": len(results.codes),
            "core_usd_base": core_usd_base,
            # Compared with NATO's published Europe-and-Canada total (README).
            "core_usd_base_europe_canada": float(sum(
                share / 100.0 * gdp for code, share, gdp in
                zip(results.codes, inputs.core_base, inputs.gdp_base, strict=True)
                if code != "USA")),
            "gdp_usd_base": gdp_base,
            "core_share_base": 100.0 * core_usd_base / gdp_base,
            f"core_{y}": _bands({q: results.alliance_quantiles("core", q)[goal_index]
                                 for q in QUANTILES}),
            f"total_{y}": _bands({q: results.alliance_quantiles("total", q)[goal_index]
                                  for q in QUANTILES}),
            "median_year_core_reached": results.median_year_core_reached(None),
            f"core_shortfall_usd_{y}": _bands({q: results.alliance_shortfall_quantile("core", q)
                                               for q in QUANTILES}),
            f"total_shortfall_usd_{y}": _bands({q: results.alliance_shortfall_quantile("total", q)
                                                for q in QUANTILES}),
        },
        "allies": allies,
        **extra,
    }


def run_aid(results: Results) -> tuple[AidTally, AidModel]:
    """The aid tally and the aid model of a run of a scenario with aid; the report of aid is
    asked only of such a run (a ValueError otherwise, a mistake in the caller)."""
    tally, model = results.aid_tally, results.scenario.aid
    if tally is None or model is None:
        raise ValueError(f"scenario {results.scenario.name} has no aid to report")
    return tally, model


def needs_quantile(results: Results, q: float) -> np.ndarray:
    """Quantile ``q`` of Ukraine's need in each needs year, USD. Shape (years,).

    A need without uncertainty is its stated value, not read back from its 1%-wide histogram bin
    (which would report a fixed $60bn need as $59.6bn).
    """
    tally, model = run_aid(results)
    binned = tally.needs_quantile(q)  # (years,)
    return np.array([n.mean_usd if n.sd_usd == 0 else binned[y]
                     for y, n in enumerate(model.needs)])


def _aid_summary(results: Results) -> tuple[dict[str, Any], dict[str, Any]]:
    """``probabilities.ukraine_needs_met`` and the ``aid`` block of ``summary.json``."""
    tally, model = run_aid(results)
    needs_met = {str(year): tally.p_needs_met(y).as_dict() for y, year in enumerate(model.years)}
    years = {}
    for y, year in enumerate(model.years):
        years[str(year)] = {
            "needs_usd": _bands({q: float(needs_quantile(results, q)[y]) for q in QUANTILES}),
            "delivered_usd": _bands({q: float(tally.delivered_quantile(q)[y])
                                     for q in QUANTILES}),
            "delivered_over_needs": _bands({q: float(tally.ratio_quantile(q)[y])
                                            for q in QUANTILES}),
        }
    pledges = {}
    differ = []
    delivered = {q: tally.pledge_delivered_quantile(q) for q in QUANTILES}
    for j, pledge in enumerate(model.pledges):
        if pledge.line is not None:
            continue  # a budget line's tranches: by donor, below
        greatest, least = tally.p_triggered(j, "greatest"), tally.p_triggered(j, "least")
        if greatest.successes != least.successes:
            differ.append(pledge.id)
        pledges[pledge.id] = {
            "donor": pledge.donor, "channel": pledge.channel, "program": pledge.program,
            "month": model.month_label(pledge.month), "pledged_usd": pledge.usd,
            "conditional": pledge.condition is not None,
            "p_triggered": tally.p_triggered(j).as_dict(),
            "p_triggered_greatest": greatest.as_dict(),
            "p_triggered_least": least.as_dict(),
            "p_delivered_any": Probability.from_counts(tally.delivered_pledges[j],
                                                       tally.draws).as_dict(),
            "delivered_usd": _bands({q: float(delivered[q][j]) for q in QUANTILES}),
        }
    by_donor = {q: tally.donor_delivered_quantile(q) for q in QUANTILES}
    donors = {name: {"delivered_usd": _bands({q: float(by_donor[q][d]) for q in QUANTILES}),
                     "budget_line_tranches": sum(p.donor == name and p.line is not None
                                                 for p in model.pledges)}
              for d, name in enumerate(model.donor_names)}
    aid = {
        "resolution": model.resolution,
        "counts_in_core": model.counts_in_core,
        "counts_toward_core": model.counts_toward_core,
        "months": [model.month_label(0), model.month_label(model.months - 1)],
        "years": years,
        "donors": donors,
        "pledges": pledges,
        "coordination_gap": {
            "p_differs": tally.p_coordination_gap().as_dict(),
            "pledged_usd": _bands({q: tally.gap_quantile(q) for q in QUANTILES}),
            "pledges": differ,
        },
    }
    return needs_met, aid


def allies_csv(results: Results) -> str:
    """``allies.csv``: one row per listed ally, the table's figures with their intervals."""
    rows = results.ally_rows()
    columns = list(next(row for row in rows if row["assessed"]))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # Blank: a median year never reached, or a share quantile above 20% of GDP (inf).
        writer.writerow({k: ("" if v is None or v == math.inf else spreadsheet_safe(v))
                         for k, v in row.items()})
    return buffer.getvalue()


def bands_frame(results: Results) -> pd.DataFrame:
    """``bands.csv``: :meth:`~sim.results.Results.bands`."""
    return results.bands()


def probabilities_frame(results: Results) -> pd.DataFrame:
    """``probabilities.csv``: every probability of the run in long form, one row each:
    ``entity`` (ISO3 or ``alliance``), ``measure``, ``year`` (blank where it spans years),
    ``p`` and its 95% Wilson interval ``ci95_lo``, ``ci95_hi``."""
    import pandas as pd

    frame = pd.DataFrame.from_records(results.probability_records(), columns=[
        "entity", "measure", "year", "p", "ci95_lo", "ci95_hi"])
    frame["year"] = frame["year"].astype("Int64")
    return frame


def aid_frame(results: Results) -> pd.DataFrame:
    """``aid.csv``: one row per needs year of USD needed and delivered and P(needs met).

    Columns ``year``; ``needs_usd_pNN``, ``delivered_usd_pNN`` (USD) and
    ``delivered_over_needs_pNN`` for the five band quantiles; ``p_needs_met`` with its 95%
    Wilson interval ``p_needs_met_lo``, ``p_needs_met_hi``; the run's joint probabilities
    ``p_needs_met_every_year``, ``p_alliance_meets_goal_and_needs_met`` and
    ``p_alliance_meets_core_and_needs_met`` (each with ``_lo``, ``_hi``), the same on every row.
    """
    import pandas as pd

    tally, model = run_aid(results)
    columns: dict[str, Any] = {"year": list(model.years)}
    for name, quantile in (("needs_usd", lambda q: needs_quantile(results, q)),
                           ("delivered_usd", tally.delivered_quantile),
                           ("delivered_over_needs", tally.ratio_quantile)):
        for q in BAND_QUANTILES:
            columns[f"{name}_{quantile_label(q)}"] = [float(v) for v in quantile(q)]  # (years,)
    met = [tally.p_needs_met(y) for y in range(len(model.years))]
    columns["p_needs_met"] = [p.p for p in met]
    columns["p_needs_met_lo"] = [p.ci95[0] for p in met]
    columns["p_needs_met_hi"] = [p.ci95[1] for p in met]
    # The run's joint probabilities (every needs year met, with the alliance's goal in the goal
    # year), the same on every row.
    for name, joint in (("p_needs_met_every_year", tally.p_all_needs_met()),
                        ("p_alliance_meets_goal_and_needs_met", tally.p_goal_and_needs_met()),
                        ("p_alliance_meets_core_and_needs_met", tally.p_core_and_needs_met())):
        columns[name] = [joint.p] * len(model.years)
        columns[f"{name}_lo"] = [joint.ci95[0]] * len(model.years)
        columns[f"{name}_hi"] = [joint.ci95[1]] * len(model.years)
    return pd.DataFrame(columns)


def write_outputs(results: Results, out_dir: str | Path) -> list[Path]:
    """Write ``summary.json``, ``allies.csv``, ``bands.csv``, ``probabilities.csv``, for a
    scenario with aid ``aid.csv``, and for a run that kept its per-draw outcomes
    (``run(..., per_draw=True)``, as ``summit run --out`` does) ``outcomes.npz``
    (:meth:`sim.draw_outcomes.DrawOutcomes.to_bytes`) into ``out_dir``; return their paths.

    The folder then holds this run alone: an earlier run's files that this one does not
    write (``aid.csv``) and any report of an earlier run are gone; files the project does
    not write stay. The folder is replaced as a whole (:func:`sim.files.replace_run_folder`),
    so a reader sees the earlier run or this one, never a mix, holding the folder's lock
    (:func:`sim.files.hold_folder`). A file, a sweep folder, a folder being written by
    another command or one that cannot be written is refused (:class:`~sim.errors.OptionError`).
    """
    out = Path(out_dir)
    check_run_folder(out)
    # Everything is computed before anything is written, so a failure leaves the folder as it was.
    texts = {
        SUMMARY_NAME: json.dumps(summary(results), indent=2, allow_nan=False) + "\n",
        ALLIES_NAME: allies_csv(results),
        BANDS_NAME: bands_frame(results).to_csv(index=False, lineterminator="\n"),
        PROBABILITIES_NAME: probabilities_frame(results).to_csv(index=False,
                                                                lineterminator="\n"),
    }
    if results.aid_tally is not None:
        texts[AID_NAME] = aid_frame(results).to_csv(index=False, lineterminator="\n")
    files = {name: text.encode("utf-8") for name, text in texts.items()}
    if results.draw_outcomes is not None:
        files[OUTCOMES_NAME] = results.draw_outcomes.to_bytes()
    # An earlier report goes with the earlier run: it is drawn from the run folder (`summit
    # report` draws it again), and colleagues open it without checking which run it shows.
    with hold_folder(out):
        replace_run_folder(out, files, owned=(*RUN_FILES, *REPORT_FILES))
    return [out / name for name in files]
