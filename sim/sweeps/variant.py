"""One variant of a sweep, run: what a worker process imports to run variants.

A pool's or a Dask worker's process imports this module (the function it runs,
:func:`run_variant`, is pickled by name), and it imports only what a run needs: not the
sweep's design (SciPy's quasi-Monte Carlo), its files or its tables (pandas), which took a
pool's fork server about a second and a half to import before it could start a process.
The sweep itself, its journal and its tables are :mod:`sim.sweeps.sweep`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sim.errors import SimError
from sim.montecarlo import SharedDraws, run
from sim.scenario import Scenario, load_scenario
from sim.sweeps.designs import variant_seed

#: Each thread's normals and workspace (``draws``), lent to every variant with common random
#: numbers it runs (a pool's or a Dask worker's process runs many); one per thread, since a
#: Dask worker of several threads runs variants side by side and a workspace is one run's.
_LOCAL = threading.local()


def _shared_draws() -> SharedDraws:
    """This thread's :class:`SharedDraws`, made on first use."""
    shared = getattr(_LOCAL, "draws", None)
    if shared is None:
        shared = _LOCAL.draws = SharedDraws()
    return shared


def draw_layout(scenario: Scenario) -> tuple[Any, ...]:
    """What fixes the number and shape of a run's random draws: the allies, the years, and the
    aid model's pledges, needs and pools."""
    aid = scenario.aid
    return (scenario.codes, scenario.base_year, scenario.horizon,
            None if aid is None else (len(aid.pledges), len(aid.needs), len(aid.pools)))


def variant_run_seed(base: Scenario, variant: Scenario, index: int, seed: int,
                     independent: bool) -> int | None:
    """The seed variant ``index`` runs with when it runs on a stream of its own (``independent``,
    or a draw layout other than the base's); None when it shares the sweep's ``seed``."""
    if independent or draw_layout(variant) != draw_layout(base):
        return variant_seed(seed, index)
    return None


#: A Dask worker process's base scenario of each sweep it runs variants of, by the sweep's
#: inputs digest. On Dask the base comes unpickled with every task, a new object each time (a
#: process pool hands its processes one copy each); the tables a variant reuses from the
#: variants before it are known by their objects, so the worker keeps the first copy and builds
#: every variant from it, as one process does.
_BASES: dict[str, Scenario] = {}
#: Sweeps whose bases a worker keeps at once (a Dask worker may serve several in turn).
_MOST_BASES = 4


def run_variant(base: Scenario, index: int, values: Mapping[str, Any], draws: int,
                seed: int, independent: bool = False, digest: str | None = None
                ) -> dict[str, Any]:
    """Run one variant and return its row; a bad combination of values is a ``failed`` row.

    With common random numbers (``independent`` false) the variant runs with the sweep's
    ``seed`` on this process's shared normals, unless its draw layout differs from the base's.
    ``digest``, the sweep's inputs digest, names its base: a process that has a base of that
    digest builds the variant from the one it has.
    """
    if digest is not None:
        if digest not in _BASES and len(_BASES) >= _MOST_BASES:
            _BASES.clear()
        base = _BASES.setdefault(digest, base)
    row: dict[str, Any] = {"index": index, **values}
    try:
        variant = base.with_values(values)
        own = variant_run_seed(base, variant, index, seed, independent)
        # A row holds probabilities only: the distributions are not counted.
        results = (run(variant, draws=draws, seed=seed, shared=_shared_draws(),
                       distributions=False) if own is None
                   else run(variant, draws=draws, seed=own, distributions=False))
    except SimError as err:
        problem = str(err).removeprefix(f"{getattr(err, 'file', '')}: ")
        return {**row, "status": "failed", "error": " ".join(problem.split())}
    row.update(status="ok", error="")
    probabilities = {**results.headline(),
                     **{f"p_meet_goal_{code}": results.p_meet_goal(code)
                        for code in results.codes}}
    tally, aid = results.aid_tally, results.scenario.aid
    if tally is not None and aid is not None:
        probabilities.update({f"ukraine_needs_met_{year}": tally.p_needs_met(y)
                              for y, year in enumerate(aid.years)})
    for name, prob in probabilities.items():
        row[name], row[f"{name}_lo"], row[f"{name}_hi"] = prob.p, *prob.ci95
    return row


def warm_up() -> None:
    """Run the shipped baseline on a few draws, as a variant runs. A pool's fork server calls
    this before it serves (:meth:`~sim.sweeps.executors.ProcessPool.prepare`): every process
    forked from it then starts its first variant with the kernels loaded and called once and
    the shipped calibration read, which took ~75 ms of that variant."""
    run(load_scenario("baseline"), draws=64, distributions=False)


def lost_variant(base: Scenario, index: int, values: Mapping[str, Any], draws: int,
                 seed: int, independent: bool = False, digest: str | None = None
                 ) -> dict[str, Any]:
    """The ``failed`` row of a variant whose process died twice (killed, or out of memory)."""
    return {"index": index, **values, "status": "failed",
            "error": "its worker process died twice (killed, or out of memory)"}


def forget_shared_draws() -> None:
    """Let this thread's :class:`SharedDraws` go (a sweep that ran variants here has ended)."""
    _LOCAL.__dict__.pop("draws", None)
