"""Reports of a run: the printed table, ``summary.json``, ``allies.csv`` and the plot tables.

``bands.csv`` (and ``aid.csv`` when the scenario has aid) hold the per-year quantile bands the
briefing page (:mod:`sim.reports.briefing`) plots, so a report is drawn from the run folder alone
and never reruns the simulation.

Files are written whole or not at all: each goes to a temporary file beside its target and is
renamed over it, so an interrupted run never leaves a half-written file or destroys an old one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import __version__
from sim.data.base import ALLIES, NOT_ASSESSED, AllyBase
from sim.files import (
    AID_NAME,
    ALLIES_NAME,
    BANDS_NAME,
    REPORT_FILES,
    RUN_FILES,
    SUMMARY_NAME,
    check_run_out,
    remove_stale,
)
from sim.results import QUANTILES, Probability, Results
from sim.spending.tally import SHARE_MAX

if TYPE_CHECKING:
    import pandas as pd


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    The file gets the mode any tool gives a new file, ``0o666`` less the umask (0644 under the
    usual umask 022), so that colleagues can open a briefing on a shared drive:
    ``tempfile.mkstemp`` would make it 0600, readable by its owner alone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = _create_temporary(path)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file beside ``path`` with a name of its own, open for writing.

    As ``mkstemp`` makes one, but with the mode of :func:`os.open`'s ``0o666``, which the
    system narrows by the umask (and a folder's default ACL) at creation: reading the umask to
    apply it by hand would need ``os.umask`` to set it, a race with other threads.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:  # another writer's temporary file: draw another name
            continue


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` as :func:`atomic_write_bytes` does."""
    atomic_write_bytes(path, text.encode("utf-8"))


