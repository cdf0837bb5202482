"""summit-sim: Monte Carlo scenarios for NATO's 5% goal and for aid delivered to Ukraine.

The layout is the data flow, one package per stage: the sourced figures (:mod:`sim.data`) and a
scenario file become a validated :class:`Scenario` (:mod:`sim.scenario`, on the field machinery of
:mod:`sim.schema`); the spending model (:mod:`sim.spending`) and the aid model (:mod:`sim.aid`)
simulate and count blocks of draws, which :mod:`sim.montecarlo` runs and :mod:`sim.results`
answers questions of; :mod:`sim.sweeps` runs many variants of a scenario, :mod:`sim.calibration`
fits the model to history and backtests it, :mod:`sim.reports` writes what a planner reads, and
:mod:`sim.cli` is the ``summit`` command. No module imports a stage above its own (the contracts
in ``pyproject.toml``, checked by ``make test``).

The public names below are imported on first use, not with the package: ``import sim`` costs
next to nothing, and ``summit validate`` or loading a scenario never pays for SciPy, pandas,
Matplotlib or Numba, which only fitting, sweeps, reports and simulating need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_PUBLIC = {
    "AidModel": "scenario.aid",
    "AllyConfig": "scenario",
    "Backtest": "calibration.backtest",
    "Calibration": "calibration.fit",
    "DataError": "errors",
    "Goal": "scenario",
    "Growth": "scenario",
    "History": "data.history",
    "OptionError": "errors",
    "Pledge": "scenario.aid",
    "Policy": "scenario",
    "Probability": "statistics",
    "Results": "results",
    "ResultsError": "errors",
    "Scenario": "scenario",
    "ScenarioError": "errors",
    "SimError": "errors",
    "SweepSpec": "sweeps.spec",
    "ThreatEvents": "mechanisms.threat",
    "load_history": "data.history",
    "catalog": "analysis",
    "load_scenario": "scenario",
    "read_run": "analysis",
    "run": "montecarlo",
    "sweep": "sweeps.sweep",
}

__all__ = [
    "AidModel",
    "AllyConfig",
    "Backtest",
    "Calibration",
    "DataError",
    "Goal",
    "Growth",
    "History",
    "OptionError",
    "Pledge",
    "Policy",
    "Probability",
    "Results",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "SimError",
    "SweepSpec",
    "ThreatEvents",
    "__version__",
    "catalog",
    "load_history",
    "load_scenario",
    "read_run",
    "run",
    "sweep",
]

if TYPE_CHECKING:
    from sim.analysis import catalog, read_run
    from sim.calibration.backtest import Backtest
    from sim.calibration.fit import Calibration
    from sim.data.history import History, load_history
    from sim.errors import DataError, OptionError, ResultsError, ScenarioError, SimError
    from sim.mechanisms.threat import ThreatEvents
    from sim.montecarlo import run
    from sim.results import Results
    from sim.scenario import AllyConfig, Goal, Growth, Policy, Scenario, load_scenario
    from sim.scenario.aid import AidModel, Pledge
    from sim.statistics import Probability
    from sim.sweeps.spec import SweepSpec
    from sim.sweeps.sweep import sweep


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use; or a submodule, imported."""
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value  # found directly from now on
        return value
    if not name.startswith("_"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

