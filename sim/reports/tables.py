"""The console tables: a run as ``summit run`` prints it, and ``summit allies``.

What a planner reads at the terminal; the files of a run folder are :mod:`sim.reports.run_files`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim import __version__
from sim.data.base import ALLIES, NOT_ASSESSED, AllyBase
from sim.reports.run_files import needs_quantile, run_aid
from sim.results import QUANTILES, Probability, Results
from sim.spending.tally import SHARE_MAX


def _p(prob: Probability) -> str:
    return f"{prob.p:5.3f} [{prob.ci95[0]:.3f}-{prob.ci95[1]:.3f}]"


def _band(p05: float, p50: float, p95: float) -> str:
    return f"{_share(p50)} [{_share(p05)}-{_share(p95)}]"


def _share(value: float) -> str:
    """A share quantile, % of GDP; ``>20`` for one above the histograms' range (inf)."""
    return f"{'>' + format(SHARE_MAX, 'g'):>5}" if value == math.inf else f"{value:5.2f}"


def _usd_bn(value: float) -> str:
    return f"{value / 1e9:8.1f}"


def assumption_lines(results: Results) -> list[str]:
    """What the answer rests on, first: the US assumption (the largest lever), related spending
    where it is assumed, and what threat events contribute."""
    notes = results.assumptions()
    lines = []
    if "united_states" in notes:
        lines.append(f"US assumption: {notes['united_states']}")
    assumed = notes["related_spending_assumed"]
    if assumed:
        goal = results.scenario.goal
        sourced = len(results.codes) - len(assumed)
        lines.append(f"Related spending (the {goal.total - goal.core:g}%) is an assumption for "
                     f"{len(assumed)} of {len(results.codes)} allies (sourced for {sourced}): "
                     "P(goal) rests on it.")
    return lines


def format_table(results: Results) -> str:
    """The run as a fixed-width table: per ally, then the alliance lines."""
    scenario, inputs = results.scenario, results.inputs
    goal = scenario.goal
    y, gi = goal.year, inputs.goal_index
    core = {q: results.share_quantiles("core", q)[:, gi] for q in QUANTILES}
    total = {q: results.share_quantiles("total", q)[:, gi] for q in QUANTILES}
    gap = results.shortfall_quantiles("total", 0.5)
    lines = [*assumption_lines(results),
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
        f"  P(alliance meets the {goal.total:g}% goal)  {_p(head['alliance_meets_goal'])}"
        + (" (rests on assumed related spending)"
           if results.assumptions()["related_spending_assumed"] else ""),
        f"    without threat events (same draws): core "
        f"{_p(head['alliance_meets_core_without_threat_events'])}, goal "
        f"{_p(head['alliance_meets_goal_without_threat_events'])}",
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
    tally, model = run_aid(results)
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
    lines += [f"  P(needs met every year {model.years[0]}-{model.years[-1]})  "
              f"{_p(tally.p_all_needs_met())}",
              f"  P(alliance meets the {results.scenario.goal.total:g}% goal in "
              f"{results.goal_year} and every year's needs are met)  "
              f"{_p(tally.p_goal_and_needs_met())}",
              f"  P(alliance meets the {results.scenario.goal.core:g}% core goal in "
              f"{results.goal_year} and every year's needs are met)  "
              f"{_p(tally.p_core_and_needs_met())}"]
    donors = model.donor_names
    by_donor = {q: tally.donor_delivered_quantile(q) for q in QUANTILES}
    lines.append(f"  delivered by donor {model.month_label(0)} to "
                 f"{model.month_label(model.months - 1)}, $bn p50 [p05-p95] (money paid into "
                 "a pool: its share of the pool's deliveries):")
    order = sorted(range(len(donors)), key=lambda d: -by_donor[0.5][d])
    for row in range(0, len(order), 3):
        lines.append("   " + "".join(
            f" {donors[d][:5]:<5} {by_donor[0.5][d] / 1e9:6.1f} [{by_donor[0.05][d] / 1e9:5.1f}-"
            f"{by_donor[0.95][d] / 1e9:5.1f}]   " for d in order[row:row + 3]).rstrip())
    if any(pledge.line is None for pledge in model.pledges):
        lines.append(f"  {'pledge':<28} {'donor':<5} {'channel':<9} {'pledged $bn':>11}  "
                     f"{'P(fires) [95% CI]':<21} {'if coord./not':>14} "
                     f"{'delivered $bn p50':>17}")
    pledge_delivered = tally.pledge_delivered_quantile(0.5)  # (pledges,)
    for j, pledge in enumerate(model.pledges):
        if pledge.line is not None:
            continue  # budget lines: by donor, above
        greatest, least = tally.p_triggered(j, "greatest"), tally.p_triggered(j, "least")
        lines.append(f"  {pledge.id[:28]:<28} {pledge.donor[:5]:<5} {pledge.channel:<9} "
                     f"{pledge.usd / 1e9:11.3f}  {_p(tally.p_triggered(j)):<21} "
                     f"{greatest.p:6.3f}/{least.p:.3f} {pledge_delivered[j] / 1e9:17.3f}"
                     + ("  (conditional)" if pledge.condition else ""))
    gap = tally.p_coordination_gap()
    # Plain words for the coordination gap: conditional pledges fire under the "greatest"
    # resolution (donors count on each other's conditions) and not under "least".
    lines.append(f"  pledges that fire only if donors count on each other: {_p(gap)}; "
                 f"median ${tally.gap_quantile(0.5) / 1e9:,.3f}bn more pledged when "
                 "they do")
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
        share, gdp = ally.core_share, ally.gdp_usd
        if not ally.assessed or share is None or gdp is None:
            lines.append(f"{label:<22} {'not assessed':>10}  (no armed forces, no NATO figures)")
            continue
        core_usd = f"{ally.core_usd.value / 1e9:9.1f}" if ally.core_usd else f"{'-':>9}"
        growth = f"{ally.growth_mean.value * 100:8.2f}" if ally.growth_mean else f"{'-':>8}"
        lines.append(
            f"{label:<22} {share.value:10.2f} {gdp.value / 1e9:9.1f} "
            f"{core_usd} {growth}  "
            + "/".join(cite(f) for f in (ally.core_share, ally.gdp_usd, ally.core_usd,
                                          ally.growth_mean))
        )
    lines += ["", "Sources:"]
    lines += [f"  [{number}] {text}" for text, number in sources.items()]
    lines += ["", "Defence- and security-related spending (the 1.5%): NATO publishes no per-ally "
              "series; each scenario states its own assumption (defaults.related_base)."]
    return "\n".join(lines)