#: Quantiles of the plot tables: the 50% and 90% bands around the median.
BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def quantile_label(q: float) -> str:
    """A quantile's column name: 0.05 → ``p05``."""
    return f"p{round(q * 100):02d}"


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
        aid = scenario.aid
        for a, code in enumerate(results.aid_allies):
            allies[code]["aid_in_core_pct"] = {
                str(year): _bands({q: results.aid_tally.aid_core_quantile(q)[a, y]
                                   for q in QUANTILES})
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


def needs_quantile(results: Results, q: float) -> np.ndarray:
    """Quantile ``q`` of Ukraine's need in each needs year, USD. Shape (years,).

    A need without uncertainty is its stated value, not read back from its 1%-wide histogram bin
    (which would report a fixed $60bn need as $59.6bn).
    """
    model = results.scenario.aid
    binned = results.aid_tally.needs_quantile(q)  # (years,)
    return np.array([n.mean_usd if n.sd_usd == 0 else binned[y]
                     for y, n in enumerate(model.needs)])


def _aid_summary(results: Results) -> tuple[dict[str, Any], dict[str, Any]]:
    """``probabilities.ukraine_needs_met`` and the ``aid`` block of ``summary.json``."""
    tally, model = results.aid_tally, results.scenario.aid
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
    aid = {
        "resolution": model.resolution,
        "counts_in_core": model.counts_in_core,
        "years": years,
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
        writer.writerow({k: ("" if v is None or v == math.inf else v) for k, v in row.items()})
    return buffer.getvalue()


def bands_frame(results: Results) -> pd.DataFrame:
    """``bands.csv``: quantiles of the core and total share (% of GDP) per ally and year.

    Long and tidy: columns ``entity`` (ISO3 or ``alliance``), ``measure`` (``core``, ``total``),
    ``year``, then ``p05 p25 p50 p75 p95``; one row per entity, measure and year, base year to
    horizon, allies in code order and the alliance (the USD-weighted aggregate) last. A share
    quantile at or above 20% of GDP, beyond the histograms' range, is left blank (NaN).
    """
    import pandas as pd  # here: the printed table and summary.json do without it

    entities, measures, years = [*results.codes, "alliance"], ("core", "total"), results.years
    index = pd.MultiIndex.from_product([entities, measures, years],
                                       names=["entity", "measure", "year"])
    columns = {}
    for q in BAND_QUANTILES:
        # (entities, measures, years): each ally's rows, then the alliance's.
        values = np.stack([np.vstack([results.share_quantiles(m, q),
                                      results.alliance_quantiles(m, q)]) for m in measures],
                          axis=1)
        columns[quantile_label(q)] = np.where(np.isposinf(values), np.nan, values).ravel()
    return pd.DataFrame(columns, index=index).reset_index()


def aid_frame(results: Results) -> pd.DataFrame:
    """``aid.csv``: one row per needs year of USD needed and delivered and P(needs met).

    Columns ``year``; ``needs_usd_pNN``, ``delivered_usd_pNN`` (USD) and
    ``delivered_over_needs_pNN`` for the five band quantiles; ``p_needs_met`` with its 95%
    Wilson interval ``p_needs_met_lo``, ``p_needs_met_hi``.
    """
    import pandas as pd

    tally, model = results.aid_tally, results.scenario.aid
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
    return pd.DataFrame(columns)


def write_outputs(results: Results, out_dir: str | Path) -> list[Path]:
    """Write ``summary.json``, ``allies.csv``, ``bands.csv`` and, for a scenario with aid,
    ``aid.csv`` into ``out_dir``; return their paths.

    The folder then holds this run alone: an earlier run's files that this one does not
    write (``aid.csv``) and any report of an earlier run are removed; files the project does
    not write stay. A file or a sweep folder is refused (:class:`~sim.errors.OptionError`).
    """
    out = Path(out_dir)
    check_run_out(out)
    # Everything is computed before anything is written, so a failure leaves no mixed folder.
    texts = {
        SUMMARY_NAME: json.dumps(summary(results), indent=2, allow_nan=False) + "\n",
        ALLIES_NAME: allies_csv(results),
        BANDS_NAME: bands_frame(results).to_csv(index=False, lineterminator="\n"),
    }
    if results.aid_tally is not None:
        texts[AID_NAME] = aid_frame(results).to_csv(index=False, lineterminator="\n")
    # An earlier report goes before the new files are written: it is drawn from the run
    # folder (`summit report` draws it again), so nothing is lost, and a write cut short
    # cannot leave an old report, which colleagues open without checking, beside new figures.
    remove_stale(out, REPORT_FILES)
    for name, text in texts.items():
        atomic_write_text(out / name, text)
    # The earlier run's own files go after, once the new run's are in place: until then they
    # belong to a run whole, and a new summary without aid never reads an old aid.csv.
    remove_stale(out, RUN_FILES, keep=texts)
    return [out / name for name in texts]


# --- the printed table -------------------------------------------------------------------------


def _p(prob: Probability) -> str:
    return f"{prob.p:5.3f} [{prob.ci95[0]:.3f}-{prob.ci95[1]:.3f}]"


def _band(p05: float, p50: float, p95: float) -> str:
    return f"{_share(p50)} [{_share(p05)}-{_share(p95)}]"


def _share(value: float) -> str:
    """A share quantile, % of GDP; ``>20`` for one above the histograms' range (inf)."""
    return f"{'>' + format(SHARE_MAX, 'g'):>5}" if value == math.inf else f"{value:5.2f}"


def _usd_bn(value: float) -> str:
    return f"{value / 1e9:8.1f}"


def format_table(results: Results) -> str:
    """The run as a fixed-width table: per ally, then the alliance lines."""
    scenario, inputs = results.scenario, results.inputs
    goal = scenario.goal
    y, gi = goal.year, inputs.goal_index
    core = {q: results.share_quantiles("core", q)[:, gi] for q in QUANTILES}
    total = {q: results.share_quantiles("total", q)[:, gi] for q in QUANTILES}
    gap = results.shortfall_quantiles("total", 0.5)
    lines = [
        f"summit-sim {__version__} | scenario {scenario.name} | {results.draws:,} draws | "
        f"seed {results.seed} | goal {goal.core:g}% core, {goal.total:g}% total by {y}",
        "",
        f"{'ally':<20} {'core':>5}  {'core % GDP ' + str(y):<19} {'total % GDP ' + str(y):<19} "
        f"{'P(core >= ' + format(goal.core, 'g') + ')':<21} "
        f"{'P(goal ' + format(goal.total, 'g') + '%)':<21} "
        f"{'P(on path ' + str(goal.review_year) + ')':<21} {'core':>6} {'short':>8}",
        f"{'':<20} {scenario.base_year:>5}  {'p50 [p05-p95]':<19} {'p50 [p05-p95]':<19} "
        f"{'p [95% CI]':<21} {'p [95% CI]':<21} {'p [95% CI]':<21} {'year':>6} {'$bn':>8}",
    ]
    for code in scenario.members:
        label = f"{code} {ALLIES[code]}"[:20]
        if code in NOT_ASSESSED:
            lines.append(f"{label:<20}   not assessed: no armed forces, no NATO spending figures")
            continue
        i = results.codes.index(code)
        reached = results.median_year_core_reached(code)
        lines.append(
            f"{label:<20} {scenario.ally(code).core_base:5.2f}  "
            f"{_band(core[0.05][i], core[0.5][i], core[0.95][i]):<19} "
            f"{_band(total[0.05][i], total[0.5][i], total[0.95][i]):<19} "
            f"{_p(results.p_meet_core(code)):<21} {_p(results.p_meet_goal(code)):<21} "
            f"{_p(results.p_credible(code)):<21} {reached or '>' + str(scenario.horizon):>6} "
            f"{_usd_bn(gap[i])}"
        )
    head = results.headline()
    a_core = [results.alliance_quantiles("core", q)[gi] for q in QUANTILES]
    a_total = [results.alliance_quantiles("total", q)[gi] for q in QUANTILES]
    core_usd_base = float((inputs.core_base / 100.0 * inputs.gdp_base).sum())
    base_share = 100.0 * core_usd_base / float(inputs.gdp_base.sum())
    reached = results.median_year_core_reached(None)
    lines += [
        "",
        f"Alliance ({len(results.codes)} assessed allies, USD-weighted): core {base_share:.2f}% "
        f"in {scenario.base_year} (${core_usd_base / 1e9:,.1f}bn); in {y} core "
        f"{_band(*a_core).strip()}, total {_band(*a_total).strip()}; core goal reached (median) "
        f"{reached or 'not by ' + str(scenario.horizon)}",
        f"  P(alliance meets {goal.core:g}% core)      {_p(head['alliance_meets_core'])}",
        f"  P(alliance meets the {goal.total:g}% goal)  {_p(head['alliance_meets_goal'])}",
        f"  P(alliance on path in {goal.review_year})     {_p(head['alliance_credible_path'])}",
        f"  P(every ally meets {goal.core:g}% core)    {_p(head['all_allies_meet_core'])}",
        f"  P(every ally meets the goal)      {_p(head['all_allies_meet_goal'])}",
        f"  median shortfall to {goal.total:g}% in {y}: "
        f"${results.alliance_shortfall_quantile('total', 0.5) / 1e9:,.1f}bn "
        f"(to {goal.core:g}% core: "
        f"${results.alliance_shortfall_quantile('core', 0.5) / 1e9:,.1f}bn)",
    ]
    if results.aid_tally is not None:
        lines += ["", *_aid_lines(results)]
    return "\n".join(lines)


def _aid_lines(results: Results) -> list[str]:
    """The aid section of the printed table."""
    tally, model = results.aid_tally, results.scenario.aid
    lines = [
        f"Aid to Ukraine (delivered, not pledged; conditions resolved by the {model.resolution} "
        "fixed point)",
        f"  {'year':<6} {'need $bn':>9} {'delivered $bn p50 [p05-p95]':<30} "
        f"{'delivered/need':>14}  {'P(need met) [95% CI]':<21}",
    ]
    delivered = {q: tally.delivered_quantile(q) for q in QUANTILES}
    need = needs_quantile(results, 0.5)
    for y, year in enumerate(model.years):
        lines.append(
            f"  {year:<6} {need[y] / 1e9:9.1f} "
            f"{delivered[0.5][y] / 1e9:7.1f} [{delivered[0.05][y] / 1e9:6.1f}-"
            f"{delivered[0.95][y] / 1e9:6.1f}]{'':<9} {tally.ratio_quantile(0.5)[y]:14.2f}  "
            f"{_p(tally.p_needs_met(y))}")
    lines.append(f"  {'pledge':<28} {'donor':<5} {'channel':<9} {'pledged $bn':>11}  "
                 f"{'P(triggered) [95% CI]':<21} {'greatest/least':>14}")
    for j, pledge in enumerate(model.pledges):
        greatest, least = tally.p_triggered(j, "greatest"), tally.p_triggered(j, "least")
        lines.append(f"  {pledge.id[:28]:<28} {pledge.donor[:5]:<5} {pledge.channel:<9} "
                     f"{pledge.usd / 1e9:11.3f}  {_p(tally.p_triggered(j)):<21} "
                     f"{greatest.p:6.3f}/{least.p:.3f}"
                     + ("  (conditional)" if pledge.condition else ""))
    gap = tally.p_coordination_gap()
    lines.append(f"  coordination gap (greatest vs least fire different pledges): {_p(gap)}; "
                 f"median ${tally.gap_quantile(0.5) / 1e9:,.3f}bn more pledged when "
                 "donors coordinate")
    for a, code in enumerate(results.aid_allies):
        shares = ", ".join(f"{year} {tally.aid_core_quantile(0.5)[a, y]:.1f}%"
                           for y, year in enumerate(model.years))
        lines.append(f"  {code} aid paid, % of its core defence spending (p50): {shares}")
    return lines


def format_allies(base: Mapping[str, AllyBase]) -> str:
    """``summit allies``: each ally's base-year figures, with numbered sources."""
    sources: dict[str, int] = {}

    def cite(figure: Any) -> str:
        if figure is None:
            return "-"
        key = f"{figure.source} [{figure.file}; read via {figure.via}]"
        return str(sources.setdefault(key, len(sources) + 1))

    year = next(iter(base.values())).year
    lines = [
        f"{'ally':<22} {'core % GDP':>10} {'GDP $bn':>9} {'core $bn':>9} {'growth %':>8}  "
        f"sources",
        f"{'':<22} {year:>10} {year:>9} {year:>9} {'IMF':>8}  share/GDP/core/growth",
    ]
    for code, ally in base.items():
        label = f"{code} {ally.name}"
        if not ally.assessed:
            lines.append(f"{label:<22} {'not assessed':>10}  (no armed forces, no NATO figures)")
            continue
        core_usd = f"{ally.core_usd.value / 1e9:9.1f}" if ally.core_usd else f"{'-':>9}"
        growth = f"{ally.growth_mean.value * 100:8.2f}" if ally.growth_mean else f"{'-':>8}"
        lines.append(
            f"{label:<22} {ally.core_share.value:10.2f} {ally.gdp_usd.value / 1e9:9.1f} "
            f"{core_usd} {growth}  "
            + "/".join(cite(f) for f in (ally.core_share, ally.gdp_usd, ally.core_usd,
                                          ally.growth_mean))
        )
    lines += ["", "Sources:"]
    lines += [f"  [{number}] {text}" for text, number in sources.items()]
    lines += ["", "Defence- and security-related spending (the 1.5%): NATO publishes no per-ally "
              "series; each scenario states its own assumption (defaults.related_base)."]
    return "\n".join(lines)
