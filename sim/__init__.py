"""summit-sim: Monte Carlo scenarios for NATO's 5% goal and for aid delivered to Ukraine.

The data flow is one module per stage: a scenario file (:mod:`sim.scenario`) becomes arrays
(:mod:`sim.inputs`), the engine simulates blocks of draws (:mod:`sim.engine`), counts stream into a
tally (:mod:`sim.tally`), :mod:`sim.montecarlo` runs the blocks, :mod:`sim.results` answers
questions, :mod:`sim.report` writes tables and files, :mod:`sim.sweep` runs many variants of a
scenario, and :mod:`sim.cli` is the ``summit`` command. Aid to Ukraine lives in :mod:`sim.aid`; the
sourced history, the fit and the backtest in :mod:`sim.history`, :mod:`sim.calibrate` and
:mod:`sim.backtest`.
"""

# Before the imports: sim.report, which sim.sweep imports, reads it.
__version__ = "0.1.0"

from .aid.model import AidModel, Pledge
from .backtest import Backtest
from .calibrate import Calibration
from .errors import DataError, OptionError, ResultsError, ScenarioError, SimError
from .history import History, load_history
from .montecarlo import run
from .results import Probability, Results
from .scenario import AllyConfig, Goal, Growth, Policy, Scenario, Threat, load_scenario
from .sweep import SweepSpec, sweep

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
