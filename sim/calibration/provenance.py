"""Where each figure comes from: the text of `summit data ISO3` and `summit allies --sources`.

A planner asking "where does this number come from?" gets every sourced row the project holds for
an ally (each edition of the defence share, so revisions show), the values the engine takes from
``calibration/parameters.toml``, and the ally's published national plan.
"""

from __future__ import annotations

from sim.data.base import ALLIES, CORE_EDITION, NOT_ASSESSED
from sim.data.history import announced_plans, load_history
from sim.data.parameters import PARAMETERS_FILE, calibrated_table, load_parameters
from sim.errors import OptionError


def _check(code: str) -> str:
    code = code.upper()
    if code not in ALLIES:
        raise OptionError(f"ISO3: unknown ally code {code!r} (e.g. DEU)")
    return code


def format_ally_data(code: str) -> str:
    """Every sourced figure for one ally, grouped by quantity, with edition and source."""
    code = _check(code)
    lines = [f"{code} {ALLIES[code]}"]
    if code in NOT_ASSESSED:
        return "\n".join([*lines, "  not assessed: no armed forces, no NATO spending figures"])
    history = load_history()
    rows = history.ally_rows(code)
    sources: dict[str, int] = {}
    by_quantity: dict[tuple[str, str, str], list[str]] = {}
    for row in rows:
        number = sources.setdefault(f"{row.source} [{row.file}; read via {row.via}]",
                                    len(sources) + 1)
        mark = "e" if row.estimate else ""
        key = (row.quantity.removeprefix(code + " "), row.unit, row.vintage)
        value = f"{row.value / 1e9:.2f}bn" if "USD" in row.unit else f"{row.value:g}"
        by_quantity.setdefault(key, []).append(f"{row.year}{mark} {value} [{number}]")
    for (quantity, unit, vintage), values in by_quantity.items():
        used = " (used by the engine)" if vintage == CORE_EDITION else ""
        lines.append(f"  {quantity}, {unit}, {vintage}{used}:")
        lines.append("    " + "; ".join(values))
    growth = history.real_growth[:, history.codes.index(code)]
    lines.append("  real growth, derived (constant-2021 core USD / core share), % per year:")
    lines.append("    " + "; ".join(f"{y} {100 * g:.1f}"
                                    for y, g in zip(history.years[1:], growth, strict=True)))
    lines += _calibrated_lines(code) + _plan_lines(code)
    lines += ["", "Sources (e = estimate):"]
    lines += [f"  [{number}] {text}" for text, number in sources.items()]
    return "\n".join(lines)


def _calibrated_lines(code: str) -> list[str]:
    parameters = load_parameters()
    table = calibrated_table(code)
    ally = parameters["allies"][code]
    alliance = parameters["alliance"]
    return [
        f"  calibrated ({PARAMETERS_FILE}, fitted by `summit calibrate`):",
        f"    policy.adjustment {table['policy']['adjustment']:.3f} "
        f"(se {ally['policy']['adjustment_se']:.3f}); policy.noise "
        f"{table['policy']['noise']:.3f} pp (se {ally['policy']['noise_se']:.3f}); growth.sd "
        f"{table['growth']['sd']:.4f} (se {ally['growth']['sd_se']:.4f})",
        f"    alliance: growth.persistence {alliance['growth']['persistence']:.3f}, growth.common "
        f"{alliance['growth']['common']:.3f}, shocks.rate {alliance['shocks']['rate']:.3f}/yr, "
        f"shocks.size {alliance['shocks']['size']:.3f} pp",
    ]


def _plan_lines(code: str) -> list[str]:
    plans = announced_plans().get(code, ())
    if not plans:
        return ["  announced plan: none in the data (path 'announced' falls back to 'linear')"]
    return ["  announced plan (core share, % of GDP):"] + [
        f"    {r.year} {r.value:g}: {r.source}; via {r.via}" for r in plans]


def format_sources() -> str:
    """Per assessed ally: which values are calibrated and which plan it has, with sources."""
    lines = [f"Calibrated values (from calibration/{PARAMETERS_FILE}) and announced plans;",
             "a scenario that sets a value overrides the calibrated one.",
             f"{'ally':<22} {'adjust':>6} {'noise':>6} {'growth sd':>9}  announced plan"]
    plans = announced_plans()
    for code, name in ALLIES.items():
        if code in NOT_ASSESSED:
            continue
        table = calibrated_table(code)
        plan = ", ".join(f"{r.year}: {r.value:g}%" for r in plans.get(code, ())) or "-"
        lines.append(f"{code + ' ' + name:<22} {table['policy']['adjustment']:6.3f} "
                     f"{table['policy']['noise']:6.3f} {table['growth']['sd']:9.4f}  {plan}")
    alliance = load_parameters()["alliance"]
    lines.append(f"Alliance-wide: growth.persistence {alliance['growth']['persistence']:.3f}, "
                 f"growth.common {alliance['growth']['common']:.3f}, shocks.rate "
                 f"{alliance['shocks']['rate']:.3f}/yr, shocks.size "
                 f"{alliance['shocks']['size']:.3f} pp. `summit data ISO3` shows every row.")
    return "\n".join(lines)
