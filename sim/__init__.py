"""summit-sim: Monte Carlo scenarios for NATO's 5% goal and for aid delivered to Ukraine.

The data flow is one module per stage: a scenario file (:mod:`sim.scenario`) becomes arrays
(:mod:`sim.inputs`), the engine simulates blocks of draws (:mod:`sim.engine`), counts stream into a
tally (:mod:`sim.tally`), :mod:`sim.montecarlo` runs the blocks, :mod:`sim.results` answers
questions, :mod:`sim.report` writes tables and files, and :mod:`sim.cli` is the ``summit`` command.
"""

from .errors import DataError, OptionError, ScenarioError, SimError
from .montecarlo import run
from .results import Probability, Results
from .scenario import AllyConfig, Goal, Growth, Policy, Scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "AllyConfig",
    "DataError",
    "Goal",
    "Growth",
    "OptionError",
    "Policy",
    "Probability",
    "Results",
    "Scenario",
    "ScenarioError",
    "SimError",
    "__version__",
    "load_scenario",
    "run",
]
