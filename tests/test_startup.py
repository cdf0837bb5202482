"""Start-up: ``import sim``, loading a scenario and the light commands import nothing heavy.

Each check runs in a fresh interpreter and lists the heavy modules it finds in ``sys.modules``
afterwards, so that an import added at the top of a module on these paths fails here rather than
slowing every ``summit validate`` (the times are in ``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import sim
from sim.spending import compiled

ROOT = Path(__file__).resolve().parents[1]

#: Libraries that only fitting, sweeps, reports, simulating or progress bars need.
HEAVY = ("pandas", "scipy", "matplotlib", "numba", "llvmlite", "dask", "distributed", "tqdm",
         "statsmodels", "SALib", "ema_workbench", "simpy", "pyarrow")
#: What simulating needs where the kernels cannot be built ahead of time: Numba, and the part of
#: SciPy that Numba itself imports (to find a BLAS for its linear algebra).
SIMULATING = ("numba", "llvmlite", "scipy._lib", "scipy.linalg", "scipy.__config__",
              "scipy.version", "scipy._distributor_init", "scipy._cyutility")

_PROBE = """\
import json
import sys

{action}
heavy = {heavy!r}
print(json.dumps(sorted(m for m in sys.modules
                        if any(m == h or m.startswith(h + ".") for h in heavy))))
"""

_COMMAND = """\
from sim.cli import main
try:
    main({args!r})
except SystemExit as done:
    assert not done.code, done.code
"""


def _loaded(action: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after ``action`` (Python code) in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _PROBE.format(action=action, heavy=HEAVY)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_sim_and_loading_scenarios_import_nothing_heavy():
    # Every shipped scenario, the aid one included, and every public name but the ones whose
    # modules are the heavy work itself (the fit, the backtest, sweeps, runs).
    light = [name for name in sim.__all__
             if name not in ("Backtest", "Calibration", "SweepSpec", "run", "sweep")]
    action = ("import sim\n"
              "from sim.resources import scenarios_dir\n"
              "for path in sorted(scenarios_dir().glob('*.toml')):\n"
              "    sim.load_scenario(path).with_values({'defaults.policy.adjustment': 0.5})\n"
              f"for name in {light!r}:\n"
              "    getattr(sim, name)\n")
    assert _loaded(action) == []


@pytest.mark.parametrize("args", [["--version"], ["validate", "scenarios/baseline.toml"],
                                  ["allies"], ["allies", "--sources"], ["data", "DEU"]],
                         ids=" ".join)
def test_light_commands_import_nothing_heavy(args):
    assert _loaded(_COMMAND.format(args=args)) == []


def _loaded_beyond_simulating(action: str) -> list[str]:
    """:func:`_loaded`, less Numba (and the SciPy it imports) where the kernels' extension
    cannot be built here and Numba's kernels simulate instead."""
    try:
        compiled.kernels("ahead")
    except compiled.BuildError:
        allowed = SIMULATING
    else:
        allowed = ()
    return [m for m in _loaded(action) if not (allowed and m == "scipy")
            and not any(m == s or m.startswith(s + ".") for s in allowed)]


def test_summit_run_imports_nothing_heavy_once_the_kernels_are_built():
    # No pandas without --out, no bar off a terminal, no SimPy without aid; and no Numba (nor the
    # SciPy it imports) when the kernels' extension is built, as it is wherever a C compiler is.
    assert _loaded_beyond_simulating(_COMMAND.format(args=["run", "--draws", "100"])) == []


def test_a_sweep_variant_imports_nothing_heavy_once_the_kernels_are_built():
    # What a pool's or a Dask worker's process imports to run variants: not the sweep's design
    # (SciPy) nor its tables (pandas), which took its fork server 1.5 s to import.
    action = ("import sim\n"
              "from sim.sweeps.variant import run_variant\n"
              "row = run_variant(sim.load_scenario('baseline'), 0,\n"
              "                  {'defaults.policy.adjustment': 0.5}, 200, 1)\n"
              "assert row['status'] == 'ok', row\n")
    assert _loaded_beyond_simulating(action) == []


def test_the_lazy_package_resolves_every_public_name():
    assert sorted(sim.__all__) == sorted([*sim._PUBLIC, "__version__"])
    assert set(sim.__all__) <= set(dir(sim))
    for name in sim.__all__:
        assert getattr(sim, name) is not None
    assert isinstance(sim.results, types.ModuleType)  # a submodule, imported on first use
    assert isinstance(sim.sweeps, types.ModuleType)  # the stage's package
    assert callable(sim.sweep) and not isinstance(sim.sweep, types.ModuleType)  # its function
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        sim.nothing  # noqa: B018


def test_reading_a_sweep_file_imports_nothing_heavy():
    # SciPy (~0.7 s) waits until the sweep makes its variants: by then a pool's fork server is
    # importing the engine on the other core (sim.sweeps.executors.ProcessPool.prepare).
    action = ("import sim\n"
              "from sim.resources import scenarios_dir\n"
              "for path in sorted((scenarios_dir() / 'sweeps').glob('*.toml')):\n"
              "    sim.SweepSpec.from_file(path)\n")
    assert _loaded(action) == []
