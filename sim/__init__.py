"""summit-sim: Monte Carlo scenarios for NATO's 5% goal and for aid delivered to Ukraine.

The data flow is one module per stage: a scenario file (:mod:`sim.scenario`) becomes arrays
(:mod:`sim.inputs`), the engine simulates blocks of draws (:mod:`sim.engine`), counts stream into a
tally (:mod:`sim.tally`), :mod:`sim.montecarlo` runs the blocks, :mod:`sim.results` answers
questions, :mod:`sim.report` writes tables and files, :mod:`sim.sweep` runs many variants of a
scenario, and :mod:`sim.cli` is the ``summit`` command. Aid to Ukraine lives in :mod:`sim.aid`; the
sourced history, the fit and the backtest in :mod:`sim.history`, :mod:`sim.calibrate` and
:mod:`sim.backtest`.

The public names below are imported on first use, not with the package: ``import sim`` costs
next to nothing, and ``summit validate`` or loading a scenario never pays for SciPy, pandas,
Matplotlib or Numba, which only fitting, sweeps, reports and simulating need.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_PUBLIC = {
    "AidModel": "aid.model",
    "AllyConfig": "scenario",
    "Backtest": "backtest",
    "Calibration": "calibrate",
    "DataError": "errors",
    "Goal": "scenario",
    "Growth": "scenario",
    "History": "history",
    "OptionError": "errors",
    "Pledge": "aid.model",
    "Policy": "scenario",
    "Probability": "results",
    "Results": "results",
    "ResultsError": "errors",
    "Scenario": "scenario",
    "ScenarioError": "errors",
    "SimError": "errors",
    "SweepSpec": "sweep",
    "Threat": "scenario",
    "load_history": "history",
    "load_scenario": "scenario",
    "run": "montecarlo",
    "sweep": "sweep",
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
    "Threat",
    "__version__",
    "load_history",
    "load_scenario",
    "run",
    "sweep",
]

if TYPE_CHECKING:
    from .aid.model import AidModel, Pledge
    from .backtest import Backtest
    from .calibrate import Calibration
    from .errors import DataError, OptionError, ResultsError, ScenarioError, SimError
    from .history import History, load_history
    from .montecarlo import run
    from .results import Probability, Results
    from .scenario import AllyConfig, Goal, Growth, Policy, Scenario, Threat, load_scenario
    from .sweep import SweepSpec, sweep


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


class _Package(types.ModuleType):
    """The package's module type: ``sim.sweep`` stays the function when :mod:`sim.sweep` loads.

    Importing a submodule binds its name in the package, which would hide the public function
    of the same name; when the package imported everything at once, the function was bound
    last and won, and it still does.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "sweep" and isinstance(value, types.ModuleType):
            value = value.sweep
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
