"""The start-up benchmark's reference: a plain NumPy script that must draw the very numbers a run
draws, or its ratio measures nothing. (Its times are not tested: speed is the benchmark's to
print.)"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.montecarlo import DEFAULT_BLOCK_SIZE
from sim.spending.inputs import ModelInputs

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("bench_startup",
                                               ROOT / "benchmarks" / "bench_startup.py")
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)


@pytest.mark.parametrize("scenario", ["baseline", "analytic"])
def test_the_reference_script_draws_a_runs_numbers_block_by_block(scenario) -> None:
    # A full block and a part one; the baseline draws the credibilities' normals and threat
    # events from streams of their own, the analytic scenario neither.
    inputs = ModelInputs.from_scenario(sim.load_scenario(scenario))
    draws = DEFAULT_BLOCK_SIZE + 100
    printed = subprocess.run([sys.executable, "-c", bench.rng_script(inputs, draws), "check"],
                             check=True, capture_output=True, text=True).stdout.split()
    assert len(printed) == 2
    assert printed == bench.engine_digests(inputs, draws)
